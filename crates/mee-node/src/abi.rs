//! `sol!` bindings of the contracts the node calls: EntryPoint v0.7, the Nexus 1.0 account and
//! factory/bootstrap entry points, the node's MEE K1 validator and the ERC-20 fee token.

#![allow(missing_docs, unreachable_pub, unnameable_types)]

alloy_sol_types::sol! {
    /// ERC-4337 v0.7 packed user operation.
    #[derive(Debug, PartialEq, Eq)]
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

    function handleOps(PackedUserOperation[] ops, address beneficiary);
    function depositTo(address account) payable;
    function balanceOf(address account) returns (uint256);
    function getNonce(address sender, uint192 key) returns (uint256);

    event UserOperationEvent(bytes32 indexed userOpHash, address indexed sender, address indexed paymaster, uint256 nonce, bool success, uint256 actualGasCost, uint256 actualGasUsed);
    event UserOperationRevertReason(bytes32 indexed userOpHash, address indexed sender, uint256 nonce, bytes revertReason);
    error FailedOp(uint256 opIndex, string reason);
    error FailedOpWithRevert(uint256 opIndex, string reason, bytes inner);

    /// ERC-7579 `execute` of Nexus.
    function execute(bytes32 mode, bytes executionCalldata);
    struct Execution { address target; uint256 value; bytes callData; }

    /// ERC-20.
    function transfer(address to, uint256 amount) returns (bool);
    function mint(address to, uint256 amount);

    /// The node's MEE K1 validator.
    function owners(address account) returns (address);

    /// Nexus 1.0 `NexusAccountFactory.createAccount` and `NexusBootstrap.initNexusWithSingleValidator`.
    function createAccount(bytes initData, bytes32 salt) payable returns (address);
    function computeAccountAddress(bytes initData, bytes32 salt) returns (address);
    function initNexusWithSingleValidator(address validator, bytes data, address registry, address[] attesters, uint8 threshold);
}

alloy_sol_types::sol! {
    /// Nexus 1.0 bootstrap's module config.
    struct BootstrapConfig { address module; bytes data; }
    /// `NexusBootstrap.getInitNexusWithSingleValidatorCalldata`.
    function getInitNexusWithSingleValidatorCalldata(BootstrapConfig validator, address registry, address[] attesters, uint8 threshold) returns (bytes);
}
