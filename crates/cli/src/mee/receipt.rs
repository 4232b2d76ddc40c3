//! `smart-sessions mee receipt HASH`: a supertransaction's receipt (`GET explorer/HASH`),
//! folded as the SDK folds it, once or (`--wait`) until final.

use super::{
    Answer, MeeError,
    args::{MeeNode, connect, secs},
    printable_json,
};
use crate::text::{printable, with_causes};
use alloy_primitives::B256;
use serde_json::Value;
use smart_sessions_mee::node::{
    DEFAULT_REQUEST_TIMEOUT, ReceiptMode, WaitOptions,
    commands::{self, ReceiptExit},
};
use std::time::Duration;

/// How `mee receipt` polls.
#[derive(Clone, Copy, Debug)]
pub(super) struct Poll {
    pub(super) wait: bool,
    pub(super) fast_block: bool,
    pub(super) poll_interval: Option<u64>,
    pub(super) timeout: u64,
}

/// Runs `mee receipt`; the exit code is [`ReceiptExit::code`].
pub(super) async fn run(hash: B256, node: &MeeNode, p: Poll) -> Result<Answer, MeeError> {
    let bound = secs("--timeout", p.timeout)?;
    let client = connect(node, bound.min(DEFAULT_REQUEST_TIMEOUT))?;
    let mode = if p.fast_block { ReceiptMode::FastBlock } else { ReceiptMode::Default };
    if p.poll_interval == Some(0) {
        return Err(MeeError::Usage { flag: "--poll-interval", reason: "must be above 0" });
    }
    let wait = p.wait.then(|| {
        let o = WaitOptions::new(mode).timeout(bound);
        match p.poll_interval {
            Some(ms) => o.poll_interval(Duration::from_millis(ms)),
            None => o,
        }
    });
    let result = commands::receipt(&client, hash, mode, wait).await;
    let code = ReceiptExit::of(&result).code();
    let mut output = commands::receipt_json(hash, &result);
    let error = result.as_ref().err().map(|e| printable(&with_causes(e)));
    if let Some(e) = &error {
        output["error"] = Value::String(e.clone());
    }
    Ok(Answer { output: printable_json(output), code: u8::try_from(code).unwrap_or(1), error })
}
