//! Where the chain and the bundler are, and which contracts to use.

use super::{NetError, Res, flows::Deployments};
use crate::redact::UrlArg;
use alloy_primitives::Address;
use alloy_provider::{Provider, ProviderBuilder};
use clap::Args;
use serde_json::{Value, json};
use smart_sessions_codec::Generation;
use std::path::PathBuf;

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
    /// A JSON file of addresses replacing the generation's table (field names of the client's
    /// `Deployments`, e.g. the devnet's `cargo xtask devnet up --json` output).
    #[arg(long, value_name = "FILE")]
    pub deployments: Option<PathBuf>,
    /// Overrides one address of the table: `FIELD=ADDRESS` (e.g. `smartSession=0x…`); repeatable.
    #[arg(long = "set", value_name = "FIELD=ADDRESS")]
    pub overrides: Vec<String>,
}

impl Endpoint {
    /// The deployment table: the generation's, or `--deployments`, with `--set` overrides.
    pub fn deployments(&self, g: Generation) -> Res<Deployments> {
        let base = match &self.deployments {
            Some(f) => {
                let bad = |e: serde_json::Error| {
                    NetError::Usage(format!("--deployments {}: {e}", f.display()))
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
            None => match g {
                Generation::Legacy => Deployments::legacy_nexus_k1(),
                Generation::V1 => Deployments::v1_nexus_k1(),
                _ => Deployments::current(Address::ZERO),
            },
        };
        if self.overrides.is_empty() {
            return Ok(base);
        }
        let mut v = serde_json::to_value(&base)?;
        for o in &self.overrides {
            let (field, value) = o
                .split_once('=')
                .ok_or_else(|| NetError::Usage(format!("--set {o:?}: expected FIELD=ADDRESS")))?;
            let address: Address = value.parse().map_err(|e| {
                NetError::Usage(format!("--set {field}: {value:?} is not an address: {e}"))
            })?;
            let Some(slot) = v.get_mut(field) else {
                return Err(NetError::Usage(format!(
                    "--set {field}: no such field (known: {})",
                    v.as_object()
                        .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                )));
            };
            *slot = if slot.is_array() { json!([address]) } else { json!(address) };
        }
        Deployments::from_json(g, &v.to_string()).map_err(|e| NetError::Usage(e.to_string()))
    }

    /// A provider for the node.
    pub(crate) fn node(&self) -> Res<impl Provider + Clone + use<>> {
        let url = self.rpc_url.parse("--rpc-url")?;
        Ok(ProviderBuilder::new().connect_http(url.expose().clone()))
    }

    /// A provider for the bundler (required).
    pub(crate) fn bundler(&self) -> Res<impl Provider + Clone + use<>> {
        let u = self.bundler_url.as_ref().ok_or_else(|| {
            NetError::Usage("--bundler-url (or $SMART_SESSIONS_BUNDLER_URL) is required".into())
        })?;
        let url = u.parse("--bundler-url")?;
        Ok(ProviderBuilder::new().connect_http(url.expose().clone()))
    }
}

/// Refuses a zero address where the table must name a contract (the current generation's table
/// has no account side: `--set ownerValidator=…` etc.).
pub(crate) fn require(address: Address, field: &str) -> Res<()> {
    if address.is_zero() {
        return Err(NetError::Usage(format!(
            "the deployment table has no {field}: pass --deployments FILE or --set {field}=ADDRESS"
        )));
    }
    Ok(())
}
