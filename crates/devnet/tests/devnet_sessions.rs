//! The devnet end to end with SmartSession: the legacy module consults the registry, session
//! keys act after trust, ENABLE mode consults the registry (UNSAFE_ENABLE does not), installing
//! with sessions consults it too.

mod devnet_support;
use devnet_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn legacy_smart_session_consults_the_registry_and_session_keys_act_after_trust() {
    use smart_sessions_codec::{
        ActionData, AnySession, Generation, PolicyData, execute::install_module_calldata, install,
        legacy,
    };
    let (d, p, b, acc) = funded_account(31339).await;
    let a = d.addresses.clone();
    let owner_op = |call_data: Vec<u8>, deploy: bool| {
        let (p, d, acc) = (&p, &d, &acc);
        async move { user_op(p, d, acc, call_data, deploy, &acc.owner).await.0 }
    };

    // 1. deploy the account and install SmartSession (EntryPoint calls installModule directly)
    let r =
        send_op(&b, owner_op(install_module_calldata(1, a.smart_session, &[]), true).await).await;
    assert_eq!(r["success"], json!(true), "install: {r}");

    // 2. a session: a session key may call counter.bump() under the sudo policy
    let session_key = PrivateKeySigner::random();
    let session = legacy::Session {
        sessionValidator: a.session_key_validator,
        sessionValidatorInitData: session_key.address().to_vec().into(),
        salt: B256::repeat_byte(7),
        userOpPolicies: vec![PolicyData::new(a.sudo_policy, Bytes::new())],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: bumpCall::SELECTOR.into(),
            actionTarget: a.counter,
            actionPolicies: vec![PolicyData::new(a.sudo_policy, Bytes::new())],
        }],
    };
    let enable = install::enable_sessions_calldata(
        Generation::Legacy,
        &[AnySession::Legacy(session.clone())],
    )
    .expect("calldata");
    let enable_call = single_call(a.smart_session, enable);

    // 3. while the account trusts no attester, enabling fails: SmartSession asks the registry
    let r = send_op(&b, owner_op(enable_call.clone(), false).await).await;
    assert_eq!(
        r["success"],
        json!(false),
        "enableSessions must revert without trusted attesters: {r}"
    );
    let permission_id = smart_sessions_codec::permission_id(
        session.sessionValidator,
        &session.sessionValidatorInitData,
        session.salt,
    );

    // 4. trust the devnet's attester, then enabling succeeds
    let trust = trustAttestersCall { threshold: 1, attesters: vec![a.attester] }.abi_encode();
    let r = send_op(&b, owner_op(single_call(a.registry, trust), false).await).await;
    assert_eq!(r["success"], json!(true), "trustAttesters: {r}");
    let r = send_op(&b, owner_op(enable_call, false).await).await;
    assert_eq!(r["success"], json!(true), "enableSessions after trust: {r}");

    // 5. the session key acts: USE mode, legacy encoding (FastLZ-compressed signature)
    let sign = |h: B256| {
        let sig = session_key.sign_message_sync(h.as_slice()).expect("sign").as_bytes();
        smart_sessions_codec::encode_use(Generation::Legacy, permission_id, &sig)
    };
    let (op, _) = user_op_with(
        &p,
        &d,
        &acc,
        single_call(a.counter, bumpCall {}.abi_encode()),
        false,
        a.smart_session,
        &sign,
    )
    .await;
    let r = send_op(&b, op).await;
    assert_eq!(r["success"], json!(true), "session-key op: {r}");
    assert_eq!(call(Counter::new(a.counter, &p).count(acc.address)).await, U256::from(1));

    // 6. a call outside the session is refused by the bundler's simulation (NoPoliciesSet)
    let (op, _) = user_op_with(
        &p,
        &d,
        &acc,
        single_call(a.token, vec![0x12, 0x34, 0x56, 0x78]),
        false,
        a.smart_session,
        &sign,
    )
    .await;
    let err = b
        .raw_request::<_, B256>("eth_sendUserOperation".into(), (op, ENTRY_POINT))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("0x1c792c05") || err.to_string().contains("AA23"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn enable_mode_consults_the_registry_and_unsafe_enable_does_not() {
    use smart_sessions_codec::{
        AccountType, ActionData, AnyEnableSession, ChainDigest, EnableMode, Generation, PolicyData,
        SmartSessionSignature, eip712, execute::install_module_calldata, legacy,
    };
    let (d, p, b, acc) = funded_account(31340).await;
    let a = d.addresses.clone();
    let (op, _) =
        user_op(&p, &d, &acc, install_module_calldata(1, a.smart_session, &[]), true, &acc.owner)
            .await;
    assert_eq!(send_op(&b, op).await["success"], json!(true));

    let session_key = PrivateKeySigner::random();
    let session = |salt: u8| legacy::Session {
        sessionValidator: a.session_key_validator,
        sessionValidatorInitData: session_key.address().to_vec().into(),
        salt: B256::repeat_byte(salt),
        userOpPolicies: vec![PolicyData::new(a.sudo_policy, Bytes::new())],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: bumpCall::SELECTOR.into(),
            actionTarget: a.counter,
            actionPolicies: vec![PolicyData::new(a.sudo_policy, Bytes::new())],
        }],
    };
    // The owner signs the multichain digest off-chain; the session key enables and uses it in
    // one user operation.
    let enable_op = |s: legacy::Session, mode: EnableMode| {
        let (p, d, acc, session_key) = (&p, &d, &acc, &session_key);
        async move {
            let id = smart_sessions_codec::permission_id(
                s.sessionValidator,
                &s.sessionValidatorInitData,
                s.salt,
            );
            let module = SmartSession::new(a.smart_session, p);
            let nonce = call(module.getNonce(id, acc.address)).await;
            let digest =
                eip712::legacy_session_digest(&s, acc.address, a.smart_session, mode, nonce);
            let chain = ChainDigest { chainId: d.chain_id, sessionDigest: digest };
            let to_sign = eip712::multichain_digest(Generation::Legacy, &[chain]);
            let owner_sig =
                acc.owner.sign_message_sync(to_sign.as_slice()).expect("sign").as_bytes();
            let enable = AnyEnableSession::Legacy(legacy::EnableSession {
                chainDigestIndex: 0,
                hashesAndChainIds: vec![chain],
                sessionToEnable: s,
                permissionEnableSig: AccountType::Nexus
                    .format_permission_enable_sig(a.owner_validator, &owner_sig),
            });
            let sign = move |h: B256| {
                let sig = session_key.sign_message_sync(h.as_slice()).expect("sign").as_bytes();
                SmartSessionSignature::Enable {
                    mode,
                    enable: enable.clone(),
                    signature: sig.to_vec().into(),
                }
                .encode(Generation::Legacy)
                .expect("encode")
            };
            let (op, _) = user_op_with(
                p,
                d,
                acc,
                single_call(a.counter, bumpCall {}.abi_encode()),
                false,
                a.smart_session,
                &sign,
            )
            .await;
            (op, id)
        }
    };
    // ENABLE: SmartSession asks the registry, which refuses (no trusted attester): validation fails
    let (op, id) = enable_op(session(1), EnableMode::Enable).await;
    let err = b
        .raw_request::<_, B256>("eth_sendUserOperation".into(), (op, ENTRY_POINT))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("AA23"), "{err}");
    assert!(
        !call(SmartSession::new(a.smart_session, &p).isPermissionEnabled(id, acc.address)).await
    );
    // UNSAFE_ENABLE skips the registry: enable and use in one op
    let (op, id) = enable_op(session(2), EnableMode::UnsafeEnable).await;
    let r = send_op(&b, op).await;
    assert_eq!(r["success"], json!(true), "{r}");
    assert!(
        call(SmartSession::new(a.smart_session, &p).isPermissionEnabled(id, acc.address)).await
    );
    assert_eq!(call(Counter::new(a.counter, &p).count(acc.address)).await, U256::from(1));
    // after trusting the attester, ENABLE works too
    let trust = trustAttestersCall { threshold: 1, attesters: vec![a.attester] }.abi_encode();
    let (op, _) = user_op(&p, &d, &acc, single_call(a.registry, trust), false, &acc.owner).await;
    assert_eq!(send_op(&b, op).await["success"], json!(true));
    let (op, id) = enable_op(session(3), EnableMode::Enable).await;
    let r = send_op(&b, op).await;
    assert_eq!(r["success"], json!(true), "{r}");
    assert!(
        call(SmartSession::new(a.smart_session, &p).isPermissionEnabled(id, acc.address)).await
    );
    assert_eq!(call(Counter::new(a.counter, &p).count(acc.address)).await, U256::from(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn installing_with_sessions_consults_the_registry() {
    use smart_sessions_codec::{
        ActionData, AnySession, Generation, PolicyData, execute::install_module_calldata, install,
        legacy,
    };
    let (d, p, b, acc) = funded_account(31341).await;
    let a = d.addresses.clone();
    let session = legacy::Session {
        sessionValidator: a.session_key_validator,
        sessionValidatorInitData: PrivateKeySigner::random().address().to_vec().into(),
        salt: B256::repeat_byte(9),
        userOpPolicies: vec![],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: bumpCall::SELECTOR.into(),
            actionTarget: a.counter,
            actionPolicies: vec![PolicyData::new(a.uni_action_policy, {
                let rule = smart_sessions_codec::ParamRule::new(
                    smart_sessions_codec::ParamCondition::Equal,
                    0,
                    B256::ZERO,
                );
                smart_sessions_codec::ActionConfig::new(U256::ZERO, &[rule])
                    .expect("config")
                    .abi_encode()
            })],
        }],
    };
    let data = install::install_data(Generation::Legacy, &[AnySession::Legacy(session)], true)
        .expect("install data");
    let install_call = install_module_calldata(1, a.smart_session, &data);
    // deploy the account with an empty call first, so the install is its own operation
    let (op, _) =
        user_op(&p, &d, &acc, single_call(a.counter, bumpCall {}.abi_encode()), true, &acc.owner)
            .await;
    assert_eq!(send_op(&b, op).await["success"], json!(true));
    // without trusted attesters, installing SmartSession with an initial session reverts
    let (op, _) = user_op(&p, &d, &acc, install_call.clone(), false, &acc.owner).await;
    let r = send_op(&b, op).await;
    assert_eq!(r["success"], json!(false), "install with sessions must revert untrusted: {r}");
    // after trustAttesters it goes through
    let trust = trustAttestersCall { threshold: 1, attesters: vec![a.attester] }.abi_encode();
    let (op, _) = user_op(&p, &d, &acc, single_call(a.registry, trust), false, &acc.owner).await;
    assert_eq!(send_op(&b, op).await["success"], json!(true));
    let (op, _) = user_op(&p, &d, &acc, install_call, false, &acc.owner).await;
    let r = send_op(&b, op).await;
    assert_eq!(r["success"], json!(true), "install with sessions after trust: {r}");
}
