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
///
/// `Display` is one line naming what failed and where; the cause is the `source()` chain.
///
/// ```
/// use alloy_primitives::U256;
/// use smart_sessions_client::{FlowError, Unusable};
/// use std::time::Duration;
///
/// let e = FlowError::GasAboveCap {
///     field: "maxFeePerGas",
///     value: U256::from(20_000_000_000_000u64),
///     cap: U256::from(10_000_000_000_000u64),
/// };
/// assert_eq!(
///     e.to_string(),
///     "maxFeePerGas 20000000000000 is above the cap 10000000000000: refused before signing"
/// );
/// assert!(!e.is_retryable() && !e.may_have_executed());
///
/// let e = FlowError::Unusable { field: "clients", problem: Unusable::NoChain };
/// assert_eq!(e.to_string(), "clients: no chain given");
///
/// // A timeout before sending may be retried; one of the send itself may have executed.
/// let after = Duration::from_secs(30);
/// let e = FlowError::Timeout { step: "eth_estimateUserOperationGas", after };
/// assert!(e.is_retryable());
/// assert_eq!(e.to_string(), "eth_estimateUserOperationGas: no answer within 30s");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// A node call, an answer, an encoding or the owner's signature failed ([`ClientError`] names
    /// the step); nothing was sent.
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
        /// The hash of the included operation (the EntryPoint's `getUserOpHash`, as signed).
        user_op_hash: B256,
        /// The decoded revert, when the receipt carries one this crate knows.
        reason: Option<Refusal>,
        /// The bundler's receipt for the operation (`success` false; `reason` the raw revert data).
        receipt: Box<UserOperationReceipt>,
    },
    /// The off-chain policy check refused the calls: nothing was sent, no gas spent.
    #[error("refused off-chain: {0}")]
    Refused(Refused),
    /// The session has no action for a call (target and selector, nor a fallback action).
    #[error(transparent)]
    NoAction(NoAction),
    /// A session request, session details or a flow's input is unusable: `field` names the
    /// input, `problem` the values that disagree. Nothing was sent.
    #[error("{field}: {problem}")]
    Unusable {
        /// The input (`sessionDetails.account`, `clients`, ...).
        field: &'static str,
        /// Which values disagree, and how.
        problem: Unusable,
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
        /// The operation's sender: this client's Nexus account.
        sender: Address,
        /// The EntryPoint nonce of the signed operation (kept reserved in this client's lane).
        nonce: U256,
        /// The step whose answer is missing (`eth_sendUserOperation`,
        /// `eth_getUserOperationReceipt`).
        step: &'static str,
        /// The failure of that step (a bundler error, a [`FlowError::Timeout`], ...).
        #[source]
        source: Box<Self>,
    },
    /// A bound passed without an answer (nothing was sent if the step is before
    /// `eth_sendUserOperation`).
    #[error("{step}: no answer within {after:?}")]
    Timeout {
        /// The JSON-RPC method or step.
        step: &'static str,
        /// How long the step was waited for (a [`ClientOptions`](crate::ClientOptions) bound).
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
        /// The operation's hash as computed here (the EntryPoint's `getUserOpHash`, as signed).
        expected: B256,
        /// The hash the bundler's `eth_sendUserOperation` returned.
        returned: B256,
        /// The operation's sender: this client's Nexus account.
        sender: Address,
        /// The EntryPoint nonce (key and sequence) of the signed operation.
        nonce: U256,
    },
    /// The receipt for the operation's hash names another sender or nonce than the operation
    /// sent.
    #[error(
        "receipt of {user_op_hash} is for sender {receipt_sender} nonce {receipt_nonce}, the operation sent was sender {sender} nonce {nonce}"
    )]
    ReceiptMismatch {
        /// The operation's locally computed hash, passed to `eth_getUserOperationReceipt`.
        user_op_hash: B256,
        /// The sender of the operation this client sent (its account).
        sender: Address,
        /// The EntryPoint nonce of the operation this client sent.
        nonce: U256,
        /// The sender the bundler's receipt names.
        receipt_sender: Address,
        /// The nonce the bundler's receipt names.
        receipt_nonce: U256,
    },
    /// The details can no longer be used on this chain (their enable signature is revoked or
    /// used up, or the session was removed): refused before sending.
    #[error("permission {permission_id} is {status}: nothing sent")]
    DeadGrant {
        /// The permission id (`SmartSession.getPermissionId` of the details' session).
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
        /// The permission id of the session whose policies were not evaluated.
        permission_id: B256,
        /// The policy contracts the pre-check could not evaluate.
        policies: Vec<Address>,
    },
    /// The bundler does not serve this client's EntryPoint (`eth_supportedEntryPoints`).
    #[error("the bundler does not support EntryPoint {entry_point} (it lists {supported:?})")]
    EntryPointUnsupported {
        /// This client's EntryPoint.
        entry_point: Address,
        /// The EntryPoint addresses the bundler's `eth_supportedEntryPoints` lists.
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
        /// alloy's transport error (with the node's `ErrorPayload` when it answered with an error).
        #[source]
        source: TransportError,
    },
    /// The call reverted; the revert data decoded where it is an error this crate knows.
    #[error("{step} reverted{}", decoded.as_ref().map(|d| format!(" with {d}")).unwrap_or_else(|| format!(" with {data}")))]
    Reverted {
        /// The contract call that reverted (`EntryPoint.getNonce`, `isPermissionEnabled`, ...).
        step: &'static str,
        /// The raw revert data from the node's JSON-RPC error payload (`ErrorPayload.data`).
        data: Bytes,
        /// The decoded error (SmartSession, EntryPoint, registry).
        decoded: Option<Refusal>,
        /// alloy's error holding the node's JSON-RPC error answer (whose `data` is `data`).
        #[source]
        source: TransportError,
    },
    /// An answer that does not decode as the ABI says.
    #[error("{step}: the answer does not decode: {source}")]
    Decode {
        /// The contract call whose answer failed to decode (`isPermissionEnabled`, ...).
        step: &'static str,
        /// alloy-sol-types' ABI decoding error.
        #[source]
        source: alloy_sol_types::Error,
    },
    /// A policy's on-chain state does not decode.
    #[error("{step}: policy {policy}: the answer does not decode: {source}")]
    PolicyDecode {
        /// The read whose answer failed to decode (`enabled policies`).
        step: &'static str,
        /// The policy contract whose state was read (an enabled policy of the session).
        policy: Address,
        /// alloy-sol-types' ABI decoding error.
        #[source]
        source: alloy_sol_types::Error,
    },
    /// An encoding failed (calldata, signatures).
    #[error("{step}: {source}")]
    Encoding {
        /// What was being encoded (`execute calldata`, `enable signature`, `batchKey`, ...).
        step: &'static str,
        /// The codec crate's error, naming what it refused.
        #[source]
        source: smart_sessions_codec::Error,
    },
    /// A policy's init data does not decode for its kind.
    #[error("policy {policy}: invalid init data: {source}")]
    PolicyInit {
        /// The policy contract whose init data was refused (the `policy` of the session's
        /// `PolicyData`).
        policy: Address,
        /// The policy crate's error.
        #[source]
        source: PolicyError,
    },
    /// The signer refused or failed (never key material).
    #[error("{step}: the signer failed: {source}")]
    Signer {
        /// What was being signed (`owner signature`: an off-chain grant's digest).
        step: &'static str,
        /// The alloy signer's error (it carries no key material).
        #[source]
        source: alloy_signer::Error,
    },
    /// An answer or an input that is well-formed but not what the step needs.
    #[error("{step}: {what}")]
    Inconsistent {
        /// The step (`EntryPoint.getSenderAddress`, `off-chain grant`, ...).
        step: &'static str,
        /// Which values do not fit, and how.
        what: Inconsistency,
    },
}

/// What makes a flow's input unusable ([`FlowError::Unusable`]); each variant carries the
/// values that disagree.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unusable {
    /// A multichain flow was given no chain.
    #[error("no chain given")]
    NoChain,
    /// The chains' clients are for different account addresses.
    #[error("the account is {first} on chain {first_chain} but {other} on chain {other_chain}")]
    AccountDiffers {
        /// The first client's account.
        first: Address,
        /// The first client's chain.
        first_chain: u64,
        /// The differing client's account.
        other: Address,
        /// The differing client's chain.
        other_chain: u64,
    },
    /// `chainDigestIndex` points past the signed chain digests.
    #[error("{index} is past the {len} chain digests")]
    DigestIndexPastEnd {
        /// The `chainDigestIndex` of the details' enable payload.
        index: u8,
        /// How many digests there are.
        len: usize,
    },
    /// The digest `chainDigestIndex` points at is for another chain.
    #[error(
        "the digest at chainDigestIndex {index} is for chain {digest_chain}, this client's is {chain_id}"
    )]
    DigestForOtherChain {
        /// The `chainDigestIndex` of the details' enable payload.
        index: u8,
        /// The chain id of the digest at that index.
        digest_chain: u64,
        /// This client's chain.
        chain_id: u64,
    },
    /// The session details carry no session.
    #[error("no session in the details")]
    NoSession,
    /// The session details are for another account than this client's.
    #[error("the details are for {details}, this client's account is {account}")]
    OtherAccount {
        /// The account the details were granted for (`sessionDetails.account`).
        details: Address,
        /// This client's account.
        account: Address,
    },
    /// The session details are for another SmartSession module (or generation) than this
    /// client's.
    #[error(
        "the details are for SmartSession {details} ({details_generation}), this client's is {client} ({client_generation})"
    )]
    OtherSmartSession {
        /// The SmartSession address the details name (`sessionDetails.smartSession`).
        details: Address,
        /// The generation the details name (`legacy`, `v1`, `current`).
        details_generation: &'static str,
        /// The SmartSession address of this client's deployment table.
        client: Address,
        /// The generation of this client's deployment table.
        client_generation: &'static str,
    },
    /// The details' permission id is not their session's.
    #[error("{given} is not the session's permission id {session}")]
    PermissionIdDiffers {
        /// The permission id the details carry (`sessionDetails.permissionId`).
        given: B256,
        /// The permission id of the details' session (`SmartSession.getPermissionId`).
        session: B256,
    },
    /// The permission is not enabled and the details carry no enable signature.
    #[error(
        "permission {permission_id} is not enabled on chain {chain_id} and the details carry no enable signature"
    )]
    NotEnabled {
        /// The permission id of the details' session.
        permission_id: B256,
        /// This client's chain.
        chain_id: u64,
    },
    /// An operation's sender is not this client's account.
    #[error("{sender} is not this client's account {account}")]
    NotThisAccount {
        /// The sender passed to the call (`release_dropped`'s `sender`).
        sender: Address,
        /// This client's account.
        account: Address,
    },
    /// No session validator was given and the deployment table has none.
    #[error("not given and the deployment has no session-key validator")]
    NoSessionValidator,
    /// The session request has no action.
    #[error("no action: the session could do nothing")]
    NoAction,
}

/// What does not fit in a step's answer or input ([`ClientError::Inconsistent`]); each variant
/// carries the values involved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Inconsistency {
    /// `EntryPoint.getSenderAddress` returned instead of reverting with `SenderAddressResult`.
    #[error("returned {returned} instead of reverting with SenderAddressResult")]
    DidNotRevert {
        /// The data the call returned instead of reverting.
        returned: Bytes,
    },
    /// The session details carry no enable payload.
    #[error("no enable payload")]
    NoEnablePayload,
    /// A multichain grant was given no chain.
    #[error("no chain given")]
    NoChain,
    /// The chains' SmartSession modules are of different generations.
    #[error(
        "chain {chain_id}'s SmartSession is {generation}, the first chain's {first}: one multichain digest cannot serve both"
    )]
    GenerationsDiffer {
        /// The chain id whose SmartSession generation differs from the first chain's.
        chain_id: u64,
        /// The generation of that chain's SmartSession (`legacy`, `v1`, `current`).
        generation: &'static str,
        /// The generation of the first chain's SmartSession.
        first: &'static str,
    },
    /// The session's layout (legacy or current) is not the module's generation's.
    #[error("the session's layout does not match the {generation} generation")]
    LayoutMismatch {
        /// The generation of the module the session is for (`legacy`, `v1`, `current`).
        generation: &'static str,
    },
    /// More chains than a `chainDigestIndex` (one byte) can address.
    #[error("{chains} chains: at most 256 fit")]
    TooManyChains {
        /// How many chains were given.
        chains: usize,
    },
    /// The deployment table lacks a contract the step needs.
    #[error("the table has no {field}")]
    Unset {
        /// The table's field (`k1ValidatorFactory`, ...).
        field: &'static str,
    },
    /// The registry's storage word for an account's trust record does not agree with its
    /// `findTrustedAttesters`: the registry does not have the ERC-7484 reference layout.
    #[error(
        "registry {registry}: the word at slot {slot:#x} (count {count}, first attester {first}) \
         does not match findTrustedAttesters ({attesters} attesters): not the ERC-7484 reference \
         layout"
    )]
    TrustRecordMismatch {
        /// The ERC-7484 registry contract whose storage was read.
        registry: Address,
        /// The storage slot of the account's trust record (`eth_getStorageAt` on the registry).
        slot: alloy_primitives::U256,
        /// The attester count the word holds.
        count: u8,
        /// The first attester the word holds.
        first: Address,
        /// How many attesters `findTrustedAttesters` returned.
        attesters: usize,
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
