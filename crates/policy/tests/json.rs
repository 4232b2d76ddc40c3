//! The TypeScript SDKs' JSON shapes, ported unchanged.

use alloy_primitives::{U256, address};
use serde_json::json;
use smart_sessions_codec::{ActionConfig, Generation, ParamCondition, PolicyKind};
use smart_sessions_policy::{
    PolicyError,
    json::{ActionPolicyInfo, BICONOMY_TIME_FRAME_POLICY, action_data_list, time_frame_policy},
};

#[test]
fn the_seed_000_shape_converts() {
    // seed 000: rules with offsetIndex, a numeric ref, usage; plus the optional knobs
    let info: ActionPolicyInfo = serde_json::from_value(json!({
        "contractAddress": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        "functionSelector": "0xa9059cbb",
        "rules": [{
            "condition": "LESS_THAN",
            "offsetIndex": 1,
            "isLimited": true,
            "ref": 1000,
            "usage": { "limit": "5000", "used": 0 }
        }, {
            "condition": 0,
            "offsetIndex": 0,
            "isLimited": false,
            "ref": "0x1111111111111111111111111111111111111111"
        }],
        "usageLimit": 3,
        "validUntil": 1900000000,
        "tokenLimits": [{ "token": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "limit": "0x64" }]
    }))
    .unwrap();
    let action = info.to_action_data(Generation::Legacy).unwrap();
    let kinds: Vec<_> = action.actionPolicies.iter().map(|p| p.policy).collect();
    let g = Generation::Legacy;
    assert_eq!(
        kinds,
        [
            g.policy(PolicyKind::UniversalAction),
            BICONOMY_TIME_FRAME_POLICY,
            g.policy(PolicyKind::UsageLimit),
            g.policy(PolicyKind::SpendingLimits)
        ]
    );
    let config = ActionConfig::abi_decode(&action.actionPolicies[0].initData).unwrap();
    assert_eq!(config.len(), 2);
    assert_eq!(config.rules()[0].offset, 32);
    assert_eq!(config.rules()[0].condition, ParamCondition::LessThan);
    assert_eq!(config.rules()[0].usage.limit, U256::from(5000));
    assert_eq!(config.rules()[0].reference, alloy_primitives::B256::from(U256::from(1000)));
    assert_eq!(
        config.rules()[1].reference,
        address!("0x1111111111111111111111111111111111111111").into_word()
    );
    // legacy TimeFramePolicy packs uint128 ‖ uint128
    assert_eq!(action.actionPolicies[1].initData.len(), 32);
}

#[test]
fn the_abstractjs_shape_converts() {
    let config: ActionConfig = serde_json::from_value(json!({
        "valueLimitPerUse": "115792089237316195423570985008687907853269984665640564039457584007913129639935",
        "paramRules": {
            "length": 2,
            "rules": [
                { "condition": "equal", "offset": 0, "isLimited": false,
                  "ref": "0x000000000000000000000000a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
                  "usage": { "limit": 0, "used": 0 } },
                { "condition": "lessThanOrEqual", "offset": "32", "isLimited": true,
                  "ref": { "__type": "bigint", "value": "1000000000" },
                  "usage": { "limit": { "__type": "bigint", "value": "1000000000" }, "used": 0 } }
            ]
        }
    }))
    .unwrap();
    assert_eq!(config.value_limit_per_use, U256::MAX);
    assert_eq!(config.len(), 2);
    assert_eq!(config.rules()[1].condition, ParamCondition::LessThanOrEqual);
    assert_eq!(config.rules()[1].usage.limit, U256::from(1_000_000_000u64));
}

#[test]
fn bad_json_names_the_field() {
    let e = serde_json::from_value::<ActionConfig>(
        json!({ "rules": [{ "condition": "BIGGER", "offset": 0, "ref": 1 }] }),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("BIGGER"), "{e}");
    let e = serde_json::from_value::<ActionConfig>(
        json!({ "rules": [{ "condition": 0, "offset": 0, "offsetIndex": 1, "ref": 1 }] }),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("offsetIndex"), "{e}");
    let seventeen: Vec<_> =
        (0..17).map(|_| json!({ "condition": 0, "offset": 0, "ref": 0 })).collect();
    let e = serde_json::from_value::<ActionConfig>(json!({ "rules": seventeen }))
        .unwrap_err()
        .to_string();
    assert!(e.contains("too many param rules"), "{e}");
}

#[test]
fn duplicate_actions_and_unusable_entries_are_refused() {
    let info = json!({ "contractAddress": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "functionSelector": "0xa9059cbb", "sudo": true });
    let infos: Vec<ActionPolicyInfo> = serde_json::from_value(json!([info.clone(), info])).unwrap();
    assert!(matches!(
        action_data_list(&infos, Generation::Current),
        Err(PolicyError::DuplicateAction { index: 1, .. })
    ));
    let empty: ActionPolicyInfo = serde_json::from_value(
        json!({ "contractAddress": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "functionSelector": "0xa9059cbb" }),
    )
    .unwrap();
    assert!(matches!(empty.to_action_data(Generation::Current), Err(PolicyError::NoRules)));
}

#[test]
fn a_zero_zero_time_frame_is_refused_on_every_path_and_generation() {
    // (0, 0) makes TimeFramePolicy revert every use (PolicyNotInitialized): refused, naming the
    // fields of the path, in every generation.
    let entry = json!({
        "contractAddress": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        "functionSelector": "0xa9059cbb",
        "sudo": true,
        "validUntil": 0,
        "validAfter": 0
    });
    let info: ActionPolicyInfo = serde_json::from_value(entry).unwrap();
    let fields = ("sessionValidUntil", "sessionValidAfter");
    for g in Generation::ALL {
        let e = info.to_action_data(g).unwrap_err();
        assert_eq!(
            e,
            PolicyError::EmptyTimeFrame { until_field: "validUntil", after_field: "validAfter" },
            "{g}"
        );
        assert!(e.to_string().contains("validUntil and validAfter are both 0"), "{e}");
        assert_eq!(
            time_frame_policy(g, Some(0), Some(0), fields),
            Err(PolicyError::EmptyTimeFrame {
                until_field: "sessionValidUntil",
                after_field: "sessionValidAfter"
            })
        );
        // one of them alone, explicitly 0, is the same window
        assert!(time_frame_policy(g, Some(0), None, fields).is_err());
        assert!(smart_sessions_policy::time_frame(g, 0, 0).is_err());
        // no window at all: no policy; an open end: a policy
        assert_eq!(time_frame_policy(g, None, None, fields), Ok(None));
        let p = time_frame_policy(g, Some(0), Some(1_700_000_000), fields).unwrap().unwrap();
        let expected = if g.is_legacy() {
            BICONOMY_TIME_FRAME_POLICY
        } else {
            g.policy(PolicyKind::TimeFrame)
        };
        assert_eq!(p.policy, expected);
    }
}
