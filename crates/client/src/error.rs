//! The client's errors: [`FlowError`] (what a flow returns) and [`ClientError`] (a node call
//! or an encoding).

use crate::{
    BundlerError, Refusal, UserOperationReceipt,
    checks::{NoAction, Refused},
};
use alloy_primitives::B256;
use smart_sessions_policy::PolicyError;
use std::fmt;

/// Why a flow failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FlowError {
    /// A node call or an encoding.
    Client(ClientError),
    /// The bundler refused (estimation or submission), decoded.
    Bundler(BundlerError),
    /// The permission request is invalid (names the rule or policy).
    Policy(PolicyError),
    /// The signer failed (its message; never key material).
    Signer(String),
    /// The operation was included but the account's call reverted.
    Reverted {
        /// The user-operation hash.
        user_op_hash: B256,
        /// The decoded revert, when the receipt carries one this crate knows.
        reason: Option<Refusal>,
        /// The receipt.
        receipt: Box<UserOperationReceipt>,
    },
    /// The off-chain policy check refused the calls: nothing was sent, no gas spent.
    Refused(Refused),
    /// The session has no action for a call (target and selector, nor a fallback action).
    NoAction(NoAction),
    /// A session request or session details are unusable.
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(e) => e.fmt(f),
            Self::Bundler(e) => e.fmt(f),
            Self::Policy(e) => write!(f, "permission: {e}"),
            Self::Signer(e) => write!(f, "signer: {e}"),
            Self::Reverted { user_op_hash, reason, .. } => {
                write!(f, "user operation {user_op_hash} was included but its call reverted")?;
                match reason {
                    Some(r) => write!(f, ": {r:?}"),
                    None => Ok(()),
                }
            }
            Self::Refused(r) => write!(f, "refused off-chain: {r}"),
            Self::NoAction(n) => {
                write!(f, "call {} ({}.{}): {}", n.call, n.target, n.selector, n.reason)
            }
            Self::Invalid { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for FlowError {}

impl From<ClientError> for FlowError {
    fn from(e: ClientError) -> Self {
        Self::Client(e)
    }
}

impl From<BundlerError> for FlowError {
    fn from(e: BundlerError) -> Self {
        Self::Bundler(e)
    }
}

impl From<PolicyError> for FlowError {
    fn from(e: PolicyError) -> Self {
        Self::Policy(e)
    }
}

/// A client-side failure: a node call or an encoding.
#[derive(Debug)]
pub struct ClientError {
    /// The step that failed.
    pub step: &'static str,
    /// Why.
    pub reason: String,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step, self.reason)
    }
}

impl std::error::Error for ClientError {}
