//! Where the chain, the bundler and the paymaster are, how to reach them (TLS roots, timeouts),
//! and which contracts to use.
//!
//! Every provider is built through the client's [`smart_sessions_client::Endpoint`]: rustls with
//! the webpki roots (plus `--ca-cert`), a per-request timeout, and the URL kept out of tracing
//! spans and errors (only scheme, host, port and path are ever shown).

use super::{NetError, Res, Usage, flows::Deployments};
use crate::redact::UrlArg;
use alloy_primitives::Address;
use alloy_provider::{Provider, ProviderBuilder};
use clap::Args;
use serde_json::{Value, json};
use smart_sessions_client::{
    CHAINS, ChainPreset, ClientOptions, EndpointUrl, Erc7677Paymaster, endpoint::EndpointError,
};
use smart_sessions_codec::Generation;
use std::{path::PathBuf, sync::Arc, time::Duration};

/// Where the chain and the bundler are, and which contracts to use.
#[derive(Args, Debug, Clone)]
pub struct Endpoint {
    /// The node's JSON-RPC URL. It may carry an API key (query or userinfo): only its scheme,
    /// host, port and path are ever printed.
    #[arg(
        long,
        env = "SMART_SESSIONS_RPC_URL",
        hide_env_values = true,
        default_value = "http://127.0.0.1:8545",
        value_name = "URL"
    )]
    pub rpc_url: UrlArg,
    /// The ERC-4337 bundler's JSON-RPC URL (commands that send user operations); printed
    /// redacted like `--rpc-url`.
    #[arg(long, env = "SMART_SESSIONS_BUNDLER_URL", hide_env_values = true, value_name = "URL")]
    pub bundler_url: Option<UrlArg>,
    /// An ERC-7677 paymaster service (`pm_getPaymasterStubData` / `pm_getPaymasterData`) that
    /// pays for the operations `use`, `grant` and `revoke` send. Hidden from `--help` (such URLs
    /// carry API keys); printed redacted.
    #[arg(
        long,
        env = "SMART_SESSIONS_PAYMASTER_URL",
        hide = true,
        hide_env_values = true,
        value_name = "URL"
    )]
    pub paymaster_url: Option<UrlArg>,
    /// A PEM file of root certificates trusted in addition to the built-in (webpki) roots, for
    /// `https://` endpoints behind a private CA.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// The bound of each JSON-RPC request, in seconds (connect, TLS and answer).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// The bound of the whole wait for a user operation's receipt, in seconds (after it the
    /// outcome is unknown: exit code 3 with the user-operation hash).
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub receipt_timeout: u64,
    /// The chain the node must be on (`base-sepolia`, `sepolia`, `base`, …): its chain id is
    /// checked, and a testnet adds the mock attester to K1 accounts as `@biconomy/sdk` does.
    /// RPC URLs stay yours.
    #[arg(long, value_name = "NAME", value_parser = parse_chain)]
    pub chain: Option<&'static ChainPreset>,
    /// A JSON file of addresses replacing the generation's table (field names of the client's
    /// `Deployments`, e.g. the devnet's `cargo xtask devnet up --json` output).
    #[arg(long, value_name = "FILE")]
    pub deployments: Option<PathBuf>,
    /// Overrides one address of the table: `FIELD=ADDRESS` (e.g. `smartSession=0x…`); repeatable.
    #[arg(long = "set", value_name = "FIELD=ADDRESS")]
    pub overrides: Vec<String>,
}

/// A `--chain` name: one of the client's [`CHAINS`].
fn parse_chain(name: &str) -> Result<&'static ChainPreset, UnknownChain> {
    CHAINS.iter().find(|c| c.name == name).ok_or_else(|| UnknownChain { name: name.into() })
}

/// A `--chain` name that is none of the client's chain presets ([`CHAINS`]); the message lists
/// the known names.
#[derive(Debug, thiserror::Error)]
#[error("unknown chain {name:?} (known: {})", CHAINS.iter().map(|c| c.name).collect::<Vec<_>>().join(", "))]
pub struct UnknownChain {
    /// The name given to `--chain`.
    pub name: String,
}

impl Endpoint {
    /// The deployment table: the generation's default
    /// ([`Deployments::default_for`]), or `--deployments`, with `--set` overrides; with a
    /// testnet `--chain`, the mock attester added.
    pub fn deployments(&self, g: Generation) -> Res<Deployments> {
        let base = match &self.deployments {
            Some(f) => {
                let bad = |source| {
                    NetError::Usage(Usage::File { flag: "--deployments", path: f.clone(), source })
                };
                let mut v: Value =
                    serde_json::from_str(&super::args::read_text(f, "--deployments")?)
                        .map_err(bad)?;
                // `cargo xtask devnet up --json` nests the table under `addresses`
                if let Some(inner) = v.get_mut("addresses") {
                    v = inner.take();
                }
                Deployments::from_json(g, &v.to_string()).map_err(bad)?
            }
            None => Deployments::default_for(g),
        };
        let base = if self.chain.is_some_and(|c| c.testnet) { base.testnet() } else { base };
        if self.overrides.is_empty() {
            return Ok(base);
        }
        let mut v = serde_json::to_value(&base)?;
        for o in &self.overrides {
            let (field, value) = o
                .split_once('=')
                .ok_or_else(|| NetError::Usage(Usage::SetShape { given: o.clone() }))?;
            let address: Address = value.parse().map_err(|source| {
                NetError::Usage(Usage::SetAddress {
                    field: field.to_string(),
                    value: value.to_string(),
                    source,
                })
            })?;
            let Some(slot) = v.get_mut(field) else {
                return Err(NetError::Usage(Usage::SetUnknown {
                    field: field.to_string(),
                    known: v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default(),
                }));
            };
            *slot = if slot.is_array() { json!([address]) } else { json!(address) };
        }
        Deployments::from_json(g, &v.to_string()).map_err(|e| NetError::Usage(Usage::Table(e)))
    }

    /// The client endpoint for `url`: the request timeout and `--ca-cert`.
    fn endpoint(&self, url: &UrlArg, flag: &'static str) -> Res<smart_sessions_client::Endpoint> {
        let parsed = url.parse(flag)?;
        let bad = |source| NetError::Endpoint { flag, source };
        let url = EndpointUrl::new(parsed.expose().clone()).map_err(bad)?;
        let mut e = smart_sessions_client::Endpoint::new(url)
            .timeout(Duration::from_secs(self.request_timeout));
        if let Some(path) = &self.ca_cert {
            let pem = crate::input::read_text(path, "--ca-cert", crate::input::MAX_JSON_FILE)?;
            e = e.trust_pem(pem.as_bytes()).map_err(|source: EndpointError| {
                NetError::Endpoint { flag: "--ca-cert", source }
            })?;
        }
        Ok(e)
    }

    fn provider(&self, url: &UrlArg, flag: &'static str) -> Res<impl Provider + Clone + use<>> {
        let rpc = self
            .endpoint(url, flag)?
            .rpc_client()
            .map_err(|source| NetError::Endpoint { flag, source })?;
        Ok(ProviderBuilder::new().connect_client(rpc))
    }

    /// A provider for the node.
    pub(crate) fn node(&self) -> Res<impl Provider + Clone + use<>> {
        self.provider(&self.rpc_url, "--rpc-url")
    }

    /// A provider for the bundler (required).
    pub(crate) fn bundler(&self) -> Res<impl Provider + Clone + use<>> {
        let u = self.bundler_url.as_ref().ok_or_else(|| NetError::Usage(Usage::NoBundler))?;
        self.provider(u, "--bundler-url")
    }

    /// The client's options: timeouts and the paymaster.
    pub(crate) fn options(&self) -> Res<ClientOptions> {
        let paymaster = match &self.paymaster_url {
            None => None,
            Some(u) => {
                let e = self.endpoint(u, "--paymaster-url")?;
                let p = Erc7677Paymaster::new(&e)
                    .map_err(|source| NetError::Endpoint { flag: "--paymaster-url", source })?;
                Some(Arc::new(p) as Arc<dyn smart_sessions_client::PaymasterSource>)
            }
        };
        Ok(ClientOptions {
            request_timeout: Duration::from_secs(self.request_timeout),
            receipt_timeout: Duration::from_secs(self.receipt_timeout),
            paymaster,
            ..ClientOptions::default()
        })
    }

    /// Refuses a node on another chain than `--chain` names.
    pub(crate) fn check_chain(&self, chain_id: u64) -> Res<()> {
        match self.chain {
            Some(c) if c.chain_id != chain_id => Err(NetError::Usage(Usage::WrongChain {
                name: c.name,
                expected: c.chain_id,
                actual: chain_id,
            })),
            _ => Ok(()),
        }
    }
}

/// Refuses a zero address where the table must name a contract.
pub(crate) fn require(address: Address, field: &'static str) -> Res<()> {
    if address.is_zero() {
        return Err(NetError::Usage(Usage::TableUnset { field }));
    }
    Ok(())
}
