//! The node's base URL: how request URLs are formed from it, and how it is shown (host only).

use std::fmt;

use reqwest::Url;

use super::ConfigError;

/// The base URL of an MEE node's REST API, such as `https://network.biconomy.io/v1`.
///
/// Request URLs are formed as the SDK forms them, `${url}/${path}`: the base path, one `/`, then
/// the call's path, so a path that itself starts with `/` (the SDK's fee-payer `"/quote-permit"`)
/// gives a double slash. Two deliberate differences from plain string concatenation: a trailing
/// `/` of the base is dropped (the SDK would send `…/v1//info`), and a query string of the base
/// stays a query string after the path (the SDK would put the path inside the query).
///
/// A base URL may carry userinfo or a query (some gateways take credentials there); neither is
/// ever printed: `Display` and `Debug` show `scheme://host[:port]/path` and mark what was
/// withheld, and errors name only [`NodeUrl::host`].
#[derive(Clone, PartialEq, Eq)]
pub struct NodeUrl {
    url: Url,
    /// The base path without trailing `/` (empty for a bare host).
    path: String,
}

impl NodeUrl {
    /// The SDK's default node, `https://network.biconomy.io/v1`.
    pub const BICONOMY: &'static str = "https://network.biconomy.io/v1";
    /// The SDK's staging node, `https://staging-network.biconomy.io/v1`.
    pub const BICONOMY_STAGING: &'static str = "https://staging-network.biconomy.io/v1";

    /// Parses an `http` or `https` URL with a host. `https` needs the `rustls` feature (on by
    /// default). The error never contains the URL text.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let mut url = Url::parse(url).map_err(|source| ConfigError::InvalidUrl { source })?;
        match url.scheme() {
            "http" => {}
            "https" if cfg!(feature = "rustls") => {}
            "https" => return Err(ConfigError::HttpsWithoutTls),
            other => return Err(ConfigError::UnsupportedScheme { scheme: other.to_owned() }),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError::MissingHost);
        }
        url.set_fragment(None);
        let path = url.path().trim_end_matches('/').to_owned();
        Ok(Self { url, path })
    }

    /// `host[:port]`, the only part of the URL that errors and logs show.
    pub fn host(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// `scheme://host[:port]/path`: the base without its userinfo and query, for fields that
    /// name this node to the node itself (the sponsorship URL); never a redaction marker.
    pub fn without_credentials(&self) -> String {
        format!("{}://{}{}", self.url.scheme(), self.host(), self.path)
    }

    /// The URL of `path` under this base (`${base}/${path}`, query kept after the path).
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        url.set_path(&format!("{}/{path}", self.path));
        url
    }
}

impl fmt::Display for NodeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let userinfo = if !self.url.username().is_empty() || self.url.password().is_some() {
            "<redacted>@"
        } else {
            ""
        };
        write!(f, "{}://{userinfo}{}{}", self.url.scheme(), self.host(), self.path)?;
        if self.url.query().is_some() {
            f.write_str("?<redacted>")?;
        }
        Ok(())
    }
}

impl fmt::Debug for NodeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeUrl(\"{self}\")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_like_the_sdk() {
        let u = NodeUrl::parse("http://127.0.0.1:18600/v1").unwrap();
        assert_eq!(u.join("info").as_str(), "http://127.0.0.1:18600/v1/info");
        assert_eq!(u.join("/quote-permit").as_str(), "http://127.0.0.1:18600/v1//quote-permit");
        let u = NodeUrl::parse("https://user:pw@node.example/v1/?key=s3cret").unwrap();
        assert_eq!(u.join("exec").as_str(), "https://user:pw@node.example/v1/exec?key=s3cret");
        assert_eq!(u.to_string(), "https://<redacted>@node.example/v1?<redacted>");
        assert_eq!(u.host(), "node.example");
        assert_eq!(u.without_credentials(), "https://node.example/v1");
        assert!(!format!("{u:?}").contains("s3cret"));
        let bare = NodeUrl::parse("http://localhost:8080").unwrap();
        assert_eq!(bare.join("info").as_str(), "http://localhost:8080/info");
        assert!(matches!(NodeUrl::parse("ftp://x/v1"), Err(ConfigError::UnsupportedScheme { .. })));
        assert!(matches!(NodeUrl::parse("not a url"), Err(ConfigError::InvalidUrl { .. })));
    }
}
