//! The per-userOp signatures a node builds from the one signature over a supertransaction
//! (mee-contracts `SimpleValidatorLib`), and the SmartSession wrapping of session userOps. A Rust
//! node (or a test node) needs them; a client needs them to check what a node will submit.

use crate::{Result, SessionDetails, session::to_legacy};
use alloy_primitives::{B256, Bytes, U256};
use alloy_sol_types::SolValue;
use smart_sessions_codec::{
    AccountType, AnyEnableSession, EnableMode, EnableSession, Generation, SmartSessionMode,
    encode_enable, encode_use, legacy,
};

/// The simple-mode signature type prefix `0x177eee00`.
pub const SIG_TYPE_SIMPLE: [u8; 4] = [0x17, 0x7e, 0xee, 0x00];

fn prefixed(body: Vec<u8>) -> Bytes {
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&SIG_TYPE_SIMPLE);
    out.extend_from_slice(&body);
    out.into()
}

/// Owner userOp signature, MEE < 2.2.1:
/// `0x177eee00 ‖ abi.encode(stxHash, uint48 lower, uint48 upper, bytes32[] proof, bytes sig)`.
pub fn simple_mode_signature(
    stx_hash: B256,
    lower: u64,
    upper: u64,
    proof: &[B256],
    signature: &[u8],
) -> Bytes {
    let body = (
        stx_hash,
        U256::from(lower),
        U256::from(upper),
        proof.to_vec(),
        Bytes::copy_from_slice(signature),
    )
        .abi_encode_params();
    prefixed(body)
}

/// Session validator signature (short encoding, what `validateSignatureWithData` checks):
/// `0x177eee00 ‖ abi.encode(stxHash, bytes32[] proof, bytes sig)`.
///
/// The signature of userOp 1 of a three-userOp supertransaction carries the signed root and a
/// proof that takes userOp 1's leaf to it:
///
/// ```
/// use alloy_primitives::{B256, Bytes};
/// use alloy_sol_types::SolValue;
/// use smart_sessions_mee::{
///     merkle::process_proof,
///     stx::{supertransaction_tree, StxEntry},
///     stx_signature::{simple_mode_signature_short, SIG_TYPE_SIMPLE},
/// };
/// let entries: Vec<StxEntry> = (1..=3u8)
///     .map(|i| StxEntry {
///         user_op_hash: B256::repeat_byte(i),
///         mee_user_op_hash: B256::repeat_byte(0x10 + i),
///         short_encoding: true,
///     })
///     .collect();
/// let tree = supertransaction_tree(&entries).unwrap();
/// let owner_signature = [0x1b; 65]; // the one signature over the root
/// let sig = simple_mode_signature_short(tree.root(), &tree.proof(1).unwrap(), &owner_signature);
///
/// assert_eq!(sig[..4], SIG_TYPE_SIMPLE);
/// let (root, proof, inner) = <(B256, Vec<B256>, Bytes)>::abi_decode_params(&sig[4..])?;
/// assert_eq!(root, tree.root());
/// assert_eq!(process_proof(entries[1].leaf(), &proof), root);
/// assert_eq!(inner.as_ref(), owner_signature.as_slice());
/// # Ok::<(), alloy_sol_types::Error>(())
/// ```
pub fn simple_mode_signature_short(stx_hash: B256, proof: &[B256], signature: &[u8]) -> Bytes {
    prefixed((stx_hash, proof.to_vec(), Bytes::copy_from_slice(signature)).abi_encode_params())
}

/// MEE ≥ 2.2.1 per-userOp layout: `0x177eee00 ‖ abi.encode(bytes32 outerTypeHash, uint256
/// itemIndex, bytes32[] itemHashes, bytes sig, uint256 lower<<128|upper)`.
pub fn simple_mode_signature_712(
    typehash: B256,
    item_index: u64,
    item_hashes: &[B256],
    signature: &[u8],
    lower: u64,
    upper: u64,
) -> Bytes {
    let bounds = (U256::from(lower) << 128) | U256::from(upper);
    prefixed(
        (
            typehash,
            U256::from(item_index),
            item_hashes.to_vec(),
            Bytes::copy_from_slice(signature),
            bounds,
        )
            .abi_encode_params(),
    )
}

/// A session userOp's `signature`: module-sdk `encodeSmartSessionSignature` of the entry with
/// the session validator's signature `stx_signature` (e.g. [`simple_mode_signature_short`]).
///
/// USE: `0x00 ‖ permissionId ‖ stx_signature`. UNSAFE_ENABLE: `0x02 ‖ flzCompress(abi.encode(
/// EnableSession{…, permissionEnableSig = validator ‖ ownerSig}, stx_signature))`. The mock
/// `signature` of the entry is not used.
pub fn session_user_op_signature(
    generation: Generation,
    details: &SessionDetails,
    stx_signature: &[u8],
) -> Result<Bytes> {
    Ok(match details.mode {
        SmartSessionMode::Use => {
            encode_use(generation, details.permission_id, stx_signature).into()
        }
        m @ (SmartSessionMode::Enable | SmartSessionMode::UnsafeEnable) => {
            let mode = if m == SmartSessionMode::Enable {
                EnableMode::Enable
            } else {
                EnableMode::UnsafeEnable
            };
            let permission_enable_sig = AccountType::Nexus
                .format_permission_enable_sig(details.validator, &details.permission_enable_sig);
            let enable = if generation.is_legacy() {
                AnyEnableSession::Legacy(legacy::EnableSession {
                    chainDigestIndex: details.chain_digest_index,
                    hashesAndChainIds: details.hashes_and_chain_ids.clone(),
                    sessionToEnable: to_legacy(&details.session_to_enable.session)?,
                    permissionEnableSig: permission_enable_sig,
                })
            } else {
                AnyEnableSession::Current(EnableSession {
                    chainDigestIndex: details.chain_digest_index,
                    hashesAndChainIds: details.hashes_and_chain_ids.clone(),
                    sessionToEnable: details.session_to_enable.session.clone(),
                    permissionEnableSig: permission_enable_sig,
                })
            };
            encode_enable(generation, mode, &enable, stx_signature)?.into()
        }
    })
}
