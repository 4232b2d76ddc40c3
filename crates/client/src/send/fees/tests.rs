//! The gas-price fallbacks' response handling, on alloy's mock transport (queued JSON-RPC
//! answers): which methods are asked in which order, and that the source is remembered.
use super::*;
use crate::{ClientOptions, client::test_support::client};
use alloy_json_rpc::ErrorPayload;
use alloy_transport::mock::Asserter;
use serde_json::json;
use std::time::Duration;

fn not_found() -> ErrorPayload {
    ErrorPayload { code: -32601, message: "Method not found".into(), data: None }
}

#[tokio::test]
async fn auto_falls_back_to_biconomy_then_remembers_it() {
    let (node, bundler) = (Asserter::new(), Asserter::new());
    // fees never reused here: every call reads them
    let c = client(&node, &bundler)
        .with_options(ClientOptions { gas_price_max_age: Duration::ZERO, ..Default::default() });
    bundler.push_failure(not_found());
    // biconomy_getGasFeeValues: decimal strings and hex both accepted
    let tier = json!({ "maxFeePerGas": "1000", "maxPriorityFeePerGas": "0x10" });
    bundler.push_success(&json!({ "slow": tier, "standard": tier, "fast": tier }));
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(1000), U256::from(16)));
    // remembered: exactly one call the second time (a pimlico call would take this answer
    // and leave the next one unanswered)
    let fast = json!({ "maxFeePerGas": 7, "maxPriorityFeePerGas": 2 });
    bundler.push_success(&json!({ "slow": fast, "standard": fast, "fast": fast }));
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(7), U256::from(2)));
    assert!(bundler.read_q().is_empty());
    assert!(node.read_q().is_empty());
}

#[tokio::test]
async fn auto_falls_back_to_the_node_in_one_batch() {
    let (node, bundler) = (Asserter::new(), Asserter::new());
    let c = client(&node, &bundler)
        .with_options(ClientOptions { gas_price_max_age: Duration::ZERO, ..Default::default() });
    bundler.push_failure(not_found()); // pimlico
    bundler.push_failure(not_found()); // biconomy
    bundler.push_failure(not_found()); // rundler
    node.push_success(&"0x64"); // eth_gasPrice 100
    node.push_success(&"0x5"); // eth_maxPriorityFeePerGas 5
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(200), U256::from(5)));
    node.push_success(&"0x10");
    node.push_success(&"0x1");
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(32), U256::from(1)));
    assert!(bundler.read_q().is_empty());
}

#[tokio::test]
async fn a_malformed_biconomy_answer_is_an_error_naming_the_value() {
    let (node, bundler) = (Asserter::new(), Asserter::new());
    let c = client(&node, &bundler).with_options(ClientOptions {
        gas_price: GasPriceSource::Biconomy,
        ..ClientOptions::default()
    });
    let tier = json!({ "maxFeePerGas": "12abc", "maxPriorityFeePerGas": "1" });
    bundler.push_success(&json!({ "slow": tier, "standard": tier, "fast": tier }));
    let e = c.gas_price().await.unwrap_err().to_string();
    assert!(e.contains("biconomy_getGasFeeValues") && e.contains("12abc"), "{e}");
}

#[tokio::test]
async fn auto_falls_back_to_rundler_with_the_node_base_price() {
    let (node, bundler) = (Asserter::new(), Asserter::new());
    let c = client(&node, &bundler);
    bundler.push_failure(not_found()); // pimlico
    bundler.push_failure(not_found()); // biconomy
    bundler.push_success(&"0x3"); // rundler_maxPriorityFeePerGas (Alchemy's answer shape)
    node.push_success(&"0x64"); // eth_gasPrice 100
    // fee cap: twice the node's price plus the tip
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(203), U256::from(3)));
    assert!(bundler.read_q().is_empty() && node.read_q().is_empty());
}

#[tokio::test]
async fn a_transient_failure_is_returned_and_never_switches_the_source() {
    let (node, bundler) = (Asserter::new(), Asserter::new());
    let c = client(&node, &bundler);
    // pimlico answers "internal error" once: an error, not a fallback to biconomy
    bundler.push_failure(ErrorPayload {
        code: -32603,
        message: "upstream timeout".into(),
        data: None,
    });
    let e = c.gas_price().await.unwrap_err();
    assert!(
        matches!(&e, FlowError::Bundler(b) if b.method == "pimlico_getUserOperationGasPrice"),
        "{e}"
    );
    assert!(bundler.read_q().is_empty(), "no second method was asked");
    // the next call asks pimlico again, which now answers
    let fast = json!({ "maxFeePerGas": "0x9", "maxPriorityFeePerGas": "0x4" });
    bundler.push_success(&json!({ "slow": fast, "standard": fast, "fast": fast }));
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(9), U256::from(4)));
}

#[tokio::test]
async fn fees_are_reused_within_their_age_and_read_again_when_dropped() {
    let (node, bundler) = (Asserter::new(), Asserter::new());
    let c = client(&node, &bundler).with_options(ClientOptions {
        gas_price_max_age: Duration::from_secs(60),
        ..Default::default()
    });
    let t = json!({ "maxFeePerGas": "0x64", "maxPriorityFeePerGas": "0x5" });
    bundler.push_success(&json!({ "slow": t, "standard": t, "fast": t }));
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(100), U256::from(5)));
    // within the age: no request (an unanswered request would fail on the empty queue)
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(100), U256::from(5)));
    assert!(bundler.read_q().is_empty());
    // after a fee refusal the fees are dropped and read again
    c.drop_fees();
    let t = json!({ "maxFeePerGas": "0xc8", "maxPriorityFeePerGas": "0x6" });
    bundler.push_success(&json!({ "slow": t, "standard": t, "fast": t }));
    assert_eq!(c.gas_price().await.unwrap(), (U256::from(200), U256::from(6)));
    assert!(bundler.read_q().is_empty());
}
