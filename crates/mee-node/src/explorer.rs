//! `GET /v1/explorer/{hash}`: the quote as submitted, with each userOp's execution status.

use crate::{NodeError, node::Node, quote::poisoned};
use alloy_primitives::B256;
use serde_json::Value;

/// A userOp's execution status, as abstractjs 1.2.3 reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionStatus {
    /// Accepted, not sent yet.
    Pending,
    /// Sent, not mined yet.
    Mining,
    /// Mined; the userOp succeeded.
    MinedSuccess,
    /// Mined; the userOp's execution reverted (the fee and gas were spent).
    MinedFail,
    /// Not executed: it failed simulation or validation (nothing was sent for it).
    Failed,
}

impl ExecutionStatus {
    /// The `executionStatus` string the explorer answer carries (e.g. `"MINED_SUCCESS"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Mining => "MINING",
            Self::MinedSuccess => "MINED_SUCCESS",
            Self::MinedFail => "MINED_FAIL",
            Self::Failed => "FAILED",
        }
    }
}

/// One userOp's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpStatus {
    pub(crate) status: ExecutionStatus,
    /// The `handleOps` transaction.
    pub(crate) tx: Option<B256>,
    /// Why it failed.
    pub(crate) error: Option<String>,
    /// Mined (anvil automines: one block is final here).
    pub(crate) confirmed: bool,
    /// A note (e.g. the sponsored gas-tank op, which is never executed).
    pub(crate) note: Option<&'static str>,
}

impl OpStatus {
    pub(crate) const fn pending() -> Self {
        Self {
            status: ExecutionStatus::Pending,
            tx: None,
            error: None,
            confirmed: false,
            note: None,
        }
    }
}

/// The explorer answer for `hash`.
pub(crate) fn explorer(node: &Node, hash: B256) -> Result<Value, NodeError> {
    let records = node.records.lock().map_err(|_| poisoned())?;
    let Some(record) = records.get(&hash) else {
        return Err(NodeError::NotFound { path: format!("/v1/explorer/{hash}") });
    };
    let mut out = record.body.clone();
    if let Some(o) = out.as_object_mut() {
        o.remove("signature");
    }
    if let Some(ops) = out.get_mut("userOps").and_then(Value::as_array_mut) {
        for (op, st) in ops.iter_mut().zip(&record.statuses) {
            if let Some(o) = op.as_object_mut() {
                o.insert("executionStatus".into(), st.status.as_str().into());
                o.insert(
                    "executionData".into(),
                    st.tx.map_or(Value::Null, |t| Value::String(t.to_string())),
                );
                o.insert(
                    "executionError".into(),
                    st.error.clone().map_or(Value::Null, Value::String),
                );
                o.insert("isConfirmed".into(), st.confirmed.into());
                if let Some(n) = st.note {
                    o.insert("executionNote".into(), n.into());
                }
            }
        }
    }
    Ok(out)
}
