//! Quote verification against what was asked, on the quotes recorded from the SDK runs
//! (`mee.signedQuote` inputs are the node's quotes; `mee.quoteRequest` outputs the requests):
//! our request for the same run must accept the recorded quote, and a quote whose root, a
//! userOp hash, or a userOp's callData was tampered with must be refused with an error naming
//! the userOp and field. "Attacker" quotes recompute their hashes consistently with our own
//! hash functions, so only the comparison with the request can catch them.

use alloy_primitives::{B256, address};
use serde_json::Value;
use smart_sessions_mee::{
    ENTRY_POINT_V07, MeeError, MeeVersion, MultichainAccount, NodeQuote, QuoteRequest, StepClock,
    StxEntry, build_quote_request, eval, mee_user_op_hash,
    quote_request::{BASE_USDC, Payment, QuoteParams, prepare_instructions},
    session::FeeToken,
    sign::sign_quote_sync,
    supertransaction_hash,
};

const T0: u64 = 1_767_225_600_000;

fn vectors(function: &str) -> Vec<Value> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mee.json"))
            .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["function"] == function)
        .cloned()
        .collect()
}

/// Our request of the recorded MEE 2.0.0 prepare run (quoteRequest vector 0).
fn prepare_request() -> QuoteRequest {
    let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    let acct = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
    let account =
        MultichainAccount::new(owner, MeeVersion::V2_0_0.config(), 0, [(10, acct), (8453, acct)])
            .unwrap();
    let instructions = prepare_instructions(&account, |_| false);
    let params = QuoteParams {
        account: &account,
        instructions: &instructions,
        payment: Payment::FeeToken {
            token: FeeToken { address: BASE_USDC, chain_id: 8453 },
            gas_refund_address: None,
        },
        session: None,
        lower_bound_timestamp: Some(1_767_225_600),
    };
    let request = build_quote_request(&params, &StepClock::new(T0 + 1, 1)).unwrap();
    // sanity: the same request the SDK sent (also covered by the vectors test)
    let recorded = &vectors("mee.quoteRequest")[0]["output"];
    assert_eq!(
        serde_json::to_value(&request).unwrap()["userOps"][1]["nonce"],
        recorded["userOps"][1]["nonce"]
    );
    request
}

fn recorded_prepare_quote() -> Value {
    vectors("mee.signedQuote")[0]["inputs"]["quote"].clone()
}

/// Recomputes userOp `i`'s hashes and the root after a change, as a dishonest node would.
fn rehash(quote: &mut Value) {
    let mut entries = Vec::new();
    for u in quote["userOps"].as_array_mut().unwrap() {
        let parsed = NodeQuote::new(
            serde_json::json!({"hash": "0x00", "paymentInfo": {}, "userOps": [u.clone()]}),
        )
        .unwrap()
        .user_ops()
        .unwrap()
        .remove(0);
        let h = parsed.user_op.user_op_hash(ENTRY_POINT_V07, parsed.chain_id);
        let m = mee_user_op_hash(h, parsed.lower_bound_timestamp, parsed.upper_bound_timestamp);
        u["userOpHash"] = Value::String(h.to_string());
        u["meeUserOpHash"] = Value::String(m.to_string());
        entries.push(StxEntry {
            user_op_hash: h,
            mee_user_op_hash: m,
            short_encoding: parsed.short_encoding,
        });
    }
    quote["hash"] = Value::String(supertransaction_hash(&entries).unwrap().to_string());
}

#[test]
fn recorded_quote_verifies_against_our_request() {
    let request = prepare_request();
    let verified = NodeQuote::new(recorded_prepare_quote()).unwrap().verify(&request).unwrap();
    assert_eq!(
        verified.hash(),
        "0x24ecbf493fdad485f279866648bc0a4447ccc761a0c3bcb86e2b07c6bd50ac54"
            .parse::<B256>()
            .unwrap()
    );
}

#[test]
fn tampered_root_is_refused() {
    let mut q = recorded_prepare_quote();
    q["hash"] = Value::String(B256::repeat_byte(0x11).to_string());
    let err = NodeQuote::new(q).unwrap().verify(&prepare_request()).unwrap_err();
    assert!(
        matches!(err, MeeError::RootMismatch { actual, .. } if actual == B256::repeat_byte(0x11)),
        "{err}"
    );
}

#[test]
fn tampered_user_op_hash_is_refused() {
    let mut q = recorded_prepare_quote();
    q["userOps"][2]["userOpHash"] = Value::String(B256::repeat_byte(0x22).to_string());
    let err = NodeQuote::new(q).unwrap().verify(&prepare_request()).unwrap_err();
    assert!(
        matches!(err, MeeError::QuoteMismatch { user_op: 2, field: "userOpHash", .. }),
        "{err}"
    );
}

#[test]
fn tampered_call_data_with_consistent_hashes_is_refused() {
    let mut q = recorded_prepare_quote();
    let cd = q["userOps"][1]["userOp"]["callData"].as_str().unwrap().to_owned();
    // flip one nibble of the last byte of the calldata
    let mut tampered = cd[..cd.len() - 1].to_owned();
    tampered.push(if cd.ends_with('0') { '1' } else { '0' });
    q["userOps"][1]["userOp"]["callData"] = Value::String(tampered);
    rehash(&mut q);
    // its own hashes are consistent, so only the request comparison catches it
    assert!(NodeQuote::new(q.clone()).unwrap().verify_hashes().is_ok());
    let err = NodeQuote::new(q).unwrap().verify(&prepare_request()).unwrap_err();
    assert!(
        matches!(err, MeeError::QuoteMismatch { user_op: 1, field: "userOp.callData", .. }),
        "{err}"
    );
}

#[test]
fn payment_to_another_token_is_refused() {
    let mut q = recorded_prepare_quote();
    let cd = q["userOps"][0]["userOp"]["callData"].as_str().unwrap().to_lowercase();
    let usdc = "833589fcd6edb6e08f4c7c32d4f71b54bda02913";
    assert!(cd.contains(usdc));
    q["userOps"][0]["userOp"]["callData"] =
        Value::String(cd.replace(usdc, "1111111111111111111111111111111111111111"));
    rehash(&mut q);
    let err = NodeQuote::new(q).unwrap().verify(&prepare_request()).unwrap_err();
    assert!(
        matches!(err, MeeError::QuoteMismatch { user_op: 0, field: "userOp.callData", .. }),
        "{err}"
    );
}

#[test]
fn missing_user_op_is_refused() {
    let mut q = recorded_prepare_quote();
    q["userOps"].as_array_mut().unwrap().pop();
    rehash(&mut q);
    let err = NodeQuote::new(q).unwrap().verify(&prepare_request()).unwrap_err();
    assert!(matches!(err, MeeError::UserOpCount { expected: 3, actual: 2 }), "{err}");
}

#[test]
fn verified_quote_signs_to_the_recorded_signature() {
    // mee.signedQuote vector 0: the owner's personal signature over the root (MEE 2.0.0)
    let v = &vectors("mee.signedQuote")[0];
    let key: B256 = v["inputs"]["signerPrivateKey"].as_str().unwrap().parse().unwrap();
    let signer = alloy_signer_local::PrivateKeySigner::from_bytes(&key).unwrap();
    let verified =
        NodeQuote::new(recorded_prepare_quote()).unwrap().verify(&prepare_request()).unwrap();
    let sig = sign_quote_sync(&signer, &verified, MeeVersion::V2_0_0, "Nexus").unwrap();
    assert_eq!(Value::String(sig.to_string()), v["output"]["addedFields"]["signature"]);
    // and eval (the vector path) agrees
    assert_eq!(
        eval("mee.signedQuote", &v["inputs"]).unwrap()["addedFields"]["signature"],
        v["output"]["addedFields"]["signature"]
    );
}

/// Our request of the recorded ENABLE_AND_USE run on 8453 + 10 (quoteRequest vector 1), with
/// the session details of our own grant of grantPermissionTypedDataSign vector 0 (G1) and the
/// nonce clock at that quote's position in the recorded run (T0 + 5, see tests/vectors.rs).
fn enable_and_use_request() -> (QuoteRequest, Vec<smart_sessions_mee::SessionDetails>) {
    use smart_sessions_mee::{
        Instruction,
        quote_request::{SessionUse, UseMode},
        session::Call,
    };
    let grant = &vectors("mee.grantPermissionTypedDataSign")[0];
    let details = smart_sessions_mee::SessionDetails::list_from_json(
        &eval("mee.grantPermissionTypedDataSign", &grant["inputs"]).unwrap(),
    )
    .unwrap();
    let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    let acct = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
    let mut account =
        MultichainAccount::new(owner, MeeVersion::V2_0_0.config(), 0, [(10, acct), (8453, acct)])
            .unwrap();
    account.set_deployed(10, true).unwrap();
    account.set_deployed(8453, true).unwrap();
    let counter = address!("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0");
    let increment = alloy_primitives::bytes!("0xd09de08a");
    let instructions = [
        Instruction::new(8453, vec![Call::new(counter, increment.clone())]),
        Instruction::new(10, vec![Call::new(counter, increment)]),
    ];
    let params = QuoteParams {
        account: &account,
        instructions: &instructions,
        payment: Payment::FeeToken {
            token: FeeToken { address: BASE_USDC, chain_id: 8453 },
            gas_refund_address: None,
        },
        session: Some(SessionUse {
            details: &details,
            mode: UseMode::EnableAndUse,
            verification_gas_limit: None,
        }),
        lower_bound_timestamp: Some(1_767_225_600),
    };
    (build_quote_request(&params, &StepClock::new(T0 + 5, 1)).unwrap(), details)
}

#[test]
fn recorded_session_quote_verifies_and_exec_body_matches() {
    use smart_sessions_mee::{
        exec::{ExecSession, exec_body},
        quote_request::UseMode,
    };
    let (request, details) = enable_and_use_request();
    let v = &vectors("mee.signedQuote")[1];
    let verified = NodeQuote::new(v["inputs"]["quote"].clone()).unwrap().verify(&request).unwrap();
    let key: B256 = v["inputs"]["signerPrivateKey"].as_str().unwrap().parse().unwrap();
    let redeemer = alloy_signer_local::PrivateKeySigner::from_bytes(&key).unwrap();
    let sig = sign_quote_sync(&redeemer, &verified, MeeVersion::V2_0_0, "Nexus").unwrap();
    let body = exec_body(
        &verified,
        &sig,
        &MeeVersion::V2_0_0.config(),
        Some(ExecSession { details: &details, mode: UseMode::EnableAndUse }),
    )
    .unwrap();
    // Compared as JSON values, hex case-insensitive: key order is not significant to the node
    // (with serde_json's `preserve_order` the text would differ where our session details list
    // an action's keys in another order than the SDK's object literal).
    let lower =
        |v: &Value| -> Value { serde_json::from_str(&v.to_string().to_lowercase()).unwrap() };
    assert_eq!(lower(&Value::Object(body)), lower(&v["output"]["body"]));

    // the same quote against a USE request (other nonces) is refused
    let mut other = request;
    other.set_nonce_sequence(smart_sessions_mee::quote_request::NonceSlot::UserOp(1), 1).unwrap();
    let err = NodeQuote::new(v["inputs"]["quote"].clone()).unwrap().verify(&other).unwrap_err();
    assert!(
        matches!(err, MeeError::QuoteMismatch { user_op: 2, field: "userOp.nonce", .. }),
        "{err}"
    );
}

#[test]
fn fee_transfer_reads_the_payment_amount() {
    // the recorded quote's paymentInfo says tokenWeiAmount 1234567, recipient the node
    let q = recorded_prepare_quote();
    let verified = NodeQuote::new(q.clone()).unwrap().verify(&prepare_request()).unwrap();
    let (token, to, amount) = verified.fee_transfer().unwrap();
    assert_eq!(token, BASE_USDC);
    assert_eq!(to.to_string().to_lowercase(), q["node"].as_str().unwrap().to_lowercase());
    assert_eq!(amount.to_string(), q["paymentInfo"]["tokenWeiAmount"].as_str().unwrap());
}
