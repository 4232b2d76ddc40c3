//! Issue 12 item 5, faults: the devnet's fault-injecting proxy (`smart_sessions_devnet::proxy`)
//! in front of Alto, a small lying bundler of this file in front of the proxy, a node that is
//! down, and a real `kill -9` of Alto's PID.
//!
//! Every "executed once" below is read ON CHAIN (the recipient's token balance, the policy
//! rule's `used` counter and the lane's EntryPoint nonce, `verify_key`), never from what the
//! client says. Alto cannot be restarted through the devnet's public API, so the real kill comes
//! last: what is resumed after it is looked up on chain, the bundler stays down.

use alloy_primitives::{Address, B256};
use serde_json::{Value, json};
use smart_sessions_client::{ClientOptions, FlowError, Precheck};
use smart_sessions_devnet::{
    Devnet, Options,
    proxy::{Fault, Proxy},
};
use std::time::{Duration, Instant};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

mod fault_support;
use fault_support::{
    Client, Setup, checker, client, init, lane_sequence, pay, request, setup, verify_key,
};

const SEND: &str = "eth_sendUserOperation";
const RECEIPT: &str = "eth_getUserOperationReceipt";
const ESTIMATE: &str = "eth_estimateUserOperationGas";
const GAS_PRICE: &str = "pimlico_getUserOperationGasPrice";

fn options() -> ClientOptions {
    ClientOptions {
        request_timeout: Duration::from_secs(2),
        receipt_timeout: Duration::from_secs(6),
        // fees read for every operation: the faults injected into the gas-price method must
        // meet a request
        gas_price_max_age: Duration::ZERO,
        ..ClientOptions::default()
    }
}

async fn use_key(
    c: &Client,
    s: &Setup,
    i: usize,
) -> Result<smart_sessions_client::Sent, FlowError> {
    c.use_permission(&s.keys[i], &s.details[i], &[pay(s.token, i)], Precheck::On).await
}

/// `(hash, sender, nonce)` of an error that says the operation may have executed.
fn unknown(e: &FlowError) -> (B256, Address, alloy_primitives::U256) {
    match e {
        FlowError::OutcomeUnknown { user_op_hash, sender, nonce, .. }
        | FlowError::ReceiptMismatch { user_op_hash, sender, nonce, .. } => {
            (*user_op_hash, *sender, *nonce)
        }
        FlowError::HashMismatch { expected, sender, nonce, .. } => (*expected, *sender, *nonce),
        other => panic!("not an unknown outcome: {other:?}"),
    }
}

/// The documented way to run an intent after an unknown outcome (client README): resume the
/// pending operation first; send again only once the bundler no longer knows it and it has no
/// receipt (known dead), after releasing its nonce. At most three sends.
async fn exactly_once(c: &Client, s: &Setup, i: usize) -> Result<B256, FlowError> {
    let mut last = None;
    for _ in 0..3 {
        match use_key(c, s, i).await {
            Ok(sent) => return Ok(sent.user_op_hash),
            Err(e) if e.may_have_executed() => {
                let (h, sender, nonce) = unknown(&e);
                if let Ok(r) = c.pending(h, sender, nonce).wait().await {
                    assert!(r.success);
                    return Ok(h);
                }
                if c.pending(h, sender, nonce).lookup().await?.is_some() {
                    let r = c.pending(h, sender, nonce).wait().await?;
                    assert!(r.success);
                    return Ok(h);
                }
                // known dead: the bundler does not hold it and it has no receipt
                assert!(c.release_dropped(h, sender, nonce).await?, "released");
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap())
}

/// Asserts that key `i` executed exactly `n` uses, on chain.
async fn executed(d: &Devnet, s: &Setup, i: usize, n: u64) {
    let c = checker(d, s).await;
    let bad = verify_key(d, s, &c, i, n).await;
    assert!(bad.is_empty(), "on chain: {bad:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_answers_resume_exactly_once_lying_bundlers_refused_and_alto_killed() {
    init();
    let d = Devnet::start_with(Options { chain_id: 31382, paymaster: false, ..Options::default() })
        .await
        .expect("devnet");
    let s = setup(&d, 3).await;
    let proxy = Proxy::start(d.bundler_url.as_deref().unwrap()).await.unwrap();
    let (c, _, _) = client(&d, &d.rpc_url, proxy.url(), &s.account, options()).await;

    // (a) Alto accepted the operation, the answer is lost: OutcomeUnknown with the hash, the
    //     pending handle finds it included, resuming again sends nothing, it ran once
    proxy.inject(SEND, Fault::DropResponse, 1);
    let err = use_key(&c, &s, 0).await.unwrap_err();
    let FlowError::OutcomeUnknown { user_op_hash, sender, nonce, step, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*step, *sender), (SEND, s.account.address));
    assert_eq!(proxy.applied(SEND), 1);
    let (old_hash, nonce) = (*user_op_hash, *nonce);
    let r = c.pending(old_hash, s.account.address, nonce).wait().await.unwrap();
    assert!(r.success);
    assert_eq!(r.user_op_hash, old_hash);
    let sends = proxy.seen(SEND);
    let again = c.pending(old_hash, s.account.address, nonce).wait().await.unwrap();
    assert_eq!(again.receipt, r.receipt, "the same inclusion");
    assert_eq!(proxy.seen(SEND), sends, "resuming sends nothing");
    executed(&d, &s, 0, 1).await;
    // the documented retry of the same intent after another lost answer: once
    proxy.inject(SEND, Fault::DropResponse, 1);
    exactly_once(&c, &s, 0).await.unwrap();
    executed(&d, &s, 0, 2).await;

    // (b) receipts answered null until the wait's bound: OutcomeUnknown after the bound (not
    //     before), the operation is on chain meanwhile; resumed later: included once
    proxy.inject(RECEIPT, Fault::Null, 10_000);
    let t = Instant::now();
    let err = use_key(&c, &s, 1).await.unwrap_err();
    let elapsed = t.elapsed();
    let FlowError::OutcomeUnknown { step, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*step, RECEIPT);
    assert!(elapsed >= options().receipt_timeout, "{elapsed:?}");
    assert!(elapsed < options().receipt_timeout + Duration::from_secs(5), "{elapsed:?}");
    proxy.clear();
    let (h, sender, n) = unknown(&err);
    assert!(c.pending(h, sender, n).wait().await.unwrap().success);
    executed(&d, &s, 1, 1).await;

    // (f) a bundler answering an old operation's hash and forwarding nothing: HashMismatch,
    //     never a success, nothing ran
    let liar = Liar::start(proxy.url(), Lie::SendAnswers(old_hash)).await;
    let (cl, _, _) = client(&d, &d.rpc_url, &liar.url, &s.account, options()).await;
    let err = use_key(&cl, &s, 2).await.unwrap_err();
    let FlowError::HashMismatch { returned, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*returned, old_hash);
    executed(&d, &s, 2, 0).await;
    // ... and one that forwards the operation but answers receipts with the old operation's:
    //     ReceiptMismatch (never a success); the operation ran once, found by an honest resume
    let liar = Liar::start(proxy.url(), Lie::ReceiptOf(old_hash)).await;
    let (cl, _, _) = client(&d, &d.rpc_url, &liar.url, &s.account, options()).await;
    let err = use_key(&cl, &s, 2).await.unwrap_err();
    assert!(matches!(err, FlowError::ReceiptMismatch { .. }), "{err:?}");
    let (h, sender, n) = unknown(&err);
    assert!(c.pending(h, sender, n).wait().await.unwrap().success);
    executed(&d, &s, 2, 1).await;

    // the real kill: Alto accepts (answer lost), includes it, is killed with SIGKILL before
    // the receipt is asked for; the resume gets a typed error within its bound (the bundler is
    // gone), the chain shows the call ran once
    proxy.inject(SEND, Fault::DropResponse, 1);
    let err = use_key(&c, &s, 0).await.unwrap_err();
    let (h, sender, n) = unknown(&err);
    let node = fault_support::provider(&d.rpc_url, &Default::default());
    let deadline = Instant::now() + Duration::from_secs(20);
    while lane_sequence(&node, &d, &s, 0).await < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let alto = d.pids()[1];
    let killed = std::process::Command::new("kill").args(["-9", &alto.to_string()]).status();
    assert!(killed.unwrap().success());
    let t = Instant::now();
    let resumed = c.pending(h, sender, n).wait().await;
    assert!(resumed.is_err(), "{resumed:?}");
    assert!(t.elapsed() < options().receipt_timeout + Duration::from_secs(3));
    executed(&d, &s, 0, 3).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hangs_bad_answers_and_a_dead_node_are_typed_errors_and_run_nothing() {
    init();
    let d = Devnet::start_with(Options { chain_id: 31383, paymaster: false, ..Options::default() })
        .await
        .expect("devnet");
    let s = setup(&d, 2).await;
    let proxy = Proxy::start(d.bundler_url.as_deref().unwrap()).await.unwrap();
    let (c, _, _) = client(&d, &d.rpc_url, proxy.url(), &s.account, options()).await;
    let bound = options().request_timeout;
    let slack = Duration::from_secs(3);
    // warm up: the gas price source and the entry point check are learnt
    use_key(&c, &s, 0).await.unwrap();
    let mut done = 1;

    // (c) a bundler that never answers: a typed timeout within the bound
    proxy.inject(ESTIMATE, Fault::Hang, 1);
    let t = Instant::now();
    let err = use_key(&c, &s, 0).await.unwrap_err();
    assert!(t.elapsed() < bound + slack, "{:?}", t.elapsed());
    assert!(
        matches!(err, FlowError::Timeout { step: ESTIMATE, after } if after == bound),
        "{err:?}"
    );
    assert!(err.is_retryable());
    proxy.inject(SEND, Fault::Hang, 1);
    let t = Instant::now();
    let err = use_key(&c, &s, 0).await.unwrap_err();
    assert!(t.elapsed() < bound + slack, "{:?}", t.elapsed());
    let FlowError::OutcomeUnknown { step: SEND, source, .. } = &err else { panic!("{err:?}") };
    assert!(matches!(**source, FlowError::Timeout { step: SEND, .. }), "{source:?}");
    executed(&d, &s, 0, done).await;
    // the hung send never reached Alto: the documented path finds it dead, releases its nonce
    // and sends once
    let (h, sender, n) = unknown(&err);
    assert!(c.pending(h, sender, n).lookup().await.unwrap().is_none());
    assert!(c.release_dropped(h, sender, n).await.unwrap());
    use_key(&c, &s, 0).await.unwrap();
    done += 1;
    executed(&d, &s, 0, done).await;

    // (e) garbage, HTTP 500 and odd JSON-RPC error data: typed errors naming the method
    let faults = [
        Fault::Garbage,
        Fault::Status(500),
        Fault::RpcError {
            code: -32603,
            message: "odd".into(),
            data: Some(json!({"a": [1, null]})),
        },
        Fault::RpcError { code: -32500, message: "x".repeat(5000), data: Some(json!("0xzz")) },
        Fault::RpcError { code: -32000, message: String::new(), data: Some(json!(12345)) },
    ];
    for method in [GAS_PRICE, ESTIMATE] {
        for f in &faults {
            proxy.inject(method, f.clone(), 1);
            let err = use_key(&c, &s, 0).await.unwrap_err();
            let FlowError::Bundler(b) = &err else { panic!("{method} {f:?}: {err:?}") };
            assert_eq!(b.method, method, "{f:?}");
            assert!(err.to_string().contains(method), "{err}");
            assert!(err.to_string().len() < 2000, "bounded: {err}");
        }
    }
    for f in &faults {
        proxy.inject(SEND, f.clone(), 1);
        let err = use_key(&c, &s, 0).await.unwrap_err();
        match (f, &err) {
            // a JSON-RPC error is a refusal: nothing is in the mempool
            (Fault::RpcError { code, .. }, FlowError::Bundler(b)) => {
                assert_eq!((b.method, b.code), (SEND, Some(*code)));
            }
            // no usable answer: the operation may be in the mempool
            (Fault::Garbage | Fault::Status(_), FlowError::OutcomeUnknown { step, source, .. }) => {
                assert_eq!(*step, SEND);
                assert!(source.to_string().contains(SEND), "{source}");
                let (h, sender, n) = unknown(&err);
                assert!(c.pending(h, sender, n).lookup().await.unwrap().is_none());
                assert!(c.release_dropped(h, sender, n).await.unwrap());
            }
            _ => panic!("{f:?}: {err:?}"),
        }
    }
    executed(&d, &s, 0, done).await;
    use_key(&c, &s, 0).await.unwrap();
    done += 1;
    executed(&d, &s, 0, done).await;

    // (d) the node down (a port nothing listens on): grant, status and use are typed,
    //     retryable node errors, nothing is sent
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let (down, _, bt) = client(&d, &dead, proxy.url(), &s.account, options()).await;
    let k = alloy_signer_local::PrivateKeySigner::random();
    let results = [
        ("grant", down.grant_permission(&s.owner, &[request(k.address(), s.token)]).await.err()),
        ("status", down.grant_status(&s.details[1]).await.err()),
        ("use", use_key(&down, &s, 1).await.err()),
    ];
    for (what, err) in results {
        let err = err.unwrap_or_else(|| panic!("{what}: succeeded with the node down"));
        assert!(
            matches!(err, FlowError::Client(smart_sessions_client::ClientError::Transport { .. })),
            "{what}: {err:?}"
        );
        assert!(err.is_retryable(), "{what}: {err}");
    }
    assert_eq!(bt.methods().get(SEND), None, "nothing sent");
    executed(&d, &s, 1, 0).await;
}

/// What the lying bundler does.
#[derive(Clone, Copy)]
enum Lie {
    /// Answers `eth_sendUserOperation` with this hash, forwarding nothing.
    SendAnswers(B256),
    /// Forwards everything, but asks `eth_getUserOperationReceipt` for this hash instead.
    ReceiptOf(B256),
}

/// A minimal HTTP/1.1 JSON-RPC server on 127.0.0.1 (this file's, labelled: a stand-in for a
/// confused or lying bundler) in front of `upstream`; stops when dropped.
struct Liar {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Liar {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Liar {
    async fn start(upstream: &str, lie: Lie) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.to_string();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let task = tokio::spawn(async move {
            for _ in 0..10_000 {
                let Ok((mut sock, _)) = listener.accept().await else { return };
                let (upstream, http) = (upstream.clone(), http.clone());
                tokio::spawn(async move {
                    let Some(body) = read_request(&mut sock).await else { return };
                    let answer = Self::answer(&http, &upstream, lie, body).await;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        answer.len()
                    );
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(&answer).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Self { url, task }
    }

    async fn answer(http: &reqwest::Client, upstream: &str, lie: Lie, body: Vec<u8>) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        match lie {
            Lie::SendAnswers(h) if v["method"] == SEND => {
                return json!({"jsonrpc": "2.0", "id": v["id"], "result": h}).to_string().into();
            }
            Lie::ReceiptOf(h) if v["method"] == RECEIPT => v["params"] = json!([h]),
            _ => {}
        }
        let out = http
            .post(upstream)
            .header("content-type", "application/json")
            .body(if v.is_null() { body } else { v.to_string().into_bytes() })
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        match out {
            Ok(r) => r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }
}

/// Reads one HTTP request's body (by `content-length`, at most 1 MiB, within 10 s).
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = sock.read(&mut chunk).await.ok()?;
            if n == 0 || buf.len() > 1 << 20 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())?;
            if buf.len() >= end + 4 + len {
                return Some(buf[end + 4..end + 4 + len].to_vec());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read).await.ok().flatten()
}
