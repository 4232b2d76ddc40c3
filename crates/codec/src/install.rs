//! SmartSession install data (`onInstall`) and `enableSessions` calldata, per generation.

use crate::{AnySession, Error, Generation, Result, Session, legacy};
use alloc::vec::Vec;
use alloy_primitives::B256;
use alloy_sol_types::{SolCall, SolType, sol, sol_data};

sol! {
    /// `removeSession(bytes32)` (`0xf867b08e`, every generation).
    #[derive(Debug, PartialEq, Eq)]
    function removeSession(bytes32 permissionId);
    /// `revokeEnableSignature(bytes32)` (`0xf9b80369`, every generation).
    #[derive(Debug, PartialEq, Eq)]
    function revokeEnableSignature(bytes32 permissionId);
}

/// Selector of `enableSessions(Session[])` in the v1.0 and current generations.
pub const ENABLE_SESSIONS_SELECTOR: [u8; 4] = [0x21, 0x71, 0x24, 0x07];
/// Selector of `enableSessions(Session[])` in the legacy generation (6-field `Session`).
pub const LEGACY_ENABLE_SESSIONS_SELECTOR: [u8; 4] = [0xf5, 0x5a, 0xf6, 0xd1];

fn split(
    generation: Generation,
    sessions: &[AnySession],
) -> Result<(Vec<Session>, Vec<legacy::Session>)> {
    let mut current = Vec::new();
    let mut old = Vec::new();
    for s in sessions {
        match (s, generation.is_legacy()) {
            (AnySession::Current(s), false) => current.push(s.clone()),
            (AnySession::Legacy(s), true) => old.push(s.clone()),
            (AnySession::Current(_), true) => {
                return Err(Error::GenerationMismatch {
                    what: "the 7-field Session layout",
                    generation,
                });
            }
            (AnySession::Legacy(_), false) => {
                return Err(Error::GenerationMismatch {
                    what: "the 6-field legacy Session layout",
                    generation,
                });
            }
        }
    }
    Ok((current, old))
}

/// SmartSession `onInstall` data.
///
/// No sessions: empty. Otherwise, v1.0 and current: `mode ‖ abi.encode(Session[])` with mode
/// 0x01 when `use_registry` else 0x02 (module-sdk `getSmartSessionsValidator`); legacy:
/// `abi.encode(Session[])` without a mode byte (`use_registry` does not apply).
///
/// Use it as the `initData` of `installModule(1, smartSession, initData)` (see
/// [`install_module_calldata`](crate::execute::install_module_calldata)). A session of the
/// other layout is an [`Error::GenerationMismatch`].
///
/// ```
/// use alloy_primitives::{address, Bytes};
/// use alloy_sol_types::SolValue;
/// use smart_sessions_codec::{AnySession, Error, Generation, Session, legacy};
/// use smart_sessions_codec::install::install_data;
///
/// let session = Session {
///     sessionValidator: address!("0x000000000013fdB5234E4E3162a810F54d9f7E98"),
///     sessionValidatorInitData: Bytes::from_static(&[0x11; 20]),
///     ..Default::default()
/// };
/// assert!(install_data(Generation::Current, &[], false)?.is_empty());
/// let data = install_data(Generation::Current, &[session.clone().into()], false)?;
/// assert_eq!(data[0], 0x02); // no registry
/// assert_eq!(Vec::<Session>::abi_decode(&data[1..]).unwrap(), vec![session.clone()]);
///
/// let old = AnySession::from(legacy::Session::default());
/// assert!(matches!(
///     install_data(Generation::Current, &[old], false),
///     Err(Error::GenerationMismatch { generation: Generation::Current, .. })
/// ));
/// # Ok::<(), Error>(())
/// ```
pub fn install_data(
    generation: Generation,
    sessions: &[AnySession],
    use_registry: bool,
) -> Result<Vec<u8>> {
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let (current, old) = split(generation, sessions)?;
    if generation.is_legacy() {
        Ok(<sol_data::Array<legacy::Session> as SolType>::abi_encode(&old))
    } else {
        let body = <sol_data::Array<Session> as SolType>::abi_encode(&current);
        let mut out = Vec::with_capacity(1 + body.len());
        out.push(if use_registry { 1 } else { 2 });
        out.extend_from_slice(&body);
        Ok(out)
    }
}

/// `enableSessions(Session[])` calldata for the generation's layout and selector.
pub fn enable_sessions_calldata(
    generation: Generation,
    sessions: &[AnySession],
) -> Result<Vec<u8>> {
    let (current, old) = split(generation, sessions)?;
    let (selector, args) = if generation.is_legacy() {
        (
            LEGACY_ENABLE_SESSIONS_SELECTOR,
            <(sol_data::Array<legacy::Session>,) as SolType>::abi_encode_params(&(old,)),
        )
    } else {
        (
            ENABLE_SESSIONS_SELECTOR,
            <(sol_data::Array<Session>,) as SolType>::abi_encode_params(&(current,)),
        )
    };
    let mut out = Vec::with_capacity(4 + args.len());
    out.extend_from_slice(&selector);
    out.extend_from_slice(&args);
    Ok(out)
}

/// `removeSession(permissionId)` calldata: the account itself calls SmartSession with it (the
/// call acts on `msg.sender`) to remove an enabled permission (event `SessionRemoved`).
pub fn remove_session_calldata(permission_id: B256) -> Vec<u8> {
    removeSessionCall { permissionId: permission_id }.abi_encode()
}

/// `revokeEnableSignature(permissionId)` calldata: raises the account's enable nonce for the
/// permission, invalidating a signed but unused enable.
pub fn revoke_enable_signature_calldata(permission_id: B256) -> Vec<u8> {
    revokeEnableSignatureCall { permissionId: permission_id }.abi_encode()
}
