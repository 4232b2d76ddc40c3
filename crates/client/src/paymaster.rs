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
    /// The paymaster contract that pays for the operation (`paymaster`).
    pub paymaster: Address,
    /// Gas for the paymaster's `validatePaymasterUserOp` (absent in the answer: 0 until estimated).
    pub paymaster_verification_gas_limit: U256,
    /// Gas limit for the paymaster's `postOp` (`paymasterPostOpGasLimit`).
    pub paymaster_post_op_gas_limit: U256,
    /// The paymaster's data (for a verifying paymaster: validity window and its signature).
    pub paymaster_data: Bytes,
    /// The stub answer is already final: no `pm_getPaymasterData` call is needed (ERC-7677
    /// `isFinal`).
    pub is_final: bool,
}

impl PaymasterFields {
    /// Writes these fields into `op`'s paymaster fields (replacing any there).
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

/// Why a paymaster gave no sponsorship (the send path then sends nothing:
/// [`FlowError::Paymaster`](crate::FlowError::Paymaster)). `Display` names the method and, for
/// an unreachable service, its host only.
///
/// ```
/// use smart_sessions_client::paymaster::{InvalidAnswer, PaymasterError};
///
/// let e = PaymasterError::Invalid {
///     method: "pm_getPaymasterData",
///     field: "paymasterData",
///     reason: InvalidAnswer::Missing,
/// };
/// assert_eq!(
///     e.to_string(),
///     "paymaster pm_getPaymasterData: invalid answer: paymasterData: missing"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PaymasterError {
    /// The service could not be reached or answered something that is not JSON-RPC.
    #[error("paymaster {method} at {host}: unreachable")]
    Transport {
        /// The ERC-7677 method called (`pm_getPaymasterStubData` or `pm_getPaymasterData`).
        method: &'static str,
        /// The service's host (never the query or userinfo, which may hold an API key).
        host: String,
        /// The transport's error (connection, HTTP status, an answer that is not JSON-RPC).
        #[source]
        source: alloy_transport::TransportError,
    },
    /// The service answered with a JSON-RPC error: it will not sponsor this operation.
    #[error("paymaster {method} refused ({code}): {message}")]
    Refused {
        /// The ERC-7677 method called (`pm_getPaymasterStubData` or `pm_getPaymasterData`).
        method: &'static str,
        /// The JSON-RPC error code.
        code: i64,
        /// The service's message (control characters escaped, length bounded).
        message: crate::RemoteText,
    },
    /// The answer lacks a field or holds a value that does not fit.
    #[error("paymaster {method}: invalid answer: {field}: {reason}")]
    Invalid {
        /// The ERC-7677 method called (`pm_getPaymasterStubData` or `pm_getPaymasterData`).
        method: &'static str,
        /// The answer's field at fault (`result`, `paymaster`, `paymasterData`).
        field: &'static str,
        /// What is wrong with it.
        reason: InvalidAnswer,
    },
    /// No answer within the bound.
    #[error("paymaster {method}: no answer within {after:?}")]
    Timeout {
        /// The ERC-7677 method called (`pm_getPaymasterStubData` or `pm_getPaymasterData`).
        method: &'static str,
        /// How long the call was waited for (the endpoint's timeout).
        after: Duration,
    },
}

/// What is wrong with a field of a paymaster's answer ([`PaymasterError::Invalid`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidAnswer {
    /// The answer has no such field (or `null`).
    #[error("missing")]
    Missing,
    /// The paymaster address is the zero address.
    #[error("the zero address")]
    ZeroAddress,
    /// The answer does not decode as a sponsorship; the decoder's message, which quotes the
    /// service's answer, sanitised.
    #[error("{0}")]
    Undecodable(crate::RemoteText),
}

/// An ERC-7677 paymaster service (`pm_getPaymasterStubData` / `pm_getPaymasterData`) over an
/// [`Endpoint`](crate::Endpoint): every call bounded by the endpoint's timeout, errors naming
/// the service by its host only (its URL may hold an API key).
///
/// ```
/// use smart_sessions_client::{Endpoint, paymaster::Erc7677Paymaster};
/// use std::time::Duration;
///
/// let service = Endpoint::new("https://paymaster.example/v1?apikey=SECRET".parse()?)
///     .timeout(Duration::from_secs(10));
/// let sponsor = Erc7677Paymaster::new(&service)?
///     .with_context(serde_json::json!({ "sponsorshipPolicyId": "sp_demo" }));
/// assert!(!format!("{sponsor:?}").contains("SECRET"));
/// # Ok::<(), smart_sessions_client::EndpointError>(())
/// ```
pub struct Erc7677Paymaster {
    url: crate::EndpointUrl,
    client: alloy_rpc_client::RpcClient,
    timeout: Duration,
    context: serde_json::Value,
}

impl fmt::Debug for Erc7677Paymaster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Erc7677Paymaster")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    paymaster: Option<Address>,
    paymaster_data: Option<Bytes>,
    paymaster_verification_gas_limit: Option<U256>,
    paymaster_post_op_gas_limit: Option<U256>,
    #[serde(default)]
    is_final: bool,
}

impl Erc7677Paymaster {
    /// A client of the service at `endpoint` (its TLS roots, timeout and headers apply).
    pub fn new(endpoint: &crate::Endpoint) -> Result<Self, crate::EndpointError> {
        Ok(Self {
            url: endpoint.url().clone(),
            client: endpoint.rpc_client()?,
            timeout: endpoint.request_timeout(),
            context: serde_json::Value::Object(Default::default()),
        })
    }

    /// The service-specific context sent with every call (ERC-7677 `context`, e.g. a
    /// sponsorship policy id); `{}` by default.
    pub fn with_context(mut self, context: serde_json::Value) -> Self {
        self.context = context;
        self
    }

    async fn ask(
        &self,
        method: &'static str,
        op: &UserOperation,
        entry_point: Address,
        chain_id: u64,
    ) -> Result<PaymasterFields, PaymasterError> {
        let params = (op, entry_point, format!("{chain_id:#x}"), &self.context);
        let call = self.client.request::<_, serde_json::Value>(method, params);
        let answer = match tokio::time::timeout(self.timeout, call).await {
            Err(_) => return Err(PaymasterError::Timeout { method, after: self.timeout }),
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                if let Some(r) = e.as_error_resp() {
                    return Err(PaymasterError::Refused {
                        method,
                        code: r.code,
                        message: crate::RemoteText::new(&r.message),
                    });
                }
                if let Some(crate::EndpointError::Timeout { after, .. }) =
                    crate::EndpointError::find(&e)
                {
                    return Err(PaymasterError::Timeout { method, after: *after });
                }
                return Err(PaymasterError::Transport {
                    method,
                    host: self.url.host().to_string(),
                    source: e,
                });
            }
        };
        let a: Answer = serde_json::from_value(answer).map_err(|e| PaymasterError::Invalid {
            method,
            field: "result",
            reason: InvalidAnswer::Undecodable(crate::RemoteText::new(&e.to_string())),
        })?;
        let missing =
            |field| PaymasterError::Invalid { method, field, reason: InvalidAnswer::Missing };
        let paymaster = a.paymaster.ok_or_else(|| missing("paymaster"))?;
        if paymaster.is_zero() {
            return Err(PaymasterError::Invalid {
                method,
                field: "paymaster",
                reason: InvalidAnswer::ZeroAddress,
            });
        }
        Ok(PaymasterFields {
            paymaster,
            paymaster_data: a.paymaster_data.ok_or_else(|| missing("paymasterData"))?,
            // the final answer keeps the limits the operation was estimated and signed with
            paymaster_verification_gas_limit: a
                .paymaster_verification_gas_limit
                .or(op.paymaster_verification_gas_limit)
                .unwrap_or_default(),
            paymaster_post_op_gas_limit: a
                .paymaster_post_op_gas_limit
                .or(op.paymaster_post_op_gas_limit)
                .unwrap_or_default(),
            is_final: a.is_final,
        })
    }
}

impl PaymasterSource for Erc7677Paymaster {
    fn stub_data<'a>(
        &'a self,
        op: &'a UserOperation,
        entry_point: Address,
        chain_id: u64,
    ) -> PaymasterFuture<'a> {
        Box::pin(self.ask("pm_getPaymasterStubData", op, entry_point, chain_id))
    }

    fn data<'a>(
        &'a self,
        op: &'a UserOperation,
        entry_point: Address,
        chain_id: u64,
    ) -> PaymasterFuture<'a> {
        Box::pin(self.ask("pm_getPaymasterData", op, entry_point, chain_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_transport::mock::Asserter;

    /// A service's JSON-RPC error message reaches `Refused.message` as `RemoteText`: control
    /// characters escaped (no terminal escapes), bounded.
    #[tokio::test]
    async fn a_refusal_message_is_remote_text() {
        let asserter = Asserter::new();
        asserter.push_failure(alloy_json_rpc::ErrorPayload {
            code: -32000,
            message: format!("no\nsponsor\u{1b}[31m{}", "x".repeat(2000)).into(),
            data: None,
        });
        let pm = Erc7677Paymaster {
            client: alloy_rpc_client::RpcClient::mocked(asserter),
            ..Erc7677Paymaster::new(&crate::Endpoint::new("http://127.0.0.1:1".parse().unwrap()))
                .unwrap()
        };
        let e = pm.stub_data(&UserOperation::default(), Address::ZERO, 1).await.unwrap_err();
        let PaymasterError::Refused { message, .. } = &e else { panic!("{e:?}") };
        assert!(message.as_str().starts_with("no\\u{a}sponsor\\u{1b}[31m"), "{message}");
        assert!(!e.to_string().contains('\u{1b}'));
        assert!(message.as_str().len() < 600, "bounded");
    }
}
