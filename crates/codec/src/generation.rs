//! SmartSession generations and their canonical addresses.

use alloy_primitives::{Address, address};
use core::{fmt, str::FromStr};

/// A deployed generation of the SmartSession module.
///
/// The three generations differ in struct layout, signature encoding, EIP-712 types and
/// addresses:
///
/// | | legacy | v1.0 | current |
/// |---|---|---|---|
/// | TypeScript | module-sdk 0.1.x, `@biconomy/sdk` 0.0.21 | module-sdk 0.2.x, `@biconomy/sdk` 0.0.29 | module-sdk 0.4.0, abstractjs 1.2.3 |
/// | SmartSession | `0xDDFF43A4…784d` | `0x00000000002B0eCf…37DE` | `0x00000000008bDABA…4bDA` |
/// | `Session` | 6 fields ([`legacy::Session`](crate::legacy::Session)) | 7 fields ([`Session`](crate::Session)) | 7 fields |
/// | USE signature | `0x00 ‖ id ‖ flz(abi.encode(bytes sig))` | `0x00 ‖ id ‖ sig` | `0x00 ‖ id ‖ sig` |
/// | session digest | `SessionEIP712` (with mode) | `SignedSession` | `SignedSession` |
/// | TimeFramePolicy init | `uint128 ‖ uint128` | `uint128 ‖ uint128` | `uint48 ‖ uint48` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Generation {
    /// The first SmartSession, at `0xDDFF43A42726df11E34123f747bDce0f755F784d` (module-sdk
    /// 0.1.x, `@biconomy/sdk` 0.0.21), with 6-field sessions.
    Legacy,
    /// SmartSession v1.0 at `0x00000000002B0eCfbD0496EE71e01257dA0E37DE` (module-sdk 0.2.x).
    V1,
    /// The deployed SmartSession at `0x00000000008bDABA73cD9815d79069c247Eb4bDA`
    /// (module-sdk 0.4.0, abstractjs 1.2.3).
    Current,
}

/// The policy contracts the TypeScript SDKs know by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PolicyKind {
    /// Allows everything (`SudoPolicy`).
    Sudo,
    /// Rules on calldata parameters (`UniActionPolicy`, "universal action policy").
    UniversalAction,
    /// A validity window (`TimeFramePolicy`).
    TimeFrame,
    /// A maximum number of uses (`UsageLimitPolicy`).
    UsageLimit,
    /// A cumulative ETH value limit (`ValueLimitPolicy`).
    ValueLimit,
    /// Per-token ERC-20 spending limits (`ERC20SpendingLimitPolicy`).
    SpendingLimits,
}

impl PolicyKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 6] = [
        Self::Sudo,
        Self::UniversalAction,
        Self::TimeFrame,
        Self::UsageLimit,
        Self::ValueLimit,
        Self::SpendingLimits,
    ];

    /// The policy's Solidity contract name (`"UniActionPolicy"`, …), as errors and refusals
    /// print it.
    pub const fn contract_name(self) -> &'static str {
        match self {
            Self::Sudo => "SudoPolicy",
            Self::UniversalAction => "UniActionPolicy",
            Self::TimeFrame => "TimeFramePolicy",
            Self::UsageLimit => "UsageLimitPolicy",
            Self::ValueLimit => "ValueLimitPolicy",
            Self::SpendingLimits => "ERC20SpendingLimitPolicy",
        }
    }
}

impl Generation {
    /// Every generation, oldest first.
    pub const ALL: [Self; 3] = [Self::Legacy, Self::V1, Self::Current];

    /// The canonical SmartSession address of this generation.
    pub const fn smart_session(self) -> Address {
        match self {
            Self::Legacy => address!("0xDDFF43A42726df11E34123f747bDce0f755F784d"),
            Self::V1 => address!("0x00000000002B0eCfbD0496EE71e01257dA0E37DE"),
            Self::Current => address!("0x00000000008bDABA73cD9815d79069c247Eb4bDA"),
        }
    }

    /// The canonical address of a policy in this generation (the addresses the TypeScript SDK of
    /// the generation uses; module-sdk 0.4.0's `GLOBAL_CONSTANTS` for the current one).
    pub const fn policy(self, kind: PolicyKind) -> Address {
        use PolicyKind::*;
        match (self, kind) {
            (Self::Legacy, Sudo) => address!("0x529Ad04F4D83aAb25144a90267D4a1443B84f5A6"),
            (Self::Legacy, UniversalAction) => {
                address!("0x148CD6c24F4dd23C396E081bBc1aB1D92eeDe2BF")
            }
            (Self::Legacy | Self::V1, TimeFrame) => {
                address!("0x8177451511dE0577b911C254E9551D981C26dc72")
            }
            (Self::Legacy | Self::V1, UsageLimit) => {
                address!("0x1F34eF8311345A3A4a4566aF321b313052F51493")
            }
            (Self::Legacy | Self::V1, ValueLimit) => {
                address!("0x730DA93267E7E513e932301B47F2ac7D062abC83")
            }
            (Self::Legacy, SpendingLimits) => {
                address!("0x8e58f4945e6ba2a11b184a9c20b6c765a0891b95")
            }
            (Self::V1, Sudo) => address!("0x0000003111cD8e92337C100F22B7A9dbf8DEE301"),
            (Self::V1, UniversalAction) => address!("0x0000006DDA6c463511C4e9B05CFc34C1247fCF1F"),
            (Self::V1, SpendingLimits) => address!("0x00000088D48cF102A8Cdb0137A9b173f957c6343"),
            (Self::Current, Sudo) => address!("0x0000000000FEEc8D74e3143fBaBbca515358d869"),
            (Self::Current, UniversalAction) => {
                address!("0x0000000000714Cf48FcF88A0bFBa70d313415032")
            }
            (Self::Current, TimeFrame) => address!("0x0000000000D30f611fA3bf652ac6879428586930"),
            (Self::Current, UsageLimit) => address!("0x00000000001d4479FA2A947026204d0283ceDe4B"),
            (Self::Current, ValueLimit) => address!("0x000000000021dC45451291BCDfc9f0B46d6f0278"),
            (Self::Current, SpendingLimits) => {
                address!("0x000000000033212e272655d8a22402db819477a6")
            }
        }
    }

    /// Whether sessions use the 6-field legacy layout.
    pub const fn is_legacy(self) -> bool {
        matches!(self, Self::Legacy)
    }

    /// Whether USE-mode signatures FastLZ-compress `abi.encode(bytes sig)` (legacy only).
    pub const fn compresses_use_signature(self) -> bool {
        self.is_legacy()
    }

    /// Whether the TimeFramePolicy init data packs `uint128 validUntil ‖ uint128 validAfter`
    /// (legacy and v1.0) rather than `uint48 ‖ uint48` (current).
    pub const fn time_frame_uses_u128(self) -> bool {
        !matches!(self, Self::Current)
    }

    /// The lower-case name used in vectors, on the command line and in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::V1 => "v1",
            Self::Current => "current",
        }
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of [`Generation::from_str`]: the name is none of `legacy`, `v1`, `v1.0`,
/// `current` (in any case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownGeneration;

impl fmt::Display for UnknownGeneration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown SmartSession generation: expected legacy, v1 or current")
    }
}

impl core::error::Error for UnknownGeneration {}

impl FromStr for Generation {
    type Err = UnknownGeneration;

    /// Accepts `legacy`, `v1` / `v1.0` and `current` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("legacy") {
            Ok(Self::Legacy)
        } else if s.eq_ignore_ascii_case("v1") || s.eq_ignore_ascii_case("v1.0") {
            Ok(Self::V1)
        } else if s.eq_ignore_ascii_case("current") {
            Ok(Self::Current)
        } else {
            Err(UnknownGeneration)
        }
    }
}
