//! Off the devnet's defaults (issue 11) through the binary: `https://` endpoints (the devnet's
//! TLS front with a CA made at run time, trusted with `--ca-cert`), `--chain` presets, an
//! ERC-7677 paymaster from `$SMART_SESSIONS_PAYMASTER_URL` paying for an owner operation, and
//! the generations' default tables used with no `--deployments`/`--set` on a chain where code
//! sits at the canonical addresses (detection naming what is missing before that).
//!
//! What is placed at the canonical addresses is our own test bytecode, as in
//! crates/devnet/tests/canonical.rs (copied here, labelled): the devnet's `OwnerValidator` at
//! the owner-validator address, its `K1ValidatorFactory` (built for that validator) at the K1
//! factory address, its `Counter` runtime as a placeholder everywhere else (detection checks
//! only that code exists; `account` calls only the factory). For the current generation's MEE
//! accounts: the devnet's Nexus 1.0 NexusAccountFactory at the factory address and our own
//! `MeeBootstrapStandIn` (crates/devnet/contracts, labelled there) at the bootstrap address, so
//! the account created there is a Nexus 1.0 one, not the Nexus 1.2 account of a real chain.

use alloy_primitives::{Address, B256, Bytes, U256, hex};
use alloy_provider::{Provider, ProviderBuilder, ext::AnvilApi};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolValue;
use serde_json::{Value, json};
use smart_sessions_client::{AccountKind, Deployments, REGISTRY};
use smart_sessions_codec::Generation;
use smart_sessions_devnet::{Devnet, Options, TlsFront, compiled_contracts, create2, node_dir};
use std::{path::Path, process::Command};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn line(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .current_dir(dir)
        .env_remove("SMART_SESSIONS_OWNER_KEY")
        .env_remove("SMART_SESSIONS_SESSION_KEY")
        .env_remove("SMART_SESSIONS_RPC_URL")
        .env_remove("SMART_SESSIONS_BUNDLER_URL")
        .env_remove("SMART_SESSIONS_PAYMASTER_URL")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Usage errors before any network call: an unknown `--chain` lists the known names; a
/// `--ca-cert` that holds no certificate is named.
#[test]
fn chain_names_and_ca_files_are_checked_before_the_network() {
    let tmp = tempfile::tempdir().unwrap();
    let owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    let closed = "http://127.0.0.1:1/";
    let r = run(tmp.path(), &[], &["--json", "account", "--owner", owner, "--chain", "atlantis"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let e = r.line()["error"].as_str().unwrap().to_string();
    assert!(e.contains("unknown chain \"atlantis\"") && e.contains("base-sepolia"), "{e}");
    std::fs::write(tmp.path().join("empty.pem"), "not a certificate\n").unwrap();
    let args =
        ["--json", "account", "--owner", owner, "--rpc-url", closed, "--ca-cert", "empty.pem"];
    let r = run(tmp.path(), &[], &args);
    assert_eq!(r.code, 2, "{}", r.all());
    let e = r.line()["error"].as_str().unwrap().to_string();
    assert!(e.contains("--ca-cert") && e.contains("no CERTIFICATE block"), "{e}");
    let args =
        ["--json", "account", "--owner", owner, "--rpc-url", closed, "--ca-cert", "nope.pem"];
    let r = run(tmp.path(), &[], &args);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.line()["error"].as_str().unwrap().contains("--ca-cert nope.pem"), "{}", r.stdout);
}

fn code(contracts: &Value, name: &str, which: &str) -> Vec<u8> {
    hex::decode(contracts[name][which].as_str().expect("compiled")).unwrap()
}

/// Places the test bytecode (module docs) at every contract of `table` that has none, and has
/// the table's attesters attest the owner validator in the devnet's registry double.
async fn place(d: &Devnet, table: &Deployments) {
    let c = compiled_contracts(&node_dir()).unwrap();
    let p = d.provider_for(&d.deployer).unwrap();
    p.anvil_set_code(table.owner_validator, code(&c, "OwnerValidator", "deployedBytecode").into())
        .await
        .unwrap();
    if let Some(factory) = table.k1_validator_factory {
        let a = &d.addresses;
        let init = [
            code(&c, "K1ValidatorFactory", "bytecode"),
            (a.nexus_factory, a.nexus_bootstrap, table.owner_validator, REGISTRY)
                .abi_encode_params(),
        ]
        .concat();
        let built = create2(&p, d.deployer.address(), B256::ZERO, &init).await.unwrap();
        let runtime = p.get_code_at(built).await.unwrap();
        p.anvil_set_code(factory, runtime).await.unwrap();
    }
    if table.account() == AccountKind::MeeDefaultValidator {
        // the current generation's MEE account path (abstractjs 1.2.3): the devnet's Nexus 1.0
        // NexusAccountFactory runtime (same `createAccount(bytes,bytes32)` ABI as the MEE
        // factory) at the canonical factory address, and our own `MeeBootstrapStandIn` (labelled
        // in its source: it answers the SDK's bootstrap call by delegating to Nexus 1.0's
        // bootstrap) at the canonical bootstrap address
        let a = &d.addresses;
        let factory = table.nexus_factory.unwrap();
        p.anvil_set_code(factory, p.get_code_at(a.nexus_factory).await.unwrap()).await.unwrap();
        let init = [
            code(&c, "MeeBootstrapStandIn", "bytecode"),
            (a.nexus_bootstrap, table.owner_validator).abi_encode_params(),
        ]
        .concat();
        let built = create2(&p, d.deployer.address(), B256::ZERO, &init).await.unwrap();
        let runtime = p.get_code_at(built).await.unwrap();
        p.anvil_set_code(table.nexus_bootstrap.unwrap(), runtime).await.unwrap();
    }
    let placeholder: Bytes = code(&c, "Counter", "deployedBytecode").into();
    for (_, addr) in table.contracts() {
        if p.get_code_at(addr).await.unwrap().is_empty() {
            p.anvil_set_code(addr, placeholder.clone()).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_chain_paymaster_and_default_tables_through_the_binary() {
    // the devnet's providers are alloy's `connect_http` (reqwest without a default provider)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let d = Devnet::start_with(Options { chain_id: 31391, ..Options::default() })
        .await
        .expect("devnet");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("devnet.json"), serde_json::to_string(&d.addresses).unwrap()).unwrap();
    let front = TlsFront::start(&d).await.expect("TLS front");
    std::fs::write(dir.join("ca.pem"), front.ca.pem()).unwrap();
    let (rpc, bundler) = (front.rpc.url().to_string(), front.bundler_url().unwrap().to_string());
    assert!(rpc.starts_with("https://") && bundler.starts_with("https://"), "{rpc} {bundler}");
    let owner = PrivateKeySigner::random();
    let o = owner.address().to_string();
    fn with<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [&["--json", "--generation", "legacy"][..], args].concat()
    }

    // https without the test CA: refused by certificate verification (webpki roots only)
    let r = run(
        dir,
        &[],
        &with(&["account", "--owner", &o, "--deployments", "devnet.json", "--rpc-url", &rpc]),
    );
    assert_eq!(r.code, 1, "{}", r.all());
    let e = r.line()["error"].as_str().unwrap().to_string();
    assert!(e.contains("TLS with localhost") && e.contains("not trusted"), "{e}");
    // with --ca-cert: the same command over TLS
    let tls = ["--rpc-url", rpc.as_str(), "--ca-cert", "ca.pem", "--deployments", "devnet.json"];
    let r = run(dir, &[], &with(&[&["account", "--owner", &o][..], &tls[..]].concat()));
    assert_eq!(r.code, 0, "{}", r.all());
    let acct = r.line()["output"].clone();
    assert_eq!((acct["deployed"].clone(), acct["chainId"].clone()), (json!(false), json!(31391)));
    let account: Address = serde_json::from_value(acct["address"].clone()).unwrap();
    // --chain: the node's chain id is checked
    let r = run(
        dir,
        &[],
        &with(&[&["account", "--owner", &o, "--chain", "base-sepolia"][..], &tls[..]].concat()),
    );
    assert_eq!(r.code, 2, "{}", r.all());
    let e = r.line()["error"].as_str().unwrap().to_string();
    assert!(e.contains("chain id 84532") && e.contains("on chain 31391"), "{e}");

    // an owner operation paid by the devnet's ERC-7677 service (URL from the environment, with
    // a planted key): the account holds no ETH before or after, so only a sponsor could pay
    let node = d.provider_for(&d.deployer).unwrap();
    assert_eq!(node.get_balance(account).await.unwrap(), U256::ZERO);
    let service = d.paymaster().expect("paymaster service");
    let pm = format!("{}?apikey=PLANTEDPMKEY", service.url());
    let session = PrivateKeySigner::random();
    let request = json!({ "sessionPublicKey": session.address(), "actionPoliciesInfo": [{
        "contractAddress": d.addresses.token, "functionSelector": "0xa9059cbb", "sudo": true }] });
    std::fs::write(dir.join("request.json"), request.to_string()).unwrap();
    let key = hex::encode_prefixed(owner.to_bytes());
    let env = [
        ("SMART_SESSIONS_OWNER_KEY", key.as_str()),
        ("SMART_SESSIONS_BUNDLER_URL", bundler.as_str()),
        ("SMART_SESSIONS_PAYMASTER_URL", pm.as_str()),
    ];
    let r = run(
        dir,
        &env,
        &with(
            &[&["grant", "--request", "request.json", "--out", "s.json", "-vv"][..], &tls[..]]
                .concat(),
        ),
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.all().contains("PLANTEDPMKEY"), "{}", r.all());
    assert!(!node.get_code_at(account).await.unwrap().is_empty(), "deployed by the grant");
    assert_eq!(node.get_balance(account).await.unwrap(), U256::ZERO, "the sponsor paid");
    let calls = service.calls();
    assert!(calls.iter().any(|m| m == "pm_getPaymasterStubData"), "{calls:?}");
    // the paymaster service down: a typed error naming the service's method, nothing sent
    service.stop();
    let r = run(
        dir,
        &env,
        &with(
            &[&["revoke", "--permission-id", &format!("0x{}", "11".repeat(32))][..], &tls[..]]
                .concat(),
        ),
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.line()["error"].as_str().unwrap().contains("pm_getPaymaster"), "{}", r.stdout);
    assert!(!r.all().contains("PLANTEDPMKEY"));

    // the default tables, no --deployments and no --set: before the canonical contracts are
    // placed, `account` names what is missing
    let plain = ["--rpc-url", d.rpc_url.as_str()];
    let r = run(dir, &[], &with(&[&["account", "--owner", &o][..], &plain[..]].concat()));
    assert_eq!(r.code, 1, "{}", r.all());
    let e = r.line()["error"].as_str().unwrap().to_string();
    assert!(
        e.contains("ownerValidator") && e.contains("k1ValidatorFactory") && e.contains("legacy"),
        "{e}"
    );
    for (g, name) in [(Generation::Legacy, "legacy"), (Generation::V1, "v1")] {
        let table = Deployments::default_for(g);
        place(&d, &table).await;
        let args =
            ["--json", "--generation", name, "account", "--owner", &o, "--rpc-url", &d.rpc_url];
        let r = run(dir, &[], &args);
        assert_eq!(r.code, 0, "{name}: {}", r.all());
        // the address the shipped table gives through the client library (the CLI adds nothing)
        let plain_node = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
        let want = table.account_for(&plain_node, owner.address(), U256::ZERO).await.unwrap();
        assert_eq!(r.line()["output"]["address"], json!(want.address), "{name}");
        assert_eq!(r.line()["output"]["deployed"], json!(false), "{name}");
    }
    // current (abstractjs 1.2.3 MEE accounts): with code at every canonical address (the MEE
    // factory and bootstrap as described in `place`), `account` needs no --set either, and the
    // address it prints is where the factory call data the table builds creates the account
    let current = Deployments::default_for(Generation::Current);
    place(&d, &current).await;
    let args =
        ["--json", "--generation", "current", "account", "--owner", &o, "--rpc-url", &d.rpc_url];
    let r = run(dir, &[], &args);
    assert_eq!(r.code, 0, "current: {}", r.all());
    assert_eq!(r.line()["output"]["deployed"], json!(false), "{}", r.stdout);
    let printed: Address = serde_json::from_value(r.line()["output"]["address"].clone()).unwrap();
    let (factory, data) = current.mee_factory_data(owner.address(), U256::ZERO).unwrap();
    assert!(node.get_code_at(printed).await.unwrap().is_empty());
    let deployer = d.provider_for(&d.deployer).unwrap();
    let tx = alloy_rpc_types_eth::TransactionRequest::default().to(factory).input(data.into());
    let receipt = deployer.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "the MEE factory call of the shipped table reverted");
    assert!(
        !node.get_code_at(printed).await.unwrap().is_empty(),
        "no account at the address `account` printed ({printed})"
    );
    let r = run(dir, &[], &args);
    assert_eq!(r.code, 0, "current after creation: {}", r.all());
    assert_eq!(r.line()["output"]["deployed"], json!(true), "{}", r.stdout);
    assert_eq!(r.line()["output"]["address"], json!(printed), "{}", r.stdout);

    // one canonical contract removed is named exactly
    let factory = current.nexus_factory.unwrap();
    node.anvil_set_code(factory, Bytes::new()).await.unwrap();
    let r = run(dir, &[], &args);
    assert_eq!(r.code, 1, "{}", r.all());
    let e = r.line()["error"].as_str().unwrap().to_string();
    assert!(
        e.contains(&format!("nexusFactory {factory}")) && e.contains("current deployment table"),
        "{e}"
    );
    assert!(!e.contains("ownerValidator"), "only the missing contract: {e}");
}
