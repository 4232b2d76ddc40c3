//! The devnet end to end: a Nexus account deployed on its first user operation through Alto, a
//! rejected one (bad signature → AA24), and the registry double behaving like the real one.

mod devnet_support;
use devnet_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn user_operations_go_through_alto_and_bad_signatures_are_rejected() {
    let d = Devnet::start_with(Options { progress: true, ..Options::default() })
        .await
        .expect("devnet starts");
    for (step, t) in &d.timings {
        println!("startup: {step}: {:.2}s", t.as_secs_f64());
    }
    let p = d.provider_for(&d.deployer).expect("provider");
    // every deployed address has code
    let a = &d.addresses;
    for (name, addr) in [
        ("EntryPoint", a.entry_point),
        ("Nexus", a.nexus_implementation),
        ("bootstrap", a.nexus_bootstrap),
        ("factory", a.nexus_factory),
        ("SmartSession", a.smart_session),
        ("registry", a.registry),
        ("owner validator", a.owner_validator),
        ("session-key validator", a.session_key_validator),
        ("sudo", a.sudo_policy),
        ("uni action", a.uni_action_policy),
        ("token", a.token),
        ("counter", a.counter),
    ] {
        assert!(
            !p.get_code_at(addr).await.expect("code").is_empty(),
            "{name} at {addr} has no code"
        );
    }
    let owner = PrivateKeySigner::random();
    let acc = nexus_account(&p, &d, owner.clone()).await;
    p.anvil_set_balance_helper(acc.address).await;
    let b = bundler(&d).await;

    // 1. deploy on first op + counter.bump(), signed by the owner
    let bump = bumpCall {}.abi_encode();
    let (op, _) =
        user_op(&p, &d, &acc, single_call(a.counter, bump.clone()), true, &acc.owner).await;
    let t = Instant::now();
    let hash: B256 =
        b.raw_request("eth_sendUserOperation".into(), (op, ENTRY_POINT)).await.expect("send");
    let receipt = wait_receipt(&b, hash).await;
    println!(
        "first user op: {:.0} ms, actualGasUsed {}",
        t.elapsed().as_secs_f64() * 1e3,
        receipt["actualGasUsed"]
    );
    assert_eq!(receipt["success"], json!(true), "{receipt}");
    assert_eq!(call(Counter::new(a.counter, &p).count(acc.address)).await, U256::from(1));

    // 2. a wrong signer: the bundler refuses with AA24
    let stranger = PrivateKeySigner::random();
    let (op, _) = user_op(&p, &d, &acc, single_call(a.counter, bump), false, &stranger).await;
    let err = b
        .raw_request::<_, B256>("eth_sendUserOperation".into(), (op, ENTRY_POINT))
        .await
        .expect_err("a bad signature must be refused");
    assert!(err.to_string().contains("AA24"), "{err}");
    assert_eq!(call(Counter::new(a.counter, &p).count(acc.address)).await, U256::from(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_keeps_trust_and_attestations() {
    let d = Devnet::start_with(Options { bundler: false, chain_id: 31338, ..Options::default() })
        .await
        .expect("devnet");
    let a = &d.addresses;
    let user = d.fund_new_key().await.expect("key");
    let p = d.provider_for(&user).expect("provider");
    let registry = Registry::new(a.registry, &p);
    let check = |module: Address| registry.checkForAccount_0(user.address(), module);
    // nothing trusted yet: the check reverts
    assert!(check(a.sudo_policy).call().await.is_err());
    assert!(call(registry.findTrustedAttesters(user.address())).await.is_empty());
    // trust the devnet's attester
    let trust = registry.trustAttesters(1, vec![a.attester]);
    let r = trust.send().await.expect("send").get_receipt().await.expect("receipt");
    assert!(r.status());
    assert_eq!(call(registry.findTrustedAttesters(user.address())).await, vec![a.attester]);
    // attested modules pass, an unattested one still reverts
    assert!(check(a.sudo_policy).call().await.is_ok());
    assert!(check(a.uni_action_policy).call().await.is_ok());
    assert!(check(a.counter).call().await.is_err());
    let _ = keccak256([]);
}
