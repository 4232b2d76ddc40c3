//! Session userOps: the redeemer named in `sessionDetails`, and the SmartSession signature around
//! the short simple signature (spec §8.4).
//!
//! - USE (`0x00`): `0x00 ‖ permissionId ‖ inner` (legacy generation, the devnet's:
//!   `0x00 ‖ permissionId ‖ flzCompress(abi.encode(bytes inner))`).
//! - ENABLE / UNSAFE_ENABLE (`0x01` / `0x02`): `mode ‖ flzCompress(abi.encode(EnableSession,
//!   bytes inner))`, where `EnableSession` is `sessionDetails.enableSessionData.enableSession` with
//!   `permissionEnableSig = enableSessionData.validator ‖ ownerSig` (the account-type prefix of
//!   `enableSessionData.accountType`, module-sdk `formatPermissionEnableSig`).

use crate::NodeError;
use alloy_primitives::{Address, B256, Bytes};
use serde_json::Value;
use smart_sessions_codec::{
    AccountType, AnyEnableSession, EnableMode, EnableSession, Generation, encode_enable,
    encode_use, legacy,
};

/// `userOp.signature` of a session userOp: the SmartSession signature of `generation` around the
/// short simple signature `inner`, from the userOp's `sessionDetails` (the SDK's wire shape; its
/// mock `signature` is ignored).
pub fn session_signature(
    details: &Value,
    inner: &[u8],
    generation: Generation,
) -> Result<Bytes, NodeError> {
    SessionSig::from_details(details, 0)?.encode(inner, generation)
}

/// What the node reads from a userOp's `sessionDetails`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SessionSig {
    /// `0x00` USE, `0x01` ENABLE, `0x02` UNSAFE_ENABLE.
    pub(crate) mode: u8,
    pub(crate) permission_id: B256,
    /// `sessionValidatorInitData[0:20]`: who signs the quote.
    pub(crate) redeemer: Address,
    /// `enableSessionData` (ENABLE modes).
    pub(crate) enable_data: Option<Value>,
    index: usize,
}

fn bad(index: usize, field: &str, rule: &'static str) -> NodeError {
    NodeError::BadRequest { field: format!("userOps[{index}].sessionDetails.{field}"), rule }
}

impl SessionSig {
    pub(crate) fn from_details(details: &Value, index: usize) -> Result<Self, NodeError> {
        let mode = details
            .get("mode")
            .and_then(Value::as_str)
            .and_then(|m| u8::from_str_radix(m.trim_start_matches("0x"), 16).ok())
            .ok_or_else(|| bad(index, "mode", "must be 0x00, 0x01 or 0x02"))?;
        let permission_id = details
            .get("permissionId")
            .and_then(Value::as_str)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| bad(index, "permissionId", "must be a 32-byte hash"))?;
        let init: Bytes = details
            .pointer("/enableSessionData/enableSession/sessionToEnable/sessionValidatorInitData")
            .and_then(Value::as_str)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| {
                bad(
                    index,
                    "enableSessionData.enableSession.sessionToEnable.sessionValidatorInitData",
                    "must be hex bytes naming the redeemer",
                )
            })?;
        if init.len() < 20 {
            return Err(bad(
                index,
                "enableSessionData.enableSession.sessionToEnable.sessionValidatorInitData",
                "must start with the 20-byte redeemer",
            ));
        }
        Ok(Self {
            mode,
            permission_id,
            redeemer: Address::from_slice(&init[..20]),
            enable_data: details.get("enableSessionData").cloned(),
            index,
        })
    }

    /// `userOp.signature` around the short simple signature `inner`.
    pub(crate) fn encode(&self, inner: &[u8], generation: Generation) -> Result<Bytes, NodeError> {
        match self.mode {
            0 => Ok(encode_use(generation, self.permission_id, inner).into()),
            1 | 2 => self.encode_enable(inner, generation),
            _ => Err(bad(self.index, "mode", "must be 0x00, 0x01 or 0x02")),
        }
    }

    fn encode_enable(&self, inner: &[u8], generation: Generation) -> Result<Bytes, NodeError> {
        let i = self.index;
        let data = self
            .enable_data
            .as_ref()
            .ok_or_else(|| bad(i, "enableSessionData", "is required for the ENABLE modes"))?;
        let es = data
            .get("enableSession")
            .ok_or_else(|| bad(i, "enableSessionData.enableSession", "is missing"))?;
        let validator: Address = data
            .get("validator")
            .and_then(Value::as_str)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad(i, "enableSessionData.validator", "must be an address"))?;
        let account_type: AccountType = match data.get("accountType").and_then(Value::as_str) {
            None => AccountType::Nexus,
            Some(t) => t.parse().map_err(|_| {
                bad(i, "enableSessionData.accountType", "is not an account type module-sdk knows")
            })?,
        };
        let not_enable = || {
            bad(i, "enableSessionData.enableSession", "is not an EnableSession of this generation")
        };
        let enable = if generation.is_legacy() {
            let mut e: legacy::EnableSession =
                serde_json::from_value(es.clone()).map_err(|_| not_enable())?;
            e.permissionEnableSig =
                account_type.format_permission_enable_sig(validator, &e.permissionEnableSig);
            AnyEnableSession::Legacy(e)
        } else {
            let mut e: EnableSession =
                serde_json::from_value(es.clone()).map_err(|_| not_enable())?;
            e.permissionEnableSig =
                account_type.format_permission_enable_sig(validator, &e.permissionEnableSig);
            AnyEnableSession::Current(e)
        };
        let mode = if self.mode == 1 { EnableMode::Enable } else { EnableMode::UnsafeEnable };
        encode_enable(generation, mode, &enable, inner).map(Bytes::from).map_err(|_| not_enable())
    }
}
