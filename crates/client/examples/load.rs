//! The full-size load run of issue 12 (items 5 and 6) on a devnet it starts and stops: one Nexus
//! account, session keys each sending uses one after another, all keys at once, through one
//! shared `NexusClient`: 1 key, then 10 keys, then `LOAD_KEYS` (default 50) keys, each
//! `LOAD_OPS` (default 20) uses; the last phase is the 50 × 20 = 1,000 operations from one
//! process. Prints a Markdown table: operations per second, round trips per operation (node and
//! bundler, receipt polls apart), under-estimated operations, nonce collisions, duplicates and
//! lost operations, the last three read ON CHAIN (recipients' balances, the policies' `used`
//! counters, the lanes' EntryPoint nonces). Exits non-zero if any operation was lost,
//! duplicated, collided or under-estimated.
//!
//! Alto keeps at most `--mempool-max-parallel-ops` (default 10) operations of one sender on
//! different nonce keys in its mempool; the devnet starts it with the default, so more than 10
//! concurrent keys on one account exceed what this bundler holds at once.
//!
//! ```text
//! cargo run -p smart-sessions-client --example load
//! LOAD_KEYS=50 LOAD_OPS=20 cargo run --release -p smart-sessions-client --example load
//! ```

use smart_sessions_devnet::{Devnet, Options};
use std::time::Duration;

#[path = "../tests/fault_support/mod.rs"]
mod fault_support;
use fault_support::{AMOUNT, Mode, balance, checker, env_usize, init, recipient, run_load, setup};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    init();
    let keys = env_usize("LOAD_KEYS", 50).max(10);
    let ops = env_usize("LOAD_OPS", 20);
    eprintln!("starting the devnet ...");
    let d = Devnet::start_with(Options { chain_id: 31390, paymaster: false, ..Options::default() })
        .await
        .expect("devnet");
    eprintln!("deploying the account and granting {keys} sessions ...");
    let s = setup(&d, keys).await;
    let mut expected = vec![0u64; keys];
    println!(
        "| concurrent keys | operations | ops/s | round trips/op (node + bundler) | receipt polls/op | sends/op | under-estimated | collisions (AA25) | errors |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut bad = 0usize;
    for n in [1, 10, keys] {
        let bound = Duration::from_secs(60 + (n * ops) as u64);
        let run = run_load(&d, &s, 0..n, ops, Mode::Shared, bound).await;
        for e in expected.iter_mut().take(n) {
            *e += ops as u64;
        }
        let collisions = run.collisions() + (run.sends as usize).saturating_sub(run.ops);
        println!(
            "| {n} | {} | {:.1} | {:.2} ({:.2} + {:.2}) | {:.2} | {:.2} | {} | {collisions} | {} |",
            run.ops,
            run.per_second(),
            run.trips_per_op(),
            run.node_trips as f64 / run.ops as f64,
            run.bundler_trips as f64 / run.ops as f64,
            run.polls as f64 / run.ops as f64,
            run.sends as f64 / run.ops as f64,
            run.reverted,
            run.errors.len(),
        );
        for e in run.errors.iter().take(5) {
            eprintln!("  error: {e}");
        }
        bad += run.reverted + collisions + run.errors.len();
    }
    // on chain: every key's recipient, rule counter and lane nonce against the uses sent
    let c = checker(&d, &s).await;
    let (mut duplicates, mut lost, mut mismatches) = (0u64, 0u64, Vec::new());
    for (i, want) in expected.iter().enumerate() {
        let got = balance(c.node(), s.token, recipient(i)).await.saturating_to::<u64>() / AMOUNT;
        duplicates += got.saturating_sub(*want);
        lost += want.saturating_sub(got);
        mismatches.extend(fault_support::verify_key(&d, &s, &c, i, *want).await);
    }
    let total: u64 = expected.iter().sum();
    println!();
    println!(
        "on chain, {total} operations over {keys} keys: duplicates {duplicates}, lost {lost}, counter or nonce mismatches {}",
        mismatches.len()
    );
    for m in mismatches.iter().take(5) {
        eprintln!("  {m}");
    }
    drop(d);
    if bad > 0 || duplicates > 0 || lost > 0 || !mismatches.is_empty() {
        std::process::exit(1);
    }
}
