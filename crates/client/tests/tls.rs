//! TLS end to end: the devnet's anvil and Alto behind TLS terminators of our own (a test CA made
//! at run time), a grant and a use over `https://` with the CA trusted through
//! `Endpoint::trust_pem`, and the typed error naming the host when it is not trusted.

use alloy_primitives::U256;
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::json;
use smart_sessions_bindings::erc20::ERC20::transferCall;
use smart_sessions_client::{
    Endpoint, EndpointError, EndpointUrl, NexusClient, Precheck, SessionRequest,
};
use smart_sessions_codec::Execution;
use smart_sessions_devnet::{Devnet, Options, TlsFront};

mod common;

fn endpoint(url: &str, ca: Option<&str>) -> impl Provider + Clone + use<> {
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

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Planted secrets in the query, userinfo and fragment of both URLs; a grant (owner operation
/// through the bundler) runs with a TRACE subscriber capturing every event and span (with their
/// fields); the secrets appear nowhere in the output. The same subscriber does see alloy's own
/// transport's `url` field when alloy builds the transport itself (`connect_http`): proof that
/// the capture would catch a leak. A current-thread runtime keeps every task on the thread of
/// the subscriber.
#[tokio::test]
async fn planted_url_secrets_never_reach_tracing_output_or_errors() {
    const SECRET: &str = "PLANTED-KEY-8c1f";
    let d = Devnet::start_with(Options { chain_id: 31379, ..Options::default() })
        .await
        .expect("devnet");
    // plain-HTTP proxies: they forward whatever path and query to anvil / Alto
    let node_proxy = smart_sessions_devnet::proxy::Proxy::start(&d.rpc_url).await.unwrap();
    let bundler_proxy =
        smart_sessions_devnet::proxy::Proxy::start(d.bundler_url.as_deref().unwrap())
            .await
            .unwrap();
    let secret_url = |base: &str| {
        base.replacen("http://", &format!("http://user-{SECRET}:pw-{SECRET}@"), 1)
            + &format!("/v2/rpc?apikey={SECRET}#{SECRET}")
    };
    let (node_url, bundler_url) = (secret_url(node_proxy.url()), secret_url(bundler_proxy.url()));

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);

    let node = endpoint(&node_url, None);
    let bundler = endpoint(&bundler_url, None);
    let owner = PrivateKeySigner::random();
    let key = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&node, &d, owner.address()).await;
    let client = NexusClient::new(node, bundler, common::deployments(&d), account).await.unwrap();
    let request: SessionRequest = serde_json::from_value(json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [{ "contractAddress": d.addresses.token, "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": false, "ref": 10 }] }]
    }))
    .unwrap();
    let grant = client.grant_permission(&owner, &[request]).await.unwrap();
    assert!(grant.sent.receipt.success);
    // a failing endpoint: the error and its log lines
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let down = endpoint(&secret_url(&format!("http://{closed}")), None);
    let err = down.get_chain_id().await.unwrap_err();
    assert!(
        matches!(EndpointError::find(&err), Some(EndpointError::Connect { host, .. }) if host == "127.0.0.1"),
        "{err:?}"
    );
    let shown_error = format!("{err} {err:?}");
    let ours = captured.text();

    drop(guard);

    // the contrast, under a second subscriber: alloy's own transport records the whole URL in
    // its DEBUG span `ReqwestTransport`
    let contrast = Captured::default();
    let writer = contrast.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let alloy_own = ProviderBuilder::new().connect_http(node_url.parse().unwrap());
    alloy_own.get_chain_id().await.unwrap();
    drop(guard);
    let theirs = contrast.text();

    assert!(ours.contains("http{url=http://<redacted>@127.0.0.1:"), "our span is there:\n{ours}");
    assert!(ours.contains("eth_sendUserOperation"), "the operation was traced");
    assert!(!ours.contains(SECRET), "a planted secret reached the tracing output:\n{ours}");
    assert!(!shown_error.contains(SECRET), "{shown_error}");
    assert!(
        theirs.contains("ReqwestTransport{url=") && theirs.contains(&format!("apikey={SECRET}")),
        "alloy's ReqwestTransport span carries the URL (the capture sees it):\n{theirs}"
    );
}
