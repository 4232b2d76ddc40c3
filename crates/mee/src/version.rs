//! MEE versions (spec C.1): the contracts a multichain Nexus account uses per MEE version, as
//! abstractjs 1.2.3's `getMEEVersion` returns them, and as the node receives them in
//! `meeVersions`.

use crate::{MeeError, Result};
use alloy_primitives::{Address, address};
use serde::Serialize;
use smart_sessions_codec::Generation;

/// A known MEE version of abstractjs 1.2.3 (`MEEVersion`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MeeVersion {
    /// 1.0.0 (Nexus 1.0.2).
    V1_0_0,
    /// 1.1.0 (Nexus 1.0.2).
    V1_1_0,
    /// 2.0.0 (Nexus 1.2.0): the SDK's default.
    V2_0_0,
    /// 2.1.0 (Nexus 1.2.0).
    V2_1_0,
    /// 2.2.1 (Nexus 1.3.1): first version with EIP-712 quote signing.
    V2_2_1,
    /// 2.3.0 (Nexus 1.3.1).
    V2_3_0,
    /// 3.0.0 (Nexus 1.3.1, Stx validator).
    V3_0_0,
}

/// The SDK's `DEFAULT_MEE_VERSION`.
pub const DEFAULT_MEE_VERSION: MeeVersion = MeeVersion::V2_0_0;

/// The composable execution module version an account speaks (`executeComposable` selector).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComposabilityVersion {
    /// 1.0.0: `executeComposable((address,uint256,bytes4,…)[])`, selector `0xea5a6d91`.
    V1_0_0,
    /// 1.1.0: `executeComposable((bytes4,…)[])`, selector `0x7eba07b8`.
    V1_1_0,
}

impl ComposabilityVersion {
    /// The `composabilityVersion` string of the version table: "1.0.0" or "1.1.0".
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1_0_0 => "1.0.0",
            Self::V1_1_0 => "1.1.0",
        }
    }
}

impl Serialize for ComposabilityVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl MeeVersion {
    /// All versions, oldest first.
    pub const ALL: [Self; 7] = [
        Self::V1_0_0,
        Self::V1_1_0,
        Self::V2_0_0,
        Self::V2_1_0,
        Self::V2_2_1,
        Self::V2_3_0,
        Self::V3_0_0,
    ];

    /// The version string ("2.0.0", …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1_0_0 => "1.0.0",
            Self::V1_1_0 => "1.1.0",
            Self::V2_0_0 => "2.0.0",
            Self::V2_1_0 => "2.1.0",
            Self::V2_2_1 => "2.2.1",
            Self::V2_3_0 => "2.3.0",
            Self::V3_0_0 => "3.0.0",
        }
    }

    /// Reads an SDK version string ("2.0.0", "2.2.1", ...); [`MeeError::UnknownVersion`] for one
    /// outside [`Self::ALL`].
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| MeeError::UnknownVersion { version: s.to_owned() })
    }

    /// Whether quotes are signed as EIP-712 `SuperTx` (≥ 2.2.1) rather than `personal_sign` of the
    /// root.
    pub const fn signs_eip712(self) -> bool {
        matches!(self, Self::V2_2_1 | Self::V2_3_0 | Self::V3_0_0)
    }

    /// Whether the account is initialised with the default-validator bootstrap (≥ 2.0.0).
    pub const fn uses_default_validator(self) -> bool {
        !matches!(self, Self::V1_0_0 | Self::V1_1_0)
    }

    /// Whether the session validator init data is the packed `EoaStatelessValidator` form (≥ 3.0.0).
    pub const fn packs_session_validator_init_data(self) -> bool {
        matches!(self, Self::V3_0_0)
    }

    /// The SDK's contract table for this version.
    pub const fn config(self) -> MeeVersionConfig {
        const Z: Address = Address::ZERO;
        const FWD_NEW: Address = address!("0x000000C48Cdf2b46bEc062483dBD27046dfE3b8d");
        const FWD_OLD: Address = address!("0x000000Afe527A978Ecb761008Af475cfF04132a1");
        let (
            account_id,
            factory,
            bootstrap,
            implementation,
            validator,
            default_validator,
            fwd,
            comp,
        ) = match self {
            Self::V3_0_0 => (
                "biconomy.nexus.1.3.1",
                address!("0x75Eb8D1621D193010425D34b4Ae81835E2409660"),
                address!("0x33A8F72F236e02eD62B0312f48105AcBD651Cd17"),
                address!("0x37DF3014c8B72372F2783aAF517bcdC6B516c8Df"),
                address!("0x5e2181ccC1550f5e86F14298A12a7a9A04536F58"),
                Z,
                Some(FWD_NEW),
                ComposabilityVersion::V1_1_0,
            ),
            Self::V2_3_0 => (
                "biconomy.nexus.1.3.1",
                address!("0x5836Bdb35913c7CBA6ef40675354445121449917"),
                address!("0xCa8f48912A3a33fE694c318a1d097AD394CFAB76"),
                address!("0x54F220e4f0DEAb58Be26153df5a674668B9d7Fb2"),
                address!("0x1Cdae7dcc3f32551865EfE3d77AC2b88Ee2905B4"),
                Z,
                Some(FWD_NEW),
                ComposabilityVersion::V1_1_0,
            ),
            Self::V2_2_1 => (
                "biconomy.nexus.1.3.1",
                address!("0x000000002c9A405a196f2dc766F2476B731693c3"),
                address!("0x000000007BfEdA33ac982cb38eAaEf5D7bCC954c"),
                address!("0x0000000020fe2F30453074aD916eDeB653eC7E9D"),
                address!("0x0000000002d3cC5642A748B6783F32C032616E03"),
                Z,
                Some(FWD_NEW),
                ComposabilityVersion::V1_1_0,
            ),
            Self::V2_1_0 => (
                "biconomy.nexus.1.2.0",
                address!("0x0000006648ED9B2B842552BE63Af870bC74af837"),
                address!("0x0000003eDf18913c01cBc482C978bBD3D6E8ffA3"),
                address!("0x00000000383e8cBe298514674Ea60Ee1d1de50ac"),
                address!("0x0000000031ef4155C978d48a8A7d4EDba03b04fE"),
                Z,
                Some(FWD_OLD),
                ComposabilityVersion::V1_0_0,
            ),
            Self::V2_0_0 => (
                "biconomy.nexus.1.2.0",
                address!("0x000000001D1D5004a02bAfAb9de2D6CE5b7B13de"),
                address!("0x00000000D3254452a909E4eeD47455Af7E27C289"),
                address!("0x000000004F43C49e93C970E84001853a70923B03"),
                address!("0x00000000d12897DDAdC2044614A9677B191A2d95"),
                Z,
                Some(FWD_OLD),
                ComposabilityVersion::V1_0_0,
            ),
            Self::V1_1_0 => (
                "biconomy.nexus.1.0.2",
                address!("0x0000000C8B6b3329cEa5d15C9d8C15F1f254ec3C"),
                address!("0x000000c4781Be3349F81d341027fd7A4EdFa4Dd2"),
                address!("0x000000001964d23C59962Fc7A912872EE8fB3b6A"),
                address!("0x00000000E894100bEcFc7c934Ab7aC8FBA08A44c"),
                address!("0x00000000E894100bEcFc7c934Ab7aC8FBA08A44c"),
                None,
                ComposabilityVersion::V1_0_0,
            ),
            Self::V1_0_0 => (
                "biconomy.nexus.1.0.2",
                address!("0x000000c3A93d2c5E02Cb053AC675665b1c4217F9"),
                address!("0x879fa30248eeb693dcCE3eA94a743622170a3658"),
                address!("0x000000aC74357BFEa72BBD0781833631F732cf19"),
                address!("0x00000000d12897DDAdC2044614A9677B191A2d95"),
                address!("0x00000000d12897DDAdC2044614A9677B191A2d95"),
                None,
                ComposabilityVersion::V1_0_0,
            ),
        };
        MeeVersionConfig {
            version: self,
            account_id,
            factory,
            bootstrap,
            implementation,
            validator,
            default_validator,
            eth_forwarder: fwd,
            composability: comp,
            smart_sessions: Generation::Current,
            executes_composable: true,
            policy_addresses: None,
        }
    }
}

/// The contracts of one MEE version: what the SDK sends as `meeVersions[].version`.
///
/// Custom tables (a devnet that deploys the contracts elsewhere) are built by changing fields of
/// [`MeeVersion::config`]; the `version` field keeps selecting the behaviour (signing mode,
/// bootstrap, init data).
///
/// ```
/// use smart_sessions_mee::{MeeVersion, DEFAULT_MEE_VERSION};
/// let v = DEFAULT_MEE_VERSION.config();
/// assert_eq!(v.version, MeeVersion::V2_0_0);
/// let json = serde_json::to_value(&v).unwrap();
/// assert_eq!(json["composabilityVersion"], "1.0.0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeeVersionConfig {
    /// The MEE version; it selects the signing layout (simple mode below 2.2.1, EIP-712 from
    /// it) and the account's init data.
    #[serde(serialize_with = "ser_version")]
    pub version: MeeVersion,
    /// The Nexus implementation's `accountId()` string (e.g. `"biconomy.nexus.1.3.1"`).
    pub account_id: &'static str,
    /// The `NexusAccountFactory` that deploys the account (`initCode`'s factory).
    #[serde(rename = "factoryAddress")]
    #[serde(serialize_with = "crate::json::checksummed")]
    pub factory: Address,
    /// The `NexusBootstrap` whose init call the account's init data runs.
    #[serde(rename = "bootStrapAddress")]
    #[serde(serialize_with = "crate::json::checksummed")]
    pub bootstrap: Address,
    /// The Nexus implementation contract the account proxies to.
    #[serde(rename = "implementationAddress")]
    #[serde(serialize_with = "crate::json::checksummed")]
    pub implementation: Address,
    /// The MEE validator (also the session validator of MEE grants).
    #[serde(rename = "validatorAddress")]
    #[serde(serialize_with = "crate::json::checksummed")]
    pub validator: Address,
    /// The module address owner userOps name in their nonce key (zero = Nexus default validator).
    #[serde(rename = "defaultValidatorAddress")]
    #[serde(serialize_with = "crate::json::checksummed")]
    pub default_validator: Address,
    /// The ETH forwarder of on-chain fusion.
    #[serde(rename = "ethForwarderAddress", skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json::checksummed_opt")]
    pub eth_forwarder: Option<Address>,
    /// Which `executeComposable` the account speaks.
    #[serde(rename = "composabilityVersion")]
    pub composability: ComposabilityVersion,
    /// The SmartSession generation sessions are granted and used with (not sent to the node):
    /// the SDK's is [`Generation::Current`]; the project's devnet only has
    /// [`Generation::Legacy`].
    #[serde(skip)]
    pub smart_sessions: Generation,
    /// Whether the account speaks `executeComposable` (not sent to the node). `true` for every
    /// table of the SDK; `false` for a stack without a composable module (the project's local
    /// Nexus 1.0 stack): prepare's install calls then go as a plain `execute` batch, and MEE 1.x
    /// accounts are initialised with `initNexusWithSingleValidator` (the MEE validator, no
    /// registry). See [`MeeVersionConfig::from_json`].
    #[serde(skip)]
    pub executes_composable: bool,
    /// Where the session policies live (not sent to the node): `None` for the
    /// [`Self::smart_sessions`] generation's canonical addresses (the SDK's tables); a devnet
    /// that deploys them elsewhere sets its own. Grants (userOp Sudo, the payment policy) and the
    /// pre-check use [`Self::policies`].
    #[serde(skip)]
    pub policy_addresses: Option<PolicyAddresses>,
}

impl MeeVersionConfig {
    /// The session policy addresses in use: [`Self::policy_addresses`], else the generation's.
    pub const fn policies(&self) -> PolicyAddresses {
        match self.policy_addresses {
            Some(p) => p,
            None => PolicyAddresses::of(self.smart_sessions),
        }
    }
}

/// The session policy contracts a stack uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PolicyAddresses {
    /// `SudoPolicy`: allows every call (the userOp policy of grants, and `sudo_policy()` actions).
    pub sudo: Address,
    /// `UniActionPolicy` (the payment policy's too).
    pub universal_action: Address,
    /// `ValueLimitPolicy`: bounds the native value an action may send in total.
    pub value_limit: Address,
    /// `UsageLimitPolicy`: bounds how many times an action may be used.
    pub usage_limit: Address,
}

impl PolicyAddresses {
    /// The canonical addresses of `generation`.
    pub const fn of(generation: Generation) -> Self {
        use smart_sessions_codec::PolicyKind;
        Self {
            sudo: generation.policy(PolicyKind::Sudo),
            universal_action: generation.policy(PolicyKind::UniversalAction),
            value_limit: generation.policy(PolicyKind::ValueLimit),
            usage_limit: generation.policy(PolicyKind::UsageLimit),
        }
    }

    /// Sudo with empty init data, at this stack's address.
    pub fn sudo_policy(&self) -> smart_sessions_codec::PolicyData {
        smart_sessions_codec::PolicyData::new(self.sudo, alloy_primitives::Bytes::new())
    }
}

fn ser_version<S: serde::Serializer>(v: &MeeVersion, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

impl Default for MeeVersionConfig {
    fn default() -> Self {
        DEFAULT_MEE_VERSION.config()
    }
}

/// `EoaStatelessValidator` of MEE 3.0.0 (the prefix of its session validator init data).
pub const EOA_STATELESS_VALIDATOR: Address = address!("0xdD900Cd95f072eAe396bE0487C2546Bf81d01B48");
