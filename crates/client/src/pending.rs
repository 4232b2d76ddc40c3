//! [`PendingUserOperation`]: an operation the bundler may hold, by its hash, sender and nonce:
//! wait for it again, or look it up, after [`FlowError::OutcomeUnknown`] (as alloy's
//! `PendingTransactionBuilder` separates "sent" from "included").

use crate::{BundlerApi, FlowError, NexusClient, UserOperationByHash, UserOperationReceipt};
use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use smart_sessions_codec::NexusNonceKey;

/// An operation that may be in the bundler's mempool or on chain: what a caller holds after
/// [`FlowError::OutcomeUnknown`] (or any sent operation), to find out what became of it.
///
/// ```no_run
/// # async fn f(client: &smart_sessions_client::NexusClient<impl alloy_provider::Provider, impl alloy_provider::Provider>, e: smart_sessions_client::FlowError) -> Result<(), smart_sessions_client::FlowError> {
/// use smart_sessions_client::FlowError;
/// if let FlowError::OutcomeUnknown { user_op_hash, sender, nonce, .. } = e {
///     // resume before sending the intent again: it may already have run
///     let receipt = client.pending(user_op_hash, sender, nonce).wait().await?;
///     assert!(receipt.success);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a pending operation does nothing until waited for or looked up"]
pub struct PendingUserOperation<'a, N, B> {
    client: &'a NexusClient<N, B>,
    user_op_hash: B256,
    sender: Address,
    nonce: U256,
}

impl<N: Provider, B: Provider> NexusClient<N, B> {
    /// The operation `user_op_hash` of `sender` with `nonce` (from
    /// [`FlowError::OutcomeUnknown`], or a [`Sent`](crate::Sent)): wait for it or look it up.
    pub const fn pending(
        &self,
        user_op_hash: B256,
        sender: Address,
        nonce: U256,
    ) -> PendingUserOperation<'_, N, B> {
        PendingUserOperation { client: self, user_op_hash, sender, nonce }
    }
}

impl<N: Provider, B: Provider> PendingUserOperation<'_, N, B> {
    /// The hash of the operation being looked up (from [`FlowError::OutcomeUnknown`] or a
    /// [`Sent`](crate::Sent)).
    pub const fn user_op_hash(&self) -> B256 {
        self.user_op_hash
    }

    /// Waits for the receipt within the client's receipt timeout (each poll within the request
    /// timeout) and checks it names this sender and nonce. Once it is found, the client's lane
    /// no longer counts the nonce as in flight.
    pub async fn wait(self) -> Result<UserOperationReceipt, FlowError> {
        let r = self.client.wait_receipt(self.user_op_hash, self.sender, self.nonce).await?;
        self.settled().await;
        Ok(r)
    }

    /// One `eth_getUserOperationReceipt`: `None` while the operation is not included (pending,
    /// or unknown to the bundler: see [`lookup`](Self::lookup)).
    pub async fn receipt(&self) -> Result<Option<UserOperationReceipt>, FlowError> {
        let r = self
            .client
            .bounded(
                "eth_getUserOperationReceipt",
                self.client.bundler.user_op_receipt(self.user_op_hash),
            )
            .await?;
        if let Some(r) = &r {
            if r.sender != self.sender || r.nonce != self.nonce {
                return Err(FlowError::ReceiptMismatch {
                    user_op_hash: self.user_op_hash,
                    sender: self.sender,
                    nonce: self.nonce,
                    receipt_sender: r.sender,
                    receipt_nonce: r.nonce,
                });
            }
            self.settled().await;
        }
        Ok(r)
    }

    /// One `eth_getUserOperationByHash`: the operation as the bundler holds it (pending or
    /// included), `None` when the bundler does not know the hash.
    pub async fn lookup(&self) -> Result<Option<UserOperationByHash>, FlowError> {
        self.client
            .bounded(
                "eth_getUserOperationByHash",
                self.client.bundler.user_op_by_hash(self.user_op_hash),
            )
            .await
    }

    async fn settled(&self) {
        if self.sender != self.client.account.address {
            return;
        }
        let (key, _) = NexusNonceKey::from_nonce(self.nonce);
        self.client.lane(key).lock().await.in_flight.remove(&self.nonce);
    }
}
