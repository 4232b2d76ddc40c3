//! The node's state: one provider per chain, the quotes it issued and what became of them.

use crate::{NodeConfig, NodeError, config::ChainSetup, explorer::OpStatus, userop::FilledUserOp};
use alloy_network::EthereumWallet;
use alloy_primitives::{Address, B256};
use alloy_provider::{
    DynProvider, Provider, ProviderBuilder,
    transport::{TransportError, TransportErrorKind},
};
use serde_json::Value;
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// One served chain.
#[derive(Debug)]
pub(crate) struct Chain {
    pub(crate) setup: ChainSetup,
    /// Signs with the executor key.
    pub(crate) provider: DynProvider,
    /// Serialises the executor's transactions on this chain.
    pub(crate) send_lock: tokio::sync::Mutex<()>,
}

/// A userOp of an issued quote.
#[derive(Clone, Debug)]
pub(crate) struct QuotedOp {
    pub(crate) chain_id: u64,
    pub(crate) op: FilledUserOp,
    pub(crate) user_op_hash: B256,
    pub(crate) mee_user_op_hash: B256,
    pub(crate) lower: u64,
    pub(crate) upper: u64,
    pub(crate) short_encoding: bool,
}

/// A quote the node answered.
#[derive(Clone, Debug)]
pub(crate) struct Issued {
    pub(crate) ops: Vec<QuotedOp>,
    /// Whether op 0 is a gas-tank op (never executed).
    pub(crate) sponsored: bool,
}

/// A submitted supertransaction.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// The exec body (the quote as echoed, with the signature).
    pub(crate) body: Value,
    pub(crate) statuses: Vec<OpStatus>,
}

/// The node's shared state: its config, per-chain providers, issued quotes and submissions.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) config: NodeConfig,
    pub(crate) chains: HashMap<u64, Chain>,
    pub(crate) quotes: Mutex<HashMap<B256, Issued>>,
    pub(crate) records: Mutex<HashMap<B256, Record>>,
    /// Requests served per route (`info`, `quote`, `exec`, `explorer`, `other`).
    pub(crate) requests: Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

/// Bound of every chain call the node makes.
pub(crate) const CHAIN_TIMEOUT: Duration = Duration::from_secs(30);

impl Node {
    pub(crate) fn new(config: NodeConfig) -> Result<Self, NodeError> {
        let mut chains = HashMap::new();
        for setup in &config.chains {
            let url = setup.rpc_url.parse().map_err(|_| NodeError::BadRequest {
                field: format!("chains[{}].rpc_url", setup.chain_id),
                rule: "must be a URL",
            })?;
            let provider = ProviderBuilder::new()
                .wallet(EthereumWallet::from(config.executor.clone()))
                .connect_http(url)
                .erased();
            provider.client().set_poll_interval(Duration::from_millis(20));
            chains.insert(
                setup.chain_id,
                Chain { setup: setup.clone(), provider, send_lock: tokio::sync::Mutex::new(()) },
            );
        }
        Ok(Self {
            config,
            chains,
            quotes: Mutex::new(HashMap::new()),
            records: Mutex::new(HashMap::new()),
            requests: Mutex::new(std::collections::BTreeMap::new()),
        })
    }

    pub(crate) fn chain(
        &self,
        chain_id: u64,
        field: impl Into<String>,
    ) -> Result<&Chain, NodeError> {
        self.chains
            .get(&chain_id)
            .ok_or_else(|| NodeError::UnsupportedChain { chain_id, field: field.into() })
    }

    /// The executor's address (`node` of quotes and info).
    pub(crate) fn address(&self) -> Address {
        self.config.executor.address()
    }
}

/// Unix seconds.
pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The transport error of a failed contract call (a bindings instance's `call_raw` / `send`), so
/// the node's error chains walk to it as they did with plain provider calls; any other
/// `alloy_contract` error wrapped as a custom transport error.
pub(crate) fn contract_transport(e: alloy_contract::Error) -> TransportError {
    match e {
        alloy_contract::Error::TransportError(e) => e,
        other => TransportErrorKind::custom(other),
    }
}

/// Runs a chain call with the node's bound.
pub(crate) async fn bounded<T, E: std::error::Error + Send + Sync + 'static>(
    chain_id: u64,
    step: &'static str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, NodeError> {
    match tokio::time::timeout(CHAIN_TIMEOUT, fut).await {
        Ok(r) => r.map_err(NodeError::chain(chain_id, step)),
        Err(e) => Err(NodeError::chain(chain_id, step)(e)),
    }
}
