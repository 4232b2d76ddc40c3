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
    /// The node, the bundler and the deployment table (`--rpc-url`, `--bundler-url`,
    /// `--deployments`, …).
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The account to act on: `--account`, or derived from `--owner` or the owner's key.
    #[command(flatten)]
    pub account: AccountArgs,
    /// Where the owner's signing key comes from (environment variable, keystore or flag).
    #[command(flatten)]
    pub key: OwnerKey,
    /// The keystore password, and whether a private key on the command line is accepted.
    #[command(flatten)]
    pub keys: KeyOptions,
    /// The permission id (32 bytes hex, as `grant` prints it) of the session to remove or whose
    /// enable signature to revoke.
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
