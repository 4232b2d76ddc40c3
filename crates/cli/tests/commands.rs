//! The offline subcommands: results, `--json`, exit codes, one-line errors naming the bad field.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .args(args)
        .output()
        .expect("run smart-sessions")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

#[test]
fn ids_match_the_vectors() {
    let o = run(&[
        "permission-id",
        "--validator",
        "0x000000000013fdB5234E4E3162a810F54d9f7E98",
        "--salt",
        "0x0000000000000000000000000000000000000000000000000000000000000005",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "0x290853ef2cdef0d1c48132c9c53c9eca2ddf5be43e098bc9370a8d79194f5f3a");
    let o = run(&[
        "--json",
        "action-id",
        "--target",
        "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        "--selector",
        "0xa9059cbb",
    ]);
    assert_eq!(
        stdout(&o),
        r#"{"output":"0x38a2cbb2f4560842ac355576e0058206cadd34fbb1bf93f3e2c7524d522d28a6"}"#
    );
    let o = run(&[
        "digest-multichain",
        "1:0x30e122fce492fcd2b6b47c6c5d2b8b2169c5f71c54f5c4a9177bcd8c10b27a7d",
    ]);
    assert_eq!(stdout(&o), "0x56b395cdff6467f1481439484d8a5ad5bd5acca5b3ac481e37a1d603cf0208ab");
    let o = run(&["nonce-key", "--validator", "0x00000000008bDABA73cD9815d79069c247Eb4bDA"]);
    assert!(
        stdout(&o).contains("keyDecimal: 726165600907488882780686905806375898"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn signatures_flz_and_execute_round_trip() {
    let id = "0x74d35e39156f2c95b4e5f03095b32a9aa38cf9a82e96e81819b64fc4ec807524";
    let o = run(&[
        "--generation",
        "legacy",
        "signature-use",
        "--permission-id",
        id,
        "--signature",
        "0x",
    ]);
    let sig = stdout(&o);
    assert_eq!(
        sig,
        "0x0074d35e39156f2c95b4e5f03095b32a9aa38cf9a82e96e81819b64fc4ec807524010000e014010020e0121d040000000000"
    );
    let o = run(&["--generation", "legacy", "--json", "signature-decode", &sig]);
    assert!(stdout(&o).contains(id), "{}", stdout(&o));
    let o = run(&["flz", "decompress", "0x02616263"]);
    assert_eq!(stdout(&o), "0x616263");
    let o = run(&[
        "execute-calldata",
        "--call",
        "0x1111111111111111111111111111111111111111:5:0x12345678",
    ]);
    assert!(stdout(&o).starts_with("0xe9ae5c53"), "{}", stdout(&o));
}

#[test]
fn policies_encode_and_check() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .args(["policy-encode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"valueLimitPerUse":"0","rules":[{"condition":"LESS_THAN","offsetIndex":1,"isLimited":true,"ref":100,"usage":{"limit":150}}]}"#)
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let init = stdout(&o).lines().find_map(|l| l.strip_prefix("initData: ")).unwrap().to_string();
    assert_eq!(init.len(), 2 + 2 * 3136);
    let call =
        |amount: u8| format!("0:0xa9059cbb{}{}{:02x}", "00".repeat(32), "00".repeat(31), amount);
    let o = run(&[
        "--json",
        "policy-check",
        "--init-data",
        &init,
        "--call",
        &call(99),
        "--call",
        &call(60),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["output"][0]["result"], "0");
    assert_eq!(v["output"][1]["result"], "1", "99 + 60 > 150");
}

#[test]
fn bad_input_is_one_line_naming_the_field_never_a_panic() {
    let o = run(&["action-id", "--target", "0x12", "--selector", "0xa9059cbb"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("target"), "{e}");
    let o = run(&["flz", "decompress", "0x0261"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("offset 0"), "{}", stderr(&o));
    let o = run(&["digest-multichain", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pair"), "{}", stderr(&o));
    let o = run(&["permission-id", "--validator", "0x0"]);
    assert_eq!(o.status.code(), Some(2), "missing --salt is a usage error");
    assert!(!stderr(&o).contains("panicked"));
}

#[test]
fn enable_signatures_and_session_digests_match_the_vectors() {
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../../codec/tests/vectors/legacy.json")).unwrap();
    let vectors = file["vectors"].as_array().unwrap();
    let dir = std::env::temp_dir().join(format!("smart-sessions-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let v = vectors
        .iter()
        .find(|v| v["function"] == "encodeSmartSessionSignature" && v["inputs"]["mode"] == "0x01")
        .unwrap();
    let enable = dir.join("enable.json");
    std::fs::write(&enable, v["inputs"]["enableSessionData"].to_string()).unwrap();
    let o = run(&[
        "--generation",
        "legacy",
        "signature-encode",
        "--mode",
        "0x01",
        "--enable",
        enable.to_str().unwrap(),
        "--signature",
        v["inputs"]["signature"].as_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), v["output"].as_str().unwrap().to_ascii_lowercase());

    let v = vectors.iter().find(|v| v["function"] == "getSessionDigest").unwrap();
    let session = dir.join("session.json");
    std::fs::write(&session, v["inputs"]["session"].to_string()).unwrap();
    let i = &v["inputs"];
    let o = run(&[
        "--generation",
        "legacy",
        "digest-session",
        "--session",
        session.to_str().unwrap(),
        "--account",
        i["account"].as_str().unwrap(),
        "--mode",
        i["mode"].as_str().unwrap(),
        "--nonce",
        i["nonce"].as_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), v["output"].as_str().unwrap());
    // ENABLE without its data: a one-line error naming the input
    let o = run(&["signature-encode", "--mode", "0x01", "--signature", "0x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("enableSessionData"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn network_commands_refuse_bad_tables_and_keys_before_any_network_call() {
    let owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    // an unknown field of the deployment table, named with the known ones
    let o = run(&[
        "account",
        "--owner",
        owner,
        "--set",
        "nope=0x0000000000000000000000000000000000000001",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--set nope: no such field") && stderr(&o).contains("smartSession")
    );
    let o = run(&["account", "--owner", owner, "--set", "smartSession=0x12"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--set smartSession"), "{}", stderr(&o));
    // the current generation's default table is complete (issue 11): the request itself is
    // what is refused, before any network call
    let dir = std::env::temp_dir().join(format!("ss-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let req = dir.join("request.json");
    std::fs::write(&req, r#"{"sessionPublicKey":"0x0000000000000000000000000000000000000005","actionPoliciesInfo":[]}"#).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env(
            "SMART_SESSIONS_OWNER_KEY",
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        )
        .args(["--generation", "current", "grant", "--request", req.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("session 0: actionPoliciesInfo: no action"), "{}", stderr(&o));
    // a key that is not one: named by its source, value never echoed
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env("SMART_SESSIONS_OWNER_KEY", "0xdeadbeefcafe")
        .args(["--generation", "legacy", "grant", "--request", req.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("$SMART_SESSIONS_OWNER_KEY is not a 32-byte hex private key"));
    assert!(!stderr(&o).contains("deadbeef"));
    // no key at all
    let o = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .env_remove("SMART_SESSIONS_OWNER_KEY")
        .args([
            "--generation",
            "legacy",
            "revoke",
            "--permission-id",
            &format!("0x{}", "00".repeat(32)),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no owner key"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_grouped_tools_take_their_spaced_spellings() {
    let pairs: [(&[&str], &[&str]); 3] = [
        (
            &[
                "--json",
                "signature",
                "decode",
                "0x00c46ab2a6e637800682a754bf37dc57dd85018c9faf44aa306eba407e706e0208abab",
            ],
            &[
                "--json",
                "signature-decode",
                "0x00c46ab2a6e637800682a754bf37dc57dd85018c9faf44aa306eba407e706e0208abab",
            ],
        ),
        (
            &[
                "--generation",
                "legacy",
                "digest",
                "multichain",
                "1:0x30e122fce492fcd2b6b47c6c5d2b8b2169c5f71c54f5c4a9177bcd8c10b27a7d",
            ],
            &[
                "--generation",
                "legacy",
                "digest-multichain",
                "1:0x30e122fce492fcd2b6b47c6c5d2b8b2169c5f71c54f5c4a9177bcd8c10b27a7d",
            ],
        ),
        (
            &[
                "signature",
                "use",
                "--permission-id",
                "0xc46ab2a6e637800682a754bf37dc57dd85018c9faf44aa306eba407e706e0208",
                "--signature",
                "0x01",
            ],
            &[
                "signature-use",
                "--permission-id",
                "0xc46ab2a6e637800682a754bf37dc57dd85018c9faf44aa306eba407e706e0208",
                "--signature",
                "0x01",
            ],
        ),
    ];
    for (spaced, hyphenated) in pairs {
        let (a, b) = (run(spaced), run(hyphenated));
        assert!(a.status.success(), "{spaced:?}: {}", stderr(&a));
        assert_eq!(stdout(&a), stdout(&b), "{spaced:?}");
    }
    assert_eq!(run(&["policy", "nope"]).status.code(), Some(2));
}

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

/// A JSON-RPC server of our own on 127.0.0.1 (a stand-in for a node or a bundler, not either):
/// answers each method from `answers` (`Ok(result)` or `Err(message)` as a JSON-RPC error), every
/// other method with the error `fallback`, and records the methods asked. Serves until the test
/// process ends.
fn fake_rpc(
    answers: Vec<(&'static str, Result<serde_json::Value, String>)>,
    fallback: String,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let answers = std::sync::Arc::new(answers);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (answers, fallback, log) = (answers.clone(), fallback.clone(), log.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut len = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    let req: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    let answer = |r: &serde_json::Value| {
                        let method = r["method"].as_str().unwrap_or_default().to_string();
                        log.lock().unwrap().push(method.clone());
                        match answers.iter().find(|(m, _)| *m == method).map(|(_, a)| a) {
                            Some(Ok(v)) => {
                                serde_json::json!({"jsonrpc":"2.0","id":r["id"],"result":v})
                            }
                            Some(Err(m)) => {
                                serde_json::json!({"jsonrpc":"2.0","id":r["id"],"error":{"code":-32000,"message":m}})
                            }
                            None => {
                                serde_json::json!({"jsonrpc":"2.0","id":r["id"],"error":{"code":-32000,"message":fallback}})
                            }
                        }
                    };
                    let out = match &req {
                        serde_json::Value::Array(list) => {
                            serde_json::Value::Array(list.iter().map(answer).collect())
                        }
                        one => answer(one),
                    }
                    .to_string();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        out.len()
                    );
                    if stream
                        .write_all(head.as_bytes())
                        .and_then(|_| stream.write_all(out.as_bytes()))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

/// Session details (legacy generation) for `smart_session`, with a USE-mode session: validator
/// 0x…2483, no init data, salt 0, one sudo action on 0x…06. Its permission id is computed by the
/// binary's own `permission-id` (the vectors check that command).
fn details_file(dir: &std::path::Path, smart_session: &str) -> std::path::PathBuf {
    let validator = "0x2483DA3A338895199E5e538530213157e931Bf06";
    let salt = format!("0x{}", "00".repeat(32));
    let o = run(&["permission-id", "--validator", validator, "--salt", &salt]);
    let id = stdout(&o);
    let path = dir.join(format!("details-{smart_session}.json"));
    let session = serde_json::json!({
        "sessionValidator": validator, "sessionValidatorInitData": "0x", "salt": salt,
        "userOpPolicies": [], "erc7739Policies": {"allowedERC7739Content": [], "erc1271Policies": []},
        "actions": [{"actionTarget": "0x0000000000000000000000000000000000000006",
                     "actionTargetSelector": "0x00000000",
                     "actionPolicies": [{"policy": "0x529Ad04F4D83aAb25144a90267D4a1443B84f5A6", "initData": "0x"}]}]
    });
    let json = serde_json::json!({
        "generation": "legacy", "smartSession": smart_session,
        "account": "0x0000000000000000000000000000000000000007", "permissionId": id,
        "unsafeEnable": false, "legacySession": session,
    });
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

/// The legacy generation's default table's SmartSession (`Deployments::legacy_nexus_k1`).
const LEGACY_SMART_SESSION: &str = "0xDDFF43A42726df11E34123f747bDce0f755F784d";
const SOME_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

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
