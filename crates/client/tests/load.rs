//! Issue 12 item 5, small size (run by `cargo xtask test`): one account, N session keys, each
//! sending M uses one after another, all keys at once from one process: once through one shared
//! `NexusClient` (tasks on an `Arc`), once with one client per key.
//!
//! What is compared with what: every use returned a successful receipt, the hashes are
//! distinct, the bundler got exactly one `eth_sendUserOperation` per use (an `AA25` nonce
//! collision would show as a refused send and a retry), and ON CHAIN for every key: the
//! recipient's token balance is AMOUNT × uses, the UniActionPolicy rule's `used` counter is the
//! same sum (read by a fresh client), and the EntryPoint nonce of the key's lane is the number
//! of uses. Size: `LOAD_KEYS` (default 10) × `LOAD_OPS` (default 5); the full size (50 × 20) is
//! `cargo run -p smart-sessions-client --example load`.

use smart_sessions_devnet::{Devnet, Options};
use std::time::Duration;

mod fault_support;
use fault_support::{Mode, checker, env_usize, init, run_load, setup, verify_key};

#[tokio::test(flavor = "multi_thread")]
async fn many_session_keys_one_account_all_included_exactly_once() {
    init();
    let keys = env_usize("LOAD_KEYS", 10);
    let ops = env_usize("LOAD_OPS", 5);
    let d = Devnet::start_with(Options { chain_id: 31381, paymaster: false, ..Options::default() })
        .await
        .expect("devnet");
    // the first half of the keys through one shared client, the second half one client each
    let s = setup(&d, 2 * keys).await;
    let bound = Duration::from_secs(90);
    for (mode, range) in [(Mode::Shared, 0..keys), (Mode::PerKey, keys..2 * keys)] {
        let run = run_load(&d, &s, range.clone(), ops, mode, bound).await;
        println!(
            "{mode:?}: {} ops in {:.2?} ({:.1}/s), {} sends, {:.2} round trips/op, errors {:?}",
            run.ops,
            run.elapsed,
            run.per_second(),
            run.sends,
            run.trips_per_op(),
            run.errors
        );
        assert!(run.errors.is_empty(), "{mode:?}: errors {:?}", run.errors);
        assert_eq!(run.reverted, 0, "{mode:?}: reverted or under-estimated");
        assert_eq!(run.included, run.ops, "{mode:?}: all included");
        assert_eq!(run.distinct, run.ops, "{mode:?}: distinct hashes");
        assert_eq!(run.sends, run.ops as u64, "{mode:?}: one send per use, no AA25 retry");
        let c = checker(&d, &s).await;
        let mut bad = Vec::new();
        for i in range {
            bad.extend(verify_key(&d, &s, &c, i, ops as u64).await);
        }
        assert!(bad.is_empty(), "{mode:?}: on chain: {bad:?}");
    }

    // steady state, one key, one client: the estimate, the send, the receipt polls (the fees
    // read by the first use are reused for `gas_price_max_age`); nothing from the node
    let (c, nt, bt) = fault_support::client(
        &d,
        &d.rpc_url,
        d.bundler_url.as_deref().unwrap(),
        &s.account,
        smart_sessions_client::ClientOptions::default(),
    )
    .await;
    let call = fault_support::pay(s.token, 0);
    let once = || {
        c.use_permission(
            &s.keys[0],
            &s.details[0],
            std::slice::from_ref(&call),
            smart_sessions_client::Precheck::On,
        )
    };
    once().await.unwrap(); // learns the nonce, the gas-price method, the inclusion time
    for n in 0..3 {
        nt.reset();
        bt.reset();
        assert!(once().await.unwrap().receipt.success);
        let polls = bt.methods().get("eth_getUserOperationReceipt").copied().unwrap_or(0);
        println!(
            "steady state #{n}: node {}, bundler {} ({polls} receipt polls)",
            nt.total(),
            bt.total()
        );
        assert_eq!(nt.total(), 0, "steady state reads nothing from the node");
        assert_eq!(bt.total() - polls, 2, "estimate, send (fees reused)");
        assert_eq!(
            bt.methods().get("pimlico_getUserOperationGasPrice"),
            None,
            "no fee request in the steady state"
        );
        assert!(polls >= 1);
    }
    let checker = checker(&d, &s).await;
    assert!(verify_key(&d, &s, &checker, 0, ops as u64 + 4).await.is_empty());
}
