//! Supertransaction receipts: one explorer poll folded the SDK's way, and a bounded wait.

use std::{collections::HashMap, time::Duration};

use alloy_primitives::B256;
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::{
    MeeClient, NodeCall, NodeError, NodeMessage, ReceiptMode, ShapeError, StatusFold,
    TransactionStatus, fold_explorer_user_ops, parse_error_message,
};

/// Default bound on [`MeeClient::wait_for_supertransaction_receipt`] (the SDK waits forever).
pub const DEFAULT_RECEIPT_TIMEOUT: Duration = Duration::from_secs(300);

/// A supertransaction's state as one explorer answer reports it, folded the SDK's way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupertransactionReceipt {
    /// The supertransaction hash.
    pub hash: B256,
    /// The folded status (`transactionStatus`, `isFinalised`, `message`).
    pub fold: StatusFold,
    explorer: Map<String, Value>,
}

impl SupertransactionReceipt {
    /// The supertransaction's status folded over its userOps (the SDK's `transactionStatus`).
    pub const fn status(&self) -> TransactionStatus {
        self.fold.status
    }

    /// Whether the status is final (`isFinalised`: every counted userOp final, or one failed);
    /// polling may stop.
    pub const fn is_finalised(&self) -> bool {
        self.fold.is_finalised
    }

    /// The explorer answer as the node sent it (payment op included).
    pub const fn explorer(&self) -> &Map<String, Value> {
        &self.explorer
    }

    /// The userOps the SDK reports: the explorer's list without `userOps[0]` (the payment op).
    /// Each `executionData` is the transaction hash on its `chainId`; the SDK then fetches those
    /// receipts from the chains (this crate leaves that to the caller's provider).
    pub fn user_ops(&self) -> &[Value] {
        match self.explorer.get("userOps") {
            Some(Value::Array(ops)) => ops.get(1..).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// How a supertransaction failed, as the SDK's receipt functions throw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// `FAILED`: off-chain failure.
    OffChain,
    /// `MINED_FAIL`: mined, reverted.
    OnChain,
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::OffChain => "off-chain",
            Self::OnChain => "on-chain",
        })
    }
}

/// Why no successful receipt came back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The supertransaction failed (`FAILED` or `MINED_FAIL`): final.
    #[error("supertransaction {hash} failed {kind} at userOp [{index}]: {message}")]
    Failed {
        /// The supertransaction hash.
        hash: B256,
        /// Whether it failed before execution (`FAILED`) or reverted on chain (`MINED_FAIL`).
        kind: FailureKind,
        /// The failing userOp's index as the SDK counts it (without payment op and cleanups).
        index: usize,
        /// Its position in the explorer's `userOps` (payment op = 0).
        position: usize,
        /// Its `executionError`, if the node gave one.
        execution_error: Option<NodeMessage>,
        /// What the SDK throws: `parseErrorMessage("[k] <executionError or default>")`.
        message: NodeMessage,
    },
    /// No final status within the bound: the outcome is unknown (it may still execute).
    #[error(
        "supertransaction {hash}: no final status within {waited:?} (last seen: {}); the outcome is unknown",
        last.map_or("nothing", TransactionStatus::as_str)
    )]
    Timeout {
        /// The supertransaction hash, to look up later.
        hash: B256,
        /// How long the client polled before giving up (at least the wait bound).
        waited: Duration,
        /// The last status seen, if a poll answered.
        last: Option<TransactionStatus>,
    },
    /// An explorer request failed: the outcome is unknown.
    #[error("supertransaction {hash}: status unknown, the explorer request failed")]
    Node {
        /// The supertransaction hash.
        hash: B256,
        /// Why the `explorer` request failed (network, refusal or answer shape).
        #[source]
        source: NodeError,
    },
}

impl ReceiptError {
    /// The supertransaction hash.
    pub const fn hash(&self) -> B256 {
        match self {
            Self::Failed { hash, .. } | Self::Timeout { hash, .. } | Self::Node { hash, .. } => {
                *hash
            }
        }
    }

    /// Whether the supertransaction's outcome is unknown (timeout or failed poll), as opposed to
    /// a known failure.
    pub const fn is_unknown_outcome(&self) -> bool {
        !matches!(self, Self::Failed { .. })
    }
}

/// A userOp whose transaction changed while waiting (the SDK's `onTransactionReplaced`): the
/// node re-submitted it, so the earlier transaction hash is obsolete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionReplaced {
    /// The userOp's `meeUserOpHash`, lowercase.
    pub mee_user_op_hash: String,
    /// The new `executionData` (transaction hash), lowercase.
    pub tx_hash: String,
}

/// Polling parameters of [`MeeClient::wait_for_supertransaction_receipt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitOptions {
    /// Pause between polls (the SDK: 250 ms, or 75 ms in fast-block mode).
    pub poll_interval: Duration,
    /// Bound on the whole wait, requests included.
    pub timeout: Duration,
    /// Whether mined but unconfirmed userOps count as final (`FastBlock`) or not (`Default`).
    pub mode: ReceiptMode,
}

impl WaitOptions {
    /// The SDK's interval for `mode` (250 ms; 75 ms for fast-block) and
    /// [`DEFAULT_RECEIPT_TIMEOUT`].
    pub const fn new(mode: ReceiptMode) -> Self {
        let poll_interval = match mode {
            ReceiptMode::Default => Duration::from_millis(250),
            ReceiptMode::FastBlock => Duration::from_millis(75),
        };
        Self { poll_interval, timeout: DEFAULT_RECEIPT_TIMEOUT, mode }
    }

    /// Sets the pause between two explorer polls.
    pub const fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// With another bound on the whole wait.
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self::new(ReceiptMode::Default)
    }
}

impl MeeClient {
    /// One `GET explorer/{hash}`, folded as `getSupertransactionReceipt` folds it.
    ///
    /// `FAILED` and `MINED_FAIL` are [`ReceiptError::Failed`] (the SDK throws); `PENDING`,
    /// `MINING` and `MINED_SUCCESS` are a receipt, final or not. Unlike the SDK, chain
    /// transaction receipts are not fetched.
    pub async fn get_supertransaction_receipt(
        &self,
        hash: B256,
        mode: ReceiptMode,
    ) -> Result<SupertransactionReceipt, ReceiptError> {
        let explorer =
            self.explorer(hash).await.map_err(|source| ReceiptError::Node { hash, source })?;
        let fold = match explorer.get("userOps") {
            Some(Value::Array(ops)) => fold_explorer_user_ops(ops, mode),
            _ => {
                let source =
                    self.shape(NodeCall::Explorer, 200, ShapeError::new("userOps", "an array"));
                return Err(ReceiptError::Node { hash, source });
            }
        };
        if fold.status.is_failure() {
            return Err(self.failure(hash, &fold));
        }
        Ok(SupertransactionReceipt { hash, fold, explorer })
    }

    fn failure(&self, hash: B256, fold: &StatusFold) -> ReceiptError {
        let key = self.api_key_ref();
        ReceiptError::Failed {
            hash,
            kind: if fold.status == TransactionStatus::Failed {
                FailureKind::OffChain
            } else {
                FailureKind::OnChain
            },
            index: fold.index.unwrap_or_default(),
            position: fold.position.unwrap_or_default(),
            execution_error: fold.execution_error.as_deref().map(|e| NodeMessage::new(e, key)),
            message: NodeMessage::new(
                &parse_error_message(&Value::from(fold.message.as_str())),
                key,
            ),
        }
    }

    /// Polls `explorer/{hash}` every `options.poll_interval` until the status is final
    /// (`waitForSupertransactionReceipt`), within `options.timeout` in total.
    ///
    /// Returns the final `MINED_SUCCESS` receipt; [`ReceiptError::Failed`] names the failing
    /// userOp and the node's message; [`ReceiptError::Timeout`] and [`ReceiptError::Node`] mean
    /// the outcome is unknown and carry the hash. A failed poll is not retried. A zero
    /// `poll_interval` means the mode's default (as the SDK ignores a non-positive one).
    ///
    /// ```no_run
    /// # use smart_sessions_mee::node::{MeeClient, ReceiptMode, WaitOptions};
    /// # async fn run(node: MeeClient, hash: alloy_primitives::B256) -> Result<(), Box<dyn std::error::Error>> {
    /// let options = WaitOptions::new(ReceiptMode::Default).timeout(std::time::Duration::from_secs(120));
    /// let receipt = node.wait_for_supertransaction_receipt(hash, options).await?;
    /// for op in receipt.user_ops() {
    ///     println!("chain {} tx {}", op["chainId"], op["executionData"]);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_supertransaction_receipt(
        &self,
        hash: B256,
        options: WaitOptions,
    ) -> Result<SupertransactionReceipt, ReceiptError> {
        self.wait_for_supertransaction_receipt_with(hash, options, |_| {}).await
    }

    /// [`MeeClient::wait_for_supertransaction_receipt`], calling `on_replaced` whenever a userOp's
    /// `executionData` differs from the one seen in an earlier poll of this wait (the SDK's
    /// `onTransactionReplaced`; the SDK remembers hashes process-wide, this per wait).
    pub async fn wait_for_supertransaction_receipt_with<F>(
        &self,
        hash: B256,
        options: WaitOptions,
        mut on_replaced: F,
    ) -> Result<SupertransactionReceipt, ReceiptError>
    where
        F: FnMut(TransactionReplaced) + Send,
    {
        let interval = if options.poll_interval.is_zero() {
            WaitOptions::new(options.mode).poll_interval
        } else {
            options.poll_interval
        };
        let started = Instant::now();
        let deadline = started + options.timeout;
        let mut last = None;
        let mut seen = HashMap::<String, String>::new();
        loop {
            let poll = self.get_supertransaction_receipt(hash, options.mode);
            match tokio::time::timeout_at(deadline, poll).await {
                Ok(Ok(receipt)) => {
                    note_replacements(&receipt, &mut seen, &mut on_replaced);
                    if receipt.is_finalised() {
                        return Ok(receipt);
                    }
                    tracing::debug!(
                        target: "smart_sessions_mee::node",
                        %hash, status = %receipt.status(), "supertransaction not final yet"
                    );
                    last = Some(receipt.status());
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => break,
            }
            let next = Instant::now() + interval;
            if next >= deadline {
                tokio::time::sleep_until(deadline).await;
                break;
            }
            tokio::time::sleep_until(next).await;
        }
        Err(ReceiptError::Timeout { hash, waited: started.elapsed(), last })
    }
}

/// The SDK's replacement bookkeeping over the reported userOps.
fn note_replacements(
    receipt: &SupertransactionReceipt,
    seen: &mut HashMap<String, String>,
    on_replaced: &mut impl FnMut(TransactionReplaced),
) {
    for op in receipt.user_ops() {
        let Some(mee_hash) = op.get("meeUserOpHash").and_then(Value::as_str) else { continue };
        let Some(tx) = op.get("executionData").and_then(Value::as_str).filter(|t| !t.is_empty())
        else {
            continue;
        };
        let (mee_hash, tx) = (mee_hash.to_lowercase(), tx.to_lowercase());
        match seen.get(&mee_hash) {
            Some(prev) if *prev == tx => {}
            Some(_) => {
                seen.insert(mee_hash.clone(), tx.clone());
                on_replaced(TransactionReplaced { mee_user_op_hash: mee_hash, tx_hash: tx });
            }
            None => {
                seen.insert(mee_hash, tx);
            }
        }
    }
}
