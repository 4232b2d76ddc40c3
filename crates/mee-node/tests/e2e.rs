//! End to end on the local MEE stack (two anvil chains, 8453 and 10, with EntryPoint v0.7, Nexus
//! 1.0 and the node's own MEE K1 validator, fee token and counter): supertransactions built by
//! hand in the test (no MEE client), sent to the node over HTTP, checked on chain.

use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use serde_json::{Value, json};
use smart_sessions_mee_node::{MeeDevnet, payment};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

sol! {
    function increment();
    function fail();
    function countOf(address who) returns (uint256);
    function balanceOf(address who) returns (uint256);
    function mint(address to, uint256 amount);
}

const BASE: u64 = 8453;
const OP: u64 = 10;

async fn http(
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

async fn call<C: SolCall>(mee: &MeeDevnet, chain_id: u64, to: Address, c: C) -> C::Return {
    let chain = mee.chain(chain_id).unwrap();
    let p = chain.devnet.provider_for(&chain.devnet.deployer).unwrap();
    let out =
        p.call(TransactionRequest::default().to(to).input(c.abi_encode().into())).await.unwrap();
    C::abi_decode_returns(&out).unwrap()
}

async fn code_len(mee: &MeeDevnet, chain_id: u64, at: Address) -> usize {
    let chain = mee.chain(chain_id).unwrap();
    let p = chain.devnet.provider_for(&chain.devnet.deployer).unwrap();
    p.get_code_at(at).await.unwrap().len()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// `key = bytes3(lane) ‖ 0x00 ‖ validator`, nonce `key << 64` (a fresh lane: sequence 0).
fn nonce(lane: u32, validator: Address) -> U256 {
    let mut word = [0u8; 32];
    word[0..3].copy_from_slice(&lane.to_be_bytes()[1..]);
    word[4..24].copy_from_slice(validator.as_slice());
    U256::from_be_bytes(word)
}

struct Account {
    owner: PrivateKeySigner,
    address: Address,
    init_code: String,
}

/// A fresh owner, its (undeployed) Nexus 1.0 account, and 100 mUSD on chain 8453.
async fn account(mee: &MeeDevnet) -> Account {
    let owner = PrivateKeySigner::random();
    let (address, init_code) = mee.owner_account(owner.address(), B256::ZERO).await.unwrap();
    let base = mee.chain(BASE).unwrap();
    let p = base.devnet.provider_for(&base.devnet.deployer).unwrap();
    let tx = TransactionRequest::default()
        .to(base.contracts.fee_token)
        .input(mintCall { to: address, amount: U256::from(100_000_000u64) }.abi_encode().into());
    assert!(p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap().status());
    Account { owner, address, init_code: init_code.to_string() }
}

/// Owner supertransaction: payment (deploys on 8453), a call on 8453, a call (deploying) on 10.
fn request(
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
fn sign(quote: &Value, key: &PrivateKeySigner) -> String {
    let hash: B256 = quote["hash"].as_str().unwrap().parse().unwrap();
    let sig = key.sign_message_sync(hash.as_slice()).unwrap();
    format!("0x177eee00{}", alloy_primitives::hex::encode(sig.as_bytes()))
}

fn exec_body(quote: &Value, signature: String) -> Value {
    let mut body = quote.clone();
    body["signature"] = signature.into();
    body
}

/// Polls the explorer until every userOp is final (bounded).
async fn wait_final(mee: &MeeDevnet, hash: &str) -> Value {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_supertransaction_with_a_fee_token_runs_on_both_chains() {
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let (status, info) = http(&mee, "GET", "info", None, Some(&key)).await;
    assert_eq!(status, 200);
    let chains: Vec<&str> = info["supportedChains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chainId"].as_str().unwrap())
        .collect();
    assert_eq!(chains, ["10", "8453"]);

    let a = account(&mee).await;
    let token = mee.chain(BASE).unwrap().contracts.fee_token;
    let counter = mee.chain(BASE).unwrap().contracts.counter;
    let req = request(&mee, &a, incrementCall {}.abi_encode(), token, now() + 180);
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(quote["userOps"].as_array().unwrap().len(), 3, "payment op + 2");
    let fee: U256 = quote["paymentInfo"]["tokenWeiAmount"].as_str().unwrap().parse().unwrap();
    assert!(fee > U256::ZERO);

    let (status, done) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["hash"], quote["hash"]);
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    for (i, op) in ex["userOps"].as_array().unwrap().iter().enumerate() {
        assert_eq!(op["executionStatus"], "MINED_SUCCESS", "userOps[{i}]: {op}");
        // the reported transaction exists on that chain and succeeded
        let chain = mee.chain(op["chainId"].as_str().unwrap().parse().unwrap()).unwrap();
        let p = chain.devnet.provider_for(&chain.devnet.deployer).unwrap();
        let tx: B256 = op["executionData"].as_str().unwrap().parse().unwrap();
        assert!(p.get_transaction_receipt(tx).await.unwrap().unwrap().status());
    }
    // On chain: the counter was incremented by the account on both chains, the fee moved.
    assert_eq!(call(&mee, BASE, counter, countOfCall { who: a.address }).await, U256::from(1));
    assert_eq!(call(&mee, OP, counter, countOfCall { who: a.address }).await, U256::from(1));
    assert_eq!(call(&mee, BASE, token, balanceOfCall { who: mee.fee_recipient }).await, fee);
    assert_eq!(
        call(&mee, BASE, token, balanceOfCall { who: a.address }).await,
        U256::from(100_000_000u64) - fee
    );
    // The node never executes a supertransaction twice.
    let (status, again) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["code"], "ALREADY_SUBMITTED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_refuses_what_a_node_refuses() {
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let base = mee.chain(BASE).unwrap();
    let token = base.contracts.fee_token;
    let req = request(&mee, &a, incrementCall {}.abi_encode(), token, now() + 180);

    // API key
    let (status, v) = http(&mee, "POST", "quote", Some(&req), None).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("UNAUTHORIZED")), "{v}");
    let (status, v) = http(&mee, "POST", "quote", Some(&req), Some("wrong-key")).await;
    assert_eq!(status, 401, "{v}");
    assert!(!v["error"].as_str().unwrap().contains(&key), "the key is never echoed");

    // Unsupported chain.
    let mut bad = req.clone();
    bad["userOps"][1]["chainId"] = "137".into();
    let (status, v) = http(&mee, "POST", "quote", Some(&bad), Some(&key)).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("UNSUPPORTED_CHAIN")), "{v}");
    assert!(v["error"].as_str().unwrap().contains("137"), "{v}");

    // Unknown fee token (the counter is no fee token).
    let mut bad = req.clone();
    bad["paymentInfo"]["token"] = base.contracts.counter.to_string().into();
    let (status, v) = http(&mee, "POST", "quote", Some(&bad), Some(&key)).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("UNKNOWN_FEE_TOKEN")), "{v}");

    // Expired time bounds.
    let mut bad = req.clone();
    bad["userOps"][0]["lowerBoundTimestamp"] = (now() - 100).into();
    bad["userOps"][0]["upperBoundTimestamp"] = (now() - 10).into();
    let (status, v) = http(&mee, "POST", "quote", Some(&bad), Some(&key)).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("TIME_BOUNDS")), "{v}");

    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    let good = sign(&quote, &a.owner);

    // Tampered quote: another callData, or another root.
    let mut tampered = exec_body(&quote, good.clone());
    tampered["userOps"][1]["userOp"]["callData"] =
        payment::single_execute(base.contracts.counter, U256::ZERO, &failCall {}.abi_encode())
            .to_string()
            .into();
    let (status, v) = http(&mee, "POST", "exec", Some(&tampered), Some(&key)).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("TAMPERED_QUOTE")), "{v}");
    assert!(v["error"].as_str().unwrap().contains("userOps[1].userOp"), "{v}");
    let mut tampered = exec_body(&quote, good.clone());
    tampered["hash"] = B256::repeat_byte(7).to_string().into();
    let (status, v) = http(&mee, "POST", "exec", Some(&tampered), Some(&key)).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("UNKNOWN_QUOTE")), "{v}");

    // Bad signature: someone else signed the root.
    let stranger = PrivateKeySigner::random();
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &stranger))), Some(&key))
            .await;
    assert_eq!((status, v["code"].as_str()), (400, Some("BAD_SIGNATURE")), "{v}");
    assert!(v["error"].as_str().unwrap().contains(&stranger.address().to_string()), "{v}");
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, "0x1234".into())), Some(&key)).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("BAD_SIGNATURE")), "{v}");

    // Nothing was sent for any refusal: the account is still undeployed on both chains, and
    // the genuine exec still goes through.
    assert_eq!(code_len(&mee, BASE, a.address).await, 0);
    assert_eq!(code_len(&mee, OP, a.address).await, 0);
    let (status, v) = http(&mee, "POST", "exec", Some(&exec_body(&quote, good)), Some(&key)).await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_op_that_would_fail_on_chain_fails_in_simulation_and_no_fee_is_taken() {
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let token = mee.chain(BASE).unwrap().contracts.fee_token;
    // userOps[2] (on chain 10) calls MeeCounter.fail(), which always reverts.
    let req = request(&mee, &a, failCall {}.abi_encode(), token, now() + 180);
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    let ops = ex["userOps"].as_array().unwrap();
    assert!(ops.iter().all(|o| o["executionStatus"] == "FAILED"), "{ex}");
    assert_eq!(ops[2]["executionError"], "MeeCounter: fail() always reverts", "{ex}");
    assert!(
        ops[0]["executionError"].as_str().unwrap().contains("userOps[2] failed simulation"),
        "{ex}"
    );
    assert!(ops.iter().all(|o| o["executionData"].is_null()), "nothing was sent: {ex}");
    // No fee was taken, nothing was deployed.
    assert_eq!(call(&mee, BASE, token, balanceOfCall { who: mee.fee_recipient }).await, U256::ZERO);
    assert_eq!(
        call(&mee, BASE, token, balanceOfCall { who: a.address }).await,
        U256::from(100_000_000u64)
    );
    assert_eq!(code_len(&mee, BASE, a.address).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sponsored_supertransaction_is_paid_by_the_gas_tank() {
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let base = mee.chain(BASE).unwrap();
    let (token, counter) = (base.contracts.fee_token, base.contracts.counter);
    let mut req = request(&mee, &a, incrementCall {}.abi_encode(), token, now() + 180);
    // As the SDK sends it: the trusted tank as sender, no initCode on paymentInfo (so the
    // 8453 op deploys the account itself).
    req["paymentInfo"] = json!({
        "sponsored": true, "sender": "0x18eAc826f3dD77d065E75E285d3456B751AC80d5",
        "token": token, "nonce": "0", "callGasLimit": "75000", "verificationGasLimit": "150000",
        "chainId": BASE.to_string(), "sponsorshipUrl": mee.url(),
    });
    req["userOps"][0]["initCode"] = a.init_code.clone().into();
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(quote["paymentInfo"]["tokenWeiAmount"], "0");
    assert_eq!(quote["userOps"][0]["userOp"]["callData"], "0x", "the tank op moves nothing");
    let executor = mee.node.executor();
    let p = base.devnet.provider_for(&base.devnet.deployer).unwrap();
    let eth_before = p.get_balance(executor).await.unwrap();

    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    let ops = ex["userOps"].as_array().unwrap();
    assert!(ops.iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"), "{ex}");
    assert!(ops[0]["executionData"].is_null(), "the tank op is not executed: {ex}");
    assert_eq!(call(&mee, BASE, counter, countOfCall { who: a.address }).await, U256::from(1));
    assert_eq!(call(&mee, OP, counter, countOfCall { who: a.address }).await, U256::from(1));
    // No token moved; the node's own ETH paid the gas.
    assert_eq!(
        call(&mee, BASE, token, balanceOfCall { who: a.address }).await,
        U256::from(100_000_000u64)
    );
    assert_eq!(call(&mee, BASE, token, balanceOfCall { who: mee.fee_recipient }).await, U256::ZERO);
    assert!(p.get_balance(executor).await.unwrap() < eth_before);
}

sol! {
    function trustAttesters(uint8 threshold, address[] attesters);
    function attest(address module);
}

/// A sponsored owner supertransaction of `calls` (`(chain, callData)`, each its own userOp, lanes
/// 10, 11, …); the first op on each chain carries `init_code` when given. Waits for it and checks
/// every op succeeded.
async fn owner_stx(
    mee: &MeeDevnet,
    a: &Account,
    calls: Vec<(u64, Vec<u8>)>,
    init_code: Option<&str>,
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
                "callGasLimit": "1000000", "nonce": nonce(10 + i as u32, validator).to_string(),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeemer_uses_an_enabled_session_through_the_node() {
    use smart_sessions_codec::{
        ActionData, AnySession, Generation, PolicyData, execute::install_module_calldata, install,
        legacy,
    };
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let base = mee.chain(BASE).unwrap();
    let d = &base.devnet.addresses;
    let (validator, counter) = (base.contracts.validator, base.contracts.counter);

    // Our own attester attests the modules the session uses (the registry is open to anyone).
    let attester = base.devnet.fund_new_key().await.unwrap();
    let p = base.devnet.provider_for(&attester).unwrap();
    for module in [validator, d.sudo_policy, d.smart_session] {
        let tx = TransactionRequest::default()
            .to(d.registry)
            .input(attestCall { module }.abi_encode().into());
        assert!(p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap().status());
    }
    // The redeemer may call counter.increment() under the sudo policy, validated by MeeK1Validator.
    let redeemer = PrivateKeySigner::random();
    let session = legacy::Session {
        sessionValidator: validator,
        sessionValidatorInitData: redeemer.address().to_vec().into(),
        salt: B256::repeat_byte(9),
        userOpPolicies: vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: incrementCall::SELECTOR.into(),
            actionTarget: counter,
            actionPolicies: vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())],
        }],
    };
    let permission_id = smart_sessions_codec::permission_id(
        validator,
        &session.sessionValidatorInitData,
        session.salt,
    );
    let enable =
        install::enable_sessions_calldata(Generation::Legacy, &[AnySession::Legacy(session)])
            .unwrap();
    let trust =
        trustAttestersCall { threshold: 1, attesters: vec![attester.address()] }.abi_encode();
    // 1. The owner deploys the account, installs SmartSession, trusts the attester and enables
    //    the session: one sponsored supertransaction of three userOps through the node.
    owner_stx(
        &mee,
        &a,
        vec![
            (BASE, install_module_calldata(1, d.smart_session, &[])),
            (BASE, payment::single_execute(d.registry, U256::ZERO, &trust).to_vec()),
            (BASE, payment::single_execute(d.smart_session, U256::ZERO, &enable).to_vec()),
        ],
        Some(&a.init_code),
    )
    .await;

    // 2. The redeemer signs a session supertransaction (USE mode): the node checks the redeemer
    //    and wraps the short signature in SmartSession's USE encoding.
    let lower = now();
    let details = json!({ "mode": "0x00", "permissionId": permission_id,
        "enableSessionData": { "enableSession": { "sessionToEnable": {
            "sessionValidator": validator, "sessionValidatorInitData": redeemer.address() } } } });
    let req = json!({ "quoteType": "simple", "userOps": [{
            "lowerBoundTimestamp": lower, "upperBoundTimestamp": lower + 180, "sender": a.address,
            "callData": payment::single_execute(counter, U256::ZERO, &incrementCall {}.abi_encode()),
            "callGasLimit": "700000", "nonce": nonce(20, d.smart_session).to_string(),
            "chainId": BASE.to_string(), "verificationGasLimit": "1000000",
            "shortEncoding": true, "sessionDetails": details }],
        "paymentInfo": { "sponsored": true, "sender": "0x18eAc826f3dD77d065E75E285d3456B751AC80d5",
            "token": base.contracts.fee_token, "nonce": "0", "callGasLimit": "75000",
            "verificationGasLimit": "150000", "chainId": BASE.to_string() } });
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    // the owner cannot sign for the redeemer
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!((status, v["code"].as_str()), (400, Some("BAD_SIGNATURE")), "{v}");
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &redeemer))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
    assert_eq!(call(&mee, BASE, counter, countOfCall { who: a.address }).await, U256::from(1));
}

sol! {
    function addSafeSender(address sender);
    function getNonce(bytes32 permissionId, address account) returns (uint256);
    function isPermissionEnabled(bytes32 permissionId, address account) returns (bool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeemer_enables_and_uses_a_session_in_one_supertransaction() {
    use smart_sessions_codec::{
        ActionData, ChainDigest, EnableMode, Generation, PolicyData, eip712,
        execute::install_module_calldata, legacy,
    };
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let base = mee.chain(BASE).unwrap();
    let d = &base.devnet.addresses;
    let (validator, counter, ss) =
        (base.contracts.validator, base.contracts.counter, d.smart_session);

    // 1. The owner (one sponsored supertransaction through the node) deploys the account, installs
    //    SmartSession and makes it a safe sender of MeeK1Validator (so the owner's enable signature
    //    passes ERC-1271 through the account).
    let safe = addSafeSenderCall { sender: ss }.abi_encode();
    owner_stx(
        &mee,
        &a,
        vec![
            (BASE, install_module_calldata(1, ss, &[])),
            (BASE, payment::single_execute(validator, U256::ZERO, &safe).to_vec()),
        ],
        Some(&a.init_code),
    )
    .await;

    // 2. The owner grants off-chain: a legacy session for the redeemer, signed over the legacy
    //    multichain digest (personal sign), in the SDK's sessionDetails shape (mode 0x02).
    let redeemer = PrivateKeySigner::random();
    let session = legacy::Session {
        sessionValidator: validator,
        sessionValidatorInitData: redeemer.address().to_vec().into(),
        salt: B256::repeat_byte(4),
        userOpPolicies: vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: incrementCall::SELECTOR.into(),
            actionTarget: counter,
            actionPolicies: vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())],
        }],
    };
    let permission_id = smart_sessions_codec::permission_id(
        validator,
        &session.sessionValidatorInitData,
        session.salt,
    );
    let nonce_now =
        call(&mee, BASE, ss, getNonceCall { permissionId: permission_id, account: a.address })
            .await;
    let digest =
        eip712::legacy_session_digest(&session, a.address, ss, EnableMode::UnsafeEnable, nonce_now);
    let chain = ChainDigest { chainId: BASE, sessionDigest: digest };
    let to_sign = eip712::multichain_digest(Generation::Legacy, &[chain]);
    let owner_sig = a.owner.sign_message_sync(to_sign.as_slice()).unwrap();
    let details = json!({ "mode": "0x02", "permissionId": permission_id,
        "signature": format!("0x{}", "11".repeat(65)),
        "enableSessionData": {
            "enableSession": {
                "chainDigestIndex": 0,
                "hashesAndChainIds": [{ "chainId": BASE.to_string(), "sessionDigest": digest }],
                "sessionToEnable": serde_json::to_value(&session).unwrap(),
                "permissionEnableSig": alloy_primitives::Bytes::from(owner_sig.as_bytes().to_vec()),
            },
            "validator": validator, "accountType": "nexus" } });

    // 3. ENABLE_AND_USE: the redeemer signs; the node assembles the UNSAFE_ENABLE signature.
    let lower = now();
    let req = json!({ "quoteType": "simple", "userOps": [{
            "lowerBoundTimestamp": lower, "upperBoundTimestamp": lower + 180, "sender": a.address,
            "callData": payment::single_execute(counter, U256::ZERO, &incrementCall {}.abi_encode()),
            "callGasLimit": "700000", "nonce": nonce(30, ss).to_string(),
            "chainId": BASE.to_string(), "verificationGasLimit": "2000000",
            "shortEncoding": true, "sessionDetails": details }],
        "paymentInfo": { "sponsored": true, "sender": "0x18eAc826f3dD77d065E75E285d3456B751AC80d5",
            "token": base.contracts.fee_token, "nonce": "0", "callGasLimit": "75000",
            "verificationGasLimit": "150000", "chainId": BASE.to_string() } });
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    assert!(
        !call(
            &mee,
            BASE,
            ss,
            isPermissionEnabledCall { permissionId: permission_id, account: a.address }
        )
        .await
    );
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &redeemer))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
    assert!(
        call(
            &mee,
            BASE,
            ss,
            isPermissionEnabledCall { permissionId: permission_id, account: a.address }
        )
        .await
    );
    assert_eq!(call(&mee, BASE, counter, countOfCall { who: a.address }).await, U256::from(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_and_use_on_two_chains_with_the_fee_paid_by_the_session() {
    use smart_sessions_codec::{
        ActionData, ChainDigest, EnableMode, Generation, PolicyData, eip712,
        execute::install_module_calldata, legacy,
    };
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let base = mee.chain(BASE).unwrap();
    let d = &base.devnet.addresses;
    let (validator, counter, ss, token) = (
        base.contracts.validator,
        base.contracts.counter,
        d.smart_session,
        base.contracts.fee_token,
    );

    // 1. prepare on both chains (owner, sponsored): deploy, install SmartSession, safe sender.
    let safe = addSafeSenderCall { sender: ss }.abi_encode();
    let mut prepare = Vec::new();
    for chain_id in [BASE, OP] {
        prepare.push((chain_id, install_module_calldata(1, ss, &[])));
        prepare.push((chain_id, payment::single_execute(validator, U256::ZERO, &safe).to_vec()));
    }
    owner_stx(&mee, &a, prepare, Some(&a.init_code)).await;

    // 2. grant: one legacy session per chain for the redeemer (increment on both; on the fee chain
    //    also the fee-token transfer), one owner signature over the multichain digest.
    let redeemer = PrivateKeySigner::random();
    let sudo = || vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())];
    let session = |salt: u8, fee: bool| {
        let mut actions = vec![ActionData {
            actionTargetSelector: incrementCall::SELECTOR.into(),
            actionTarget: counter,
            actionPolicies: sudo(),
        }];
        if fee {
            actions.push(ActionData {
                actionTargetSelector: [0xa9, 0x05, 0x9c, 0xbb].into(),
                actionTarget: token,
                actionPolicies: sudo(),
            });
        }
        legacy::Session {
            sessionValidator: validator,
            sessionValidatorInitData: redeemer.address().to_vec().into(),
            salt: B256::repeat_byte(salt),
            userOpPolicies: sudo(),
            erc7739Policies: Default::default(),
            actions,
        }
    };
    let sessions = [(BASE, session(1, true)), (OP, session(2, false))];
    let mut digests = Vec::new();
    let mut ids = Vec::new();
    for (chain_id, s) in &sessions {
        let id =
            smart_sessions_codec::permission_id(validator, &s.sessionValidatorInitData, s.salt);
        let n =
            call(&mee, *chain_id, ss, getNonceCall { permissionId: id, account: a.address }).await;
        let digest = eip712::legacy_session_digest(s, a.address, ss, EnableMode::UnsafeEnable, n);
        digests.push(ChainDigest { chainId: *chain_id, sessionDigest: digest });
        ids.push(id);
    }
    let owner_sig = a
        .owner
        .sign_message_sync(eip712::multichain_digest(Generation::Legacy, &digests).as_slice())
        .unwrap();
    let hashes: Vec<Value> = digests
        .iter()
        .map(|c| json!({ "chainId": c.chainId.to_string(), "sessionDigest": c.sessionDigest }))
        .collect();
    let details = |k: usize, mode: &str| {
        json!({ "mode": mode, "permissionId": ids[k],
        "signature": format!("0x{}", "11".repeat(65)),
        "enableSessionData": { "enableSession": {
                "chainDigestIndex": k, "hashesAndChainIds": hashes,
                "sessionToEnable": serde_json::to_value(&sessions[k].1).unwrap(),
                "permissionEnableSig": alloy_primitives::Bytes::from(owner_sig.as_bytes().to_vec()) },
            "validator": validator, "accountType": "nexus" } })
    };

    // 3. use: the payment op enables on 8453 (0x02), the 8453 op uses (0x00), the op on 10
    //    enables and uses (0x02); the redeemer signs the one root.
    let lower = now();
    let inc = payment::single_execute(counter, U256::ZERO, &incrementCall {}.abi_encode());
    let op = |chain_id: u64, lane: u32, vgl: &str, details: Value| {
        json!({
        "lowerBoundTimestamp": lower, "upperBoundTimestamp": lower + 180, "sender": a.address,
        "callData": inc, "callGasLimit": "700000", "nonce": nonce(lane, ss).to_string(),
        "chainId": chain_id.to_string(), "verificationGasLimit": vgl, "shortEncoding": true,
        "sessionDetails": details })
    };
    let req = json!({ "quoteType": "simple",
        "userOps": [op(BASE, 41, "1000000", details(0, "0x00")), op(OP, 42, "2000000", details(1, "0x02"))],
        "paymentInfo": { "sponsored": false, "sender": a.address, "token": token,
            "nonce": nonce(40, ss).to_string(), "callGasLimit": "75000", "verificationGasLimit": "2000000",
            "chainId": BASE.to_string(), "shortEncoding": true, "sessionDetails": details(0, "0x02") } });
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    let fee: U256 = quote["paymentInfo"]["tokenWeiAmount"].as_str().unwrap().parse().unwrap();
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &redeemer))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
    for (k, chain_id) in [BASE, OP].into_iter().enumerate() {
        assert!(
            call(
                &mee,
                chain_id,
                ss,
                isPermissionEnabledCall { permissionId: ids[k], account: a.address }
            )
            .await
        );
        assert_eq!(
            call(&mee, chain_id, counter, countOfCall { who: a.address }).await,
            U256::from(1)
        );
    }
    assert_eq!(call(&mee, BASE, token, balanceOfCall { who: mee.fee_recipient }).await, fee);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_simulation_a_failing_op_is_mined_fail_after_the_fee_was_taken() {
    // What the simulation prevents (compare the test with simulation above): with it turned off,
    // the payment op and the 8453 op are mined, the op on 10 reverts on chain.
    let mee = MeeDevnet::start_with(smart_sessions_mee_node::MeeOptions { simulate: false })
        .await
        .expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let token = mee.chain(BASE).unwrap().contracts.fee_token;
    let req = request(&mee, &a, failCall {}.abi_encode(), token, now() + 180);
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    let fee: U256 = quote["paymentInfo"]["tokenWeiAmount"].as_str().unwrap().parse().unwrap();
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    let ops = ex["userOps"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["executionStatus"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["MINED_SUCCESS", "MINED_SUCCESS", "MINED_FAIL"], "{ex}");
    assert_eq!(ops[2]["executionError"], "MeeCounter: fail() always reverts", "{ex}");
    assert!(ops[2]["executionData"].is_string(), "the failing op was mined: {ex}");
    assert_eq!(call(&mee, BASE, token, balanceOfCall { who: mee.fee_recipient }).await, fee);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_refuses_quotes_it_no_longer_knows() {
    let mut mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let token = mee.chain(BASE).unwrap().contracts.fee_token;
    let req = request(&mee, &a, incrementCall {}.abi_encode(), token, now() + 180);
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    let url = mee.url();
    mee.restart_node().await.expect("the node restarts");
    assert_eq!(mee.url(), url, "same port");
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!((status, v["code"].as_str()), (400, Some("UNKNOWN_QUOTE")), "{v}");
    let (status, v) = http(
        &mee,
        "GET",
        &format!("explorer/{}", quote["hash"].as_str().unwrap()),
        None,
        Some(&key),
    )
    .await;
    assert_eq!((status, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    assert_eq!(code_len(&mee, BASE, a.address).await, 0, "nothing was executed");
    // a fresh quote from the restarted node goes through
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
}
