//! Granting permissions: prepare (deploy, install), trust attesters, grants on chain, off-chain
//! grants (ENABLE signatures), and the multichain off-chain grant.

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

    /// `registry.trustAttesters(threshold, attesters)` from the account.
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

    /// `grantPermission({ sessionRequestedInfo })`: builds the sessions (validated), and in one
    /// owner operation: trusts the deployment's attesters if the registry shows none (on
    /// generations that consult it), installs SmartSession with the sessions if it is not
    /// installed (deploying the account if needed), or enables them.
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
                !self.consults_registry(),
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
        .ok_or(FlowError::Invalid { field: "clients", reason: "no chain given".into() })?;
    if let Some(c) = clients.iter().find(|c| c.address() != first.address()) {
        return Err(FlowError::Invalid {
            field: "clients",
            reason: format!(
                "the account is {} on chain {} but {} on chain {}",
                first.address(),
                first.chain_id(),
                c.address(),
                c.chain_id()
            ),
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
