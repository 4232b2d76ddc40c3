//! The current generation has no bytecode in any registry package, so its flows cannot run on
//! the devnet. What the client adds on top of the codec is checked here against the vectors the
//! TypeScript reference computed (copied into the codec's test data): the USE signature from
//! `SmartSessions`, and the ENABLE / UNSAFE_ENABLE signatures from `SessionDetails` (the type an
//! off-chain grant produces and another process deserialises).

use alloy_primitives::{Address, B256, Bytes};
use serde_json::Value;
use smart_sessions_client::{Deployments, SessionDetails, SmartSessions};
use smart_sessions_codec::{AccountType, EnableSession, Generation};

fn vectors() -> Vec<Value> {
    let text = include_str!("../../codec/tests/vectors/current.json");
    let v: Value = serde_json::from_str(text).unwrap();
    v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["function"] == "encodeSmartSessionSignature")
        .cloned()
        .collect()
}

#[test]
fn use_and_enable_signatures_match_the_reference() {
    let ss = SmartSessions::canonical(Generation::Current);
    assert_eq!(ss, Deployments::current(Address::ZERO).smart_sessions());
    let (mut uses, mut enables, mut stubbed) = (0, 0, 0);
    for v in vectors() {
        let i = &v["inputs"];
        let expected: Bytes = serde_json::from_value(v["output"].clone()).unwrap();
        let sig: Bytes = serde_json::from_value(i["signature"].clone()).unwrap();
        let pid: B256 = serde_json::from_value(i["permissionId"].clone()).unwrap();
        match i["mode"].as_str().unwrap() {
            "0x00" => {
                assert_eq!(ss.use_signature(pid, &sig), expected, "{v}");
                uses += 1;
            }
            mode => {
                let data = &i["enableSessionData"];
                let validator: Address = serde_json::from_value(data["validator"].clone()).unwrap();
                let mut enable: EnableSession =
                    serde_json::from_value(data["enableSession"].clone()).unwrap();
                let account_type: AccountType =
                    data["accountType"].as_str().unwrap_or("nexus").parse().unwrap();
                enable.permissionEnableSig = account_type
                    .format_permission_enable_sig(validator, &enable.permissionEnableSig);
                let details = SessionDetails {
                    generation: Generation::Current,
                    smart_session: ss.address,
                    account: Address::ZERO,
                    permission_id: pid,
                    unsafe_enable: mode == "0x02",
                    legacy_enable_session: None,
                    enable_session: Some(enable),
                    legacy_session: None,
                    session: None,
                };
                // through JSON, as between the owner's and the session key's processes
                let details: SessionDetails =
                    serde_json::from_str(&serde_json::to_string(&details).unwrap()).unwrap();
                assert_eq!(details.enable_signature(&sig).unwrap(), expected, "{v}");
                // the stub is never smaller than a real signature's encoding (estimates are not
                // low): real signatures are random-looking bytes
                if sig.len() == 65 && sig[..4] != sig[4..8] {
                    let stub = details.stub_enable_signature().unwrap();
                    assert!(stub.len() >= expected.len(), "{} < {}", stub.len(), expected.len());
                    stubbed += 1;
                }
                enables += 1;
            }
        }
    }
    assert!(uses >= 5 && enables >= 5, "{uses} USE and {enables} ENABLE vectors");
    assert!(stubbed >= 2, "{stubbed} stubs compared");
}
