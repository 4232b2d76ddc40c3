//! `smart-sessions mee info|receipt`: an MEE node's capabilities and a supertransaction's
//! receipt, through `smart_sessions_mee::node::commands` (the command design is documented
//! there).
//!
//! The node comes from `--mee-url` or `$SMART_SESSIONS_MEE_URL` (default: Biconomy's node), the
//! key from `--api-key` or `$SMART_SESSIONS_MEE_API_KEY`. Neither is ever printed: the node is
//! shown as scheme, host, port and path, and the key (sent as `x-api-key`) is remembered by
//! [`crate::redact`] so a node that echoes it has it replaced in every printed text, logs
//! included.

use crate::{
    redact::UrlArg,
    text::{printable, with_causes},
};
use alloy_primitives::B256;
use clap::{Args, Subcommand};
use serde_json::Value;
use smart_sessions_mee::node::{
    ConfigError, DEFAULT_REQUEST_TIMEOUT, MeeClient, NodeError, NodeUrl, ReceiptMode, WaitOptions,
    commands::{self, ReceiptExit},
};
use std::time::Duration;

/// An API key given by flag or environment: its `Debug` never shows it, and parsing it
/// remembers it for [`crate::redact::scrub`].
#[derive(Clone)]
pub struct ApiKeyArg(String);

impl std::str::FromStr for ApiKeyArg {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::redact::remember_secret(s);
        Ok(Self(s.to_string()))
    }
}

impl std::fmt::Debug for ApiKeyArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeyArg(<redacted>)")
    }
}

/// Which MEE node, and how to reach it.
#[derive(Args, Debug, Clone)]
pub struct MeeNode {
    /// The MEE node's base URL (default: Biconomy's, `https://network.biconomy.io/v1`). Printed
    /// as scheme, host, port and path only.
    #[arg(long, env = "SMART_SESSIONS_MEE_URL", hide_env_values = true, value_name = "URL")]
    pub mee_url: Option<UrlArg>,
    /// The node's API key, sent as `x-api-key` and never printed. Prefer
    /// `$SMART_SESSIONS_MEE_API_KEY`: a key on the command line lands in shell history.
    #[arg(long, env = "SMART_SESSIONS_MEE_API_KEY", hide_env_values = true, value_name = "KEY")]
    pub api_key: Option<ApiKeyArg>,
}

/// `mee` subcommands.
#[derive(Subcommand, Debug)]
pub enum MeeCommand {
    /// The node's version and the chains it serves (`GET info`); with `--chain`, fails (exit 1)
    /// when the node does not serve one of them, as `createMeeClient` does.
    #[command(
        after_help = "Examples:\n  SMART_SESSIONS_MEE_API_KEY=… smart-sessions mee info\n  smart-sessions --json mee info --mee-url http://127.0.0.1:3000/v1 --chain 8453 --chain 10"
    )]
    Info {
        /// The node.
        #[command(flatten)]
        node: MeeNode,
        /// A chain the node must serve (repeatable).
        #[arg(long = "chain", value_name = "ID")]
        chains: Vec<u64>,
        /// Bound on the request, in seconds.
        #[arg(long, default_value_t = 30, value_name = "SECS")]
        timeout: u64,
    },
    /// A supertransaction's receipt (`GET explorer/HASH`), folded as the SDK folds it. Exit
    /// codes: 0 final success, 1 failed (the failing userOp and the node's message are printed),
    /// 2 unknown outcome (timeout or failed poll: look again with the hash), 3 not final yet
    /// (without `--wait`).
    #[command(
        after_help = "Examples:\n  smart-sessions mee receipt 0x…\n  smart-sessions --json mee receipt 0x… --wait --timeout 120"
    )]
    Receipt {
        /// The supertransaction hash.
        hash: B256,
        /// The node.
        #[command(flatten)]
        node: MeeNode,
        /// Poll until the status is final (bounded by `--timeout`).
        #[arg(long)]
        wait: bool,
        /// Count mined results at once, without waiting for the node's confirmation.
        #[arg(long)]
        fast_block: bool,
        /// Pause between polls, in milliseconds (default: the SDK's, 250; 75 with
        /// `--fast-block`).
        #[arg(long, value_name = "MS")]
        poll_interval: Option<u64>,
        /// Bound on one poll, or with `--wait` on the whole wait, in seconds.
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        timeout: u64,
    },
}

/// Why a `mee` command failed before or instead of an answer.
#[derive(Debug, thiserror::Error)]
pub enum MeeError {
    /// A flag's value is not usable (zero timeout, bad URL or key): the flag is named.
    #[error("{flag}: {source}")]
    Config {
        /// The flag.
        flag: &'static str,
        /// The client's reason (it never contains the URL's secrets or the key).
        #[source]
        source: ConfigError,
    },
    /// A URL argument is not a URL (shown redacted).
    #[error(transparent)]
    Url(#[from] crate::redact::UrlError),
    /// A flag's value is out of range.
    #[error("{flag}: {reason}")]
    Usage {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The node request failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The node does not serve chains the user asked for.
    #[error("MEE node {node} does not serve chain(s) {unsupported:?} (it serves {served:?})")]
    Unsupported {
        /// The node, redacted.
        node: String,
        /// The chains asked for that it does not serve.
        unsupported: Vec<u64>,
        /// The chains it serves.
        served: Vec<u64>,
    },
}

impl MeeError {
    /// Whether this is a usage error (exit 2) rather than a failed operation (exit 1).
    pub const fn is_usage(&self) -> bool {
        matches!(self, Self::Config { .. } | Self::Url(_) | Self::Usage { .. })
    }
}

/// What a `mee` command answers: the output, and the exit code; `error` is set (and is in
/// `output` too, with `--json`) when the code is not 0 and the command has a message.
#[derive(Debug)]
pub struct Answer {
    /// The result (`InfoSummary::to_json`, `receipt_json`); every string printable.
    pub output: Value,
    /// The process exit code.
    pub code: u8,
    /// The error message with its causes, if the command failed.
    pub error: Option<String>,
}

/// Every string of `v` through [`printable`]: the node wrote them.
fn printable_json(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(printable(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(printable_json).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (printable(&k), printable_json(v))).collect())
        }
        other => other,
    }
}

fn secs(flag: &'static str, s: u64) -> Result<Duration, MeeError> {
    if s == 0 {
        return Err(MeeError::Config {
            flag,
            source: ConfigError::ZeroTimeout { which: "request" },
        });
    }
    Ok(Duration::from_secs(s))
}

/// The client for `node` with request bound `timeout`.
fn connect(node: &MeeNode, timeout: Duration) -> Result<MeeClient, MeeError> {
    let url = match &node.mee_url {
        Some(u) => u.parse("--mee-url")?.expose().to_string(),
        None => NodeUrl::BICONOMY.to_string(),
    };
    let key = node.api_key.as_ref().map(|k| k.0.clone());
    commands::connect(Some(&url), key, timeout).map_err(|source| {
        let flag = match source {
            ConfigError::EmptyApiKey | ConfigError::InvalidApiKey { .. } => "--api-key",
            ConfigError::ZeroTimeout { .. } => "--timeout",
            _ => "--mee-url",
        };
        MeeError::Config { flag, source }
    })
}

/// Runs a `mee` command.
pub async fn run(command: &MeeCommand) -> Result<Answer, MeeError> {
    crate::tls::install_crypto_provider();
    match command {
        MeeCommand::Info { node, chains, timeout } => {
            let client = connect(node, secs("--timeout", *timeout)?)?;
            let summary = commands::info_summary(&client, chains).await?;
            if !summary.unsupported.is_empty() {
                return Err(MeeError::Unsupported {
                    node: summary.node,
                    unsupported: summary.unsupported,
                    served: summary.supported_chains,
                });
            }
            Ok(Answer { output: printable_json(summary.to_json()), code: 0, error: None })
        }
        MeeCommand::Receipt { hash, node, wait, fast_block, poll_interval, timeout } => {
            let bound = secs("--timeout", *timeout)?;
            let client = connect(node, bound.min(DEFAULT_REQUEST_TIMEOUT))?;
            let mode = if *fast_block { ReceiptMode::FastBlock } else { ReceiptMode::Default };
            if *poll_interval == Some(0) {
                return Err(MeeError::Usage { flag: "--poll-interval", reason: "must be above 0" });
            }
            let wait = wait.then(|| {
                let o = WaitOptions::new(mode).timeout(bound);
                match poll_interval {
                    Some(ms) => o.poll_interval(Duration::from_millis(*ms)),
                    None => o,
                }
            });
            let result = commands::receipt(&client, *hash, mode, wait).await;
            let code = ReceiptExit::of(&result).code();
            let mut output = commands::receipt_json(*hash, &result);
            let error = result.as_ref().err().map(|e| printable(&with_causes(e)));
            if let Some(e) = &error {
                output["error"] = Value::String(e.clone());
            }
            Ok(Answer {
                output: printable_json(output),
                code: u8::try_from(code).unwrap_or(1),
                error,
            })
        }
    }
}
