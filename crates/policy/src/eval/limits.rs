//! The counter and window policies: usage limit, value limit, time frame.

use super::{CheckResult, Rejection, Revert, Violation, bounded};
use crate::{PolicyError, Result};
use alloc::vec::Vec;
use alloy_primitives::U256;
use smart_sessions_codec::PolicyKind;

/// The usage limit policy's state for one config id and account: a use counter and its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageLimitPolicy {
    /// The maximum number of uses.
    pub limit: u128,
    /// Uses counted so far (each passing check adds one).
    pub used: u128,
}

impl UsageLimitPolicy {
    /// `initializeWithMultiplexer`: `uint128 limit` from the first 16 bytes (fewer revert); a
    /// zero limit reverts; `used` starts at 0.
    pub fn initialize(init_data: &[u8]) -> Result<Self> {
        let bytes: [u8; 16] =
            init_data.get(..16).and_then(|b| b.try_into().ok()).ok_or(PolicyError::InitData {
                policy: PolicyKind::UsageLimit,
                reason: "needs 16 bytes (uint128 limit)",
            })?;
        let limit = u128::from_be_bytes(bytes);
        if limit == 0 {
            return Err(PolicyError::InitData {
                policy: PolicyKind::UsageLimit,
                reason: "a zero limit reverts",
            });
        }
        Ok(Self { limit, used: 0 })
    }

    /// `calls` checks in a row, one result each; refuses more than [`MAX_CALLS`](super::MAX_CALLS) (typed
    /// [`PolicyError::TooMany`] naming `calls`) instead of allocating for them.
    ///
    /// ```
    /// use smart_sessions_policy::{eval::UsageLimitPolicy, PolicyError};
    ///
    /// let mut p = UsageLimitPolicy { limit: 2, used: 0 };
    /// let results = p.check_many(3)?;
    /// assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    /// assert!(matches!(p.check_many(u64::MAX), Err(PolicyError::TooMany { field: "calls", .. })));
    /// # Ok::<(), PolicyError>(())
    /// ```
    pub fn check_many(&mut self, calls: u64) -> Result<Vec<CheckResult>> {
        let n = bounded("calls", calls)?;
        Ok((0..n).map(|_| self.check()).collect())
    }

    /// `checkAction` (and `checkUserOpPolicy`: the same counter): counts one use, and fails
    /// without counting once all `limit` uses are spent.
    pub fn check(&mut self) -> CheckResult {
        if self.used.saturating_add(1) > self.limit {
            return Err(Rejection::violation(
                PolicyKind::UsageLimit,
                Violation::UsageLimit { used: self.used, limit: self.limit },
            ));
        }
        self.used += 1;
        Ok(())
    }
}

/// The value limit policy's state for one config id and account: wei counted and the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueLimitPolicy {
    /// The cumulative limit in wei.
    pub limit: U256,
    /// Wei counted by passing checks so far.
    pub used: U256,
}

impl ValueLimitPolicy {
    /// `initializeWithMultiplexer`: `uint256 limit` from the first 32 bytes (fewer revert); a
    /// zero limit reverts.
    pub fn initialize(init_data: &[u8]) -> Result<Self> {
        let word = init_data.get(..32).ok_or(PolicyError::InitData {
            policy: PolicyKind::ValueLimit,
            reason: "needs 32 bytes (uint256 limit)",
        })?;
        let limit = U256::from_be_slice(word);
        if limit.is_zero() {
            return Err(PolicyError::InitData {
                policy: PolicyKind::ValueLimit,
                reason: "a zero limit reverts",
            });
        }
        Ok(Self { limit, used: U256::ZERO })
    }

    /// `checkAction(…, value, …)`: counts the call's `value` wei against the limit; on a
    /// failure or an overflow nothing is counted.
    pub fn check_action(&mut self, value: U256) -> CheckResult {
        const P: PolicyKind = PolicyKind::ValueLimit;
        let sum = self
            .used
            .checked_add(value)
            .ok_or(Rejection::revert(P, Revert::Overflow { rule: 0 }))?;
        if sum > self.limit {
            return Err(Rejection::violation(
                P,
                Violation::ValueLimit { used: self.used, value, limit: self.limit },
            ));
        }
        self.used = sum;
        Ok(())
    }
}

/// The time frame policy's configuration: a validity window and no counter (the EntryPoint
/// enforces the window through the validation data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeFramePolicy {
    /// End of the window (0: none).
    pub valid_until: u64,
    /// Start of the window (`validAfter`, unix seconds).
    pub valid_after: u64,
}

impl TimeFramePolicy {
    /// `initializeWithMultiplexer` of the current generation: `uint48 validUntil ‖ uint48
    /// validAfter` (12 bytes; fewer revert, more are ignored); reverts unless `validUntil == 0 ||
    /// validAfter <= validUntil`.
    pub fn initialize(init_data: &[u8]) -> Result<Self> {
        const P: PolicyKind = PolicyKind::TimeFrame;
        let b = init_data.get(..12).ok_or(PolicyError::InitData {
            policy: P,
            reason: "needs 12 bytes (uint48, uint48)",
        })?;
        let mut until = [0u8; 8];
        let mut after = [0u8; 8];
        until[2..].copy_from_slice(&b[..6]);
        after[2..].copy_from_slice(&b[6..]);
        let (valid_until, valid_after) = (u64::from_be_bytes(until), u64::from_be_bytes(after));
        if valid_until != 0 && valid_after > valid_until {
            return Err(PolicyError::InitData {
                policy: P,
                reason: "validAfter is later than validUntil (PolicyNotInitialized)",
            });
        }
        Ok(Self { valid_until, valid_after })
    }

    /// The init data of the legacy / v1.0 (0.1.x) and `@biconomy/sdk` time frame policies:
    /// `uint128 validUntil ‖ uint128 validAfter` (32 bytes; fewer are refused). Values above
    /// `u64::MAX` saturate (they lie beyond any timestamp the evaluator is asked about).
    pub fn initialize_packed128(init_data: &[u8]) -> Result<Self> {
        let word: &[u8; 32] =
            init_data.get(..32).and_then(|b| b.try_into().ok()).ok_or(PolicyError::InitData {
                policy: PolicyKind::TimeFrame,
                reason: "needs 32 bytes (uint128 validUntil, uint128 validAfter)",
            })?;
        let (until, after) = word.split_at(16);
        let half = |b: &[u8]| {
            let mut x = [0u8; 16];
            x.copy_from_slice(b);
            u64::try_from(u128::from_be_bytes(x)).unwrap_or(u64::MAX)
        };
        Ok(Self { valid_until: half(until), valid_after: half(after) })
    }

    /// The validation data `checkAction` / `checkUserOpPolicy` return:
    /// `validUntil << 160 | validAfter << 208`. Reverts (not initialized) when both are zero.
    pub fn validation_data(&self) -> CheckResult<U256> {
        if self.valid_until == 0 && self.valid_after == 0 {
            return Err(Rejection::revert(PolicyKind::TimeFrame, Revert::NotInitialized));
        }
        Ok((U256::from(self.valid_until) << 160) | (U256::from(self.valid_after) << 208))
    }

    /// Whether the EntryPoint would accept a user operation validated at `now` (unix seconds).
    pub fn check_at(&self, now: u64) -> CheckResult {
        self.validation_data()?;
        if now < self.valid_after || (self.valid_until != 0 && now > self.valid_until) {
            return Err(Rejection::violation(
                PolicyKind::TimeFrame,
                Violation::OutsideTimeFrame {
                    now,
                    valid_after: self.valid_after,
                    valid_until: self.valid_until,
                },
            ));
        }
        Ok(())
    }
}
