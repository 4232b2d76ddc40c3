//! The signed-quote (`POST {base}/exec`) body: the node's quote echoed whole, plus `signature`,
//! `meeVersions`, `isEIP712TrustedSponsorshipSupported`, and in session flows each userOp's
//! `sessionDetails` with its mode.

use crate::{
    MeeError, MeeVersionConfig, Result, SessionDetails, VerifiedQuote,
    quote_request::{MeeVersionEntry, UseMode},
    session::BigIntForm,
};
use alloy_primitives::Bytes;
use serde_json::{Map, Value};
use smart_sessions_codec::SmartSessionMode;

/// The session part of an exec body.
#[derive(Clone, Copy, Debug)]
pub struct ExecSession<'a> {
    /// The granted entries (one per chain).
    pub details: &'a [SessionDetails],
    /// USE or ENABLE_AND_USE.
    pub mode: UseMode,
}

/// Which session entry and mode each userOp gets: `(quote index, entry, mode)`. The walk starts
/// at 1 when sponsored (the tank's op is skipped) and at 0 otherwise (the payment op is the first
/// op of the fee chain); mode 0x02 goes to the first op of each chain when ENABLE_AND_USE.
pub fn session_assignments<'a>(
    quote: &VerifiedQuote,
    sponsored: bool,
    session: ExecSession<'a>,
) -> Result<Vec<(usize, &'a SessionDetails, SmartSessionMode)>> {
    if session.mode == UseMode::EnableAndUse
        && !session.details.iter().any(|d| d.mode == SmartSessionMode::UnsafeEnable)
    {
        return Err(MeeError::EnableNotPossible);
    }
    let start = usize::from(sponsored);
    let mut seen: Vec<u64> = Vec::new();
    let mut out = Vec::new();
    for (i, op) in quote.user_ops().iter().enumerate().skip(start) {
        let entry = session
            .details
            .iter()
            .find(|d| d.chain_id() == op.chain_id)
            .ok_or(MeeError::NoSessionForChain { chain_id: op.chain_id })?;
        let first = !seen.contains(&op.chain_id);
        seen.push(op.chain_id);
        let mode = if first && session.mode == UseMode::EnableAndUse {
            SmartSessionMode::UnsafeEnable
        } else {
            SmartSessionMode::Use
        };
        out.push((i, entry, mode));
    }
    Ok(out)
}

/// Builds the exec body.
///
/// `version` is written in `meeVersions` for every chain of `userOps.slice(sponsored ? 1 : 0)`
/// in first-appearance order.
pub fn exec_body(
    quote: &VerifiedQuote,
    signature: &Bytes,
    version: &MeeVersionConfig,
    session: Option<ExecSession<'_>>,
) -> Result<Map<String, Value>> {
    let sponsored = quote.quote().sponsored()?;
    let mut body = quote.quote().raw().clone();
    let mut chains: Vec<u64> = Vec::new();
    for op in quote.user_ops().iter().skip(usize::from(sponsored)) {
        if !chains.contains(&op.chain_id) {
            chains.push(op.chain_id);
        }
    }
    let versions: Vec<MeeVersionEntry> = chains
        .into_iter()
        .map(|chain_id| MeeVersionEntry { version: *version, chain_id })
        .collect();
    if let Some(s) = session {
        let assigned = session_assignments(quote, sponsored, s)?;
        let ops = body
            .get_mut("userOps")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| MeeError::field("quote.userOps", "expected an array"))?;
        for (i, entry, mode) in assigned {
            let op = ops[i].as_object_mut().ok_or_else(|| {
                MeeError::field(format!("quote.userOps[{i}]"), "expected an object")
            })?;
            op.insert("sessionDetails".into(), entry.to_json_with_mode(BigIntForm::Wire, mode));
        }
    }
    body.insert("signature".into(), Value::String(signature.to_string()));
    body.insert(
        "meeVersions".into(),
        serde_json::to_value(versions)
            .map_err(|_| MeeError::field("meeVersions", "not serialisable"))?,
    );
    body.insert("isEIP712TrustedSponsorshipSupported".into(), Value::Bool(true));
    Ok(body)
}
