// SPDX-License-Identifier: MIT OR Apache-2.0
// The devnet's own test contracts: no registry package ships their bytecode, so smart-sessions-rs
// writes them. Compiled with solc 0.8.27 (npm `solc`, pinned) when the devnet starts.
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

library Ecdsa {
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// Whether `sig` (65 bytes, r ‖ s ‖ v) signs `hash` directly or its EIP-191 form for `signer`.
    /// Every well-formed signature takes the same path (both recoveries run), so gas estimated
    /// with a stub of the right shape is not lower than the real cost.
    function isSignedBy(address signer, bytes32 hash, bytes calldata sig) internal pure returns (bool) {
        if (signer == address(0) || sig.length != 65) return false;
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (uint256(s) > HALF_N) return false;
        address raw = ecrecover(hash, v, r, s);
        address wrapped = ecrecover(keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", hash)), v, r, s);
        return raw == signer || wrapped == signer;
    }
}

/// ERC-7579 ECDSA owner validator, compatible with Biconomy's K1Validator:
/// install data = 20-byte owner; signature = 65-byte ECDSA over the user-op hash (raw or EIP-191).
contract OwnerValidator {
    mapping(address account => address owner) public owners;

    error AlreadyInitialized(address account);

    function onInstall(bytes calldata data) external {
        if (owners[msg.sender] != address(0)) revert AlreadyInitialized(msg.sender);
        owners[msg.sender] = address(bytes20(data[0:20]));
    }

    function onUninstall(bytes calldata) external {
        delete owners[msg.sender];
    }

    function isModuleType(uint256 t) external pure returns (bool) {
        return t == 1;
    }

    function isInitialized(address account) external view returns (bool) {
        return owners[account] != address(0);
    }

    function validateUserOp(PackedUserOperation calldata op, bytes32 hash) external view returns (uint256) {
        return Ecdsa.isSignedBy(owners[op.sender], hash, op.signature) ? 0 : 1;
    }

    function isValidSignatureWithSender(address, bytes32 hash, bytes calldata sig) external view returns (bytes4) {
        return Ecdsa.isSignedBy(owners[msg.sender], hash, sig) ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}

/// SmartSession session validator (ISessionValidator, module type 7):
/// init data = 20-byte session-key address; signature = 65-byte ECDSA (raw or EIP-191).
contract SessionKeyValidator {
    function onInstall(bytes calldata) external {}

    function onUninstall(bytes calldata) external {}

    function isModuleType(uint256 t) external pure returns (bool) {
        return t == 7;
    }

    function isInitialized(address) external pure returns (bool) {
        return true;
    }

    function supportsInterface(bytes4 id) external pure returns (bool) {
        return id != 0xffffffff;
    }

    function validateSignatureWithData(bytes32 hash, bytes calldata sig, bytes calldata data)
        external
        pure
        returns (bool)
    {
        if (data.length < 20) return false;
        return Ecdsa.isSignedBy(address(bytes20(data[0:20])), hash, sig);
    }
}

/// SudoPolicy semantics: every check passes (user-op, action and ERC-1271 policy).
contract SudoPolicy {
    event PolicySet(bytes32 id, address multiplexer, address account);

    function supportsInterface(bytes4 id) external pure returns (bool) {
        return id != 0xffffffff;
    }

    function initializeWithMultiplexer(address account, bytes32 configId, bytes calldata) external {
        emit PolicySet(configId, msg.sender, account);
    }

    function checkUserOpPolicy(bytes32, PackedUserOperation calldata) external pure returns (uint256) {
        return 0;
    }

    function checkAction(bytes32, address, address, uint256, bytes calldata) external pure returns (uint256) {
        return 0;
    }

    function check1271SignedAction(bytes32, address, address, bytes32, bytes calldata) external pure returns (bool) {
        return true;
    }
}

enum ParamCondition {
    EQUAL,
    GREATER_THAN,
    LESS_THAN,
    GREATER_THAN_OR_EQUAL,
    LESS_THAN_OR_EQUAL,
    NOT_EQUAL,
    IN_RANGE
}

struct LimitUsage {
    uint256 limit;
    uint256 used;
}

struct ParamRule {
    ParamCondition condition;
    uint64 offset;
    bool isLimited;
    bytes32 ref;
    LimitUsage usage;
}

struct ParamRules {
    uint256 length;
    ParamRule[16] rules;
}

struct ActionConfig {
    uint256 valueLimitPerUse;
    ParamRules paramRules;
}

/// The universal action policy (UniActionPolicy) semantics of the deployed module: up to 16
/// rules on 32-byte calldata words at byte offsets after the selector, 7 unsigned conditions,
/// cumulative limits per rule, a per-call ETH value limit.
contract UniActionPolicy {
    mapping(bytes32 id => mapping(address multiplexer => mapping(address account => ActionConfig))) internal
        _configs;

    error PolicyNotInitialized(bytes32 id, address multiplexer, address account);
    error ValueLimitExceeded(bytes32 id, uint256 value, uint256 limit);

    event PolicySet(bytes32 id, address multiplexer, address account);

    function supportsInterface(bytes4 id) external pure returns (bool) {
        return id != 0xffffffff;
    }

    function initializeWithMultiplexer(address account, bytes32 configId, bytes calldata initData) external {
        ActionConfig memory config = abi.decode(initData, (ActionConfig));
        ActionConfig storage stored = _configs[configId][msg.sender][account];
        stored.valueLimitPerUse = config.valueLimitPerUse;
        stored.paramRules.length = config.paramRules.length;
        // a length above 16 indexes past the fixed array: Panic(0x32), as deployed
        for (uint256 i; i < config.paramRules.length; i++) {
            stored.paramRules.rules[i] = config.paramRules.rules[i];
        }
        emit PolicySet(configId, msg.sender, account);
    }

    function actionConfigs(bytes32 id, address multiplexer, address account) external view returns (ActionConfig memory) {
        return _configs[id][multiplexer][account];
    }

    function checkAction(bytes32 id, address account, address, uint256 value, bytes calldata data)
        external
        returns (uint256)
    {
        ActionConfig storage config = _configs[id][msg.sender][account];
        uint256 length = config.paramRules.length;
        if (length == 0) revert PolicyNotInitialized(id, msg.sender, account);
        if (value > config.valueLimitPerUse) revert ValueLimitExceeded(id, value, config.valueLimitPerUse);
        for (uint256 i; i < length; i++) {
            if (!_check(config.paramRules.rules[i], data)) return 1;
        }
        return 0;
    }

    function _check(ParamRule storage rule, bytes calldata data) internal returns (bool) {
        uint256 start = 4 + uint256(rule.offset);
        uint256 param = uint256(bytes32(data[start:start + 32]));
        uint256 ref = uint256(rule.ref);
        ParamCondition c = rule.condition;
        if (c == ParamCondition.EQUAL && param != ref) return false;
        if (c == ParamCondition.GREATER_THAN && param <= ref) return false;
        if (c == ParamCondition.LESS_THAN && param >= ref) return false;
        if (c == ParamCondition.GREATER_THAN_OR_EQUAL && param < ref) return false;
        if (c == ParamCondition.LESS_THAN_OR_EQUAL && param > ref) return false;
        if (c == ParamCondition.NOT_EQUAL && param == ref) return false;
        if (c == ParamCondition.IN_RANGE && (param < (ref >> 128) || param > (ref & type(uint128).max))) return false;
        if (rule.isLimited) {
            if (rule.usage.used + param > rule.usage.limit) return false;
            rule.usage.used += param;
        }
        return true;
    }
}

/// An ERC-7484 registry that really keeps trusted attesters per account and attestations per
/// module: `check` / `checkForAccount` revert unless enough of the account's trusted attesters
/// attested the module.
contract Registry {
    struct Trust {
        uint8 threshold;
        address[] attesters;
    }

    mapping(address account => Trust) internal _trust;
    mapping(address module => mapping(address attester => bool)) public attested;

    error InvalidThreshold(uint8 threshold, uint256 attesters);
    error NoTrustedAttestersFound(address account);
    error InsufficientAttestations(address account, address module, uint256 found, uint256 threshold);

    event NewTrustedAttesters(address indexed account);
    event Attested(address indexed module, address indexed attester);

    function trustAttesters(uint8 threshold, address[] calldata attesters) external {
        if (threshold == 0 || threshold > attesters.length) revert InvalidThreshold(threshold, attesters.length);
        _trust[msg.sender] = Trust(threshold, attesters);
        emit NewTrustedAttesters(msg.sender);
    }

    function findTrustedAttesters(address account) external view returns (address[] memory) {
        return _trust[account].attesters;
    }

    /// The caller attests `module`.
    function attest(address module) external {
        attested[module][msg.sender] = true;
        emit Attested(module, msg.sender);
    }

    function check(address module) external view {
        _check(msg.sender, module);
    }

    function check(address module, uint256) external view {
        _check(msg.sender, module);
    }

    function checkForAccount(address account, address module) external view {
        _check(account, module);
    }

    function checkForAccount(address account, address module, uint256) external view {
        _check(account, module);
    }

    function _check(address account, address module) internal view {
        Trust storage t = _trust[account];
        if (t.attesters.length == 0) revert NoTrustedAttestersFound(account);
        uint256 found;
        for (uint256 i; i < t.attesters.length; i++) {
            if (attested[module][t.attesters[i]]) found++;
        }
        if (found < t.threshold) revert InsufficientAttestations(account, module, found, t.threshold);
    }
}

/// A plain ERC-20 for the demo and tests (anyone may mint).
contract TestToken {
    string public constant name = "Test Token";
    string public constant symbol = "TEST";
    uint8 public constant decimals = 6;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

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
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) internal {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}

/// A call target: counts calls per caller.
contract Counter {
    mapping(address => uint256) public count;

    event Bumped(address indexed who, uint256 n);

    function bump() external payable {
        emit Bumped(msg.sender, ++count[msg.sender]);
    }
}

struct BootstrapConfig {
    address module;
    bytes data;
}

interface INexusAccountFactory {
    function createAccount(bytes calldata initData, bytes32 salt) external payable returns (address payable);
    function computeAccountAddress(bytes calldata initData, bytes32 salt) external view returns (address payable);
}

interface INexusBootstrap {
    function getInitNexusWithSingleValidatorCalldata(
        BootstrapConfig calldata validator,
        address registry,
        address[] calldata attesters,
        uint8 threshold
    ) external view returns (bytes memory);
}

/// The ABI of Biconomy's K1ValidatorFactory (`createAccount(owner, index, attesters, threshold)`,
/// what the Biconomy SDK 0.0.21 deploys accounts with), for the devnet: no registry package ships its
/// bytecode. Like the original it installs the K1-style validator for the owner and configures the
/// ERC-7484 registry with the attesters; it deploys through the NexusAccountFactory with salt
/// `keccak256(abi.encodePacked(owner, index, attesters, threshold))`, so addresses differ from
/// Biconomy's deployment but depend on the same inputs.
contract K1ValidatorFactory {
    INexusAccountFactory public immutable ACCOUNT_FACTORY;
    INexusBootstrap public immutable BOOTSTRAPPER;
    address public immutable K1_VALIDATOR;
    address public immutable REGISTRY;

    event AccountCreated(address indexed account, address indexed owner, uint256 indexed index);

    constructor(address factory, address bootstrapper, address k1Validator, address registry) {
        ACCOUNT_FACTORY = INexusAccountFactory(factory);
        BOOTSTRAPPER = INexusBootstrap(bootstrapper);
        K1_VALIDATOR = k1Validator;
        REGISTRY = registry;
    }

    function _init(address eoaOwner, uint256 index, address[] calldata attesters, uint8 threshold)
        internal
        view
        returns (bytes memory initData, bytes32 salt)
    {
        salt = keccak256(abi.encodePacked(eoaOwner, index, attesters, threshold));
        initData = BOOTSTRAPPER.getInitNexusWithSingleValidatorCalldata(
            BootstrapConfig(K1_VALIDATOR, abi.encodePacked(eoaOwner)), REGISTRY, attesters, threshold
        );
    }

    function createAccount(address eoaOwner, uint256 index, address[] calldata attesters, uint8 threshold)
        external
        payable
        returns (address payable account)
    {
        (bytes memory initData, bytes32 salt) = _init(eoaOwner, index, attesters, threshold);
        account = ACCOUNT_FACTORY.createAccount{value: msg.value}(initData, salt);
        emit AccountCreated(account, eoaOwner, index);
    }

    function computeAccountAddress(address eoaOwner, uint256 index, address[] calldata attesters, uint8 threshold)
        external
        view
        returns (address payable)
    {
        (bytes memory initData, bytes32 salt) = _init(eoaOwner, index, attesters, threshold);
        return ACCOUNT_FACTORY.computeAccountAddress(initData, salt);
    }
}
