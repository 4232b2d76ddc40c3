//! Issue 12 item 4 on the devnet (legacy generation): the off-chain pre-check works from a view
//! of the policies that is read again when it is old (here: always, `precheck_max_age` zero),
//! a refusal from a cached view is checked again on a fresh read before it is returned, and a
//! policy the evaluator does not know is a typed "unchecked" outcome, not a silent pass.
//!
//! Two `NexusClient`s act on one account as two processes would: what one does is invisible to
//! the other's cache.

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::json;
use smart_sessions_bindings::erc20::ERC20::transferCall;
use smart_sessions_client::{ClientOptions, FlowError, NexusClient, Precheck, SessionRequest};
use smart_sessions_codec::Execution;
use smart_sessions_devnet::{Devnet, Options};
use std::time::Duration;

mod common;

/// `transfer` with amount < 1000 per call, 1500 in total (a limited UniActionPolicy rule).
fn request(key: Address, token: Address) -> SessionRequest {
    serde_json::from_value(json!({
        "sessionPublicKey": key,
        "actionPoliciesInfo": [{
            "contractAddress": token, "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": 2, "offsetIndex": 1, "isLimited": true, "ref": 1000,
                "usage": { "limit": "1500", "used": 0 } }]
        }]
    }))
    .unwrap()
}

fn pay(token: Address, amount: u64) -> Execution {
    let data = transferCall { to: Address::repeat_byte(0x42), amount: U256::from(amount) };
    Execution::new(token, U256::ZERO, data.abi_encode())
}

#[tokio::test(flavor = "multi_thread")]
async fn prechecks_see_other_clients_recheck_refusals_and_report_unknown_policies() {
    let d = Devnet::start_with(Options { chain_id: 31373, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let owner = PrivateKeySigner::random();
    let key = PrivateKeySigner::random();
    let (node, bundler, _, trips) = common::counted(&d);
    let account = common::funded_nexus_account(&node, &d, owner.address()).await;
    let new_client =
        |deployments| NexusClient::new(node.clone(), bundler.clone(), deployments, account.clone());
    let o = new_client(common::deployments(&d)).await.unwrap();
    o.prepare(&owner).await.unwrap();
    o.trust_attesters(&owner, &[a.attester], 1).await.unwrap();
    let grant = o.grant_permission(&owner, &[request(key.address(), a.token)]).await.unwrap();
    let details = grant.sessions[0].clone();
    d.mint_tokens(o.address(), U256::from(10_000)).await.unwrap();
    let sends = || trips.methods().get("eth_sendUserOperation").copied().unwrap_or(0);

    // client A reads the policies for every pre-check; client B keeps the default 30 s
    let fresh = ClientOptions { precheck_max_age: Duration::ZERO, ..ClientOptions::default() };
    let ca = new_client(common::deployments(&d)).await.unwrap().with_options(fresh);
    let cb = new_client(common::deployments(&d)).await.unwrap();
    ca.use_permission(&key, &details, &[pay(a.token, 600)], Precheck::On).await.unwrap();
    cb.use_permission(&key, &details, &[pay(a.token, 600)], Precheck::On).await.unwrap();

    // 1. A sees B's use (1200 of 1500 used): refused off-chain, nothing sent (before: A's own
    //    view said 600 used, it sent, and the chain refused)
    let before = sends();
    let err = ca.use_permission(&key, &details, &[pay(a.token, 600)], Precheck::On).await;
    assert!(matches!(err, Err(FlowError::Refused(_))), "{err:?}");
    assert_eq!(sends(), before, "nothing sent");

    // 2. the owner removes the session and enables it again (the rule's counter starts over);
    //    B's cached view (1200 used) refuses, so B reads again and sends (before: a sticky
    //    refusal)
    o.remove_session(&owner, details.permission_id).await.unwrap();
    o.grant_sessions(&owner, &[details.session().unwrap()]).await.unwrap();
    let sent = cb.use_permission(&key, &details, &[pay(a.token, 600)], Precheck::On).await;
    assert!(sent.unwrap().receipt.success);

    // 3. a client whose table does not know the UniActionPolicy deployed here: the policy is
    //    unchecked, a refusal with Precheck::On, sent and listed with AllowUnchecked
    let mut unknown = common::deployments(&d);
    let uni = unknown.uni_action_policy;
    unknown.uni_action_policy = Address::repeat_byte(0x11);
    let cc = new_client(unknown).await.unwrap();
    let before = sends();
    let err = cc.use_permission(&key, &details, &[pay(a.token, 1)], Precheck::On).await;
    assert!(
        matches!(&err, Err(FlowError::Unchecked { policies, .. }) if policies == &vec![uni]),
        "{err:?}"
    );
    assert_eq!(sends(), before, "nothing sent");
    let sent = cc
        .use_permission(&key, &details, &[pay(a.token, 1)], Precheck::AllowUnchecked)
        .await
        .unwrap();
    assert_eq!(sent.unchecked, vec![uni]);
}
