//! The node's own computations against the abstractjs 1.2.3 vectors (`tests/vectors/mee.json`, a
//! copy of the shared `mee.json`): userOp hashes, MEE userOp hashes, the sorted-leaves Merkle tree
//! and its proofs, the supertransaction hash, the per-userOp signatures a node assembles, and the
//! payment userOp. Each test compares the node's output with the recorded SDK/node output.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::Value;
use smart_sessions_codec::Generation;
use smart_sessions_mee_node::{FilledUserOp, hashes, payment, session_signature, signatures};

fn vectors(function: &str) -> Vec<Value> {
    let all: Value =
        serde_json::from_str(include_str!("vectors/mee.json")).expect("vector file is JSON");
    let found: Vec<Value> = all["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .filter(|v| v["function"] == function)
        .cloned()
        .collect();
    assert!(!found.is_empty(), "no {function} vectors");
    found
}

fn b256(v: &Value) -> B256 {
    v.as_str().expect("hex string").parse().expect("32-byte hash")
}

fn num(v: &Value) -> u64 {
    v.as_str().expect("decimal string").parse().expect("u64")
}

fn hex(v: &Value) -> Bytes {
    v.as_str().expect("hex string").parse().expect("hex bytes")
}

fn b256s(v: &Value) -> Vec<B256> {
    v.as_array().expect("array").iter().map(b256).collect()
}

#[test]
fn user_op_hash_matches_the_vectors() {
    for v in vectors("mee.userOpHash") {
        let i = &v["inputs"];
        let op = FilledUserOp::from_json(&i["userOp"], "userOp").expect("vector userOp parses");
        let entry_point: Address = i["entryPoint"].as_str().unwrap().parse().unwrap();
        assert_eq!(op.hash(entry_point, num(&i["chainId"])), b256(&v["output"]));
    }
}

#[test]
fn mee_user_op_hash_matches_the_vectors() {
    for v in vectors("mee.meeUserOpHash") {
        let i = &v["inputs"];
        let got = hashes::mee_user_op_hash(
            b256(&i["userOpHash"]),
            num(&i["lowerBoundTimestamp"]),
            num(&i["upperBoundTimestamp"]),
        );
        assert_eq!(got, b256(&v["output"]));
    }
}

#[test]
fn merkle_tree_root_and_proofs_match_the_vectors() {
    for v in vectors("mee.stxMerkleTree") {
        let leaves = b256s(&v["inputs"]["leaves"]);
        let tree = hashes::StxTree::new(&leaves).expect("non-empty");
        assert_eq!(tree.root(), b256(&v["output"]["root"]), "{} leaves", leaves.len());
        for (i, want) in v["output"]["proofs"].as_array().unwrap().iter().enumerate() {
            let proof = tree.proof(i).expect("in range");
            assert_eq!(proof, b256s(want), "proof {i} of {} leaves", leaves.len());
            assert!(hashes::verify_proof(&proof, tree.root(), leaves[i]));
        }
    }
}

#[test]
fn supertransaction_hash_matches_the_vectors() {
    for v in vectors("mee.supertransactionHash") {
        let leaves: Vec<B256> = v["inputs"]["userOps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                hashes::leaf(
                    o["shortEncoding"].as_bool().unwrap_or(false),
                    b256(&o["userOpHash"]),
                    b256(&o["meeUserOpHash"]),
                )
            })
            .collect();
        let tree = hashes::StxTree::new(&leaves).expect("non-empty");
        assert_eq!(tree.root(), b256(&v["output"]["hash"]));
        if let Some(proofs) = v["output"]["proofs"].as_array() {
            for (i, want) in proofs.iter().enumerate() {
                assert_eq!(tree.proof(i).unwrap(), b256s(want), "proof {i}");
            }
        }
    }
}

#[test]
fn simple_mode_signatures_match_the_vectors() {
    for v in vectors("mee.node.simpleModeSignature") {
        let i = &v["inputs"];
        let got = signatures::simple_mode(
            b256(&i["stxHash"]),
            num(&i["lowerBoundTimestamp"]),
            num(&i["upperBoundTimestamp"]),
            &b256s(&i["proof"]),
            &hex(&i["signature"]),
        );
        assert_eq!(got, hex(&v["output"]));
    }
    for v in vectors("mee.node.simpleModeSignatureShort") {
        let i = &v["inputs"];
        let got =
            signatures::short_mode(b256(&i["stxHash"]), &b256s(&i["proof"]), &hex(&i["signature"]));
        assert_eq!(got, hex(&v["output"]));
    }
}

#[test]
fn session_signatures_match_the_vectors() {
    // Recorded with the current-generation SmartSession (USE uncompressed; UNSAFE_ENABLE 0x02
    // FastLZ-compressed with the Nexus default-validator prefix on the owner's enable signature).
    let mut modes = Vec::new();
    for v in vectors("mee.node.sessionUserOpSignature") {
        let i = &v["inputs"];
        let got =
            session_signature(&i["sessionDetails"], &hex(&i["stxSignature"]), Generation::Current)
                .expect("the session signature assembles");
        assert_eq!(got, hex(&v["output"]), "mode {}", i["sessionDetails"]["mode"]);
        modes.push(i["sessionDetails"]["mode"].as_str().unwrap().to_owned());
    }
    modes.sort();
    assert_eq!(modes, ["0x00", "0x02", "0x02"]);
}

#[test]
fn payment_user_op_matches_the_vector() {
    for v in vectors("mee.node.paymentUserOp") {
        let i = &v["inputs"];
        let o = &v["output"];
        let token: Address = i["paymentInfo"]["token"].as_str().unwrap().parse().unwrap();
        let recipient: Address = i["nodeFeeRecipient"].as_str().unwrap().parse().unwrap();
        let amount = U256::from(num(&i["tokenWeiAmount"]));
        let op = FilledUserOp::from_json(&o["userOp"], "userOp").unwrap();
        assert_eq!(payment::payment_call_data(token, recipient, amount), op.call_data);
        // the recorded op copies sender, nonce, gas limits from paymentInfo
        assert_eq!(op.sender.to_string(), i["paymentInfo"]["sender"].as_str().unwrap());
        assert_eq!(op.nonce.to_string(), i["paymentInfo"]["nonce"].as_str().unwrap());
        assert_eq!(
            op.call_gas_limit.to_string(),
            i["paymentInfo"]["callGasLimit"].as_str().unwrap()
        );
        let entry_point = "0x0000000071727De22E5E9d8BAf0edAc6f37da032".parse().unwrap();
        let user_op_hash = op.hash(entry_point, num(&o["chainId"]));
        assert_eq!(user_op_hash, b256(&o["userOpHash"]));
        let mee = hashes::mee_user_op_hash(
            user_op_hash,
            num(&i["lowerBoundTimestamp"]),
            num(&i["upperBoundTimestamp"]),
        );
        assert_eq!(mee, b256(&o["meeUserOpHash"]));
        assert_eq!(op.max_gas_limit().to_string(), o["maxGasLimit"].as_str().unwrap());
    }
}

#[test]
fn token_amounts_are_formatted_in_decimal_units() {
    assert_eq!(payment::format_units(U256::from(1_234_567u64), 6), "1.234567");
    assert_eq!(payment::format_units(U256::from(3_000_000u64), 6), "3");
    assert_eq!(payment::format_units(U256::from(1u64), 6), "0.000001");
}
