//! End to end on the local MEE stack: session supertransactions (USE, ENABLE_AND_USE, two chains
//! with the session paying the fee) built by hand in the test, signed by the redeemer, executed by
//! the node through the devnet's legacy SmartSession with the node's MEE K1 validator as session
//! validator.

use alloy_contract::SolCallBuilder;
use alloy_primitives::{B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use smart_sessions_mee_node::{MeeDevnet, payment};

mod common;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeemer_uses_an_enabled_session_through_the_node() {
    use smart_sessions_codec::{
        ActionData, AnySession, Generation, PolicyData, execute::install_module_calldata, install,
        legacy,
    };
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let base = mee.chain(BASE).unwrap();
    let d = &base.devnet.addresses;
    let (validator, counter) = (base.contracts.validator, base.contracts.counter);

    // Our own attester attests the modules the session uses (the registry is open to anyone).
    let attester = base.devnet.fund_new_key().await.unwrap();
    let p = base.devnet.provider_for(&attester).unwrap();
    for module in [validator, d.sudo_policy, d.smart_session] {
        let sent =
            SolCallBuilder::new_sol(&p, &d.registry, &attestCall { module }).send().await.unwrap();
        assert!(sent.get_receipt().await.unwrap().status());
    }
    // The redeemer may call counter.increment() under the sudo policy, validated by MeeK1Validator.
    let redeemer = PrivateKeySigner::random();
    let session = legacy::Session {
        sessionValidator: validator,
        sessionValidatorInitData: redeemer.address().to_vec().into(),
        salt: B256::repeat_byte(9),
        userOpPolicies: vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: incrementCall::SELECTOR.into(),
            actionTarget: counter,
            actionPolicies: vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())],
        }],
    };
    let permission_id = smart_sessions_codec::permission_id(
        validator,
        &session.sessionValidatorInitData,
        session.salt,
    );
    let enable =
        install::enable_sessions_calldata(Generation::Legacy, &[AnySession::Legacy(session)])
            .unwrap();
    let trust =
        trustAttestersCall { threshold: 1, attesters: vec![attester.address()] }.abi_encode();
    // 1. The owner deploys the account, installs SmartSession, trusts the attester and enables
    //    the session: one sponsored supertransaction of three userOps through the node.
    owner_stx(
        &mee,
        &a,
        vec![
            (BASE, install_module_calldata(1, d.smart_session, &[])),
            (BASE, payment::single_execute(d.registry, U256::ZERO, &trust).to_vec()),
            (BASE, payment::single_execute(d.smart_session, U256::ZERO, &enable).to_vec()),
        ],
        Some(&a.init_code),
    )
    .await;

    // 2. The redeemer signs a session supertransaction (USE mode): the node checks the redeemer
    //    and wraps the short signature in SmartSession's USE encoding.
    let lower = now();
    let details = json!({ "mode": "0x00", "permissionId": permission_id,
        "enableSessionData": { "enableSession": { "sessionToEnable": {
            "sessionValidator": validator, "sessionValidatorInitData": redeemer.address() } } } });
    let req = json!({ "quoteType": "simple", "userOps": [{
            "lowerBoundTimestamp": lower, "upperBoundTimestamp": lower + 180, "sender": a.address,
            "callData": payment::single_execute(counter, U256::ZERO, &incrementCall {}.abi_encode()),
            "callGasLimit": "700000", "nonce": nonce(20, d.smart_session).to_string(),
            "chainId": BASE.to_string(), "verificationGasLimit": "1000000",
            "shortEncoding": true, "sessionDetails": details }],
        "paymentInfo": { "sponsored": true, "sender": "0x18eAc826f3dD77d065E75E285d3456B751AC80d5",
            "token": base.contracts.fee_token, "nonce": "0", "callGasLimit": "75000",
            "verificationGasLimit": "150000", "chainId": BASE.to_string() } });
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    // the owner cannot sign for the redeemer
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &a.owner))), Some(&key))
            .await;
    assert_eq!((status, v["code"].as_str()), (400, Some("BAD_SIGNATURE")), "{v}");
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &redeemer))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
    assert_eq!(call(&mee, BASE, counter, countOfCall { who: a.address }).await, U256::from(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeemer_enables_and_uses_a_session_in_one_supertransaction() {
    use smart_sessions_codec::{
        ActionData, ChainDigest, EnableMode, Generation, PolicyData, eip712,
        execute::install_module_calldata, legacy,
    };
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let base = mee.chain(BASE).unwrap();
    let d = &base.devnet.addresses;
    let (validator, counter, ss) =
        (base.contracts.validator, base.contracts.counter, d.smart_session);

    // 1. The owner (one sponsored supertransaction through the node) deploys the account, installs
    //    SmartSession and makes it a safe sender of MeeK1Validator (so the owner's enable signature
    //    passes ERC-1271 through the account).
    let safe = add_safe_sender(ss);
    owner_stx(
        &mee,
        &a,
        vec![
            (BASE, install_module_calldata(1, ss, &[])),
            (BASE, payment::single_execute(validator, U256::ZERO, &safe).to_vec()),
        ],
        Some(&a.init_code),
    )
    .await;

    // 2. The owner grants off-chain: a legacy session for the redeemer, signed over the legacy
    //    multichain digest (personal sign), in the SDK's sessionDetails shape (mode 0x02).
    let redeemer = PrivateKeySigner::random();
    let session = legacy::Session {
        sessionValidator: validator,
        sessionValidatorInitData: redeemer.address().to_vec().into(),
        salt: B256::repeat_byte(4),
        userOpPolicies: vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: incrementCall::SELECTOR.into(),
            actionTarget: counter,
            actionPolicies: vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())],
        }],
    };
    let permission_id = smart_sessions_codec::permission_id(
        validator,
        &session.sessionValidatorInitData,
        session.salt,
    );
    let nonce_now =
        call(&mee, BASE, ss, getNonceCall { permissionId: permission_id, account: a.address })
            .await;
    let digest =
        eip712::legacy_session_digest(&session, a.address, ss, EnableMode::UnsafeEnable, nonce_now);
    let chain = ChainDigest { chainId: BASE, sessionDigest: digest };
    let to_sign = eip712::multichain_digest(Generation::Legacy, &[chain]);
    let owner_sig = a.owner.sign_message_sync(to_sign.as_slice()).unwrap();
    let details = json!({ "mode": "0x02", "permissionId": permission_id,
        "signature": format!("0x{}", "11".repeat(65)),
        "enableSessionData": {
            "enableSession": {
                "chainDigestIndex": 0,
                "hashesAndChainIds": [{ "chainId": BASE.to_string(), "sessionDigest": digest }],
                "sessionToEnable": serde_json::to_value(&session).unwrap(),
                "permissionEnableSig": alloy_primitives::Bytes::from(owner_sig.as_bytes().to_vec()),
            },
            "validator": validator, "accountType": "nexus" } });

    // 3. ENABLE_AND_USE: the redeemer signs; the node assembles the UNSAFE_ENABLE signature.
    let lower = now();
    let req = json!({ "quoteType": "simple", "userOps": [{
            "lowerBoundTimestamp": lower, "upperBoundTimestamp": lower + 180, "sender": a.address,
            "callData": payment::single_execute(counter, U256::ZERO, &incrementCall {}.abi_encode()),
            "callGasLimit": "700000", "nonce": nonce(30, ss).to_string(),
            "chainId": BASE.to_string(), "verificationGasLimit": "2000000",
            "shortEncoding": true, "sessionDetails": details }],
        "paymentInfo": { "sponsored": true, "sender": "0x18eAc826f3dD77d065E75E285d3456B751AC80d5",
            "token": base.contracts.fee_token, "nonce": "0", "callGasLimit": "75000",
            "verificationGasLimit": "150000", "chainId": BASE.to_string() } });
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    assert!(
        !call(
            &mee,
            BASE,
            ss,
            isPermissionEnabledCall { permissionId: permission_id, account: a.address }
        )
        .await
    );
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &redeemer))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
    assert!(
        call(
            &mee,
            BASE,
            ss,
            isPermissionEnabledCall { permissionId: permission_id, account: a.address }
        )
        .await
    );
    assert_eq!(call(&mee, BASE, counter, countOfCall { who: a.address }).await, U256::from(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_and_use_on_two_chains_with_the_fee_paid_by_the_session() {
    use smart_sessions_codec::{
        ActionData, ChainDigest, EnableMode, Generation, PolicyData, eip712,
        execute::install_module_calldata, legacy,
    };
    let mee = MeeDevnet::start().await.expect("the MEE stack starts");
    let key = mee.api_key().to_owned();
    let a = account(&mee).await;
    let base = mee.chain(BASE).unwrap();
    let d = &base.devnet.addresses;
    let (validator, counter, ss, token) = (
        base.contracts.validator,
        base.contracts.counter,
        d.smart_session,
        base.contracts.fee_token,
    );

    // 1. prepare on both chains (owner, sponsored): deploy, install SmartSession, safe sender.
    let safe = add_safe_sender(ss);
    let mut prepare = Vec::new();
    for chain_id in [BASE, OP] {
        prepare.push((chain_id, install_module_calldata(1, ss, &[])));
        prepare.push((chain_id, payment::single_execute(validator, U256::ZERO, &safe).to_vec()));
    }
    owner_stx(&mee, &a, prepare, Some(&a.init_code)).await;

    // 2. grant: one legacy session per chain for the redeemer (increment on both; on the fee chain
    //    also the fee-token transfer), one owner signature over the multichain digest.
    let redeemer = PrivateKeySigner::random();
    let sudo = || vec![PolicyData::new(d.sudo_policy, alloy_primitives::Bytes::new())];
    let session = |salt: u8, fee: bool| {
        let mut actions = vec![ActionData {
            actionTargetSelector: incrementCall::SELECTOR.into(),
            actionTarget: counter,
            actionPolicies: sudo(),
        }];
        if fee {
            actions.push(ActionData {
                actionTargetSelector: [0xa9, 0x05, 0x9c, 0xbb].into(),
                actionTarget: token,
                actionPolicies: sudo(),
            });
        }
        legacy::Session {
            sessionValidator: validator,
            sessionValidatorInitData: redeemer.address().to_vec().into(),
            salt: B256::repeat_byte(salt),
            userOpPolicies: sudo(),
            erc7739Policies: Default::default(),
            actions,
        }
    };
    let sessions = [(BASE, session(1, true)), (OP, session(2, false))];
    let mut digests = Vec::new();
    let mut ids = Vec::new();
    for (chain_id, s) in &sessions {
        let id =
            smart_sessions_codec::permission_id(validator, &s.sessionValidatorInitData, s.salt);
        let n =
            call(&mee, *chain_id, ss, getNonceCall { permissionId: id, account: a.address }).await;
        let digest = eip712::legacy_session_digest(s, a.address, ss, EnableMode::UnsafeEnable, n);
        digests.push(ChainDigest { chainId: *chain_id, sessionDigest: digest });
        ids.push(id);
    }
    let owner_sig = a
        .owner
        .sign_message_sync(eip712::multichain_digest(Generation::Legacy, &digests).as_slice())
        .unwrap();
    let hashes: Vec<Value> = digests
        .iter()
        .map(|c| json!({ "chainId": c.chainId.to_string(), "sessionDigest": c.sessionDigest }))
        .collect();
    let details = |k: usize, mode: &str| {
        json!({ "mode": mode, "permissionId": ids[k],
        "signature": format!("0x{}", "11".repeat(65)),
        "enableSessionData": { "enableSession": {
                "chainDigestIndex": k, "hashesAndChainIds": hashes,
                "sessionToEnable": serde_json::to_value(&sessions[k].1).unwrap(),
                "permissionEnableSig": alloy_primitives::Bytes::from(owner_sig.as_bytes().to_vec()) },
            "validator": validator, "accountType": "nexus" } })
    };

    // 3. use: the payment op enables on 8453 (0x02), the 8453 op uses (0x00), the op on 10
    //    enables and uses (0x02); the redeemer signs the one root.
    let lower = now();
    let inc = payment::single_execute(counter, U256::ZERO, &incrementCall {}.abi_encode());
    let op = |chain_id: u64, lane: u32, vgl: &str, details: Value| {
        json!({
        "lowerBoundTimestamp": lower, "upperBoundTimestamp": lower + 180, "sender": a.address,
        "callData": inc, "callGasLimit": "700000", "nonce": nonce(lane, ss).to_string(),
        "chainId": chain_id.to_string(), "verificationGasLimit": vgl, "shortEncoding": true,
        "sessionDetails": details })
    };
    let req = json!({ "quoteType": "simple",
        "userOps": [op(BASE, 41, "1000000", details(0, "0x00")), op(OP, 42, "2000000", details(1, "0x02"))],
        "paymentInfo": { "sponsored": false, "sender": a.address, "token": token,
            "nonce": nonce(40, ss).to_string(), "callGasLimit": "75000", "verificationGasLimit": "2000000",
            "chainId": BASE.to_string(), "shortEncoding": true, "sessionDetails": details(0, "0x02") } });
    let (status, quote) = http(&mee, "POST", "quote", Some(&req), Some(&key)).await;
    assert_eq!(status, 200, "{quote}");
    let fee: U256 = quote["paymentInfo"]["tokenWeiAmount"].as_str().unwrap().parse().unwrap();
    let (status, v) =
        http(&mee, "POST", "exec", Some(&exec_body(&quote, sign(&quote, &redeemer))), Some(&key))
            .await;
    assert_eq!(status, 200, "{v}");
    let ex = wait_final(&mee, quote["hash"].as_str().unwrap()).await;
    assert!(
        ex["userOps"].as_array().unwrap().iter().all(|o| o["executionStatus"] == "MINED_SUCCESS"),
        "{ex}"
    );
    for (k, chain_id) in [BASE, OP].into_iter().enumerate() {
        assert!(
            call(
                &mee,
                chain_id,
                ss,
                isPermissionEnabledCall { permissionId: ids[k], account: a.address }
            )
            .await
        );
        assert_eq!(
            call(&mee, chain_id, counter, countOfCall { who: a.address }).await,
            U256::from(1)
        );
    }
    assert_eq!(call(&mee, BASE, token, balanceOfCall { owner: mee.fee_recipient }).await, fee);
}
