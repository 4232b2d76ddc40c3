//! `smart-sessions account`: the account's address, whether it is deployed, and whether
//! SmartSession and the owner validator are installed.

use super::{
    Res,
    args::AccountArgs,
    endpoint::Endpoint,
    flows,
    keys::{KeyOptions, OwnerKey},
};
use clap::Args;
use serde_json::Value;
use smart_sessions_codec::Generation;

/// The arguments of `account`.
#[derive(Args, Debug)]
pub struct AccountCmd {
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
}

/// Runs `account`.
pub(crate) async fn run(c: &AccountCmd, g: Generation) -> Res<Value> {
    let d = c.endpoint.deployments(g)?;
    let node = c.endpoint.node()?;
    let a = &c.account;
    let owner = if a.account.is_none() && a.owner.is_none() && c.key.given() {
        Some(c.key.load(&c.keys)?.address())
    } else {
        None
    };
    flows::account_info(&c.endpoint, &node, &d, a, owner, g).await
}
