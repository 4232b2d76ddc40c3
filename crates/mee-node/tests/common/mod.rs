//! Helpers of the end-to-end tests: HTTP calls to the node, chain reads, accounts, requests built
//! by hand (no MEE client), signing and explorer polling.

#![allow(dead_code, unused_imports, unreachable_pub, missing_docs)]

use alloy_contract::SolCallBuilder;
use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use smart_sessions_mee_node::{MeeDevnet, payment};

// Every contract call of these tests goes through the one declaration of its ABI: the node's own
// counter, the EIP-20 fee token (its open `mint` is the devnet TestToken's), the ERC-7484
// registry (with the devnet registry's `attest`), SmartSession and the MEE K1 validator's
// `addSafeSender` (smart-sessions-bindings).
pub use smart_sessions_bindings::{
    common::registry::Registry::trustAttestersCall,
    // the same ABI in every SmartSession generation
    current::smart_session::SmartSession::{getNonceCall, isPermissionEnabledCall},
    erc20::ERC20::balanceOfCall,
};
pub use smart_sessions_devnet::contracts::{AttesterRegistry::attestCall, TestToken::mintCall};
pub use smart_sessions_mee_node::contracts::MeeCounter::{countOfCall, failCall, incrementCall};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const BASE: u64 = 8453;
pub const OP: u64 = 10;

pub async fn http(
    mee: &MeeDevnet,
    method: &str,
    path: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let url = format!("{}/{path}", mee.url());
    let mut req = if method == "GET" { client.get(url) } else { client.post(url) };
    req = req.header("content-type", "application/json").timeout(Duration::from_secs(60));
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let res = req.send().await.expect("the node answers");
    let status = res.status().as_u16();
    let text = res.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON answer, got {text}")))
}

pub async fn call<C: SolCall>(mee: &MeeDevnet, chain_id: u64, to: Address, c: C) -> C::Return {
    let chain = mee.chain(chain_id).unwrap();
    let p = chain.devnet.provider_for(&chain.devnet.deployer).unwrap();
    SolCallBuilder::new_sol(&p, &to, &c).call().await.unwrap()
}

pub async fn code_len(mee: &MeeDevnet, chain_id: u64, at: Address) -> usize {
    let chain = mee.chain(chain_id).unwrap();
    let p = chain.devnet.provider_for(&chain.devnet.deployer).unwrap();
    p.get_code_at(at).await.unwrap().len()
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// `key = bytes3(lane) ‖ 0x00 ‖ validator`, nonce `key << 64` (a fresh lane: sequence 0).
pub fn nonce(lane: u32, validator: Address) -> U256 {
    let mut word = [0u8; 32];
    word[0..3].copy_from_slice(&lane.to_be_bytes()[1..]);
    word[4..24].copy_from_slice(validator.as_slice());
    U256::from_be_bytes(word)
}

pub struct Account {
    pub owner: PrivateKeySigner,
    pub address: Address,
    pub init_code: String,
}

/// A fresh owner, its (undeployed) Nexus 1.0 account, and 100 mUSD on chain 8453.
pub async fn account(mee: &MeeDevnet) -> Account {
    let owner = PrivateKeySigner::random();
    let (address, init_code) = mee.owner_account(owner.address(), B256::ZERO).await.unwrap();
    let base = mee.chain(BASE).unwrap();
    let p = base.devnet.provider_for(&base.devnet.deployer).unwrap();
    let mint = mintCall { to: address, amount: U256::from(100_000_000u64) };
    let sent = SolCallBuilder::new_sol(&p, &base.contracts.fee_token, &mint).send().await.unwrap();
    assert!(sent.get_receipt().await.unwrap().status());
    Account { owner, address, init_code: init_code.to_string() }
}

/// Owner supertransaction: payment (deploys on 8453), a call on 8453, a call (deploying) on 10.
pub fn request(
    mee: &MeeDevnet,
    a: &Account,
    op_call_on_10: Vec<u8>,
    token: Address,
    upper: u64,
) -> Value {
    let validator = mee.chain(BASE).unwrap().contracts.validator;
    let counter = mee.chain(BASE).unwrap().contracts.counter;
    let lower = now();
    let inc = payment::single_execute(counter, U256::ZERO, &incrementCall {}.abi_encode());
    let on_10 = payment::single_execute(counter, U256::ZERO, &op_call_on_10);
    let meta = |c: u64| json!([{ "type": "CUSTOM", "description": "Custom on-chain action", "chainId": c }]);
    json!({
        "quoteType": "simple",
        "userOps": [
            { "lowerBoundTimestamp": lower, "upperBoundTimestamp": upper, "sender": a.address,
              "callData": inc, "callGasLimit": "700000", "nonce": nonce(2, validator).to_string(),
              "chainId": BASE.to_string(), "isCleanUpUserOp": false, "metadata": meta(BASE) },
            { "lowerBoundTimestamp": lower, "upperBoundTimestamp": upper, "sender": a.address,
              "callData": on_10, "callGasLimit": "700000", "nonce": nonce(3, validator).to_string(),
              "chainId": OP.to_string(), "isCleanUpUserOp": false, "initCode": a.init_code,
              "metadata": meta(OP) },
        ],
        "paymentInfo": {
            "sponsored": false, "sender": a.address, "token": token,
            "nonce": nonce(1, validator).to_string(), "callGasLimit": "75000",
            "verificationGasLimit": "1000000", "chainId": BASE.to_string(), "initCode": a.init_code,
        },
    })
}

/// `0x177eee00 ‖ personal_sign(hash)` (MEE < 2.2.1).
pub fn sign(quote: &Value, key: &PrivateKeySigner) -> String {
    let hash: B256 = quote["hash"].as_str().unwrap().parse().unwrap();
    let sig = key.sign_message_sync(hash.as_slice()).unwrap();
    format!("0x177eee00{}", alloy_primitives::hex::encode(sig.as_bytes()))
}

pub fn exec_body(quote: &Value, signature: String) -> Value {
    let mut body = quote.clone();
    body["signature"] = signature.into();
    body
}

/// Polls the explorer until every userOp is final (bounded).
pub async fn wait_final(mee: &MeeDevnet, hash: &str) -> Value {
    let start = Instant::now();
    loop {
        let (status, v) =
            http(mee, "GET", &format!("explorer/{hash}"), None, Some(mee.api_key())).await;
        assert_eq!(status, 200, "{v}");
        let finals = v["userOps"].as_array().unwrap().iter().all(|o| {
            matches!(o["executionStatus"].as_str(), Some("MINED_SUCCESS" | "MINED_FAIL" | "FAILED"))
        });
        if finals {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "not final after 60 s: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A sponsored owner supertransaction of `calls` (`(chain, callData)`, each its own userOp, lanes
/// 10, 11, …); the first op on each chain carries `init_code` when given. Waits for it and checks
/// every op succeeded.
pub async fn owner_stx(
    mee: &MeeDevnet,
    a: &Account,
    calls: Vec<(u64, Vec<u8>)>,
    init_code: Option<&str>,
) {
    owner_stx_on_lanes(mee, a, calls, init_code, 10).await;
}

/// [`owner_stx`] with the nonce lanes starting at `first_lane`.
pub async fn owner_stx_on_lanes(
    mee: &MeeDevnet,
    a: &Account,
    calls: Vec<(u64, Vec<u8>)>,
    init_code: Option<&str>,
    first_lane: u32,
) {
    let key = mee.api_key();
    let validator = mee.chain(BASE).unwrap().contracts.validator;
    let lower = now();
    let mut seen = Vec::new();
    let ops: Vec<Value> = calls
        .into_iter()
        .enumerate()
        .map(|(i, (chain_id, data))| {
            let mut op = json!({
                "lowerBoundTimestamp": lower, "upperBoundTimestamp": lower + 180,
                "sender": a.address, "callData": alloy_primitives::Bytes::from(data),
                "callGasLimit": "1000000", "nonce": nonce(first_lane + i as u32, validator).to_string(),
                "chainId": chain_id.to_string(),
            });
            if !seen.contains(&chain_id)
                && let Some(ic) = init_code
            {
                op["initCode"] = ic.into();
            }
            seen.push(chain_id);
            op
        })
        .collect();
    let req = json!({ "quoteType": "simple", "userOps": ops, "paymentInfo": {
        "sponsored": true, "sender": "0x18eAc826f3dD77d065E75E285d3456B751AC80d5",
        "token": mee.chain(BASE).unwrap().contracts.fee_token, "nonce": "0",
        "callGasLimit": "75000", "verificationGasLimit": "150000", "chainId": BASE.to_string() } });
    let (status, quote) = http(mee, "POST", "quote", Some(&req), Some(key)).await;
    assert_eq!(status, 200, "{quote}");
    let (status, v) =
        http(mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
}

/// `addSafeSender(sender)` calldata of the node's `MeeK1Validator` (which answers the ABI of
/// Biconomy's MEE K1 validator, bound in `smart_sessions_bindings::mee_k1_validator`).
pub fn add_safe_sender(sender: Address) -> Vec<u8> {
    use alloy_sol_types::SolCall;
    smart_sessions_bindings::mee_k1_validator::addSafeSenderCall { sender }.abi_encode()
}
