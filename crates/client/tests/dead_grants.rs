//! Issue 13 item 1 on the devnet (legacy generation): an off-chain grant whose enable signature
//! was revoked before use, and one that was used (enabled) and then removed, are reported as
//! such by `grant_status`, and `use_permission` refuses them before sending anything, naming
//! why (before the fix: `use` sent an ENABLE and the bundler refused it with `HashMismatch`).

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::json;
use smart_sessions_bindings::erc20::ERC20::transferCall;
use smart_sessions_client::{FlowError, GrantStatus, NexusClient, Precheck, SessionRequest};
use smart_sessions_codec::Execution;
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

fn pay(token: Address, amount: u64) -> Execution {
    let data = transferCall { to: Address::repeat_byte(0x42), amount: U256::from(amount) };
    Execution::new(token, U256::ZERO, data.abi_encode())
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_and_removed_grants_are_reported_and_refused_before_sending() {
    let d = Devnet::start_with(Options { chain_id: 31371, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (node, bundler, _, bundler_trips) = common::counted(&d);
    let owner = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&node, &d, owner.address()).await;
    let client = NexusClient::new(node, bundler, common::deployments(&d), account).await.unwrap();
    client.prepare(&owner).await.unwrap();
    client.trust_attesters(&owner, &[a.attester], 1).await.unwrap();
    d.mint_tokens(client.address(), U256::from(1_000)).await.unwrap();
    let sends = || bundler_trips.methods().get("eth_sendUserOperation").copied().unwrap_or(0);

    // 1. an off-chain grant, revoked before its first use
    let key = PrivateKeySigner::random();
    let details = client
        .grant_permission_personal_sign(&owner, &request(key.address(), a.token))
        .await
        .unwrap();
    assert_eq!(client.grant_status(&details).await.unwrap(), GrantStatus::Pending);
    client.revoke_enable_signature(&owner, details.permission_id).await.unwrap();
    let status = client.grant_status(&details).await.unwrap();
    assert_eq!(
        status,
        GrantStatus::RevokedOrRemoved {
            signed_nonce: Some(U256::ZERO),
            current_nonce: U256::from(1)
        }
    );
    let before = sends();
    let err = client.use_permission(&key, &details, &[pay(a.token, 1)], Precheck::On).await;
    let err = err.unwrap_err();
    assert!(
        matches!(&err, FlowError::DeadGrant { permission_id, status: s }
            if *permission_id == details.permission_id && *s == status),
        "{err}"
    );
    assert!(err.to_string().contains("revoked or removed"), "{err}");
    assert_eq!(sends(), before, "nothing was sent");

    // 2. an off-chain grant used once (ENABLE_AND_USE), then removed by the owner
    let key = PrivateKeySigner::random();
    let details = client
        .grant_permission_personal_sign(&owner, &request(key.address(), a.token))
        .await
        .unwrap();
    client.use_permission(&key, &details, &[pay(a.token, 1)], Precheck::On).await.unwrap();
    assert_eq!(client.grant_status(&details).await.unwrap(), GrantStatus::Enabled);
    client.remove_session(&owner, details.permission_id).await.unwrap();
    let status = client.grant_status(&details).await.unwrap();
    assert!(
        matches!(status, GrantStatus::RevokedOrRemoved { signed_nonce: Some(n), current_nonce: c } if n < c),
        "{status:?}"
    );
    let before = sends();
    let err =
        client.use_permission(&key, &details, &[pay(a.token, 1)], Precheck::On).await.unwrap_err();
    assert!(matches!(err, FlowError::DeadGrant { .. }), "{err}");
    assert_eq!(sends(), before, "nothing was sent");
}
