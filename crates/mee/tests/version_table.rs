//! Custom version tables ([`MeeVersionConfig::from_json`]): what is read, what is refused, and
//! the Nexus 1.0 single-validator initCode such a table gives. The initCode is compared with the
//! node's own derivation on chain in `tests/flows_devnet.rs`; here with an independent ABI
//! encoding written out in the test (the selector from the Solidity signature, the arguments as
//! a plain tuple), not through the bindings the code under test uses.

use alloy_primitives::{Address, Bytes, U256, address, keccak256};
use alloy_sol_types::SolValue;
use serde_json::{Value, json};
use smart_sessions_codec::Generation;
use smart_sessions_mee::{MeeError, MeeVersion, MeeVersionConfig, PolicyAddresses, account};

const VALIDATOR: Address = address!("0x00000000000000000000000000000000000000c1");
const BOOTSTRAP: Address = address!("0x00000000000000000000000000000000000000b1");
const SUDO: Address = address!("0x00000000000000000000000000000000000000d1");

fn table() -> Value {
    json!({
        "version": "1.1.0", "accountId": "biconomy.nexus.1.0.0",
        "factoryAddress": "0x00000000000000000000000000000000000000f1",
        "bootStrapAddress": BOOTSTRAP,
        "implementationAddress": "0x00000000000000000000000000000000000000a1",
        "validatorAddress": VALIDATOR, "defaultValidatorAddress": VALIDATOR,
        "moduleRegistry": { "registryAddress": Address::ZERO, "attesters": [], "attesterThreshold": 0 },
        "composableModuleAddress": Address::ZERO, "ethForwarderAddress": Address::ZERO,
        "composabilityVersion": "1.0.0", "sudoPolicyAddress": SUDO,
    })
}

#[test]
fn the_local_table_loads_with_pre_2_0_rules() {
    let v = MeeVersionConfig::from_json(&table(), Generation::Legacy).unwrap();
    assert_eq!(v.version, MeeVersion::V1_1_0);
    assert_eq!(v.default_validator, VALIDATOR, "owner nonce keys name the MEE validator");
    assert!(!v.executes_composable);
    assert_eq!(v.eth_forwarder, None);
    let canonical = PolicyAddresses::of(Generation::Legacy);
    assert_eq!(
        v.policies(),
        PolicyAddresses { sudo: SUDO, ..canonical },
        "the table's sudo, the generation's others"
    );
    // the SDK shape goes to the node (the policy addresses do not)
    let sent = serde_json::to_value(v).unwrap();
    assert_eq!(sent["version"], "1.1.0");
    assert!(sent.get("sudoPolicyAddress").is_none());

    let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    let init = account::account_init_data(&v, owner).unwrap();
    let signature = "initNexusWithSingleValidator(address,bytes,address,address[],uint8)";
    let mut call = keccak256(signature)[..4].to_vec();
    // `uint8 threshold` 0 takes one word, as a `uint256` 0 does
    let args = (
        VALIDATOR,
        Bytes::copy_from_slice(owner.as_slice()),
        Address::ZERO,
        Vec::<Address>::new(),
        U256::ZERO,
    );
    call.extend_from_slice(&args.abi_encode_params());
    assert_eq!(init, (BOOTSTRAP, Bytes::from(call)).abi_encode_params());
}

#[test]
fn bad_tables_are_refused_naming_the_field() {
    let field_of = |t: &Value| match MeeVersionConfig::from_json(t, Generation::Legacy) {
        Err(MeeError::InvalidField { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    };
    let mut t = table();
    t["accountId"] = "biconomy.nexus.9.9.9".into();
    assert_eq!(field_of(&t), "meeVersion.accountId");
    let mut t = table();
    t["validatorAddress"] = "0x12".into();
    assert_eq!(field_of(&t), "meeVersion.validatorAddress");
    let mut t = table();
    t["moduleRegistry"]["registryAddress"] = json!(VALIDATOR);
    assert_eq!(field_of(&t), "meeVersion.moduleRegistry.registryAddress");
    let mut t = table();
    t["version"] = "4.0.0".into();
    assert!(matches!(
        MeeVersionConfig::from_json(&t, Generation::Legacy),
        Err(MeeError::UnknownVersion { .. })
    ));
    // the SDK's own 1.x tables (a composable module) keep refusing initCode
    let mut t = table();
    t["composableModuleAddress"] = json!(VALIDATOR);
    let v = MeeVersionConfig::from_json(&t, Generation::Legacy).unwrap();
    assert!(v.executes_composable);
    assert!(account::account_init_data(&v, VALIDATOR).is_err());
}
