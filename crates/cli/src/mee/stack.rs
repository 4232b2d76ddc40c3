//! From the shared arguments to a running [`MeeSessions`]: the version table, one provider per
//! chain (through the client's bounded, redacting endpoint), the account, the payment; and the
//! way a sent supertransaction's outcome becomes an [`Answer`] (exit 0, 1, or 3 with the hash).

use super::{
    Answer, MeeError,
    args::{AccountSel, PaymentArgs, Stack, chain_address, connect, secs},
};
use crate::{
    net::EXIT_OUTCOME_UNKNOWN,
    text::{printable, with_causes},
};
use alloy_primitives::{Address, B256};
use alloy_provider::{Provider, ProviderBuilder};
use serde_json::{Value, json};
use smart_sessions_client::{Endpoint, EndpointUrl};
use smart_sessions_codec::Generation;
use smart_sessions_mee::{
    MeeVersion, MeeVersionConfig, MultichainAccount, Payment,
    flows::{FlowError, MeeSessions, Submitted},
    node::{ReceiptMode, WaitOptions},
    quote_request::Sponsorship,
    session::FeeToken,
};
use std::{path::Path, time::Duration};

/// The version table and the chains a `--deployments` file gives.
struct Table {
    version: MeeVersionConfig,
    /// `(chainId, rpcUrl)` of a devnet summary's `chains`.
    chains: Vec<(u64, String)>,
}

fn read_json(flag: &'static str, path: &Path) -> Result<Value, MeeError> {
    let text = crate::input::read_text(path, flag, crate::input::MAX_JSON_FILE)?;
    serde_json::from_str(&text).map_err(|source| MeeError::Json {
        flag,
        path: path.to_path_buf(),
        source,
    })
}

fn table(stack: &Stack, g: Generation) -> Result<Table, MeeError> {
    if let Some(path) = &stack.deployments {
        let v = read_json("--deployments", path)?;
        let bad = |source| MeeError::File { flag: "--deployments", path: path.clone(), source };
        // the summary of `cargo xtask devnet up --mee --json` nests the table under `meeVersion`
        let t = v.get("meeVersion").unwrap_or(&v);
        let version = MeeVersionConfig::from_json(t, g).map_err(bad)?;
        let chains: Vec<(u64, String)> = v
            .get("chains")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|c| {
                        Some((c.get("chainId")?.as_u64()?, c.get("rpcUrl")?.as_str()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (_, url) in &chains {
            // the file's URLs are secrets as much as the flags' are
            let _ = url.parse::<crate::redact::UrlArg>();
        }
        return Ok(Table { version, chains });
    }
    let version = match &stack.mee_version {
        Some(v) => MeeVersion::parse(v)
            .map_err(|source| MeeError::Version { value: v.clone(), source })?
            .config(),
        None => MeeVersionConfig::default(),
    };
    Ok(Table { version, chains: Vec::new() })
}

/// A provider for `url` bounded by `timeout` (its URL never printed unredacted).
fn provider(
    flag: &'static str,
    url: &crate::redact::UrlArg,
    timeout: Duration,
) -> Result<alloy_provider::DynProvider, MeeError> {
    let parsed = url.parse(flag)?;
    let bad = |source| MeeError::Endpoint { flag, source };
    let rpc = Endpoint::new(EndpointUrl::new(parsed.expose().clone()).map_err(bad)?)
        .timeout(timeout)
        .rpc_client()
        .map_err(bad)?;
    Ok(ProviderBuilder::new().connect_client(rpc).erased())
}

/// The flows over the node and chains of `stack`, with receipt waits bounded by
/// `receipt_timeout`.
pub(super) fn sessions(
    stack: &Stack,
    g: Generation,
    receipt_timeout: u64,
) -> Result<MeeSessions, MeeError> {
    let timeout = secs("--timeout", stack.timeout)?;
    let table = table(stack, g)?;
    let node = connect(&stack.node, timeout)?;
    let wait =
        WaitOptions::new(ReceiptMode::Default).timeout(secs("--receipt-timeout", receipt_timeout)?);
    let mut mee = MeeSessions::new(node, table.version).wait_options(wait);
    let mut given = Vec::new();
    for c in &stack.rpc_urls {
        let (id, url) = c.checked()?;
        mee = mee.chain(id, provider("--rpc-url", url, timeout)?);
        given.push(id);
    }
    for (id, url) in &table.chains {
        if !given.contains(id) {
            let url: crate::redact::UrlArg = url.parse().unwrap_or_else(|e| match e {});
            mee = mee.chain(*id, provider("--deployments chains[].rpcUrl", &url, timeout)?);
        }
    }
    if mee.chain_ids().is_empty() {
        return Err(MeeError::Usage {
            flag: "--rpc-url",
            reason: "no chain: pass --rpc-url CHAIN_ID=URL (or $SMART_SESSIONS_MEE_RPC_URLS)",
        });
    }
    Ok(mee)
}

/// The account of `sel`: derived from `--owner` through the factory on every chain, or
/// `--account` (which must be deployed everywhere: there is no initCode without the owner).
pub(super) async fn account(
    mee: &MeeSessions,
    sel: &AccountSel,
) -> Result<MultichainAccount, MeeError> {
    let flow = |source| MeeError::Flow { step: "the account", source };
    match (sel.owner, sel.account) {
        (_, Some(at)) => {
            let chains = mee.chain_ids().into_iter().map(|c| (c, at));
            let mut a = MultichainAccount::new(Address::ZERO, *mee.version(), 0, chains)
                .map_err(|e| flow(e.into()))?;
            mee.refresh(&mut a).await.map_err(flow)?;
            if let Some(d) = a.deployments.iter().find(|d| !d.deployed) {
                return Err(MeeError::Undeployed { account: at, chain_id: d.chain_id });
            }
            Ok(a)
        }
        (Some(owner), None) => mee.account(owner, sel.index).await.map_err(flow),
        (None, None) => Err(MeeError::Usage {
            flag: "--owner",
            reason: "the account: pass --owner ADDRESS or --account ADDRESS",
        }),
    }
}

/// The account's address on each chain, as JSON `{chainId: address}`.
pub(super) fn addresses(a: &MultichainAccount) -> Value {
    Value::Object(
        a.deployments.iter().map(|d| (d.chain_id.to_string(), json!(d.address))).collect(),
    )
}

/// The payment of `p`.
pub(super) fn payment(mee: &MeeSessions, p: &PaymentArgs) -> Result<Payment, MeeError> {
    if p.sponsored {
        let d = Sponsorship::default();
        let (chain, token) = match &p.gas_tank {
            Some(s) => chain_address("--gas-tank", s)?,
            None => (d.chain_id, d.token),
        };
        return Ok(Payment::Sponsored(mee.sponsorship(chain, token)));
    }
    let Some(s) = &p.fee_token else {
        return Err(MeeError::Usage {
            flag: "--fee-token",
            reason: "pass --fee-token CHAIN_ID:ADDRESS or --sponsored",
        });
    };
    let (chain_id, address) = chain_address("--fee-token", s)?;
    Ok(Payment::FeeToken { token: FeeToken { address, chain_id }, gas_refund_address: None })
}

/// What a sent supertransaction shows: its hash and fee.
pub(super) fn sent_json(s: &Submitted) -> Value {
    json!({
        "supertransactionHash": s.hash,
        "userOps": s.user_ops,
        "fee": s.fee.map(|(token, to, amount)| json!({
            "token": token, "recipient": to, "amount": amount.to_string(),
        })),
    })
}

/// Waits for `sent`'s receipt (unless `no_wait`) and folds the outcome into an answer:
/// exit 0 with `status: MINED_SUCCESS`, 1 for a failure, [`EXIT_OUTCOME_UNKNOWN`] when the
/// outcome is unknown; the hash is in the output every time.
pub(super) async fn finish(
    mee: &MeeSessions,
    mut output: Value,
    sent: &Submitted,
    no_wait: bool,
) -> Answer {
    if no_wait {
        output["status"] = Value::Null;
        return Answer { output, code: 0, error: None };
    }
    match mee.wait_for_supertransaction_receipt(sent.hash).await {
        Ok(r) if r.status().as_str() == "MINED_SUCCESS" => {
            output["status"] = json!("MINED_SUCCESS");
            Answer { output, code: 0, error: None }
        }
        Ok(r) => {
            let e = format!("supertransaction {}: final status {}", sent.hash, r.status());
            output["status"] = json!(r.status().as_str());
            output["error"] = json!(e);
            Answer { output, code: 1, error: Some(e) }
        }
        Err(e) => failed(output, &FlowError::Receipt(e)),
    }
}

/// A flow error after which a supertransaction hash may exist: the hash in the output, exit 3
/// when the outcome is unknown (with the way to look it up), else 1.
pub(super) fn failed(mut output: Value, e: &FlowError) -> Answer {
    let mut message = printable(&with_causes(e));
    let hash: Option<B256> = e.supertransaction_hash();
    let code = if e.outcome_unknown() {
        output["outcome"] = json!("unknown");
        if let Some(h) = hash {
            message.push_str(&format!(
                " (it may have executed: do not send it again; look it up with \
                 `smart-sessions mee receipt {h} --wait`)"
            ));
        }
        EXIT_OUTCOME_UNKNOWN
    } else {
        1
    };
    if let Some(h) = hash {
        output["supertransactionHash"] = json!(h);
    }
    output["error"] = json!(message);
    Answer { output, code, error: Some(message) }
}

/// The `--details` file: a `sessionDetails` array (or one entry) in either of the SDK's
/// serialised forms (abstractjs `stringify`, or plain JSON with decimal-string bigints).
pub(super) fn read_details(
    path: &Path,
) -> Result<Vec<smart_sessions_mee::SessionDetails>, MeeError> {
    let v = read_json("--details", path)?;
    let list = if v.is_array() { v } else { Value::Array(vec![v]) };
    let details = smart_sessions_mee::SessionDetails::list_from_json(&list)
        .map_err(|source| MeeError::File { flag: "--details", path: path.to_path_buf(), source })?;
    if details.is_empty() {
        return Err(MeeError::Usage { flag: "--details", reason: "the file holds no session" });
    }
    Ok(details)
}
