//! `smart-sessions mee status`: seed 003's `checkEnabledPermissions` for a session-details file
//! across its chains (`{permissionId: {chainId: bool}}`), and each session's remaining budgets
//! read from its policies' on-chain state (the fee budget among them).

use super::{
    Answer, MeeError,
    args::{AccountSel, Stack},
    stack,
};
use alloy_primitives::U256;
use clap::Args;
use serde_json::{Value, json};
use smart_sessions_client::{
    Deployments, NexusAccount, NexusClient,
    checks::{Budget, BudgetItem},
};
use smart_sessions_codec::{AnySession, Generation};
use smart_sessions_mee::{
    ENTRY_POINT_V07, MeeVersionConfig, SessionDetails,
    session::{TRANSFER_SELECTOR, to_legacy},
};
use std::path::PathBuf;

/// The arguments of `mee status`.
#[derive(Args, Debug)]
pub struct StatusCmd {
    /// The MEE node, the chains' RPC URLs and the MEE version table (`--mee-url`, `--rpc-url`,
    /// `--version`, …).
    #[command(flatten)]
    pub stack: Stack,
    /// The account the sessions belong to.
    #[command(flatten)]
    pub account: AccountSel,
    /// The session details file (`mee grant --out`, or abstractjs' `stringify` of
    /// `sessionDetails`).
    #[arg(long, value_name = "FILE")]
    pub details: PathBuf,
}

/// The client's deployment table for reading the policies of `version`'s sessions: its
/// generation's SmartSession and the table's policy addresses.
fn deployments(version: &MeeVersionConfig) -> Deployments {
    let g = version.smart_sessions;
    let p = version.policies();
    let mut d = Deployments::default_for(g);
    d.generation = g;
    d.entry_point = ENTRY_POINT_V07;
    d.smart_session = g.smart_session();
    d.sudo_policy = p.sudo;
    d.uni_action_policy = p.universal_action;
    d.usage_limit_policy = Some(p.usage_limit);
    d.value_limit_policy = Some(p.value_limit);
    d
}

/// One budget: `{action, policy, kind, limit, used, remaining, summary}` (amounts as decimal
/// strings; `limit`, `used` and `remaining` are `null` for a budget not known off chain).
fn budget_json(b: &Budget) -> Value {
    let (kind, limit, used) = match &b.item {
        BudgetItem::Rule { limit, used, .. } => ("rule", Some(*limit), Some(*used)),
        BudgetItem::Uses { limit, used } => {
            ("uses", Some(U256::from(*limit)), Some(U256::from(*used)))
        }
        BudgetItem::Value { limit, used } => ("value", Some(*limit), Some(*used)),
        BudgetItem::Token { limit, used, .. } => ("token", Some(*limit), Some(*used)),
        _ => ("unknown", None, None),
    };
    json!({
        "action": b.action.map(|(t, s)| format!("{t}.{s}")),
        "policy": b.policy,
        "kind": kind,
        "limit": limit.map(|x| x.to_string()),
        "used": used.map(|x| x.to_string()),
        "remaining": b.item.remaining().map(|r| r.to_string()),
        "summary": b.to_string(),
    })
}

/// The session of `d` in its generation's layout.
fn any_session(g: Generation, d: &SessionDetails) -> Result<AnySession, MeeError> {
    let s = &d.session_to_enable.session;
    Ok(match g {
        Generation::Legacy => AnySession::Legacy(to_legacy(s).map_err(|source| {
            MeeError::File { flag: "--details", path: PathBuf::from("sessionToEnable"), source }
        })?),
        _ => AnySession::Current(s.clone()),
    })
}

/// Runs `mee status`: `{account, enabled: {permissionId: {chainId: bool}}, sessions: [{chainId,
/// permissionId, enabled, budgets, feeBudget}]}`. `feeBudget` is the limited rule of the
/// session's ERC-20 `transfer` action (the payment policy of a grant with a fee token), `null`
/// when it has none.
pub(super) async fn run(c: &StatusCmd, g: Generation) -> Result<Answer, MeeError> {
    let details = stack::read_details(&c.details)?;
    let mee = stack::sessions(&c.stack, g, 60)?;
    let account = stack::account(&mee, &c.account).await?;
    let enabled = mee
        .check_enabled_permissions(&account, &details)
        .await
        .map_err(|source| MeeError::Flow { step: "checkEnabledPermissions", source })?;
    let version = *mee.version();
    let table = deployments(&version);
    let mut sessions = Vec::with_capacity(details.len());
    for d in &details {
        let chain_id = d.chain_id();
        let at = account
            .on(chain_id)
            .map_err(|e| MeeError::Flow { step: "the account", source: e.into() })?
            .address;
        let provider = mee.chain_provider(chain_id).ok_or(MeeError::NoSession { chain_id })?;
        let client = NexusClient::with_chain_id(
            provider.clone(),
            provider.clone(),
            chain_id,
            table.clone(),
            NexusAccount::existing(at, table.entry_point),
        );
        let session = any_session(version.smart_sessions, d)?;
        let on = client
            .is_permission_enabled(d.permission_id)
            .await
            .map_err(|source| MeeError::Read { chain_id, source })?;
        let budgets = client
            .remaining_budgets(&session)
            .await
            .map_err(|source| MeeError::Read { chain_id, source })?;
        let fee = budgets.iter().find(|b| {
            b.action.is_some_and(|(_, s)| s == TRANSFER_SELECTOR)
                && matches!(b.item, BudgetItem::Rule { .. })
        });
        sessions.push(json!({
            "chainId": chain_id,
            "permissionId": d.permission_id,
            "enabled": on,
            "budgets": budgets.iter().map(budget_json).collect::<Vec<Value>>(),
            "feeBudget": fee.map(budget_json),
        }));
    }
    let output = json!({
        "account": stack::addresses(&account),
        "enabled": Value::Object(enabled),
        "sessions": sessions,
    });
    Ok(Answer { output, code: 0, error: None })
}
