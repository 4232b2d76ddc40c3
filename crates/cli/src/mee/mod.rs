//! `smart-sessions mee info|receipt|prepare|grant|use|status`: an MEE node's capabilities, a
//! supertransaction's receipt, and seed 003's session flows (`prepareForPermissions`,
//! `grantPermission*`, `usePermission`, `checkEnabledPermissions`) through
//! [`smart_sessions_mee::flows::MeeSessions`]. One module per command ([`info`], [`receipt`],
//! [`prepare`], [`grant`], [`use_cmd`], [`status`]); the shared arguments in [`args`], the
//! way from arguments to flows and from outcomes to exit codes in `stack`.
//!
//! The node comes from `--mee-url` or `$SMART_SESSIONS_MEE_URL` (default: Biconomy's node), the
//! key from `--api-key` or `$SMART_SESSIONS_MEE_API_KEY`, the chains from `--rpc-url
//! CHAIN_ID=URL` or `$SMART_SESSIONS_MEE_RPC_URLS`. None of them is ever printed: URLs are shown
//! as scheme, host, port and path, and the key (sent as `x-api-key`) is remembered by
//! [`crate::redact`] so a node that echoes it has it replaced in every printed text, logs
//! included. Keys come from environment variables or keystores as for the other network
//! commands ([`crate::net::keys`]).
//!
//! Exit codes: 0 success, 1 the operation failed (a refused call among them), 2 usage error,
//! 3 ([`crate::net::EXIT_OUTCOME_UNKNOWN`]) a supertransaction may have executed: its hash is
//! printed; look it up with `mee receipt HASH --wait` before sending again.

pub mod args;
pub mod grant;
pub mod info;
pub mod prepare;
pub mod receipt;
mod stack;
pub mod status;
pub mod use_cmd;

pub use args::{ApiKeyArg, MeeNode, Stack};

use crate::text::printable;
use alloy_primitives::{Address, B256};
use clap::Subcommand;
use serde_json::Value;
use smart_sessions_codec::Generation;
use smart_sessions_mee::{
    flows::FlowError,
    node::{ConfigError, NodeError},
    session::PrecheckError,
};
use std::path::PathBuf;

/// The `mee …` subcommands, which talk to an MEE node (and, for the session flows, to the
/// chains); [`run`] runs one.
#[derive(Subcommand, Debug)]
pub enum MeeCommand {
    /// The node's version and the chains it serves (`GET info`); with `--chain`, fails (exit 1)
    /// when the node does not serve one of them, as `createMeeClient` does.
    #[command(
        after_help = "Examples:\n  SMART_SESSIONS_MEE_API_KEY=… smart-sessions mee info\n  smart-sessions --json mee info --mee-url http://127.0.0.1:3000/v1 --chain 8453 --chain 10"
    )]
    Info {
        /// The MEE node to ask (`--mee-url`, `--api-key`).
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
        /// The supertransaction hash (printed by `mee prepare` and `mee use`, also when they
        /// exit with code 3).
        hash: B256,
        /// The MEE node to ask (`--mee-url`, `--api-key`).
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
    /// `prepareForPermissions`: deploy the owner's account where needed, install `SmartSessions`
    /// and make it a safe sender of the MEE validator on every chain, in one supertransaction
    /// (owner key); prints the supertransaction hash and the account address per chain. Exit 3:
    /// the outcome is unknown (the hash is printed).
    #[command(
        after_help = "Example:\n  SMART_SESSIONS_OWNER_KEY=0x… smart-sessions mee prepare --rpc-url 8453=https://… --rpc-url 10=https://… --fee-token 8453:0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
    )]
    Prepare(prepare::PrepareCmd),
    /// `grantPermissionTypedDataSign` (`--typed-data`) or `grantPermissionPersonalSign`
    /// (`--personal`): the owner signs once, off chain, sessions for `--redeemer` on every chain
    /// of the request's actions; writes the `sessionDetails` (abstractjs `stringify` form).
    #[command(
        after_help = "Example:\n  SMART_SESSIONS_OWNER_KEY=0x… smart-sessions mee grant --rpc-url 8453=https://… --typed-data --redeemer 0x… --request actions.json --fee-token 8453:0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913 --max-payment-amount 5000000 --out session.json\n\nactions.json: {\"actions\":[{\"chainId\":8453,\"contractAddress\":\"0x…\",\"functionSelector\":\"0xd09de08a\",\"sudo\":true}]} (each entry an actionPoliciesInfo entry of `grant --request`, with its chainId)"
    )]
    Grant(grant::GrantCmd),
    /// `usePermission`: the session key runs calls under the details (USE, or ENABLE_AND_USE
    /// when the sessions are not enabled yet), checked first against the sessions' policies
    /// off chain (a refused call costs nothing: exit 1, the rule named). Prints the
    /// supertransaction hash; exit 3: the outcome is unknown (the hash is printed).
    #[command(
        name = "use",
        after_help = "Example:\n  SMART_SESSIONS_SESSION_KEY=0x… smart-sessions mee use --rpc-url 8453=https://… --owner 0x… --details session.json --call 8453:0xCOUNTER:0:0xd09de08a --sponsored"
    )]
    Use(use_cmd::UseCmd),
    /// `checkEnabledPermissions` for a details file across its chains (`{permissionId:
    /// {chainId: bool}}`) and each session's remaining budgets, the fee budget included.
    #[command(
        after_help = "Example:\n  smart-sessions --json mee status --rpc-url 8453=https://… --owner 0x… --details session.json"
    )]
    Status(status::StatusCmd),
}

/// Why a `mee` command failed before or instead of an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeeError {
    /// A flag's value is not usable (zero timeout, bad URL or key): the flag is named.
    #[error("{flag}: {source}")]
    Config {
        /// The flag whose value the MEE client refuses (`--mee-url`, `--api-key`, `--timeout` or
        /// `--receipt-timeout`).
        flag: &'static str,
        /// The client's reason (it never contains the URL's secrets or the key).
        #[source]
        source: ConfigError,
    },
    /// A URL argument is not a URL (shown redacted).
    #[error(transparent)]
    Url(#[from] crate::redact::UrlError),
    /// A flag is missing or out of range.
    #[error("{flag}: {reason}")]
    Usage {
        /// The flag that is missing or out of range (e.g. `--rpc-url`, `--poll-interval`).
        flag: &'static str,
        /// What is wrong, and what to pass instead.
        reason: &'static str,
    },
    /// A flag's value does not parse (the value is shown: these flags hold no secrets).
    #[error("{flag} {value:?}: {reason}")]
    Value {
        /// The flag whose value does not parse (e.g. `--fee-token`, `--call`, `--rpc-url`).
        flag: &'static str,
        /// The value, as typed.
        value: String,
        /// What the value should be (e.g. `expected CHAIN_ID:ADDRESS`).
        reason: &'static str,
    },
    /// A key could not be loaded, or a key flag was refused (names the source, never the key).
    #[error(transparent)]
    Key(#[from] crate::net::NetError),
    /// An input file could not be read (names the flag, path and limit).
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// An input file is not JSON.
    #[error("{flag} {}: {source}", path.display())]
    Json {
        /// The flag naming the file (`--request`, `--deployments` or `--details`).
        flag: &'static str,
        /// The file given with that flag.
        path: PathBuf,
        /// The parser's reason (line and column).
        #[source]
        source: serde_json::Error,
    },
    /// An input file's content is refused (a version table, session details): the field is
    /// named by the source.
    #[error("{flag} {}: {source}", path.display())]
    File {
        /// The flag naming the file (`--deployments` or `--details`).
        flag: &'static str,
        /// The file given with that flag (`sessionToEnable` when a session inside `--details` is at
        /// fault).
        path: PathBuf,
        /// Which field, and why.
        #[source]
        source: smart_sessions_mee::MeeError,
    },
    /// `--version` names no MEE version.
    #[error("--version {value:?}: {source}")]
    Version {
        /// The `--version` value, as typed.
        value: String,
        /// The MEE crate's `UnknownVersion` error.
        #[source]
        source: smart_sessions_mee::MeeError,
    },
    /// The `--request` file of `mee grant` is refused.
    #[error("--request {}{}: {reason}", path.display(), action.map(|i| format!(": action {i}")).unwrap_or_default())]
    Request {
        /// The `--request` file.
        path: PathBuf,
        /// The action's index, when one is at fault.
        action: Option<usize>,
        /// What is wrong with the file or the action (e.g. `no action`).
        reason: &'static str,
        /// The reader's or policy builder's error (it names the field).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// A chain endpoint could not be set up (shown redacted).
    #[error("{flag}: {source}")]
    Endpoint {
        /// Where the chain's URL came from (`--rpc-url`, or `--deployments chains[].rpcUrl`).
        flag: &'static str,
        /// The client's reason the URL is refused (shown redacted).
        #[source]
        source: smart_sessions_client::EndpointError,
    },
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The `--out` file that could not be written.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A call is for a chain the details have no session for.
    #[error("--call: the details have no session on chain {chain_id}")]
    NoSession {
        /// The chain id without a session (of a `--call`; in `mee status`, a session's chain
        /// without a `--rpc-url`).
        chain_id: u64,
    },
    /// `--account` is not deployed on a chain (there is no initCode without the owner).
    #[error("--account {account}: not deployed on chain {chain_id} (pass --owner to derive it)")]
    Undeployed {
        /// The `--account` address given.
        account: Address,
        /// A chain where no account is deployed at that address (the first one found).
        chain_id: u64,
    },
    /// `--mode auto` found the sessions enabled on some chains of the calls and not on others.
    #[error(
        "--mode auto: the sessions are enabled on chain(s) {enabled:?} but not on {not_enabled:?}: pass --mode use or --mode enable-and-use, or split the calls"
    )]
    MixedEnabled {
        /// Chains where the session is enabled.
        enabled: Vec<u64>,
        /// Chains where it is not.
        not_enabled: Vec<u64>,
    },
    /// The off-chain policy pre-check refuses a call (or the quoted fee): nothing was sent and
    /// no fee was taken. The source names the chain, the call and the rule.
    #[error("refused before sending (no fee taken)")]
    Refused {
        /// The pre-check's verdict.
        #[source]
        source: PrecheckError,
    },
    /// A session's layout does not fit the table's SmartSession generation.
    #[error("the session on chain {chain_id} does not fit the table's SmartSession generation")]
    Layout {
        /// The chain id of the session whose layout does not fit.
        chain_id: u64,
        /// The MEE crate's error saying what does not fit.
        #[source]
        source: smart_sessions_mee::MeeError,
    },
    /// A policy state read of `mee status` failed.
    #[error("chain {chain_id}: reading the session's policies failed")]
    Read {
        /// The chain id whose policy state could not be read.
        chain_id: u64,
        /// The client's error.
        #[source]
        source: smart_sessions_client::FlowError,
    },
    /// A flow step failed before any supertransaction existed (nothing was sent).
    #[error("{step} failed")]
    Flow {
        /// The flow step that failed (e.g. `the account`, `grant`, `prepare`, `use`,
        /// `checkEnabledPermissions`).
        step: &'static str,
        /// The MEE flow's error, with its own `source()` chain.
        #[source]
        source: FlowError,
    },
    /// The node request failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The node does not serve chains the user asked for.
    #[error("MEE node {node} does not serve chain(s) {unsupported:?} (it serves {served:?})")]
    Unsupported {
        /// The node's URL, redacted (scheme, host, port and path).
        node: String,
        /// The chains asked for that it does not serve.
        unsupported: Vec<u64>,
        /// The chain ids the node's `GET info` lists as served.
        served: Vec<u64>,
    },
}

impl MeeError {
    /// Whether this is a usage error (exit 2) rather than a failed operation (exit 1).
    pub fn is_usage(&self) -> bool {
        match self {
            Self::Key(e) => e.is_usage(),
            Self::Config { .. }
            | Self::Url(_)
            | Self::Usage { .. }
            | Self::Value { .. }
            | Self::Input(_)
            | Self::Json { .. }
            | Self::File { .. }
            | Self::Version { .. }
            | Self::Request { .. }
            | Self::Endpoint { .. }
            | Self::NoSession { .. }
            | Self::MixedEnabled { .. } => true,
            _ => false,
        }
    }
}

/// What a `mee` command answers: the output, and the exit code; `error` is set (and is in
/// `output` too, with `--json`) when the code is not 0 and the command has a message.
#[derive(Debug)]
pub struct Answer {
    /// The result (`InfoSummary::to_json`, `receipt_json`, a flow's summary); every string
    /// printable.
    pub output: Value,
    /// The code the process exits with: 0 success, 1 the operation failed, 3 outcome unknown
    /// ([`crate::net::EXIT_OUTCOME_UNKNOWN`]); `mee receipt` uses the receipt's codes (see
    /// [`MeeCommand::Receipt`]).
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

/// Adds the fields of `from` (an object) to `into`.
fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

/// Runs a `mee` command; `g` is the SmartSession generation of a custom version table
/// (`--deployments`).
pub async fn run(command: &MeeCommand, g: Generation) -> Result<Answer, MeeError> {
    crate::tls::install_crypto_provider();
    let answer = match command {
        MeeCommand::Info { node, chains, timeout } => info::run(node, chains, *timeout).await?,
        MeeCommand::Receipt { hash, node, wait, fast_block, poll_interval, timeout } => {
            let poll = receipt::Poll {
                wait: *wait,
                fast_block: *fast_block,
                poll_interval: *poll_interval,
                timeout: *timeout,
            };
            receipt::run(*hash, node, poll).await?
        }
        MeeCommand::Prepare(c) => prepare::run(c, g).await?,
        MeeCommand::Grant(c) => grant::run(c, g).await?,
        MeeCommand::Use(c) => use_cmd::run(c, g).await?,
        MeeCommand::Status(c) => status::run(c, g).await?,
    };
    Ok(Answer { output: printable_json(answer.output), ..answer })
}
