//! The generated bindings against the spec's selector tables and real revert data.

use alloy_primitives::{hex, keccak256};
use alloy_sol_types::{SolCall, SolError, SolInterface};
use serde_json::Value;
use smart_sessions_bindings::{common, current, legacy, v1};

const VECTORS: [(&str, &str); 2] = [
    ("current", include_str!("../../codec/tests/vectors/current.json")),
    ("legacy", include_str!("../../codec/tests/vectors/legacy.json")),
];

fn signatures(generation: &str) -> (&'static [&'static str], &'static [[u8; 4]]) {
    match generation {
        "current" => (
            current::smart_session::SmartSessionCalls::SIGNATURES,
            current::smart_session::SmartSessionCalls::SELECTORS,
        ),
        "legacy" => (
            legacy::smart_session::SmartSessionCalls::SIGNATURES,
            legacy::smart_session::SmartSessionCalls::SELECTORS,
        ),
        _ => (
            v1::smart_session::SmartSessionCalls::SIGNATURES,
            v1::smart_session::SmartSessionCalls::SELECTORS,
        ),
    }
}

fn lookup(generation: &str, selector: [u8; 4]) -> Option<&'static str> {
    match generation {
        "current" => current::smart_session::SmartSessionCalls::signature_by_selector(selector),
        "legacy" => legacy::smart_session::SmartSessionCalls::signature_by_selector(selector),
        _ => v1::smart_session::SmartSessionCalls::signature_by_selector(selector),
    }
}

#[test]
fn every_smart_session_selector_of_the_vectors_is_in_the_bindings() {
    let mut checked = 0;
    for (generation, text) in VECTORS {
        let file: Value = serde_json::from_str(text).unwrap();
        for v in file["vectors"].as_array().unwrap().iter().filter(|v| v["function"] == "selector")
        {
            let signature = v["inputs"]["signature"].as_str().unwrap();
            let selector: [u8; 4] =
                hex::decode(v["output"].as_str().unwrap()).unwrap().try_into().unwrap();
            assert_eq!(&keccak256(signature)[..4], selector, "{signature}");
            assert_eq!(
                lookup(generation, selector),
                Some(signature),
                "{generation}: {signature} is not in the bindings"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 37 + 12);
}

#[test]
fn the_current_bindings_match_the_deployed_abi_not_module_sdks() {
    let (sigs, _) = signatures("current");
    assert!(sigs.contains(&"setPermit4337Paymaster(bytes32,bool)"));
    assert!(!sigs.iter().any(|s| s.starts_with("setpermitERC4337Paymaster")));
    assert_eq!(current::smart_session::setPermit4337PaymasterCall::SELECTOR, hex!("2e644d8d"));
    // v1.0 and current share the 7-field layout; legacy has its own enableSessions
    assert_eq!(current::smart_session::enableSessionsCall::SELECTOR, hex!("21712407"));
    assert_eq!(v1::smart_session::enableSessionsCall::SELECTOR, hex!("21712407"));
    assert_eq!(legacy::smart_session::enableSessionsCall::SELECTOR, hex!("f55af6d1"));
}

/// protocol.md §a, "Errors (selectors)": every SmartSession error of the deployed module.
const ERRORS: [(&str, [u8; 4]); 24] = [
    ("ChainIdMismatch(uint64)", hex!("e75e2379")),
    ("HashMismatch(bytes32,bytes32)", hex!("0b08d5be")),
    ("InvalidEnableSignature(address,bytes32)", hex!("3ca8ef0c")),
    ("InvalidPermissionId(bytes32)", hex!("526d0da5")),
    ("InvalidSession(bytes32)", hex!("92d69f9c")),
    ("InvalidISessionValidator(address)", hex!("a7eae112")),
    ("InvalidActionId()", hex!("e068d3a2")),
    ("InvalidSelfCall()", hex!("540733ea")),
    ("InvalidTarget()", hex!("82d5d76a")),
    ("InvalidUserOpSender(address)", hex!("04a4ab94")),
    ("InvalidMode()", hex!("a0042b17")),
    ("InvalidData()", hex!("5cb045db")),
    ("NoPoliciesSet(bytes32)", hex!("1c792c05")),
    ("NoExecutionsInBatch()", hex!("56d93c1a")),
    ("PolicyViolation(bytes32,address)", hex!("3b577361")),
    ("PolicyCheckReverted(bytes32)", hex!("f4270752")),
    ("PaymasterValidationNotEnabled(bytes32)", hex!("d5dc9fa4")),
    ("SignerNotFound(bytes32,address)", hex!("6aeeaff8")),
    ("SmartSessionModuleAlreadyInstalled(address)", hex!("bcf00e1d")),
    ("UnsupportedCallType(bytes1)", hex!("b96fcfe4")),
    ("UnsupportedExecutionType()", hex!("6c4872f9")),
    ("UnsupportedPolicy(address)", hex!("6a01dd01")),
    ("UnsupportedSmartSessionMode(uint8)", hex!("97dc33dc")),
    ("ForbiddenValidationData()", hex!("2d39e3f4")),
];

#[test]
fn every_error_of_the_spec_is_decodable_from_the_current_bindings() {
    use current::smart_session::SmartSessionErrors as E;
    for (signature, selector) in ERRORS {
        assert_eq!(&keccak256(signature)[..4], selector, "{signature}");
        assert_eq!(
            E::signature_by_selector(selector),
            Some(signature),
            "{signature} is not in the bindings"
        );
    }
}

/// Revert data recorded on the deployed bytecode (the vector files' `revert: Name 0x…` outputs).
fn recorded_reverts() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(x: &Value, out: &mut Vec<(String, Vec<u8>)>) {
        match x {
            Value::String(s) => {
                let mut parts = s.strip_prefix("revert: ").unwrap_or("").split(' ');
                if let (Some(name), Some(data)) = (parts.next(), parts.next())
                    && let Ok(bytes) = hex::decode(data)
                {
                    out.push((name.to_string(), bytes));
                }
            }
            Value::Array(a) => a.iter().for_each(|i| walk(i, out)),
            Value::Object(m) => m.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    for (_, text) in VECTORS {
        let file: Value = serde_json::from_str(text).unwrap();
        for v in file["vectors"].as_array().unwrap() {
            walk(&v["output"], &mut out);
        }
    }
    out
}

#[test]
fn real_revert_data_decodes_through_the_generated_enums() {
    let reverts = recorded_reverts();
    let mut decoded = std::collections::BTreeSet::new();
    for (name, data) in &reverts {
        match name.as_str() {
            "HashMismatch" => {
                let e = current::smart_session::SmartSessionErrors::abi_decode(data).unwrap();
                assert!(matches!(e, current::smart_session::SmartSessionErrors::HashMismatch(_)));
            }
            "ChainIdMismatch" => {
                let e = legacy::smart_session::SmartSessionErrors::abi_decode(data).unwrap();
                let legacy::smart_session::SmartSessionErrors::ChainIdMismatch(e) = e else {
                    panic!("{e:?}")
                };
                assert_eq!(e.providedChainId, 5);
            }
            "PolicyNotInitialized" | "ValueLimitExceeded" => {
                let e =
                    current::uni_action_policy::UniActionPolicyErrors::abi_decode(data).unwrap();
                assert_eq!(
                    current::uni_action_policy::UniActionPolicyErrors::name_by_selector(
                        data[..4].try_into().unwrap()
                    ),
                    Some(name.as_str())
                );
                let _ = e;
            }
            _ => continue,
        }
        decoded.insert(name.clone());
    }
    assert_eq!(decoded.len(), 4, "decoded {decoded:?}");
}

#[test]
fn entry_point_errors_and_events_are_there() {
    use common::entry_point::*;
    assert_eq!(FailedOp::SIGNATURE, "FailedOp(uint256,string)");
    assert_eq!(FailedOpWithRevert::SIGNATURE, "FailedOpWithRevert(uint256,string,bytes)");
    let data =
        FailedOp { opIndex: alloy_primitives::U256::ZERO, reason: "AA24 signature error".into() }
            .abi_encode();
    let EntryPointErrors::FailedOp(e) = EntryPointErrors::abi_decode(&data).unwrap() else {
        panic!()
    };
    assert_eq!(e.reason, "AA24 signature error");
    use alloy_sol_types::SolEvent;
    assert_eq!(
        UserOperationEvent::SIGNATURE,
        "UserOperationEvent(bytes32,address,address,uint256,bool,uint256,uint256)"
    );
    assert_eq!(
        UserOperationRevertReason::SIGNATURE,
        "UserOperationRevertReason(bytes32,address,uint256,bytes)"
    );
}

#[test]
fn the_registry_bindings_have_the_erc7484_calls_the_flows_use() {
    use common::registry::RegistryCalls as R;
    // biconomy-flows.md §A.2: findTrustedAttesters 0xdd0fd278, trustAttesters 0xf05c04e1
    assert_eq!(R::signature_by_selector(hex!("dd0fd278")), Some("findTrustedAttesters(address)"));
    assert_eq!(R::signature_by_selector(hex!("f05c04e1")), Some("trustAttesters(uint8,address[])"));
    // the legacy SmartSession calls checkForAccount(address,address[,uint256]) (in its bytecode)
    assert_eq!(
        R::signature_by_selector(hex!("4c13560c")),
        Some("checkForAccount(address,address)")
    );
    assert_eq!(
        R::signature_by_selector(hex!("529562a1")),
        Some("checkForAccount(address,address,uint256)")
    );
}

#[test]
fn the_hand_written_abis_have_the_selectors_the_spec_and_the_standard_give() {
    use smart_sessions_bindings::{erc20, nexus_bootstrap_1_2};
    // ../shared/spec/biconomy-flows.md C.1
    assert_eq!(
        nexus_bootstrap_1_2::initNexusWithDefaultValidatorAndOtherModulesNoRegistryCall::SELECTOR,
        hex!("41bede03")
    );
    // EIP-20's selectors (keccak of the standard's signatures, computed here, not by the macro)
    for (selector, signature) in [
        (erc20::transferCall::SELECTOR, "transfer(address,uint256)"),
        (erc20::balanceOfCall::SELECTOR, "balanceOf(address)"),
        (erc20::decimalsCall::SELECTOR, "decimals()"),
        (erc20::approveCall::SELECTOR, "approve(address,uint256)"),
        (
            smart_sessions_bindings::mee_k1_validator::addSafeSenderCall::SELECTOR,
            "addSafeSender(address)",
        ),
    ] {
        assert_eq!(selector, keccak256(signature)[..4], "{signature}");
    }
    assert_eq!(erc20::transferCall::SELECTOR, hex!("a9059cbb"));
}
