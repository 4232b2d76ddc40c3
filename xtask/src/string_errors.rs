//! `cargo xtask test`'s check that no error type of the client, CLI or MEE crates carries only
//! free text (issue 14: "no `String`-only error variant remains"): a variant whose whole payload
//! is `String`s (`Other(String)`, `Failed { reason: String }`) drops what failed, where, and the
//! cause. Context goes in typed fields next to it, the cause in `#[source]`.
//!
//! An error type is an `enum` or `struct` whose name ends in `Error`, `Failure` or `Refusal`, or
//! that derives `thiserror::Error`. Flagged: a tuple payload of text only (`Other(String)`: the
//! text says nothing of what it is), and named text fields that hold prose (`reason`, `message`,
//! `detail`, `what`, …) when they are the whole payload. A text field that holds the offending
//! input itself (`UnknownVersion { version }`, `NotFound { path }`) is context, not prose.

use crate::{Result, root};
use std::{fs, path::Path};

/// The crates the rule covers.
const CRATES: &[&str] =
    &["crates/client/src", "crates/cli/src", "crates/mee/src", "crates/mee-node/src"];

/// Field names that hold prose rather than the offending value.
const PROSE: &[&str] = &[
    "reason",
    "message",
    "msg",
    "detail",
    "details",
    "what",
    "description",
    "text",
    "error",
    "cause",
    "why",
];

/// Types that are free text.
const TEXT: &[&str] = &["String", "Box<str>", "Cow<'static, str>", "Cow<'_, str>"];

fn strip(text: &str) -> String {
    // comments and attributes off (`#[error("…")]` carries text with braces and commas)
    let mut out = String::new();
    for line in text.lines() {
        let code = line.find("//").map_or(line, |i| &line[..i]);
        out.push_str(code);
        out.push('\n');
    }
    let mut clean = String::new();
    let bytes = out.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'#' && bytes.get(i + 1) == Some(&b'[') {
            let mut depth = 0;
            let mut in_str = false;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' if bytes.get(i.wrapping_sub(1)) != Some(&b'\\') => in_str = !in_str,
                    b'[' if !in_str => depth += 1,
                    b']' if !in_str => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        clean.push(bytes[i] as char);
        i += 1;
    }
    clean
}

fn split_top(list: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in list.char_indices() {
        match c {
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&list[start..]);
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

fn is_text(ty: &str) -> bool {
    let ty = ty.trim().trim_start_matches("pub(crate) ").trim_start_matches("pub ").trim();
    TEXT.contains(&ty)
}

/// Whether a payload (the inside of `(…)` or `{…}`) is free text only: text fields, each either
/// unnamed or named as prose.
fn prose_only(body: &str, named: bool) -> bool {
    let fields = split_top(body);
    !fields.is_empty()
        && fields.iter().all(|f| {
            if named {
                f.split_once(':').is_some_and(|(name, ty)| {
                    let name =
                        name.trim().trim_start_matches("pub(crate) ").trim_start_matches("pub ");
                    is_text(ty) && PROSE.contains(&name.trim())
                })
            } else {
                is_text(f)
            }
        })
}

fn balanced(text: &str, open: usize) -> Option<(usize, &str)> {
    let bytes = text.as_bytes();
    let (l, r) = match bytes[open] {
        b'{' => (b'{', b'}'),
        _ => (b'(', b')'),
    };
    let mut depth = 0;
    for (i, b) in bytes.iter().enumerate().skip(open) {
        if *b == l {
            depth += 1;
        } else if *b == r {
            depth -= 1;
            if depth == 0 {
                return Some((i, &text[open + 1..i]));
            }
        }
    }
    None
}

/// `Type::Variant` (or `Type`) of every error type in `source` whose payload is only text.
pub(crate) fn text_only(source: &str, derives_error: impl Fn(&str) -> bool) -> Vec<String> {
    let text = strip(source);
    let mut found = Vec::new();
    for keyword in ["enum ", "struct "] {
        let mut from = 0;
        while let Some(at) = text[from..].find(keyword) {
            let at = from + at;
            from = at + keyword.len();
            if at > 0 && text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[from..];
            let name_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(0);
            let name = &rest[..name_len];
            if name.is_empty() {
                continue;
            }
            let is_error = ["Error", "Failure", "Refusal"].iter().any(|s| name.ends_with(s))
                || derives_error(name);
            if !is_error {
                continue;
            }
            let Some(open) = rest.find(['{', '(', ';']).map(|i| from + i) else { continue };
            if text.as_bytes()[open] == b';' {
                continue;
            }
            let Some((_, body)) = balanced(&text, open) else { continue };
            if keyword == "struct " {
                if prose_only(body, text.as_bytes()[open] == b'{') {
                    found.push(name.to_string());
                }
                continue;
            }
            for variant in split_top(body) {
                let Some(open) = variant.find(['{', '(']) else { continue };
                let Some((_, payload)) = balanced(variant, open) else { continue };
                if prose_only(payload, variant.as_bytes()[open] == b'{') {
                    found.push(format!("{name}::{}", variant[..open].trim()));
                }
            }
        }
    }
    // a function whose error is bare text
    for (at, _) in text.match_indices(", String>") {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[line_start..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        if line.contains("Result<") && (line.contains("fn ") || line.contains("-> Result<")) {
            let name = line
                .split("fn ")
                .nth(1)
                .map_or("closure", |r| &r[..r.find(['(', '<']).unwrap_or(r.len())]);
            found.push(format!("fn {name} -> Result<_, String>"));
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Fails with every text-only error variant of the covered crates, by file.
pub(crate) fn check() -> Result {
    let root = root();
    let mut files = Vec::new();
    for dir in CRATES {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut bad = Vec::new();
    for file in &files {
        let source = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        // the derive list closest before `enum NAME` / `struct NAME` names `Error`
        let derives = |name: &str| {
            ["enum ", "struct "].iter().any(|k| {
                source.match_indices(&format!("{k}{name}")).any(|(at, _)| {
                    let before = &source[..at];
                    before.rfind("derive(").is_some_and(|d| {
                        let list = &before[d..];
                        let list = &list[..list.find(')').unwrap_or(list.len())];
                        list.contains("Error") && !before[d..].contains("\n}\n")
                    })
                })
            })
        };
        for item in text_only(&source, derives) {
            let shown = file.strip_prefix(&root).unwrap_or(file).display().to_string();
            bad.push(format!("  {shown}: {item}"));
        }
    }
    if bad.is_empty() {
        eprintln!("string errors: none in {} files", files.len());
        Ok(())
    } else {
        Err(format!(
            "error types whose payload is only free text (give them typed context and a #[source]):\n{}",
            bad.join("\n")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::text_only;

    #[test]
    fn finds_text_only_variants_and_nothing_else() {
        let source = r#"
            /// docs, with a brace { and a comma,
            #[derive(Debug, thiserror::Error)]
            pub enum FlowError {
                #[error("refused: {0}")]
                Other(String),
                #[error("step {step}: {reason}")]
                Failed { reason: String },
                #[error("field `{field}` {rule}")]
                Bad { field: String, rule: &'static str },
                #[error("unknown version {version}")]
                UnknownVersion { version: String },
                Io(#[source] std::io::Error),
                Plain,
                Map(Vec<String>),
            }
            pub struct EvalError(pub String);
            pub struct Fine(String);
            pub struct ParseError { pub at: usize, pub text: String }
            pub struct LooseError { pub message: String }
            pub fn run(keep: bool) -> Result<Demo, String> { Err(String::new()) }
            let connect = |url: &str| -> Result<Url, String> { Err(url.into()) };
            fn fine() -> Result<(), Error> { Ok(()) }
        "#;
        let found = text_only(source, |_| false);
        assert_eq!(
            found,
            [
                "FlowError::Other",
                "FlowError::Failed",
                "EvalError",
                "LooseError",
                "fn run -> Result<_, String>",
                "fn closure -> Result<_, String>",
            ]
        );
    }
}
