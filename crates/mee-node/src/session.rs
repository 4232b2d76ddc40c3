//! Session userOps: the redeemer named in `sessionDetails`, and the SmartSession signature around
//! the short simple signature (spec §8.4).
//!
//! Only USE mode (0x00) is assembled so far; ENABLE / UNSAFE_ENABLE are refused with
//! [`NodeError::Unsupported`]. The devnet runs the legacy-generation SmartSession, whose USE
//! signature is `0x00 ‖ permissionId ‖ flzCompress(abi.encode(bytes sig))`
//! (`smart_sessions_codec::encode_use`).

use crate::NodeError;
use alloy_primitives::{Address, B256, Bytes};
use serde_json::Value;
use smart_sessions_codec::{Generation, encode_use};

/// The SmartSession generation of the devnet.
pub(crate) const DEVNET_GENERATION: Generation = Generation::Legacy;

/// `userOp.signature` of a session userOp: the SmartSession signature of `generation` around the
/// short simple signature `inner`, from the userOp's `sessionDetails` (the SDK's wire shape; its
/// mock `signature` is ignored). USE mode only: ENABLE / UNSAFE_ENABLE give
/// [`NodeError::Unsupported`].
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
        Ok(Self { mode, permission_id, redeemer: Address::from_slice(&init[..20]) })
    }

    /// `userOp.signature` around the short simple signature `inner`.
    pub(crate) fn encode(&self, inner: &[u8], generation: Generation) -> Result<Bytes, NodeError> {
        match self.mode {
            0 => Ok(encode_use(generation, self.permission_id, inner).into()),
            _ => Err(NodeError::Unsupported {
                what: "assembling ENABLE / UNSAFE_ENABLE session signatures",
            }),
        }
    }
}
