//! The MEE vectors (`crates/mee/tests/vectors/mee.json`, recorded from @biconomy/abstractjs
//! 1.2.3) through the binary's `eval`: every vector is sent; each answered function's outputs
//! are compared with the recorded ones, and the functions no evaluator answers yet are reported.
//!
//! Inputs as `crates/mee/tests/node_vectors.rs` feeds them: `mee.info.response` records only the
//! answer, so the recorded answer goes in as `response` and must come out as accepted; the quote
//! `mee.http.request` vector points at the first `mee.quoteRequest` vector's output for its body
//! and records the body text's prefix.

use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    io::Write,
    process::{Command, Stdio},
};

/// The functions `smart_sessions_mee::node::eval` answers; every one must be answered, and pass.
const NODE_FUNCTIONS: [&str; 5] = [
    "mee.http.request",
    "mee.http.bodyJson",
    "mee.parseErrorMessage",
    "mee.receiptStatus",
    "mee.info.response",
];

fn vectors() -> Vec<Value> {
    let file: Value = serde_json::from_str(include_str!("../../mee/tests/vectors/mee.json"))
        .expect("vector file is JSON");
    assert_eq!(file["profile"], "current", "the MEE stack's SmartSession generation");
    file["vectors"].as_array().expect("vectors array").clone()
}

/// The request line for vector `v` (the inputs completed as described in the module docs).
fn request(v: &Value, all: &[Value]) -> Value {
    let function = v["function"].as_str().expect("function name");
    let mut inputs = v["inputs"].clone();
    match function {
        "mee.info.response" => inputs = json!({ "response": v["output"] }),
        "mee.http.request" if inputs.get("body").is_some_and(|b| b.get("note").is_some()) => {
            inputs["body"] = all
                .iter()
                .find(|q| q["function"] == "mee.quoteRequest")
                .map(|q| q["output"].clone())
                .expect("a mee.quoteRequest vector");
        }
        // the usePermission quote requests name their grant vector ("G1", "G2", "G4") and not the
        // clock reading of their first nonce: filled in as crates/mee/tests/vectors.rs does (the
        // recorded grant's session details, and the documented start of the SDK's clock)
        "mee.quoteRequest" => {
            if let Some(r) = inputs["params"]["sessionDetails"].as_str().map(str::to_owned) {
                let (f, k, start) = match r.get(..2) {
                    Some("G1") => ("mee.grantPermissionTypedDataSign", 0, 5),
                    Some("G2") => ("mee.grantPermissionPersonalSign", 0, 15),
                    Some("G4") => ("mee.grantPermissionPersonalSign", 1, 21),
                    _ => panic!("unknown grant reference {r}"),
                };
                let grant = all.iter().filter(|x| x["function"] == f).nth(k).expect("grant");
                inputs["params"]["sessionDetails"] = grant["output"].clone();
                inputs["nonceClockStartMs"] = json!(1_767_225_600_000u64 + start);
            }
        }
        _ => {}
    }
    json!({ "function": function, "generation": "current", "inputs": inputs })
}

/// Whether `got` is the recorded `expected` (for a `bodyTextPrefix`, the body starts with it).
fn matches(function: &str, inputs: &Value, got: &Value, expected: &Value) -> Result<(), String> {
    if function == "mee.http.request"
        && let Some(prefix) = expected.get("bodyTextPrefix").and_then(Value::as_str)
    {
        let body = got["body"].as_str().unwrap_or_default();
        let same = ["url", "method", "headers"].iter().all(|k| got[k] == expected[k]);
        return if same && body.starts_with(prefix) {
            Ok(())
        } else {
            Err(format!("expected {expected}, got {got}"))
        };
    }
    // hex data compares case-insensitively; addresses exactly (EIP-55), except where the SDK
    // echoes an address the inputs write in lower case
    let mut echoed = std::collections::HashSet::new();
    lowercase_input_addresses(inputs, &mut echoed);
    if norm(got, &echoed) == norm(expected, &echoed) {
        Ok(())
    } else {
        Err(format!("expected {expected}, got {got}"))
    }
}

/// Addresses the vector's inputs write in lower case (the SDK echoes the caller's text there).
fn lowercase_input_addresses(v: &Value, out: &mut std::collections::HashSet<String>) {
    match v {
        Value::String(s) if s.len() == 42 && s.starts_with("0x") && *s == s.to_lowercase() => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|v| lowercase_input_addresses(v, out)),
        Value::Object(o) => o.values().for_each(|v| lowercase_input_addresses(v, out)),
        _ => {}
    }
}

/// Hex data lower-cased; an address kept as written unless the SDK echoed it from the inputs.
fn norm(v: &Value, echoed: &std::collections::HashSet<String>) -> Value {
    match v {
        Value::String(s) if s.starts_with("0x") => {
            let address = s.len() == 42 && !echoed.contains(&s.to_lowercase());
            Value::String(if address { s.clone() } else { s.to_lowercase() })
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| norm(v, echoed)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), norm(v, echoed))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn every_mee_vector_through_the_binary() {
    let all = vectors();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .arg("eval")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn smart-sessions");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = all.iter().map(|v| format!("{}\n", request(v, &all))).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("run smart-sessions eval");
    writer.join().expect("writer").expect("write stdin");
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every answer line is JSON"))
        .collect();
    assert_eq!(lines.len(), all.len());

    // per function: (passed, failed); and the functions no evaluator answers
    let mut answered = BTreeMap::<String, (usize, usize)>::new();
    let mut unanswered = BTreeMap::<String, usize>::new();
    let mut failures = Vec::new();
    for (i, (v, line)) in all.iter().zip(&lines).enumerate() {
        let function = v["function"].as_str().unwrap().to_string();
        let expected = &v["output"];
        let expects_error = expected.as_str().is_some_and(|s| s.starts_with("revert"));
        let outcome = match (line.get("output"), line.get("error").and_then(Value::as_str)) {
            (_, Some(e)) if e.contains("no MEE evaluator answers it") => {
                *unanswered.entry(function).or_default() += 1;
                continue;
            }
            (_, Some(_)) if expects_error => Ok(()),
            (_, Some(e)) => Err(format!("error {e}")),
            (Some(_), None) if expects_error => Err(format!("expected an error, got {line}")),
            (Some(got), None) => matches(&function, &v["inputs"], got, expected),
            (None, None) => Err(format!("bad answer line {line}")),
        };
        let entry = answered.entry(function.clone()).or_default();
        match outcome {
            Ok(()) => entry.0 += 1,
            Err(e) => {
                entry.1 += 1;
                failures.push(format!("#{i} {function}: {e}"));
            }
        }
    }
    println!("answered (passed, failed): {answered:?}");
    println!("not answered yet: {unanswered:?}");
    assert!(unanswered.is_empty(), "every mee. function is answered: {unanswered:?}");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    for f in NODE_FUNCTIONS {
        assert!(answered.get(f).is_some_and(|(pass, _)| *pass > 0), "{f} not answered");
    }
    // the node functions' vector counts, as crates/mee/tests/node_vectors.rs counts them
    let node: Vec<(&str, usize)> = NODE_FUNCTIONS
        .iter()
        .map(|f| (*f, answered[*f].0))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    assert_eq!(
        node,
        [
            ("mee.http.bodyJson", 1),
            ("mee.http.request", 2),
            ("mee.info.response", 1),
            ("mee.parseErrorMessage", 4),
            ("mee.receiptStatus", 10),
        ]
    );
}

/// A `mee.` request's `generation` is not read; a bad input is an error line naming it.
#[test]
fn mee_requests_ignore_the_generation_and_name_bad_inputs() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .arg("eval")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn smart-sessions");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            concat!(
                r#"{"function":"mee.parseErrorMessage","generation":"mee","inputs":{"error":"Error: boom"}}"#,
                "\n",
                r#"{"function":"mee.receiptStatus","inputs":{}}"#,
                "\n",
                r#"{"function":"mee.nope","inputs":{}}"#,
                "\n",
            )
            .as_bytes(),
        )
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], r#"{"output":"boom"}"#);
    assert!(lines[1].contains("mee.receiptStatus: input `explorerUserOps` is missing"), "{out}");
    assert!(lines[2].contains(r#"unknown function \"mee.nope\""#), "{out}");
}
