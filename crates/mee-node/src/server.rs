//! The HTTP server: routing, the API key, JSON in and out, the error shape.

use crate::{NodeError, exec, explorer, node::Node, quote};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Response, StatusCode, body::Incoming, header};
use serde_json::{Value, json};
use std::sync::Arc;

/// The largest request body accepted.
const MAX_BODY: usize = 4 << 20;

fn with_cors(mut res: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    // browsers running abstractjs against the local node send a CORS preflight
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::HeaderValue::from_static("content-type, x-api-key"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    res
}

fn reply(status: u16, body: &Value) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body.to_string())));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    res.headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    with_cors(res)
}

/// `{"error": <message: its causes>, "code": <CODE>}` with the error's status.
pub(crate) fn error_reply(e: &NodeError) -> Response<Full<Bytes>> {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    reply(e.status(), &json!({ "error": message, "code": e.code() }))
}

fn check_key(node: &Node, req: &Request<Incoming>) -> Result<(), NodeError> {
    let Some(got) = req.headers().get("x-api-key") else {
        return Err(NodeError::Unauthorized { reason: "the x-api-key header is missing" });
    };
    let want = node.config.api_key.as_bytes();
    let got = got.as_bytes();
    // length-independent comparison of every byte
    let same =
        got.len() == want.len() && got.iter().zip(want).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same { Ok(()) } else { Err(NodeError::Unauthorized { reason: "the API key is not valid" }) }
}

async fn json_body(req: Request<Incoming>) -> Result<Value, NodeError> {
    let body = Limited::new(req.into_body(), MAX_BODY).collect().await.map_err(|_| {
        NodeError::BadRequest { field: "body".into(), rule: "could not be read (at most 4 MiB)" }
    })?;
    serde_json::from_slice(&body.to_bytes()).map_err(NodeError::NotJson)
}

async fn route(node: Arc<Node>, req: Request<Incoming>) -> Result<Value, NodeError> {
    check_key(&node, &req)?;
    // abstractjs joins `${url}/${path}`, so `//` occurs (e.g. `/v1//quote-permit`).
    let path: Vec<String> =
        req.uri().path().split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    match (req.method().clone(), parts.as_slice()) {
        (Method::GET, ["v1", "info"]) => Ok(crate::info(&node)),
        (Method::POST, ["v1", "quote"]) => quote::quote(&node, &json_body(req).await?).await,
        (Method::POST, ["v1", "quote-permit"]) => {
            Err(NodeError::Unsupported { what: "quote-permit (fusion quotes)" })
        }
        (Method::POST, ["v1", "exec"]) => exec::exec(&node, json_body(req).await?).await,
        (Method::GET, ["v1", "explorer", hash]) => {
            let hash = hash.parse().map_err(|_| NodeError::BadRequest {
                field: "path hash".into(),
                rule: "must be a 32-byte 0x-hex hash",
            })?;
            explorer::explorer(&node, hash)
        }
        _ => Err(NodeError::NotFound { path: req.uri().path().to_owned() }),
    }
}

/// Serves one request.
pub(crate) async fn serve(
    node: Arc<Node>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.method() == Method::OPTIONS {
        let mut res = Response::new(Full::new(Bytes::new()));
        *res.status_mut() = StatusCode::NO_CONTENT;
        return Ok(with_cors(res));
    }
    let parts: Vec<&str> = req.uri().path().split('/').filter(|s| !s.is_empty()).collect();
    let kind = match parts.get(1).copied() {
        Some("info") => "info",
        Some("quote" | "quote-permit") => "quote",
        Some("exec") => "exec",
        Some("explorer") => "explorer",
        _ => "other",
    };
    if let Ok(mut counts) = node.requests.lock() {
        *counts.entry(kind).or_default() += 1;
    }
    Ok(match route(node, req).await {
        Ok(v) => reply(200, &v),
        Err(e) => error_reply(&e),
    })
}
