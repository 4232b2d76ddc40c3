//! Issue 17 on the devnet: a session whose `transfer` and `increaseAllowance` actions are
//! limited by **our own stand-in** for SmartSession v1.0's `ERC20SpendingLimitPolicy`
//! (`crates/devnet/contracts/V1SpendingLimitStandIn.sol`, written from spec/v1.md; not v1.0's
//! bytecode) under the devnet's legacy SmartSession (policies are independent of the
//! generation). The client reads its state by `eth_getStorageAt` (it has no getter), evaluates
//! it by v1.0's rules and reports the budget; the chain (the stand-in) agrees.
//!
//! Compared: budgets with the amounts sent here (limit 1000, spent the sum of the transfers),
//! the refusal's policy with the stand-in's address, the on-chain refusal with SmartSession's
//! `PolicyViolation` naming the stand-in, and the recipient's token balance with the transfers
//! that passed.

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolValue, sol};
use serde_json::json;
use smart_sessions_bindings::erc20::ERC20::{self, transferCall};
use smart_sessions_client::{
    BudgetItem, FlowError, NexusClient, Precheck, Refusal, SessionDetails, SessionRequest,
    checks::PolicyModel,
};
use smart_sessions_codec::{AnySession, Execution, PolicyData};
use smart_sessions_devnet::{Devnet, Options};
use smart_sessions_policy::eval::SpendingModel;

mod common;

// Not EIP-20 and not the devnet TestToken's (which has no such function): only encoded here, for
// an action the v1 model refuses before it reaches the token. Declared nowhere else.
sol! {
    function increaseAllowance(address spender, uint256 added) returns (bool);
}

const RECIPIENT: Address = Address::repeat_byte(0x42);

fn pay(token: Address, amount: u64) -> Execution {
    let data = transferCall { to: RECIPIENT, amount: U256::from(amount) };
    Execution::new(token, U256::ZERO, data.abi_encode())
}

/// The session: `transfer` and `increaseAllowance` on the token, each limited by the stand-in
/// to 1000 of the token (`abi.encode(address[] tokens, uint256[] limits)`, v1.0's init data).
fn session(
    key: Address,
    token: Address,
    stand_in: Address,
    d: &smart_sessions_client::Deployments,
) -> AnySession {
    let r: SessionRequest = serde_json::from_value(json!({
        "sessionPublicKey": key,
        "actionPoliciesInfo": [
            { "contractAddress": token, "functionSelector": "0xa9059cbb", "sudo": true },
            { "contractAddress": token, "functionSelector": "0x39509351", "sudo": true }
        ]
    }))
    .unwrap();
    let mut s = r.to_session(d).unwrap();
    let init = (vec![token], vec![U256::from(1000)]).abi_encode_params();
    let limit = PolicyData { policy: stand_in, initData: init.into() };
    let AnySession::Legacy(ref mut l) = s else { panic!("legacy devnet") };
    for a in &mut l.actions {
        a.actionPolicies = vec![limit.clone()];
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn a_v1_spending_limit_session_is_used_exhausted_and_budgeted_from_storage() {
    let d = Devnet::start_with(Options { chain_id: 31381, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let stand_in = a.v1_spending_limit_stand_in;
    assert_ne!(stand_in, Address::ZERO);
    let table = common::deployments(&d);
    // the devnet's JSON names the stand-in, and the table maps it to the v1 model
    assert_eq!(table.v1_spending_limits_policy, Some(stand_in));
    assert_eq!(table.policy_model(stand_in), Some(PolicyModel::SpendingLimits(SpendingModel::V1)));
    let owner = PrivateKeySigner::random();
    let key = PrivateKeySigner::random();
    let (node, bundler, _, _) = common::counted(&d);
    let account = common::funded_nexus_account(&node, &d, owner.address()).await;
    let c = NexusClient::new(node.clone(), bundler.clone(), table.clone(), account).await.unwrap();
    c.prepare(&owner).await.unwrap();
    c.trust_attesters(&owner, &[a.attester], 1).await.unwrap();
    let s = session(key.address(), a.token, stand_in, &table);
    c.grant_sessions(&owner, std::slice::from_ref(&s)).await.unwrap();
    let details = SessionDetails::enabled(table.smart_sessions(), c.address(), s.clone());
    d.mint_tokens(c.address(), U256::from(10_000)).await.unwrap();

    // a fresh client (nothing cached) for every budget: read from storage, not from our sends
    let fresh = || async {
        NexusClient::new(node.clone(), bundler.clone(), table.clone(), c.account().clone())
            .await
            .unwrap()
    };
    let transfer_budget = |b: Vec<smart_sessions_client::Budget>| {
        b.into_iter().find(|b| b.action == Some((a.token, transferCall::SELECTOR.into()))).unwrap()
    };
    let b = transfer_budget(fresh().await.remaining_budgets(&s).await.unwrap());
    assert_eq!(
        b.item,
        BudgetItem::Token { token: a.token, limit: U256::from(1000), used: U256::ZERO }
    );

    // used: 600 then 300 pass
    c.use_permission(&key, &details, &[pay(a.token, 600)], Precheck::On).await.unwrap();
    c.use_permission(&key, &details, &[pay(a.token, 300)], Precheck::On).await.unwrap();
    let b = transfer_budget(fresh().await.remaining_budgets(&s).await.unwrap());
    assert_eq!(
        b.item,
        BudgetItem::Token { token: a.token, limit: U256::from(1000), used: U256::from(900) }
    );
    assert_eq!(b.policy, stand_in);
    assert_eq!(b.item.remaining(), Some(U256::from(100)));

    // exhausted: 101 more is refused off-chain by the v1 rules, naming the stand-in
    let err = fresh()
        .await
        .use_permission(&key, &details, &[pay(a.token, 101)], Precheck::On)
        .await
        .unwrap_err();
    let FlowError::Refused(r) = &err else { panic!("{err}") };
    assert_eq!((r.policy, r.call), (stand_in, Some(0)), "{err}");
    // and on chain: the stand-in fails the check, SmartSession reverts PolicyViolation
    let err =
        c.use_permission(&key, &details, &[pay(a.token, 101)], Precheck::Skip).await.unwrap_err();
    let FlowError::Bundler(b) = &err else { panic!("{err}") };
    let Refusal::SmartSession(e) = &b.refusal else { panic!("{err}") };
    assert_eq!((e.name, e.policy), ("PolicyViolation", Some(stand_in)), "{e}");

    // increaseAllowance: refused by the v1 model (v1.0 counts only approve/transfer/
    // transferFrom and fails every other selector), and by the stand-in on chain
    let inc = Execution::new(
        a.token,
        U256::ZERO,
        increaseAllowanceCall { spender: RECIPIENT, added: U256::from(1) }.abi_encode(),
    );
    let err = fresh()
        .await
        .use_permission(&key, &details, std::slice::from_ref(&inc), Precheck::On)
        .await
        .unwrap_err();
    let FlowError::Refused(r) = &err else { panic!("{err}") };
    assert_eq!(r.policy, stand_in, "{err}");
    let err = c.use_permission(&key, &details, &[inc], Precheck::Skip).await.unwrap_err();
    let FlowError::Bundler(b) = &err else { panic!("{err}") };
    assert!(matches!(&b.refusal, Refusal::SmartSession(e) if e.name == "PolicyViolation"), "{err}");

    // the last 100 still pass, and the balance shows exactly the transfers that passed
    c.use_permission(&key, &details, &[pay(a.token, 100)], Precheck::On).await.unwrap();
    let balance = ERC20::new(a.token, &node).balanceOf(RECIPIENT).call().await.unwrap();
    assert_eq!(balance, U256::from(1000));
    let b = transfer_budget(fresh().await.remaining_budgets(&s).await.unwrap());
    assert_eq!(b.item.remaining(), Some(U256::ZERO));
}
