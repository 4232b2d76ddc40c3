//! The one-call flows of `NexusClient` on the devnet (legacy generation): the K1ValidatorFactory
//! account of `@biconomy/sdk` 0.0.21, prepare, the seed-000 `grantPermission` request, use with
//! the built-in off-chain check until the limit is spent, remaining budgets from chain, the
//! on-chain refusal when the check is skipped, ENABLE_AND_USE with both owner signature styles,
//! remove; and the JSON-RPC round trips of the whole flow.

use alloy_primitives::{Address, Bytes, U256};
use alloy_provider::{Provider, ext::AnvilApi};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::json;
use smart_sessions_bindings::{
    erc20::ERC20::{self, approveCall, transferCall},
    k1_validator_factory::K1ValidatorFactory,
};
use smart_sessions_client::{
    BudgetItem, FlowError, NexusAccount, NexusClient, OwnerSignatureStyle, Precheck, Refusal,
    SessionDetails, SessionRequest, grant_permission_multichain, trusted_attesters,
};
use smart_sessions_codec::{Execution, execute::decode_execute};
use smart_sessions_devnet::{Devnet, Options};
use smart_sessions_policy::eval::{Outcome, Violation};

mod common;

const RECIPIENT: Address = Address::repeat_byte(0x42);

fn transfer(token: Address, amount: u64) -> Execution {
    Execution::new(
        token,
        U256::ZERO,
        transferCall { to: RECIPIENT, amount: U256::from(amount) }.abi_encode(),
    )
}

/// The seed docs' request: `transfer` on `token`, amount `LESS_THAN` 1000 per call (argument 1),
/// limited to 1500 in total.
fn seed_request(session_key: Address, token: Address) -> SessionRequest {
    serde_json::from_value(json!({
        "sessionPublicKey": session_key,
        "actionPoliciesInfo": [{
            "contractAddress": token,
            "functionSelector": "0xa9059cbb",
            "rules": [{
                "condition": 2,
                "offsetIndex": 1,
                "isLimited": true,
                "ref": 1000,
                "usage": { "limit": "1500", "used": 0 }
            }]
        }]
    }))
    .expect("the seed's sessionRequestedInfo shape")
}

async fn mint(d: &Devnet, to: Address, amount: u64) {
    d.mint_tokens(to, U256::from(amount)).await.unwrap();
}

async fn balance<P: Provider>(p: &P, token: Address, who: Address) -> U256 {
    ERC20::new(token, p).balanceOf(who).call().await.unwrap()
}

/// The K1ValidatorFactory account of `owner` at `index` with the devnet's attester, threshold 1
/// (the factory call `@biconomy/sdk` 0.0.21 makes).
async fn k1_account<P: Provider>(
    node: &P,
    a: &smart_sessions_devnet::Addresses,
    owner: Address,
    index: u64,
) -> NexusAccount {
    NexusAccount::k1_validator_factory(
        node,
        a.entry_point,
        a.k1_validator_factory,
        owner,
        U256::from(index),
        &[a.attester],
        1,
    )
    .await
    .unwrap()
}

/// A funded K1ValidatorFactory account (index 0, the devnet's attester) and its client.
async fn k1_client(
    d: &Devnet,
) -> (PrivateKeySigner, NexusClient<impl Provider + Clone, impl Provider + Clone>) {
    let a = &d.addresses;
    let (node, bundler, _, _) = common::counted(d);
    let owner = PrivateKeySigner::random();
    let account = k1_account(&node, a, owner.address(), 0).await;
    node.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .unwrap();
    let client = NexusClient::new(node, bundler, common::deployments(d), account).await.unwrap();
    (owner, client)
}

#[tokio::test(flavor = "multi_thread")]
async fn k1_factory_account_seed_grant_use_until_spent_budgets_and_remove() {
    let d = Devnet::start_with(Options { chain_id: 31361, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (node, bundler, _, _) = common::counted(&d);
    let owner = PrivateKeySigner::random();

    // the account @biconomy/sdk 0.0.21 creates: K1ValidatorFactory, index 0, one attester
    let account = k1_account(&node, &a, owner.address(), 0).await;
    assert_eq!(&account.factory_data[..4], &[0x0d, 0x51, 0xf0, 0xb7]);
    let from_view = K1ValidatorFactory::new(a.k1_validator_factory, &node)
        .computeAccountAddress(owner.address(), U256::ZERO, vec![a.attester], 1)
        .call()
        .await
        .unwrap();
    assert_eq!(account.address, from_view);
    // another index is another account
    let other = k1_account(&node, &a, owner.address(), 1).await;
    assert_ne!(other.address, account.address);

    node.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .unwrap();
    let client = NexusClient::new(node.clone(), bundler.clone(), common::deployments(&d), account)
        .await
        .unwrap();
    assert!(!client.is_deployed().await.unwrap());
    assert!(!client.is_smart_sessions_installed().await.unwrap());

    // prepare: deploy on first operation and install SmartSession; then nothing to do
    let prepared = client.prepare(&owner).await.unwrap().expect("one operation");
    assert!(prepared.user_op.factory.is_some());
    assert!(client.prepare(&owner).await.unwrap().is_none());
    let acct = client.account();
    assert!(acct.is_module_installed(&node, 1, a.smart_session, Bytes::new()).await.unwrap());
    assert!(acct.is_module_installed(&node, 1, a.owner_validator, Bytes::new()).await.unwrap());
    assert!(!acct.is_module_installed(&node, 1, a.uni_action_policy, Bytes::new()).await.unwrap());
    // the factory configured the registry with the attester
    assert_eq!(
        trusted_attesters(&node, a.registry, client.address()).await.unwrap(),
        vec![a.attester]
    );
    // trustAttesters on its own: the owner replaces the list (same attester, threshold 1)
    let t = client.trust_attesters(&owner, &[a.attester], 1).await.unwrap();
    assert!(t.receipt.success && t.user_op.factory.is_none());
    assert_eq!(
        trusted_attesters(&node, a.registry, client.address()).await.unwrap(),
        vec![a.attester]
    );

    // grant the seed's request: attesters are trusted already, so a single call
    let session_key = PrivateKeySigner::random();
    let grant = client
        .grant_permission(&owner, &[seed_request(session_key.address(), a.token)])
        .await
        .unwrap();
    let (_, calls) = decode_execute(&grant.sent.user_op.call_data).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].target, a.smart_session);
    assert_eq!(grant.permission_ids.len(), 1);
    assert!(client.is_permission_enabled(grant.permission_ids[0]).await.unwrap());
    mint(&d, client.address(), 10_000).await;

    // the session key's side: another client, the details through JSON as between processes
    let details: SessionDetails =
        serde_json::from_str(&serde_json::to_string(&grant.sessions[0]).unwrap()).unwrap();
    let (node2, bundler2, _, _) = common::counted(&d);
    let session = NexusClient::new(
        node2.clone(),
        bundler2,
        common::deployments(&d),
        NexusAccount::existing(client.address(), a.entry_point),
    )
    .await
    .unwrap();
    let on = Precheck::On;
    session.use_permission(&session_key, &details, &[transfer(a.token, 600)], on).await.unwrap();
    session.use_permission(&session_key, &details, &[transfer(a.token, 600)], on).await.unwrap();
    assert_eq!(balance(&node2, a.token, RECIPIENT).await, U256::from(1200));

    // budgets: from this client's own operations, and read from chain by a fresh client
    let expect = BudgetItem::Rule { rule: 0, limit: U256::from(1500), used: U256::from(1200) };
    let s = details.session().unwrap();
    let budgets = session.remaining_budgets(&s).await.unwrap();
    assert_eq!(budgets.len(), 1);
    assert_eq!(budgets[0].item, expect);
    assert_eq!(budgets[0].action, Some((a.token, transferCall::SELECTOR.into())));
    assert_eq!(budgets[0].item.remaining(), Some(U256::from(300)));
    let fresh = client.remaining_budgets(&s).await.unwrap();
    assert_eq!(fresh[0].item, expect);

    // 600 more: refused off-chain, rule 0 named, nothing sent
    let err = session
        .use_permission(&session_key, &details, &[transfer(a.token, 600)], on)
        .await
        .unwrap_err();
    let FlowError::Refused(r) = &err else { panic!("{err}") };
    assert_eq!(r.call, Some(0));
    assert_eq!(r.policy, a.uni_action_policy);
    assert_eq!(
        r.rejection.outcome,
        Outcome::Violation(Violation::RuleLimit {
            rule: 0,
            used: U256::from(1200),
            param: U256::from(600),
            limit: U256::from(1500)
        })
    );
    assert!(err.to_string().contains("rule 0"), "{err}");
    // a call the session does not allow at all
    let approve = Execution::new(
        a.token,
        U256::ZERO,
        approveCall { spender: RECIPIENT, amount: U256::ONE }.abi_encode(),
    );
    let err = session.use_permission(&session_key, &details, &[approve], on).await.unwrap_err();
    assert!(
        matches!(err, FlowError::NoAction(ref n) if n.call == 0 && n.reason == smart_sessions_client::checks::NoActionReason::NotAnAction),
        "{err}"
    );

    // the check skipped: the bundler's simulation meets SmartSession's PolicyViolation
    let err = session
        .use_permission(&session_key, &details, &[transfer(a.token, 600)], Precheck::Skip)
        .await
        .unwrap_err();
    let FlowError::Bundler(b) = &err else { panic!("{err}") };
    let Refusal::SmartSession(e) = &b.refusal else { panic!("{err}") };
    assert_eq!(e.name, "PolicyViolation", "{e}");
    assert_eq!(
        (e.permission_id, e.policy),
        (Some(details.permission_id), Some(a.uni_action_policy))
    );
    // what is left still works, and the balance shows exactly the passed transfers
    session.use_permission(&session_key, &details, &[transfer(a.token, 300)], on).await.unwrap();
    assert_eq!(balance(&node2, a.token, RECIPIENT).await, U256::from(1500));

    // remove: the session client learns it from the chain's refusal
    client.remove_session(&owner, grant.permission_ids[0]).await.unwrap();
    assert!(!client.is_permission_enabled(grant.permission_ids[0]).await.unwrap());
    let err = session
        .use_permission(&session_key, &details, &[transfer(a.token, 1)], Precheck::Skip)
        .await
        .unwrap_err();
    let FlowError::Bundler(b) = &err else { panic!("{err}") };
    assert!(
        matches!(&b.refusal, Refusal::SmartSession(e) if e.name == "InvalidPermissionId"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn enable_and_use_with_both_owner_signature_styles() {
    let d = Devnet::start_with(Options { chain_id: 31363, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (owner, client) = k1_client(&d).await;
    let node = client.node().clone();
    client.prepare(&owner).await.unwrap();
    mint(&d, client.address(), 10_000).await;

    for (i, typed) in [true, false].into_iter().enumerate() {
        let key = PrivateKeySigner::random();
        let request = seed_request(key.address(), a.token);
        // nothing is sent by the owner: one getNonce call, a signature
        let details = if typed {
            client.grant_permission_typed_data_sign(&owner, &request).await.unwrap()
        } else {
            client.grant_permission_personal_sign(&owner, &request).await.unwrap()
        };
        assert!(details.enable().is_some());
        assert!(!client.is_permission_enabled(details.permission_id).await.unwrap());
        let details: SessionDetails =
            serde_json::from_value(serde_json::to_value(&details).unwrap()).unwrap();
        // the first use enables (ENABLE_AND_USE), the next is plain USE
        let first = client
            .use_permission(&key, &details, &[transfer(a.token, 100)], Precheck::On)
            .await
            .unwrap();
        let second = client
            .use_permission(&key, &details, &[transfer(a.token, 100)], Precheck::On)
            .await
            .unwrap();
        assert!(first.user_op.signature.len() > second.user_op.signature.len());
        assert_eq!(first.user_op.signature[0], 0x01, "ENABLE mode byte");
        assert_eq!(second.user_op.signature[0], 0x00, "USE mode byte");
        assert!(client.is_permission_enabled(details.permission_id).await.unwrap());
        assert_eq!(
            balance(&node, a.token, RECIPIENT).await,
            U256::from(200 * (i as u64 + 1)),
            "typed data: {typed}"
        );
        // the policies were enabled from the payload: the limit counts both uses
        let budgets = client.remaining_budgets(&details.session().unwrap()).await.unwrap();
        assert_eq!(
            budgets[0].item,
            BudgetItem::Rule { rule: 0, limit: U256::from(1500), used: U256::from(200) }
        );
    }
    // an unknown session key cannot use someone else's details (AA24 from the validator)
    let key = PrivateKeySigner::random();
    let details = client
        .grant_permission_personal_sign(&owner, &seed_request(key.address(), a.token))
        .await
        .unwrap();
    let wrong = PrivateKeySigner::random();
    let err = client
        .use_permission(&wrong, &details, &[transfer(a.token, 1)], Precheck::On)
        .await
        .unwrap_err();
    let FlowError::Bundler(b) = &err else { panic!("{err}") };
    assert!(matches!(b.refusal, Refusal::EntryPoint { code: 24, .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_actions_and_policies_are_refused_off_chain_and_on_chain() {
    let d = Devnet::start_with(Options { chain_id: 31364, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (owner, client) = k1_client(&d).await;
    let node = client.node().clone();
    mint(&d, client.address(), 10_000).await;
    // two actions: transfer under a rule, approve under the sudo policy
    let key = PrivateKeySigner::random();
    let request: SessionRequest = serde_json::from_value(json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [
            { "contractAddress": a.token, "functionSelector": "0xa9059cbb",
              "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": false, "ref": 1000 }] },
            { "contractAddress": a.token, "functionSelector": "0x095ea7b3", "sudo": true }
        ]
    }))
    .unwrap();
    let grant = client.grant_permission(&owner, &[request]).await.unwrap();
    let (pid, details) = (grant.permission_ids[0], grant.sessions[0].clone());
    let approve = |n: u64| {
        Execution::new(
            a.token,
            U256::ZERO,
            approveCall { spender: RECIPIENT, amount: U256::from(n) }.abi_encode(),
        )
    };
    client.use_permission(&key, &details, &[approve(1)], Precheck::On).await.unwrap();
    client.use_permission(&key, &details, &[transfer(a.token, 5)], Precheck::On).await.unwrap();

    // the owner disables the approve action: a fresh session client reads it from chain
    client.disable_action(&owner, pid, (a.token, approveCall::SELECTOR.into())).await.unwrap();
    let (node2, bundler2, _, _) = common::counted(&d);
    let fresh = |n, b| {
        NexusClient::with_chain_id(
            n,
            b,
            31364,
            common::deployments(&d),
            NexusAccount::existing(client.address(), a.entry_point),
        )
    };
    let session = fresh(node2.clone(), bundler2.clone());
    let err =
        session.use_permission(&key, &details, &[approve(2)], Precheck::On).await.unwrap_err();
    let FlowError::NoAction(n) = &err else { panic!("{err}") };
    assert_eq!(n.reason, smart_sessions_client::checks::NoActionReason::NoPolicyEnabled, "{err}");
    assert!(err.to_string().contains("NoPoliciesSet"), "{err}");
    // and the chain agrees
    let err =
        session.use_permission(&key, &details, &[approve(2)], Precheck::Skip).await.unwrap_err();
    let FlowError::Bundler(b) = &err else { panic!("{err}") };
    assert!(
        matches!(&b.refusal, Refusal::SmartSession(e) if e.name == "NoPoliciesSet" && e.permission_id == Some(pid)),
        "{err}"
    );
    // transfer still works, and its budget-less rule shows no budget
    session.use_permission(&key, &details, &[transfer(a.token, 5)], Precheck::On).await.unwrap();
    assert!(session.remaining_budgets(&details.session().unwrap()).await.unwrap().is_empty());

    // disabling the transfer action's only policy leaves it without policies too
    client
        .disable_action_policies(
            &owner,
            pid,
            (a.token, transferCall::SELECTOR.into()),
            &[a.uni_action_policy],
        )
        .await
        .unwrap();
    let session = fresh(node2, bundler2);
    let err = session
        .use_permission(&key, &details, &[transfer(a.token, 5)], Precheck::On)
        .await
        .unwrap_err();
    assert!(matches!(err, FlowError::NoAction(_)), "{err}");
    assert_eq!(balance(&node, a.token, RECIPIENT).await, U256::from(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn grant_on_a_fresh_account_deploys_trusts_and_installs_with_the_session_in_one_operation() {
    let d = Devnet::start_with(Options { chain_id: 31365, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (node, bundler, _, _) = common::counted(&d);
    let owner = PrivateKeySigner::random();
    let account = NexusAccount::counterfactual(
        &node,
        smart_sessions_client::NexusDeployment {
            entry_point: a.entry_point,
            factory: a.nexus_factory,
            bootstrap: a.nexus_bootstrap,
        },
        a.owner_validator,
        owner.address().to_vec().into(),
        alloy_primitives::B256::ZERO,
    )
    .await
    .unwrap();
    node.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .unwrap();
    let client =
        NexusClient::new(node.clone(), bundler, common::deployments(&d), account).await.unwrap();
    let key = PrivateKeySigner::random();
    let grant =
        client.grant_permission(&owner, &[seed_request(key.address(), a.token)]).await.unwrap();
    // one operation: initCode, then trustAttesters and installModule(SmartSession, sessions)
    assert!(grant.sent.user_op.factory.is_some());
    let (_, calls) = decode_execute(&grant.sent.user_op.call_data).unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].target, a.registry);
    assert_eq!(calls[1].target, client.address(), "installModule on the account itself");
    assert!(client.is_permission_enabled(grant.permission_ids[0]).await.unwrap());
    mint(&d, client.address(), 2_000).await;
    let details = &grant.sessions[0];
    client.use_permission(&key, details, &[transfer(a.token, 999)], Precheck::On).await.unwrap();
    assert_eq!(balance(&node, a.token, RECIPIENT).await, U256::from(999));
    // a batch: the cumulative limit (1500) carries from call to call; call 1 is the one refused
    let batch = [transfer(a.token, 300), transfer(a.token, 300)];
    let err = client.use_permission(&key, details, &batch, Precheck::On).await.unwrap_err();
    let FlowError::Refused(r) = &err else { panic!("{err}") };
    assert_eq!(r.call, Some(1), "{err}");
    let batch = [transfer(a.token, 200), transfer(a.token, 300)];
    let sent = client.use_permission(&key, details, &batch, Precheck::On).await.unwrap();
    let (mode, calls) = decode_execute(&sent.user_op.call_data).unwrap();
    assert_eq!((mode[0], calls.len()), (1, 2), "batch mode");
    assert_eq!(balance(&node, a.token, RECIPIENT).await, U256::from(1499));
    let budgets = client.remaining_budgets(&details.session().unwrap()).await.unwrap();
    assert_eq!(budgets[0].item.remaining(), Some(U256::from(1)));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_owner_signature_grants_on_two_chains() {
    let (d1, d2) = tokio::join!(
        Devnet::start_with(Options { chain_id: 31367, ..Options::default() }),
        Devnet::start_with(Options { chain_id: 31368, ..Options::default() }),
    );
    let (d1, d2) = (d1.expect("devnet 1"), d2.expect("devnet 2"));
    let owner = PrivateKeySigner::random();
    let mut clients = Vec::new();
    for d in [&d1, &d2] {
        let (node, bundler, _, _) = common::counted(d);
        let account = common::funded_nexus_account(&node, d, owner.address()).await;
        let c = NexusClient::new(node, bundler, common::deployments(d), account).await.unwrap();
        c.prepare(&owner).await.unwrap();
        mint(d, c.address(), 1_000).await;
        clients.push(c);
    }
    // the same CREATE2 deployments: the same account on both chains
    assert_eq!(clients[0].address(), clients[1].address());
    let key = PrivateKeySigner::random();
    let refs: Vec<_> = clients.iter().collect();
    let details = grant_permission_multichain(
        &refs,
        &owner,
        &seed_request(key.address(), d1.addresses.token),
        OwnerSignatureStyle::TypedData,
    )
    .await
    .unwrap();
    assert_eq!(details.len(), 2);
    let e0 = details[0].legacy_enable_session.as_ref().unwrap();
    let e1 = details[1].legacy_enable_session.as_ref().unwrap();
    assert_eq!((e0.chainDigestIndex, e1.chainDigestIndex), (0, 1));
    assert_eq!(e0.permissionEnableSig, e1.permissionEnableSig, "one owner signature");
    assert_eq!(e0.hashesAndChainIds.len(), 2);
    // each chain's session key enables and uses it there (ENABLE mode: the registry is asked,
    // so each account first trusts its chain's attester)
    for ((c, det), d) in clients.iter().zip(&details).zip([&d1, &d2]) {
        c.trust_attesters(&owner, &[d.addresses.attester], 1).await.unwrap();
        let sent = c
            .use_permission(&key, det, &[transfer(d.addresses.token, 10)], Precheck::On)
            .await
            .unwrap();
        assert_eq!(sent.user_op.signature[0], 0x01, "ENABLE_AND_USE");
        assert_eq!(balance(c.node(), d.addresses.token, RECIPIENT).await, U256::from(10));
    }
    let chains: Vec<_> =
        clients.iter().map(|c| (c.chain_id(), c.node(), c.smart_sessions())).collect();
    let map = smart_sessions_client::check_enabled_permissions(
        &chains,
        clients[0].address(),
        &[details[0].permission_id],
    )
    .await
    .unwrap();
    assert_eq!(map[&details[0].permission_id].values().filter(|e| **e).count(), 2);
}
