//! `eval` over a stream: one answer line per request line, in order, with bounded memory. A line
//! longer than [`EVAL_MAX_LINE`] or not UTF-8 gets an error line naming its number and the
//! limit or offset, and processing continues with the next line.

use super::{EvalError, eval_line};
use serde_json::json;
use std::io::{self, BufRead, Read, Write};

/// Longest request line (4 MiB; the shared vectors' longest is under 100 KB).
pub const EVAL_MAX_LINE: usize = 4 << 20;

/// How far past an over-long line `eval` looks for its end before it stops (64 MiB).
pub const EVAL_MAX_SKIP: u64 = 64 << 20;

/// Answers every line of `input` on `output`. Errors: reading or writing failed, or an over-long
/// line has no end within [`EVAL_MAX_SKIP`] bytes (e.g. `eval /dev/zero`), after its error line
/// (an [`io::Error`] wrapping [`EvalError::NoLineEnd`]).
///
/// ```
/// use smart_sessions_cli::eval::eval_stream;
///
/// let approve = r#"{"function":"selector","inputs":{"signature":"approve(address,uint256)"}}"#;
/// let input = format!("{approve}\n\nnot json\n");
/// let mut out = Vec::new();
/// eval_stream(input.as_bytes(), &mut out)?;
/// let out = String::from_utf8(out).unwrap();
/// // a blank line gets no answer; every other line one, in order
/// let lines: Vec<&str> = out.lines().collect();
/// assert_eq!(lines.len(), 2);
/// assert_eq!(lines[0], r#"{"output":"0x095ea7b3"}"#); // ERC-20 `approve`
/// assert!(lines[1].starts_with(r#"{"error":"malformed request line"#));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn eval_stream(mut input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut number = 0u64;
    loop {
        buf.clear();
        let n = input.by_ref().take(EVAL_MAX_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return output.flush();
        }
        number += 1;
        if buf.last() != Some(&b'\n') && buf.len() > EVAL_MAX_LINE {
            let e = EvalError::LineTooLong { line: number, limit: EVAL_MAX_LINE };
            writeln!(output, "{}", json!({ "error": e.to_string() }))?;
            output.flush()?;
            skip_line(&mut input, number)?;
            continue;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        match std::str::from_utf8(&buf) {
            Ok(line) if line.trim().is_empty() => {}
            Ok(line) => writeln!(output, "{}", eval_line(line))?,
            Err(e) => {
                let e = EvalError::NotUtf8 { line: number, offset: e.valid_up_to() };
                writeln!(output, "{}", json!({ "error": e.to_string() }))?;
            }
        }
    }
}

/// Discards the rest of an over-long line, up to [`EVAL_MAX_SKIP`] bytes.
fn skip_line(input: &mut impl BufRead, number: u64) -> io::Result<()> {
    let mut skipped = 0u64;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        if let Some(i) = chunk.iter().position(|b| *b == b'\n') {
            input.consume(i + 1);
            return Ok(());
        }
        let len = chunk.len();
        input.consume(len);
        skipped += len as u64;
        if skipped > EVAL_MAX_SKIP {
            return Err(io::Error::other(EvalError::NoLineEnd {
                line: number,
                skip: EVAL_MAX_SKIP,
                limit: EVAL_MAX_LINE,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_get_error_lines_and_the_stream_continues() {
        let good = r#"{"function":"selector","inputs":{"signature":"transfer(address,uint256)"}}"#;
        let mut input = Vec::new();
        input.extend_from_slice(b"{\"function\":\"sel\xffector\"}\n");
        input.extend_from_slice(&vec![b' '; EVAL_MAX_LINE + 10]);
        input.push(b'\n');
        input.extend_from_slice(good.as_bytes());
        input.push(b'\n');
        let mut out = Vec::new();
        eval_stream(&input[..], &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out:.300}");
        assert!(lines[0].contains("line 1: not UTF-8 (invalid byte at offset 16)"), "{}", lines[0]);
        assert!(
            lines[1].contains("line 2: longer than the limit of 4194304 bytes"),
            "{}",
            lines[1]
        );
        assert_eq!(lines[2], r#"{"output":"0xa9059cbb"}"#);
    }
}
