//! The policy checks `eval` and `policy-check` run: the universal action policy's call by call
//! (with the refusal's words when asked), and the outcome strings of the vectors.

use alloy_primitives::{Bytes, U256};
use serde::Deserialize;
use serde_json::{Value, json};
use smart_sessions_policy::{FunctionLayout, eval::UniActionPolicy};

/// `UniActionPolicy.checkAction` of `calls` (`(value, calldata)`) against `init`: per call
/// `{result, usedAfter}` (the vectors' shape), with `reason` (the refusal as the policy words it)
/// added to every refused call when `reasons` is set. Calls to a well-known function
/// ([`FunctionLayout::known`], by the call's selector) print their parameters in the parameter's
/// type: an address checksummed.
///
/// ```
/// use alloy_primitives::{B256, Bytes, U256};
/// use smart_sessions_cli::eval::uni_action_checks;
/// use smart_sessions_codec::{ActionConfig, Generation, ParamCondition, ParamRule, PolicyData};
///
/// // `transfer(to, amount)`: each amount below 1000, at most 1500 in total
/// let rule = ParamRule::new(ParamCondition::LessThan, 32, B256::from(U256::from(1000)))
///     .limited(U256::from(1500));
/// let config = ActionConfig::new(U256::ZERO, &[rule])?;
/// let init = PolicyData::universal_action(Generation::Current, &config).initData;
/// let transfer = |amount: u64| {
///     let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
///     data.extend_from_slice(&[0u8; 32]);
///     data.extend_from_slice(B256::from(U256::from(amount)).as_slice());
///     (U256::ZERO, Bytes::from(data))
/// };
/// let results = uni_action_checks(&init, &[transfer(900), transfer(900)], true);
/// assert_eq!(results[0]["result"], "0");
/// assert_eq!(results[0]["usedAfter"][0]["used"], "900");
/// // 900 more would make 1800, past the limit: refused, and the total stays 900
/// assert_eq!(results[1]["result"], "1");
/// assert_eq!(results[1]["usedAfter"][0]["used"], "900");
/// assert!(results[1]["reason"].is_string());
/// # Ok::<(), smart_sessions_codec::Error>(())
/// ```
pub fn uni_action_checks(init: &[u8], calls: &[(U256, Bytes)], reasons: bool) -> Value {
    let mut state = UniActionPolicy::initialize(init).ok();
    let mut out = Vec::with_capacity(calls.len());
    for (value, data) in calls {
        let (result, reason) = match state.take() {
            Some(s) => {
                // the layout of this call's function (or none): the counters live in the config
                let plain = UniActionPolicy::from_config(s.config().clone());
                let mut s =
                    match data.first_chunk::<4>().and_then(|sel| FunctionLayout::known(*sel)) {
                        Some(f) => plain.with_layout(&f),
                        None => plain,
                    };
                let r = s.check_action(*value, data);
                state = Some(s);
                let reason = r.as_ref().err().map(ToString::to_string);
                (outcome(r), reason)
            }
            None => ("revert: PolicyNotInitialized (initialisation reverted)".to_string(), None),
        };
        let used: Vec<Value> = state
            .as_ref()
            .map(|s| s.used())
            .unwrap_or_default()
            .into_iter()
            .map(|(rule, used)| json!({ "rule": rule, "used": used.to_string() }))
            .collect();
        let mut entry = json!({ "result": result, "usedAfter": used });
        if reasons && let Some(r) = reason {
            entry["reason"] = json!(r);
        }
        out.push(entry);
    }
    Value::Array(out)
}

#[derive(Deserialize)]
pub(super) struct CallJson {
    #[serde(default)]
    pub(super) value: U256,
    #[serde(default)]
    pub(super) data: Bytes,
}

pub(super) fn outcome(r: smart_sessions_policy::eval::CheckResult) -> String {
    match r {
        Ok(()) => "0".into(),
        Err(rej) if rej.is_revert() => format!("revert: {rej}"),
        Err(_) => "1".into(),
    }
}
