//! The node client's vector functions (`mee.http.request`, `mee.http.bodyJson`,
//! `mee.parseErrorMessage`, `mee.receiptStatus`, `mee.info.response`) run through
//! `smart_sessions_mee::node::eval` and compared with what abstractjs 1.2.3 produced
//! (tests/vectors/mee.json, recorded from the SDK).

use serde_json::{Value, json};
use smart_sessions_mee::node::{NodeInfo, eval};

const NODE_FUNCTIONS: [&str; 5] = [
    "mee.http.request",
    "mee.http.bodyJson",
    "mee.parseErrorMessage",
    "mee.receiptStatus",
    "mee.info.response",
];

fn vectors() -> Vec<Value> {
    let file: Value =
        serde_json::from_str(include_str!("vectors/mee.json")).expect("vector file is JSON");
    file["vectors"].as_array().expect("vectors array").clone()
}

fn run(function: &str, inputs: &Value) -> Value {
    match eval(function, inputs) {
        Some(Ok(out)) => out,
        Some(Err(e)) => panic!("{function}: {e}"),
        None => panic!("{function}: not answered"),
    }
}

/// The first recorded quote request body (the `mee.http.request` quote vector points at it for
/// its body, recording only the body text's prefix).
fn first_quote_request_body(all: &[Value]) -> Value {
    all.iter()
        .find(|v| v["function"] == "mee.quoteRequest")
        .map(|v| v["output"].clone())
        .expect("a mee.quoteRequest vector")
}

#[test]
fn every_node_vector_matches_the_sdk() {
    let all = vectors();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for v in &all {
        let function = v["function"].as_str().unwrap();
        let Some(&name) = NODE_FUNCTIONS.iter().find(|f| **f == function) else { continue };
        *counts.entry(name).or_default() += 1;
        let expected = &v["output"];
        let case = v["inputs"].get("case").cloned().unwrap_or(Value::Null);
        match function {
            "mee.http.request" => {
                let mut inputs = v["inputs"].clone();
                let by_reference = inputs.get("body").is_some_and(|b| b.get("note").is_some());
                if by_reference {
                    inputs["body"] = first_quote_request_body(&all);
                }
                let got = run(function, &inputs);
                assert_eq!(got["url"], expected["url"], "url of {inputs}");
                assert_eq!(got["method"], expected["method"]);
                assert_eq!(got["headers"], expected["headers"], "headers");
                if let Some(prefix) = expected.get("bodyTextPrefix") {
                    let body = got["body"].as_str().expect("a body");
                    assert!(
                        body.starts_with(prefix.as_str().unwrap()),
                        "body starts {:?}, SDK's starts {prefix}",
                        &body[..body.len().min(160)]
                    );
                } else {
                    assert_eq!(got["body"], expected["body"]);
                }
            }
            // The vector records the answer shape; its inputs hold only a note. The function
            // reads an answer, so the recorded answer goes in and must come out as accepted.
            "mee.info.response" => {
                let got = run(function, &json!({ "response": expected }));
                assert_eq!(&got, expected);
            }
            _ => {
                let got = run(function, &v["inputs"]);
                assert_eq!(&got, expected, "{function} {case}");
            }
        }
    }
    let expected_counts = [
        ("mee.http.bodyJson", 1),
        ("mee.http.request", 2),
        ("mee.info.response", 1),
        ("mee.parseErrorMessage", 4),
        ("mee.receiptStatus", 10),
    ];
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), expected_counts);
}

#[test]
fn info_vector_reads_the_fields_the_sdk_reads() {
    let all = vectors();
    let info = all.iter().find(|v| v["function"] == "mee.info.response").unwrap();
    let info = NodeInfo::from_json(info["output"].clone()).unwrap();
    // The recorded answer lists chains "10" and "8453" and gas tokens on "8453".
    assert_eq!(info.supported_chains(), &[10, 8453]);
    assert_eq!(info.gas_token_chains(), &[8453]);
    assert_eq!(info.unsupported_chains(&[8453, 10, 1]), vec![1]);
    assert!(info.supports_fee_chain(8453) && !info.supports_fee_chain(10));
    assert_eq!(info.version(), Some("2.0.0-local"));
}

#[test]
fn unrelated_functions_are_not_answered() {
    assert!(eval("mee.userOpHash", &json!({})).is_none());
    assert!(matches!(eval("mee.receiptStatus", &json!({})), Some(Err(_))));
    assert!(matches!(
        eval("mee.info.response", &json!({"response": {"supportedChains": 1}})),
        Some(Err(_))
    ));
}
