//! The off-chain policy pre-check on the session of the recorded grant
//! grantPermissionPersonalSign vector 0: a universal action policy on token2.transfer with rules
//! `recipient == 0xbEEF` (rule 0) and `amount <= 100e6`, limited to 1000e6 in total (rule 1).
//! Expected verdicts follow the rules as the vector's inputs state them.

use alloy_primitives::{Address, U256, address};
use alloy_sol_types::SolCall;
use serde_json::Value;
use smart_sessions_codec::Generation;
use smart_sessions_mee::{
    Instruction, SessionDetails, eval,
    session::{Call, PrecheckError, precheck},
};
use smart_sessions_policy::eval::{Outcome, Violation};

use smart_sessions_bindings::erc20::ERC20::transferCall;

const TOKEN2: Address = address!("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");

fn details() -> Vec<SessionDetails> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mee.json"))
            .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let v = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["function"] == "mee.grantPermissionPersonalSign")
        .unwrap();
    SessionDetails::list_from_json(&eval("mee.grantPermissionPersonalSign", &v["inputs"]).unwrap())
        .unwrap()
}

fn pay(to: Address, amount: u64) -> Call {
    Call::new(TOKEN2, transferCall { to, amount: U256::from(amount) }.abi_encode())
}

const BEEF: Address = address!("0x000000000000000000000000000000000000bEEF");

#[test]
fn allowed_transfer_passes() {
    let r = precheck(
        Generation::Current,
        &details(),
        &[Instruction::new(8453, vec![pay(BEEF, 50_000_000)])],
    )
    .unwrap();
    assert!(r.unchecked.is_empty());
}

#[test]
fn wrong_recipient_names_rule_0() {
    let err = precheck(
        Generation::Current,
        &details(),
        &[Instruction::new(
            8453,
            vec![pay(address!("0x000000000000000000000000000000000000dEaD"), 1)],
        )],
    )
    .unwrap_err();
    match err {
        PrecheckError::Refused { call: 0, rejection, .. } => {
            assert!(
                matches!(rejection.outcome, Outcome::Violation(Violation::Rule { rule: 0, .. })),
                "{rejection:?}"
            )
        }
        other => panic!("{other}"),
    }
}

#[test]
fn amount_over_the_cap_names_rule_1() {
    let err = precheck(
        Generation::Current,
        &details(),
        &[Instruction::new(8453, vec![pay(BEEF, 100_000_001)])],
    )
    .unwrap_err();
    assert!(
        matches!(err, PrecheckError::Refused { rejection: ref r, .. }
        if matches!(r.outcome, Outcome::Violation(Violation::Rule { rule: 1, .. }))),
        "{err}"
    );
}

#[test]
fn cumulative_limit_counts_across_the_calls_of_one_request() {
    // 11 transfers of 100e6 exceed the 1000e6 total on the 11th call (index 10)
    let calls: Vec<Call> = (0..11).map(|_| pay(BEEF, 100_000_000)).collect();
    let err =
        precheck(Generation::Current, &details(), &[Instruction::new(8453, calls)]).unwrap_err();
    assert!(matches!(err, PrecheckError::Refused { call: 10, .. }), "{err}");
}

#[test]
fn call_without_action_and_chain_without_session_are_named() {
    let other = Call::new(
        address!("0x1111111111111111111111111111111111111111"),
        vec![0xd0, 0x9d, 0xe0, 0x8a],
    );
    assert!(matches!(
        precheck(Generation::Current, &details(), &[Instruction::new(8453, vec![other])]),
        Err(PrecheckError::NoAction { call: 0, .. })
    ));
    assert!(matches!(
        precheck(Generation::Current, &details(), &[Instruction::new(10, vec![pay(BEEF, 1)])]),
        Err(PrecheckError::NoSession { chain_id: 10 })
    ));
}

#[test]
fn use_permission_request_prechecks_before_quoting() {
    use smart_sessions_mee::{
        MeeError, MeeVersion, MultichainAccount, Payment, StepClock,
        actions::use_permission_request,
        quote_request::{BASE_USDC, UseMode},
        session::FeeToken,
    };
    let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    let acct = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
    let mut account =
        MultichainAccount::new(owner, MeeVersion::V2_0_0.config(), 0, [(8453, acct)]).unwrap();
    account.set_deployed(8453, true).unwrap();
    let fee = Payment::FeeToken {
        token: FeeToken { address: BASE_USDC, chain_id: 8453 },
        gas_refund_address: None,
    };
    let d = details();
    let clock = StepClock::new(1_767_225_600_000, 1);
    let ok = [Instruction::new(8453, vec![pay(BEEF, 50_000_000)])];
    let (request, report) =
        use_permission_request(&account, &d, UseMode::EnableAndUse, &ok, fee.clone(), None, &clock)
            .unwrap();
    assert_eq!(request.user_ops.len(), 1);
    assert!(report.unchecked.is_empty());
    let bad = [Instruction::new(8453, vec![pay(BEEF, 100_000_001)])];
    let err = use_permission_request(&account, &d, UseMode::EnableAndUse, &bad, fee, None, &clock)
        .unwrap_err();
    assert!(matches!(err, MeeError::Precheck(PrecheckError::Refused { .. })), "{err}");
    // MEE 2.2.1: refused before anything else (spec mee.md §6)
    let mut newer = account.clone();
    newer.version = MeeVersion::V2_2_1.config();
    let fee = Payment::FeeToken {
        token: FeeToken { address: BASE_USDC, chain_id: 8453 },
        gas_refund_address: None,
    };
    let err = use_permission_request(&newer, &d, UseMode::EnableAndUse, &ok, fee, None, &clock)
        .unwrap_err();
    assert!(matches!(err, MeeError::SessionsNeedSimpleMode { version: "2.2.1" }), "{err}");
}

#[test]
fn prepare_is_skipped_when_everything_is_installed() {
    use smart_sessions_mee::{
        MeeVersion, MultichainAccount, Payment, StepClock,
        actions::prepare_for_permissions_request, quote_request::BASE_USDC, session::FeeToken,
    };
    let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    let acct = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
    let mut account =
        MultichainAccount::new(owner, MeeVersion::V2_0_0.config(), 0, [(10, acct), (8453, acct)])
            .unwrap();
    let fee = Payment::FeeToken {
        token: FeeToken { address: BASE_USDC, chain_id: 8453 },
        gas_refund_address: None,
    };
    let clock = StepClock::new(1_767_225_600_000, 1);
    account.set_deployed(10, true).unwrap();
    account.set_deployed(8453, true).unwrap();
    assert!(
        prepare_for_permissions_request(&account, |_| true, fee.clone(), &[], &clock)
            .unwrap()
            .is_none()
    );
    // installed only on 8453: one userOp, on chain 10, without initCode (deployed)
    let r = prepare_for_permissions_request(&account, |c| c == 8453, fee, &[], &clock)
        .unwrap()
        .unwrap();
    assert_eq!(r.user_ops.len(), 1);
    assert_eq!(r.user_ops[0].chain_id.0, 10);
    assert!(r.user_ops[0].init_code.is_none());
}
