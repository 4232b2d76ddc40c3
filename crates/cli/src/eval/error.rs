//! [`EvalError`]: why `eval` could not answer a request, naming the request field or input and
//! the rule it breaks, with the underlying error (JSON, hex, integer parsing, codec, policy, MEE)
//! kept as its `source()`.
//!
//! Each variant's `Display` is the one line `eval` prints as the answer's `error` (and the
//! offline tools print after `error: `); it already contains the cause's words, so print it
//! alone, not followed by its `source()` chain.

use alloy_primitives::{U256, hex, ruint};
use smart_sessions_codec::{self as codec, Generation, UnknownGeneration, flz::FlzError};
use smart_sessions_policy::{PolicyError, eval::Rejection};
use std::error::Error as StdError;

/// Why a request could not be answered: what is wrong and where (the request field, the input
/// key, the function), with the cause as `source()`.
///
/// ```
/// use smart_sessions_cli::eval::{EvalError, eval_request};
/// use std::error::Error as _;
///
/// let request = serde_json::json!({
///     "function": "nexus.nonceKey",
///     "inputs": { "validator": "0x1111111111111111111111111111111111111111",
///                 "validationMode": "0xzz", "batchKey": 0, "sequence": 0 },
/// });
/// let e = eval_request(&request).unwrap_err();
/// assert!(matches!(&e, EvalError::Hex { field, .. } if field == "validationMode"));
/// assert_eq!(e.to_string(), "input `validationMode`: invalid character 'z' at position 0");
/// assert!(e.source().unwrap().is::<alloy_primitives::hex::FromHexError>());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A request line is not JSON.
    #[error("malformed request line: {source}")]
    MalformedLine {
        /// The JSON parser's error (line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A request is JSON but not an object.
    #[error("request must be a JSON object")]
    RequestNotAnObject,
    /// A request field (`function`, `generation`, `inputs`) is missing or of the wrong type.
    #[error("request field `{field}` {rule}")]
    RequestField {
        /// The top-level request field at fault: `function`, `generation` or `inputs`.
        field: &'static str,
        /// What it must be (`must be an object`, …).
        rule: &'static str,
    },
    /// The request's `generation` is not a SmartSession generation.
    #[error("request field `generation`: {source}")]
    Generation {
        /// The codec's parse error.
        #[source]
        source: UnknownGeneration,
    },
    /// A required input is missing.
    #[error("input `{field}` is missing")]
    MissingInput {
        /// The input key (a path such as `sessions[0]` or `enableSessionData.validator`).
        field: String,
    },
    /// An input is present but does not deserialize into the type the function needs.
    #[error("input `{field}`: {source}")]
    BadInput {
        /// The input key (a path such as `sessions[0]`).
        field: String,
        /// serde's error (what was expected, what was found).
        #[source]
        source: serde_json::Error,
    },
    /// The inputs as a whole do not deserialize (functions that read the whole `inputs` object).
    #[error("inputs: {source}")]
    BadInputs {
        /// serde's error (naming the field).
        #[source]
        source: serde_json::Error,
    },
    /// An integer input is a JSON number that is negative or not whole.
    #[error("input `{field}`: {number} is not a non-negative integer")]
    NotNonNegative {
        /// The input key (a path such as `enableSessionData.validator` when read from a nested
        /// object).
        field: String,
        /// The JSON number found (negative or fractional).
        number: serde_json::Number,
    },
    /// An integer input is a string that is not a decimal or `0x`-hex unsigned integer.
    #[error("input `{field}`: {given:?} is not an unsigned integer")]
    NotUnsigned {
        /// The input key (a path such as `enableSessionData.validator` when read from a nested
        /// object).
        field: String,
        /// The string found, as given (a decimal or `0x`-hex integer was expected).
        given: String,
        /// The integer parser's error.
        #[source]
        source: ruint::ParseError,
    },
    /// An integer input is neither a number nor a string.
    #[error("input `{field}` must be an integer or an integer string")]
    NotAnInteger {
        /// The input key (a path such as `enableSessionData.validator` when read from a nested
        /// object).
        field: String,
    },
    /// An integer input is larger than its type.
    #[error("input `{field}`: {value} does not fit {bits} bits")]
    TooWide {
        /// The input key (a path such as `enableSessionData.validator` when read from a nested
        /// object).
        field: String,
        /// The integer read, which needs more than `bits` bits.
        value: U256,
        /// The width in bits of the type the function reads the input as (e.g. 64 for `validUntil`,
        /// 8 for a byte).
        bits: u32,
    },
    /// A hex input does not decode.
    #[error("input `{field}`: {source}")]
    Hex {
        /// The input key (a path such as `enableSessionData.validator` when read from a nested
        /// object).
        field: String,
        /// The hex decoder's error (the offending character and its position).
        #[source]
        source: hex::FromHexError,
    },
    /// A one-byte hex input has another length.
    #[error("input `{field}`: expected one byte, got {len}")]
    NotOneByte {
        /// The input key (a path such as `enableSessionData.validator` when read from a nested
        /// object).
        field: String,
        /// How many bytes were given.
        len: usize,
    },
    /// `primaryType` names no EIP-712 struct of the generation.
    #[error("input `primaryType`: {name:?} is not an EIP-712 type of the {generation} generation")]
    UnknownType {
        /// The `primaryType` string, as given.
        name: String,
        /// The request's generation, which has no EIP-712 type of that name.
        generation: Generation,
    },
    /// An input is well-formed but contradicts a rule of the function.
    #[error("input `{field}` {rule}")]
    Rule {
        /// The input key the rule is about (e.g. `domainTypehash`, `calls`, `enableSessionData`).
        field: &'static str,
        /// The rule (`does not match EIP712Domain(…)`, `is required for ENABLE …`, …).
        rule: &'static str,
    },
    /// An execution mode's call type is not the function's (`executeSingle` needs `0x00`,
    /// `executeBatch` `0x01`).
    #[error("input `mode`: call type 0x{call_type:02x} does not match {function}")]
    CallType {
        /// The call type given: the first byte of the `mode` input.
        call_type: u8,
        /// The request's function (`erc7579.executeSingle` or `erc7579.executeBatch`).
        function: &'static str,
    },
    /// A count is more than the evaluator accepts (`UsageLimitPolicy.checkAction`'s `calls`).
    #[error("input `{field}`: {count} is more than the {max} accepted")]
    TooMany {
        /// The input key of the count (`calls`).
        field: &'static str,
        /// The count the request asks for.
        count: U256,
        /// The largest count the evaluator accepts ([`smart_sessions_policy::eval::MAX_CALLS`]).
        max: usize,
    },
    /// The codec refused an input (a mode byte, a bound, a signature's bytes, …).
    #[error("{0}")]
    Codec(#[from] codec::Error),
    /// `LibZip.flzDecompress`'s input is a malformed FastLZ stream, or decompresses to more than
    /// [`super::EVAL_MAX_DECOMPRESSED`] bytes.
    #[error("{0}")]
    Decompress(#[source] FlzError),
    /// The policy's `initializeWithMultiplexer` reverts on the init data (the vectors' expected
    /// `revert: …` outcome).
    #[error("revert: {0}")]
    InitReverts(#[source] PolicyError),
    /// The policy's check reverts (the vectors' expected `revert: …` outcome).
    #[error("revert: {0}")]
    CheckReverts(#[source] Rejection),
    /// The policy evaluator refused the request for another reason.
    #[error("{0}")]
    Policy(#[source] PolicyError),
    /// A decoded value could not be written as JSON.
    #[error("{0}")]
    Output(#[source] serde_json::Error),
    /// A `mee.` function failed in `smart-sessions-mee`'s evaluator.
    #[error("{}", without_repeats(source))]
    Mee {
        /// The request's `mee.…` function.
        function: String,
        /// The MEE evaluator's error.
        #[source]
        source: smart_sessions_mee::EvalError,
    },
    /// A `mee.` function no MEE evaluator answers.
    #[error("unknown function {function:?}: no MEE evaluator answers it")]
    UnknownMeeFunction {
        /// The request's `mee.…` function, which no MEE evaluator knows.
        function: String,
    },
    /// The function is one of [`super::CONTRACT_BEHAVIOUR_FACTS`]: evidence about deployed
    /// bytecode, not an operation.
    #[error("unsupported: {function} is a recorded fact about deployed bytecode, not an operation")]
    ContractBehaviourFact {
        /// The request's function, one of [`super::CONTRACT_BEHAVIOUR_FACTS`].
        function: String,
    },
    /// No such function.
    #[error("unknown function {function:?}")]
    UnknownFunction {
        /// The request's `function`, as given.
        function: String,
    },
    /// A line of an `eval` stream is longer than [`super::EVAL_MAX_LINE`].
    #[error("line {line}: longer than the limit of {limit} bytes")]
    LineTooLong {
        /// The line's number (from 1).
        line: u64,
        /// The line limit in bytes ([`super::EVAL_MAX_LINE`]).
        limit: usize,
    },
    /// A line of an `eval` stream is not UTF-8.
    #[error("line {line}: not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The line's number (from 1).
        line: u64,
        /// Offset of the first invalid byte in the line.
        offset: usize,
    },
    /// An over-long line has no end within [`super::EVAL_MAX_SKIP`] bytes: the stream stops.
    #[error("line {line}: no line end within {skip} bytes past the limit of {limit}; stopping")]
    NoLineEnd {
        /// The line's number (from 1).
        line: u64,
        /// How far past the limit `eval` looked.
        skip: u64,
        /// The line limit in bytes.
        limit: usize,
    },
}

impl EvalError {
    /// This error under the input object `parent`: an input key `validator` read from
    /// `enableSessionData` becomes `enableSessionData.validator`.
    pub(super) fn within(mut self, parent: &str) -> Self {
        match &mut self {
            Self::MissingInput { field }
            | Self::BadInput { field, .. }
            | Self::NotNonNegative { field, .. }
            | Self::NotUnsigned { field, .. }
            | Self::NotAnInteger { field }
            | Self::TooWide { field, .. }
            | Self::Hex { field, .. }
            | Self::NotOneByte { field, .. } => *field = format!("{parent}.{field}"),
            _ => {}
        }
        self
    }
}

/// `e`'s message and then each cause in its `source()` chain whose words the message does not
/// already contain, `": "`-separated (the MEE crate's errors repeat their cause in their own
/// message; a cause is shown once).
fn without_repeats(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let words = s.to_string();
        if !out.contains(&words) {
            out.push_str(": ");
            out.push_str(&words);
        }
        source = s.source();
    }
    out
}
