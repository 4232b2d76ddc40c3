//! The API key, and any credentials in the node URL's userinfo or query, never appear in an
//! error's `Display` (with its whole `source()` chain) or `Debug`, in the client's `Debug`, or in
//! tracing output and `log` records (reqwest and hyper log through `log`) captured at TRACE
//! level, for every kind of failure, including a node that echoes the key back (test stand-in server: `tests/node_server`).

mod node_server;

use std::{
    error::Error,
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_primitives::B256;
use node_server::{Action, Server, json_response};
use serde_json::{Map, Value, json};
use smart_sessions_mee::node::{MeeClient, ReceiptMode, WaitOptions};

const KEY: &str = "mee_SECRETKEY_0123456789";
const SECRETS: [&str; 3] = ["SECRETKEY", "QUERYSECRET", "PASSSECRET"];

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A `log` logger into the same capture (installed once: this file has one test).
struct LogCapture(Capture);

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}\n", record.level(), record.target(), record.args());
        self.0.0.lock().unwrap().extend_from_slice(line.as_bytes());
    }
    fn flush(&self) {}
}

fn full_chain(e: &dyn Error) -> String {
    let mut out = format!("{e} | {e:?}");
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(&format!(" <- {s} | {s:?}"));
        cur = s.source();
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
    }
}

#[tokio::test]
async fn no_failure_shows_the_key_or_url_credentials() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    log::set_logger(Box::leak(Box::new(LogCapture(capture.clone())))).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let server = Server::start(|req| {
        let key = req.header("x-api-key").unwrap_or_default().to_owned();
        match req.target.split('?').next().unwrap_or_default() {
            // A node that echoes the key it refuses, as JSON and as plain text.
            "/v1/info" => json_response(401, &json!({"error": format!("invalid api key {key}")}).to_string()),
            "/v1/quote" => Action::Respond { status: 403, content_type: "text/plain", body: format!("denied {key}") },
            "/v1/quote-permit" => Action::Hang,
            "/v1/exec" => Action::Drop,
            _ => json_response(
                200,
                &json!({"userOps": [{}, {"executionStatus": "FAILED", "executionError": format!("bad {key}")}]})
                    .to_string(),
            ),
        }
    })
    .await;
    let url = format!("http://user:PASSSECRET@{}/v1?token=QUERYSECRET", server.host());
    let node =
        MeeClient::builder(url).api_key(KEY).timeout(Duration::from_millis(300)).build().unwrap();
    assert_clean("client Debug", &format!("{node:?} {:?} {}", node.url(), node.url()));

    let mut texts = Vec::new();
    texts.push(full_chain(&node.info().await.unwrap_err()));
    texts.push(full_chain(&node.quote(&json!({})).await.unwrap_err()));
    texts.push(full_chain(&node.quote_permit(&json!({})).await.unwrap_err()));
    let signed: Map<String, Value> =
        serde_json::from_value(json!({"hash": format!("0x{}", "ab".repeat(32))})).unwrap();
    texts.push(full_chain(&node.exec(&signed).await.unwrap_err()));
    let receipt = node
        .wait_for_supertransaction_receipt(B256::ZERO, WaitOptions::new(ReceiptMode::Default))
        .await
        .unwrap_err();
    texts.push(full_chain(&receipt));
    let unreachable = {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        MeeClient::builder(format!("http://user:PASSSECRET@127.0.0.1:{port}/v1?token=QUERYSECRET"))
            .api_key(KEY)
            .build()
            .unwrap()
    };
    texts.push(full_chain(&unreachable.info().await.unwrap_err()));

    // The server did get the key (the requests were authenticated), and the echoed messages
    // were kept with the key cut out.
    assert!(server.requests().iter().all(|r| r.header("x-api-key") == Some(KEY)));
    assert!(texts[0].contains("invalid api key <redacted>"), "{}", texts[0]);
    assert!(texts[1].contains("denied <redacted>"), "{}", texts[1]);
    assert!(texts[4].contains("bad <redacted>"), "{}", texts[4]);
    for (i, text) in texts.iter().enumerate() {
        assert_clean(&format!("error {i}"), text);
        // Every node-call error names the host (the receipt failure, 4, is the node's verdict).
        assert!(i == 4 || text.contains("127.0.0.1:"), "error {i} names the host: {text}");
    }

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("MEE node request"), "the client did log: {logs}");
    assert!(logs.contains("reqwest"), "reqwest's log records were captured: {logs}");
    assert_clean("tracing output", &logs);
    if std::env::var_os("SHOW_CAPTURED_LOGS").is_some() {
        eprintln!("{logs}");
    }
}
