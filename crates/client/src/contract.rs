//! Contract calls through the bindings' contract instances (`#[sol(rpc)]`): one `eth_call` of a
//! call builder, or the same request added to a JSON-RPC batch (so batched reads stay one round
//! trip), and an instance's error as the client's.

use crate::ClientError;
use alloy_contract::SolCallBuilder;
use alloy_primitives::Bytes;
use alloy_provider::Provider;
use alloy_rpc_client::{BatchRequest, Waiter};
use alloy_rpc_types_eth::BlockId;
use alloy_sol_types::SolCall;
use alloy_transport::{TransportError, TransportErrorKind};

/// An instance's error as a [`ClientError`] of `step`: a node error (unreachable, a JSON-RPC
/// error, a revert with its data) through [`ClientError::node`], the transport error kept as
/// `source()`; anything else the instance reports (it does not for a raw call) as a transport
/// error wrapping it.
pub(crate) fn contract_error(
    step: &'static str,
) -> impl FnOnce(alloy_contract::Error) -> ClientError {
    move |e| match e {
        alloy_contract::Error::TransportError(e) => ClientError::node(step, e),
        other => ClientError::node(step, TransportErrorKind::custom(other)),
    }
}

fn undecodable(step: &'static str) -> impl FnOnce(alloy_sol_types::Error) -> ClientError {
    move |source| ClientError::Decode { step, source }
}

/// `eth_call` of an instance's call builder, its return decoded with the call type's ABI;
/// errors name the step.
#[tracing::instrument(level = "debug", name = "eth_call", skip(c), fields(step = step))]
pub(crate) async fn call<P: Provider, C: SolCall>(
    c: SolCallBuilder<P, C>,
    step: &'static str,
) -> Result<C::Return, ClientError> {
    let out = c.call_raw().await.map_err(contract_error(step))?;
    C::abi_decode_returns(&out).map_err(undecodable(step))
}

/// Adds the `eth_call` of an instance's call builder (at the latest block) to `batch`; the
/// waiter answers the raw return data once the batch is sent (decode it with the call type's
/// `abi_decode_returns`).
pub(crate) fn add_call<P: Provider, C: SolCall>(
    batch: &mut BatchRequest<'_>,
    c: SolCallBuilder<P, C>,
) -> Result<Waiter<Bytes>, TransportError> {
    batch.add_call::<_, Bytes>("eth_call", &(c.into_transaction_request(), BlockId::latest()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_transport::{Reply, Scripted};
    use alloy_primitives::{Address, B256, U256};
    use serde_json::json;
    use smart_sessions_bindings::common::entry_point::{EntryPoint, getNonceCall};
    use std::error::Error as _;

    const EP: Address = Address::repeat_byte(0xee);
    const SENDER: Address = Address::repeat_byte(0x11);

    /// A node answering `eth_call` with the 32-byte word 7, or reverting with `0xdeadbeef` when
    /// `revert`.
    fn node(revert: bool) -> Scripted {
        Scripted::new(move |m, _| match (m, revert) {
            ("eth_call", false) => Reply::Ok(json!(B256::from(U256::from(7)))),
            ("eth_call", true) => Reply::Err(alloy_json_rpc::ErrorPayload {
                code: 3,
                message: "execution reverted".into(),
                data: Some(serde_json::value::to_raw_value(&json!("0xdeadbeef")).unwrap()),
            }),
            _ => Reply::Lost,
        })
    }

    /// What was sent: the request's `to` and calldata, compared with the call type's own
    /// encoding (the bindings' `getNonceCall`), and the decoded answer with the scripted word.
    #[tokio::test]
    async fn an_instance_call_sends_the_calls_encoding_to_the_instance_and_decodes_the_answer() {
        let n = node(false);
        let p = n.provider();
        let ep = EntryPoint::new(EP, &p);
        let got = call(ep.getNonce(SENDER, U256::from(5).to()), "EntryPoint.getNonce").await;
        assert_eq!(got.unwrap(), U256::from(7));
        let log = n.log();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].0, "eth_call");
        let tx = &log[0].1[0];
        assert_eq!(tx["to"], json!(EP));
        let sent: Bytes = serde_json::from_value(tx["input"].clone()).unwrap();
        let expected = getNonceCall { sender: SENDER, key: U256::from(5).to() }.abi_encode();
        assert_eq!(sent.as_ref(), expected.as_slice());
    }

    /// A revert through an instance is the client's `Reverted` of the step, with the node's
    /// revert data and alloy's `TransportError` as `source()`; a lost answer is a retryable
    /// `Transport` error.
    #[tokio::test]
    async fn instance_errors_keep_the_step_the_revert_data_and_the_transport_error() {
        let p = node(true).provider();
        let ep = EntryPoint::new(EP, &p);
        let e =
            call(ep.getNonce(SENDER, U256::ZERO.to()), "EntryPoint.getNonce").await.unwrap_err();
        let ClientError::Reverted { step, data, .. } = &e else { panic!("{e:?}") };
        assert_eq!((*step, data.as_ref()), ("EntryPoint.getNonce", &[0xde, 0xad, 0xbe, 0xef][..]));
        assert!(e.source().and_then(|s| s.downcast_ref::<TransportError>()).is_some(), "{e}");
        assert!(!e.is_retryable());

        let lost = Scripted::new(|_, _| Reply::Lost).provider();
        let ep = EntryPoint::new(EP, &lost);
        let e =
            call(ep.getNonce(SENDER, U256::ZERO.to()), "EntryPoint.getNonce").await.unwrap_err();
        assert!(matches!(e, ClientError::Transport { step: "EntryPoint.getNonce", .. }), "{e:?}");
        assert!(e.is_retryable(), "{e}");
    }

    /// Two instance calls added to one batch: both `eth_call`s are sent by the one
    /// `batch.send()` and each waiter answers its raw return data, which the call type decodes.
    /// (That a batch is one round trip is the transport's; `tests/round_trips.rs` counts it.)
    #[tokio::test]
    async fn batched_instance_calls_stay_in_one_batch() {
        let n = node(false);
        let p = n.provider();
        let ep = EntryPoint::new(EP, &p);
        let mut batch = BatchRequest::new(p.client());
        let a = add_call(&mut batch, ep.getNonce(SENDER, U256::ZERO.to())).unwrap();
        let b = add_call(&mut batch, ep.getNonce(SENDER, U256::from(1).to())).unwrap();
        batch.send().await.unwrap();
        for w in [a, b] {
            let raw = w.await.unwrap();
            assert_eq!(getNonceCall::abi_decode_returns(&raw).unwrap(), U256::from(7));
        }
        assert_eq!(n.methods(), ["eth_call", "eth_call"]);
    }
}
