//! The workspace README's "On a live chain" block, run line by line with bash against a scripted
//! JSON-RPC server of ours on 127.0.0.1 standing in for the node, bundler and paymaster (it
//! answers `eth_chainId` with Base Sepolia's id and nothing else usefully): every `smart-sessions`
//! line must parse (no usage error), load its keys from the keystores the block creates, and
//! send requests to the URLs from the environment (the network boundary); the planted
//! API keys never appear in any output. Offline lines (`key new`) must succeed.

use serde_json::{Value, json};
use smart_sessions_client::Deployments;
use smart_sessions_codec::Generation;
use std::{
    process::Command,
    sync::{Arc, Mutex},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// The block between the README's markers, `\\`-continuations joined, comments dropped.
fn live_chain_lines() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("<!-- live-chain:begin -->").expect("begin marker");
    let end = readme.find("<!-- live-chain:end -->").expect("end marker");
    let block = &readme[start..end];
    let body = block.split("```sh\n").nth(1).unwrap().split("```").next().unwrap();
    body.replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// The stand-in server: records every method; `eth_chainId` is 84532, everything else an error.
async fn server() -> (String, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(h) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&buf[..h]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= h + 4 + len {
                        break;
                    }
                }
                let h = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                let req: Value = serde_json::from_slice(&buf[h..]).unwrap_or_default();
                let batch = req.is_array();
                let reqs = if batch { req.as_array().unwrap().clone() } else { vec![req] };
                let out: Vec<Value> = reqs
                    .iter()
                    .map(|r| {
                        let m = r["method"].as_str().unwrap_or_default();
                        log.lock().unwrap().push(m.to_string());
                        if m == "eth_chainId" {
                            json!({ "jsonrpc": "2.0", "id": r["id"], "result": "0x14a34" })
                        } else {
                            json!({ "jsonrpc": "2.0", "id": r["id"],
                                    "error": { "code": -32000, "message": "stand-in: not served" } })
                        }
                    })
                    .collect();
                let body = if batch { Value::Array(out) } else { out[0].clone() }.to_string();
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (base, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_live_chain_steps_reach_the_network_boundary() {
    let lines = live_chain_lines();
    assert!(lines.len() >= 10, "{lines:?}");
    let (base, seen) = server().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_smart-sessions")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    // the README's exports, then ours pointing at the stand-in (keys planted in the URLs)
    let exports: Vec<&String> = lines.iter().filter(|l| l.starts_with("export ")).collect();
    assert_eq!(exports.len(), 4, "{exports:?}");
    let ours = format!(
        "export SMART_SESSIONS_RPC_URL='{base}/node?apikey=PLANTEDNODE'\n\
         export SMART_SESSIONS_BUNDLER_URL='{base}/bundler?apikey=PLANTEDBUNDLER'\n\
         export SMART_SESSIONS_PAYMASTER_URL='{base}/pm?apikey=PLANTEDPM'\n"
    );
    let setup = exports.iter().map(|l| format!("{l}\n")).collect::<String>() + &ours;
    // what the block expects to exist: a request for the session key, a details file, values
    let legacy = Deployments::default_for(Generation::Legacy);
    let details = json!([{ "generation": "legacy", "smartSession": legacy.smart_session,
        "account": "0x0000000000000000000000000000000000000007",
        "permissionId": format!("0x{}", "11".repeat(32)), "unsafeEnable": false }]);
    std::fs::write(dir.join("session.json"), details.to_string()).unwrap();
    let vars = [
        ("TOKEN", "0x036CbD53842c5426634e7929541eC2318f3dCF7e"),
        ("TRANSFER_CALLDATA", "0xa9059cbb"),
        ("HASH", "0x1111111111111111111111111111111111111111111111111111111111111111"),
        ("SENDER", "0x0000000000000000000000000000000000000007"),
        ("NONCE", "0x5"),
    ];
    let mut network_lines = 0;
    for line in lines.iter().filter(|l| l.starts_with("smart-sessions ")) {
        if line.contains(" grant ") {
            let out = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
                .current_dir(dir)
                .env("SMART_SESSIONS_KEYSTORE_PASSWORD", "a long passphrase")
                .args(["--json", "key", "address", "--keystore", "session-key.json"])
                .output()
                .unwrap();
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let request = json!({ "sessionPublicKey": v["output"]["address"],
                "actionPoliciesInfo": [{ "contractAddress": vars[0].1,
                    "functionSelector": "0xa9059cbb", "sudo": true }] });
            std::fs::write(dir.join("request.json"), request.to_string()).unwrap();
        }
        let before = seen.lock().unwrap().len();
        let out = Command::new("bash")
            .current_dir(dir)
            .env("PATH", &path)
            .env_remove("SMART_SESSIONS_OWNER_KEY")
            .env_remove("SMART_SESSIONS_SESSION_KEY")
            .envs(vars)
            .arg("-c")
            .arg(format!("{setup}{line}"))
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("PLANTED") && !all.contains("YOUR_"), "{line}: {all}");
        let code = out.status.code();
        if line.contains(" key new ") {
            assert_eq!(code, Some(0), "{line}: {all}");
            continue;
        }
        network_lines += 1;
        // not a usage error: it got past its arguments, keys and files to the network
        assert!(matches!(code, Some(1 | 3)), "{line}: {code:?} {all}");
        let asked = seen.lock().unwrap()[before..].to_vec();
        // with --chain, the node's chain id is the first thing asked
        assert_eq!(asked.first().map(String::as_str), Some("eth_chainId"), "{line}: {asked:?}");
        // and the stand-in's refusal is what stopped it (not a local failure)
        assert!(all.contains("127.0.0.1") || all.contains("stand-in"), "{line}: {all}");
    }
    assert_eq!(network_lines, 5, "account, grant, use, status, op wait");
}
