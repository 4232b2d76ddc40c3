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
        if self.valid_until.is_some() || self.valid_after.is_some() {
            let (until, after) = (self.valid_until.unwrap_or(0), self.valid_after.unwrap_or(0));
            if generation.is_legacy() {
                if until != 0 && after > until {
                    return Err(PolicyError::InvalidTimeFrame {
                        valid_after: after,
                        valid_until: until,
                    });
                }
                let init = smart_sessions_codec::time_frame_init_data(generation, until, after)?;
                policies.push(PolicyData::new(BICONOMY_TIME_FRAME_POLICY, init));
            } else {
                policies.push(builder::time_frame(generation, until, after)?);
            }
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
