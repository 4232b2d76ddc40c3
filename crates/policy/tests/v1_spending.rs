//! The ERC-20 spending limit rules per model: SmartSession v1.0's policy (facts of
//! ../shared/spec/v1.md, restated in each test) against the current one (protocol.md §e and the
//! current vector), and reading v1.0's state from storage words.

use alloy_primitives::{Address, B256, U256, address, hex};
use smart_sessions_codec::{Generation, PolicyKind};
use smart_sessions_policy::{
    eval::{
        Erc20SpendingLimitPolicy, Outcome, Revert, SpendingModel, TokenSpend, UncheckedReason,
        Violation, v1_storage,
    },
    spending_limits,
};

const TOKEN: Address = address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
const ACCOUNT: Address = address!("0xacc0000000000000000000000000000000000001");
const OTHER: Address = address!("0x1111111111111111111111111111111111111111");

fn call(selector: [u8; 4], args: &[B256]) -> Vec<u8> {
    let mut d = selector.to_vec();
    for a in args {
        d.extend_from_slice(a.as_slice());
    }
    d
}
fn amount(n: u64) -> B256 {
    B256::from(U256::from(n))
}
fn transfer(n: u64) -> Vec<u8> {
    call(hex!("a9059cbb"), &[OTHER.into_word(), amount(n)])
}
fn approve(n: u64) -> Vec<u8> {
    call(hex!("095ea7b3"), &[OTHER.into_word(), amount(n)])
}
fn increase_allowance(n: u64) -> Vec<u8> {
    call(hex!("39509351"), &[OTHER.into_word(), amount(n)])
}
fn transfer_from(to: Address, n: u64) -> Vec<u8> {
    call(hex!("23b872dd"), &[OTHER.into_word(), to.into_word(), amount(n)])
}

fn policy(model: SpendingModel, limit: u64) -> Erc20SpendingLimitPolicy {
    let init = spending_limits(Generation::V1, &[(TOKEN, U256::from(limit))]).unwrap();
    Erc20SpendingLimitPolicy::initialize_with(model, &init.initData).unwrap()
}

fn check(p: &mut Erc20SpendingLimitPolicy, value: u64, data: &[u8]) -> Result<(), Outcome> {
    p.check_action(ACCOUNT, TOKEN, U256::from(value), data).map_err(|r| {
        assert_eq!(r.policy, PolicyKind::SpendingLimits);
        r.outcome
    })
}

#[test]
fn each_generation_names_its_model() {
    assert_eq!(SpendingModel::of(Generation::V1), SpendingModel::V1);
    assert_eq!(SpendingModel::of(Generation::Current), SpendingModel::Current);
    assert_eq!(SpendingModel::of(Generation::Legacy), SpendingModel::Current);
}

#[test]
fn v1_counts_approve_transfer_and_transfer_from_alike() {
    // v1.md: "the amount of all three counts alike against alreadySpent + amount <= spendingLimit"
    let mut p = policy(SpendingModel::V1, 100);
    assert_eq!(check(&mut p, 0, &transfer(30)), Ok(()));
    assert_eq!(check(&mut p, 0, &approve(30)), Ok(()));
    assert_eq!(check(&mut p, 0, &transfer_from(OTHER, 40)), Ok(()));
    assert_eq!(
        p.tokens[&TOKEN],
        TokenSpend { limit: U256::from(100), spent: U256::from(100), approved: U256::ZERO }
    );
    // the limit is reached: one more unit of any of them fails, and nothing is counted
    for data in [transfer(1), approve(1), transfer_from(OTHER, 1)] {
        assert!(matches!(
            check(&mut p, 0, &data),
            Err(Outcome::Violation(Violation::SpendingLimit { spent, approved, .. }))
                if spent == U256::from(100) && approved.is_zero()
        ));
    }
    assert_eq!(p.tokens[&TOKEN].spent, U256::from(100));
    // the current model keeps approvals apart (same calls, same limit)
    let mut c = policy(SpendingModel::Current, 100);
    for data in [transfer(30), approve(30), transfer_from(OTHER, 40)] {
        check(&mut c, 0, &data).unwrap();
    }
    assert_eq!(
        c.tokens[&TOKEN],
        TokenSpend { limit: U256::from(100), spent: U256::from(70), approved: U256::from(30) }
    );
}

#[test]
fn v1_refuses_increase_allowance_and_every_other_selector() {
    let mut p = policy(SpendingModel::V1, 100);
    for data in [increase_allowance(1), hex!("12345678").to_vec(), hex!("a457c2d7").to_vec()] {
        let r = check(&mut p, 0, &data).unwrap_err();
        assert!(
            matches!(
                r,
                Outcome::Violation(Violation::UnsupportedSelector { model: SpendingModel::V1, .. })
            ),
            "{r:?}"
        );
    }
    let rejection = p.check_action(ACCOUNT, TOKEN, U256::ZERO, &increase_allowance(1)).unwrap_err();
    assert_eq!(
        rejection.to_string(),
        "ERC20SpendingLimitPolicy: selector 0x39509351 is not transfer, transferFrom or approve (v1.0)"
    );
    // the current model accepts increaseAllowance as an approval
    let mut c = policy(SpendingModel::Current, 100);
    assert_eq!(check(&mut c, 0, &increase_allowance(1)), Ok(()));
    assert_eq!(c.tokens[&TOKEN].approved, U256::from(1));
}

#[test]
fn v1_refuses_a_non_zero_value() {
    let mut p = policy(SpendingModel::V1, 100);
    assert_eq!(
        check(&mut p, 1, &transfer(0)),
        Err(Outcome::Violation(Violation::NonZeroValue { value: U256::from(1) }))
    );
}

#[test]
fn v1_counts_a_transfer_from_to_the_account_itself() {
    // v1.md: "there is no exemption for a transferFrom to the account itself"
    let mut p = policy(SpendingModel::V1, 100);
    assert_eq!(check(&mut p, 0, &transfer_from(ACCOUNT, 100)), Ok(()));
    assert_eq!(p.tokens[&TOKEN].spent, U256::from(100));
    assert!(check(&mut p, 0, &transfer_from(ACCOUNT, 1)).is_err());
    // the current model counts it as 0 (protocol.md §e)
    let mut c = policy(SpendingModel::Current, 100);
    assert_eq!(check(&mut c, 0, &transfer_from(ACCOUNT, 1000)), Ok(()));
    assert_eq!(c.tokens[&TOKEN].spent, U256::ZERO);
}

#[test]
fn v1_short_or_malformed_calldata_reverts_and_unknown_tokens_have_no_limit() {
    let mut p = policy(SpendingModel::V1, 100);
    assert_eq!(check(&mut p, 0, &hex!("a905")), Err(Outcome::Revert(Revert::MalformedArguments)));
    assert_eq!(
        check(&mut p, 0, &hex!("a9059cbb00")),
        Err(Outcome::Revert(Revert::MalformedArguments))
    );
    // a token never configured has spendingLimit 0: only a zero amount passes
    let r = p.check_action(ACCOUNT, OTHER, U256::ZERO, &transfer(1)).unwrap_err();
    assert!(
        matches!(r.outcome, Outcome::Violation(Violation::SpendingLimit { limit, .. }) if limit.is_zero())
    );
    assert!(p.check_action(ACCOUNT, OTHER, U256::ZERO, &transfer(0)).is_ok());
}

#[test]
fn v1_state_decodes_from_the_two_storage_words() {
    // v1.md: "after a limit of 1000 and one transfer of 123 the two slots read 123 and 1000"
    let spend = v1_storage::token_spend(amount(123), amount(1000));
    assert_eq!(
        spend,
        TokenSpend { limit: U256::from(1000), spent: U256::from(123), approved: U256::ZERO }
    );
    assert_eq!(spend.remaining(), U256::from(877));
    // the evaluator continues from that state under the v1 rules
    let init = policy(SpendingModel::V1, 1000);
    let mut state =
        v1_storage::policy_state(&init, |t| (t == TOKEN).then(|| (amount(123), amount(1000))))
            .unwrap();
    assert_eq!(state.model, SpendingModel::V1);
    assert!(state.check_action(ACCOUNT, TOKEN, U256::ZERO, &approve(877)).is_ok());
    assert!(state.check_action(ACCOUNT, TOKEN, U256::ZERO, &transfer(1)).is_err());
}

#[test]
fn v1_state_that_cannot_be_read_is_unchecked_not_an_error() {
    let init = policy(SpendingModel::V1, 1000);
    let u = v1_storage::policy_state(&init, |_| None).unwrap_err();
    assert_eq!(u.policy, PolicyKind::SpendingLimits);
    assert_eq!(u.reason, UncheckedReason::StateUnavailable);
}

#[test]
fn v1_slots_follow_the_solidity_mapping_layout() {
    // keccak(account . keccak(token . keccak(multiplexer . keccak(id . 1)))), spelled out with
    // the preimages built by hand; the spending limit at the next slot.
    let id = B256::repeat_byte(0x42);
    let multiplexer = Generation::V1.smart_session();
    let k = |key: B256, slot: B256| alloy_primitives::keccak256([key.0, slot.0].concat());
    let expected =
        k(ACCOUNT.into_word(), k(TOKEN.into_word(), k(multiplexer.into_word(), k(id, amount(1)))));
    let s = v1_storage::token_slots(id, multiplexer, TOKEN, ACCOUNT);
    assert_eq!(s.already_spent, expected);
    assert_eq!(
        U256::from_be_bytes(s.spending_limit.0),
        U256::from_be_bytes(expected.0) + U256::from(1)
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Random calldata (often an ERC-20 selector with random words) and values: the v1
        /// model never panics, counts only on success, and never lets alreadySpent pass the
        /// limit.
        #[test]
        fn v1_checks_never_panic_and_keep_spent_within_the_limit(
            calls in prop::collection::vec(
                (
                    prop::sample::select(vec![[0xa9u8, 0x05, 0x9c, 0xbb], [0x09, 0x5e, 0xa7, 0xb3], [0x23, 0xb8, 0x72, 0xdd], [0x39, 0x50, 0x93, 0x51], [0, 0, 0, 0]]),
                    prop::collection::vec(any::<u8>(), 0..100),
                    0u64..3,
                    0u64..400,
                ),
                0..20,
            )
        ) {
            let mut p = policy(SpendingModel::V1, 1000);
            for (sel, mut tail, value, amount) in calls {
                // most calls well-formed: the amount in the last of 2 or 3 words
                if tail.len() > 90 {
                    tail = call(sel, &[OTHER.into_word(), super::amount(amount)])[4..].to_vec();
                }
                let mut data = sel.to_vec();
                data.extend(tail);
                let before = p.tokens[&TOKEN];
                let r = p.check_action(ACCOUNT, TOKEN, U256::from(value), &data);
                let after = p.tokens[&TOKEN];
                prop_assert!(after.spent <= after.limit);
                prop_assert!(after.approved.is_zero());
                if r.is_err() {
                    prop_assert_eq!(before, after);
                }
            }
        }
    }
}
