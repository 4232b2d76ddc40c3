//! The HTTP/1.1 server under the devnet's own services (the fault proxy and TLS terminator, the
//! ERC-7677 paymaster service): 127.0.0.1 only, optional TLS, bounded connections and bodies,
//! stopped with its owner.

use crate::Result;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response, StatusCode, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use std::{future::Future, net::SocketAddr, pin::Pin, sync::Arc};
use tokio::{
    net::TcpListener,
    sync::{Semaphore, watch},
    task::{JoinHandle, JoinSet},
};
use tokio_rustls::{TlsAcceptor, rustls::ServerConfig};

/// At most this many connections at once; more wait for a slot.
const MAX_CONNECTIONS: usize = 128;
/// Request bodies above this are refused with 413.
const MAX_BODY: usize = 8 << 20;

/// What a handler does with a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Answer with this status and JSON (or any) body.
    Respond(StatusCode, Vec<u8>),
    /// Close the connection without answering.
    Close,
}

pub(crate) type Handler = Arc<
    dyn Fn(Vec<u8>, watch::Receiver<bool>) -> Pin<Box<dyn Future<Output = Outcome> + Send>>
        + Send
        + Sync,
>;

/// A running server; dropping it stops it (the accept loop and every connection).
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

#[derive(Debug, thiserror::Error)]
#[error("closed without an answer")]
struct Closed;

impl Server {
    /// Binds 127.0.0.1 on a free port and serves `handler` (over TLS with `tls`).
    pub(crate) async fn start(tls: Option<Arc<ServerConfig>>, handler: Handler) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (shutdown, rx) = watch::channel(false);
        let acceptor = tls.map(TlsAcceptor::from);
        let task = tokio::spawn(accept_loop(listener, acceptor, handler, rx));
        Ok(Self { addr, shutdown, task })
    }

    /// Stops accepting and drops every connection.
    pub(crate) fn stop(&self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    handler: Handler,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    // dropping the set (when this task ends or is aborted) aborts every connection
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = shutdown.changed() => return,
        };
        let (stream, _) = tokio::select! {
            s = listener.accept() => match s { Ok(s) => s, Err(_) => continue },
            _ = shutdown.changed() => return,
        };
        let (acceptor, handler, rx) = (acceptor.clone(), handler.clone(), shutdown.clone());
        connections.spawn(async move {
            let _permit = permit;
            match acceptor {
                Some(a) => {
                    if let Ok(tls) = a.accept(stream).await {
                        serve(TokioIo::new(tls), handler, rx).await;
                    }
                }
                None => serve(TokioIo::new(stream), handler, rx).await,
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn serve<I>(io: I, handler: Handler, shutdown: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let (handler, shutdown) = (handler.clone(), shutdown.clone());
        async move {
            let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(b) => b.to_bytes().to_vec(),
                Err(_) => {
                    return Ok(response(StatusCode::PAYLOAD_TOO_LARGE, b"body too large".to_vec()));
                }
            };
            match handler(body, shutdown).await {
                Outcome::Respond(status, body) => Ok(response(status, body)),
                // an error from the service makes hyper close the connection unanswered
                Outcome::Close => Err(Closed),
            }
        }
    });
    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
}

fn response(status: StatusCode, body: Vec<u8>) -> Response<Full<hyper::body::Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

/// Ids of a JSON-RPC request (single or batch) with their method names, in order; `None` if the
/// body is not JSON-RPC.
pub(crate) fn calls(body: &[u8]) -> Option<Vec<(serde_json::Value, String)>> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let one = |o: &serde_json::Value| {
        Some((o.get("id").cloned().unwrap_or_default(), o.get("method")?.as_str()?.to_string()))
    };
    match &v {
        serde_json::Value::Array(items) => items.iter().map(one).collect(),
        o => Some(vec![one(o)?]),
    }
}
