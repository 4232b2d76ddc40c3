//! Reading the SDK's JSON (bigints as decimal strings, numbers, tagged bigints, 0x hex) with
//! errors that name the field.

use crate::{MeeError, Result};
use alloy_primitives::{Address, B256, Bytes, U256};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// Serialises an address EIP-55 checksummed, the way viem writes the addresses it computes and
/// abstractjs sends them (serde's default for `Address` is lower case).
pub(crate) fn checksummed<S: Serializer, A: core::borrow::Borrow<Address>>(
    a: &A,
    s: S,
) -> core::result::Result<S::Ok, S::Error> {
    s.serialize_str(&a.borrow().to_checksum(None))
}

/// [`checksummed`] for an optional address.
pub(crate) fn checksummed_opt<S: Serializer>(
    a: &Option<Address>,
    s: S,
) -> core::result::Result<S::Ok, S::Error> {
    match a {
        Some(a) => checksummed(a, s),
        None => s.serialize_none(),
    }
}

/// A session validator's init data as abstractjs 1.2.3 writes it: for the MEE K1 validator it
/// IS the redeemer's address (`sessionValidatorInitData: redeemer`, checksummed by viem), so 20
/// bytes are written as an EIP-55 address; anything else as lower-case hex.
pub(crate) fn validator_init_data_text(b: &Bytes) -> String {
    match <[u8; 20]>::try_from(b.as_ref()) {
        Ok(a) => Address::from(a).to_checksum(None),
        Err(_) => b.to_string(),
    }
}

/// Serialises with [`validator_init_data_text`].
pub(crate) fn validator_init_data<S: Serializer, B: core::borrow::Borrow<Bytes>>(
    b: &B,
    s: S,
) -> core::result::Result<S::Ok, S::Error> {
    s.serialize_str(&validator_init_data_text(b.borrow()))
}

/// Member `key` of `obj`, or an error naming `path.key`.
pub(crate) fn get<'a>(obj: &'a Value, path: &str, key: &str) -> Result<&'a Value> {
    obj.get(key).ok_or_else(|| MeeError::field(format!("{path}.{key}"), "missing"))
}

/// `obj` as a JSON object.
pub(crate) fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| MeeError::field(path, "expected an object"))
}

/// `v` as an array.
pub(crate) fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    v.as_array().ok_or_else(|| MeeError::field(path, "expected an array"))
}

/// An integer: JSON number, decimal or 0x string, `{"__type":"bigint","value":…}` or the
/// vectors' `{"bigint":…}`.
pub(crate) fn uint(v: &Value, path: &str) -> Result<U256> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| MeeError::field(path, "expected a non-negative integer")),
        Value::String(s) => {
            parse_uint_str(s).ok_or_else(|| MeeError::field(path, "expected an integer string"))
        }
        Value::Object(o) => match o.get("value").or_else(|| o.get("bigint")) {
            Some(inner) => uint(inner, path),
            None => Err(MeeError::field(path, "expected an integer")),
        },
        _ => Err(MeeError::field(path, "expected an integer")),
    }
}

fn parse_uint_str(s: &str) -> Option<U256> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if h.is_empty() { Some(U256::ZERO) } else { U256::from_str_radix(h, 16).ok() }
    } else {
        U256::from_str_radix(t.strip_suffix('n').unwrap_or(t), 10).ok()
    }
}

/// An integer that fits 64 bits.
pub(crate) fn u64_of(v: &Value, path: &str) -> Result<u64> {
    let n = uint(v, path)?;
    u64::try_from(n).map_err(|_| MeeError::field(path, "does not fit 64 bits"))
}

/// A 20-byte address (any case).
pub(crate) fn address(v: &Value, path: &str) -> Result<Address> {
    let s = v.as_str().ok_or_else(|| MeeError::field(path, "expected an address string"))?;
    s.parse::<Address>().map_err(|_| MeeError::field(path, "expected a 0x address of 20 bytes"))
}

/// Reads the string at `path` as a 32-byte word in 0x hex.
pub(crate) fn b256(v: &Value, path: &str) -> Result<B256> {
    let s = v.as_str().ok_or_else(|| MeeError::field(path, "expected a 0x hex string"))?;
    s.parse::<B256>().map_err(|_| MeeError::field(path, "expected 32 bytes of 0x hex"))
}

/// Reads the string at `path` as 0x hex bytes of any length.
pub(crate) fn bytes(v: &Value, path: &str) -> Result<Bytes> {
    let s = v.as_str().ok_or_else(|| MeeError::field(path, "expected a 0x hex string"))?;
    s.parse::<Bytes>().map_err(|_| MeeError::field(path, "expected 0x hex bytes"))
}

/// Reads the JSON boolean at `path`.
pub(crate) fn boolean(v: &Value, path: &str) -> Result<bool> {
    v.as_bool().ok_or_else(|| MeeError::field(path, "expected a boolean"))
}

/// A bigint as a decimal string when serialised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dec<T>(pub T);

impl<T: core::fmt::Display> Serialize for Dec<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}
