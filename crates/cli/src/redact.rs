//! URLs without their secrets. Node and bundler URLs often carry an API key (`?apikey=…`,
//! `https://user:key@host/…`); everything the CLI prints shows a URL as scheme, host, port and
//! path only: userinfo, query and fragment are dropped.
//!
//! [`UrlArg`] holds a URL as given on the command line (its `Debug` shows only the redacted
//! form), [`SafeUrl`] a parsed one (its `Display`, `Debug` and `Serialize` are redacted;
//! [`SafeUrl::expose`] is for connecting only). [`redact_urls`] redacts every URL inside a text,
//! such as a transport error's message; the secret parts of every URL parsed here are also
//! remembered and scrubbed from any text by [`scrub`] (in case a server echoes them).
//!
//! ```
//! use smart_sessions_cli::redact::SafeUrl;
//! let url: SafeUrl = "https://me:pw@rpc.example/v1?apikey=k3y#x".parse().unwrap();
//! assert_eq!(url.to_string(), "https://rpc.example/v1");
//! assert_eq!(smart_sessions_cli::redact::redact_urls("failed (http://a:b@h:1/p?k=v)"), "failed (http://h:1/p)");
//! ```

use std::{
    fmt,
    sync::{Mutex, PoisonError},
};
use url::Url;

/// Secret fragments (userinfo, query, fragment) of the URLs seen, scrubbed from printed text.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Shortest fragment remembered as a secret (shorter ones would garble unrelated text).
const MIN_SECRET_LEN: usize = 4;

fn remember(part: &str) {
    if part.len() >= MIN_SECRET_LEN {
        let mut s = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
        if !s.iter().any(|x| x == part) {
            s.push(part.to_string());
        }
    }
}

/// Remembers a secret that is not part of a URL (an API key given by flag or environment), so
/// [`scrub`] replaces it in any printed text. Secrets shorter than 4 characters are not
/// remembered (they would garble unrelated text).
///
/// ```
/// use smart_sessions_cli::redact::{remember_secret, scrub};
/// remember_secret("mee_k3y_0123");
/// assert_eq!(scrub("node said: bad key mee_k3y_0123"), "node said: bad key [redacted]");
/// ```
pub fn remember_secret(secret: &str) {
    remember(secret);
}

/// Remembers the secret parts of a URL string (parsed or not) for [`scrub`].
fn remember_parts(raw: &str) {
    let Some((_, rest)) = raw.split_once("://") else { return };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if let Some((userinfo, _)) = rest[..end].rsplit_once('@') {
        remember(userinfo);
        for p in userinfo.split(':') {
            remember(p);
        }
    }
    if let Some((_, query)) = rest.split_once('?') {
        let query = query.split('#').next().unwrap_or_default();
        remember(query);
        for pair in query.split('&') {
            remember(pair);
            if let Some((_, v)) = pair.split_once('=') {
                remember(v);
            }
        }
    }
    if let Some((_, fragment)) = rest.split_once('#') {
        remember(fragment);
    }
}

/// Replaces every remembered secret fragment in `text` by `[redacted]`: the userinfo, query and
/// fragment parts of every URL parsed by this module, and every [`remember_secret`]. Use it on
/// text a server wrote, which may echo a key.
///
/// ```
/// use smart_sessions_cli::redact::{UrlArg, scrub};
///
/// let _: UrlArg = "https://node.example/v1?apikey=s3cr3t-k3y".parse().unwrap();
/// assert_eq!(scrub("bad api key s3cr3t-k3y"), "bad api key [redacted]");
/// ```
pub fn scrub(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out = text.to_string();
    // longest first, so a pair is replaced before its value
    let mut list: Vec<&String> = secrets.iter().collect();
    list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in list {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    out
}

/// The redacted form of a URL string: scheme, host, port and path; userinfo, query and fragment
/// dropped. Works on strings that do not parse as URLs too.
///
/// ```
/// use smart_sessions_cli::redact::redact_url;
///
/// let url = "wss://me:pw@node.example:8546/ws?key=k#f";
/// assert_eq!(redact_url(url), "wss://node.example:8546/ws");
/// // not a URL the parser accepts (an unclosed IPv6 host): still cut
/// assert_eq!(redact_url("http://me:pw@[::1/x?key=k"), "http://[::1/x");
/// ```
pub fn redact_url(raw: &str) -> String {
    if let Ok(u) = Url::parse(raw) {
        return SafeUrl(u).to_string();
    }
    let cut = raw.find(['?', '#']).unwrap_or(raw.len());
    let raw = &raw[..cut];
    match raw.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            let host = rest[..end].rsplit_once('@').map_or(&rest[..end], |(_, h)| h);
            format!("{scheme}://{host}{}", &rest[end..])
        }
        None => raw.to_string(),
    }
}

/// `text` with every `scheme://…` URL in it redacted (see [`redact_url`]).
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // the scheme: ASCII letters, digits, `+`, `-`, `.` before `://`
        let start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |j| j + 1);
        // the URL ends at whitespace, a quote or a closing bracket
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | '>' | '`' | ','))
            .map_or(rest.len(), |j| i + j);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A URL given on the command line or in the environment, not yet parsed. Its `Debug` is the
/// redacted form, so argument dumps never show a key.
#[derive(Clone)]
pub struct UrlArg(String);

impl std::str::FromStr for UrlArg {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        remember_parts(s);
        Ok(Self(s.to_string()))
    }
}

impl fmt::Debug for UrlArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UrlArg({})", redact_url(&self.0))
    }
}

/// Why a URL argument is not a URL; shows only the redacted form of what was given.
#[derive(Debug, thiserror::Error)]
#[error("{flag} {shown}: {source}")]
pub struct UrlError {
    /// The flag (e.g. `--bundler-url`).
    pub flag: &'static str,
    /// The argument with its userinfo, query and fragment removed ([`redact_url`]): safe to print.
    pub shown: String,
    /// The parser's reason (names no part of the URL).
    #[source]
    pub source: url::ParseError,
}

impl UrlArg {
    /// Parses the URL; the error names `flag` and shows only the redacted form.
    ///
    /// ```
    /// use smart_sessions_cli::redact::UrlArg;
    ///
    /// let arg: UrlArg = "https://me:pw@rpc.example/v1?apikey=k3y".parse().unwrap();
    /// assert_eq!(format!("{arg:?}"), "UrlArg(https://rpc.example/v1)");
    /// let url = arg.parse("--rpc-url")?;
    /// assert_eq!(url.to_string(), "https://rpc.example/v1");
    /// assert_eq!(url.expose().query(), Some("apikey=k3y")); // for connecting only
    /// let bad: UrlArg = "rpc.example".parse().unwrap();
    /// let e = bad.parse("--rpc-url").unwrap_err();
    /// assert_eq!(e.to_string(), "--rpc-url rpc.example: relative URL without a base");
    /// # Ok::<(), smart_sessions_cli::redact::UrlError>(())
    /// ```
    pub fn parse(&self, flag: &'static str) -> Result<SafeUrl, UrlError> {
        self.0.parse().map_err(|source| UrlError { flag, shown: redact_url(&self.0), source })
    }
}

/// A parsed URL whose `Display`, `Debug` and `Serialize` show scheme, host, port and path only.
#[derive(Clone, PartialEq, Eq)]
pub struct SafeUrl(Url);

impl SafeUrl {
    /// The full URL, secrets included: for connecting, never for printing.
    pub const fn expose(&self) -> &Url {
        &self.0
    }
}

impl std::str::FromStr for SafeUrl {
    type Err = url::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        remember_parts(s);
        Url::parse(s).map(Self)
    }
}

impl From<Url> for SafeUrl {
    fn from(u: Url) -> Self {
        remember_parts(u.as_str());
        Self(u)
    }
}

impl fmt::Display for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.0;
        write!(f, "{}:", u.scheme())?;
        if let Some(host) = u.host_str() {
            f.write_str("//")?;
            f.write_str(host)?;
            if let Some(port) = u.port() {
                write!(f, ":{port}")?;
            }
        }
        f.write_str(u.path())
    }
}

impl fmt::Debug for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafeUrl({self})")
    }
}

impl serde::Serialize for SafeUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_scheme_host_port_path_only() {
        let u: SafeUrl =
            "https://alice:pw0rd@node.example:8443/v2/x?apikey=s3cret#frag".parse().unwrap();
        assert_eq!(u.to_string(), "https://node.example:8443/v2/x");
        assert_eq!(format!("{u:?}"), "SafeUrl(https://node.example:8443/v2/x)");
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"https://node.example:8443/v2/x\"");
        // unparsable: still redacted
        assert_eq!(redact_url("http://alice:pw@[::1/p?apikey=s3cret"), "http://[::1/p");
        let t =
            redact_urls("error sending request for url (http://a:b@127.0.0.1:1/?apikey=s3cret) x");
        assert_eq!(t, "error sending request for url (http://127.0.0.1:1/) x");
        assert_eq!(scrub("echo apikey=s3cret and pw0rd"), "echo [redacted] and [redacted]");
    }
}
