//! `usePermission` without the off-chain policy pre-check, for calls the evaluator refuses or
//! cannot model although the chain would accept them (the CLI's `mee use --skip-check`).

use alloy_signer::Signer;

use crate::{
    MeeError, MultichainAccount,
    exec::ExecSession,
    quote_request::{QuoteParams, SessionUse, build_quote_request},
};

use super::{FlowError, MeeSessions, Submitted, UsePermission, submit::check_fee};

impl MeeSessions {
    /// [`Self::use_permission`] without the pre-check of the calls and of the quoted fee
    /// against the session's policies: the quote is still verified against the request and
    /// [`UsePermission::max_fee`] still applies. A call the session refuses then fails in the
    /// node's simulation or on chain (a node that simulates first, as the local one does, takes
    /// no fee for it; a node that does not may).
    pub async fn use_permission_unchecked<S: Signer + Send + Sync>(
        &self,
        redeemer: &S,
        account: &MultichainAccount,
        params: &UsePermission<'_>,
    ) -> Result<Submitted, FlowError> {
        if account.version.version.signs_eip712() {
            return Err(FlowError::Mee(MeeError::SessionsNeedSimpleMode {
                version: account.version.version.as_str(),
            }));
        }
        let session = SessionUse {
            details: params.details,
            mode: params.mode,
            verification_gas_limit: params.verification_gas_limit,
        };
        let request = build_quote_request(
            &QuoteParams {
                account,
                instructions: params.instructions,
                payment: params.payment.clone(),
                session: Some(session),
                lower_bound_timestamp: None,
            },
            self.clock.as_ref(),
        )?;
        let exec = ExecSession { details: params.details, mode: params.mode };
        let prepared = self
            .quote_and_sign(redeemer, request, Some(exec), |q| check_fee(q, params.max_fee))
            .await?;
        self.submit(&prepared).await
    }
}
