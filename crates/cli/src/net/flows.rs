//! The one module of the CLI that talks to `smart-sessions-client`: every client type and call
//! the network commands use goes through here, so a change of the client's API is adapted in one
//! file. The command modules parse arguments and shape output; this module runs the flows.

use super::{
    NetError, Res,
    args::{AccountArgs, FactoryKind, OffChain},
    endpoint::require,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_signer_local::PrivateKeySigner;
use serde_json::{Value, json};
use smart_sessions_client::{
    FlowError, NexusAccount, NexusClient, NexusDeployment, Precheck, Sent,
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

/// The account: `--account`, or derived from the owner through the table's factory.
async fn account<P: Provider>(
    node: &P,
    d: &Deployments,
    a: &AccountArgs,
    owner: Option<Address>,
) -> Res<NexusAccount> {
    if let Some(addr) = a.account {
        return Ok(NexusAccount::existing(addr, d.entry_point));
    }
    let testnet;
    let d = if a.testnet {
        testnet = d.clone().testnet();
        &testnet
    } else {
        d
    };
    let owner = a.owner.or(owner).ok_or_else(|| {
        NetError::Usage("the account: pass --account, --owner, or an owner key".into())
    })?;
    let default =
        if d.k1_validator_factory.is_some() { FactoryKind::K1 } else { FactoryKind::Nexus };
    let kind = a.factory.unwrap_or(default);
    match kind {
        FactoryKind::K1 => {
            let factory = d.k1_validator_factory.ok_or_else(|| {
                NetError::Usage(
                    "the table has no k1ValidatorFactory (use --set or --factory nexus)".into(),
                )
            })?;
            let threshold = u8::from(!d.attesters.is_empty());
            Ok(NexusAccount::k1_validator_factory(
                node,
                d.entry_point,
                factory,
                owner,
                U256::from(a.index),
                &d.attesters,
                threshold,
            )
            .await
            .map_err(NetError::client)?)
        }
        FactoryKind::Nexus => {
            require(d.owner_validator, "ownerValidator")?;
            let (Some(factory), Some(bootstrap)) = (d.nexus_factory, d.nexus_bootstrap) else {
                return Err(NetError::Usage(
                    "the table has no nexusFactory/nexusBootstrap (use --set or --factory k1)"
                        .into(),
                ));
            };
            Ok(NexusAccount::counterfactual(
                node,
                NexusDeployment { entry_point: d.entry_point, factory, bootstrap },
                d.owner_validator,
                owner.to_vec().into(),
                B256::from(U256::from(a.index)),
            )
            .await
            .map_err(NetError::client)?)
        }
    }
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

/// The account's trusted attesters as `registry.findTrustedAttesters` reports them:
/// `{registry, trustedAttesters, attesterThreshold}`. The threshold is `null`: the ERC-7484
/// registry has no getter for it (`trust-attesters` reports the one it sets). A registry that
/// does not answer (none deployed on this chain, a zero address in the table) gives
/// `trustedAttesters: null` and `trustedAttestersError` instead of failing the command.
pub(crate) async fn trust_json<P: Provider>(
    node: &P,
    registry: Address,
    account: Address,
) -> Value {
    if registry.is_zero() {
        return json!({ "registry": null, "trustedAttesters": null, "attesterThreshold": null });
    }
    match smart_sessions_client::trusted_attesters(node, registry, account).await {
        Ok(list) => {
            json!({ "registry": registry, "trustedAttesters": list, "attesterThreshold": null })
        }
        Err(e) => json!({
            "registry": registry,
            "trustedAttesters": null,
            "attesterThreshold": null,
            "trustedAttestersError": crate::text::printable(&crate::text::with_causes(&e)),
        }),
    }
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
    // what was set is known: report it as the threshold
    v["attesterThreshold"] = json!(threshold);
    Ok(v)
}

/// `account`: the address, whether deployed, and which modules are installed.
pub(crate) async fn account_info<P: Provider>(
    node: &P,
    d: &Deployments,
    a: &AccountArgs,
    owner: Option<Address>,
    g: Generation,
) -> Res<Value> {
    let acct = account(node, d, a, owner).await?;
    let deployed = acct.is_deployed(node).await.map_err(NetError::client)?;
    let mut out = json!({
        "address": acct.address,
        "deployed": deployed,
        "generation": g.name(),
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
    node: P,
    d: Deployments,
    a: &AccountArgs,
    owner: &PrivateKeySigner,
    requests: &[SessionRequest],
    style: OffChain,
) -> Res<(Value, Vec<SessionDetails>)> {
    let acct = account(&node, &d, a, Some(owner.address())).await?;
    let client = NexusClient::new(node.clone(), node, d, acct).await?;
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
    node: P,
    bundler: B,
    d: Deployments,
    a: &AccountArgs,
    owner: &PrivateKeySigner,
    requests: &[SessionRequest],
) -> Res<(Value, Vec<SessionDetails>)> {
    let acct = account(&node, &d, a, Some(owner.address())).await?;
    let client = NexusClient::new(node, bundler, d, acct).await?;
    let grant = client.grant_permission(owner, requests).await?;
    let mut v = sent_json(&grant.sent);
    v["account"] = json!(client.address());
    v["permissionIds"] = json!(grant.permission_ids);
    Ok((v, grant.sessions))
}

/// `use`: the session key runs `calls` (USE, or ENABLE_AND_USE on an off-chain grant's first use).
pub(crate) async fn use_permission<P: Provider, B: Provider>(
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
        NexusClient::new(node, bundler, d, NexusAccount::existing(det.account, entry_point))
            .await?;
    let enabled = client.is_permission_enabled(det.permission_id).await?;
    let check = if skip_check { Precheck::Skip } else { Precheck::On };
    let sent = client.use_permission(signer, det, calls, check).await?;
    let mut v = sent_json(&sent);
    v["mode"] = json!(if enabled { "USE" } else { "ENABLE_AND_USE" });
    v["permissionId"] = json!(det.permission_id);
    Ok(v)
}

/// `status` of one session: enabled, pending enable, remaining budgets.
pub(crate) async fn status<P: Provider + Clone>(
    node: &P,
    d: Deployments,
    det: &SessionDetails,
) -> Res<Value> {
    let (entry_point, registry) = (d.entry_point, d.registry);
    let client = NexusClient::new(
        node.clone(),
        node.clone(),
        d,
        NexusAccount::existing(det.account, entry_point),
    )
    .await?;
    let enabled = client.is_permission_enabled(det.permission_id).await?;
    let budgets = match det.session() {
        Some(s) => client.remaining_budgets(&s).await?,
        None => Vec::new(),
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
        "enabled": enabled,
        "pendingEnable": !enabled && det.enable().is_some(),
        "budgets": budgets,
    });
    merge(&mut out, trust_json(node, registry, det.account).await);
    Ok(out)
}

/// `revoke`: `removeSession`, or `revokeEnableSignature` of an unused off-chain grant.
pub(crate) async fn revoke<P: Provider + Clone, B: Provider>(
    node: P,
    bundler: B,
    d: Deployments,
    a: &AccountArgs,
    owner: &PrivateKeySigner,
    permission_id: B256,
    enable_signature: bool,
) -> Res<Value> {
    let acct = account(&node, &d, a, Some(owner.address())).await?;
    let client = NexusClient::new(node, bundler, d, acct).await?;
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
