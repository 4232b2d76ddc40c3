//! Reading a request's inputs: each reader names the input key in its [`EvalError`].

use super::{EvalError, Res};
use alloy_primitives::{U256, hex};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The input `key` (required) as a `T`.
pub(super) fn field<T: DeserializeOwned>(inputs: &Map<String, Value>, key: &str) -> Res<T> {
    let v = inputs.get(key).ok_or_else(|| missing(key))?;
    deserialize(v, key)
}

/// The input `key` as a `T`, or `default` when it is absent or `null`.
pub(super) fn field_or<T: DeserializeOwned>(
    inputs: &Map<String, Value>,
    key: &str,
    default: T,
) -> Res<T> {
    match inputs.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => deserialize(v, key),
    }
}

/// `v` (the input `key`) as a `T`.
pub(super) fn deserialize<T: DeserializeOwned>(v: &Value, key: &str) -> Res<T> {
    T::deserialize(v).map_err(|source| EvalError::BadInput { field: key.into(), source })
}

/// The error of a missing input `key`.
pub(super) fn missing(key: &str) -> EvalError {
    EvalError::MissingInput { field: key.into() }
}

/// An integer input given as a JSON number, a decimal string or a hex string.
pub(super) fn uint(inputs: &Map<String, Value>, key: &str) -> Res<U256> {
    let v = inputs.get(key).ok_or_else(|| missing(key))?;
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| EvalError::NotNonNegative { field: key.into(), number: n.clone() }),
        Value::String(s) => {
            let t = s.trim();
            let r = match t.strip_prefix("0x") {
                Some(h) => U256::from_str_radix(h, 16),
                None => U256::from_str_radix(t, 10),
            };
            r.map_err(|source| EvalError::NotUnsigned {
                field: key.into(),
                given: s.clone(),
                source,
            })
        }
        _ => Err(EvalError::NotAnInteger { field: key.into() }),
    }
}

/// An integer input that must fit a `bits`-bit `T`.
pub(super) fn uint_fits<T: TryFrom<U256>>(
    inputs: &Map<String, Value>,
    key: &str,
    bits: u32,
) -> Res<T> {
    let value = uint(inputs, key)?;
    T::try_from(value).map_err(|_| EvalError::TooWide { field: key.into(), value, bits })
}

/// A one-byte input given as hex (`"0x01"`) or a number.
pub(super) fn byte(inputs: &Map<String, Value>, key: &str) -> Res<u8> {
    let v = inputs.get(key).ok_or_else(|| missing(key))?;
    match v {
        Value::String(s) if s.starts_with("0x") => {
            let b =
                hex::decode(s).map_err(|source| EvalError::Hex { field: key.into(), source })?;
            match b.as_slice() {
                [x] => Ok(*x),
                _ => Err(EvalError::NotOneByte { field: key.into(), len: b.len() }),
            }
        }
        _ => uint_fits::<u8>(inputs, key, 8),
    }
}
