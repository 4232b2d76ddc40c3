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
        for (kind, n) in error_kinds(&run.errors) {
            eprintln!("  {n} × {kind}");
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
    let log = d.alto_log();
    let dropped = log.iter().filter(|l| l.contains("2nd Validation error")).count();
    eprintln!(
        "Alto's log: {} lines kept, {dropped} operations dropped at the second validation",
        log.len()
    );
    let short: Vec<String> = log.iter().map(|l| l.chars().take(240).collect()).collect();
    for (kind, n) in error_kinds(&short).into_iter().take(8) {
        eprintln!("  alto: {n} × {kind}");
    }
    drop(d);
    if bad > 0 || duplicates > 0 || lost > 0 || !mismatches.is_empty() {
        std::process::exit(1);
    }
}

/// The errors grouped by their text with hashes and numbers blanked, most frequent first.
fn error_kinds(errors: &[String]) -> Vec<(String, usize)> {
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for e in errors {
        let mut k = String::new();
        let mut chars = e.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '0' && chars.peek() == Some(&'x') {
                chars.next();
                while chars.peek().is_some_and(char::is_ascii_hexdigit) {
                    chars.next();
                }
                k.push_str("0x…");
            } else if c.is_ascii_digit() {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                k.push('N');
            } else {
                k.push(c);
            }
        }
        *kinds.entry(k).or_default() += 1;
    }
    let mut v: Vec<_> = kinds.into_iter().collect();
    v.sort_by_key(|k| std::cmp::Reverse(k.1));
    v
}
