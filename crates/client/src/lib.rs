#![doc = include_str!("../README.md")]

mod user_op;
pub use user_op::UserOperation;

pub mod bundler;
pub use bundler::{
    BundlerApi, BundlerError, GasEstimate, Refusal, SmartSessionError, UserOperationReceipt,
};

mod nexus;
pub use nexus::{ClientError, NexusAccount, NexusDeployment, sender_address};

pub mod sessions;
pub use sessions::{
    OwnerSignatureStyle, SessionDetails, SmartSessions, check_enabled_permissions,
    stub_ecdsa_signature, trust_attesters, trusted_attesters,
};

pub mod checks;
pub use checks::{Budget, BudgetItem, Refused};

mod flow;
pub use flow::{
    ClientOptions, FlowError, GasPriceSource, Grant, NexusClient, Precheck, Sent, SessionRequest,
    grant_permission_multichain,
};

pub mod transport;

pub mod endpoint;
pub use endpoint::{Endpoint, EndpointError, EndpointUrl};

pub mod paymaster;
pub use paymaster::{Erc7677Paymaster, PaymasterError, PaymasterFields, PaymasterSource};

mod deployments;
pub use deployments::{
    AccountKind, CHAINS, ChainPreset, Deployments, DetectError, ENTRY_POINT_V07, MOCK_ATTESTER,
    MeeContracts, MeeVersion, REGISTRY, RHINESTONE_ATTESTER,
};

// The workspace README's Rust examples (codec and client) are compiled as doctests here, the
// crate that depends on everything they use.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct WorkspaceReadme;
