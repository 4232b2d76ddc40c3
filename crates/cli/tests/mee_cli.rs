//! `smart-sessions mee prepare|grant|use|status` through the binary against the local MEE node
//! (`smart-sessions-mee-node`'s `MeeDevnet`: our protocol-compatible node over two anvil chains
//! with Nexus 1.0, the legacy SmartSession, our MEE K1 validator, a fee token and a counter).
//! The CLI gets the stack's summary JSON as `--deployments` (what `cargo xtask devnet up --mee
//! --json` prints) and the API key through `$SMART_SESSIONS_MEE_API_KEY`.
//!
//! Outcomes are read back from the chains, independently of the CLI: the counter's
//! `countOf(account)` on each chain, the fee token's `balanceOf(account)`, the account's code;
//! the node's own request counts show that a refused call never reached it. The account's
//! address the CLI prints is compared with the one the library derives through the factory
//! (`MeeSessions::account`, a chain read of `computeAccountAddress`).
#![cfg(feature = "devnet")]

use alloy_contract::SolCallBuilder;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use smart_sessions_codec::Generation;
use smart_sessions_mee::{MeeVersionConfig, flows::MeeSessions, node::MeeClient};
use smart_sessions_mee_node::MeeDevnet;

// The contracts' ABIs, each declared once: the node's counter, the EIP-20 fee token and its open
// `mint` (the devnet TestToken's).
use smart_sessions_bindings::erc20::ERC20::{balanceOfCall, transferCall};
use smart_sessions_devnet::contracts::TestToken::mintCall;
use smart_sessions_mee_node::contracts::MeeCounter::countOfCall;

/// anvil's 10th default account (unlocked; the stack's deployer and node use others).
const FUNDER: &str = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";

mod mee_cli_support;
use mee_cli_support::{cli, s};

async fn call<C: SolCall>(rpc: &str, to: Address, c: C) -> C::Return {
    let p = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
    SolCallBuilder::new_sol(&p, &to, &c).call().await.unwrap()
}

/// A stand-in between the CLI and the node (ours, for this test): forwards every request to
/// `node` (`host:port`) and its answer back, except that `POST …/exec` is forwarded and then
/// answered with a body that is not JSON, as a node that crashed after accepting it might.
/// Returns the proxy's `host:port`; serves until the test process ends.
fn lossy_exec_proxy(node: String) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let node = node.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut client = client;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                    let (mut head, mut len) = (line.clone(), 0usize);
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        let name = h.split(':').next().unwrap_or_default().to_ascii_lowercase();
                        if name == "content-length" {
                            len =
                                h.split(':').nth(1).unwrap_or_default().trim().parse().unwrap_or(0);
                        }
                        if name != "connection" {
                            head.push_str(&h);
                        }
                    }
                    head.push_str("connection: close\r\n\r\n");
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let mut up = std::net::TcpStream::connect(&node).unwrap();
                    up.write_all(head.as_bytes()).unwrap();
                    up.write_all(&body).unwrap();
                    let mut answer = Vec::new();
                    let _ = up.read_to_end(&mut answer);
                    let reply = if path.ends_with("/exec") {
                        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\nconnection: close\r\n\r\nnot json".to_vec()
                    } else {
                        answer
                    };
                    if client.write_all(&reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Seed 003's Complete Flow through the four commands on two chains: prepare (fee in the
/// token) → grant (typed data) → status (nothing enabled, full fee budget) → use
/// (ENABLE_AND_USE, both chains, fee in the token) → status (enabled, fee budget lower by the
/// fee) → use (USE, sponsored) → a use whose exec answer is lost (exit 3 with the hash; the
/// receipt and the counter show it ran once) → a refused call (exit 1, the rule named, no node call, no fee)
/// → a personal-sign grant used with ENABLE_AND_USE. Each step is checked on chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_complete_flow_runs_through_the_cli_on_two_chains() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let summary = mee.summary();
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("stack.json");
    std::fs::write(&stack, summary.to_string()).unwrap();
    let stack = stack.to_str().unwrap().to_string();
    let api_key = summary["apiKey"].as_str().unwrap().to_string();
    let mee_url = summary["meeUrl"].as_str().unwrap().to_string();
    let chains = summary["chains"].as_array().unwrap();
    let ids: Vec<u64> = chains.iter().map(|c| c["chainId"].as_u64().unwrap()).collect();
    let rpcs: Vec<String> = chains.iter().map(|c| s(c, &["rpcUrl"]).to_string()).collect();
    let token: Address = s(&chains[0], &["mee", "feeToken"]).parse().unwrap();
    let counters: Vec<Address> =
        chains.iter().map(|c| s(c, &["mee", "counter"]).parse().unwrap()).collect();
    let (c0, c1) = (ids[0], ids[1]);

    let owner = PrivateKeySigner::random();
    let redeemer = PrivateKeySigner::random();
    let redeemer2 = PrivateKeySigner::random();
    let hex = |k: &PrivateKeySigner| format!("0x{}", alloy_primitives::hex::encode(k.to_bytes()));
    let (owner_hex, r_hex, r2_hex) = (hex(&owner), hex(&redeemer), hex(&redeemer2));
    let base: Vec<(&str, &str)> = vec![
        ("SMART_SESSIONS_MEE_API_KEY", api_key.as_str()),
        ("SMART_SESSIONS_MEE_URL", &mee_url),
    ];
    let with = |k: &str, v: &str| {
        let mut e: Vec<(String, String)> =
            base.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect();
        e.push((k.to_string(), v.to_string()));
        e
    };
    let run = |env: &[(String, String)], args: &[&str]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let full = [&["--json", "--generation", "legacy", "mee"][..], args].concat();
        let o = cli(&env, &full);
        // the API key never reaches the output
        assert!(!o.stdout.contains(&api_key) && !o.stderr.contains(&api_key), "{args:?}");
        o
    };
    // `mee use` of the owner's account with a details file, then the call's own flags
    let owner_address = owner.address().to_string();
    let use_ = |env: &[(String, String)], details: &str, rest: &[&str]| {
        let head = [
            "use",
            "--deployments",
            &stack,
            "--owner",
            owner_address.as_str(),
            "--details",
            details,
        ];
        run(env, &[&head[..], rest].concat())
    };
    let as_owner = with("SMART_SESSIONS_OWNER_KEY", &owner_hex);
    let as_redeemer = with("SMART_SESSIONS_SESSION_KEY", &r_hex);
    let as_redeemer2 = with("SMART_SESSIONS_SESSION_KEY", &r2_hex);

    // the account, as the library derives it (independent of the CLI), funded with 1000 mUSD
    let version = MeeVersionConfig::from_json(&summary["meeVersion"], Generation::Legacy).unwrap();
    let node = MeeClient::builder(&mee_url).api_key(&api_key).build().unwrap();
    let mut lib = MeeSessions::new(node, version);
    for (id, rpc) in ids.iter().zip(&rpcs) {
        lib = lib.chain(*id, ProviderBuilder::new().connect_http(rpc.parse().unwrap()).erased());
    }
    let account = lib.account(owner.address(), 0).await.unwrap().deployments[0].address;
    // `prepare --dry-run` names the same account and sends nothing
    let o = run(&as_owner, &["prepare", "--deployments", &stack, "--sponsored", "--dry-run"]);
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    let v = o.json()["output"].clone();
    assert_eq!(v["account"][c0.to_string()], json!(account), "{v}");
    assert_eq!(v["deployed"], json!({ c0.to_string(): false, c1.to_string(): false }), "{v}");
    let funder = ProviderBuilder::new().connect_http(rpcs[0].parse().unwrap());
    let mint = mintCall { to: account, amount: U256::from(1_000_000_000u64) };
    let mint = SolCallBuilder::new_sol(&funder, &token, &mint).from(FUNDER.parse().unwrap());
    mint.send().await.unwrap().get_receipt().await.unwrap();
    let balance = || call(&rpcs[0], token, balanceOfCall { owner: account });
    let count = |i: usize| call(&rpcs[i], counters[i], countOfCall { who: account });
    assert_eq!(balance().await, U256::from(1_000_000_000u64));

    // 1. prepare, fee in the token: the account is deployed on both chains and paid the fee
    let fee_token = format!("{c0}:{token}");
    let o = run(&as_owner, &["prepare", "--deployments", &stack, "--fee-token", &fee_token]);
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    let v = o.json()["output"].clone();
    assert_eq!(v["account"][c0.to_string()], json!(account), "{v}");
    assert_eq!(v["account"][c1.to_string()], json!(account), "{v}");
    assert_eq!(v["status"], "MINED_SUCCESS");
    assert!(s(&v, &["supertransactionHash"]).parse::<B256>().is_ok(), "{v}");
    let fee: U256 = s(&v, &["fee", "amount"]).parse().unwrap();
    assert!(fee > U256::ZERO);
    assert_eq!(balance().await, U256::from(1_000_000_000u64) - fee, "the prepare fee, on chain");
    for rpc in &rpcs {
        let p = ProviderBuilder::new().connect_http(rpc.parse().unwrap());
        assert!(!p.get_code_at(account).await.unwrap().is_empty(), "deployed on {rpc}");
    }

    // 2. grant with typed data: counter.increment() with sudo on both chains, fee budget 500 mUSD
    let actions = dir.path().join("actions.json");
    let entry = |c: u64, i: usize| json!({"chainId": c, "contractAddress": counters[i], "functionSelector": "0xd09de08a", "sudo": true});
    std::fs::write(&actions, json!({"actions": [entry(c0, 0), entry(c1, 1)]}).to_string()).unwrap();
    let actions = actions.to_str().unwrap();
    let typed = dir.path().join("typed.json");
    let typed = typed.to_str().unwrap();
    let r_addr = redeemer.address().to_string();
    let grant = |style: &str, redeemer: &str, out: &str, budget: &str| {
        run(
            &as_owner,
            &[
                "grant",
                "--deployments",
                &stack,
                style,
                "--redeemer",
                redeemer,
                "--request",
                actions,
                "--fee-token",
                &fee_token,
                "--max-payment-amount",
                budget,
                "--out",
                out,
            ],
        )
    };
    let o = grant("--typed-data", &r_addr, typed, "500000000");
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(typed).unwrap()).unwrap();
    let entries = written.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    // abstractjs `stringify` form: bigints tagged
    let cid = &entries[1]["enableSessionData"]["enableSession"]["sessionToEnable"]["chainId"];
    assert_eq!(cid, &json!({"__type": "bigint", "value": c1.to_string()}), "{cid}");
    let pids: Vec<String> = entries.iter().map(|e| s(e, &["permissionId"]).to_string()).collect();

    // 3. status: nothing enabled, the whole fee budget left
    let status = || {
        let o = run(
            &[],
            &[
                "status",
                "--deployments",
                &stack,
                "--owner",
                &owner.address().to_string(),
                "--details",
                typed,
            ],
        );
        assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
        o.json()["output"].clone()
    };
    let v = status();
    assert_eq!(
        v["enabled"],
        json!({ pids[0].clone(): { c0.to_string(): false }, pids[1].clone(): { c1.to_string(): false } })
    );
    assert_eq!(s(&v["sessions"][0], &["feeBudget", "remaining"]), "500000000", "{v}");
    assert!(v["sessions"][1]["feeBudget"].is_null(), "no payment policy on {c1}: {v}");

    // 4. use: auto picks ENABLE_AND_USE; both counters move, the fee is paid in the token
    let inc = |i: usize| format!("{}:{}:0:0xd09de08a", ids[i], counters[i]);
    let before = balance().await;
    let o = use_(
        &as_redeemer,
        typed,
        &[
            "--call",
            &inc(0),
            "--call",
            &inc(1),
            "--fee-token",
            &fee_token,
            "--verification-gas-limit",
            "2000000",
        ],
    );
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    let v = o.json()["output"].clone();
    assert_eq!(v["mode"], "ENABLE_AND_USE", "{v}");
    assert_eq!(v["status"], "MINED_SUCCESS");
    let fee: U256 = s(&v, &["fee", "amount"]).parse().unwrap();
    assert_eq!((count(0).await, count(1).await), (U256::from(1), U256::from(1)));
    assert_eq!(balance().await, before - fee, "the use fee, on chain");

    // 5. status: enabled on both chains, the fee budget lower by exactly the fee paid
    let v = status();
    assert_eq!(
        v["enabled"],
        json!({ pids[0].clone(): { c0.to_string(): true }, pids[1].clone(): { c1.to_string(): true } })
    );
    let left: U256 = s(&v["sessions"][0], &["feeBudget", "remaining"]).parse().unwrap();
    assert_eq!(left, U256::from(500_000_000u64) - fee, "{v}");

    // 6. use again: auto picks USE; sponsored, so no fee leaves the account
    let before = balance().await;
    let tank = format!("{c0}:{token}");
    let o = use_(&as_redeemer, typed, &["--call", &inc(0), "--sponsored", "--gas-tank", &tank]);
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    let v = o.json()["output"].clone();
    assert_eq!((v["mode"].as_str(), v["fee"].is_null()), (Some("USE"), true), "{v}");
    assert_eq!(count(0).await, U256::from(2));
    assert_eq!(balance().await, before, "sponsored: no fee");

    // 6b. the node takes the exec but its answer is lost: exit 3 with the hash, and the
    // supertransaction ran exactly once (the receipt, through the node itself, and the counter)
    let node_addr = mee_url.trim_start_matches("http://").split('/').next().unwrap().to_string();
    let proxy = mee_url.replacen(&node_addr, &lossy_exec_proxy(node_addr.clone()), 1);
    let mut lossy = as_redeemer.clone();
    lossy.retain(|(k, _)| k != "SMART_SESSIONS_MEE_URL");
    lossy.push(("SMART_SESSIONS_MEE_URL".into(), proxy));
    let o = use_(&lossy, typed, &["--call", &inc(0), "--sponsored", "--gas-tank", &tank]);
    assert_eq!(o.code, Some(3), "{} {}", o.stdout, o.stderr);
    let v = o.json();
    assert_eq!(v["outcome"], "unknown", "{v}");
    let hash = s(&v, &["supertransactionHash"]).to_string();
    assert!(
        s(&v, &["error"]).contains(&format!("smart-sessions mee receipt {hash} --wait")),
        "{v}"
    );
    let o = run(&as_redeemer, &["receipt", &hash, "--wait", "--timeout", "60"]);
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    assert_eq!(count(0).await, U256::from(3), "executed once");

    // 7. a refused call: a token transfer above the payment policy's bound; exit 1, the rule
    // named, nothing sent to the node, no fee
    let served = mee.node.request_counts();
    let steal = transferCall { to: redeemer.address(), amount: U256::from(501_000_000u64) };
    let steal = format!("{c0}:{token}:0:{}", Bytes::from(steal.abi_encode()));
    let before = balance().await;
    let o = use_(&as_redeemer, typed, &["--call", &steal, "--fee-token", &fee_token]);
    assert_eq!(o.code, Some(1), "{} {}", o.stdout, o.stderr);
    let e = s(&o.json(), &["error"]).to_string();
    assert!(e.contains("refused before sending (no fee taken)"), "{e}");
    assert!(e.contains(&format!("chain {c0} call 0 to {token}")) && e.contains("rule"), "{e}");
    assert_eq!(balance().await, before, "refused: no fee");
    let after = mee.node.request_counts();
    assert_eq!(after.get("quote"), served.get("quote"), "no quote for a refused call");
    assert_eq!(after.get("exec"), served.get("exec"));

    // 7b. the same call with `--skip-check`: quoted and signed, refused by the node's
    // simulation before anything is sent; exit 1 with the hash, still no fee
    let o =
        use_(&as_redeemer, typed, &["--call", &steal, "--fee-token", &fee_token, "--skip-check"]);
    assert_eq!(o.code, Some(1), "{} {}", o.stdout, o.stderr);
    let v = o.json();
    assert!(s(&v, &["supertransactionHash"]).parse::<B256>().is_ok(), "{v}");
    assert_eq!(v["checked"], false, "{v}");
    assert_eq!(balance().await, before, "refused by the simulation: no fee");
    let quotes = |m: &std::collections::BTreeMap<&str, u64>| m.get("quote").copied();
    assert_eq!(quotes(&mee.node.request_counts()), quotes(&after).map(|q| q + 1));

    // 8. the personal-sign style: a second redeemer, ENABLE_AND_USE sponsored on the second chain
    let personal = dir.path().join("personal.json");
    let personal = personal.to_str().unwrap();
    let o = grant("--personal", &redeemer2.address().to_string(), personal, "1000000");
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    assert_eq!(o.json()["output"]["style"], "personal");
    let o = use_(
        &as_redeemer2,
        personal,
        &[
            "--call",
            &inc(1),
            "--sponsored",
            "--gas-tank",
            &tank,
            "--verification-gas-limit",
            "2000000",
        ],
    );
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    assert_eq!(o.json()["output"]["mode"], "ENABLE_AND_USE");
    assert_eq!(count(1).await, U256::from(2));

    // `--account` instead of `--owner` names the same account
    let o = run(
        &[],
        &[
            "status",
            "--deployments",
            &stack,
            "--account",
            &account.to_string(),
            "--details",
            personal,
        ],
    );
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    // used on the second chain only: enabled there, still pending on the first
    let v = o.json()["output"].clone();
    assert_eq!(
        (&v["sessions"][0]["enabled"], &v["sessions"][1]["enabled"]),
        (&json!(false), &json!(true)),
        "{v}"
    );
    drop(mee);
}
