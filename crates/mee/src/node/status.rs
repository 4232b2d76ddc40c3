//! The SDK's folding of per-userOp explorer statuses into one supertransaction status
//! (abstractjs 1.2.3 `parseTransactionStatus` and the `userOps.slice(1)` of
//! `getSupertransactionReceipt`). No I/O.

use std::fmt;

use serde_json::Value;

use super::parse_error::{js_string, js_truthy};

/// How the SDK counts unconfirmed results (`mode` of `waitForSupertransactionReceipt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReceiptMode {
    /// `"default"`: a `MINED_SUCCESS` or `MINED_FAIL` counts only once the node reports
    /// `isConfirmed`.
    #[default]
    Default,
    /// `"fast-block"`: mined results count at once.
    FastBlock,
}

impl ReceiptMode {
    /// The SDK's name, `"default"` or `"fast-block"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::FastBlock => "fast-block",
        }
    }

    /// Reads the SDK's mode name (`"default"`, `"fast-block"`); `None` for any other.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "default" => Some(Self::Default),
            "fast-block" => Some(Self::FastBlock),
            _ => None,
        }
    }
}

/// A supertransaction's overall status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionStatus {
    /// Waiting for conditions, or not yet confirmed (also the answer for an empty list).
    Pending,
    /// Broadcast, not yet mined.
    Mining,
    /// Every counted userOp mined successfully (and, in default mode, confirmed).
    MinedSuccess,
    /// A counted userOp was mined and reverted.
    MinedFail,
    /// A counted userOp failed off-chain.
    Failed,
}

impl TransactionStatus {
    /// The SDK's name (`"PENDING"`, `"MINING"`, `"MINED_SUCCESS"`, `"MINED_FAIL"`, `"FAILED"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Mining => "MINING",
            Self::MinedSuccess => "MINED_SUCCESS",
            Self::MinedFail => "MINED_FAIL",
            Self::Failed => "FAILED",
        }
    }

    /// `FAILED` or `MINED_FAIL`: the SDK throws.
    pub const fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::MinedFail)
    }
}

impl fmt::Display for TransactionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The folded status of a list of userOps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusFold {
    /// The status of the whole list by [`parse_transaction_status`]'s priority (any `FAILED`,
    /// then `MINED_FAIL`, `MINING`, `PENDING`, all `MINED_SUCCESS`, else `PENDING`).
    pub status: TransactionStatus,
    /// Whether polling may stop (`isFinalised`).
    pub is_finalised: bool,
    /// The SDK's message, `"[k] …"` (empty when `PENDING` by fallback).
    pub message: String,
    /// `k` of the message: the index of the userOp it speaks of, counted among the userOps
    /// without the payment op and without cleanups.
    pub index: Option<usize>,
    /// Where that userOp is in the list that was folded.
    pub position: Option<usize>,
    /// That userOp's `executionError`, if it had a non-empty one.
    pub execution_error: Option<String>,
}

/// `parseTransactionStatus(userOps, mode)`: `user_ops` are the explorer's userOps **after** the
/// payment op was dropped (see [`fold_explorer_user_ops`]).
///
/// Cleanup ops (`isCleanUpUserOp` truthy) are ignored. Priority: any `FAILED`; a `MINED_FAIL`
/// (confirmed, in default mode); any `MINING`; any `PENDING`; all `MINED_SUCCESS` (confirmed, in
/// default mode; vacuously true when only cleanups are left, which the SDK reports as
/// `"[-1] Transaction executed successfully"`); else `PENDING` with an empty message. Final when
/// every counted op is final, or on a failure. Any other `executionStatus` (such as `"SUCCESS"`) never counts as final.
pub fn parse_transaction_status(user_ops: &[Value], mode: ReceiptMode) -> StatusFold {
    let ops: Vec<(usize, &Value)> = user_ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !op.get("isCleanUpUserOp").is_some_and(js_truthy))
        .collect();
    let pending = || StatusFold {
        status: TransactionStatus::Pending,
        is_finalised: false,
        message: String::new(),
        index: None,
        position: None,
        execution_error: None,
    };
    // The SDK checks emptiness before dropping cleanups: a list of only cleanup ops folds to a
    // final MINED_SUCCESS with message index -1 (`every` of nothing is true).
    if user_ops.is_empty() {
        return pending();
    }
    let status_of =
        |op: &Value| op.get("executionStatus").and_then(Value::as_str).map(str::to_owned);
    let is = |op: &Value, s: &str| status_of(op).as_deref() == Some(s);
    let confirmed = |op: &Value| op.get("isConfirmed").is_some_and(js_truthy);
    let counts =
        |op: &Value, s: &str| is(op, s) && (mode == ReceiptMode::FastBlock || confirmed(op));

    let has_failed = ops.iter().any(|(_, op)| is(op, "FAILED"));
    let has_mined_fail = ops.iter().any(|(_, op)| counts(op, "MINED_FAIL"));
    let has_pending = ops.iter().any(|(_, op)| is(op, "PENDING"));
    let has_mining = ops.iter().any(|(_, op)| is(op, "MINING"));
    let all_success = ops.iter().all(|(_, op)| counts(op, "MINED_SUCCESS"));
    let all_final = ops
        .iter()
        .all(|(_, op)| is(op, "FAILED") || counts(op, "MINED_FAIL") || counts(op, "MINED_SUCCESS"));

    // `findIndex(executionStatus === status)` over the counted ops.
    let find = |s: &str| ops.iter().enumerate().find(|(_, (_, op))| is(op, s));
    let error_of = |op: &Value| op.get("executionError").filter(|e| js_truthy(e)).map(js_string);

    let (status, chosen, text) = if has_failed {
        let found = find("FAILED");
        let text = found.and_then(|(_, (_, op))| error_of(op));
        (
            TransactionStatus::Failed,
            found,
            text.unwrap_or_else(|| "Transaction failed off-chain".into()),
        )
    } else if has_mined_fail {
        let found = find("MINED_FAIL");
        let text = found.and_then(|(_, (_, op))| error_of(op));
        (
            TransactionStatus::MinedFail,
            found,
            text.unwrap_or_else(|| "Transaction failed on-chain".into()),
        )
    } else if has_mining {
        let found = find("MINING");
        (
            TransactionStatus::Mining,
            found,
            "Transaction is mining, waiting for blockchain confirmation".into(),
        )
    } else if has_pending {
        let found = find("PENDING");
        let text = found.and_then(|(_, (_, op))| error_of(op));
        (
            TransactionStatus::Pending,
            found,
            text.unwrap_or_else(|| {
                "Transaction is pending, waiting for conditions to be met".into()
            }),
        )
    } else if all_success {
        let found = find("MINED_SUCCESS");
        (TransactionStatus::MinedSuccess, found, "Transaction executed successfully".into())
    } else {
        return pending();
    };
    let is_finalised = all_final || has_failed || has_mined_fail;
    // `[${findIndex}]`: -1 when nothing was found (only cleanups left).
    let message = match chosen {
        Some((k, _)) => format!("[{k}] {text}"),
        None => format!("[-1] {text}"),
    };
    let execution_error = chosen.and_then(|(_, (_, op))| error_of(op));
    StatusFold {
        status,
        is_finalised,
        message,
        index: chosen.map(|(k, _)| k),
        position: chosen.map(|(_, (p, _))| *p),
        execution_error,
    }
}

/// `getSupertransactionReceipt`'s fold of the explorer's whole `userOps` list: drops
/// `userOps[0]` (the payment op, whatever its status), then [`parse_transaction_status`].
/// [`StatusFold::position`] is then the position in the explorer's list (payment op = 0).
pub fn fold_explorer_user_ops(user_ops: &[Value], mode: ReceiptMode) -> StatusFold {
    let rest = user_ops.get(1..).unwrap_or_default();
    let mut fold = parse_transaction_status(rest, mode);
    fold.position = fold.position.map(|p| p + 1);
    fold
}
