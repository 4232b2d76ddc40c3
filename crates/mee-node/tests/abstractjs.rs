//! The independent check: the real `@biconomy/abstractjs` 1.2.3 (pinned in `js/package-lock.json`,
//! installed with `npm ci` into a cache directory on first use) runs an owner supertransaction
//! with a fee token on chains 8453 and 10 against the local node (`js/owner-flow.mjs`), with the
//! stack's custom MEE version, then the same sponsored (`sponsorship: true`). The test checks on
//! chain what the SDK's receipt claims: the counter was incremented by the SDK's account on both
//! chains, and the fee the node quoted reached the fee recipient (nothing moved when sponsored).

use alloy_contract::SolCallBuilder;
use alloy_primitives::{Address, U256, hex, keccak256};
use alloy_sol_types::SolCall;
use serde_json::Value;
use smart_sessions_bindings::erc20::ERC20::balanceOfCall;
use smart_sessions_mee_node::{MeeDevnet, contracts::MeeCounter::countOfCall};
use std::{path::PathBuf, process::Stdio, time::Duration};

const PACKAGE_JSON: &str = include_str!("../js/package.json");
const PACKAGE_LOCK: &str = include_str!("../js/package-lock.json");
const OWNER_FLOW: &str = include_str!("../js/owner-flow.mjs");

/// `npm ci` of the pinned lock into `<cache>/mee-node-js-<lock hash>` (once).
fn install() -> PathBuf {
    let id = keccak256(PACKAGE_LOCK.as_bytes());
    let dir =
        smart_sessions_devnet::cache_root().join(format!("mee-node-js-{}", hex::encode(&id[..8])));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("owner-flow.mjs"), OWNER_FLOW).unwrap();
    if !dir.join(".installed").exists() {
        std::fs::write(dir.join("package.json"), PACKAGE_JSON).unwrap();
        std::fs::write(dir.join("package-lock.json"), PACKAGE_LOCK).unwrap();
        let out = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .output()
            .expect("npm runs");
        assert!(out.status.success(), "npm ci: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(dir.join(".installed"), "").unwrap();
    }
    dir
}

async fn read<C: SolCall>(mee: &MeeDevnet, chain_id: u64, to: Address, c: C) -> C::Return {
    let chain = mee.chain(chain_id).unwrap();
    let p = chain.devnet.provider_for(&chain.devnet.deployer).unwrap();
    SolCallBuilder::new_sol(&p, &to, &c).call().await.unwrap()
}

/// Runs `owner-flow.mjs` with `flow` and returns its JSON line.
async fn run_flow(dir: &std::path::Path, mee: &MeeDevnet, flow: &str) -> Value {
    let child = tokio::process::Command::new("node")
        .arg("owner-flow.mjs")
        .current_dir(dir)
        .env("MEE_SUMMARY", mee.summary().to_string())
        .env("FLOW", flow)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let out = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .expect("abstractjs finishes within 180 s")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "owner-flow.mjs ({flow}) failed: {stderr}");
    let run: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(run["receipt"]["transactionStatus"], "MINED_SUCCESS", "{}", run["receipt"]);
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abstractjs_runs_owner_supertransactions_against_the_node() {
    let dir = tokio::task::spawn_blocking(install).await.unwrap();
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let base = mee.chain(8453).unwrap();
    let (counter, token) = (base.contracts.counter, base.contracts.fee_token);

    // With the fee token.
    let run = run_flow(&dir, &mee, "fee").await;
    let account: Address = run["account"].as_str().unwrap().parse().unwrap();
    assert_eq!(read(&mee, 8453, counter, countOfCall { who: account }).await, U256::from(1));
    assert_eq!(read(&mee, 10, counter, countOfCall { who: account }).await, U256::from(1));
    let fee: U256 =
        run["quote"]["paymentInfo"]["tokenWeiAmount"].as_str().unwrap().parse().unwrap();
    assert!(fee > U256::ZERO);
    assert_eq!(read(&mee, 8453, token, balanceOfCall { owner: mee.fee_recipient }).await, fee);
    assert_eq!(
        read(&mee, 8453, token, balanceOfCall { owner: account }).await,
        U256::from(100_000_000u64) - fee
    );

    // Sponsored: another account (fresh signer), no token moves.
    let run = run_flow(&dir, &mee, "sponsored").await;
    assert_eq!(run["quote"]["paymentInfo"]["sponsored"], true);
    let account: Address = run["account"].as_str().unwrap().parse().unwrap();
    assert_eq!(read(&mee, 8453, counter, countOfCall { who: account }).await, U256::from(1));
    assert_eq!(read(&mee, 10, counter, countOfCall { who: account }).await, U256::from(1));
    assert_eq!(
        read(&mee, 8453, token, balanceOfCall { owner: account }).await,
        U256::from(100_000_000u64)
    );
    assert_eq!(read(&mee, 8453, token, balanceOfCall { owner: mee.fee_recipient }).await, fee);
}
