//! The fault-injecting proxy in front of anvil: every fault, compared with what the upstream did
//! (read from anvil directly) and what the client received (raw HTTP, no JSON-RPC library in the
//! way).

use alloy_primitives::{Address, U256};
use alloy_provider::{Provider, ProviderBuilder};
use serde_json::{Value, json};
use smart_sessions_devnet::{
    Devnet, Options,
    proxy::{Fault, Proxy, ProxyOptions},
};
use std::time::{Duration, Instant};

async fn post(c: &reqwest::Client, url: &str, body: &Value) -> reqwest::Result<(u16, Vec<u8>)> {
    let r = c.post(url).json(body).send().await?;
    let status = r.status().as_u16();
    Ok((status, r.bytes().await?.to_vec()))
}

/// 31380, the devnet's chain id.
const CHAIN_HEX: &str = "0x7a94";

fn call(method: &str, params: Value, id: u64) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

#[tokio::test(flavor = "multi_thread")]
async fn each_fault_does_what_it_says_and_then_the_proxy_forwards_again() {
    let d = Devnet::start_with(Options {
        chain_id: 31380,
        bundler: false,
        paymaster: false,
        ..Options::default()
    })
    .await
    .unwrap();
    let anvil = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let proxy = Proxy::start_with(
        &d.rpc_url,
        ProxyOptions { hang_limit: Duration::from_secs(2), ..ProxyOptions::default() },
    )
    .await
    .unwrap();
    let url = proxy.url().to_string();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let chain_id = call("eth_chainId", json!([]), 1);

    // forwarded unchanged
    let (status, body) = post(&http, &url, &chain_id).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["result"], CHAIN_HEX);

    // DropResponse: anvil acted, the client got no answer
    let who = Address::repeat_byte(0x42);
    proxy.inject("anvil_setBalance", Fault::DropResponse, 1);
    let set = call("anvil_setBalance", json!([who, "0x1234"]), 2);
    let dropped = post(&http, &url, &set).await;
    assert!(dropped.is_err(), "no answer: {dropped:?}");
    assert_eq!(anvil.get_balance(who).await.unwrap(), U256::from(0x1234), "anvil did it");

    // DropRequest: nothing forwarded, no answer
    proxy.inject("anvil_setBalance", Fault::DropRequest, 1);
    let set2 = call("anvil_setBalance", json!([who, "0x99"]), 3);
    assert!(post(&http, &url, &set2).await.is_err());
    assert_eq!(anvil.get_balance(who).await.unwrap(), U256::from(0x1234), "not forwarded");

    // Null, Garbage, Status, RpcError (odd data), in that order for one method
    proxy.inject("eth_chainId", Fault::Null, 1);
    proxy.inject("eth_chainId", Fault::Garbage, 1);
    proxy.inject("eth_chainId", Fault::Status(500), 1);
    let odd = json!({ "nested": [1, "two", null], "reason": "0x08c379a0" });
    proxy.inject(
        "eth_chainId",
        Fault::RpcError { code: -32521, message: "odd\nmessage".into(), data: Some(odd.clone()) },
        1,
    );
    assert_eq!(proxy.pending("eth_chainId"), 4);
    let (s, b) = post(&http, &url, &chain_id).await.unwrap();
    assert_eq!(
        (s, serde_json::from_slice::<Value>(&b).unwrap()),
        (200, json!({"jsonrpc": "2.0", "id": 1, "result": null}))
    );
    let (s, b) = post(&http, &url, &chain_id).await.unwrap();
    assert_eq!(s, 200);
    assert!(serde_json::from_slice::<Value>(&b).is_err(), "garbage is not JSON");
    let (s, _) = post(&http, &url, &chain_id).await.unwrap();
    assert_eq!(s, 500);
    let (s, b) = post(&http, &url, &chain_id).await.unwrap();
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(s, 200);
    assert_eq!(v["error"]["code"], -32521);
    assert_eq!(v["error"]["data"], odd);
    assert_eq!(proxy.applied("eth_chainId"), 4);
    // queue exhausted: forwarded again
    let (_, b) = post(&http, &url, &chain_id).await.unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&b).unwrap()["result"], CHAIN_HEX);

    // a batch: the faulted method answered by the proxy, the rest forwarded
    proxy.inject(
        "eth_blockNumber",
        Fault::RpcError { code: -1, message: "x".into(), data: None },
        1,
    );
    let batch = json!([call("eth_chainId", json!([]), 10), call("eth_blockNumber", json!([]), 11)]);
    let (_, b) = post(&http, &url, &batch).await.unwrap();
    let answers: Vec<Value> = serde_json::from_slice(&b).unwrap();
    let by_id = |id: u64| answers.iter().find(|a| a["id"] == id).unwrap().clone();
    assert_eq!(by_id(10)["result"], CHAIN_HEX);
    assert_eq!(by_id(11)["error"]["code"], -1);

    // Delay, then Hang (bounded by the client's timeout here, by hang_limit in the proxy)
    proxy.inject("eth_chainId", Fault::Delay(Duration::from_millis(300)), 1);
    let t = Instant::now();
    post(&http, &url, &chain_id).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));
    proxy.inject("eth_chainId", Fault::Hang, 1);
    let quick = reqwest::Client::builder().timeout(Duration::from_millis(400)).build().unwrap();
    let hung = post(&quick, &url, &chain_id).await.unwrap_err();
    assert!(hung.is_timeout(), "{hung:?}");
    // the proxy still serves others meanwhile
    let (s, _) = post(&http, &url, &chain_id).await.unwrap();
    assert_eq!(s, 200);
    assert!(proxy.seen("eth_chainId") >= 9);

    // dropped: the port refuses connections
    drop(proxy);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(post(&http, &url, &chain_id).await.is_err());
}
