//! Conformance: every vector of the shared vector files, through `eval` (library and binary).
//!
//! The vector files were computed by the TypeScript reference and checked on the deployed
//! bytecode; they live in `crates/codec/tests/vectors/`.

use serde_json::{Value, json};
use smart_sessions_cli::eval::{CONTRACT_BEHAVIOUR_FACTS, eval_request};
use std::{
    io::Write,
    process::{Command, Stdio},
};

const FILES: [(&str, &str); 2] = [
    ("current", include_str!("../../codec/tests/vectors/current.json")),
    ("legacy", include_str!("../../codec/tests/vectors/legacy.json")),
];

fn normalise(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("0x") => Value::String(s.to_ascii_lowercase()),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalise(v))).collect())
        }
        other => other.clone(),
    }
}

fn is_revert(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("revert"))
}

/// Why the deployed code failed, as a vector records it after `revert`.
#[derive(Debug, PartialEq)]
enum Reason {
    /// `revert: empty revert data`: the contract reverted without an error.
    Empty,
    /// `revert: Panic 0x4e487b71<code>`: a Solidity panic with that code.
    Panic(u8),
    /// `revert: <ErrorName> 0x<data>`: a custom error.
    Named(String),
    /// `revert: malformed stream: <text>`: the reference decompressor's refusal; the numbers in
    /// the text (offsets, lengths) are the facts.
    Malformed(Vec<u64>),
    /// Anything else (no reason given): any error matches.
    Unspecified,
}

fn numbers(text: &str) -> Vec<u64> {
    let mut out: Vec<u64> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .filter_map(|w| w.parse().ok())
        .collect();
    out.sort_unstable();
    out
}

fn reason(expected: &str) -> Reason {
    let text = expected.strip_prefix("revert").unwrap_or(expected).trim_start_matches(':').trim();
    if text == "empty revert data" {
        return Reason::Empty;
    }
    if let Some(m) = text.strip_prefix("malformed stream:") {
        return Reason::Malformed(numbers(m));
    }
    let mut words = text.split_whitespace();
    match (words.next(), words.next()) {
        (Some("Panic"), Some(data)) => {
            let code = data
                .get(data.len().saturating_sub(2)..)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            code.map_or(Reason::Unspecified, Reason::Panic)
        }
        (Some(name), _) if name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) => {
            Reason::Named(name.to_string())
        }
        _ => Reason::Unspecified,
    }
}

/// Custom error names a vector gives as a reason: an answer for `empty revert data` must name
/// none of them (it would be claiming a reason the contract did not give).
const ERROR_NAMES: &[&str] =
    &["ValueLimitExceeded", "PolicyNotInitialized", "HashMismatch", "ChainIdMismatch", "Panic"];

/// Whether the answer's error text `got` gives the reason of the expected `revert…` string.
///
/// - a custom error: `got` names it;
/// - a panic: `got` names `Panic(0x<code>)`, or, for 0x32 (array index out of bounds: the
///   policy's fixed `ParamRule[16]` array), says that too many param rules were given, which is
///   the evaluator's reason for the same failure;
/// - `empty revert data`: `got` names no custom error or panic;
/// - `malformed stream: …`: `got` is a malformed-stream error with the same numbers (offset,
///   bytes needed, bytes left / back-reference distance, bytes decoded);
/// - no reason given: any error.
fn reason_matches(got: &str, expected: &str) -> bool {
    match reason(expected) {
        Reason::Empty => !ERROR_NAMES.iter().any(|n| got.contains(n)),
        Reason::Panic(code) => {
            got.contains(&format!("Panic(0x{code:02x})"))
                || (code == 0x32 && got.contains("too many param rules"))
        }
        Reason::Named(name) => got.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == name),
        Reason::Malformed(n) => {
            got.split_once("malformed stream:").is_some_and(|(_, rest)| numbers(rest) == n)
        }
        Reason::Unspecified => true,
    }
}

/// The requests and expected answers of every vector that `eval` must reproduce.
fn cases() -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    for (profile, text) in FILES {
        let file: Value = serde_json::from_str(text).expect("vector file parses");
        assert_eq!(file["profile"], profile);
        for (i, v) in file["vectors"].as_array().expect("vectors").iter().enumerate() {
            let function = v["function"].as_str().expect("function name");
            if CONTRACT_BEHAVIOUR_FACTS.contains(&function) {
                continue;
            }
            let request =
                json!({ "function": function, "generation": profile, "inputs": v["inputs"] });
            out.push((format!("{profile}#{i} {function}"), request, v["output"].clone()));
        }
    }
    out
}

/// Whether `got` answers `expected`: equal after normalising hex case, where a string starting
/// with `revert` in `expected` is matched by a string starting with `revert` that gives the same
/// reason ([`reason_matches`]).
fn matches(got: &Value, expected: &Value) -> bool {
    match (got, expected) {
        (Value::String(g), Value::String(e)) if e.starts_with("revert") => {
            g.starts_with("revert") && reason_matches(g, e)
        }
        (Value::Array(g), Value::Array(e)) => {
            g.len() == e.len() && g.iter().zip(e).all(|(g, e)| matches(g, e))
        }
        (Value::Object(g), Value::Object(e)) => {
            g.len() == e.len() && e.iter().all(|(k, ev)| g.get(k).is_some_and(|gv| matches(gv, ev)))
        }
        _ => normalise(got) == normalise(expected),
    }
}

fn check(name: &str, answer: Result<Value, String>, expected: &Value) -> Option<String> {
    match (answer, is_revert(expected)) {
        (Err(e), true) if reason_matches(&e, expected.as_str().unwrap_or_default()) => None,
        (Err(e), true) => {
            Some(format!("{name}: expected {expected}, got an error for another reason: {e}"))
        }
        (Ok(out), true) => Some(format!("{name}: expected an error, got {out}")),
        (Err(e), false) => Some(format!("{name}: expected {expected}, got error {e}")),
        (Ok(out), false) if matches(&out, expected) => None,
        (Ok(out), false) => Some(format!("{name}:\n  expected {expected}\n  got      {out}")),
    }
}

#[test]
fn every_vector_passes_through_eval() {
    let cases = cases();
    assert!(cases.len() > 300, "only {} vectors found", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, req, exp)| {
            check(name, eval_request(req).map_err(|e| e.to_string()), exp)
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    println!("{} vectors passed", cases.len());
}

#[test]
fn every_vector_passes_through_the_binary() {
    let cases = cases();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .arg("eval")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn smart-sessions");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = cases.iter().map(|(_, req, _)| format!("{req}\n")).collect();
    // a malformed line in the middle must give an error line and not stop processing
    let input = format!("not json\n{input}");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("run smart-sessions eval");
    writer.join().expect("writer").expect("write stdin");
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every answer line is JSON"))
        .collect();
    assert_eq!(lines.len(), cases.len() + 1);
    assert!(lines[0]["error"].as_str().is_some_and(|e| e.contains("malformed")));
    let failures: Vec<String> = cases
        .iter()
        .zip(&lines[1..])
        .filter_map(|((name, _, exp), line)| {
            let answer = match (line.get("output"), line.get("error")) {
                (Some(o), None) => Ok(o.clone()),
                (None, Some(e)) => Err(e.to_string()),
                _ => Err(format!("bad answer line {line}")),
            };
            check(name, answer, exp)
        })
        .collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn contract_behaviour_facts_are_answered_as_unsupported() {
    for f in CONTRACT_BEHAVIOUR_FACTS {
        let e = eval_request(&json!({"function": f, "generation": "legacy", "inputs": {}}))
            .unwrap_err();
        assert!(e.to_string().starts_with("unsupported"), "{f}: {e}");
    }
}

#[test]
fn reasons_are_read_from_the_vectors_revert_strings() {
    assert_eq!(reason("revert: empty revert data"), Reason::Empty);
    assert_eq!(
        reason(
            "revert: Panic 0x4e487b710000000000000000000000000000000000000000000000000000000000000011"
        ),
        Reason::Panic(0x11)
    );
    assert_eq!(
        reason("revert: ValueLimitExceeded 0x8a8a722d00"),
        Reason::Named("ValueLimitExceeded".into())
    );
    assert_eq!(
        reason(
            "revert: malformed stream: match at offset 11 refers 300 byte(s) back but only 10 byte(s) are decoded"
        ),
        Reason::Malformed(vec![10, 11, 300])
    );
    assert_eq!(reason("revert"), Reason::Unspecified);
}

#[test]
fn an_error_for_another_reason_does_not_match() {
    let limit = "revert: ValueLimitExceeded 0x8a8a722d00";
    assert!(reason_matches(
        "revert: UniActionPolicy: reverts with ValueLimitExceeded: value 6 > 5",
        limit
    ));
    assert!(!reason_matches("revert: PolicyNotInitialized", limit));
    assert!(
        !reason_matches("revert: ValueLimitExceededX", limit),
        "a longer name is another error"
    );
    let empty = "revert: empty revert data";
    assert!(reason_matches("revert: rule 0 reads calldata up to byte 100, the call has 68", empty));
    assert!(!reason_matches("revert: PolicyNotInitialized", empty));
    let overflow =
        "revert: Panic 0x4e487b710000000000000000000000000000000000000000000000000000000000000011";
    assert!(reason_matches("revert: reverts with Panic(0x11): overflow", overflow));
    assert!(!reason_matches("revert: reverts with Panic(0x12)", overflow));
    assert!(
        !reason_matches("revert: too many param rules", overflow),
        "only 0x32 is the array bound"
    );
    let stream = "revert: malformed stream: literal run of 8 byte(s) at offset 0 exceeds the input (2 byte(s) left)";
    assert!(reason_matches(
        "malformed stream: literal run at offset 0 needs 8 bytes, 2 left",
        stream
    ));
    assert!(!reason_matches(
        "malformed stream: literal run at offset 1 needs 8 bytes, 2 left",
        stream
    ));
    assert!(!reason_matches("invalid hex", stream));
    // structured outputs: a per-call result for another reason fails the whole answer
    let exp = json!([{"result": limit, "usedAfter": []}]);
    assert!(!matches(&json!([{"result": "revert: PolicyNotInitialized", "usedAfter": []}]), &exp));
    assert!(check("t", Err("revert: PolicyNotInitialized".into()), &json!(limit)).is_some());
}
