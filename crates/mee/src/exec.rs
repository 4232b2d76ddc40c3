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

/// The session part of an exec body: which session entries the session userOps carry, in which
/// mode (`None` in [`exec_body`] for owner flows).
#[derive(Clone, Copy, Debug)]
pub struct ExecSession<'a> {
    /// The granted entries (one per chain); each userOp gets its chain's entry.
    pub details: &'a [SessionDetails],
    /// USE (every userOp mode 0x00) or ENABLE_AND_USE (0x02 on the first userOp of each chain).
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

/// Builds the `POST exec` body of a verified, signed quote (send it with
/// [`MeeClient::exec`](crate::node::MeeClient::exec)).
///
/// `version` is written in `meeVersions` for every chain of `userOps.slice(sponsored ? 1 : 0)`
/// in first-appearance order.
///
/// The SDK's recorded MEE 2.0.0 prepare run, signed by the owner: the body is the node's quote
/// with the recorded `signature` and `meeVersions` added.
///
/// ```
/// use alloy_primitives::address;
/// use alloy_signer_local::PrivateKeySigner;
/// use smart_sessions_mee::{
///     build_quote_request, exec::exec_body, sign::sign_quote_sync, MeeError, MeeVersion,
///     MultichainAccount, NodeQuote, StepClock,
///     quote_request::{prepare_instructions, Payment, QuoteParams, BASE_USDC},
///     session::FeeToken,
/// };
/// # let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mee.json");
/// # let vectors: serde_json::Value =
/// #     serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
/// # let recorded = vectors["vectors"].as_array().unwrap().iter()
/// #     .find(|v| v["function"] == "mee.signedQuote").unwrap();
/// # let owner_key = recorded["inputs"]["signerPrivateKey"].as_str().unwrap();
/// let owner: PrivateKeySigner = owner_key.parse().unwrap();
/// let at = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
/// let version = MeeVersion::V2_0_0.config();
/// let account = MultichainAccount::new(owner.address(), version, 0, [(10, at), (8453, at)])?;
/// let instructions = prepare_instructions(&account, |_| false);
/// let usdc = FeeToken { address: BASE_USDC, chain_id: 8453 };
/// let params = QuoteParams {
///     account: &account,
///     instructions: &instructions,
///     payment: Payment::FeeToken { token: usdc, gas_refund_address: None },
///     session: None,
///     lower_bound_timestamp: Some(1_767_225_600),
/// };
/// let request = build_quote_request(&params, &StepClock::new(1_767_225_600_001, 1))?;
/// let quote = NodeQuote::new(recorded["inputs"]["quote"].clone())?.verify(&request)?;
///
/// let signature = sign_quote_sync(&owner, &quote, version.version, "Nexus")?;
/// let body = exec_body(&quote, &signature, &version, None)?;
/// let sdk = &recorded["output"]["addedFields"];
/// assert_eq!(body["signature"], sdk["signature"]);
/// assert_eq!(body["meeVersions"], sdk["meeVersions"]);
/// assert_eq!(body["hash"], recorded["inputs"]["quote"]["hash"]); // the quote, echoed
/// # Ok::<(), MeeError>(())
/// ```
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
