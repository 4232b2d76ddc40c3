//! Reading a permission's policy state from chain: the policies SmartSession has enabled for
//! it and the reads the policy crate asks for
//! ([`state_reads`](smart_sessions_policy::session::state_reads): getters by `eth_call`, v1.0's
//! spending limits by `eth_getStorageAt`), all in one JSON-RPC batch; stateless policies from
//! their init data. A read the node answers with an error (a reverted getter, a policy without
//! one) makes that policy unchecked, never the whole read an error.

use crate::{
    ClientError, Deployments,
    checks::{CachedView, EnabledPolicies, PolicyState},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_rpc_client::BatchRequest;
use alloy_rpc_types_eth::{BlockId, TransactionRequest};
use alloy_sol_types::SolCall;
use smart_sessions_codec::{AnySession, action_id};
use smart_sessions_policy::{
    eval::UncheckedReason,
    session::{self, PolicyModel, Slot, StateRead, slots},
};
use std::collections::BTreeMap;

// SmartSession's views from the generated bindings (the same selectors in every generation).
use smart_sessions_bindings::legacy::smart_session::SmartSession;
pub(crate) use smart_sessions_bindings::legacy::smart_session::SmartSession::{
    getUserOpPoliciesCall, isUserOpPolicyEnabledCall,
};
// the scripted nodes of the unit tests answer these too
#[cfg(test)]
pub(crate) use smart_sessions_bindings::legacy::smart_session::SmartSession::{
    getActionPoliciesCall, isActionPolicyEnabledCall,
};

/// The state each policy of `session` starts with (from its init data), for a permission not
/// enabled yet.
pub(crate) fn initial_view(
    d: &Deployments,
    session: &AnySession,
    account: Address,
) -> Result<CachedView, ClientError> {
    let mut view = CachedView::default();
    for (_, p, slot) in slots(session, account) {
        view.view.states.insert(slot, initial_state(d, p)?);
    }
    Ok(view)
}

fn initial_state(
    d: &Deployments,
    p: &smart_sessions_codec::PolicyData,
) -> Result<PolicyState, ClientError> {
    session::initial_state(d.policy_model(p.policy), p)
        .map_err(|source| ClientError::PolicyInit { policy: p.policy, source })
}

/// Reads, in one batched request, which policies SmartSession has enabled for the permission and
/// the on-chain state of every stateful policy of `session`.
pub(crate) async fn read_view<P: Provider>(
    provider: &P,
    d: &Deployments,
    session: &AnySession,
    account: Address,
) -> Result<CachedView, ClientError> {
    let mut batch = BatchRequest::new(provider.client());
    let request = ViewRequest::add(&mut batch, provider, d, session, account)?;
    batch.send().await.map_err(fail("policy state batch"))?;
    request.collect().await
}

type Waiter<T = Bytes> = alloy_rpc_client::Waiter<T>;

fn fail(step: &'static str) -> impl Fn(alloy_transport::TransportError) -> ClientError {
    move |e| ClientError::node(step, e)
}

/// One pending [`StateRead`].
enum Read {
    Call(Waiter),
    Storage(Waiter<B256>),
}

impl Read {
    /// The answer; `None` when the node answered this read with an error (a revert: the
    /// policy has no such getter, or refuses the call), for the policy crate to make the state
    /// unchecked.
    async fn answer(self, policy: Address) -> Result<Option<Bytes>, ClientError> {
        let r = match self {
            Self::Call(w) => w.await,
            Self::Storage(w) => w.await.map(|word| Bytes::copy_from_slice(word.as_slice())),
        };
        match r {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.as_error_resp().is_some() => {
                tracing::debug!(%policy, error = %e, "policy state read failed: unchecked");
                Ok(None)
            }
            Err(e) => Err(ClientError::node("policy state", e)),
        }
    }
}

/// The calls of [`read_view`] added to a batch, to collect once it is sent.
pub(crate) struct ViewRequest {
    pid: B256,
    account: Address,
    actions: Vec<B256>,
    block: Waiter<alloy_primitives::U64>,
    /// The policy lists SmartSession holds (user-op: `None`), to find policies enabled on chain
    /// that the session does not declare.
    lists: Vec<(Option<B256>, Waiter)>,
    flags: Vec<(Option<B256>, Address, Waiter)>,
    pending: Vec<(Slot, Vec<Read>, PolicyState)>,
    out: BTreeMap<Slot, PolicyState>,
    deployments: Deployments,
}

impl ViewRequest {
    /// Adds the calls to `batch` (SmartSession's views through its instance on `provider`).
    pub(crate) fn add<P: Provider>(
        batch: &mut BatchRequest<'_>,
        provider: &P,
        d: &Deployments,
        session: &AnySession,
        account: Address,
    ) -> Result<Self, ClientError> {
        let module = SmartSession::new(d.smart_session, provider);
        let mut pending = Vec::new();
        let mut out = BTreeMap::new();
        let pid = session.permission_id();
        // is each declared policy enabled on chain?
        let mut flags = Vec::new();
        for (action, policy, _) in slots(session, account) {
            let key = action.map(|a| action_id(a.actionTarget, a.actionTargetSelector));
            let waiter = match key {
                None => crate::contract::add_call(
                    batch,
                    module.isUserOpPolicyEnabled(account, pid, policy.policy),
                ),
                Some(id) => crate::contract::add_call(
                    batch,
                    module.isActionPolicyEnabled(account, pid, id, policy.policy),
                ),
            }
            .map_err(fail("batch"))?;
            flags.push((key, policy.policy, waiter));
        }
        for (_, policy, slot) in slots(session, account) {
            if out.contains_key(&slot) {
                continue;
            }
            let state = initial_state(d, policy)?;
            let reads =
                session::state_reads(&state, slot.policy, slot.config_id, d.smart_session, account);
            if !reads.is_empty() {
                let mut waiters = Vec::with_capacity(reads.len());
                for r in reads {
                    waiters.push(match r {
                        // a getter the policy crate encodes (no_std, below the bindings)
                        StateRead::Call { to, data } => {
                            let tx = TransactionRequest::default().to(to).input(data.into());
                            Read::Call(
                                batch
                                    .add_call::<_, Bytes>("eth_call", &(tx, BlockId::latest()))
                                    .map_err(fail("batch"))?,
                            )
                        }
                        StateRead::Storage { address, slot } => Read::Storage(
                            batch
                                .add_call::<_, B256>(
                                    "eth_getStorageAt",
                                    &(address, U256::from_be_bytes(slot.0), BlockId::latest()),
                                )
                                .map_err(fail("batch"))?,
                        ),
                    });
                }
                pending.push((slot, waiters, state.clone()));
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
        let c = module.getUserOpPolicies(account, pid);
        lists.push((None, crate::contract::add_call(batch, c).map_err(fail("batch"))?));
        for id in &actions {
            let c = module.getActionPolicies(account, pid, *id);
            lists.push((Some(*id), crate::contract::add_call(batch, c).map_err(fail("batch"))?));
        }
        Ok(Self {
            pid,
            account,
            actions,
            block,
            lists,
            flags,
            pending,
            out,
            deployments: d.clone(),
        })
    }

    /// The view, once the batch is sent.
    pub(crate) async fn collect(self) -> Result<CachedView, ClientError> {
        let Self { pid, account, actions, block, lists, flags, pending, mut out, deployments } =
            self;
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
        for (slot, reads, init) in pending {
            let mut answers = Vec::with_capacity(reads.len());
            for r in reads {
                answers.push(r.answer(slot.policy).await?);
            }
            out.insert(slot, session::state_from_reads(init, &answers));
        }
        // policies enabled on chain under this permission that the session does not declare
        // (added by the owner since): their init data is not known here, so they come out
        // unchecked (sudo excepted); the legacy module's getActionPolicies answers an empty
        // list, so the flags above stay the primary source
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
                let state = match deployments.policy_model(policy) {
                    Some(PolicyModel::Sudo) => PolicyState::Sudo,
                    Some(_) => PolicyState::Unchecked(UncheckedReason::StateUnavailable),
                    None => PolicyState::Unchecked(UncheckedReason::UnknownPolicy),
                };
                out.entry(Slot { policy, config_id }).or_insert(state);
            }
        }
        Ok(CachedView {
            view: session::PolicyView { states: out, enabled: Some(enabled) },
            block: Some(block),
            read_at: Some(std::time::Instant::now()),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        Deployments, ENTRY_POINT_V07, FlowError, NexusAccount, NexusClient, SessionDetails,
        checks::{BudgetItem, PolicyModel},
        sessions::isPermissionEnabledCall,
        test_transport::{Reply, Scripted},
    };
    use alloy_primitives::{Address, B256, Bytes, U256};
    use alloy_sol_types::SolCall;
    use serde_json::{Value, json};
    use smart_sessions_codec::{
        ActionData, AnySession, Execution, Generation, Session, action_config_id, action_id,
    };
    use smart_sessions_policy::eval::{SpendingModel, v1_storage};

    const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
    const INCREASE_ALLOWANCE: [u8; 4] = [0x39, 0x50, 0x93, 0x51];

    fn token() -> Address {
        Address::repeat_byte(0x70)
    }

    /// A session whose `token.transfer` action is limited by the spending-limit policy at
    /// `policy` to 100 of `token()`; `increaseAllowance` is an action of the same policy.
    fn session(policy: Address) -> AnySession {
        let mut p = smart_sessions_policy::spending_limits(
            Generation::Current,
            &[(token(), U256::from(100))],
        )
        .unwrap();
        p.policy = policy;
        let action = |sel: [u8; 4]| ActionData {
            actionTargetSelector: sel.into(),
            actionTarget: token(),
            actionPolicies: vec![p.clone()],
        };
        AnySession::Current(Session {
            sessionValidator: Address::repeat_byte(0x5e),
            actions: vec![action(TRANSFER), action(INCREASE_ALLOWANCE)],
            ..Default::default()
        })
    }

    fn erc20_call(sel: [u8; 4], amount: u64) -> Execution {
        let mut data = sel.to_vec();
        data.extend_from_slice(Address::repeat_byte(0xbe).into_word().as_slice());
        data.extend_from_slice(&U256::from(amount).to_be_bytes::<32>());
        Execution::new(token(), U256::ZERO, data)
    }

    /// A node where the permission and every declared policy are enabled, SmartSession's policy
    /// lists are empty, `eth_getStorageAt` answers from `storage` and any other `eth_call` (the
    /// current policy's `getPolicyData` included) reverts with empty data, as v1.0's policy
    /// without a getter does.
    fn node(storage: impl Fn(B256) -> U256 + Send + Sync + 'static) -> Scripted {
        use crate::policy_read::{getActionPoliciesCall, getUserOpPoliciesCall};
        Scripted::new(move |m, p: &Value| match m {
            "eth_blockNumber" => Reply::Ok(json!("0x10")),
            "eth_getCode" => Reply::Ok(json!("0x01")),
            "eth_getStorageAt" => {
                let slot: U256 = serde_json::from_value(p[1].clone()).unwrap();
                Reply::Ok(json!(B256::from(storage(B256::from(slot)))))
            }
            "eth_call" => {
                let input = p[0].get("input").or_else(|| p[0].get("data")).unwrap();
                let data: Bytes = serde_json::from_value(input.clone()).unwrap();
                let sel: [u8; 4] = data[..4].try_into().unwrap();
                let out: Vec<u8> = if sel == isPermissionEnabledCall::SELECTOR
                    || sel == super::isActionPolicyEnabledCall::SELECTOR
                {
                    isPermissionEnabledCall::abi_encode_returns(&true)
                } else if sel == getUserOpPoliciesCall::SELECTOR
                    || sel == getActionPoliciesCall::SELECTOR
                {
                    getUserOpPoliciesCall::abi_encode_returns(&Vec::new())
                } else {
                    return Reply::Err(alloy_json_rpc::ErrorPayload {
                        code: 3,
                        message: "execution reverted".into(),
                        data: Some(serde_json::value::to_raw_value(&json!("0x")).unwrap()),
                    });
                };
                Reply::Ok(json!(Bytes::from(out)))
            }
            _ => Reply::Lost,
        })
    }

    fn client(
        node: &Scripted,
        d: Deployments,
    ) -> NexusClient<impl alloy_provider::Provider, impl alloy_provider::Provider> {
        let bundler = Scripted::new(|_, _| Reply::Lost);
        NexusClient::with_chain_id(
            node.provider(),
            bundler.provider(),
            1,
            d,
            NexusAccount::existing(Address::repeat_byte(1), ENTRY_POINT_V07),
        )
    }

    /// A spending-limit policy whose getter reverts (issue 17 item 1: v1.0's has none) is
    /// unchecked for `check_calls` and an unknown budget for `remaining_budgets`: before, the
    /// revert was a hard error of both.
    #[tokio::test]
    async fn a_reverting_state_read_is_unchecked_not_an_error() {
        let d = Deployments::legacy_nexus_k1();
        let policy = d.spending_limits_policy.unwrap();
        let node = node(|_| U256::ZERO);
        let c = client(&node, d.clone());
        let s = session(policy);
        let details = SessionDetails::enabled(d.smart_sessions(), c.address(), s.clone());
        let unchecked = c.check_calls(&details, &[erc20_call(TRANSFER, 1)]).await.unwrap();
        assert_eq!(unchecked, vec![policy]);
        let budgets = c.remaining_budgets(&s).await.unwrap();
        assert!(
            budgets.iter().all(|b| matches!(b.item, BudgetItem::Unknown { .. }))
                && !budgets.is_empty(),
            "{budgets:?}"
        );
    }

    /// A table's v1 spending-limit policy (the devnet's stand-in, or v1.0's own) is read by
    /// `eth_getStorageAt` at the slots of spec/v1.md (computed here by the policy crate's
    /// `v1_storage::token_slots`: 30 spent of 100), budgeted from those words, and evaluated by
    /// v1.0's rules: a transfer of 80 is refused naming the policy, 70 passes, and
    /// `increaseAllowance` is refused (v1.0 counts only approve/transfer/transferFrom).
    #[tokio::test]
    async fn a_v1_spending_limit_is_read_from_storage_and_evaluated_by_v1_rules() {
        let v1 = Address::repeat_byte(0x71);
        let d =
            Deployments { v1_spending_limits_policy: Some(v1), ..Deployments::legacy_nexus_k1() };
        assert_eq!(d.policy_model(v1), Some(PolicyModel::SpendingLimits(SpendingModel::V1)));
        let account = Address::repeat_byte(1);
        let s = session(v1);
        let cid = action_config_id(account, s.permission_id(), action_id(token(), TRANSFER.into()));
        let slots = v1_storage::token_slots(cid, d.smart_session, token(), account);
        let node = node(move |slot| {
            if slot == slots.already_spent {
                U256::from(30)
            } else if slot == slots.spending_limit {
                U256::from(100)
            } else {
                U256::ZERO
            }
        });
        let c = client(&node, d.clone());
        let budgets = c.remaining_budgets(&s).await.unwrap();
        let transfer =
            budgets.iter().find(|b| b.action == Some((token(), TRANSFER.into()))).unwrap();
        assert_eq!(
            transfer.item,
            BudgetItem::Token { token: token(), limit: U256::from(100), used: U256::from(30) }
        );
        assert!(node.methods().iter().any(|m| m == "eth_getStorageAt"));
        let details = SessionDetails::enabled(d.smart_sessions(), account, s);
        let e = c.check_calls(&details, &[erc20_call(TRANSFER, 80)]).await.unwrap_err();
        assert!(matches!(&e, FlowError::Refused(r) if r.policy == v1), "{e}");
        assert_eq!(
            c.check_calls(&details, &[erc20_call(TRANSFER, 70)]).await.unwrap(),
            Vec::<Address>::new()
        );
        let e = c.check_calls(&details, &[erc20_call(INCREASE_ALLOWANCE, 1)]).await.unwrap_err();
        assert!(matches!(&e, FlowError::Refused(r) if r.policy == v1 && r.call == Some(0)), "{e}");
    }
}
