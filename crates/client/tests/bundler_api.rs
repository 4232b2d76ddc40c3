//! `BundlerApi` beside alloy's `Erc4337Api`: both traits imported in one file, each method
//! called unambiguously (no E0034), and the bundler API's futures run on `tokio::spawn`.
//! Answers come from alloy's mock transport (queued JSON-RPC answers).

use alloy_primitives::{Address, B256};
use alloy_provider::{ProviderBuilder, ext::Erc4337Api};
use alloy_transport::mock::Asserter;
use smart_sessions_client::{BundlerApi, ENTRY_POINT_V07};

#[tokio::test]
async fn both_traits_in_scope_and_the_bundler_api_on_a_spawned_task() {
    let asserter = Asserter::new();
    let bundler = ProviderBuilder::new().connect_mocked_client(asserter.clone());
    // alloy's method and ours, both in scope
    asserter.push_success(&vec![ENTRY_POINT_V07]);
    assert_eq!(bundler.supported_entry_points().await.unwrap(), vec![ENTRY_POINT_V07]);
    asserter.push_success(&vec![ENTRY_POINT_V07, Address::repeat_byte(8)]);
    assert_eq!(
        bundler.bundler_entry_points().await.unwrap(),
        vec![ENTRY_POINT_V07, Address::repeat_byte(8)]
    );
    // the futures are Send: they run on the runtime's worker threads
    asserter.push_success(&serde_json::Value::Null);
    let receipt = tokio::spawn(async move { bundler.user_op_receipt(B256::ZERO).await })
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.is_none(), "null: not included yet");
    assert!(asserter.read_q().is_empty());
}

/// A node that is not there (a closed port on 127.0.0.1): the flow's error is a
/// `ClientError::Transport` naming the step, retryable, and its `source()` chain reaches the
/// transport's own error.
#[tokio::test]
async fn an_unreachable_node_is_a_typed_error_whose_chain_reaches_the_transport() {
    use smart_sessions_client::{ClientError, Deployments, FlowError, NexusAccount, NexusClient};
    use std::error::Error as _;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // the listener is dropped: nothing listens on the port any more
    let url = format!("http://127.0.0.1:{port}");
    let node = ProviderBuilder::new().connect_http(url.parse().unwrap());
    let bundler = ProviderBuilder::new().connect_http(url.parse().unwrap());
    let account = NexusAccount::existing(Address::repeat_byte(1), ENTRY_POINT_V07);
    let e =
        NexusClient::new(node, bundler, Deployments::legacy_nexus_k1(), account).await.unwrap_err();
    assert!(
        matches!(&e, FlowError::Client(ClientError::Transport { step: "eth_chainId", .. })),
        "{e}"
    );
    assert!(e.is_retryable(), "{e}");
    assert!(e.to_string().starts_with("eth_chainId: node call failed"), "{e}");
    // FlowError::Client is transparent over the ClientError, whose source is the
    // TransportError, whose source is the HTTP client's error
    let transport = e.source().expect("the TransportError");
    assert!(transport.downcast_ref::<alloy_transport::TransportError>().is_some(), "{transport}");
    assert!(transport.source().is_some(), "the HTTP client's own error below it");
}
