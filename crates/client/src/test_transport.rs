//! Test support (compiled for unit tests only): a JSON-RPC transport that answers each request
//! from a closure over `(method, params)` and records every request, so tests can script a
//! node or a bundler that depends on what was sent (a receipt for the operation sent, a lost
//! answer, no answer at all) and check what was asked, in which order.

use alloy_json_rpc::{ErrorPayload, RequestPacket, Response, ResponsePacket, ResponsePayload};
use alloy_transport::{TransportError, TransportErrorKind, TransportFut};
use serde_json::{Value, value::RawValue};
use std::{
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
};

/// What the scripted server does with one request.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A JSON-RPC success.
    Ok(Value),
    /// A JSON-RPC error answer.
    Err(ErrorPayload),
    /// The connection drops: no answer (a transport error).
    Lost,
    /// The server never answers.
    Hang,
}

type Handler = dyn Fn(&str, &Value) -> Reply + Send + Sync;

/// The scripted transport; clones share the handler and the log.
#[derive(Clone)]
pub(crate) struct Scripted {
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<(String, Value)>>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripted").finish_non_exhaustive()
    }
}

impl Scripted {
    pub(crate) fn new(handler: impl Fn(&str, &Value) -> Reply + Send + Sync + 'static) -> Self {
        Self { handler: Arc::new(handler), log: Arc::default() }
    }

    /// Every request so far: method and params.
    pub(crate) fn log(&self) -> Vec<(String, Value)> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The methods asked so far, in order.
    pub(crate) fn methods(&self) -> Vec<String> {
        self.log().into_iter().map(|(m, _)| m).collect()
    }

    /// A provider on this transport.
    pub(crate) fn provider(&self) -> impl alloy_provider::Provider + Clone + use<> {
        alloy_provider::ProviderBuilder::new()
            .connect_client(alloy_rpc_client::RpcClient::new(self.clone(), true))
    }
}

impl tower::Service<RequestPacket> for Scripted {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: RequestPacket) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let mut out = Vec::new();
            for r in req.requests() {
                let params: Value = r
                    .params()
                    .map(|p| serde_json::from_str(p.get()).unwrap_or(Value::Null))
                    .unwrap_or(Value::Null);
                this.log
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((r.method().to_string(), params.clone()));
                let payload = match (this.handler)(r.method(), &params) {
                    Reply::Ok(v) => ResponsePayload::Success(
                        RawValue::from_string(v.to_string()).map_err(TransportErrorKind::custom)?,
                    ),
                    Reply::Err(e) => ResponsePayload::Failure(e),
                    Reply::Lost => {
                        return Err(TransportErrorKind::custom_str("connection closed"));
                    }
                    Reply::Hang => std::future::pending().await,
                };
                out.push(Response { id: r.id().clone(), payload });
            }
            Ok(match req {
                RequestPacket::Single(_) => ResponsePacket::Single(out.remove(0)),
                RequestPacket::Batch(_) => ResponsePacket::Batch(out),
            })
        })
    }
}
