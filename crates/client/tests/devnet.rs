//! The client's user-operation plumbing against the devnet: local hash = EntryPoint's, gas from
//! the bundler's estimate with a stub signature, deploy-on-first-op, typed AA24 refusal.

use alloy_primitives::{B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use smart_sessions_bindings::common::entry_point::EntryPoint;
use smart_sessions_client::{BundlerApi, Refusal, UserOperation};
use smart_sessions_codec::Execution;
use smart_sessions_devnet::contracts::Counter::{self, bumpCall};
use smart_sessions_devnet::{Devnet, Options};
use std::time::Duration;

mod common;
use common::{ecdsa_stub as stub, fill};

async fn fill_and_sign<P: Provider, B: Provider>(
    p: &P,
    b: &B,
    op: UserOperation,
    chain_id: u64,
    signer: &PrivateKeySigner,
) -> UserOperation {
    let ep = smart_sessions_devnet::ENTRY_POINT;
    let mut op = fill(b, op, stub()).await.expect("estimate");
    let hash = op.hash(ep, chain_id);
    // the local hash is the EntryPoint's
    let onchain =
        EntryPoint::new(ep, p).getUserOpHash(op.pack()).call().await.expect("getUserOpHash");
    assert_eq!(onchain, hash);
    op.signature =
        signer.sign_message_sync(hash.as_slice()).expect("sign").as_bytes().to_vec().into();
    op
}

#[tokio::test(flavor = "multi_thread")]
async fn nexus_user_operations_through_the_bundler() {
    let d = Devnet::start_with(Options { chain_id: 31350, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let p = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let b = ProviderBuilder::new().connect_http(d.bundler_url.clone().unwrap().parse().unwrap());
    let owner = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&p, &d, owner.address()).await;
    assert!(!account.is_deployed(&p).await.unwrap());

    let bump = Execution::new(a.counter, U256::ZERO, bumpCall {}.abi_encode());
    let op =
        account.user_operation(&p, a.owner_validator, std::slice::from_ref(&bump)).await.unwrap();
    assert!(op.factory.is_some(), "first operation deploys");
    let op = fill_and_sign(&p, &b, op, d.chain_id, &owner).await;
    let hash = b.send_user_op(&op, a.entry_point).await.expect("send");
    let receipt = b.wait_for_user_op_receipt(hash, Duration::from_secs(30)).await.expect("receipt");
    assert!(receipt.success);
    assert_eq!(receipt.user_op_hash, hash);
    assert!(account.is_deployed(&p).await.unwrap());

    // a batch of two, now without factory fields
    let op =
        account.user_operation(&p, a.owner_validator, &[bump.clone(), bump.clone()]).await.unwrap();
    assert!(op.factory.is_none());
    let op = fill_and_sign(&p, &b, op, d.chain_id, &owner).await;
    let hash = b.send_user_op(&op, a.entry_point).await.expect("send");
    assert!(b.wait_for_user_op_receipt(hash, Duration::from_secs(30)).await.unwrap().success);
    let count = Counter::new(a.counter, &p).count(account.address).call().await.unwrap();
    assert_eq!(count, U256::from(3));

    // a stranger's signature: a typed AA24 refusal
    let op = account.user_operation(&p, a.owner_validator, &[bump]).await.unwrap();
    let op = fill_and_sign(&p, &b, op, d.chain_id, &PrivateKeySigner::random()).await;
    let err = b.send_user_op(&op, a.entry_point).await.expect_err("refused");
    assert!(matches!(err.refusal, Refusal::EntryPoint { code: 24, .. }), "{err}");
}

#[test]
fn refusals_are_classified() {
    use smart_sessions_client::bundler::classify;
    assert!(matches!(
        classify(
            "UserOperation reverted during simulation with reason: AA24 signature error",
            None
        ),
        Refusal::EntryPoint { code: 24, .. }
    ));
    // revert data in a message decodes through the bindings
    let r = classify(
        "AA23 reverted 0x1c792c05aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        None,
    );
    let Refusal::SmartSession(e) = r else { panic!("{r:?}") };
    assert_eq!(e.name, "NoPoliciesSet", "{e}");
    assert_eq!(e.permission_id, Some(B256::repeat_byte(0xaa)));
    assert_eq!(e.policy, None);
    assert!(matches!(classify("something else", None), Refusal::Other { .. }));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_devnet_addresses_load_into_a_deployment_table_unchanged() {
    let d = Devnet::start_with(Options { chain_id: 31354, bundler: false, ..Options::default() })
        .await
        .expect("devnet");
    let json = serde_json::to_string(&d.addresses).unwrap();
    let t = smart_sessions_client::Deployments::from_json(
        smart_sessions_codec::Generation::Legacy,
        &json,
    )
    .unwrap();
    assert_eq!(t.smart_session, d.addresses.smart_session);
    assert_eq!(t.entry_point, d.addresses.entry_point);
    assert_eq!(t.owner_validator, d.addresses.owner_validator);
    assert_eq!(t.nexus_factory, Some(d.addresses.nexus_factory));
    assert_eq!(t.uni_action_policy, d.addresses.uni_action_policy);
    assert_eq!(t.k1_validator_factory, Some(d.addresses.k1_validator_factory));
    assert_eq!(t.attesters, vec![d.addresses.attester]);
    assert_eq!(t.smart_sessions().address, d.addresses.smart_session);
}

/// A real failure on the devnet, walked down its `source()` chain: `trusted_attesters` pointed at
/// the devnet's `Counter` (which has no `findTrustedAttesters` and no fallback, so the node's
/// `eth_call` reverts) is a typed `ClientError` naming the step, not retryable, whose source is
/// alloy's `TransportError` holding the node's JSON-RPC error payload (what anvil answered, not
/// a message this crate wrote).
#[tokio::test(flavor = "multi_thread")]
async fn a_devnet_revert_is_a_typed_error_whose_chain_reaches_the_node_error() {
    use smart_sessions_client::ClientError;
    use std::error::Error as _;
    let d = Devnet::start_with(Options { chain_id: 31399, bundler: false, ..Options::default() })
        .await
        .expect("devnet");
    let p = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let who = alloy_primitives::Address::repeat_byte(7);
    let e = smart_sessions_client::trusted_attesters(&p, d.addresses.counter, who)
        .await
        .expect_err("Counter has no findTrustedAttesters");
    assert!(matches!(&e, ClientError::Reverted { step: "findTrustedAttesters", .. }), "{e:?}");
    assert!(!e.is_retryable(), "{e}");
    assert!(e.to_string().starts_with("findTrustedAttesters reverted"), "{e}");
    let source = e.source().expect("the node's error");
    let transport = source
        .downcast_ref::<alloy_transport::TransportError>()
        .expect("the source is alloy's TransportError");
    let payload = transport.as_error_resp().expect("a JSON-RPC error payload from the node");
    assert!(payload.message.contains("revert"), "{payload:?}");
}
