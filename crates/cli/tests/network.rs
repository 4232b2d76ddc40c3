//! The network subcommands through the binary, against the devnet (legacy generation): keys from
//! an encrypted keystore and from the environment, `account`, `grant` (on chain and off chain),
//! `use` (USE, ENABLE_AND_USE, the off-chain refusal naming the rule), `status` with remaining
//! budgets, `revoke`; and the refusal of a private key on the command line.

use alloy_primitives::{Address, U256, hex};
use alloy_provider::ext::AnvilApi;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use smart_sessions_bindings::erc20::ERC20::transferCall;
use smart_sessions_devnet::{Devnet, Options};
use std::{path::Path, process::Command};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        let v: Value = serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr));
        v["output"].clone()
    }
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .current_dir(dir)
        .env_remove("SMART_SESSIONS_OWNER_KEY")
        .env_remove("SMART_SESSIONS_SESSION_KEY")
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

/// `status --details FILE` (the first session's entry).
fn r_status(dir: &Path, env: &[(&str, &str)], net: &[&str], file: &str) -> Value {
    let (global, table) = net.split_at(3);
    let args = [global, &["status"], table, &["--details", file]].concat();
    let r = run(dir, env, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()[0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn account_grant_use_status_revoke_through_the_binary() {
    smart_sessions_cli::tls::install_crypto_provider();
    let d = Devnet::start_with(Options { chain_id: 31371, ..Options::default() })
        .await
        .expect("devnet");
    let a = d.addresses.clone();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("devnet.json"), serde_json::to_string(&a).unwrap()).unwrap();
    let bundler = d.bundler_url.clone().unwrap();
    let base = [
        ("SMART_SESSIONS_RPC_URL", d.rpc_url.as_str()),
        ("SMART_SESSIONS_BUNDLER_URL", bundler.as_str()),
        ("SMART_SESSIONS_KEYSTORE_PASSWORD", "correct horse battery staple"),
    ];
    let net = ["--json", "--generation", "legacy", "--deployments", "devnet.json"];
    /// Global flags, the subcommand, then the table and the subcommand's own arguments.
    fn with<'a>(net: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let (global, table) = net.split_at(3);
        [global, &extra[..1], table, &extra[1..]].concat()
    }

    // the owner key in an encrypted keystore
    let r = run(dir, &base, &["--json", "key", "new", "--keystore", "owner.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let owner: Address = serde_json::from_value(r.json()["address"].clone()).unwrap();
    let r = run(dir, &base, &["--json", "key", "new", "--keystore", "owner.json"]);
    assert_eq!(r.code, 2, "never overwrite a keystore");
    let r = run(dir, &base, &["--json", "key", "address", "--keystore", "owner.json"]);
    assert_eq!(r.json()["address"], json!(owner));
    let wrong = [("SMART_SESSIONS_KEYSTORE_PASSWORD", "wrong")];
    let r = run(dir, &wrong, &["key", "address", "--keystore", "owner.json"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("owner.json"), "{}", r.stderr);

    // account: derived from the owner (K1ValidatorFactory, the table has one), not deployed
    let ks = ["--owner-keystore", "owner.json"];
    let r = run(dir, &base, &with(&net, &[&["account"], &ks[..]].concat()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let acct = r.json();
    assert_eq!(acct["deployed"], json!(false));
    let account: Address = serde_json::from_value(acct["address"].clone()).unwrap();
    // the same account from the owner's address alone
    let r = run(dir, &base, &with(&net, &["account", "--owner", &owner.to_string()]));
    assert_eq!(r.json()["address"], json!(account));
    // the attesters are part of a K1 account's address: --testnet adds the mock attester
    let r = run(dir, &base, &with(&net, &["account", "--owner", &owner.to_string(), "--testnet"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_ne!(r.json()["address"], json!(account));
    let node = d.provider_for(&d.deployer).unwrap();
    node.anvil_set_balance(account, U256::from(10u64).pow(U256::from(18u64))).await.unwrap();

    // grant on chain from the seed's request shape
    let session_key = PrivateKeySigner::random();
    let request = json!({ "sessionRequestedInfo": [{
        "sessionPublicKey": session_key.address(),
        "actionPoliciesInfo": [{
            "contractAddress": a.token,
            "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": true,
                        "ref": 1000, "usage": { "limit": 1500, "used": 0 } }]
        }]
    }]});
    std::fs::write(dir.join("request.json"), request.to_string()).unwrap();
    let r = run(
        dir,
        &base,
        &with(
            &net,
            &[&["grant", "--request", "request.json", "--out", "session.json"], &ks[..]].concat(),
        ),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let g = r.json();
    assert_eq!(g["account"], json!(account));
    assert_eq!(g["permissionIds"].as_array().unwrap().len(), 1);
    assert!(g["gasUsed"].as_u64().unwrap() > 100_000);
    let r = run(dir, &base, &with(&net, &["account", "--owner", &owner.to_string()]));
    assert_eq!(r.json()["deployed"], json!(true));
    assert_eq!(r.json()["smartSessionInstalled"], json!(true));

    d.mint_tokens(account, U256::from(10_000)).await.unwrap();

    // use with the session key from the environment
    let sk = hex::encode_prefixed(session_key.to_bytes());
    let senv = [&base[..], &[("SMART_SESSIONS_SESSION_KEY", sk.as_str())]].concat();
    let call = |amount: u64| {
        let data = transferCall { to: Address::repeat_byte(0x42), amount: U256::from(amount) };
        format!("{}:0:{}", a.token, hex::encode_prefixed(data.abi_encode()))
    };
    let c = call(700);
    let r = run(dir, &senv, &with(&net, &["use", "--details", "session.json", "--call", &c]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["mode"], json!("USE"));
    let r = run(dir, &senv, &with(&net, &["status", "--details", "session.json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = &r.json()[0];
    assert_eq!(s["enabled"], json!(true));
    assert_eq!(s["budgets"][0]["remaining"], json!("0x320")); // 800
    // the trust the K1 factory set at deployment: the devnet's one attester
    assert_eq!(s["trustedAttesters"], json!([a.attester]), "{s}");
    // 900 more breaks the cumulative limit: refused off-chain, rule named, exit 1
    let c = call(900);
    let plain = ["--generation", "legacy", "use", "--deployments", "devnet.json"];
    let r = run(dir, &senv, &[&plain[..], &["--details", "session.json", "--call", &c]].concat());
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("rule 0") && r.stderr.lines().count() == 1, "{}", r.stderr);
    // a malformed call: usage error naming the field (JSON on standard output with --json)
    let r =
        run(dir, &senv, &with(&net, &["use", "--details", "session.json", "--call", "0x12:0:0x"]));
    assert_eq!(r.code, 2);
    let e: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert!(e["error"].as_str().unwrap().contains("--call target"), "{}", r.stdout);

    // an off-chain grant: nothing sent, the first use enables
    let other = PrivateKeySigner::random();
    let mut req2 = request.clone();
    req2["sessionRequestedInfo"][0]["sessionPublicKey"] = json!(other.address());
    std::fs::write(dir.join("request2.json"), req2.to_string()).unwrap();
    let r = run(
        dir,
        &base,
        &with(
            &net,
            &[
                &[
                    "grant",
                    "--request",
                    "request2.json",
                    "--off-chain",
                    "typed",
                    "--out",
                    "s2.json",
                ],
                &ks[..],
            ]
            .concat(),
        ),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["offChain"], json!(true));
    let r = run(dir, &base, &with(&net, &["status", "--details", "s2.json"]));
    assert_eq!(r.json()[0]["enabled"], json!(false));
    assert_eq!(r.json()[0]["pendingEnable"], json!(true));
    let ok = hex::encode_prefixed(other.to_bytes());
    let oenv = [&base[..], &[("SMART_SESSIONS_SESSION_KEY", ok.as_str())]].concat();
    let c = call(100);
    let r = run(dir, &oenv, &with(&net, &["use", "--details", "s2.json", "--call", &c]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["mode"], json!("ENABLE_AND_USE"));

    // revoke the first session; its use is refused on chain
    let pid = g["permissionIds"][0].as_str().unwrap().to_string();
    let r = run(dir, &base, &with(&net, &[&["revoke", "--permission-id", &pid], &ks[..]].concat()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(dir, &base, &with(&net, &["status", "--details", "session.json"]));
    assert_eq!(r.json()[0]["enabled"], json!(false));
    let c = call(1);
    let r = run(dir, &senv, &with(&net, &["use", "--details", "session.json", "--call", &c]));
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("not enabled"), "{}{}", r.stdout, r.stderr);

    // the removed on-chain grant: `status` says removed, shows no budgets
    assert_eq!(r_status(dir, &base, &net, "session.json")["status"], json!("removed"));

    // issue 13 item 1: an off-chain grant whose enable signature is revoked before any use is
    // dead, not pending: `status` says so (no budgets from the init data), `use` refuses before
    // sending, naming why (exit 1)
    let third = PrivateKeySigner::random();
    let mut req3 = request.clone();
    req3["sessionRequestedInfo"][0]["sessionPublicKey"] = json!(third.address());
    std::fs::write(dir.join("request3.json"), req3.to_string()).unwrap();
    let grant3 = [
        &["grant", "--request", "request3.json", "--off-chain", "typed", "--out", "s3.json"][..],
        &ks[..],
    ]
    .concat();
    let r = run(dir, &base, &with(&net, &grant3));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pid3 = r.json()["permissionIds"][0].as_str().unwrap().to_string();
    let s = r_status(dir, &base, &net, "s3.json");
    assert_eq!((s["status"].clone(), s["pendingEnable"].clone()), (json!("pending"), json!(true)));
    assert_eq!(s["budgets"][0]["remaining"], json!("0x5dc")); // 1500, from the init data
    let revoke3 =
        [&["revoke", "--permission-id", &pid3, "--enable-signature"][..], &ks[..]].concat();
    let r = run(dir, &base, &with(&net, &revoke3));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["action"], json!("revokeEnableSignature"));
    let s = r_status(dir, &base, &net, "s3.json");
    assert_eq!(s["status"], json!("revokedOrRemoved"), "{s}");
    assert_eq!((s["enabled"].clone(), s["pendingEnable"].clone()), (json!(false), json!(false)));
    assert_eq!(s["budgets"], json!([]), "no budgets for a dead grant");
    assert!(s["statusDetail"].as_str().unwrap().contains("enable signature is for nonce 0"), "{s}");
    let k3 = hex::encode_prefixed(third.to_bytes());
    let tenv = [&base[..], &[("SMART_SESSIONS_SESSION_KEY", k3.as_str())]].concat();
    let r = run(dir, &tenv, &with(&net, &["use", "--details", "s3.json", "--call", &call(1)]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let e: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let e = e["error"].as_str().unwrap();
    assert!(
        e.contains(&pid3) && e.contains("revoked or removed") && e.contains("nothing sent"),
        "{e}"
    );

    // an off-chain grant enabled by its first use, then removed: dead as well
    let pid2 =
        serde_json::from_str::<Value>(&std::fs::read_to_string(dir.join("s2.json")).unwrap())
            .unwrap()[0]["permissionId"]
            .as_str()
            .unwrap()
            .to_string();
    let r =
        run(dir, &base, &with(&net, &[&["revoke", "--permission-id", &pid2], &ks[..]].concat()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = r_status(dir, &base, &net, "s2.json");
    assert_eq!(s["status"], json!("revokedOrRemoved"), "{s}");
    assert_eq!(s["pendingEnable"], json!(false));

    // a private key on the command line: refused, and never echoed
    let secret = hex::encode_prefixed(PrivateKeySigner::random().to_bytes());
    let r = run(dir, &base, &with(&net, &["account", "--owner-key", &secret]));
    // (usage errors are JSON on standard output with --json)
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("--unsafe-key-on-command-line"), "{}", r.stdout);
    assert!(!r.stderr.contains(&secret[2..]) && !r.stdout.contains(&secret[2..]));
    let r = run(
        dir,
        &base,
        &with(&net, &["account", "--owner-key", "0x1234", "--unsafe-key-on-command-line"]),
    );
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("not a 32-byte hex private key") && !r.stdout.contains("1234"));
    assert!(!r.stderr.contains("1234"));
    let r = run(
        dir,
        &base,
        &with(&net, &["account", "--owner-key", &secret, "--unsafe-key-on-command-line"]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}
