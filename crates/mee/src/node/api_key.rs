//! The MEE node API key: sent as `x-api-key`, never shown.

use std::fmt;

use reqwest::header::HeaderValue;

use super::ConfigError;

/// An MEE node API key (the `x-api-key` header).
///
/// `Debug` prints `ApiKey(<redacted>)`; the header value is marked sensitive, so HTTP-level
/// debugging does not print it either. Error messages from the node that echo the key get it
/// replaced (see [`NodeMessage`](super::NodeMessage)).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    key: String,
}

impl ApiKey {
    /// Checks that `key` can be sent as a header value (visible ASCII, no control characters) and
    /// is not empty. The error never contains the key.
    pub fn new(key: impl Into<String>) -> Result<Self, ConfigError> {
        let key = key.into();
        if key.is_empty() {
            return Err(ConfigError::EmptyApiKey);
        }
        if let Some(at) = key.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(ConfigError::InvalidApiKey { offset: at });
        }
        Ok(Self { key })
    }

    /// The key itself, for the wire (and for the `mee.http.request` vectors). Do not log it.
    pub fn expose(&self) -> &str {
        &self.key
    }

    /// The `x-api-key` header value, marked sensitive.
    pub(crate) fn header_value(&self) -> HeaderValue {
        let mut value = HeaderValue::from_str(&self.key).expect("checked in ApiKey::new");
        value.set_sensitive(true);
        value
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}
