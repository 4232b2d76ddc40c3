//! What goes on the wire for each node call, as a value (no I/O): method, URL, headers, body.
//! [`MeeClient`](super::MeeClient) sends exactly these; the `mee.http.*` vectors check them.

use std::fmt;

use reqwest::{
    Url,
    header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue},
};
use serde_json::Value;

use super::{ApiKey, NodeUrl};

/// The header that carries the API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The HTTP methods the node API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET` (`info`, `explorer/{hash}`).
    Get,
    /// `POST` (`quote`, `quote-permit`, `exec`; the SDK's default method).
    Post,
}

impl HttpMethod {
    /// `"GET"` or `"POST"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Post => reqwest::Method::POST,
        }
    }
}

/// One call of the node API, named in errors and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeCall {
    /// `GET info`: supported chains and gas tokens (`createMeeClient` sends it once).
    Info,
    /// `POST quote`: a quote for a quote request (`getQuote`).
    Quote,
    /// `POST quote-permit`: the permit (fusion) quote endpoint as `getPermitQuote`,
    /// `getOnChainQuote`, `getSafeQuote` and `getMmDtkQuote` call it, `…/v1/quote-permit`.
    QuotePermit,
    /// `POST /quote-permit`: what `getQuote` sends when a `feePayer` is given. The SDK sets the
    /// path to `"/quote-permit"` and forms `${url}/${path}`, so the request goes to
    /// `…/v1//quote-permit` (double slash). Reproduced as sent; whether the hosted node treats it
    /// like `quote-permit` is not known here.
    QuotePermitFeePayer,
    /// `POST exec`: execute a signed quote.
    Exec,
    /// `GET explorer/{hash}`: a supertransaction's status.
    Explorer,
}

impl NodeCall {
    /// The HTTP method of this call.
    pub const fn method(self) -> HttpMethod {
        match self {
            Self::Info | Self::Explorer => HttpMethod::Get,
            Self::Quote | Self::QuotePermit | Self::QuotePermitFeePayer | Self::Exec => {
                HttpMethod::Post
            }
        }
    }

    /// The path the SDK passes for this call (for `Explorer`, the prefix before `/{hash}`).
    pub const fn path(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Quote => "quote",
            Self::QuotePermit => "quote-permit",
            Self::QuotePermitFeePayer => "/quote-permit",
            Self::Exec => "exec",
            Self::Explorer => "explorer",
        }
    }

    /// Whether sending this call twice cannot do anything twice (everything but `exec`).
    pub const fn is_idempotent(self) -> bool {
        !matches!(self, Self::Exec)
    }
}

impl fmt::Display for NodeCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method().as_str(), self.path())
    }
}

/// A request body as the SDK serialises it: viem's `stringify`, i.e. `JSON.stringify` without
/// white space, with bigints as decimal strings and `undefined` members left out.
///
/// In Rust the body is already a [`Value`] whose big integers are decimal strings and whose
/// absent members are absent, so this is compact JSON in the map's insertion order (the crate
/// builds `serde_json` with `preserve_order`, so a quote echoes the node's order).
///
/// ```
/// use serde_json::json;
/// use smart_sessions_mee::node::body_text;
///
/// assert_eq!(body_text(&json!({"b": "2", "a": [7, "x"]})), r#"{"b":"2","a":[7,"x"]}"#);
/// ```
pub fn body_text(body: &Value) -> String {
    body.to_string()
}

/// The request the SDK's `createHttpClient` would send for one call.
#[derive(Clone)]
pub struct PreparedRequest {
    method: HttpMethod,
    url: Url,
    api_key: Option<ApiKey>,
    body: Option<String>,
}

impl PreparedRequest {
    /// `fetch(`${url}/${path}`, {method, headers: {"Content-Type": "application/json",
    /// "x-api-key"?}, body?: stringify(body)})`. Content-Type is sent on `GET` too, as the SDK
    /// does.
    pub fn new(
        base: &NodeUrl,
        api_key: Option<&ApiKey>,
        method: HttpMethod,
        path: &str,
        body: Option<&Value>,
    ) -> Self {
        Self { method, url: base.join(path), api_key: api_key.cloned(), body: body.map(body_text) }
    }

    /// The HTTP method the request is sent with (`GET` or `POST`, as given to [`Self::new`]).
    pub const fn method(&self) -> HttpMethod {
        self.method
    }

    /// The full URL, including any userinfo or query of the base: not for display.
    pub const fn url(&self) -> &Url {
        &self.url
    }

    /// The body text, if any.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// `content-type: application/json` and, with a key, `x-api-key` (marked sensitive).
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(2);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(key) = &self.api_key {
            headers.insert(HeaderName::from_static(API_KEY_HEADER), key.header_value());
        }
        headers
    }

    pub(crate) fn into_parts(self) -> (HttpMethod, Url, HeaderMap, Option<String>) {
        let headers = self.headers();
        (self.method, self.url, headers, self.body)
    }
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("host", &self.url.host_str().unwrap_or_default())
            .field("path", &self.url.path())
            .field("api_key", &self.api_key)
            .field("body_len", &self.body.as_ref().map(String::len))
            .finish()
    }
}
