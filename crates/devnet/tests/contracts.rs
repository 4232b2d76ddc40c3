//! `smart_sessions_devnet::contracts` against solc's ABI of Devnet.sol: every function and event
//! of `TestToken` (its `mint` in the devnet's `TestToken`, the rest in the bindings' EIP-20
//! `ERC20`) and `Counter` in the compiler's output has a binding with the same selector (topic),
//! and the bindings declare nothing the contracts lack; `AttesterRegistry`'s functions
//! and event are among the devnet `Registry`'s. The expected selectors are
//! computed here from the compiler's ABI JSON (name and input types), not from the bindings.

use alloy_primitives::{B256, keccak256};
use serde_json::Value;
use smart_sessions_bindings::erc20::ERC20;
use smart_sessions_devnet::{
    compiled_contracts,
    contracts::{AttesterRegistry, Counter, TestToken},
    ensure_node_modules,
};
use std::collections::BTreeSet;

/// `(function selectors, event topics)` of a contract in solc's ABI.
fn abi_ids(compiled: &Value, contract: &str) -> (BTreeSet<[u8; 4]>, BTreeSet<B256>) {
    let abi = compiled[contract]["abi"].as_array().unwrap_or_else(|| panic!("{contract}: no ABI"));
    let sig = |item: &Value| {
        let types: Vec<&str> = item["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["type"].as_str().unwrap())
            .collect();
        format!("{}({})", item["name"].as_str().unwrap(), types.join(","))
    };
    let mut functions = BTreeSet::new();
    let mut events = BTreeSet::new();
    for item in abi {
        match item["type"].as_str() {
            Some("function") => {
                functions.insert(keccak256(sig(item))[..4].try_into().unwrap());
            }
            Some("event") => {
                events.insert(keccak256(sig(item)));
            }
            _ => {}
        }
    }
    (functions, events)
}

#[test]
fn the_bindings_are_the_compiled_contracts_abi() {
    let compiled = compiled_contracts(&ensure_node_modules().unwrap()).unwrap();

    let (functions, events) = abi_ids(&compiled, "TestToken");
    let bound: BTreeSet<[u8; 4]> = TestToken::TestTokenCalls::SELECTORS
        .iter()
        .chain(ERC20::ERC20Calls::SELECTORS)
        .copied()
        .collect();
    assert_eq!(bound, functions, "TestToken functions (TestToken's mint and EIP-20's)");
    let topics: BTreeSet<B256> =
        ERC20::ERC20Events::SELECTORS.iter().map(|t| B256::from(*t)).collect();
    assert_eq!(topics, events, "TestToken events (EIP-20's)");
    assert_eq!(
        functions.len(),
        10,
        "name, symbol, decimals, totalSupply, balanceOf, allowance, mint, transfer, approve, transferFrom"
    );

    let (functions, events) = abi_ids(&compiled, "Counter");
    let bound: BTreeSet<[u8; 4]> = Counter::CounterCalls::SELECTORS.iter().copied().collect();
    assert_eq!(bound, functions, "Counter functions");
    let topics: BTreeSet<B256> =
        Counter::CounterEvents::SELECTORS.iter().map(|t| B256::from(*t)).collect();
    assert_eq!(topics, events, "Counter events");

    // the registry double's attestation half: a subset of its ABI
    let (functions, events) = abi_ids(&compiled, "Registry");
    for s in AttesterRegistry::AttesterRegistryCalls::SELECTORS {
        assert!(functions.contains(s), "Registry has no function {s:?}");
    }
    for t in AttesterRegistry::AttesterRegistryEvents::SELECTORS {
        assert!(events.contains(&B256::from(*t)), "Registry has no event {t:?}");
    }
}
