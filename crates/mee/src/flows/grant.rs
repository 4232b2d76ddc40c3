//! `grantPermissionTypedDataSign` / `grantPermissionPersonalSign`.

use alloy_primitives::{Address, B256, U256};
use alloy_signer::Signer;
use smart_sessions_codec::permission_id;

use crate::{
    MultichainAccount, SessionDetails,
    session::{ChainRead, FeeToken, GrantAction, GrantPlan, grant_sessions, plan_grant},
};

use super::{FlowError, MeeSessions};

/// What a grant asks for (`grantPermission*`'s parameters).
#[derive(Clone, Debug)]
pub struct Grant<'a> {
    /// The session key's address: the signer that will redeem the sessions with
    /// `use_permission` (the sessions' `sessionValidatorInitData`).
    pub redeemer: Address,
    /// The actions, each with its chain (one session per distinct chain, in first-appearance
    /// order).
    pub actions: &'a [GrantAction],
    /// The fee token the sessions pay with, if any: its chain's session gets the payment policy.
    pub fee_token: Option<FeeToken>,
    /// The fee budget for the session's lifetime (`maxPaymentAmount`, base units); `None`: 5
    /// tokens, as the SDK (reads `decimals()`).
    pub max_payment_amount: Option<U256>,
    /// One salt per chain; `None`: 32 random bytes each (as the SDK).
    pub salts: Option<Vec<B256>>,
}

impl<'a> Grant<'a> {
    /// A grant of `actions` to `redeemer`, without a fee token.
    pub const fn new(redeemer: Address, actions: &'a [GrantAction]) -> Self {
        Self { redeemer, actions, fee_token: None, max_payment_amount: None, salts: None }
    }

    /// The fee token and the fee budget (`None`: 5 tokens).
    #[must_use]
    pub const fn fee_token(mut self, token: FeeToken, max_payment_amount: Option<U256>) -> Self {
        self.fee_token = Some(token);
        self.max_payment_amount = max_payment_amount;
        self
    }

    /// Fixed salts (one per chain).
    #[must_use]
    pub fn salts(mut self, salts: Vec<B256>) -> Self {
        self.salts = Some(salts);
        self
    }

    fn chain_count(&self) -> usize {
        let mut chains: Vec<u64> = Vec::new();
        for a in self.actions {
            if !chains.contains(&a.chain_id) {
                chains.push(a.chain_id);
            }
        }
        chains.len()
    }
}

/// The SDK's default fee budget: 5 tokens.
const DEFAULT_BUDGET_TOKENS: u64 = 5;

impl MeeSessions {
    /// The sessions of `grant` for `account`, with the chain reads the SDK makes
    /// (`SmartSession.getNonce`, `getSessionDigest(…, UNSAFE_ENABLE)`, and the fee token's
    /// `decimals()` without a budget); each digest read is checked against the local one.
    pub async fn plan_grant(
        &self,
        account: &MultichainAccount,
        grant: &Grant<'_>,
    ) -> Result<GrantPlan, FlowError> {
        let fee = match grant.fee_token {
            Some(t) => {
                let max = match grant.max_payment_amount {
                    Some(m) => m,
                    None => {
                        let d = self.token_decimals(t.chain_id, t.address).await?;
                        U256::from(DEFAULT_BUDGET_TOKENS) * U256::from(10u64).pow(U256::from(d))
                    }
                };
                Some((t, max))
            }
            None => None,
        };
        let salts = match &grant.salts {
            Some(s) => s.clone(),
            None => (0..grant.chain_count()).map(|_| B256::random()).collect(),
        };
        let sessions = grant_sessions(&self.version, grant.redeemer, grant.actions, fee, &salts)?;
        let mut reads = Vec::with_capacity(sessions.len());
        for s in &sessions {
            let chain_id = s.chain_id;
            let at = account.on(chain_id)?.address;
            let s = &s.session;
            let pid = permission_id(s.sessionValidator, &s.sessionValidatorInitData, s.salt);
            let nonce = self.permission_nonce(chain_id, pid, at).await?;
            let digest = self.session_digest(chain_id, pid, at, s).await?;
            reads
                .push((chain_id, ChainRead { smart_session_nonce: nonce, session_digest: digest }));
        }
        Ok(plan_grant(
            &self.version,
            grant.redeemer,
            grant.actions,
            fee,
            &salts,
            |c| account.on(c).ok().map(|d| d.address),
            |c| reads.iter().find(|(chain, _)| *chain == c).map(|(_, r)| *r),
        )?)
    }

    /// `grantPermissionTypedDataSign`: the owner signs the multichain session typed data once
    /// (through [`Signer::sign_typed_data`]); the `sessionDetails` array (mode 0x02, one entry
    /// per chain) is what [`Self::use_permission`] and abstractjs take.
    pub async fn grant_permission_typed_data_sign<S: Signer + Send + Sync>(
        &self,
        owner: &S,
        account: &MultichainAccount,
        grant: &Grant<'_>,
    ) -> Result<Vec<SessionDetails>, FlowError> {
        Ok(self.plan_grant(account, grant).await?.sign_typed_data(owner).await?)
    }

    /// `grantPermissionPersonalSign`: as [`Self::grant_permission_typed_data_sign`], the owner
    /// `personal_sign`s the multichain digest instead.
    pub async fn grant_permission_personal_sign<S: Signer + Send + Sync>(
        &self,
        owner: &S,
        account: &MultichainAccount,
        grant: &Grant<'_>,
    ) -> Result<Vec<SessionDetails>, FlowError> {
        Ok(self.plan_grant(account, grant).await?.sign_personal(owner).await?)
    }
}
