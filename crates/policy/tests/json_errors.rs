//! The JSON readers name the field of a bad value and bound every list (issue 13 items 12 and
//! 14). Each expected message is written by hand from the input.

use serde_json::json;
use smart_sessions_policy::json::{
    ActionConfigJson, ActionPolicyInfo, MAX_ACTIONS, SessionRequestInfo,
};

const TWO_256: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639936";

fn entry(rules: serde_json::Value) -> serde_json::Value {
    json!({
        "contractAddress": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        "functionSelector": "0xa9059cbb",
        "rules": rules
    })
}

fn info_err(v: serde_json::Value) -> String {
    serde_json::from_value::<ActionPolicyInfo>(v).unwrap_err().to_string()
}

#[test]
fn a_ref_of_2_pow_256_names_the_ref() {
    let e = info_err(entry(json!([{ "condition": 0, "offsetIndex": 0, "ref": TWO_256 }])));
    assert_eq!(e, format!("`rules[0].ref`: \"{TWO_256}\" does not fit 256 bits"));
    // as a JSON number it arrives as a float
    let text = format!(
        r#"{{"contractAddress":"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48","functionSelector":"0xa9059cbb","rules":[{{"condition":0,"offset":0,"ref":1}},{{"condition":0,"offset":0,"ref":{TWO_256}}}]}}"#
    );
    let e = serde_json::from_str::<ActionPolicyInfo>(&text).unwrap_err().to_string();
    assert!(e.starts_with("`rules[1].ref`: "), "{e}");
    assert!(e.contains("is not an exact integer"), "{e}");
}

#[test]
fn rules_that_are_not_a_list_name_rules() {
    let e = info_err(entry(json!("nope")));
    assert_eq!(
        e,
        "`rules`: invalid type: string \"nope\", expected a list of at most 16 param rules"
    );
    let e = serde_json::from_value::<ActionConfigJson>(json!({ "rules": "nope" }))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "`rules`: invalid type: string \"nope\", expected a list of at most 16 param rules"
    );
}

#[test]
fn a_non_ascii_digit_in_offset_index_names_offset_index() {
    // U+0661 ARABIC-INDIC DIGIT ONE: a digit to Unicode, not to the ABI
    let e = info_err(entry(json!([{ "condition": 0, "offsetIndex": "\u{661}", "ref": 1 }])));
    assert_eq!(
        e,
        "`rules[0].offsetIndex`: \"\u{661}\" is not a decimal or 0x-hex integer (ASCII digits only)"
    );
    let e = info_err(entry(json!([{ "condition": 0, "offsetIndex": "1e3", "ref": 1 }])));
    assert!(e.starts_with("`rules[0].offsetIndex`: \"1e3\" is not"), "{e}");
    let e =
        info_err(entry(json!([{ "condition": 0, "offsetIndex": "576460752303423488", "ref": 1 }])));
    assert_eq!(e, "`rules[0].offsetIndex`: offsetIndex × 32 does not fit 64 bits");
}

#[test]
fn a_negative_session_valid_until_names_the_field() {
    let e = serde_json::from_value::<SessionRequestInfo>(json!({
        "sessionPublicKey": "0x1111111111111111111111111111111111111111",
        "sessionValidUntil": -5,
        "actionPoliciesInfo": []
    }))
    .unwrap_err()
    .to_string();
    assert_eq!(e, "`sessionValidUntil`: -5 is negative");
    let e = info_err(json!({
        "contractAddress": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        "functionSelector": "0xa9059cbb",
        "validAfter": "18446744073709551616"
    }));
    assert_eq!(e, "`validAfter`: 18446744073709551616 does not fit 64 bits");
}

#[test]
fn nested_paths_are_joined() {
    let bad = entry(json!([{ "condition": "BIGGER", "offset": 0, "ref": 1 }]));
    let e = serde_json::from_value::<SessionRequestInfo>(json!({
        "sessionPublicKey": "0x1111111111111111111111111111111111111111",
        "actionPoliciesInfo": [entry(json!([])), bad]
    }))
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("`actionPoliciesInfo[1].rules[0].condition`: "), "{e}");
    assert!(e.contains("BIGGER"), "{e}");
    let e = info_err(entry(
        json!([{ "condition": 0, "offset": 0, "ref": 1, "usage": { "limit": -1 } }]),
    ));
    assert_eq!(e, "`rules[0].usage.limit`: -1 is negative");
}

#[test]
fn lists_are_bounded_before_they_are_stored() {
    let seventeen: Vec<_> =
        (0..17).map(|_| json!({ "condition": 0, "offset": 0, "ref": 0 })).collect();
    let e = info_err(entry(json!(seventeen)));
    assert_eq!(e, "`rules`: more than 16 param rules (the most accepted)");
    let many: Vec<_> = (0..=MAX_ACTIONS).map(|_| entry(json!([]))).collect();
    let e = serde_json::from_value::<SessionRequestInfo>(json!({
        "sessionPublicKey": "0x1111111111111111111111111111111111111111",
        "actionPoliciesInfo": many
    }))
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        format!("`actionPoliciesInfo`: more than {MAX_ACTIONS} actions (the most accepted)")
    );
}

#[test]
fn hostile_strings_are_escaped_and_cut() {
    let long = format!("\u{1b}[31m{}", "9".repeat(10_000));
    let e = info_err(entry(json!([{ "condition": 0, "offset": long, "ref": 1 }])));
    assert!(e.starts_with("`rules[0].offset`: \"\\u{1b}[31m999"), "{e}");
    assert!(!e.contains('\u{1b}'), "{e}");
    assert!(e.len() < 200, "{} bytes", e.len());
}

#[test]
fn good_input_still_reads() {
    let info: ActionPolicyInfo = serde_json::from_value(json!({
        "contractAddress": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        "functionSelector": "0xa9059cbb",
        "rules": [{ "condition": "lessThan", "offsetIndex": "1", "isLimited": true, "ref": "0x3e8",
                    "usage": { "limit": { "__type": "bigint", "value": "5000" }, "used": 0 } }],
        "validUntil": null,
        "usageLimit": "3",
        "tokenLimits": [{ "token": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "limit": "0x64" }],
        "unknownKey": [1, 2, 3]
    }))
    .unwrap();
    assert_eq!(info.rules[0].offset, 32);
    assert_eq!(
        info.rules[0].reference,
        alloy_primitives::B256::from(alloy_primitives::U256::from(1000))
    );
    assert_eq!(info.rules[0].usage.limit, alloy_primitives::U256::from(5000));
    assert_eq!(info.valid_until, None);
    assert_eq!(info.usage_limit, Some(3));
    assert_eq!(info.token_limits[0].limit, alloy_primitives::U256::from(100));
    let c: ActionConfigJson = serde_json::from_value(json!({
        "valueLimitPerUse": "0",
        "paramRules": { "length": 1, "rules": [{ "condition": 0, "offset": 0, "ref": 7 }, { "condition": 0, "offset": 0, "ref": 0 }] }
    }))
    .unwrap();
    assert_eq!(c.0.len(), 1);
    let e = serde_json::from_value::<ActionConfigJson>(json!({
        "paramRules": { "length": 3, "rules": [{ "condition": 0, "offset": 0, "ref": 7 }] }
    }))
    .unwrap_err()
    .to_string();
    assert_eq!(e, "`paramRules.length`: 3 is larger than the 1 rules given");
}

#[test]
fn request_files_in_every_shape_read_and_name_the_entry() {
    use smart_sessions_policy::json::SessionRequests;
    let make = || {
        json!({
            "sessionPublicKey": "0x1111111111111111111111111111111111111111",
            "sessionValidUntil": "1900000000",
            "actionPoliciesInfo": [entry(json!([]))]
        })
    };
    for v in [json!([make(), make()]), json!({ "sessionRequestedInfo": [make(), make()] })] {
        let r: SessionRequests = serde_json::from_value(v).unwrap();
        assert_eq!(r.0.len(), 2);
        assert_eq!(r.0[1].session_valid_until, Some(1_900_000_000));
    }
    let r: SessionRequests = serde_json::from_value(make()).unwrap();
    assert_eq!(r.0.len(), 1);
    let one = make();
    let mut bad = make();
    bad["sessionValidAfter"] = json!(-1);
    let e = serde_json::from_value::<SessionRequests>(
        json!({ "sessionRequestedInfo": [one, bad.clone()] }),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(e, "`sessionRequestedInfo[1].sessionValidAfter`: -1 is negative");
    let e = serde_json::from_value::<SessionRequests>(bad).unwrap_err().to_string();
    assert_eq!(e, "`sessionValidAfter`: -1 is negative");
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;
    use smart_sessions_policy::json::SessionRequests;

    /// JSON-ish text: fragments of the shapes, numbers, strings, brackets, in any order.
    fn jsonish() -> impl Strategy<Value = String> {
        let frag = prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"rules\"",
            "\"ref\"",
            "\"offsetIndex\"",
            "\"offset\"",
            "\"condition\"",
            "\"usage\"",
            "\"limit\"",
            "\"sessionRequestedInfo\"",
            "\"actionPoliciesInfo\"",
            "\"sessionPublicKey\"",
            "\"paramRules\"",
            "\"length\"",
            "\"0x\"",
            "\"0x1111111111111111111111111111111111111111\"",
            "\"\u{661}\"",
            "-5",
            "1e400",
            "18446744073709551616",
            "null",
            "true",
            "\"__type\"",
            "\"value\"",
            "0",
        ]);
        prop::collection::vec(frag, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn readers_return_errors_not_panics(text in jsonish()) {
            let _ = serde_json::from_str::<ActionPolicyInfo>(&text);
            let _ = serde_json::from_str::<SessionRequests>(&text);
            let _ = serde_json::from_str::<ActionConfigJson>(&text);
        }
    }
}
