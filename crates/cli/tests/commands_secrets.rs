//! The offline subcommands' secrets and remote text: URL secrets never shown, details for another
//! SmartSession refused, hostile server text escaped, usage errors as JSON.

mod cli_support;
use cli_support::*;

/// A secret planted in both URLs (userinfo and query) and an API key: it never reaches `--help`,
/// an error (text or JSON) or the `-vv` logs of any network command. The URLs point at a closed
/// port of 127.0.0.1, so every command fails at its first network call.
#[test]
fn url_secrets_never_reach_help_errors_json_or_logs() {
    const MARK: &str = "XYZZY";
    let bundler = "http://alice:PASSWORDXYZZY@127.0.0.1:1/rpc?apikey=APIKEYXYZZY#FRAGXYZZY";
    let rpc = "http://bob:RPCPASSXYZZY@127.0.0.1:1/node?key=RPCKEYXYZZY";
    let paymaster = "http://127.0.0.1:1/pm?apikey=PMKEYXYZZY";
    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("request.json");
    std::fs::write(&request, r#"{"sessionPublicKey":"0x0000000000000000000000000000000000000005","actionPoliciesInfo":[{"contractAddress":"0x0000000000000000000000000000000000000006","functionSelector":"0xa9059cbb","rules":[{"condition":"EQUAL","offsetIndex":0,"isLimited":false,"ref":1}]}]}"#).unwrap();
    let details = dir.path().join("details.json");
    std::fs::write(&details, format!(r#"{{"generation":"legacy","smartSession":"{}","account":"0x0000000000000000000000000000000000000007","permissionId":"0x{}","unsafeEnable":false}}"#, LEGACY_SMART_SESSION, "11".repeat(32))).unwrap();
    let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let exec = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
            .env("SMART_SESSIONS_BUNDLER_URL", bundler)
            .env("SMART_SESSIONS_RPC_URL", rpc)
            .env("SMART_SESSIONS_PAYMASTER_URL", paymaster)
            .env("SMART_SESSIONS_OWNER_KEY", key)
            .env("SMART_SESSIONS_SESSION_KEY", key)
            .env_remove("RUST_LOG")
            .args(args)
            .output()
            .unwrap()
    };
    let all = |o: &Output| format!("{}{}", stdout(o), stderr(o));
    for cmd in ["account", "grant", "use", "status", "revoke", "key", "op lookup", "op wait"] {
        let o = exec(&cmd.split(' ').chain(["--help"]).collect::<Vec<_>>());
        assert!(o.status.success(), "{cmd}: {}", stderr(&o));
        assert!(!all(&o).contains(MARK), "{cmd} --help: {}", all(&o));
        if cmd != "key" {
            assert!(stdout(&o).contains("[env: SMART_SESSIONS_RPC_URL]"), "{cmd}: {}", stdout(&o));
            // the paymaster's URL (an API key, as a rule) is not even named in --help
            assert!(!stdout(&o).contains("PAYMASTER"), "{cmd}: {}", stdout(&o));
        }
    }
    let (req, det) = (request.to_str().unwrap(), details.to_str().unwrap());
    let id = format!("0x{}", "11".repeat(32));
    let owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    let runs: [&[&str]; 7] = [
        &["account", "--owner", owner],
        &["grant", "--request", req],
        &["use", "--details", det, "--call", "0x0000000000000000000000000000000000000006:0:0x"],
        &["status", "--details", det],
        &["revoke", "--permission-id", &id],
        &["op", "lookup", &id],
        &["op", "wait", &id],
    ];
    for args in runs {
        for extra in [&[][..], &["--json"], &["-vv"], &["-vvv", "--json"]] {
            let full = [&["--generation", "legacy"], extra, args].concat();
            let o = exec(&full);
            assert_eq!(o.status.code(), Some(1), "{full:?}: {}", all(&o));
            assert!(!all(&o).contains(MARK), "{full:?}: {}", all(&o));
            // the error stays useful: the host is named
            assert!(all(&o).contains("127.0.0.1:1"), "{full:?}: {}", all(&o));
            if extra.contains(&"-vv") {
                // the transport's span was logged, its URL redacted
                assert!(
                    stderr(&o).contains("http{url=http://<redacted>@127.0.0.1:1/node?<redacted>}"),
                    "{}",
                    stderr(&o)
                );
            }
        }
    }
    // RUST_LOG instead of -v: the same redaction
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env("SMART_SESSIONS_BUNDLER_URL", bundler)
        .env("SMART_SESSIONS_RPC_URL", rpc)
        .env("RUST_LOG", "trace")
        .args(["--generation", "legacy", "account", "--owner", owner])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("http{url=http://<redacted>@127.0.0.1:1/node?<redacted>}"),
        "{}",
        stderr(&o)
    );
    assert!(!all(&o).contains(MARK), "{}", all(&o));
    // a URL that does not parse: the usage error shows it redacted
    let o = exec(&[
        "--generation",
        "legacy",
        "account",
        "--owner",
        owner,
        "--rpc-url",
        "http://carol:PWXYZZY@[::1/?apikey=KEYXYZZY",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(
        !all(&o).contains(MARK) && stderr(&o).contains("--rpc-url http://[::1/"),
        "{}",
        all(&o)
    );
}

/// Issue 13 item 7: details made for another SmartSession than the table's reach the client's
/// refusal (`use`), or the CLI's (`status`), instead of being silently retargeted.
#[test]
fn details_for_another_smart_session_are_refused() {
    let zero = format!("0x{}", "00".repeat(32));
    let (node, _) = fake_rpc(
        vec![
            ("eth_chainId", Ok(serde_json::json!("0x7a69"))),
            ("eth_call", Ok(serde_json::json!(zero))),
        ],
        "unexpected".into(),
    );
    let dir = tempfile::tempdir().unwrap();
    let other = details_file(dir.path(), "0x00000000000000000000000000000000000000aa");
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env("SMART_SESSIONS_SESSION_KEY", SOME_KEY)
        .args(["--generation", "legacy", "use", "--rpc-url", &node, "--bundler-url", &node])
        .args([
            "--details",
            other.to_str().unwrap(),
            "--call",
            "0x0000000000000000000000000000000000000006:0:0x",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("sessionDetails.smartSession"), "{}", stderr(&o));
    assert!(stderr(&o).contains("0x00000000000000000000000000000000000000AA"), "{}", stderr(&o));
    let o = run(&[
        "--generation",
        "legacy",
        "status",
        "--rpc-url",
        &node,
        "--details",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("sessionDetails.smartSession"), "{}", stderr(&o));
}

/// Issue 13 item 15: a bundler's error message with ANSI escapes, NUL and 1 MB of text reaches
/// the terminal escaped and bounded, as text and as JSON. The node stand-in answers what `use`
/// reads before the bundler (chain id, `eth_call` = 1 so the permission reads as enabled, code,
/// gas prices); the bundler stand-in lists the EntryPoint and its gas prices and answers every
/// other method with the hostile message, and the printed error is its answer to `eth_estimateUserOperationGas`.
#[test]
fn hostile_server_text_is_escaped_and_bounded() {
    let hostile = format!("HOSTILE\u{1b}[2J\u{1b}]0;pwned\u{7}\0{}", "B".repeat(1 << 20));
    let one = format!("0x{}01", "00".repeat(31));
    let (node, _) = fake_rpc(
        vec![
            ("eth_chainId", Ok(serde_json::json!("0x7a69"))),
            ("eth_call", Ok(serde_json::json!(one))),
            ("eth_getCode", Ok(serde_json::json!("0x01"))),
            ("eth_gasPrice", Ok(serde_json::json!("0x1"))),
            ("eth_maxPriorityFeePerGas", Ok(serde_json::json!("0x1"))),
        ],
        hostile.clone(),
    );
    // the bundler supports the v0.7 EntryPoint (checked once before the first estimate)
    let entry_point = "0x0000000071727De22E5E9d8BAf0edAc6f37da032";
    let (bundler, asked) = fake_rpc(
        vec![
            ("eth_supportedEntryPoints", Ok(serde_json::json!([entry_point]))),
            (
                "pimlico_getUserOperationGasPrice",
                Ok(serde_json::json!({
                    "slow": {"maxFeePerGas": "0x2", "maxPriorityFeePerGas": "0x1"},
                    "standard": {"maxFeePerGas": "0x2", "maxPriorityFeePerGas": "0x1"},
                    "fast": {"maxFeePerGas": "0x2", "maxPriorityFeePerGas": "0x1"},
                })),
            ),
        ],
        hostile,
    );
    let dir = tempfile::tempdir().unwrap();
    let det = details_file(dir.path(), LEGACY_SMART_SESSION);
    for json in [false, true] {
        let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
            .env("SMART_SESSIONS_SESSION_KEY", SOME_KEY)
            .args(["--generation", "legacy", "use", "--rpc-url", &node, "--bundler-url", &bundler])
            .args(["--details", det.to_str().unwrap(), "--skip-check"])
            .args(["--call", "0x0000000000000000000000000000000000000006:0:0x"])
            .args(if json { &["--json"][..] } else { &[] })
            .output()
            .unwrap();
        let out = [o.stdout.clone(), o.stderr.clone()].concat();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out[..out.len().min(500)])
        );
        let text = if json {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            v["error"].as_str().unwrap().to_string()
        } else {
            String::from_utf8_lossy(&out).to_string()
        };
        // escaped wherever it is printed (the client's RemoteText writes NUL as \u{0}, the CLI's
        // printable as \0): the escapes are visible, the raw bytes never reach the terminal
        assert!(
            text.contains("HOSTILE\\u{1b}[2J\\u{1b}]0;pwned\\u{7}")
                && (text.contains("\\u{0}BBB") || text.contains("\\0BBB")),
            "{text:.400}"
        );
        let raw = out.iter().position(|b| matches!(b, 0x1b | 0 | 7));
        assert_eq!(
            raw,
            None,
            "{:?}",
            raw.map(|i| String::from_utf8_lossy(
                &out[i.saturating_sub(80)..(i + 80).min(out.len())]
            )
            .to_string())
        );
        assert!(out.len() < 8 << 10, "{} bytes: {:.300}", out.len(), text);
        // cut by the client (RemoteText: "… (N more characters)") or by the CLI's printable
        assert!(
            text.contains("more characters") || text.contains("more bytes not shown"),
            "{text:.400}"
        );
        // the message printed is the bundler's answer to the estimate
        assert!(text.contains("eth_estimateUserOperationGas"), "{text:.400}");
    }
    let asked = asked.lock().unwrap();
    assert!(asked.iter().any(|m| m == "eth_supportedEntryPoints"), "{asked:?}");
}

/// Issue 13 item 5: with `--json`, usage errors (exit 2) are JSON too, clap's included.
#[test]
fn usage_errors_are_json_with_json() {
    for args in [
        &["--json", "nope"][..],
        &["--json", "permission-id", "--validator", "0x0"],
        &["--json", "digest-multichain", "nonsense"],
        &["--json", "account", "--set", "nope=0x0000000000000000000000000000000000000001"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let v: serde_json::Value = serde_json::from_str(&stdout(&o))
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}|{}", stdout(&o), stderr(&o)));
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    }
    // help stays help
    let o = run(&["--json", "--help"]);
    assert!(o.status.success() && stdout(&o).contains("Usage"));
}
