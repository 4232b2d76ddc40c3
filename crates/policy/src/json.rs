//! The TypeScript SDKs' JSON shapes for permissions (feature `serde`).
//!
//! - [`ActionPolicyInfo`]: one entry of `@biconomy/sdk`'s `actionPoliciesInfo` (seed docs:
//!   `contractAddress`, `functionSelector`, `rules` with `condition`, `offsetIndex`, `isLimited`,
//!   `ref`, `usage {limit, used}`, plus `valueLimit`, `validUntil`, `validAfter`, `sudo`,
//!   `usageLimit`, `tokenLimits`);
//! - [`ActionConfig`] itself deserialises module-sdk's
//!   `{valueLimitPerUse, length, rules}` and abstractjs's
//!   `{valueLimitPerUse, paramRules: {length, rules}}`, rules with `offset` (bytes) or
//!   `offsetIndex` (words).
//!
//! Integers are accepted as JSON numbers, decimal strings, `0x` hex or tagged bigints;
//! conditions by number or name (`"LESS_THAN"`, `"lessThan"`).

use crate::{PolicyError, Result, builder};
use alloc::vec::Vec;
use alloy_primitives::{Address, FixedBytes, U256, address};
use serde::Deserialize;
use smart_sessions_codec::{ActionConfig, ActionData, Generation, ParamRule, PolicyData};

/// `@biconomy/sdk` 0.0.21's own TimeFramePolicy, which its `grantPermission` adds to every
/// action (init data `uint128 validUntil ‖ uint128 validAfter`).
pub const BICONOMY_TIME_FRAME_POLICY: Address =
    address!("0x0B7BB9bD65858593D97f12001FaDa94828307805");

/// A token and its spending limit.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TokenLimit {
    /// The ERC-20 token.
    pub token: Address,
    /// The limit in the token's units.
    pub limit: U256,
}

/// One `actionPoliciesInfo` entry of `@biconomy/sdk`'s `grantPermission`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionPolicyInfo {
    /// The target contract.
    pub contract_address: Address,
    /// The function selector.
    pub function_selector: FixedBytes<4>,
    /// Rules on the calldata (at most 16).
    #[serde(default)]
    pub rules: Vec<ParamRule>,
    /// Largest ETH value per call, and a cumulative value limit.
    #[serde(default)]
    pub value_limit: Option<U256>,
    /// End of the validity window (unix seconds, 0: none).
    #[serde(default)]
    pub valid_until: Option<u64>,
    /// Start of the validity window.
    #[serde(default)]
    pub valid_after: Option<u64>,
    /// Add the sudo policy.
    #[serde(default)]
    pub sudo: bool,
    /// A maximum number of uses.
    #[serde(default)]
    pub usage_limit: Option<u128>,
    /// Per-token ERC-20 spending limits.
    #[serde(default)]
    pub token_limits: Vec<TokenLimit>,
}

impl ActionPolicyInfo {
    /// The `ActionData` for `generation`, with the policies in `@biconomy/sdk`'s order: the
    /// universal action policy from `rules` (`valueLimitPerUse` = `valueLimit` or 0), the time
    /// frame, sudo, value limit, usage limit, spending limits.
    ///
    /// Unlike the TypeScript SDK, an empty `rules` list adds no universal action policy (a policy
    /// without rules makes every call revert), and the legacy generation's time frame policy is
    /// added only when a window is given. Every policy is validated: see [`PolicyError`].
    pub fn to_action_data(&self, generation: Generation) -> Result<ActionData> {
        let mut policies: Vec<PolicyData> = Vec::new();
        if !self.rules.is_empty() {
            let config = ActionConfig::new(self.value_limit.unwrap_or_default(), &self.rules)?;
            builder::validate_action_config(&config)?;
            policies.push(PolicyData::universal_action(generation, &config));
        }
        if let Some(p) = time_frame_policy(
            generation,
            self.valid_until,
            self.valid_after,
            ("validUntil", "validAfter"),
        )? {
            policies.push(p);
        }
        if self.sudo {
            policies.push(builder::sudo(generation));
        }
        if let Some(v) = self.value_limit {
            policies.push(builder::value_limit(generation, v)?);
        }
        if let Some(u) = self.usage_limit {
            policies.push(builder::usage_limit(generation, u)?);
        }
        if !self.token_limits.is_empty() {
            let pairs: Vec<(Address, U256)> =
                self.token_limits.iter().map(|t| (t.token, t.limit)).collect();
            policies.push(builder::spending_limits(generation, &pairs)?);
        }
        if policies.is_empty() {
            return Err(PolicyError::NoRules);
        }
        Ok(ActionData {
            actionTargetSelector: self.function_selector,
            actionTarget: self.contract_address,
            actionPolicies: policies,
        })
    }
}

/// Converts a whole `actionPoliciesInfo` list, refusing duplicate `(target, selector)` pairs.
pub fn action_data_list(
    infos: &[ActionPolicyInfo],
    generation: Generation,
) -> Result<Vec<ActionData>> {
    let actions = infos.iter().map(|i| i.to_action_data(generation)).collect::<Result<Vec<_>>>()?;
    builder::check_duplicate_actions(&actions)?;
    Ok(actions)
}

/// The time frame policy of a request's window, the same for every path that takes one (an
/// action's `validUntil`/`validAfter`, a session's `sessionValidUntil`/`sessionValidAfter`):
///
/// - neither given: `None` (no time frame policy);
/// - `(0, 0)` given: refused with [`PolicyError::EmptyTimeFrame`] naming `fields`, in every
///   generation: the current TimeFramePolicy reverts every use with `PolicyNotInitialized`
///   (protocol.md §e, verified on its bytecode), and so do the uint128-layout policies of the
///   legacy and v1.0 generations (read from their source, not run here). A session it would
///   make unusable is never built; leave the fields out for no time limit;
/// - `validAfter > validUntil != 0`: refused ([`PolicyError::InvalidTimeFrame`]);
/// - otherwise the policy: for the legacy generation `@biconomy/sdk`'s own
///   [`BICONOMY_TIME_FRAME_POLICY`] (`uint128 ‖ uint128`), else the generation's canonical
///   TimeFramePolicy in its layout.
///
/// ```
/// use smart_sessions_codec::Generation;
/// use smart_sessions_policy::{json::time_frame_policy, PolicyError};
///
/// let f = ("sessionValidUntil", "sessionValidAfter");
/// assert_eq!(time_frame_policy(Generation::Current, None, None, f)?, None);
/// let err = time_frame_policy(Generation::Current, Some(0), Some(0), f).unwrap_err();
/// assert!(err.to_string().starts_with("sessionValidUntil and sessionValidAfter are both 0"));
/// # Ok::<(), PolicyError>(())
/// ```
pub fn time_frame_policy(
    generation: Generation,
    valid_until: Option<u64>,
    valid_after: Option<u64>,
    fields: (&'static str, &'static str),
) -> Result<Option<PolicyData>> {
    if valid_until.is_none() && valid_after.is_none() {
        return Ok(None);
    }
    let (until, after) = (valid_until.unwrap_or(0), valid_after.unwrap_or(0));
    builder::validate_time_frame(until, after, fields)?;
    Ok(Some(if generation.is_legacy() {
        let init = smart_sessions_codec::time_frame_init_data(generation, until, after)?;
        PolicyData::new(BICONOMY_TIME_FRAME_POLICY, init)
    } else {
        builder::time_frame(generation, until, after)?
    }))
}
