//! The errors of the offline tools: [`Failure`] (the exit class) over [`UsageError`] (bad
//! arguments, exit 2) and [`ToolError`] (the operation failed, exit 1).
//!
//! Each `Display` is the one line the CLI prints after `error: ` (or as the `--json` answer's
//! `error`); it already contains the cause's words, so print it alone. The cause itself is
//! `source()`: walk the chain to reach the `std::io::Error`, the `serde_json::Error`, the hex
//! decoder's or the policy's error.

use crate::{eval::EvalError, input::InputError};
use alloy_primitives::{hex::FromHexError, ruint};
use smart_sessions_policy::PolicyError;
use std::{num::ParseIntError, path::PathBuf};

/// Why an offline tool failed: a usage error (exit 2) or a failed operation (exit 1). `Display`
/// and `source()` are those of the error it wraps.
///
/// ```
/// use smart_sessions_cli::tools::{Failure, ToolCommand, ToolError, run};
/// use smart_sessions_codec::Generation;
/// use std::error::Error as _;
///
/// let missing = std::path::PathBuf::from("/nonexistent/policy.json");
/// let e = run(&ToolCommand::PolicyEncode { file: missing }, Generation::Current).unwrap_err();
/// assert!(matches!(e, Failure::Operation(ToolError::Read(_))));
/// assert_eq!(e.exit_code(), 1);
/// // the chain: the input error (naming flag and path), then the system's reason
/// let io = e.source().and_then(|s| s.source()).unwrap();
/// assert!(io.is::<std::io::Error>());
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The arguments are wrong (exit code 2).
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The arguments parse but the operation failed (exit code 1).
    #[error(transparent)]
    Operation(#[from] ToolError),
}

impl Failure {
    /// The process exit code of this failure: 2 for a usage error, 1 for a failed operation.
    pub const fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Operation(_) => 1,
        }
    }
}

impl From<EvalError> for Failure {
    fn from(e: EvalError) -> Self {
        Self::Operation(ToolError::Eval(e))
    }
}

/// An argument of an offline tool that cannot be used, naming the flag and the value given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// An argument is not `parts` fields separated by `:` (`--call`, a multichain pair).
    #[error("{what} {given:?}: expected {parts} parts separated by ':'")]
    Split {
        /// The flag or argument (`--call`, `pair`).
        what: &'static str,
        /// The whole argument, as typed.
        given: String,
        /// How many `:`-separated parts it needs.
        parts: usize,
    },
    /// `--init-data` is not hex.
    #[error("--init-data {given:?}: {source}")]
    InitData {
        /// The `--init-data` value, as typed.
        given: String,
        /// The hex decoder's error.
        #[source]
        source: FromHexError,
    },
    /// A `--call VALUE:CALLDATA`'s value is not an unsigned integer.
    #[error("--call {call:?}: value {value:?}: {source}")]
    CallValue {
        /// The whole `--call` argument.
        call: String,
        /// The text before the first `:`, which is not an unsigned integer.
        value: String,
        /// The integer parser's error.
        #[source]
        source: ruint::ParseError,
    },
    /// A `--call VALUE:CALLDATA`'s calldata is not hex.
    #[error("--call {call:?}: calldata: {source}")]
    CallData {
        /// The whole `--call` argument.
        call: String,
        /// The hex decoder's error.
        #[source]
        source: FromHexError,
    },
    /// A `CHAIN_ID:SESSION_DIGEST` pair's chain id is not an unsigned 64-bit integer.
    #[error(
        "pair {index} {pair:?}: chain id {chain_id:?} is not an unsigned 64-bit integer: {source}"
    )]
    ChainId {
        /// The pair's position among the arguments (from 1).
        index: usize,
        /// The whole `CHAIN_ID:SESSION_DIGEST` argument, as typed.
        pair: String,
        /// The text before the `:`, which is not a chain id.
        chain_id: String,
        /// The integer parser's error.
        #[source]
        source: ParseIntError,
    },
    /// The inputs a tool built for its evaluator are not a JSON object (a defect of the tool,
    /// not of the arguments; no tool builds such inputs).
    #[error("inputs must be an object")]
    InputsNotAnObject,
}

/// An offline tool's operation that failed: the input it read, or the evaluation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// A file (or standard input) could not be read; the input error names the flag and path.
    #[error("{0}")]
    Read(#[source] InputError),
    /// A JSON file (`--enable`, `--session`) is not JSON.
    #[error("{flag} {}: {source}", path.display())]
    Json {
        /// The flag naming the file.
        flag: &'static str,
        /// The path given (`-` for standard input).
        path: PathBuf,
        /// The JSON parser's error (line and column).
        #[source]
        source: serde_json::Error,
    },
    /// `policy-encode`'s file is not a universal action policy config (the error names the
    /// field path, e.g. `rules[0].ref`).
    #[error("policy JSON: {0}")]
    PolicyConfig(#[source] serde_json::Error),
    /// `policy-check`'s init data is refused by the policy's initialisation.
    #[error("--init-data: the policy's initialisation reverts: {0}")]
    InitReverts(#[source] PolicyError),
    /// The evaluator behind the tool refused the request (see [`EvalError`]).
    #[error("{0}")]
    Eval(#[source] EvalError),
}

impl From<InputError> for ToolError {
    fn from(e: InputError) -> Self {
        Self::Read(e)
    }
}

impl From<EvalError> for ToolError {
    fn from(e: EvalError) -> Self {
        Self::Eval(e)
    }
}
