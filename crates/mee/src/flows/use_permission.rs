//! `usePermission`.

use alloy_primitives::{Bytes, U256};
use alloy_signer::Signer;
use alloy_sol_types::SolValue;

use crate::{
    Instruction, MeeError, MultichainAccount, Payment, SessionDetails, VerifiedQuote,
    actions::use_permission_request,
    exec::ExecSession,
    quote_request::UseMode,
    session::{Call, TRANSFER_SELECTOR, precheck_with},
};

use super::{FlowError, MeeSessions, PreparedSupertransaction, Submitted, submit::check_fee};

/// What a use asks for (`usePermission`'s parameters).
#[derive(Clone, Debug)]
pub struct UsePermission<'a> {
    /// The granted session entries (one per chain), as a grant flow returned them.
    pub details: &'a [SessionDetails],
    /// USE (sessions already enabled) or ENABLE_AND_USE (the first userOp of each chain
    /// enables its session).
    pub mode: UseMode,
    /// The calls the redeemer makes, per chain; each is pre-checked against its session's
    /// policies before any node call.
    pub instructions: &'a [Instruction],
    /// How the fee is paid: in a fee token (within the session's payment policy) or by a tank.
    pub payment: Payment,
    /// `verificationGasLimit` (the SDK's rules say where it applies).
    pub verification_gas_limit: Option<u64>,
    /// The highest fee accepted (fee-token base units); a higher quote is not signed.
    pub max_fee: Option<U256>,
}

impl<'a> UsePermission<'a> {
    /// A use of `details` for `instructions`.
    pub const fn new(
        details: &'a [SessionDetails],
        mode: UseMode,
        instructions: &'a [Instruction],
        payment: Payment,
    ) -> Self {
        Self { details, mode, instructions, payment, verification_gas_limit: None, max_fee: None }
    }

    /// Sets the caller's `verificationGasLimit` for the session userOps (the SDK ignores it on
    /// the payment chain when not sponsored; see [`crate::session::verification_gas_limit`]).
    #[must_use]
    pub const fn verification_gas_limit(mut self, gas: u64) -> Self {
        self.verification_gas_limit = Some(gas);
        self
    }

    /// Sets the highest fee accepted (fee-token base units): a quote above it is refused with
    /// [`FlowError::FeeAboveLimit`](super::FlowError::FeeAboveLimit) before anything is signed.
    #[must_use]
    pub const fn max_fee(mut self, fee: U256) -> Self {
        self.max_fee = Some(fee);
        self
    }
}

/// The quoted fee transfer run through the fee chain's session policies (the payment policy's
/// per-use bound), so a fee the session cannot pay is refused before signing.
fn precheck_fee(
    policies: &crate::PolicyAddresses,
    details: &[SessionDetails],
    quote: &VerifiedQuote,
    sponsored: bool,
) -> Result<(), FlowError> {
    if sponsored {
        return Ok(());
    }
    let (Some((token, to, amount)), Some(pay)) = (quote.fee_transfer(), quote.user_ops().first())
    else {
        return Ok(());
    };
    let mut data = TRANSFER_SELECTOR.to_vec();
    data.extend_from_slice(&(to, amount).abi_encode_params());
    let ins = [Instruction::new(pay.chain_id, vec![Call::new(token, Bytes::from(data))])];
    precheck_with(policies, details, &ins).map_err(|e| FlowError::Mee(MeeError::Precheck(e)))?;
    Ok(())
}

impl MeeSessions {
    /// `usePermission` up to the signature: the off-chain policy pre-check of every call
    /// (a refused call fails here, naming the rule, before any node call), the nonces, the
    /// quote (verified against the request), the fee (against [`UsePermission::max_fee`] and
    /// the session's payment policy), the redeemer's signature. Send it with
    /// [`Self::submit`].
    pub async fn prepare_use_permission<S: Signer + Send + Sync>(
        &self,
        redeemer: &S,
        account: &MultichainAccount,
        params: &UsePermission<'_>,
    ) -> Result<PreparedSupertransaction, FlowError> {
        let (request, _report) = use_permission_request(
            account,
            params.details,
            params.mode,
            params.instructions,
            params.payment.clone(),
            params.verification_gas_limit,
            self.clock.as_ref(),
        )?;
        let sponsored = request.sponsored();
        let policies = self.version.policies();
        let session = ExecSession { details: params.details, mode: params.mode };
        self.quote_and_sign(redeemer, request, Some(session), |q| {
            check_fee(q, params.max_fee)?;
            precheck_fee(&policies, params.details, q, sponsored)
        })
        .await
    }

    /// `usePermission`: [`Self::prepare_use_permission`], then `exec` once. The redeemer signs;
    /// `account` is the owner's account the sessions belong to.
    pub async fn use_permission<S: Signer + Send + Sync>(
        &self,
        redeemer: &S,
        account: &MultichainAccount,
        params: &UsePermission<'_>,
    ) -> Result<Submitted, FlowError> {
        let prepared = self.prepare_use_permission(redeemer, account, params).await?;
        self.submit(&prepared).await
    }
}
