//! Errors of policy building, validation and initialisation.

use alloc::string::String;
use alloy_primitives::{Address, FixedBytes, U256};
use core::fmt;
use smart_sessions_codec::{ParamCondition, PolicyKind};

/// A `Result` with [`PolicyError`].
pub type Result<T, E = PolicyError> = core::result::Result<T, E>;

/// Everything that makes a policy wrong, unusable or different from what its author meant.
///
/// Rule-level variants name the rule index (its position among the rules given to the builder).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PolicyError {
    /// An encoding error from the codec (e.g. too many rules).
    Codec(smart_sessions_codec::Error),
    /// Init data the contract would refuse.
    Init {
        /// The policy.
        policy: PolicyKind,
        /// Why.
        reason: smart_sessions_codec::Error,
    },
    /// Init data the contract would refuse.
    InitData {
        /// The policy.
        policy: PolicyKind,
        /// Why.
        reason: &'static str,
    },
    /// A universal action policy without rules initialises, but every check then reverts.
    NoRules,
    /// The function signature does not parse.
    InvalidSignature {
        /// The signature given.
        signature: String,
        /// alloy's Solidity type parser's error.
        source: alloy_json_abi::parser::Error,
    },
    /// The rule names a parameter the function does not have.
    UnknownParameter {
        /// Index of the rule.
        rule: usize,
        /// The name given.
        name: String,
    },
    /// A rule addressed by name needs the function signature.
    NoFunction {
        /// Index of the rule.
        rule: usize,
    },
    /// The rule reads the head word of a dynamic parameter (its offset pointer), not its data.
    DynamicParameter {
        /// Index of the rule.
        rule: usize,
        /// The parameter's name (or its index).
        param: String,
        /// The parameter's type.
        ty: String,
    },
    /// The rule reads past the static head of the function's arguments.
    OffsetPastHead {
        /// Index of the rule.
        rule: usize,
        /// The rule's byte offset.
        offset: u64,
        /// Length of the static head in bytes.
        head: u64,
    },
    /// The rule's 32-byte word straddles two parameters.
    UnalignedOffset {
        /// Index of the rule.
        rule: usize,
        /// The rule's byte offset.
        offset: u64,
    },
    /// An ordering condition on a signed parameter: the contract compares unsigned, so negative
    /// numbers are larger than every positive one.
    SignedOrdering {
        /// Index of the rule.
        rule: usize,
        /// The condition.
        condition: ParamCondition,
    },
    /// A usage limit on a parameter that is not a number (an address, a bool, fixed bytes).
    LimitedNonNumeric {
        /// Index of the rule.
        rule: usize,
        /// The parameter's type.
        ty: String,
    },
    /// A limited rule with a zero limit never passes.
    ZeroLimit {
        /// Index of the rule.
        rule: usize,
    },
    /// A limited rule whose `used` already exceeds its limit never passes.
    UsedExceedsLimit {
        /// Index of the rule.
        rule: usize,
        /// The `used` given.
        used: U256,
        /// The limit.
        limit: U256,
    },
    /// An `IN_RANGE` bound does not fit 128 bits.
    RangeTooLarge {
        /// Index of the rule.
        rule: usize,
    },
    /// An `IN_RANGE` rule whose minimum is larger than its maximum never passes.
    InvalidRange {
        /// Index of the rule.
        rule: usize,
        /// Lower bound.
        min: u128,
        /// Upper bound.
        max: u128,
    },
    /// A value that does not fit the parameter's type.
    ValueDoesNotFit {
        /// Index of the rule.
        rule: usize,
        /// The parameter's type.
        ty: String,
    },
    /// A limit of zero: the policy refuses to initialise.
    ZeroPolicyLimit {
        /// The policy.
        policy: PolicyKind,
    },
    /// `validAfter` later than `validUntil`: the policy refuses to initialise.
    InvalidTimeFrame {
        /// Start.
        valid_after: u64,
        /// End.
        valid_until: u64,
    },
    /// A time frame of `(0, 0)`: the TimeFramePolicy of every generation treats it as not
    /// initialised and reverts every use (`PolicyNotInitialized`), so the session could never
    /// be used. For no time limit, give no time frame at all.
    EmptyTimeFrame {
        /// The field that holds the end of the window (`validUntil`, `sessionValidUntil`).
        until_field: &'static str,
        /// The field that holds the start (`validAfter`, `sessionValidAfter`).
        after_field: &'static str,
    },
    /// More items than a reader or evaluator accepts (hostile input must not allocate without
    /// bound).
    TooMany {
        /// What is counted (the input field: `calls`, `rules`, …).
        field: &'static str,
        /// How many were asked for.
        count: u64,
        /// The most accepted.
        max: usize,
    },
    /// A policy of a session is wrong: where, and why.
    InSession {
        /// The action's index (`None`: a user-operation policy).
        action: Option<usize>,
        /// The policy contract.
        policy: Address,
        /// Why.
        source: alloc::boxed::Box<Self>,
    },
    /// The same `(target, selector)` twice in one session: the second silently replaces the
    /// first's policies.
    DuplicateAction {
        /// Index of the second occurrence.
        index: usize,
        /// The target.
        target: Address,
        /// The selector.
        selector: FixedBytes<4>,
    },
    /// The selector given does not match the named function.
    SelectorMismatch {
        /// The function's selector.
        expected: FixedBytes<4>,
        /// The selector given.
        given: FixedBytes<4>,
    },
}

impl From<smart_sessions_codec::Error> for PolicyError {
    fn from(e: smart_sessions_codec::Error) -> Self {
        Self::Codec(e)
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Codec(e) => write!(f, "{e}"),
            Self::Init { policy, reason } => {
                write!(f, "{} refuses its init data: {reason}", policy.contract_name())
            }
            Self::InitData { policy, reason } => {
                write!(f, "{} refuses its init data: {reason}", policy.contract_name())
            }
            Self::NoRules => f.write_str(
                "a universal action policy needs at least one rule: with none, every check reverts",
            ),
            Self::InvalidSignature { signature, source } => {
                write!(f, "function signature {signature:?} does not parse: {source}")
            }
            Self::UnknownParameter { rule, name } => {
                write!(f, "rule {rule}: the function has no parameter named {name:?}")
            }
            Self::NoFunction { rule } => {
                write!(
                    f,
                    "rule {rule}: addressing a parameter by name needs the function signature"
                )
            }
            Self::DynamicParameter { rule, param, ty } => write!(
                f,
                "rule {rule}: parameter {param} is dynamic ({ty}); its head word is an offset, not the value"
            ),
            Self::OffsetPastHead { rule, offset, head } => write!(
                f,
                "rule {rule}: byte offset {offset} reads past the {head}-byte static head of the arguments"
            ),
            Self::UnalignedOffset { rule, offset } => write!(
                f,
                "rule {rule}: byte offset {offset} is not on a parameter boundary (the word straddles two parameters)"
            ),
            Self::SignedOrdering { rule, condition } => write!(
                f,
                "rule {rule}: {condition} on a signed parameter compares unsigned on chain (negative values are huge); allow it explicitly if meant"
            ),
            Self::LimitedNonNumeric { rule, ty } => {
                write!(
                    f,
                    "rule {rule}: a cumulative limit on a {ty} parameter sums values that are not amounts"
                )
            }
            Self::ZeroLimit { rule } => {
                write!(f, "rule {rule}: a limited rule with limit 0 never passes")
            }
            Self::UsedExceedsLimit { rule, used, limit } => {
                write!(f, "rule {rule}: used {used} already exceeds the limit {limit}")
            }
            Self::RangeTooLarge { rule } => {
                write!(f, "rule {rule}: IN_RANGE bounds must fit 128 bits")
            }
            Self::InvalidRange { rule, min, max } => {
                write!(f, "rule {rule}: IN_RANGE minimum {min} is larger than maximum {max}")
            }
            Self::ValueDoesNotFit { rule, ty } => {
                write!(f, "rule {rule}: the value does not fit {ty}")
            }
            Self::ZeroPolicyLimit { policy } => {
                write!(
                    f,
                    "{}: a limit of 0 makes the policy refuse to initialise",
                    policy.contract_name()
                )
            }
            Self::InvalidTimeFrame { valid_after, valid_until } => write!(
                f,
                "time frame: validAfter {valid_after} is later than validUntil {valid_until}"
            ),
            Self::EmptyTimeFrame { until_field, after_field } => write!(
                f,
                "{until_field} and {after_field} are both 0: TimeFramePolicy treats (0, 0) as not initialised and reverts every use (PolicyNotInitialized); leave both out for no time limit"
            ),
            Self::TooMany { field, count, max } => {
                write!(f, "{field}: {count} is more than the {max} accepted")
            }
            Self::InSession { action: Some(i), policy, source } => {
                write!(f, "action {i}, policy {policy}: {source}")
            }
            Self::InSession { action: None, policy, source } => {
                write!(f, "user-operation policy {policy}: {source}")
            }
            Self::DuplicateAction { index, target, selector } => write!(
                f,
                "action {index}: ({target}, {selector}) appears twice in the session; the later policies replace the earlier ones"
            ),
            Self::SelectorMismatch { expected, given } => {
                write!(f, "selector {given} does not match the function's selector {expected}")
            }
        }
    }
}

impl core::error::Error for PolicyError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Codec(e) | Self::Init { reason: e, .. } => Some(e),
            Self::InSession { source, .. } => Some(&**source),
            Self::InvalidSignature { source, .. } => Some(source),
            _ => None,
        }
    }
}
