//! `smart-sessions use`: the session key runs calls under a granted permission (USE, or
//! ENABLE_AND_USE on the first use of an off-chain grant), checked first against its policies.

use super::{
    NetError, Res, Usage,
    args::{parse_call, read_details},
    endpoint::Endpoint,
    flows,
    keys::{KeyOptions, SessionKey},
};
use clap::Args;
use serde_json::Value;
use std::path::PathBuf;

/// The arguments of `use`.
#[derive(Args, Debug)]
pub struct UseCmd {
    /// The node, the bundler and the deployment table (`--rpc-url`, `--bundler-url`,
    /// `--deployments`, …).
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// Where the session key that signs the user operation comes from.
    #[command(flatten)]
    pub key: SessionKey,
    /// The keystore password, and whether a private key on the command line is accepted.
    #[command(flatten)]
    pub keys: KeyOptions,
    /// The session details file written by `grant`.
    #[arg(long, value_name = "FILE")]
    pub details: PathBuf,
    /// Which session of the details file to use: its position in the file's list, from 0.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub session: usize,
    /// A call for the session key to make, as `TARGET:VALUE:CALLDATA` (value in wei, calldata
    /// hex); repeat the flag for a batch.
    #[arg(long = "call", required = true, allow_hyphen_values = true)]
    pub calls: Vec<String>,
    /// Send without first checking the calls against the session's policies off chain (a
    /// refused call then fails in the bundler's simulation or on chain).
    #[arg(long)]
    pub skip_check: bool,
}

/// Runs `use`.
pub(crate) async fn run(c: &UseCmd) -> Res<Value> {
    let list = read_details(&c.details)?;
    let det = list.get(c.session).ok_or_else(|| {
        NetError::Usage(Usage::SessionIndex { index: c.session, count: list.len() })
    })?;
    let calls = c.calls.iter().map(|s| parse_call(s)).collect::<Res<Vec<_>>>()?;
    let signer = c.key.load(&c.keys)?;
    // the table's SmartSession stays: the client refuses details made for another one
    let d = c.endpoint.deployments(det.generation)?;
    let node = c.endpoint.node()?;
    let bundler = c.endpoint.bundler()?;
    flows::use_permission(&c.endpoint, node, bundler, d, det, &signer, &calls, c.skip_check).await
}
