//! `trust-attesters` and the trust `account` shows, through the binary against the devnet
//! (legacy generation, the devnet's ERC-7484 registry, which stores trusted attesters per
//! account). The list `account` prints is compared with the registry's `findTrustedAttesters`
//! read here directly, not through the CLI.

use alloy_primitives::{Address, U256, address};
use alloy_provider::{Provider, ext::AnvilApi};
use alloy_signer_local::PrivateKeySigner;
use serde_json::{Value, json};
use smart_sessions_devnet::{Devnet, Options};
use std::{path::Path, process::Command};

fn run<S: AsRef<std::ffi::OsStr>>(
    dir: &Path,
    env: &[(&str, &str)],
    args: &[S],
) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .current_dir(dir)
        .env_remove("SMART_SESSIONS_SESSION_KEY")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let v = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v, format!("{stdout}\n{stderr}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_attesters_then_account_shows_them() {
    smart_sessions_cli::tls::install_crypto_provider();
    let d = Devnet::start_with(Options { chain_id: 31372, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("devnet.json"), serde_json::to_string(&a).unwrap()).unwrap();
    let owner = PrivateKeySigner::random();
    let owner_key = alloy_primitives::hex::encode_prefixed(owner.to_bytes());
    let bundler = d.bundler_url.clone().unwrap();
    let env = [
        ("SMART_SESSIONS_RPC_URL", d.rpc_url.as_str()),
        ("SMART_SESSIONS_BUNDLER_URL", bundler.as_str()),
        ("SMART_SESSIONS_OWNER_KEY", owner_key.as_str()),
    ];
    let net = |cmd: &str, extra: &[&str]| {
        let mut v = vec!["--json", "--generation", "legacy", cmd, "--deployments", "devnet.json"];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };

    // the account, derived from the owner key: not deployed, trusting no one yet
    let (code, v, all) = run(dir, &env, &net("account", &[]));
    assert_eq!(code, 0, "{all}");
    let acct = &v["output"];
    assert_eq!(acct["deployed"], json!(false));
    assert_eq!(acct["registry"], json!(a.registry));
    assert_eq!(acct["trustedAttesters"], json!([]));
    let account: Address = serde_json::from_value(acct["address"].clone()).unwrap();
    let node = d.provider_for(&d.deployer).unwrap();
    node.anvil_set_balance(account, U256::from(10u64).pow(U256::from(18u64))).await.unwrap();

    let (x, y) = (
        address!("0xA4C777199658a41688E9488c4EcbD7a2925Cc23A"),
        address!("0x000000333034E9f539ce08819E12c1b8Cb29084d"),
    );
    let list = format!("{x},{y}");
    // refused before anything is sent: a threshold above the count, a repeated attester
    let (code, v, all) =
        run(dir, &env, &net("trust-attesters", &["--attesters", &list, "--threshold", "3"]));
    assert_eq!(code, 2, "{all}");
    assert!(
        v["error"].as_str().unwrap().starts_with("--threshold 3: must be between 1 and"),
        "{v}"
    );
    let twice = format!("{x},{x}");
    let (code, v, _) = run(dir, &env, &net("trust-attesters", &["--attesters", &twice]));
    assert_eq!(code, 2);
    assert!(v["error"].as_str().unwrap().contains("given twice"), "{v}");

    // trust both, threshold 2: one user operation (deploying the account), the list and the
    // threshold read back
    let (code, v, all) =
        run(dir, &env, &net("trust-attesters", &["--attesters", &list, "--threshold", "2"]));
    assert_eq!(code, 0, "{all}");
    let out = &v["output"];
    assert_eq!(out["account"], json!(account));
    assert!(out["userOpHash"].as_str().is_some_and(|h| h.len() == 66), "{out}");
    assert_eq!(out["trustedAttesters"], json!([y, x]), "sorted ascending");
    assert_eq!(out["attesterThreshold"], json!(2));

    // the registry, read directly (one `findTrustedAttesters` eth_call through the bindings)
    let on_chain =
        smart_sessions_client::trusted_attesters(&node, a.registry, account).await.unwrap();
    assert_eq!(on_chain, vec![y, x]);
    // the threshold, read directly from the registry's storage: the ERC-7484 reference layout
    // (`$accountToAttester` at slot 3, the record's word: count in byte 31, threshold in byte
    // 30, the first attester in bytes 10..30), which the devnet's registry double shares
    let mut preimage = [0u8; 64];
    preimage[12..32].copy_from_slice(account.as_slice());
    preimage[63] = 3;
    let slot = alloy_primitives::keccak256(preimage);
    let word = node.get_storage_at(a.registry, slot.into()).await.unwrap().to_be_bytes::<32>();
    assert_eq!((word[31], word[30], &word[10..30]), (2, 2, y.as_slice()));

    // account shows them
    let (code, v, all) = run(dir, &env, &net("account", &[]));
    assert_eq!(code, 0, "{all}");
    let acct = &v["output"];
    assert_eq!(acct["deployed"], json!(true));
    assert_eq!(acct["trustedAttesters"], json!(on_chain));
    assert_eq!(acct["attesterThreshold"], json!(word[30]), "read from the registry's storage");
}
