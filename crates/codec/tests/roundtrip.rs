//! Property tests: decode(encode(x)) == x for every type, FastLZ round trips, and the fast
//! EIP-712 hasher against alloy's generic `SolStruct` implementation.
#![allow(non_snake_case)] // field names are the Solidity names

use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256};
use alloy_sol_types::{SolStruct, SolValue};
use proptest::{collection::vec, prelude::*};
use smart_sessions_codec::{
    ActionConfig, ActionData, AnyEnableSession, ChainDigest, ChainSession, ERC7739Context,
    ERC7739Data, EnableMode, EnableSession, Execution, Generation, LimitUsage, MultiChainSession,
    NexusNonceKey, ParamCondition, ParamRule, PolicyData, Session, SignedSession,
    SmartSessionSignature, eip712, execute, flz, legacy,
};

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}
fn b256() -> impl Strategy<Value = B256> {
    any::<[u8; 32]>().prop_map(B256::from)
}
fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![any::<u64>().prop_map(U256::from), any::<[u8; 32]>().prop_map(U256::from_be_bytes)]
}
fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}
fn policy() -> impl Strategy<Value = PolicyData> {
    (address(), bytes(80)).prop_map(|(policy, initData)| PolicyData { policy, initData })
}
fn action() -> impl Strategy<Value = ActionData> {
    (any::<[u8; 4]>(), address(), vec(policy(), 0..3)).prop_map(|(s, t, p)| ActionData {
        actionTargetSelector: FixedBytes(s),
        actionTarget: t,
        actionPolicies: p,
    })
}
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 (),_]{0,24}"
}
fn erc7739() -> impl Strategy<Value = ERC7739Data> {
    (vec((b256(), vec(name(), 0..3)), 0..3), vec(policy(), 0..2)).prop_map(|(c, p)| ERC7739Data {
        allowedERC7739Content: c
            .into_iter()
            .map(|(appDomainSeparator, contentName)| ERC7739Context {
                appDomainSeparator,
                contentName,
            })
            .collect(),
        erc1271Policies: p,
    })
}
fn session() -> impl Strategy<Value = Session> {
    (
        address(),
        bytes(70),
        b256(),
        vec(policy(), 0..3),
        erc7739(),
        vec(action(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(v, d, salt, u, e, a, p)| Session {
            sessionValidator: v,
            sessionValidatorInitData: d,
            salt,
            userOpPolicies: u,
            erc7739Policies: e,
            actions: a,
            permitERC4337Paymaster: p,
        })
}
fn legacy_session() -> impl Strategy<Value = legacy::Session> {
    (
        address(),
        bytes(70),
        b256(),
        vec(policy(), 0..3),
        vec(name(), 0..3),
        vec(policy(), 0..2),
        vec(action(), 0..4),
    )
        .prop_map(|(v, d, salt, u, names, p1271, a)| legacy::Session {
            sessionValidator: v,
            sessionValidatorInitData: d,
            salt,
            userOpPolicies: u,
            erc7739Policies: legacy::ERC7739Data {
                allowedERC7739Content: names,
                erc1271Policies: p1271,
            },
            actions: a,
        })
}
fn chain_digests() -> impl Strategy<Value = Vec<ChainDigest>> {
    vec(
        (any::<u64>(), b256())
            .prop_map(|(chainId, sessionDigest)| ChainDigest { chainId, sessionDigest }),
        1..5,
    )
}
fn enable_mode() -> impl Strategy<Value = EnableMode> {
    prop_oneof![Just(EnableMode::Enable), Just(EnableMode::UnsafeEnable)]
}
fn rule() -> impl Strategy<Value = ParamRule> {
    (0u8..7, any::<u64>(), any::<bool>(), b256(), u256(), u256()).prop_map(
        |(c, offset, is_limited, reference, limit, used)| ParamRule {
            condition: ParamCondition::try_from(c).unwrap(),
            offset,
            is_limited,
            reference,
            usage: LimitUsage { limit, used },
        },
    )
}

/// Bytes that compress: runs and repeats over a small alphabet, like ABI payloads.
fn compressible(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec((0u8..4, 1usize..300), 0..max / 150).prop_map(move |runs| {
        let mut out = Vec::new();
        for (b, n) in runs {
            if b == 3 {
                let start = out.len().saturating_sub(n);
                let copy: Vec<u8> = out[start..].to_vec();
                out.extend(copy);
            } else {
                out.extend(std::iter::repeat_n(b * 0x11, n));
            }
        }
        out.truncate(max);
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn use_signatures_round_trip(id in b256(), sig in bytes(200)) {
        let s = SmartSessionSignature::Use { permission_id: id, signature: sig };
        for g in Generation::ALL {
            let enc = s.encode(g).unwrap();
            prop_assert_eq!(SmartSessionSignature::decode(&enc, g).unwrap(), s.clone());
        }
    }

    #[test]
    fn enable_signatures_round_trip(
        s in session(), ls in legacy_session(), d in chain_digests(), idx in any::<u8>(),
        pes in bytes(90), sig in bytes(90), mode in enable_mode(),
    ) {
        let current = SmartSessionSignature::Enable {
            mode,
            enable: AnyEnableSession::Current(EnableSession {
                chainDigestIndex: idx, hashesAndChainIds: d.clone(), sessionToEnable: s,
                permissionEnableSig: pes.clone(),
            }),
            signature: sig.clone(),
        };
        for g in [Generation::V1, Generation::Current] {
            let enc = current.encode(g).unwrap();
            prop_assert_eq!(SmartSessionSignature::decode(&enc, g).unwrap(), current.clone());
        }
        prop_assert!(current.encode(Generation::Legacy).is_err());
        let old = SmartSessionSignature::Enable {
            mode,
            enable: AnyEnableSession::Legacy(legacy::EnableSession {
                chainDigestIndex: idx, hashesAndChainIds: d, sessionToEnable: ls, permissionEnableSig: pes,
            }),
            signature: sig,
        };
        let enc = old.encode(Generation::Legacy).unwrap();
        prop_assert!(old.encode(Generation::Current).is_err());
        prop_assert_eq!(SmartSessionSignature::decode(&enc, Generation::Legacy).unwrap(), old);
    }

    #[test]
    fn action_configs_round_trip(value in u256(), rules in vec(rule(), 0..=16), filler in vec(rule(), 16)) {
        let mut slots = [ParamRule::default(); 16];
        slots[..rules.len()].copy_from_slice(&rules);
        slots[rules.len()..].copy_from_slice(&filler[rules.len()..]);
        let config = ActionConfig::from_slots(value, rules.len(), slots).unwrap();
        let enc = config.abi_encode();
        prop_assert_eq!(enc.len(), 3136);
        prop_assert_eq!(ActionConfig::abi_decode(&enc).unwrap(), config);
    }

    #[test]
    fn sessions_round_trip_through_abi(s in session(), ls in legacy_session()) {
        prop_assert_eq!(Session::abi_decode(&s.abi_encode()).unwrap(), s);
        prop_assert_eq!(legacy::Session::abi_decode(&ls.abi_encode()).unwrap(), ls);
    }

    #[test]
    fn sessions_round_trip_through_json(s in session(), ls in legacy_session(), d in chain_digests()) {
        let j = serde_json::to_string(&s).unwrap();
        prop_assert_eq!(serde_json::from_str::<Session>(&j).unwrap(), s);
        let j = serde_json::to_string(&ls).unwrap();
        prop_assert_eq!(serde_json::from_str::<legacy::Session>(&j).unwrap(), ls);
        let j = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<Vec<ChainDigest>>(&j).unwrap(), d);
    }

    #[test]
    fn executions_round_trip(calls in vec((address(), u256(), bytes(100)), 1..5)) {
        let calls: Vec<Execution> = calls.into_iter().map(|(t, v, d)| Execution::new(t, v, d)).collect();
        let data = execute::execute_calls(&calls).unwrap();
        let (mode, decoded) = execute::decode_execute(&data).unwrap();
        prop_assert_eq!(mode[0], if calls.len() == 1 { 0 } else { 1 });
        prop_assert_eq!(decoded, calls);
    }

    #[test]
    fn nonce_keys_round_trip(v in address(), k in 0u32..0x0100_0000, m in any::<u8>(), seq in any::<u64>()) {
        let key = NexusNonceKey::new(v).with_batch_key(k).unwrap().with_validation_mode(m);
        prop_assert_eq!(NexusNonceKey::from_nonce(key.nonce(seq)), (key, seq));
    }

    #[test]
    fn fast_session_digest_equals_alloys_eip712(
        s in session(), account in address(), ss in address(), mode in enable_mode(), nonce in u256(), chain in any::<u64>(),
    ) {
        let signed = SignedSession::from_session(&s, account, ss, mode, nonce);
        let fast = eip712::session_digest(&s, account, ss, mode, nonce);
        prop_assert_eq!(fast, signed.eip712_hash_struct());
        prop_assert_eq!(fast, eip712::hash_signed_session(&signed));
        let mc = MultiChainSession { sessionsAndChainIds: vec![ChainSession { chainId: chain, session: signed }] };
        let via_alloy = mc.signing_hash();
        prop_assert_eq!(via_alloy, eip712::hash_chain_sessions(&mc.sessionsAndChainIds));
        prop_assert_eq!(via_alloy, eip712::multichain_digest(Generation::Current, &[ChainDigest { chainId: chain, sessionDigest: fast }]));
    }

    #[test]
    fn fast_legacy_digest_equals_alloys_eip712(
        s in legacy_session(), account in address(), ss in address(), mode in enable_mode(), nonce in u256(), chain in any::<u64>(),
    ) {
        let signed = legacy::SessionEIP712::from_session(&s, account, ss, mode, nonce);
        let fast = eip712::legacy_session_digest(&s, account, ss, mode, nonce);
        prop_assert_eq!(fast, signed.eip712_hash_struct());
        let mc = legacy::MultiChainSessionEIP712 {
            sessionsAndChainIds: vec![legacy::ChainSessionEIP712 { chainId: chain, session: signed }],
        };
        prop_assert_eq!(
            mc.eip712_signing_hash(&eip712::domain()),
            eip712::multichain_digest(Generation::Legacy, &[ChainDigest { chainId: chain, sessionDigest: fast }])
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn flz_round_trips_arbitrary_bytes(data in vec(any::<u8>(), 0..65536)) {
        for mode in [flz::HashMode::Float, flz::HashMode::Exact] {
            let c = flz::compress_with(&data, mode);
            prop_assert!(c.len() <= data.len() + data.len() / 32 + 1);
            prop_assert_eq!(flz::decompress(&c, data.len()).unwrap(), data.clone());
        }
    }

    #[test]
    fn flz_round_trips_compressible_bytes(data in compressible(65536)) {
        for mode in [flz::HashMode::Float, flz::HashMode::Exact] {
            let c = flz::compress_with(&data, mode);
            prop_assert_eq!(flz::decompress(&c, data.len()).unwrap(), data.clone());
            if !data.is_empty() {
                prop_assert!(flz::decompress(&c, data.len() - 1).is_err());
            }
        }
    }

    #[test]
    fn flz_decompress_never_panics(data in vec(any::<u8>(), 0..2048)) {
        let _ = flz::decompress(&data, 1 << 16);
    }
}
