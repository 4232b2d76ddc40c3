//! Property test: the sorted-leaves Merkle tree and its proofs against an independent
//! construction written here (a recursive definition of OZ `SimpleMerkleTree`'s array layout,
//! and OZ `processProof` written out again), for 1–64 leaves, duplicates included.

use alloy_primitives::{B256, keccak256};
use proptest::prelude::*;
use smart_sessions_mee::merkle::StxMerkleTree;

/// `keccak256(sort(a, b))`, written independently of the crate.
fn commutative_keccak(a: B256, b: B256) -> B256 {
    let (x, y) = if a.0 < b.0 { (a, b) } else { (b, a) };
    keccak256([x.0, y.0].concat())
}

/// Node `k` of the complete binary tree over `sorted` (leaves at the end, reversed), recursively.
fn node(sorted: &[B256], k: usize) -> B256 {
    let n = sorted.len();
    let total = 2 * n - 1;
    if k >= n - 1 {
        sorted[total - 1 - k]
    } else {
        commutative_keccak(node(sorted, 2 * k + 1), node(sorted, 2 * k + 2))
    }
}

/// OZ `processProof`.
fn oz_process_proof(leaf: B256, proof: &[B256]) -> B256 {
    let mut h = leaf;
    for p in proof {
        h = commutative_keccak(h, *p);
    }
    h
}

fn leaves_strategy() -> impl Strategy<Value = Vec<B256>> {
    // a small alphabet makes duplicates likely as well
    prop::collection::vec(
        prop_oneof![any::<[u8; 32]>().prop_map(B256::from), (0u8..4).prop_map(B256::repeat_byte)],
        1..=64,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn root_and_proofs_match_independent_construction(leaves in leaves_strategy()) {
        let tree = StxMerkleTree::new(&leaves).unwrap();
        let mut sorted = leaves.clone();
        sorted.sort();
        prop_assert_eq!(tree.root(), node(&sorted, 0));
        prop_assert_eq!(smart_sessions_mee::merkle::root(leaves.iter().copied()), Some(tree.root()));
        prop_assert_eq!(tree.len(), leaves.len());
        let depth_max = usize::BITS - (2 * leaves.len() - 1).leading_zeros();
        for (i, leaf) in leaves.iter().enumerate() {
            let proof = tree.proof(i).unwrap();
            prop_assert!(proof.len() <= depth_max as usize);
            prop_assert_eq!(oz_process_proof(*leaf, &proof), tree.root(), "proof of input {}", i);
        }
        prop_assert!(tree.proof(leaves.len()).is_none());
    }

    #[test]
    fn a_wrong_leaf_does_not_verify(leaves in leaves_strategy(), which in any::<prop::sample::Index>()) {
        prop_assume!(leaves.len() > 1);
        let tree = StxMerkleTree::new(&leaves).unwrap();
        let i = which.index(leaves.len());
        let mut other = leaves[i];
        other.0[31] ^= 1;
        prop_assume!(!leaves.contains(&other));
        prop_assert_ne!(oz_process_proof(other, &tree.proof(i).unwrap()), tree.root());
    }
}

#[test]
fn empty_tree_is_refused() {
    assert!(StxMerkleTree::new(&[]).is_none());
}
