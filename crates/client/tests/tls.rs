//! TLS end to end: the devnet's anvil and Alto behind TLS terminators of our own (a test CA made
//! at run time), a grant and a use over `https://` with the CA trusted through
//! `Endpoint::trust_pem`, and the typed error naming the host when it is not trusted.

use alloy_primitives::U256;
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use serde_json::json;
use smart_sessions_client::{
    Endpoint, EndpointError, EndpointUrl, NexusClient, Precheck, SessionRequest,
};
use smart_sessions_codec::Execution;
use smart_sessions_devnet::{Devnet, Options, TlsFront};

mod common;

sol! {
    function transfer(address to, uint256 amount) returns (bool);
    function balanceOf(address who) returns (uint256);
}

fn endpoint(url: &str, ca: Option<&str>) -> impl Provider + Clone {
    let mut ep = Endpoint::new(url.parse::<EndpointUrl>().unwrap());
    if let Some(pem) = ca {
        ep = ep.trust_pem(pem.as_bytes()).unwrap();
    }
    ProviderBuilder::new().connect_client(ep.rpc_client().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn grant_and_use_over_https_with_the_test_ca_trusted() {
    let d = Devnet::start_with(Options { chain_id: 31377, ..Options::default() })
        .await
        .expect("devnet");
    let front = TlsFront::start(&d).await.expect("TLS terminators");
    let (rpc_url, bundler_url) = (front.rpc.url(), front.bundler_url().unwrap());
    assert!(rpc_url.starts_with("https://localhost:"), "{rpc_url}");
    let pem = front.ca.pem();
    let node = endpoint(rpc_url, Some(pem));
    let bundler = endpoint(bundler_url, Some(pem));
    assert_eq!(node.get_chain_id().await.unwrap(), 31377);

    let a = d.addresses.clone();
    let owner = PrivateKeySigner::random();
    let key = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&node, &d, owner.address()).await;
    let client =
        NexusClient::new(node.clone(), bundler, common::deployments(&d), account).await.unwrap();
    let request: SessionRequest = serde_json::from_value(json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [{ "contractAddress": a.token, "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": false, "ref": 10 }] }]
    }))
    .unwrap();
    let grant = client.grant_permission(&owner, &[request]).await.unwrap();
    assert!(grant.sent.receipt.success);
    let call = Execution::new(
        a.token,
        U256::ZERO,
        transferCall { to: a.counter, amount: U256::ZERO }.abi_encode(),
    );
    let used = client
        .use_permission(&key, &grant.sessions[0], std::slice::from_ref(&call), Precheck::On)
        .await
        .unwrap();
    assert!(used.receipt.success, "the session's operation succeeded over https");
    // every request of both flows went through the terminators
    assert!(front.rpc.seen("eth_chainId") >= 1);
    assert_eq!(front.bundler.as_ref().unwrap().seen("eth_sendUserOperation"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_certificate_is_a_typed_tls_error_naming_the_host() {
    let d = Devnet::start_with(Options { chain_id: 31378, bundler: false, ..Options::default() })
        .await
        .expect("devnet");
    let front = TlsFront::start(&d).await.expect("TLS terminator");
    let url = format!("{}/v1?apikey=PLANTED-SECRET", front.rpc.url());
    // the webpki roots alone do not know the test CA
    let node = endpoint(&url, None);
    let err = node.get_chain_id().await.unwrap_err();
    match EndpointError::find(&err) {
        Some(EndpointError::Tls { host, url, .. }) => {
            assert_eq!(host, "localhost");
            assert!(url.to_string().starts_with("https://localhost:"));
        }
        other => panic!("expected EndpointError::Tls, got {other:?} from {err:?}"),
    }
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("localhost"), "{shown}");
    assert!(!shown.contains("PLANTED-SECRET"), "the URL's query leaked: {shown}");
    // and through the client's own entry point
    let bundler = endpoint(&url, None);
    let account = smart_sessions_client::NexusAccount {
        address: alloy_primitives::Address::repeat_byte(1),
        deployment: smart_sessions_client::NexusDeployment {
            entry_point: d.addresses.entry_point,
            factory: d.addresses.nexus_factory,
            bootstrap: d.addresses.nexus_bootstrap,
        },
        factory_data: Default::default(),
    };
    let Err(flow) = NexusClient::new(node, bundler, common::deployments(&d), account).await else {
        panic!("eth_chainId over an untrusted certificate succeeded");
    };
    let shown = format!("{flow} {flow:?}");
    assert!(shown.contains("TLS with localhost"), "{shown}");
    assert!(!shown.contains("PLANTED-SECRET"), "{shown}");
}
