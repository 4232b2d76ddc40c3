//! `smart-sessions revoke`: `removeSession`, or `revokeEnableSignature` of a signed but unused
//! off-chain grant.

use super::{
    Res,
    args::AccountArgs,
    endpoint::{Endpoint, require},
    flows,
    keys::{KeyOptions, OwnerKey},
};
use alloy_primitives::B256;
use clap::Args;
use serde_json::Value;
use smart_sessions_codec::Generation;

/// The arguments of `revoke`.
#[derive(Args, Debug)]
pub struct RevokeCmd {
    /// Node, bundler and contracts.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// Which account.
    #[command(flatten)]
    pub account: AccountArgs,
    /// The owner's key.
    #[command(flatten)]
    pub key: OwnerKey,
    /// Key handling.
    #[command(flatten)]
    pub keys: KeyOptions,
    /// The permission.
    #[arg(long)]
    pub permission_id: B256,
    /// Revoke the enable signature instead of removing the session.
    #[arg(long)]
    pub enable_signature: bool,
}

/// Runs `revoke`.
pub(crate) async fn run(c: &RevokeCmd, g: Generation) -> Res<Value> {
    let d = c.endpoint.deployments(g)?;
    require(d.owner_validator, "ownerValidator")?;
    let owner = c.key.load(&c.keys)?;
    let node = c.endpoint.node()?;
    let bundler = c.endpoint.bundler()?;
    flows::revoke(
        &c.endpoint,
        node,
        bundler,
        d,
        &c.account,
        &owner,
        c.permission_id,
        c.enable_signature,
    )
    .await
}
