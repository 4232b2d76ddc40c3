//! The client's errors: [`FlowError`] (what a flow returns) and [`ClientError`] (a node call
//! or an encoding).

use crate::{
    BundlerError, Refusal, UserOperationReceipt,
    bundler::decode_revert,
    checks::{NoAction, Refused},
};
use alloy_primitives::Bytes;
use alloy_primitives::{Address, B256, U256};
use alloy_transport::TransportError;
use smart_sessions_policy::PolicyError;
use std::time::Duration;

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
    /// The paymaster gave no sponsorship (nothing was sent).
    #[error(transparent)]
    Paymaster(#[from] crate::PaymasterError),
    /// The permission request is invalid (names the rule or policy).
    #[error("permission: {0}")]
    Policy(#[from] PolicyError),
    /// The signer failed (never key material).
    #[error("signer: {0}")]
    Signer(#[source] alloy_signer::Error),
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
    #[error(transparent)]
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
    /// The details can no longer be used on this chain (their enable signature is revoked or
    /// used up, or the session was removed): refused before sending.
    #[error("permission {permission_id} is {status}: nothing sent")]
    DeadGrant {
        /// The permission.
        permission_id: B256,
        /// What [`NexusClient::grant_status`](crate::NexusClient::grant_status) found.
        status: crate::GrantStatus,
    },
    /// The pre-check could not evaluate these policies (not known to this client, or enabled on
    /// chain without the session declaring them): nothing was sent. Pass
    /// [`Precheck::AllowUnchecked`](crate::Precheck::AllowUnchecked) to send anyway.
    #[error(
        "permission {permission_id}: policies {policies:?} cannot be checked off-chain: nothing sent"
    )]
    Unchecked {
        /// The permission.
        permission_id: B256,
        /// The policies not evaluated.
        policies: Vec<Address>,
    },
    /// The bundler does not serve this client's EntryPoint (`eth_supportedEntryPoints`).
    #[error("the bundler does not support EntryPoint {entry_point} (it lists {supported:?})")]
    EntryPointUnsupported {
        /// This client's EntryPoint.
        entry_point: Address,
        /// What the bundler lists.
        supported: Vec<Address>,
    },
    /// An attester list or threshold the ERC-7484 registry would refuse: nothing sent.
    #[error(transparent)]
    TrustInput(#[from] crate::TrustInputError),
    /// A sponsored session operation for a session whose `permitERC4337Paymaster` is false:
    /// SmartSession would refuse it on chain (`PaymasterValidationNotEnabled(permissionId)`),
    /// so nothing was signed.
    #[error(
        "permission {permission_id}: its session has permitERC4337Paymaster = false, so SmartSession refuses a paymaster (PaymasterValidationNotEnabled): nothing signed"
    )]
    PaymasterNotPermitted {
        /// The permission whose session does not permit a paymaster.
        permission_id: B256,
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

    /// Whether trying again later may succeed without changing anything: a node or bundler
    /// unreachable or overloaded, a timeout before anything was sent, a stale nonce. Never for
    /// an operation that may have executed ([`may_have_executed`](Self::may_have_executed)):
    /// resume it instead.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Client(e) => e.is_retryable(),
            Self::Bundler(e) => e.is_retryable(),
            Self::Timeout { step, .. } => *step != "eth_sendUserOperation",
            _ => false,
        }
    }

    /// Whether the JSON-RPC error code is -32601 (method not found).
    pub(crate) const fn is_method_not_found(&self) -> bool {
        matches!(self, Self::Bundler(BundlerError { code: Some(-32601), .. }))
    }
}

/// A client-side failure: a node call, an answer that does not decode, an encoding, a signer.
/// Each variant names the step (the contract call or the encoding) and keeps its cause as
/// `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The node could not be reached, or answered with a JSON-RPC error that is not a revert.
    #[error("{step}: node call failed: {source}")]
    Transport {
        /// The call (`EntryPoint.getNonce`, `eth_getCode`, ...).
        step: &'static str,
        /// The transport's error.
        #[source]
        source: TransportError,
    },
    /// The call reverted; the revert data decoded where it is an error this crate knows.
    #[error("{step} reverted{}", decoded.as_ref().map(|d| format!(" with {d}")).unwrap_or_else(|| format!(" with {data}")))]
    Reverted {
        /// The call.
        step: &'static str,
        /// The revert data.
        data: Bytes,
        /// The decoded error (SmartSession, EntryPoint, registry).
        decoded: Option<Refusal>,
        /// The node's error answer.
        #[source]
        source: TransportError,
    },
    /// An answer that does not decode as the ABI says.
    #[error("{step}: the answer does not decode: {source}")]
    Decode {
        /// The call.
        step: &'static str,
        /// The decoder's error.
        #[source]
        source: alloy_sol_types::Error,
    },
    /// A policy's on-chain state does not decode.
    #[error("{step}: policy {policy}: the answer does not decode: {source}")]
    PolicyDecode {
        /// The call.
        step: &'static str,
        /// The policy contract.
        policy: Address,
        /// The decoder's error.
        #[source]
        source: alloy_sol_types::Error,
    },
    /// An encoding failed (calldata, signatures).
    #[error("{step}: {source}")]
    Encoding {
        /// What was encoded.
        step: &'static str,
        /// The codec's error.
        #[source]
        source: smart_sessions_codec::Error,
    },
    /// A policy's init data does not decode for its kind.
    #[error("policy {policy}: invalid init data: {source}")]
    PolicyInit {
        /// The policy contract.
        policy: Address,
        /// The policy crate's error.
        #[source]
        source: PolicyError,
    },
    /// The signer refused or failed (never key material).
    #[error("{step}: the signer failed: {source}")]
    Signer {
        /// What was signed.
        step: &'static str,
        /// The signer's error.
        #[source]
        source: alloy_signer::Error,
    },
    /// An answer or an input that is well-formed but not what the step needs.
    #[error("{step}: {reason}")]
    Unexpected {
        /// The step.
        step: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl ClientError {
    /// A node call's failure: [`ClientError::Reverted`] when the error answer carries revert
    /// data (decoded from `ErrorPayload.data`), else [`ClientError::Transport`].
    pub(crate) fn node(step: &'static str, source: TransportError) -> Self {
        if let Some(data) = source.as_error_resp().and_then(|r| r.as_revert_data()) {
            return Self::Reverted { step, decoded: decode_revert(&data), data, source };
        }
        Self::Transport { step, source }
    }

    /// Whether trying again later may succeed (the node unreachable or overloaded); a revert,
    /// a decode or encoding error will fail again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { source, .. } => {
                matches!(source, TransportError::Transport(_))
                    || source.as_error_resp().is_some_and(|r| matches!(r.code, -32005 | 429))
            }
            _ => false,
        }
    }

    /// The revert data decoded as the error enum `E` of a contract's bindings (as
    /// alloy-contract's `as_decoded_interface_error`).
    pub fn as_decoded_interface_error<E: alloy_sol_types::SolInterface>(&self) -> Option<E> {
        match self {
            Self::Reverted { data, .. } => E::abi_decode(data).ok(),
            _ => None,
        }
    }
}
