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
