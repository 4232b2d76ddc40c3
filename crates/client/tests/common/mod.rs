//! Helpers shared by the client's devnet tests.
#![allow(dead_code)]

use alloy_primitives::Bytes;
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_client::ClientBuilder;
use smart_sessions_client::{
    BundlerApi, BundlerError, Deployments, UserOperation, transport::RoundTrips,
};
use smart_sessions_codec::Generation;
use smart_sessions_devnet::{Devnet, ENTRY_POINT};

/// The client's 65-byte ECDSA-shaped stub: validators run their real recovery on it.
pub(crate) fn ecdsa_stub() -> Bytes {
    smart_sessions_client::stub_ecdsa_signature().to_vec().into()
}

/// Fills fees from `pimlico_getUserOperationGasPrice` and gas limits from the bundler's estimate
/// made with `stub` as the signature.
pub(crate) async fn fill<B: Provider>(
    b: &B,
    mut op: UserOperation,
    stub: Bytes,
) -> Result<UserOperation, BundlerError> {
    op.signature = stub;
    let (max_fee, tip) = b.pimlico_gas_price().await?;
    op.max_fee_per_gas = max_fee;
    op.max_priority_fee_per_gas = tip;
    let gas = b.estimate_user_operation_gas(&op, ENTRY_POINT).await?;
    op.call_gas_limit = gas.call_gas_limit;
    op.verification_gas_limit = gas.verification_gas_limit;
    op.pre_verification_gas = gas.pre_verification_gas;
    Ok(op)
}

/// The devnet's addresses as a legacy deployment table (through its JSON, as a user would).
pub(crate) fn deployments(d: &Devnet) -> Deployments {
    Deployments::from_json(Generation::Legacy, &serde_json::to_string(&d.addresses).unwrap())
        .unwrap()
}

/// Providers for the devnet's node and bundler, each counting its round trips.
pub(crate) fn counted(
    d: &Devnet,
) -> (impl Provider + Clone, impl Provider + Clone, RoundTrips, RoundTrips) {
    let (node_trips, bundler_trips) = (RoundTrips::default(), RoundTrips::default());
    let node = ProviderBuilder::new().connect_client(
        ClientBuilder::default().layer(node_trips.layer()).http(d.rpc_url.parse().unwrap()),
    );
    let bundler = ProviderBuilder::new().connect_client(
        ClientBuilder::default()
            .layer(bundler_trips.layer())
            .http(d.bundler_url.clone().unwrap().parse().unwrap()),
    );
    (node, bundler, node_trips, bundler_trips)
}
