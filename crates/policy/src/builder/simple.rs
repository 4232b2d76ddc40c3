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
///
/// ```
/// use smart_sessions_codec::{Generation, PolicyKind};
/// use smart_sessions_policy::{eval::UsageLimitPolicy, usage_limit, PolicyError};
///
/// let p = usage_limit(Generation::Current, 3)?;
/// assert_eq!(p.policy, Generation::Current.policy(PolicyKind::UsageLimit));
/// assert_eq!(p.initData[..], 3u128.to_be_bytes()); // uint128 limit
/// let mut state = UsageLimitPolicy::initialize(&p.initData)?;
/// assert!(state.check().is_ok());
/// assert_eq!((state.used, state.limit), (1, 3));
/// assert_eq!(
///     usage_limit(Generation::Current, 0),
///     Err(PolicyError::ZeroPolicyLimit { policy: PolicyKind::UsageLimit })
/// );
/// # Ok::<(), PolicyError>(())
/// ```
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
///
/// ```
/// use alloy_primitives::U256;
/// use smart_sessions_codec::{Generation, PolicyData};
/// use smart_sessions_policy::{eval::ValueLimitPolicy, value_limit};
///
/// let one_eth = U256::from(10u64.pow(18));
/// let p = value_limit(Generation::Current, one_eth)?;
/// assert_eq!(p, PolicyData::value_limit(Generation::Current, one_eth)); // abi.encode(uint256)
/// let mut state = ValueLimitPolicy::initialize(&p.initData)?;
/// let sixty_percent = U256::from(6 * 10u64.pow(17));
/// assert!(state.check_action(sixty_percent).is_ok());
/// assert!(state.check_action(sixty_percent).is_err()); // 1.2 ETH in total
/// assert!(value_limit(Generation::Current, U256::ZERO).is_err());
/// # Ok::<(), smart_sessions_policy::PolicyError>(())
/// ```
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
///
/// ```
/// use alloy_primitives::{address, Address, U256};
/// use smart_sessions_codec::Generation;
/// use smart_sessions_policy::{eval::Erc20SpendingLimitPolicy, spending_limits, PolicyError};
///
/// let usdc = address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
/// let p = spending_limits(Generation::Current, &[(usdc, U256::from(1_000_000))])?;
/// let state = Erc20SpendingLimitPolicy::initialize(&p.initData)?;
/// assert_eq!(state.tokens[&usdc].remaining(), U256::from(1_000_000));
/// assert!(matches!(
///     spending_limits(Generation::Current, &[(Address::ZERO, U256::from(1))]),
///     Err(PolicyError::InitData { reason: "a token is the zero address", .. })
/// ));
/// # Ok::<(), PolicyError>(())
/// ```
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
///
/// ```
/// use alloy_primitives::address;
/// use smart_sessions_codec::{ActionData, Generation};
/// use smart_sessions_policy::{check_duplicate_actions, sudo, PolicyError};
///
/// let action = ActionData {
///     actionTarget: address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
///     actionTargetSelector: [0xa9, 0x05, 0x9c, 0xbb].into(),
///     actionPolicies: vec![sudo(Generation::Current)],
/// };
/// assert!(check_duplicate_actions(&[action.clone()]).is_ok());
/// assert!(matches!(
///     check_duplicate_actions(&[action.clone(), action]),
///     Err(PolicyError::DuplicateAction { index: 1, .. })
/// ));
/// ```
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
///
/// ```
/// use alloy_primitives::fixed_bytes;
/// use smart_sessions_policy::{check_selector, PolicyError};
///
/// check_selector("transfer(address to,uint256 amount)", fixed_bytes!("0xa9059cbb"))?;
/// assert!(matches!(
///     check_selector("transfer(address,uint256)", fixed_bytes!("0x095ea7b3")), // approve's
///     Err(PolicyError::SelectorMismatch { .. })
/// ));
/// # Ok::<(), PolicyError>(())
/// ```
pub fn check_selector(signature: &str, selector: FixedBytes<4>) -> Result<()> {
    let expected = FunctionLayout::parse(signature)?.selector;
    if expected == selector {
        Ok(())
    } else {
        Err(PolicyError::SelectorMismatch { expected, given: selector })
    }
}
