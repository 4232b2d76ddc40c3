//! `smart-sessions mee` without a node: the SDK's own session-details file read by `use`, the
//! usage errors as one typed line (text and `--json`), and `--help` of the flow commands showing
//! no env value.

use serde_json::{Value, json};
use std::path::Path;

mod mee_cli_support;
use mee_cli_support::{cli, s};

/// The SDK's own `sessionDetails` (a recorded `grantPermissionTypedDataSign` output of
/// abstractjs 1.2.3, copied from `crates/mee/tests/vectors/mee.json`, in its `stringify` form)
/// pass the details reader of `use` and `status` (the command goes on to the next check, which
/// names the call's chain); usage errors are one typed line, in text and with `--json`.
#[test]
fn sdk_details_are_read_and_usage_errors_are_one_typed_line() {
    let vectors: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../mee/tests/vectors/mee.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let grant = vectors["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["function"] == "mee.grantPermissionTypedDataSign")
        .unwrap();
    // abstractjs `stringify`: the bigint chain ids tagged (the vector holds the wire form)
    let mut details = grant["output"].clone();
    for e in details.as_array_mut().unwrap() {
        let es = &mut e["enableSessionData"]["enableSession"];
        for h in es["hashesAndChainIds"].as_array_mut().unwrap() {
            h["chainId"] = json!({"__type": "bigint", "value": h["chainId"].as_str().unwrap()});
        }
        let c = es["sessionToEnable"]["chainId"].clone();
        let c = c.as_str().map_or_else(|| c.to_string(), str::to_string);
        es["sessionToEnable"]["chainId"] = json!({"__type": "bigint", "value": c});
    }
    let dir = tempfile::tempdir().unwrap();
    let sdk = dir.path().join("sdk.json");
    std::fs::write(&sdk, details.to_string()).unwrap();
    let sdk = sdk.to_str().unwrap();
    let env = [(
        "SMART_SESSIONS_SESSION_KEY",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    )];
    let owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    let closed = "8453=http://127.0.0.1:1";
    let use_args = |details: &str, call: &str| {
        vec![
            "mee",
            "use",
            "--rpc-url",
            closed,
            "--owner",
            owner,
            "--details",
            details,
            "--call",
            call,
            "--sponsored",
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>()
    };
    fn argv(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    // read: its chains are 8453 and 10, so a call on 1 is refused after the file was parsed
    let call = "1:0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0:0:0xd09de08a";
    let o = cli(&env, &argv(&use_args(sdk, call)));
    assert_eq!(o.code, Some(2), "{} {}", o.stdout, o.stderr);
    assert_eq!(o.stderr.trim(), "error: --call: the details have no session on chain 1");

    // a field missing in an SDK file: named by its path
    let mut broken = details.clone();
    broken[1]["enableSessionData"]["enableSession"]["sessionToEnable"]
        .as_object_mut()
        .unwrap()
        .remove("salt");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, broken.to_string()).unwrap();
    let o = cli(&env, &argv(&use_args(bad.to_str().unwrap(), call)));
    assert_eq!(o.code, Some(2), "{} {}", o.stdout, o.stderr);
    assert_eq!(o.stderr.trim().lines().count(), 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("sessionDetails[1].enableSessionData.enableSession.sessionToEnable.salt"),
        "{}",
        o.stderr
    );

    // a missing details file: exit 2, one line naming the flag and the path, text and JSON
    let missing = dir.path().join("nope.json");
    let missing = missing.to_str().unwrap();
    for json in [false, true] {
        let owned = use_args(missing, call);
        let mut a = argv(&owned);
        if json {
            a.insert(0, "--json");
        }
        let o = cli(&env, &a);
        assert_eq!(o.code, Some(2), "{} {}", o.stdout, o.stderr);
        let line =
            if json { s(&o.json(), &["error"]).to_string() } else { o.stderr.trim().to_string() };
        assert!(line.contains(&format!("--details {missing}: cannot open")), "{line}");
        assert_eq!(line.lines().count(), 1);
    }
    let o =
        cli(&[], &["mee", "status", "--rpc-url", closed, "--owner", owner, "--details", missing]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);

    // a bad --fee-token: exit 2, named with what was given
    for json in [false, true] {
        let mut a = vec![
            "mee",
            "prepare",
            "--rpc-url",
            closed,
            "--owner-key-env",
            "SMART_SESSIONS_SESSION_KEY",
            "--fee-token",
            "8453-0xabc",
        ];
        if json {
            a.insert(0, "--json");
        }
        let o = cli(&env, &a);
        assert_eq!(o.code, Some(2), "{} {}", o.stdout, o.stderr);
        let line =
            if json { s(&o.json(), &["error"]).to_string() } else { o.stderr.trim().to_string() };
        assert!(line.ends_with("--fee-token \"8453-0xabc\": expected CHAIN_ID:ADDRESS"), "{line}");
    }
    // an inline key without the unsafe flag is refused, the key not shown
    let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let o = cli(&[], &["mee", "prepare", "--rpc-url", closed, "--owner-key", key, "--sponsored"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("refusing --owner-key") && !o.stderr.contains("59c6995e"),
        "{}",
        o.stderr
    );
}

/// `--help` of every new `mee` command names the environment variables and shows none of their
/// values (a planted API key, node URL and RPC URL secret).
#[test]
fn help_of_the_flow_commands_shows_no_env_value() {
    let env = [
        ("SMART_SESSIONS_MEE_API_KEY", "mee_PLANTEDSECRET_1"),
        ("SMART_SESSIONS_MEE_URL", "http://u:PLANTEDSECRET_2@127.0.0.1:1/v1?k=PLANTEDSECRET_3"),
        ("SMART_SESSIONS_MEE_RPC_URLS", "8453=http://127.0.0.1:1/?key=PLANTEDSECRET_4"),
        (
            "SMART_SESSIONS_OWNER_KEY",
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        ),
    ];
    for cmd in ["prepare", "grant", "use", "status"] {
        let o = cli(&env, &["mee", cmd, "--help"]);
        assert_eq!(o.code, Some(0), "{cmd}: {}", o.stderr);
        let all = format!("{}{}", o.stdout, o.stderr);
        assert!(!all.contains("PLANTEDSECRET") && !all.contains("59c6995e"), "{cmd}: {all}");
        for var in
            ["SMART_SESSIONS_MEE_API_KEY", "SMART_SESSIONS_MEE_URL", "SMART_SESSIONS_MEE_RPC_URLS"]
        {
            // clap wraps long lines: compare with the whitespace folded
            let flat = o.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(&format!("[env: {var}]")), "{cmd}: {}", o.stdout);
        }
    }
}
