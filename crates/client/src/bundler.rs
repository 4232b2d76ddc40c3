//! The ERC-4337 bundler JSON-RPC methods as an extension trait on any alloy `Provider`
//! ([`BundlerApi`], `Send` futures, names that coexist with alloy's `Erc4337Api`), with typed
//! errors that keep the transport error as their source and decode `AAxx` codes and the
//! revert data of SmartSession, the EntryPoint and the ERC-7484 registry.

use crate::RemoteText;
use crate::UserOperation;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_sol_types::SolInterface;
use alloy_transport::TransportError;
use serde::{Deserialize, Serialize};
mod refusal;
pub use refusal::{Refusal, SmartSessionError, classify, decode_revert, error_name};

use std::{
    future::Future,
    time::{Duration, Instant},
};

/// Gas limits from `eth_estimateUserOperationGas`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GasEstimate {
    /// Gas the bundler charges beyond execution (calldata, bundle overhead): `preVerificationGas`.
    pub pre_verification_gas: U256,
    /// Gas limit for account deployment and `validateUserOp` (SmartSession's policy checks).
    pub verification_gas_limit: U256,
    /// Gas limit for the account's execution of the call (`callGasLimit`).
    pub call_gas_limit: U256,
    /// Gas limit for the paymaster's `validatePaymasterUserOp` (only when a paymaster is set).
    #[serde(default)]
    pub paymaster_verification_gas_limit: Option<U256>,
    /// Gas limit for the paymaster's `postOp` (only when a paymaster is set).
    #[serde(default)]
    pub paymaster_post_op_gas_limit: Option<U256>,
}

/// A receipt from `eth_getUserOperationReceipt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationReceipt {
    /// The hash of the operation this receipt is for (the EntryPoint's `getUserOpHash`).
    pub user_op_hash: B256,
    /// The operation's sender (the smart account).
    pub sender: Address,
    /// The EntryPoint nonce (key and sequence) the operation used.
    pub nonce: U256,
    /// Whether the account's execution succeeded (`false`: included but the call reverted).
    pub success: bool,
    /// Gas the EntryPoint charged for the operation (`actualGasUsed`).
    pub actual_gas_used: U256,
    /// What the operation cost its payer (account or paymaster), in wei (`actualGasCost`).
    pub actual_gas_cost: U256,
    /// The account call's raw revert data when it failed (see [`decode_revert`]).
    #[serde(default)]
    pub reason: Option<Bytes>,
    /// The bundle transaction's receipt, as the bundler returned it (undecoded JSON).
    pub receipt: serde_json::Value,
}

/// An answer of `eth_getUserOperationByHash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationByHash {
    /// The operation as the bundler holds it.
    pub user_operation: UserOperation,
    /// The EntryPoint it is for.
    pub entry_point: Address,
    /// The block it was included in (`None` while pending).
    #[serde(default)]
    pub block_number: Option<U256>,
    /// The hash of the block it was included in (`None` while pending).
    #[serde(default)]
    pub block_hash: Option<B256>,
    /// The hash of the bundle transaction that included it (`None` while pending).
    #[serde(default)]
    pub transaction_hash: Option<B256>,
}

/// A bundler JSON-RPC failure: a refusal (the bundler answered with a JSON-RPC error), or no
/// usable answer (the transport failed or the answer did not parse: `source` holds why).
#[derive(Debug, thiserror::Error)]
#[error("{}", self.line())]
pub struct BundlerError {
    /// The JSON-RPC method that failed (`eth_sendUserOperation`, ...).
    pub method: &'static str,
    /// The JSON-RPC error code, when the bundler answered with a JSON-RPC error.
    pub code: Option<i64>,
    /// What it means (for an answer without a JSON-RPC error: [`Refusal::Other`] with the
    /// transport's text).
    pub refusal: Refusal,
    /// The error's `data`, when the answer carried revert data there.
    pub data: Option<Bytes>,
    /// The transport failure, when the bundler gave no JSON-RPC answer.
    #[source]
    pub source: Option<TransportError>,
}

impl BundlerError {
    fn line(&self) -> String {
        match (&self.source, self.code) {
            (Some(_), None) => {
                format!("{}: no usable answer from the bundler: {}", self.method, self.refusal)
            }
            (_, Some(code)) => format!("{} refused ({code}): {}", self.method, self.refusal),
            (None, None) => format!("{} refused: {}", self.method, self.refusal),
        }
    }

    /// Whether the bundler answered with a JSON-RPC error (it refused, so it holds nothing
    /// from this request); `false` when the answer was lost or unreadable.
    pub const fn is_refusal(&self) -> bool {
        self.code.is_some()
    }

    /// Whether trying again later may succeed: transport failures and timeouts of the
    /// transport, a stale nonce, a per-sender mempool limit or a stale deployment (`AA25`,
    /// `AA10`), fees below the bundler's minimum, rate limits (-32005) and internal errors
    /// (-32603). A read is then safe to repeat; a send only if
    /// [`is_refusal`](Self::is_refusal).
    pub fn is_retryable(&self) -> bool {
        if let Some(s) = &self.source {
            return matches!(s, TransportError::Transport(_));
        }
        matches!(self.code, Some(-32005 | -32603))
            || matches!(self.refusal, Refusal::EntryPoint { code: 10 | 25, .. })
            || self.is_fee_too_low()
    }

    /// Whether the bundler refused the fees as too low (Alto: "maxFeePerGas must be at least
    /// …"; other bundlers: "… fee … too low"): fresh fees may be accepted.
    pub fn is_fee_too_low(&self) -> bool {
        let Refusal::Other { message } = &self.refusal else { return false };
        let m = message.as_str().to_ascii_lowercase();
        self.code.is_some()
            && (m.contains("feepergas must be at least")
                || (m.contains("fee") && (m.contains("too low") || m.contains("underpriced"))))
    }

    /// The revert data decoded as the error enum `E` of a contract's bindings, if it is one of
    /// `E`'s errors (as alloy-contract's `as_decoded_interface_error`).
    pub fn as_decoded_interface_error<E: SolInterface>(&self) -> Option<E> {
        self.data.as_ref().and_then(|d| E::abi_decode(d).ok())
    }
}

/// The bundler's error as a [`BundlerError`] of `method`: a JSON-RPC error answer is a refusal
/// (its `data` read for revert data), anything else keeps the transport error as its source.
pub(crate) fn bundler_error(method: &'static str, e: TransportError) -> BundlerError {
    match e.as_error_resp() {
        Some(resp) => {
            let data = resp.as_revert_data();
            BundlerError {
                method,
                code: Some(resp.code),
                refusal: classify(&resp.message, data.as_ref().map(|d| &d[..])),
                data,
                source: None,
            }
        }
        None => BundlerError {
            method,
            code: None,
            refusal: Refusal::Other { message: RemoteText::new(&e.to_string()) },
            data: None,
            source: Some(e),
        },
    }
}

/// The bundler methods, for any provider pointed at a bundler. Every future is `Send` (flows
/// run on spawned tasks), and no name is one of alloy's `Erc4337Api`'s, so both traits can be
/// in scope together.
///
/// ```no_run
/// # async fn f() -> Result<(), smart_sessions_client::BundlerError> {
/// use alloy_provider::ProviderBuilder;
/// use smart_sessions_client::{BundlerApi, ENTRY_POINT_V07};
/// let bundler = ProviderBuilder::new().connect_http("http://127.0.0.1:4337".parse().unwrap());
/// let served = tokio::spawn(async move { bundler.bundler_entry_points().await }).await.unwrap()?;
/// assert!(served.contains(&ENTRY_POINT_V07));
/// # Ok(()) }
/// ```
pub trait BundlerApi: Send + Sync {
    /// `eth_sendUserOperation`: the user-operation hash the bundler reports (compare it with
    /// [`UserOperation::hash`]).
    fn send_user_op(
        &self,
        op: &UserOperation,
        entry_point: Address,
    ) -> impl Future<Output = Result<B256, BundlerError>> + Send;

    /// `eth_estimateUserOperationGas` (the signature must be a stub of the real shape).
    fn estimate_user_op_gas(
        &self,
        op: &UserOperation,
        entry_point: Address,
    ) -> impl Future<Output = Result<GasEstimate, BundlerError>> + Send;

    /// `eth_getUserOperationReceipt`: `None` while not included.
    fn user_op_receipt(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<UserOperationReceipt>, BundlerError>> + Send;

    /// `eth_getUserOperationByHash`: the operation and where it was included, `None` when the
    /// bundler does not know the hash.
    fn user_op_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<UserOperationByHash>, BundlerError>> + Send;

    /// `eth_supportedEntryPoints`: the `EntryPoint`s the bundler serves.
    fn bundler_entry_points(
        &self,
    ) -> impl Future<Output = Result<Vec<Address>, BundlerError>> + Send;

    /// Polls for the receipt with backoff (50 ms doubling to 1 s) until `timeout` (the whole
    /// wait, polls included, is bounded by it).
    fn wait_for_user_op_receipt(
        &self,
        hash: B256,
        timeout: Duration,
    ) -> impl Future<Output = Result<UserOperationReceipt, WaitError>> + Send;

    /// `pimlico_getUserOperationGasPrice`: the `fast` tier as `(maxFeePerGas,
    /// maxPriorityFeePerGas)`.
    fn pimlico_gas_price(&self) -> impl Future<Output = Result<(U256, U256), BundlerError>> + Send;

    /// `biconomy_getGasFeeValues`: the `fast` tier as `(maxFeePerGas, maxPriorityFeePerGas)`.
    /// Quantities may be `0x` hex or decimal strings (or JSON numbers).
    fn biconomy_gas_fee_values(
        &self,
    ) -> impl Future<Output = Result<(U256, U256), BundlerError>> + Send;

    /// Alchemy's `rundler_maxPriorityFeePerGas`: the tip the bundler wants.
    fn rundler_max_priority_fee_per_gas(
        &self,
    ) -> impl Future<Output = Result<U256, BundlerError>> + Send;
}

/// Why [`BundlerApi::wait_for_user_op_receipt`] returned without a receipt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// An `eth_getUserOperationReceipt` poll failed (refused, or no usable answer).
    #[error(transparent)]
    Bundler(#[from] BundlerError),
    /// No receipt within the bound.
    #[error("no receipt for {user_op_hash} within {after:?}")]
    Timeout {
        /// The hash of the operation whose receipt was polled for.
        user_op_hash: B256,
        /// How long the polls ran (the `timeout` passed, or a little more).
        after: Duration,
    },
}

impl WaitError {
    /// The bundler's refusal, when a poll was refused.
    pub const fn refusal(&self) -> Option<&Refusal> {
        match self {
            Self::Bundler(b) => Some(&b.refusal),
            Self::Timeout { .. } => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tier<Q> {
    max_fee_per_gas: Q,
    max_priority_fee_per_gas: Q,
}

#[derive(Debug, Deserialize)]
struct Prices<Q> {
    fast: Tier<Q>,
}

impl<P: Provider> BundlerApi for P {
    fn send_user_op(
        &self,
        op: &UserOperation,
        entry_point: Address,
    ) -> impl Future<Output = Result<B256, BundlerError>> + Send {
        let op = op.clone();
        let span =
            tracing::debug_span!("eth_sendUserOperation", sender = %op.sender, nonce = %op.nonce);
        tracing::Instrument::instrument(
            async move {
                self.raw_request("eth_sendUserOperation".into(), (op, entry_point))
                    .await
                    .map_err(|e| bundler_error("eth_sendUserOperation", e))
            },
            span,
        )
    }

    fn estimate_user_op_gas(
        &self,
        op: &UserOperation,
        entry_point: Address,
    ) -> impl Future<Output = Result<GasEstimate, BundlerError>> + Send {
        let op = op.clone();
        let span = tracing::debug_span!("eth_estimateUserOperationGas", sender = %op.sender);
        tracing::Instrument::instrument(
            async move {
                self.raw_request("eth_estimateUserOperationGas".into(), (op, entry_point))
                    .await
                    .map_err(|e| bundler_error("eth_estimateUserOperationGas", e))
            },
            span,
        )
    }

    async fn user_op_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationReceipt>, BundlerError> {
        self.raw_request("eth_getUserOperationReceipt".into(), (hash,))
            .await
            .map_err(|e| bundler_error("eth_getUserOperationReceipt", e))
    }

    async fn user_op_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationByHash>, BundlerError> {
        self.raw_request("eth_getUserOperationByHash".into(), (hash,))
            .await
            .map_err(|e| bundler_error("eth_getUserOperationByHash", e))
    }

    async fn bundler_entry_points(&self) -> Result<Vec<Address>, BundlerError> {
        self.raw_request("eth_supportedEntryPoints".into(), Vec::<()>::new())
            .await
            .map_err(|e| bundler_error("eth_supportedEntryPoints", e))
    }

    async fn wait_for_user_op_receipt(
        &self,
        hash: B256,
        timeout: Duration,
    ) -> Result<UserOperationReceipt, WaitError> {
        let poll = async {
            let mut delay = Duration::from_millis(50);
            loop {
                if let Some(r) = self.user_op_receipt(hash).await? {
                    return Ok::<_, WaitError>(r);
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
        };
        let start = Instant::now();
        match tokio::time::timeout(timeout, poll).await {
            Ok(r) => r,
            Err(_) => {
                Err(WaitError::Timeout { user_op_hash: hash, after: start.elapsed().max(timeout) })
            }
        }
    }

    async fn pimlico_gas_price(&self) -> Result<(U256, U256), BundlerError> {
        let p: Prices<U256> = self
            .raw_request("pimlico_getUserOperationGasPrice".into(), Vec::<()>::new())
            .await
            .map_err(|e| bundler_error("pimlico_getUserOperationGasPrice", e))?;
        Ok((p.fast.max_fee_per_gas, p.fast.max_priority_fee_per_gas))
    }

    async fn biconomy_gas_fee_values(&self) -> Result<(U256, U256), BundlerError> {
        let p: Prices<Quantity> = self
            .raw_request("biconomy_getGasFeeValues".into(), Vec::<()>::new())
            .await
            .map_err(|e| bundler_error("biconomy_getGasFeeValues", e))?;
        Ok((p.fast.max_fee_per_gas.0, p.fast.max_priority_fee_per_gas.0))
    }

    async fn rundler_max_priority_fee_per_gas(&self) -> Result<U256, BundlerError> {
        let tip: Quantity = self
            .raw_request("rundler_maxPriorityFeePerGas".into(), Vec::<()>::new())
            .await
            .map_err(|e| bundler_error("rundler_maxPriorityFeePerGas", e))?;
        Ok(tip.0)
    }
}

/// A quantity as `0x` hex, a decimal string or a JSON number.
#[derive(Debug)]
struct Quantity(U256);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => {
                let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(h) => U256::from_str_radix(h, 16),
                    None => U256::from_str_radix(&s, 10),
                };
                parsed.map(Self).map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
            }
            serde_json::Value::Number(n) => n
                .as_u64()
                .map(|v| Self(U256::from(v)))
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number"))),
            other => Err(serde::de::Error::custom(format!("{other} is not a quantity"))),
        }
    }
}

#[cfg(test)]
mod tests;
