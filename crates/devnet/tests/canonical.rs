//! The default deployment tables on a chain where the canonical contracts exist: code is placed
//! at every canonical address of a table (`anvil_setCode`), then an account is created and used
//! with the table exactly as the client ships it, and detection names what is missing.
//!
//! What is placed where (our own test bytecode, labelled): the owner validator address gets the
//! devnet's `OwnerValidator` (a K1Validator-compatible test contract); the K1ValidatorFactory
//! address gets the devnet's `K1ValidatorFactory` test contract, constructed to install the
//! validator at the table's owner-validator address (its immutables travel with the runtime
//! code); every other address of the table gets the devnet's `Counter` runtime as a placeholder
//! (detection only checks that code exists; no flow here calls those contracts). The Rhinestone
//! attester is impersonated to attest the owner validator in the devnet's registry double (the
//! factory configures the registry with the table's attesters).

use alloy_primitives::{Address, B256, Bytes, U256, hex};
use alloy_provider::{Provider, ProviderBuilder, ext::AnvilApi};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolValue};
use smart_sessions_client::{
    AccountKind, Deployments, DetectError, NexusClient, REGISTRY, transport::RoundTrips,
};
use smart_sessions_codec::{Execution, Generation};
use smart_sessions_devnet::contracts::{
    AttesterRegistry,
    Counter::{self, bumpCall},
};
use smart_sessions_devnet::{Devnet, Options, compiled_contracts, create2, node_dir};

fn code(contracts: &serde_json::Value, name: &str, which: &str) -> Vec<u8> {
    hex::decode(contracts[name][which].as_str().expect("compiled")).unwrap()
}

/// Places the test bytecode (see the module docs) at every contract of `table` that has none.
async fn place(d: &Devnet, table: &Deployments) {
    let c = compiled_contracts(&node_dir()).unwrap();
    let p = d.provider_for(&d.deployer).unwrap();
    let set = |addr: Address, runtime: Bytes| {
        let p = p.clone();
        async move { p.anvil_set_code(addr, runtime).await.unwrap() }
    };
    set(table.owner_validator, code(&c, "OwnerValidator", "deployedBytecode").into()).await;
    if let Some(factory) = table.k1_validator_factory {
        let a = &d.addresses;
        let init = [
            code(&c, "K1ValidatorFactory", "bytecode"),
            (a.nexus_factory, a.nexus_bootstrap, table.owner_validator, REGISTRY)
                .abi_encode_params(),
        ]
        .concat();
        let built = create2(&p, d.deployer.address(), B256::ZERO, &init).await.unwrap();
        let runtime = p.get_code_at(built).await.unwrap();
        set(factory, runtime).await;
    }
    let placeholder: Bytes = code(&c, "Counter", "deployedBytecode").into();
    for (_, addr) in table.contracts() {
        if p.get_code_at(addr).await.unwrap().is_empty() {
            set(addr, placeholder.clone()).await;
        }
    }
    // the table's attesters attest the owner validator (impersonated, as nobody holds their keys)
    let plain = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let registry = AttesterRegistry::new(REGISTRY, &plain);
    for attester in &table.attesters {
        plain.anvil_impersonate_account(*attester).await.unwrap();
        plain.anvil_set_balance(*attester, U256::from(10u64).pow(U256::from(18u64))).await.unwrap();
        let attest = registry.attest(table.owner_validator).from(*attester);
        let r = attest.send().await.unwrap().get_receipt().await.unwrap();
        assert!(r.status());
        plain.anvil_stop_impersonating_account(*attester).await.unwrap();
    }
}

/// A K1ValidatorFactory account of a fresh owner from `table` as shipped, deployed by its first
/// owner operation (which bumps the counter); returns the counter's count for the account.
async fn k1_account_works(d: &Devnet, table: Deployments) -> U256 {
    assert_eq!(table.account(), AccountKind::K1ValidatorFactory);
    let node = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let bundler =
        ProviderBuilder::new().connect_http(d.bundler_url.clone().unwrap().parse().unwrap());
    let owner = PrivateKeySigner::random();
    let account = table.account_for(&node, owner.address(), U256::ZERO).await.unwrap();
    assert_eq!(account.deployment.factory, table.k1_validator_factory.unwrap());
    node.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .unwrap();
    let address = account.address;
    let client = NexusClient::new(node.clone(), bundler, table, account).await.unwrap();
    let counter = d.addresses.counter;
    let sent = client
        .owner_execute(&owner, &[Execution::new(counter, U256::ZERO, bumpCall {}.abi_encode())])
        .await
        .unwrap();
    assert!(sent.receipt.success);
    assert!(!node.get_code_at(address).await.unwrap().is_empty(), "deployed");
    Counter::new(counter, &node).count(address).call().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn default_tables_work_on_a_chain_with_the_canonical_contracts() {
    let d = Devnet::start_with(Options { chain_id: 31390, ..Options::default() }).await.unwrap();
    let node = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());

    // before anything is placed, detection names the missing contracts
    let legacy = Deployments::default_for(Generation::Legacy);
    match legacy.detect(&node).await {
        Err(DetectError::Missing { chain_id: 31390, missing }) => {
            let fields: Vec<_> = missing.iter().map(|(f, _)| *f).collect();
            assert!(fields.contains(&"ownerValidator") && fields.contains(&"k1ValidatorFactory"));
            assert!(
                !fields.contains(&"entryPoint") && !fields.contains(&"smartSession"),
                "{fields:?}"
            );
        }
        other => panic!("expected Missing, got {other:?}"),
    }

    // legacy (@biconomy/sdk 0.0.21) and v1 (sdk 0.0.29) share the K1 account side
    place(&d, &legacy).await;
    legacy.detect(&node).await.unwrap();
    assert_eq!(k1_account_works(&d, legacy).await, U256::from(1));
    let v1 = Deployments::default_for(Generation::V1);
    place(&d, &v1).await;
    v1.detect(&node).await.unwrap();
    assert_eq!(k1_account_works(&d, v1).await, U256::from(1));

    // the permissionless/module-sdk Nexus path on the current generation: detection only. With
    // no attesters and threshold 0, the account's init through the devnet's K1ValidatorFactory
    // stand-in fails with Nexus 1.0's `NexusInitializationFailed()` (0x315927c5): the bootstrap
    // reverts, most likely at the devnet registry double's `trustAttesters(0, [])`
    // (`InvalidThreshold`); whether the real registry accepts that is not verified here.
    let permissionless = Deployments::permissionless_nexus(Generation::Current);
    place(&d, &permissionless).await;
    permissionless.detect(&node).await.unwrap();

    // current (abstractjs 1.2.3, MEE 2.0.0 accounts): detection only, see the report
    let current = Deployments::default_for(Generation::Current);
    assert_eq!(current.account(), AccountKind::MeeDefaultValidator);
    place(&d, &current).await;
    // one round trip for the whole table
    let trips = RoundTrips::default();
    let counted = ProviderBuilder::new().connect_client(
        alloy_rpc_client::ClientBuilder::default()
            .layer(trips.layer())
            .http(d.rpc_url.parse().unwrap()),
    );
    current.detect(&counted).await.unwrap();
    assert_eq!(trips.total(), 1, "{:?}", trips.methods());
    assert_eq!(trips.methods()["eth_getCode"], current.contracts().len() as u64);
    // one contract removed: the error names exactly it
    let p = d.provider_for(&d.deployer).unwrap();
    p.anvil_set_code(current.nexus_factory.unwrap(), Bytes::new()).await.unwrap();
    let err = current.detect(&node).await.unwrap_err();
    assert!(
        matches!(&err, DetectError::Missing { missing, .. }
            if missing == &vec![("nexusFactory", current.nexus_factory.unwrap())]),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("nexusFactory 0x000000001D1D5004a02bAfAb9de2D6CE5b7B13de"),
        "{err}"
    );
}
