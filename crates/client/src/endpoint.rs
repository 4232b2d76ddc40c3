//! Endpoints on live chains: URLs that keep their secrets, and JSON-RPC clients for them over
//! TLS.
//!
//! An [`EndpointUrl`] is a node, bundler or paymaster URL that may carry an API key (in the
//! query, the userinfo or the fragment). Its `Debug` and `Display` show only the scheme, host,
//! port and path, so it can go into errors and logs. [`Endpoint`] builds the `reqwest` client
//! (TLS roots, an extra trusted root certificate, a per-request timeout, secret headers) and the
//! alloy transport for one endpoint.
//!
//! # TLS
//!
//! With the default crate feature `rustls`, connections use rustls with the webpki (Mozilla)
//! roots, plus any root given with [`Endpoint::trust_pem`]: nothing is needed from the user's
//! machine (no OpenSSL, no system store). With the feature `native-tls` instead (and
//! `default-features = false`), the platform's TLS library and store are used.
//!
//! # Tracing
//!
//! alloy's HTTP transport opens a `DEBUG` span `ReqwestTransport` with a field `url` holding the
//! whole URL, query included (target `alloy_transport_http::reqwest_transport`, in
//! `Http::<reqwest::Client>::call`), and a `DEBUG` span `request` (`method_names`) inside it.
//! The transport built here ([`EndpointTransport`]) calls alloy's transport with tracing
//! switched off for the call that creates those spans, so neither is ever recorded, and opens
//! its own `DEBUG` span `http` whose `url` is the redacted one. alloy's events inside the call
//! (`received response from server`, `retrieved response body`, and at `TRACE` the response
//! body) carry no URL. (A side effect, by `tracing`'s design: with a single registered
//! subscriber, a callsite first reached while tracing is off is cached as never enabled, so
//! alloy's two spans may then stay off for transports alloy builds itself too, until another
//! subscriber is registered.) A subscriber that sees transports alloy builds itself (for example
//! `ProviderBuilder::connect_http`) must filter them out: with `tracing_subscriber::EnvFilter`,
//! `alloy_transport_http=info` (or any level above `debug` for that target) drops the span.
//!
//! # Example
//!
//! ```
//! use alloy_provider::{Provider, ProviderBuilder};
//! use smart_sessions_client::endpoint::{Endpoint, EndpointUrl};
//! use std::time::Duration;
//!
//! let url: EndpointUrl = "https://bundler.example/v2/8453/rpc?apikey=SECRET".parse()?;
//! assert_eq!(url.to_string(), "https://bundler.example/v2/8453/rpc?<redacted>");
//! let rpc = Endpoint::new(url).timeout(Duration::from_secs(10)).rpc_client()?;
//! let provider = ProviderBuilder::new().connect_client(rpc);
//! # let _ = provider;
//! # Ok::<(), smart_sessions_client::endpoint::EndpointError>(())
//! ```

use alloy_json_rpc::{RequestPacket, ResponsePacket};
use alloy_rpc_client::{ClientBuilder, RpcClient};
use alloy_transport::{TransportError, TransportErrorKind, TransportFut};
use alloy_transport_http::Http;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::{
    error::Error as StdError,
    fmt,
    str::FromStr,
    task::{Context, Poll},
    time::Duration,
};
use tower::Service;
use tracing::Instrument;
use url::Url;

/// A URL whose `Debug` and `Display` never show its userinfo, query or fragment (where API keys
/// live); scheme, host, port and path stay visible so errors remain useful.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EndpointUrl {
    url: Url,
}

impl EndpointUrl {
    /// Parses an `http://` or `https://` URL. The error never repeats the input.
    pub fn parse(s: &str) -> Result<Self, EndpointError> {
        let url = Url::parse(s).map_err(|source| EndpointError::InvalidUrl { source })?;
        Self::new(url)
    }

    /// Wraps a parsed URL (`http` or `https` only).
    pub fn new(url: Url) -> Result<Self, EndpointError> {
        let this = Self { url };
        match this.url.scheme() {
            "http" | "https" if this.url.host_str().is_some() => Ok(this),
            _ => Err(EndpointError::Scheme { url: this }),
        }
    }

    /// The host (a name or an IP address), for error messages.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// Whether the URL carries anything that is redacted (userinfo, query or fragment).
    pub fn has_secret_parts(&self) -> bool {
        !self.url.username().is_empty()
            || self.url.password().is_some()
            || self.url.query().is_some()
            || self.url.fragment().is_some()
    }

    /// The full URL, secrets included: for connecting, never for printing.
    pub const fn expose(&self) -> &Url {
        &self.url
    }
}

impl fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.url;
        write!(f, "{}://", u.scheme())?;
        if !u.username().is_empty() || u.password().is_some() {
            f.write_str("<redacted>@")?;
        }
        f.write_str(u.host_str().unwrap_or_default())?;
        if let Some(port) = u.port() {
            write!(f, ":{port}")?;
        }
        f.write_str(u.path())?;
        if u.query().is_some() {
            f.write_str("?<redacted>")?;
        }
        if u.fragment().is_some() {
            f.write_str("#<redacted>")?;
        }
        Ok(())
    }
}

impl fmt::Debug for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EndpointUrl({self})")
    }
}

impl FromStr for EndpointUrl {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why an endpoint could not be used. Every variant names the endpoint by its redacted URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The text is not a URL (the input is not repeated: it may hold a key).
    #[error("invalid endpoint URL: {source}")]
    InvalidUrl {
        /// The `url` crate's parse error (which never quotes the input).
        #[source]
        source: url::ParseError,
    },
    /// Not an `http://` or `https://` URL with a host.
    #[error("endpoint {url}: only http:// and https:// URLs with a host are supported")]
    Scheme {
        /// The refused URL, redacted (its scheme is not `http`/`https`, or it has no host).
        url: EndpointUrl,
    },
    /// The extra root certificate is not usable.
    #[error("trusted root certificate: {reason}")]
    Certificate {
        /// What is wrong with the PEM (`not PEM`, `no CERTIFICATE block in the PEM`, ...).
        reason: &'static str,
        /// The PEM parser's or TLS library's error, when one caused it.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync>>,
    },
    /// A header value holds a character HTTP does not allow (the value is not repeated).
    #[error("header {name}: invalid value")]
    Header {
        /// The name of the header whose value was refused.
        name: HeaderName,
        /// The `http` crate's refusal (which does not quote the value).
        #[source]
        source: reqwest::header::InvalidHeaderValue,
    },
    /// The HTTP client could not be built (TLS configuration).
    #[error("HTTP client for {url}: {source}")]
    Build {
        /// The endpoint's URL, redacted.
        url: EndpointUrl,
        /// reqwest's error building the client (TLS backend, roots).
        #[source]
        source: reqwest::Error,
    },
    /// The TLS handshake failed: most often the server's certificate is not signed by a trusted
    /// root (see [`Endpoint::trust_pem`]) or is not valid for the host.
    #[error(
        "TLS with {host} ({url}) failed: the server's certificate is not trusted or not valid for the host"
    )]
    Tls {
        /// The host the TLS handshake was with.
        host: String,
        /// The endpoint's URL, redacted.
        url: EndpointUrl,
        /// The failure (its chain holds the TLS library's reason).
        #[source]
        source: reqwest::Error,
    },
    /// No connection (refused, unreachable, DNS).
    #[error("cannot connect to {host} ({url})")]
    Connect {
        /// The host that could not be reached.
        host: String,
        /// The endpoint's URL, redacted.
        url: EndpointUrl,
        /// reqwest's connect error (its chain holds the OS or resolver reason).
        #[source]
        source: reqwest::Error,
    },
    /// No answer within the per-request bound.
    #[error("{url}: no answer within {after:?}")]
    Timeout {
        /// The endpoint's URL, redacted.
        url: EndpointUrl,
        /// The per-request bound that passed ([`Endpoint::timeout`]).
        after: Duration,
    },
    /// The request failed after connecting (connection closed, body error).
    #[error("request to {url} failed")]
    Request {
        /// The endpoint's URL, redacted.
        url: EndpointUrl,
        /// The failure (without the URL).
        #[source]
        source: reqwest::Error,
    },
}

impl EndpointError {
    /// The [`EndpointError`] inside an alloy transport error from an [`EndpointTransport`], if
    /// the failure was a transport one (connection, TLS, timeout).
    pub fn find(error: &TransportError) -> Option<&Self> {
        match error {
            TransportError::Transport(TransportErrorKind::Custom(e)) => e.downcast_ref(),
            _ => None,
        }
    }
}

/// How long one request may take by default (connect, TLS, answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One endpoint and how to reach it: the builder of its HTTP client and alloy transport.
#[derive(Clone)]
pub struct Endpoint {
    url: EndpointUrl,
    timeout: Duration,
    headers: HeaderMap,
    #[cfg(feature = "rustls")]
    roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    roots: Vec<reqwest::Certificate>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Endpoint");
        d.field("url", &self.url).field("timeout", &self.timeout);
        // header names only: values are secrets
        d.field("headers", &self.headers.keys().collect::<Vec<_>>());
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        d.field("extra_roots", &self.roots.len());
        d.finish()
    }
}

impl Endpoint {
    /// An endpoint with the default timeout ([`DEFAULT_TIMEOUT`]) and the default roots.
    pub fn new(url: EndpointUrl) -> Self {
        Self {
            url,
            timeout: DEFAULT_TIMEOUT,
            headers: HeaderMap::new(),
            #[cfg(any(feature = "rustls", feature = "native-tls"))]
            roots: Vec::new(),
        }
    }

    /// The endpoint's URL (redacted in `Debug` and `Display`; the full one is sent).
    pub const fn url(&self) -> &EndpointUrl {
        &self.url
    }

    /// Sets the per-request bound (connect, TLS handshake and answer; default
    /// [`DEFAULT_TIMEOUT`]).
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The per-request bound in use.
    pub const fn request_timeout(&self) -> Duration {
        self.timeout
    }

    /// Adds a header sent with every request, marked sensitive (for API keys sent as headers:
    /// never printed by `Debug`).
    pub fn secret_header(mut self, name: HeaderName, value: &str) -> Result<Self, EndpointError> {
        let mut value = HeaderValue::from_str(value)
            .map_err(|source| EndpointError::Header { name: name.clone(), source })?;
        value.set_sensitive(true);
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Trusts the root certificate(s) in `pem` in addition to the default roots (a private CA,
    /// a test CA). At least one `CERTIFICATE` block is required.
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub fn trust_pem(mut self, pem: &[u8]) -> Result<Self, EndpointError> {
        #[cfg(feature = "rustls")]
        {
            use rustls::pki_types::{CertificateDer, pem::PemObject};
            let certs =
                CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>().map_err(
                    |e| EndpointError::Certificate { reason: "not PEM", source: Some(Box::new(e)) },
                )?;
            if certs.is_empty() {
                return Err(EndpointError::Certificate {
                    reason: "no CERTIFICATE block in the PEM",
                    source: None,
                });
            }
            self.roots.extend(certs);
        }
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                EndpointError::Certificate { reason: "not PEM", source: Some(Box::new(e)) }
            })?;
            if certs.is_empty() {
                return Err(EndpointError::Certificate {
                    reason: "no CERTIFICATE block in the PEM",
                    source: None,
                });
            }
            self.roots.extend(certs);
        }
        Ok(self)
    }

    /// The `reqwest` client for this endpoint: TLS roots, timeout, headers; no system proxy.
    pub fn http_client(&self) -> Result<reqwest::Client, EndpointError> {
        let builder = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .default_headers(self.headers.clone());
        #[cfg(feature = "rustls")]
        let builder = {
            let mut store = rustls::RootCertStore::empty();
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            for cert in &self.roots {
                store.add(cert.clone()).map_err(|e| EndpointError::Certificate {
                    reason: "not a usable X.509 root certificate",
                    source: Some(Box::new(e)),
                })?;
            }
            let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| EndpointError::Certificate {
                    reason: "TLS configuration",
                    source: Some(Box::new(e)),
                })?
                .with_root_certificates(store)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            builder.tls_backend_preconfigured(config)
        };
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        let builder = builder.tls_backend_native().tls_certs_merge(self.roots.iter().cloned());
        builder.build().map_err(|source| EndpointError::Build { url: self.url.clone(), source })
    }

    /// The alloy transport for this endpoint (see [`EndpointTransport`]).
    pub fn transport(&self) -> Result<EndpointTransport, EndpointError> {
        Ok(EndpointTransport {
            http: Http::with_client(self.http_client()?, self.url.expose().clone()),
            url: self.url.clone(),
            timeout: self.timeout,
        })
    }

    /// A JSON-RPC client over [`transport`](Self::transport), for
    /// `ProviderBuilder::connect_client`. For extra layers (for example
    /// [`RoundTrips`](crate::transport::RoundTrips)), use
    /// `ClientBuilder::default().layer(..).transport(endpoint.transport()?, is_local)`.
    pub fn rpc_client(&self) -> Result<RpcClient, EndpointError> {
        let is_local = alloy_transport::utils::guess_local_url(self.url.expose().as_str());
        Ok(ClientBuilder::default().transport(self.transport()?, is_local))
    }
}

/// alloy's HTTP transport for one endpoint, with the URL kept out of tracing and errors: the
/// call runs with tracing switched off while alloy creates its spans (which carry the full URL),
/// inside a `DEBUG` span `http` with the redacted URL; transport failures come back as
/// `TransportErrorKind::Custom(`[`EndpointError`]`)` without the URL reqwest puts in its errors.
#[derive(Clone)]
pub struct EndpointTransport {
    http: Http<reqwest::Client>,
    url: EndpointUrl,
    timeout: Duration,
}

impl fmt::Debug for EndpointTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointTransport")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Service<RequestPacket> for EndpointTransport {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx)
    }

    fn call(&mut self, req: RequestPacket) -> Self::Future {
        let span = tracing::debug_span!("http", url = %self.url);
        // alloy creates its spans (with the full URL) when called: not while tracing is off
        let fut =
            tracing::dispatcher::with_default(&tracing::Dispatch::none(), || self.http.call(req));
        let url = self.url.clone();
        let timeout = self.timeout;
        Box::pin(async move { fut.await.map_err(|e| redact(e, &url, timeout)) }.instrument(span))
    }
}

/// Replaces reqwest's errors (whose `Display` holds the whole URL) by [`EndpointError`]s.
fn redact(error: TransportError, url: &EndpointUrl, timeout: Duration) -> TransportError {
    let TransportError::Transport(TransportErrorKind::Custom(inner)) = error else {
        return error;
    };
    match inner.downcast::<reqwest::Error>() {
        Ok(e) => TransportErrorKind::custom(classify(e.without_url(), url, timeout)),
        Err(other) => TransportError::Transport(TransportErrorKind::Custom(other)),
    }
}

fn classify(e: reqwest::Error, url: &EndpointUrl, timeout: Duration) -> EndpointError {
    let (host, url) = (url.host().to_string(), url.clone());
    if e.is_timeout() {
        return EndpointError::Timeout { url, after: timeout };
    }
    if is_tls_failure(&e) {
        return EndpointError::Tls { host, url, source: e };
    }
    if e.is_connect() {
        return EndpointError::Connect { host, url, source: e };
    }
    EndpointError::Request { url, source: e }
}

/// Whether the cause chain holds a TLS failure (rustls' error, or a certificate/handshake error
/// of the platform library).
fn is_tls_failure(e: &reqwest::Error) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        #[cfg(feature = "rustls")]
        {
            if err.is::<rustls::Error>() {
                return true;
            }
            if let Some(io) = err.downcast_ref::<std::io::Error>()
                && io.get_ref().is_some_and(|inner| inner.is::<rustls::Error>())
            {
                return true;
            }
        }
        let text = err.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("handshake") {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_debug_redact_userinfo_query_and_fragment() {
        let u: EndpointUrl =
            "https://user:pw@rpc.example:8443/v1/key-in-path?apikey=SECRET#frag".parse().unwrap();
        let shown = format!("{u} {u:?}");
        for secret in ["user", "pw", "SECRET", "apikey", "frag"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert_eq!(
            u.to_string(),
            "https://<redacted>@rpc.example:8443/v1/key-in-path?<redacted>#<redacted>"
        );
        assert_eq!(u.host(), "rpc.example");
        assert!(u.has_secret_parts());
        assert_eq!(u.expose().query(), Some("apikey=SECRET"));
        let plain: EndpointUrl = "http://127.0.0.1:8545".parse().unwrap();
        assert_eq!(plain.to_string(), "http://127.0.0.1:8545/");
        assert!(!plain.has_secret_parts());
    }

    #[test]
    fn bad_urls_are_typed_and_not_repeated() {
        let e = EndpointUrl::parse("https://[bad?apikey=SECRET").unwrap_err();
        assert!(matches!(e, EndpointError::InvalidUrl { .. }), "{e:?}");
        assert!(!format!("{e} {e:?}").contains("SECRET"));
        let e = EndpointUrl::parse("ws://x.example/?apikey=SECRET").unwrap_err();
        assert!(matches!(e, EndpointError::Scheme { .. }));
        assert!(!format!("{e} {e:?}").contains("SECRET"), "{e}");
    }

    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    #[test]
    fn trust_pem_requires_a_certificate() {
        let ep = Endpoint::new("https://x.example".parse().unwrap());
        let e = ep.trust_pem(b"no pem here").unwrap_err();
        assert!(matches!(e, EndpointError::Certificate { .. }), "{e:?}");
    }

    #[test]
    fn secret_headers_stay_out_of_debug() {
        let ep = Endpoint::new("https://x.example".parse().unwrap())
            .secret_header(HeaderName::from_static("x-api-key"), "SECRET")
            .unwrap();
        let shown = format!("{ep:?} {:?}", ep.transport().unwrap());
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("x-api-key"));
    }
}
