//! [`MeeClient`]: the node's REST API over HTTP, one bounded request per call, never retried.

use std::{fmt, time::Duration};

use alloy_primitives::B256;
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::{
    ApiKey, ConfigError, NodeCall, NodeError, NodeInfo, NodeMessage, NodeUrl, PreparedRequest,
    ShapeError, parse_error_message,
};

/// Default bound on one request, from sending to the last byte of the answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default bound on establishing a connection (TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bound on an answer body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How many characters of a non-JSON body an error keeps.
const NOT_JSON_PREFIX_CHARS: usize = 200;

/// A client of an MEE node's REST API (`@biconomy/abstractjs` 1.2.3 `createHttpClient`).
///
/// Every call sends exactly the request the SDK sends (see [`PreparedRequest`]) and waits at
/// most the request timeout. The client never retries and never follows redirects (a redirect
/// could carry `x-api-key` to another host); [`NodeError::is_retryable`] tells the caller when
/// sending again is safe. Cloning is cheap (the connection pool is shared). Its futures are
/// `Send`.
///
/// ```no_run
/// use smart_sessions_mee::node::MeeClient;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let node = MeeClient::builder("https://network.biconomy.io/v1")
///     .api_key(std::env::var(smart_sessions_mee::node::commands::MEE_API_KEY_ENV)?)
///     .build()?;
/// let info = node.info().await?;
/// assert!(info.unsupported_chains(&[8453]).is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MeeClient {
    http: reqwest::Client,
    url: NodeUrl,
    api_key: Option<ApiKey>,
    timeout: Duration,
    max_body: usize,
}

/// Builds a [`MeeClient`]: URL, optional API key, timeouts, body bound.
#[derive(Clone)]
pub struct MeeClientBuilder {
    url: String,
    api_key: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
}

/// What `exec` returned: the supertransaction hash and the whole answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecResponse {
    /// The supertransaction hash (`hash`), to poll with [`MeeClient::explorer`].
    pub hash: B256,
    /// The answer as the node sent it.
    pub body: Map<String, Value>,
}

impl MeeClientBuilder {
    /// The API key, sent as `x-api-key`. An empty string means no key (as in the SDK, which
    /// sends the header only for a non-empty key).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into()).filter(|k| !k.is_empty());
        self
    }

    /// The bound on one request, from sending to the last byte of the answer (default 30 s).
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The bound on establishing a connection (default 10 s).
    pub const fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest answer body accepted (default 16 MiB).
    pub const fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// Checks the URL and the key and builds the HTTP client (rustls with the webpki roots for
    /// `https`). Nothing is sent; what the client shows of its URL hides userinfo.
    ///
    /// ```
    /// use smart_sessions_mee::node::{ConfigError, MeeClient};
    ///
    /// let node = MeeClient::builder("http://user:secret@127.0.0.1:3000/v1").api_key("k").build()?;
    /// assert_eq!(node.url().to_string(), "http://<redacted>@127.0.0.1:3000/v1");
    ///
    /// let refused = MeeClient::builder("ftp://node.example/v1").build().unwrap_err();
    /// assert!(matches!(refused, ConfigError::UnsupportedScheme { scheme } if scheme == "ftp"));
    /// // a key a header cannot carry is refused with the byte's offset, never the key
    /// let refused = MeeClient::builder("http://127.0.0.1:3000/v1").api_key("ab\ncd").build();
    /// assert!(matches!(refused.unwrap_err(), ConfigError::InvalidApiKey { offset: 2 }));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn build(self) -> Result<MeeClient, ConfigError> {
        let url = NodeUrl::parse(&self.url)?;
        let api_key = self.api_key.map(ApiKey::new).transpose()?;
        if self.timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout { which: "request" });
        }
        if self.connect_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout { which: "connect" });
        }
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout);
        #[cfg(feature = "rustls")]
        let builder = builder.tls_backend_preconfigured(tls_config());
        let http =
            builder.build().map_err(|e| ConfigError::HttpClient { source: e.without_url() })?;
        Ok(MeeClient { http, url, api_key, timeout: self.timeout, max_body: self.max_body })
    }
}

/// rustls with the ring provider and the Mozilla roots of `webpki-roots`.
#[cfg(feature = "rustls")]
fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

impl MeeClient {
    /// A builder for a node at `url` (for example [`NodeUrl::BICONOMY`]).
    pub fn builder(url: impl Into<String>) -> MeeClientBuilder {
        MeeClientBuilder {
            url: url.into(),
            api_key: None,
            timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// The node's base URL (shown without userinfo or query).
    pub const fn url(&self) -> &NodeUrl {
        &self.url
    }

    /// The bound on one request.
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) const fn api_key_ref(&self) -> Option<&ApiKey> {
        self.api_key.as_ref()
    }

    /// `GET info`: the chains and fee-token chains the node serves.
    pub async fn info(&self) -> Result<NodeInfo, NodeError> {
        let (status, json) = self.send(NodeCall::Info, NodeCall::Info.path(), None).await?;
        NodeInfo::from_json(json).map_err(|source| self.shape(NodeCall::Info, status, source))
    }

    /// `POST quote` (`…/v1/quote`): the node's quote for a quote request, kept as the node sent
    /// it so that [`MeeClient::exec`] echoes every field.
    pub async fn quote(&self, request: &Value) -> Result<Map<String, Value>, NodeError> {
        self.quote_at(NodeCall::Quote, request).await
    }

    /// `POST quote-permit` (`…/v1/quote-permit`): the permit-token (fusion) quote, as the SDK's
    /// `getPermitQuote`, `getOnChainQuote`, `getSafeQuote` and `getMmDtkQuote` request it.
    pub async fn quote_permit(&self, request: &Value) -> Result<Map<String, Value>, NodeError> {
        self.quote_at(NodeCall::QuotePermit, request).await
    }

    /// `POST /quote-permit` (`…/v1//quote-permit`, double slash): what the SDK's `getQuote`
    /// sends when the caller names a `feePayer`. It sets the path to `"/quote-permit"` and
    /// forms `${url}/${path}`; the request is reproduced as sent, double slash included.
    pub async fn quote_with_fee_payer(
        &self,
        request: &Value,
    ) -> Result<Map<String, Value>, NodeError> {
        self.quote_at(NodeCall::QuotePermitFeePayer, request).await
    }

    async fn quote_at(
        &self,
        call: NodeCall,
        request: &Value,
    ) -> Result<Map<String, Value>, NodeError> {
        let (status, json) = self.send(call, call.path(), Some(request)).await?;
        match json {
            Value::Object(quote) => Ok(quote),
            _ => Err(self.shape(call, status, ShapeError::new("", "a JSON object (the quote)"))),
        }
    }

    /// `POST exec`: sends a signed quote (the node's quote plus `signature`, `meeVersions`, …)
    /// and returns the supertransaction hash.
    ///
    /// The quote's `hash` must be a 32-byte hex string (else nothing is sent). If the request may
    /// have reached the node but no valid answer came back (timeout, lost connection, garbage),
    /// the error is [`NodeError::ExecOutcomeUnknown`] with that hash: look it up with
    /// [`MeeClient::explorer`] before sending again. A refusal stays [`NodeError::Refused`] and
    /// an unreachable node [`NodeError::Unreachable`] (not sent).
    pub async fn exec(&self, signed_quote: &Map<String, Value>) -> Result<ExecResponse, NodeError> {
        let hash = read_hash(signed_quote, "hash")
            .map_err(|source| NodeError::InvalidSignedQuote { host: self.url.host(), source })?;
        let body = Value::Object(signed_quote.clone());
        let unknown = |source: NodeError| NodeError::ExecOutcomeUnknown {
            host: self.url.host(),
            hash,
            source: Box::new(source),
        };
        let (status, json) = match self
            .send(NodeCall::Exec, NodeCall::Exec.path(), Some(&body))
            .await
        {
            Ok(answer) => answer,
            Err(e @ (NodeError::Refused { .. } | NodeError::Unreachable { .. })) => return Err(e),
            Err(e) => return Err(unknown(e)),
        };
        let Value::Object(body) = json else {
            return Err(unknown(self.shape(
                NodeCall::Exec,
                status,
                ShapeError::new("", "a JSON object"),
            )));
        };
        let answered = read_hash(&body, "hash")
            .map_err(|source| unknown(self.shape(NodeCall::Exec, status, source)))?;
        Ok(ExecResponse { hash: answered, body })
    }

    /// `GET explorer/{hash}`: the supertransaction's status as the node reports it (the quote
    /// with per-userOp `executionStatus`, `executionData`, `executionError`, `isConfirmed`).
    /// [`MeeClient::get_supertransaction_receipt`] folds it the SDK's way.
    pub async fn explorer(&self, hash: B256) -> Result<Map<String, Value>, NodeError> {
        let path = format!("{}/{hash}", NodeCall::Explorer.path());
        let (status, json) = self.send(NodeCall::Explorer, &path, None).await?;
        match json {
            Value::Object(map) => Ok(map),
            _ => Err(self.shape(NodeCall::Explorer, status, ShapeError::new("", "a JSON object"))),
        }
    }

    pub(crate) fn shape(&self, call: NodeCall, status: u16, source: ShapeError) -> NodeError {
        NodeError::UnexpectedShape { call, host: self.url.host(), status, source }
    }

    /// One request, bounded by the request timeout: the 2xx JSON answer, or a typed error.
    async fn send(
        &self,
        call: NodeCall,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), NodeError> {
        let host = self.url.host();
        let prepared =
            PreparedRequest::new(&self.url, self.api_key.as_ref(), call.method(), path, body);
        let (method, url, headers, body) = prepared.into_parts();
        let mut request =
            self.http.request(method.to_reqwest(), url).headers(headers).timeout(self.timeout);
        if let Some(body) = body {
            request = request.body(body);
        }
        let started = Instant::now();
        tracing::debug!(target: "smart_sessions_mee::node", %call, %host, "MEE node request");
        let exchange = async {
            let response = request.send().await.map_err(|e| self.classify(call, e))?;
            let status = response.status().as_u16();
            let bytes = self.read_body(call, status, response).await?;
            Ok::<_, NodeError>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(answer) => answer?,
            Err(_) => {
                return Err(NodeError::Timeout { call, host, timeout: self.timeout, source: None });
            }
        };
        tracing::debug!(
            target: "smart_sessions_mee::node",
            %call, %host, status, bytes = bytes.len(), elapsed_ms = started.elapsed().as_millis() as u64,
            "MEE node answer"
        );
        let json: Value = serde_json::from_slice(&bytes).map_err(|source| {
            let prefix: String =
                String::from_utf8_lossy(&bytes).chars().take(NOT_JSON_PREFIX_CHARS).collect();
            NodeError::NotJson {
                call,
                host: host.clone(),
                status,
                body: NodeMessage::new(&prefix, self.api_key.as_ref()),
                source,
            }
        })?;
        if !(200..300).contains(&status) {
            // createHttpClient: `json?.error ?? json ?? result?.statusText`
            let status_text;
            let payload = match json.get("error") {
                Some(error) if !error.is_null() => error,
                // A `null` body: the status text (the canonical reason phrase; hyper does not
                // keep the server's own).
                _ if json.is_null() => {
                    let reason = reqwest::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or_default();
                    status_text = Value::String(reason.to_owned());
                    &status_text
                }
                _ => &json,
            };
            let message = NodeMessage::new(&parse_error_message(payload), self.api_key.as_ref());
            return Err(NodeError::Refused { call, host, status, message });
        }
        Ok((status, json))
    }

    async fn read_body(
        &self,
        call: NodeCall,
        status: u16,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, NodeError> {
        let too_large =
            || NodeError::TooLarge { call, host: self.url.host(), status, limit: self.max_body };
        if response.content_length().is_some_and(|n| n > self.max_body as u64) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(call, e))? {
            if bytes.len() + chunk.len() > self.max_body {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Sorts a reqwest failure: not sent, timed out, lost, other.
    fn classify(&self, call: NodeCall, error: reqwest::Error) -> NodeError {
        let host = self.url.host();
        let source = error.without_url();
        if source.is_connect() {
            NodeError::Unreachable { call, host, source }
        } else if source.is_timeout() {
            NodeError::Timeout { call, host, timeout: self.timeout, source: Some(source) }
        } else if source.is_request() || source.is_body() || source.is_decode() {
            NodeError::ConnectionLost { call, host, source }
        } else {
            NodeError::Http { call, host, source }
        }
    }
}

/// A 32-byte `0x` hex member of a JSON object.
pub(crate) fn read_hash(map: &Map<String, Value>, field: &str) -> Result<B256, ShapeError> {
    map.get(field)
        .and_then(Value::as_str)
        .filter(|s| s.len() == 66 && s.starts_with("0x"))
        .and_then(|s| s.parse::<B256>().ok())
        .ok_or_else(|| ShapeError::new(field, "a 32-byte 0x hex string"))
}

impl fmt::Debug for MeeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeeClient")
            .field("url", &self.url)
            .field("api_key", &self.api_key)
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MeeClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url =
            NodeUrl::parse(&self.url).map_or_else(|_| "<unparsed>".to_owned(), |u| u.to_string());
        f.debug_struct("MeeClientBuilder")
            .field("url", &url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_body", &self.max_body)
            .finish()
    }
}
