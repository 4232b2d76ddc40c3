//! Issue 17 items 3-4 on the devnet (legacy generation, whose SmartSession consults the
//! ERC-7484 registry): the grant reads what the account trusts (for a counterfactual
//! K1ValidatorFactory account: what its factory call sets) and never prepends a
//! `trustAttesters` that changes nothing; when the account trusts no one, it trusts the
//! deployment's attesters with threshold 1 (what the factories and the TypeScript SDKs set), not
//! one per attester.

use alloy_primitives::{Address, B256, U256};
use alloy_provider::ext::AnvilApi;
use alloy_signer_local::PrivateKeySigner;
use serde_json::json;
use smart_sessions_client::{NexusAccount, NexusClient, NexusDeployment, SessionRequest};
use smart_sessions_codec::execute::decode_execute;
use smart_sessions_devnet::{Devnet, Options};

mod common;

fn request(key: Address, token: Address) -> SessionRequest {
    serde_json::from_value(json!({
        "sessionPublicKey": key,
        "actionPoliciesInfo": [{ "contractAddress": token, "functionSelector": "0xa9059cbb",
            "sudo": true }]
    }))
    .unwrap()
}

/// How many logs of the operation's transaction the registry emitted (its
/// `NewTrustedAttesters` is the only event `trustAttesters` emits).
fn registry_logs(receipt: &serde_json::Value, registry: Address) -> usize {
    receipt["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["address"].as_str().unwrap().parse::<Address>().unwrap() == registry)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_k1_factory_account_is_not_trusted_twice() {
    let d = Devnet::start_with(Options { chain_id: 31375, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (node, bundler, _, _) = common::counted(&d);
    let owner = PrivateKeySigner::random();
    // the factory's createAccount sets the registry's attesters (one, threshold 1) itself
    let account = NexusAccount::k1_validator_factory(
        &node,
        a.entry_point,
        a.k1_validator_factory,
        owner.address(),
        U256::ZERO,
        &[a.attester],
        1,
    )
    .await
    .unwrap();
    node.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .unwrap();
    let client = NexusClient::new(node, bundler, common::deployments(&d), account).await.unwrap();
    let key = PrivateKeySigner::random();
    let grant = client.grant_permission(&owner, &[request(key.address(), a.token)]).await.unwrap();
    assert!(grant.sent.user_op.factory.is_some(), "deployed by this operation");
    let (_, calls) = decode_execute(&grant.sent.user_op.call_data).unwrap();
    assert_eq!(calls.len(), 1, "installModule only, no trustAttesters");
    assert_eq!(calls[0].target, client.address());
    // one NewTrustedAttesters in the operation: the factory's (before: two)
    assert_eq!(registry_logs(&grant.sent.receipt.receipt, a.registry), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_trusting_no_one_trusts_with_threshold_one() {
    let d = Devnet::start_with(Options { chain_id: 31376, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (node, bundler, _, _) = common::counted(&d);
    let owner = PrivateKeySigner::random();
    let account = NexusAccount::counterfactual(
        &node,
        NexusDeployment {
            entry_point: a.entry_point,
            factory: a.nexus_factory,
            bootstrap: a.nexus_bootstrap,
        },
        a.owner_validator,
        owner.address().to_vec().into(),
        B256::ZERO,
    )
    .await
    .unwrap();
    node.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .unwrap();
    // two attesters, of which only the devnet's has attested the modules (as `--testnet`'s
    // Rhinestone + mock attester): with threshold 2 the registry refuses the grant
    let mut deployments = common::deployments(&d);
    deployments.attesters = vec![a.attester, Address::repeat_byte(0x77)];
    let client = NexusClient::new(node, bundler, deployments, account).await.unwrap();
    let key = PrivateKeySigner::random();
    let grant = client.grant_permission(&owner, &[request(key.address(), a.token)]).await;
    let grant = grant.unwrap_or_else(|e| panic!("{e}"));
    let (_, calls) = decode_execute(&grant.sent.user_op.call_data).unwrap();
    assert_eq!(calls.len(), 2, "trustAttesters, then installModule");
    // trustAttesters(uint8 threshold, address[]): the threshold word is 1
    assert_eq!(calls[0].target, a.registry);
    assert_eq!(U256::from_be_slice(&calls[0].callData[4..36]), U256::from(1));
}

/// `account_trust` on the devnet's registry (a double of the ERC-7484 reference registry with
/// its storage layout: the `$accountToAttester` record at slot 3): the attesters and threshold
/// a `trustAttesters(2, [x, y])` set, compared with those arguments (the list sorted, as the
/// registry stores it); an account that trusts no one: none and 0.
#[tokio::test(flavor = "multi_thread")]
async fn the_accounts_attesters_and_threshold_are_read() {
    use smart_sessions_client::{AccountTrust, account_trust};
    let d = Devnet::start_with(Options { chain_id: 31376, bundler: true, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (node, bundler, _, _) = common::counted(&d);
    let owner = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&node, &d, owner.address()).await;
    let c = NexusClient::new(node.clone(), bundler, common::deployments(&d), account.clone())
        .await
        .unwrap();
    let none = account_trust(&node, a.registry, c.address()).await.unwrap();
    assert_eq!(none, AccountTrust { attesters: vec![], threshold: 0 });
    let other = Address::repeat_byte(0x0b);
    c.trust_attesters(&owner, &[a.attester, other], 2).await.unwrap();
    let t = account_trust(&node, a.registry, c.address()).await.unwrap();
    let mut sorted = vec![a.attester, other];
    sorted.sort();
    assert_eq!(t, AccountTrust { attesters: sorted, threshold: 2 });
}
