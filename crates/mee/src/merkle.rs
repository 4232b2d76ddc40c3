//! `OpenZeppelin` `SimpleMerkleTree.of(leaves, {sortLeaves: true})` (merkle-tree 1.0.8), as the
//! SDK builds the supertransaction tree: leaves taken raw, sorted ascending, complete binary tree
//! in array layout (`tree[2n-2-i] = sorted[i]`, `tree[k] = hashPair(tree[2k+1], tree[2k+2])`,
//! `hashPair = keccak256(min ‖ max)`), proofs indexed by the **input** position.

use alloy_primitives::{B256, keccak256};

/// `keccak256(min(a,b) ‖ max(a,b))`.
#[inline]
pub fn hash_pair(a: &B256, b: &B256) -> B256 {
    let mut buf = [0u8; 64];
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    buf[..32].copy_from_slice(lo.as_slice());
    buf[32..].copy_from_slice(hi.as_slice());
    keccak256(buf)
}

/// OZ `processProof`: folds `proof` into `leaf`.
pub fn process_proof(leaf: B256, proof: &[B256]) -> B256 {
    proof.iter().fold(leaf, |acc, p| hash_pair(&acc, p))
}

/// The root only, without building proofs: one stack buffer for up to 32 leaves, no heap.
/// `None` for no leaves.
pub fn root(leaves: impl ExactSizeIterator<Item = B256>) -> Option<B256> {
    let n = leaves.len();
    if n == 0 {
        return None;
    }
    let total = 2 * n - 1;
    let mut stack = [B256::ZERO; 63];
    let mut heap;
    let nodes: &mut [B256] = if total <= stack.len() {
        &mut stack[..total]
    } else {
        heap = vec![B256::ZERO; total];
        &mut heap
    };
    // sorted ascending into tree[total-1-i]: write the leaves, sort that tail descending
    for (slot, leaf) in nodes[n - 1..].iter_mut().zip(leaves) {
        *slot = leaf;
    }
    nodes[n - 1..].sort_unstable_by(|a, b| b.cmp(a));
    for k in (0..n - 1).rev() {
        nodes[k] = hash_pair(&nodes[2 * k + 1], &nodes[2 * k + 2]);
    }
    Some(nodes[0])
}

/// A sorted-leaves Merkle tree.
///
/// ```
/// use alloy_primitives::B256;
/// use smart_sessions_mee::merkle::{process_proof, StxMerkleTree};
/// let leaves = [B256::repeat_byte(3), B256::repeat_byte(1), B256::repeat_byte(2)];
/// let tree = StxMerkleTree::new(&leaves).unwrap();
/// for (i, leaf) in leaves.iter().enumerate() {
///     assert_eq!(process_proof(*leaf, &tree.proof(i).unwrap()), tree.root());
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StxMerkleTree {
    /// `2n - 1` nodes, root first.
    nodes: Vec<B256>,
    /// For input index `i`, the node index of its leaf.
    leaf_node: Vec<usize>,
}

impl StxMerkleTree {
    /// Builds the tree; `None` for no leaves (OZ throws on an empty tree).
    pub fn new(leaves: &[B256]) -> Option<Self> {
        let n = leaves.len();
        if n == 0 {
            return None;
        }
        let mut order: Vec<usize> = (0..n).collect();
        // stable sort by value, as JS Array.prototype.sort (stable) with OZ's compare
        order.sort_by(|&a, &b| leaves[a].cmp(&leaves[b]));
        let total = 2 * n - 1;
        let mut nodes = vec![B256::ZERO; total];
        let mut leaf_node = vec![0usize; n];
        for (sorted_pos, &input) in order.iter().enumerate() {
            let node = total - 1 - sorted_pos;
            nodes[node] = leaves[input];
            leaf_node[input] = node;
        }
        for k in (0..total - n).rev() {
            nodes[k] = hash_pair(&nodes[2 * k + 1], &nodes[2 * k + 2]);
        }
        Some(Self { nodes, leaf_node })
    }

    /// The root (`tree[0]`).
    pub fn root(&self) -> B256 {
        self.nodes[0]
    }

    /// How many leaves the tree was built from (the quote's userOp count for a supertransaction).
    pub fn len(&self) -> usize {
        self.leaf_node.len()
    }

    /// Never true (an empty tree cannot be built).
    pub fn is_empty(&self) -> bool {
        self.leaf_node.is_empty()
    }

    /// OZ `getProof(i)`: siblings from the leaf of input `i` up to the root.
    pub fn proof(&self, input_index: usize) -> Option<Vec<B256>> {
        let mut k = *self.leaf_node.get(input_index)?;
        let mut proof = Vec::new();
        while k > 0 {
            let sibling = if k % 2 == 1 { k + 1 } else { k - 1 };
            proof.push(self.nodes[sibling]);
            k = (k - 1) / 2;
        }
        Some(proof)
    }
}
