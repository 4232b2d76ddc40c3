//! The network subcommands: `account`, `grant`, `use`, `status`, `revoke`, `trust-attesters`,
//! and `key` for encrypted keystores. Every command talks to a node (`--rpc-url`) and, when it
//! sends user operations, a bundler (`--bundler-url`), through `smart-sessions-client` (in the
//! private `flows` module only).
//!
//! Keys come from environment variables or encrypted keystore files. A private key on the command
//! line (visible in shell history and the process list) is refused unless
//! `--unsafe-key-on-command-line` is given. Errors never contain key material.
//!
//! Layout: one module per command ([`account`], [`grant`], [`use_cmd`], [`status`], [`revoke`],
//! [`trust`], [`key`]), the shared arguments in [`args`], [`keys`] and [`endpoint`].

pub mod account;
pub mod args;
pub mod endpoint;
mod flows;
pub mod grant;
pub mod key;
pub mod keys;
pub mod op;
pub mod revoke;
pub mod status;
pub mod trust;
pub mod usage;
pub mod use_cmd;

pub use args::{AccountArgs, FactoryKind, OffChain};
pub use endpoint::Endpoint;
pub use key::KeyAction;
pub use keys::{KeyOptions, OwnerKey, Secret, SessionKey};
pub use usage::Usage;

use clap::Subcommand;
use serde_json::Value;
use smart_sessions_codec::Generation;
use std::path::PathBuf;

/// A failure of a network command. [`NetError::is_usage`] tells a usage error (exit 2) from a
/// failed operation (exit 1); the causes are kept as `source()`s.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Bad arguments: names the flag and what is wrong.
    #[error(transparent)]
    Usage(#[from] Usage),
    /// An input file could not be read (names the flag, path and limit).
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// A URL argument is not a URL (shown redacted).
    #[error(transparent)]
    Url(#[from] crate::redact::UrlError),
    /// A keystore could not be decrypted or written.
    #[error("{role} keystore {}: {source}", path.display())]
    Keystore {
        /// Whose keystore, the message's first word: `owner` or `session`; for `key`, `new`
        /// (creating it) or `the` (reading it).
        role: &'static str,
        /// The keystore file that could not be decrypted (or, for `key new`, created).
        path: PathBuf,
        /// The signer's reason.
        #[source]
        source: alloy_signer_local::LocalSignerError,
    },
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The output file (`--out`) that could not be written.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// An endpoint could not be set up (a URL that is not `http(s)` with a host, an unusable
    /// `--ca-cert`); shown redacted.
    #[error("{flag}: {source}")]
    Endpoint {
        /// The flag (`--rpc-url`, `--bundler-url`, `--paymaster-url`, `--ca-cert`).
        flag: &'static str,
        /// The client's reason the URL or certificate is refused.
        #[source]
        source: smart_sessions_client::EndpointError,
    },
    /// The deployment table's contracts are not all on the chain (names each missing one).
    #[error("{}", detect_message(generation, source))]
    Detect {
        /// The generation whose table was checked.
        generation: &'static str,
        /// The client's finding.
        #[source]
        source: smart_sessions_client::DetectError,
    },
    /// Encoding a result as JSON failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The client's flow or node call failed (its error, with its own `source()` chain).
    #[error(transparent)]
    Client(Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// An error and its `source()` chain as one line: `outer: inner: …`.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut m = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        m.push_str(&format!(": {c}"));
        cause = c.source();
    }
    m
}

/// A detection error with its causes (the node's error for a failed batch), and the way out
/// when the table does not match the chain.
fn detect_message(generation: &str, e: &smart_sessions_client::DetectError) -> String {
    use smart_sessions_client::DetectError as D;
    let mut m = format!("{generation} deployment table: {e}");
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        m.push_str(&format!(": {c}"));
        cause = c.source();
    }
    if matches!(e, D::Missing { .. } | D::Unset { .. }) {
        m.push_str(" (pass --deployments FILE or --set FIELD=ADDRESS)");
    }
    m
}

impl NetError {
    /// Whether this is a usage error (exit 2) rather than a failed operation (exit 1).
    pub const fn is_usage(&self) -> bool {
        matches!(self, Self::Usage(_) | Self::Input(_) | Self::Url(_) | Self::Endpoint { .. })
    }

    /// The client's flow error, when this is one.
    pub fn flow(&self) -> Option<&smart_sessions_client::FlowError> {
        match self {
            Self::Client(e) => e.downcast_ref(),
            _ => None,
        }
    }

    /// The operation that may have executed although this error was returned
    /// ([`FlowError::may_have_executed`](smart_sessions_client::FlowError::may_have_executed)):
    /// its user-operation hash, sender and nonce. The caller must not send it again before
    /// looking it up (`smart-sessions op wait HASH`); the binary exits with
    /// [`EXIT_OUTCOME_UNKNOWN`].
    pub fn unknown_outcome(&self) -> Option<UnknownOutcome> {
        use smart_sessions_client::FlowError as F;
        let e = self.flow().filter(|e| e.may_have_executed())?;
        Some(match e {
            F::OutcomeUnknown { user_op_hash, sender, nonce, step, source } => UnknownOutcome {
                user_op_hash: *user_op_hash,
                sender: *sender,
                nonce: *nonce,
                step,
                cause: Some(causes(source.as_ref())),
            },
            F::HashMismatch { expected, sender, nonce, .. } => UnknownOutcome {
                user_op_hash: *expected,
                sender: *sender,
                nonce: *nonce,
                step: "eth_sendUserOperation (the bundler returned another hash)",
                cause: None,
            },
            F::ReceiptMismatch { user_op_hash, sender, nonce, .. } => UnknownOutcome {
                user_op_hash: *user_op_hash,
                sender: *sender,
                nonce: *nonce,
                step: "eth_getUserOperationReceipt (the receipt is for another operation)",
                cause: None,
            },
            // a future variant that may have executed: no hash to show
            _ => return None,
        })
    }

    /// Wraps an error of the client.
    pub(crate) fn client(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Client(Box::new(e))
    }
}

type Res<T> = Result<T, NetError>;

/// The exit code of a command whose user operation may have executed although it failed
/// ([`NetError::unknown_outcome`]): the hash is printed; look it up before sending again.
pub const EXIT_OUTCOME_UNKNOWN: u8 = 3;

/// An operation whose outcome is unknown: what the CLI prints with exit code
/// [`EXIT_OUTCOME_UNKNOWN`].
///
/// ```
/// use alloy_primitives::{Address, B256, U256};
/// use smart_sessions_cli::net::UnknownOutcome;
///
/// let o = UnknownOutcome {
///     user_op_hash: B256::repeat_byte(0x11),
///     sender: Address::repeat_byte(0x22),
///     nonce: U256::from(7),
///     step: "eth_getUserOperationReceipt",
///     cause: None,
/// };
/// assert_eq!(o.to_json()["outcome"], "unknown");
/// assert_eq!(o.to_json()["nonce"], "0x7");
/// // the hint tells how to look it up instead of sending it again
/// let hash = "11".repeat(32);
/// let wait = format!("`smart-sessions op wait 0x{hash} --sender {} --nonce 7`", o.sender);
/// assert!(o.hint().contains("do not send it again") && o.hint().ends_with(&wait));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOutcome {
    /// The user-operation hash (for `smart-sessions op wait HASH`).
    pub user_op_hash: alloy_primitives::B256,
    /// The account that sent it.
    pub sender: alloy_primitives::Address,
    /// The operation's full ERC-4337 nonce (key and sequence).
    pub nonce: alloy_primitives::U256,
    /// The JSON-RPC step after which the outcome is unknown (e.g. `eth_sendUserOperation`).
    pub step: &'static str,
    /// Why that step failed (the error's causes, outermost first), when it says.
    pub cause: Option<String>,
}

impl UnknownOutcome {
    /// The JSON fields added to the error line: `userOpHash`, `sender`, `nonce`,
    /// `outcome: "unknown"`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "userOpHash": self.user_op_hash,
            "sender": self.sender,
            "nonce": self.nonce,
            "outcome": "unknown",
        })
    }

    /// The hint printed under the error line.
    pub fn hint(&self) -> String {
        format!(
            "user operation {} may have executed (outcome unknown after {}): do not send it again; \
             look it up with `smart-sessions op wait {} --sender {} --nonce {}`",
            self.user_op_hash, self.step, self.user_op_hash, self.sender, self.nonce
        )
    }
}

/// The network subcommands (they need a node, and a bundler for those that send): the binary
/// flattens them into its own; [`run`] runs one.
#[derive(Subcommand, Debug)]
pub enum NetCommand {
    /// The account: address, whether deployed, SmartSession and owner validator installed.
    #[command(
        after_help = "Examples:\n  smart-sessions --generation legacy account --owner 0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n  SMART_SESSIONS_OWNER_KEY=0x… smart-sessions --generation legacy account --deployments devnet.json"
    )]
    Account(account::AccountCmd),
    /// Grant permissions (the seed docs' `sessionRequestedInfo` JSON). On chain: one owner user
    /// operation that deploys the account, installs SmartSession and trusts attesters as needed.
    /// Off chain (`--off-chain`): the owner signs, nothing is sent; the session key's first use
    /// enables. Writes the session details the `use` and `status` commands read.
    #[command(
        after_help = "Examples:\n  smart-sessions --generation legacy grant --request request.json --out session.json\n  smart-sessions --generation legacy grant --request request.json --off-chain typed --out session.json\n\nrequest.json: {\"sessionPublicKey\":\"0x…\",\"actionPoliciesInfo\":[{\"contractAddress\":\"0x…\",\"functionSelector\":\"0xa9059cbb\",\"rules\":[{\"condition\":\"LESS_THAN\",\"offsetIndex\":1,\"isLimited\":true,\"ref\":1000,\"usage\":{\"limit\":1500,\"used\":0}}]}]} (or a list of them)"
    )]
    Grant(grant::GrantCmd),
    /// Use a permission: run calls as the session key (USE, or ENABLE_AND_USE on the first use of
    /// an off-chain grant), checked first against the session's policies.
    #[command(
        name = "use",
        after_help = "Example:\n  SMART_SESSIONS_SESSION_KEY=0x… smart-sessions --generation legacy use --details session.json --call 0xTOKEN:0:0xa9059cbb…"
    )]
    Use(use_cmd::UseCmd),
    /// Each permission's grant: `enabled`, `pending` (its first use enables it), `revokedOrRemoved`
    /// (the enable signature is for an older SmartSession nonce) or `removed`; and, while it can
    /// still be used, its remaining budgets.
    #[command(
        after_help = "Example:\n  smart-sessions --generation legacy status --details session.json"
    )]
    Status(status::StatusCmd),
    /// Trust attesters in the ERC-7484 registry (the seed docs' `trustAttesters`): one owner user
    /// operation calling `registry.trustAttesters(threshold, attesters)` from the account.
    #[command(
        name = "trust-attesters",
        after_help = "Example:\n  SMART_SESSIONS_OWNER_KEY=0x… smart-sessions --generation legacy trust-attesters --attesters 0x000000333034E9f539ce08819E12c1b8Cb29084d,0xA4C777199658a41688E9488c4EcbD7a2925Cc23A --threshold 1"
    )]
    TrustAttesters(trust::TrustCmd),
    /// Remove a session (`removeSession`), or with `--enable-signature` invalidate a signed but
    /// unused off-chain grant (`revokeEnableSignature`).
    #[command(
        after_help = "Example:\n  smart-sessions --generation legacy revoke --permission-id 0x…"
    )]
    Revoke(revoke::RevokeCmd),
    /// Encrypted keystores: `key new --keystore FILE` creates a random key (password from
    /// `$SMART_SESSIONS_KEYSTORE_PASSWORD` or `--password-file`) and prints its address.
    #[command(
        after_help = "Example:\n  SMART_SESSIONS_KEYSTORE_PASSWORD=… smart-sessions key new --keystore session-key.json"
    )]
    Key(key::KeyCmd),
    /// A user operation by its hash: `op lookup HASH` (`eth_getUserOperationByHash` and
    /// `eth_getUserOperationReceipt`, once) or `op wait HASH` (the receipt, within
    /// `--receipt-timeout`). For an operation whose outcome is unknown (exit code 3).
    #[command(
        after_help = "Examples:\n  smart-sessions op lookup 0x…\n  smart-sessions op wait 0x… --sender 0x… --nonce 0x… --receipt-timeout 120"
    )]
    Op(op::OpCmd),
}

/// Runs a parsed network command for generation `g` (whose deployment table applies unless
/// `--deployments` replaces it) and returns the JSON the binary prints; installs the TLS provider
/// first. On failure, [`NetError::is_usage`] picks the exit code and [`NetError::unknown_outcome`]
/// names an operation that may have executed.
pub async fn run(command: &NetCommand, g: Generation) -> Res<Value> {
    crate::tls::install_crypto_provider();
    match command {
        NetCommand::Key(c) => key::run(c),
        NetCommand::Account(c) => account::run(c, g).await,
        NetCommand::Grant(c) => grant::run(c, g).await,
        NetCommand::Use(c) => use_cmd::run(c).await,
        NetCommand::Status(c) => status::run(c).await,
        NetCommand::Revoke(c) => revoke::run(c, g).await,
        NetCommand::TrustAttesters(c) => trust::run(c, g).await,
        NetCommand::Op(c) => op::run(c, g).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn errors_keep_their_cause_and_exit_class() {
        let e =
            args::read_text(std::path::Path::new("/nonexistent/r.json"), "--request").unwrap_err();
        assert!(e.is_usage());
        assert_eq!(
            e.to_string(),
            "--request /nonexistent/r.json: cannot open: No such file or directory (os error 2)"
        );
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
        assert_eq!(io.map(std::io::Error::kind), Some(std::io::ErrorKind::NotFound));
        let e = NetError::client(std::io::Error::other("node down"));
        assert!(!e.is_usage() && e.to_string() == "node down");
    }
}
