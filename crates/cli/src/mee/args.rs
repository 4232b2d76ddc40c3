//! Arguments shared by the `mee` commands: the node (`--mee-url`, `--api-key`), the chains
//! (`--rpc-url CHAIN_ID=URL`), the version table (`--version` or `--deployments FILE`), the
//! account, and how a supertransaction is paid (`--fee-token CHAIN_ID:ADDRESS` or
//! `--sponsored`).

use super::MeeError;
use crate::redact::UrlArg;
use alloy_primitives::{Address, U256};
use clap::Args;
use smart_sessions_mee::node::{ConfigError, MeeClient, NodeUrl, commands};
use std::{path::PathBuf, time::Duration};

/// An API key given by flag or environment: its `Debug` never shows it, and parsing it
/// remembers it for [`crate::redact::scrub`].
#[derive(Clone)]
pub struct ApiKeyArg(pub(super) String);

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
    #[arg(long, env = commands::MEE_URL_ENV, hide_env_values = true, value_name = "URL")]
    pub mee_url: Option<UrlArg>,
    /// The node's API key, sent as `x-api-key` and never printed. Prefer
    /// `$SMART_SESSIONS_MEE_API_KEY`: a key on the command line lands in shell history.
    #[arg(long, env = commands::MEE_API_KEY_ENV, hide_env_values = true, value_name = "KEY")]
    pub api_key: Option<ApiKeyArg>,
}

/// The client for `node` with request bound `timeout`.
pub(super) fn connect(node: &MeeNode, timeout: Duration) -> Result<MeeClient, MeeError> {
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

/// A `--rpc-url CHAIN_ID=URL`, kept as given until it is checked (so a bad one gets a typed
/// error naming the flag, and its URL is only ever shown redacted).
#[derive(Clone, Debug)]
pub struct ChainUrl {
    /// What stood before `=` (the chain id), or the whole argument without `=`.
    pub(super) chain: String,
    /// The URL after `=`, if any.
    pub(super) url: Option<UrlArg>,
}

impl std::str::FromStr for ChainUrl {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.split_once('=') {
            Some((chain, url)) => Self { chain: chain.trim().to_string(), url: url.parse().ok() },
            // no `=`: maybe a bare URL; remember its secrets, never show it
            None => {
                let _ = s.parse::<UrlArg>();
                Self { chain: String::new(), url: None }
            }
        })
    }
}

impl ChainUrl {
    /// The chain id and the URL, or the typed reason they are not usable.
    pub(super) fn checked(&self) -> Result<(u64, &UrlArg), MeeError> {
        let url = self.url.as_ref().ok_or(MeeError::Value {
            flag: "--rpc-url",
            value: self.chain.clone(),
            reason: "expected CHAIN_ID=URL",
        })?;
        let chain = self.chain.parse::<u64>().map_err(|_| MeeError::Value {
            flag: "--rpc-url",
            value: self.chain.clone(),
            reason: "the chain id (before `=`) is not an unsigned 64-bit integer",
        })?;
        Ok((chain, url))
    }
}

/// The node, the chains and the contracts: what every `mee` command that talks to chains takes.
#[derive(Args, Debug, Clone)]
pub struct Stack {
    /// The MEE node to talk to (`--mee-url`, `--api-key`).
    #[command(flatten)]
    pub node: MeeNode,
    /// A chain's JSON-RPC URL as `CHAIN_ID=URL` (repeatable; the order is the account's
    /// deployment order). `$SMART_SESSIONS_MEE_RPC_URLS` takes a comma-separated list. URLs are
    /// printed as scheme, host, port and path only. A `--deployments` summary of
    /// `cargo xtask devnet up --mee --json` gives the chains it lists.
    #[arg(
        long = "rpc-url",
        value_name = "CHAIN_ID=URL",
        env = "SMART_SESSIONS_MEE_RPC_URLS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub rpc_urls: Vec<ChainUrl>,
    /// The MEE version table of the SDK (`1.0.0` … `3.0.0`; default `2.0.0`, as the SDK).
    #[arg(long = "version", value_name = "VERSION", conflicts_with = "deployments")]
    pub mee_version: Option<String>,
    /// A custom MEE version table (the SDK's `MeeVersionConfig` JSON), or the whole summary of
    /// `cargo xtask devnet up --mee --json` (its `meeVersion` and `chains[].rpcUrl` are used).
    /// Its session contracts follow `--generation`.
    #[arg(long, value_name = "FILE")]
    pub deployments: Option<PathBuf>,
    /// Bound on each node or chain request, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
}

/// How a supertransaction is paid.
#[derive(Args, Debug, Clone)]
pub struct PaymentArgs {
    /// Pay the fee in this ERC-20 on that chain: `CHAIN_ID:ADDRESS`.
    #[arg(long, value_name = "CHAIN_ID:ADDRESS", required_unless_present = "sponsored")]
    pub fee_token: Option<String>,
    /// Let the node's gas tank pay instead (the SDK's `sponsorship: true`).
    #[arg(long, conflicts_with = "fee_token")]
    pub sponsored: bool,
    /// The gas tank's chain and token with `--sponsored`, `CHAIN_ID:ADDRESS` (default:
    /// Biconomy's trusted tank, USDC on Base).
    #[arg(long, value_name = "CHAIN_ID:ADDRESS", requires = "sponsored")]
    pub gas_tank: Option<String>,
    /// The highest fee accepted, in the fee token's base units: a higher quote is not signed.
    #[arg(long, value_name = "AMOUNT")]
    pub max_fee: Option<U256>,
}

/// Which account: derived from its owner, or given.
#[derive(Args, Debug, Clone)]
pub struct AccountSel {
    /// The owner's address: the account is derived through the table's factory on every chain.
    #[arg(long, value_name = "ADDRESS", required_unless_present = "account")]
    pub owner: Option<Address>,
    /// The account's address (the same on every chain; it must be deployed).
    #[arg(long, value_name = "ADDRESS", conflicts_with = "owner")]
    pub account: Option<Address>,
    /// The account index (the factory salt), with `--owner`.
    #[arg(long, default_value_t = 0)]
    pub index: u64,
}

/// A `CHAIN_ID:ADDRESS` of `flag`.
pub(super) fn chain_address(flag: &'static str, s: &str) -> Result<(u64, Address), MeeError> {
    let bad = |reason| MeeError::Value { flag, value: s.to_string(), reason };
    let (c, a) = s.split_once(':').ok_or_else(|| bad("expected CHAIN_ID:ADDRESS"))?;
    let chain = c.trim().parse::<u64>().map_err(|_| bad("the chain id is not a u64"))?;
    let address = a.trim().parse::<Address>().map_err(|_| bad("not a 20-byte hex address"))?;
    Ok((chain, address))
}

/// A `--timeout`-like flag in seconds: above 0.
pub(super) fn secs(flag: &'static str, s: u64) -> Result<Duration, MeeError> {
    if s == 0 {
        return Err(MeeError::Config {
            flag,
            source: ConfigError::ZeroTimeout { which: "request" },
        });
    }
    Ok(Duration::from_secs(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_urls_and_pairs_are_checked_with_the_flag_named() {
        let ok: ChainUrl = "31337=http://u:SECRETPW@127.0.0.1:8545/?k=SECRETQ".parse().unwrap();
        let (id, url) = ok.checked().unwrap();
        assert_eq!(id, 31337);
        assert!(!format!("{url:?} {ok:?}").contains("SECRET"));
        let bare: ChainUrl = "http://127.0.0.1:8545".parse().unwrap();
        let e = bare.checked().unwrap_err().to_string();
        assert_eq!(e, "--rpc-url \"\": expected CHAIN_ID=URL");
        let e = chain_address("--fee-token", "31337-0x12").unwrap_err().to_string();
        assert_eq!(e, "--fee-token \"31337-0x12\": expected CHAIN_ID:ADDRESS");
        let e = chain_address("--fee-token", "x:0x0000000000000000000000000000000000000001")
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("the chain id is not a u64"), "{e}");
        assert_eq!(
            chain_address("--gas-tank", "10:0x0000000000000000000000000000000000000001").unwrap(),
            (10, Address::with_last_byte(1))
        );
    }
}
