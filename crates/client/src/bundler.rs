//! The ERC-4337 bundler JSON-RPC methods as an extension trait on any alloy `Provider`, with
//! typed errors that decode `AAxx` codes and SmartSession / EntryPoint revert data.

use crate::UserOperation;
use alloy_primitives::{Address, B256, Bytes, U256, hex};
use alloy_provider::Provider;
use alloy_sol_types::SolInterface;
use serde::{Deserialize, Serialize};
use smart_sessions_bindings::{common::entry_point::EntryPointErrors, current, legacy};
use std::{
    fmt,
    time::{Duration, Instant},
};

/// Gas limits from `eth_estimateUserOperationGas`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GasEstimate {
    /// Pre-verification gas.
    pub pre_verification_gas: U256,
    /// Verification gas limit.
    pub verification_gas_limit: U256,
    /// Call gas limit.
    pub call_gas_limit: U256,
    /// Paymaster verification gas limit.
    #[serde(default)]
    pub paymaster_verification_gas_limit: Option<U256>,
    /// Paymaster post-op gas limit.
    #[serde(default)]
    pub paymaster_post_op_gas_limit: Option<U256>,
}

/// A receipt from `eth_getUserOperationReceipt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationReceipt {
    /// The user-operation hash.
    pub user_op_hash: B256,
    /// The account.
    pub sender: Address,
    /// The nonce used.
    pub nonce: U256,
    /// Whether the account call succeeded.
    pub success: bool,
    /// Gas used.
    pub actual_gas_used: U256,
    /// Gas cost in wei.
    pub actual_gas_cost: U256,
    /// Revert reason of the account call, if it failed.
    #[serde(default)]
    pub reason: Option<Bytes>,
    /// The transaction receipt (as the bundler returned it).
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
    /// The block's hash.
    #[serde(default)]
    pub block_hash: Option<B256>,
    /// The bundle transaction's hash.
    #[serde(default)]
    pub transaction_hash: Option<B256>,
}

/// What a bundler's refusal means.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// An EntryPoint `AAxx` code (e.g. 24: signature error), with its text.
    EntryPoint {
        /// The number after `AA`.
        code: u8,
        /// The bundler's message.
        message: String,
    },
    /// A SmartSession error found in the revert data.
    SmartSession(SmartSessionError),
    /// An EntryPoint error (`FailedOp`, `FailedOpWithRevert`).
    EntryPointRevert(String),
    /// Anything else.
    Other(String),
}

/// A SmartSession error decoded from revert data, with the permission and policy it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmartSessionError {
    /// The error's name (`PolicyViolation`, `InvalidPermissionId`, `NoPoliciesSet`,
    /// `HashMismatch`, …).
    pub name: String,
    /// The permission it names, if any.
    pub permission_id: Option<B256>,
    /// The policy it names, if any.
    pub policy: Option<Address>,
    /// The error with all its arguments.
    pub detail: String,
}

impl fmt::Display for SmartSessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

macro_rules! smart_session_error {
    ($e:expr, $errors:path) => {{
        use $errors as E;
        let e = $e;
        let (permission_id, policy) = match &e {
            E::PolicyViolation(x) => (Some(B256::from(x.permissionId)), Some(x.policy)),
            E::InvalidPermissionId(x) => (Some(B256::from(x.permissionId)), None),
            E::NoPoliciesSet(x) => (Some(B256::from(x.permissionId)), None),
            E::InvalidSession(x) => (Some(B256::from(x.permissionId)), None),
            E::InvalidSessionKeySignature(x) => (Some(B256::from(x.permissionId)), None),
            E::SignerNotFound(x) => (Some(B256::from(x.permissionId)), None),
            E::UnsupportedPolicy(x) => (None, Some(x.policy)),
            _ => (None, None),
        };
        let detail = format!("{e:?}");
        let name = detail.split(['(', ' ', '{']).next().unwrap_or_default().to_string();
        SmartSessionError { name, permission_id, policy, detail }
    }};
}

/// A bundler JSON-RPC failure.
#[derive(Debug)]
pub struct BundlerError {
    /// The method.
    pub method: &'static str,
    /// The JSON-RPC error code, if the bundler answered with one.
    pub code: Option<i64>,
    /// What it means.
    pub refusal: Refusal,
}

impl fmt::Display for BundlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} refused: ", self.method)?;
        match &self.refusal {
            Refusal::EntryPoint { code, message } => write!(f, "AA{code}: {message}"),
            Refusal::SmartSession(e) => write!(f, "SmartSession {}", e.detail),
            Refusal::EntryPointRevert(e) => write!(f, "EntryPoint {e}"),
            Refusal::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BundlerError {}

/// Decodes revert data of the SmartSession generations or the EntryPoint, if it is one of theirs.
pub fn decode_revert(data: &[u8]) -> Option<Refusal> {
    if let Ok(e) = current::smart_session::SmartSessionErrors::abi_decode(data) {
        return Some(Refusal::SmartSession(smart_session_error!(
            e,
            current::smart_session::SmartSessionErrors
        )));
    }
    if let Ok(e) = legacy::smart_session::SmartSessionErrors::abi_decode(data) {
        return Some(Refusal::SmartSession(smart_session_error!(
            e,
            legacy::smart_session::SmartSessionErrors
        )));
    }
    if let Ok(e) = EntryPointErrors::abi_decode(data) {
        return Some(Refusal::EntryPointRevert(format!("{e:?}")));
    }
    None
}

/// Interprets a bundler's error message: `AAxx` codes first, then any revert data in it.
pub fn classify(message: &str) -> Refusal {
    if let Some(at) = message.find("AA") {
        let digits: String = message[at + 2..].chars().take_while(char::is_ascii_digit).collect();
        if let (2, Ok(code)) = (digits.len(), digits.parse::<u8>()) {
            // revert data inside the message beats the bare code
            if let Some(r) = hex_in(message).and_then(|d| decode_revert(&d)) {
                return r;
            }
            return Refusal::EntryPoint { code, message: message.to_string() };
        }
    }
    hex_in(message)
        .and_then(|d| decode_revert(&d))
        .unwrap_or_else(|| Refusal::Other(message.to_string()))
}

fn hex_in(message: &str) -> Option<Vec<u8>> {
    let at = message.find("0x")?;
    let h: String = message[at + 2..].chars().take_while(char::is_ascii_hexdigit).collect();
    if h.len() >= 8 && h.len().is_multiple_of(2) { hex::decode(h).ok() } else { None }
}

fn refused(method: &'static str, e: impl fmt::Display + ErrorCode) -> BundlerError {
    BundlerError { method, code: e.code(), refusal: classify(&e.to_string()) }
}

/// Access to a JSON-RPC error code.
pub trait ErrorCode {
    /// The code, when the error is a JSON-RPC error response.
    fn code(&self) -> Option<i64>;
}

impl ErrorCode for alloy_provider::transport::TransportError {
    fn code(&self) -> Option<i64> {
        self.as_error_resp().map(|e| e.code)
    }
}

/// The bundler methods, for any provider pointed at a bundler.
#[allow(async_fn_in_trait)]
pub trait BundlerApi: Provider + Sized {
    /// `eth_sendUserOperation`: the user-operation hash.
    #[tracing::instrument(level = "debug", name = "eth_sendUserOperation", skip_all, fields(sender = %op.sender, nonce = %op.nonce))]
    async fn send_user_operation(
        &self,
        op: &UserOperation,
        entry_point: Address,
    ) -> Result<B256, BundlerError> {
        self.raw_request("eth_sendUserOperation".into(), (op, entry_point))
            .await
            .map_err(|e| refused("eth_sendUserOperation", e))
    }

    /// `eth_estimateUserOperationGas` (the signature must be a stub of the real shape).
    #[tracing::instrument(level = "debug", name = "eth_estimateUserOperationGas", skip_all, fields(sender = %op.sender))]
    async fn estimate_user_operation_gas(
        &self,
        op: &UserOperation,
        entry_point: Address,
    ) -> Result<GasEstimate, BundlerError> {
        self.raw_request("eth_estimateUserOperationGas".into(), (op, entry_point))
            .await
            .map_err(|e| refused("eth_estimateUserOperationGas", e))
    }

    /// `eth_getUserOperationReceipt`.
    async fn user_operation_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationReceipt>, BundlerError> {
        self.raw_request("eth_getUserOperationReceipt".into(), (hash,))
            .await
            .map_err(|e| refused("eth_getUserOperationReceipt", e))
    }

    /// Polls for the receipt with backoff (50 ms doubling to 1 s) until `timeout`.
    #[tracing::instrument(level = "debug", name = "wait_for_user_operation_receipt", skip(self), fields(user_op_hash = %hash))]
    async fn wait_for_user_operation_receipt(
        &self,
        hash: B256,
        timeout: Duration,
    ) -> Result<UserOperationReceipt, BundlerError> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(50);
        loop {
            if let Some(r) = self.user_operation_receipt(hash).await? {
                return Ok(r);
            }
            if start.elapsed() >= timeout {
                return Err(BundlerError {
                    method: "eth_getUserOperationReceipt",
                    code: None,
                    refusal: Refusal::Other(format!("no receipt for {hash} within {timeout:?}")),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// `eth_supportedEntryPoints`: the `EntryPoint`s the bundler serves.
    async fn supported_entry_points(&self) -> Result<Vec<Address>, BundlerError> {
        self.raw_request("eth_supportedEntryPoints".into(), Vec::<()>::new())
            .await
            .map_err(|e| refused("eth_supportedEntryPoints", e))
    }

    /// `eth_getUserOperationByHash`: the operation and where it was included, `None` when the
    /// bundler does not know the hash.
    async fn user_operation_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationByHash>, BundlerError> {
        self.raw_request("eth_getUserOperationByHash".into(), (hash,))
            .await
            .map_err(|e| refused("eth_getUserOperationByHash", e))
    }

    /// Alchemy's `rundler_maxPriorityFeePerGas`: the tip the bundler wants.
    async fn rundler_max_priority_fee_per_gas(&self) -> Result<U256, BundlerError> {
        let tip: Quantity = self
            .raw_request("rundler_maxPriorityFeePerGas".into(), Vec::<()>::new())
            .await
            .map_err(|e| refused("rundler_maxPriorityFeePerGas", e))?;
        Ok(tip.0)
    }

    /// `pimlico_getUserOperationGasPrice`: the `fast` tier as `(maxFeePerGas, maxPriorityFeePerGas)`.
    async fn pimlico_gas_price(&self) -> Result<(U256, U256), BundlerError> {
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Tier {
            max_fee_per_gas: U256,
            max_priority_fee_per_gas: U256,
        }
        #[derive(Debug, Deserialize)]
        struct Prices {
            fast: Tier,
        }
        let p: Prices = self
            .raw_request("pimlico_getUserOperationGasPrice".into(), Vec::<()>::new())
            .await
            .map_err(|e| refused("pimlico_getUserOperationGasPrice", e))?;
        Ok((p.fast.max_fee_per_gas, p.fast.max_priority_fee_per_gas))
    }

    /// `biconomy_getGasFeeValues`: the `fast` tier as `(maxFeePerGas, maxPriorityFeePerGas)`.
    /// Quantities may be `0x` hex or decimal strings (or JSON numbers).
    async fn biconomy_gas_fee_values(&self) -> Result<(U256, U256), BundlerError> {
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Tier {
            max_fee_per_gas: Quantity,
            max_priority_fee_per_gas: Quantity,
        }
        #[derive(Debug, Deserialize)]
        struct Prices {
            fast: Tier,
        }
        let p: Prices = self
            .raw_request("biconomy_getGasFeeValues".into(), Vec::<()>::new())
            .await
            .map_err(|e| refused("biconomy_getGasFeeValues", e))?;
        Ok((p.fast.max_fee_per_gas.0, p.fast.max_priority_fee_per_gas.0))
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

impl<P: Provider> BundlerApi for P {}
