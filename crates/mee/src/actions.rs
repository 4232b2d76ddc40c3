//! `meeSessionActions` request builders: `prepareForPermissions` and `usePermission` up to the
//! quote request (the node calls, signing and exec follow with [`crate::NodeQuote::verify`],
//! [`crate::sign::sign_quote`] and [`crate::exec::exec_body`]).

use crate::{
    Clock, Instruction, MeeError, MultichainAccount, Payment, QuoteParams, QuoteRequest, Result,
    SessionDetails, build_quote_request,
    quote_request::{SessionUse, UseMode, prepare_instructions},
    session::{Precheck, precheck_with},
};

/// `prepareForPermissions`: install `SmartSessions` (and `addSafeSender`) on every chain where the
/// account is undeployed or lacks it (`installed(chain)`, from `isModuleInstalled`), deploying
/// where needed (initCode), then `extra` instructions. `None` when nothing needs doing (the SDK
/// returns `undefined`). Extra instructions on a chain that also gets the install calls are
/// batched into that chain's `executeComposable` userOp (no recorded run has extra instructions,
/// so this merge is unverified against the SDK).
pub fn prepare_for_permissions_request(
    account: &MultichainAccount,
    installed: impl Fn(u64) -> bool,
    payment: Payment,
    extra: &[Instruction],
    clock: &dyn Clock,
) -> Result<Option<QuoteRequest>> {
    let mut instructions = prepare_instructions(account, installed);
    if instructions.is_empty() {
        return Ok(None);
    }
    instructions.extend(extra.iter().cloned());
    let params = QuoteParams {
        account,
        instructions: &instructions,
        payment,
        session: None,
        lower_bound_timestamp: None,
    };
    build_quote_request(&params, clock).map(Some)
}

/// `usePermission` up to the quote request, after the off-chain policy pre-check of every call
/// (a call the session refuses fails here, before any fee): `account` is the user's account
/// (the redeemer signs), `details` the granted entries.
///
/// Refused with [`MeeError::SessionsNeedSimpleMode`] for MEE ≥ 2.2.1, whose EIP-712 quote
/// signatures session userOps cannot validate (the SDK sends them anyway; reproduce that with
/// [`build_quote_request`]).
pub fn use_permission_request(
    account: &MultichainAccount,
    details: &[SessionDetails],
    mode: UseMode,
    instructions: &[Instruction],
    payment: Payment,
    verification_gas_limit: Option<u64>,
    clock: &dyn Clock,
) -> Result<(QuoteRequest, Precheck)> {
    if account.version.version.signs_eip712() {
        return Err(MeeError::SessionsNeedSimpleMode { version: account.version.version.as_str() });
    }
    let report = precheck_with(&account.version.policies(), details, instructions)
        .map_err(MeeError::Precheck)?;
    let params = QuoteParams {
        account,
        instructions,
        payment,
        session: Some(SessionUse { details, mode, verification_gas_limit }),
        lower_bound_timestamp: None,
    };
    Ok((build_quote_request(&params, clock)?, report))
}
