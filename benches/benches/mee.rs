//! MEE benchmarks (issue 15): the quote request of a two-chain owner supertransaction paid in a
//! fee token, the supertransaction hash (sorted-leaves Merkle root) of 1 and 8 userOps, and quote
//! signing (MEE 2.0.0 personal sign of the root, MEE 2.2.1 EIP-712 `SuperTx`).
//!
//! The inputs are the ones `benches/mee.mjs` gives the real `@biconomy/abstractjs` 1.2.3 (see
//! that file and BENCHMARKS.md). When `SMART_SESSIONS_MEE_BENCH_OUT` names a file, this bench
//! writes what it computed there (the request body, the hashes, the signatures) before timing;
//! `benches/mee.mjs` compares the SDK's results with it byte for byte and fails on a mismatch
//! before it times anything (`cargo xtask bench` runs both).

#![allow(missing_docs)]

use alloy_primitives::{Address, B256, U256, address, b256, bytes, keccak256};
use alloy_signer_local::PrivateKeySigner;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use smart_sessions_mee::{
    DEFAULT_MEE_VERSION, MeeVersion, MultichainAccount, NodeQuote, StepClock, StxEntry,
    VerifiedQuote,
    merkle::StxMerkleTree,
    quote_request::{BASE_USDC, Instruction, Payment, QuoteParams, build_quote_request},
    session::{Call, FeeToken},
    sign::sign_quote_sync,
    supertransaction_hash,
};
use std::hint::black_box;

/// The vectors' signer (its address is the vectors' owner 0x2c75…5c23).
const SIGNER_KEY: B256 =
    b256!("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
/// The vectors' Nexus account of that owner (MEE 2.0.0, index 0).
const ACCOUNT: Address = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
/// The counter of the local MEE stack (`increment()` is called on both chains).
const COUNTER: Address = address!("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0");
/// 2026-01-01T00:00:00Z, the vectors' T0; the lower bound is T0 / 1000 and the nonce keys read
/// a clock that starts there and advances 1 ms per read (the JS side stubs `Date.now` the same).
/// The account's chains are in the vectors' order (10, then 8453): the SDK derives the payment
/// key first, then the keys of the chains whose lock is free (10), then the payment chain's
/// userOp (8453, after the payment's 1 ms wait), which is the order this crate reads its clock
/// in for that deployment order.
const T0_MS: u64 = 1_767_225_600_000;

const VECTORS: &str = include_str!("../../crates/mee/tests/vectors/mee.json");

fn account() -> MultichainAccount {
    let owner = PrivateKeySigner::from_bytes(&SIGNER_KEY).expect("key").address();
    let mut a = MultichainAccount::new(
        owner,
        DEFAULT_MEE_VERSION.config(),
        0,
        [(10, ACCOUNT), (8453, ACCOUNT)],
    )
    .expect("account");
    a.set_deployed(8453, true).expect("8453");
    a.set_deployed(10, true).expect("10");
    a
}

fn instructions() -> Vec<Instruction> {
    [8453, 10]
        .into_iter()
        .map(|chain| Instruction::new(chain, vec![Call::new(COUNTER, bytes!("0xd09de08a"))]))
        .collect()
}

/// The quote request body exactly as sent: built, then serialised (the SDK's `JSON.stringify`).
fn quote_body(account: &MultichainAccount, instructions: &[Instruction]) -> Vec<u8> {
    let params = QuoteParams {
        account,
        instructions,
        payment: Payment::FeeToken {
            token: FeeToken { address: BASE_USDC, chain_id: 8453 },
            gas_refund_address: None,
        },
        session: None,
        lower_bound_timestamp: Some(T0_MS / 1000),
    };
    let request =
        build_quote_request(&params, &StepClock::new(T0_MS, 1)).expect("the quote request");
    serde_json::to_vec(&request).expect("serialises")
}

/// `n` entries: `userOpHash_i = keccak256(uint256(i))`, `meeUserOpHash_i = keccak256(uint256(1000 + i))`,
/// shortEncoding for every third.
fn entries(n: u64) -> Vec<StxEntry> {
    (0..n)
        .map(|i| StxEntry {
            user_op_hash: keccak256(U256::from(i).to_be_bytes::<32>()),
            mee_user_op_hash: keccak256(U256::from(1000 + i).to_be_bytes::<32>()),
            short_encoding: i % 3 == 0,
        })
        .collect()
}

/// The recorded quote of the `mee.signedQuote` vector of `version` (prepareForPermissions).
fn recorded_quote(version: &str) -> VerifiedQuote {
    let v: Value = serde_json::from_str(VECTORS).expect("the vector file");
    let q = v["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .find(|x| {
            x["function"] == "mee.signedQuote"
                && x["inputs"]["meeVersion"] == version
                && x["inputs"]["call"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("prepareForPermissions"))
        })
        .expect("a signedQuote vector of that version");
    NodeQuote::new(q["inputs"]["quote"].clone())
        .expect("a quote")
        .verify_hashes()
        .expect("the recorded quote verifies")
}

fn write_outputs(outputs: &Value) {
    if let Ok(path) = std::env::var("SMART_SESSIONS_MEE_BENCH_OUT") {
        std::fs::write(&path, serde_json::to_vec_pretty(outputs).expect("json"))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

fn bench(c: &mut Criterion) {
    let account = account();
    let instructions = instructions();
    let signer = PrivateKeySigner::from_bytes(&SIGNER_KEY).expect("key");
    let e1 = entries(1);
    let e8 = entries(8);
    let q200 = recorded_quote("2.0.0");
    let q221 = recorded_quote("2.2.1");
    let leaves8: Vec<B256> = e8.iter().map(StxEntry::leaf).collect();

    let body = quote_body(&account, &instructions);
    let personal = sign_quote_sync(&signer, &q200, MeeVersion::V2_0_0, "Nexus").expect("sign");
    let typed = sign_quote_sync(&signer, &q221, MeeVersion::V2_2_1, "Nexus").expect("sign");
    write_outputs(&json!({
        "quoteRequestBody": String::from_utf8(body).expect("utf-8"),
        "stxHash1": supertransaction_hash(&e1).expect("one entry"),
        "stxHash8": supertransaction_hash(&e8).expect("eight entries"),
        "merkleRoot8": StxMerkleTree::new(&leaves8).expect("eight leaves").root(),
        "signQuotePersonal": personal,
        "signQuoteEip712": typed,
    }));

    let mut g = c.benchmark_group("mee");
    g.bench_function("quoteRequest/2chains", |b| {
        b.iter(|| quote_body(black_box(&account), black_box(&instructions)))
    });
    g.bench_function("stxHash/1", |b| b.iter(|| supertransaction_hash(black_box(&e1))));
    g.bench_function("stxHash/8", |b| b.iter(|| supertransaction_hash(black_box(&e8))));
    g.bench_function("merkleTree/8", |b| b.iter(|| StxMerkleTree::new(black_box(&leaves8))));
    g.bench_function("signQuote/personal", |b| {
        b.iter(|| sign_quote_sync(&signer, black_box(&q200), MeeVersion::V2_0_0, "Nexus"))
    });
    g.bench_function("signQuote/eip712", |b| {
        b.iter(|| sign_quote_sync(&signer, black_box(&q221), MeeVersion::V2_2_1, "Nexus"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
