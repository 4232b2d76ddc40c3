//! `Deserialize` of the SDK shapes with the field-naming readers of [`read`](super::read).

use super::{
    ActionConfigJson, ActionPolicyInfo, MAX_ACTIONS, MAX_TOKEN_LIMITS, SessionRequestInfo,
    SessionRequests, TokenLimit,
    read::{Bounded, Int, KeyStr, Plain, Ref, at, fill, once, value, value_seed},
};
use alloc::vec::Vec;
use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256};
use core::fmt;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use smart_sessions_codec::{ActionConfig, LimitUsage, MAX_RULES, ParamCondition, ParamRule};

/// Implements `Deserialize` for `$ty` as a map read by `$body(map)`.
macro_rules! map_deserialize {
    ($ty:ty, $expecting:literal, |$map:ident| $body:block) => {
        impl<'de> de::Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut $map: A) -> Result<$ty, A::Error> {
                        $body
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

/// One rule, with `offset` (bytes) or `offsetIndex` (words).
pub(crate) struct RuleJson(pub(crate) ParamRule);

fn rules_seed() -> Bounded<RuleJson, fn() -> Plain<RuleJson>> {
    Bounded::new(MAX_RULES, "param rules", Plain::new)
}

fn rules(v: Vec<RuleJson>) -> Vec<ParamRule> {
    v.into_iter().map(|r| r.0).collect()
}

struct UsageJson(LimitUsage);

map_deserialize!(UsageJson, "a usage {limit, used}", |map| {
    let (mut limit, mut used) = (None, None);
    while let Some(k) = map.next_key::<KeyStr>()? {
        match k.0.as_str() {
            "limit" => fill(&mut map, &mut limit, "limit", |m, k| Ok(value::<_, Int>(m, k)?.0))?,
            "used" => fill(&mut map, &mut used, "used", |m, k| Ok(value::<_, Int>(m, k)?.0))?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(UsageJson(LimitUsage { limit: limit.unwrap_or_default(), used: used.unwrap_or_default() }))
});

map_deserialize!(
    RuleJson,
    "a param rule {condition, offset | offsetIndex, isLimited, ref, usage}",
    |map| {
        let mut condition: Option<ParamCondition> = None;
        let (mut offset, mut offset_index): (Option<u64>, Option<u64>) = (None, None);
        let mut is_limited: Option<bool> = None;
        let mut reference: Option<B256> = None;
        let mut usage: Option<LimitUsage> = None;
        while let Some(k) = map.next_key::<KeyStr>()? {
            match k.0.as_str() {
                "condition" => fill(&mut map, &mut condition, "condition", value)?,
                "offset" => {
                    once(&offset, "offset")?;
                    let i: Int = value(&mut map, "offset")?;
                    offset =
                        Some(i.narrow::<_, A::Error>(64).map_err(|e| at::<A::Error>("offset", e))?);
                }
                "offsetIndex" => {
                    once(&offset_index, "offsetIndex")?;
                    let i: Int = value(&mut map, "offsetIndex")?;
                    offset_index = Some(
                        i.narrow::<_, A::Error>(64)
                            .map_err(|e| at::<A::Error>("offsetIndex", e))?,
                    );
                }
                "isLimited" => fill(&mut map, &mut is_limited, "isLimited", value)?,
                "ref" => {
                    fill(&mut map, &mut reference, "ref", |m, k| Ok(value::<_, Ref>(m, k)?.0))?
                }
                "usage" => {
                    fill(&mut map, &mut usage, "usage", |m, k| Ok(value::<_, UsageJson>(m, k)?.0))?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let condition = condition.ok_or_else(|| de::Error::missing_field("condition"))?;
        let reference = reference.ok_or_else(|| de::Error::missing_field("ref"))?;
        let offset = match (offset, offset_index) {
            (Some(o), None) => o,
            (None, Some(i)) => i.checked_mul(32).ok_or_else(|| {
                at::<A::Error>("offsetIndex", "offsetIndex × 32 does not fit 64 bits")
            })?,
            (Some(_), Some(_)) => {
                return Err(at(
                    "offsetIndex",
                    "give either offset (bytes) or offsetIndex (words), not both",
                ));
            }
            (None, None) => return Err(de::Error::missing_field("offset")),
        };
        Ok(RuleJson(ParamRule {
            condition,
            offset,
            is_limited: is_limited.unwrap_or(false),
            reference,
            usage: usage.unwrap_or_default(),
        }))
    }
);

map_deserialize!(TokenLimit, "a token limit {token, limit}", |map| {
    let (mut token, mut limit): (Option<Address>, Option<U256>) = (None, None);
    while let Some(k) = map.next_key::<KeyStr>()? {
        match k.0.as_str() {
            "token" => fill(&mut map, &mut token, "token", value)?,
            "limit" => fill(&mut map, &mut limit, "limit", |m, k| Ok(value::<_, Int>(m, k)?.0))?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(TokenLimit {
        token: token.ok_or_else(|| de::Error::missing_field("token"))?,
        limit: limit.ok_or_else(|| de::Error::missing_field("limit"))?,
    })
});

/// Reads an optional field: JSON `null` counts as absent.
fn opt_int<'de, A: MapAccess<'de>, T: TryFrom<U256>>(
    map: &mut A,
    field: &'static str,
    bits: u32,
) -> Result<Option<T>, A::Error> {
    let v: Option<Int> = value(map, field)?;
    v.map(|i| i.narrow::<_, A::Error>(bits).map_err(|e| at::<A::Error>(field, e))).transpose()
}

map_deserialize!(ActionPolicyInfo, "an actionPoliciesInfo entry", |map| {
    let mut contract_address: Option<Address> = None;
    let mut function_selector: Option<FixedBytes<4>> = None;
    let mut rules_in: Option<Vec<RuleJson>> = None;
    let mut value_limit: Option<Option<U256>> = None;
    let mut valid_until: Option<Option<u64>> = None;
    let mut valid_after: Option<Option<u64>> = None;
    let mut sudo: Option<bool> = None;
    let mut usage_limit: Option<Option<u128>> = None;
    let mut token_limits: Option<Vec<TokenLimit>> = None;
    while let Some(k) = map.next_key::<KeyStr>()? {
        match k.0.as_str() {
            "contractAddress" => fill(&mut map, &mut contract_address, "contractAddress", value)?,
            "functionSelector" => {
                fill(&mut map, &mut function_selector, "functionSelector", value)?
            }
            "rules" => {
                fill(&mut map, &mut rules_in, "rules", |m, k| value_seed(m, k, rules_seed()))?
            }
            "valueLimit" => fill(&mut map, &mut value_limit, "valueLimit", |m, k| {
                Ok(value::<_, Option<Int>>(m, k)?.map(|i| i.0))
            })?,
            "validUntil" => {
                fill(&mut map, &mut valid_until, "validUntil", |m, k| opt_int(m, k, 64))?
            }
            "validAfter" => {
                fill(&mut map, &mut valid_after, "validAfter", |m, k| opt_int(m, k, 64))?
            }
            "sudo" => fill(&mut map, &mut sudo, "sudo", value)?,
            "usageLimit" => {
                fill(&mut map, &mut usage_limit, "usageLimit", |m, k| opt_int(m, k, 128))?
            }
            "tokenLimits" => {
                once(&token_limits, "tokenLimits")?;
                let seed = Bounded::new(MAX_TOKEN_LIMITS, "token limits", Plain::<TokenLimit>::new);
                token_limits = Some(value_seed(&mut map, "tokenLimits", seed)?);
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(ActionPolicyInfo {
        contract_address: contract_address
            .ok_or_else(|| de::Error::missing_field("contractAddress"))?,
        function_selector: function_selector
            .ok_or_else(|| de::Error::missing_field("functionSelector"))?,
        rules: rules(rules_in.unwrap_or_default()),
        value_limit: value_limit.flatten(),
        valid_until: valid_until.flatten(),
        valid_after: valid_after.flatten(),
        sudo: sudo.unwrap_or(false),
        usage_limit: usage_limit.flatten(),
        token_limits: token_limits.unwrap_or_default(),
    })
});

/// `{length?, rules}` under abstractjs's `paramRules`.
struct ParamRulesJson {
    length: Option<U256>,
    rules: Vec<RuleJson>,
}

map_deserialize!(ParamRulesJson, "paramRules {length, rules}", |map| {
    let (mut length, mut rules_in) = (None, None);
    while let Some(k) = map.next_key::<KeyStr>()? {
        match k.0.as_str() {
            "length" => fill(&mut map, &mut length, "length", |m, k| Ok(value::<_, Int>(m, k)?.0))?,
            "rules" => {
                fill(&mut map, &mut rules_in, "rules", |m, k| value_seed(m, k, rules_seed()))?
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(ParamRulesJson { length, rules: rules_in.ok_or_else(|| de::Error::missing_field("rules"))? })
});

map_deserialize!(ActionConfigJson, "a universal action policy config", |map| {
    let mut value_limit: Option<U256> = None;
    let mut length: Option<U256> = None;
    let mut rules_in: Option<Vec<RuleJson>> = None;
    let mut nested: Option<ParamRulesJson> = None;
    while let Some(k) = map.next_key::<KeyStr>()? {
        match k.0.as_str() {
            "valueLimitPerUse" => fill(&mut map, &mut value_limit, "valueLimitPerUse", |m, k| {
                Ok(value::<_, Int>(m, k)?.0)
            })?,
            "length" => fill(&mut map, &mut length, "length", |m, k| Ok(value::<_, Int>(m, k)?.0))?,
            "rules" => {
                fill(&mut map, &mut rules_in, "rules", |m, k| value_seed(m, k, rules_seed()))?
            }
            "paramRules" => fill(&mut map, &mut nested, "paramRules", value)?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    let value_limit = value_limit.unwrap_or_default();
    let (length, list, field) = match (nested, rules_in) {
        (Some(_), Some(_)) => {
            return Err(at(
                "paramRules",
                "give rules either at the top level or under paramRules, not both",
            ));
        }
        (Some(p), None) => (p.length, rules(p.rules), "paramRules.length"),
        (None, r) => (length, rules(r.unwrap_or_default()), "length"),
    };
    let config = match length {
        None => ActionConfig::new(value_limit, &list).map_err(|e| at::<A::Error>("rules", e))?,
        Some(len) => {
            let n = usize::try_from(len).ok().filter(|n| *n <= list.len()).ok_or_else(|| {
                at::<A::Error>(
                    field,
                    alloc::format!("{len} is larger than the {} rules given", list.len()),
                )
            })?;
            let mut slots = [ParamRule::default(); MAX_RULES];
            slots[..list.len()].copy_from_slice(&list);
            ActionConfig::from_slots(value_limit, n, slots).map_err(|e| at::<A::Error>(field, e))?
        }
    };
    Ok(ActionConfigJson(config))
});

impl<'de> de::Deserialize<'de> for SessionRequestInfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SessionRequestInfo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sessionRequestedInfo entry")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SessionRequestInfo, A::Error> {
                session_request_from(None, map)
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a `sessionRequestedInfo` map whose first key may already have been read.
fn session_request_from<'de, A: MapAccess<'de>>(
    first: impl Into<Option<KeyStr>>,
    mut map: A,
) -> Result<SessionRequestInfo, A::Error> {
    let first: Option<KeyStr> = first.into();
    let mut session_public_key: Option<Address> = None;
    let mut session_validator_address: Option<Option<Address>> = None;
    let mut session_key_data: Option<Option<Bytes>> = None;
    let mut session_valid_until: Option<Option<u64>> = None;
    let mut session_valid_after: Option<Option<u64>> = None;
    let mut action_policies_info: Option<Vec<ActionPolicyInfo>> = None;
    let mut salt: Option<Option<B256>> = None;
    let mut key = first;
    while let Some(k) = key.take().map_or_else(|| map.next_key::<KeyStr>(), |k| Ok(Some(k)))? {
        match k.0.as_str() {
            "sessionPublicKey" => {
                fill(&mut map, &mut session_public_key, "sessionPublicKey", value)?
            }
            "sessionValidatorAddress" => {
                fill(&mut map, &mut session_validator_address, "sessionValidatorAddress", value)?
            }
            "sessionKeyData" => fill(&mut map, &mut session_key_data, "sessionKeyData", value)?,
            "sessionValidUntil" => {
                fill(&mut map, &mut session_valid_until, "sessionValidUntil", |m, k| {
                    opt_int(m, k, 64)
                })?
            }
            "sessionValidAfter" => {
                fill(&mut map, &mut session_valid_after, "sessionValidAfter", |m, k| {
                    opt_int(m, k, 64)
                })?
            }
            "actionPoliciesInfo" => {
                once(&action_policies_info, "actionPoliciesInfo")?;
                let seed = Bounded::new(MAX_ACTIONS, "actions", Plain::<ActionPolicyInfo>::new);
                action_policies_info = Some(value_seed(&mut map, "actionPoliciesInfo", seed)?);
            }
            "salt" => fill(&mut map, &mut salt, "salt", value)?,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(SessionRequestInfo {
        session_public_key: session_public_key
            .ok_or_else(|| de::Error::missing_field("sessionPublicKey"))?,
        session_validator_address: session_validator_address.flatten(),
        session_key_data: session_key_data.flatten(),
        session_valid_until: session_valid_until.flatten(),
        session_valid_after: session_valid_after.flatten(),
        action_policies_info: action_policies_info
            .ok_or_else(|| de::Error::missing_field("actionPoliciesInfo"))?,
        salt: salt.flatten(),
    })
}

fn requests_seed() -> Bounded<SessionRequestInfo, fn() -> Plain<SessionRequestInfo>> {
    Bounded::new(MAX_ACTIONS, "session requests", Plain::new)
}

impl<'de> de::Deserialize<'de> for SessionRequests {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SessionRequests;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "session requests: a list, one request, or {sessionRequestedInfo: [...]}",
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<SessionRequests, A::Error> {
                requests_seed().visit_seq(seq).map(SessionRequests)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SessionRequests, A::Error> {
                // `{"sessionRequestedInfo": [...]}` or one request: read the first key to tell
                let Some(first) = map.next_key::<KeyStr>()? else {
                    return Err(de::Error::missing_field("sessionPublicKey"));
                };
                if first.0 == "sessionRequestedInfo" {
                    let list = value_seed(&mut map, "sessionRequestedInfo", requests_seed())?;
                    while map.next_key::<KeyStr>()?.is_some() {
                        map.next_value::<IgnoredAny>()?;
                    }
                    return Ok(SessionRequests(list));
                }
                let one = session_request_from(first, map)?;
                Ok(SessionRequests(alloc::vec![one]))
            }
        }
        d.deserialize_any(V)
    }
}
