//! Observability: every flow and network step leaves a span (flow, chain id, user-op hash), and
//! nothing that is logged — at any level — contains key material.

use alloy_primitives::{U256, hex};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::json;
use smart_sessions_bindings::erc20::ERC20::transferCall;
use smart_sessions_client::{NexusClient, Precheck, SessionRequest};
use smart_sessions_codec::Execution;
use smart_sessions_devnet::{Devnet, Options};
use std::{
    io::Write,
    sync::{Arc, Mutex},
};

mod common;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn flows_leave_spans_with_chain_and_user_op_hash_and_no_key_material() {
    let d = Devnet::start_with(Options { chain_id: 31366, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (node, bundler, _, _) = common::counted(&d);
    let owner = PrivateKeySigner::random();
    let key = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&node, &d, owner.address()).await;
    let client = NexusClient::new(node, bundler, common::deployments(&d), account).await.unwrap();
    let request: SessionRequest = serde_json::from_value(json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [{ "contractAddress": a.token, "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": false, "ref": 10 }] }]
    }))
    .unwrap();
    let grant = client.grant_permission(&owner, &[request]).await.unwrap();
    let details = client.grant_permission_personal_sign(&owner, &serde_json::from_value(json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [{ "contractAddress": a.token, "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": false, "ref": 10 }] }]
    })).unwrap()).await.unwrap();
    let call = Execution::new(
        a.token,
        U256::ZERO,
        transferCall { to: a.counter, amount: U256::ZERO }.abi_encode(),
    );
    let sent = client
        .use_permission(&key, &grant.sessions[0], std::slice::from_ref(&call), Precheck::On)
        .await
        .unwrap();
    // the off-chain grant's first use: ENABLE_AND_USE
    client.use_permission(&key, &details, &[call], Precheck::On).await.unwrap();
    drop(_guard);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for span in [
        "grant_sessions",
        "use_permission",
        "user_operation",
        "eth_sendUserOperation",
        "grant_deferred",
    ] {
        assert!(log.contains(span), "no {span} span in:\n{log}");
    }
    assert!(log.contains("chain_id=31366"), "{log}");
    assert!(log.contains(&sent.user_op_hash.to_string()), "the user-op hash is recorded");
    for secret in [hex::encode(owner.to_bytes()), hex::encode(key.to_bytes())] {
        assert!(!log.contains(&secret), "key material in the log");
    }
}
