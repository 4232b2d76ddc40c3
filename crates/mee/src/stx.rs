//! The supertransaction hash (`quote.hash`): the sorted-leaves Merkle root over the quote's
//! userOps, `leaf_i = shortEncoding ? userOpHash : meeUserOpHash`.

use crate::merkle::StxMerkleTree;
use alloy_primitives::B256;

/// The hashes of one quote userOp that enter the supertransaction tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StxEntry {
    /// The userOp's ERC-4337 v0.7 `userOpHash` (the leaf when `short_encoding`).
    pub user_op_hash: B256,
    /// MEE userOp hash (with the timestamps).
    pub mee_user_op_hash: B256,
    /// Session userOps use the bare userOpHash as their leaf.
    pub short_encoding: bool,
}

impl StxEntry {
    /// This userOp's leaf in the supertransaction tree: `userOpHash` when `short_encoding`,
    /// else `meeUserOpHash`.
    #[inline]
    pub const fn leaf(&self) -> B256 {
        if self.short_encoding { self.user_op_hash } else { self.mee_user_op_hash }
    }
}

/// The supertransaction tree of `entries` (`None` when empty).
///
/// ```
/// use alloy_primitives::B256;
/// use smart_sessions_mee::stx::{supertransaction_tree, StxEntry};
/// let e = StxEntry { user_op_hash: B256::repeat_byte(1), mee_user_op_hash: B256::repeat_byte(2), short_encoding: true };
/// assert_eq!(supertransaction_tree(&[e]).unwrap().root(), B256::repeat_byte(1));
/// ```
pub fn supertransaction_tree(entries: &[StxEntry]) -> Option<StxMerkleTree> {
    let leaves: Vec<B256> = entries.iter().map(StxEntry::leaf).collect();
    StxMerkleTree::new(&leaves)
}

/// The supertransaction hash (root only, no heap allocation up to 32 userOps).
pub fn supertransaction_hash(entries: &[StxEntry]) -> Option<B256> {
    crate::merkle::root(entries.iter().map(StxEntry::leaf))
}
