//! Builder validation, builder → encode → decode → evaluator round trips, and the evaluator
//! against a straightforward model of the Solidity semantics.

use alloy_primitives::{Address, B256, I256, U256, address, hex};
use proptest::{collection::vec, prelude::*};
use smart_sessions_codec::{
    ActionConfig, ActionData, Generation, LimitUsage, ParamCondition, ParamRule, PolicyKind,
    range_ref,
};
use smart_sessions_policy::{
    Allow, At, PolicyError, UniActionBuilder, check_duplicate_actions, check_selector,
    eval::{
        Erc20SpendingLimitPolicy, Outcome, Revert, TimeFramePolicy, UniActionPolicy,
        UsageLimitPolicy, ValueLimitPolicy, Violation,
    },
    spending_limits, time_frame, usage_limit, validate_action_config, value_limit,
};

const TRANSFER: &str = "transfer(address to,uint256 amount)";

fn transfer(to: Address, amount: U256) -> Vec<u8> {
    let mut d = hex!("a9059cbb").to_vec();
    d.extend_from_slice(to.into_word().as_slice());
    d.extend_from_slice(&amount.to_be_bytes::<32>());
    d
}

#[test]
fn parameter_names_resolve_to_byte_offsets_and_selectors() {
    let b = UniActionBuilder::for_function(TRANSFER).unwrap();
    assert_eq!(b.selector().unwrap(), hex!("a9059cbb"));
    let c = b.rule("amount", ParamCondition::LessThan, U256::from(5)).build_config().unwrap();
    assert_eq!(c.rules()[0].offset, 32);
    // a static tuple takes its words in the head
    let c = UniActionBuilder::for_function("f((uint256,address) pair,uint256[2] xs,bool flag)")
        .unwrap()
        .rule("flag", ParamCondition::Equal, true)
        .build_config()
        .unwrap();
    assert_eq!(c.rules()[0].offset, 4 * 32);
    // word index and byte offset address the same word
    let by_word = UniActionBuilder::new()
        .rule(At::Word(1), ParamCondition::Equal, 7u64)
        .build_config()
        .unwrap();
    let by_byte = UniActionBuilder::new()
        .rule(At::Byte(32), ParamCondition::Equal, 7u64)
        .build_config()
        .unwrap();
    assert_eq!(by_word, by_byte);
}

#[test]
fn validation_names_the_rule_and_the_problem() {
    let f = || {
        UniActionBuilder::for_function("call(address to,bytes data,int256 delta,uint8 small)")
            .unwrap()
    };
    let e = |b: UniActionBuilder| b.build_config().unwrap_err();
    assert!(matches!(e(UniActionBuilder::new()), PolicyError::NoRules));
    assert!(matches!(
        e(f().rule("to", ParamCondition::Equal, Address::ZERO).rule(
            "data",
            ParamCondition::Equal,
            0u64
        )),
        PolicyError::DynamicParameter { rule: 1, .. }
    ));
    assert!(matches!(
        e(f().rule(At::Byte(4 * 32), ParamCondition::Equal, 0u64)),
        PolicyError::OffsetPastHead { rule: 0, offset: 128, head: 128 }
    ));
    assert!(matches!(
        e(f().rule(At::Byte(16), ParamCondition::Equal, 0u64)),
        PolicyError::UnalignedOffset { rule: 0, offset: 16 }
    ));
    assert!(matches!(
        e(f().rule("delta", ParamCondition::LessThan, I256::try_from(-5).unwrap())),
        PolicyError::SignedOrdering { rule: 0, condition: ParamCondition::LessThan }
    ));
    // explicitly allowed, and equality on signed values is fine
    assert!(
        f().allow(Allow { unsigned_ordering_on_signed: true, ..Allow::default() })
            .rule("delta", ParamCondition::LessThan, I256::try_from(-5).unwrap())
            .build_config()
            .is_ok()
    );
    assert!(
        f().rule("delta", ParamCondition::Equal, I256::try_from(-5).unwrap())
            .build_config()
            .is_ok()
    );
    assert!(matches!(
        e(f().limited("to", ParamCondition::Equal, Address::ZERO, U256::from(1))),
        PolicyError::LimitedNonNumeric { rule: 0, .. }
    ));
    assert!(matches!(
        e(f().limited("small", ParamCondition::LessThan, 5u64, U256::ZERO)),
        PolicyError::ZeroLimit { rule: 0 }
    ));
    assert!(matches!(
        e(f().rule("small", ParamCondition::LessThan, 256u64)),
        PolicyError::ValueDoesNotFit { rule: 0, .. }
    ));
    assert!(matches!(
        e(f().rule("nope", ParamCondition::Equal, 1u64)),
        PolicyError::UnknownParameter { rule: 0, .. }
    ));
    assert!(matches!(
        e(UniActionBuilder::new().rule("x", ParamCondition::Equal, 1u64)),
        PolicyError::NoFunction { rule: 0 }
    ));
    assert!(matches!(
        e(f().in_range("small", U256::from(9), U256::from(3))),
        PolicyError::InvalidRange { rule: 0, min: 9, max: 3 }
    ));
    assert!(matches!(
        e(UniActionBuilder::new().in_range(At::Word(0), U256::ZERO, U256::MAX)),
        PolicyError::RangeTooLarge { rule: 0 }
    ));
    let seventeen = (0..17)
        .fold(UniActionBuilder::new(), |b, i| b.rule(At::Word(i), ParamCondition::Equal, 0u64));
    assert!(matches!(
        e(seventeen),
        PolicyError::Codec(smart_sessions_codec::Error::TooManyRules { .. })
    ));
    // raw offsets past the head are allowed when asked for
    assert!(
        f().allow(Allow { raw_offsets: true, ..Allow::default() })
            .rule(At::Byte(200), ParamCondition::Equal, 0u64)
            .build_config()
            .is_ok()
    );
    let msg = PolicyError::DynamicParameter { rule: 1, param: "data".into(), ty: "bytes".into() }
        .to_string();
    assert!(msg.contains("rule 1") && msg.contains("data"), "{msg}");
}

#[test]
fn other_policies_refuse_what_the_contracts_refuse() {
    let g = Generation::Current;
    assert!(matches!(
        time_frame(g, 5, 6),
        Err(PolicyError::InvalidTimeFrame { valid_after: 6, valid_until: 5 })
    ));
    assert!(time_frame(g, 0, 6).is_ok());
    assert!(matches!(
        usage_limit(g, 0),
        Err(PolicyError::ZeroPolicyLimit { policy: PolicyKind::UsageLimit })
    ));
    assert!(matches!(
        value_limit(g, U256::ZERO),
        Err(PolicyError::ZeroPolicyLimit { policy: PolicyKind::ValueLimit })
    ));
    assert!(spending_limits(g, &[(Address::ZERO, U256::from(1))]).is_err());
    assert!(
        spending_limits(g, &[(address!("0x1111111111111111111111111111111111111111"), U256::ZERO)])
            .is_err()
    );
    let custom = address!("0x2222222222222222222222222222222222222222");
    assert_eq!(usage_limit(custom, 3).unwrap().policy, custom);
    assert_eq!(usage_limit(g, 3).unwrap().policy, g.policy(PolicyKind::UsageLimit));
    assert!(check_selector(TRANSFER, hex!("a9059cbb").into()).is_ok());
    assert!(matches!(
        check_selector(TRANSFER, hex!("095ea7b3").into()),
        Err(PolicyError::SelectorMismatch { .. })
    ));
    let a = ActionData {
        actionTarget: custom,
        actionTargetSelector: hex!("a9059cbb").into(),
        actionPolicies: vec![],
    };
    assert!(check_duplicate_actions(std::slice::from_ref(&a)).is_ok());
    assert!(matches!(
        check_duplicate_actions(&[a.clone(), a]),
        Err(PolicyError::DuplicateAction { index: 1, .. })
    ));
}

#[test]
fn the_seed_example_is_refused_with_the_rule_named() {
    // seed 000: transfer with amount < max, cumulative usage limit
    let to = address!("0x1111111111111111111111111111111111111111");
    let policy = UniActionBuilder::for_function(TRANSFER)
        .unwrap()
        .limited("amount", ParamCondition::LessThan, U256::from(100), U256::from(150))
        .build(Generation::Legacy)
        .unwrap();
    let mut p = UniActionPolicy::initialize(&policy.initData).unwrap();
    p.check_action(U256::ZERO, &transfer(to, U256::from(99))).unwrap();
    let r = p.check_action(U256::ZERO, &transfer(to, U256::from(100))).unwrap_err();
    assert_eq!(
        r.outcome,
        Outcome::Violation(Violation::Rule {
            rule: 0,
            condition: ParamCondition::LessThan,
            offset: 32,
            param: U256::from(100),
            reference: B256::from(U256::from(100)),
            ty: None,
        })
    );
    assert!(r.to_string().contains("rule 0 (LESS_THAN at offset 32)"), "{r}");
    p.check_action(U256::ZERO, &transfer(to, U256::from(51))).unwrap();
    let r = p.check_action(U256::ZERO, &transfer(to, U256::from(1))).unwrap_err();
    assert!(matches!(r.outcome, Outcome::Violation(Violation::RuleLimit { rule: 0, .. })));
    assert_eq!(p.used(), vec![(0, U256::from(150))]);
}

#[test]
fn a_passing_limited_rule_keeps_its_consumption_when_a_later_rule_fails() {
    let config = ActionConfig::new(
        U256::ZERO,
        &[
            ParamRule::new(ParamCondition::LessThanOrEqual, 32, B256::from(U256::from(100)))
                .limited(U256::from(1000)),
            ParamRule::new(ParamCondition::Equal, 0, Address::ZERO.into_word()),
        ],
    )
    .unwrap();
    let mut p = UniActionPolicy::from_config(config);
    let r = p.check_action(
        U256::ZERO,
        &transfer(address!("0x1111111111111111111111111111111111111111"), U256::from(60)),
    );
    assert!(matches!(r.unwrap_err().outcome, Outcome::Violation(Violation::Rule { rule: 1, .. })));
    assert_eq!(p.used(), vec![(0, U256::from(60))]);
    // a revert changes nothing
    let r = p.check_action(U256::ZERO, &hex!("a9059cbb00"));
    assert!(matches!(
        r.unwrap_err().outcome,
        Outcome::Revert(Revert::CalldataTooShort { rule: 0, needed: 68, actual: 5 })
    ));
    assert_eq!(p.used(), vec![(0, U256::from(60))]);
}

#[test]
fn offsets_near_the_top_of_u64_revert_instead_of_overflowing() {
    for offset in [u64::MAX, u64::MAX - 4, u64::MAX - 35, u64::MAX - 36] {
        let config = ActionConfig::new(
            U256::ZERO,
            &[ParamRule::new(ParamCondition::Equal, offset, B256::ZERO)],
        )
        .unwrap();
        let mut p = UniActionPolicy::from_config(config);
        let r = p.check_action(U256::ZERO, &[0u8; 100]).unwrap_err();
        assert!(
            matches!(r.outcome, Outcome::Revert(Revert::CalldataTooShort { rule: 0, .. })),
            "{offset}: {r}"
        );
    }
}

#[test]
fn simple_policies_count_like_the_contracts() {
    let mut u = UsageLimitPolicy::initialize(&2u128.to_be_bytes()).unwrap();
    assert!(u.check().is_ok() && u.check().is_ok() && u.check().is_err());
    assert!(UsageLimitPolicy::initialize(&[0; 15]).is_err());
    let mut v = ValueLimitPolicy::initialize(&U256::from(100).to_be_bytes::<32>()).unwrap();
    assert!(v.check_action(U256::from(60)).is_ok());
    assert!(v.check_action(U256::from(40)).is_ok());
    assert!(v.check_action(U256::from(1)).is_err());
    let t = TimeFramePolicy::initialize(&hex!("0000713fb30000006553f100")).unwrap();
    assert!(t.check_at(1_800_000_000).is_ok());
    assert!(t.check_at(1_600_000_000).is_err());
    assert!(t.check_at(1_900_000_001).is_err());
    let token = address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
    let account = address!("0xacc0000000000000000000000000000000000001");
    let init = spending_limits(Generation::Current, &[(token, U256::from(100))]).unwrap();
    let mut s = Erc20SpendingLimitPolicy::initialize(&init.initData).unwrap();
    // transferFrom into the account itself counts as 0
    let mut tf = hex!("23b872dd").to_vec();
    tf.extend_from_slice(
        address!("0x3333333333333333333333333333333333333333").into_word().as_slice(),
    );
    tf.extend_from_slice(account.into_word().as_slice());
    tf.extend_from_slice(&U256::from(1000).to_be_bytes::<32>());
    assert!(s.check_action(account, token, U256::ZERO, &tf).is_ok());
    assert!(
        s.check_action(account, token, U256::ZERO, &transfer(account, U256::from(100))).is_ok()
    );
    let r =
        s.check_action(account, token, U256::ZERO, &transfer(account, U256::from(1))).unwrap_err();
    assert!(matches!(r.outcome, Outcome::Violation(Violation::SpendingLimit { .. })));
    // an unconfigured token has limit 0
    let other = address!("0x4444444444444444444444444444444444444444");
    assert!(s.check_action(account, other, U256::ZERO, &transfer(account, U256::from(1))).is_err());
    assert!(s.check_action(account, other, U256::ZERO, &transfer(account, U256::ZERO)).is_ok());
}

// ---- property tests ------------------------------------------------------------------------

/// A straightforward model of UniActionPolicy.checkAction, written from the Solidity source
/// without the evaluator's structure: returns ("0" | "1" | "revert", new used counters).
fn model(
    rules: &[ParamRule],
    value_limit: U256,
    used: &[U256],
    value: U256,
    data: &[u8],
) -> (&'static str, Vec<U256>) {
    if rules.is_empty() {
        return ("revert", used.to_vec());
    }
    if value > value_limit {
        return ("revert", used.to_vec());
    }
    let mut storage = used.to_vec();
    for (i, r) in rules.iter().enumerate() {
        let start = 4 + r.offset as u128;
        if (data.len() as u128) < start + 32 {
            return ("revert", used.to_vec());
        }
        let s = start as usize;
        let param = U256::from_be_slice(&data[s..s + 32]);
        let reference = U256::from_be_bytes(r.reference.0);
        let ok = match r.condition {
            ParamCondition::Equal => param == reference,
            ParamCondition::GreaterThan => param > reference,
            ParamCondition::LessThan => param < reference,
            ParamCondition::GreaterThanOrEqual => param >= reference,
            ParamCondition::LessThanOrEqual => param <= reference,
            ParamCondition::NotEqual => param != reference,
            ParamCondition::InRange => {
                let min = reference >> 128;
                let max = reference & ((U256::from(1) << 128) - U256::from(1));
                param >= min && param <= max
            }
        };
        if !ok {
            return ("1", storage);
        }
        if r.is_limited {
            let Some(sum) = storage[i].checked_add(param) else { return ("revert", used.to_vec()) };
            if sum > r.usage.limit {
                return ("1", storage);
            }
            storage[i] = sum;
        }
    }
    ("0", storage)
}

fn small_word() -> impl Strategy<Value = U256> {
    prop_oneof![0u64..300, Just(u64::MAX)].prop_map(U256::from)
}

fn rule() -> impl Strategy<Value = ParamRule> {
    (0u8..7, 0u64..6, any::<bool>(), small_word(), small_word(), 0u64..300, 0u64..50).prop_map(
        |(c, word, limited, reference, limit, lo, span)| {
            let condition = ParamCondition::try_from(c).unwrap();
            let reference = if condition == ParamCondition::InRange {
                range_ref(u128::from(lo), u128::from(lo + span))
            } else {
                B256::from(reference)
            };
            let mut r = ParamRule::new(condition, word * 32 + u64::from(word == 5) * 3, reference);
            if limited {
                r.is_limited = true;
                r.usage = LimitUsage { limit, used: U256::ZERO };
            }
            r
        },
    )
}

fn call() -> impl Strategy<Value = (U256, Vec<u8>)> {
    (prop_oneof![Just(0u64), 0u64..20].prop_map(U256::from), vec(small_word(), 0..7), 0usize..40)
        .prop_map(|(v, words, cut)| {
            let mut d = hex!("12345678").to_vec();
            for w in words {
                d.extend_from_slice(&w.to_be_bytes::<32>());
            }
            let keep = d.len().saturating_sub(cut % 8);
            d.truncate(keep);
            (v, d)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn evaluator_matches_the_reference_model(
        rules in vec(rule(), 0..=16), value_limit in 0u64..10, calls in vec(call(), 1..12),
    ) {
        let config = ActionConfig::new(U256::from(value_limit), &rules).unwrap_or_else(|_| {
            // inverted ranges are refused by `new`; the contract stores them as given
            let mut slots = [ParamRule::default(); 16];
            slots[..rules.len()].copy_from_slice(&rules);
            ActionConfig::from_slots(U256::from(value_limit), rules.len(), slots).unwrap()
        });
        // through the bytes, as the contract receives them
        let mut p = UniActionPolicy::initialize(&config.abi_encode()).unwrap();
        let mut used = vec![U256::ZERO; rules.len()];
        for (value, data) in calls {
            let (expected, next) = model(&rules, U256::from(value_limit), &used, value, &data);
            let got = p.check_action(value, &data);
            let got = match &got { Ok(()) => "0", Err(r) if r.is_revert() => "revert", Err(_) => "1" };
            prop_assert_eq!(got, expected);
            used = next;
            let actual: Vec<U256> = p.config().rules().iter().map(|r| r.usage.used).collect();
            prop_assert_eq!(&actual, &used);
        }
    }

    #[test]
    fn builder_encode_decode_evaluate_round_trips(
        specs in vec((0u64..2, 0u8..6, 0u64..1000, any::<bool>()), 1..=16),
        amount in 0u64..1000,
    ) {
        let mut b = UniActionBuilder::for_function(TRANSFER).unwrap();
        for (param, c, v, limited) in &specs {
            let condition = ParamCondition::try_from(*c).unwrap();
            b = match (*param, *limited) {
                (0, _) => b.rule("to", condition, Address::with_last_byte(*v as u8)),
                (_, false) => b.rule("amount", condition, U256::from(*v)),
                (_, true) => b.limited("amount", condition, U256::from(*v), U256::from(5000)),
            };
        }
        let policy = b.build(Generation::Current).unwrap();
        let decoded = ActionConfig::abi_decode(&policy.initData).unwrap();
        prop_assert_eq!(&decoded, &b.build_config().unwrap());
        validate_action_config(&decoded).unwrap();
        let mut p = UniActionPolicy::initialize(&policy.initData).unwrap();
        let data = transfer(Address::with_last_byte(7), U256::from(amount));
        let (expected, _) = model(decoded.rules(), U256::ZERO, &vec![U256::ZERO; decoded.len()], U256::ZERO, &data);
        let got = match p.check_action(U256::ZERO, &data) { Ok(()) => "0", Err(r) if r.is_revert() => "revert", Err(_) => "1" };
        prop_assert_eq!(got, expected);
    }
}

#[test]
fn a_hostile_call_count_is_a_typed_error_not_a_panic() {
    // issue 13 item 12: `calls` 2^64 - 1 made the CLI's loop panic with "capacity overflow"
    let mut p = UsageLimitPolicy::initialize(&hex!("00000000000000000000000000000002")).unwrap();
    assert_eq!(
        p.check_many(u64::MAX),
        Err(PolicyError::TooMany {
            field: "calls",
            count: u64::MAX,
            max: smart_sessions_policy::eval::MAX_CALLS
        })
    );
    assert!(p.check_many(100_000_000).is_err());
    // nothing was counted by the refused requests
    assert_eq!(p.used, 0);
    let r = p.check_many(3).unwrap();
    assert_eq!(r.iter().map(|r| r.is_ok()).collect::<Vec<_>>(), [true, true, false]);
}
