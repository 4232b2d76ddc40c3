//! Field-naming, bounded readers for the JSON values of the SDK shapes.
//!
//! Every error these readers raise starts with the path of the offending value in backticks
//! (`` `rules[2].ref`: … ``), whatever the serde format; sequences have a maximum length, checked
//! before anything is stored, so hostile input cannot make them allocate without bound; strings
//! quoted back in errors are escaped and cut to [`QUOTE_MAX`] characters.

use alloc::{format, string::String, vec::Vec};
use alloy_primitives::{B256, I256, U256};
use core::{fmt, marker::PhantomData};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The most characters of a hostile string quoted back in an error.
pub const QUOTE_MAX: usize = 80;

/// `s` escaped (control characters and quotes) and cut to [`QUOTE_MAX`] characters.
pub(crate) fn quote(s: &str) -> String {
    let cut: String = s.chars().take(QUOTE_MAX).collect();
    let more = if s.chars().nth(QUOTE_MAX).is_some() { "…" } else { "" };
    format!("{cut:?}{more}")
}

/// Prefixes the path segment `seg` (`name` or `[i]`) to an error, merging with a path the
/// error already starts with.
pub(crate) fn at<E: de::Error>(seg: &str, e: impl fmt::Display) -> E {
    let msg = format!("{e}");
    match msg.strip_prefix('`') {
        Some(rest) if rest.starts_with('[') => E::custom(format_args!("`{seg}{rest}")),
        Some(rest) => E::custom(format_args!("`{seg}.{rest}")),
        None => E::custom(format_args!("`{seg}`: {msg}")),
    }
}

/// Reads the next map value as `T`, naming `field` in its error.
pub(crate) fn value<'de, A: MapAccess<'de>, T: de::Deserialize<'de>>(
    map: &mut A,
    field: &str,
) -> Result<T, A::Error> {
    map.next_value::<T>().map_err(|e| at(field, e))
}

/// Reads the next map value with `seed`, naming `field` in its error.
pub(crate) fn value_seed<'de, A: MapAccess<'de>, S: DeserializeSeed<'de>>(
    map: &mut A,
    field: &str,
    seed: S,
) -> Result<S::Value, A::Error> {
    map.next_value_seed(seed).map_err(|e| at(field, e))
}

/// Refuses a field given twice.
pub(crate) fn once<T, E: de::Error>(slot: &Option<T>, field: &'static str) -> Result<(), E> {
    if slot.is_some() { Err(E::duplicate_field(field)) } else { Ok(()) }
}

/// Reads the value of key `field` into `slot` with `read`, refusing a second occurrence of the
/// key (the one-line form of a visitor's `once` check and assignment).
pub(crate) fn fill<'de, A: MapAccess<'de>, T>(
    map: &mut A,
    slot: &mut Option<T>,
    field: &'static str,
    read: impl FnOnce(&mut A, &'static str) -> Result<T, A::Error>,
) -> Result<(), A::Error> {
    once(slot, field)?;
    *slot = Some(read(map, field)?);
    Ok(())
}

/// An integer as the SDKs write it: a JSON number, a decimal string (an optional trailing `n`),
/// a `0x` hex string, or a tagged bigint `{"__type": "bigint", "value": …}`. ASCII digits only.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Int(pub(crate) U256);

struct IntVisitor;

fn parse_int<E: de::Error>(s: &str) -> Result<U256, E> {
    let t = s.trim();
    let (digits, radix) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (t.strip_suffix('n').unwrap_or(t), 10),
    };
    if digits.is_empty() && radix == 16 {
        return Ok(U256::ZERO);
    }
    let ok = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| if radix == 16 { b.is_ascii_hexdigit() } else { b.is_ascii_digit() });
    if !ok {
        return Err(E::custom(format_args!(
            "{} is not a decimal or 0x-hex integer (ASCII digits only)",
            quote(s)
        )));
    }
    U256::from_str_radix(digits, radix)
        .map_err(|_| E::custom(format_args!("{} does not fit 256 bits", quote(s))))
}

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Int;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer: a JSON number, a decimal or 0x-hex string, or a tagged bigint")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
        Ok(Int(U256::from(v)))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Int, E> {
        Ok(Int(U256::from(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
        u64::try_from(v)
            .map(|v| Int(U256::from(v)))
            .map_err(|_| E::custom(format_args!("{v} is negative")))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Int, E> {
        u128::try_from(v)
            .map(|v| Int(U256::from(v)))
            .map_err(|_| E::custom(format_args!("{v} is negative")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
        if (0.0..9_007_199_254_740_992.0).contains(&v) && (v as u64) as f64 == v {
            Ok(Int(U256::from(v as u64)))
        } else if v < 0.0 {
            Err(E::custom(format_args!("{v} is negative")))
        } else {
            Err(E::custom(format_args!(
                "{v} is not an exact integer (write numbers from 2^53 on as strings)"
            )))
        }
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Int, E> {
        parse_int(s).map(Int)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Int, A::Error> {
        let mut out = None;
        while let Some(key) = map.next_key::<KeyStr>()? {
            if key.0 == "value" {
                once(&out, "value")?;
                out = Some(value::<_, Int>(&mut map, "value")?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        out.ok_or_else(|| de::Error::missing_field("value"))
    }
}

impl<'de> de::Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor)
    }
}

impl Int {
    pub(crate) fn narrow<T: TryFrom<U256>, E: de::Error>(self, bits: u32) -> Result<T, E> {
        T::try_from(self.0)
            .map_err(|_| E::custom(format_args!("{} does not fit {bits} bits", self.0)))
    }
}

/// A map key, borrowed or owned, bounded in what it keeps.
pub(crate) struct KeyStr(pub(crate) String);

impl<'de> de::Deserialize<'de> for KeyStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<KeyStr, E> {
                // field names are short: keep at most QUOTE_MAX characters (unknown keys are ignored)
                Ok(KeyStr(s.chars().take(QUOTE_MAX).collect()))
            }
        }
        d.deserialize_str(V)
    }
}

/// A rule's `ref`: `0x` hex of at most 32 bytes (left-padded, as viem's `pad`), a non-negative
/// integer as [`Int`] reads it, or a negative JSON number (two's complement, as the ABI encodes
/// an `int256`).
pub(crate) struct Ref(pub(crate) B256);

impl<'de> de::Deserialize<'de> for Ref {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ref;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a ref: 0x hex of at most 32 bytes, or an integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ref, E> {
                Ok(Ref(B256::from(U256::from(v))))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Ref, E> {
                Ok(Ref(B256::from(U256::from(v))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ref, E> {
                let i = I256::try_from(v).map_err(|_| E::custom("out of range"))?;
                Ok(Ref(B256::from(i.into_raw())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ref, E> {
                IntVisitor.visit_f64(v).map(|i| Ref(B256::from(i.0)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Ref, E> {
                let t = s.trim();
                if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                    if h.len() > 64 {
                        return Err(E::custom(format_args!(
                            "{} is longer than 32 bytes",
                            quote(s)
                        )));
                    }
                    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(E::custom(format_args!("{} is not 0x hex", quote(s))));
                    }
                    let mut w = [0u8; 32];
                    // right-aligned nibbles: an odd count gets a leading zero
                    for (i, c) in h.bytes().rev().enumerate() {
                        let nib = (c as char).to_digit(16).unwrap_or(0) as u8;
                        let byte = 31 - i / 2;
                        w[byte] |= if i % 2 == 0 { nib } else { nib << 4 };
                    }
                    Ok(Ref(B256::new(w)))
                } else {
                    parse_int(s).map(|u| Ref(B256::from(u)))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Ref, A::Error> {
                IntVisitor.visit_map(map).map(|i| Ref(B256::from(i.0)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A sequence of at most `max` elements read with `elem`, each error naming its index; the
/// `max + 1`-th element is refused before it is stored.
pub(crate) struct Bounded<T, F> {
    pub(crate) max: usize,
    pub(crate) what: &'static str,
    pub(crate) elem: F,
    pub(crate) _t: PhantomData<T>,
}

impl<T, F> Bounded<T, F> {
    pub(crate) const fn new(max: usize, what: &'static str, elem: F) -> Self {
        Self { max, what, elem, _t: PhantomData }
    }
}

impl<'de, T, F, S> DeserializeSeed<'de> for Bounded<T, F>
where
    F: Fn() -> S,
    S: DeserializeSeed<'de, Value = T>,
{
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T, F, S> Visitor<'de> for Bounded<T, F>
where
    F: Fn() -> S,
    S: DeserializeSeed<'de, Value = T>,
{
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of at most {} {}", self.max, self.what)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        loop {
            if out.len() == self.max {
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(format_args!(
                        "more than {} {} (the most accepted)",
                        self.max, self.what
                    )));
                }
                return Ok(out);
            }
            let i = out.len();
            match seq.next_element_seed((self.elem)()).map_err(|e| at(&format!("[{i}]"), e))? {
                Some(v) => out.push(v),
                None => return Ok(out),
            }
        }
    }
}

/// A seed that reads `T` with its `Deserialize`.
pub(crate) struct Plain<T>(pub(crate) PhantomData<T>);

impl<T> Plain<T> {
    pub(crate) const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: de::Deserialize<'de>> DeserializeSeed<'de> for Plain<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}
