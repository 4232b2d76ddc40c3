// SPDX-License-Identifier: MIT OR Apache-2.0
// smart-sessions-rs's own contracts for its local MEE node. Written by this project for tests (no
// registry package ships Biconomy's MEE contracts, and the project never vendors them): they
// reimplement the documented semantics, they are not Biconomy's code. Compiled with solc 0.8.27
// (npm `solc`, pinned by the devnet) when the local MEE stack starts.
pragma solidity 0.8.27;

struct PackedUserOperation {
    address sender;
    uint256 nonce;
    bytes initCode;
    bytes callData;
    bytes32 accountGasLimits;
    uint256 preVerificationGas;
    bytes32 gasFees;
    bytes paymasterAndData;
    bytes signature;
}

/// Signature checks shared by the validator.
library MeeSig {
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// Whether the 65-byte `sig` (r ‖ s ‖ v) signs `hash` directly or its EIP-191 form for
    /// `signer`. Both recoveries always run, so a stub of the right shape costs what a real
    /// signature costs (gas estimation stays honest).
    function isSignedBy(address signer, bytes32 hash, bytes memory sig) internal pure returns (bool) {
        if (signer == address(0) || sig.length != 65) return false;
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        if (uint256(s) > HALF_N) return false;
        address raw = ecrecover(hash, v, r, s);
        address wrapped = ecrecover(keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", hash)), v, r, s);
        return raw == signer || wrapped == signer;
    }

    /// `keccak256(keccak256(abi.encode(userOpHash, lower, upper)))`: the leaf of a non-session
    /// userOp (the semantics of mee-contracts' `MEEUserOpHashLib`).
    function meeUserOpHash(bytes32 userOpHash, uint256 lower, uint256 upper) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(userOpHash, lower, upper))));
    }

    /// Merkle proof check with commutative keccak pair hashing (OpenZeppelin's `MerkleProof`
    /// semantics, reimplemented).
    function verify(bytes32[] memory proof, bytes32 root, bytes32 leaf) internal pure returns (bool) {
        bytes32 h = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            bytes32 p = proof[i];
            h = h < p ? keccak256(abi.encodePacked(h, p)) : keccak256(abi.encodePacked(p, h));
        }
        return h == root;
    }
}

/// An ERC-7579 validator with the semantics of Biconomy's K1MeeValidator before MEE 2.2.1, written
/// by smart-sessions-rs for its local MEE node (a reimplementation for tests, not Biconomy's code).
///
/// - Install data: 20-byte owner, then optional 20-byte safe senders.
/// - `validateUserOp`: `0x177eee00 ‖ abi.encode(bytes32 stxHash, uint48 lower, uint48 upper,
///   bytes32[] proof, bytes sig)` is the simple (Merkle) mode: the leaf is the MEE userOp hash of
///   (userOpHash, lower, upper), `sig` is the owner's ECDSA over `stxHash` (raw or EIP-191), and the
///   bounds go into the validation data. Anything else is a plain 65-byte ECDSA over the userOpHash.
/// - `validateSignatureWithData` (SmartSession's stateless session validator; the signer is
///   `data[0:20]`): `0x177eee00 ‖ abi.encode(bytes32 stxHash, bytes32[] proof, bytes sig)` is the
///   short mode (leaf = the hash itself, no timestamps); anything else is plain ECDSA.
/// - `isValidSignatureWithSender` (ERC-1271 through the account): the short mode as above, or for
///   a safe sender (`addSafeSender`, e.g. SmartSession checking the owner's enable signature)
///   plain ECDSA of the owner over the hash. Other senders get `0xffffffff`: the ERC-7739 nested
///   typed-data path of the real validator is not implemented.
contract MeeK1Validator {
    bytes4 internal constant SIG_TYPE_SIMPLE = 0x177eee00;
    uint256 internal constant SIG_VALIDATION_FAILED = 1;

    mapping(address account => address owner) public owners;
    mapping(address account => mapping(address sender => bool)) public safeSenders;

    error AlreadyInitialized(address account);
    error NoOwner();

    function onInstall(bytes calldata data) external {
        if (owners[msg.sender] != address(0)) revert AlreadyInitialized(msg.sender);
        if (data.length < 20) revert NoOwner();
        owners[msg.sender] = address(bytes20(data[0:20]));
        for (uint256 i = 20; i + 20 <= data.length; i += 20) {
            safeSenders[msg.sender][address(bytes20(data[i:i + 20]))] = true;
        }
    }

    function onUninstall(bytes calldata) external {
        delete owners[msg.sender];
    }

    function isModuleType(uint256 t) external pure returns (bool) {
        return t == 1 || t == 7;
    }

    function isInitialized(address account) external view returns (bool) {
        return owners[account] != address(0);
    }

    function transferOwnership(address newOwner) external {
        if (newOwner == address(0)) revert NoOwner();
        owners[msg.sender] = newOwner;
    }

    function addSafeSender(address sender) external {
        safeSenders[msg.sender][sender] = true;
    }

    function removeSafeSender(address sender) external {
        delete safeSenders[msg.sender][sender];
    }

    /// ERC-165: every interface but the invalid id (SmartSession checks the session validator's
    /// interface support).
    function supportsInterface(bytes4 id) external pure returns (bool) {
        return id != 0xffffffff;
    }

    function supportsNestedTypedDataSign() external pure returns (bytes32) {
        return bytes32(0);
    }

    function validateUserOp(PackedUserOperation calldata op, bytes32 userOpHash) external view returns (uint256) {
        address owner = owners[op.sender];
        bytes calldata sig = op.signature;
        if (sig.length >= 4 && bytes4(sig[0:4]) == SIG_TYPE_SIMPLE) {
            (bytes32 stxHash, uint48 lower, uint48 upper, bytes32[] memory proof, bytes memory s) =
                abi.decode(sig[4:], (bytes32, uint48, uint48, bytes32[], bytes));
            bytes32 leaf = MeeSig.meeUserOpHash(userOpHash, lower, upper);
            bool proofOk = MeeSig.verify(proof, stxHash, leaf);
            bool sigOk = MeeSig.isSignedBy(owner, stxHash, s);
            if (!proofOk || !sigOk) return SIG_VALIDATION_FAILED;
            // ERC-4337 validation data: validUntil at bit 160, validAfter at bit 208
            return (uint256(upper) << 160) | (uint256(lower) << 208);
        }
        return MeeSig.isSignedBy(owner, userOpHash, sig) ? 0 : SIG_VALIDATION_FAILED;
    }

    function _short(address signer, bytes32 hash, bytes calldata sig) internal pure returns (bool) {
        (bytes32 stxHash, bytes32[] memory proof, bytes memory s) = abi.decode(sig[4:], (bytes32, bytes32[], bytes));
        bool proofOk = MeeSig.verify(proof, stxHash, hash);
        bool sigOk = MeeSig.isSignedBy(signer, stxHash, s);
        return proofOk && sigOk;
    }

    function _check(address signer, bytes32 hash, bytes calldata sig) internal pure returns (bool) {
        if (sig.length >= 4 && bytes4(sig[0:4]) == SIG_TYPE_SIMPLE) return _short(signer, hash, sig);
        return MeeSig.isSignedBy(signer, hash, sig);
    }

    function isValidSignatureWithSender(address sender, bytes32 hash, bytes calldata sig)
        external
        view
        returns (bytes4)
    {
        address owner = owners[msg.sender];
        bool simple = sig.length >= 4 && bytes4(sig[0:4]) == SIG_TYPE_SIMPLE;
        bool ok;
        if (simple) ok = _short(owner, hash, sig);
        else if (safeSenders[msg.sender][sender]) ok = MeeSig.isSignedBy(owner, hash, sig);
        return ok ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }

    function validateSignatureWithData(bytes32 hash, bytes calldata sig, bytes calldata data)
        external
        pure
        returns (bool)
    {
        if (data.length < 20) return false;
        return _check(address(bytes20(data[0:20])), hash, sig);
    }
}

/// A test ERC-20 (6 decimals, open `mint`) that pays the local MEE node's fees. Written by
/// smart-sessions-rs; test infrastructure only.
contract MeeFeeToken {
    string public constant name = "MEE Devnet USD";
    string public constant symbol = "mUSD";
    uint8 public constant decimals = 6;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(address from, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 a = allowance[from][msg.sender];
        if (a < amount) revert InsufficientAllowance(msg.sender, a, amount);
        if (a != type(uint256).max) allowance[from][msg.sender] = a - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) internal {
        uint256 b = balanceOf[from];
        if (b < amount) revert InsufficientBalance(from, b, amount);
        balanceOf[from] = b - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}

/// The target of the local MEE node's tests: `increment()` (selector 0xd09de08a, as in the SDK's
/// session examples) and `fail()`, which always reverts with a reason. Written by smart-sessions-rs.
contract MeeCounter {
    uint256 public count;
    mapping(address => uint256) public countOf;

    event Incremented(address indexed who, uint256 count);

    function increment() external {
        count += 1;
        countOf[msg.sender] += 1;
        emit Incremented(msg.sender, count);
    }

    function fail() external pure {
        revert("MeeCounter: fail() always reverts");
    }
}
