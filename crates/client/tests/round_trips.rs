//! JSON-RPC round trips of the whole legacy flow (deploy, install, trust attesters, grant, two
//! uses) through `NexusClient`, counted by the transport layer, with gas used and the bytes of
//! each operation's signature and callData. Prints the table BENCHMARKS.md records:
//!
//! ```text
//! cargo test -p smart-sessions-client --test round_trips -- --nocapture
//! ```
//!
//! Asserts what does not depend on timing: every operation is included (no under-estimate), a
//! steady-state session operation makes no node call and exactly three non-polling bundler
//! calls (gas price, estimate, send), and the whole flow stays within the issue's 30 round trips.

use alloy_primitives::{Address, B256, U256};
use alloy_provider::ext::AnvilApi;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use smart_sessions_bindings::erc20::ERC20::transferCall;
use smart_sessions_client::{
    NexusAccount, NexusClient, NexusDeployment, Precheck, Sent, SessionRequest,
    transport::RoundTrips,
};
use smart_sessions_codec::{Execution, execute::decode_execute};
use smart_sessions_devnet::{Devnet, Options};
use std::collections::BTreeMap;

mod common;

struct Row {
    step: &'static str,
    node: u64,
    bundler: u64,
    polls: u64,
    sent: Option<Sent>,
}

fn polls(m: &BTreeMap<String, u64>) -> u64 {
    m.get("eth_getUserOperationReceipt").copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn whole_legacy_flow_round_trips() {
    let d = Devnet::start_with(Options { chain_id: 31362, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (node, bundler, nt, bt) = common::counted(&d);
    let owner = PrivateKeySigner::random();
    let mut rows: Vec<Row> = Vec::new();
    let take = |step, sent: Option<Sent>, nt: &RoundTrips, bt: &RoundTrips| {
        let row =
            Row { step, node: nt.total(), bundler: bt.total(), polls: polls(&bt.methods()), sent };
        nt.reset();
        bt.reset();
        row
    };

    // the NexusAccountFactory path (the devnet's and the MEE configurations'): two views
    let account = NexusAccount::counterfactual(
        &node,
        NexusDeployment {
            entry_point: a.entry_point,
            factory: a.nexus_factory,
            bootstrap: a.nexus_bootstrap,
        },
        a.owner_validator,
        owner.address().to_vec().into(),
        B256::ZERO,
    )
    .await
    .unwrap();
    let client = NexusClient::new(node.clone(), bundler.clone(), common::deployments(&d), account)
        .await
        .unwrap();
    rows.push(take("account address + chain id", None, &nt, &bt));
    // funding and minting are the test's, not the flow's
    node.anvil_set_balance(client.address(), U256::from(10u64).pow(U256::from(18u64)))
        .await
        .unwrap();
    d.mint_tokens(client.address(), U256::from(10_000)).await.unwrap();
    nt.reset();
    bt.reset();

    let prepared = client.prepare(&owner).await.unwrap();
    rows.push(take("deploy + install SmartSession", prepared, &nt, &bt));

    let key = PrivateKeySigner::random();
    let request: SessionRequest = serde_json::from_value(serde_json::json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [{
            "contractAddress": a.token,
            "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": 2, "offsetIndex": 1, "isLimited": true, "ref": 1000,
                        "usage": { "limit": 1500, "used": 0 } }]
        }]
    }))
    .unwrap();
    let grant = client.grant_permission(&owner, &[request]).await.unwrap();
    // the registry showed no trusted attester: trustAttesters went into the same operation
    let (_, calls) = decode_execute(&grant.sent.user_op.call_data).unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].target, a.registry);
    let details = grant.sessions[0].clone();
    rows.push(take("trust attesters + grant", Some(grant.sent), &nt, &bt));

    let call = Execution::new(
        a.token,
        U256::ZERO,
        transferCall { to: Address::repeat_byte(0x42), amount: U256::from(100) }.abi_encode(),
    );
    for step in ["use #1 (USE, off-chain check)", "use #2 (steady state)"] {
        let sent = client
            .use_permission(&key, &details, std::slice::from_ref(&call), Precheck::On)
            .await
            .unwrap();
        rows.push(take(step, Some(sent), &nt, &bt));
    }
    for _ in 0..3 {
        let sent = client
            .use_permission(&key, &details, std::slice::from_ref(&call), Precheck::On)
            .await
            .unwrap();
        rows.push(take("use #3.. (steady state)", Some(sent), &nt, &bt));
    }

    println!(
        "| step | node RTT | bundler RTT (receipt polls) | total | gas used | signature bytes | callData bytes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut total = 0;
    for r in &rows {
        let (gas, sig, cd) = r.sent.as_ref().map_or_else(
            || ("–".into(), "–".into(), "–".into()),
            |s| {
                (
                    s.gas_used().to_string(),
                    s.user_op.signature.len().to_string(),
                    s.user_op.call_data.len().to_string(),
                )
            },
        );
        println!(
            "| {} | {} | {} ({}) | {} | {gas} | {sig} | {cd} |",
            r.step,
            r.node,
            r.bundler,
            r.polls,
            r.node + r.bundler
        );
    }
    for r in rows.iter().take(5) {
        total += r.node + r.bundler;
    }
    println!("whole legacy flow (first five rows): {total} round trips");

    for r in &rows[3..] {
        assert!(r.sent.as_ref().unwrap().receipt.success);
    }
    for r in &rows[4..] {
        assert_eq!(r.node, 0, "{}: steady state reads nothing from the node", r.step);
        // the fees of use #1 are reused (ClientOptions::gas_price_max_age, 10 s)
        assert_eq!(r.bundler - r.polls, 2, "{}: estimate, send (fees reused)", r.step);
        assert!(r.polls >= 1, "{}: the receipt was polled", r.step);
    }
    assert!(total <= 30, "whole flow: {total} round trips");
}
