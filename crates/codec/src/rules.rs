//! Universal action policy (UniActionPolicy) configuration: `ParamCondition`, `ParamRule`,
//! `ActionConfig`, and their ABI encoding.
//!
//! The init data is `abi.encode(ActionConfig)`, a fully static tuple of exactly 98 words
//! (3136 bytes): `valueLimitPerUse`, `length`, then 16 rule slots of 6 words each
//! (`condition`, `offset`, `isLimited`, `ref`, `limit`, `used`). Slots at or beyond `length` are
//! never stored by the contract, but they are part of the bytes.

use crate::{Error, Result};
use alloy_primitives::{B256, U256};
use alloy_sol_types::{SolType, SolValue, abi::AbiDecoderConfig, sol};
use core::fmt;

/// Maximum number of rules a universal action policy holds.
pub const MAX_RULES: usize = 16;

/// Size of UniActionPolicy init data in bytes (98 words).
pub const ACTION_CONFIG_LEN: usize = 98 * 32;

/// How a calldata word is compared with a rule's reference value.
///
/// Comparisons on chain are unsigned 256-bit comparisons of big-endian words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ParamCondition {
    /// `param == ref`.
    #[default]
    Equal = 0,
    /// `param > ref`.
    GreaterThan = 1,
    /// `param < ref`.
    LessThan = 2,
    /// `param >= ref`.
    GreaterThanOrEqual = 3,
    /// `param <= ref`.
    LessThanOrEqual = 4,
    /// `param != ref`.
    NotEqual = 5,
    /// `min <= param <= max`, with `ref = uint128(min) << 128 | uint128(max)`.
    InRange = 6,
}

impl ParamCondition {
    /// All conditions, in numeric order.
    pub const ALL: [Self; 7] = [
        Self::Equal,
        Self::GreaterThan,
        Self::LessThan,
        Self::GreaterThanOrEqual,
        Self::LessThanOrEqual,
        Self::NotEqual,
        Self::InRange,
    ];

    /// The Solidity name (`EQUAL`, `LESS_THAN`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Equal => "EQUAL",
            Self::GreaterThan => "GREATER_THAN",
            Self::LessThan => "LESS_THAN",
            Self::GreaterThanOrEqual => "GREATER_THAN_OR_EQUAL",
            Self::LessThanOrEqual => "LESS_THAN_OR_EQUAL",
            Self::NotEqual => "NOT_EQUAL",
            Self::InRange => "IN_RANGE",
        }
    }

    /// Parses the Solidity name (`LESS_THAN`) or abstractjs's camel-case name (`lessThan`,
    /// `inRange`), case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| {
            let n = c.name();
            name.eq_ignore_ascii_case(n)
                || (name.len() + n.matches('_').count() == n.len()
                    && name
                        .bytes()
                        .zip(n.bytes().filter(|b| *b != b'_'))
                        .all(|(a, b)| a.eq_ignore_ascii_case(&b)))
        })
    }

    /// Whether `param` passes this condition against `reference`, exactly as UniActionPolicy
    /// compares (unsigned 256-bit).
    pub fn check(self, param: U256, reference: B256) -> bool {
        let r = U256::from_be_bytes(reference.0);
        match self {
            Self::Equal => param == r,
            Self::GreaterThan => param > r,
            Self::LessThan => param < r,
            Self::GreaterThanOrEqual => param >= r,
            Self::LessThanOrEqual => param <= r,
            Self::NotEqual => param != r,
            Self::InRange => {
                let (min, max) = split_range(reference);
                param >= U256::from(min) && param <= U256::from(max)
            }
        }
    }
}

impl fmt::Display for ParamCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<u8> for ParamCondition {
    type Error = Error;

    fn try_from(value: u8) -> Result<Self> {
        Self::ALL.get(usize::from(value)).copied().ok_or(Error::InvalidParamCondition { value })
    }
}

impl From<ParamCondition> for u8 {
    fn from(c: ParamCondition) -> Self {
        c as Self
    }
}

/// `ref` of an `IN_RANGE` rule: `uint128(min) << 128 | uint128(max)`.
pub fn range_ref(min: u128, max: u128) -> B256 {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&min.to_be_bytes());
    out[16..].copy_from_slice(&max.to_be_bytes());
    B256::new(out)
}

/// Splits an `IN_RANGE` reference into `(min, max)`.
pub fn split_range(reference: B256) -> (u128, u128) {
    let (hi, lo) = reference.0.split_at(16);
    let mut min = [0u8; 16];
    let mut max = [0u8; 16];
    min.copy_from_slice(hi);
    max.copy_from_slice(lo);
    (u128::from_be_bytes(min), u128::from_be_bytes(max))
}

/// A cumulative limit on the sum of a rule's parameter values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LimitUsage {
    /// The most the rule's parameter may add up to over all uses (`used + param` must not
    /// exceed it).
    pub limit: U256,
    /// The sum so far (normally 0 in init data; the contract stores it as given).
    pub used: U256,
}

/// One condition on a 32-byte calldata word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ParamRule {
    /// How the calldata word is compared with [`reference`](Self::reference).
    pub condition: ParamCondition,
    /// Byte offset of the word after the 4-byte selector (not a word index; need not be a
    /// multiple of 32).
    pub offset: u64,
    /// Whether the word also counts against [`usage`](Self::usage).
    pub is_limited: bool,
    /// The reference value (for `IN_RANGE`, see [`range_ref`]).
    pub reference: B256,
    /// The cumulative limit, used when `is_limited`.
    pub usage: LimitUsage,
}

impl ParamRule {
    /// A rule without a usage limit.
    pub const fn new(condition: ParamCondition, offset: u64, reference: B256) -> Self {
        Self {
            condition,
            offset,
            is_limited: false,
            reference,
            usage: LimitUsage { limit: U256::ZERO, used: U256::ZERO },
        }
    }

    /// An `IN_RANGE` rule, `min <= param <= max`.
    pub fn in_range(offset: u64, min: u128, max: u128) -> Result<Self> {
        if min > max {
            return Err(Error::InvalidRange { rule: 0, min, max });
        }
        Ok(Self::new(ParamCondition::InRange, offset, range_ref(min, max)))
    }

    /// Adds a cumulative limit on the sum of this word across uses.
    pub const fn limited(mut self, limit: U256) -> Self {
        self.is_limited = true;
        self.usage = LimitUsage { limit, used: U256::ZERO };
        self
    }
}

sol! {
    struct LimitUsageAbi { uint256 limit; uint256 used; }
    struct ParamRuleAbi { uint8 condition; uint64 offset; bool isLimited; bytes32 ref; LimitUsageAbi usage; }
    struct ParamRulesAbi { uint256 length; ParamRuleAbi[16] rules; }
    struct ActionConfigAbi { uint256 valueLimitPerUse; ParamRulesAbi paramRules; }
}

impl From<&ParamRule> for ParamRuleAbi {
    fn from(r: &ParamRule) -> Self {
        Self {
            condition: r.condition as u8,
            offset: r.offset,
            isLimited: r.is_limited,
            r#ref: r.reference,
            usage: LimitUsageAbi { limit: r.usage.limit, used: r.usage.used },
        }
    }
}

/// The init data of a universal action policy: a per-call ETH value limit and up to 16 rules.
///
/// The 16 on-chain slots are kept as given, so unused slots (which abstractjs fills with
/// placeholder rules) survive a decode/encode round trip byte for byte.
///
/// ```
/// use alloy_primitives::{B256, U256};
/// use smart_sessions_codec::{ActionConfig, ParamCondition, ParamRule};
///
/// // amount (2nd argument of transfer(address,uint256)) < 100, at most 1000 in total
/// let rule = ParamRule::new(ParamCondition::LessThan, 32, B256::from(U256::from(100)))
///     .limited(U256::from(1000));
/// let config = ActionConfig::new(U256::ZERO, &[rule])?;
/// let init_data = config.abi_encode();
/// assert_eq!(init_data.len(), 3136);
/// assert_eq!(ActionConfig::abi_decode(&init_data)?, config);
/// # Ok::<(), smart_sessions_codec::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ActionConfig {
    /// The largest ETH value one call may carry (`0` forbids any value).
    pub value_limit_per_use: U256,
    length: u8,
    slots: [ParamRule; MAX_RULES],
}

impl Default for ActionConfig {
    fn default() -> Self {
        Self {
            value_limit_per_use: U256::ZERO,
            length: 0,
            slots: [ParamRule::default(); MAX_RULES],
        }
    }
}

impl ActionConfig {
    /// A config with `rules` in the first slots and zeroed unused slots.
    ///
    /// Fails with [`Error::TooManyRules`] for more than 16 rules and [`Error::InvalidRange`] for an
    /// `IN_RANGE` rule whose minimum exceeds its maximum.
    pub fn new(value_limit_per_use: U256, rules: &[ParamRule]) -> Result<Self> {
        if rules.len() > MAX_RULES {
            return Err(Error::TooManyRules { count: U256::from(rules.len()), max: MAX_RULES });
        }
        let mut slots = [ParamRule::default(); MAX_RULES];
        slots[..rules.len()].copy_from_slice(rules);
        let config = Self { value_limit_per_use, length: rules.len() as u8, slots };
        config.check_ranges()?;
        Ok(config)
    }

    /// A config from all 16 slots, of which the first `length` are active (the exact on-chain
    /// struct). Fails with [`Error::TooManyRules`] when `length > 16`.
    pub fn from_slots(
        value_limit_per_use: U256,
        length: usize,
        slots: [ParamRule; MAX_RULES],
    ) -> Result<Self> {
        if length > MAX_RULES {
            return Err(Error::TooManyRules { count: U256::from(length), max: MAX_RULES });
        }
        Ok(Self { value_limit_per_use, length: length as u8, slots })
    }

    /// Checks that every active `IN_RANGE` rule has `min <= max`.
    ///
    /// The contract accepts such a rule, but it can never pass.
    pub fn check_ranges(&self) -> Result<()> {
        for (rule, r) in self.rules().iter().enumerate() {
            if r.condition == ParamCondition::InRange {
                let (min, max) = split_range(r.reference);
                if min > max {
                    return Err(Error::InvalidRange { rule, min, max });
                }
            }
        }
        Ok(())
    }

    /// The active rules (`rules[0..length)`).
    pub fn rules(&self) -> &[ParamRule] {
        &self.slots[..usize::from(self.length)]
    }

    /// Mutable access to the active rules (e.g. to update `usage.used`).
    pub fn rules_mut(&mut self) -> &mut [ParamRule] {
        &mut self.slots[..usize::from(self.length)]
    }

    /// All 16 slots, including the unused ones.
    pub const fn slots(&self) -> &[ParamRule; MAX_RULES] {
        &self.slots
    }

    /// Number of active rules.
    pub const fn len(&self) -> usize {
        self.length as usize
    }

    /// Whether the config has no rules (such a policy initialises, but every check reverts).
    pub const fn is_empty(&self) -> bool {
        self.length == 0
    }

    fn to_abi(&self) -> ActionConfigAbi {
        ActionConfigAbi {
            valueLimitPerUse: self.value_limit_per_use,
            paramRules: ParamRulesAbi {
                length: U256::from(self.length),
                rules: self.slots.each_ref().map(ParamRuleAbi::from),
            },
        }
    }

    /// `abi.encode(ActionConfig)`: always [`ACTION_CONFIG_LEN`] bytes.
    pub fn abi_encode(&self) -> alloc::vec::Vec<u8> {
        self.to_abi().abi_encode()
    }

    /// Decodes UniActionPolicy init data the way the contract's `abi.decode` does.
    ///
    /// Like Solidity, it rejects input shorter than 3136 bytes, dirty `uint8`/`uint64`/`bool`
    /// words and conditions above 6, in every slot; it ignores trailing bytes. It also rejects a
    /// `length` above 16, on which the contract's initialisation panics. It does not reject an
    /// `IN_RANGE` rule with `min > max` (see [`check_ranges`](Self::check_ranges)).
    pub fn abi_decode(data: &[u8]) -> Result<Self> {
        if data.len() < ACTION_CONFIG_LEN {
            return Err(Error::TooShort {
                field: "ActionConfig",
                needed: ACTION_CONFIG_LEN,
                actual: data.len(),
            });
        }
        let abi = <ActionConfigAbi as SolType>::abi_decode_with_config(
            data,
            AbiDecoderConfig::new().validate(true),
        )
        .map_err(|e| Error::abi("ActionConfig", e))?;
        let length = abi.paramRules.length;
        if length > U256::from(MAX_RULES) {
            return Err(Error::TooManyRules { count: length, max: MAX_RULES });
        }
        let mut slots = [ParamRule::default(); MAX_RULES];
        for (slot, r) in slots.iter_mut().zip(abi.paramRules.rules.iter()) {
            *slot = ParamRule {
                condition: ParamCondition::try_from(r.condition)?,
                offset: r.offset,
                is_limited: r.isLimited,
                reference: r.r#ref,
                usage: LimitUsage { limit: r.usage.limit, used: r.usage.used },
            };
        }
        Ok(Self { value_limit_per_use: abi.valueLimitPerUse, length: length.to::<u8>(), slots })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_names_parse_in_both_spellings() {
        for c in ParamCondition::ALL {
            assert_eq!(ParamCondition::from_name(c.name()), Some(c));
            assert_eq!(ParamCondition::try_from(c as u8).unwrap(), c);
        }
        assert_eq!(
            ParamCondition::from_name("lessThanOrEqual"),
            Some(ParamCondition::LessThanOrEqual)
        );
        assert_eq!(ParamCondition::from_name("inRange"), Some(ParamCondition::InRange));
        assert_eq!(ParamCondition::from_name("less_than"), Some(ParamCondition::LessThan));
        assert_eq!(ParamCondition::from_name("lessthan"), Some(ParamCondition::LessThan));
        assert_eq!(ParamCondition::from_name("lessThanX"), None);
        assert_eq!(ParamCondition::from_name("less"), None);
        assert_eq!(ParamCondition::try_from(7), Err(Error::InvalidParamCondition { value: 7 }));
    }

    #[test]
    fn seventeen_rules_are_an_error_not_a_truncation() {
        let rules = [ParamRule::default(); 17];
        assert!(matches!(
            ActionConfig::new(U256::ZERO, &rules),
            Err(Error::TooManyRules { max: 16, .. })
        ));
    }

    #[test]
    fn in_range_bounds_are_inclusive_and_checked() {
        let r = ParamRule::in_range(0, 10, 1000).unwrap();
        let c = r.condition;
        assert!(!c.check(U256::from(9), r.reference));
        assert!(c.check(U256::from(10), r.reference));
        assert!(c.check(U256::from(1000), r.reference));
        assert!(!c.check(U256::from(1001), r.reference));
        assert!(ParamRule::in_range(0, 5, 4).is_err());
        let bad = ParamRule::new(ParamCondition::InRange, 0, range_ref(5, 4));
        assert_eq!(
            ActionConfig::new(U256::ZERO, &[ParamRule::default(), bad]),
            Err(Error::InvalidRange { rule: 1, min: 5, max: 4 })
        );
    }

    #[test]
    fn decode_rejects_what_solidity_rejects() {
        let config = ActionConfig::new(U256::from(7), &[ParamRule::default()]).unwrap();
        let good = config.abi_encode();
        assert_eq!(good.len(), ACTION_CONFIG_LEN);
        // short input
        assert!(matches!(
            ActionConfig::abi_decode(&good[..ACTION_CONFIG_LEN - 1]),
            Err(Error::TooShort { .. })
        ));
        // condition 7 in an unused slot (slot 5, word 2 + 5 * 6)
        let mut bad = good.clone();
        bad[(2 + 5 * 6) * 32 + 31] = 7;
        assert_eq!(ActionConfig::abi_decode(&bad), Err(Error::InvalidParamCondition { value: 7 }));
        // dirty bool
        let mut bad = good.clone();
        bad[(2 + 2) * 32 + 31] = 2;
        assert!(matches!(ActionConfig::abi_decode(&bad), Err(Error::Abi { .. })));
        // length 17
        let mut bad = good.clone();
        bad[32 + 31] = 17;
        assert!(matches!(ActionConfig::abi_decode(&bad), Err(Error::TooManyRules { .. })));
        // trailing bytes are ignored, as by abi.decode
        let mut long = good;
        long.extend_from_slice(&[0xff; 5]);
        assert_eq!(ActionConfig::abi_decode(&long).unwrap(), config);
    }
}
