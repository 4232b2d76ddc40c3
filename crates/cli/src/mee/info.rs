//! `smart-sessions mee info`: the node's version and the chains it serves (`GET info`).

use super::{
    Answer, MeeError,
    args::{MeeNode, connect, secs},
    printable_json,
};
use smart_sessions_mee::node::commands;

/// Runs `mee info`; fails when the node does not serve one of `chains`, as `createMeeClient`
/// does.
pub(super) async fn run(node: &MeeNode, chains: &[u64], timeout: u64) -> Result<Answer, MeeError> {
    let client = connect(node, secs("--timeout", timeout)?)?;
    let summary = commands::info_summary(&client, chains).await?;
    if !summary.unsupported.is_empty() {
        return Err(MeeError::Unsupported {
            node: summary.node,
            unsupported: summary.unsupported,
            served: summary.supported_chains,
        });
    }
    Ok(Answer { output: printable_json(summary.to_json()), code: 0, error: None })
}
