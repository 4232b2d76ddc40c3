//! Reading SmartSession v1.0's `ERC20SpendingLimitPolicy` state from storage.
//!
//! The v1.0 policy (spec/v1.md) keeps its state internal and has **no getter**; a client reads
//! the two storage words of each `(configId, multiplexer, token, account)` with
//! `eth_getStorageAt` and hands them to [`token_spend`] / [`policy_state`]. The layout:
//!
//! - slot 0: `mapping(ConfigId => mapping(address multiplexer => EnumerableSet.AddressSet))
//!   $tokens` (the ERC-4337-friendly set keyed by account). Not read: the tokens come from the
//!   session's init data, and a token outside it has limit 0 after any re-initialisation (the
//!   policy clears the previous tokens' data);
//! - slot 1: `mapping(ConfigId => mapping(address multiplexer => mapping(address token =>
//!   mapping(address account => TokenPolicyData{uint256 alreadySpent; uint256 spendingLimit}))))
//!   $policyData`. The struct sits at
//!   `keccak(account . keccak(token . keccak(multiplexer . keccak(configId . 1))))` (each `.` the
//!   32-byte left-padded key followed by the 32-byte slot, Solidity's mapping layout),
//!   `alreadySpent` there and `spendingLimit` at the next slot.
//!
//! The multiplexer is the SmartSession contract that configured the policy (`msg.sender` of
//! `initializeWithMultiplexer`); the account is the smart account.
//!
//! ```
//! use alloy_primitives::{address, b256, B256, U256};
//! use smart_sessions_policy::eval::v1_storage;
//!
//! let slots = v1_storage::token_slots(
//!     B256::repeat_byte(0x11),                                    // configId
//!     address!("0x00000000002B0eCfbD0496EE71e01257dA0E37DE"), // multiplexer (v1.0 SmartSession)
//!     address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"), // token
//!     address!("0x1111111111111111111111111111111111111111"), // account
//! );
//! // the client reads `slots.already_spent` and `slots.spending_limit` of the policy contract
//! let spend = v1_storage::token_spend(
//!     B256::from(U256::from(123)),
//!     B256::from(U256::from(1000)),
//! );
//! assert_eq!(spend.remaining(), U256::from(877));
//! ```

use super::{
    Unchecked, UncheckedReason,
    erc20::{Erc20SpendingLimitPolicy, SpendingModel, TokenSpend},
};
use alloy_primitives::{Address, B256, U256, keccak256};
use smart_sessions_codec::PolicyKind;

/// Storage slot of the `$tokens` mapping (not read by this crate; see the module docs).
pub const TOKENS_SLOT: u64 = 0;
/// Storage slot of the `$policyData` mapping.
pub const POLICY_DATA_SLOT: u64 = 1;

/// The two storage slots of one token's `TokenPolicyData`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenSlots {
    /// Slot of `alreadySpent`.
    pub already_spent: B256,
    /// Slot of `spendingLimit` (`already_spent + 1`).
    pub spending_limit: B256,
}

/// `keccak(pad32(key) ‖ slot)`: the slot of `key` in the mapping at `slot`.
fn mapping_slot(key: B256, slot: B256) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(key.as_slice());
    preimage[32..].copy_from_slice(slot.as_slice());
    keccak256(preimage)
}

/// The storage slots to read (with `eth_getStorageAt` on the policy contract) for the state of
/// `token` under `(config_id, multiplexer, account)`.
pub fn token_slots(
    config_id: B256,
    multiplexer: Address,
    token: Address,
    account: Address,
) -> TokenSlots {
    let root = B256::from(U256::from(POLICY_DATA_SLOT));
    let by_id = mapping_slot(config_id, root);
    let by_multiplexer = mapping_slot(multiplexer.into_word(), by_id);
    let by_token = mapping_slot(token.into_word(), by_multiplexer);
    let base = mapping_slot(account.into_word(), by_token);
    let next = U256::from_be_bytes(base.0).wrapping_add(U256::from(1));
    TokenSlots { already_spent: base, spending_limit: B256::from(next) }
}

/// One token's state from the two words read at [`token_slots`]. v1.0 counts approvals as
/// spent, so `approved` is 0.
pub fn token_spend(already_spent: B256, spending_limit: B256) -> TokenSpend {
    TokenSpend {
        limit: U256::from_be_bytes(spending_limit.0),
        spent: U256::from_be_bytes(already_spent.0),
        approved: U256::ZERO,
    }
}

/// The whole policy state for the tokens of `init` (the state after
/// `initializeWithMultiplexer`, e.g. from [`Erc20SpendingLimitPolicy::initialize_with`]) with
/// the words `read(token)` returns: `Some((alreadySpent, spendingLimit))`, or `None` when the
/// client could not read them. Any token unread gives [`Unchecked`] (reason
/// [`UncheckedReason::StateUnavailable`]), never a failure: the chain still enforces the limit.
pub fn policy_state(
    init: &Erc20SpendingLimitPolicy,
    mut read: impl FnMut(Address) -> Option<(B256, B256)>,
) -> Result<Erc20SpendingLimitPolicy, Unchecked> {
    let mut out =
        Erc20SpendingLimitPolicy { tokens: init.tokens.clone(), model: SpendingModel::V1 };
    for (token, spend) in &mut out.tokens {
        let (spent, limit) = read(*token).ok_or(Unchecked {
            policy: PolicyKind::SpendingLimits,
            reason: UncheckedReason::StateUnavailable,
        })?;
        *spend = token_spend(spent, limit);
    }
    Ok(out)
}
