//! The offline subcommands' input bounds and field-naming errors: bounded inputs, `eval` surviving
//! bad lines, bad arguments and request files naming the field, the policy tools.

mod cli_support;
use cli_support::*;

/// Issue 13 items 12 and 13: every input is bounded, with errors naming the limit; `eval`
/// answers a line of invalid UTF-8 and goes on; the usage-limit count is bounded (it panicked).
#[test]
fn inputs_are_bounded_and_eval_survives_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    {
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(64 << 20).unwrap(); // 64 MiB of zeros, sparse
    }
    let big = big.to_str().unwrap();
    let o = run(&["policy-encode", big]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("larger than the limit of 4194304 bytes"), "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env("SMART_SESSIONS_OWNER_KEY", SOME_KEY)
        .args(["--generation", "legacy", "grant", "--request", big])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--request") && stderr(&o).contains("limit of 4194304"),
        "{}",
        stderr(&o)
    );
    // eval: a 64 MiB line (answered with an error line, then the end of the file), and
    // /dev/zero (the same error line, then exit 1: no line end within the skip limit)
    for (file, code) in [(big, 0), ("/dev/zero", 1)] {
        let o = run(&["eval", file]);
        assert_eq!(o.status.code(), Some(code), "{file}: {}", stderr(&o));
        assert!(
            stdout(&o).contains("line 1: longer than the limit of 4194304 bytes"),
            "{}",
            stdout(&o)
        );
    }
    // eval DIR names the path
    let o = run(&["eval", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(dir.path().to_str().unwrap()) && stderr(&o).contains("directory"),
        "{}",
        stderr(&o)
    );
    // invalid UTF-8, the count that panicked, and a good line after them
    let mut child = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .arg("eval")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = b"{\"function\":\"sel\xffector\"}\n".to_vec();
    input.extend_from_slice(br#"{"function":"UsageLimitPolicy.checkAction","inputs":{"initData":"0x00000000000000000000000000000002","calls":"18446744073709551615"}}"#);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(br#"{"function":"UsageLimitPolicy.checkAction","inputs":{"initData":"0x00000000000000000000000000000002","calls":100000000}}"#);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(
        br#"{"function":"selector","inputs":{"signature":"transfer(address,uint256)"}}"#,
    );
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].contains("line 1: not UTF-8 (invalid byte at offset 16)"), "{out}");
    assert!(
        lines[1].contains("input `calls`: 18446744073709551615 is more than the 4096 accepted"),
        "{out}"
    );
    assert!(lines[2].contains("input `calls`: 100000000 is more than the 4096 accepted"), "{out}");
    assert_eq!(lines[3], r#"{"output":"0xa9059cbb"}"#);
}

/// Issue 13 item 14: the field or path is named, and nothing is silently dropped.
#[test]
fn bad_arguments_name_their_field() {
    let o = run(&[
        "nonce-key",
        "--validator",
        "0x00000000008bDABA73cD9815d79069c247Eb4bDA",
        "--sequence",
        "-1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'--sequence <SEQUENCE>'"), "{}", stderr(&o));
    let d = "0x30e122fce492fcd2b6b47c6c5d2b8b2169c5f71c54f5c4a9177bcd8c10b27a7d";
    let o = run(&["digest-multichain", &format!("-1:{d}")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("pair \"-1:{d}\": chain id \"-1\"")), "{}", stderr(&o));
    let o = run(&["digest-multichain", &format!("x:{d}")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("pair 1") && stderr(&o).contains("chain id \"x\""),
        "{}",
        stderr(&o)
    );
    let o = run(&["use", "--details", "d.json", "--session", "-1", "--call", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'--session <SESSION>'"), "{}", stderr(&o));
    // init data the policy refuses: an error, not "PolicyNotInitialized" with exit 0
    let o = run(&["policy-check", "--init-data", "0xdeadbeef", "--call", "0:0x"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("--init-data") && stderr(&o).contains("3136 bytes"),
        "{}",
        stderr(&o)
    );
    // keystores: a missing directory is named; an empty password is refused
    let dir = tempfile::tempdir().unwrap();
    let ks = dir.path().join("missing/dir/k.json");
    let key_new = |password: &str| {
        Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
            .env("SMART_SESSIONS_KEYSTORE_PASSWORD", password)
            .args(["key", "new", "--keystore", ks.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let o = key_new("pw");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing/dir") && stderr(&o).contains("does not exist"),
        "{}",
        stderr(&o)
    );
    let ks = dir.path().join("k.json");
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env("SMART_SESSIONS_KEYSTORE_PASSWORD", "")
        .args(["key", "new", "--keystore", ks.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("empty"), "{}", stderr(&o));
    assert!(!ks.exists());
    // grant validates its request before any network call (the node is a closed port)
    let req = dir.path().join("request.json");
    let rules: Vec<String> = (0..17)
        .map(|i| format!(r#"{{"condition":"EQUAL","offsetIndex":{i},"isLimited":false,"ref":1}}"#))
        .collect();
    std::fs::write(&req, format!(r#"{{"sessionPublicKey":"0x0000000000000000000000000000000000000005","actionPoliciesInfo":[{{"contractAddress":"0x0000000000000000000000000000000000000006","functionSelector":"0xa9059cbb","rules":[{}]}}]}}"#, rules.join(","))).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env("SMART_SESSIONS_OWNER_KEY", SOME_KEY)
        .args([
            "--generation",
            "legacy",
            "grant",
            "--rpc-url",
            "http://127.0.0.1:1/",
            "--request",
            req.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // refused while reading the request (the rule count is bounded by the parser), before any
    // network call
    assert!(
        stderr(&o).contains("`actionPoliciesInfo[0].rules`: more than 16 param rules")
            && !stderr(&o).contains("127.0.0.1"),
        "{}",
        stderr(&o)
    );
}

/// `grant --request FILE` with `request` as the file, against a closed port: the stderr.
fn grant_refusal(request: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("request.json");
    std::fs::write(&req, request).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env("SMART_SESSIONS_OWNER_KEY", SOME_KEY)
        .args([
            "--generation",
            "legacy",
            "grant",
            "--rpc-url",
            "http://127.0.0.1:1/",
            "--request",
            req.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{request}: {}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(!e.contains("panicked") && !e.contains("127.0.0.1"), "{e}");
    e
}

/// The request file is read by the policy crate's `json::SessionRequests`: each refusal names
/// the path of the bad value (compared with the texts the policy crate's reader words), before
/// any key or network is used.
#[test]
fn request_errors_name_the_path_of_the_bad_field() {
    let session = |extra: &str, rules: &str| {
        format!(
            r#"{{"sessionPublicKey":"0x0000000000000000000000000000000000000005"{extra},"actionPoliciesInfo":[{{"contractAddress":"0x0000000000000000000000000000000000000006","functionSelector":"0xa9059cbb","rules":{rules}}}]}}"#
        )
    };
    let rule = |offset_index: &str, reference: &str| {
        format!(
            r#"[{{"condition":"EQUAL","offsetIndex":{offset_index},"isLimited":false,"ref":{reference}}}]"#
        )
    };
    // a list: the session's index leads the path
    let e = grant_refusal(&format!("[{}]", session("", r#""nope""#)));
    assert!(e.contains(r#"`[0].actionPoliciesInfo[0].rules`: invalid type: string "nope""#), "{e}");
    // 2^256
    let too_big = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
    let e = grant_refusal(&session("", &rule("0", &format!("\"{too_big}\""))));
    assert!(
        e.contains(&format!(
            "`actionPoliciesInfo[0].rules[0].ref`: \"{too_big}\" does not fit 256 bits"
        )),
        "{e}"
    );
    // an Arabic-Indic one: a digit, but not an ASCII one
    let e = grant_refusal(&session("", &rule("\"\u{0661}\"", "1")));
    assert!(
        e.contains(
            "`actionPoliciesInfo[0].rules[0].offsetIndex`: \"\u{661}\" is not a decimal or 0x-hex integer (ASCII digits only)"
        ),
        "{e}"
    );
    let e = grant_refusal(&session(r#","sessionValidUntil":-5"#, &rule("1", "1")));
    assert!(e.contains("`sessionValidUntil`: -5 is negative"), "{e}");
    // (0, 0): TimeFramePolicy would revert every use; refused naming both fields
    let e =
        grant_refusal(&session(r#","sessionValidUntil":0,"sessionValidAfter":0"#, &rule("1", "1")));
    assert!(e.contains("session 0: sessionValidUntil and sessionValidAfter are both 0"), "{e}");
    // and an action's own window, naming the action
    let action = r#"{"sessionPublicKey":"0x0000000000000000000000000000000000000005","actionPoliciesInfo":[{"contractAddress":"0x0000000000000000000000000000000000000006","functionSelector":"0xa9059cbb","sudo":true,"validUntil":0,"validAfter":0}]}"#;
    let e = grant_refusal(action);
    assert!(e.contains("session 0, action 0: validUntil and validAfter are both 0"), "{e}");
}

/// `policy-encode` reads with `json::ActionConfigJson` (errors name the path), and
/// `policy-check` words a refusal with the function's parameter types: for `transfer`, the
/// recipient and the reference print as checksummed addresses (EIP-55 forms of the two
/// addresses written here, not taken from the code under test).
#[test]
fn policy_tools_name_fields_and_print_addresses_checksummed() {
    let encode = |config: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
            .args(["--json", "policy-encode", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(config.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let o = encode(
        r#"{"valueLimitPerUse":0,"rules":[{"condition":"EQUAL","offsetIndex":0,"ref":"0x1","usage":{"limit":"x"}}]}"#,
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let e = v["error"].as_str().unwrap();
    assert!(e.starts_with("policy JSON: `rules[0].usage.limit`: \"x\" is not a decimal"), "{e}");
    // rule 0: the recipient (word 0 of transfer) equals vitalik.eth's address
    let o = encode(
        r#"{"valueLimitPerUse":0,"rules":[{"condition":"EQUAL","offsetIndex":0,"ref":"0xd8da6bf26964af9d7eed9e03e53415d37aa96045"}]}"#,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let init = v["output"]["initData"].as_str().unwrap().to_string();
    let dead = format!("{}{}", "00".repeat(12), "000000000000000000000000000000000000dead");
    let o = run(&[
        "--json",
        "policy-check",
        "--init-data",
        &init,
        "--call",
        &format!("0:0xa9059cbb{dead}{}", "00".repeat(32)),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["output"][0]["result"], "1");
    let reason = v["output"][0]["reason"].as_str().unwrap();
    assert!(
        reason.ends_with(
            "parameter 0x000000000000000000000000000000000000dEaD vs reference 0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"
        ),
        "{reason}"
    );
    // an unknown selector: the same rule, words printed as numbers
    let o = run(&[
        "--json",
        "policy-check",
        "--init-data",
        &init,
        "--call",
        &format!("0:0x12345678{dead}"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["output"][0]["reason"].as_str().unwrap().contains("parameter 57005 vs"), "{v}");
    // a bad call is a usage error naming it
    let o = run(&["policy-check", "--init-data", &init, "--call", "0:0xzz"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--call \"0:0xzz\": calldata"), "{}", stderr(&o));
}
