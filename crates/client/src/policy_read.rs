//! Reading a permission's policy state from chain: the policies SmartSession has enabled for
//! it and each stateful policy's counters, in one JSON-RPC batch; stateless policies from their
//! init data.

use crate::{
    ClientError, Deployments,
    checks::{EnabledPolicies, PolicyState, PolicyView, Slot, slots},
};
use alloy_primitives::{Address, B256, Bytes};
use alloy_provider::Provider;
use alloy_rpc_client::BatchRequest;
use alloy_rpc_types_eth::{BlockId, TransactionRequest};
use alloy_sol_types::{SolCall, SolType, sol_data};
use smart_sessions_codec::{ActionConfig, AnySession, PolicyData, PolicyKind, action_id};
use smart_sessions_policy::eval::{
    Erc20SpendingLimitPolicy, TimeFramePolicy, TokenSpend, UniActionPolicy, UsageLimitPolicy,
    ValueLimitPolicy,
};
use std::collections::BTreeMap;

// The calls, from the generated bindings (the same selectors in every generation: the
// SmartSession views are the legacy ABI's, the policies' getters the current policies' ABIs).
// Answers are decoded by hand below where a generation's layout differs.
pub(crate) use smart_sessions_bindings::{
    current::{
        erc20_spending_limit_policy::ERC20SpendingLimitPolicy::getPolicyDataCall,
        uni_action_policy::UniActionPolicy::actionConfigsCall,
        usage_limit_policy::UsageLimitPolicy::usageLimitConfigsCall,
        value_limit_policy::ValueLimitPolicy::valueLimitConfigsCall,
    },
    legacy::smart_session::SmartSession::{
        getActionPoliciesCall, getUserOpPoliciesCall, isActionPolicyEnabledCall,
        isUserOpPolicyEnabledCall,
    },
};

/// The state a policy starts with after `initializeWithMultiplexer(init_data)`.
pub(crate) fn initial_state(
    d: &Deployments,
    policy: &PolicyData,
) -> Result<PolicyState, ClientError> {
    let bad = |source| ClientError::PolicyInit { policy: policy.policy, source };
    let data = &policy.initData;
    Ok(match d.policy_kind(policy.policy) {
        Some(PolicyKind::Sudo) => PolicyState::Sudo,
        Some(PolicyKind::UniversalAction) => {
            PolicyState::UniAction(UniActionPolicy::initialize(data).map_err(bad)?)
        }
        Some(PolicyKind::UsageLimit) => {
            PolicyState::UsageLimit(UsageLimitPolicy::initialize(data).map_err(bad)?)
        }
        Some(PolicyKind::ValueLimit) => {
            PolicyState::ValueLimit(ValueLimitPolicy::initialize(data).map_err(bad)?)
        }
        Some(PolicyKind::TimeFrame) => PolicyState::TimeFrame(time_frame(d, policy)?),
        Some(PolicyKind::SpendingLimits) => {
            PolicyState::SpendingLimits(Erc20SpendingLimitPolicy::initialize(data).map_err(bad)?)
        }
        _ => PolicyState::Unknown,
    })
}

fn time_frame(d: &Deployments, policy: &PolicyData) -> Result<TimeFramePolicy, ClientError> {
    let data = &policy.initData;
    let u128_layout = policy.policy == smart_sessions_policy::json::BICONOMY_TIME_FRAME_POLICY
        || d.generation.time_frame_uses_u128();
    if u128_layout {
        let word = data.get(..32).ok_or_else(|| ClientError::Unexpected {
            step: "time frame policy init data",
            reason: format!(
                "time frame policy {}: needs 32 bytes (uint128, uint128)",
                policy.policy
            ),
        })?;
        let until = u128::from_be_bytes(word[..16].try_into().unwrap_or_default());
        let after = u128::from_be_bytes(word[16..].try_into().unwrap_or_default());
        Ok(TimeFramePolicy {
            valid_until: u64::try_from(until).unwrap_or(u64::MAX),
            valid_after: u64::try_from(after).unwrap_or(u64::MAX),
        })
    } else {
        TimeFramePolicy::initialize(data)
            .map_err(|source| ClientError::PolicyInit { policy: policy.policy, source })
    }
}

/// Reads, in one batched request, which policies SmartSession has enabled for the permission and
/// the on-chain state of every stateful policy of `session`. Stateless policies (sudo, time
/// frame) come from their init data.
pub(crate) async fn read_view<P: Provider>(
    provider: &P,
    d: &Deployments,
    session: &AnySession,
    account: Address,
) -> Result<PolicyView, ClientError> {
    let mut batch = BatchRequest::new(provider.client());
    let request = ViewRequest::add(&mut batch, d, session, account)?;
    batch.send().await.map_err(fail("policy state batch"))?;
    request.collect().await
}

type Waiter = alloy_rpc_client::Waiter<Bytes>;

fn fail(step: &'static str) -> impl Fn(alloy_transport::TransportError) -> ClientError {
    move |e| ClientError::node(step, e)
}

/// The calls of [`read_view`] added to a batch, to collect once it is sent.
pub(crate) struct ViewRequest {
    pid: B256,
    account: Address,
    actions: Vec<B256>,
    block: alloy_rpc_client::Waiter<alloy_primitives::U64>,
    /// The policy lists SmartSession holds (user-op: `None`), to find policies enabled on chain
    /// that the session does not declare.
    lists: Vec<(Option<B256>, Waiter)>,
    flags: Vec<(Option<B256>, Address, Waiter)>,
    pending: Vec<(Slot, Vec<Waiter>, PolicyState)>,
    out: BTreeMap<Slot, PolicyState>,
    kinds: Deployments,
}

impl ViewRequest {
    /// Adds the calls to `batch`.
    pub(crate) fn add(
        batch: &mut BatchRequest<'_>,
        d: &Deployments,
        session: &AnySession,
        account: Address,
    ) -> Result<Self, ClientError> {
        let ss = d.smart_session;
        let mut pending = Vec::new();
        let mut out = BTreeMap::new();
        let pid = session.permission_id();
        let add = |batch: &mut BatchRequest<'_>, to: Address, data: Vec<u8>| {
            let tx = TransactionRequest::default().to(to).input(Bytes::from(data).into());
            batch.add_call::<_, Bytes>("eth_call", &(tx, BlockId::latest()))
        };
        // is each declared policy enabled on chain?
        let mut flags = Vec::new();
        for (action, policy, _) in slots(session, account) {
            let data = match action {
                None => {
                    isUserOpPolicyEnabledCall { account, permissionId: pid, policy: policy.policy }
                        .abi_encode()
                }
                Some(a) => isActionPolicyEnabledCall {
                    account,
                    permissionId: pid,
                    actionId: action_id(a.actionTarget, a.actionTargetSelector),
                    policy: policy.policy,
                }
                .abi_encode(),
            };
            let key = action.map(|a| action_id(a.actionTarget, a.actionTargetSelector));
            flags.push((key, policy.policy, add(batch, ss, data).map_err(fail("batch"))?));
        }
        for (_, policy, slot) in slots(session, account) {
            if out.contains_key(&slot) {
                continue;
            }
            let state = initial_state(d, policy)?;
            let (s, p, cid) = (ss, policy.policy, slot.config_id);
            match &state {
                PolicyState::UniAction(_) => {
                    let c = actionConfigsCall { id: cid, msgSender: s, userOpSender: account };
                    let w = add(batch, p, c.abi_encode()).map_err(fail("batch"))?;
                    pending.push((slot.clone(), vec![w], state.clone()));
                }
                PolicyState::UsageLimit(_) => {
                    let c = usageLimitConfigsCall { id: cid, msgSender: s, userOpSender: account };
                    let w = add(batch, p, c.abi_encode()).map_err(fail("batch"))?;
                    pending.push((slot.clone(), vec![w], state.clone()));
                }
                PolicyState::ValueLimit(_) => {
                    let c = valueLimitConfigsCall { id: cid, msgSender: s, userOpSender: account };
                    let w = add(batch, p, c.abi_encode()).map_err(fail("batch"))?;
                    pending.push((slot.clone(), vec![w], state.clone()));
                }
                PolicyState::SpendingLimits(init) => {
                    let mut ws = Vec::new();
                    for token in init.tokens.keys() {
                        let c = getPolicyDataCall {
                            id: cid,
                            multiplexer: s,
                            token: *token,
                            userOpSender: account,
                        };
                        ws.push(add(batch, p, c.abi_encode()).map_err(fail("batch"))?);
                    }
                    pending.push((slot.clone(), ws, state.clone()));
                }
                _ => {}
            }
            out.insert(slot, state);
        }
        let actions: Vec<B256> = session
            .actions()
            .iter()
            .map(|a| action_id(a.actionTarget, a.actionTargetSelector))
            .collect();
        let block = batch
            .add_call::<_, alloy_primitives::U64>("eth_blockNumber", &())
            .map_err(fail("batch"))?;
        let mut lists = Vec::new();
        let c = getUserOpPoliciesCall { account, permissionId: pid };
        lists.push((None, add(batch, ss, c.abi_encode()).map_err(fail("batch"))?));
        for id in &actions {
            let c = getActionPoliciesCall { account, permissionId: pid, actionId: *id };
            lists.push((Some(*id), add(batch, ss, c.abi_encode()).map_err(fail("batch"))?));
        }
        Ok(Self { pid, account, actions, block, lists, flags, pending, out, kinds: d.clone() })
    }

    /// The view, once the batch is sent.
    pub(crate) async fn collect(self) -> Result<PolicyView, ClientError> {
        let Self { pid, account, actions, block, lists, flags, pending, mut out, kinds } = self;
        let block = block.await.map_err(fail("eth_blockNumber"))?.to::<u64>();
        let span = tracing::debug_span!("policy_state", calls = pending.len() + flags.len());
        let _enter = span.enter();
        let mut enabled = EnabledPolicies::default();
        for id in actions {
            enabled.actions.insert(id, Vec::new());
        }
        for (key, policy, w) in flags {
            let raw = w.await.map_err(fail("policy enabled"))?;
            let on = isUserOpPolicyEnabledCall::abi_decode_returns(&raw).map_err(|source| {
                tracing::debug!(%pid, "enabled-policy flag does not decode");
                ClientError::PolicyDecode { step: "enabled policies", policy, source }
            })?;
            let list = match key {
                None => &mut enabled.user_op,
                Some(id) => enabled.actions.entry(id).or_default(),
            };
            if on && !list.contains(&policy) {
                list.push(policy);
            }
        }
        for (slot, waiters, init) in pending {
            let step = "policy state";
            let mut results = Vec::new();
            for w in waiters {
                results.push(w.await.map_err(fail(step))?);
            }
            // one answer per waiter: single-call policies have exactly one
            let first = results.first().cloned().unwrap_or_default();
            let decode = |source: alloy_sol_types::Error| ClientError::PolicyDecode {
                step,
                policy: slot.policy,
                source,
            };
            let state = match init {
                PolicyState::UniAction(_) => PolicyState::UniAction(UniActionPolicy::from_config(
                    ActionConfig::abi_decode(&first).map_err(|source| ClientError::Encoding {
                        step: "UniActionPolicy.actionConfigs",
                        source,
                    })?,
                )),
                PolicyState::UsageLimit(_) => {
                    let (limit, used) =
                        <(sol_data::Uint<128>, sol_data::Uint<128>)>::abi_decode_params(&first)
                            .map_err(decode)?;
                    PolicyState::UsageLimit(UsageLimitPolicy { limit, used })
                }
                PolicyState::ValueLimit(_) => {
                    let (limit, used) =
                        <(sol_data::Uint<256>, sol_data::Uint<256>)>::abi_decode_params(&first)
                            .map_err(decode)?;
                    PolicyState::ValueLimit(ValueLimitPolicy { limit, used })
                }
                PolicyState::SpendingLimits(mut s) => {
                    for ((_, t), r) in s.tokens.iter_mut().zip(&results) {
                        type Three =
                            (sol_data::Uint<256>, sol_data::Uint<256>, sol_data::Uint<256>);
                        let (limit, spent, approved) =
                            <Three>::abi_decode_params(r).map_err(decode)?;
                        *t = TokenSpend { limit, spent, approved };
                    }
                    PolicyState::SpendingLimits(s)
                }
                other => other,
            };
            out.insert(slot, state);
        }
        // policies enabled on chain under this permission that the session does not declare
        // (added by the owner since): their state is unknown here, so they come out unchecked
        // (sudo excepted); the legacy module's getActionPolicies answers an empty list, so the
        // flags above stay the primary source
        for (key, w) in lists {
            let raw = w.await.map_err(fail("enabled policy list"))?;
            let listed = getUserOpPoliciesCall::abi_decode_returns(&raw).map_err(|source| {
                ClientError::Decode { step: "getUserOpPolicies/getActionPolicies", source }
            })?;
            let config_id = match key {
                None => smart_sessions_codec::user_op_config_id(account, pid),
                Some(id) => smart_sessions_codec::action_config_id(account, pid, id),
            };
            let list = match key {
                None => &mut enabled.user_op,
                Some(id) => enabled.actions.entry(id).or_default(),
            };
            for policy in listed {
                if !list.contains(&policy) {
                    list.push(policy);
                }
                let state = match kinds.policy_kind(policy) {
                    Some(PolicyKind::Sudo) => PolicyState::Sudo,
                    _ => PolicyState::Unknown,
                };
                out.entry(Slot { policy, config_id }).or_insert(state);
            }
        }
        Ok(PolicyView {
            states: out,
            enabled: Some(enabled),
            block: Some(block),
            read_at: Some(std::time::Instant::now()),
        })
    }
}
