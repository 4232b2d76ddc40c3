//! Init data of the standard policies, per generation, as [`PolicyData`].

use crate::{ActionConfig, Error, Generation, PolicyData, PolicyKind, Result};
use alloc::vec::Vec;
use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolValue;

impl PolicyData {
    /// A policy at `policy` with `init_data`.
    pub fn new(policy: Address, init_data: impl Into<Bytes>) -> Self {
        Self { policy, initData: init_data.into() }
    }

    /// The sudo policy: allows everything; init data is empty.
    pub fn sudo(generation: Generation) -> Self {
        Self::new(generation.policy(PolicyKind::Sudo), Bytes::new())
    }

    /// A universal action policy with `config`.
    pub fn universal_action(generation: Generation, config: &ActionConfig) -> Self {
        Self::new(generation.policy(PolicyKind::UniversalAction), config.abi_encode())
    }

    /// A time frame policy: valid from `valid_after` until `valid_until` (unix seconds; `0`
    /// means no end).
    ///
    /// Init data is `uint48 validUntil ‖ uint48 validAfter` (12 bytes) in the current
    /// generation and `uint128 validUntil ‖ uint128 validAfter` (32 bytes) in the others.
    /// Fails only when a time does not fit 48 bits in the current generation (the contract would
    /// read a different time). Semantic checks (such as `valid_after > valid_until`, on which the
    /// current contract refuses to initialise) belong to `smart-sessions-policy`'s validation.
    ///
    /// ```
    /// use smart_sessions_codec::{Error, Generation, PolicyData, PolicyKind};
    ///
    /// let (until, after) = (1_800_000_000u64, 1_700_000_000u64);
    /// let p = PolicyData::time_frame(Generation::Current, until, after)?;
    /// assert_eq!(p.policy, Generation::Current.policy(PolicyKind::TimeFrame));
    /// assert_eq!(p.initData[..6], until.to_be_bytes()[2..]); // uint48 validUntil
    /// assert_eq!(p.initData[6..], after.to_be_bytes()[2..]); // uint48 validAfter
    /// assert_eq!(PolicyData::time_frame(Generation::V1, until, after)?.initData.len(), 32);
    /// assert!(matches!(
    ///     PolicyData::time_frame(Generation::Current, 1 << 48, 0),
    ///     Err(Error::OutOfRange { field: "validUntil", .. })
    /// ));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn time_frame(generation: Generation, valid_until: u64, valid_after: u64) -> Result<Self> {
        Ok(Self::new(
            generation.policy(PolicyKind::TimeFrame),
            time_frame_init_data(generation, valid_until, valid_after)?,
        ))
    }

    /// A usage limit policy: at most `limit` uses. Init data is `uint128 limit` (16 bytes).
    ///
    /// A limit of 0 encodes, but the contract refuses to initialise with it.
    pub fn usage_limit(generation: Generation, limit: u128) -> Self {
        Self::new(generation.policy(PolicyKind::UsageLimit), limit.to_be_bytes().to_vec())
    }

    /// A value limit policy: at most `limit` wei in total. Init data is `abi.encode(uint256)`.
    ///
    /// A limit of 0 encodes, but the contract refuses to initialise with it.
    pub fn value_limit(generation: Generation, limit: U256) -> Self {
        Self::new(generation.policy(PolicyKind::ValueLimit), limit.abi_encode())
    }

    /// An ERC-20 spending limit policy over `(token, limit)` pairs. Init data is
    /// `abi.encode(address[] tokens, uint256[] limits)`.
    ///
    /// A zero token or zero limit encodes, but the contract rejects it on initialisation.
    pub fn spending_limits(generation: Generation, limits: &[(Address, U256)]) -> Self {
        Self::new(generation.policy(PolicyKind::SpendingLimits), spending_limits_init_data(limits))
    }
}

/// TimeFramePolicy init data (see [`PolicyData::time_frame`]).
pub fn time_frame_init_data(
    generation: Generation,
    valid_until: u64,
    valid_after: u64,
) -> Result<Vec<u8>> {
    if generation.time_frame_uses_u128() {
        let mut out = Vec::with_capacity(32);
        out.extend_from_slice(&u128::from(valid_until).to_be_bytes());
        out.extend_from_slice(&u128::from(valid_after).to_be_bytes());
        Ok(out)
    } else {
        const MAX48: u64 = (1 << 48) - 1;
        if valid_until > MAX48 {
            return Err(Error::OutOfRange { field: "validUntil", reason: "does not fit uint48" });
        }
        if valid_after > MAX48 {
            return Err(Error::OutOfRange { field: "validAfter", reason: "does not fit uint48" });
        }
        let mut out = Vec::with_capacity(12);
        out.extend_from_slice(&valid_until.to_be_bytes()[2..]);
        out.extend_from_slice(&valid_after.to_be_bytes()[2..]);
        Ok(out)
    }
}

/// ERC-20 spending limit init data (see [`PolicyData::spending_limits`]).
pub fn spending_limits_init_data(limits: &[(Address, U256)]) -> Vec<u8> {
    let tokens: Vec<Address> = limits.iter().map(|(t, _)| *t).collect();
    let amounts: Vec<U256> = limits.iter().map(|(_, l)| *l).collect();
    (tokens, amounts).abi_encode_params()
}
