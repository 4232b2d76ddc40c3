//! What an account trusts in the ERC-7484 registry: its attesters and its threshold, and the
//! attester list in the form the registry accepts.
//!
//! The reference registry (rhinestonewtf/registry, deployed at
//! `0x000000000069E2a187AEFFb852bF3cCdC95151B2`) has a getter for the attesters
//! (`findTrustedAttesters`) but none for the threshold, and its `NewTrustedAttesters(account)`
//! event carries neither. The threshold is therefore read from its **storage**:
//!
//! - `src/core/TrustManager.sol`: `mapping(address account => TrustedAttesterRecord)
//!   internal $accountToAttester;`
//! - `src/DataTypes.sol`: `struct TrustedAttesterRecord { uint8 attesterCount; uint8 threshold;
//!   address attester; mapping(address attester => mapping(address account => address))
//!   linkedAttesters; }`: the first three pack into one word, `attesterCount` in its lowest
//!   byte, `threshold` in the next, the first attester above them.
//! - the slot index: `Registry is IRegistry, SignedAttestation`, `SignedAttestation is
//!   IRegistry, Attestation, EIP712` (solady's, no storage), `Attestation is IRegistry,
//!   AttestationManager`, `AttestationManager is IRegistry, ModuleManager, SchemaManager,
//!   TrustManagerExternalAttesterList`, `ModuleManager is IRegistry, ResolverManager`,
//!   `TrustManagerExternalAttesterList is IRegistry, TrustManager`. Solidity's C3 order lays
//!   out `ResolverManager.$resolvers` (slot 0), `ModuleManager.$moduleAddrToRecords` (1),
//!   `SchemaManager.schemas` (2), `TrustManager.$accountToAttester` (**3**),
//!   `AttestationManager.$moduleToAttesterToAttestations` (4), `SignedAttestation.attesterNonce`
//!   (5).
//!
//! So the record of `account` is at `keccak256(pad32(account) ‖ pad32(3))`
//! ([`trust_record_slot`]). This layout is derived from the published source, not checked on
//! the deployed bytecode here (no package ships it); the devnet's registry is a double of our
//! own with the same layout (`crates/devnet/contracts/Devnet.sol`), so the read is tested there.
//! The record's count is checked against the getter's list ([`AccountTrust`] is only returned
//! when they agree), which catches a registry with another layout.

use crate::ClientError;
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_provider::Provider;
use alloy_rpc_client::BatchRequest;
use alloy_rpc_types_eth::BlockId;
use alloy_sol_types::SolCall;
use smart_sessions_bindings::common::registry::Registry::{self, findTrustedAttestersCall};

/// The storage slot of the reference registry's `$accountToAttester` mapping (see the module
/// documentation for the derivation).
pub const ACCOUNT_TO_ATTESTER_SLOT: u64 = 3;

/// Which attesters an account trusts in the ERC-7484 registry and how many must agree: what
/// SmartSession's registry checks use ([`account_trust`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountTrust {
    /// `findTrustedAttesters(account)` (empty: the account trusts no one).
    pub attesters: Vec<Address>,
    /// How many of them must have attested a module, from the registry's storage (0 for an
    /// account that trusts no one; with 0 every registry check fails with
    /// `NoTrustedAttestersFound`).
    pub threshold: u8,
}

/// The storage slot of `account`'s `TrustedAttesterRecord` word (count, threshold, first
/// attester) in the reference registry: `keccak256(pad32(account) ‖ pad32(3))`.
pub fn trust_record_slot(account: Address) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(account.into_word().as_slice());
    preimage[32..].copy_from_slice(&U256::from(ACCOUNT_TO_ATTESTER_SLOT).to_be_bytes::<32>());
    keccak256(preimage)
}

/// The three fields packed in a `TrustedAttesterRecord` word: `(attesterCount, threshold,
/// first attester)`.
pub fn decode_trust_record(word: B256) -> (u8, u8, Address) {
    (word[31], word[30], Address::from_slice(&word[10..30]))
}

/// Reads `account`'s trusted attesters and threshold from `registry` in one JSON-RPC batch
/// (`eth_call` of `findTrustedAttesters` and `eth_getStorageAt` of [`trust_record_slot`]).
/// The record's count and first attester must agree with the getter's list: otherwise the
/// registry does not have the reference layout and a [`ClientError::Inconsistent`] says so.
///
/// ```no_run
/// # async fn f(p: impl alloy_provider::Provider) -> Result<(), smart_sessions_client::ClientError> {
/// use smart_sessions_client::{REGISTRY, account_trust};
/// let account = alloy_primitives::Address::repeat_byte(1);
/// let t = account_trust(&p, REGISTRY, account).await?;
/// println!("{} attesters, threshold {}", t.attesters.len(), t.threshold);
/// # Ok(()) }
/// ```
pub async fn account_trust<P: Provider>(
    provider: &P,
    registry: Address,
    account: Address,
) -> Result<AccountTrust, ClientError> {
    let fail = |step| move |e| ClientError::node(step, e);
    let mut batch = BatchRequest::new(provider.client());
    let contract = Registry::new(registry, provider);
    let attesters = crate::contract::add_call(&mut batch, contract.findTrustedAttesters(account))
        .map_err(fail("findTrustedAttesters"))?;
    let slot = U256::from_be_bytes(trust_record_slot(account).0);
    let word = batch
        .add_call::<_, B256>("eth_getStorageAt", &(registry, slot, BlockId::latest()))
        .map_err(fail("registry trust record"))?;
    batch.send().await.map_err(fail("registry trust batch"))?;
    let raw = attesters.await.map_err(fail("findTrustedAttesters"))?;
    let attesters = findTrustedAttestersCall::abi_decode_returns(&raw)
        .map_err(|source| ClientError::Decode { step: "findTrustedAttesters", source })?;
    let (count, threshold, first) =
        decode_trust_record(word.await.map_err(fail("registry trust record"))?);
    if usize::from(count) != attesters.len() || attesters.first().is_some_and(|a| *a != first) {
        return Err(ClientError::Inconsistent {
            step: "registry trust record",
            what: crate::error::Inconsistency::TrustRecordMismatch {
                registry,
                slot,
                count,
                first,
                attesters: attesters.len(),
            },
        });
    }
    Ok(AccountTrust { attesters, threshold })
}

/// Why an attester list cannot be passed to `trustAttesters`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustInputError {
    /// No attesters, or more than 255 (the reference's `InvalidTrustedAttesterInput`).
    #[error("attesters: {count} given, the registry takes 1 to 255")]
    Count {
        /// How many attesters the list holds.
        count: usize,
    },
    /// The zero address (the reference's `InvalidTrustedAttesterInput`).
    #[error("attesters: the zero address cannot be an attester")]
    ZeroAttester,
    /// The same attester twice (the reference's `InvalidTrustedAttesterInput`).
    #[error("attesters: {attester} is given twice")]
    Duplicate {
        /// The attester address that appears more than once in the list.
        attester: Address,
    },
    /// A threshold above the number of attesters (the reference's `InvalidThreshold`), or 0
    /// (accepted by the registry, after which every check fails with
    /// `NoTrustedAttestersFound`).
    #[error("threshold {threshold}: must be between 1 and the number of attesters ({count})")]
    Threshold {
        /// The threshold passed with the list.
        threshold: u8,
        /// How many attesters the list holds (the most the threshold may be).
        count: usize,
    },
}

/// The attesters in the form the reference registry's `trustAttesters` accepts (strictly
/// ascending: it reverts with `InvalidTrustedAttesterInput` on an unsorted list), checked with
/// the threshold against the registry's rules before anything is signed.
///
/// ```
/// use alloy_primitives::Address;
/// use smart_sessions_client::trust_input;
/// let (a, b) = (Address::repeat_byte(2), Address::repeat_byte(1));
/// assert_eq!(trust_input(&[a, b], 1).unwrap(), vec![b, a]);
/// assert!(trust_input(&[a, a], 1).is_err());
/// ```
pub fn trust_input(attesters: &[Address], threshold: u8) -> Result<Vec<Address>, TrustInputError> {
    let mut sorted = attesters.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() || sorted.len() > usize::from(u8::MAX) {
        return Err(TrustInputError::Count { count: sorted.len() });
    }
    if sorted[0].is_zero() {
        return Err(TrustInputError::ZeroAttester);
    }
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(TrustInputError::Duplicate { attester: w[0] });
    }
    if threshold == 0 || usize::from(threshold) > sorted.len() {
        return Err(TrustInputError::Threshold { threshold, count: sorted.len() });
    }
    Ok(sorted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    #[test]
    fn the_record_slot_is_keccak_of_the_account_and_3() {
        // keccak256(abi.encode(address(1), uint256(3))), computed with viem 2's
        // keccak256(encodeAbiParameters([{type:'address'},{type:'uint256'}], [0x…01, 3n]))
        let acct = address!("0x0000000000000000000000000000000000000001");
        assert_eq!(
            trust_record_slot(acct),
            b256!("0xa15bc60c955c405d20d9149c709e2460f1c2d9a497496a7f46004d1772c3054c")
        );
    }

    #[test]
    fn the_record_word_unpacks_count_threshold_and_first_attester() {
        // Solidity packs from the low-order end: attesterCount (byte 31), threshold (30),
        // attester (bytes 10..30)
        let w = b256!("0x00000000000000000000a4c777199658a41688e9488c4ecbd7a2925cc23a0102");
        assert_eq!(
            decode_trust_record(w),
            (2, 1, address!("0xA4C777199658a41688E9488c4EcbD7a2925Cc23A"))
        );
    }

    #[test]
    fn trust_input_follows_the_registry_rules() {
        let (a, b) = (Address::repeat_byte(9), Address::repeat_byte(3));
        assert_eq!(trust_input(&[a, b], 2).unwrap(), vec![b, a]);
        assert_eq!(trust_input(&[], 1), Err(TrustInputError::Count { count: 0 }));
        assert_eq!(trust_input(&[Address::ZERO, a], 1), Err(TrustInputError::ZeroAttester));
        assert_eq!(trust_input(&[a, b, a], 1), Err(TrustInputError::Duplicate { attester: a }));
        assert_eq!(
            trust_input(&[a, b], 3),
            Err(TrustInputError::Threshold { threshold: 3, count: 2 })
        );
        assert_eq!(
            trust_input(&[a], 0),
            Err(TrustInputError::Threshold { threshold: 0, count: 1 })
        );
    }
}
