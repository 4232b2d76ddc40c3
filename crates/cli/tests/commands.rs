//! The offline subcommands: results, `--json`, exit codes, one-line errors naming the bad field
//! (ids, signatures, policies, digests, table and key refusals, the grouped tools).

mod cli_support;
use cli_support::*;

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
