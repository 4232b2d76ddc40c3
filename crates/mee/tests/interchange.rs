//! `SessionDetails` interchange: the grant outputs recorded from the SDK (wire form) read and
//! written back without loss, in the wire form, the abstractjs-`stringify` tagged form, and as
//! JSON text; and the quote request's serialised field order is the SDK's.

use serde_json::Value;
use smart_sessions_mee::{
    SessionDetails,
    session::{BigIntForm, stringify_tagged},
};

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

fn lower_hex(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("0x") => Value::String(s.to_lowercase()),
        Value::Array(a) => Value::Array(a.iter().map(lower_hex).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), lower_hex(v))).collect())
        }
        o => o.clone(),
    }
}

#[test]
fn recorded_grants_round_trip_in_both_forms() {
    let mut grants = vectors("mee.grantPermissionTypedDataSign");
    grants.extend(vectors("mee.grantPermissionPersonalSign"));
    assert_eq!(grants.len(), 4);
    for g in grants {
        let recorded = &g["output"];
        let details = SessionDetails::list_from_json(recorded).unwrap();
        // wire form: equal to what the SDK produced
        assert_eq!(
            lower_hex(&SessionDetails::list_to_json(&details, BigIntForm::Wire)),
            lower_hex(recorded)
        );
        // tagged form: bigints tagged, read back equal
        let tagged = SessionDetails::list_to_json(&details, BigIntForm::Tagged);
        let chain = &tagged[0]["enableSessionData"]["enableSession"]["sessionToEnable"]["chainId"];
        assert_eq!(chain["__type"], "bigint");
        assert_eq!(
            chain["value"],
            recorded[0]["enableSessionData"]["enableSession"]["sessionToEnable"]["chainId"]
        );
        let text = tagged.to_string();
        let back = SessionDetails::list_from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, details);
        // action chain ids stay numbers
        assert!(tagged[0]["enableSessionData"]["enableSession"]["sessionToEnable"]["actions"][0]["chainId"].is_number());
    }
}

#[test]
fn stringify_tags_bigints_like_abstractjs() {
    let v = &vectors("mee.sessionDetails.stringify")[0];
    assert_eq!(Value::String(stringify_tagged(&v["inputs"]["value"])), v["output"]);
}

#[test]
fn malformed_details_name_the_field() {
    let g = &vectors("mee.grantPermissionTypedDataSign")[0]["output"];
    let mut bad = g.clone();
    bad[1]["enableSessionData"]["enableSession"]["sessionToEnable"]["salt"] =
        Value::String("0x12".into());
    let err = SessionDetails::list_from_json(&bad).unwrap_err().to_string();
    assert!(
        err.contains("sessionDetails[1].enableSessionData.enableSession.sessionToEnable.salt"),
        "{err}"
    );
}

#[test]
fn quote_request_text_keeps_the_sdk_field_order() {
    // the recorded MEE 2.0.0 prepare run (quoteRequest vector 0), serialised as text
    let owner: alloy_primitives::Address =
        "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23".parse().unwrap();
    let acct: alloy_primitives::Address =
        "0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7".parse().unwrap();
    let account = smart_sessions_mee::MultichainAccount::new(
        owner,
        smart_sessions_mee::MeeVersion::V2_0_0.config(),
        0,
        [(10, acct), (8453, acct)],
    )
    .unwrap();
    let instructions = smart_sessions_mee::quote_request::prepare_instructions(&account, |_| false);
    let params = smart_sessions_mee::QuoteParams {
        account: &account,
        instructions: &instructions,
        payment: smart_sessions_mee::Payment::FeeToken {
            token: smart_sessions_mee::session::FeeToken {
                address: smart_sessions_mee::quote_request::BASE_USDC,
                chain_id: 8453,
            },
            gas_refund_address: None,
        },
        session: None,
        lower_bound_timestamp: Some(1_767_225_600),
    };
    let req = smart_sessions_mee::build_quote_request(
        &params,
        &smart_sessions_mee::StepClock::new(1_767_225_600_001, 1),
    )
    .unwrap();
    let text = serde_json::to_string(&req).unwrap();
    let order = [
        "\"quoteType\"",
        "\"userOps\"",
        "\"lowerBoundTimestamp\"",
        "\"upperBoundTimestamp\"",
        "\"sender\"",
        "\"callData\"",
        "\"callGasLimit\"",
        "\"nonce\"",
        "\"chainId\"",
        "\"isCleanUpUserOp\"",
        "\"initCode\"",
        "\"shortEncoding\"",
        "\"metadata\"",
        "\"paymentInfo\"",
        "\"meeVersions\"",
    ];
    let mut at = 0;
    for k in order {
        let pos = text[at..].find(k).unwrap_or_else(|| panic!("{k} after byte {at}"));
        at += pos + k.len();
    }
    assert!(text.starts_with(
        "{\"quoteType\":\"simple\",\"userOps\":[{\"lowerBoundTimestamp\":1767225600,"
    ));
}

#[test]
fn session_details_in_a_request_keep_the_sdk_field_order() {
    // the entry of grantPermissionTypedDataSign vector 0 as a usePermission request carries it
    let g = &vectors("mee.grantPermissionTypedDataSign")[0];
    let details = SessionDetails::list_from_json(&g["output"]).unwrap();
    let owner: alloy_primitives::Address =
        "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23".parse().unwrap();
    let acct: alloy_primitives::Address =
        "0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7".parse().unwrap();
    let mut account = smart_sessions_mee::MultichainAccount::new(
        owner,
        smart_sessions_mee::MeeVersion::V2_0_0.config(),
        0,
        [(10, acct), (8453, acct)],
    )
    .unwrap();
    account.set_deployed(10, true).unwrap();
    account.set_deployed(8453, true).unwrap();
    let ins = [smart_sessions_mee::Instruction::new(
        10,
        vec![smart_sessions_mee::session::Call::new(acct, vec![0xd0, 0x9d, 0xe0, 0x8a])],
    )];
    let params = smart_sessions_mee::QuoteParams {
        account: &account,
        instructions: &ins,
        payment: smart_sessions_mee::Payment::FeeToken {
            token: smart_sessions_mee::session::FeeToken {
                address: smart_sessions_mee::quote_request::BASE_USDC,
                chain_id: 8453,
            },
            gas_refund_address: None,
        },
        session: Some(smart_sessions_mee::quote_request::SessionUse {
            details: &details,
            mode: smart_sessions_mee::quote_request::UseMode::EnableAndUse,
            verification_gas_limit: None,
        }),
        lower_bound_timestamp: Some(1),
    };
    let req =
        smart_sessions_mee::build_quote_request(&params, &smart_sessions_mee::StepClock::new(1, 1))
            .unwrap();
    let text = serde_json::to_string(&req).unwrap();
    assert!(
        text.contains("\"sessionDetails\":{\"mode\":\"0x02\",\"permissionId\":\"0x"),
        "{}",
        &text[..400]
    );
    assert!(text.contains("\"enableSessionData\":{\"enableSession\":{\"chainDigestIndex\":1,\"hashesAndChainIds\":[{\"chainId\":\"8453\",\"sessionDigest\":"));
    assert!(text.contains("\"sessionToEnable\":{\"sessionValidator\":\"0x"));
    assert!(text.contains("\"permitERC4337Paymaster\":true,\"sessionValidatorInitData\":"));
    assert!(text.contains(
        "\"validator\":\"0x0000000000000000000000000000000000000000\",\"accountType\":\"nexus\"}"
    ));
}
