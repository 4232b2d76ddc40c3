//! The session evaluation and budget functions (issue 14 item 5): the state a client reads,
//! decoded from raw answers, calls run through it as SmartSession would, and the budgets left.
//! Answers are ABI words written by hand; the v1.0 storage words are spec/v1.md's example.

use alloy_primitives::{Address, B256, Bytes, U256, address, hex};
use smart_sessions_codec::{
    ActionData, AnySession, Execution, Generation, ParamCondition, PolicyData, Session,
    action_config_id, action_id,
};
use smart_sessions_policy::{
    UniActionBuilder,
    eval::{Outcome, SpendingModel, UncheckedReason, Violation, v1_storage},
    session::*,
    spending_limits, sudo, usage_limit, value_limit,
};

const ACCOUNT: Address = address!("0xacc0000000000000000000000000000000000001");
const TOKEN: Address = address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
const TO: Address = address!("0xd8da6bf26964af9d7eed9e03e53415d37aa96045");
const V1_POLICY: Address = address!("0x00000088D48cF102A8Cdb0137A9b173f957c6343");

fn transfer(to: Address, n: u64) -> Bytes {
    let mut d = hex!("a9059cbb").to_vec();
    d.extend_from_slice(to.into_word().as_slice());
    d.extend_from_slice(&U256::from(n).to_be_bytes::<32>());
    d.into()
}

fn session(policies: Vec<PolicyData>) -> AnySession {
    AnySession::Current(Session {
        actions: vec![ActionData {
            actionTargetSelector: hex!("a9059cbb").into(),
            actionTarget: TOKEN,
            actionPolicies: policies,
        }],
        ..Default::default()
    })
}

fn words(ws: &[u64]) -> Bytes {
    ws.iter().flat_map(|w| U256::from(*w).to_be_bytes::<32>()).collect::<Vec<u8>>().into()
}

/// The initial view, each state then updated from `answer(slot, reads)`.
fn view(
    s: &AnySession,
    model: impl Fn(Address) -> Option<PolicyModel>,
    mut answer: impl FnMut(&[StateRead]) -> Vec<Option<Bytes>>,
) -> PolicyView {
    let mut v = PolicyView::default();
    let ss = Generation::Current.smart_session();
    for (_, policy, slot) in slots(s, ACCOUNT) {
        let init = initial_state(model(policy.policy), policy).unwrap();
        let reads = state_reads(&init, slot.policy, slot.config_id, ss, ACCOUNT);
        let answers = answer(&reads);
        v.states.insert(slot, state_from_reads(init, &answers));
    }
    v
}

fn canonical(a: Address) -> Option<PolicyModel> {
    if a == V1_POLICY {
        return Some(PolicyModel::SpendingLimits(SpendingModel::V1));
    }
    PolicyModel::canonical(Generation::Current, a)
}

#[test]
fn budgets_come_from_the_state_read() {
    let g = Generation::Current;
    let s = session(vec![
        usage_limit(g, 5).unwrap(),
        value_limit(g, U256::from(1000)).unwrap(),
        spending_limits(g, &[(TOKEN, U256::from(100))]).unwrap(),
    ]);
    // usage (limit 5, used 2); value (1000, 1200: past the limit); tokens (100, 30 spent, 20 approved)
    let v = view(&s, canonical, |reads| {
        reads
            .iter()
            .map(|r| {
                let StateRead::Call { data, .. } = r else { panic!("{r:?}") };
                let sel = &data[..4];
                Some(if sel == selector("usageLimitConfigs(bytes32,address,address)") {
                    words(&[5, 2])
                } else if sel == selector("valueLimitConfigs(bytes32,address,address)") {
                    words(&[1000, 1200])
                } else {
                    assert_eq!(sel, selector("getPolicyData(bytes32,address,address,address)"));
                    words(&[100, 30, 20])
                })
            })
            .collect()
    });
    let b = budgets(&s, ACCOUNT, &v);
    let items: Vec<_> = b.iter().map(|b| (b.item.clone(), b.item.remaining())).collect();
    assert_eq!(
        items,
        [
            (BudgetItem::Uses { limit: 5, used: 2 }, Some(U256::from(3))),
            (
                BudgetItem::Value { limit: U256::from(1000), used: U256::from(1200) },
                Some(U256::ZERO)
            ),
            (
                BudgetItem::Token { token: TOKEN, limit: U256::from(100), used: U256::from(50) },
                Some(U256::from(50))
            ),
        ]
    );
    assert_eq!(b[0].action, Some((TOKEN, hex!("a9059cbb").into())));
    assert_eq!(b[2].to_string(), format!("{TOKEN}.0xa9059cbb: token {TOKEN}: 50 of 100 left"));
}

/// The selector of `signature`, hashed here (not taken from the crate's bindings).
fn selector(signature: &str) -> [u8; 4] {
    alloy_primitives::keccak256(signature)[..4].try_into().unwrap()
}

#[test]
fn v1_spending_state_is_read_from_storage_and_evaluated_by_v1_rules() {
    let init = spending_limits(V1_POLICY, &[(TOKEN, U256::from(1000))]).unwrap();
    let s = session(vec![init]);
    let ss = Generation::Current.smart_session();
    let cid =
        action_config_id(ACCOUNT, s.permission_id(), action_id(TOKEN, hex!("a9059cbb").into()));
    let slots = v1_storage::token_slots(cid, ss, TOKEN, ACCOUNT);
    let mut v = view(&s, canonical, |reads| {
        // two storage reads of the policy, alreadySpent then spendingLimit
        assert_eq!(
            reads,
            [
                StateRead::Storage { address: V1_POLICY, slot: slots.already_spent },
                StateRead::Storage { address: V1_POLICY, slot: slots.spending_limit },
            ]
        );
        vec![Some(words(&[123])), Some(words(&[1000]))]
    });
    assert_eq!(
        budgets(&s, ACCOUNT, &v)[0].item,
        BudgetItem::Token { token: TOKEN, limit: U256::from(1000), used: U256::from(123) }
    );
    // 877 left; an approve counts under v1 (it is an action of the session only for transfer,
    // so exercise transfers)
    let ok = Execution::new(TOKEN, U256::ZERO, transfer(TO, 877));
    assert_eq!(evaluate(&s, ACCOUNT, std::slice::from_ref(&ok), &mut v, 0), Ok(vec![]));
    let stop = evaluate(&s, ACCOUNT, &[ok], &mut v, 0).unwrap_err();
    let Stop::Refused(r) = stop else { panic!("{stop:?}") };
    assert_eq!((r.call, r.policy), (Some(0), V1_POLICY));
    assert!(matches!(r.rejection.outcome, Outcome::Violation(Violation::SpendingLimit { .. })));
}

#[test]
fn state_that_cannot_be_read_is_unchecked_never_a_failure() {
    // the current model asks getPolicyData, which v1.0's policy does not have (it reverts):
    // the answer is missing, the state unchecked, the operation not refused for it
    let s = session(vec![spending_limits(Generation::Current, &[(TOKEN, U256::from(1))]).unwrap()]);
    let mut v = view(&s, canonical, |reads| vec![None; reads.len()]);
    let call = Execution::new(TOKEN, U256::ZERO, transfer(TO, 5));
    let unchecked = evaluate(&s, ACCOUNT, &[call], &mut v, 0).unwrap();
    assert_eq!(
        unchecked,
        [UncheckedPolicy {
            policy: Generation::Current.policy(smart_sessions_codec::PolicyKind::SpendingLimits),
            call: Some(0),
            reason: UncheckedReason::StateUnavailable
        }]
    );
    let b = budgets(&s, ACCOUNT, &v);
    assert_eq!(b[0].item, BudgetItem::Unknown { reason: UncheckedReason::StateUnavailable });
    assert_eq!(b[0].item.remaining(), None);
    // an answer that does not decode (a short word): malformed, still unchecked
    let v = view(&s, canonical, |_| vec![Some(Bytes::from(vec![1, 2, 3]))]);
    assert_eq!(
        budgets(&s, ACCOUNT, &v)[0].item,
        BudgetItem::Unknown { reason: UncheckedReason::MalformedState }
    );
    // a policy the evaluator does not know: unchecked, and no budget claimed for it
    let other = PolicyData::new(address!("0x9999999999999999999999999999999999999999"), vec![]);
    let s = session(vec![other]);
    let mut v = view(&s, canonical, |_| vec![]);
    let call = Execution::new(TOKEN, U256::ZERO, transfer(TO, 5));
    assert_eq!(
        evaluate(&s, ACCOUNT, &[call], &mut v, 0).unwrap()[0].reason,
        UncheckedReason::UnknownPolicy
    );
    assert!(budgets(&s, ACCOUNT, &v).is_empty());
}

#[test]
fn calls_run_in_order_and_a_refusal_changes_nothing() {
    let g = Generation::Current;
    let rule = UniActionBuilder::for_function("transfer(address to,uint256 amount)")
        .unwrap()
        .rule("to", ParamCondition::Equal, TO)
        .build(g)
        .unwrap();
    let s = session(vec![rule, usage_limit(g, 2).unwrap()]);
    // no reads answered: the initial state (fresh grant) is what the view holds
    let mut v = PolicyView::default();
    for (_, p, slot) in slots(&s, ACCOUNT) {
        v.states.insert(slot, initial_state(canonical(p.policy), p).unwrap());
    }
    let good = Execution::new(TOKEN, U256::ZERO, transfer(TO, 1));
    let bad = Execution::new(TOKEN, U256::ZERO, transfer(TOKEN, 1));
    let before = v.clone();
    // the second call is refused: nothing of the first is kept
    let stop = evaluate(&s, ACCOUNT, &[good.clone(), bad], &mut v, 0).unwrap_err();
    assert_eq!(v, before);
    let Stop::Refused(r) = &stop else { panic!("{stop:?}") };
    assert_eq!(r.call, Some(1));
    assert!(
        stop.to_string().ends_with(
            "parameter 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 vs reference 0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"
        ),
        "{stop}"
    );
    // two good calls use the 2 uses; a third is refused by the usage limit
    evaluate(&s, ACCOUNT, &[good.clone(), good.clone()], &mut v, 0).unwrap();
    let Err(Stop::Refused(r)) = evaluate(&s, ACCOUNT, &[good], &mut v, 0) else { panic!() };
    assert!(matches!(
        r.rejection.outcome,
        Outcome::Violation(Violation::UsageLimit { used: 2, limit: 2 })
    ));
}

#[test]
fn calls_without_a_usable_action_are_named() {
    let s = session(vec![sudo(Generation::Current)]);
    let mut v = PolicyView::default();
    let elsewhere = Execution::new(TO, U256::ZERO, transfer(TO, 1));
    assert_eq!(
        evaluate(&s, ACCOUNT, &[elsewhere], &mut v, 0),
        Err(Stop::NoAction(NoAction {
            call: 0,
            target: TO,
            selector: hex!("a9059cbb").into(),
            reason: NoActionReason::NotAnAction
        }))
    );
    // enabled on chain: none of the action's policies
    let mut enabled = EnabledPolicies::default();
    enabled.actions.insert(action_id(TOKEN, hex!("a9059cbb").into()), vec![]);
    v.enabled = Some(enabled);
    let call = Execution::new(TOKEN, U256::ZERO, transfer(TO, 1));
    let Err(Stop::NoAction(n)) = evaluate(&s, ACCOUNT, &[call], &mut v, 0) else { panic!() };
    assert_eq!(n.reason, NoActionReason::NoPolicyEnabled);
    assert!(budgets(&s, ACCOUNT, &v).is_empty());
    let _ = B256::ZERO;
}

#[test]
fn a_session_whose_policies_make_it_unusable_is_refused_before_granting() {
    // issue 13 item 2 on the validation path: raw init data of a (0, 0) time frame (both
    // layouts) is accepted by the contract and then reverts every use
    for (g, init) in [(Generation::Current, vec![0u8; 12]), (Generation::Legacy, vec![0u8; 32])] {
        let tf = PolicyData::new(g.policy(smart_sessions_codec::PolicyKind::TimeFrame), init);
        let mut s = session(vec![sudo(g)]);
        if let AnySession::Current(c) = &mut s {
            c.userOpPolicies.push(tf.clone());
        }
        let model = |a| PolicyModel::canonical(g, a);
        let e = validate_session(&s, model).unwrap_err();
        assert_eq!(
            e,
            smart_sessions_policy::PolicyError::InSession {
                action: None,
                policy: tf.policy,
                source: Box::new(smart_sessions_policy::PolicyError::EmptyTimeFrame {
                    until_field: "validUntil",
                    after_field: "validAfter"
                })
            },
            "{g}"
        );
        assert!(
            e.to_string().starts_with(&format!(
                "user-operation policy {}: validUntil and validAfter are both 0",
                tf.policy
            )),
            "{e}"
        );
    }
    // a universal action policy with no rule initialises on chain, then reverts every check
    let empty = PolicyData::universal_action(
        Generation::Current,
        &smart_sessions_codec::ActionConfig::default(),
    );
    let s = session(vec![empty]);
    let e = validate_session(&s, canonical).unwrap_err();
    assert!(e.to_string().starts_with("action 0, policy "), "{e}");
    // a valid session passes
    let s = session(vec![usage_limit(Generation::Current, 1).unwrap()]);
    assert_eq!(validate_session(&s, canonical), Ok(()));
}
