//! Helpers shared by the client's devnet tests.
#![allow(dead_code)]

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder, ext::AnvilApi};
use alloy_rpc_client::ClientBuilder;
use smart_sessions_client::{
    BundlerApi, BundlerError, Deployments, NexusAccount, NexusDeployment, UserOperation,
    transport::RoundTrips,
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
    let gas = b.estimate_user_op_gas(&op, ENTRY_POINT).await?;
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

/// The owner's account through the devnet's NexusAccountFactory + NexusBootstrap (salt 0, the
/// owner validator with the owner's address), funded with 1 ETH.
pub(crate) async fn funded_nexus_account<P: Provider>(
    p: &P,
    d: &Devnet,
    owner: Address,
) -> NexusAccount {
    let a = &d.addresses;
    let deployment = NexusDeployment {
        entry_point: a.entry_point,
        factory: a.nexus_factory,
        bootstrap: a.nexus_bootstrap,
    };
    let account = NexusAccount::counterfactual(
        p,
        deployment,
        a.owner_validator,
        owner.to_vec().into(),
        B256::ZERO,
    )
    .await
    .expect("counterfactual address");
    p.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(18u64))).await.unwrap();
    account
}
