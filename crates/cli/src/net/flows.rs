//! The one module of the CLI that talks to `smart-sessions-client`: every client type and call
//! the network commands use goes through here, so a change of the client's API is adapted in one
//! file. The command modules parse arguments and shape output; this module runs the flows.

use super::{
    NetError, Res, Usage,
    args::{AccountArgs, FactoryKind, OffChain},
    endpoint::{Endpoint, require},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_signer_local::PrivateKeySigner;
use serde_json::{Value, json};
use smart_sessions_client::{
    AccountKind, FlowError, GrantStatus, NexusAccount, NexusClient, Precheck, Sent,
};
use smart_sessions_codec::{Execution, Generation};
use smart_sessions_policy::json::SessionRequestInfo;

pub(crate) use smart_sessions_client::{Deployments, SessionDetails, SessionRequest};

impl From<FlowError> for NetError {
    fn from(e: FlowError) -> Self {
        Self::client(e)
    }
}

/// The client's request for a request file's entry (the policy crate's reader names bad fields;
/// the client takes the same fields).
pub(crate) fn session_request(r: SessionRequestInfo) -> SessionRequest {
    SessionRequest {
        session_public_key: r.session_public_key,
        session_validator_address: r.session_validator_address,
        session_key_data: r.session_key_data,
        session_valid_until: r.session_valid_until,
        session_valid_after: r.session_valid_after,
        action_policies_info: r.action_policies_info,
        salt: r.salt,
        // set by `grant --permit-paymaster` (the request files' shape has no such field)
        permit_paymaster: false,
    }
}

/// Checks every request against the table (policies, rules, time frame) without the network;
/// the error names the request's index.
pub(crate) fn validate_requests(
    d: &Deployments,
    requests: &[SessionRequest],
) -> Result<(), (usize, FlowError)> {
    for (i, r) in requests.iter().enumerate() {
        r.to_session(d).map_err(|e| (i, e))?;
    }
    Ok(())
}

/// A client for `acct` with the endpoint's options (timeouts, paymaster), on the chain
/// `--chain` names.
async fn client<N: Provider, B: Provider>(
    ep: &Endpoint,
    node: N,
    bundler: B,
    d: Deployments,
    acct: NexusAccount,
) -> Res<NexusClient<N, B>> {
    let c = NexusClient::new(node, bundler, d, acct).await?.with_options(ep.options()?);
    ep.check_chain(c.chain_id())?;
    Ok(c)
}

/// With `--chain`, checks the node's chain id before anything that depends on the chain (one
/// `eth_chainId`; none without `--chain`).
async fn chain_first<P: Provider>(ep: &Endpoint, node: &P) -> Res<()> {
    if ep.chain.is_none() {
        return Ok(());
    }
    let id = node.get_chain_id().await.map_err(|e| {
        NetError::client(smart_sessions_client::ClientError::Transport {
            step: "eth_chainId",
            source: e,
        })
    })?;
    ep.check_chain(id)
}

/// The account: `--account`, or derived from the owner the way the table's SDK creates it
/// ([`Deployments::account_for`]; `--factory` picks the factory).
async fn account<P: Provider>(
    node: &P,
    d: &Deployments,
    a: &AccountArgs,
    owner: Option<Address>,
) -> Res<NexusAccount> {
    if let Some(addr) = a.account {
        return Ok(NexusAccount::existing(addr, d.entry_point));
    }
    let mut d = if a.testnet { d.clone().testnet() } else { d.clone() };
    let owner = a.owner.or(owner).ok_or_else(|| NetError::Usage(Usage::NoAccount))?;
    match a.factory {
        Some(FactoryKind::K1) => {
            if d.k1_validator_factory.is_none() {
                return Err(NetError::Usage(Usage::NoFactory {
                    missing: "k1ValidatorFactory",
                    other: "nexus",
                }));
            }
            d.account_kind = Some(AccountKind::K1ValidatorFactory);
        }
        Some(FactoryKind::Nexus) => {
            require(d.owner_validator, "ownerValidator")?;
            if d.nexus_factory.is_none() || d.nexus_bootstrap.is_none() {
                return Err(NetError::Usage(Usage::NoFactory {
                    missing: "nexusFactory/nexusBootstrap",
                    other: "k1",
                }));
            }
            d.account_kind = Some(AccountKind::NexusSingleValidator);
        }
        None => {}
    }
    d.account_for(node, owner, U256::from(a.index)).await.map_err(NetError::client)
}

fn sent_json(s: &Sent) -> Value {
    json!({
        "userOpHash": s.user_op_hash,
        "gasUsed": s.gas_used(),
        "latencyMs": s.latency.as_millis() as u64,
        "signatureBytes": s.user_op.signature.len(),
        "callDataBytes": s.user_op.call_data.len(),
    })
}

/// The account's trusted attesters and threshold: [`super::trust::trust_json`].
pub(crate) async fn trust_json<P: Provider>(
    node: &P,
    registry: Address,
    account: Address,
) -> Value {
    super::trust::trust_json(node, registry, account).await
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

/// `trust-attesters`: one owner operation calling `registry.trustAttesters(threshold,
/// attesters)` (`attesters` sorted, checked by the caller), then the list read back.
pub(crate) async fn trust_attesters<P: Provider + Clone, B: Provider>(
    node: P,
    bundler: B,
    d: Deployments,
    a: &AccountArgs,
    owner: &PrivateKeySigner,
    attesters: &[Address],
    threshold: u8,
) -> Res<Value> {
    let registry = d.registry;
    let acct = account(&node, &d, a, Some(owner.address())).await?;
    let client = NexusClient::new(node.clone(), bundler, d, acct).await?;
    let sent = client.trust_attesters(owner, attesters, threshold).await?;
    let mut v = sent_json(&sent);
    v["account"] = json!(client.address());
    v["threshold"] = json!(threshold);
    merge(&mut v, trust_json(&node, registry, client.address()).await);
    Ok(v)
}

/// `account`: the address, whether deployed, and which modules are installed. The table's
/// contracts are checked first ([`Deployments::detect`]): a missing one is named.
pub(crate) async fn account_info<P: Provider>(
    ep: &Endpoint,
    node: &P,
    d: &Deployments,
    a: &AccountArgs,
    owner: Option<Address>,
    g: Generation,
) -> Res<Value> {
    let chain_id = node.get_chain_id().await.map_err(|e| {
        NetError::client(smart_sessions_client::ClientError::Transport {
            step: "eth_chainId",
            source: e,
        })
    })?;
    ep.check_chain(chain_id)?;
    d.detect(node).await.map_err(|source| NetError::Detect { generation: g.name(), source })?;
    let acct = account(node, d, a, owner).await?;
    let deployed = acct.is_deployed(node).await.map_err(NetError::client)?;
    let mut out = json!({
        "address": acct.address,
        "deployed": deployed,
        "generation": g.name(),
        "chainId": chain_id,
    });
    if deployed {
        for (name, module) in
            [("smartSession", d.smart_session), ("ownerValidator", d.owner_validator)]
        {
            let i = acct
                .is_module_installed(node, 1, module, Bytes::new())
                .await
                .map_err(NetError::client)?;
            out[format!("{name}Installed")] = json!(i);
        }
    }
    merge(&mut out, trust_json(node, d.registry, acct.address).await);
    Ok(out)
}

/// `grant --off-chain`: the owner signs each request; nothing is sent.
pub(crate) async fn grant_off_chain<P: Provider + Clone>(
    ep: &Endpoint,
    node: P,
    d: Deployments,
    a: &AccountArgs,
    owner: &PrivateKeySigner,
    requests: &[SessionRequest],
    style: OffChain,
) -> Res<(Value, Vec<SessionDetails>)> {
    chain_first(ep, &node).await?;
    let acct = account(&node, &d, a, Some(owner.address())).await?;
    let client = client(ep, node.clone(), node, d, acct).await?;
    let mut details = Vec::new();
    for r in requests {
        details.push(match style {
            OffChain::Typed => client.grant_permission_typed_data_sign(owner, r).await?,
            OffChain::Personal => client.grant_permission_personal_sign(owner, r).await?,
        });
    }
    let ids: Vec<B256> = details.iter().map(|d| d.permission_id).collect();
    Ok((json!({ "account": client.address(), "permissionIds": ids, "offChain": true }), details))
}

/// `grant`: one owner user operation enabling every request.
pub(crate) async fn grant_on_chain<P: Provider + Clone, B: Provider>(
    ep: &Endpoint,
    node: P,
    bundler: B,
    d: Deployments,
    a: &AccountArgs,
    owner: &PrivateKeySigner,
    requests: &[SessionRequest],
) -> Res<(Value, Vec<SessionDetails>)> {
    chain_first(ep, &node).await?;
    let acct = account(&node, &d, a, Some(owner.address())).await?;
    let client = client(ep, node, bundler, d, acct).await?;
    let grant = client.grant_permission(owner, requests).await?;
    let mut v = sent_json(&grant.sent);
    v["account"] = json!(client.address());
    v["permissionIds"] = json!(grant.permission_ids);
    Ok((v, grant.sessions))
}

/// `use`: the session key runs `calls` (USE, or ENABLE_AND_USE on an off-chain grant's first
/// use). A dead grant (revoked, removed) is refused by the client before anything is sent,
/// naming why.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn use_permission<P: Provider, B: Provider>(
    ep: &Endpoint,
    node: P,
    bundler: B,
    d: Deployments,
    det: &SessionDetails,
    signer: &PrivateKeySigner,
    calls: &[Execution],
    skip_check: bool,
) -> Res<Value> {
    let entry_point = d.entry_point;
    let client =
        client(ep, node, bundler, d, NexusAccount::existing(det.account, entry_point)).await?;
    // a dead grant (revoked, removed) is refused by the client before anything is sent
    // (`FlowError::DeadGrant`, naming why), after its check of the details' SmartSession
    let enabled = client.is_permission_enabled(det.permission_id).await?;
    let mode = if enabled { "USE" } else { "ENABLE_AND_USE" };
    let check = if skip_check { Precheck::Skip } else { Precheck::On };
    let sent = client.use_permission(signer, det, calls, check).await?;
    let mut v = sent_json(&sent);
    v["mode"] = json!(mode);
    v["permissionId"] = json!(det.permission_id);
    Ok(v)
}

/// The name `status` prints for a grant's state.
const fn status_name(s: GrantStatus) -> &'static str {
    match s {
        GrantStatus::Enabled => "enabled",
        GrantStatus::Pending => "pending",
        GrantStatus::RevokedOrRemoved { .. } => "revokedOrRemoved",
        GrantStatus::Removed => "removed",
        _ => "unknown",
    }
}

/// `status` of one session: its grant's state ([`NexusClient::grant_status`]) and, while it can
/// still be used, the remaining budgets (none for a dead grant).
pub(crate) async fn status<P: Provider + Clone>(
    ep: &Endpoint,
    node: &P,
    d: Deployments,
    det: &SessionDetails,
) -> Res<Value> {
    let (entry_point, registry) = (d.entry_point, d.registry);
    let client =
        client(ep, node.clone(), node.clone(), d, NexusAccount::existing(det.account, entry_point))
            .await?;
    let grant = client.grant_status(det).await?;
    let usable = matches!(grant, GrantStatus::Enabled | GrantStatus::Pending);
    let budgets = match det.session() {
        Some(s) if usable => client.remaining_budgets(&s).await?,
        _ => Vec::new(),
    };
    let budgets: Vec<Value> = budgets
        .iter()
        .map(|b| {
            json!({
                "action": b.action.map(|(t, s)| format!("{t}.{s}")),
                "policy": b.policy,
                "item": b.item,
                "remaining": b.item.remaining(),
                "summary": b.to_string(),
            })
        })
        .collect();
    let mut out = json!({
        "account": det.account,
        "chainId": client.chain_id(),
        "permissionId": det.permission_id,
        "status": status_name(grant),
        "statusDetail": grant.to_string(),
        "enabled": grant == GrantStatus::Enabled,
        "pendingEnable": grant == GrantStatus::Pending,
        "budgets": budgets,
    });
    merge(&mut out, trust_json(node, registry, det.account).await);
    Ok(out)
}

/// `revoke`: `removeSession`, or `revokeEnableSignature` of an unused off-chain grant.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn revoke<P: Provider + Clone, B: Provider>(
    ep: &Endpoint,
    node: P,
    bundler: B,
    d: Deployments,
    a: &AccountArgs,
    owner: &PrivateKeySigner,
    permission_id: B256,
    enable_signature: bool,
) -> Res<Value> {
    chain_first(ep, &node).await?;
    let acct = account(&node, &d, a, Some(owner.address())).await?;
    let client = client(ep, node, bundler, d, acct).await?;
    let sent = if enable_signature {
        client.revoke_enable_signature(owner, permission_id).await?
    } else {
        client.remove_session(owner, permission_id).await?
    };
    let mut v = sent_json(&sent);
    v["permissionId"] = json!(permission_id);
    v["action"] = json!(if enable_signature { "revokeEnableSignature" } else { "removeSession" });
    Ok(v)
}

/// What `op lookup` and `op wait` print about an operation.
fn op_json(
    hash: B256,
    found: Option<&smart_sessions_client::UserOperationByHash>,
    receipt: Option<&smart_sessions_client::UserOperationReceipt>,
) -> Value {
    let state = match (found, receipt) {
        (_, Some(_)) => "included",
        (Some(f), None) if f.block_number.is_some() => "included",
        (Some(_), None) => "pending",
        (None, None) => "unknown",
    };
    json!({
        "userOpHash": hash,
        "state": state,
        "sender": found.map(|f| f.user_operation.sender).or_else(|| receipt.map(|r| r.sender)),
        "nonce": found.map(|f| f.user_operation.nonce).or_else(|| receipt.map(|r| r.nonce)),
        "entryPoint": found.map(|f| f.entry_point),
        "blockNumber": found.and_then(|f| f.block_number),
        "transactionHash": found.and_then(|f| f.transaction_hash),
        "success": receipt.map(|r| r.success),
        "gasUsed": receipt.map(|r| r.actual_gas_used),
        "gasCost": receipt.map(|r| r.actual_gas_cost),
    })
}

/// `op lookup` (`wait = false`: one `eth_getUserOperationByHash` and one
/// `eth_getUserOperationReceipt`) or `op wait` (the receipt, polled within
/// `--receipt-timeout`; the sender and nonce from `known` or from the lookup).
pub(crate) async fn op<P: Provider, B: Provider>(
    ep: &Endpoint,
    node: P,
    bundler: B,
    d: Deployments,
    hash: B256,
    known: Option<(Address, U256)>,
    wait: bool,
) -> Res<Value> {
    let entry_point = d.entry_point;
    let sender = known.map_or(Address::ZERO, |k| k.0);
    let client = client(ep, node, bundler, d, NexusAccount::existing(sender, entry_point)).await?;
    // `wait` with a known sender and nonce needs no lookup (the bundler may not know the hash)
    let found = match known {
        Some(_) if wait => None,
        _ => client.pending(hash, sender, U256::ZERO).lookup().await?,
    };
    let (sender, nonce) = match (known, &found) {
        (Some(k), _) => k,
        (None, Some(f)) => (f.user_operation.sender, f.user_operation.nonce),
        (None, None) if wait => {
            return Err(NetError::Usage(Usage::UnknownOperation { hash }));
        }
        (None, None) => return Ok(op_json(hash, None, None)),
    };
    let pending = client.pending(hash, sender, nonce);
    let receipt = if wait {
        // still unknown when the wait fails (timeout, bundler down): exit code 3 again
        Some(pending.wait().await.map_err(|e| match e {
            e if e.may_have_executed() => e,
            e => FlowError::OutcomeUnknown {
                user_op_hash: hash,
                sender,
                nonce,
                step: "eth_getUserOperationReceipt",
                source: Box::new(e),
            },
        })?)
    } else {
        pending.receipt().await?
    };
    Ok(op_json(hash, found.as_ref(), receipt.as_ref()))
}
