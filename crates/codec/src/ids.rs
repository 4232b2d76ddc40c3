//! Identifier derivations: permission, action and policy ids, and the config ids policies key
//! their state by. All verified on the deployed bytecode (vectors `getPermissionId`,
//! `getActionId`, `configId.*`, `actionPolicyId`, `configIds`).

use alloy_primitives::{Address, B256, FixedBytes, address, b256, fixed_bytes, keccak256};
use alloy_sol_types::{SolType, sol_data};

/// `address(1)`: the action target that marks the fallback action.
pub const FALLBACK_TARGET_FLAG: Address = address!("0x0000000000000000000000000000000000000001");
/// The selector that marks the generic fallback action (`0x00000001`).
pub const FALLBACK_TARGET_SELECTOR_FLAG: FixedBytes<4> = fixed_bytes!("0x00000001");
/// The selector that marks the fallback action allowed to call SmartSession itself (`0x00000002`).
pub const FALLBACK_TARGET_SELECTOR_FLAG_PERMITTED_TO_CALL_SMARTSESSION: FixedBytes<4> =
    fixed_bytes!("0x00000002");
/// `actionId(address(1), 0x00000001)`: policies under this id apply to any call without its own.
pub const FALLBACK_ACTIONID: B256 =
    b256!("0xd884b6afa19f8ace90a388daca691e4e28f20cdac5aeefd46ad8bd1c074d28cf");
/// `actionId(address(1), 0x00000002)`: policies under this id apply to calls to SmartSession.
pub const FALLBACK_ACTIONID_SMARTSESSION_CALL: B256 =
    b256!("0x986126569d6396d837d7adeb3ca726199afaf83546f38726e6f331bb92d8e9d6");
/// The selector used for calls whose calldata is shorter than 4 bytes (plain ETH transfers).
pub const VALUE_SELECTOR: FixedBytes<4> = fixed_bytes!("0xffffffff");

type PermissionIdPreimage = (sol_data::Address, sol_data::Bytes, sol_data::FixedBytes<32>);

/// `permissionId = keccak256(abi.encode(sessionValidator, sessionValidatorInitData, salt))`.
///
/// Only these three fields enter the id: two sessions that differ only in their policies share a
/// permission id, and enabling the second adds its policies to the first.
///
/// ```
/// use alloy_primitives::{address, b256};
/// let id = smart_sessions_codec::permission_id(
///     address!("0x000000000013fdB5234E4E3162a810F54d9f7E98"),
///     &[],
///     b256!("0x0000000000000000000000000000000000000000000000000000000000000005"),
/// );
/// assert_eq!(id, b256!("0x290853ef2cdef0d1c48132c9c53c9eca2ddf5be43e098bc9370a8d79194f5f3a"));
/// ```
pub fn permission_id(session_validator: Address, init_data: &[u8], salt: B256) -> B256 {
    // The preimage has a fixed shape, `word(validator) ‖ word(0x60) ‖ salt ‖ word(len) ‖ data ‖
    // zero padding`; writing it into a stack buffer instead of going through alloy's generic
    // encoder saves an allocation and the tokenizer. The tests prove the bytes equal alloy's
    // `abi_encode_params`, which also serves inputs too long for the buffer.
    const STACK: usize = 512;
    let padded = init_data.len().div_ceil(32) * 32;
    let total = 128 + padded;
    if total > STACK {
        return keccak256(PermissionIdPreimage::abi_encode_params(&(
            session_validator,
            init_data,
            salt,
        )));
    }
    let mut buf = [0u8; STACK];
    buf[12..32].copy_from_slice(session_validator.as_slice());
    buf[63] = 0x60;
    buf[64..96].copy_from_slice(salt.as_slice());
    buf[120..128].copy_from_slice(&(init_data.len() as u64).to_be_bytes());
    buf[128..128 + init_data.len()].copy_from_slice(init_data);
    keccak256(&buf[..total])
}

/// `actionId = keccak256(abi.encodePacked(target, selector))` (24 bytes hashed).
pub fn action_id(target: Address, selector: FixedBytes<4>) -> B256 {
    let mut buf = [0u8; 24];
    buf[..20].copy_from_slice(target.as_slice());
    buf[20..].copy_from_slice(selector.as_slice());
    keccak256(buf)
}

/// The selector SmartSession uses for a call's calldata: its first 4 bytes, or
/// [`VALUE_SELECTOR`] when it is shorter than 4 bytes.
pub fn call_selector(calldata: &[u8]) -> FixedBytes<4> {
    match calldata.first_chunk::<4>() {
        Some(sel) => FixedBytes(*sel),
        None => VALUE_SELECTOR,
    }
}

fn hash_pair(a: &[u8; 32], b: &[u8; 32]) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(a);
    buf[32..].copy_from_slice(b);
    keccak256(buf)
}

fn account_config(account: Address, id: &B256) -> B256 {
    let mut buf = [0u8; 52];
    buf[..20].copy_from_slice(account.as_slice());
    buf[20..].copy_from_slice(id.as_slice());
    keccak256(buf)
}

/// `actionPolicyId = keccak256(abi.encodePacked(permissionId, actionId))`.
pub fn action_policy_id(permission_id: B256, action_id: B256) -> B256 {
    hash_pair(&permission_id.0, &action_id.0)
}

/// `erc1271PolicyId = keccak256(abi.encodePacked("ERC1271: ", permissionId))`.
pub fn erc1271_policy_id(permission_id: B256) -> B256 {
    let mut buf = [0u8; 41];
    buf[..9].copy_from_slice(b"ERC1271: ");
    buf[9..].copy_from_slice(permission_id.as_slice());
    keccak256(buf)
}

/// The config id of a permission's user-operation policies:
/// `keccak256(abi.encodePacked(account, permissionId))`.
pub fn user_op_config_id(account: Address, permission_id: B256) -> B256 {
    account_config(account, &permission_id)
}

/// The config id of the policies of one action of a permission:
/// `keccak256(abi.encodePacked(account, actionPolicyId(permissionId, actionId)))`.
pub fn action_config_id(account: Address, permission_id: B256, action_id: B256) -> B256 {
    account_config(account, &action_policy_id(permission_id, action_id))
}

/// The config id of a permission's ERC-1271 policies:
/// `keccak256(abi.encodePacked(account, erc1271PolicyId(permissionId)))`.
pub fn erc1271_config_id(account: Address, permission_id: B256) -> B256 {
    account_config(account, &erc1271_policy_id(permission_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_ids_are_the_action_ids_of_the_flags() {
        assert_eq!(
            action_id(FALLBACK_TARGET_FLAG, FALLBACK_TARGET_SELECTOR_FLAG),
            FALLBACK_ACTIONID
        );
        assert_eq!(
            action_id(
                FALLBACK_TARGET_FLAG,
                FALLBACK_TARGET_SELECTOR_FLAG_PERMITTED_TO_CALL_SMARTSESSION
            ),
            FALLBACK_ACTIONID_SMARTSESSION_CALL
        );
    }

    #[test]
    fn permission_id_preimage_equals_alloys_abi_encoding() {
        let v = address!("0x000000000013fdB5234E4E3162a810F54d9f7E98");
        let salt = B256::repeat_byte(0x5a);
        for len in [0usize, 1, 20, 31, 32, 33, 64, 383, 384, 385, 1000] {
            let data: alloc::vec::Vec<u8> = (0..len).map(|i| i as u8).collect();
            let expected =
                keccak256(PermissionIdPreimage::abi_encode_params(&(v, &data[..], salt)));
            assert_eq!(permission_id(v, &data, salt), expected, "init data of {len} bytes");
        }
    }

    #[test]
    fn short_calldata_uses_the_value_selector() {
        assert_eq!(call_selector(&[]), VALUE_SELECTOR);
        assert_eq!(call_selector(&[1, 2, 3]), VALUE_SELECTOR);
        assert_eq!(call_selector(&[1, 2, 3, 4, 5]), fixed_bytes!("0x01020304"));
    }
}
