//! `smart-sessions mee grant`: seed 003's `grantPermissionTypedDataSign` /
//! `grantPermissionPersonalSign` — the owner signs once, off chain, for actions on every chain;
//! the `sessionDetails` array is written in abstractjs' `stringify` form, which abstractjs'
//! `parse` and `mee use` / `mee status` read.
//!
//! The request file holds the actions in the policy crate's `actionPoliciesInfo` shape (the
//! one `grant --request` reads), each with its `chainId`:
//! `{"actions": [{"chainId": 8453, "contractAddress": "0x…", "functionSelector": "0x…",
//! "sudo": true}, …]}` or the bare list. Policies go to the version table's addresses.

use super::{
    Answer, MeeError,
    args::{Stack, chain_address},
    stack,
};
use crate::net::{KeyOptions, OwnerKey};
use alloy_primitives::{Address, U256};
use clap::{ArgGroup, Args};
use serde_json::{Value, json};
use smart_sessions_codec::{ActionData, Generation, PolicyKind};
use smart_sessions_mee::{
    PolicyAddresses, SessionDetails,
    flows::Grant,
    session::{BigIntForm, FeeToken, GrantAction},
};
use smart_sessions_policy::json::ActionPolicyInfo;
use std::path::{Path, PathBuf};

/// The arguments of `mee grant`.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("style").required(true).args(["typed_data", "personal"])))]
pub struct GrantCmd {
    /// The MEE node, the chains' RPC URLs and the MEE version table (`--mee-url`, `--rpc-url`,
    /// `--version`, …).
    #[command(flatten)]
    pub stack: Stack,
    /// Where the owner's signing key comes from (environment variable, keystore or flag).
    #[command(flatten)]
    pub key: OwnerKey,
    /// The keystore password, and whether a private key on the command line is accepted.
    #[command(flatten)]
    pub keys: KeyOptions,
    /// The owner signs the multichain session typed data (EIP-712,
    /// `grantPermissionTypedDataSign`).
    #[arg(long)]
    pub typed_data: bool,
    /// The owner `personal_sign`s the multichain digest (`grantPermissionPersonalSign`).
    #[arg(long)]
    pub personal: bool,
    /// Address of the session key that will use the permissions (the redeemer).
    #[arg(long, value_name = "ADDRESS")]
    pub redeemer: Address,
    /// The actions to grant: a JSON file (`-`: standard input) of the shape shown below.
    #[arg(long, value_name = "FILE")]
    pub request: PathBuf,
    /// The fee token the sessions pay with, `CHAIN_ID:ADDRESS`: that chain's session gets the
    /// payment policy (a `transfer` action bounded by `--max-payment-amount`).
    #[arg(long, value_name = "CHAIN_ID:ADDRESS")]
    pub fee_token: Option<String>,
    /// The fee budget for the sessions' lifetime, in the fee token's base units (default: 5
    /// tokens, as the SDK).
    #[arg(long, value_name = "AMOUNT", requires = "fee_token")]
    pub max_payment_amount: Option<U256>,
    /// The account index (the factory salt).
    #[arg(long, default_value_t = 0)]
    pub index: u64,
    /// Where to write the session details (abstractjs `stringify` form); without it they are
    /// printed.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `policy` moved from `g`'s canonical address to the table's.
fn remap(g: Generation, p: &PolicyAddresses, policy: Address) -> Address {
    let map = [
        (PolicyKind::Sudo, p.sudo),
        (PolicyKind::UniversalAction, p.universal_action),
        (PolicyKind::ValueLimit, p.value_limit),
        (PolicyKind::UsageLimit, p.usage_limit),
    ];
    map.iter().find(|(k, _)| g.policy(*k) == policy).map_or(policy, |(_, to)| *to)
}

/// The request file's actions, each checked (naming the file, the action and the field).
pub(super) fn read_actions(
    path: &Path,
    g: Generation,
    policies: &PolicyAddresses,
) -> Result<Vec<GrantAction>, MeeError> {
    let text = crate::input::read_text(path, "--request", crate::input::MAX_JSON_FILE)?;
    let v: Value = serde_json::from_str(&text).map_err(|source| MeeError::Json {
        flag: "--request",
        path: path.to_path_buf(),
        source,
    })?;
    let list = v.get("actions").unwrap_or(&v).as_array().ok_or_else(|| MeeError::Request {
        path: path.to_path_buf(),
        action: None,
        reason: "expected {\"actions\": [...]} or a list of actions",
        source: None,
    })?;
    if list.is_empty() {
        return Err(MeeError::Request {
            path: path.to_path_buf(),
            action: None,
            reason: "no action",
            source: None,
        });
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let bad = |reason, source| MeeError::Request {
            path: path.to_path_buf(),
            action: Some(i),
            reason,
            source,
        };
        let chain_id = match a.get("chainId") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| bad("`chainId`: missing or not an unsigned integer", None))?;
        let info: ActionPolicyInfo = serde_json::from_value(a.clone())
            .map_err(|e| bad("not an actionPoliciesInfo entry", Some(Box::new(e) as _)))?;
        let mut data: ActionData = info
            .to_action_data(g)
            .map_err(|e| bad("its policies do not build", Some(Box::new(e) as _)))?;
        for p in &mut data.actionPolicies {
            p.policy = remap(g, policies, p.policy);
        }
        out.push(GrantAction { chain_id, action: data });
    }
    Ok(out)
}

/// Runs `mee grant`.
pub(super) async fn run(c: &GrantCmd, g: Generation) -> Result<Answer, MeeError> {
    let mee = stack::sessions(&c.stack, g, 60)?;
    let version = *mee.version();
    let actions = read_actions(&c.request, version.smart_sessions, &version.policies())?;
    let fee = match &c.fee_token {
        Some(s) => {
            let (chain_id, address) = chain_address("--fee-token", s)?;
            Some(FeeToken { address, chain_id })
        }
        None => None,
    };
    let owner = c.key.load(&c.keys)?;
    let account = mee
        .account(owner.address(), c.index)
        .await
        .map_err(|source| MeeError::Flow { step: "the account", source })?;
    let mut grant = Grant::new(c.redeemer, &actions);
    if let Some(t) = fee {
        grant = grant.fee_token(t, c.max_payment_amount);
    }
    let (style, details) = if c.typed_data {
        ("typedData", mee.grant_permission_typed_data_sign(&owner, &account, &grant).await)
    } else {
        ("personal", mee.grant_permission_personal_sign(&owner, &account, &grant).await)
    };
    let details = details.map_err(|source| MeeError::Flow { step: "grant", source })?;
    let sessions: Vec<Value> = details
        .iter()
        .map(|d| json!({ "chainId": d.chain_id(), "permissionId": d.permission_id }))
        .collect();
    let mut output = json!({
        "owner": owner.address(),
        "account": stack::addresses(&account),
        "redeemer": c.redeemer,
        "style": style,
        "sessions": sessions,
    });
    let stored = SessionDetails::list_to_json(&details, BigIntForm::Tagged);
    match &c.out {
        Some(path) => {
            let text = serde_json::to_string_pretty(&stored).unwrap_or_default() + "\n";
            std::fs::write(path, text)
                .map_err(|source| MeeError::Write { path: path.clone(), source })?;
            output["details"] = json!(path);
        }
        None => output["sessionDetails"] = stored,
    }
    Ok(Answer { output, code: 0, error: None })
}
