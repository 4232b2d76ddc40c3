//! `serde` support in the JSON shapes of the TypeScript SDKs (module-sdk, abstractjs), so a
//! session, an enable payload or a signed session round-trips through the same files a
//! TypeScript user already has.
//!
//! - Field names are the Solidity / module-sdk names (`sessionValidator`, `actionTargetSelector`,
//!   `permitERC4337Paymaster`, …). Unknown fields are ignored (module-sdk adds `address` next to
//!   `policy`, and `chainId` to a `Session`).
//! - Byte strings, addresses and hashes are `0x` hex.
//! - Integers are accepted as JSON numbers, decimal strings, `0x` hex strings, or abstractjs's
//!   tagged bigints `{"__type": "bigint", "value": "…"}`; they are written as decimal strings
//!   (numbers for small enums and indices such as `chainDigestIndex` and `mode`), which every
//!   JavaScript `BigInt` parser accepts.
//!
//! Enabled by the `serde` feature.
//!
//! ```
//! use smart_sessions_codec::{ChainDigest, Session};
//!
//! // abstractjs writes bigints tagged; module-sdk adds fields this crate ignores
//! let d: ChainDigest = serde_json::from_str(
//!     r#"{"chainId": {"__type": "bigint", "value": "8453"},
//!       "sessionDigest": "0x30e122fce492fcd2b6b47c6c5d2b8b2169c5f71c54f5c4a9177bcd8c10b27a7d"}"#,
//! )?;
//! assert_eq!(d.chainId, 8453);
//! assert_eq!(serde_json::to_value(&d)?["chainId"], "8453"); // written as a decimal string
//!
//! let s: Session = serde_json::from_str(
//!     r#"{"sessionValidator": "0x000000000013fdB5234E4E3162a810F54d9f7E98",
//!         "sessionValidatorInitData": "0x1111111111111111111111111111111111111111",
//!         "salt": "0x0000000000000000000000000000000000000000000000000000000000000001",
//!         "chainId": 8453}"#,
//! )?;
//! assert!(s.actions.is_empty() && !s.permitERC4337Paymaster); // absent lists and flags default
//! assert_eq!(s.sessionValidatorInitData.len(), 20);
//! # Ok::<(), serde_json::Error>(())
//! ```

use crate::{
    ActionData, ChainDigest, ChainSession, ERC7739Context, ERC7739Data, EnableSession,
    MultiChainSession, PolicyData, Session, SignedPermissions, SignedSession, legacy,
};
use alloc::{string::String, vec::Vec};
use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// Flexible integer (de)serialisation: numbers, decimal or hex strings, tagged bigints.
pub mod quantity {
    use super::*;
    use alloc::string::ToString;
    use core::fmt;

    /// An integer as a JavaScript SDK may write it.
    #[derive(Debug)]
    pub(crate) struct Flex(pub(crate) U256);

    impl<'de> Deserialize<'de> for Flex {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(FlexVisitor)
        }
    }

    pub(crate) struct FlexVisitor;

    impl<'de> de::Visitor<'de> for FlexVisitor {
        type Value = Flex;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer: a JSON number, a decimal or 0x-hex string, or {\"__type\":\"bigint\",\"value\":…}")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flex, E> {
            Ok(Flex(U256::from(v)))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flex, E> {
            u64::try_from(v)
                .map(|v| Flex(U256::from(v)))
                .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &"a non-negative integer"))
        }

        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Flex, E> {
            Ok(Flex(U256::from(v)))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Flex, E> {
            if (0.0..9_007_199_254_740_992.0).contains(&v) && (v as u64) as f64 == v {
                Ok(Flex(U256::from(v as u64)))
            } else {
                Err(E::invalid_value(de::Unexpected::Float(v), &"an exact non-negative integer"))
            }
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Flex, E> {
            let t = s.trim();
            let parsed = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                if hex.is_empty() { Ok(U256::ZERO) } else { U256::from_str_radix(hex, 16) }
            } else {
                U256::from_str_radix(t.strip_suffix('n').unwrap_or(t), 10)
            };
            parsed.map(Flex).map_err(|_| E::invalid_value(de::Unexpected::Str(s), &self))
        }

        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Flex, A::Error> {
            let mut value = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == "value" {
                    value = Some(map.next_value::<Flex>()?);
                } else {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            value.ok_or_else(|| de::Error::missing_field("value"))
        }
    }

    pub(crate) fn de_u256<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        Flex::deserialize(d).map(|f| f.0)
    }

    pub(crate) fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let v = Flex::deserialize(d)?.0;
        u64::try_from(v).map_err(|_| de::Error::custom(format_args!("{v} does not fit 64 bits")))
    }

    pub(crate) fn de_u8<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        let v = Flex::deserialize(d)?.0;
        u8::try_from(v).map_err(|_| de::Error::custom(format_args!("{v} does not fit 8 bits")))
    }

    pub(crate) fn ser_dec<S: Serializer, T: ToString>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
}

use quantity::{de_u8, de_u64, de_u256, ser_dec};

// ---- plain structs: field by field DTOs --------------------------------------------------

macro_rules! json_struct {
    (
        $ty:ty => $dto:ident { $( $(#[$fattr:meta])* $field:ident : $fty:ty ),* $(,)? }
    ) => {
        #[derive(Serialize, Deserialize)]
        #[allow(non_snake_case)]
        struct $dto {
            $( $(#[$fattr])* $field: $fty, )*
        }

        impl Serialize for $ty {
            #[allow(clippy::clone_on_copy)]
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $dto { $( $field: self.$field.clone(), )* }.serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let dto = $dto::deserialize(d)?;
                Ok(Self { $( $field: dto.$field, )* })
            }
        }
    };
}

json_struct!(PolicyData => PolicyDataJson { policy: Address, initData: Bytes });

json_struct!(ActionData => ActionDataJson {
    actionTargetSelector: FixedBytes<4>,
    actionTarget: Address,
    #[serde(default)]
    actionPolicies: Vec<PolicyData>,
});

json_struct!(ERC7739Context => ERC7739ContextJson {
    appDomainSeparator: B256,
    #[serde(alias = "contentNames", default)]
    contentName: Vec<String>,
});

json_struct!(ERC7739Data => ERC7739DataJson {
    #[serde(default)]
    allowedERC7739Content: Vec<ERC7739Context>,
    #[serde(default)]
    erc1271Policies: Vec<PolicyData>,
});

json_struct!(Session => SessionJson {
    sessionValidator: Address,
    sessionValidatorInitData: Bytes,
    salt: B256,
    #[serde(default)]
    userOpPolicies: Vec<PolicyData>,
    #[serde(default)]
    erc7739Policies: ERC7739Data,
    #[serde(default)]
    actions: Vec<ActionData>,
    #[serde(default)]
    permitERC4337Paymaster: bool,
});

json_struct!(ChainDigest => ChainDigestJson {
    #[serde(deserialize_with = "de_u64", serialize_with = "ser_dec")]
    chainId: u64,
    sessionDigest: B256,
});

json_struct!(EnableSession => EnableSessionJson {
    #[serde(deserialize_with = "de_u8")]
    chainDigestIndex: u8,
    hashesAndChainIds: Vec<ChainDigest>,
    sessionToEnable: Session,
    permissionEnableSig: Bytes,
});

json_struct!(SignedPermissions => SignedPermissionsJson {
    #[serde(default)]
    permitGenericPolicy: bool,
    #[serde(default)]
    permitAdminAccess: bool,
    #[serde(default)]
    ignoreSecurityAttestations: bool,
    #[serde(default)]
    permitERC4337Paymaster: bool,
    #[serde(default)]
    userOpPolicies: Vec<PolicyData>,
    #[serde(default)]
    erc7739Policies: ERC7739Data,
    #[serde(default)]
    actions: Vec<ActionData>,
});

json_struct!(SignedSession => SignedSessionJson {
    account: Address,
    permissions: SignedPermissions,
    sessionValidator: Address,
    sessionValidatorInitData: Bytes,
    salt: B256,
    smartSession: Address,
    #[serde(deserialize_with = "de_u256", serialize_with = "ser_dec")]
    nonce: U256,
});

json_struct!(ChainSession => ChainSessionJson {
    #[serde(deserialize_with = "de_u64", serialize_with = "ser_dec")]
    chainId: u64,
    session: SignedSession,
});

json_struct!(MultiChainSession => MultiChainSessionJson {
    sessionsAndChainIds: Vec<ChainSession>,
});

json_struct!(legacy::ERC7739Data => LegacyERC7739DataJson {
    #[serde(default)]
    allowedERC7739Content: Vec<String>,
    #[serde(default)]
    erc1271Policies: Vec<PolicyData>,
});

json_struct!(legacy::Session => LegacySessionJson {
    sessionValidator: Address,
    sessionValidatorInitData: Bytes,
    salt: B256,
    #[serde(default)]
    userOpPolicies: Vec<PolicyData>,
    #[serde(default)]
    erc7739Policies: legacy::ERC7739Data,
    #[serde(default)]
    actions: Vec<ActionData>,
});

json_struct!(legacy::EnableSession => LegacyEnableSessionJson {
    #[serde(deserialize_with = "de_u8")]
    chainDigestIndex: u8,
    hashesAndChainIds: Vec<ChainDigest>,
    sessionToEnable: legacy::Session,
    permissionEnableSig: Bytes,
});

json_struct!(legacy::SessionEIP712 => LegacySessionEip712Json {
    account: Address,
    smartSession: Address,
    #[serde(deserialize_with = "de_u8")]
    mode: u8,
    sessionValidator: Address,
    salt: B256,
    sessionValidatorInitData: Bytes,
    #[serde(default)]
    userOpPolicies: Vec<PolicyData>,
    #[serde(default)]
    erc7739Policies: legacy::ERC7739Data,
    #[serde(default)]
    actions: Vec<ActionData>,
    #[serde(deserialize_with = "de_u256", serialize_with = "ser_dec")]
    nonce: U256,
});

json_struct!(legacy::ChainSessionEIP712 => LegacyChainSessionJson {
    #[serde(deserialize_with = "de_u64", serialize_with = "ser_dec")]
    chainId: u64,
    session: legacy::SessionEIP712,
});

json_struct!(legacy::MultiChainSessionEIP712 => LegacyMultiChainSessionJson {
    sessionsAndChainIds: Vec<legacy::ChainSessionEIP712>,
});

impl Serialize for crate::ParamCondition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

impl<'de> Deserialize<'de> for crate::ParamCondition {
    /// Accepts the number (`2`), the Solidity name (`"LESS_THAN"`) or abstractjs's name
    /// (`"lessThan"`).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = crate::ParamCondition;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(
                    "a ParamCondition: 0..=6, or a name such as \"LESS_THAN\" or \"lessThan\"",
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u8::try_from(v)
                    .ok()
                    .and_then(|v| crate::ParamCondition::try_from(v).ok())
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                if let Ok(n) = s.parse::<u64>() {
                    return self.visit_u64(n);
                }
                crate::ParamCondition::from_name(s)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Serialize, Deserialize)]
struct LimitUsageJson {
    #[serde(deserialize_with = "de_u256", serialize_with = "ser_dec", default)]
    limit: U256,
    #[serde(deserialize_with = "de_u256", serialize_with = "ser_dec", default)]
    used: U256,
}

impl Serialize for crate::LimitUsage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        LimitUsageJson { limit: self.limit, used: self.used }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for crate::LimitUsage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = LimitUsageJson::deserialize(d)?;
        Ok(Self { limit: j.limit, used: j.used })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParamRuleJson {
    condition: crate::ParamCondition,
    #[serde(serialize_with = "ser_dec")]
    offset: u64,
    is_limited: bool,
    #[serde(rename = "ref")]
    reference: B256,
    usage: crate::LimitUsage,
}

/// What a rule may look like in the TypeScript SDKs' JSON: `offset` in bytes (module-sdk,
/// abstractjs) or `offsetIndex` in words (`@biconomy/sdk`); `ref` as 32-byte hex, shorter hex
/// (an address: left-padded), a number or a decimal string; `usage` optional.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParamRuleIn {
    condition: crate::ParamCondition,
    #[serde(default, deserialize_with = "de_opt_u64")]
    offset: Option<u64>,
    #[serde(default, deserialize_with = "de_opt_u64")]
    offset_index: Option<u64>,
    #[serde(default)]
    is_limited: bool,
    #[serde(rename = "ref", deserialize_with = "de_ref")]
    reference: B256,
    #[serde(default)]
    usage: crate::LimitUsage,
}

fn de_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de_u64(d).map(Some)
}

/// A rule's `ref`: hex up to 32 bytes (left-padded, as `pad(hex)` in viem), or an integer.
fn de_ref<'de, D: Deserializer<'de>>(d: D) -> Result<B256, D::Error> {
    struct V;
    impl<'de> de::Visitor<'de> for V {
        type Value = B256;
        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("a ref: 0x hex of at most 32 bytes, a number or a decimal string")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<B256, E> {
            Ok(B256::from(U256::from(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<B256, E> {
            // negative numbers: two's complement, as the ABI encodes an int256
            Ok(B256::from(alloy_primitives::I256::try_from(v).map_err(E::custom)?.into_raw()))
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<B256, E> {
            if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                let h = if h.len() % 2 == 1 { alloc::format!("0{h}") } else { h.into() };
                let bytes = alloy_primitives::hex::decode(&h).map_err(E::custom)?;
                if bytes.len() > 32 {
                    return Err(E::invalid_length(bytes.len(), &"at most 32 bytes"));
                }
                let mut w = [0u8; 32];
                w[32 - bytes.len()..].copy_from_slice(&bytes);
                Ok(B256::new(w))
            } else {
                quantity::FlexVisitor.visit_str(s).map(|f| B256::from(f.0))
            }
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<B256, A::Error> {
            quantity::FlexVisitor.visit_map(map).map(|f| B256::from(f.0))
        }
    }
    d.deserialize_any(V)
}

impl Serialize for crate::ParamRule {
    /// The module-sdk shape: `{condition, offset, isLimited, ref, usage: {limit, used}}` with the
    /// byte offset.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ParamRuleJson {
            condition: self.condition,
            offset: self.offset,
            is_limited: self.is_limited,
            reference: self.reference,
            usage: self.usage,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for crate::ParamRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = ParamRuleIn::deserialize(d)?;
        let offset = match (j.offset, j.offset_index) {
            (Some(o), None) => o,
            (None, Some(i)) => i
                .checked_mul(32)
                .ok_or_else(|| de::Error::custom("offsetIndex × 32 does not fit 64 bits"))?,
            (Some(_), Some(_)) => {
                return Err(de::Error::custom(
                    "give either offset (bytes) or offsetIndex (words), not both",
                ));
            }
            (None, None) => return Err(de::Error::missing_field("offset")),
        };
        Ok(Self {
            condition: j.condition,
            offset,
            is_limited: j.is_limited,
            reference: j.reference,
            usage: j.usage,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionConfigJson {
    #[serde(deserialize_with = "de_u256", serialize_with = "ser_dec", default)]
    value_limit_per_use: U256,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    length: Option<quantity::Flex>,
    #[serde(default)]
    rules: Vec<crate::ParamRule>,
    /// abstractjs nests `{length, rules}` under `paramRules`.
    #[serde(default, skip_serializing)]
    param_rules: Option<ParamRulesJson>,
}

#[derive(Deserialize)]
struct ParamRulesJson {
    #[serde(default)]
    length: Option<quantity::Flex>,
    rules: Vec<crate::ParamRule>,
}

impl Serialize for quantity::Flex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ser_dec(&self.0, s)
    }
}

impl Serialize for crate::ActionConfig {
    /// module-sdk's `getUniversalActionPolicy` input shape: `{valueLimitPerUse, length, rules}`
    /// with all 16 slots.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ActionConfigJson {
            value_limit_per_use: self.value_limit_per_use,
            length: Some(quantity::Flex(U256::from(self.len()))),
            rules: self.slots().to_vec(),
            param_rules: None,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for crate::ActionConfig {
    /// Accepts `{valueLimitPerUse, length?, rules}` (module-sdk) or `{valueLimitPerUse,
    /// paramRules: {length, rules}}` (abstractjs): with `length`, `rules` are the slots
    /// (up to 16; missing slots are zero) of which the first `length` are active; without it,
    /// every rule is active. More than 16 rules, or a `length` above the number of rules given,
    /// is an error naming the count.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut j = ActionConfigJson::deserialize(d)?;
        if let Some(p) = j.param_rules.take() {
            if !j.rules.is_empty() {
                return Err(de::Error::custom(
                    "give rules either at the top level or under paramRules, not both",
                ));
            }
            j.rules = p.rules;
            j.length = p.length;
        }
        match j.length {
            None => Self::new(j.value_limit_per_use, &j.rules).map_err(de::Error::custom),
            Some(len) => {
                if j.rules.len() > crate::MAX_RULES {
                    return Err(de::Error::custom(crate::Error::TooManyRules {
                        count: U256::from(j.rules.len()),
                        max: crate::MAX_RULES,
                    }));
                }
                let length = usize::try_from(len.0).unwrap_or(usize::MAX);
                if length > j.rules.len() {
                    return Err(de::Error::custom(format_args!(
                        "length {} is larger than the {} rules given",
                        len.0,
                        j.rules.len()
                    )));
                }
                let mut slots = [crate::ParamRule::default(); crate::MAX_RULES];
                slots[..j.rules.len()].copy_from_slice(&j.rules);
                Self::from_slots(j.value_limit_per_use, length, slots).map_err(de::Error::custom)
            }
        }
    }
}
