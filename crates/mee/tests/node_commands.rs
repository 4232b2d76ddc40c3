//! The functions behind `smart-sessions mee info|receipt` against the local stand-in server
//! (`tests/node_server`): summaries, the `createMeeClient` chain check, exit classes, JSON output.

mod node_server;

use std::time::Duration;

use alloy_primitives::B256;
use node_server::{Action, Server, json_response};
use serde_json::json;
use smart_sessions_mee::node::{
    ReceiptMode, WaitOptions,
    commands::{ReceiptExit, connect, info_summary, receipt, receipt_json},
};

#[tokio::test]
async fn info_summary_reports_unsupported_chains_and_hides_the_key() {
    let server = Server::start(|_| {
        json_response(200, r#"{"version":"2.0.0-local","supportedChains":[{"chainId":"10"},{"chainId":8453}],"supportedGasTokens":[{"chainId":"0x2105"}]}"#)
    })
    .await;
    let url = format!("{}?k=HIDDEN", server.url("/v1"));
    let node = connect(Some(&url), Some("KEYHIDDEN".into()), Duration::from_secs(5)).unwrap();
    let summary = info_summary(&node, &[8453, 1, 10]).await.unwrap();
    assert_eq!(summary.supported_chains, [10, 8453]);
    assert_eq!(summary.gas_token_chains, [8453]);
    assert_eq!(summary.unsupported, [1]);
    let out = summary.to_json().to_string();
    assert!(!out.contains("HIDDEN"), "{out}");
    assert_eq!(summary.node, format!("http://{}/v1?<redacted>", server.host()));
}

#[tokio::test]
async fn receipt_exit_classes() {
    let ok = r#"{"userOps":[{},{"executionStatus":"MINED_SUCCESS","isConfirmed":true,"chainId":"10","executionData":"0xab"}]}"#;
    let failed = r#"{"userOps":[{},{"executionStatus":"FAILED","executionError":"boom"}]}"#;
    let pending = r#"{"userOps":[{},{"executionStatus":"PENDING"}]}"#;
    let server = Server::start(move |req| {
        let body = if req.target.ends_with("01") {
            ok
        } else if req.target.ends_with("02") {
            failed
        } else if req.target.ends_with("03") {
            pending
        } else {
            return Action::Hang;
        };
        json_response(200, body)
    })
    .await;
    let node = connect(Some(&server.url("/v1")), None, Duration::from_millis(300)).unwrap();
    let hash = |b: u8| B256::with_last_byte(b);
    let wait = Some(
        WaitOptions::default()
            .poll_interval(Duration::from_millis(20))
            .timeout(Duration::from_millis(200)),
    );

    let r = receipt(&node, hash(1), ReceiptMode::Default, None).await;
    assert_eq!(ReceiptExit::of(&r).code(), 0);
    let out = receipt_json(hash(1), &r);
    assert_eq!(
        out["userOps"],
        json!([{"chainId": "10", "executionStatus": "MINED_SUCCESS", "executionData": "0xab"}])
    );

    let r = receipt(&node, hash(2), ReceiptMode::Default, None).await;
    assert_eq!(ReceiptExit::of(&r), ReceiptExit::Failed);
    let out = receipt_json(hash(2), &r);
    assert_eq!((out["kind"].as_str(), out["userOpIndex"].as_u64()), (Some("failed"), Some(0)));
    assert_eq!(out["executionError"], "boom");

    let r = receipt(&node, hash(3), ReceiptMode::Default, None).await;
    assert_eq!(ReceiptExit::of(&r), ReceiptExit::NotFinal);
    let r = receipt(&node, hash(3), ReceiptMode::Default, wait).await;
    assert_eq!(ReceiptExit::of(&r).code(), 2, "timeout: unknown outcome");

    let r = receipt(&node, hash(4), ReceiptMode::Default, None).await;
    assert_eq!(ReceiptExit::of(&r), ReceiptExit::Unknown, "request timeout");
    assert_eq!(receipt_json(hash(4), &r)["kind"], "unknown");
}
