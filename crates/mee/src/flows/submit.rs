//! The path every supertransaction of the flows takes: nonces, quote, verification, fee check,
//! signature, exec.

use alloy_primitives::{Address, B256, U256};
use alloy_signer::Signer;
use serde_json::{Map, Value};

use crate::{
    NodeQuote, QuoteRequest, VerifiedQuote,
    exec::{ExecSession, exec_body},
    node::NodeCall,
    sign::sign_quote,
};

use super::{FlowError, MeeSessions};

/// Requests sent: node calls and chain reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundTrips {
    /// MEE node calls (`quote`, `exec`; a receipt wait counts once, its polls are not counted).
    pub node: u32,
    /// JSON-RPC calls to the chains (`eth_call`, `eth_getCode`).
    pub chain: u32,
}

impl RoundTrips {
    /// `self - earlier` (the requests of one step).
    pub const fn since(self, earlier: Self) -> Self {
        Self {
            node: self.node.saturating_sub(earlier.node),
            chain: self.chain.saturating_sub(earlier.chain),
        }
    }
}

/// A quoted, verified and signed supertransaction, not yet sent: [`MeeSessions::submit`] sends
/// it (once).
#[derive(Clone, Debug)]
pub struct PreparedSupertransaction {
    /// The quote request that was sent (with its nonces filled from the chain).
    pub request: QuoteRequest,
    /// The node's quote, verified against [`Self::request`].
    pub quote: VerifiedQuote,
    body: Map<String, Value>,
}

impl PreparedSupertransaction {
    /// The supertransaction hash (the signed Merkle root).
    pub const fn hash(&self) -> B256 {
        self.quote.hash()
    }

    /// The fee the payment userOp transfers, `(token, recipient, amount)` (`None` when
    /// sponsored).
    pub fn fee(&self) -> Option<(Address, Address, U256)> {
        if self.request.sponsored() { None } else { self.quote.fee_transfer() }
    }

    /// The `POST exec` body: the node's quote echoed whole, with `signature`, `meeVersions` and
    /// (session flows) each userOp's `sessionDetails`.
    pub const fn exec_body(&self) -> &Map<String, Value> {
        &self.body
    }
}

/// A supertransaction the node accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// Its hash: wait for it with [`MeeSessions::wait_for_supertransaction_receipt`].
    pub hash: B256,
    /// The fee the payment userOp transfers, `(token, recipient, amount)` (`None` when
    /// sponsored).
    pub fee: Option<(Address, Address, U256)>,
    /// The quote's userOps, payment userOp included.
    pub user_ops: usize,
}

impl MeeSessions {
    /// Sets every nonce of `request` from `EntryPoint.getNonce` (the sequence of each lane).
    async fn fill_nonces(&self, request: &mut QuoteRequest) -> Result<(), FlowError> {
        for (slot, chain_id, sender, key) in request.nonce_lookups() {
            let seq = self.entry_point_sequence(chain_id, sender, key.key()).await?;
            request.set_nonce_sequence(slot, seq)?;
        }
        Ok(())
    }

    /// Nonces, `POST quote`, verification against the request, `check` (fee limits), the
    /// signature and the exec body.
    pub(crate) async fn quote_and_sign<S: Signer + Send + Sync>(
        &self,
        signer: &S,
        mut request: QuoteRequest,
        session: Option<ExecSession<'_>>,
        check: impl FnOnce(&VerifiedQuote) -> Result<(), FlowError> + Send,
    ) -> Result<PreparedSupertransaction, FlowError> {
        self.fill_nonces(&mut request).await?;
        let body = serde_json::to_value(&request).map_err(|_| crate::MeeError::InvalidField {
            field: "quote request".into(),
            reason: "not serialisable",
        })?;
        self.count_node();
        let raw = self
            .node
            .quote(&body)
            .await
            .map_err(|source| FlowError::Node { call: NodeCall::Quote, source })?;
        let quote = NodeQuote::new(Value::Object(raw))?.verify(&request)?;
        check(&quote)?;
        let signature = sign_quote(signer, &quote, self.version.version, "Nexus").await?;
        let body = exec_body(&quote, &signature, &self.version, session)?;
        Ok(PreparedSupertransaction { request, quote, body })
    }

    /// `POST exec` of a prepared supertransaction. Sends it exactly once; on any failure the
    /// error carries the hash ([`FlowError::Exec`]).
    pub async fn submit(
        &self,
        prepared: &PreparedSupertransaction,
    ) -> Result<Submitted, FlowError> {
        let hash = prepared.hash();
        self.count_node();
        let sent = self
            .node
            .exec(&prepared.body)
            .await
            .map_err(|source| FlowError::Exec { hash, source })?;
        if sent.hash != hash {
            tracing::warn!(target: "smart_sessions_mee::flows", %hash, answered = %sent.hash,
                "the node answered exec with another hash");
        }
        Ok(Submitted { hash, fee: prepared.fee(), user_ops: prepared.quote.user_ops().len() })
    }
}

/// Refuses a fee above `limit`.
pub(crate) fn check_fee(quote: &VerifiedQuote, limit: Option<U256>) -> Result<(), FlowError> {
    let (Some(limit), Some((token, _, fee))) = (limit, quote.fee_transfer()) else {
        return Ok(());
    };
    if fee > limit {
        return Err(FlowError::FeeAboveLimit { hash: quote.hash(), token, fee, limit });
    }
    Ok(())
}
