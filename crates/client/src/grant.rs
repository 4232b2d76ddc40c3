//! Granting permissions: prepare (deploy, install), trust attesters, grants on chain, off-chain
//! grants (ENABLE signatures), and the multichain off-chain grant.

use crate::error::Unusable;
use crate::{
    FlowError, Grant, NexusClient, OwnerSignatureStyle, Sent, SessionDetails, SessionRequest,
    SmartSessions,
    sessions::{trust_attesters, trusted_attesters},
};
use alloy_primitives::{Address, B256};
use alloy_provider::Provider;
use alloy_signer::Signer;
use smart_sessions_codec::{AnySession, Generation};

impl<N: Provider, B: Provider> NexusClient<N, B> {
    /// Deploys the account if needed and installs SmartSession if needed, in one owner
    /// operation; `None` when there was nothing to do.
    ///
    /// ```rust,no_run
    /// # use alloy_provider::Provider;
    /// # use alloy_signer_local::PrivateKeySigner;
    /// # use smart_sessions_client::NexusClient;
    /// # async fn f(client: &NexusClient<impl Provider, impl Provider>, owner: &PrivateKeySigner)
    /// # -> Result<(), Box<dyn std::error::Error>> {
    /// // Deploys the account and installs SmartSession, or does nothing when both are done.
    /// match client.prepare(owner).await? {
    ///     Some(sent) => println!("prepared in {}", sent.user_op_hash),
    ///     None => println!("already prepared"),
    /// }
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address))]
    pub async fn prepare<S: Signer + Sync>(&self, owner: &S) -> Result<Option<Sent>, FlowError> {
        if self.is_smart_sessions_installed().await? {
            return Ok(None);
        }
        let install = self.smart_sessions().install(self.account.address, &[])?;
        let sent = self.owner_execute(owner, &[install]).await?;
        self.state().installed = Some(true);
        Ok(Some(sent))
    }

    /// Makes the account trust `attesters` in the ERC-7484 registry, `threshold` of which must have
    /// attested a module, in one owner operation (`registry.trustAttesters(threshold, attesters)`;
    /// the list is sorted and checked first, [`TrustInputError`](crate::TrustInputError)).
    pub async fn trust_attesters<S: Signer + Sync>(
        &self,
        owner: &S,
        attesters: &[Address],
        threshold: u8,
    ) -> Result<Sent, FlowError> {
        // the reference registry takes them strictly ascending (else InvalidTrustedAttesterInput)
        let attesters = crate::trust_input(attesters, threshold)?;
        let call = trust_attesters(self.deployments.registry, threshold, &attesters);
        self.owner_execute(owner, &[call]).await
    }

    /// Whether this generation's SmartSession consults the ERC-7484 registry when enabling.
    pub const fn consults_registry(&self) -> bool {
        !matches!(self.deployments.generation, Generation::Current)
    }

    /// The mode of this client's off-chain grants (the owner-signed enable payload a session
    /// key sends with its first operation): `UNSAFE_ENABLE` (0x02) for v1.0 and the current
    /// generation, `ENABLE` (0x01) for legacy.
    ///
    /// Why not `ENABLE` for v1.0: in ENABLE, SmartSession v1.0 calls
    /// `registry.checkForAccount` for every policy and the session validator **during
    /// validation**. Traced on the devnet (Alto 0.0.20's ERC-7562 collector tracer run by
    /// anvil's `debug_traceCall`, the devnet's registry having the reference registry's
    /// storage layout), the validation of one ENABLE operation reads three registry slots: the
    /// account's trust record `keccak(account ‖ 3)`, which is storage associated with the
    /// sender (STO-021, allowed), and the attestation records `keccak(attester ‖ keccak(module ‖
    /// 4))` of SudoPolicy and the session validator, keyed by module and attester: storage of
    /// a non-entity contract not associated with the sender, which ERC-7562 allows only for a
    /// staked entity (STO-033). Nexus accounts are not staked, so a bundler enforcing ERC-7562
    /// refuses such an operation (Alto's own safe mode could not give the verdict on anvil: it
    /// fails on every operation, see README "SmartSession generations"). `UNSAFE_ENABLE` reads
    /// no registry storage, and is what `@biconomy/abstractjs` 1.2.3 signs
    /// (`grantPermission` and `usePermission`). The registry's checks still run for grants
    /// sent on chain (`enableSessions` always consults it in v1.0). The legacy generation keeps
    /// `ENABLE` (its devnet flows test it); the same storage analysis applies to it.
    pub const fn off_chain_grant_mode(&self) -> smart_sessions_codec::EnableMode {
        match self.deployments.generation {
            Generation::Legacy => smart_sessions_codec::EnableMode::Enable,
            _ => smart_sessions_codec::EnableMode::UnsafeEnable,
        }
    }

    /// `grantPermission({ sessionRequestedInfo })`: builds the sessions (validated), and in one
    /// owner operation: trusts the deployment's attesters if the registry shows none (on
    /// generations that consult it), installs SmartSession with the sessions if it is not
    /// installed (deploying the account if needed), or enables them.
    ///
    /// ```rust,no_run
    /// # use alloy_provider::Provider;
    /// # use alloy_signer_local::PrivateKeySigner;
    /// # use smart_sessions_client::NexusClient;
    /// # async fn f(
    /// #     client: &NexusClient<impl Provider, impl Provider>,
    /// #     owner: &PrivateKeySigner,
    /// #     session_key: &PrivateKeySigner,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// use smart_sessions_client::SessionRequest;
    /// // `sessionRequestedInfo` as the TypeScript SDK takes it: a session key that may call
    /// // `transfer(address,uint256)` of a token with an amount below 1,000,000.
    /// let request: SessionRequest = serde_json::from_value(serde_json::json!({
    ///     "sessionPublicKey": session_key.address(),
    ///     "actionPoliciesInfo": [{
    ///         "contractAddress": "0x1111111111111111111111111111111111111111",
    ///         "functionSelector": "0xa9059cbb",
    ///         "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": false,
    ///                     "ref": 1000000 }]
    ///     }]
    /// }))?;
    /// let grant = client.grant_permission(owner, &[request]).await?;
    /// // Hand `grant.sessions[0]` (serde) to whoever holds the session key.
    /// println!("{}", serde_json::to_string(&grant.sessions[0])?);
    /// # Ok(()) }
    /// ```
    pub async fn grant_permission<S: Signer + Sync>(
        &self,
        owner: &S,
        requests: &[SessionRequest],
    ) -> Result<Grant, FlowError> {
        let sessions = requests
            .iter()
            .map(|r| r.to_session(&self.deployments))
            .collect::<Result<Vec<_>, _>>()?;
        self.grant_sessions(owner, &sessions).await
    }

    /// [`grant_permission`](Self::grant_permission) for sessions already built.
    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address, sessions = sessions.len()))]
    pub async fn grant_sessions<S: Signer + Sync>(
        &self,
        owner: &S,
        sessions: &[AnySession],
    ) -> Result<Grant, FlowError> {
        let ss = self.smart_sessions();
        let mut calls = Vec::new();
        let deployed = self.is_deployed().await?;
        if self.consults_registry() && !self.deployments.attesters.is_empty() {
            // an account that trusts attesters already (or whose factory call sets them) keeps
            // its list and threshold: no trustAttesters that changes nothing, none that raises
            // its threshold; an account trusting no one trusts the deployment's attesters with
            // threshold 1, as the factories and the TypeScript SDKs do
            let trusted = if deployed {
                trusted_attesters(&self.node, self.deployments.registry, self.account.address)
                    .await?
            } else {
                factory_attesters(&self.account.factory_data)
            };
            if trusted.is_empty() {
                let attesters = crate::trust_input(&self.deployments.attesters, 1)?;
                calls.push(trust_attesters(self.deployments.registry, 1, &attesters));
            } else {
                tracing::debug!(?trusted, "the account trusts attesters already: kept as they are");
            }
        }
        let installed = self.is_smart_sessions_installed().await?;
        calls.push(if installed {
            ss.enable_sessions(sessions)?
        } else {
            ss.install(self.account.address, sessions)?
        });
        let sent = self.owner_execute(owner, &calls).await?;
        let mut st = self.state();
        st.installed = Some(true);
        let permission_ids: Vec<B256> = sessions.iter().map(AnySession::permission_id).collect();
        for id in &permission_ids {
            st.enabled.insert(*id, true);
            st.policies.remove(id);
        }
        drop(st);
        let details = sessions
            .iter()
            .map(|s| SessionDetails::enabled(ss, self.account.address, s.clone()))
            .collect();
        Ok(Grant { sent, permission_ids, sessions: details })
    }

    /// `grantPermissionTypedDataSign`: the owner signs the enable digest as EIP-712 typed data;
    /// nothing is sent. One call (`getNonce`).
    pub async fn grant_permission_typed_data_sign<S: Signer + Sync>(
        &self,
        owner: &S,
        request: &SessionRequest,
    ) -> Result<SessionDetails, FlowError> {
        self.grant_deferred(owner, request, OwnerSignatureStyle::TypedData).await
    }

    /// `grantPermissionPersonalSign`: as
    /// [`grant_permission_typed_data_sign`](Self::grant_permission_typed_data_sign) with an
    /// EIP-191 signature of the digest.
    pub async fn grant_permission_personal_sign<S: Signer + Sync>(
        &self,
        owner: &S,
        request: &SessionRequest,
    ) -> Result<SessionDetails, FlowError> {
        self.grant_deferred(owner, request, OwnerSignatureStyle::PersonalSign).await
    }

    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address, style = ?style))]
    async fn grant_deferred<S: Signer + Sync>(
        &self,
        owner: &S,
        request: &SessionRequest,
        style: OwnerSignatureStyle,
    ) -> Result<SessionDetails, FlowError> {
        let session = request.to_session(&self.deployments)?;
        Ok(self
            .smart_sessions()
            .grant_off_chain(
                &self.node,
                self.account.address,
                self.chain_id,
                &session,
                matches!(
                    self.off_chain_grant_mode(),
                    smart_sessions_codec::EnableMode::UnsafeEnable
                ),
                owner,
                self.deployments.owner_validator,
                style,
            )
            .await?)
    }
}

/// The attesters a counterfactual account's factory call sets in the registry: those of a
/// `K1ValidatorFactory.createAccount(owner, index, attesters, threshold)`; none for other
/// factory data (the `NexusAccountFactory` accounts this crate builds set none).
fn factory_attesters(factory_data: &[u8]) -> Vec<Address> {
    use alloy_sol_types::SolCall;
    crate::nexus::K1ValidatorFactory::createAccountCall::abi_decode(factory_data)
        .map(|c| c.attesters)
        .unwrap_or_default()
}

/// The off-chain grant for several chains at once (one owner signature; `getNonce` once per
/// chain; nothing sent): for each client, in order, the [`SessionDetails`] its session key uses
/// there, ENABLE_AND_USE on its first operation. The clients must be for the same account
/// address and SmartSession generation; the session is built once from `request` with the first
/// client's deployment (policy addresses must be the same on every chain).
pub async fn grant_permission_multichain<N, B, S>(
    clients: &[&NexusClient<N, B>],
    owner: &S,
    request: &SessionRequest,
    style: OwnerSignatureStyle,
) -> Result<Vec<SessionDetails>, FlowError>
where
    N: Provider,
    B: Provider,
    S: Signer + Sync,
{
    let first = clients
        .first()
        .ok_or(FlowError::Unusable { field: "clients", problem: Unusable::NoChain })?;
    if let Some(c) = clients.iter().find(|c| c.address() != first.address()) {
        return Err(FlowError::Unusable {
            field: "clients",
            problem: Unusable::AccountDiffers {
                first: first.address(),
                first_chain: first.chain_id(),
                other: c.address(),
                other_chain: c.chain_id(),
            },
        });
    }
    let session = request.to_session(first.deployments())?;
    let chains: Vec<(u64, &N, SmartSessions)> =
        clients.iter().map(|c| (c.chain_id(), c.node(), c.smart_sessions())).collect();
    Ok(crate::sessions::grant_off_chain_multichain(
        &chains,
        first.address(),
        &session,
        !first.consults_registry(),
        owner,
        first.deployments().owner_validator,
        style,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use crate::{
        Deployments, NexusAccount, NexusClient, SessionRequest,
        test_transport::{Reply, Scripted},
    };
    use alloy_primitives::Address;
    use serde_json::json;

    /// An off-chain grant of a v1.0 client signs UNSAFE_ENABLE (mode byte 0x02 of the
    /// signature the session key sends), a legacy client's ENABLE (0x01); the node answers
    /// `getNonce` with 0 (scripted).
    #[tokio::test]
    async fn off_chain_grants_are_unsafe_enable_on_v1_and_enable_on_legacy() {
        for (d, mode) in [(Deployments::v1_nexus_k1(), 2u8), (Deployments::legacy_nexus_k1(), 1)] {
            let node = Scripted::new(|m, _| match m {
                "eth_call" => Reply::Ok(json!(format!("0x{}", "00".repeat(32)))),
                other => panic!("unexpected {other}"),
            });
            let bundler = Scripted::new(|m, _| panic!("the bundler was asked {m}"));
            let c = NexusClient::with_chain_id(
                node.provider(),
                bundler.provider(),
                1,
                d,
                NexusAccount::existing(Address::repeat_byte(1), crate::ENTRY_POINT_V07),
            );
            let request: SessionRequest = serde_json::from_value(json!({
                "sessionPublicKey": Address::repeat_byte(5),
                "actionPoliciesInfo": [{ "contractAddress": Address::repeat_byte(9),
                    "functionSelector": "0xa9059cbb", "sudo": true }]
            }))
            .unwrap();
            let owner = alloy_signer_local::PrivateKeySigner::random();
            let details = c.grant_permission_typed_data_sign(&owner, &request).await.unwrap();
            let sig = details.enable_signature(&[0u8; 65]).unwrap();
            assert_eq!(sig[0], mode, "{:?}", c.deployments.generation);
        }
    }
}
