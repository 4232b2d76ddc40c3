//! EIP-712: type hashes, the session digest and the multichain digest the owner signs.
//!
//! Domain: `EIP712Domain(string name,string version)` with name `SmartSession`, version `1` (no
//! chain id, no verifying contract: both are in the message). The type strings come from the
//! `sol!` structs ([`SignedSession`], …); the hashing here uses the same type hashes as constants
//! (unit tests prove them equal to alloy's `eip712_type_hash()`), and streams every field into
//! one Keccak state per struct instead of building intermediate buffers.
//!
//! ```
//! use alloy_primitives::{b256, U256};
//! use smart_sessions_codec::{eip712, ChainDigest, Generation};
//!
//! let digest = eip712::multichain_digest(
//!     Generation::Current,
//!     &[ChainDigest {
//!         chainId: 1,
//!         sessionDigest: b256!("0x30e122fce492fcd2b6b47c6c5d2b8b2169c5f71c54f5c4a9177bcd8c10b27a7d"),
//!     }],
//! );
//! assert_eq!(digest, b256!("0x56b395cdff6467f1481439484d8a5ad5bd5acca5b3ac481e37a1d603cf0208ab"));
//! ```

use crate::{
    ActionData, AnySession, ChainDigest, ChainSession, ERC7739Context, ERC7739Data, EnableMode,
    Generation, MultiChainSession, PolicyData, Session, SignedPermissions, SignedSession, legacy,
};
use alloy_primitives::{Address, B256, Keccak256, U256, b256, keccak256};
use alloy_sol_types::{Eip712Domain, eip712_domain};

/// keccak256 of `EIP712Domain(string name,string version)`.
pub const DOMAIN_TYPEHASH: B256 =
    b256!("0xb03948446334eb9b2196d5eb166f69b9d49403eb4a12f36de8d3f9f3cb8e15c3");
/// The SmartSession domain separator (name `SmartSession`, version `1`), the same in every
/// generation.
pub const DOMAIN_SEPARATOR: B256 =
    b256!("0x057501e891776d1482927e5f094ae44049a4d893ba2d7b334dd7db8d38d3a0e1");

/// `PolicyData` type hash (every generation).
pub const POLICY_DATA_TYPEHASH: B256 =
    b256!("0xdddac12cd8b10a071bea04226e97ac9490698394e19224abc47a5cfeeeb6ee97");
/// `ActionData` type hash (every generation).
pub const ACTION_DATA_TYPEHASH: B256 =
    b256!("0x35809859dccf8877c407a59527c2f00fb81ca9c198ebcb0c832c3deaa38d3502");
/// `ERC7739Context` type hash (v1.0 and current).
pub const ERC7739_CONTEXT_TYPEHASH: B256 =
    b256!("0x006166b2b3a1edaf1da1ce02715d02d4979a4ab93755bff9ec054b0e6a96a1da");
/// `ERC7739Data` type hash (v1.0 and current).
pub const ERC7739_DATA_TYPEHASH: B256 =
    b256!("0xdfd9b5718eebaa2484740b4ea6939e96189024c15848f16ccce901118114e152");
/// `SignedPermissions` type hash (v1.0 and current).
pub const SIGNED_PERMISSIONS_TYPEHASH: B256 =
    b256!("0x871289c05e426554eb0f843c9aa542f9c2bc4eba7742ada6a5c014d3568674d4");
/// `SignedSession` type hash (v1.0 and current).
pub const SIGNED_SESSION_TYPEHASH: B256 =
    b256!("0xd44896e3cb83d70abc949a38dd6f9f75e675dc329dfe958617f066f79ff88f05");
/// `ChainSession` type hash (v1.0 and current).
pub const CHAIN_SESSION_TYPEHASH: B256 =
    b256!("0x1ea7e4bc398fa0ccd68d92b5d8931a3fd93eebe1cf0391b4ba28935801af7c80");
/// `MultiChainSession` type hash (v1.0 and current).
pub const MULTICHAIN_SESSION_TYPEHASH: B256 =
    b256!("0x0c9d02fb89a1da34d66ea2088dc9ee6a58efee71cef6f1bb849ed74fc6003d98");
/// Legacy `ERC7739Data` (`string[] allowedERC7739Content`) type hash.
pub const LEGACY_ERC7739_DATA_TYPEHASH: B256 =
    b256!("0xdd8bf2f9b88fa557b2cb00ffd37dc4a3b8f3ff1d0d9e03c6f7c183f38869e91d");
/// Legacy `SessionEIP712` type hash.
pub const LEGACY_SESSION_TYPEHASH: B256 =
    b256!("0x45f5f60cec99c2d0a0198ec513b02d6926b8ec63dfaf7e9afba954108dd97ebd");
/// Legacy `ChainSessionEIP712` type hash.
pub const LEGACY_CHAIN_SESSION_TYPEHASH: B256 =
    b256!("0x9c5d301c45209fe15c8bb85bc08d4234ac9e1d48c0d22b7ab701ae25e640086b");
/// Legacy `MultiChainSessionEIP712` type hash.
pub const LEGACY_MULTICHAIN_SESSION_TYPEHASH: B256 =
    b256!("0x9af9262be547d4cc9dd06591bab37efd72d2b9d5fca173afd326b5b5410dac18");

/// The SmartSession EIP-712 domain, for signing [`MultiChainSession`] as typed data.
pub const fn domain() -> Eip712Domain {
    eip712_domain! { name: "SmartSession", version: "1", }
}

#[inline]
fn word_address(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

#[inline]
fn word_u64(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

#[inline]
fn word_bool(b: bool) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[31] = u8::from(b);
    w
}

fn hash_policy(p: &PolicyData) -> B256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(POLICY_DATA_TYPEHASH.as_slice());
    buf[44..64].copy_from_slice(p.policy.as_slice());
    buf[64..].copy_from_slice(keccak256(&p.initData).as_slice());
    keccak256(buf)
}

fn hash_policies(ps: &[PolicyData]) -> B256 {
    let mut h = Keccak256::new();
    for p in ps {
        h.update(hash_policy(p));
    }
    h.finalize()
}

fn hash_action(a: &ActionData) -> B256 {
    let mut buf = [0u8; 128];
    buf[..32].copy_from_slice(ACTION_DATA_TYPEHASH.as_slice());
    buf[32..36].copy_from_slice(a.actionTargetSelector.as_slice());
    buf[76..96].copy_from_slice(a.actionTarget.as_slice());
    buf[96..].copy_from_slice(hash_policies(&a.actionPolicies).as_slice());
    keccak256(buf)
}

fn hash_actions(actions: &[ActionData]) -> B256 {
    let mut h = Keccak256::new();
    for a in actions {
        h.update(hash_action(a));
    }
    h.finalize()
}

fn hash_strings(strings: &[alloc::string::String]) -> B256 {
    let mut h = Keccak256::new();
    for s in strings {
        h.update(keccak256(s.as_bytes()));
    }
    h.finalize()
}

fn hash_context(c: &ERC7739Context) -> B256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(ERC7739_CONTEXT_TYPEHASH.as_slice());
    buf[32..64].copy_from_slice(c.appDomainSeparator.as_slice());
    buf[64..].copy_from_slice(hash_strings(&c.contentName).as_slice());
    keccak256(buf)
}

fn hash_erc7739(d: &ERC7739Data) -> B256 {
    let mut contexts = Keccak256::new();
    for c in &d.allowedERC7739Content {
        contexts.update(hash_context(c));
    }
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(ERC7739_DATA_TYPEHASH.as_slice());
    buf[32..64].copy_from_slice(contexts.finalize().as_slice());
    buf[64..].copy_from_slice(hash_policies(&d.erc1271Policies).as_slice());
    keccak256(buf)
}

fn hash_legacy_erc7739(d: &legacy::ERC7739Data) -> B256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(LEGACY_ERC7739_DATA_TYPEHASH.as_slice());
    buf[32..64].copy_from_slice(hash_strings(&d.allowedERC7739Content).as_slice());
    buf[64..].copy_from_slice(hash_policies(&d.erc1271Policies).as_slice());
    keccak256(buf)
}

/// `hashStruct(SignedPermissions)`: the permissions' part of the v1.0 / current session digest,
/// with the three flags as given (see [`SignedSession::from_session`] to derive them).
pub fn hash_signed_permissions(p: &SignedPermissions) -> B256 {
    let mut h = Keccak256::new();
    h.update(SIGNED_PERMISSIONS_TYPEHASH);
    h.update(word_bool(p.permitGenericPolicy));
    h.update(word_bool(p.permitAdminAccess));
    h.update(word_bool(p.ignoreSecurityAttestations));
    h.update(word_bool(p.permitERC4337Paymaster));
    h.update(hash_policies(&p.userOpPolicies));
    h.update(hash_erc7739(&p.erc7739Policies));
    h.update(hash_actions(&p.actions));
    h.finalize()
}

/// `hashStruct(SignedSession)`: the session digest of the v1.0 and current generations.
pub fn hash_signed_session(s: &SignedSession) -> B256 {
    let mut h = Keccak256::new();
    h.update(SIGNED_SESSION_TYPEHASH);
    h.update(word_address(s.account));
    h.update(hash_signed_permissions(&s.permissions));
    h.update(word_address(s.sessionValidator));
    h.update(keccak256(&s.sessionValidatorInitData));
    h.update(s.salt);
    h.update(word_address(s.smartSession));
    h.update(s.nonce.to_be_bytes::<32>());
    h.finalize()
}

/// `hashStruct(SessionEIP712)`: the session digest of the legacy generation.
pub fn hash_legacy_session(s: &legacy::SessionEIP712) -> B256 {
    let mut h = Keccak256::new();
    h.update(LEGACY_SESSION_TYPEHASH);
    h.update(word_address(s.account));
    h.update(word_address(s.smartSession));
    h.update(word_u64(u64::from(s.mode)));
    h.update(word_address(s.sessionValidator));
    h.update(s.salt);
    h.update(keccak256(&s.sessionValidatorInitData));
    h.update(hash_policies(&s.userOpPolicies));
    h.update(hash_legacy_erc7739(&s.erc7739Policies));
    h.update(hash_actions(&s.actions));
    h.update(s.nonce.to_be_bytes::<32>());
    h.finalize()
}

/// Whether some action of `actions` is the generic fallback (`address(1)`, `0x00000001`).
fn has_action(actions: &[ActionData], selector: [u8; 4]) -> bool {
    actions.iter().any(|a| {
        a.actionTarget == crate::FALLBACK_TARGET_FLAG && a.actionTargetSelector.0 == selector
    })
}

impl SignedSession {
    /// The `SignedSession` the contract hashes for `session` on `account`: the three flags are
    /// **derived** as the contract derives them (`permitGenericPolicy` iff an action is the
    /// generic fallback, `permitAdminAccess` iff an action is the SmartSession-call fallback,
    /// `ignoreSecurityAttestations` iff the mode is UNSAFE_ENABLE), so the owner never signs a
    /// digest the contract will not reproduce.
    pub fn from_session(
        session: &Session,
        account: Address,
        smart_session: Address,
        mode: EnableMode,
        nonce: U256,
    ) -> Self {
        Self {
            account,
            permissions: SignedPermissions {
                permitGenericPolicy: has_action(&session.actions, [0, 0, 0, 1]),
                permitAdminAccess: has_action(&session.actions, [0, 0, 0, 2]),
                ignoreSecurityAttestations: mode == EnableMode::UnsafeEnable,
                permitERC4337Paymaster: session.permitERC4337Paymaster,
                userOpPolicies: session.userOpPolicies.clone(),
                erc7739Policies: session.erc7739Policies.clone(),
                actions: session.actions.clone(),
            },
            sessionValidator: session.sessionValidator,
            sessionValidatorInitData: session.sessionValidatorInitData.clone(),
            salt: session.salt,
            smartSession: smart_session,
            nonce,
        }
    }
}

impl legacy::SessionEIP712 {
    /// The `SessionEIP712` the legacy contract hashes for `session` on `account`.
    pub fn from_session(
        session: &legacy::Session,
        account: Address,
        smart_session: Address,
        mode: EnableMode,
        nonce: U256,
    ) -> Self {
        Self {
            account,
            smartSession: smart_session,
            mode: mode as u8,
            sessionValidator: session.sessionValidator,
            salt: session.salt,
            sessionValidatorInitData: session.sessionValidatorInitData.clone(),
            userOpPolicies: session.userOpPolicies.clone(),
            erc7739Policies: session.erc7739Policies.clone(),
            actions: session.actions.clone(),
            nonce,
        }
    }
}

/// The session digest of a 7-field session (v1.0 and current): what `getSessionDigest` returns
/// and what the chain's `ChainDigest.sessionDigest` must hold.
///
/// `nonce` is `getNonce(permissionId, account)` at enable time; `smart_session` the module's
/// address. No RPC happens here.
///
/// ```
/// use alloy_primitives::{address, Bytes, U256};
/// use alloy_sol_types::SolStruct;
/// use smart_sessions_codec::{eip712, EnableMode, Generation, Session, SignedSession};
///
/// let session = Session {
///     sessionValidator: address!("0x000000000013fdB5234E4E3162a810F54d9f7E98"),
///     sessionValidatorInitData: Bytes::from_static(&[0x11; 20]),
///     ..Default::default()
/// };
/// let account = address!("0xacc0000000000000000000000000000000000001");
/// let module = Generation::Current.smart_session();
/// let mode = EnableMode::UnsafeEnable;
/// let digest = eip712::session_digest(&session, account, module, mode, U256::ZERO);
/// // alloy's generic EIP-712 `hashStruct` of the `SignedSession` the contract builds agrees
/// let signed = SignedSession::from_session(&session, account, module, mode, U256::ZERO);
/// assert_eq!(signed.eip712_hash_struct(), digest);
/// // the mode and the nonce are part of the digest
/// let enable = eip712::session_digest(&session, account, module, EnableMode::Enable, U256::ZERO);
/// assert_ne!(enable, digest);
/// assert_ne!(eip712::session_digest(&session, account, module, mode, U256::from(1)), digest);
/// ```
pub fn session_digest(
    session: &Session,
    account: Address,
    smart_session: Address,
    mode: EnableMode,
    nonce: U256,
) -> B256 {
    let mut h = Keccak256::new();
    h.update(SIGNED_SESSION_TYPEHASH);
    h.update(word_address(account));
    {
        // hashStruct(SignedPermissions) without cloning the session into a SignedPermissions
        let mut p = Keccak256::new();
        p.update(SIGNED_PERMISSIONS_TYPEHASH);
        p.update(word_bool(has_action(&session.actions, [0, 0, 0, 1])));
        p.update(word_bool(has_action(&session.actions, [0, 0, 0, 2])));
        p.update(word_bool(mode == EnableMode::UnsafeEnable));
        p.update(word_bool(session.permitERC4337Paymaster));
        p.update(hash_policies(&session.userOpPolicies));
        p.update(hash_erc7739(&session.erc7739Policies));
        p.update(hash_actions(&session.actions));
        h.update(p.finalize());
    }
    h.update(word_address(session.sessionValidator));
    h.update(keccak256(&session.sessionValidatorInitData));
    h.update(session.salt);
    h.update(word_address(smart_session));
    h.update(nonce.to_be_bytes::<32>());
    h.finalize()
}

/// The session digest of a legacy 6-field session (`hashStruct(SessionEIP712)`, which includes
/// the mode).
pub fn legacy_session_digest(
    session: &legacy::Session,
    account: Address,
    smart_session: Address,
    mode: EnableMode,
    nonce: U256,
) -> B256 {
    let mut h = Keccak256::new();
    h.update(LEGACY_SESSION_TYPEHASH);
    h.update(word_address(account));
    h.update(word_address(smart_session));
    h.update(word_u64(mode as u64));
    h.update(word_address(session.sessionValidator));
    h.update(session.salt);
    h.update(keccak256(&session.sessionValidatorInitData));
    h.update(hash_policies(&session.userOpPolicies));
    h.update(hash_legacy_erc7739(&session.erc7739Policies));
    h.update(hash_actions(&session.actions));
    h.update(nonce.to_be_bytes::<32>());
    h.finalize()
}

/// The session digest of a session of either layout: [`session_digest`] or
/// [`legacy_session_digest`], by the session's layout.
pub fn any_session_digest(
    session: &AnySession,
    account: Address,
    smart_session: Address,
    mode: EnableMode,
    nonce: U256,
) -> B256 {
    match session {
        AnySession::Current(s) => session_digest(s, account, smart_session, mode, nonce),
        AnySession::Legacy(s) => legacy_session_digest(s, account, smart_session, mode, nonce),
    }
}

/// The multichain digest the owner's account must approve (ERC-1271) to enable a session:
/// `keccak256(0x1901 ‖ DOMAIN_SEPARATOR ‖ hashStruct(MultiChainSession))` over
/// `(chainId, sessionDigest)` pairs, in order.
///
/// The legacy generation uses its own type hashes (`ChainSessionEIP712`,
/// `MultiChainSessionEIP712`); v1.0 and current share theirs.
pub fn multichain_digest(generation: Generation, hashes_and_chain_ids: &[ChainDigest]) -> B256 {
    let (chain_th, mc_th) = if generation.is_legacy() {
        (LEGACY_CHAIN_SESSION_TYPEHASH, LEGACY_MULTICHAIN_SESSION_TYPEHASH)
    } else {
        (CHAIN_SESSION_TYPEHASH, MULTICHAIN_SESSION_TYPEHASH)
    };
    let mut list = Keccak256::new();
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(chain_th.as_slice());
    for c in hashes_and_chain_ids {
        buf[32..64].copy_from_slice(&word_u64(c.chainId));
        buf[64..].copy_from_slice(c.sessionDigest.as_slice());
        list.update(keccak256(buf));
    }
    let mut st = [0u8; 64];
    st[..32].copy_from_slice(mc_th.as_slice());
    st[32..].copy_from_slice(list.finalize().as_slice());
    let struct_hash = keccak256(st);
    let mut out = [0u8; 66];
    out[0] = 0x19;
    out[1] = 0x01;
    out[2..34].copy_from_slice(DOMAIN_SEPARATOR.as_slice());
    out[34..].copy_from_slice(struct_hash.as_slice());
    keccak256(out)
}

/// module-sdk's `hashChainSessions`: the multichain digest from full [`ChainSession`]s.
///
/// Equal to [`multichain_digest`] over `(chainId, hash_signed_session(session))`. Note that the
/// permission flags are taken as given here; use [`SignedSession::from_session`] to derive them
/// as the contract does.
pub fn hash_chain_sessions(chain_sessions: &[ChainSession]) -> B256 {
    let digests: alloc::vec::Vec<ChainDigest> = chain_sessions
        .iter()
        .map(|c| ChainDigest { chainId: c.chainId, sessionDigest: hash_signed_session(&c.session) })
        .collect();
    multichain_digest(Generation::Current, &digests)
}

/// The legacy `hashChainSessions` (`MultiChainSessionEIP712`).
pub fn hash_legacy_chain_sessions(chain_sessions: &[legacy::ChainSessionEIP712]) -> B256 {
    let digests: alloc::vec::Vec<ChainDigest> = chain_sessions
        .iter()
        .map(|c| ChainDigest { chainId: c.chainId, sessionDigest: hash_legacy_session(&c.session) })
        .collect();
    multichain_digest(Generation::Legacy, &digests)
}

impl MultiChainSession {
    /// The EIP-712 signing hash of this value in the SmartSession domain; equal to
    /// [`hash_chain_sessions`] (this one goes through alloy's generic `SolStruct` path).
    pub fn signing_hash(&self) -> B256 {
        use alloy_sol_types::SolStruct;
        self.eip712_signing_hash(&domain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::SolStruct;

    #[test]
    fn type_hash_constants_equal_alloys_encode_type_hashes() {
        assert_eq!(PolicyData::default().eip712_type_hash(), POLICY_DATA_TYPEHASH);
        assert_eq!(ActionData::default().eip712_type_hash(), ACTION_DATA_TYPEHASH);
        assert_eq!(ERC7739Context::default().eip712_type_hash(), ERC7739_CONTEXT_TYPEHASH);
        assert_eq!(ERC7739Data::default().eip712_type_hash(), ERC7739_DATA_TYPEHASH);
        assert_eq!(SignedPermissions::default().eip712_type_hash(), SIGNED_PERMISSIONS_TYPEHASH);
        assert_eq!(SignedSession::default().eip712_type_hash(), SIGNED_SESSION_TYPEHASH);
        assert_eq!(ChainSession::default().eip712_type_hash(), CHAIN_SESSION_TYPEHASH);
        assert_eq!(MultiChainSession::default().eip712_type_hash(), MULTICHAIN_SESSION_TYPEHASH);
        assert_eq!(legacy::ERC7739Data::default().eip712_type_hash(), LEGACY_ERC7739_DATA_TYPEHASH);
        assert_eq!(legacy::SessionEIP712::default().eip712_type_hash(), LEGACY_SESSION_TYPEHASH);
        assert_eq!(
            legacy::ChainSessionEIP712::default().eip712_type_hash(),
            LEGACY_CHAIN_SESSION_TYPEHASH
        );
        assert_eq!(
            legacy::MultiChainSessionEIP712::default().eip712_type_hash(),
            LEGACY_MULTICHAIN_SESSION_TYPEHASH
        );
        assert_eq!(domain().separator(), DOMAIN_SEPARATOR);
        assert_eq!(keccak256("EIP712Domain(string name,string version)"), DOMAIN_TYPEHASH);
    }
}
