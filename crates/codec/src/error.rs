//! The codec's error type.

use crate::Generation;
use alloy_primitives::U256;
use core::fmt;

/// A `Result` whose error is the codec's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong while encoding or decoding Smart Sessions data.
///
/// Every variant says *what* was wrong and *where* (rule index, byte offset, field name), so a
/// caller can report it without re-parsing the input. No variant ever carries key material.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A universal action policy can hold at most 16 rules; the input had more.
    TooManyRules {
        /// How many rules were given (or the `length` field that was decoded).
        count: U256,
        /// The most rules an `ActionConfig` holds: [`MAX_RULES`](crate::MAX_RULES) (16).
        max: usize,
    },
    /// A byte is not a valid `ParamCondition` (0 ..= 6).
    InvalidParamCondition {
        /// The condition byte that is not 0 ..= 6 (a decoded rule slot's `condition`, or the
        /// `u8` passed to `ParamCondition::try_from`).
        value: u8,
    },
    /// An `IN_RANGE` rule whose minimum is larger than its maximum.
    InvalidRange {
        /// Index of the rule among the config's active rules (always 0 from
        /// [`ParamRule::in_range`](crate::ParamRule::in_range), which sees one rule).
        rule: usize,
        /// Lower bound (high 16 bytes of `ref`).
        min: u128,
        /// Upper bound (low 16 bytes of `ref`).
        max: u128,
    },
    /// A byte is not a valid Smart Sessions mode (USE = 0, ENABLE = 1, UNSAFE_ENABLE = 2).
    InvalidMode {
        /// The mode byte given: the signature's first byte, or the `u8` passed to
        /// `SmartSessionMode::try_from` / `EnableMode::try_from` (which also refuses 0).
        value: u8,
    },
    /// The input is shorter than its format requires.
    TooShort {
        /// The input that was being read (`"ActionConfig"`, `"permissionEnableSig"`,
        /// `"signature mode byte"`, …), as the `Display` line names it.
        field: &'static str,
        /// Bytes the format needs, counted over the same input as `actual`.
        needed: usize,
        /// Bytes the input had.
        actual: usize,
    },
    /// A value has the wrong length.
    InvalidLength {
        /// The value whose length is wrong, as the `Display` line names it.
        field: &'static str,
        /// Expected length in bytes.
        expected: usize,
        /// Actual length in bytes.
        actual: usize,
    },
    /// A value is outside the range its field accepts.
    OutOfRange {
        /// The input field whose value was refused (`batchKey`, `validUntil`, `validAfter`,
        /// `permissionEnableSig`, `accountType`).
        field: &'static str,
        /// The rule the value breaks (e.g. `"does not fit uint48"`).
        reason: &'static str,
    },
    /// ABI decoding failed.
    Abi {
        /// What was being decoded, with its ABI shape (e.g. `"ENABLE payload (EnableSession,
        /// bytes)"`, `"execute(bytes32,bytes) calldata"`).
        context: &'static str,
        /// alloy's decoding error (also the error's [`source`](core::error::Error::source)).
        source: alloy_sol_types::Error,
    },
    /// Decoded ABI data does not re-encode to the same bytes (dirty padding, overlapping or
    /// out-of-order offsets, trailing bytes): the contract may read it differently.
    NonCanonicalAbi {
        /// What was being decoded, with its ABI shape, as in [`Error::Abi`].
        context: &'static str,
    },
    /// A FastLZ stream (an ENABLE payload, or a legacy USE signature) is malformed or expands
    /// beyond the size limit; the [`FlzError`](crate::flz::FlzError) names the offset.
    Flz(crate::flz::FlzError),
    /// The operation or data layout does not exist in this SmartSession generation.
    GenerationMismatch {
        /// The layout that does not fit (e.g. `"the 7-field Session layout"`).
        what: &'static str,
        /// The generation the caller asked to encode for.
        generation: Generation,
    },
    /// A list of executions does not fit the ERC-7579 call type.
    InvalidExecution {
        /// What is wrong with the mode or the call list (`"no calls"`, `"unsupported call
        /// type"`, `"single call type needs exactly one call"`, …).
        reason: &'static str,
    },
}

impl Error {
    pub(crate) const fn abi(context: &'static str, source: alloy_sol_types::Error) -> Self {
        Self::Abi { context, source }
    }
}

impl From<crate::flz::FlzError> for Error {
    fn from(e: crate::flz::FlzError) -> Self {
        Self::Flz(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyRules { count, max } => {
                write!(f, "too many param rules: {count} given, at most {max} fit the policy")
            }
            Self::InvalidParamCondition { value } => {
                write!(f, "invalid ParamCondition {value}: expected 0 (EQUAL) ..= 6 (IN_RANGE)")
            }
            Self::InvalidRange { rule, min, max } => {
                write!(f, "rule {rule}: IN_RANGE minimum {min} is larger than maximum {max}")
            }
            Self::InvalidMode { value } => write!(
                f,
                "invalid smart session mode 0x{value:02x}: expected 0x00 (USE), 0x01 (ENABLE) or 0x02 (UNSAFE_ENABLE)"
            ),
            Self::TooShort { field, needed, actual } => {
                write!(f, "{field}: needs {needed} bytes, got {actual}")
            }
            Self::InvalidLength { field, expected, actual } => {
                write!(f, "{field}: expected {expected} bytes, got {actual}")
            }
            Self::OutOfRange { field, reason } => write!(f, "{field}: {reason}"),
            Self::Abi { context, source } => {
                write!(f, "ABI decoding of {context} failed: {source}")
            }
            Self::NonCanonicalAbi { context } => {
                write!(
                    f,
                    "{context}: ABI data is not in canonical form (does not re-encode to the same bytes)"
                )
            }
            Self::Flz(e) => write!(f, "FastLZ: {e}"),
            Self::GenerationMismatch { what, generation } => {
                write!(f, "{what} does not exist in the {generation} SmartSession generation")
            }
            Self::InvalidExecution { reason } => write!(f, "invalid ERC-7579 execution: {reason}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Abi { source, .. } => Some(source),
            Self::Flz(e) => Some(e),
            _ => None,
        }
    }
}
