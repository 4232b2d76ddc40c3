//! `isPermissionEnabled` / `checkEnabledPermissions`: the `eth_call`s to make and the SDK's
//! folding of their answers into `{permissionId: {chainId: bool}}`.

use crate::{MeeError, Result, SessionDetails};
use alloy_primitives::{Address, B256};
use alloy_sol_types::SolCall;
use serde_json::{Map, Value};
// `SmartSession.isPermissionEnabled(bytes32, address)` (`0xadbc532f`): the same ABI in every
// generation.
use smart_sessions_bindings::current::smart_session::isPermissionEnabledCall;
use smart_sessions_codec::Generation;

/// One `eth_call` of `checkEnabledPermissions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionCheck {
    /// The chain (`sessionToEnable.chainId`).
    pub chain_id: u64,
    /// The permission id asked about (the entry's `permission_id`).
    pub permission_id: B256,
    /// `to`: the generation's `SmartSessions` module.
    pub to: Address,
    /// The `isPermissionEnabled(permissionId, account)` calldata to `eth_call` with.
    pub data: Vec<u8>,
}

/// Calldata of `isPermissionEnabled(permissionId, account)`.
pub fn is_permission_enabled_calldata(permission_id: B256, account: Address) -> Vec<u8> {
    isPermissionEnabledCall { permissionId: permission_id, account }.abi_encode()
}

/// Decodes the answer to [`is_permission_enabled_calldata`]'s call: whether the permission is
/// enabled for the account.
pub fn decode_is_permission_enabled(ret: &[u8]) -> Result<bool> {
    isPermissionEnabledCall::abi_decode_returns(ret)
        .map_err(|_| MeeError::field("isPermissionEnabled return", "expected an ABI bool"))
}

/// The calls `checkEnabledPermissions(sessionDetails)` makes; `account(chain)` gives the
/// account address on each chain.
pub fn permission_checks(
    generation: Generation,
    details: &[SessionDetails],
    account: impl Fn(u64) -> Option<Address>,
) -> Result<Vec<PermissionCheck>> {
    details
        .iter()
        .map(|d| {
            let chain_id = d.chain_id();
            let acct = account(chain_id).ok_or(MeeError::NoDeployment { chain_id })?;
            Ok(PermissionCheck {
                chain_id,
                permission_id: d.permission_id,
                to: generation.smart_session(),
                data: is_permission_enabled_calldata(d.permission_id, acct),
            })
        })
        .collect()
}

/// Folds `(permissionId, chainId, enabled)` answers as the SDK does: `{permissionId: {chainId:
/// bool}}`, where a permission id seen on several chains keeps **only the last chain written**
/// (the SDK's quirk; ids differ per chain in its grants, so this rarely matters).
pub fn fold_enabled(results: impl IntoIterator<Item = (B256, u64, bool)>) -> Map<String, Value> {
    let mut out = Map::new();
    for (pid, chain, enabled) in results {
        let mut inner = Map::new();
        inner.insert(chain.to_string(), Value::Bool(enabled));
        out.insert(pid.to_string(), Value::Object(inner));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_and_fold() {
        let data = is_permission_enabled_calldata(B256::ZERO, Address::ZERO);
        assert_eq!(&data[..4], &[0xad, 0xbc, 0x53, 0x2f]);
        let mut word = [0u8; 32];
        word[31] = 1;
        assert!(decode_is_permission_enabled(&word).unwrap());
        let p = B256::repeat_byte(1);
        let m = fold_enabled([(p, 8453, true), (p, 10, false)]);
        assert_eq!(Value::Object(m), serde_json::json!({p.to_string(): {"10": false}}));
    }
}
