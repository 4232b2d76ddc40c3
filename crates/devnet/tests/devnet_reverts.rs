//! The devnet end to end: real revert data from the deployed contracts decodes through the
//! bindings' error enums.

mod devnet_support;
use devnet_support::*;

/// Revert data of the `eth_call` of a contract instance's call, as the node returns it.
async fn revert_data<P: Provider, C: SolCall>(c: SolCallBuilder<P, C>) -> Bytes {
    let err = c.call_raw().await.expect_err("the call must revert");
    err.as_revert_data().expect("revert data")
}

#[tokio::test(flavor = "multi_thread")]
async fn real_revert_data_decodes_through_the_bindings() {
    use alloy_sol_types::SolInterface;
    use smart_sessions_bindings::{common::entry_point, legacy::smart_session};
    use smart_sessions_codec::{
        ActionConfig, ActionData, AnySession, Generation, ParamCondition, ParamRule, PolicyData,
        encode_use, execute::install_module_calldata, install, legacy,
    };
    let (d, p, b, acc) = funded_account(31342).await;
    let a = d.addresses.clone();
    let owner = |call_data: Vec<u8>, deploy: bool| {
        let (p, d, acc) = (&p, &d, &acc);
        async move { user_op(p, d, acc, call_data, deploy, &acc.owner).await.0 }
    };
    assert_eq!(
        send_op(&b, owner(install_module_calldata(1, a.smart_session, &[]), true).await).await["success"],
        json!(true)
    );
    let trust = trustAttestersCall { threshold: 1, attesters: vec![a.attester] }.abi_encode();
    assert_eq!(
        send_op(&b, owner(single_call(a.registry, trust), false).await).await["success"],
        json!(true)
    );
    // a session whose only action, counter.bump(), must carry a first word of 1 (bump has none,
    // so the universal action policy's check fails on the calldata slice or the rule)
    let key = PrivateKeySigner::random();
    let rule = ParamRule::new(ParamCondition::Equal, 0, B256::from(U256::from(1)));
    let session = legacy::Session {
        sessionValidator: a.session_key_validator,
        sessionValidatorInitData: key.address().to_vec().into(),
        salt: B256::repeat_byte(4),
        userOpPolicies: vec![],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: bumpCall::SELECTOR.into(),
            actionTarget: a.counter,
            actionPolicies: vec![PolicyData::new(
                a.uni_action_policy,
                ActionConfig::new(U256::ZERO, &[rule]).expect("config").abi_encode(),
            )],
        }],
    };
    let enable = install::enable_sessions_calldata(
        Generation::Legacy,
        &[AnySession::Legacy(session.clone())],
    )
    .expect("calldata");
    assert_eq!(
        send_op(&b, owner(single_call(a.smart_session, enable), false).await).await["success"],
        json!(true)
    );
    let pid = smart_sessions_codec::permission_id(
        session.sessionValidator,
        &session.sessionValidatorInitData,
        session.salt,
    );

    // SmartSession.validateUserOp called as the account would call it
    let validate = |id: B256, inner: Vec<u8>| {
        let (p, acc) = (&p, &acc);
        async move {
            let packed = PackedUserOperation {
                sender: acc.address,
                nonce: U256::ZERO,
                initCode: Bytes::new(),
                callData: inner.into(),
                accountGasLimits: B256::ZERO,
                preVerificationGas: U256::ZERO,
                gasFees: B256::ZERO,
                paymasterAndData: Bytes::new(),
                signature: encode_use(Generation::Legacy, id, &[0u8; 65]).into(),
            };
            let module = smart_session::SmartSession::new(a.smart_session, p);
            let call = module.validateUserOp(packed.into_bindings(), B256::ZERO);
            let data = revert_data(call.from(acc.address)).await;
            smart_session::SmartSessionErrors::abi_decode(&data).expect("a SmartSession error")
        }
    };
    let e =
        validate(B256::repeat_byte(0xee), single_call(a.counter, bumpCall {}.abi_encode())).await;
    assert!(matches!(e, smart_session::SmartSessionErrors::InvalidPermissionId(_)), "{e:?}");
    let e = validate(pid, single_call(a.token, vec![1, 2, 3, 4])).await;
    assert!(matches!(e, smart_session::SmartSessionErrors::NoPoliciesSet(_)), "{e:?}");
    let mut with_word = bumpCall {}.abi_encode();
    with_word.extend_from_slice(&[0u8; 32]); // first word 0, the rule wants 1
    let e = validate(pid, single_call(a.counter, with_word)).await;
    let smart_session::SmartSessionErrors::PolicyViolation(v) = e else { panic!("{e:?}") };
    assert_eq!(v.policy, a.uni_action_policy);

    // EntryPoint.handleOps with a bad signature: FailedOp(0, "AA24 …")
    let (op, _) = user_op(
        &p,
        &d,
        &acc,
        single_call(a.counter, bumpCall {}.abi_encode()),
        false,
        &PrivateKeySigner::random(),
    )
    .await;
    let h = |k: &str| {
        U256::from_str_radix(op[k].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    let pack = |hi: U256, lo: U256| B256::from((hi << 128) | lo);
    let packed = entry_point::PackedUserOperation {
        sender: acc.address,
        nonce: h("nonce"),
        initCode: Bytes::new(),
        callData: serde_json::from_value(op["callData"].clone()).unwrap(),
        accountGasLimits: pack(h("verificationGasLimit"), h("callGasLimit")),
        preVerificationGas: h("preVerificationGas"),
        gasFees: pack(h("maxPriorityFeePerGas"), h("maxFeePerGas")),
        paymasterAndData: Bytes::new(),
        signature: serde_json::from_value(op["signature"].clone()).unwrap(),
    };
    let entry_point = EntryPoint::new(ENTRY_POINT, &p);
    let data = revert_data(entry_point.handleOps(vec![packed], d.deployer.address())).await;
    let entry_point::EntryPointErrors::FailedOp(e) =
        entry_point::EntryPointErrors::abi_decode(&data).expect("EntryPoint error")
    else {
        panic!("not FailedOp")
    };
    assert!(e.reason.starts_with("AA24"), "{}", e.reason);
}
