//! `wait_for_supertransaction_receipt` against a scripted explorer on 127.0.0.1 (our own test
//! stand-in, `tests/node_server`): final success after pending polls, typed failures naming the
//! userOp and the node's message, and bounded waits whose timeout carries the hash.

mod node_server;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use node_server::{Action, Server, json_response};
use serde_json::{Value, json};
use smart_sessions_mee::node::{
    FailureKind, MeeClient, NodeCall, NodeError, ReceiptError, ReceiptMode, TransactionStatus,
    WaitOptions,
};

const HASH: &str = "0x9a1c3ed1f8ed0b1de9e5fcb5e9b3a1f7a4c3b2a19081726354f3e2d1c0b0a001";

fn op(status: &str, confirmed: bool, error: Option<&str>) -> Value {
    let mut op = json!({
        "userOpHash": "0x1111111111111111111111111111111111111111111111111111111111111111",
        "meeUserOpHash": "0x2222222222222222222222222222222222222222222222222222222222222222",
        "chainId": "8453",
        "executionStatus": status,
        "executionData": "0xabababababababababababababababababababababababababababababababab",
        "isConfirmed": confirmed,
    });
    if let Some(e) = error {
        op["executionError"] = json!(e);
    }
    op
}

fn explorer(ops: &[Value]) -> String {
    json!({"hash": HASH, "userOps": ops}).to_string()
}

fn fast(timeout: Duration) -> WaitOptions {
    WaitOptions::new(ReceiptMode::Default).poll_interval(Duration::from_millis(20)).timeout(timeout)
}

fn client(server: &Server, timeout: Duration) -> MeeClient {
    MeeClient::builder(server.url("/v1")).timeout(timeout).build().unwrap()
}

#[tokio::test]
async fn pending_then_mined_success_is_returned_once_final() {
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let server = Server::start(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let body = match n {
            0 => explorer(&[op("MINED_SUCCESS", true, None), op("PENDING", false, None)]),
            1 => explorer(&[op("MINED_SUCCESS", true, None), op("MINING", false, None)]),
            // mined but not yet confirmed: still not final in default mode
            2 => explorer(&[op("MINED_SUCCESS", true, None), op("MINED_SUCCESS", false, None)]),
            _ => explorer(&[op("MINED_SUCCESS", true, None), op("MINED_SUCCESS", true, None)]),
        };
        json_response(200, &body)
    })
    .await;
    let node = client(&server, Duration::from_secs(5));
    let hash: B256 = HASH.parse().unwrap();
    let receipt =
        node.wait_for_supertransaction_receipt(hash, fast(Duration::from_secs(5))).await.unwrap();
    assert_eq!(receipt.status(), TransactionStatus::MinedSuccess);
    assert!(receipt.is_finalised());
    assert_eq!(receipt.fold.message, "[0] Transaction executed successfully");
    assert_eq!(receipt.user_ops().len(), 1, "the payment op is not reported");
    assert_eq!(polls.load(Ordering::SeqCst), 4);
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert!(targets.iter().all(|t| *t == format!("/v1/explorer/{HASH}")), "{targets:?}");
}

#[tokio::test]
async fn failed_with_an_execution_error_names_the_user_op_and_the_message() {
    let server = Server::start(|_| {
        json_response(
            200,
            &explorer(&[
                op("MINED_SUCCESS", true, None),
                json!({"executionStatus": "FAILED", "isCleanUpUserOp": true, "executionError": "cleanup"}),
                op("MINED_SUCCESS", true, None),
                op("FAILED", true, Some("execution reverted: errorArgs=[0, \"AA23 reverted (or OOG)\"]")),
            ]),
        )
    })
    .await;
    let node = client(&server, Duration::from_secs(5));
    let hash: B256 = HASH.parse().unwrap();
    let err = node
        .wait_for_supertransaction_receipt(hash, fast(Duration::from_secs(5)))
        .await
        .unwrap_err();
    match &err {
        ReceiptError::Failed { hash: h, kind, index, position, execution_error, message } => {
            assert_eq!(*h, hash);
            assert_eq!(*kind, FailureKind::OffChain);
            // The cleanup op (explorer position 1) is not counted: the failing op is [1] of
            // the counted ops and position 3 of the explorer's list.
            assert_eq!((*index, *position), (1, 3));
            assert_eq!(
                execution_error.as_ref().unwrap().as_str(),
                "execution reverted: errorArgs=[0, \"AA23 reverted (or OOG)\"]"
            );
            // parseErrorMessage("[1] execution reverted: errorArgs=[0, \"AA23 …\"]")
            assert_eq!(message.as_str(), "AA23 reverted (or OOG)");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_unknown_outcome());
    assert_eq!(server.requests().len(), 1, "a failure is final: no further polls");
}

#[tokio::test]
async fn mined_fail_without_message_uses_the_sdk_default() {
    let server = Server::start(|_| {
        json_response(
            200,
            &explorer(&[op("MINED_SUCCESS", true, None), op("MINED_FAIL", true, None)]),
        )
    })
    .await;
    let node = client(&server, Duration::from_secs(5));
    let err = node
        .get_supertransaction_receipt(HASH.parse().unwrap(), ReceiptMode::Default)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ReceiptError::Failed { kind: FailureKind::OnChain, index: 0, position: 1, execution_error: None, message, .. }
            if message.as_str() == "[0] Transaction failed on-chain"),
        "{err:?}"
    );
}

#[tokio::test]
async fn always_pending_times_out_with_the_hash_within_the_bound() {
    let server = Server::start(|_| {
        json_response(
            200,
            &explorer(&[op("MINED_SUCCESS", true, None), op("PENDING", false, None)]),
        )
    })
    .await;
    let node = client(&server, Duration::from_secs(5));
    let hash: B256 = HASH.parse().unwrap();
    let started = Instant::now();
    let err = node
        .wait_for_supertransaction_receipt(hash, fast(Duration::from_millis(400)))
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(err, ReceiptError::Timeout { hash: h, last: Some(TransactionStatus::Pending), .. } if h == hash),
        "{err:?}"
    );
    assert!(err.is_unknown_outcome());
    assert!(waited >= Duration::from_millis(390) && waited < Duration::from_secs(2), "{waited:?}");
    assert!(server.requests().len() >= 3, "polled repeatedly");
    assert!(err.to_string().contains(HASH), "{err}");
}

#[tokio::test]
async fn a_slow_explorer_is_cut_by_the_wait_bound() {
    // Each answer takes 2 s; the whole wait is bounded at 300 ms.
    let server = Server::start(|_| {
        Action::After(
            Duration::from_secs(2),
            Box::new(json_response(200, &explorer(&[op("MINED_SUCCESS", true, None)]))),
        )
    })
    .await;
    let node = client(&server, Duration::from_secs(10));
    let hash: B256 = HASH.parse().unwrap();
    let started = Instant::now();
    let err = node
        .wait_for_supertransaction_receipt(hash, fast(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(matches!(err, ReceiptError::Timeout { last: None, .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_slow_explorer_beyond_the_request_timeout_is_a_failed_poll_with_the_hash() {
    let server = Server::start(|_| {
        Action::After(Duration::from_secs(2), Box::new(json_response(200, "{}")))
    })
    .await;
    let node = client(&server, Duration::from_millis(200));
    let hash: B256 = HASH.parse().unwrap();
    let err = node
        .wait_for_supertransaction_receipt(hash, fast(Duration::from_secs(5)))
        .await
        .unwrap_err();
    match &err {
        ReceiptError::Node {
            hash: h,
            source: NodeError::Timeout { call: NodeCall::Explorer, .. },
        } => {
            assert_eq!(*h, hash);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_unknown_outcome());
}

#[tokio::test]
async fn an_explorer_answer_without_user_ops_is_a_shape_error() {
    let server = Server::start(|_| json_response(200, r#"{"hash":"0x01"}"#)).await;
    let node = client(&server, Duration::from_secs(5));
    let err = node
        .get_supertransaction_receipt(HASH.parse().unwrap(), ReceiptMode::FastBlock)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ReceiptError::Node { source: NodeError::UnexpectedShape { source, .. }, .. } if source.field == "userOps"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_replaced_transaction_is_reported_once() {
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let server = Server::start(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let mut user = op(if n < 2 { "MINING" } else { "MINED_SUCCESS" }, n >= 2, None);
        // The node re-submits the userOp after the first poll: a new transaction hash.
        if n >= 1 {
            user["executionData"] =
                json!("0xCDCDcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
        }
        json_response(200, &explorer(&[op("MINED_SUCCESS", true, None), user]))
    })
    .await;
    let node = client(&server, Duration::from_secs(5));
    let mut replaced = Vec::new();
    let receipt = node
        .wait_for_supertransaction_receipt_with(
            HASH.parse().unwrap(),
            fast(Duration::from_secs(5)),
            |r| replaced.push(r),
        )
        .await
        .unwrap();
    assert_eq!(receipt.status(), TransactionStatus::MinedSuccess);
    assert_eq!(polls.load(Ordering::SeqCst), 3);
    assert_eq!(replaced.len(), 1, "{replaced:?}");
    assert_eq!(replaced[0].tx_hash, format!("0x{}", "cd".repeat(32)));
    assert_eq!(replaced[0].mee_user_op_hash, format!("0x{}", "22".repeat(32)));
}
