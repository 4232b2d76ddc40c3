//! `prepareForPermissions`.

use alloy_primitives::U256;
use alloy_signer::Signer;

use crate::{Instruction, MultichainAccount, Payment, actions::prepare_for_permissions_request};

use super::{FlowError, MeeSessions, Submitted, submit::check_fee};

impl MeeSessions {
    /// `prepareForPermissions`: on every chain of `account` where it is undeployed or lacks
    /// `SmartSessions`, deploy (initCode), `installModule(1, SmartSessions)` and make
    /// `SmartSessions` a safe sender of the MEE validator (`addSafeSender`), signed by the
    /// `owner`, paid with `payment` (fee token or sponsorship). `None` when nothing needs doing.
    ///
    /// Reads the deployments again first (and marks them deployed in `account` once the node
    /// accepted the supertransaction: wait for its receipt before relying on that).
    pub async fn prepare_for_permissions<S: Signer + Send + Sync>(
        &self,
        owner: &S,
        account: &mut MultichainAccount,
        payment: Payment,
    ) -> Result<Option<Submitted>, FlowError> {
        self.prepare_for_permissions_with(owner, account, payment, &[], None).await
    }

    /// [`Self::prepare_for_permissions`] with extra instructions (batched into each chain's
    /// userOp) and a fee limit (base units of the fee token; a higher quote is refused before
    /// signing with [`FlowError::FeeAboveLimit`]).
    pub async fn prepare_for_permissions_with<S: Signer + Send + Sync>(
        &self,
        owner: &S,
        account: &mut MultichainAccount,
        payment: Payment,
        extra: &[Instruction],
        max_fee: Option<U256>,
    ) -> Result<Option<Submitted>, FlowError> {
        self.refresh(account).await?;
        let mut installed = Vec::with_capacity(account.deployments.len());
        for d in &account.deployments {
            let ok = d.deployed && self.smart_sessions_installed(d.chain_id, d.address).await?;
            installed.push((d.chain_id, ok));
        }
        let is_installed = |c: u64| installed.iter().any(|(chain, ok)| *chain == c && *ok);
        let Some(request) = prepare_for_permissions_request(
            account,
            is_installed,
            payment,
            extra,
            self.clock.as_ref(),
        )?
        else {
            return Ok(None);
        };
        let prepared = self.quote_and_sign(owner, request, None, |q| check_fee(q, max_fee)).await?;
        let sent = self.submit(&prepared).await?;
        for d in &mut account.deployments {
            if prepared.request.user_ops.iter().any(|u| u.chain_id.0 == d.chain_id)
                || prepared.request.payment_info.chain_id.0 == d.chain_id
                    && !prepared.request.sponsored()
            {
                d.deployed = true;
            }
        }
        Ok(Some(sent))
    }
}
