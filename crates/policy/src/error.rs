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
    /// Init data the contract would refuse because it does not decode (universal action policy
    /// init data: too short, dirty words, a condition above 6, a `length` above 16).
    Init {
        /// The kind of policy whose init data is refused (the address, when known, is in an
        /// enclosing [`InSession`](Self::InSession)).
        policy: PolicyKind,
        /// The codec's decoding error for the init data (also the error's `source()`).
        reason: smart_sessions_codec::Error,
    },
    /// Init data the contract would refuse, for a rule the contract checks on initialisation
    /// (a length, a zero limit or token, an inverted time frame).
    InitData {
        /// The kind of policy whose init data is refused (the address, when known, is in an
        /// enclosing [`InSession`](Self::InSession)).
        policy: PolicyKind,
        /// The check the init data fails, as the contract makes it (e.g. `"a zero limit
        /// reverts"`, `"needs 12 bytes (uint48, uint48)"`).
        reason: &'static str,
    },
    /// A universal action policy without rules initialises, but every check then reverts.
    NoRules,
    /// The function signature does not parse.
    InvalidSignature {
        /// The Solidity function signature as given (e.g. `"transfer(address to,uint256)"`).
        signature: String,
        /// alloy's Solidity type parser's error.
        source: alloy_json_abi::parser::Error,
    },
    /// The rule names a parameter the function does not have.
    UnknownParameter {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
        /// The parameter name the rule gave ([`At::Param`](crate::At::Param)), which no input
        /// of the function has.
        name: String,
    },
    /// A rule addressed by name needs the function signature.
    NoFunction {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
    },
    /// The rule reads the head word of a dynamic parameter (its offset pointer), not its data.
    DynamicParameter {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
        /// The parameter's name, or `#i` (its position) when the signature names none.
        param: String,
        /// The parameter's canonical Solidity type (`bytes`, `string`, `uint256[]`, …).
        ty: String,
    },
    /// The rule reads past the static head of the function's arguments.
    OffsetPastHead {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
        /// The rule's byte offset after the selector (`u64::MAX` when a word index times 32
        /// overflows).
        offset: u64,
        /// Length of the static head in bytes.
        head: u64,
    },
    /// The rule's 32-byte word straddles two parameters.
    UnalignedOffset {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
        /// The rule's byte offset after the selector: inside a parameter's head, but not a
        /// multiple of 32 bytes from its start.
        offset: u64,
    },
    /// An ordering condition on a signed parameter: the contract compares unsigned, so negative
    /// numbers are larger than every positive one.
    SignedOrdering {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
        /// The ordering condition refused (anything but `EQUAL` / `NOT_EQUAL`); allow it with
        /// [`Allow::unsigned_ordering_on_signed`](crate::Allow::unsigned_ordering_on_signed).
        condition: ParamCondition,
    },
    /// A usage limit on a parameter that is not a number (an address, a bool, fixed bytes).
    LimitedNonNumeric {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
        /// The parameter's canonical Solidity type (`address`, `bool`, `bytes32`, …).
        ty: String,
    },
    /// A limited rule with a zero limit never passes.
    ZeroLimit {
        /// Index of the rule: its position among the builder's rules, or among a config's
        /// active rules in [`validate_action_config`](crate::validate_action_config).
        rule: usize,
    },
    /// A limited rule whose `used` already exceeds its limit never passes.
    UsedExceedsLimit {
        /// Index of the rule among the config's active rules.
        rule: usize,
        /// The rule's `usage.used`, as given in the config.
        used: U256,
        /// The rule's `usage.limit`, below `used`.
        limit: U256,
    },
    /// An `IN_RANGE` bound does not fit 128 bits.
    RangeTooLarge {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
    },
    /// An `IN_RANGE` rule whose minimum is larger than its maximum never passes.
    InvalidRange {
        /// Index of the rule: its position among the builder's rules, or among a config's
        /// active rules in [`validate_action_config`](crate::validate_action_config).
        rule: usize,
        /// The range's lower bound (the high 16 bytes of the rule's `ref`).
        min: u128,
        /// The range's upper bound (the low 16 bytes of `ref`), below `min`.
        max: u128,
    },
    /// A value that does not fit the parameter's type.
    ValueDoesNotFit {
        /// Index of the rule among those added to the builder (0-based).
        rule: usize,
        /// The parameter's canonical Solidity type, which the rule's value is not a value of
        /// (e.g. `uint8` for 256, `address` for a number).
        ty: String,
    },
    /// A limit of zero: the policy refuses to initialise.
    ZeroPolicyLimit {
        /// The policy given the zero limit (usage limit, value limit or ERC-20 spending
        /// limits).
        policy: PolicyKind,
    },
    /// `validAfter` later than `validUntil`: the policy refuses to initialise.
    InvalidTimeFrame {
        /// The window's start (`validAfter`, unix seconds).
        valid_after: u64,
        /// The window's end (`validUntil`, unix seconds), earlier than the start.
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
        /// How many the input gave or asked for.
        count: u64,
        /// The most accepted for `field` ([`MAX_CALLS`](crate::eval::MAX_CALLS) for `calls`).
        max: usize,
    },
    /// A policy of a session is wrong: where, and why.
    InSession {
        /// Index of the action in the session's `actions` (`None`: a user-operation policy).
        action: Option<usize>,
        /// The address of the refused policy (`PolicyData.policy`).
        policy: Address,
        /// What is wrong with that policy's init data.
        source: alloc::boxed::Box<Self>,
    },
    /// The same `(target, selector)` twice in one session: the second silently replaces the
    /// first's policies.
    DuplicateAction {
        /// Index in the session's actions of the second occurrence.
        index: usize,
        /// The repeated action's target contract (`actionTarget`).
        target: Address,
        /// The repeated action's selector (`actionTargetSelector`).
        selector: FixedBytes<4>,
    },
    /// The selector given does not match the named function.
    SelectorMismatch {
        /// The selector computed from the function signature.
        expected: FixedBytes<4>,
        /// The selector the caller gave (e.g. an action's `actionTargetSelector`).
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
