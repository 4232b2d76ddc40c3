//! The one function every text the CLI did not write itself goes through before it is printed:
//! a node's or bundler's error message, a transport error, a log field. [`printable`] redacts
//! URLs and remembered URL secrets ([`crate::redact`]), escapes control characters (ANSI
//! escapes, NUL, …: no terminal injection), folds lines into one, and bounds the length.
//!
//! ```
//! use smart_sessions_cli::text::printable;
//! assert_eq!(printable("bad\u{1b}[31m\0 thing\n  here"), "bad\\u{1b}[31m\\0 thing here");
//! ```

/// Longest text printed, in bytes of the escaped form; the rest is replaced by a note saying how
/// much was left out.
pub const MAX_PRINTED: usize = 4096;

/// `text`, safe to print on one terminal line (see the module documentation).
pub fn printable(text: &str) -> String {
    printable_bounded(text, MAX_PRINTED)
}

/// [`printable`] with `max` bytes (of the escaped form) as the bound instead of [`MAX_PRINTED`].
///
/// ```
/// use smart_sessions_cli::text::printable_bounded;
///
/// assert_eq!(printable_bounded("abcdef", 4), "abcd … (2 more bytes not shown)");
/// assert_eq!(printable_bounded("a\tb", 4), "a b");
/// ```
pub fn printable_bounded(text: &str, max: usize) -> String {
    // bound the work first: a 1 GB message is not scanned whole
    let (head, cut) = match text.char_indices().nth(max) {
        Some((i, _)) => (&text[..i], text.len() - i),
        None => (text, 0),
    };
    let head = crate::redact::scrub(&crate::redact::redact_urls(head));
    let mut out = String::with_capacity(head.len().min(max) + 32);
    let mut dropped = cut;
    let mut space = false;
    for (i, c) in head.char_indices() {
        if out.len() >= max {
            dropped += head.len() - i;
            break;
        }
        if c.is_whitespace() {
            // folds newlines and runs of spaces into one space
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        match c {
            '\0' => out.push_str("\\0"),
            c if c.is_control() || is_bidi_or_invisible(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    if dropped > 0 {
        out.push_str(&format!(" … ({dropped} more bytes not shown)"));
    }
    out
}

/// `e`'s message followed by its `source()` chain, `": "`-separated, on one line (not yet
/// [`printable`]).
///
/// ```
/// #[derive(Debug, thiserror::Error)]
/// #[error("reading the table")]
/// struct Outer(#[source] std::fmt::Error);
///
/// assert_eq!(
///     smart_sessions_cli::text::with_causes(&Outer(std::fmt::Error)),
///     "reading the table: an error occurred when formatting an argument"
/// );
/// ```
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Characters that reorder or hide text on a terminal (bidirectional overrides, zero-width).
const fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_length_bounded() {
        let hostile = format!("\u{1b}]0;owned\u{7}\u{1b}[2J\0{}", "A".repeat(1 << 20));
        let p = printable(&hostile);
        assert!(!p.contains('\u{1b}') && !p.contains('\0') && !p.contains('\u{7}'), "{p:.80}");
        assert!(p.starts_with("\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\0AAA"), "{p:.80}");
        assert!(p.len() < MAX_PRINTED + 64, "{}", p.len());
        assert!(p.ends_with("more bytes not shown)"), "{}", &p[p.len() - 60..]);
        assert_eq!(printable("a\r\n\tb \u{202e}c"), "a b \\u{202e}c");
    }
}
