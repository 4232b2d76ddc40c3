//! `smart-sessions status`: whether the permissions of a session-details file are enabled, and
//! their remaining budgets.

use super::{NetError, Res, Usage, args::read_details, endpoint::Endpoint, flows};
use clap::Args;
use serde_json::Value;
use std::path::PathBuf;

/// The arguments of `status`.
#[derive(Args, Debug)]
pub struct StatusCmd {
    /// The node, the bundler and the deployment table (`--rpc-url`, `--bundler-url`,
    /// `--deployments`, …).
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The session details file written by `grant`.
    #[arg(long, value_name = "FILE")]
    pub details: PathBuf,
}

/// Runs `status`: one entry per session of the file.
pub(crate) async fn run(c: &StatusCmd) -> Res<Value> {
    let list = read_details(&c.details)?;
    let node = c.endpoint.node()?;
    let mut out = Vec::new();
    for det in &list {
        let d = c.endpoint.deployments(det.generation)?;
        if d.smart_session != det.smart_session {
            return Err(NetError::Usage(Usage::OtherSmartSession {
                path: c.details.clone(),
                details: det.smart_session,
                table: d.smart_session,
            }));
        }
        out.push(flows::status(&c.endpoint, &node, d, det).await?);
    }
    Ok(Value::Array(out))
}
