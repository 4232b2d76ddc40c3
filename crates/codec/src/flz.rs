//! FastLZ as solady's `LibZip.flzCompress` / `flzDecompress`, which SmartSession uses for ENABLE
//! payloads (and, in the legacy generation, USE signatures).
//!
//! Stream format: a sequence of instructions with control byte `c`:
//! - `c >> 5 == 0`: a literal run of `c + 1` bytes (1..=32) that follow verbatim;
//! - `c >> 5 == t` in `1..=6`: a match `[c, lo]` of `t + 2` bytes (3..=8);
//! - `c >> 5 == 7`: a match `[c, l, lo]` of `l + 9` bytes (9..=264);
//!
//! a match copies from `((c & 31) << 8 | lo) + 1` bytes back (1..=8192), overlap allowed. There
//! is no header, terminator or checksum.
//!
//! The compressor has two hash variants that pick different match candidates on rare inputs:
//! [`HashMode::Float`] reproduces solady's JavaScript (used by module-sdk) byte for byte, including
//! its IEEE-754 double multiply; [`HashMode::Exact`] reproduces `LibZip.sol`. Both produce valid
//! streams that decompress to the same bytes; the chain only decompresses.
//!
//! ```
//! use smart_sessions_codec::flz;
//! let data = [0u8; 1000];
//! let packed = flz::compress(&data);
//! assert!(packed.len() < 50); // 1000 zero bytes fit in a few match instructions
//! assert_eq!(flz::decompress(&packed, 1000)?, data);
//! assert!(flz::decompress(&packed, 999).is_err()); // the caller's size limit holds
//! # Ok::<(), smart_sessions_codec::flz::FlzError>(())
//! ```

use alloc::vec::Vec;
use core::fmt;

/// How the compressor hashes 3-byte sequences into its 8192-entry table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HashMode {
    /// `((2654435769 * x) >> 19) & 8191` computed with an `f64` multiply, as solady's JS (and so
    /// module-sdk) does; for 56 of the 2^24 inputs the rounded product lands in another bucket.
    #[default]
    Float,
    /// The same formula in exact integer arithmetic, as solady's `LibZip.sol` computes it.
    Exact,
}

#[inline(always)]
fn hash(x: u32, mode: HashMode) -> usize {
    let p = match mode {
        // The product is below 2^56, so it converts to u64 exactly; JS's ToInt32 keeps the low
        // 32 bits, and bits 19..32 are the same for the signed and the unsigned shift.
        // (i64, not u64: the value fits, and the signed conversion is one instruction on x86.)
        HashMode::Float => (2_654_435_769.0_f64 * f64::from(x)) as i64 as u32,
        HashMode::Exact => 2_654_435_769u32.wrapping_mul(x),
    };
    ((p >> 19) & 8191) as usize
}

#[inline(always)]
fn u24(data: &[u8], i: usize) -> u32 {
    // Callers guarantee i + 2 < data.len(); inside the search window (i < n - 13) four bytes
    // are always there, so one 32-bit load does.
    match data.get(i..i + 4) {
        Some(&[a, b, c, _]) => u32::from_le_bytes([a, b, c, 0]),
        _ => u32::from(data[i]) | (u32::from(data[i + 1]) << 8) | (u32::from(data[i + 2]) << 16),
    }
}

fn literals(out: &mut Vec<u8>, mut src: &[u8]) {
    while src.len() >= 32 {
        out.push(31);
        out.extend_from_slice(&src[..32]);
        src = &src[32..];
    }
    if !src.is_empty() {
        out.push((src.len() - 1) as u8);
        out.extend_from_slice(src);
    }
}

/// Number of equal bytes of `data[p..]` and `data[q..]` (p < q), at most `max`, plus one if a
/// mismatch was found before `max` (solady's quirk, which a byte-exact port must keep).
#[inline(always)]
fn match_len(data: &[u8], p: usize, q: usize, max: usize) -> usize {
    let mut l = 0;
    while l + 8 <= max {
        let a = u64::from_le_bytes(read8(data, p + l));
        let b = u64::from_le_bytes(read8(data, q + l));
        let x = a ^ b;
        if x != 0 {
            return l + (x.trailing_zeros() / 8) as usize + 1;
        }
        l += 8;
    }
    while l < max {
        if data[p + l] != data[q + l] {
            return l + 1;
        }
        l += 1;
    }
    l
}

#[inline(always)]
fn read8(data: &[u8], i: usize) -> [u8; 8] {
    let mut w = [0u8; 8];
    w.copy_from_slice(&data[i..i + 8]);
    w
}

/// Compresses like module-sdk (solady JS, [`HashMode::Float`]).
pub fn compress(data: &[u8]) -> Vec<u8> {
    compress_with(data, HashMode::Float)
}

/// Compresses with the chosen hash variant.
///
/// The output never exceeds `data.len() + data.len() / 32 + 1` bytes.
pub fn compress_with(data: &[u8], mode: HashMode) -> Vec<u8> {
    let n = data.len();
    let mut out = Vec::with_capacity(n / 2 + 16);
    // Inputs of 15 bytes or fewer are never searched: `i < b - 9` with b = n - 4 fails at i = 2.
    if n <= 15 {
        literals(&mut out, data);
        return out;
    }
    let b = n - 4;
    let limit = b - 9; // the search runs while i < limit; i + 2 < n holds throughout
    let mut table = [0u32; 8192];
    let mut anchor = 0usize;
    let mut i = 2usize;
    while i < limit {
        // Search for a 3-byte match. (solady runs one more probe at i == limit, whose table
        // write nothing reads afterwards; stopping before it gives the same output.)
        let (mut r, mut d) = (0, 0);
        let mut found = false;
        while i < limit {
            let s = u24(data, i);
            let h = hash(s, mode);
            r = table[h] as usize;
            table[h] = i as u32;
            d = i - r;
            let c = if d < 8192 { u24(data, r) } else { 0x0100_0000 };
            i += 1;
            if s == c {
                found = true;
                break;
            }
        }
        if !found || i >= limit {
            break;
        }
        i -= 1;
        if i > anchor {
            literals(&mut out, &data[anchor..i]);
        }
        let q = i + 3;
        let mut l = match_len(data, r + 3, q, b - q);
        i += l;
        d -= 1;
        while l > 262 {
            out.extend_from_slice(&[224 + (d >> 8) as u8, 253, (d & 255) as u8]);
            l -= 262;
        }
        if l < 7 {
            out.extend_from_slice(&[((l << 5) + (d >> 8)) as u8, (d & 255) as u8]);
        } else {
            out.extend_from_slice(&[224 + (d >> 8) as u8, (l - 7) as u8, (d & 255) as u8]);
        }
        // i <= b - 3 here, so both reads end at or before index b.
        table[hash(u24(data, i), mode)] = i as u32;
        i += 1;
        table[hash(u24(data, i), mode)] = i as u32;
        i += 1;
        anchor = i;
    }
    literals(&mut out, &data[anchor..]);
    out
}

/// Every 24-bit input whose [`HashMode::Float`] bucket differs from its [`HashMode::Exact`]
/// bucket (56 values; the first is 3883895). On these inputs the JavaScript and Solidity
/// compressors may choose different matches.
pub fn divergent_hash_inputs() -> Vec<u32> {
    (0..1u32 << 24).filter(|&x| hash(x, HashMode::Float) != hash(x, HashMode::Exact)).collect()
}

/// What is wrong with a FastLZ stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlzErrorKind {
    /// A literal run extends past the end of the input.
    TruncatedLiteral {
        /// Bytes the run needs after its control byte.
        needed: usize,
        /// Bytes left after the control byte.
        available: usize,
    },
    /// A match instruction is cut off (2 or 3 bytes needed).
    TruncatedMatch {
        /// Bytes the instruction needs including the control byte.
        needed: usize,
        /// Bytes left including the control byte.
        available: usize,
    },
    /// A match reaches back before the start of the output.
    DistanceTooFar {
        /// How many bytes back the match copies from (1 ..= 8192).
        distance: usize,
        /// Bytes decoded so far.
        available: usize,
    },
    /// The output would exceed the caller's limit.
    OutputLimit {
        /// The caller's `max_output` (for signatures, their `max_payload`, by default
        /// [`DEFAULT_MAX_PAYLOAD`](crate::DEFAULT_MAX_PAYLOAD)).
        limit: usize,
    },
}

/// A malformed FastLZ stream, with the input offset of the instruction at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlzError {
    /// Offset of the instruction's control byte in the compressed input.
    pub offset: usize,
    /// What is wrong with the instruction at [`offset`](Self::offset).
    pub kind: FlzErrorKind,
}

impl fmt::Display for FlzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.offset;
        match self.kind {
            FlzErrorKind::TruncatedLiteral { needed, available } => write!(
                f,
                "malformed stream: literal run at offset {o} needs {needed} bytes, {available} left"
            ),
            FlzErrorKind::TruncatedMatch { needed, available } => write!(
                f,
                "malformed stream: match at offset {o} needs {needed} bytes, {available} left"
            ),
            FlzErrorKind::DistanceTooFar { distance, available } => write!(
                f,
                "malformed stream: match at offset {o} reaches {distance} bytes back, only {available} decoded"
            ),
            FlzErrorKind::OutputLimit { limit } => {
                write!(
                    f,
                    "output would exceed the limit of {limit} bytes (instruction at offset {o})"
                )
            }
        }
    }
}

impl core::error::Error for FlzError {}

/// Decompresses a FastLZ stream, refusing to produce more than `max_output` bytes.
///
/// Unlike solady (which reads whatever lies in memory), every instruction is checked: a literal
/// or match header past the end of the input, or a match distance beyond the bytes decoded so
/// far, is an [`FlzError`] naming the offset. Memory use is bounded by `max_output`, so a
/// decompression bomb is an error, not an out-of-memory abort.
pub fn decompress(data: &[u8], max_output: usize) -> Result<Vec<u8>, FlzError> {
    let mut out: Vec<u8> = Vec::with_capacity(data.len().saturating_mul(2).min(max_output));
    let mut i = 0usize;
    while let Some(&c) = data.get(i) {
        let offset = i;
        let t = c >> 5;
        if t == 0 {
            let len = usize::from(c) + 1;
            let Some(run) = data.get(i + 1..i + 1 + len) else {
                return Err(FlzError {
                    offset,
                    kind: FlzErrorKind::TruncatedLiteral {
                        needed: len,
                        available: data.len() - i - 1,
                    },
                });
            };
            if out.len() + len > max_output {
                return Err(FlzError {
                    offset,
                    kind: FlzErrorKind::OutputLimit { limit: max_output },
                });
            }
            out.extend_from_slice(run);
            i += 1 + len;
            continue;
        }
        let (len, lo, width) = if t == 7 {
            match data.get(i + 1..i + 3) {
                Some(&[l, lo]) => (usize::from(l) + 9, lo, 3),
                _ => {
                    return Err(FlzError {
                        offset,
                        kind: FlzErrorKind::TruncatedMatch { needed: 3, available: data.len() - i },
                    });
                }
            }
        } else {
            match data.get(i + 1) {
                Some(&lo) => (usize::from(t) + 2, lo, 2),
                None => {
                    return Err(FlzError {
                        offset,
                        kind: FlzErrorKind::TruncatedMatch { needed: 2, available: 1 },
                    });
                }
            }
        };
        let distance = ((usize::from(c & 31) << 8) | usize::from(lo)) + 1;
        if distance > out.len() {
            return Err(FlzError {
                offset,
                kind: FlzErrorKind::DistanceTooFar { distance, available: out.len() },
            });
        }
        if out.len() + len > max_output {
            return Err(FlzError { offset, kind: FlzErrorKind::OutputLimit { limit: max_output } });
        }
        copy_match(&mut out, distance, len);
        i += width;
    }
    Ok(out)
}

/// Appends `len` bytes copied from `distance` bytes back, LZ77-style (overlap repeats the
/// pattern). `1 <= distance <= out.len()`.
#[inline(always)]
fn copy_match(out: &mut Vec<u8>, distance: usize, len: usize) {
    let start = out.len() - distance;
    if distance >= len {
        out.extend_from_within(start..start + len);
    } else if distance == 1 {
        let b = out[start];
        out.resize(out.len() + len, b);
    } else {
        // Overlapping copy: the pattern of `distance` bytes doubles with every step.
        let mut remaining = len;
        while remaining > 0 {
            let avail = out.len() - start;
            let n = avail.min(remaining);
            out.extend_from_within(start..start + n);
            remaining -= n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_inputs_are_literals_only() {
        assert!(compress(&[]).is_empty());
        assert_eq!(compress(b"abc"), [2, b'a', b'b', b'c']);
        let fifteen = [7u8; 15];
        let c = compress(&fifteen);
        assert_eq!(c.len(), 16);
        assert_eq!(c[0], 14);
    }

    #[test]
    fn malformed_streams_name_the_offset() {
        assert_eq!(
            decompress(&[0x02, b'a'], 100),
            Err(FlzError {
                offset: 0,
                kind: FlzErrorKind::TruncatedLiteral { needed: 3, available: 1 }
            })
        );
        // match of 3 bytes, distance 1, with nothing decoded
        assert_eq!(
            decompress(&[0x20, 0x00], 100),
            Err(FlzError {
                offset: 0,
                kind: FlzErrorKind::DistanceTooFar { distance: 1, available: 0 }
            })
        );
        assert_eq!(
            decompress(&[0x00, b'a', 0x20], 100),
            Err(FlzError {
                offset: 2,
                kind: FlzErrorKind::TruncatedMatch { needed: 2, available: 1 }
            })
        );
        assert_eq!(
            decompress(&[0x00, b'a', 0xe0, 0x01], 100),
            Err(FlzError {
                offset: 2,
                kind: FlzErrorKind::TruncatedMatch { needed: 3, available: 2 }
            })
        );
    }

    #[test]
    fn overlapping_matches_repeat_the_pattern() {
        // "ab" then a 9+3 = 12 byte match at distance 2
        let out = decompress(&[0x01, b'a', b'b', 0xe0, 0x03, 0x01], 100).unwrap();
        assert_eq!(out, b"ababababababab");
    }

    #[test]
    fn bombs_hit_the_limit() {
        let mut bomb = vec![0x00, 0x00];
        for _ in 0..10_000 {
            bomb.extend_from_slice(&[0xe0, 0xff, 0x00]);
        }
        let err = decompress(&bomb, 1 << 20).unwrap_err();
        assert_eq!(err.kind, FlzErrorKind::OutputLimit { limit: 1 << 20 });
        assert_eq!(decompress(&bomb, usize::MAX).unwrap().len(), 1 + 10_000 * 264);
    }

    #[test]
    fn float_hash_diverges_exactly_where_documented() {
        // The first divergent input named in protocol.md.
        assert_ne!(hash(3_883_895, HashMode::Float), hash(3_883_895, HashMode::Exact));
        assert_eq!(hash(3_883_894, HashMode::Float), hash(3_883_894, HashMode::Exact));
    }
}
