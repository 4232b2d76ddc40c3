//! Arguments shared by several network commands: which account, how the owner signs off-chain,
//! calls, and the files the commands read and write.

use super::{
    NetError, Res, Usage, flows,
    flows::{SessionDetails, SessionRequest},
    usage::BoxError,
};
use crate::input::MAX_JSON_FILE;
use alloy_primitives::{Address, Bytes, U256};
use clap::{Args, ValueEnum};
use serde_json::Value;
use smart_sessions_codec::{Execution, Generation};
use smart_sessions_policy::json::SessionRequests;
use std::path::Path;

/// Which account a network command acts on: `--account` as given, or the account the owner
/// (`--owner` or the owner's key) has through the factory with `--index`, `--factory` and
/// `--testnet`.
#[derive(Args, Debug, Clone)]
pub struct AccountArgs {
    /// The account's address (default: derived from the owner through the factory).
    #[arg(long)]
    pub account: Option<Address>,
    /// The owner's address, to derive the account without the owner's key (read-only commands).
    #[arg(long)]
    pub owner: Option<Address>,
    /// The account index (the factory salt).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub index: u64,
    /// Add the mock attester, as `@biconomy/sdk` does on testnets (part of a K1 account's address).
    #[arg(long)]
    pub testnet: bool,
    /// How the account is created: `k1` (K1ValidatorFactory, `@biconomy/sdk` 0.0.21) or `nexus`
    /// (NexusAccountFactory + NexusBootstrap). Default: `k1` when the table has that factory.
    #[arg(long, value_enum)]
    pub factory: Option<FactoryKind>,
}

/// The factory that creates the account, and so derives its address from the owner (`--factory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FactoryKind {
    /// `K1ValidatorFactory.createAccount(owner, index, attesters, threshold)`.
    K1,
    /// `NexusAccountFactory.createAccount(initData, salt)`.
    Nexus,
}

/// How the owner signs an off-chain grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OffChain {
    /// EIP-712 typed data (`grantPermissionTypedDataSign`).
    Typed,
    /// EIP-191 personal sign (`grantPermissionPersonalSign`).
    Personal,
}

/// A `--call TARGET:VALUE:CALLDATA`.
pub(crate) fn parse_call(s: &str) -> Res<Execution> {
    let parts: Vec<&str> = s.splitn(3, ':').collect();
    let [t, v, d] = parts[..] else {
        return Err(NetError::Usage(Usage::CallShape { call: s.to_string() }));
    };
    let part = |part, value: &str, source: BoxError| {
        NetError::Usage(Usage::CallPart { part, value: value.to_string(), source })
    };
    let target: Address = t.parse().map_err(|e| part("target", t, Box::new(e)))?;
    let value: U256 = v.parse().map_err(|e| part("value", v, Box::new(e)))?;
    let data: Bytes = d.parse().map_err(|e| part("calldata", d, Box::new(e)))?;
    Ok(Execution::new(target, value, data))
}

/// A JSON text file of at most [`MAX_JSON_FILE`] bytes, or standard input for `-`.
pub(crate) fn read_text(path: &Path, flag: &'static str) -> Res<String> {
    Ok(crate::input::read_text(path, flag, MAX_JSON_FILE)?)
}

/// The `--request` file: one request, a list, or `{"sessionRequestedInfo": [...]}`, read by the
/// policy crate's field-naming reader (errors give the path: `` `[0].actionPoliciesInfo[0].rules[0].ref` ``),
/// and every session's time frame and every action's policies checked for `g` (naming the
/// session, the action and the field) before anything else happens.
pub(crate) fn read_requests(path: &Path, g: Generation) -> Res<Vec<SessionRequest>> {
    let text = read_text(path, "--request")?;
    let SessionRequests(list) = serde_json::from_str(&text).map_err(|source| {
        NetError::Usage(Usage::File { flag: "--request", path: path.to_path_buf(), source })
    })?;
    for (i, r) in list.iter().enumerate() {
        r.time_frame(g).map_err(|e| {
            NetError::Usage(Usage::RequestSession {
                path: path.to_path_buf(),
                index: i,
                source: Box::new(e),
            })
        })?;
        for (j, a) in r.action_policies_info.iter().enumerate() {
            a.to_action_data(g).map_err(|source| {
                NetError::Usage(Usage::RequestAction {
                    path: path.to_path_buf(),
                    session: i,
                    action: j,
                    source,
                })
            })?;
        }
    }
    Ok(list.into_iter().map(flows::session_request).collect())
}

/// The `--details` file written by `grant`: one session's details or a list.
pub(crate) fn read_details(path: &Path) -> Res<Vec<SessionDetails>> {
    let bad = |source| {
        NetError::Usage(Usage::File { flag: "--details", path: path.to_path_buf(), source })
    };
    let v: Value = serde_json::from_str(&read_text(path, "--details")?).map_err(bad)?;
    let list = if v.is_array() { v } else { Value::Array(vec![v]) };
    serde_json::from_value(list).map_err(bad)
}

/// Writes the session details as a JSON list.
pub(crate) fn write_details(path: &Path, details: &[SessionDetails]) -> Res<()> {
    let text = serde_json::to_string_pretty(details)?;
    std::fs::write(path, text + "\n")
        .map_err(|source| NetError::Write { path: path.to_path_buf(), source })
}
