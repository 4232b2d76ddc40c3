//! An owner supertransaction (the SDK's `getQuote` + `executeQuote` without a session).

use alloy_primitives::U256;
use alloy_signer::Signer;

use crate::{Instruction, MultichainAccount, Payment, QuoteParams, build_quote_request};

use super::{FlowError, MeeSessions, Submitted, submit::check_fee};

impl MeeSessions {
    /// Runs `instructions` as the `owner` (deploying where the account has no code), paid with
    /// `payment`; a quoted fee above `max_fee` is refused before signing. Reads the deployments
    /// first.
    pub async fn execute<S: Signer + Send + Sync>(
        &self,
        owner: &S,
        account: &mut MultichainAccount,
        instructions: &[Instruction],
        payment: Payment,
        max_fee: Option<U256>,
    ) -> Result<Submitted, FlowError> {
        self.refresh(account).await?;
        let params = QuoteParams {
            account,
            instructions,
            payment,
            session: None,
            lower_bound_timestamp: None,
        };
        let request = build_quote_request(&params, self.clock.as_ref())?;
        let prepared = self.quote_and_sign(owner, request, None, |q| check_fee(q, max_fee)).await?;
        self.submit(&prepared).await
    }
}
