//! The seed docs' scenario (`@biconomy/sdk` 0.0.21, legacy generation) on the devnet: grant a
//! session key a token `transfer` whose amount is capped by a `LESS_THAN` rule with a cumulative
//! limit, use it until the limit is spent, see the next call refused off-chain with the rule named,
//! and on chain with the decoded `PolicyViolation` when the off-chain check is skipped.

use alloy_primitives::{Address, B256, U256};
use alloy_provider::ProviderBuilder;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use smart_sessions_bindings::{
    current::uni_action_policy::UniActionPolicy as UniActionPolicyContract, erc20::ERC20,
};
use smart_sessions_client::{
    BundlerApi, Refusal, SmartSessions, trust_attesters, trusted_attesters,
};
use smart_sessions_codec::{
    ActionConfig, ActionData, AnySession, Execution, Generation, ParamCondition, legacy,
};
use smart_sessions_devnet::{Devnet, ENTRY_POINT, Options};
use smart_sessions_policy::{
    Deployment, UniActionBuilder,
    eval::{Outcome, UniActionPolicy, Violation},
};
use std::time::Duration;

mod common;
use common::{ecdsa_stub, fill};

#[tokio::test(flavor = "multi_thread")]
async fn seed_000_transfer_limit_until_spent() {
    let d = Devnet::start_with(Options { chain_id: 31351, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let p = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let b = ProviderBuilder::new().connect_http(d.bundler_url.clone().unwrap().parse().unwrap());
    let owner = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&p, &d, owner.address()).await;
    let ss = SmartSessions { generation: Generation::Legacy, address: a.smart_session };

    let owner_op = |calls: Vec<Execution>| {
        let (p, b, account, owner) = (&p, &b, &account, &owner);
        async move {
            let op = account.user_operation(p, a.owner_validator, &calls).await.unwrap();
            let mut op = fill(b, op, ecdsa_stub()).await.expect("estimate");
            op.signature = owner
                .sign_message_sync(op.hash(ENTRY_POINT, 31351).as_slice())
                .unwrap()
                .as_bytes()
                .to_vec()
                .into();
            let hash = b.send_user_op(&op, ENTRY_POINT).await.expect("send");
            b.wait_for_user_op_receipt(hash, Duration::from_secs(30)).await.expect("receipt")
        }
    };

    // deploy the account and install Smart Sessions
    assert!(owner_op(vec![ss.install(account.address, &[]).unwrap()]).await.success);

    // grant: transfer(to, amount) with amount < 1000 per call and 1500 in total
    let session_key = PrivateKeySigner::random();
    let policy = UniActionBuilder::for_function("transfer(address to,uint256 amount)")
        .unwrap()
        .limited("amount", ParamCondition::LessThan, U256::from(1000), U256::from(1500))
        .build(Deployment::Address(a.uni_action_policy))
        .unwrap();
    let session = legacy::Session {
        sessionValidator: a.session_key_validator,
        sessionValidatorInitData: session_key.address().to_vec().into(),
        salt: B256::repeat_byte(0x5e),
        userOpPolicies: vec![],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: ERC20::transferCall::SELECTOR.into(),
            actionTarget: a.token,
            actionPolicies: vec![policy],
        }],
    };
    let permission_id = AnySession::Legacy(session.clone()).permission_id();
    // the registry shows no trusted attester yet: trusting one goes into the same user operation
    let mut calls = Vec::new();
    if trusted_attesters(&p, a.registry, account.address).await.unwrap().is_empty() {
        calls.push(trust_attesters(a.registry, 1, &[a.attester]));
    }
    calls.push(ss.enable_sessions(&[AnySession::Legacy(session)]).unwrap());
    assert_eq!(calls.len(), 2);
    assert!(owner_op(calls).await.success);
    assert!(ss.is_permission_enabled(&p, permission_id, account.address).await.unwrap());

    // tokens for the account
    d.mint_tokens(account.address, U256::from(10_000)).await.unwrap();

    let recipient = Address::repeat_byte(0x42);
    let transfer = |amount: u64| {
        Execution::new(
            a.token,
            U256::ZERO,
            ERC20::transferCall { to: recipient, amount: U256::from(amount) }.abi_encode(),
        )
    };
    let session_op = |call: Execution| {
        let (p, b, account, session_key, ss) = (&p, &b, &account, &session_key, &ss);
        async move {
            let op = account.user_operation(p, a.smart_session, &[call]).await.unwrap();
            let mut op = fill(b, op, ss.stub_use_signature(permission_id)).await?;
            let sig = session_key
                .sign_message_sync(op.hash(ENTRY_POINT, 31351).as_slice())
                .unwrap()
                .as_bytes();
            op.signature = ss.use_signature(permission_id, &sig);
            let hash = b.send_user_op(&op, ENTRY_POINT).await?;
            b.wait_for_user_op_receipt(hash, Duration::from_secs(30)).await
        }
    };
    // two transfers of 600 pass
    assert!(session_op(transfer(600)).await.unwrap().success);
    assert!(session_op(transfer(600)).await.unwrap().success);
    let balance = ERC20::new(a.token, &p).balanceOf(recipient).call().await.unwrap();
    assert_eq!(balance, U256::from(1200));

    // the third is refused off-chain, from the policy's on-chain state, naming the rule
    let action_id = smart_sessions_codec::action_id(a.token, ERC20::transferCall::SELECTOR.into());
    let config_id =
        smart_sessions_codec::action_config_id(account.address, permission_id, action_id);
    // the raw answer, decoded as the codec's `ActionConfig` (the evaluator's input)
    let state = UniActionPolicyContract::new(a.uni_action_policy, &p)
        .actionConfigs(config_id, a.smart_session, account.address)
        .call_raw()
        .await
        .unwrap();
    let mut evaluator = UniActionPolicy::from_config(ActionConfig::abi_decode(&state).unwrap());
    assert_eq!(evaluator.used(), vec![(0, U256::from(1200))]);
    let rejection = evaluator.check_action(U256::ZERO, &transfer(600).callData).unwrap_err();
    assert_eq!(
        rejection.outcome,
        Outcome::Violation(Violation::RuleLimit {
            rule: 0,
            used: U256::from(1200),
            param: U256::from(600),
            limit: U256::from(1500)
        })
    );
    println!("off-chain refusal: {rejection}");

    // sent anyway: the bundler's simulation reverts with SmartSession's PolicyViolation
    let err = session_op(transfer(600)).await.expect_err("refused on chain");
    let Some(Refusal::SmartSession(e)) = err.refusal() else { panic!("{err}") };
    assert_eq!(e.name, "PolicyViolation", "{e}");
    assert_eq!(e.permission_id, Some(permission_id));
    assert_eq!(e.policy, Some(a.uni_action_policy));
    println!("on-chain refusal: {err}");
    // 300 still fits
    assert!(session_op(transfer(300)).await.unwrap().success);
}
