//! Text that came from the node, made safe to show: bounded, secret-free, escaped.

use std::fmt;

use super::ApiKey;

/// How many characters of a node message are kept; the rest is cut and [`NodeMessage::is_truncated`]
/// says so.
pub const MAX_NODE_MESSAGE_CHARS: usize = 1024;

/// A message the node sent (its parsed `error` payload, an `executionError`, or the start of a body
/// that is not JSON), kept so that it can be shown without harm.
///
/// - It holds at most [`MAX_NODE_MESSAGE_CHARS`] characters.
/// - Every occurrence of the client's API key is replaced by `<redacted>` (a node may echo the
///   key it refused).
/// - `Display` escapes control characters (`\n`, `\u{1b}`, …) and bidirectional controls, so a
///   message cannot forge log lines or terminal sequences; [`NodeMessage::as_str`] gives the
///   unescaped text.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeMessage {
    text: String,
    truncated: bool,
}

impl NodeMessage {
    /// Bounds `text` and removes `secret` from it.
    pub fn new(text: &str, secret: Option<&ApiKey>) -> Self {
        let redacted;
        let text = match secret {
            Some(key) if !key.expose().is_empty() && text.contains(key.expose()) => {
                redacted = text.replace(key.expose(), "<redacted>");
                redacted.as_str()
            }
            _ => text,
        };
        match text.char_indices().nth(MAX_NODE_MESSAGE_CHARS) {
            Some((cut, _)) => Self { text: text[..cut].to_owned(), truncated: true },
            None => Self { text: text.to_owned(), truncated: false },
        }
    }

    /// The (bounded, redacted) text, not escaped.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the node's text was longer than [`MAX_NODE_MESSAGE_CHARS`] and was cut.
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for NodeMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.text.chars() {
            if c.is_control() || is_bidi_control(c) {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_fmt(format_args!("{c}"))?;
            }
        }
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// Unicode bidirectional controls, which can make a terminal show text in another order.
const fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl fmt::Debug for NodeMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeMessage({:?}", self.text)?;
        if self.truncated {
            f.write_str(", truncated")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_redacted_escaped() {
        let key = ApiKey::new("k3y").unwrap();
        let m = NodeMessage::new("bad key k3y\n\u{1b}[31m", Some(&key));
        assert_eq!(m.as_str(), "bad key <redacted>\n\u{1b}[31m");
        assert_eq!(m.to_string(), "bad key <redacted>\\n\\u{1b}[31m");
        assert_eq!(NodeMessage::new("a\u{202e}b", None).to_string(), "a\\u{202e}b");
        let long = "é".repeat(MAX_NODE_MESSAGE_CHARS + 5);
        let m = NodeMessage::new(&long, None);
        assert!(m.is_truncated());
        assert_eq!(m.as_str().chars().count(), MAX_NODE_MESSAGE_CHARS);
    }
}
