//! `smart-sessions mee info|receipt` through the binary against a tiny HTTP server of our own on
//! 127.0.0.1 (a stand-in for an MEE node, not one: it answers `GET …/info` and
//! `GET …/explorer/HASH` with fixed JSON written here, records what it was asked, and echoes the
//! API key back in its refusals, as a careless node might). The key must reach the server and
//! never the output: not `--help`, not errors, not `-vv` logs.

use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    process::{Command, Output},
    sync::{Arc, Mutex},
};

const KEY: &str = "mee_SECRETKEY_0123456789";

/// One request the server saw: method, path, and the `x-api-key` header.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// The server: `/v1/info` answers capabilities; `/v1/explorer/…01` a confirmed success,
/// `…02` a failure whose message echoes the key, `…03` a pending operation; `/bad/…` a 401
/// refusal echoing the key. Serves until the test process ends.
fn server() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let (mut len, mut key) = (0usize, None);
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    let (name, value) = h.split_once(':').unwrap_or_default();
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => len = value.trim().parse().unwrap_or(0),
                        "x-api-key" => key = Some(value.trim().to_string()),
                        _ => {}
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                log.lock().unwrap().push((method, path.clone(), key));
                let (status, body) = if path.starts_with("/bad/") {
                    (401, json!({ "error": format!("Error: API key {KEY} is not valid") }))
                } else if path == "/v1/info" {
                    (
                        200,
                        json!({"version":"2.0.0-local","supportedChains":[{"chainId":"10"},{"chainId":8453}],"supportedGasTokens":[{"chainId":"0x2105"}]}),
                    )
                } else if path.ends_with("01") {
                    (
                        200,
                        json!({"userOps":[{},{"executionStatus":"MINED_SUCCESS","isConfirmed":true,"chainId":"10","executionData":"0xab"}]}),
                    )
                } else if path.ends_with("02") {
                    (
                        200,
                        json!({"userOps":[{},{"executionStatus":"FAILED","executionError":format!("boom (key {KEY})")}]}),
                    )
                } else if path.ends_with("03") {
                    (200, json!({"userOps":[{},{"executionStatus":"PENDING"}]}))
                } else {
                    (404, json!({ "error": "not found" }))
                };
                let body = body.to_string();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream
                    .write_all(head.as_bytes())
                    .and_then(|_| stream.write_all(body.as_bytes()));
            });
        }
    });
    (base, seen)
}

fn run(env_key: bool, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_smart-sessions"));
    c.env_remove("SMART_SESSIONS_MEE_URL").env_remove("RUST_LOG");
    if env_key {
        c.env("SMART_SESSIONS_MEE_API_KEY", KEY);
    } else {
        c.env_remove("SMART_SESSIONS_MEE_API_KEY");
    }
    c.args(args).output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

/// Asserts the key appears in neither output stream.
fn no_key(o: &Output) {
    let (out, err) = text(o);
    assert!(!out.contains(KEY) && !err.contains(KEY), "key printed:\n{out}\n{err}");
    assert!(!out.contains("SECRETKEY") && !err.contains("SECRETKEY"), "{out}\n{err}");
}

fn hash(last: u8) -> String {
    format!("0x{}{last:02x}", "00".repeat(31))
}

#[test]
fn info_reports_the_node_and_its_chains() {
    let (base, seen) = server();
    let url = format!("{base}/v1");
    let o = run(true, &["--json", "mee", "info", "--mee-url", &url, "--chain", "8453"]);
    no_key(&o);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let v: Value = serde_json::from_str(&text(&o).0).unwrap();
    assert_eq!(
        v["output"],
        json!({
            "node": url,
            "version": "2.0.0-local",
            "supportedChains": [10, 8453],
            "gasTokenChains": [8453],
            "unsupported": [],
        })
    );
    // the key went to the node as `x-api-key`, on a GET of `info`
    assert_eq!(
        seen.lock().unwrap().last().cloned(),
        Some(("GET".into(), "/v1/info".into(), Some(KEY.into())))
    );
    // a chain the node does not serve: exit 1, named
    let o = run(true, &["mee", "info", "--mee-url", &url, "--chain", "8453", "--chain", "1"]);
    no_key(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("does not serve chain(s) [1] (it serves [10, 8453])"),
        "{:?}",
        text(&o)
    );
    // the text form, with the key from the command line
    let o = run(false, &["mee", "info", "--mee-url", &url, "--api-key", KEY]);
    no_key(&o);
    assert!(text(&o).0.contains("version: 2.0.0-local"), "{:?}", text(&o));
}

#[test]
fn receipts_exit_by_outcome() {
    let (base, seen) = server();
    let url = format!("{base}/v1");
    let receipt = |h: u8, extra: &[&str]| {
        let h = hash(h);
        let mut args = vec!["--json", "mee", "receipt", h.as_str(), "--mee-url", url.as_str()];
        args.extend_from_slice(extra);
        let o = run(true, &args);
        no_key(&o);
        let v: Value =
            serde_json::from_str(&text(&o).0).unwrap_or_else(|e| panic!("{e}: {:?}", text(&o)));
        (o.status.code(), v)
    };
    let (code, v) = receipt(1, &[]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["output"]["transactionStatus"], "MINED_SUCCESS");
    assert_eq!(
        v["output"]["userOps"],
        json!([{"chainId": "10", "executionStatus": "MINED_SUCCESS", "executionData": "0xab"}])
    );
    assert_eq!(seen.lock().unwrap().last().unwrap().1, format!("/v1/explorer/{}", hash(1)));
    // failed: exit 1, the node's message with the echoed key replaced (by the MEE crate's
    // `NodeMessage`, `<redacted>`; the CLI's own scrub writes `[redacted]`)
    let (code, v) = receipt(2, &[]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["kind"], "failed");
    assert_eq!(v["userOpIndex"], 0);
    assert!(v["executionError"].as_str().unwrap().starts_with("boom (key <redacted>)"), "{v}");
    // pending: one poll gives 3; waiting past the bound gives 2 with the hash
    let (code, v) = receipt(3, &[]);
    assert_eq!(code, Some(3), "{v}");
    assert_eq!(v["output"]["isFinalised"], false);
    let (code, v) = receipt(3, &["--wait", "--timeout", "1", "--poll-interval", "50"]);
    assert_eq!(code, Some(2), "{v}");
    assert_eq!((v["kind"].as_str(), v["hash"].as_str()), (Some("unknown"), Some(hash(3).as_str())));
    assert!(v["error"].as_str().unwrap().contains("the outcome is unknown"), "{v}");
    // the text form of a failure: one line on standard error
    let h = hash(2);
    let o = run(true, &["mee", "receipt", &h, "--mee-url", &url]);
    no_key(&o);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o).1;
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&h) && err.contains("failed"), "{err}");
}

#[test]
fn the_api_key_never_reaches_help_errors_or_logs() {
    let (base, _) = server();
    for args in [&["mee", "info", "--help"][..], &["mee", "receipt", "--help"], &["mee", "--help"]]
    {
        let o = run(true, args);
        assert_eq!(o.status.code(), Some(0));
        no_key(&o);
        assert!(text(&o).0.contains("SMART_SESSIONS_MEE_API_KEY"), "{:?}", text(&o));
    }
    // a refusal that echoes the key, with -vv logs of the transport
    let bad = format!("{base}/bad?apikey=SECRETKEY_Q");
    for key_from_env in [true, false] {
        let mut args = vec!["-vv", "mee", "info", "--mee-url", bad.as_str()];
        if !key_from_env {
            args.extend(["--api-key", KEY]);
        }
        let o = run(key_from_env, &args);
        no_key(&o);
        assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
        let err = text(&o).1;
        assert!(err.contains("HTTP 401: API key <redacted> is not valid"), "{err}");
        assert!(err.contains("DEBUG"), "-vv logs: {err}");
    }
    // a key a header cannot carry: named by flag, not shown
    let o = run(false, &["mee", "info", "--mee-url", &base, "--api-key", "mee_SECRETKEY\u{7f}"]);
    no_key(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("--api-key: MEE API key has a byte at offset 13"),
        "{:?}",
        text(&o)
    );
    // a zero poll interval: refused, named
    let h = hash(3);
    let o =
        run(true, &["mee", "receipt", &h, "--mee-url", &base, "--wait", "--poll-interval", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--poll-interval: must be above 0"), "{:?}", text(&o));
    // a URL that is not one: redacted, named by flag
    let o = run(true, &["--json", "mee", "info", "--mee-url", "http://[::1/?apikey=SECRETKEY"]);
    no_key(&o);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).0.contains("--mee-url"), "{:?}", text(&o));
}
