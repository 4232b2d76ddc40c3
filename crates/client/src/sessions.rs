//! Smart Sessions calls: what the owner's account executes (install, enable, trust attesters,
//! remove, revoke) and what a session key puts in `userOp.signature`.

use crate::ClientError;
use crate::error::Inconsistency;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_sol_types::SolCall;
use smart_sessions_codec::{
    AnySession, Execution, Generation, execute::install_module_calldata, install,
};

use smart_sessions_bindings::{
    common::registry::Registry::{self, trustAttestersCall},
    legacy::smart_session::SmartSession::{
        self as SmartSessionContract, disableActionIdCall, disableActionPoliciesCall,
        disableUserOpPoliciesCall,
    },
};

// `isPermissionEnabled(bytes32, address)`: the same selector and layout in every generation;
// the legacy bindings' call (the prefetch batch and `check_enabled_permissions` use it too)
pub(crate) use smart_sessions_bindings::legacy::smart_session::SmartSession::isPermissionEnabledCall;

fn encoding(step: &'static str) -> impl FnOnce(smart_sessions_codec::Error) -> ClientError {
    move |source| ClientError::Encoding { step, source }
}

/// The SmartSession module of one generation at one address: encodes the account calls that
/// administer it and the `userOp.signature`s it validates, and reads its state. Get it from a
/// table ([`Deployments::smart_sessions`](crate::Deployments::smart_sessions)) or
/// [`canonical`](Self::canonical).
///
/// ```
/// use alloy_primitives::{B256, U256, keccak256};
/// use smart_sessions_client::SmartSessions;
/// use smart_sessions_codec::Generation;
///
/// let module = SmartSessions::canonical(Generation::Legacy);
/// let permission_id = B256::repeat_byte(7);
/// // The call the owner's account makes to remove the session.
/// let call = module.remove_session(permission_id);
/// assert_eq!(call.target, module.address);
/// assert_eq!(call.value, U256::ZERO);
/// assert_eq!(call.callData[..4], keccak256("removeSession(bytes32)")[..4]);
/// assert_eq!(call.callData[4..], permission_id[..]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmartSessions {
    /// The module's generation, which fixes its session layout and signature encodings.
    pub generation: Generation,
    /// The address the module is deployed at (the validator named in nonces and installs).
    pub address: Address,
}

impl SmartSessions {
    /// The module at the generation's canonical address.
    pub const fn canonical(generation: Generation) -> Self {
        Self { generation, address: generation.smart_session() }
    }

    /// `account.installModule(1, SmartSession, initData)` with optional initial sessions (the
    /// account calls itself).
    pub fn install(
        &self,
        account: Address,
        sessions: &[AnySession],
    ) -> Result<Execution, ClientError> {
        let data = install::install_data(self.generation, sessions, true)
            .map_err(encoding("install data"))?;
        Ok(Execution::new(account, U256::ZERO, install_module_calldata(1, self.address, &data)))
    }

    /// The account call that enables `sessions` on an account that has SmartSession installed
    /// (`SmartSession.enableSessions(sessions)`, in this generation's layout).
    pub fn enable_sessions(&self, sessions: &[AnySession]) -> Result<Execution, ClientError> {
        let data = install::enable_sessions_calldata(self.generation, sessions)
            .map_err(encoding("enableSessions"))?;
        Ok(Execution::new(self.address, U256::ZERO, data))
    }

    /// The account call that removes the session `permission_id`
    /// (`SmartSession.removeSession(permissionId)`).
    pub fn remove_session(&self, permission_id: B256) -> Execution {
        Execution::new(self.address, U256::ZERO, install::remove_session_calldata(permission_id))
    }

    /// The account call that makes unused enable signatures of `permission_id` invalid
    /// (`SmartSession.revokeEnableSignature(permissionId)`, which bumps the nonce they carry).
    pub fn revoke_enable_signature(&self, permission_id: B256) -> Execution {
        Execution::new(
            self.address,
            U256::ZERO,
            install::revoke_enable_signature_calldata(permission_id),
        )
    }

    /// `SmartSession.disableActionPolicies(permissionId, actionId, policies)` (same selector in
    /// every generation).
    pub fn disable_action_policies(
        &self,
        permission_id: B256,
        action_id: B256,
        policies: &[Address],
    ) -> Execution {
        let c = disableActionPoliciesCall {
            permissionId: permission_id,
            actionId: action_id,
            policies: policies.to_vec(),
        };
        Execution::new(self.address, U256::ZERO, c.abi_encode())
    }

    /// The account call that disallows the action `action_id` for `permission_id`
    /// (`SmartSession.disableActionId(permissionId, actionId)`).
    pub fn disable_action_id(&self, permission_id: B256, action_id: B256) -> Execution {
        let c = disableActionIdCall { permissionId: permission_id, actionId: action_id };
        Execution::new(self.address, U256::ZERO, c.abi_encode())
    }

    /// The account call that removes user-operation `policies` from `permission_id`
    /// (`SmartSession.disableUserOpPolicies(permissionId, policies)`).
    pub fn disable_user_op_policies(&self, permission_id: B256, policies: &[Address]) -> Execution {
        let c =
            disableUserOpPoliciesCall { permissionId: permission_id, policies: policies.to_vec() };
        Execution::new(self.address, U256::ZERO, c.abi_encode())
    }

    /// Whether `permission_id` is enabled for `account` (`SmartSession.isPermissionEnabled`, one
    /// `eth_call`, uncached; [`NexusClient::is_permission_enabled`](crate::NexusClient) caches).
    pub async fn is_permission_enabled<P: Provider>(
        &self,
        provider: &P,
        permission_id: B256,
        account: Address,
    ) -> Result<bool, ClientError> {
        let module = SmartSessionContract::new(self.address, provider);
        crate::contract::call(
            module.isPermissionEnabled(permission_id, account),
            "isPermissionEnabled",
        )
        .await
    }

    /// `getNonce(permissionId, account)`: the nonce the next enable signature must carry.
    pub async fn enable_nonce<P: Provider>(
        &self,
        provider: &P,
        permission_id: B256,
        account: Address,
    ) -> Result<U256, ClientError> {
        let module = SmartSessionContract::new(self.address, provider);
        crate::contract::call(module.getNonce(permission_id, account), "getNonce").await
    }

    /// The USE-mode `userOp.signature` around the session key's signature.
    pub fn use_signature(&self, permission_id: B256, session_key_signature: &[u8]) -> Bytes {
        smart_sessions_codec::encode_use(self.generation, permission_id, session_key_signature)
            .into()
    }

    /// A USE-mode stub of the real size and shape ([`stub_ecdsa_signature`]), so that gas
    /// estimation runs the session validator's real check.
    pub fn stub_use_signature(&self, permission_id: B256) -> Bytes {
        self.use_signature(permission_id, &stub_ecdsa_signature())
    }
}

/// A 65-byte stand-in for an ECDSA signature during gas estimation: `r ‖ s ‖ v` with `s` in the
/// lower half and `v = 27`, so validators run their real recovery on it (and fail only at the
/// comparison), and bytes without repetitions, so it compresses no better than a real signature
/// (the legacy USE and every ENABLE encoding are FastLZ-compressed: a repetitive stub would make
/// the estimated operation smaller than the real one).
pub fn stub_ecdsa_signature() -> [u8; 65] {
    let mut sig = [0u8; 65];
    sig[..32].copy_from_slice(alloy_primitives::keccak256(b"smart-sessions stub r").as_slice());
    sig[32..64].copy_from_slice(alloy_primitives::keccak256(b"smart-sessions stub s").as_slice());
    sig[32] &= 0x3f;
    sig[64] = 27;
    sig
}

/// `registry.trustAttesters(threshold, attesters)`, executed by the account.
pub fn trust_attesters(registry: Address, threshold: u8, attesters: &[Address]) -> Execution {
    Execution::new(
        registry,
        U256::ZERO,
        trustAttestersCall { threshold, attesters: attesters.to_vec() }.abi_encode(),
    )
}

/// The attesters `account` trusts in `registry` (`findTrustedAttesters(account)`, one
/// `eth_call`); empty when it trusts none.
pub async fn trusted_attesters<P: Provider>(
    provider: &P,
    registry: Address,
    account: Address,
) -> Result<Vec<Address>, ClientError> {
    let registry = Registry::new(registry, provider);
    crate::contract::call(registry.findTrustedAttesters(account), "findTrustedAttesters").await
}

/// How the owner signs the multichain enable digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OwnerSignatureStyle {
    /// `eth_signTypedData_v4` of `MultiChainSession`: the ECDSA is over the digest itself
    /// (abstractjs `grantPermissionTypedDataSign`).
    TypedData,
    /// `personal_sign` of the 32-byte digest: the ECDSA is over its EIP-191 hash
    /// (abstractjs `grantPermissionPersonalSign`).
    PersonalSign,
}

/// What the session-key holder needs to use a permission: the session (its policies drive the
/// off-chain check) and, after an off-chain grant, the owner's enable payload for the first user
/// operation (ENABLE_AND_USE). Serialisable (JSON in the TypeScript SDKs' field names), so
/// another process can use it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionDetails {
    /// The SmartSession generation the session is laid out for (JSON `legacy`, `v1`, `current`).
    #[serde(with = "generation_serde")]
    pub generation: Generation,
    /// The SmartSession module the permission lives in (the validator the operations name).
    pub smart_session: Address,
    /// The smart account the permission was granted on (every use's `sender`).
    pub account: Address,
    /// The permission id (`SmartSession.getPermissionId` of the session).
    pub permission_id: B256,
    /// The mode the first use sends the enable payload in: UNSAFE_ENABLE (`true`) or ENABLE.
    pub unsafe_enable: bool,
    /// The enable payload with the owner's prefixed signature (legacy layout).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub legacy_enable_session: Option<smart_sessions_codec::legacy::EnableSession>,
    /// The enable payload with the owner's prefixed signature (7-field layout).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enable_session: Option<smart_sessions_codec::EnableSession>,
    /// The session of a permission enabled on chain (legacy layout; no enable payload).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub legacy_session: Option<smart_sessions_codec::legacy::Session>,
    /// The session of a permission enabled on chain (7-field layout; no enable payload).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub session: Option<smart_sessions_codec::Session>,
}

mod generation_serde {
    use smart_sessions_codec::Generation;

    pub(super) fn serialize<S: serde::Serializer>(g: &Generation, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(g.name())
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Generation, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl SessionDetails {
    /// Details of a permission enabled on chain (USE mode only).
    pub fn enabled(smart_sessions: SmartSessions, account: Address, session: AnySession) -> Self {
        let permission_id = session.permission_id();
        let (session, legacy_session) = match session {
            AnySession::Current(s) => (Some(s), None),
            AnySession::Legacy(s) => (None, Some(s)),
        };
        Self {
            generation: smart_sessions.generation,
            smart_session: smart_sessions.address,
            account,
            permission_id,
            unsafe_enable: false,
            legacy_enable_session: None,
            enable_session: None,
            legacy_session,
            session,
        }
    }

    /// The session, from whichever field carries it (the enable payload first); `None` if none.
    pub fn session(&self) -> Option<AnySession> {
        if let Some(e) = self.enable() {
            return Some(e.session());
        }
        match (&self.session, &self.legacy_session) {
            (Some(s), _) => Some(s.clone().into()),
            (None, Some(s)) => Some(s.clone().into()),
            (None, None) => None,
        }
    }

    /// The owner-signed enable payload (either layout), `None` for a permission enabled on chain.
    pub fn enable(&self) -> Option<smart_sessions_codec::AnyEnableSession> {
        match (&self.enable_session, &self.legacy_enable_session) {
            (Some(e), _) => Some(e.clone().into()),
            (None, Some(e)) => Some(e.clone().into()),
            (None, None) => None,
        }
    }

    fn mode(&self) -> smart_sessions_codec::EnableMode {
        if self.unsafe_enable {
            smart_sessions_codec::EnableMode::UnsafeEnable
        } else {
            smart_sessions_codec::EnableMode::Enable
        }
    }

    /// The ENABLE-mode `userOp.signature` around the session key's signature.
    pub fn enable_signature(&self, session_key_signature: &[u8]) -> Result<Bytes, ClientError> {
        let enable = self.enable().ok_or_else(|| ClientError::Inconsistent {
            step: "enable signature",
            what: Inconsistency::NoEnablePayload,
        })?;
        smart_sessions_codec::encode_enable(
            self.generation,
            self.mode(),
            &enable,
            session_key_signature,
        )
        .map(Into::into)
        .map_err(encoding("enable signature"))
    }

    /// An ENABLE-mode stub of the real size and shape, for gas estimation.
    pub fn stub_enable_signature(&self) -> Result<Bytes, ClientError> {
        self.enable_signature(&stub_ecdsa_signature())
    }
}

impl SmartSessions {
    /// The off-chain grant: reads `getNonce` once (the only network call), computes the session
    /// digest and the multichain digest for `chain_id`, has `owner` sign it in `style`, and
    /// prefixes the signature so the account routes it to `owner_validator`.
    #[allow(clippy::too_many_arguments)]
    pub async fn grant_off_chain<P: Provider, S: alloy_signer::Signer + Sync>(
        &self,
        provider: &P,
        account: Address,
        chain_id: u64,
        session: &AnySession,
        unsafe_enable: bool,
        owner: &S,
        owner_validator: Address,
        style: OwnerSignatureStyle,
    ) -> Result<SessionDetails, ClientError> {
        let mut details = grant_off_chain_multichain(
            &[(chain_id, provider, *self)],
            account,
            session,
            unsafe_enable,
            owner,
            owner_validator,
            style,
        )
        .await?;
        details.pop().ok_or_else(|| ClientError::Inconsistent {
            step: "off-chain grant",
            what: Inconsistency::NoChain,
        })
    }
}

/// The off-chain grant for several chains at once: one `getNonce` per chain, one owner
/// signature over the multichain digest of every chain's session digest, and for each chain the
/// [`SessionDetails`] its session key uses there (its `chainDigestIndex` pointing at its own
/// entry). The account must have the same address on every chain; every chain's module must be
/// of the same generation (the multichain digest's EIP-712 family).
pub async fn grant_off_chain_multichain<P: Provider, S: alloy_signer::Signer + Sync>(
    chains: &[(u64, &P, SmartSessions)],
    account: Address,
    session: &AnySession,
    unsafe_enable: bool,
    owner: &S,
    owner_validator: Address,
    style: OwnerSignatureStyle,
) -> Result<Vec<SessionDetails>, ClientError> {
    use smart_sessions_codec::{AccountType, ChainDigest, EnableMode, eip712};
    let invalid = |what| ClientError::Inconsistent { step: "off-chain grant", what };
    let Some((_, _, first)) = chains.first() else {
        return Err(invalid(Inconsistency::NoChain));
    };
    let generation = first.generation;
    if let Some((id, _, ss)) = chains.iter().find(|(_, _, ss)| ss.generation != generation) {
        return Err(invalid(Inconsistency::GenerationsDiffer {
            chain_id: *id,
            generation: ss.generation.name(),
            first: generation.name(),
        }));
    }
    let is_legacy = matches!(session, AnySession::Legacy(_));
    if is_legacy != generation.is_legacy() {
        return Err(invalid(Inconsistency::LayoutMismatch { generation: generation.name() }));
    }
    let permission_id = session.permission_id();
    let mode = if unsafe_enable { EnableMode::UnsafeEnable } else { EnableMode::Enable };
    let mut digests = Vec::with_capacity(chains.len());
    let mut nonces = Vec::with_capacity(chains.len());
    for (chain_id, provider, ss) in chains {
        let nonce = ss.enable_nonce(*provider, permission_id, account).await?;
        let digest = eip712::any_session_digest(session, account, ss.address, mode, nonce);
        digests.push(ChainDigest { chainId: *chain_id, sessionDigest: digest });
        nonces.push(nonce);
    }
    let to_sign = eip712::multichain_digest(generation, &digests);
    let sig = match style {
        OwnerSignatureStyle::TypedData => {
            sign_multichain_typed_data(owner, session, account, mode, chains, &nonces, to_sign)
                .await
        }
        OwnerSignatureStyle::PersonalSign => owner.sign_message(to_sign.as_slice()).await,
    }
    .map_err(|source| ClientError::Signer { step: "owner signature", source })?
    .as_bytes();
    let prefixed = AccountType::Nexus.format_permission_enable_sig(owner_validator, &sig);
    let mut out = Vec::with_capacity(chains.len());
    for (index, (_, _, ss)) in chains.iter().enumerate() {
        let index = u8::try_from(index)
            .map_err(|_| invalid(Inconsistency::TooManyChains { chains: chains.len() }))?;
        let (enable_session, legacy_enable_session) = match session {
            AnySession::Current(s) => (
                Some(smart_sessions_codec::EnableSession {
                    chainDigestIndex: index,
                    hashesAndChainIds: digests.clone(),
                    sessionToEnable: s.clone(),
                    permissionEnableSig: prefixed.clone(),
                }),
                None,
            ),
            AnySession::Legacy(s) => (
                None,
                Some(smart_sessions_codec::legacy::EnableSession {
                    chainDigestIndex: index,
                    hashesAndChainIds: digests.clone(),
                    sessionToEnable: s.clone(),
                    permissionEnableSig: prefixed.clone(),
                }),
            ),
        };
        out.push(SessionDetails {
            generation,
            smart_session: ss.address,
            account,
            permission_id,
            unsafe_enable,
            legacy_enable_session,
            enable_session,
            legacy_session: None,
            session: None,
        });
    }
    Ok(out)
}

/// Has `owner` sign the `MultiChainSession` (legacy: `MultiChainSessionEIP712`) typed data
/// through [`Signer::sign_typed_data`](alloy_signer::Signer::sign_typed_data), so signers that
/// sign typed data only (Ledger, Trezor) can grant. The struct's EIP-712 hash is checked against
/// `digest` (the contract's) first: a signer is never asked to sign anything else.
async fn sign_multichain_typed_data<P, S: alloy_signer::Signer + Sync>(
    owner: &S,
    session: &AnySession,
    account: Address,
    mode: smart_sessions_codec::EnableMode,
    chains: &[(u64, &P, SmartSessions)],
    nonces: &[U256],
    digest: B256,
) -> alloy_signer::Result<alloy_primitives::Signature> {
    use alloy_sol_types::SolStruct;
    use smart_sessions_codec::{ChainSession, MultiChainSession, SignedSession, eip712};
    let domain = eip712::domain();
    let mismatch = || {
        alloy_signer::Error::other(format!(
            "the MultiChainSession typed data does not hash to the enable digest {digest}"
        ))
    };
    match session {
        AnySession::Current(s) => {
            let typed = MultiChainSession {
                sessionsAndChainIds: chains
                    .iter()
                    .zip(nonces)
                    .map(|((chain_id, _, ss), nonce)| ChainSession {
                        chainId: *chain_id,
                        session: SignedSession::from_session(s, account, ss.address, mode, *nonce),
                    })
                    .collect(),
            };
            if typed.eip712_signing_hash(&domain) != digest {
                return Err(mismatch());
            }
            owner.sign_typed_data(&typed, &domain).await
        }
        AnySession::Legacy(s) => {
            use smart_sessions_codec::legacy::{
                ChainSessionEIP712, MultiChainSessionEIP712, SessionEIP712,
            };
            let typed = MultiChainSessionEIP712 {
                sessionsAndChainIds: chains
                    .iter()
                    .zip(nonces)
                    .map(|((chain_id, _, ss), nonce)| ChainSessionEIP712 {
                        chainId: *chain_id,
                        session: SessionEIP712::from_session(s, account, ss.address, mode, *nonce),
                    })
                    .collect(),
            };
            if typed.eip712_signing_hash(&domain) != digest {
                return Err(mismatch());
            }
            owner.sign_typed_data(&typed, &domain).await
        }
    }
}

/// `isPermissionEnabled` of every permission on every chain: permission id → chain id → enabled.
/// One JSON-RPC batch per chain.
pub async fn check_enabled_permissions<P: Provider>(
    chains: &[(u64, &P, SmartSessions)],
    account: Address,
    permission_ids: &[B256],
) -> Result<std::collections::BTreeMap<B256, std::collections::BTreeMap<u64, bool>>, ClientError> {
    let fail =
        |e: alloy_provider::transport::TransportError| ClientError::node("isPermissionEnabled", e);
    let mut out: std::collections::BTreeMap<B256, std::collections::BTreeMap<u64, bool>> =
        Default::default();
    for (chain_id, provider, ss) in chains {
        let mut batch = alloy_rpc_client::BatchRequest::new(provider.client());
        let module = SmartSessionContract::new(ss.address, *provider);
        let mut waiters = Vec::new();
        for id in permission_ids {
            let c = module.isPermissionEnabled(*id, account);
            waiters.push((*id, crate::contract::add_call(&mut batch, c).map_err(fail)?));
        }
        batch.send().await.map_err(fail)?;
        for (id, w) in waiters {
            let raw = w.await.map_err(fail)?;
            let enabled = isPermissionEnabledCall::abi_decode_returns(&raw).map_err(|source| {
                tracing::debug!(chain_id, %id, "isPermissionEnabled answer does not decode");
                ClientError::Decode { step: "isPermissionEnabled", source }
            })?;
            out.entry(id).or_default().insert(*chain_id, enabled);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
