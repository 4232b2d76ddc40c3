//! Quote-request rules of spec mee.md §3 that no recorded vector exercises, checked on requests
//! built from the recorded grant G1 (grantPermissionTypedDataSign vector 0, chains 8453 and 10):
//! sponsorship with an undeployed account puts the initCode on the first developer userOp;
//! USE mode gives every entry mode 0x00; a fee chain undeployed puts the initCode in
//! paymentInfo only; ENABLE_AND_USE without an 0x02 entry is refused with the SDK's message.

use alloy_primitives::{address, bytes};
use serde_json::Value;
use smart_sessions_codec::SmartSessionMode;
use smart_sessions_mee::{
    Instruction, MeeError, MeeVersion, MultichainAccount, Payment, QuoteParams, SessionDetails,
    StepClock, build_quote_request, eval,
    quote_request::{BASE_USDC, DEFAULT_GAS_TANK, SessionUse, Sponsorship, UseMode},
    session::{Call, FeeToken},
};

fn g1() -> Vec<SessionDetails> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mee.json"))
            .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let v = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["function"] == "mee.grantPermissionTypedDataSign")
        .unwrap();
    SessionDetails::list_from_json(&eval("mee.grantPermissionTypedDataSign", &v["inputs"]).unwrap())
        .unwrap()
}

fn account(deployed: bool) -> MultichainAccount {
    let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    let acct = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
    let mut a =
        MultichainAccount::new(owner, MeeVersion::V2_0_0.config(), 0, [(10, acct), (8453, acct)])
            .unwrap();
    for d in &mut a.deployments {
        d.deployed = deployed;
    }
    a
}

fn instructions() -> Vec<Instruction> {
    let counter = address!("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0");
    vec![
        Instruction::new(8453, vec![Call::new(counter, bytes!("0xd09de08a"))]),
        Instruction::new(
            10,
            vec![
                Call::new(counter, bytes!("0xd09de08a")),
                Call::new(counter, bytes!("0xd09de08a")),
            ],
        ),
    ]
}

fn build(
    deployed: bool,
    payment: Payment,
    mode: UseMode,
    details: &[SessionDetails],
) -> Result<Value, MeeError> {
    let a = account(deployed);
    let ins = instructions();
    let p = QuoteParams {
        account: &a,
        instructions: &ins,
        payment,
        session: Some(SessionUse { details, mode, verification_gas_limit: None }),
        lower_bound_timestamp: Some(1_767_225_600),
    };
    build_quote_request(&p, &StepClock::new(1_767_225_600_001, 1))
        .map(|r| serde_json::to_value(&r).unwrap())
}

fn fee() -> Payment {
    Payment::FeeToken {
        token: FeeToken { address: BASE_USDC, chain_id: 8453 },
        gas_refund_address: None,
    }
}

#[test]
fn sponsored_undeployed_puts_init_code_on_first_dev_user_ops() {
    let r = build(false, Payment::Sponsored(Sponsorship::default()), UseMode::EnableAndUse, &g1())
        .unwrap();
    assert_eq!(r["paymentInfo"]["sponsored"], true);
    assert_eq!(r["paymentInfo"]["nonce"], "0");
    assert_eq!(
        r["paymentInfo"]["sender"].as_str().unwrap().to_lowercase(),
        DEFAULT_GAS_TANK.to_string().to_lowercase()
    );
    assert!(r["paymentInfo"].get("initCode").is_none());
    for op in r["userOps"].as_array().unwrap() {
        // factory of MEE 2.0.0 first
        let init = op["initCode"].as_str().unwrap().to_lowercase();
        assert!(init.starts_with("0x000000001d1d5004a02bafab9de2d6ce5b7b13de"), "{init}");
        // sponsored: every chain's first op enables
        assert_eq!(op["sessionDetails"]["mode"], "0x02");
        assert_eq!(op["verificationGasLimit"], "1000000");
    }
    // meeVersions: only the instruction chains
    assert_eq!(r["meeVersions"].as_array().unwrap().len(), 2);
    // the two calls on chain 10 are one batch userOp with 2 x 700 000 gas
    assert_eq!(r["userOps"][1]["callGasLimit"], "1400000");
    assert_eq!(&r["userOps"][1]["callData"].as_str().unwrap()[..10], "0xe9ae5c53");
}

#[test]
fn use_mode_sends_mode_zero_everywhere() {
    let details: Vec<SessionDetails> =
        g1().iter().map(|d| d.with_mode(SmartSessionMode::Use)).collect();
    let r = build(true, fee(), UseMode::Use, &details).unwrap();
    assert_eq!(r["paymentInfo"]["sessionDetails"]["mode"], "0x00");
    for op in r["userOps"].as_array().unwrap() {
        assert_eq!(op["sessionDetails"]["mode"], "0x00");
        assert!(op.get("initCode").is_none());
    }
}

#[test]
fn undeployed_fee_chain_carries_init_code_in_payment_info_only() {
    let r = build(false, fee(), UseMode::EnableAndUse, &g1()).unwrap();
    assert!(r["paymentInfo"]["initCode"].is_string());
    let ops = r["userOps"].as_array().unwrap();
    assert_eq!(ops[0]["chainId"], "8453");
    assert!(ops[0].get("initCode").is_none());
    assert!(ops[1]["initCode"].is_string());
}

#[test]
fn enable_and_use_needs_an_enable_entry() {
    let details: Vec<SessionDetails> =
        g1().iter().map(|d| d.with_mode(SmartSessionMode::Use)).collect();
    let err = build(true, fee(), UseMode::EnableAndUse, &details).unwrap_err();
    assert!(matches!(err, MeeError::EnableNotPossible));
    assert!(
        err.to_string()
            .starts_with("ENABLE_AND_USE mode cannot be used with given session details")
    );
}

#[test]
fn chain_without_session_is_named() {
    let details = vec![g1().remove(0)]; // 8453 only
    let err = build(true, fee(), UseMode::EnableAndUse, &details).unwrap_err();
    assert!(matches!(err, MeeError::NoSessionForChain { chain_id: 10 }), "{err}");
}
