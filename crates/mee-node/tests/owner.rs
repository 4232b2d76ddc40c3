//! End to end on the local MEE stack (two anvil chains, 8453 and 10, with EntryPoint v0.7, Nexus
//! 1.0 and the node's own MEE K1 validator, fee token and counter), owner supertransactions built
//! by hand in the test (no MEE client), sent to the node over HTTP, checked on chain: a fee-token
//! supertransaction on both chains, refusals, simulation, sponsorship, restarts.

use alloy_primitives::{B256, U256};
use alloy_provider::Provider;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::json;
use smart_sessions_mee_node::{MeeDevnet, payment};

use std::time::Duration;

mod common;
use common::*;

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
    assert_eq!(call(&mee, BASE, token, balanceOfCall { owner: mee.fee_recipient }).await, fee);
    assert_eq!(
        call(&mee, BASE, token, balanceOfCall { owner: a.address }).await,
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
    // Bounds beyond uint48 (what the validator reads) are refused, not truncated.
    let mut bad = req.clone();
    bad["userOps"][0]["upperBoundTimestamp"] = (1u64 << 48).into();
    let (status, v) = http(&mee, "POST", "quote", Some(&bad), Some(&key)).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("TIME_BOUNDS")), "{v}");
    // Not JSON.
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/quote", mee.url()))
        .header("x-api-key", &key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let v: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(v["code"], "BAD_REQUEST", "{v}");

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

    // A quote whose bounds pass before exec is refused at exec.
    let short = request(&mee, &a, incrementCall {}.abi_encode(), token, now() + 2);
    let (status, stale) = http(&mee, "POST", "quote", Some(&short), Some(&key)).await;
    assert_eq!(status, 200, "{stale}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&stale, sign(&stale, &a.owner))), Some(&key))
            .await;
    assert_eq!((status, v["code"].as_str()), (400, Some("TIME_BOUNDS")), "{v}");

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
    assert_eq!(
        call(&mee, BASE, token, balanceOfCall { owner: mee.fee_recipient }).await,
        U256::ZERO
    );
    assert_eq!(
        call(&mee, BASE, token, balanceOfCall { owner: a.address }).await,
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
        call(&mee, BASE, token, balanceOfCall { owner: a.address }).await,
        U256::from(100_000_000u64)
    );
    assert_eq!(
        call(&mee, BASE, token, balanceOfCall { owner: mee.fee_recipient }).await,
        U256::ZERO
    );
    assert!(p.get_balance(executor).await.unwrap() < eth_before);
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
    assert_eq!(call(&mee, BASE, token, balanceOfCall { owner: mee.fee_recipient }).await, fee);
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
    // a client with a keep-alive connection to the old node
    let client = reqwest::Client::new();
    let res = client.get(format!("{url}/info")).header("x-api-key", &key).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    mee.restart_node().await.expect("the node restarts");
    assert_eq!(mee.url(), url, "same port");
    // the pooled connection does not reach the old node: the new one does not know the quote
    let res = client
        .post(format!("{url}/exec"))
        .header("x-api-key", &key)
        .body(exec_body(&quote, sign(&quote, &a.owner)).to_string())
        .send()
        .await
        .expect("the restarted node answers");
    assert_eq!(res.status().as_u16(), 400);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_supertransactions_of_one_account_run_at_once() {
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let a = account(&mee).await;
    let counter = mee.chain(BASE).unwrap().contracts.counter;
    let inc =
        || payment::single_execute(counter, U256::ZERO, &incrementCall {}.abi_encode()).to_vec();
    // deploy on both chains first
    owner_stx(&mee, &a, vec![(BASE, inc()), (OP, inc())], Some(&a.init_code)).await;
    // then two supertransactions on other nonce lanes, quoted, signed and executed concurrently
    tokio::join!(
        owner_stx_on_lanes(&mee, &a, vec![(BASE, inc()), (OP, inc())], None, 100),
        owner_stx_on_lanes(&mee, &a, vec![(BASE, inc()), (OP, inc())], None, 200),
    );
    assert_eq!(call(&mee, BASE, counter, countOfCall { who: a.address }).await, U256::from(3));
    assert_eq!(call(&mee, OP, counter, countOfCall { who: a.address }).await, U256::from(3));
}
