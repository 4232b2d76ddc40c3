#![doc = include_str!("../README.md")]

mod remote_text;
pub use remote_text::{REMOTE_TEXT_LIMIT, RemoteText};

mod user_op;
pub use user_op::UserOperation;

pub mod bundler;
pub use bundler::{
    BundlerApi, BundlerError, GasEstimate, Refusal, SmartSessionError, UserOperationByHash,
    UserOperationReceipt, WaitError,
};

mod contract;
mod nexus;
pub use nexus::{NexusAccount, NexusDeployment, sender_address};

mod error;
pub use error::{ClientError, FlowError, Inconsistency, Unusable};

pub mod sessions;
pub use sessions::{
    OwnerSignatureStyle, SessionDetails, SmartSessions, check_enabled_permissions,
    stub_ecdsa_signature, trust_attesters, trusted_attesters,
};

mod paymaster_permit;
pub use paymaster_permit::{check_paymaster_permit, paymaster_refusal};

mod registry_trust;
pub use registry_trust::{
    ACCOUNT_TO_ATTESTER_SLOT, AccountTrust, TrustInputError, account_trust, decode_trust_record,
    trust_input, trust_record_slot,
};

pub mod checks;
pub use checks::{Budget, BudgetItem, Refused};
mod policy_read;

mod client;
pub use client::{ClientOptions, GasCaps, GasPriceSource, Lanes, NexusClient};
mod request;
pub use request::{Grant, Precheck, Sent, SessionRequest};
mod grant;
mod send;
pub use send::permission_lane;
mod pending;
pub use grant::grant_permission_multichain;
pub use pending::PendingUserOperation;
mod admin;
mod grant_status;
pub use grant_status::GrantStatus;
#[cfg(test)]
mod test_transport;
mod usage;

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
