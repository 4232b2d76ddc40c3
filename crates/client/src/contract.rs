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
