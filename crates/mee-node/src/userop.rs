//! The filled userOp of a quote (`MeeFilledUserOp`) and its JSON form: every quantity a decimal
//! string, as abstractjs 1.2.3 reads and echoes it.

use crate::{NodeError, hashes};
use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::{Map, Value, json};
use smart_sessions_bindings::common::entry_point::PackedUserOperation;

/// A userOp with every gas field filled by the node (the signature comes at exec).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilledUserOp {
    /// The smart account the userOp is for (the EntryPoint calls it).
    pub sender: Address,
    /// `key << 64 | seq`.
    pub nonce: U256,
    /// `factory ‖ factoryData`, or empty.
    pub init_code: Bytes,
    /// The calldata the EntryPoint calls the account with: the request's `callData`, or the
    /// node's fee transfer for the payment userOp.
    pub call_data: Bytes,
    /// Gas for the account call.
    pub call_gas_limit: u128,
    /// Gas for validation (and deployment).
    pub verification_gas_limit: u128,
    /// EIP-1559 `maxFeePerGas` the node quotes (wei per gas; see [`crate::GasPolicy`]).
    pub max_fee_per_gas: u128,
    /// EIP-1559 `maxPriorityFeePerGas` the node quotes (wei per gas).
    pub max_priority_fee_per_gas: u128,
    /// Paymaster data (empty: the local node has no paymaster).
    pub paymaster_and_data: Bytes,
    /// Gas paid to the bundler beyond execution.
    pub pre_verification_gas: u128,
}

impl FilledUserOp {
    /// The packed v0.7 form with `signature`.
    pub fn pack(&self, signature: Bytes) -> PackedUserOperation {
        let pack2 = |hi: u128, lo: u128| {
            let mut b = [0u8; 32];
            b[..16].copy_from_slice(&hi.to_be_bytes());
            b[16..].copy_from_slice(&lo.to_be_bytes());
            B256::from(b)
        };
        PackedUserOperation {
            sender: self.sender,
            nonce: self.nonce,
            initCode: self.init_code.clone(),
            callData: self.call_data.clone(),
            accountGasLimits: pack2(self.verification_gas_limit, self.call_gas_limit),
            preVerificationGas: U256::from(self.pre_verification_gas),
            gasFees: pack2(self.max_priority_fee_per_gas, self.max_fee_per_gas),
            paymasterAndData: self.paymaster_and_data.clone(),
            signature,
        }
    }

    /// The ERC-4337 v0.7 userOp hash.
    pub fn hash(&self, entry_point: Address, chain_id: u64) -> B256 {
        hashes::user_op_hash(&self.pack(Bytes::new()), entry_point, chain_id)
    }

    /// `callGasLimit + verificationGasLimit + preVerificationGas`: the most gas this op can be
    /// charged for.
    pub fn max_gas_limit(&self) -> u128 {
        self.call_gas_limit + self.verification_gas_limit + self.pre_verification_gas
    }

    /// The quote's JSON form (`userOps[i].userOp`).
    pub fn to_json(&self) -> Value {
        json!({
            "sender": self.sender.to_checksum(None),
            "nonce": self.nonce.to_string(),
            "initCode": self.init_code.to_string(),
            "callData": self.call_data.to_string(),
            "callGasLimit": self.call_gas_limit.to_string(),
            "verificationGasLimit": self.verification_gas_limit.to_string(),
            "maxFeePerGas": self.max_fee_per_gas.to_string(),
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas.to_string(),
            "paymasterAndData": self.paymaster_and_data.to_string(),
            "preVerificationGas": self.pre_verification_gas.to_string(),
        })
    }

    /// Reads the JSON form; `at` names the place in the request for errors.
    pub fn from_json(v: &Value, at: &str) -> Result<Self, NodeError> {
        let o = object(v, at)?;
        Ok(Self {
            sender: address(o, "sender", at)?,
            nonce: quantity(o, "nonce", at)?,
            init_code: bytes_or_empty(o, "initCode", at)?,
            call_data: bytes(o, "callData", at)?,
            call_gas_limit: gas(o, "callGasLimit", at)?,
            verification_gas_limit: gas(o, "verificationGasLimit", at)?,
            max_fee_per_gas: gas(o, "maxFeePerGas", at)?,
            max_priority_fee_per_gas: gas(o, "maxPriorityFeePerGas", at)?,
            paymaster_and_data: bytes_or_empty(o, "paymasterAndData", at)?,
            pre_verification_gas: gas(o, "preVerificationGas", at)?,
        })
    }
}

fn bad(at: &str, field: &str, rule: &'static str) -> NodeError {
    NodeError::BadRequest { field: format!("{at}.{field}"), rule }
}

/// `v` as a JSON object.
pub(crate) fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, NodeError> {
    v.as_object()
        .ok_or_else(|| NodeError::BadRequest { field: at.into(), rule: "must be an object" })
}

/// A decimal (or 0x-hex) string, or a JSON number.
pub(crate) fn quantity(o: &Map<String, Value>, field: &str, at: &str) -> Result<U256, NodeError> {
    match o.get(field) {
        Some(Value::String(s)) => {
            let parsed = if let Some(hex) = s.strip_prefix("0x") {
                U256::from_str_radix(hex, 16)
            } else {
                U256::from_str_radix(s, 10)
            };
            parsed.map_err(|_| bad(at, field, "must be a decimal or 0x-hex quantity"))
        }
        Some(Value::Number(n)) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| bad(at, field, "must be a non-negative integer")),
        _ => Err(bad(at, field, "missing quantity")),
    }
}

/// Reads `field` of `o` as an optional quantity: `None` when absent or null.
pub(crate) fn opt_quantity(
    o: &Map<String, Value>,
    field: &str,
    at: &str,
) -> Result<Option<U256>, NodeError> {
    if o.get(field).is_none_or(Value::is_null) {
        Ok(None)
    } else {
        quantity(o, field, at).map(Some)
    }
}

/// A quantity that fits the gas fields (u128).
pub(crate) fn gas(o: &Map<String, Value>, field: &str, at: &str) -> Result<u128, NodeError> {
    u128::try_from(quantity(o, field, at)?).map_err(|_| bad(at, field, "does not fit 128 bits"))
}

/// A quantity that fits u64 (chain ids, timestamps).
pub(crate) fn small(o: &Map<String, Value>, field: &str, at: &str) -> Result<u64, NodeError> {
    u64::try_from(quantity(o, field, at)?).map_err(|_| bad(at, field, "does not fit 64 bits"))
}

/// Reads `field` of `o` as a 20-byte hex address; errors name `at.field`.
pub(crate) fn address(o: &Map<String, Value>, field: &str, at: &str) -> Result<Address, NodeError> {
    o.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(at, field, "missing address"))?
        .parse()
        .map_err(|_| bad(at, field, "must be a 20-byte hex address"))
}

/// 0x-hex bytes.
pub(crate) fn bytes(o: &Map<String, Value>, field: &str, at: &str) -> Result<Bytes, NodeError> {
    o.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(at, field, "missing hex bytes"))?
        .parse()
        .map_err(|_| bad(at, field, "must be 0x-hex bytes"))
}

/// 0x-hex bytes, empty when absent.
pub(crate) fn bytes_or_empty(
    o: &Map<String, Value>,
    field: &str,
    at: &str,
) -> Result<Bytes, NodeError> {
    if o.get(field).is_none_or(Value::is_null) { Ok(Bytes::new()) } else { bytes(o, field, at) }
}

/// Reads `field` of `o` as a 32-byte 0x-hex hash; errors name `at.field`.
pub(crate) fn hash(o: &Map<String, Value>, field: &str, at: &str) -> Result<B256, NodeError> {
    o.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(at, field, "missing 32-byte hash"))?
        .parse()
        .map_err(|_| bad(at, field, "must be a 32-byte 0x-hex hash"))
}
