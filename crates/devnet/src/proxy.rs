//! A JSON-RPC HTTP proxy on 127.0.0.1 in front of anvil or Alto: a TLS terminator (with a
//! [`TestCa`](crate::TestCa)) and a fault injector for tests of what a client does when the
//! network misbehaves.
//!
//! Faults are queued per JSON-RPC method ([`Proxy::inject`]): the next `times` HTTP requests
//! that call the method get the fault, every other request is forwarded unchanged. Everything is
//! bounded: at most 128 connections and 8 MiB bodies, a [`Fault::Hang`] lasts until the proxy is
//! dropped or [`ProxyOptions::hang_limit`] passes, the upstream call has a timeout.
//!
//! ```no_run
//! # async fn demo(devnet: &smart_sessions_devnet::Devnet) -> smart_sessions_devnet::Result<()> {
//! use smart_sessions_devnet::proxy::{Fault, Proxy};
//!
//! let bundler = Proxy::start(devnet.bundler_url.as_deref().unwrap()).await?;
//! // Alto accepts the next operation, but the client never hears back.
//! bundler.inject("eth_sendUserOperation", Fault::DropResponse, 1);
//! // ... point the client at bundler.url() and send ...
//! assert_eq!(bundler.applied("eth_sendUserOperation"), 1);
//! # Ok(()) }
//! ```

use crate::{
    DevnetError, Result,
    server::{Handler, Outcome, Server, calls},
};
use hyper::StatusCode;
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, VecDeque},
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};
use tokio::sync::watch;
use tokio_rustls::rustls::ServerConfig;

/// What the proxy does to a request that calls the method of an injected fault.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Forward the request, wait for the upstream's whole answer, then close the connection
    /// without answering: the upstream acted (for example Alto accepted the user operation), the
    /// client cannot know.
    DropResponse,
    /// Close the connection without forwarding or answering.
    DropRequest,
    /// Answer `{"result": null}` for the method's call, without forwarding it.
    Null,
    /// Answer HTTP 200 with a body that is not JSON, without forwarding.
    Garbage,
    /// Answer this HTTP status with a short non-JSON body, without forwarding.
    Status(u16),
    /// Answer this JSON-RPC error for the method's call, without forwarding it.
    RpcError {
        /// The JSON-RPC error `code` to answer with.
        code: i64,
        /// The JSON-RPC error `message` to answer with.
        message: String,
        /// The `data` member, if any (any JSON, including odd shapes).
        data: Option<Value>,
    },
    /// Forward and answer, but only after this delay.
    Delay(Duration),
    /// Never answer: hold the connection open until the proxy is dropped or the hang limit
    /// passes, then close it. The request is not forwarded.
    Hang,
}

/// How a [`Proxy`] forwards and which faults it injects.
#[derive(Clone, Debug)]
pub struct ProxyOptions {
    /// Serve HTTPS with this configuration (see [`TestCa::server_config`](crate::TestCa));
    /// `None` (the default): plain HTTP.
    pub tls: Option<Arc<ServerConfig>>,
    /// The longest a [`Fault::Hang`] holds a connection (default 300 s).
    pub hang_limit: Duration,
    /// How long the proxy waits for the upstream's answer to one forwarded request (default
    /// 120 s).
    pub upstream_timeout: Duration,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        Self {
            tls: None,
            hang_limit: Duration::from_secs(300),
            upstream_timeout: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    faults: BTreeMap<String, VecDeque<Fault>>,
    seen: BTreeMap<String, u64>,
    applied: BTreeMap<String, u64>,
}

#[derive(Debug)]
struct Shared {
    upstream: String,
    client: reqwest::Client,
    hang_limit: Duration,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running proxy; dropping it stops it (every connection is closed).
pub struct Proxy {
    url: String,
    shared: Arc<Shared>,
    server: Server,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &self.url)
            .field("upstream", &self.shared.upstream)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// A plain-HTTP proxy to `upstream` (an `http://` URL) with the default options.
    pub async fn start(upstream: &str) -> Result<Self> {
        Self::start_with(upstream, ProxyOptions::default()).await
    }

    /// A proxy to `upstream` with `options` (HTTPS when `options.tls` is set).
    pub async fn start_with(upstream: &str, options: ProxyOptions) -> Result<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(options.upstream_timeout)
            .build()
            .map_err(|e| DevnetError::Command {
                what: "proxy client".into(),
                output: e.to_string(),
            })?;
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            client,
            hang_limit: options.hang_limit,
            state: Mutex::default(),
        });
        let s = shared.clone();
        let handler: Handler = Arc::new(move |body, shutdown| {
            let s = s.clone();
            Box::pin(async move { handle(&s, body, shutdown).await })
        });
        let scheme = if options.tls.is_some() { "https" } else { "http" };
        let server = Server::start(options.tls, handler).await?;
        let host = if scheme == "https" { "localhost" } else { "127.0.0.1" };
        let url = format!("{scheme}://{host}:{}", server.addr.port());
        Ok(Self { url, shared, server })
    }

    /// The proxy's URL (`https://localhost:PORT` with TLS, else `http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues `fault` for the next `times` requests that call `method` (a batch counts once,
    /// if any of its calls is `method`). Faults queued for one method apply in order.
    pub fn inject(&self, method: &str, fault: Fault, times: u32) {
        let mut st = self.shared.state();
        let q = st.faults.entry(method.to_string()).or_default();
        q.extend(std::iter::repeat_n(fault, times as usize));
    }

    /// Drops every queued fault.
    pub fn clear(&self) {
        self.shared.state().faults.clear();
    }

    /// How many calls of `method` the proxy received (faulted or not).
    pub fn seen(&self, method: &str) -> u64 {
        self.shared.state().seen.get(method).copied().unwrap_or(0)
    }

    /// How many requests calling `method` got an injected fault.
    pub fn applied(&self, method: &str) -> u64 {
        self.shared.state().applied.get(method).copied().unwrap_or(0)
    }

    /// Faults still queued for `method`.
    pub fn pending(&self, method: &str) -> usize {
        self.shared.state().faults.get(method).map_or(0, VecDeque::len)
    }

    /// Stops the proxy now (also done on drop).
    pub fn stop(&self) {
        self.server.stop();
    }
}

async fn forward(s: &Shared, body: Vec<u8>) -> Outcome {
    let sent = s
        .client
        .post(&s.upstream)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => return Outcome::Respond(StatusCode::BAD_GATEWAY, e.to_string().into_bytes()),
    };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    match resp.bytes().await {
        Ok(b) => Outcome::Respond(status, b.to_vec()),
        Err(e) => Outcome::Respond(StatusCode::BAD_GATEWAY, e.to_string().into_bytes()),
    }
}

/// The JSON-RPC answer a fault gives to one call, if it gives one.
fn answer(fault: &Fault, id: &Value) -> Option<Value> {
    match fault {
        Fault::Null => Some(json!({ "jsonrpc": "2.0", "id": id, "result": null })),
        Fault::RpcError { code, message, data } => {
            let mut error = json!({ "code": code, "message": message });
            if let Some(d) = data {
                error["data"] = d.clone();
            }
            Some(json!({ "jsonrpc": "2.0", "id": id, "error": error }))
        }
        _ => None,
    }
}

async fn handle(s: &Shared, body: Vec<u8>, mut shutdown: watch::Receiver<bool>) -> Outcome {
    let Some(calls) = calls(&body) else {
        return forward(s, body).await;
    };
    let fault = {
        let mut st = s.state();
        for (_, m) in &calls {
            *st.seen.entry(m.clone()).or_default() += 1;
        }
        let hit = calls.iter().find_map(|(_, m)| {
            let f = st.faults.get_mut(m)?.pop_front()?;
            Some((m.clone(), f))
        });
        if let Some((m, _)) = &hit {
            *st.applied.entry(m.clone()).or_default() += 1;
        }
        hit
    };
    let Some((method, fault)) = fault else {
        return forward(s, body).await;
    };
    match fault {
        Fault::DropResponse => {
            let _ = forward(s, body).await;
            Outcome::Close
        }
        Fault::DropRequest => Outcome::Close,
        Fault::Garbage => Outcome::Respond(StatusCode::OK, b"<html>not json".to_vec()),
        Fault::Status(code) => Outcome::Respond(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            b"injected failure".to_vec(),
        ),
        Fault::Delay(d) => {
            tokio::time::sleep(d).await;
            forward(s, body).await
        }
        Fault::Hang => {
            tokio::select! {
                _ = shutdown.changed() => {}
                () = tokio::time::sleep(s.hang_limit) => {}
            }
            Outcome::Close
        }
        Fault::Null | Fault::RpcError { .. } => {
            let batch = body.first_non_ws() == Some(b'[');
            if !batch {
                let id = calls.first().map(|(id, _)| id.clone()).unwrap_or_default();
                let a = answer(&fault, &id).unwrap_or_default();
                return Outcome::Respond(StatusCode::OK, a.to_string().into_bytes());
            }
            // a batch: the method's calls are answered here, the others forwarded
            let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&body) else {
                return Outcome::Respond(StatusCode::BAD_REQUEST, Vec::new());
            };
            let (mine, rest): (Vec<Value>, Vec<Value>) =
                items.into_iter().partition(|i| i["method"] == method.as_str());
            let mut out: Vec<Value> =
                mine.iter().filter_map(|i| answer(&fault, &i["id"])).collect();
            if !rest.is_empty() {
                match forward(s, Value::Array(rest).to_string().into_bytes()).await {
                    Outcome::Respond(st, b) if st.is_success() => {
                        if let Ok(Value::Array(answers)) = serde_json::from_slice(&b) {
                            out.extend(answers);
                        }
                    }
                    other => return other,
                }
            }
            Outcome::Respond(StatusCode::OK, Value::Array(out).to_string().into_bytes())
        }
    }
}

trait FirstNonWs {
    fn first_non_ws(&self) -> Option<u8>;
}

impl FirstNonWs for Vec<u8> {
    fn first_non_ws(&self) -> Option<u8> {
        self.iter().copied().find(|b| !b.is_ascii_whitespace())
    }
}
