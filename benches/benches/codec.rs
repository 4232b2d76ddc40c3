//! Codec benchmarks. Inputs come from `benches/fixtures.json`, shared with the TypeScript
//! reference's `tests/reference/bench.mjs`, so `cargo xtask bench` compares like with like.
//!
//! Every hash-bound operation has a `floor/…` twin that runs keccak256 alone over exactly the
//! preimages the operation hashes (built with alloy's encoders, and checked before measuring: the
//! last preimage hashes to the operation's answer): the ratio between the two is the encoding
//! overhead.

#![allow(missing_docs)]

use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256, keccak256};
use alloy_sol_types::{SolStruct, SolType};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use smart_sessions_codec::{
    ActionConfig, AnyEnableSession, ChainDigest, EnableMode, EnableSession, Generation, PolicyData,
    Session, SignedSession, SmartSessionSignature, eip712, flz,
};
use std::hint::black_box;

const FIXTURES: &str = include_str!("../fixtures.json");

struct Fixtures {
    account: Address,
    validator: Address,
    init_data: Bytes,
    salt: B256,
    target: Address,
    selector: FixedBytes<4>,
    uni4: ActionConfig,
    uni16: ActionConfig,
    session: Session,
    use_id: B256,
    use_sig: Bytes,
    session_key_sig: Bytes,
    enable_sig: Bytes,
    nonce: U256,
    chain_ids: Vec<u64>,
}

fn de<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).expect("fixture shape")
}

fn fixtures() -> Fixtures {
    let f: Value = serde_json::from_str(FIXTURES).expect("fixtures.json");
    let uni16: ActionConfig = de(&f["uni16"]);
    let mut session = f["session"].clone();
    session["actions"][0]["actionPolicies"][0]["initData"] =
        Value::String(alloy_primitives::hex::encode_prefixed(uni16.abi_encode()));
    Fixtures {
        account: de(&f["account"]),
        validator: de(&f["permissionId"]["sessionValidator"]),
        init_data: de(&f["permissionId"]["sessionValidatorInitData"]),
        salt: de(&f["permissionId"]["salt"]),
        target: de(&f["actionId"]["target"]),
        selector: de(&f["actionId"]["selector"]),
        uni4: de(&f["uni4"]),
        uni16,
        session: de(&session),
        use_id: de(&f["useSignature"]["permissionId"]),
        use_sig: de(&f["useSignature"]["signature"]),
        session_key_sig: de(&f["sessionKeySignature"]),
        enable_sig: de(&f["permissionEnableSig"]),
        nonce: U256::from_str_radix(f["nonce"].as_str().expect("nonce"), 10).expect("nonce"),
        chain_ids: f["chainIds"]
            .as_array()
            .expect("chainIds")
            .iter()
            .map(|c| c.as_str().expect("chain id").parse().expect("chain id"))
            .collect(),
    }
}

/// `typeHash ‖ encodeData(s)`: the preimage of `hashStruct(s)`, from alloy's EIP-712 encoder
/// (not from the code under measurement).
fn struct_preimage<S: SolStruct>(s: &S) -> Vec<u8> {
    let mut pre = s.eip712_type_hash().to_vec();
    pre.extend(s.eip712_encode_data());
    pre
}

/// The preimages of a `PolicyData[]` member: each `initData`, each struct, and the list of
/// element hashes.
fn policies_preimages(out: &mut Vec<Vec<u8>>, ps: &[PolicyData]) {
    let mut list = Vec::new();
    for p in ps {
        out.push(p.initData.to_vec());
        out.push(struct_preimage(p));
        list.extend(p.eip712_hash_struct());
    }
    out.push(list);
}

/// Every preimage keccak256 runs over for the session digest (`hashStruct(SignedSession)`):
/// every dynamic member (`bytes`, `string`), every array of element hashes and every struct
/// encoding, down to the leaves. Built with alloy's EIP-712 encoder; `digests` checks that the
/// last one hashes to `eip712::session_digest`'s answer, so the floor hashes exactly the bytes
/// the operation hashes.
fn session_digest_preimages(s: &SignedSession) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let p = &s.permissions;
    policies_preimages(&mut out, &p.userOpPolicies);
    let mut contexts = Vec::new();
    for c in &p.erc7739Policies.allowedERC7739Content {
        let mut names = Vec::new();
        for n in &c.contentName {
            out.push(n.as_bytes().to_vec());
            names.extend(keccak256(n.as_bytes()));
        }
        out.push(names);
        out.push(struct_preimage(c));
        contexts.extend(c.eip712_hash_struct());
    }
    out.push(contexts);
    policies_preimages(&mut out, &p.erc7739Policies.erc1271Policies);
    out.push(struct_preimage(&p.erc7739Policies));
    let mut actions = Vec::new();
    for a in &p.actions {
        policies_preimages(&mut out, &a.actionPolicies);
        out.push(struct_preimage(a));
        actions.extend(a.eip712_hash_struct());
    }
    out.push(actions);
    out.push(struct_preimage(p));
    out.push(s.sessionValidatorInitData.to_vec());
    out.push(struct_preimage(s));
    out
}

/// Every preimage of the multichain digest over `list`: each `ChainSession` struct encoding
/// (`abi.encode(CHAIN_SESSION_TYPEHASH, chainId, sessionDigest)`), the array of their hashes, the
/// `MultiChainSession` struct and `0x1901 ‖ domainSeparator ‖ structHash`, built with alloy's ABI
/// encoder and domain separator. The last one hashes to the digest (checked in `digests`).
fn multichain_preimages(list: &[ChainDigest]) -> Vec<Vec<u8>> {
    use alloy_sol_types::sol_data::{FixedBytes as SolB, Uint};
    let mut out = Vec::new();
    let mut hashes = Vec::new();
    for c in list {
        let pre = <(SolB<32>, Uint<64>, SolB<32>)>::abi_encode_params(&(
            eip712::CHAIN_SESSION_TYPEHASH,
            c.chainId,
            c.sessionDigest,
        ));
        hashes.extend(keccak256(&pre));
        out.push(pre);
    }
    let list_hash = keccak256(&hashes);
    out.push(hashes);
    let st = <(SolB<32>, SolB<32>)>::abi_encode_params(&(
        eip712::MULTICHAIN_SESSION_TYPEHASH,
        list_hash,
    ));
    let struct_hash = keccak256(&st);
    out.push(st);
    let mut fin = vec![0x19, 0x01];
    fin.extend(eip712::domain().separator());
    fin.extend(struct_hash);
    out.push(fin);
    out
}

fn hash_all(pre: &[Vec<u8>]) -> B256 {
    let mut acc = B256::ZERO;
    for p in pre {
        acc ^= keccak256(p);
    }
    acc
}

fn ids(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("ids");
    g.bench_function("permissionId", |b| {
        b.iter(|| {
            smart_sessions_codec::permission_id(
                black_box(f.validator),
                black_box(&f.init_data),
                black_box(f.salt),
            )
        })
    });
    let pre = <(
        alloy_sol_types::sol_data::Address,
        alloy_sol_types::sol_data::Bytes,
        alloy_sol_types::sol_data::FixedBytes<32>,
    ) as SolType>::abi_encode_params(&(f.validator, &f.init_data[..], f.salt));
    assert_eq!(
        keccak256(&pre),
        smart_sessions_codec::permission_id(f.validator, &f.init_data, f.salt),
        "the floor's preimage is not the permission id's"
    );
    g.bench_function("floor/permissionId", |b| b.iter(|| keccak256(black_box(&pre))));
    g.bench_function("actionId", |b| {
        b.iter(|| smart_sessions_codec::action_id(black_box(f.target), black_box(f.selector)))
    });
    let mut pre24 = [0u8; 24];
    pre24[..20].copy_from_slice(f.target.as_slice());
    pre24[20..].copy_from_slice(f.selector.as_slice());
    assert_eq!(
        keccak256(pre24),
        smart_sessions_codec::action_id(f.target, f.selector),
        "the floor's preimage is not the action id's"
    );
    g.bench_function("floor/actionId", |b| b.iter(|| keccak256(black_box(pre24))));
    g.finish();
}

fn encode(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("encode");
    g.bench_function("uniAction/4", |b| b.iter(|| black_box(&f.uni4).abi_encode()));
    g.bench_function("uniAction/16", |b| b.iter(|| black_box(&f.uni16).abi_encode()));
    let use_sig =
        SmartSessionSignature::Use { permission_id: f.use_id, signature: f.use_sig.clone() };
    g.bench_function("useSignature/current", |b| {
        b.iter(|| black_box(&use_sig).encode(Generation::Current))
    });
    let digest = eip712::session_digest(
        &f.session,
        f.account,
        Generation::Current.smart_session(),
        EnableMode::Enable,
        f.nonce,
    );
    let enable = SmartSessionSignature::Enable {
        mode: EnableMode::Enable,
        enable: AnyEnableSession::Current(EnableSession {
            chainDigestIndex: 0,
            hashesAndChainIds: vec![ChainDigest { chainId: 1, sessionDigest: digest }],
            sessionToEnable: f.session.clone(),
            permissionEnableSig: smart_sessions_codec::AccountType::Nexus
                .format_permission_enable_sig(Address::ZERO, &f.enable_sig),
        }),
        signature: f.session_key_sig.clone(),
    };
    g.bench_function("enableSignature/current", |b| {
        b.iter(|| black_box(&enable).encode(Generation::Current))
    });
    g.finish();
}

fn digests(c: &mut Criterion, f: &Fixtures) {
    let ss = Generation::Current.smart_session();
    let mut g = c.benchmark_group("digest");
    g.bench_function("session", |b| {
        b.iter(|| {
            eip712::session_digest(
                black_box(&f.session),
                f.account,
                ss,
                EnableMode::Enable,
                f.nonce,
            )
        })
    });
    let signed =
        SignedSession::from_session(&f.session, f.account, ss, EnableMode::Enable, f.nonce);
    let pre = session_digest_preimages(&signed);
    assert_eq!(
        keccak256(pre.last().expect("preimages")),
        eip712::session_digest(&f.session, f.account, ss, EnableMode::Enable, f.nonce),
        "the floor's preimages are not the session digest's"
    );
    g.bench_function("floor/session", |b| b.iter(|| hash_all(black_box(&pre))));
    for n in [1usize, 8] {
        let list: Vec<ChainDigest> = f.chain_ids[..n]
            .iter()
            .map(|&chain_id| ChainDigest {
                chainId: chain_id,
                sessionDigest: B256::repeat_byte(n as u8),
            })
            .collect();
        g.bench_with_input(BenchmarkId::new("multichain", n), &list, |b, l| {
            b.iter(|| eip712::multichain_digest(Generation::Current, black_box(l)))
        });
        let pre = multichain_preimages(&list);
        assert_eq!(
            keccak256(pre.last().expect("preimages")),
            eip712::multichain_digest(Generation::Current, &list),
            "the floor's preimages are not the multichain digest's"
        );
        g.bench_with_input(BenchmarkId::new("floor/multichain", n), &pre, |b, p| {
            b.iter(|| hash_all(black_box(p)))
        });
        // the owner's full computation: n session digests and the multichain digest over them
        g.bench_with_input(BenchmarkId::new("owner", n), &n, |b, &n| {
            b.iter(|| {
                let list: Vec<ChainDigest> = f.chain_ids[..n]
                    .iter()
                    .map(|&chain_id| ChainDigest {
                        chainId: chain_id,
                        sessionDigest: eip712::session_digest(
                            &f.session,
                            f.account,
                            ss,
                            EnableMode::UnsafeEnable,
                            f.nonce,
                        ),
                    })
                    .collect();
                eip712::multichain_digest(Generation::Current, &list)
            })
        });
    }
    g.finish();
}

fn fastlz(c: &mut Criterion, f: &Fixtures) {
    // a 4 KiB enable payload: the session above, as abi.encode(EnableSession, bytes)
    let enable = AnyEnableSession::Current(EnableSession {
        chainDigestIndex: 0,
        hashesAndChainIds: vec![ChainDigest { chainId: 1, sessionDigest: B256::repeat_byte(0x42) }],
        sessionToEnable: f.session.clone(),
        permissionEnableSig: f.enable_sig.clone(),
    });
    let payload = smart_sessions_codec::enable_payload(&enable, &f.session_key_sig);
    assert!((4000..6000).contains(&payload.len()), "payload is {} bytes", payload.len());
    let packed = flz::compress(&payload);
    let mut g = c.benchmark_group("flz");
    g.throughput(Throughput::Bytes(payload.len() as u64));
    g.bench_function("compress/enablePayload", |b| b.iter(|| flz::compress(black_box(&payload))));
    g.bench_function("decompress/enablePayload", |b| {
        b.iter(|| flz::decompress(black_box(&packed), 1 << 20))
    });
    g.bench_function("floor/keccak/enablePayload", |b| b.iter(|| keccak256(black_box(&payload))));
    let lz4 = lz4_flex::compress(&payload);
    g.bench_function("lz4_flex/compress/enablePayload", |b| {
        b.iter(|| lz4_flex::compress(black_box(&payload)))
    });
    g.bench_function("lz4_flex/decompress/enablePayload", |b| {
        b.iter(|| lz4_flex::decompress(black_box(&lz4), payload.len()))
    });
    g.finish();
}

fn all(c: &mut Criterion) {
    let f = fixtures();
    ids(c, &f);
    encode(c, &f);
    digests(c, &f);
    fastlz(c, &f);
}

criterion_group!(benches, all);
criterion_main!(benches);
