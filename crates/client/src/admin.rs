//! Administering permissions from the owner's account: remove a session, revoke an enable
//! signature, disable actions and policies.

use crate::{FlowError, NexusClient, Sent};
use alloy_primitives::{Address, B256, FixedBytes};
use alloy_provider::Provider;
use alloy_signer::Signer;

impl<N: Provider, B: Provider> NexusClient<N, B> {
    /// Removes the session `permission_id` from the account (`removeSession(permissionId)`, one
    /// owner operation): its session key can no longer use it, and this client forgets its
    /// cached state.
    ///
    /// ```rust,no_run
    /// # use alloy_provider::Provider;
    /// # use alloy_signer_local::PrivateKeySigner;
    /// # use smart_sessions_client::{NexusClient, SessionDetails};
    /// # async fn f(
    /// #     client: &NexusClient<impl Provider, impl Provider>,
    /// #     owner: &PrivateKeySigner,
    /// #     details: &SessionDetails,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// let sent = client.remove_session(owner, details.permission_id).await?;
    /// println!("removed in {}", sent.user_op_hash);
    /// assert!(!client.is_permission_enabled(details.permission_id).await?);
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address, permission_id = %permission_id))]
    pub async fn remove_session<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
    ) -> Result<Sent, FlowError> {
        let sent = self
            .owner_execute(owner, &[self.smart_sessions().remove_session(permission_id)])
            .await?;
        let mut st = self.state();
        st.enabled.insert(permission_id, false);
        st.policies.remove(&permission_id);
        Ok(sent)
    }

    /// `revokeEnableSignature(permissionId)`: invalidates a signed, not yet used enable.
    pub async fn revoke_enable_signature<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
    ) -> Result<Sent, FlowError> {
        self.owner_execute(owner, &[self.smart_sessions().revoke_enable_signature(permission_id)])
            .await
    }

    /// Removes `policies` from one action (target, selector) of `permission_id`, in one owner
    /// operation (`SmartSession.disableActionPolicies(permissionId, actionId, policies)`).
    pub async fn disable_action_policies<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
        action: (Address, FixedBytes<4>),
        policies: &[Address],
    ) -> Result<Sent, FlowError> {
        let call = self.smart_sessions().disable_action_policies(
            permission_id,
            smart_sessions_codec::action_id(action.0, action.1),
            policies,
        );
        let sent = self.owner_execute(owner, &[call]).await?;
        self.state().policies.remove(&permission_id);
        Ok(sent)
    }

    /// `disableActionId(permissionId, actionId)`: the action is no longer allowed.
    pub async fn disable_action<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
        action: (Address, FixedBytes<4>),
    ) -> Result<Sent, FlowError> {
        let call = self
            .smart_sessions()
            .disable_action_id(permission_id, smart_sessions_codec::action_id(action.0, action.1));
        let sent = self.owner_execute(owner, &[call]).await?;
        self.state().policies.remove(&permission_id);
        Ok(sent)
    }

    /// Removes user-operation `policies` from `permission_id`, in one owner operation
    /// (`SmartSession.disableUserOpPolicies(permissionId, policies)`).
    pub async fn disable_user_op_policies<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
        policies: &[Address],
    ) -> Result<Sent, FlowError> {
        let call = self.smart_sessions().disable_user_op_policies(permission_id, policies);
        let sent = self.owner_execute(owner, &[call]).await?;
        self.state().policies.remove(&permission_id);
        Ok(sent)
    }
}
