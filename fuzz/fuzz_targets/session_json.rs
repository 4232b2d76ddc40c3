//! The JSON readers behind session-details files and permission requests: the codec's `Session`,
//! `EnableSession` (both layouts) and `ActionConfig`, and the policy crate's `ActionPolicyInfo`
//! (`@biconomy/sdk`'s `actionPoliciesInfo`). Never panics; what the codec reads, it writes back as
//! JSON that reads to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde::{Serialize, de::DeserializeOwned};
use smart_sessions_codec::{ActionConfig, EnableSession, Generation, Session, legacy};
use smart_sessions_policy::json::ActionPolicyInfo;
use std::fmt::Debug;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<T>(data) {
        let json = serde_json::to_vec(&v).expect("a value read from JSON writes as JSON");
        let back: T = serde_json::from_slice(&json).expect("written JSON reads back");
        assert_eq!(back, v);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<Session>(data);
    round_trip::<EnableSession>(data);
    round_trip::<legacy::Session>(data);
    round_trip::<legacy::EnableSession>(data);
    round_trip::<ActionConfig>(data);
    if let Ok(info) = serde_json::from_slice::<ActionPolicyInfo>(data) {
        for g in Generation::ALL {
            let _ = info.to_action_data(g);
        }
    }
});
