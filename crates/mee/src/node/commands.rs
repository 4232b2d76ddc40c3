//! What `smart-sessions mee info` and `smart-sessions mee receipt` call (the CLI crate parses
//! arguments and prints; these functions do the work and shape the output).
//!
//! # Command design
//!
//! ```text
//! smart-sessions mee info    [--mee-url URL] [--api-key KEY] [--chain ID]... [--timeout SECS] [--json]
//! smart-sessions mee receipt HASH [--mee-url URL] [--api-key KEY] [--wait] [--fast-block]
//!                            [--poll-interval MS] [--timeout SECS] [--json]
//! ```
//!
//! - `--mee-url` falls back to `$SMART_SESSIONS_MEE_URL` ([`MEE_URL_ENV`]), then to the SDK's default node
//!   ([`NodeUrl::BICONOMY`](super::NodeUrl::BICONOMY)). `--api-key` falls back to `$SMART_SESSIONS_MEE_API_KEY`
//!   ([`MEE_API_KEY_ENV`]); clap should declare it with `hide_env_values = true` so `--help`
//!   never shows it. Neither is ever printed: output names the node by
//!   [`NodeUrl`](super::NodeUrl)'s redacted form and errors by host. A key given on the command
//!   line lands in shell history: the CLI should prefer the variable and say so in `--help`.
//! - `info` prints [`InfoSummary`] (`--json`: [`InfoSummary::to_json`]). With `--chain`, it
//!   fails (exit 1) when the node does not serve one of them, as `createMeeClient` does.
//! - `receipt` polls once, or with `--wait` until final within `--timeout` (default
//!   [`DEFAULT_RECEIPT_TIMEOUT`](super::DEFAULT_RECEIPT_TIMEOUT)); it prints
//!   [`receipt_json`] and exits with [`ReceiptExit::code`]: 0 final success, 1 failed (the
//!   failing userOp and the node's message are printed), 2 unknown outcome (timeout or failed
//!   poll; the hash is printed so the user can look again), 3 not final yet (without `--wait`).
//! - Errors print their `Display` and the `source()` chain; none contains the key.

use std::time::Duration;

use alloy_primitives::B256;
use serde_json::{Value, json};

use super::{
    ConfigError, MeeClient, NodeError, ReceiptError, ReceiptMode, SupertransactionReceipt,
    TransactionStatus, WaitOptions,
};

/// The environment variable for the node URL.
pub const MEE_URL_ENV: &str = "SMART_SESSIONS_MEE_URL";
/// The environment variable for the API key.
pub const MEE_API_KEY_ENV: &str = "SMART_SESSIONS_MEE_API_KEY";

/// Builds the client the commands use: `url` (or [`NodeUrl::BICONOMY`](super::NodeUrl::BICONOMY)),
/// an optional key, and a request timeout. The CLI resolves flags and environment first.
pub fn connect(
    url: Option<&str>,
    api_key: Option<String>,
    timeout: Duration,
) -> Result<MeeClient, ConfigError> {
    let mut builder = MeeClient::builder(url.unwrap_or(super::NodeUrl::BICONOMY)).timeout(timeout);
    if let Some(key) = api_key {
        builder = builder.api_key(key);
    }
    builder.build()
}

/// What `mee info` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoSummary {
    /// The node, redacted (`scheme://host[:port]/path`).
    pub node: String,
    /// The node's `version`, if it sent one.
    pub version: Option<String>,
    /// The chain ids the node serves (`supportedChains` of `GET info`).
    pub supported_chains: Vec<u64>,
    /// Chains whose fee tokens it accepts.
    pub gas_token_chains: Vec<u64>,
    /// Of the chains asked about, those it does not serve.
    pub unsupported: Vec<u64>,
}

impl InfoSummary {
    /// `{node, version, supportedChains, gasTokenChains, unsupported}`.
    pub fn to_json(&self) -> Value {
        json!({
            "node": self.node,
            "version": self.version,
            "supportedChains": self.supported_chains,
            "gasTokenChains": self.gas_token_chains,
            "unsupported": self.unsupported,
        })
    }
}

/// `GET info`, summarised, checking `required_chains` the way `createMeeClient` does (the caller
/// fails when [`InfoSummary::unsupported`] is not empty).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use smart_sessions_mee::node::commands::{connect, info_summary};
///
/// let node = connect(None, std::env::var("SMART_SESSIONS_MEE_API_KEY").ok(), std::time::Duration::from_secs(10))?;
/// let summary = info_summary(&node, &[8453, 10]).await?;
/// println!("{}", summary.to_json());
/// # Ok(()) }
/// ```
pub async fn info_summary(
    client: &MeeClient,
    required_chains: &[u64],
) -> Result<InfoSummary, NodeError> {
    let info = client.info().await?;
    Ok(InfoSummary {
        node: client.url().to_string(),
        version: info.version().map(str::to_owned),
        supported_chains: info.supported_chains().to_vec(),
        gas_token_chains: info.gas_token_chains().to_vec(),
        unsupported: info.unsupported_chains(required_chains),
    })
}

/// How `mee receipt` ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptExit {
    /// Final `MINED_SUCCESS`.
    Success,
    /// `FAILED` or `MINED_FAIL`.
    Failed,
    /// Timeout or failed poll: the outcome is unknown.
    Unknown,
    /// One poll, not final yet.
    NotFinal,
}

impl ReceiptExit {
    /// Classifies a receipt wait's result: final success, known failure, unknown outcome, or
    /// not final yet (a single poll).
    pub const fn of(result: &Result<SupertransactionReceipt, ReceiptError>) -> Self {
        match result {
            Ok(r)
                if r.is_finalised() && matches!(r.fold.status, TransactionStatus::MinedSuccess) =>
            {
                Self::Success
            }
            Ok(_) => Self::NotFinal,
            Err(ReceiptError::Failed { .. }) => Self::Failed,
            Err(_) => Self::Unknown,
        }
    }

    /// The process exit code: 0 success, 1 failed, 2 unknown, 3 not final.
    pub const fn code(self) -> i32 {
        match self {
            Self::Success => 0,
            Self::Failed => 1,
            Self::Unknown => 2,
            Self::NotFinal => 3,
        }
    }
}

/// `mee receipt`: one poll (`wait = None`) or a bounded wait.
pub async fn receipt(
    client: &MeeClient,
    hash: B256,
    mode: ReceiptMode,
    wait: Option<WaitOptions>,
) -> Result<SupertransactionReceipt, ReceiptError> {
    match wait {
        Some(options) => client.wait_for_supertransaction_receipt(hash, options).await,
        None => client.get_supertransaction_receipt(hash, mode).await,
    }
}

/// The JSON `mee receipt` prints for a result: `{hash, transactionStatus, isFinalised, message,
/// userOps: [{chainId, executionStatus, executionData}]}` on a receipt; `{hash, error, kind,
/// userOpIndex?, executionError?}` on an error (`kind`: `failed` or `unknown`).
pub fn receipt_json(hash: B256, result: &Result<SupertransactionReceipt, ReceiptError>) -> Value {
    match result {
        Ok(r) => json!({
            "hash": hash,
            "transactionStatus": r.status().as_str(),
            "isFinalised": r.is_finalised(),
            "message": r.fold.message,
            "userOps": r.user_ops().iter().map(|op| json!({
                "chainId": op.get("chainId"),
                "executionStatus": op.get("executionStatus"),
                "executionData": op.get("executionData"),
            })).collect::<Vec<_>>(),
        }),
        Err(e @ ReceiptError::Failed { index, execution_error, .. }) => json!({
            "hash": hash,
            "error": e.to_string(),
            "kind": "failed",
            "userOpIndex": index,
            "executionError": execution_error.as_ref().map(|m| m.to_string()),
        }),
        Err(e) => json!({ "hash": hash, "error": e.to_string(), "kind": "unknown" }),
    }
}
