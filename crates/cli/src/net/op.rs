//! `smart-sessions op`: a user operation by its hash, after an unknown outcome (exit code 3):
//! `lookup` asks the bundler once, `wait` waits for the receipt within `--receipt-timeout`.
//! Neither sends anything.

use super::{Res, endpoint::Endpoint, flows};
use alloy_primitives::{Address, B256, U256};
use clap::{Args, Subcommand};
use serde_json::Value;
use smart_sessions_codec::Generation;

/// The arguments of `op`.
#[derive(Args, Debug)]
pub struct OpCmd {
    /// Whether to look the operation up once or wait for its receipt.
    #[command(subcommand)]
    pub action: OpAction,
}

/// `op lookup` or `op wait`.
#[derive(Subcommand, Debug)]
pub enum OpAction {
    /// One `eth_getUserOperationByHash` and one `eth_getUserOperationReceipt`: `state` is
    /// `included`, `pending` or `unknown` (the bundler does not know the hash).
    Lookup(OpArgs),
    /// Waits for the receipt (bounded by `--receipt-timeout`; exit code 3 when it does not come)
    /// and checks it names the operation's sender and nonce.
    Wait(OpArgs),
}

/// The operation and where to ask.
#[derive(Args, Debug)]
pub struct OpArgs {
    /// The user-operation hash (printed by a command that exited with code 3).
    pub hash: B256,
    /// The node, the bundler and the deployment table (`--rpc-url`, `--bundler-url`,
    /// `--deployments`, …).
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The operation's sender (default: from `eth_getUserOperationByHash`); with `--nonce`,
    /// lets `wait` wait for an operation the bundler does not know (yet).
    #[arg(long, requires = "nonce")]
    pub sender: Option<Address>,
    /// The operation's nonce (with `--sender`).
    #[arg(long, requires = "sender")]
    pub nonce: Option<U256>,
}

/// Runs `op`.
pub(crate) async fn run(c: &OpCmd, g: Generation) -> Res<Value> {
    let (a, wait) = match &c.action {
        OpAction::Lookup(a) => (a, false),
        OpAction::Wait(a) => (a, true),
    };
    let d = a.endpoint.deployments(g)?;
    let node = a.endpoint.node()?;
    let bundler = a.endpoint.bundler()?;
    let known = a.sender.zip(a.nonce);
    flows::op(&a.endpoint, node, bundler, d, a.hash, known, wait).await
}
