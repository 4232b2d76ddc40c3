//! Builders of the policies with no rules of their own (sudo, time frame, usage, value and
//! spending limits), and session-level checks.

use super::{Deployment, FunctionLayout};
use crate::{PolicyError, Result};
use alloy_primitives::{Address, FixedBytes, U256};
use smart_sessions_codec::{ActionData, Generation, PolicyData, PolicyKind};

/// The sudo policy (allows everything).
pub fn sudo(deployment: impl Into<Deployment>) -> PolicyData {
    PolicyData::new(deployment.into().address(PolicyKind::Sudo), alloy_primitives::Bytes::new())
}

/// Checks a time frame as every generation's TimeFramePolicy would take it: refuses `(0, 0)`
/// ([`PolicyError::EmptyTimeFrame`]: the policy reverts every use) and `valid_after >
/// valid_until` with `valid_until != 0` ([`PolicyError::InvalidTimeFrame`]: it refuses to
/// initialise). `fields` names the two inputs in errors (`("validUntil", "validAfter")`).
pub fn validate_time_frame(
    valid_until: u64,
    valid_after: u64,
    fields: (&'static str, &'static str),
) -> Result<()> {
    if valid_until == 0 && valid_after == 0 {
        return Err(PolicyError::EmptyTimeFrame { until_field: fields.0, after_field: fields.1 });
    }
    if valid_until != 0 && valid_after > valid_until {
        return Err(PolicyError::InvalidTimeFrame { valid_after, valid_until });
    }
    Ok(())
}

/// A time frame policy, refusing `(0, 0)` and `valid_after > valid_until` (with `valid_until !=
/// 0`): see [`validate_time_frame`]. `valid_until == 0` alone means no end.
///
/// With a custom address, the init data uses the current generation's 12-byte layout.
///
/// ```
/// use smart_sessions_codec::Generation;
/// use smart_sessions_policy::{time_frame, PolicyError};
///
/// assert!(time_frame(Generation::Current, 0, 1_700_000_000).is_ok()); // no end
/// assert!(matches!(
///     time_frame(Generation::Current, 0, 0),
///     Err(PolicyError::EmptyTimeFrame { until_field: "validUntil", .. })
/// ));
/// ```
pub fn time_frame(
    deployment: impl Into<Deployment>,
    valid_until: u64,
    valid_after: u64,
) -> Result<PolicyData> {
    validate_time_frame(valid_until, valid_after, ("validUntil", "validAfter"))?;
    let d = deployment.into();
    let generation = match d {
        Deployment::Generation(g) => g,
        Deployment::Address(_) => Generation::Current,
    };
    let init = smart_sessions_codec::time_frame_init_data(generation, valid_until, valid_after)?;
    Ok(PolicyData::new(d.address(PolicyKind::TimeFrame), init))
}

/// A usage limit policy (`limit` uses), refusing a zero limit.
pub fn usage_limit(deployment: impl Into<Deployment>, limit: u128) -> Result<PolicyData> {
    if limit == 0 {
        return Err(PolicyError::ZeroPolicyLimit { policy: PolicyKind::UsageLimit });
    }
    Ok(PolicyData::new(
        deployment.into().address(PolicyKind::UsageLimit),
        limit.to_be_bytes().to_vec(),
    ))
}

/// A value limit policy (`limit` wei in total), refusing a zero limit.
pub fn value_limit(deployment: impl Into<Deployment>, limit: U256) -> Result<PolicyData> {
    if limit.is_zero() {
        return Err(PolicyError::ZeroPolicyLimit { policy: PolicyKind::ValueLimit });
    }
    Ok(PolicyData::new(
        deployment.into().address(PolicyKind::ValueLimit),
        limit.to_be_bytes::<32>().to_vec(),
    ))
}

/// An ERC-20 spending limit policy, refusing zero tokens and zero limits.
pub fn spending_limits(
    deployment: impl Into<Deployment>,
    limits: &[(Address, U256)],
) -> Result<PolicyData> {
    for (token, limit) in limits {
        if token.is_zero() {
            return Err(PolicyError::InitData {
                policy: PolicyKind::SpendingLimits,
                reason: "a token is the zero address",
            });
        }
        if limit.is_zero() {
            return Err(PolicyError::ZeroPolicyLimit { policy: PolicyKind::SpendingLimits });
        }
    }
    Ok(PolicyData::new(
        deployment.into().address(PolicyKind::SpendingLimits),
        smart_sessions_codec::spending_limits_init_data(limits),
    ))
}

/// Refuses a session whose actions repeat a `(target, selector)`.
pub fn check_duplicate_actions(actions: &[ActionData]) -> Result<()> {
    for (i, a) in actions.iter().enumerate() {
        if actions[..i].iter().any(|b| {
            b.actionTarget == a.actionTarget && b.actionTargetSelector == a.actionTargetSelector
        }) {
            return Err(PolicyError::DuplicateAction {
                index: i,
                target: a.actionTarget,
                selector: a.actionTargetSelector,
            });
        }
    }
    Ok(())
}

/// Checks that `selector` is the selector of `signature`.
pub fn check_selector(signature: &str, selector: FixedBytes<4>) -> Result<()> {
    let expected = FunctionLayout::parse(signature)?.selector;
    if expected == selector {
        Ok(())
    } else {
        Err(PolicyError::SelectorMismatch { expected, given: selector })
    }
}
