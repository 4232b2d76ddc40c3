//! `MeeClient` against a local HTTP server on 127.0.0.1 that misbehaves on purpose (a small
//! tokio server below, our own test stand-in, not a real MEE node): what goes on the wire, and
//! the typed error of each failure, within the configured bounds.

mod node_server;

use std::time::{Duration, Instant};

use alloy_primitives::B256;
use node_server::{Action, Server, json_response};
use serde_json::{Map, Value, json};
use smart_sessions_mee::node::{MeeClient, NodeCall, NodeError, eval};

const KEY: &str = "mee_local_test_key";
const HASH: &str = "0x6d5f3ed1f8ed0b1de9e5fcb5e9b3a1f7a4c3b2a19081726354f3e2d1c0b0a090";

fn client(server: &Server, timeout: Duration) -> MeeClient {
    MeeClient::builder(server.url("/v1")).api_key(KEY).timeout(timeout).build().unwrap()
}

/// A quote as a node might send it: fields in no sorted order, some the client has never heard
/// of.
const QUOTE_TEXT: &str = r#"{"hash":"0x6d5f3ed1f8ed0b1de9e5fcb5e9b3a1f7a4c3b2a19081726354f3e2d1c0b0a090","node":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","commitment":"0xabc","quoteType":"simple","zzUnknown":{"b":1,"a":[2,"3"]},"paymentInfo":{"tokenAmount":"0.01","sponsored":false},"userOps":[{"userOpHash":"0x11","chainId":"8453"}]}"#;

/// The request `eval("mee.http.request")` (checked against the SDK's recorded requests)
/// prepares, against what the server received.
fn assert_request_is_the_prepared_one(
    got: &node_server::Recorded,
    base: &str,
    path: &str,
    body: Option<&Value>,
) {
    let mut inputs = json!({"baseUrl": base, "apiKey": KEY, "path": path,
        "method": if body.is_some() { "POST" } else { "GET" }});
    if let Some(body) = body {
        inputs["body"] = body.clone();
    }
    let want = eval("mee.http.request", &inputs).unwrap().unwrap();
    let want_url: url::Url = want["url"].as_str().unwrap().parse().unwrap();
    assert_eq!(got.method, want["method"].as_str().unwrap());
    assert_eq!(got.target, want_url.path(), "request target");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("x-api-key"), Some(KEY));
    match want["body"].as_str() {
        Some(text) => assert_eq!(got.body, text),
        None => assert!(got.body.is_empty(), "a GET without body"),
    }
}

#[tokio::test]
async fn each_call_sends_what_the_sdk_sends_and_exec_echoes_the_quote() {
    let server = Server::start(|req| match req.target.as_str() {
        "/v1/info" => json_response(200, r#"{"supportedChains":[{"chainId":"8453"}]}"#),
        "/v1/quote" | "/v1/quote-permit" | "/v1//quote-permit" => json_response(200, QUOTE_TEXT),
        "/v1/exec" => json_response(200, &format!(r#"{{"hash":"{HASH}"}}"#)),
        t if t.starts_with("/v1/explorer/") => json_response(200, r#"{"userOps":[]}"#),
        _ => json_response(404, r#"{"error":"no route"}"#),
    })
    .await;
    let node = client(&server, Duration::from_secs(5));
    let base = server.url("/v1");
    let request = json!({"quoteType": "simple", "userOps": [{"nonce": "1", "chainId": "8453"}]});

    assert_eq!(node.info().await.unwrap().supported_chains(), &[8453]);
    let quote = node.quote(&request).await.unwrap();
    node.quote_permit(&request).await.unwrap();
    node.quote_with_fee_payer(&request).await.unwrap();
    let hash: B256 = HASH.parse().unwrap();
    node.explorer(hash).await.unwrap();

    // exec: the node's quote plus the signing fields, nothing re-ordered or dropped.
    let mut signed: Map<String, Value> = quote.clone();
    signed.insert("signature".into(), json!("0x177eee00aa"));
    let answer = node.exec(&signed).await.unwrap();
    assert_eq!(answer.hash, hash);

    let got = server.requests();
    let targets: Vec<&str> = got.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/v1/info",
            "/v1/quote",
            "/v1/quote-permit",
            "/v1//quote-permit",
            &format!("/v1/explorer/{HASH}"),
            "/v1/exec"
        ]
    );
    assert_request_is_the_prepared_one(&got[0], &base, "info", None);
    assert_request_is_the_prepared_one(&got[1], &base, "quote", Some(&request));
    assert_request_is_the_prepared_one(&got[2], &base, "quote-permit", Some(&request));
    assert_request_is_the_prepared_one(&got[3], &base, "/quote-permit", Some(&request));
    assert_request_is_the_prepared_one(&got[4], &base, &format!("explorer/{HASH}"), None);
    let exec_text =
        format!("{},\"signature\":\"0x177eee00aa\"}}", &QUOTE_TEXT[..QUOTE_TEXT.len() - 1]);
    assert_eq!(got[5].body, exec_text, "exec body = the node's quote text plus the signature");
}

#[tokio::test]
async fn futures_are_send() {
    let server = Server::start(|_| json_response(200, r#"{"supportedChains":[]}"#)).await;
    let node = client(&server, Duration::from_secs(5));
    // Every call's future is Send (checked by the compiler here, not run).
    fn send<T: Send>(_: &T) {}
    let (q, m) = (json!({}), Map::new());
    send(&node.quote(&q));
    send(&node.quote_permit(&q));
    send(&node.quote_with_fee_payer(&q));
    send(&node.exec(&m));
    send(&node.explorer(B256::ZERO));
    send(
        &node.get_supertransaction_receipt(
            B256::ZERO,
            smart_sessions_mee::node::ReceiptMode::Default,
        ),
    );
    send(&node.wait_for_supertransaction_receipt(B256::ZERO, Default::default()));
    let task = tokio::spawn(async move { node.info().await.map(|i| i.supported_chains().len()) });
    assert_eq!(task.await.unwrap().unwrap(), 0);
}

#[tokio::test]
async fn a_node_that_never_answers_times_out_within_the_bound() {
    let server = Server::start(|_| Action::Hang).await;
    let node = client(&server, Duration::from_millis(300));
    let started = Instant::now();
    let err = node.info().await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(err, NodeError::Timeout { call: NodeCall::Info, timeout, .. } if timeout == Duration::from_millis(300)),
        "{err:?}"
    );
    assert!(waited >= Duration::from_millis(290) && waited < Duration::from_secs(2), "{waited:?}");
    assert!(err.is_retryable(), "info changes nothing");
    assert_eq!(err.host(), server.host());

    // exec: sent, no answer: the outcome is unknown, carried with the supertransaction hash.
    let signed: Map<String, Value> = serde_json::from_str(QUOTE_TEXT).unwrap();
    let err = node.exec(&signed).await.unwrap_err();
    match &err {
        NodeError::ExecOutcomeUnknown { hash, source, .. } => {
            assert_eq!(*hash, HASH.parse::<B256>().unwrap());
            assert!(matches!(**source, NodeError::Timeout { call: NodeCall::Exec, .. }));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn http_500_with_a_json_error_is_a_refusal_with_the_sdk_message() {
    let server = Server::start(|req| match req.target.as_str() {
        "/v1/quote" => json_response(
            500,
            r#"{"error":"Error: execution reverted: errorArgs=[0, \"AA23 reverted (or OOG)\"]"}"#,
        ),
        _ => json_response(400, r#"{"error":{"message":"Details: quote expired"},"code":7}"#),
    })
    .await;
    let node = client(&server, Duration::from_secs(5));
    let err = node.quote(&json!({})).await.unwrap_err();
    assert!(err.is_refusal());
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.node_message().unwrap().as_str(), "AA23 reverted (or OOG)");
    assert_eq!(
        err.to_string(),
        format!("MEE node {} refused POST quote: HTTP 500: AA23 reverted (or OOG)", server.host())
    );
    assert!(!err.is_retryable());

    let signed: Map<String, Value> = serde_json::from_str(QUOTE_TEXT).unwrap();
    let err = node.exec(&signed).await.unwrap_err();
    assert!(
        matches!(&err, NodeError::Refused { call: NodeCall::Exec, status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(err.node_message().unwrap().as_str(), "quote expired");
}

#[tokio::test]
async fn http_500_without_json_is_not_a_refusal() {
    let server = Server::start(|req| match req.target.as_str() {
        "/v1/info" => Action::Respond {
            status: 500,
            content_type: "text/html",
            body: "<html>\u{1b}[31m oops</html>".into(),
        },
        _ => {
            Action::Respond { status: 503, content_type: "text/html", body: "<h1>busy</h1>".into() }
        }
    })
    .await;
    let node = client(&server, Duration::from_secs(5));
    let err = node.info().await.unwrap_err();
    match &err {
        NodeError::NotJson { call: NodeCall::Info, status: 500, body, .. } => {
            assert_eq!(body.as_str(), "<html>\u{1b}[31m oops</html>");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_refusal() && !err.is_retryable());
    assert!(err.to_string().contains("<html>\\u{1b}[31m oops</html>"), "escaped: {err}");
    // A gateway's 503 page: retryable for a call that changes nothing.
    let err = node.explorer(B256::ZERO).await.unwrap_err();
    assert!(matches!(err, NodeError::NotJson { status: 503, .. }) && err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn garbage_json_on_200_is_a_typed_answer_failure() {
    let server =
        Server::start(|_| json_response(200, r#"{"supportedChains":[{"chainId":"8453"}"#)).await;
    let node = client(&server, Duration::from_secs(5));
    let err = node.info().await.unwrap_err();
    assert!(matches!(&err, NodeError::NotJson { status: 200, .. }), "{err:?}");
    let source = std::error::Error::source(&err).expect("the JSON error");
    assert!(source.downcast_ref::<serde_json::Error>().is_some());

    // JSON, but not the shape of the call.
    let server =
        Server::start(|_| json_response(200, r#"{"supportedChains":[{"chainId":"base"}]}"#)).await;
    let err = client(&server, Duration::from_secs(5)).info().await.unwrap_err();
    match &err {
        NodeError::UnexpectedShape { source, .. } => {
            assert_eq!(source.field, "supportedChains[0].chainId")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_connection_dropped_after_accepting_is_lost_not_refused() {
    let server = Server::start(|_| Action::Drop).await;
    let node = client(&server, Duration::from_secs(5));
    let err = node.info().await.unwrap_err();
    assert!(matches!(&err, NodeError::ConnectionLost { call: NodeCall::Info, .. }), "{err:?}");
    assert!(err.is_retryable());
    let signed: Map<String, Value> = serde_json::from_str(QUOTE_TEXT).unwrap();
    let err = node.exec(&signed).await.unwrap_err();
    assert!(
        matches!(&err, NodeError::ExecOutcomeUnknown { source, .. } if matches!(**source, NodeError::ConnectionLost { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_body_is_lost() {
    let server =
        Server::start(|_| Action::Truncated { declared: 100, body: r#"{"hash":"0x"#.into() }).await;
    let node = client(&server, Duration::from_secs(5));
    let err = node.explorer(B256::ZERO).await.unwrap_err();
    assert!(matches!(&err, NodeError::ConnectionLost { call: NodeCall::Explorer, .. }), "{err:?}");
    let signed: Map<String, Value> = serde_json::from_str(QUOTE_TEXT).unwrap();
    let err = node.exec(&signed).await.unwrap_err();
    assert!(matches!(&err, NodeError::ExecOutcomeUnknown { .. }), "{err:?}");
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_nothing_was_sent() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let node = MeeClient::builder(format!("http://127.0.0.1:{port}/v1")).build().unwrap();
    let signed: Map<String, Value> = serde_json::from_str(QUOTE_TEXT).unwrap();
    let err = node.exec(&signed).await.unwrap_err();
    assert!(matches!(&err, NodeError::Unreachable { call: NodeCall::Exec, .. }), "{err:?}");
    assert!(err.is_retryable(), "not sent, so sending is safe");
    assert_eq!(err.host(), format!("127.0.0.1:{port}"));
}

#[tokio::test]
async fn a_quote_without_hash_is_not_sent_to_exec() {
    let server = Server::start(|_| json_response(200, "{}")).await;
    let node = client(&server, Duration::from_secs(5));
    let err = node.exec(&Map::new()).await.unwrap_err();
    assert!(
        matches!(&err, NodeError::InvalidSignedQuote { source, .. } if source.field == "hash"),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_oversized_answer_is_refused_at_the_bound() {
    let server = Server::start(|_| json_response(200, &format!("\"{}\"", "x".repeat(4096)))).await;
    let node = MeeClient::builder(server.url("/v1")).max_body_bytes(1024).build().unwrap();
    let err = node.info().await.unwrap_err();
    assert!(matches!(&err, NodeError::TooLarge { limit: 1024, status: 200, .. }), "{err:?}");
}

#[tokio::test]
async fn a_null_body_refusal_reads_the_status_text() {
    // createHttpClient: `json?.error ?? json ?? result.statusText`.
    let server = Server::start(|_| json_response(502, "null")).await;
    let err = client(&server, Duration::from_secs(5)).info().await.unwrap_err();
    assert_eq!(err.node_message().map(|m| m.as_str()), Some("Bad Gateway"), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn https_goes_through_rustls() {
    // The client builds with the preconfigured rustls (an unknown TLS backend would fail the
    // build), and a TLS handshake against a port that answers plain HTTP fails at once as
    // unreachable: nothing was sent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let plain = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ =
                stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
        }
    });
    let node = MeeClient::builder(format!("https://127.0.0.1:{port}/v1"))
        .connect_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = node.info().await.unwrap_err();
    plain.abort();
    assert!(matches!(&err, NodeError::Unreachable { call: NodeCall::Info, .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "a handshake failure, not a timeout");
}

#[tokio::test]
async fn without_a_key_no_key_header_is_sent() {
    let server = Server::start(|_| json_response(200, r#"{"supportedChains":[]}"#)).await;
    // No key, and an empty key (the SDK sends the header only for a non-empty key).
    MeeClient::builder(server.url("/v1")).build().unwrap().info().await.unwrap();
    MeeClient::builder(server.url("/v1")).api_key("").build().unwrap().info().await.unwrap();
    let got = server.requests();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(r.header("x-api-key"), None);
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    let inputs =
        json!({"baseUrl": server.url("/v1"), "apiKey": "", "path": "info", "method": "GET"});
    let want = eval("mee.http.request", &inputs).unwrap().unwrap();
    assert_eq!(want["headers"], json!({"content-type": "application/json"}));
}
