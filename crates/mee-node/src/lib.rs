#![doc = include_str!("../README.md")]

mod config;
pub mod contracts;
mod error;
mod exec;
mod explorer;
pub mod hashes;
mod launcher;
mod node;
pub mod payment;
mod quote;
mod server;
mod session;
pub mod signatures;
mod userop;

pub use config::{ChainSetup, FeeToken, GasPolicy, NodeConfig};
pub use contracts::{MeeContracts, compile_contracts, deploy_contracts};
pub use error::{BoxError, LaunchError, NodeError, SignerProblem};
pub use explorer::ExecutionStatus;
pub use launcher::{CHAINS, MeeChain, MeeDevnet, MeeOptions};
pub use session::session_signature;
pub use userop::FilledUserOp;

use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::{fmt, net::SocketAddr, sync::Arc};
use tokio::{net::TcpListener, task::JoinHandle};

/// A running node: an HTTP server on 127.0.0.1 in a task of the current tokio runtime. Dropping it
/// stops the server and ends its open connections; supertransactions already being sent finish
/// on chain.
pub struct MeeNode {
    addr: SocketAddr,
    task: JoinHandle<()>,
    node: Arc<node::Node>,
}

impl fmt::Debug for MeeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeeNode").field("url", &self.url()).finish_non_exhaustive()
    }
}

impl MeeNode {
    /// Starts a node on a free port of 127.0.0.1.
    ///
    /// ```no_run
    /// # async fn run(config: smart_sessions_mee_node::NodeConfig) -> Result<(), Box<dyn std::error::Error>> {
    /// let node = smart_sessions_mee_node::MeeNode::start(config).await?;
    /// println!("MEE node at {}", node.url()); // e.g. http://127.0.0.1:40123/v1
    /// # Ok(()) }
    /// ```
    pub async fn start(config: NodeConfig) -> Result<Self, LaunchError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a node on `addr` (port 0: a free one), e.g. again on the port of a stopped node.
    pub async fn start_on(config: NodeConfig, addr: SocketAddr) -> Result<Self, LaunchError> {
        let node = Arc::new(node::Node::new(config).map_err(LaunchError::Config)?);
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::clone(&node);
        let task = tokio::spawn(async move {
            // Connections live in this set: when the server task is aborted (stop, drop), the set
            // drops with it and every open connection ends, keep-alive ones included.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let node = Arc::clone(&shared);
                        connections.spawn(async move {
                            let service = hyper::service::service_fn(move |req| {
                                server::serve(Arc::clone(&node), req)
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                    Some(_) = connections.join_next() => {}
                }
            }
        });
        Ok(Self { addr, task, node })
    }

    /// The base URL clients use (`http://127.0.0.1:<port>/v1`, like abstractjs' `url`).
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The socket address the server listens on (127.0.0.1 and the port it was given or got);
    /// pass it to [`Self::start_on`] to restart on the same port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The executor's address (`node` of quotes; it sends `handleOps` and funds deposits).
    pub fn executor(&self) -> alloy_primitives::Address {
        self.node.address()
    }

    /// Requests served so far per route (`info`, `quote` (with `quote-permit`), `exec`,
    /// `explorer`, `other`), CORS preflights not counted: what a client's flow cost in node
    /// round trips, seen from the node.
    pub fn request_counts(&self) -> std::collections::BTreeMap<&'static str, u64> {
        self.node.requests.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Stops the server now (its accept task is aborted), before the value is dropped.
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for MeeNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `GET /v1/info`.
fn info(node: &node::Node) -> Value {
    let mut chains: Vec<&ChainSetup> = node.config.chains.iter().collect();
    chains.sort_by_key(|c| c.chain_id);
    let ids: Vec<String> = chains.iter().map(|c| c.chain_id.to_string()).collect();
    json!({
        "version": node.config.version,
        "node": node.address().to_checksum(None),
        "supportedChains": chains.iter().map(|c| json!({
            "chainId": c.chain_id.to_string(), "name": c.name,
        })).collect::<Vec<_>>(),
        "supportedGasTokens": chains.iter().filter(|c| !c.fee_tokens.is_empty()).map(|c| json!({
            "chainId": c.chain_id.to_string(),
            "paymentTokens": c.fee_tokens.iter().map(|t| json!({
                "name": t.name, "address": t.address.to_checksum(None), "symbol": t.symbol,
                "decimals": t.decimals, "permitEnabled": false,
            })).collect::<Vec<_>>(),
            "isArbitraryFeeTokensSupported": false,
        })).collect::<Vec<_>>(),
        "supported_wallet_providers": [{
            "walletProvider": "BICO_V2", "supportedChains": ids, "eoaEnabled": false, "eoaFusion": false,
        }],
    })
}
