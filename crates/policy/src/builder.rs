//! Policy builders with validation.

use crate::{PolicyError, Result};
use alloc::{format, string::String, string::ToString, vec::Vec};
use alloy_json_abi::{Function, Param};
use alloy_primitives::{Address, B256, FixedBytes, I256, U256};
use smart_sessions_codec::{
    ActionConfig, Generation, LimitUsage, MAX_RULES, ParamCondition, ParamRule, PolicyData,
    PolicyKind, range_ref,
};

/// `@biconomy/sdk` 0.0.21's own TimeFramePolicy, which its `grantPermission` adds to every
/// action (init data `uint128 validUntil ‖ uint128 validAfter`).
pub const BICONOMY_TIME_FRAME_POLICY: Address =
    alloy_primitives::address!("0x0B7BB9bD65858593D97f12001FaDa94828307805");

mod simple;
pub use simple::{
    check_duplicate_actions, check_selector, spending_limits, sudo, time_frame, usage_limit,
    validate_time_frame, value_limit,
};

/// Where a policy lives: the canonical address of a generation, or a custom deployment.
///
/// Every builder takes `impl Into<Deployment>`, so a [`Generation`] or an [`Address`] will do.
///
/// ```
/// use alloy_primitives::address;
/// use smart_sessions_codec::{Generation, PolicyKind};
/// use smart_sessions_policy::sudo;
///
/// let canonical = sudo(Generation::Current);
/// assert_eq!(canonical.policy, Generation::Current.policy(PolicyKind::Sudo));
/// let mine = address!("0x1234567890123456789012345678901234567890");
/// assert_eq!(sudo(mine).policy, mine);
/// assert!(sudo(mine).initData.is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deployment {
    /// The generation's canonical policy addresses.
    Generation(Generation),
    /// A policy contract at this address (e.g. your own deployment), used as
    /// `PolicyData.policy` whatever the policy kind.
    Address(Address),
}

impl Deployment {
    fn address(self, kind: PolicyKind) -> Address {
        match self {
            Self::Generation(g) => g.policy(kind),
            Self::Address(a) => a,
        }
    }
}

impl From<Generation> for Deployment {
    fn from(g: Generation) -> Self {
        Self::Generation(g)
    }
}

impl From<Address> for Deployment {
    fn from(a: Address) -> Self {
        Self::Address(a)
    }
}

/// A typed reference value, encoded to `ref` as the ABI encodes the parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// An address, left-padded to 32 bytes as the ABI encodes it.
    Address(Address),
    /// An unsigned integer (`uintN`), big-endian in the word.
    Uint(U256),
    /// A signed integer (two's complement).
    Int(I256),
    /// A boolean: the word 1 or 0.
    Bool(bool),
    /// Raw 32 bytes (for `bytesN`, left-aligned as the ABI stores them).
    Bytes32(B256),
}

impl Value {
    /// The 32-byte word the ABI encodes this value as, which a rule stores as its `ref`.
    pub fn to_ref(self) -> B256 {
        match self {
            Self::Address(a) => a.into_word(),
            Self::Uint(u) => B256::from(u),
            Self::Int(i) => B256::from(i.into_raw()),
            Self::Bool(b) => B256::from(U256::from(u8::from(b))),
            Self::Bytes32(b) => b,
        }
    }
}

impl From<Address> for Value {
    fn from(a: Address) -> Self {
        Self::Address(a)
    }
}
impl From<U256> for Value {
    fn from(u: U256) -> Self {
        Self::Uint(u)
    }
}
impl From<u64> for Value {
    fn from(u: u64) -> Self {
        Self::Uint(U256::from(u))
    }
}
impl From<u128> for Value {
    fn from(u: u128) -> Self {
        Self::Uint(U256::from(u))
    }
}
impl From<I256> for Value {
    fn from(i: I256) -> Self {
        Self::Int(i)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(I256::try_from(i).unwrap_or(I256::ZERO))
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}
impl From<B256> for Value {
    fn from(b: B256) -> Self {
        Self::Bytes32(b)
    }
}

/// Which calldata word a rule reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum At {
    /// A word index (`offsetIndex` in `@biconomy/sdk`): byte offset `32 × index`.
    Word(u64),
    /// A byte offset after the selector (the on-chain `offset`).
    Byte(u64),
    /// A parameter of the function, by name.
    Param(String),
}

impl From<&str> for At {
    fn from(s: &str) -> Self {
        Self::Param(s.to_string())
    }
}

impl From<String> for At {
    fn from(s: String) -> Self {
        Self::Param(s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Reference {
    Value(Value),
    Range(U256, U256),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct RuleSpec {
    at: At,
    condition: ParamCondition,
    reference: Reference,
    limit: Option<U256>,
}

/// The head layout of a function's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionLayout {
    /// The function's 4-byte selector (of its canonical signature, parameter names dropped).
    pub selector: FixedBytes<4>,
    /// Each parameter: name, type, byte offset in the head, head size in bytes, dynamic or not.
    pub params: Vec<ParamLayout>,
}

/// One parameter's place in the argument head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamLayout {
    /// The parameter's name (may be empty).
    pub name: String,
    /// The canonical type (`uint256`, `address`, `(uint256,address)`, `bytes`, …).
    pub ty: String,
    /// Byte offset of its head after the selector.
    pub offset: u64,
    /// Bytes it occupies in the head (32 for a dynamic parameter's offset word).
    pub size: u64,
    /// Whether the value lives in the tail (the head word is an offset).
    pub dynamic: bool,
}

fn static_words(ty: &str, components: &[Param]) -> Option<u64> {
    if let Some(inner) = ty.strip_suffix(']') {
        let open = inner.rfind('[')?;
        let (elem, count) = (&inner[..open], &inner[open + 1..]);
        if count.is_empty() {
            return None;
        }
        let n: u64 = count.parse().ok()?;
        return static_words(elem, components)?.checked_mul(n);
    }
    match ty {
        "bytes" | "string" => None,
        "tuple" => components
            .iter()
            .try_fold(0u64, |acc, p| Some(acc + static_words(&p.ty, &p.components)?)),
        _ => Some(1),
    }
}

impl FunctionLayout {
    /// Parses `name(type name, …)` (names optional) with alloy's Solidity type parser.
    ///
    /// ```
    /// use alloy_primitives::keccak256;
    /// use smart_sessions_policy::FunctionLayout;
    ///
    /// let f = FunctionLayout::parse("swap((address,uint256) order,bytes data,uint8 v)")?;
    /// assert_eq!(f.selector[..], keccak256("swap((address,uint256),bytes,uint8)")[..4]);
    /// // the static tuple takes two head words, `bytes` one (its offset), `uint8` one
    /// assert_eq!(f.head_len(), 4 * 32);
    /// assert!(f.params[1].dynamic && f.params[1].offset == 64);
    /// assert_eq!(f.param_at(96).map(|p| p.name.as_str()), Some("v"));
    /// # Ok::<(), smart_sessions_policy::PolicyError>(())
    /// ```
    pub fn parse(signature: &str) -> Result<Self> {
        let f = Function::parse(signature).map_err(|e| PolicyError::InvalidSignature {
            signature: signature.to_string(),
            source: e,
        })?;
        let mut offset = 0u64;
        let mut params = Vec::with_capacity(f.inputs.len());
        for p in &f.inputs {
            let words = static_words(&p.ty, &p.components);
            let size = words.map_or(32, |w| w * 32);
            params.push(ParamLayout {
                name: p.name.clone(),
                ty: p.selector_type().into_owned(),
                offset,
                size,
                dynamic: words.is_none(),
            });
            offset += size;
        }
        Ok(Self { selector: f.selector(), params })
    }

    /// Length of the static head in bytes.
    pub fn head_len(&self) -> u64 {
        self.params.iter().map(|p| p.size).sum()
    }

    /// The parameter whose head covers byte `offset`.
    pub fn param_at(&self, offset: u64) -> Option<&ParamLayout> {
        self.params.iter().find(|p| offset >= p.offset && offset < p.offset + p.size)
    }
}

fn is_signed(ty: &str) -> bool {
    ty.starts_with("int")
}

fn is_numeric(ty: &str) -> bool {
    ty.starts_with("uint") || ty.starts_with("int")
}

fn bits(ty: &str, prefix: &str) -> Option<usize> {
    let rest = ty.strip_prefix(prefix)?;
    if rest.is_empty() { Some(256) } else { rest.parse().ok() }
}

/// Whether `value` is a value of Solidity type `ty` as the ABI would encode it.
fn fits(value: Value, ty: &str) -> bool {
    match value {
        Value::Address(_) => ty == "address",
        Value::Bool(_) => ty == "bool",
        Value::Uint(u) => match bits(ty, "uint") {
            Some(b) => b == 256 || u < (U256::from(1) << b),
            None => bits(ty, "int").is_some_and(|b| u < (U256::from(1) << (b - 1))),
        },
        Value::Int(i) => match bits(ty, "int") {
            Some(b) => {
                b == 256 || {
                    let half = I256::from_raw(U256::from(1) << (b - 1));
                    i >= -half && i < half
                }
            }
            None => false,
        },
        Value::Bytes32(b) => match ty.strip_prefix("bytes").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n <= 32 => b.0[n..].iter().all(|x| *x == 0),
            _ => ty == "bytes32" || ty.starts_with("uint") || ty.starts_with("int"),
        },
    }
}

/// Opt-ins for rules the validator would otherwise refuse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allow {
    /// Allow ordering conditions on signed parameters (compared unsigned on chain).
    pub unsigned_ordering_on_signed: bool,
    /// Allow offsets past the static head, into dynamic parameters or across parameter
    /// boundaries (for hand-computed offsets into tail data).
    pub raw_offsets: bool,
}

/// Builds a universal action policy (`UniActionPolicy`) with validation.
///
/// ```
/// use alloy_primitives::{address, U256};
/// use smart_sessions_codec::{Generation, ParamCondition};
/// use smart_sessions_policy::UniActionBuilder;
///
/// // transfer(to, amount): only to one recipient, at most 100 per call, 1000 in total
/// let policy = UniActionBuilder::for_function("transfer(address to,uint256 amount)")?
///     .rule("to", ParamCondition::Equal, address!("0x1111111111111111111111111111111111111111"))
///     .limited("amount", ParamCondition::LessThanOrEqual, U256::from(100), U256::from(1000))
///     .build(Generation::Current)?;
/// assert_eq!(policy.initData.len(), 3136);
///
/// // a rule on the word holding a dynamic parameter's offset is refused
/// let err = UniActionBuilder::for_function("call(address to,bytes data)")?
///     .rule("data", ParamCondition::Equal, U256::ZERO)
///     .build(Generation::Current)
///     .unwrap_err();
/// assert!(err.to_string().contains("dynamic"));
/// # Ok::<(), smart_sessions_policy::PolicyError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UniActionBuilder {
    function: Option<FunctionLayout>,
    value_limit_per_use: U256,
    rules: Vec<RuleSpec>,
    allow: Allow,
}

impl UniActionBuilder {
    /// A builder without a function: rules use word indices or byte offsets
    /// ([`At::Word`], [`At::Byte`]), and neither offsets nor values are checked against a layout.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder for a function: rules may name its parameters, offsets are checked against
    /// its argument layout, and values against the parameters' types.
    pub fn for_function(signature: &str) -> Result<Self> {
        Ok(Self { function: Some(FunctionLayout::parse(signature)?), ..Self::default() })
    }

    /// The function's selector, when built [`for_function`](Self::for_function).
    pub fn selector(&self) -> Option<FixedBytes<4>> {
        self.function.as_ref().map(|f| f.selector)
    }

    /// The largest ETH value one call may carry (default 0: none).
    pub const fn value_limit_per_use(mut self, limit: U256) -> Self {
        self.value_limit_per_use = limit;
        self
    }

    /// Opt-ins for rules the validator refuses by default.
    pub const fn allow(mut self, allow: Allow) -> Self {
        self.allow = allow;
        self
    }

    /// Adds a rule: the calldata word at `at` must satisfy `condition` against `value`, encoded
    /// as the ABI encodes the parameter. Rules are checked in [`build_config`](Self::build_config).
    pub fn rule(
        mut self,
        at: impl Into<At>,
        condition: ParamCondition,
        value: impl Into<Value>,
    ) -> Self {
        self.rules.push(RuleSpec {
            at: at.into(),
            condition,
            reference: Reference::Value(value.into()),
            limit: None,
        });
        self
    }

    /// Adds a rule like [`rule`](Self::rule) whose word also counts against `limit`: the sum of
    /// the word over all uses of the action may not exceed it (a numeric parameter only).
    pub fn limited(
        mut self,
        at: impl Into<At>,
        condition: ParamCondition,
        value: impl Into<Value>,
        limit: U256,
    ) -> Self {
        self.rules.push(RuleSpec {
            at: at.into(),
            condition,
            reference: Reference::Value(value.into()),
            limit: Some(limit),
        });
        self
    }

    /// An `IN_RANGE` rule, `min <= word <= max` (both must fit 128 bits).
    pub fn in_range(mut self, at: impl Into<At>, min: U256, max: U256) -> Self {
        self.rules.push(RuleSpec {
            at: at.into(),
            condition: ParamCondition::InRange,
            reference: Reference::Range(min, max),
            limit: None,
        });
        self
    }

    fn resolve(&self, rule: usize, at: &At) -> Result<(u64, Option<&ParamLayout>)> {
        let offset = match at {
            At::Word(i) => i.checked_mul(32).ok_or(PolicyError::OffsetPastHead {
                rule,
                offset: u64::MAX,
                head: 0,
            })?,
            At::Byte(o) => *o,
            At::Param(name) => {
                let f = self.function.as_ref().ok_or(PolicyError::NoFunction { rule })?;
                let p =
                    f.params.iter().find(|p| p.name == *name).ok_or_else(|| {
                        PolicyError::UnknownParameter { rule, name: name.clone() }
                    })?;
                p.offset
            }
        };
        let Some(f) = &self.function else { return Ok((offset, None)) };
        let param = f.param_at(offset);
        if !self.allow.raw_offsets {
            let head = f.head_len();
            if offset.saturating_add(32) > head {
                return Err(PolicyError::OffsetPastHead { rule, offset, head });
            }
            let p = param.ok_or(PolicyError::OffsetPastHead { rule, offset, head })?;
            if (offset - p.offset) % 32 != 0 {
                return Err(PolicyError::UnalignedOffset { rule, offset });
            }
            if p.dynamic {
                let name = if p.name.is_empty() {
                    format!("#{}", f.params.iter().position(|q| q == p).unwrap_or(0))
                } else {
                    p.name.clone()
                };
                return Err(PolicyError::DynamicParameter { rule, param: name, ty: p.ty.clone() });
            }
        }
        // Only a parameter that is a single word has a type the whole word means.
        Ok((offset, param.filter(|p| p.size == 32 && p.offset == offset && !p.dynamic)))
    }

    /// Validates the rules (the refusals are the rule-level [`PolicyError`] variants) and builds
    /// the `ActionConfig` (the init data's contents), without an address; [`build`](Self::build)
    /// wraps it in `PolicyData`.
    pub fn build_config(&self) -> Result<ActionConfig> {
        if self.rules.is_empty() {
            return Err(PolicyError::NoRules);
        }
        if self.rules.len() > MAX_RULES {
            return Err(smart_sessions_codec::Error::TooManyRules {
                count: U256::from(self.rules.len()),
                max: MAX_RULES,
            }
            .into());
        }
        let mut rules = Vec::with_capacity(self.rules.len());
        for (i, spec) in self.rules.iter().enumerate() {
            let (offset, param) = self.resolve(i, &spec.at)?;
            let ty = param.map(|p| p.ty.as_str());
            let reference = match spec.reference {
                Reference::Value(v) => {
                    if let Some(ty) = ty
                        && !fits(v, ty)
                    {
                        return Err(PolicyError::ValueDoesNotFit { rule: i, ty: ty.to_string() });
                    }
                    if matches!(v, Value::Int(_)) || ty.is_some_and(is_signed) {
                        let ordering = !matches!(
                            spec.condition,
                            ParamCondition::Equal | ParamCondition::NotEqual
                        );
                        if ordering && !self.allow.unsigned_ordering_on_signed {
                            return Err(PolicyError::SignedOrdering {
                                rule: i,
                                condition: spec.condition,
                            });
                        }
                    }
                    v.to_ref()
                }
                Reference::Range(min, max) => {
                    let (Ok(lo), Ok(hi)) = (u128::try_from(min), u128::try_from(max)) else {
                        return Err(PolicyError::RangeTooLarge { rule: i });
                    };
                    if lo > hi {
                        return Err(PolicyError::InvalidRange { rule: i, min: lo, max: hi });
                    }
                    if ty.is_some_and(is_signed) && !self.allow.unsigned_ordering_on_signed {
                        return Err(PolicyError::SignedOrdering {
                            rule: i,
                            condition: spec.condition,
                        });
                    }
                    range_ref(lo, hi)
                }
            };
            let mut rule = ParamRule::new(spec.condition, offset, reference);
            if let Some(limit) = spec.limit {
                if let Some(ty) = ty
                    && !is_numeric(ty)
                {
                    return Err(PolicyError::LimitedNonNumeric { rule: i, ty: ty.to_string() });
                }
                if limit.is_zero() {
                    return Err(PolicyError::ZeroLimit { rule: i });
                }
                rule = rule.limited(limit);
            }
            rules.push(rule);
        }
        Ok(ActionConfig::new(self.value_limit_per_use, &rules)?)
    }

    /// The off-chain evaluator of the policy this builder makes, with the function's parameter
    /// types attached (refusals print values by type, see
    /// [`UniActionPolicy::with_layout`](crate::eval::UniActionPolicy::with_layout)).
    pub fn evaluator(&self) -> Result<crate::eval::UniActionPolicy> {
        let p = crate::eval::UniActionPolicy::from_config(self.build_config()?);
        Ok(match &self.function {
            Some(f) => p.with_layout(f),
            None => p,
        })
    }

    /// Validates and builds the policy at `deployment` (a generation or a custom address).
    pub fn build(&self, deployment: impl Into<Deployment>) -> Result<PolicyData> {
        let config = self.build_config()?;
        Ok(PolicyData::new(
            deployment.into().address(PolicyKind::UniversalAction),
            config.abi_encode(),
        ))
    }
}

/// Checks a decoded or hand-made config the way the builder checks its own: rules present,
/// `IN_RANGE` bounds ordered, limited rules with a positive limit and `used <= limit`.
///
/// Use it on configs that did not come from [`UniActionBuilder`] (a session file, another SDK).
///
/// ```
/// use alloy_primitives::{B256, U256};
/// use smart_sessions_codec::{ActionConfig, ParamCondition, ParamRule};
/// use smart_sessions_policy::{validate_action_config, PolicyError};
///
/// let rule = ParamRule::new(ParamCondition::LessThan, 32, B256::from(U256::from(100)));
/// validate_action_config(&ActionConfig::new(U256::ZERO, &[rule])?)?;
/// // the codec encodes these, but no call could ever pass them
/// let zero = ActionConfig::new(U256::ZERO, &[rule.limited(U256::ZERO)])?;
/// assert_eq!(validate_action_config(&zero), Err(PolicyError::ZeroLimit { rule: 0 }));
/// assert_eq!(validate_action_config(&ActionConfig::default()), Err(PolicyError::NoRules));
/// # Ok::<(), PolicyError>(())
/// ```
pub fn validate_action_config(config: &ActionConfig) -> Result<()> {
    if config.is_empty() {
        return Err(PolicyError::NoRules);
    }
    config.check_ranges().map_err(|e| match e {
        smart_sessions_codec::Error::InvalidRange { rule, min, max } => {
            PolicyError::InvalidRange { rule, min, max }
        }
        other => PolicyError::Codec(other),
    })?;
    for (i, r) in config.rules().iter().enumerate() {
        let LimitUsage { limit, used } = r.usage;
        if r.is_limited && limit.is_zero() {
            return Err(PolicyError::ZeroLimit { rule: i });
        }
        if r.is_limited && used > limit {
            return Err(PolicyError::UsedExceedsLimit { rule: i, used, limit });
        }
    }
    Ok(())
}
