//! Gas sponsorship for user operations: the [`PaymasterSource`] interface the send path calls,
//! and the fields a sponsor fills in (ERC-7677 `pm_getPaymasterStubData` /
//! `pm_getPaymasterData`).
//!
//! The send path asks for stub data before estimating gas (so the estimate includes the
//! paymaster's validation), then for the final data after the estimate and before the
//! signature (the paymaster signs over the gas values), unless the stub answer was final.

use std::{fmt, future::Future, pin::Pin, time::Duration};

use alloy_primitives::{Address, Bytes, U256};

use crate::UserOperation;

/// A boxed `Send` future, as [`PaymasterSource`] returns.
pub type PaymasterFuture<'a> =
    Pin<Box<dyn Future<Output = Result<PaymasterFields, PaymasterError>> + Send + 'a>>;

/// What a paymaster puts into a user operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymasterFields {
    /// The paymaster contract.
    pub paymaster: Address,
    /// Gas for the paymaster's `validatePaymasterUserOp` (absent in the answer: 0 until estimated).
    pub paymaster_verification_gas_limit: U256,
    /// Gas for the paymaster's `postOp`.
    pub paymaster_post_op_gas_limit: U256,
    /// The paymaster's data (for a verifying paymaster: validity window and its signature).
    pub paymaster_data: Bytes,
    /// The stub answer is already final: no `pm_getPaymasterData` call is needed (ERC-7677
    /// `isFinal`).
    pub is_final: bool,
}

impl PaymasterFields {
    /// Writes these fields into `op`.
    pub fn apply(&self, op: &mut UserOperation) {
        op.paymaster = Some(self.paymaster);
        op.paymaster_verification_gas_limit = Some(self.paymaster_verification_gas_limit);
        op.paymaster_post_op_gas_limit = Some(self.paymaster_post_op_gas_limit);
        op.paymaster_data = Some(self.paymaster_data.clone());
    }
}

/// A sponsor of user operations: an ERC-7677 paymaster service, or the caller's own.
///
/// Implementations must be cheap to share (`Send + Sync`); their futures are `Send` so flows
/// can run on spawned tasks.
pub trait PaymasterSource: Send + Sync + fmt::Debug {
    /// Stub fields for gas estimation (`pm_getPaymasterStubData`).
    fn stub_data<'a>(
        &'a self,
        op: &'a UserOperation,
        entry_point: Address,
        chain_id: u64,
    ) -> PaymasterFuture<'a>;

    /// The final fields over the estimated operation (`pm_getPaymasterData`).
    fn data<'a>(
        &'a self,
        op: &'a UserOperation,
        entry_point: Address,
        chain_id: u64,
    ) -> PaymasterFuture<'a>;
}

/// Why a paymaster gave no sponsorship.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PaymasterError {
    /// The service could not be reached or answered something that is not JSON-RPC.
    #[error("paymaster {method} at {host}: unreachable")]
    Transport {
        /// The JSON-RPC method.
        method: &'static str,
        /// The service's host (never the query or userinfo, which may hold an API key).
        host: String,
        /// The transport failure.
        #[source]
        source: alloy_transport::TransportError,
    },
    /// The service answered with a JSON-RPC error: it will not sponsor this operation.
    #[error("paymaster {method} refused ({code}): {message}")]
    Refused {
        /// The JSON-RPC method.
        method: &'static str,
        /// The JSON-RPC error code.
        code: i64,
        /// The service's message (control characters escaped, length bounded).
        message: String,
    },
    /// The answer lacks a field or holds a value that does not fit.
    #[error("paymaster {method}: invalid answer: {field}: {reason}")]
    Invalid {
        /// The JSON-RPC method.
        method: &'static str,
        /// The field of the answer.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No answer within the bound.
    #[error("paymaster {method}: no answer within {after:?}")]
    Timeout {
        /// The JSON-RPC method.
        method: &'static str,
        /// The bound that passed.
        after: Duration,
    },
}
