//! Quote signing through [`alloy_signer::Signer`]: MEE < 2.2.1 `personal_sign`s the root,
//! MEE ≥ 2.2.1 signs the EIP-712 `SuperTx` with `sign_typed_data` (so hardware signers that
//! refuse raw hashes work). The result is prefixed with `0x177eee00`.

use crate::{MeeError, MeeVersion, Result, VerifiedQuote, stx_signature::SIG_TYPE_SIMPLE};
use alloy_primitives::{B256, Bytes, U256};
use alloy_signer::{Signature, Signer, SignerSync};
use alloy_sol_types::{Eip712Domain, sol};

sol! {
    /// One entry of the signed supertransaction (≥ 2.2.1).
    #[derive(Debug, PartialEq, Eq)]
    struct MeeUserOp { bytes32 userOpHash; uint256 lowerBoundTimestamp; uint256 upperBoundTimestamp; }
    /// The EIP-712 primary type of ≥ 2.2.1 quote signatures.
    #[derive(Debug, PartialEq, Eq)]
    struct SuperTx { MeeUserOp[] meeUserOps; }
}

/// The ≥ 2.2.1 domain: `{name}` only (the account's `eip712Domain().name`, "Nexus").
pub fn super_tx_domain(name: &str) -> Eip712Domain {
    Eip712Domain::new(Some(name.to_owned().into()), None, None, None, None)
}

/// The `SuperTx` of a verified quote: every userOp in order, minus `userOps[0]` when the trusted
/// gas tank pays.
pub fn super_tx(quote: &VerifiedQuote) -> SuperTx {
    let skip = usize::from(quote.trusted_sponsorship());
    SuperTx {
        meeUserOps: quote
            .user_ops()
            .iter()
            .skip(skip)
            .map(|u| MeeUserOp {
                userOpHash: u.user_op_hash,
                lowerBoundTimestamp: U256::from(u.lower_bound_timestamp),
                upperBoundTimestamp: U256::from(u.upper_bound_timestamp),
            })
            .collect(),
    }
}

fn prefix(sig: &Signature) -> Bytes {
    let mut out = Vec::with_capacity(69);
    out.extend_from_slice(&SIG_TYPE_SIMPLE);
    out.extend_from_slice(&sig.as_bytes());
    out.into()
}

/// `0x177eee00 ‖ personal_sign(hash)` (MEE < 2.2.1).
pub async fn sign_stx_hash_personal<S: Signer + Send + Sync>(
    signer: &S,
    hash: B256,
) -> Result<Bytes> {
    signer.sign_message(hash.as_slice()).await.map(|s| prefix(&s)).map_err(MeeError::Signer)
}

/// `0x177eee00 ‖ signTypedData(SuperTx)` (MEE ≥ 2.2.1).
pub async fn sign_super_tx<S: Signer + Send + Sync>(
    signer: &S,
    tx: &SuperTx,
    domain_name: &str,
) -> Result<Bytes> {
    signer
        .sign_typed_data(tx, &super_tx_domain(domain_name))
        .await
        .map(|s| prefix(&s))
        .map_err(MeeError::Signer)
}

/// Signs a verified quote as the SDK's `signQuote` does for `version`; `domain_name` is the
/// account's EIP-712 name (used for ≥ 2.2.1 only).
///
/// ```
/// # async fn f(quote: smart_sessions_mee::VerifiedQuote) -> Result<(), smart_sessions_mee::MeeError> {
/// use alloy_signer_local::PrivateKeySigner;
/// use smart_sessions_mee::{sign::sign_quote, MeeVersion};
/// let redeemer = PrivateKeySigner::random();
/// let signature = sign_quote(&redeemer, &quote, MeeVersion::V2_0_0, "Nexus").await?;
/// assert_eq!(&signature[..4], &[0x17, 0x7e, 0xee, 0x00]);
/// # Ok(()) }
/// ```
pub async fn sign_quote<S: Signer + Send + Sync>(
    signer: &S,
    quote: &VerifiedQuote,
    version: MeeVersion,
    domain_name: &str,
) -> Result<Bytes> {
    if version.signs_eip712() {
        sign_super_tx(signer, &super_tx(quote), domain_name).await
    } else {
        sign_stx_hash_personal(signer, quote.hash()).await
    }
}

/// [`sign_quote`] with a synchronous signer.
pub fn sign_quote_sync<S: SignerSync>(
    signer: &S,
    quote: &VerifiedQuote,
    version: MeeVersion,
    domain_name: &str,
) -> Result<Bytes> {
    let sig = if version.signs_eip712() {
        signer.sign_typed_data_sync(&super_tx(quote), &super_tx_domain(domain_name))
    } else {
        signer.sign_message_sync(quote.hash().as_slice())
    };
    sig.map(|s| prefix(&s)).map_err(MeeError::Signer)
}

/// Synchronous [`sign_stx_hash_personal`].
pub fn sign_stx_hash_personal_sync<S: SignerSync>(signer: &S, hash: B256) -> Result<Bytes> {
    signer.sign_message_sync(hash.as_slice()).map(|s| prefix(&s)).map_err(MeeError::Signer)
}

/// Synchronous [`sign_super_tx`].
pub fn sign_super_tx_sync<S: SignerSync>(
    signer: &S,
    tx: &SuperTx,
    domain_name: &str,
) -> Result<Bytes> {
    signer
        .sign_typed_data_sync(tx, &super_tx_domain(domain_name))
        .map(|s| prefix(&s))
        .map_err(MeeError::Signer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MEE_USER_OP_TYPEHASH, SUPER_TX_TYPEHASH};
    use alloy_primitives::keccak256;
    use alloy_sol_types::SolStruct;

    #[test]
    fn typehashes_are_the_sdks() {
        // the SDK constants of the vector file, against alloy's EIP-712 encoding of our types
        assert_eq!(keccak256(MeeUserOp::eip712_encode_type().as_bytes()), MEE_USER_OP_TYPEHASH);
        assert_eq!(keccak256(SuperTx::eip712_encode_type().as_bytes()), SUPER_TX_TYPEHASH);
        let h = B256::repeat_byte(7);
        let op = MeeUserOp {
            userOpHash: h,
            lowerBoundTimestamp: U256::from(5),
            upperBoundTimestamp: U256::from(9),
        };
        assert_eq!(op.eip712_hash_struct(), crate::mee_user_op_struct_hash(h, 5, 9));
    }
}
