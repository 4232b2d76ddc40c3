//! What an account trusts in the ERC-7484 registry: its attesters and its threshold.
//!
//! The registry has a getter for the attesters (`findTrustedAttesters`) but none for the
//! threshold, and its `NewTrustedAttesters(account)` event carries neither. The threshold is
//! therefore read from the registry's **storage**, for a layout named by [`RegistryLayout`]:
//! only the devnet's registry (our own `Registry` in `crates/devnet/contracts/Devnet.sol`) has a
//! layout this crate knows; for the reference ERC-7484 registry the threshold is reported as
//! unknown (`None`) rather than read from a guessed slot.

use crate::ClientError;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_provider::Provider;
use alloy_rpc_client::BatchRequest;
use alloy_rpc_types_eth::{BlockId, TransactionRequest};
use alloy_sol_types::SolCall;
use smart_sessions_bindings::common::registry::Registry::findTrustedAttestersCall;

/// Where a registry keeps an account's threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistryLayout {
    /// The devnet's registry (**our own stand-in**): `mapping(address account => Trust{uint8
    /// threshold; address[] attesters})` at slot 0, the threshold in the low byte of the
    /// struct's first word (`keccak256(pad32(account) ‖ pad32(0))`).
    DevnetStandIn,
    /// The reference ERC-7484 registry: its storage layout is not in this project's spec, so
    /// the threshold is not read ([`AccountTrust::threshold`] is `None`).
    Erc7484Reference,
}

/// An account's trust in the registry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountTrust {
    /// `findTrustedAttesters(account)`.
    pub attesters: Vec<Address>,
    /// How many of them must have attested a module (`None`: not readable for this
    /// [`RegistryLayout`]).
    pub threshold: Option<u8>,
}

/// The storage slot of `account`'s threshold in `layout` (`None`: not known).
pub fn threshold_slot(layout: RegistryLayout, account: Address) -> Option<B256> {
    match layout {
        RegistryLayout::DevnetStandIn => {
            let mut preimage = [0u8; 64];
            preimage[..32].copy_from_slice(account.into_word().as_slice());
            Some(keccak256(preimage))
        }
        RegistryLayout::Erc7484Reference => None,
    }
}

/// Reads `account`'s trusted attesters and (where `layout` allows) threshold from `registry`,
/// in one JSON-RPC batch (`eth_call` and `eth_getStorageAt`). An account that trusts no one
/// has no attesters and, in the devnet's layout, threshold 0.
///
/// ```no_run
/// # async fn f(p: impl alloy_provider::Provider) -> Result<(), smart_sessions_client::ClientError> {
/// use smart_sessions_client::{REGISTRY, RegistryLayout, account_trust};
/// let account = alloy_primitives::Address::repeat_byte(1);
/// let t = account_trust(&p, REGISTRY, account, RegistryLayout::DevnetStandIn).await?;
/// println!("{} attesters, threshold {:?}", t.attesters.len(), t.threshold);
/// # Ok(()) }
/// ```
pub async fn account_trust<P: Provider>(
    provider: &P,
    registry: Address,
    account: Address,
    layout: RegistryLayout,
) -> Result<AccountTrust, ClientError> {
    let fail = |step| move |e| ClientError::node(step, e);
    let mut batch = BatchRequest::new(provider.client());
    let data = Bytes::from(findTrustedAttestersCall { smartAccount: account }.abi_encode());
    let tx = TransactionRequest::default().to(registry).input(data.into());
    let attesters = batch
        .add_call::<_, Bytes>("eth_call", &(tx, BlockId::latest()))
        .map_err(fail("findTrustedAttesters"))?;
    let threshold = threshold_slot(layout, account)
        .map(|slot| {
            batch.add_call::<_, B256>(
                "eth_getStorageAt",
                &(registry, U256::from_be_bytes(slot.0), BlockId::latest()),
            )
        })
        .transpose()
        .map_err(fail("registry threshold"))?;
    batch.send().await.map_err(fail("registry trust batch"))?;
    let raw = attesters.await.map_err(fail("findTrustedAttesters"))?;
    let attesters = findTrustedAttestersCall::abi_decode_returns(&raw)
        .map_err(|source| ClientError::Decode { step: "findTrustedAttesters", source })?;
    let threshold = match threshold {
        Some(w) => Some(w.await.map_err(fail("registry threshold"))?[31]),
        None => None,
    };
    Ok(AccountTrust { attesters, threshold })
}
