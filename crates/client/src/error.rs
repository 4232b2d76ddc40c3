//! The client's errors: [`FlowError`] (what a flow returns) and [`ClientError`] (a node call
//! or an encoding).

use crate::{
    BundlerError, Refusal, UserOperationReceipt,
    checks::{NoAction, Refused},
};
use alloy_primitives::{Address, B256, U256};
use smart_sessions_policy::PolicyError;
use std::{fmt, time::Duration};

/// Why a flow failed.
///
/// Whether the operation may have executed: [`FlowError::OutcomeUnknown`],
/// [`FlowError::HashMismatch`] and [`FlowError::ReceiptMismatch`] mean it may have (look it up
/// with [`NexusClient::pending`](crate::NexusClient::pending) before sending the intent again);
/// [`FlowError::Reverted`] means it was included; every other variant means nothing reached the
/// bundler's mempool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// A node call or an encoding.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The bundler refused (estimation or submission), decoded.
    #[error(transparent)]
    Bundler(#[from] BundlerError),
    /// The permission request is invalid (names the rule or policy).
    #[error("permission: {0}")]
    Policy(#[from] PolicyError),
    /// The signer failed (its message; never key material).
    #[error("signer: {0}")]
    Signer(String),
    /// The operation was included but the account's call reverted.
    #[error("user operation {user_op_hash} was included but its call reverted{}", reason.as_ref().map(|r| format!(": {r:?}")).unwrap_or_default())]
    Reverted {
        /// The user-operation hash.
        user_op_hash: B256,
        /// The decoded revert, when the receipt carries one this crate knows.
        reason: Option<Refusal>,
        /// The receipt.
        receipt: Box<UserOperationReceipt>,
    },
    /// The off-chain policy check refused the calls: nothing was sent, no gas spent.
    #[error("refused off-chain: {0}")]
    Refused(Refused),
    /// The session has no action for a call (target and selector, nor a fallback action).
    #[error("call {} ({}.{}): {}", .0.call, .0.target, .0.selector, .0.reason)]
    NoAction(NoAction),
    /// A session request or session details are unusable.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The signed operation may have reached the bundler, and whether it was (or will be)
    /// included is not known: the send's answer was lost, or the receipt wait failed or timed
    /// out. Do not send the intent again before looking it up:
    /// [`NexusClient::pending`](crate::NexusClient::pending)`(user_op_hash, sender, nonce)`
    /// waits again or looks it up by hash. The nonce stays reserved in this client.
    #[error(
        "outcome of user operation {user_op_hash} (sender {sender}, nonce {nonce}) unknown: {step} failed"
    )]
    OutcomeUnknown {
        /// The locally computed user-operation hash (what the signature covers).
        user_op_hash: B256,
        /// The account.
        sender: Address,
        /// The operation's nonce.
        nonce: U256,
        /// The step whose answer is missing (`eth_sendUserOperation`,
        /// `eth_getUserOperationReceipt`).
        step: &'static str,
        /// Why the answer is missing.
        #[source]
        source: Box<Self>,
    },
    /// A bound passed without an answer (nothing was sent if the step is before
    /// `eth_sendUserOperation`).
    #[error("{step}: no answer within {after:?}")]
    Timeout {
        /// The JSON-RPC method or step.
        step: &'static str,
        /// The bound.
        after: Duration,
    },
    /// A gas value is above its configured cap (or its packed field's width): refused before
    /// signing.
    #[error("{field} {value} is above the cap {cap}: refused before signing")]
    GasAboveCap {
        /// The user-operation field (`callGasLimit`, `maxFeePerGas`, ...).
        field: &'static str,
        /// The value the estimate or fee source gave.
        value: U256,
        /// The cap ([`GasCaps`](crate::GasCaps), at most `u128::MAX`).
        cap: U256,
    },
    /// The bundler answered `eth_sendUserOperation` with another hash than the operation's: a
    /// confused or lying bundler. The signed operation may still be in its mempool.
    #[error(
        "eth_sendUserOperation returned {returned}, the operation's hash is {expected} (sender {sender}, nonce {nonce})"
    )]
    HashMismatch {
        /// The locally computed hash.
        expected: B256,
        /// What the bundler returned.
        returned: B256,
        /// The account.
        sender: Address,
        /// The nonce sent.
        nonce: U256,
    },
    /// The receipt for the operation's hash names another sender or nonce than the operation
    /// sent.
    #[error(
        "receipt of {user_op_hash} is for sender {receipt_sender} nonce {receipt_nonce}, the operation sent was sender {sender} nonce {nonce}"
    )]
    ReceiptMismatch {
        /// The hash asked for.
        user_op_hash: B256,
        /// The sender sent.
        sender: Address,
        /// The nonce sent.
        nonce: U256,
        /// The receipt's sender.
        receipt_sender: Address,
        /// The receipt's nonce.
        receipt_nonce: U256,
    },
    /// The bundler does not serve this client's EntryPoint (`eth_supportedEntryPoints`).
    #[error("the bundler does not support EntryPoint {entry_point} (it lists {supported:?})")]
    EntryPointUnsupported {
        /// This client's EntryPoint.
        entry_point: Address,
        /// What the bundler lists.
        supported: Vec<Address>,
    },
}

impl FlowError {
    /// Whether the operation may have reached the bundler (an unknown outcome, a hash or receipt
    /// mismatch): resume with [`NexusClient::pending`](crate::NexusClient::pending) rather than
    /// sending the intent again.
    pub const fn may_have_executed(&self) -> bool {
        matches!(
            self,
            Self::OutcomeUnknown { .. } | Self::HashMismatch { .. } | Self::ReceiptMismatch { .. }
        )
    }

    /// Whether the JSON-RPC error code is -32601 (method not found).
    pub(crate) const fn is_method_not_found(&self) -> bool {
        matches!(self, Self::Bundler(BundlerError { code: Some(-32601), .. }))
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
