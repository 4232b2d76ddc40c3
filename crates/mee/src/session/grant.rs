//! `grantPermissionTypedDataSign` / `grantPermissionPersonalSign`: one session per chain with
//! the MEE validator as session validator, and the owner's one signature over the multichain
//! digest (the codec's `MultiChainSession` EIP-712 digest).
//!
//! The chain reads (`SmartSession.getNonce`, `getSessionDigest(…, mode 2)`) are inputs: the
//! digest read is checked against the codec's local computation before anything is signed.

use crate::{
    MeeError, MeeVersionConfig, Result,
    session::{
        MeeSession, SessionDetails, add_payment_policy_at, session_validator_init_data, to_legacy,
    },
};
use alloy_primitives::{Address, B256, Bytes, U256, bytes};
use alloy_signer::{Signer, SignerSync};
use smart_sessions_codec::{
    ActionData, ChainDigest, ChainSession, ERC7739Data, EnableMode, Generation, MultiChainSession,
    Session, SignedSession, SmartSessionMode,
    eip712::{domain, legacy_session_digest, multichain_digest, session_digest},
    legacy, permission_id,
};

/// module-sdk's mock ECDSA signature that the SDK puts in `sessionDetails.signature`.
pub const MOCK_SIGNATURE: Bytes = bytes!(
    "0xe8b94748580ca0b4993c9a1b86b5be851bfc076ff5ce3a1ff65bf16392acfcb800f9b4f1aef1555c7fce5599fffb17e7c635502154a0333ba21f3ae491839af51c"
);

/// One requested action and its chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantAction {
    /// The chain id whose session gets this action (one session per distinct chain).
    pub chain_id: u64,
    /// The permitted call: target, selector and the action policies that check it.
    pub action: ActionData,
}

/// The fee token of a grant or a use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeToken {
    /// The ERC-20 contract the MEE fee is paid in.
    pub address: Address,
    /// The chain id the token (and so the payment userOp) is on.
    pub chain_id: u64,
}

/// What the SDK reads on one chain for a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainRead {
    /// `SmartSession.getNonce(permissionId, account)`.
    pub smart_session_nonce: U256,
    /// `SmartSession.getSessionDigest(permissionId, account, session, 2)`.
    pub session_digest: B256,
}

/// A grant ready to be signed: the sessions and the digest the owner signs.
#[derive(Clone, Debug)]
pub struct GrantPlan {
    sessions: Vec<MeeSession>,
    permission_ids: Vec<B256>,
    digests: Vec<ChainDigest>,
    typed: GrantTypedData,
    generation: Generation,
    validator: Address,
}

/// The typed data the owner signs, in the generation's layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantTypedData {
    /// v1.0 and current: `MultiChainSession`.
    Current(MultiChainSession),
    /// Legacy: `MultiChainSessionEIP712`.
    Legacy(legacy::MultiChainSessionEIP712),
}

/// The per-chain sessions of a grant, in first-appearance order of `actions`' chains: the MEE
/// validator as session validator for `redeemer`, Sudo as userOp policy, the chain's actions,
/// and on the fee token's chain the payment policy merged in. `salts[i]` is the `i`-th chain's
/// salt. What [`plan_grant`] signs, and what a caller reads `getNonce` / `getSessionDigest` for
/// before planning (the permission id is [`smart_sessions_codec::permission_id`] of the
/// session's validator, init data and salt).
pub fn grant_sessions(
    version: &MeeVersionConfig,
    redeemer: Address,
    actions: &[GrantAction],
    fee_token: Option<(FeeToken, U256)>,
    salts: &[B256],
) -> Result<Vec<MeeSession>> {
    if actions.is_empty() {
        return Err(MeeError::Empty { what: "actions" });
    }
    let mut chains: Vec<u64> = Vec::new();
    for a in actions {
        if !chains.contains(&a.chain_id) {
            chains.push(a.chain_id);
        }
    }
    if chains.len() > usize::from(u8::MAX) + 1 {
        return Err(MeeError::field(
            "actions",
            "more than 256 chains (chainDigestIndex is a uint8)",
        ));
    }
    if salts.len() < chains.len() {
        return Err(MeeError::field("salts", "fewer salts than chains"));
    }
    let g = version.smart_sessions;
    let init = session_validator_init_data(version, redeemer);
    let mut sessions = Vec::with_capacity(chains.len());
    for (i, &chain_id) in chains.iter().enumerate() {
        let mut chain_actions: Vec<ActionData> =
            actions.iter().filter(|a| a.chain_id == chain_id).map(|a| a.action.clone()).collect();
        if let Some((token, max)) = fee_token
            && token.chain_id == chain_id
        {
            add_payment_policy_at(
                version.policies().universal_action,
                &mut chain_actions,
                token.address,
                max,
            )?;
        }
        let n = chain_actions.len();
        let session = Session {
            sessionValidator: version.validator,
            sessionValidatorInitData: init.clone(),
            salt: salts[i],
            userOpPolicies: vec![version.policies().sudo_policy()],
            erc7739Policies: ERC7739Data::default(),
            actions: chain_actions,
            // the legacy layout has no paymaster permission
            permitERC4337Paymaster: !g.is_legacy(),
        };
        sessions.push(MeeSession { session, chain_id, action_chain_ids: vec![Some(chain_id); n] });
    }
    Ok(sessions)
}

/// Builds the per-chain sessions ([`grant_sessions`]), merges the payment policy into the fee
/// chain's actions when `fee_token` is given, and computes every digest. `salts[i]` is the salt
/// of the `i`-th chain's session (the SDK draws 32 random bytes); `account` and `read` give each
/// chain's account address and chain reads.
pub fn plan_grant(
    version: &MeeVersionConfig,
    redeemer: Address,
    actions: &[GrantAction],
    fee_token: Option<(FeeToken, U256)>,
    salts: &[B256],
    account: impl Fn(u64) -> Option<Address>,
    read: impl Fn(u64) -> Option<ChainRead>,
) -> Result<GrantPlan> {
    let sessions = grant_sessions(version, redeemer, actions, fee_token, salts)?;
    let g = version.smart_sessions;
    let smart_session = g.smart_session();
    let mut permission_ids = Vec::with_capacity(sessions.len());
    let mut digests = Vec::with_capacity(sessions.len());
    let mut chain_sessions = Vec::with_capacity(sessions.len());
    let mut legacy_sessions = Vec::new();
    for s in &sessions {
        let (chain_id, session) = (s.chain_id, &s.session);
        let acct = account(chain_id).ok_or(MeeError::NoDeployment { chain_id })?;
        let r = read(chain_id)
            .ok_or_else(|| MeeError::field(format!("chainReads.{chain_id}"), "missing"))?;
        let computed = if g.is_legacy() {
            let l = to_legacy(session)?;
            let d = legacy_session_digest(
                &l,
                acct,
                smart_session,
                EnableMode::UnsafeEnable,
                r.smart_session_nonce,
            );
            legacy_sessions.push(legacy::ChainSessionEIP712 {
                chainId: chain_id,
                session: legacy::SessionEIP712::from_session(
                    &l,
                    acct,
                    smart_session,
                    EnableMode::UnsafeEnable,
                    r.smart_session_nonce,
                ),
            });
            d
        } else {
            session_digest(
                session,
                acct,
                smart_session,
                EnableMode::UnsafeEnable,
                r.smart_session_nonce,
            )
        };
        if computed != r.session_digest {
            return Err(MeeError::SessionDigestMismatch {
                chain_id,
                read: r.session_digest,
                computed,
            });
        }
        permission_ids.push(permission_id(
            session.sessionValidator,
            &session.sessionValidatorInitData,
            session.salt,
        ));
        digests.push(ChainDigest { chainId: chain_id, sessionDigest: computed });
        if !g.is_legacy() {
            chain_sessions.push(ChainSession {
                chainId: chain_id,
                session: SignedSession::from_session(
                    session,
                    acct,
                    smart_session,
                    EnableMode::UnsafeEnable,
                    r.smart_session_nonce,
                ),
            });
        }
    }
    Ok(GrantPlan {
        sessions,
        permission_ids,
        digests,
        typed: if g.is_legacy() {
            GrantTypedData::Legacy(legacy::MultiChainSessionEIP712 {
                sessionsAndChainIds: legacy_sessions,
            })
        } else {
            GrantTypedData::Current(MultiChainSession { sessionsAndChainIds: chain_sessions })
        },
        generation: g,
        validator: version.default_validator,
    })
}

impl GrantPlan {
    /// The EIP-712 digest the owner signs (`MultiChainSession` in the SmartSession domain).
    pub fn digest(&self) -> B256 {
        multichain_digest(self.generation, &self.digests)
    }

    /// The typed data of [`Self::digest`] (for `eth_signTypedData_v4`).
    pub const fn typed_data(&self) -> &GrantTypedData {
        &self.typed
    }

    /// The `sessionDetails` array with the owner's 65-byte `signature`.
    pub fn finish(self, signature: &[u8]) -> Vec<SessionDetails> {
        let sig = Bytes::copy_from_slice(signature);
        self.sessions
            .into_iter()
            .zip(self.permission_ids)
            .enumerate()
            .map(|(i, (s, pid))| SessionDetails {
                mode: SmartSessionMode::UnsafeEnable,
                permission_id: pid,
                signature: MOCK_SIGNATURE,
                // at most 256 chains (checked in plan_grant)
                chain_digest_index: u8::try_from(i).unwrap_or(u8::MAX),
                hashes_and_chain_ids: self.digests.clone(),
                session_to_enable: s,
                permission_enable_sig: sig.clone(),
                validator: self.validator,
                account_type: "nexus".to_owned(),
            })
            .collect()
    }

    /// `grantPermissionTypedDataSign`: the owner signs the typed data through
    /// [`Signer::sign_typed_data`] (works with signers that refuse raw hashes).
    pub async fn sign_typed_data<S: Signer + Send + Sync>(
        self,
        owner: &S,
    ) -> Result<Vec<SessionDetails>> {
        let sig = match &self.typed {
            GrantTypedData::Current(t) => owner.sign_typed_data(t, &domain()).await,
            GrantTypedData::Legacy(t) => owner.sign_typed_data(t, &domain()).await,
        }
        .map_err(MeeError::Signer)?;
        Ok(self.finish(&sig.as_bytes()))
    }

    /// `grantPermissionPersonalSign`: EIP-191 `personal_sign` of the 32-byte digest.
    pub async fn sign_personal<S: Signer + Send + Sync>(
        self,
        owner: &S,
    ) -> Result<Vec<SessionDetails>> {
        let sig = owner.sign_message(self.digest().as_slice()).await.map_err(MeeError::Signer)?;
        Ok(self.finish(&sig.as_bytes()))
    }

    /// [`Self::sign_typed_data`] with a synchronous signer.
    pub fn sign_typed_data_sync<S: SignerSync>(self, owner: &S) -> Result<Vec<SessionDetails>> {
        let sig = match &self.typed {
            GrantTypedData::Current(t) => owner.sign_typed_data_sync(t, &domain()),
            GrantTypedData::Legacy(t) => owner.sign_typed_data_sync(t, &domain()),
        }
        .map_err(MeeError::Signer)?;
        Ok(self.finish(&sig.as_bytes()))
    }

    /// [`Self::sign_personal`] with a synchronous signer.
    pub fn sign_personal_sync<S: SignerSync>(self, owner: &S) -> Result<Vec<SessionDetails>> {
        let sig = owner.sign_message_sync(self.digest().as_slice()).map_err(MeeError::Signer)?;
        Ok(self.finish(&sig.as_bytes()))
    }
}
