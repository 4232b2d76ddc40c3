//! `smart-sessions grant`: permissions from the seed docs' `sessionRequestedInfo` JSON, on chain
//! (one owner user operation) or signed off chain; writes the session details `use` reads.

use super::{
    NetError, Res, Usage,
    args::{AccountArgs, OffChain, read_requests, write_details},
    endpoint::{Endpoint, require},
    flows,
    keys::{KeyOptions, OwnerKey},
};
use clap::Args;
use serde_json::{Value, json};
use smart_sessions_codec::Generation;
use std::path::PathBuf;

/// The arguments of `grant`.
#[derive(Args, Debug)]
pub struct GrantCmd {
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
    /// The permissions to grant: a JSON file of the seed docs' `sessionRequestedInfo` shape (see
    /// below; `-` reads standard input).
    #[arg(long, value_name = "FILE")]
    pub request: PathBuf,
    /// Sign off-chain instead of sending a user operation.
    #[arg(long, value_enum)]
    pub off_chain: Option<OffChain>,
    /// Where to write the session details (a JSON list) that `use` and `status` read; without it
    /// they are printed.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Let the sessions' operations be paid by a paymaster (`permitERC4337Paymaster`, with the
    /// SudoPolicy user-op policy the SDKs pair with it; the legacy generation has no such flag).
    #[arg(long)]
    pub permit_paymaster: bool,
}

/// Runs `grant`.
pub(crate) async fn run(c: &GrantCmd, g: Generation) -> Res<Value> {
    let mut requests = read_requests(&c.request, g)?;
    for r in &mut requests {
        r.permit_paymaster |= c.permit_paymaster;
    }
    if requests.is_empty() {
        return Err(NetError::Usage(Usage::NoSession));
    }
    let d = c.endpoint.deployments(g)?;
    require(d.owner_validator, "ownerValidator")?;
    let owner = c.key.load(&c.keys)?;
    // every request is valid before anything touches the network
    flows::validate_requests(&d, &requests).map_err(|(i, e)| {
        NetError::Usage(Usage::RequestSession {
            path: c.request.clone(),
            index: i,
            source: Box::new(e),
        })
    })?;
    let node = c.endpoint.node()?;
    let (mut value, details) = match c.off_chain {
        // nothing is sent: no bundler needed
        Some(style) => {
            flows::grant_off_chain(&c.endpoint, node, d, &c.account, &owner, &requests, style)
                .await?
        }
        None => {
            let bundler = c.endpoint.bundler()?;
            flows::grant_on_chain(&c.endpoint, node, bundler, d, &c.account, &owner, &requests)
                .await?
        }
    };
    if let Some(path) = &c.out {
        write_details(path, &details)?;
        value["details"] = json!(path);
    } else {
        value["sessionDetails"] = serde_json::to_value(&details)?;
    }
    Ok(value)
}
