//! The typed errors of `eval` and the offline tools (issue 14): each test builds a real failure
//! through the public entry points (`eval_request`, `eval_stream`, `tools::run`), checks the
//! variant names the field, flag or function, walks `source()` to the underlying error type
//! (`serde_json`, hex, integer parsing, io, codec, FastLZ, policy, MEE) and compares the one-line
//! message with the line the CLI printed before the errors were typed (recorded from the
//! previous binary; the two deliberate changes are named where they are tested).

use serde_json::{Value, json};
use smart_sessions_cli::{
    eval::{EVAL_MAX_LINE, EvalError, eval_request, eval_stream},
    tools::{Direction, Failure, ToolCommand, ToolError, UsageError, run},
};
use smart_sessions_codec::Generation;
use std::{
    error::Error,
    io::{self, BufReader, Read},
    path::PathBuf,
};

const V: &str = "0x1111111111111111111111111111111111111111";

fn eval(function: &str, inputs: Value) -> EvalError {
    eval_request(&json!({ "function": function, "inputs": inputs })).unwrap_err()
}

/// The error's `source()` chain, outermost first (the error itself excluded).
fn chain<'a>(e: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    let mut out = Vec::new();
    let mut s = e.source();
    while let Some(c) = s {
        out.push(c);
        s = c.source();
    }
    out
}

#[test]
fn a_bad_hex_input_names_the_field_and_keeps_the_hex_error() {
    let e = eval(
        "nexus.nonceKey",
        json!({ "validator": V, "batchKey": 0, "validationMode": "0xzz", "sequence": 0 }),
    );
    assert!(matches!(&e, EvalError::Hex { field, .. } if field == "validationMode"), "{e:?}");
    assert_eq!(e.to_string(), "input `validationMode`: invalid character 'z' at position 0");
    let src = e.source().expect("a source");
    assert_eq!(
        src.downcast_ref::<alloy_primitives::hex::FromHexError>(),
        Some(&alloy_primitives::hex::FromHexError::InvalidHexCharacter { c: 'z', index: 0 })
    );
}

#[test]
fn a_mistyped_input_keeps_the_serde_error_and_a_session_is_named_by_index() {
    let e = eval("selector", json!({ "signature": 5 }));
    assert!(matches!(&e, EvalError::BadInput { field, .. } if field == "signature"), "{e:?}");
    assert_eq!(e.to_string(), "input `signature`: invalid type: integer `5`, expected a string");
    assert!(e.source().unwrap().is::<serde_json::Error>());

    let e = eval("getSmartSessionsValidator.initData", json!({ "sessions": [{ "nope": 1 }] }));
    assert!(matches!(&e, EvalError::BadInput { field, .. } if field == "sessions[0]"), "{e:?}");
    assert_eq!(e.to_string(), "input `sessions[0]`: missing field `sessionValidator`");

    let e = eval("selector", json!({}));
    assert!(matches!(&e, EvalError::MissingInput { field } if field == "signature"), "{e:?}");
    assert!(e.source().is_none());
}

#[test]
fn integer_inputs_name_the_rule_they_break() {
    let e = eval("getValueLimitPolicy", json!({ "limit": "abc" }));
    assert!(
        matches!(&e, EvalError::NotUnsigned { field, given, .. } if field == "limit" && given == "abc")
    );
    assert_eq!(e.to_string(), r#"input `limit`: "abc" is not an unsigned integer"#);
    assert!(e.source().unwrap().is::<alloy_primitives::ruint::ParseError>());

    let e = eval("getValueLimitPolicy", json!({ "limit": -1 }));
    assert!(matches!(&e, EvalError::NotNonNegative { field, .. } if field == "limit"), "{e:?}");
    assert_eq!(e.to_string(), "input `limit`: -1 is not a non-negative integer");

    let e = eval("getUsageLimitPolicy", json!({ "limit": "0x1000000000000000000000000000000000" }));
    assert!(matches!(&e, EvalError::TooWide { bits: 128, .. }), "{e:?}");
    // 2^132, written out here
    assert_eq!(
        e.to_string(),
        "input `limit`: 5444517870735015415413993718908291383296 does not fit 128 bits"
    );

    let e = eval(
        "UsageLimitPolicy.checkAction",
        json!({ "initData": "0x00000000000000000000000000000001", "calls": "100000000" }),
    );
    assert!(matches!(&e, EvalError::TooMany { field: "calls", max: 4096, .. }), "{e:?}");
    assert_eq!(e.to_string(), "input `calls`: 100000000 is more than the 4096 accepted");
}

#[test]
fn request_fields_and_lines_are_named() {
    let e = eval_request(&json!({ "function": "selector", "generation": "v9" })).unwrap_err();
    assert!(matches!(e, EvalError::Generation { .. }), "{e:?}");
    assert!(e.source().unwrap().is::<smart_sessions_codec::UnknownGeneration>());
    assert_eq!(
        e.to_string(),
        "request field `generation`: unknown SmartSession generation: expected legacy, v1 or current"
    );
    let e = eval_request(&json!({ "inputs": {} })).unwrap_err();
    assert!(matches!(e, EvalError::RequestField { field: "function", .. }), "{e:?}");
    assert_eq!(e.to_string(), "request field `function` is missing or not a string");
    // a malformed line: the answer line carries the parser's words
    let answer: Value =
        serde_json::from_str(&smart_sessions_cli::eval::eval_line("not json")).unwrap();
    assert_eq!(answer["error"], "malformed request line: expected ident at line 1 column 2");
}

#[test]
fn codec_flz_and_policy_failures_are_their_errors_as_source() {
    let e = eval("decodeSmartSessionSignature", json!({ "signature": "0x07" }));
    assert!(matches!(e, EvalError::Codec(_)), "{e:?}");
    assert_eq!(
        e.source().unwrap().downcast_ref::<smart_sessions_codec::Error>(),
        Some(&smart_sessions_codec::Error::InvalidMode { value: 7 })
    );

    let e = eval("LibZip.flzDecompress", json!({ "data": "0xff" }));
    let flz = e.source().unwrap().downcast_ref::<smart_sessions_codec::flz::FlzError>().unwrap();
    assert_eq!(flz.offset, 0);
    assert_eq!(e.to_string(), "malformed stream: match at offset 0 needs 3 bytes, 1 left");

    let e = eval("ValueLimitPolicy.checkAction", json!({ "initData": "0x00" }));
    assert!(matches!(e, EvalError::InitReverts(_)), "{e:?}");
    assert!(e.source().unwrap().is::<smart_sessions_policy::PolicyError>());
    assert_eq!(
        e.to_string(),
        "revert: ValueLimitPolicy refuses its init data: needs 32 bytes (uint256 limit)"
    );
}

/// Deliberate change: keys inside `enableSessionData` are named as paths (the old line was
/// "enableSessionData: input `validator`: invalid string length").
#[test]
fn keys_inside_enable_session_data_are_named_as_paths() {
    let e = eval(
        "encodeSmartSessionSignature",
        json!({ "mode": "0x01", "signature": "0x", "enableSessionData": { "validator": "0x12" } }),
    );
    assert!(
        matches!(&e, EvalError::BadInput { field, .. } if field == "enableSessionData.validator"),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "input `enableSessionData.validator`: invalid string length");
}

/// Deliberate change: an MEE error's words are printed once (the old line repeated its cause:
/// "revert: invalid field `inputs.userOpHash`: missing: invalid field `inputs.userOpHash`:
/// missing").
#[test]
fn mee_errors_keep_the_mee_error_and_print_it_once() {
    let e = eval("mee.meeUserOpHash", json!({}));
    assert!(matches!(&e, EvalError::Mee { function, .. } if function == "mee.meeUserOpHash"));
    assert!(e.source().unwrap().is::<smart_sessions_mee::EvalError>());
    assert_eq!(e.to_string(), "revert: invalid field `inputs.userOpHash`: missing");
    let e = eval("mee.nope", json!({}));
    assert!(matches!(e, EvalError::UnknownMeeFunction { .. }), "{e:?}");
    let e = eval("validateUserOp.replayEnable", json!({}));
    assert!(matches!(e, EvalError::ContractBehaviourFact { .. }), "{e:?}");
    let e = eval("nope", json!({}));
    assert!(matches!(&e, EvalError::UnknownFunction { function } if function == "nope"));
}

/// An over-long line with no end: `eval_stream` stops with an `io::Error` whose inner error is
/// [`EvalError::NoLineEnd`] naming the line.
#[test]
fn a_line_without_end_stops_the_stream_with_a_typed_error() {
    let endless = BufReader::new(io::repeat(b' ').take(200 << 20));
    let mut out = Vec::new();
    let e = eval_stream(endless, &mut out).unwrap_err();
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<EvalError>());
    assert!(matches!(inner, Some(EvalError::NoLineEnd { line: 1, .. })), "{e:?}");
    let first: Value = serde_json::from_slice(out.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(
        first["error"],
        format!("line 1: longer than the limit of {EVAL_MAX_LINE} bytes").as_str()
    );
}

#[test]
fn a_missing_file_is_an_operation_failure_down_to_the_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.json");
    let f =
        run(&ToolCommand::PolicyEncode { file: path.clone() }, Generation::Current).unwrap_err();
    assert!(matches!(f, Failure::Operation(ToolError::Read(_))), "{f:?}");
    assert_eq!(f.exit_code(), 1);
    assert_eq!(
        f.to_string(),
        format!(
            "policy-encode FILE {}: cannot open: No such file or directory (os error 2)",
            path.display()
        )
    );
    let causes = chain(&f);
    assert!(causes[0].is::<smart_sessions_cli::input::InputError>(), "{causes:?}");
    let io = causes.last().unwrap().downcast_ref::<io::Error>().expect("ends at the io::Error");
    assert_eq!(io.kind(), io::ErrorKind::NotFound);
}

#[test]
fn a_file_that_is_not_json_names_flag_and_path_and_keeps_the_parser_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enable.json");
    std::fs::write(&path, "not json").unwrap();
    let f = run(
        &ToolCommand::SignatureEncode {
            mode: "0x01".into(),
            permission_id: None,
            enable: Some(path.clone()),
            signature: "0x".into(),
        },
        Generation::Current,
    )
    .unwrap_err();
    assert!(
        matches!(&f, Failure::Operation(ToolError::Json { flag: "--enable", path: p, .. }) if *p == path),
        "{f:?}"
    );
    assert_eq!(
        f.to_string(),
        format!("--enable {}: expected ident at line 1 column 2", path.display())
    );
    assert!(chain(&f)[0].is::<serde_json::Error>());

    // a policy config that is JSON but not a config: the field path and serde's error
    std::fs::write(&path, r#"{"valueLimitPerUse":"x"}"#).unwrap();
    let f = run(&ToolCommand::PolicyEncode { file: path }, Generation::Current).unwrap_err();
    assert!(matches!(f, Failure::Operation(ToolError::PolicyConfig(_))), "{f:?}");
    assert!(chain(&f)[0].is::<serde_json::Error>());
    assert!(f.to_string().starts_with("policy JSON: `valueLimitPerUse`: \"x\""), "{f}");
}

#[test]
fn an_evaluator_refusal_is_an_operation_failure_with_the_eval_error_inside() {
    let f = run(
        &ToolCommand::ActionId { target: "0x12".into(), selector: "0xa9059cbb".into() },
        Generation::Current,
    )
    .unwrap_err();
    assert!(
        matches!(&f, Failure::Operation(ToolError::Eval(EvalError::BadInput { field, .. })) if field == "target")
    );
    assert_eq!(f.exit_code(), 1);
    assert_eq!(f.to_string(), "input `target`: invalid string length");
    let causes = chain(&f);
    assert!(causes[0].is::<EvalError>() && causes[1].is::<serde_json::Error>(), "{causes:?}");

    let f = run(
        &ToolCommand::Flz { direction: Direction::Decompress, data: "0x0261".into() },
        Generation::Current,
    )
    .unwrap_err();
    assert!(chain(&f)[1].is::<smart_sessions_codec::flz::FlzError>(), "{f:?}");
}

#[test]
fn init_data_the_policy_refuses_is_an_operation_failure_with_the_policy_error() {
    let f = run(
        &ToolCommand::PolicyCheck { init_data: "0xdeadbeef".into(), calls: vec!["0:0x".into()] },
        Generation::Current,
    )
    .unwrap_err();
    assert!(matches!(f, Failure::Operation(ToolError::InitReverts(_))), "{f:?}");
    assert!(chain(&f)[0].is::<smart_sessions_policy::PolicyError>());
    assert_eq!(
        f.to_string(),
        "--init-data: the policy's initialisation reverts: UniActionPolicy refuses its init data: \
         ActionConfig: needs 3136 bytes, got 4"
    );
}

#[test]
fn bad_arguments_are_usage_failures_naming_the_flag_with_the_parser_error() {
    let check = |init: &str, call: &str| {
        run(
            &ToolCommand::PolicyCheck { init_data: init.into(), calls: vec![call.into()] },
            Generation::Current,
        )
        .unwrap_err()
    };
    let f = check("0xzz", "0:0x");
    assert!(matches!(&f, Failure::Usage(UsageError::InitData { given, .. }) if given == "0xzz"));
    assert_eq!(f.exit_code(), 2);
    assert_eq!(f.to_string(), r#"--init-data "0xzz": invalid character 'z' at position 0"#);
    assert!(chain(&f)[0].is::<alloy_primitives::hex::FromHexError>());

    // valid init data (an empty universal action config), so the calls are read
    let init = format!("0x{}", "00".repeat(3136));
    let f = check(&init, "0:0xzz");
    assert!(matches!(f, Failure::Usage(UsageError::CallData { .. })), "{f:?}");
    assert!(f.to_string().starts_with(r#"--call "0:0xzz": calldata: "#), "{f}");
    assert!(chain(&f)[0].is::<alloy_primitives::hex::FromHexError>());
    let f = check(&init, "x:0x");
    assert!(matches!(&f, Failure::Usage(UsageError::CallValue { value, .. }) if value == "x"));
    assert!(chain(&f)[0].is::<alloy_primitives::ruint::ParseError>());
    let f = check(&init, "nocolon");
    assert!(matches!(f, Failure::Usage(UsageError::Split { what: "--call", parts: 2, .. })));
    assert_eq!(f.to_string(), r#"--call "nocolon": expected 2 parts separated by ':'"#);
    assert!(f.source().is_none());

    let d = "0x30e122fce492fcd2b6b47c6c5d2b8b2169c5f71c54f5c4a9177bcd8c10b27a7d";
    let f =
        run(&ToolCommand::DigestMultichain { pairs: vec![format!("x:{d}")] }, Generation::Current)
            .unwrap_err();
    assert!(
        matches!(&f, Failure::Usage(UsageError::ChainId { index: 1, chain_id, .. }) if chain_id == "x")
    );
    assert!(chain(&f)[0].is::<std::num::ParseIntError>());
    assert_eq!(
        f.to_string(),
        format!(
            "pair 1 \"x:{d}\": chain id \"x\" is not an unsigned 64-bit integer: invalid digit found in string"
        )
    );
}

/// The binary prints the same one line and exit code as the library's `Failure`.
#[test]
fn the_binary_prints_the_failure_line_with_its_exit_code() {
    let path = PathBuf::from("/nonexistent/session.json");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .args(["--json", "digest-session", "--session"])
        .arg(&path)
        .args(["--account", V, "--mode", "0x01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["error"],
        "--session /nonexistent/session.json: cannot open: No such file or directory (os error 2)"
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .args(["digest-multichain", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        "error: pair \"nonsense\": expected 2 parts separated by ':'\n"
    );
}
