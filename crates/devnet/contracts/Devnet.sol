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

/// A DOUBLE of the ERC-7484 reference registry (rhinestonewtf/registry, the code deployed at
/// `0x000000000069E2a187AEFFb852bF3cCdC95151B2`; our own code, not theirs): the same storage
/// layout for what the client reads, the same trust rules and the same errors (selectors) for
/// `trustAttesters`, `findTrustedAttesters`, `check` and `checkForAccount`. Its layout follows
/// the reference's inheritance `Registry is IRegistry, SignedAttestation` -> `Attestation` ->
/// `AttestationManager is IRegistry, ModuleManager, SchemaManager,
/// TrustManagerExternalAttesterList` (ModuleManager is ResolverManager), whose C3 order puts
/// ResolverManager's `$resolvers` at slot 0, ModuleManager's `$moduleAddrToRecords` at 1,
/// SchemaManager's `schemas` at 2, TrustManager's `$accountToAttester` at 3 and
/// AttestationManager's `$moduleToAttesterToAttestations` at 4. Not the reference: `attest`
/// here is a one-argument helper (the reference takes a schema and an `AttestationRequest` and
/// needs a registered module), the resolver, schema and module records are placeholders.
contract Registry {
    /// `TrustedAttesterRecord` of the reference's DataTypes.sol: one packed word (count in the
    /// low byte, threshold in the next, the first attester above them), then the linked list
    /// keyed by attester and then account (storage associated with the account, ERC-7562).
    struct TrustedAttesterRecord {
        uint8 attesterCount;
        uint8 threshold;
        address attester;
        mapping(address attester => mapping(address account => address linkedAttester)) linkedAttesters;
    }

    /// `AttestationRecord` of the reference's DataTypes.sol (`moduleTypes` a uint32 bitmap).
    struct AttestationRecord {
        uint48 time;
        uint48 expirationTime;
        uint48 revocationTime;
        uint32 moduleTypes;
        address moduleAddress;
        address attester;
        address dataPointer;
        bytes32 schemaUID;
    }

    mapping(bytes32 => bytes32) internal $resolvers; // slot 0 (placeholder)
    mapping(address => bytes32) internal $moduleAddrToRecords; // slot 1 (placeholder)
    mapping(bytes32 => bytes32) internal schemas; // slot 2 (placeholder)
    mapping(address account => TrustedAttesterRecord) internal $accountToAttester; // slot 3
    mapping(address module => mapping(address attester => AttestationRecord)) internal
        $moduleToAttesterToAttestations; // slot 4

    // the reference's errors, with its (argument-less) signatures
    error InvalidTrustedAttesterInput();
    error InvalidThreshold();
    error NoTrustedAttestersFound();
    error InsufficientAttestations();

    event NewTrustedAttesters(address indexed smartAccount);
    /// The helper's event (the reference's `Attested` also carries the schema and data pointer).
    event Attested(address indexed module, address indexed attester);

    /// The reference's rules: attesters strictly ascending (so unique and non-zero after the
    /// first), 1..255 of them, threshold at most their number (0 is accepted and then every
    /// check fails with `NoTrustedAttestersFound`).
    function trustAttesters(uint8 threshold, address[] calldata attesters) external {
        uint256 n = attesters.length;
        if (n == 0 || n > type(uint8).max || attesters[0] == address(0)) revert InvalidTrustedAttesterInput();
        for (uint256 i = 1; i < n; i++) {
            if (attesters[i] <= attesters[i - 1]) revert InvalidTrustedAttesterInput();
        }
        if (threshold > n) revert InvalidThreshold();
        TrustedAttesterRecord storage t = $accountToAttester[msg.sender];
        t.attesterCount = uint8(n);
        t.threshold = threshold;
        t.attester = attesters[0];
        for (uint256 i; i + 1 < n; i++) {
            t.linkedAttesters[attesters[i]][msg.sender] = attesters[i + 1];
        }
        emit NewTrustedAttesters(msg.sender);
    }

    function findTrustedAttesters(address smartAccount) external view returns (address[] memory attesters) {
        TrustedAttesterRecord storage t = $accountToAttester[smartAccount];
        uint256 n = t.attesterCount;
        if (n == 0) return attesters;
        attesters = new address[](n);
        attesters[0] = t.attester;
        for (uint256 i = 1; i < n; i++) {
            attesters[i] = t.linkedAttesters[attesters[i - 1]][smartAccount];
        }
    }

    /// Helper (not the reference's signature): the caller attests `module` for every module
    /// type, without expiry.
    function attest(address module) external {
        $moduleToAttesterToAttestations[module][msg.sender] = AttestationRecord({
            time: uint48(block.timestamp),
            expirationTime: 0,
            revocationTime: 0,
            moduleTypes: type(uint32).max,
            moduleAddress: module,
            attester: msg.sender,
            dataPointer: address(0),
            schemaUID: bytes32(0)
        });
        emit Attested(module, msg.sender);
    }

    function check(address module) external view {
        _check(msg.sender, module, 0);
    }

    function check(address module, uint256 moduleType) external view {
        _check(msg.sender, module, moduleType);
    }

    function checkForAccount(address smartAccount, address module) external view {
        _check(smartAccount, module, 0);
    }

    function checkForAccount(address smartAccount, address module, uint256 moduleType) external view {
        _check(smartAccount, module, moduleType);
    }

    function _valid(address module, address attester, uint256 moduleType) internal view returns (bool) {
        AttestationRecord storage r = $moduleToAttesterToAttestations[module][attester];
        if (r.time == 0) return false;
        if (r.expirationTime != 0 && block.timestamp > r.expirationTime) return false;
        if (r.revocationTime != 0) return false;
        if (moduleType != 0 && (moduleType > 31 || (r.moduleTypes >> moduleType) & 1 == 0)) return false;
        return true;
    }

    /// The reference's `_check`: no first attester or threshold 0 -> `NoTrustedAttestersFound`;
    /// otherwise walk the list until `threshold` valid attestations, else
    /// `InsufficientAttestations`.
    function _check(address smartAccount, address module, uint256 moduleType) internal view {
        TrustedAttesterRecord storage t = $accountToAttester[smartAccount];
        uint256 n = t.attesterCount;
        uint256 threshold = t.threshold;
        address attester = t.attester;
        if (attester == address(0) || threshold == 0) revert NoTrustedAttestersFound();
        for (uint256 i; i < n; i++) {
            if (i > 0) attester = t.linkedAttesters[attester][smartAccount];
            if (_valid(module, attester, moduleType) && --threshold == 0) return;
        }
        revert InsufficientAttestations();
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
