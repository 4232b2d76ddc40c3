//! Gas sponsorship through ERC-7677 against the devnet's `VerifyingPaymaster`
//! (`@account-abstraction/contracts` 0.7.0) and its ERC-7677 service (the devnet's own, signing
//! for the contract): a sponsored owner operation assembled by hand from the client's pieces
//! (`Erc7677Paymaster` as `PaymasterSource`, `UserOperation`, the bundler API), compared with
//! the same operation unsponsored; refusals and an unreachable or silent service as typed errors.

use alloy_primitives::{Address, B256, U256};
use alloy_provider::{Provider, ProviderBuilder, ext::AnvilApi};
use alloy_signer::Signer;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::json;
use smart_sessions_bindings::common::entry_point::EntryPoint;
use smart_sessions_client::{
    BundlerApi, Endpoint, Erc7677Paymaster, NexusAccount, NexusClient, NexusDeployment,
    PaymasterError, PaymasterSource, Precheck, SessionRequest, UserOperation, UserOperationReceipt,
};
use smart_sessions_codec::Execution;
use smart_sessions_devnet::contracts::Counter::{self, bumpCall};
use smart_sessions_devnet::{
    Devnet, ENTRY_POINT, Options,
    paymaster::{NOT_SPONSORED, SponsorPolicy},
    proxy::{Fault, Proxy},
};
use std::time::{Duration, Instant};

mod common;

fn sponsor_at(url: &str, timeout: Duration) -> Erc7677Paymaster {
    Erc7677Paymaster::new(&Endpoint::new(url.parse().unwrap()).timeout(timeout)).unwrap()
}

/// `Counter.count(who)` at `counter`.
async fn count<P: Provider>(p: &P, counter: Address, who: Address) -> U256 {
    Counter::new(counter, p).count(who).call().await.unwrap()
}

/// `EntryPoint.balanceOf(account)`: the account's (here: the paymaster's) deposit.
async fn deposit_of<P: Provider>(p: &P, account: Address) -> U256 {
    EntryPoint::new(ENTRY_POINT, p).balanceOf(account).call().await.unwrap()
}

/// The devnet account of a fresh owner (NexusAccountFactory + bootstrap, salt 0), not funded.
async fn account<P: Provider>(p: &P, d: &Devnet, owner: Address) -> NexusAccount {
    let a = &d.addresses;
    NexusAccount::counterfactual(
        p,
        NexusDeployment {
            entry_point: a.entry_point,
            factory: a.nexus_factory,
            bootstrap: a.nexus_bootstrap,
        },
        a.owner_validator,
        owner.to_vec().into(),
        B256::ZERO,
    )
    .await
    .unwrap()
}

/// Deploy + `bump()` as the account's first owner operation, sponsored by `sponsor` if given:
/// stub data → estimate (with the stub's paymaster fields and an ECDSA-shaped stub signature) →
/// final data over the estimated operation → owner signature (EIP-191 of the user-op hash) →
/// send → receipt.
async fn first_op<N: Provider, B: Provider>(
    node: &N,
    bundler: &B,
    d: &Devnet,
    owner: &PrivateKeySigner,
    account: &NexusAccount,
    sponsor: Option<&dyn PaymasterSource>,
) -> Result<UserOperationReceipt, PaymasterError> {
    let a = &d.addresses;
    let call = Execution::new(a.counter, U256::ZERO, bumpCall {}.abi_encode());
    let mut op: UserOperation =
        account.user_operation(node, a.owner_validator, &[call]).await.unwrap();
    op.signature = common::ecdsa_stub();
    let (max_fee, tip) = bundler.pimlico_gas_price().await.unwrap();
    op.max_fee_per_gas = max_fee;
    op.max_priority_fee_per_gas = tip;
    let mut stub_final = true;
    if let Some(s) = sponsor {
        let stub = s.stub_data(&op, ENTRY_POINT, d.chain_id).await?;
        assert_eq!(stub.paymaster, a.verifying_paymaster);
        stub.apply(&mut op);
        stub_final = stub.is_final;
    }
    let gas = bundler.estimate_user_op_gas(&op, ENTRY_POINT).await.unwrap();
    op.call_gas_limit = gas.call_gas_limit;
    op.verification_gas_limit = gas.verification_gas_limit;
    op.pre_verification_gas = gas.pre_verification_gas;
    if let Some(s) = sponsor {
        if let Some(v) = gas.paymaster_verification_gas_limit {
            op.paymaster_verification_gas_limit = Some(v);
        }
        if !stub_final {
            s.data(&op, ENTRY_POINT, d.chain_id).await?.apply(&mut op);
        }
    }
    let hash = op.hash(ENTRY_POINT, d.chain_id);
    op.signature = owner.sign_message(hash.as_slice()).await.unwrap().as_bytes().to_vec().into();
    let sent = bundler.send_user_op(&op, ENTRY_POINT).await.unwrap();
    let start = Instant::now();
    loop {
        if let Some(r) = bundler.user_op_receipt(sent).await.unwrap() {
            return Ok(r);
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no receipt for {sent}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sponsored_owner_operation_costs_the_account_nothing() {
    let d = Devnet::start_with(Options { chain_id: 31395, ..Options::default() }).await.unwrap();
    let service = d.paymaster().expect("the devnet's paymaster service");
    let node = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let bundler =
        ProviderBuilder::new().connect_http(d.bundler_url.clone().unwrap().parse().unwrap());
    let pm = d.addresses.verifying_paymaster;
    let sponsor = sponsor_at(service.url(), Duration::from_secs(10));

    // sponsored: an account with no ETH at all
    let owner = PrivateKeySigner::random();
    let acc = account(&node, &d, owner.address()).await;
    service.set_policy(SponsorPolicy::Only([acc.address].into()));
    let deposit_before = deposit_of(&node, pm).await;
    let r = first_op(&node, &bundler, &d, &owner, &acc, Some(&sponsor)).await.unwrap();
    assert!(r.success, "{r:?}");
    assert_eq!(
        node.get_balance(acc.address).await.unwrap(),
        U256::ZERO,
        "the account paid nothing"
    );
    let deposit_after = deposit_of(&node, pm).await;
    assert_eq!(deposit_before - deposit_after, r.actual_gas_cost, "the paymaster's deposit paid");
    assert_eq!(count(&node, d.addresses.counter, acc.address).await, U256::from(1));
    assert_eq!(service.calls(), ["pm_getPaymasterStubData", "pm_getPaymasterData"]);

    // the same operation unsponsored, for the gas comparison (an account funded with 1 ETH)
    let owner2 = PrivateKeySigner::random();
    let acc2 = account(&node, &d, owner2.address()).await;
    node.anvil_set_balance(acc2.address, U256::from(10u64).pow(U256::from(18u64))).await.unwrap();
    let r2 = first_op(&node, &bundler, &d, &owner2, &acc2, None).await.unwrap();
    assert!(r2.success);
    eprintln!(
        "GAS deploy+bump first owner op: sponsored actualGasUsed {} / unsponsored {}",
        r.actual_gas_used, r2.actual_gas_used
    );
    // (no order asserted: the paymaster's validation costs gas, but the unsponsored account pays
    // its prefund to the EntryPoint with a value transfer, which the sponsored one skips)
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_an_unreachable_and_a_silent_service_are_typed_errors() {
    let d = Devnet::start_with(Options { chain_id: 31396, ..Options::default() }).await.unwrap();
    let service = d.paymaster().unwrap();
    let node = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let bundler =
        ProviderBuilder::new().connect_http(d.bundler_url.clone().unwrap().parse().unwrap());
    let owner = PrivateKeySigner::random();
    let acc = account(&node, &d, owner.address()).await;

    // a sender outside the policy
    service.set_policy(SponsorPolicy::Only([Address::repeat_byte(7)].into()));
    let sponsor = sponsor_at(service.url(), Duration::from_secs(10));
    match first_op(&node, &bundler, &d, &owner, &acc, Some(&sponsor)).await {
        Err(PaymasterError::Refused { method: "pm_getPaymasterStubData", code, message }) => {
            assert_eq!(code, NOT_SPONSORED);
            assert!(message.as_str().contains(&acc.address.to_string()), "{message}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }

    // a service that never answers, behind the fault proxy: the timeout
    service.set_policy(SponsorPolicy::All);
    let proxy = Proxy::start(service.url()).await.unwrap();
    proxy.inject("pm_getPaymasterStubData", Fault::Hang, 1);
    let slow = sponsor_at(&format!("{}/?apikey=PLANTED", proxy.url()), Duration::from_millis(500));
    let started = Instant::now();
    match first_op(&node, &bundler, &d, &owner, &acc, Some(&slow)).await {
        Err(e @ PaymasterError::Timeout { method: "pm_getPaymasterStubData", .. }) => {
            assert!(!format!("{e} {e:?}").contains("PLANTED"));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5), "bounded by the endpoint's timeout");

    // an answer that is not a sponsorship (`result: null`)
    proxy.inject("pm_getPaymasterStubData", Fault::Null, 1);
    let odd = sponsor_at(proxy.url(), Duration::from_secs(5));
    match first_op(&node, &bundler, &d, &owner, &acc, Some(&odd)).await {
        Err(PaymasterError::Invalid {
            method: "pm_getPaymasterStubData", field: "result", ..
        }) => {}
        other => panic!("expected Invalid, got {other:?}"),
    }

    // the service down
    let url = format!("{}/?apikey=PLANTED", service.url());
    service.stop();
    let down = sponsor_at(&url, Duration::from_secs(5));
    match first_op(&node, &bundler, &d, &owner, &acc, Some(&down)).await {
        Err(e @ PaymasterError::Transport { method: "pm_getPaymasterStubData", .. }) => {
            let shown = format!("{e} {e:?}");
            assert!(shown.contains("127.0.0.1"), "{shown}");
            assert!(!shown.contains("PLANTED"), "{shown}");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
}

/// A session key's operation (legacy SmartSession, USE mode) sponsored by the devnet's
/// paymaster, assembled by hand: the account's ETH balance is the same before and after, the
/// token transfer happened.
#[tokio::test(flavor = "multi_thread")]
async fn a_sponsored_session_operation_leaves_the_account_balance_unchanged() {
    let d = Devnet::start_with(Options { chain_id: 31397, ..Options::default() }).await.unwrap();
    let service = d.paymaster().unwrap();
    let a = d.addresses.clone();
    let node = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let bundler =
        ProviderBuilder::new().connect_http(d.bundler_url.clone().unwrap().parse().unwrap());
    let owner = PrivateKeySigner::random();
    let key = PrivateKeySigner::random();
    let acc = common::funded_nexus_account(&node, &d, owner.address()).await;
    let client =
        NexusClient::new(node.clone(), bundler.clone(), common::deployments(&d), acc.clone())
            .await
            .unwrap();
    let request: SessionRequest = serde_json::from_value(json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [{ "contractAddress": a.counter, "functionSelector": "0x68110b2f", "sudo": true,
        }]
    }))
    .unwrap();
    // the owner grants (paying itself, through the client's send path)
    let grant = client.grant_permission(&owner, &[request]).await.unwrap();
    let details = &grant.sessions[0];
    let sessions = client.smart_sessions();

    let balance_before = node.get_balance(acc.address).await.unwrap();
    let call = Execution::new(a.counter, U256::ZERO, bumpCall {}.abi_encode());
    let mut op = acc.user_operation(&node, a.smart_session, &[call]).await.unwrap();
    op.signature = sessions.use_signature(details.permission_id, &common::ecdsa_stub());
    let (max_fee, tip) = bundler.pimlico_gas_price().await.unwrap();
    op.max_fee_per_gas = max_fee;
    op.max_priority_fee_per_gas = tip;
    let sponsor = sponsor_at(service.url(), Duration::from_secs(10));
    let stub = sponsor.stub_data(&op, ENTRY_POINT, d.chain_id).await.unwrap();
    stub.apply(&mut op);
    let gas = bundler.estimate_user_op_gas(&op, ENTRY_POINT).await.unwrap();
    op.call_gas_limit = gas.call_gas_limit;
    op.verification_gas_limit = gas.verification_gas_limit;
    op.pre_verification_gas = gas.pre_verification_gas;
    if let Some(v) = gas.paymaster_verification_gas_limit {
        op.paymaster_verification_gas_limit = Some(v);
    }
    sponsor.data(&op, ENTRY_POINT, d.chain_id).await.unwrap().apply(&mut op);
    let hash = op.hash(ENTRY_POINT, d.chain_id);
    let sig = key.sign_message(hash.as_slice()).await.unwrap().as_bytes();
    op.signature = sessions.use_signature(details.permission_id, &sig);
    let sent = bundler.send_user_op(&op, ENTRY_POINT).await.unwrap();
    let start = Instant::now();
    let r = loop {
        if let Some(r) = bundler.user_op_receipt(sent).await.unwrap() {
            break r;
        }
        assert!(start.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(r.success, "{r:?}");
    assert_eq!(node.get_balance(acc.address).await.unwrap(), balance_before, "sponsored");
    assert_eq!(count(&node, a.counter, acc.address).await, U256::from(1));
    // the same session operation unsponsored, through the client: the account pays
    let call = Execution::new(a.counter, U256::ZERO, bumpCall {}.abi_encode());
    let plain = client.use_permission(&key, details, &[call], Precheck::On).await.unwrap();
    assert!(node.get_balance(acc.address).await.unwrap() < balance_before, "unsponsored pays");
    eprintln!(
        "GAS session op (legacy USE, bump): sponsored actualGasUsed {} / unsponsored {}",
        r.actual_gas_used, plain.receipt.actual_gas_used
    );
}

/// Through `NexusClient` with `ClientOptions::paymaster` = the devnet's ERC-7677 service: the
/// owner's first operation (deploying the account), SmartSession's install, the grant with
/// `permitERC4337Paymaster` and a session operation are all sponsored (the account holds no
/// ETH, so it could not pay: its balance stays 0); the same owner and session
/// operations unsponsored through a client without a paymaster cost the account; the service
/// stopped, the sponsored client's operation fails with `FlowError::Paymaster(Transport)`,
/// nothing sent. The legacy module the devnet runs never checks the permit (its `Session` has
/// no such field), so a session granted without it is sponsored here too: the current
/// generation's `PaymasterValidationNotEnabled` is covered by the bundler decoding test.
#[tokio::test(flavor = "multi_thread")]
async fn through_the_client_owner_and_session_ops_are_sponsored_and_a_stopped_service_is_typed() {
    use smart_sessions_client::{ClientOptions, FlowError};
    use std::sync::Arc;
    let d = Devnet::start_with(Options { chain_id: 31398, ..Options::default() }).await.unwrap();
    let service = d.paymaster().unwrap();
    let a = d.addresses.clone();
    let node = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let bundler =
        ProviderBuilder::new().connect_http(d.bundler_url.clone().unwrap().parse().unwrap());
    let owner = PrivateKeySigner::random();
    let key = PrivateKeySigner::random();
    let acc = account(&node, &d, owner.address()).await;
    assert_eq!(node.get_balance(acc.address).await.unwrap(), U256::ZERO);
    let sponsored = ClientOptions {
        paymaster: Some(Arc::new(sponsor_at(service.url(), Duration::from_secs(10)))),
        ..ClientOptions::default()
    };
    let cs = NexusClient::new(node.clone(), bundler.clone(), common::deployments(&d), acc.clone())
        .await
        .unwrap()
        .with_options(sponsored);
    let bump = || Execution::new(a.counter, U256::ZERO, bumpCall {}.abi_encode());

    let first = cs.owner_execute(&owner, &[bump()]).await.unwrap();
    assert!(first.receipt.success);
    let owner_sponsored = cs.owner_execute(&owner, &[bump()]).await.unwrap();
    cs.prepare(&owner).await.unwrap();
    cs.trust_attesters(&owner, &[a.attester], 1).await.unwrap();
    let mut request: SessionRequest = serde_json::from_value(json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [{ "contractAddress": a.counter, "functionSelector": "0x68110b2f", "sudo": true }],
        "permitERC4337Paymaster": true
    }))
    .unwrap();
    assert!(request.permit_paymaster);
    let grant = cs.grant_permission(&owner, std::slice::from_ref(&request)).await.unwrap();
    let details = grant.sessions[0].clone();
    let session_sponsored =
        cs.use_permission(&key, &details, &[bump()], Precheck::On).await.unwrap();
    assert_eq!(node.get_balance(acc.address).await.unwrap(), U256::ZERO, "all sponsored");
    assert_eq!(count(&node, a.counter, acc.address).await, U256::from(3));
    // a session granted without the permit (legacy: no check, see above) is sponsored as well
    request.permit_paymaster = false;
    let other = cs.grant_permission(&owner, &[request]).await.unwrap();
    cs.use_permission(&key, &other.sessions[0], &[bump()], Precheck::On).await.unwrap();

    // the same owner and session operations unsponsored: the account pays
    node.anvil_set_balance(acc.address, U256::from(10u128.pow(18))).await.unwrap();
    let cp = NexusClient::new(node.clone(), bundler.clone(), common::deployments(&d), acc.clone())
        .await
        .unwrap();
    let owner_plain = cp.owner_execute(&owner, &[bump()]).await.unwrap();
    let session_plain = cp.use_permission(&key, &details, &[bump()], Precheck::On).await.unwrap();
    assert!(node.get_balance(acc.address).await.unwrap() < U256::from(10u128.pow(18)));
    eprintln!(
        "GAS through NexusClient (legacy, bump): owner op sponsored actualGasUsed {} / unsponsored {}; session op (USE) sponsored {} / unsponsored {}",
        owner_sponsored.receipt.actual_gas_used,
        owner_plain.receipt.actual_gas_used,
        session_sponsored.receipt.actual_gas_used,
        session_plain.receipt.actual_gas_used
    );

    // the service down: a typed paymaster error, nothing sent
    service.stop();
    let before = count(&node, a.counter, acc.address).await;
    match cs.owner_execute(&owner, &[bump()]).await {
        Err(FlowError::Paymaster(PaymasterError::Transport {
            method: "pm_getPaymasterStubData",
            ..
        })) => {}
        other => panic!("expected FlowError::Paymaster(Transport), got {other:?}"),
    }
    assert_eq!(count(&node, a.counter, acc.address).await, before);
}
