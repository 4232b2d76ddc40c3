//! The `smart-sessions demo --mee` flow (`crates/cli/src/mee_flow.rs`, compiled here as well
//! until the CLI wires it) against the local MEE node: every step ends as the flow promises.
//! The chain-level outcomes of the same flows are asserted in `tests/flows_devnet.rs`.

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../../cli/src/mee_flow.rs"]
mod mee_flow;

use std::time::Duration;

use smart_sessions_mee_node::MeeDevnet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mee_demo_completes_every_step() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let served_before = mee.node.request_counts();
    let steps = tokio::time::timeout(Duration::from_secs(600), mee_flow::run_demo(&mee.summary()))
        .await
        .expect("bounded")
        .unwrap_or_else(|e| panic!("demo failed: {e:?}"));
    for s in &steps {
        eprintln!("{}", s.to_json());
    }
    // the client's count of node calls against what the node served (independent): every
    // quote and exec, plus one per receipt wait (5 waits: fund, prepare, the receipt, the
    // sponsored use, the budget grant's enable), whose polls the node serves as explorer calls
    let served = mee.node.request_counts();
    let count =
        |k: &str| served.get(k).copied().unwrap_or(0) - served_before.get(k).copied().unwrap_or(0);
    let client: u64 = steps.iter().map(|s| u64::from(s.round_trips.node)).sum();
    assert_eq!(client, count("quote") + count("exec") + 5, "served: {served:?}");
    assert!(count("explorer") >= 5, "served: {served:?}");
    let names: Vec<&str> = steps.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "fund the account",
            "prepare",
            "grant (typed data)",
            "enable and use (both chains)",
            "wait for the receipt",
            "use (sponsored)",
            "is permission enabled",
            "check enabled permissions",
            "refused call",
            "fee budget runs out",
        ]
    );
    let prepare = &steps[1];
    assert!(prepare.fee.is_some_and(|f| !f.is_zero()), "prepare paid a fee in the token");
    assert_eq!(prepare.round_trips.node, 3, "quote + exec + one receipt wait");
    assert_eq!(steps[2].round_trips.node, 0, "a grant is off-chain");
    assert_eq!(
        steps[8].round_trips.node + steps[8].round_trips.chain,
        0,
        "refused before any request"
    );
    assert!(steps[8].detail.contains("refused"), "{}", steps[8].detail);
}
