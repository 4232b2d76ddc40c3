//! Many session keys on one account from separate CLI processes (issue 12): one owner grants
//! `PROCESS_KEYS` sessions on one account (`grant`s of up to 5 sessions); then `PROCESS_KEYS` streams run at
//! once, each starting `smart-sessions use` `PROCESS_OPS` times in a row with its own session
//! key (so up to `PROCESS_KEYS` CLI processes send to the same account at the same moment, each
//! a fresh client with no shared state). Every process must exit 0 (no refusal, no unknown
//! outcome).
//!
//! What is compared with what, read back from the chain (not from the CLI's output): each
//! stream transfers 1 token unit per operation to a recipient of its own, so each recipient's
//! `balanceOf` must be exactly `PROCESS_OPS` (none lost, none executed twice) and the account's
//! balance must have dropped by exactly `PROCESS_KEYS × PROCESS_OPS`; each permission's nonce
//! lane (`EntryPoint.getNonce(account, key)` for the client's default lane of the permission) must be exactly
//! `PROCESS_OPS` (no collisions, no duplicate nonces); and `status` reports each session's
//! usage budget lowered by exactly `PROCESS_OPS`.
//!
//! Sizes: 4 keys × 3 operations by default (`cargo xtask test`); `cargo xtask load` runs 20 × 10
//! through `PROCESS_KEYS=20 PROCESS_OPS=10`.

use alloy_primitives::{Address, B256, U256, hex};
use alloy_provider::{Provider, ext::AnvilApi};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use smart_sessions_bindings::common::entry_point::EntryPoint;
use smart_sessions_bindings::erc20::ERC20;
use smart_sessions_client::permission_lane;
use smart_sessions_devnet::{Devnet, Options};
use std::{path::Path, process::Command, time::Instant};

/// Sessions per `grant` command.
const GRANT_CHUNK: usize = 5;

fn size(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        let v: Value = serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr));
        v["output"].clone()
    }
}

fn run(dir: &Path, env: &[(String, String)], args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .current_dir(dir)
        .env_remove("SMART_SESSIONS_OWNER_KEY")
        .env_remove("SMART_SESSIONS_SESSION_KEY")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

async fn balance<P: Provider>(p: &P, token: Address, who: Address) -> U256 {
    ERC20::new(token, p).balanceOf(who).call().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn separate_cli_processes_share_one_account_exactly_once() {
    smart_sessions_cli::tls::install_crypto_provider();
    let (keys, ops) = (size("PROCESS_KEYS", 4), size("PROCESS_OPS", 3));
    let d = Devnet::start_with(Options { chain_id: 31393, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("devnet.json"), serde_json::to_string(&a).unwrap()).unwrap();
    let owner = PrivateKeySigner::random();
    let base = vec![
        ("SMART_SESSIONS_RPC_URL".to_string(), d.rpc_url.clone()),
        ("SMART_SESSIONS_BUNDLER_URL".to_string(), d.bundler_url.clone().unwrap()),
    ];
    let net = ["--json", "--generation", "legacy"];
    let table = ["--deployments", "devnet.json"];

    // one grant: a session per key, each allowed `transfer` of < 2 units, `ops` times at most
    // (a usage limit, so `status` shows each budget)
    let session_keys: Vec<PrivateKeySigner> =
        (0..keys).map(|_| PrivateKeySigner::random()).collect();
    let sessions: Vec<Value> = session_keys
        .iter()
        .map(|k| {
            json!({
                "sessionPublicKey": k.address(),
                "actionPoliciesInfo": [{
                    "contractAddress": a.token,
                    "functionSelector": "0xa9059cbb",
                    "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": true,
                                "ref": 2, "usage": { "limit": ops * 2, "used": 0 } }]
                }]
            })
        })
        .collect();
    let oenv = [
        &base[..],
        &[("SMART_SESSIONS_OWNER_KEY".to_string(), hex::encode_prefixed(owner.to_bytes()))],
    ]
    .concat();
    let r = run(dir, &oenv, &[&net[..], &["account"], &table[..]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let account: Address = serde_json::from_value(r.json()["address"].clone()).unwrap();
    let node = d.provider_for(&d.deployer).unwrap();
    node.anvil_set_balance(account, U256::from(10u64).pow(U256::from(19u64))).await.unwrap();
    // grants of up to GRANT_CHUNK sessions each (one user operation per grant stays well inside
    // the bundler's gas limits); session i is entry i % GRANT_CHUNK of file i / GRANT_CHUNK
    let mut permission_ids: Vec<B256> = Vec::new();
    for (n, chunk) in sessions.chunks(GRANT_CHUNK).enumerate() {
        let (request, out) = (format!("request{n}.json"), format!("sessions{n}.json"));
        std::fs::write(dir.join(&request), json!({ "sessionRequestedInfo": chunk }).to_string())
            .unwrap();
        let args = [
            &net[..],
            &["grant"],
            &table[..],
            &["--request", request.as_str(), "--out", out.as_str()],
        ]
        .concat();
        let r = run(dir, &oenv, &args);
        assert_eq!(r.code, 0, "grant {n}: {}{}", r.stdout, r.stderr);
        let ids: Vec<B256> = serde_json::from_value(r.json()["permissionIds"].clone()).unwrap();
        assert_eq!(ids.len(), chunk.len());
        permission_ids.extend(ids);
    }
    let supply = U256::from(keys * ops * 10);
    d.mint_tokens(account, supply).await.unwrap();

    // the streams: `ops` CLI processes in a row each, all streams at once
    let recipients: Vec<Address> =
        (0..keys).map(|i| Address::repeat_byte(0x10 + i as u8)).collect();
    let started = Instant::now();
    let streams: Vec<_> = (0..keys)
        .map(|i| {
            let env = [
                &base[..],
                &[(
                    "SMART_SESSIONS_SESSION_KEY".to_string(),
                    hex::encode_prefixed(session_keys[i].to_bytes()),
                )],
            ]
            .concat();
            let dir = dir.to_path_buf();
            let data =
                ERC20::transferCall { to: recipients[i], amount: U256::from(1) }.abi_encode();
            let call = format!("{}:0:{}", a.token, hex::encode_prefixed(data));
            std::thread::spawn(move || {
                for n in 0..ops {
                    let (file, index) = (
                        format!("sessions{}.json", i / GRANT_CHUNK),
                        (i % GRANT_CHUNK).to_string(),
                    );
                    let args = [
                        &net[..],
                        &["use"],
                        &table[..],
                        &["--details", file.as_str(), "--session", &index, "--call", &call],
                    ]
                    .concat();
                    let r = run(&dir, &env, &args);
                    assert_eq!(r.code, 0, "stream {i}, operation {n}: {}{}", r.stdout, r.stderr);
                    assert_eq!(r.json()["mode"], json!("USE"), "stream {i}, operation {n}");
                }
            })
        })
        .collect();
    streams.into_iter().for_each(|s| s.join().unwrap());
    let elapsed = started.elapsed();
    eprintln!(
        "{keys} CLI streams x {ops} uses on one account: {} operations in {:.1} s ({:.2} ops/s)",
        keys * ops,
        elapsed.as_secs_f64(),
        (keys * ops) as f64 / elapsed.as_secs_f64()
    );

    // on chain: every transfer exactly once
    for (i, r) in recipients.iter().enumerate() {
        assert_eq!(balance(&node, a.token, *r).await, U256::from(ops), "stream {i}'s recipient");
    }
    let left = balance(&node, a.token, account).await;
    assert_eq!(left, supply - U256::from(keys * ops), "the account's balance");
    // one lane per permission (the client's default, derived from the permission id by every
    // process alike), each lane's sequence at exactly `ops`
    let mut seen = std::collections::HashSet::new();
    for (i, pid) in permission_ids.iter().enumerate() {
        let key = permission_lane(a.smart_session, *pid).key();
        assert!(seen.insert(key), "two permissions on one lane");
        let nonce =
            EntryPoint::new(a.entry_point, &node).getNonce(account, key).call().await.unwrap();
        assert_eq!(nonce & U256::from(u64::MAX), U256::from(ops), "stream {i}'s lane");
    }

    // status: each session's budget (a cumulative limit of 2 × ops units, 1 unit per use) lowered
    // by exactly `ops`
    let mut entries = Vec::new();
    for n in 0..keys.div_ceil(GRANT_CHUNK) {
        let file = format!("sessions{n}.json");
        let args = [&net[..], &["status"], &table[..], &["--details", file.as_str()]].concat();
        let r = run(dir, &base, &args);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        entries.extend(r.json().as_array().unwrap().iter().cloned());
    }
    assert_eq!(entries.len(), keys);
    for (i, e) in entries.iter().enumerate() {
        let left: Vec<U256> = e["budgets"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| serde_json::from_value(b["remaining"].clone()).ok())
            .collect();
        assert_eq!(left, vec![U256::from(ops)], "session {i}'s budget: {e}");
    }
}
