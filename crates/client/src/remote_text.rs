//! [`RemoteText`]: text a remote party wrote (a bundler's error message), made safe to print:
//! control characters escaped (no terminal escape sequences, no NUL bytes), length bounded.

use std::fmt;

/// At most this many characters of a remote message are kept.
pub const REMOTE_TEXT_LIMIT: usize = 512;

/// Text from a remote party (bundler, paymaster, node), escaped and bounded: control characters
/// (ANSI escapes, NUL, newlines) appear as `\u{..}` escapes, and anything past
/// [`REMOTE_TEXT_LIMIT`] characters is cut, with the number of characters left out.
///
/// ```
/// use smart_sessions_client::RemoteText;
/// let t = RemoteText::new("AA24 \u{1b}[31msignature\u{0} error");
/// assert_eq!(t.as_str(), "AA24 \\u{1b}[31msignature\\u{0} error");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RemoteText(String);

impl RemoteText {
    /// Escapes and bounds `raw`.
    pub fn new(raw: &str) -> Self {
        let mut out = String::with_capacity(raw.len().min(REMOTE_TEXT_LIMIT + 32));
        let mut chars = raw.chars();
        for (kept, c) in chars.by_ref().enumerate() {
            if kept == REMOTE_TEXT_LIMIT {
                let rest = 1 + chars.count();
                out.push_str(&format!("… ({rest} more characters)"));
                break;
            }
            if c.is_control() {
                out.extend(c.escape_unicode());
            } else {
                out.push(c);
            }
        }
        Self(out)
    }

    /// The escaped, bounded text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RemoteText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_length_bounded() {
        let t = RemoteText::new("a\u{1b}[2J\u{0}\nb");
        assert_eq!(t.as_str(), "a\\u{1b}[2J\\u{0}\\u{a}b");
        assert!(!t.as_str().chars().any(char::is_control));
        let long = "x".repeat(1_000_000);
        let t = RemoteText::new(&long);
        assert!(t.as_str().len() < REMOTE_TEXT_LIMIT + 40, "{}", t.as_str().len());
        assert!(t.as_str().ends_with("… (999488 more characters)"), "{}", &t.as_str()[500..]);
    }
}
