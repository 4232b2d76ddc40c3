//! Why a node call failed: the node refused (with its parsed message), or the network or the
//! answer failed (named by call and host, never by key or full URL).

use std::time::Duration;

use alloy_primitives::B256;

use super::{NodeCall, NodeMessage};

/// A node client that cannot be built from what it was given. No variant contains the URL text
/// or the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The node URL does not parse.
    #[error("MEE node URL does not parse")]
    InvalidUrl {
        /// The parse failure (it does not contain the URL).
        #[source]
        source: url::ParseError,
    },
    /// The node URL's scheme is neither `http` nor `https`.
    #[error("MEE node URL scheme {scheme:?} is not http or https")]
    UnsupportedScheme {
        /// The scheme of the URL given (e.g. `ftp`), without the rest of the URL.
        scheme: String,
    },
    /// The node URL is `https`, but the crate was built without its `rustls` feature.
    #[error("MEE node URL is https, but this build has no TLS (the `rustls` feature is off)")]
    HttpsWithoutTls,
    /// The node URL has no host.
    #[error("MEE node URL has no host")]
    MissingHost,
    /// The API key is the empty string (give no key instead).
    #[error("MEE API key is empty")]
    EmptyApiKey,
    /// The API key holds a byte a header cannot carry.
    #[error("MEE API key has a byte at offset {offset} that is not visible ASCII")]
    InvalidApiKey {
        /// Byte offset of the first such byte.
        offset: usize,
    },
    /// A timeout of zero was given.
    #[error("MEE node {which} timeout must be above zero")]
    ZeroTimeout {
        /// Which timeout (`request`, `connect`).
        which: &'static str,
    },
    /// The HTTP client (TLS setup) could not be built.
    #[error("MEE node HTTP client could not be built")]
    HttpClient {
        /// reqwest's builder error (e.g. the TLS configuration was refused).
        #[source]
        source: reqwest::Error,
    },
}

/// A JSON answer without a member the client needs, or with the wrong type there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` is not {expected}")]
pub struct ShapeError {
    /// Where, as a JSON path (`supportedChains[1].chainId`, `hash`).
    pub field: String,
    /// What was expected there.
    pub expected: &'static str,
}

impl ShapeError {
    /// A shape error at `field`.
    pub fn new(field: impl Into<String>, expected: &'static str) -> Self {
        Self { field: field.into(), expected }
    }
}

/// Why a node call failed.
///
/// [`NodeError::Refused`] is the node's own answer (a non-2xx status with a JSON body, read the
/// SDK's way); every other variant is a network or answer failure. Each names the call and the
/// node's host, never the API key, the URL's query or userinfo. Sources keep the cause
/// (`reqwest::Error`s are stripped of their URL).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The node answered a non-2xx status with a JSON body: a refusal. `message` is
    /// `parseErrorMessage(json.error ?? json)`, as the SDK throws it.
    #[error("MEE node {host} refused {call}: HTTP {status}: {message}")]
    Refused {
        /// Which node endpoint was called (`info`, `quote`, `exec`, `explorer`, ...).
        call: NodeCall,
        /// The node's `host[:port]`.
        host: String,
        /// The HTTP status code of the node's answer.
        status: u16,
        /// The node's message (escaped when shown, bounded, key removed).
        message: NodeMessage,
    },
    /// No connection could be made (refused, DNS, TLS handshake, connect timeout): the request
    /// was not sent.
    #[error("MEE node {host} unreachable for {call}; the request was not sent")]
    Unreachable {
        /// Which node endpoint was called (`info`, `quote`, `exec`, `explorer`, ...).
        call: NodeCall,
        /// The node's `host[:port]`.
        host: String,
        /// reqwest's connect error (stripped of the URL).
        #[source]
        source: reqwest::Error,
    },
    /// No complete answer arrived within the request timeout.
    #[error("MEE node {host}: no complete answer to {call} within {timeout:?}")]
    Timeout {
        /// Which node endpoint was called (`info`, `quote`, `exec`, `explorer`, ...).
        call: NodeCall,
        /// The node's `host[:port]`.
        host: String,
        /// The request timeout that passed (the client's `timeout` setting).
        timeout: Duration,
        /// reqwest's timeout error, when reqwest noticed first.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The connection broke after the request may have been sent (closed before or during the
    /// answer).
    #[error("MEE node {host}: connection lost during {call}")]
    ConnectionLost {
        /// Which node endpoint was called (`info`, `quote`, `exec`, `explorer`, ...).
        call: NodeCall,
        /// The node's `host[:port]`.
        host: String,
        /// reqwest's error for the broken connection (stripped of the URL).
        #[source]
        source: reqwest::Error,
    },
    /// Any other HTTP-level failure (for example a malformed answer head).
    #[error("MEE node {host}: HTTP failure during {call}")]
    Http {
        /// Which node endpoint was called (`info`, `quote`, `exec`, `explorer`, ...).
        call: NodeCall,
        /// The node's `host[:port]`.
        host: String,
        /// reqwest's HTTP error (stripped of the URL).
        #[source]
        source: reqwest::Error,
    },
    /// The answer's body is not JSON (an HTML error page, garbage, an empty body).
    #[error("MEE node {host}: {call} answered HTTP {status} with a body that is not JSON: {body}")]
    NotJson {
        /// Which node endpoint was called (`info`, `quote`, `exec`, `explorer`, ...).
        call: NodeCall,
        /// The node's `host[:port]`.
        host: String,
        /// The HTTP status code of the node's answer.
        status: u16,
        /// The start of the body (lossy UTF-8, escaped when shown, bounded).
        body: NodeMessage,
        /// `serde_json`'s parse error for the body.
        #[source]
        source: serde_json::Error,
    },
    /// The answer's body is larger than the client accepts.
    #[error("MEE node {host}: {call} answered HTTP {status} with more than {limit} bytes")]
    TooLarge {
        /// Which node endpoint was called (`info`, `quote`, `exec`, `explorer`, ...).
        call: NodeCall,
        /// The node's `host[:port]`.
        host: String,
        /// The HTTP status code of the node's answer.
        status: u16,
        /// The client's body-size bound in bytes (`max_body_bytes`, default 16 MiB).
        limit: usize,
    },
    /// A 2xx JSON answer without what the call needs.
    #[error("MEE node {host}: {call} answered HTTP {status} with an unexpected shape")]
    UnexpectedShape {
        /// Which node endpoint was called (`info`, `quote`, `exec`, `explorer`, ...).
        call: NodeCall,
        /// The node's `host[:port]`.
        host: String,
        /// The HTTP status code of the node's answer.
        status: u16,
        /// What is missing or mistyped.
        #[source]
        source: ShapeError,
    },
    /// The signed quote given to `exec` cannot be sent (nothing was sent).
    #[error("signed quote not sent to MEE node {host}: invalid")]
    InvalidSignedQuote {
        /// The node's `host[:port]`.
        host: String,
        /// What is missing or mistyped.
        #[source]
        source: ShapeError,
    },
    /// `exec` may or may not have been accepted: the request was sent but no valid answer came
    /// back. Check `explorer(hash)` before sending the quote again.
    #[error(
        "MEE node {host}: exec of supertransaction {hash} has an unknown outcome; check its \
         status before sending it again"
    )]
    ExecOutcomeUnknown {
        /// The node's `host[:port]`.
        host: String,
        /// The supertransaction hash (the quote's `hash`).
        hash: B256,
        /// The error that left the outcome unknown (a timeout, a lost connection, a bad answer).
        #[source]
        source: Box<Self>,
    },
}

impl NodeError {
    /// Which node endpoint the failed call was (for logs and retry decisions).
    pub const fn call(&self) -> NodeCall {
        match self {
            Self::Refused { call, .. }
            | Self::Unreachable { call, .. }
            | Self::Timeout { call, .. }
            | Self::ConnectionLost { call, .. }
            | Self::Http { call, .. }
            | Self::NotJson { call, .. }
            | Self::TooLarge { call, .. }
            | Self::UnexpectedShape { call, .. } => *call,
            Self::InvalidSignedQuote { .. } | Self::ExecOutcomeUnknown { .. } => NodeCall::Exec,
        }
    }

    /// The node's `host[:port]`.
    pub fn host(&self) -> &str {
        match self {
            Self::Refused { host, .. }
            | Self::Unreachable { host, .. }
            | Self::Timeout { host, .. }
            | Self::ConnectionLost { host, .. }
            | Self::Http { host, .. }
            | Self::NotJson { host, .. }
            | Self::TooLarge { host, .. }
            | Self::UnexpectedShape { host, .. }
            | Self::InvalidSignedQuote { host, .. }
            | Self::ExecOutcomeUnknown { host, .. } => host,
        }
    }

    /// The HTTP status, when an answer head arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. }
            | Self::NotJson { status, .. }
            | Self::TooLarge { status, .. }
            | Self::UnexpectedShape { status, .. } => Some(*status),
            Self::ExecOutcomeUnknown { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The node's refusal message, for [`NodeError::Refused`].
    pub const fn node_message(&self) -> Option<&NodeMessage> {
        match self {
            Self::Refused { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the node refused (as opposed to a network or answer failure).
    pub const fn is_refusal(&self) -> bool {
        matches!(self, Self::Refused { .. })
    }

    /// Whether sending the same call again cannot do anything twice and may succeed.
    ///
    /// - Not sent ([`NodeError::Unreachable`]): yes, for every call.
    /// - Timeouts, lost connections, rate limits (429) and gateway errors (502, 503, 504, with
    ///   or without a JSON body): only for calls that change nothing (`info`, `quote*`,
    ///   `explorer`); never for `exec`, whose outcome is then unknown.
    /// - Everything else (refusals, garbage answers, invalid quotes): no.
    ///
    /// The client itself never retries.
    pub const fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Timeout { call, .. } | Self::ConnectionLost { call, .. } => call.is_idempotent(),
            Self::Refused { call, status, .. } | Self::NotJson { call, status, .. } => {
                call.is_idempotent() && matches!(*status, 429 | 502 | 503 | 504)
            }
            _ => false,
        }
    }
}
