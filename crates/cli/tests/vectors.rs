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
/// with `revert` in `expected` is matched by any string starting with `revert` (the text after it
/// is informational).
fn matches(got: &Value, expected: &Value) -> bool {
    match (got, expected) {
        (Value::String(g), Value::String(e)) if e.starts_with("revert") => g.starts_with("revert"),
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
        (Err(_), true) => None,
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
        .filter_map(|(name, req, exp)| check(name, eval_request(req).map_err(|e| e.0), exp))
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
        assert!(e.0.starts_with("unsupported"), "{f}: {e}");
    }
}
