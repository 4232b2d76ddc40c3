//! Off-chain evaluation of the deployed policies, step for step as the contracts run.
//!
//! Each policy type holds the state the contract keeps for one `(configId, SmartSession,
//! account)`: the universal action policy's rules with their `used` counters, the usage and value
//! limit counters, the ERC-20 spent and approved amounts. `initialize` mirrors
//! `initializeWithMultiplexer` (and fails where it reverts); `check_action` mirrors
//! `checkAction`:
//!
//! - `Ok(..)`: the contract returns `VALIDATION_SUCCESS` and stores the new state;
//! - `Err(Rejection { outcome: Outcome::Violation(..), .. })`: it returns `VALIDATION_FAILED`
//!   (SmartSession then reverts with `PolicyViolation`). **State written before the failing step
//!   persists**, as on chain: a limited rule that passed keeps its consumed allowance even when a
//!   later rule of the same call fails;
//! - `Err(Rejection { outcome: Outcome::Revert(..), .. })`: the call reverts (SmartSession reverts
//!   with `PolicyCheckReverted`) and the state is unchanged.

use crate::{FunctionLayout, ParamType, PolicyError, Result};
use alloc::vec::Vec;
use alloy_primitives::{Address, B256, FixedBytes, U256};
use core::fmt;
use smart_sessions_codec::{ActionConfig, ParamCondition, PolicyKind, split_range};

mod erc20;
pub use erc20::{
    APPROVE, Erc20SpendingLimitPolicy, INCREASE_ALLOWANCE, SpendingModel, TRANSFER, TRANSFER_FROM,
    TokenSpend,
};
mod limits;
pub mod v1_storage;
pub use limits::{TimeFramePolicy, UsageLimitPolicy, ValueLimitPolicy};

/// Why a policy's state is not known off-chain, so its check was skipped (the chain still
/// enforces it; an otherwise valid operation is not refused for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UncheckedReason {
    /// The state could not be read (a failed or missing read).
    StateUnavailable,
    /// What was read does not decode as the policy's state.
    MalformedState,
    /// The policy is not one the evaluator models.
    UnknownPolicy,
    /// The policy's init data does not initialise (the check reverts on chain; reported, not
    /// evaluated).
    BadInitData,
}

/// A policy whose check was skipped, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unchecked {
    /// Which policy (its kind; the caller knows its address).
    pub policy: PolicyKind,
    /// Why its state is not known off-chain.
    pub reason: UncheckedReason,
}

impl fmt::Display for UncheckedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StateUnavailable => "its state could not be read",
            Self::MalformedState => "its state as read does not decode",
            Self::UnknownPolicy => "the policy is not one the evaluator knows",
            Self::BadInitData => "its init data does not initialise",
        })
    }
}

impl fmt::Display for Unchecked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: not checked off-chain: {}", self.policy.contract_name(), self.reason)
    }
}

/// Why a check returned `VALIDATION_FAILED`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// A universal action rule's condition does not hold.
    Rule {
        /// Index of the failing rule among the policy's active rules.
        rule: usize,
        /// The rule's condition, which the word fails.
        condition: ParamCondition,
        /// Byte offset of the word after the selector.
        offset: u64,
        /// The calldata word the rule read (at `4 + offset`), as an unsigned integer.
        param: U256,
        /// The rule's reference value.
        reference: B256,
        /// The parameter's type, when known (the function's signature was given, or the
        /// selector is a well-known one): values print in its natural form.
        ty: Option<ParamType>,
    },
    /// A limited universal action rule would exceed its cumulative limit.
    RuleLimit {
        /// Index of the limited rule among the policy's active rules.
        rule: usize,
        /// The rule's `usage.used` before this call: the sum of its word over earlier uses.
        used: U256,
        /// This call's word, which would take the sum past `limit`.
        param: U256,
        /// The rule's cumulative `usage.limit`.
        limit: U256,
    },
    /// The usage limit policy has no uses left.
    UsageLimit {
        /// Uses counted so far (at least `limit`).
        used: u128,
        /// The most uses the policy allows.
        limit: u128,
    },
    /// The value limit policy's cumulative limit would be exceeded.
    ValueLimit {
        /// Wei counted by earlier calls.
        used: U256,
        /// This call's ETH value in wei.
        value: U256,
        /// The policy's cumulative limit in wei.
        limit: U256,
    },
    /// The ERC-20 spending limit policy refuses calls that carry ETH.
    NonZeroValue {
        /// The call's ETH value in wei (any nonzero value fails).
        value: U256,
    },
    /// The ERC-20 spending limit policy allows only some selectors (see [`SpendingModel`]).
    UnsupportedSelector {
        /// The call's selector.
        selector: FixedBytes<4>,
        /// The rules the policy follows.
        model: SpendingModel,
    },
    /// The token's spending limit would be exceeded (or the token has none).
    SpendingLimit {
        /// The token (the call's target).
        token: Address,
        /// Transferred so far.
        spent: U256,
        /// Approved so far.
        approved: U256,
        /// This call's amount.
        amount: U256,
        /// The token's limit (0 when the token is not configured).
        limit: U256,
    },
    /// Outside the time frame (only from [`TimeFramePolicy::check_at`]; on chain the EntryPoint
    /// enforces the window through the validation data).
    OutsideTimeFrame {
        /// The unix time (seconds) checked: the `now` given to [`TimeFramePolicy::check_at`].
        now: u64,
        /// Start of the window (`validAfter`, unix seconds).
        valid_after: u64,
        /// End of the window (0: none).
        valid_until: u64,
    },
}

/// Why a check reverts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revert {
    /// The policy holds no configuration for this config id and account
    /// (`PolicyNotInitialized`).
    NotInitialized,
    /// The call's value exceeds the universal action policy's `valueLimitPerUse`
    /// (`ValueLimitExceeded`).
    ValueLimitExceeded {
        /// The call's ETH value in wei.
        value: U256,
        /// The policy's `valueLimitPerUse` in wei.
        limit: U256,
    },
    /// The calldata is too short for a rule's word (the calldata slice reverts with no data).
    CalldataTooShort {
        /// Index of the rule whose word lies past the end of the calldata.
        rule: usize,
        /// Bytes the rule reads up to (`4 + offset + 32`).
        needed: u128,
        /// Length of the call's calldata in bytes, selector included.
        actual: usize,
    },
    /// `used + param` overflows 256 bits (`Panic(0x11)`).
    Overflow {
        /// Index of the limited rule whose sum overflows (0 for the value and spending limit
        /// policies, which have no rules).
        rule: usize,
    },
    /// The ERC-20 call's arguments do not decode.
    MalformedArguments,
}

/// The most calls one evaluation request may run (see [`bounded`]).
pub const MAX_CALLS: usize = 4096;

/// `count` as a `usize` if it is at most [`MAX_CALLS`], else [`PolicyError::TooMany`] naming
/// `field`: for every loop whose length comes from input.
pub fn bounded(field: &'static str, count: u64) -> Result<usize> {
    usize::try_from(count).ok().filter(|n| *n <= MAX_CALLS).ok_or(PolicyError::TooMany {
        field,
        count,
        max: MAX_CALLS,
    })
}

/// What happened to a rejected check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The policy returns `VALIDATION_FAILED`; state written before the failing step persists.
    Violation(Violation),
    /// The policy's check reverts (SmartSession: `PolicyCheckReverted`); no state changes.
    Revert(Revert),
}

/// A rejected check, naming the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The kind of policy that rejects the call (the address is the caller's to know, e.g.
    /// [`Refused::policy`](crate::session::Refused::policy)).
    pub policy: PolicyKind,
    /// Whether the check fails or reverts, and why.
    pub outcome: Outcome,
}

impl Rejection {
    const fn violation(policy: PolicyKind, v: Violation) -> Self {
        Self { policy, outcome: Outcome::Violation(v) }
    }

    const fn revert(policy: PolicyKind, r: Revert) -> Self {
        Self { policy, outcome: Outcome::Revert(r) }
    }

    /// Whether the call reverted (rather than returning `VALIDATION_FAILED`).
    pub const fn is_revert(&self) -> bool {
        matches!(self.outcome, Outcome::Revert(_))
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.policy.contract_name();
        match &self.outcome {
            Outcome::Violation(Violation::Rule {
                rule,
                condition,
                offset,
                param,
                reference,
                ty,
            }) => {
                let show = |w: B256| match ty {
                    Some(t) => t.format_word(w),
                    None => alloc::format!("{}", U256::from_be_bytes(w.0)),
                };
                let r = if *condition == ParamCondition::InRange {
                    let (min, max) = split_range(*reference);
                    alloc::format!("[{min}, {max}]")
                } else {
                    show(*reference)
                };
                let at = match ty {
                    Some(t) => alloc::format!("on the {t} at offset {offset}"),
                    None => alloc::format!("at offset {offset}"),
                };
                write!(
                    f,
                    "{p}: rule {rule} ({condition} {at}) fails: parameter {} vs reference {r}",
                    show(B256::from(*param))
                )
            }
            Outcome::Violation(Violation::RuleLimit { rule, used, param, limit }) => write!(
                f,
                "{p}: rule {rule}'s cumulative limit would be exceeded: {used} used + {param} > {limit}"
            ),
            Outcome::Violation(Violation::UsageLimit { used, limit }) => {
                write!(f, "{p}: all {limit} uses are spent ({used} used)")
            }
            Outcome::Violation(Violation::ValueLimit { used, value, limit }) => {
                write!(f, "{p}: value limit would be exceeded: {used} used + {value} > {limit}")
            }
            Outcome::Violation(Violation::NonZeroValue { value }) => {
                write!(f, "{p}: ERC-20 calls may not carry ETH (value {value})")
            }
            Outcome::Violation(Violation::UnsupportedSelector { selector, model }) => {
                write!(f, "{p}: selector {selector} is not {}", model.selectors())
            }
            Outcome::Violation(Violation::SpendingLimit {
                token,
                spent,
                approved,
                amount,
                limit,
            }) if approved.is_zero() => {
                write!(f, "{p}: token {token}: {spent} spent + {amount} > limit {limit}")
            }
            Outcome::Violation(Violation::SpendingLimit {
                token,
                spent,
                approved,
                amount,
                limit,
            }) => write!(
                f,
                "{p}: token {token}: {spent} spent + {approved} approved + {amount} > limit {limit}"
            ),
            Outcome::Violation(Violation::OutsideTimeFrame { now, valid_after, valid_until }) => {
                write!(
                    f,
                    "{p}: time {now} is outside [{valid_after}, {}]",
                    if *valid_until == 0 {
                        alloc::string::String::from("∞")
                    } else {
                        alloc::format!("{valid_until}")
                    }
                )
            }
            Outcome::Revert(Revert::NotInitialized) => {
                write!(f, "{p}: reverts with PolicyNotInitialized")
            }
            Outcome::Revert(Revert::ValueLimitExceeded { value, limit }) => {
                write!(f, "{p}: reverts with ValueLimitExceeded: value {value} > {limit} per call")
            }
            Outcome::Revert(Revert::CalldataTooShort { rule, needed, actual }) => write!(
                f,
                "{p}: reverts: rule {rule} reads calldata up to byte {needed}, the call has {actual}"
            ),
            Outcome::Revert(Revert::Overflow { rule }) => {
                write!(f, "{p}: reverts with Panic(0x11): rule {rule}'s used + parameter overflows")
            }
            Outcome::Revert(Revert::MalformedArguments) => {
                write!(f, "{p}: reverts: the call's arguments do not ABI-decode")
            }
        }
    }
}

impl core::error::Error for Rejection {}

/// The result of one policy check: `Ok` where the contract returns `VALIDATION_SUCCESS` (with
/// what the check returns, e.g. the time frame's validation data), else the [`Rejection`].
pub type CheckResult<T = ()> = core::result::Result<T, Rejection>;

/// The universal action policy's state for one config id and account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UniActionPolicy {
    config: ActionConfig,
    /// The type of each rule's word, when known (only for printing refusals).
    types: [Option<ParamType>; smart_sessions_codec::MAX_RULES],
}

impl UniActionPolicy {
    /// `initializeWithMultiplexer`: fails where the contract reverts (input shorter than 3136
    /// bytes, dirty or out-of-range words, a `length` above 16).
    pub fn initialize(init_data: &[u8]) -> Result<Self> {
        let config = ActionConfig::abi_decode(init_data)
            .map_err(|e| PolicyError::Init { policy: PolicyKind::UniversalAction, reason: e })?;
        Ok(Self::from_config(config))
    }

    /// The state of a policy holding `config` (e.g. from
    /// [`UniActionBuilder::build_config`](crate::UniActionBuilder::build_config)), without the
    /// decoding checks of [`initialize`](Self::initialize).
    pub const fn from_config(config: ActionConfig) -> Self {
        Self { config, types: [None; smart_sessions_codec::MAX_RULES] }
    }

    /// Attaches the parameter types of `function` (the action's function): refusals then print
    /// each rule's parameter and reference in the type's natural form (an address checksummed).
    /// Rules whose word is not exactly one parameter stay untyped.
    ///
    /// ```
    /// use alloy_primitives::{address, hex, U256};
    /// use smart_sessions_codec::ParamCondition;
    /// use smart_sessions_policy::{eval::UniActionPolicy, FunctionLayout, UniActionBuilder};
    ///
    /// let to = address!("0xd8da6bf26964af9d7eed9e03e53415d37aa96045");
    /// let config = UniActionBuilder::new().rule(smart_sessions_policy::At::Word(0), ParamCondition::Equal, to).build_config()?;
    /// let transfer = FunctionLayout::known(hex!("a9059cbb")).unwrap();
    /// let mut p = UniActionPolicy::from_config(config).with_layout(&transfer);
    /// let mut data = hex!("a9059cbb").to_vec();
    /// data.extend(address!("0x000000000000000000000000000000000000dEaD").into_word());
    /// data.extend([0u8; 32]);
    /// let r = p.check_action(U256::ZERO, &data).unwrap_err();
    /// assert!(r.to_string().ends_with(
    ///     "parameter 0x000000000000000000000000000000000000dEaD vs reference 0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"
    /// ));
    /// # Ok::<(), smart_sessions_policy::PolicyError>(())
    /// ```
    pub fn with_layout(mut self, function: &FunctionLayout) -> Self {
        for (t, r) in self.types.iter_mut().zip(self.config.rules()) {
            *t = function.word_type(r.offset);
        }
        self
    }

    /// The parameter type known for each active rule (see [`with_layout`](Self::with_layout)).
    pub fn param_types(&self) -> &[Option<ParamType>] {
        &self.types[..self.config.rules().len()]
    }

    /// The stored configuration, with the current `used` counters.
    pub const fn config(&self) -> &ActionConfig {
        &self.config
    }

    /// `(rule index, used)` for every active limited rule.
    pub fn used(&self) -> Vec<(usize, U256)> {
        self.config
            .rules()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_limited)
            .map(|(i, r)| (i, r.usage.used))
            .collect()
    }

    /// `checkAction(id, account, target, value, data)` for a call of `value` wei with calldata
    /// `data` (selector included). On a pass or a violation the `used` counters written so far
    /// are kept, as on chain; on a revert nothing changes.
    pub fn check_action(&mut self, value: U256, data: &[u8]) -> CheckResult {
        const P: PolicyKind = PolicyKind::UniversalAction;
        if self.config.is_empty() {
            return Err(Rejection::revert(P, Revert::NotInitialized));
        }
        if value > self.config.value_limit_per_use {
            return Err(Rejection::revert(
                P,
                Revert::ValueLimitExceeded { value, limit: self.config.value_limit_per_use },
            ));
        }
        // Work on a copy of the counters: a revert discards them, a pass or a failure keeps them.
        let mut used: [U256; smart_sessions_codec::MAX_RULES] =
            [U256::ZERO; smart_sessions_codec::MAX_RULES];
        for (u, r) in used.iter_mut().zip(self.config.rules()) {
            *u = r.usage.used;
        }
        let mut result = Ok(());
        for (i, rule) in self.config.rules().iter().enumerate() {
            let start = 4u128 + u128::from(rule.offset);
            let end = start + 32;
            let word = usize::try_from(start)
                .ok()
                .and_then(|s| data.get(s..s.checked_add(32)?))
                .ok_or_else(|| {
                    Rejection::revert(
                        P,
                        Revert::CalldataTooShort { rule: i, needed: end, actual: data.len() },
                    )
                })?;
            let param = U256::from_be_slice(word);
            if !rule.condition.check(param, rule.reference) {
                result = Err(Rejection::violation(
                    P,
                    Violation::Rule {
                        rule: i,
                        condition: rule.condition,
                        offset: rule.offset,
                        param,
                        reference: rule.reference,
                        ty: self.types.get(i).copied().flatten(),
                    },
                ));
                break;
            }
            if rule.is_limited {
                let sum = used[i]
                    .checked_add(param)
                    .ok_or_else(|| Rejection::revert(P, Revert::Overflow { rule: i }))?;
                if sum > rule.usage.limit {
                    result = Err(Rejection::violation(
                        P,
                        Violation::RuleLimit {
                            rule: i,
                            used: used[i],
                            param,
                            limit: rule.usage.limit,
                        },
                    ));
                    break;
                }
                used[i] = sum;
            }
        }
        for (r, u) in self.config.rules_mut().iter_mut().zip(used) {
            r.usage.used = u;
        }
        result
    }
}
