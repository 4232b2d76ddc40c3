//! What a permission's [`SessionDetails`] are good for on chain now: enabled, pending (its
//! ENABLE signature still carries SmartSession's current nonce), or dead (revoked or removed).

use crate::{FlowError, NexusClient, SessionDetails};
use alloy_primitives::U256;
use alloy_provider::Provider;
use smart_sessions_codec::{AnyEnableSession, EnableMode, eip712};

/// How far back [`NexusClient::grant_status`] looks for the nonce an old enable signature was
/// made for.
const NONCE_SEARCH: u64 = 256;

/// The state of a permission's grant on this client's chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrantStatus {
    /// Enabled on chain: operations use USE mode.
    Enabled,
    /// Not enabled; the details' enable signature was made for SmartSession's current nonce,
    /// so the first use enables it (ENABLE_AND_USE).
    Pending,
    /// Not enabled, and the details' enable signature was made for an older nonce than
    /// `SmartSession.getNonce`: it was revoked (`revokeEnableSignature`), or the session was
    /// enabled with it and removed since. No operation can use these details.
    RevokedOrRemoved {
        /// The nonce the owner signed (`None`: none of the last 256 nonces).
        signed_nonce: Option<U256>,
        /// `SmartSession.getNonce(permissionId, account)` now.
        current_nonce: U256,
    },
    /// Not enabled, and the details carry no enable signature: the session was removed (or
    /// never enabled on this chain).
    Removed,
}

impl std::fmt::Display for GrantStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Enabled => f.write_str("enabled"),
            Self::Pending => f.write_str("pending (enabled by its first use)"),
            Self::RevokedOrRemoved { signed_nonce: Some(n), current_nonce } => write!(
                f,
                "revoked or removed (the enable signature is for nonce {n}, SmartSession is at {current_nonce})"
            ),
            Self::RevokedOrRemoved { signed_nonce: None, current_nonce } => write!(
                f,
                "revoked or removed (the enable signature is for none of the nonces up to {current_nonce})"
            ),
            Self::Removed => f.write_str("removed (not enabled, and no enable signature)"),
        }
    }
}

impl<N: Provider, B: Provider> NexusClient<N, B> {
    /// Whether `details` can still be used here, and how: `isPermissionEnabled`, and for a
    /// permission not enabled with an enable signature, `SmartSession.getNonce` compared with
    /// the nonce the owner signed (two calls at most).
    pub async fn grant_status(&self, details: &SessionDetails) -> Result<GrantStatus, FlowError> {
        if self.is_permission_enabled(details.permission_id).await? {
            return Ok(GrantStatus::Enabled);
        }
        self.enable_signature_status(details).await
    }

    /// The status of `details`' enable signature for a permission not enabled.
    pub(crate) async fn enable_signature_status(
        &self,
        details: &SessionDetails,
    ) -> Result<GrantStatus, FlowError> {
        let Some(enable) = details.enable() else { return Ok(GrantStatus::Removed) };
        let (index, digests) = match &enable {
            AnyEnableSession::Current(e) => (e.chainDigestIndex, &e.hashesAndChainIds),
            AnyEnableSession::Legacy(e) => (e.chainDigestIndex, &e.hashesAndChainIds),
        };
        let signed = digests.get(usize::from(index)).ok_or(FlowError::Unusable {
            field: "sessionDetails.enableSession.chainDigestIndex",
            problem: crate::error::Unusable::DigestIndexPastEnd { index, len: digests.len() },
        })?;
        if signed.chainId != self.chain_id {
            return Err(FlowError::Unusable {
                field: "sessionDetails.enableSession.hashesAndChainIds",
                problem: crate::error::Unusable::DigestForOtherChain {
                    index,
                    digest_chain: signed.chainId,
                    chain_id: self.chain_id,
                },
            });
        }
        let current = self
            .smart_sessions()
            .enable_nonce(&self.node, details.permission_id, self.account.address)
            .await?;
        let session = enable.session();
        let mode =
            if details.unsafe_enable { EnableMode::UnsafeEnable } else { EnableMode::Enable };
        let digest = |n: U256| {
            eip712::any_session_digest(
                &session,
                self.account.address,
                self.deployments.smart_session,
                mode,
                n,
            )
        };
        if digest(current) == signed.sessionDigest {
            return Ok(GrantStatus::Pending);
        }
        let back = current.saturating_sub(U256::from(NONCE_SEARCH));
        let mut n = current;
        let mut signed_nonce = None;
        while n > back {
            n -= U256::from(1);
            if digest(n) == signed.sessionDigest {
                signed_nonce = Some(n);
                break;
            }
        }
        Ok(GrantStatus::RevokedOrRemoved { signed_nonce, current_nonce: current })
    }
}
