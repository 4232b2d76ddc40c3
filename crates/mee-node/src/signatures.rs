//! The per-userOp signatures the node assembles from the one quote signature (MEE < 2.2.1).

use alloy_primitives::{B256, Bytes};
use alloy_sol_types::SolValue;

/// The simple-mode signature type prefix `0x177eee00` that every userOp signature the node
/// builds starts with.
pub const SIG_TYPE_SIMPLE: [u8; 4] = [0x17, 0x7e, 0xee, 0x00];

fn prefixed(encoded: Vec<u8>) -> Bytes {
    let mut out = Vec::with_capacity(4 + encoded.len());
    out.extend_from_slice(&SIG_TYPE_SIMPLE);
    out.extend_from_slice(&encoded);
    out.into()
}

/// An owner userOp's signature: `0x177eee00 ‖ abi.encode(bytes32 stxHash, uint48 lower, uint48
/// upper, bytes32[] proof, bytes sig)`; the validator checks the MEE userOp hash leaf.
pub fn simple_mode(stx_hash: B256, lower: u64, upper: u64, proof: &[B256], sig: &[u8]) -> Bytes {
    use alloy_primitives::aliases::U48;
    let lower = U48::saturating_from(lower);
    let upper = U48::saturating_from(upper);
    prefixed(
        (stx_hash, lower, upper, proof.to_vec(), Bytes::copy_from_slice(sig)).abi_encode_params(),
    )
}

/// The short simple encoding for `validateSignatureWithData` (session validator):
/// `0x177eee00 ‖ abi.encode(bytes32 stxHash, bytes32[] proof, bytes sig)`; the leaf is the hash
/// SmartSession passes (the userOp hash).
pub fn short_mode(stx_hash: B256, proof: &[B256], sig: &[u8]) -> Bytes {
    prefixed((stx_hash, proof.to_vec(), Bytes::copy_from_slice(sig)).abi_encode_params())
}
