//! What a node builds around a quote that is not a signature: the payment userOp
//! (`userOps[0]`) from the request's `paymentInfo`. Gas prices, preVerificationGas and
//! paymasterAndData are the node's choices ([`NodeGas`]).

use crate::{
    ENTRY_POINT_V07, MeeFilledUserOp, Result, mee_user_op_hash, session::TRANSFER_SELECTOR,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolValue;
use serde_json::{Value, json};
use smart_sessions_codec::{Execution, execute::execute_single};

/// The node's gas choices for a userOp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeGas {
    /// The `maxFeePerGas` the node fills in (wei per gas).
    pub max_fee_per_gas: u128,
    /// The `maxPriorityFeePerGas` the node fills in (wei per gas).
    pub max_priority_fee_per_gas: u128,
    /// The `preVerificationGas` the node fills in (gas paid beyond execution).
    pub pre_verification_gas: U256,
    /// Paymaster data (`0x` = the account pays the EntryPoint).
    pub paymaster_and_data: Bytes,
}

impl Default for NodeGas {
    /// The project's local test node: 2 gwei, 1 gwei priority, 60 000 pre-verification gas, no
    /// paymaster (the values of the recorded runs).
    fn default() -> Self {
        Self {
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            pre_verification_gas: U256::from(60_000u64),
            paymaster_and_data: Bytes::new(),
        }
    }
}

/// The request's payment part as the node reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    /// `paymentInfo.sender`: the account that pays the fee (the payment userOp's sender).
    pub sender: Address,
    /// `paymentInfo.token`: the ERC-20 the fee is transferred in.
    pub token: Address,
    /// `paymentInfo.nonce`: the payment userOp's full nonce (`key << 64 | sequence`).
    pub nonce: U256,
    /// `paymentInfo.initCode`: factory ‖ factoryData when the payer is undeployed, else empty.
    pub init_code: Bytes,
    /// `paymentInfo.callGasLimit` of the payment userOp.
    pub call_gas_limit: u128,
    /// `paymentInfo.verificationGasLimit` of the payment userOp.
    pub verification_gas_limit: u128,
    /// `paymentInfo.chainId`: the chain the payment userOp runs on.
    pub chain_id: u64,
    /// `paymentInfo.shortEncoding`: true in session flows (the leaf is the bare userOpHash).
    pub short_encoding: bool,
}

/// `execute(single, token ‖ 0 ‖ transfer(recipient, amount))`: the payment call. A plain single
/// `execute`, so that in session flows the session's fee-token `transfer` action authorises it.
pub fn payment_call_data(token: Address, recipient: Address, amount: U256) -> Bytes {
    let mut data = Vec::with_capacity(68);
    data.extend_from_slice(TRANSFER_SELECTOR.as_slice());
    data.extend_from_slice(&(recipient, amount).abi_encode_params());
    execute_single(&Execution::new(token, U256::ZERO, data)).into()
}

/// The payment userOp and its hashes.
pub fn payment_user_op(
    p: &PaymentRequest,
    recipient: Address,
    token_wei_amount: U256,
    gas: &NodeGas,
) -> (MeeFilledUserOp, B256) {
    let op = MeeFilledUserOp {
        sender: p.sender,
        nonce: p.nonce,
        init_code: p.init_code.clone(),
        call_data: payment_call_data(p.token, recipient, token_wei_amount),
        call_gas_limit: p.call_gas_limit,
        verification_gas_limit: p.verification_gas_limit,
        pre_verification_gas: gas.pre_verification_gas,
        max_fee_per_gas: gas.max_fee_per_gas,
        max_priority_fee_per_gas: gas.max_priority_fee_per_gas,
        paymaster_and_data: gas.paymaster_and_data.clone(),
    };
    let h = op.user_op_hash(ENTRY_POINT_V07, p.chain_id);
    (op, h)
}

/// A quote `userOps[i]` entry in the node's JSON shape (quantities as decimal strings).
pub fn quote_entry(
    op: &MeeFilledUserOp,
    chain_id: u64,
    lower: u64,
    upper: u64,
    short_encoding: bool,
    session_details: Option<&Value>,
) -> Result<Value> {
    let h = op.user_op_hash(ENTRY_POINT_V07, chain_id);
    let mut v = json!({
        "userOp": {
            "sender": op.sender.to_checksum(None),
            "nonce": op.nonce.to_string(),
            "initCode": op.init_code.to_string(),
            "callData": op.call_data.to_string(),
            "callGasLimit": op.call_gas_limit.to_string(),
            "verificationGasLimit": op.verification_gas_limit.to_string(),
            "maxFeePerGas": op.max_fee_per_gas.to_string(),
            "maxPriorityFeePerGas": op.max_priority_fee_per_gas.to_string(),
            "paymasterAndData": op.paymaster_and_data.to_string(),
            "preVerificationGas": op.pre_verification_gas.to_string(),
        },
        "userOpHash": h.to_string(),
        "meeUserOpHash": mee_user_op_hash(h, lower, upper).to_string(),
        "lowerBoundTimestamp": lower.to_string(),
        "upperBoundTimestamp": upper.to_string(),
        "maxGasLimit": op.max_gas_limit().to_string(),
        "maxFeePerGas": op.max_fee_per_gas.to_string(),
        "chainId": chain_id.to_string(),
        "shortEncoding": short_encoding,
    });
    if let (Some(sd), Some(o)) = (session_details, v.as_object_mut()) {
        o.insert("sessionDetails".into(), sd.clone());
    }
    Ok(v)
}
