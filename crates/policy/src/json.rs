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
//! - [`SessionRequestInfo`]: one `sessionRequestedInfo` entry (`sessionPublicKey`,
//!   `sessionValidUntil`, `actionPoliciesInfo`, …), and [`ActionConfigJson`] the universal
//!   action policy's config in module-sdk's / abstractjs's shapes.
//!
//! Integers are accepted as JSON numbers, decimal strings (ASCII digits), `0x` hex or tagged
//! bigints; conditions by number or name (`"LESS_THAN"`, `"lessThan"`).
//!
//! Every error names the path of the bad value (`` `rules[0].ref`: "1157…" does not fit 256
//! bits ``), and every list has a maximum length ([`MAX_RULES`](smart_sessions_codec::MAX_RULES),
//! [`MAX_TOKEN_LIMITS`], [`MAX_ACTIONS`]) checked before it is stored, so hostile input cannot
//! make a reader allocate without bound.
//!
//! ```
//! use smart_sessions_policy::json::ActionPolicyInfo;
//!
//! let e = serde_json::from_str::<ActionPolicyInfo>(
//!     r#"{"contractAddress":"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48","functionSelector":"0xa9059cbb","rules":"nope"}"#,
//! )
//! .unwrap_err();
//! assert!(e.to_string().starts_with("`rules`: invalid type: string \"nope\""), "{e}");
//! ```

mod de;
mod read;
pub use read::QUOTE_MAX;

use crate::{PolicyError, Result, builder};
use alloc::vec::Vec;
use alloy_primitives::{Address, FixedBytes, U256};
use smart_sessions_codec::{ActionConfig, ActionData, Generation, ParamRule, PolicyData};

pub use crate::builder::BICONOMY_TIME_FRAME_POLICY;

/// The most `tokenLimits` one action may give.
pub const MAX_TOKEN_LIMITS: usize = 256;
/// The most actions (`actionPoliciesInfo` entries) one session request may give.
pub const MAX_ACTIONS: usize = 256;

/// A token and its spending limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLimit {
    /// The ERC-20 token contract (`token`).
    pub token: Address,
    /// The limit in the token's smallest units.
    pub limit: U256,
}

/// One `actionPoliciesInfo` entry of `@biconomy/sdk`'s `grantPermission`.
///
/// Every field is optional except `contractAddress` and `functionSelector`; `null` counts as
/// absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPolicyInfo {
    /// The contract the action may call (`contractAddress`: the action's `actionTarget`).
    pub contract_address: Address,
    /// The function the action may call (`functionSelector`: its `actionTargetSelector`).
    pub function_selector: FixedBytes<4>,
    /// Rules on the calldata (at most 16), which make the action's universal action policy.
    pub rules: Vec<ParamRule>,
    /// Wei: the universal action policy's `valueLimitPerUse` (when there are rules) and the
    /// limit of a value limit policy added for it.
    pub value_limit: Option<U256>,
    /// End of the validity window (unix seconds, 0: none).
    pub valid_until: Option<u64>,
    /// Start of the validity window (unix seconds).
    pub valid_after: Option<u64>,
    /// Whether to add the sudo policy (`sudo: true`), which allows every call of the action.
    pub sudo: bool,
    /// The most times the action may run (`usageLimit`: adds a usage limit policy).
    pub usage_limit: Option<u128>,
    /// Per-token ERC-20 spending limits.
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

/// The universal action policy's config as module-sdk (`{valueLimitPerUse, length?, rules}`)
/// or abstractjs (`{valueLimitPerUse, paramRules: {length, rules}}`) writes it, rules with
/// `offset` (bytes) or `offsetIndex` (words); with `length`, `rules` are the slots of which the
/// first `length` are active, without it every rule is. Errors name the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionConfigJson(pub ActionConfig);

/// One `sessionRequestedInfo` entry of `@biconomy/sdk`'s `grantPermission` (seed docs), as
/// data: the client turns it into a session for its deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRequestInfo {
    /// The session key's address.
    pub session_public_key: Address,
    /// The session validator (default: the deployment's session-key validator).
    pub session_validator_address: Option<Address>,
    /// The validator's init data (default: the 20 bytes of `session_public_key`).
    pub session_key_data: Option<alloy_primitives::Bytes>,
    /// End of the session's validity (unix seconds).
    pub session_valid_until: Option<u64>,
    /// Start of the session's validity (unix seconds).
    pub session_valid_after: Option<u64>,
    /// The actions and their policies (at most [`MAX_ACTIONS`]).
    pub action_policies_info: Vec<ActionPolicyInfo>,
    /// The session's salt, part of its permission id (absent: the client chooses; this
    /// workspace's client takes 32 random bytes, as the TypeScript SDK does).
    pub salt: Option<alloy_primitives::B256>,
}

/// A request file: a list of [`SessionRequestInfo`], a single one, or `@biconomy/sdk`'s
/// `{"sessionRequestedInfo": [...]}`; at most [`MAX_ACTIONS`] sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRequests(pub Vec<SessionRequestInfo>);

impl SessionRequestInfo {
    /// The user-operation time frame policy of `sessionValidUntil` / `sessionValidAfter` for
    /// `generation` ([`time_frame_policy`] with these field names).
    pub fn time_frame(&self, generation: Generation) -> Result<Option<PolicyData>> {
        time_frame_policy(
            generation,
            self.session_valid_until,
            self.session_valid_after,
            ("sessionValidUntil", "sessionValidAfter"),
        )
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
