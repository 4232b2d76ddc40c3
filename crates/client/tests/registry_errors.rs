//! Issue 17: the ERC-7484 registry's errors as the reference registry raises them, on the
//! devnet. The devnet's registry is a DOUBLE of our own (crates/devnet/contracts/Devnet.sol)
//! that raises the reference's errors; these tests compare what it raises with the selectors
//! of the registry ABI the bindings take from `@rhinestone/module-sdk` 0.1.32 (and, for the
//! four that matter here, with selectors computed independently with viem's
//! `toFunctionSelector`), and check that the client decodes the refusal of a grant by name.

use alloy_contract::RawCallBuilder;
use alloy_primitives::{Address, Bytes};
use alloy_provider::Provider;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolError, SolInterface};
use serde_json::json;
use smart_sessions_bindings::common::registry::Registry::{self, RegistryErrors};
use smart_sessions_client::{FlowError, NexusClient, Refusal, SessionRequest};
use smart_sessions_devnet::{Devnet, Options};

mod common;

/// The revert data of the `eth_call` of a registry instance's call (panics if it does not
/// revert).
async fn revert_data<P: Provider>(call: RawCallBuilder<P>) -> Bytes {
    let err = call.from(Address::repeat_byte(0x42)).call().await.expect_err("the registry reverts");
    err.as_revert_data().unwrap_or_else(|| panic!("no revert data: {err}"))
}

#[test]
fn the_bindings_selectors_are_the_reference_registrys() {
    // viem: toFunctionSelector('InsufficientAttestations()') etc. The selector 0x0124f8d7 the
    // issue 13 note recorded is toFunctionSelector('InsufficientAttestations(address,address,
    // uint256,uint256)'): the devnet's earlier registry's own signature, no reference error.
    assert_eq!(Registry::InsufficientAttestations::SELECTOR, [0xe4, 0x24, 0xf9, 0x94]);
    assert_eq!(Registry::NoTrustedAttestersFound::SELECTOR, [0x05, 0xa7, 0x4e, 0x61]);
    assert_eq!(Registry::InvalidTrustedAttesterInput::SELECTOR, [0xcd, 0x0e, 0xcf, 0xf1]);
    assert_eq!(Registry::AttestationNotFound::SELECTOR, [0x12, 0x0a, 0x2e, 0x77]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_devnet_registry_raises_the_reference_errors() {
    let d = Devnet::start_with(Options {
        chain_id: 31391,
        bundler: false,
        paymaster: false,
        ..Options::default()
    })
    .await
    .expect("devnet");
    let a = d.addresses.clone();
    let node = d.provider_for(&d.deployer).unwrap();
    let (lo, hi) = (Address::repeat_byte(0x01), Address::repeat_byte(0x02));
    let registry = Registry::new(a.registry, &node);
    let trust =
        |threshold, attesters| registry.trustAttesters(threshold, attesters).clear_decoder();
    let cases: [(RawCallBuilder<_>, [u8; 4], &str); 5] = [
        (
            trust(1, vec![hi, lo]),
            Registry::InvalidTrustedAttesterInput::SELECTOR,
            "unsorted attesters",
        ),
        (
            trust(1, vec![lo, lo]),
            Registry::InvalidTrustedAttesterInput::SELECTOR,
            "a repeated attester",
        ),
        (trust(1, vec![]), Registry::InvalidTrustedAttesterInput::SELECTOR, "no attesters"),
        (
            trust(3, vec![lo, hi]),
            Registry::InvalidThreshold::SELECTOR,
            "a threshold above the count",
        ),
        (
            registry.checkForAccount_0(Address::repeat_byte(0x99), a.token).clear_decoder(),
            Registry::NoTrustedAttestersFound::SELECTOR,
            "an account trusting no one",
        ),
    ];
    for (input, selector, what) in cases {
        let data = revert_data(input).await;
        assert_eq!(data.len(), 4, "{what}: the reference's errors carry no arguments: {data}");
        assert_eq!(data[..4], selector, "{what}: {data}");
        let decoded = RegistryErrors::abi_decode(&data).unwrap();
        assert_eq!(decoded.selector(), selector, "{what}");
    }
}

/// A grant for an account that trusts two attesters with threshold 2, of which only the
/// devnet's attested SmartSession's modules (issue 17 item 4's situation): the registry
/// refuses with `InsufficientAttestations()` (selector 0xe424f994, no arguments, as the
/// reference raises it), and the client's error names it instead of printing raw hex.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_grant_names_insufficient_attestations() {
    let d = Devnet::start_with(Options { chain_id: 31392, paymaster: false, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let (node, bundler, _, _) = common::counted(&d);
    let owner = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&node, &d, owner.address()).await;
    let c =
        NexusClient::new(node.clone(), bundler, common::deployments(&d), account).await.unwrap();
    c.trust_attesters(&owner, &[a.attester, Address::repeat_byte(0x77)], 2).await.unwrap();
    let key = PrivateKeySigner::random();
    let request: SessionRequest = serde_json::from_value(json!({
        "sessionPublicKey": key.address(),
        "actionPoliciesInfo": [{ "contractAddress": a.token, "functionSelector": "0xa9059cbb",
            "sudo": true }]
    }))
    .unwrap();
    let err = c.grant_permission(&owner, &[request]).await.expect_err("refused by the registry");
    let text = err.to_string();
    match &err {
        FlowError::Bundler(b) => assert!(
            matches!(b.refusal, Refusal::Registry(RegistryErrors::InsufficientAttestations(_))),
            "{:?} ({text})",
            b.refusal
        ),
        other => panic!("not a bundler refusal: {other:?}"),
    }
    assert!(text.contains("InsufficientAttestations"), "{text}");
    assert!(!text.contains("0124f8d7"), "{text}");
    // nothing changed on chain: the account still trusts the two with threshold 2
    let t = smart_sessions_client::account_trust(&node, a.registry, c.address()).await.unwrap();
    assert_eq!((t.attesters.len(), t.threshold), (2, 2));
}
