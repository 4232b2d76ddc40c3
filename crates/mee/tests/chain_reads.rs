//! The session flows' chain reads go through the bindings' contract instances: what each read
//! sends (checked against the EIP-20 selector `0x70a08231` of `balanceOf(address)`, written out
//! here from the standard) and how each failure comes back, against a JSON-RPC stand-in of our
//! own (`tests/node_server`, not a chain) that answers what the test decides:
//! - an answer that does not decode → [`FlowError::ChainAnswer`] with the answer's length;
//! - a JSON-RPC error (a revert) → [`FlowError::Chain`] whose `source()` is the alloy
//!   `TransportError` carrying the node's error payload (code, revert data);
//! - nothing listening → [`FlowError::Chain`] with the transport error.

mod node_server;

use alloy_primitives::{Address, address};
use alloy_provider::{Provider, ProviderBuilder, transport::TransportError};
use node_server::{Server, json_response};
use serde_json::{Value, json};
use smart_sessions_mee::{
    DEFAULT_MEE_VERSION,
    flows::{FlowError, MeeSessions},
    node::MeeClient,
};

const CHAIN: u64 = 8453;
const TOKEN: Address = address!("0x00000000000000000000000000000000000000f7");
const OWNER: Address = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");

/// A JSON-RPC answer to `req` with `body` (`result` or `error`) and the request's id.
fn answer(req: &node_server::Recorded, body: Value) -> node_server::Action {
    let id = serde_json::from_str::<Value>(&req.body).map(|v| v["id"].clone()).unwrap_or_default();
    let mut out = json!({ "jsonrpc": "2.0", "id": id });
    for (k, v) in body.as_object().unwrap() {
        out[k] = v.clone();
    }
    json_response(200, &out.to_string())
}

fn sessions(rpc: &str) -> MeeSessions {
    // alloy's HTTP transport is reqwest with rustls and no provider chosen: the process picks one
    let _ = rustls::crypto::ring::default_provider().install_default();
    // the node client is never called by these reads
    let node = MeeClient::builder("http://127.0.0.1:9/v1").build().unwrap();
    let provider = ProviderBuilder::new().connect_http(rpc.parse().unwrap()).erased();
    MeeSessions::new(node, DEFAULT_MEE_VERSION.config()).chain(CHAIN, provider)
}

#[tokio::test]
async fn an_answer_that_does_not_decode_names_the_read_and_its_length() {
    let server = Server::start(|req| answer(req, json!({ "result": "0x1234" }))).await;
    let err = sessions(&server.url("/")).token_balance(CHAIN, TOKEN, OWNER).await.unwrap_err();
    assert!(
        matches!(err, FlowError::ChainAnswer { chain_id: CHAIN, what: "balanceOf", len: 2 }),
        "{err:?}"
    );
    // the one request: eth_call to the token with balanceOf(owner)
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body: Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(body["method"], "eth_call");
    let tx = &body["params"][0];
    assert_eq!(tx["to"].as_str().unwrap().parse::<Address>().unwrap(), TOKEN);
    let input = tx["input"].as_str().or_else(|| tx["data"].as_str()).unwrap();
    let expected = format!("0x70a08231{:0>64}", alloy_primitives::hex::encode(OWNER));
    assert_eq!(input, expected);
}

#[tokio::test]
async fn a_revert_keeps_the_transport_error_and_its_payload_as_the_source() {
    let server = Server::start(|req| {
        answer(
            req,
            json!({ "error": { "code": 3, "message": "execution reverted", "data": "0xdeadbeef" } }),
        )
    })
    .await;
    let err = sessions(&server.url("/")).token_balance(CHAIN, TOKEN, OWNER).await.unwrap_err();
    let FlowError::Chain { chain_id: CHAIN, what: "balanceOf", source } = &err else {
        panic!("expected a chain error, got {err:?}");
    };
    let payload = source.as_error_resp().expect("the node's error payload");
    assert_eq!(payload.code, 3);
    assert_eq!(payload.as_revert_data().unwrap().as_ref(), [0xde, 0xad, 0xbe, 0xef]);
    // the chain walks from the flow error to the transport error
    let first = std::error::Error::source(&err).expect("a source");
    assert!(first.downcast_ref::<TransportError>().is_some(), "{first:?}");
}

#[tokio::test]
async fn nothing_listening_is_a_transport_error_of_the_read() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let err = sessions(&url).token_balance(CHAIN, TOKEN, OWNER).await.unwrap_err();
    let FlowError::Chain { chain_id: CHAIN, what: "balanceOf", source } = &err else {
        panic!("expected a chain error, got {err:?}");
    };
    assert!(source.is_transport_error(), "{source:?}");
}
