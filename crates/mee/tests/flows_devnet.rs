//! Seed 003's Complete Flow through the library's session flows ([`MeeSessions`]) against the
//! project's local MEE node (`smart-sessions-mee-node`: two anvil chains 8453 and 10, the node's
//! own `MeeK1Validator`, fee token and counter, the devnet's Nexus 1.0 and legacy SmartSession;
//! test infrastructure, a stand-in for Biconomy's hosted node).
//!
//! One stack for the whole file (each start costs two anvils): the steps run in order in one
//! test, each asserting what the chains show (counter values, fee-token balances, module and
//! permission state read with plain `eth_call`s of the bindings' call types, not through the code
//! under test).

use std::time::Duration;

use alloy_contract::SolCallBuilder;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::json;
use smart_sessions_bindings::{
    common::nexus::Nexus::isModuleInstalledCall,
    erc20::ERC20::{balanceOfCall, transferCall},
    legacy::smart_session::SmartSession::isPermissionEnabledCall,
};
use smart_sessions_codec::{ActionData, Generation};
use smart_sessions_devnet::contracts::TestToken::mintCall;
use smart_sessions_mee::{
    Instruction, MeeError, MeeVersion, MeeVersionConfig, SessionDetails,
    flows::{FlowError, Grant, MeeSessions, UsePermission},
    node::{FailureKind, MeeClient, NodeError, ReceiptError, ReceiptMode, WaitOptions},
    quote_request::{Payment, UseMode},
    session::{Call, FeeToken, GrantAction, PrecheckError},
};
use smart_sessions_mee_node::{
    MeeDevnet,
    contracts::{
        MeeCounter::{countOfCall, failCall, incrementCall},
        MeeK1ValidatorState::safeSendersCall,
    },
};
use smart_sessions_policy::eval::{Outcome, Violation};

const BASE: u64 = 8453;
const OP: u64 = 10;

async fn read<C: SolCall>(mee: &MeeDevnet, chain_id: u64, to: Address, c: C) -> C::Return {
    let chain = mee.chain(chain_id).unwrap();
    let p = chain.devnet.provider_for(&chain.devnet.deployer).unwrap();
    SolCallBuilder::new_sol(&p, &to, &c).call().await.unwrap()
}

struct Stack {
    mee: MeeDevnet,
    token: Address,
    counter: Address,
}

impl Stack {
    async fn count(&self, chain_id: u64, who: Address) -> U256 {
        read(&self.mee, chain_id, self.counter, countOfCall { who }).await
    }

    async fn balance(&self, who: Address) -> U256 {
        read(&self.mee, BASE, self.token, balanceOfCall { owner: who }).await
    }

    fn fee_token(&self) -> FeeToken {
        FeeToken { address: self.token, chain_id: BASE }
    }

    fn pay_in_token(&self) -> Payment {
        Payment::FeeToken { token: self.fee_token(), gas_refund_address: None }
    }

    fn sessions(&self) -> MeeSessions {
        let version =
            MeeVersionConfig::from_json(&self.mee.version_table(), Generation::Legacy).unwrap();
        let node = MeeClient::builder(self.mee.url()).api_key(self.mee.api_key()).build().unwrap();
        let provider = |chain_id: u64| -> DynProvider {
            let url = self.mee.chain(chain_id).unwrap().devnet.rpc_url.parse().unwrap();
            ProviderBuilder::new().connect_http(url).erased()
        };
        let mut wait = WaitOptions::new(ReceiptMode::Default);
        wait.poll_interval = Duration::from_millis(100);
        wait.timeout = Duration::from_secs(90);
        MeeSessions::new(node, version)
            .chain(BASE, provider(BASE))
            .chain(OP, provider(OP))
            .wait_options(wait)
    }

    async fn mint(&self, to: Address, amount: U256) {
        let base = self.mee.chain(BASE).unwrap();
        let p = base.devnet.provider_for(&base.devnet.deployer).unwrap();
        let sent = SolCallBuilder::new_sol(&p, &self.token, &mintCall { to, amount })
            .send()
            .await
            .unwrap();
        assert!(sent.get_receipt().await.unwrap().status());
    }
}

fn action(
    sessions: &MeeSessions,
    chain_id: u64,
    target: Address,
    selector: [u8; 4],
) -> GrantAction {
    GrantAction {
        chain_id,
        action: ActionData {
            actionTargetSelector: selector.into(),
            actionTarget: target,
            actionPolicies: vec![sessions.version().policies().sudo_policy()],
        },
    }
}

fn calls(chain_id: u64, to: Address, data: Vec<u8>) -> Instruction {
    Instruction::new(chain_id, vec![Call::new(to, Bytes::from(data))])
}

const fn musd(units: u64) -> U256 {
    U256::from_limbs([units * 1_000_000, 0, 0, 0])
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_003_complete_flow_through_the_library() {
    tokio::time::timeout(Duration::from_secs(900), complete_flow())
        .await
        .expect("the flow finishes within 15 minutes");
}

async fn complete_flow() {
    // This crate turns on reqwest's `rustls-no-provider` (its node client brings its own ring
    // config); plain reqwest clients in the process (alloy's HTTP transport, the devnet's) need a
    // process-wide provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let base = mee.chain(BASE).unwrap();
    let (token, counter) = (base.contracts.fee_token, base.contracts.counter);
    let mut stack = Stack { mee, token, counter };
    let sessions = stack.sessions();
    assert_eq!(sessions.version().version, MeeVersion::V1_1_0);
    assert!(!sessions.version().executes_composable);
    let d = &stack.mee.chain(BASE).unwrap().devnet.addresses;
    assert_eq!(sessions.version().policies().sudo, d.sudo_policy, "the devnet's policies");
    assert_eq!(sessions.version().policies().universal_action, d.uni_action_policy);

    // ---- the account: address and initCode against the node's own derivation (an eth_call of
    // the Nexus 1.0 bootstrap's getInitNexusWithSingleValidatorCalldata, then the factory)
    let owner = PrivateKeySigner::random();
    let mut account = assert_send(sessions.account(owner.address(), 0)).await.unwrap();
    let (expected_address, expected_init) =
        stack.mee.owner_account(owner.address(), B256::ZERO).await.unwrap();
    for d in &account.deployments {
        assert_eq!(d.address, expected_address, "chain {}", d.chain_id);
        assert_eq!(d.init_code, expected_init, "chain {}", d.chain_id);
        assert!(!d.deployed);
    }
    let acct = expected_address;
    stack.mint(acct, musd(1_000)).await;
    let recipient = stack.mee.fee_recipient;

    // ---- 2. prepare on both chains, fee paid in the token (owner signs)
    let before = stack.balance(acct).await;
    let sent =
        assert_send(sessions.prepare_for_permissions(&owner, &mut account, stack.pay_in_token()))
            .await
            .unwrap()
            .expect("the account needs preparing");
    let (fee_token, to, fee) = sent.fee.expect("a fee-token quote");
    assert_eq!((fee_token, to), (token, recipient));
    let receipt = sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap();
    assert_eq!(receipt.status().as_str(), "MINED_SUCCESS", "{:?}", receipt.explorer());
    assert_eq!(stack.balance(acct).await, before - fee, "the quoted fee, and only it, was paid");
    assert_eq!(stack.balance(recipient).await, fee);
    let ss = Generation::Legacy.smart_session();
    let validator = stack.mee.chain(BASE).unwrap().contracts.validator;
    for chain_id in [BASE, OP] {
        let installed = isModuleInstalledCall {
            moduleTypeId: U256::from(1),
            module: ss,
            additionalContext: Bytes::new(),
        };
        assert!(read(&stack.mee, chain_id, acct, installed).await, "SmartSession on {chain_id}");
        let safe = safeSendersCall { account: acct, sender: ss };
        assert!(read(&stack.mee, chain_id, validator, safe).await, "safe sender on {chain_id}");
    }
    // nothing left to prepare
    assert!(
        sessions
            .prepare_for_permissions(&owner, &mut account, stack.pay_in_token())
            .await
            .unwrap()
            .is_none()
    );

    // ---- 3. grant with typed data, actions on both chains, 500 mUSD fee budget
    let redeemer = PrivateKeySigner::random();
    let actions = [
        action(&sessions, BASE, counter, incrementCall::SELECTOR),
        action(&sessions, BASE, counter, failCall::SELECTOR),
        action(&sessions, OP, counter, incrementCall::SELECTOR),
    ];
    let grant =
        Grant::new(redeemer.address(), &actions).fee_token(stack.fee_token(), Some(musd(500)));
    let details = assert_send(sessions.grant_permission_typed_data_sign(&owner, &account, &grant))
        .await
        .unwrap();
    assert_eq!(details.iter().map(SessionDetails::chain_id).collect::<Vec<_>>(), [BASE, OP]);
    assert_eq!(details[0].validator, validator, "enable signature routed to MeeK1Validator");
    // interchange: the SDK's tagged form round trips
    let stored =
        SessionDetails::list_to_json(&details, smart_sessions_mee::session::BigIntForm::Tagged);
    assert_eq!(SessionDetails::list_from_json(&stored).unwrap(), details);
    for d in &details {
        let pid = d.permission_id;
        let enabled = isPermissionEnabledCall { permissionId: pid, account: acct };
        assert!(!read(&stack.mee, d.chain_id(), ss, enabled).await);
    }

    // ---- 4. ENABLE_AND_USE on both chains in one supertransaction (redeemer signs)
    let both = [
        calls(BASE, counter, incrementCall {}.abi_encode()),
        calls(OP, counter, incrementCall {}.abi_encode()),
    ];
    let before = stack.balance(acct).await;
    let use_both = UsePermission::new(&details, UseMode::EnableAndUse, &both, stack.pay_in_token())
        .verification_gas_limit(2_000_000);
    let sent = assert_send(sessions.use_permission(&redeemer, &account, &use_both)).await.unwrap();
    assert_eq!(sent.user_ops, 3, "payment op (enables on 8453), the 8453 op, the 10 op");
    let receipt = sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap();
    assert_eq!(receipt.status().as_str(), "MINED_SUCCESS", "{:?}", receipt.explorer());
    let fee = sent.fee.unwrap().2;
    assert_eq!(stack.balance(acct).await, before - fee);
    assert_eq!(stack.count(BASE, acct).await, U256::from(1));
    assert_eq!(stack.count(OP, acct).await, U256::from(1));

    // ---- is_permission_enabled / check_enabled_permissions, against plain eth_calls
    for d in &details {
        let enabled = isPermissionEnabledCall { permissionId: d.permission_id, account: acct };
        assert!(read(&stack.mee, d.chain_id(), ss, enabled).await);
        assert!(
            sessions.is_permission_enabled(&account, d.permission_id, d.chain_id()).await.unwrap()
        );
    }
    let map = sessions.check_enabled_permissions(&account, &details).await.unwrap();
    assert_eq!(
        serde_json::Value::Object(map),
        json!({
            details[0].permission_id.to_string(): { "8453": true },
            details[1].permission_id.to_string(): { "10": true },
        })
    );

    // ---- USE, sponsored: the gas tank pays, the account's balance does not move
    let on_base = [calls(BASE, counter, incrementCall {}.abi_encode())];
    let before = stack.balance(acct).await;
    let sponsored = Payment::Sponsored(sessions.sponsorship(BASE, token));
    let use_sponsored = UsePermission::new(&details, UseMode::Use, &on_base, sponsored.clone());
    let sent = sessions.use_permission(&redeemer, &account, &use_sponsored).await.unwrap();
    assert_eq!(sent.fee, None);
    let receipt = sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap();
    assert_eq!(receipt.status().as_str(), "MINED_SUCCESS", "{:?}", receipt.explorer());
    assert_eq!(stack.count(BASE, acct).await, U256::from(2));
    assert_eq!(stack.balance(acct).await, before);

    // ---- a refused call: off-chain, naming the rule, no node call, no fee
    let before = (stack.balance(acct).await, sessions.round_trips());
    let steal = [calls(
        BASE,
        token,
        transferCall { to: redeemer.address(), amount: musd(501) }.abi_encode(),
    )];
    let refused = UsePermission::new(&details, UseMode::Use, &steal, stack.pay_in_token());
    let err = sessions.use_permission(&redeemer, &account, &refused).await.unwrap_err();
    match &err {
        FlowError::Mee(MeeError::Precheck(PrecheckError::Refused {
            chain_id, rejection, ..
        })) => {
            assert_eq!(*chain_id, BASE);
            assert!(
                matches!(rejection.outcome, Outcome::Violation(Violation::Rule { rule: 0, .. })),
                "rule 0 (amount <= 500 mUSD) named: {rejection:?}"
            );
        }
        other => panic!("expected a pre-check refusal, got {other:?}"),
    }
    assert_eq!(sessions.round_trips(), before.1, "no request at all");
    assert_eq!(stack.balance(acct).await, before.0, "no fee");
    // a selector the session does not grant
    let unknown = [calls(BASE, counter, countOfCall { who: acct }.abi_encode())];
    let refused = UsePermission::new(&details, UseMode::Use, &unknown, stack.pay_in_token());
    assert!(matches!(
        sessions.use_permission(&redeemer, &account, &refused).await.unwrap_err(),
        FlowError::Mee(MeeError::Precheck(PrecheckError::NoAction { chain_id: BASE, .. }))
    ));

    // ---- an op that fails on chain: FAILED by the node's simulation, typed, no fee
    let before = stack.balance(acct).await;
    let failing = [calls(BASE, counter, failCall {}.abi_encode())];
    let use_failing = UsePermission::new(&details, UseMode::Use, &failing, stack.pay_in_token());
    let sent = sessions.use_permission(&redeemer, &account, &use_failing).await.unwrap();
    match sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap_err() {
        ReceiptError::Failed { hash, kind, index, .. } => {
            assert_eq!((hash, kind, index), (sent.hash, FailureKind::OffChain, 0));
        }
        other => panic!("expected FAILED, got {other:?}"),
    }
    assert_eq!(stack.balance(acct).await, before, "no fee for a failed supertransaction");
    assert_eq!(stack.count(BASE, acct).await, U256::from(2));

    // ---- a fee-token USE on 8453: its fee sizes the budget of the next grant
    let use_base = UsePermission::new(&details, UseMode::Use, &on_base, stack.pay_in_token());
    let sent = sessions.use_permission(&redeemer, &account, &use_base).await.unwrap();
    sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap();
    let use_fee = sent.fee.unwrap().2;
    assert_eq!(stack.count(BASE, acct).await, U256::from(3));

    // ---- the personal-sign grant, with a fee budget of 1.5 uses
    let redeemer2 = PrivateKeySigner::random();
    let actions2 = [action(&sessions, BASE, counter, incrementCall::SELECTOR)];
    let budget = use_fee * U256::from(3) / U256::from(2);
    let grant2 =
        Grant::new(redeemer2.address(), &actions2).fee_token(stack.fee_token(), Some(budget));
    let details2 =
        sessions.grant_permission_personal_sign(&owner, &account, &grant2).await.unwrap();
    // enabled in a sponsored ENABLE_AND_USE (the budget is untouched)
    let enable2 = UsePermission::new(&details2, UseMode::EnableAndUse, &on_base, sponsored)
        .verification_gas_limit(2_000_000);
    let sent = sessions.use_permission(&redeemer2, &account, &enable2).await.unwrap();
    let receipt = sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap();
    assert_eq!(receipt.status().as_str(), "MINED_SUCCESS", "{:?}", receipt.explorer());
    assert!(
        sessions.is_permission_enabled(&account, details2[0].permission_id, BASE).await.unwrap()
    );
    assert_eq!(stack.count(BASE, acct).await, U256::from(4));
    // two redeemers of one account at once (clones of one MeeSessions share its clock: the
    // nonce lanes differ), both sponsored
    let other = sessions.clone();
    let sponsored_too = Payment::Sponsored(sessions.sponsorship(BASE, token));
    let use2_sponsored = UsePermission::new(&details2, UseMode::Use, &on_base, sponsored_too);
    let (a, b) = tokio::join!(
        sessions.use_permission(&redeemer, &account, &use_sponsored),
        other.use_permission(&redeemer2, &account, &use2_sponsored),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.hash, b.hash);
    for h in [a.hash, b.hash] {
        let receipt = sessions.wait_for_supertransaction_receipt(h).await.unwrap();
        assert_eq!(receipt.status().as_str(), "MINED_SUCCESS", "{:?}", receipt.explorer());
    }
    assert_eq!(stack.count(BASE, acct).await, U256::from(6), "both ran");
    // first paid use fits the budget
    let use2 = UsePermission::new(&details2, UseMode::Use, &on_base, stack.pay_in_token());
    let sent = sessions.use_permission(&redeemer2, &account, &use2).await.unwrap();
    let receipt = sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap();
    assert_eq!(receipt.status().as_str(), "MINED_SUCCESS", "{:?}", receipt.explorer());
    assert_eq!(stack.count(BASE, acct).await, U256::from(7));
    // the second exceeds it: the payment policy's cumulative limit refuses on chain (the node's
    // simulation), FAILED, no fee taken
    let before = stack.balance(acct).await;
    let sent = sessions.use_permission(&redeemer2, &account, &use2).await.unwrap();
    match sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap_err() {
        ReceiptError::Failed { hash, kind, .. } => {
            assert_eq!((hash, kind), (sent.hash, FailureKind::OffChain));
        }
        other => panic!("expected FAILED (fee budget spent), got {other:?}"),
    }
    assert_eq!(stack.balance(acct).await, before);
    assert_eq!(stack.count(BASE, acct).await, U256::from(7));
    // a fee limit below the quote: refused before signing, naming the hash
    let capped = UsePermission::new(&details, UseMode::Use, &on_base, stack.pay_in_token())
        .max_fee(U256::from(1));
    let err = sessions.use_permission(&redeemer, &account, &capped).await.unwrap_err();
    assert!(
        matches!(err, FlowError::FeeAboveLimit { limit, .. } if limit == U256::from(1)),
        "{err:?}"
    );
    assert!(err.supertransaction_hash().is_some());

    // ---- node down between quote and exec: typed, naming the hash, nothing runs
    let before = stack.balance(acct).await;
    let prepared = sessions.prepare_use_permission(&redeemer, &account, &use_base).await.unwrap();
    stack.mee.node.stop();
    let err = sessions.submit(&prepared).await.unwrap_err();
    match &err {
        FlowError::Exec {
            hash,
            source: NodeError::Unreachable { .. } | NodeError::ExecOutcomeUnknown { .. },
        } => assert_eq!(*hash, prepared.hash()),
        other => panic!("expected a typed exec failure naming the hash, got {other:?}"),
    }
    assert_eq!(err.supertransaction_hash(), Some(prepared.hash()));
    stack.mee.restart_node().await.unwrap();
    assert_eq!(stack.balance(acct).await, before);
    assert_eq!(stack.count(BASE, acct).await, U256::from(7));

    // ---- node restarted between quote and exec: typed refusal naming the hash, nothing runs
    let before = stack.balance(acct).await;
    let prepared = sessions.prepare_use_permission(&redeemer, &account, &use_base).await.unwrap();
    stack.mee.restart_node().await.unwrap();
    let err = sessions.submit(&prepared).await.unwrap_err();
    match &err {
        FlowError::Exec { hash, source: NodeError::Refused { status, .. } } => {
            assert_eq!((*hash, *status), (prepared.hash(), 400), "{err:?}");
        }
        other => panic!("expected a refused exec naming the hash, got {other:?}"),
    }
    assert!(!err.outcome_unknown());
    assert_eq!(stack.balance(acct).await, before);
    assert_eq!(stack.count(BASE, acct).await, U256::from(7));

    // ---- node restarted right after exec: the wait fails typed with the hash; the
    // supertransaction runs once, and sending it again is refused (no double execution)
    let prepared = sessions.prepare_use_permission(&redeemer, &account, &use_base).await.unwrap();
    let sent = sessions.submit(&prepared).await.unwrap();
    stack.mee.restart_node().await.unwrap();
    let err = sessions.wait_for_supertransaction_receipt(sent.hash).await.unwrap_err();
    assert_eq!(err.hash(), sent.hash);
    assert!(err.is_unknown_outcome(), "{err:?}");
    let started = std::time::Instant::now();
    while stack.count(BASE, acct).await != U256::from(8) {
        assert!(started.elapsed() < Duration::from_secs(60), "the accepted supertransaction runs");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let again = sessions.submit(&prepared).await.unwrap_err();
    assert!(
        matches!(again, FlowError::Exec { source: NodeError::Refused { .. }, .. }),
        "{again:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.count(BASE, acct).await, U256::from(8), "executed exactly once");
    assert_eq!(stack.balance(acct).await, before - prepared.fee().unwrap().2, "one fee");
}
