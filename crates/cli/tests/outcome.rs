//! Unknown outcomes through the binary (issue 12 item 2): a user operation that may have run is
//! reported with its hash and exit code 3, never retried; `op lookup` / `op wait` find out what
//! became of it; `--request-timeout` bounds a server that never answers.
//!
//! Two kinds of servers, both ours and on 127.0.0.1: a scripted JSON-RPC server (a stand-in
//! bundler answering from a table in the test), and a fault-injecting HTTP proxy in front of the
//! devnet's real Alto that forwards `eth_sendUserOperation` and then closes the connection
//! without answering (the send's response lost after the bundler accepted the operation).

use alloy_primitives::{Address, B256, U256, hex};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use smart_sessions_bindings::erc20::ERC20;
use smart_sessions_devnet::{Devnet, Options};
use std::{
    path::Path,
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn line(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .current_dir(dir)
        .env_remove("SMART_SESSIONS_OWNER_KEY")
        .env_remove("SMART_SESSIONS_SESSION_KEY")
        .env_remove("SMART_SESSIONS_RPC_URL")
        .env_remove("SMART_SESSIONS_BUNDLER_URL")
        .env_remove("SMART_SESSIONS_PAYMASTER_URL")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Reads one HTTP/1.1 request (headers and a `Content-Length` body); `None` at EOF.
async fn read_request(s: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((head, buf[head_end..head_end + len].to_vec()))
}

async fn respond(s: &mut TcpStream, body: &Value) {
    let body = body.to_string();
    let text = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(text.as_bytes()).await;
    let _ = s.shutdown().await;
}

/// A scripted JSON-RPC server (our stand-in for a node and bundler): `answer(method)` gives the
/// result, or `None` to hold the connection open without answering. Requests are counted per
/// method in `seen`.
async fn scripted(
    answer: impl Fn(&str) -> Option<Value> + Send + Sync + 'static,
) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/rpc?apikey=PLANTED-SECRET", l.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let answer = Arc::new(answer);
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let (answer, log) = (answer.clone(), log.clone());
            tokio::spawn(async move {
                let Some((_, body)) = read_request(&mut s).await else { return };
                let req: Value = serde_json::from_slice(&body).unwrap_or_default();
                let batch = req.is_array();
                let reqs = if batch { req.as_array().unwrap().clone() } else { vec![req] };
                let mut out = Vec::new();
                for r in &reqs {
                    let m = r["method"].as_str().unwrap_or_default().to_string();
                    log.lock().unwrap().push(m.clone());
                    let Some(result) = answer(&m) else {
                        // hold the connection: the client's request timeout must fire
                        tokio::time::sleep(Duration::from_secs(600)).await;
                        return;
                    };
                    out.push(json!({ "jsonrpc": "2.0", "id": r["id"], "result": result }));
                }
                let v = if batch { Value::Array(out) } else { out.remove(0) };
                respond(&mut s, &v).await;
            });
        }
    });
    (url, seen)
}

const HASH: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const SENDER: &str = "0x2222222222222222222222222222222222222222";

fn scripted_op() -> Value {
    json!({
        "userOperation": {
            "sender": SENDER, "nonce": "0x5", "callData": "0x",
            "callGasLimit": "0x1", "verificationGasLimit": "0x1", "preVerificationGas": "0x1",
            "maxFeePerGas": "0x1", "maxPriorityFeePerGas": "0x1", "signature": "0x"
        },
        "entryPoint": "0x0000000071727De22E5E9d8BAf0edAc6f37da032",
        "blockNumber": "0x7", "blockHash": null,
        "transactionHash": "0x3333333333333333333333333333333333333333333333333333333333333333"
    })
}

fn scripted_receipt(sender: &str) -> Value {
    json!({
        "userOpHash": HASH, "sender": sender, "nonce": "0x5", "success": true,
        "actualGasUsed": "0x1234", "actualGasCost": "0x10", "receipt": {}
    })
}

/// `op lookup` against the scripted bundler: the state, sender and nonce the script answered
/// are printed; the planted API key appears nowhere.
#[tokio::test(flavor = "multi_thread")]
async fn op_lookup_reports_what_the_bundler_answered() {
    let (url, seen) = scripted(|m| match m {
        "eth_chainId" => Some(json!("0x7a69")),
        "eth_getUserOperationByHash" => Some(scripted_op()),
        "eth_getUserOperationReceipt" => Some(scripted_receipt(SENDER)),
        _ => Some(Value::Null),
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let args = ["--json", "op", "lookup", HASH, "--rpc-url", &url, "--bundler-url", &url];
    let r = run(tmp.path(), &[], &args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let o = &r.line()["output"];
    assert_eq!(o["state"], json!("included"));
    assert_eq!(o["userOpHash"], json!(HASH));
    assert_eq!(o["sender"], json!(SENDER));
    assert_eq!(o["nonce"], json!("0x5"));
    assert_eq!(o["blockNumber"], json!("0x7"));
    assert_eq!(o["success"], json!(true));
    assert_eq!(o["gasUsed"], json!("0x1234"));
    assert!(!r.stdout.contains("PLANTED") && !r.stderr.contains("PLANTED"));
    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().filter(|m| *m == "eth_getUserOperationByHash").count() == 1, "{seen:?}");
    // unknown to the bundler: `unknown`, exit 0 for lookup; `wait` needs --sender/--nonce
    let (url, _) = scripted(|m| match m {
        "eth_chainId" => Some(json!("0x7a69")),
        _ => Some(Value::Null),
    })
    .await;
    let r = run(
        tmp.path(),
        &[],
        &["--json", "op", "lookup", HASH, "--rpc-url", &url, "--bundler-url", &url],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.line()["output"]["state"], json!("unknown"));
    let r = run(
        tmp.path(),
        &[],
        &["--json", "op", "wait", HASH, "--rpc-url", &url, "--bundler-url", &url],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.line()["error"].as_str().unwrap().contains("--sender and --nonce"), "{}", r.stdout);
}

/// `op wait` whose receipt names another sender (a confused bundler): exit code 3 with the hash
/// (the operation's fate is still unknown), and the JSON carries the hash, sender and nonce.
#[tokio::test(flavor = "multi_thread")]
async fn op_wait_on_a_mismatched_receipt_exits_3_with_the_hash() {
    let (url, _) = scripted(|m| match m {
        "eth_chainId" => Some(json!("0x7a69")),
        "eth_getUserOperationByHash" => Some(scripted_op()),
        "eth_getUserOperationReceipt" => {
            Some(scripted_receipt("0x9999999999999999999999999999999999999999"))
        }
        _ => Some(Value::Null),
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        tmp.path(),
        &[],
        &["--json", "op", "wait", HASH, "--rpc-url", &url, "--bundler-url", &url],
    );
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let e = r.line();
    assert_eq!(e["userOpHash"], json!(HASH));
    assert_eq!(e["sender"], json!(SENDER));
    assert_eq!(e["nonce"], json!("0x5"));
    assert_eq!(e["outcome"], json!("unknown"));
    assert!(e["error"].as_str().unwrap().contains("0x9999"), "{e}");
    // the text form: the error line, then the hint naming `op wait` with the hash
    let r = run(tmp.path(), &[], &["op", "wait", HASH, "--rpc-url", &url, "--bundler-url", &url]);
    assert_eq!(r.code, 3);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(lines[1].contains(&format!("smart-sessions op wait {HASH} --sender")), "{}", r.stderr);
}

/// A bundler that accepts the connection and never answers: `--request-timeout 1` ends `op
/// lookup` with a typed timeout naming the method, well within the bound (the test allows 15 s
/// for process start-up); `op wait` with `--sender/--nonce` and `--receipt-timeout 2` exits 3.
#[tokio::test(flavor = "multi_thread")]
async fn a_silent_bundler_is_bounded_by_the_timeouts() {
    let (url, _) = scripted(|m| (m == "eth_chainId").then(|| json!("0x7a69"))).await;
    let tmp = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let r = run(
        tmp.path(),
        &[],
        &[
            "--json",
            "op",
            "lookup",
            HASH,
            "--rpc-url",
            &url,
            "--bundler-url",
            &url,
            "--request-timeout",
            "1",
        ],
    );
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let e = r.line()["error"].as_str().unwrap().to_string();
    assert!(e.contains("eth_getUserOperationByHash") && e.contains("1s"), "{e}");
    let t = Instant::now();
    let r = run(
        tmp.path(),
        &[],
        &[
            "--json",
            "op",
            "wait",
            HASH,
            "--rpc-url",
            &url,
            "--bundler-url",
            &url,
            "--sender",
            SENDER,
            "--nonce",
            "5",
            "--request-timeout",
            "1",
            "--receipt-timeout",
            "2",
        ],
    );
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let e = r.line();
    assert_eq!(e["userOpHash"], json!(HASH));
    assert!(e["error"].as_str().unwrap().contains("eth_getUserOperationReceipt"), "{e}");
}

/// A fault-injecting proxy in front of `upstream` (the devnet's Alto): every request is
/// forwarded; the answer to `eth_sendUserOperation` is dropped and the connection closed (the
/// send's response lost after the bundler accepted the operation). Counts the sends.
async fn lossy_proxy(upstream: String) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    let sends = Arc::new(AtomicUsize::new(0));
    let count = sends.clone();
    let up = url::Url::parse(&upstream).unwrap();
    let addr = format!("{}:{}", up.host_str().unwrap(), up.port_or_known_default().unwrap());
    let path = up.path().to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let (addr, path, count) = (addr.clone(), path.clone(), count.clone());
            tokio::spawn(async move {
                let Some((_, body)) = read_request(&mut s).await else { return };
                let is_send = String::from_utf8_lossy(&body).contains("eth_sendUserOperation");
                let mut u = TcpStream::connect(&addr).await.unwrap();
                let head = format!(
                    "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                u.write_all(head.as_bytes()).await.unwrap();
                u.write_all(&body).await.unwrap();
                let mut answer = Vec::new();
                let _ = u.read_to_end(&mut answer).await;
                if is_send {
                    count.fetch_add(1, Ordering::SeqCst);
                    // the bundler has the operation; its answer is lost
                    drop(s);
                    return;
                }
                let _ = s.write_all(&answer).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (url, sends)
}

/// The devnet: grant on chain, then `use` through the lossy proxy: exit 3 with the hash (text
/// and JSON), exactly one `eth_sendUserOperation` (no retry); `op wait HASH` through the real
/// bundler finds the receipt; the token transfer ran exactly once (the recipient's balance,
/// read from the chain, is the amount sent once).
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_send_response_exits_3_with_the_hash_and_runs_once() {
    // the devnet's providers are alloy's `connect_http` (reqwest without a default provider)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let d = Devnet::start_with(Options { chain_id: 31372, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("devnet.json"), serde_json::to_string(&a).unwrap()).unwrap();
    let bundler = d.bundler_url.clone().unwrap();
    let owner = d.fund_new_key().await.unwrap();
    let ok = hex::encode_prefixed(owner.signer().to_bytes());
    let base = [
        ("SMART_SESSIONS_RPC_URL", d.rpc_url.as_str()),
        ("SMART_SESSIONS_BUNDLER_URL", bundler.as_str()),
        ("SMART_SESSIONS_OWNER_KEY", ok.as_str()),
    ];
    let net = ["--json", "--generation", "legacy"];
    let table = ["--deployments", "devnet.json"];
    let cmd = |sub: &[&str], rest: &[&str]| -> Vec<String> {
        [&net[..], sub, &table[..], rest].concat().into_iter().map(String::from).collect()
    };
    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    let r = run(dir, &base, &strs(&cmd(&["account"], &[])));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let account: Address = serde_json::from_value(r.line()["output"]["address"].clone()).unwrap();
    let node = d.provider_for(&d.deployer).unwrap();
    alloy_provider::ext::AnvilApi::anvil_set_balance(
        &node,
        account,
        U256::from(10u64).pow(U256::from(18u64)),
    )
    .await
    .unwrap();
    let session_key = PrivateKeySigner::random();
    let request = json!({
        "sessionPublicKey": session_key.address(),
        "actionPoliciesInfo": [{ "contractAddress": a.token, "functionSelector": "0xa9059cbb",
            "sudo": true }]
    });
    std::fs::write(dir.join("request.json"), request.to_string()).unwrap();
    let r =
        run(dir, &base, &strs(&cmd(&["grant"], &["--request", "request.json", "--out", "s.json"])));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    d.mint_tokens(account, U256::from(10_000)).await.unwrap();

    let (proxy, sends) = lossy_proxy(bundler.clone()).await;
    let to = Address::repeat_byte(0x42);
    let data = ERC20::transferCall { to, amount: U256::from(700) }.abi_encode();
    let call = format!("{}:0:{}", a.token, hex::encode_prefixed(data));
    let sk = hex::encode_prefixed(session_key.to_bytes());
    let senv = [
        ("SMART_SESSIONS_RPC_URL", d.rpc_url.as_str()),
        ("SMART_SESSIONS_BUNDLER_URL", proxy.as_str()),
        ("SMART_SESSIONS_SESSION_KEY", sk.as_str()),
    ];
    let r = run(dir, &senv, &strs(&cmd(&["use"], &["--details", "s.json", "--call", &call])));
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let e = r.line();
    assert_eq!(e["outcome"], json!("unknown"));
    let hash: B256 = serde_json::from_value(e["userOpHash"].clone()).unwrap();
    assert_eq!(e["sender"], json!(account));
    assert_eq!(sends.load(Ordering::SeqCst), 1, "exactly one send: no retry");

    // resume through the real bundler: included, and the transfer ran once
    let sender = e["sender"].as_str().unwrap().to_string();
    let nonce = e["nonce"].as_str().unwrap().to_string();
    let wait = [hash.to_string(), "--sender".into(), sender, "--nonce".into(), nonce];
    let r = run(dir, &base, &strs(&cmd(&["op", "wait"], &strs(&wait))));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let o = &r.line()["output"];
    assert_eq!(o["state"], json!("included"));
    assert_eq!(o["success"], json!(true));
    assert_eq!(o["sender"], json!(account));
    let r = run(dir, &base, &strs(&cmd(&["op", "lookup"], &[&hash.to_string()])));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.line()["output"]["state"], json!("included"));
    let bal = ERC20::new(a.token, &node).balanceOf(to).call().await.unwrap();
    assert_eq!(bal, U256::from(700), "the transfer ran exactly once");
    assert_eq!(sends.load(Ordering::SeqCst), 1);
}
