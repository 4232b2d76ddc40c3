//! The evaluator's v1.0 spending-limit model and storage slots against a recording of our own
//! Solidity stand-in (`crates/devnet/contracts/V1SpendingLimitStandIn.sol`, compiled by solc and
//! run on anvil: `tests/vectors/v1_standin.json`, recorded by
//! `tests/vectors/record_v1_standin.mjs`).
//! The stand-in is our own model of v1.0 from spec/v1.md, not v1.0's bytecode: agreement shows
//! the evaluator and the stand-in agree with each other, and that the slot formula matches the
//! storage layout solc gives the declared mappings.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::Value;
use smart_sessions_codec::Generation;
use smart_sessions_policy::{
    eval::{Erc20SpendingLimitPolicy, Outcome, SpendingModel, v1_storage},
    spending_limits,
};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/v1_standin.json")).unwrap()
}

fn s<T: std::str::FromStr>(v: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn the_slots_are_where_solc_put_the_stand_ins_state() {
    let v = vectors();
    let slots = &v["slots"];
    let got = v1_storage::token_slots(
        s::<B256>(&slots["configId"]),
        s::<Address>(&slots["multiplexer"]),
        s::<Address>(&slots["token"]),
        s::<Address>(&slots["account"]),
    );
    assert_eq!(got.already_spent, s::<B256>(&slots["alreadySpentSlot"]));
    assert_eq!(got.spending_limit, s::<B256>(&slots["spendingLimitSlot"]));
    // and the words read there after the first call are spec/v1.md's example: 123 and 1000
    let first = &v["calls"][0];
    assert_eq!(first["call"], "transfer 123");
    let spend = v1_storage::token_spend(
        B256::from(s::<U256>(&first["alreadySpent"])),
        B256::from(s::<U256>(&first["spendingLimit"])),
    );
    assert_eq!((spend.spent, spend.limit), (U256::from(123), U256::from(1000)));
}

#[test]
fn the_v1_model_agrees_with_the_stand_in_call_by_call() {
    let v = vectors();
    let slots = &v["slots"];
    let (token, account) = (s::<Address>(&slots["token"]), s::<Address>(&slots["account"]));
    let init = spending_limits(Generation::V1, &[(token, s::<U256>(&v["limit"]))]).unwrap();
    let mut p =
        Erc20SpendingLimitPolicy::initialize_with(SpendingModel::V1, &init.initData).unwrap();
    let calls = v["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 7);
    for c in calls {
        let data: Bytes = s(&c["data"]);
        let got = match p.check_action(account, token, s::<U256>(&c["value"]), &data) {
            Ok(()) => "0",
            Err(r) => match r.outcome {
                Outcome::Violation(_) => "1",
                Outcome::Revert(_) => "revert",
            },
        };
        assert_eq!(got, c["result"].as_str().unwrap(), "{}", c["call"]);
        let t = p.tokens[&token];
        assert_eq!(t.spent, s::<U256>(&c["alreadySpent"]), "{}", c["call"]);
        assert_eq!(t.limit, s::<U256>(&c["spendingLimit"]), "{}", c["call"]);
        assert!(t.approved.is_zero());
    }
}
