//! `eval`: answers every `mee.` function of the shared vector file (the node transport ones
//! through `node::eval`), so `smart-sessions eval` can run them.

use crate::{
    MeeError, MeeVersion, MeeVersionConfig,
    json::{address, array, b256, get, u64_of},
};
use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use serde_json::Value;

mod flows;
mod pieces;

/// Why `eval` could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// Not a function this crate answers.
    #[error("unknown function `{function}`")]
    UnknownFunction {
        /// The request's `function` (e.g. `mee.quoteRequest`), not one of the `mee.` functions
        /// this crate answers.
        function: String,
    },
    /// The library refused or failed (for vectors whose output is `revert: …`, the expected
    /// outcome).
    #[error("revert: {0}")]
    Mee(#[from] MeeError),
    /// An input cannot be used (e.g. an unresolved reference to another vector).
    #[error("input `{field}`: {reason}")]
    Input {
        /// The key in the vector's `inputs` that cannot be used (e.g. `account`, `mode`).
        field: &'static str,
        /// What the input must be (e.g. "expected ENABLE_AND_USE or USE").
        reason: &'static str,
    },
    /// A node-transport function (`mee.http.*`, `mee.parseErrorMessage`, `mee.receiptStatus`,
    /// `mee.info.response`) could not be answered.
    #[error(transparent)]
    Node(#[from] crate::node::EvalError),
}

/// Every function [`eval`] answers.
pub const FUNCTIONS: &[&str] = &[
    "mee.nonceKey",
    "mee.userOpHash",
    "mee.meeUserOpHash",
    "mee.meeUserOpStructHash",
    "mee.stxMerkleTree",
    "mee.supertransactionHash",
    "mee.quoteRequest",
    "mee.signedQuote",
    "mee.signQuote.personal",
    "mee.signQuote.eip712",
    "mee.node.simpleModeSignature",
    "mee.node.simpleModeSignatureShort",
    "mee.node.simpleModeSignature712",
    "mee.node.sessionUserOpSignature",
    "mee.node.paymentUserOp",
    "mee.grantPermissionTypedDataSign",
    "mee.grantPermissionPersonalSign",
    "mee.getUniversalActionPolicy",
    "mee.getSudoPolicy",
    "mee.addPaymentPolicyForActions",
    "mee.getSessionValidatorInitData",
    "mee.toSmartSessionsModule",
    "mee.installSmartSessionsCalls",
    "mee.verificationGasLimit",
    "mee.sessionDetails.stringify",
    "mee.http.request",
    "mee.http.bodyJson",
    "mee.parseErrorMessage",
    "mee.receiptStatus",
    "mee.info.response",
];

/// Answers one vector: `function` with `inputs` as in `vectors/mee.json`, the output in the
/// vector's shape (0x hex, decimal strings). An `Err` is the expected outcome of a vector whose
/// output starts with `revert`.
///
/// ```
/// use serde_json::json;
/// let out = smart_sessions_mee::eval("mee.meeUserOpHash", &json!({
///     "userOpHash": "0x1a0bbbd48468a1815797a43d8e478515c3251f0d2b32529d92bf77823f537e20",
///     "lowerBoundTimestamp": "1767225600",
///     "upperBoundTimestamp": "1767225780",
/// })).unwrap();
/// assert_eq!(out, "0xe4ff61bd381bea23dfef2551a56d67849f5794d701583b3135389729a8a10380");
/// ```
pub fn eval(function: &str, inputs: &Value) -> Result<Value, EvalError> {
    if let Some(answer) = crate::node::eval(function, inputs) {
        return Ok(answer?);
    }
    match function {
        "mee.quoteRequest" => flows::quote_request(inputs),
        "mee.signedQuote" => flows::signed_quote(inputs),
        "mee.grantPermissionTypedDataSign" => flows::grant(inputs, true),
        "mee.grantPermissionPersonalSign" => flows::grant(inputs, false),
        "mee.node.paymentUserOp" => flows::payment_user_op(inputs),
        other => pieces::eval_piece(other, inputs),
    }
}

pub(crate) fn signer(v: &Value, field: &'static str) -> Result<PrivateKeySigner, EvalError> {
    let key: B256 = b256(v, field)?;
    PrivateKeySigner::from_bytes(&key)
        .map_err(|_| EvalError::Input { field, reason: "not a valid secp256k1 key" })
}

pub(crate) fn version(inputs: &Value) -> Result<MeeVersionConfig, EvalError> {
    let v = get(inputs, "inputs", "meeVersion")?
        .as_str()
        .ok_or(EvalError::Input { field: "meeVersion", reason: "expected a string" })?;
    Ok(MeeVersion::parse(v)?.config())
}

pub(crate) fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

pub(crate) fn b256s(v: &Value, path: &str) -> Result<Vec<B256>, MeeError> {
    array(v, path)?.iter().enumerate().map(|(i, x)| b256(x, &format!("{path}[{i}]"))).collect()
}

pub(crate) fn opt_u64(inputs: &Value, key: &str) -> Result<Option<u64>, MeeError> {
    match inputs.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => u64_of(v, key).map(Some),
    }
}

pub(crate) fn opt_address(inputs: &Value, key: &str) -> Result<Option<Address>, MeeError> {
    match inputs.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => address(v, key).map(Some),
    }
}
