//! The node's own hash computations (independent of the `smart-sessions-mee` client, so that the
//! client and the node cannot agree on a mistake): the ERC-4337 v0.7 userOp hash, the MEE userOp
//! hash and the supertransaction Merkle tree (`OpenZeppelin` `SimpleMerkleTree` with sorted leaves).

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolValue;
use smart_sessions_bindings::common::entry_point::PackedUserOperation;

/// The ERC-4337 v0.7 userOp hash of `op` (its signature is not hashed).
pub fn user_op_hash(op: &PackedUserOperation, entry_point: Address, chain_id: u64) -> B256 {
    let inner = (
        op.sender,
        op.nonce,
        keccak256(&op.initCode),
        keccak256(&op.callData),
        op.accountGasLimits,
        op.preVerificationGas,
        op.gasFees,
        keccak256(&op.paymasterAndData),
    )
        .abi_encode();
    keccak256((keccak256(inner), entry_point, U256::from(chain_id)).abi_encode())
}

/// `keccak256(keccak256(abi.encode(userOpHash, uint256 lower, uint256 upper)))`: the Merkle leaf of
/// a userOp that is not short-encoded.
pub fn mee_user_op_hash(user_op_hash: B256, lower: u64, upper: u64) -> B256 {
    let inner = keccak256((user_op_hash, U256::from(lower), U256::from(upper)).abi_encode());
    keccak256(inner)
}

/// The leaf of a quote userOp: the bare userOp hash when short-encoded (session ops, validated
/// through `validateSignatureWithData`), else the MEE userOp hash.
pub fn leaf(short_encoding: bool, user_op_hash: B256, mee_user_op_hash: B256) -> B256 {
    if short_encoding { user_op_hash } else { mee_user_op_hash }
}

fn hash_pair(a: B256, b: B256) -> B256 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(lo.as_slice());
    buf[32..].copy_from_slice(hi.as_slice());
    keccak256(buf)
}

/// A supertransaction Merkle tree: `OpenZeppelin`'s `SimpleMerkleTree.of(leaves, {sortLeaves: true})`,
/// leaves taken as they are (not hashed again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StxTree {
    /// The complete-binary-tree array: `tree[0]` is the root.
    nodes: Vec<B256>,
    /// For each input index, its position in `nodes`.
    positions: Vec<usize>,
}

impl StxTree {
    /// Builds the tree over `leaves` (input order). `None` for no leaves.
    pub fn new(leaves: &[B256]) -> Option<Self> {
        let n = leaves.len();
        if n == 0 {
            return None;
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|a, b| leaves[*a].cmp(&leaves[*b]));
        let len = 2 * n - 1;
        let mut nodes = vec![B256::ZERO; len];
        let mut positions = vec![0; n];
        for (sorted_index, input_index) in order.iter().enumerate() {
            let at = len - 1 - sorted_index;
            nodes[at] = leaves[*input_index];
            positions[*input_index] = at;
        }
        for k in (0..len - n).rev() {
            nodes[k] = hash_pair(nodes[2 * k + 1], nodes[2 * k + 2]);
        }
        Some(Self { nodes, positions })
    }

    /// The root (`tree[0]`): the supertransaction hash the quote's signature signs.
    pub fn root(&self) -> B256 {
        self.nodes[0]
    }

    /// The proof of the leaf at input index `i` (`None` when out of range).
    pub fn proof(&self, i: usize) -> Option<Vec<B256>> {
        let mut at = *self.positions.get(i)?;
        let mut proof = Vec::new();
        while at > 0 {
            let sibling = if at % 2 == 1 { at + 1 } else { at - 1 };
            proof.push(self.nodes[sibling]);
            at = (at - 1) / 2;
        }
        Some(proof)
    }
}

/// Checks a proof the way the on-chain validator does (commutative pair hashing).
pub fn verify_proof(proof: &[B256], root: B256, leaf: B256) -> bool {
    proof.iter().fold(leaf, |h, p| hash_pair(h, *p)) == root
}
