//! The devnet end to end: a Nexus account deployed on its first user operation through Alto, a
//! rejected one (bad signature → AA24), and the registry double behaving like the real one.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use serde_json::{Value, json};
use smart_sessions_devnet::{Devnet, ENTRY_POINT, Options};
use std::time::{Duration, Instant};

sol! {
    struct BootstrapConfig { address module; bytes data; }
    function getInitNexusWithSingleValidatorCalldata(BootstrapConfig validator, address registry, address[] attesters, uint8 threshold) returns (bytes);
    function computeAccountAddress(bytes initData, bytes32 salt) returns (address);
    function createAccount(bytes initData, bytes32 salt) returns (address);
    function execute(bytes32 mode, bytes executionCalldata);
    function bump();
    function count(address who) returns (uint256);
    function findTrustedAttesters(address account) returns (address[]);
    function trustAttesters(uint8 threshold, address[] attesters);
    function checkForAccount(address account, address module);
    function getNonce(address sender, uint192 key) returns (uint256);
    struct PackedUserOperation {
        address sender; uint256 nonce; bytes initCode; bytes callData; bytes32 accountGasLimits;
        uint256 preVerificationGas; bytes32 gasFees; bytes paymasterAndData; bytes signature;
    }
    function getUserOpHash(PackedUserOperation userOp) returns (bytes32);
}

async fn call<P: Provider, C: SolCall>(p: &P, to: Address, c: C) -> C::Return {
    let out = p
        .call(TransactionRequest::default().to(to).input(Bytes::from(c.abi_encode()).into()))
        .await
        .expect("eth_call");
    C::abi_decode_returns(&out).expect("decode")
}

struct Account {
    address: Address,
    init_data: Bytes,
    owner: PrivateKeySigner,
}

async fn nexus_account<P: Provider>(p: &P, d: &Devnet, owner: PrivateKeySigner) -> Account {
    let a = &d.addresses;
    let init_data = call(
        p,
        a.nexus_bootstrap,
        getInitNexusWithSingleValidatorCalldataCall {
            validator: BootstrapConfig {
                module: a.owner_validator,
                data: owner.address().to_vec().into(),
            },
            registry: Address::ZERO,
            attesters: vec![],
            threshold: 0,
        },
    )
    .await;
    let address = call(
        p,
        a.nexus_factory,
        computeAccountAddressCall { initData: init_data.clone(), salt: B256::ZERO },
    )
    .await;
    Account { address, init_data, owner }
}

/// A signed v0.7 user operation in its RPC form, and its hash.
async fn user_op<P: Provider>(
    p: &P,
    d: &Devnet,
    acc: &Account,
    call_data: Vec<u8>,
    deploy: bool,
    signer: &PrivateKeySigner,
) -> (Value, B256) {
    user_op_with(p, d, acc, call_data, deploy, d.addresses.owner_validator, &|h: B256| {
        signer.sign_message_sync(h.as_slice()).expect("sign").as_bytes().to_vec()
    })
    .await
}

/// A user op validated by `validator` (the Nexus nonce key), signed by `sign(userOpHash)`.
async fn user_op_with<P: Provider>(
    p: &P,
    d: &Devnet,
    acc: &Account,
    call_data: Vec<u8>,
    deploy: bool,
    validator: Address,
    sign: &dyn Fn(B256) -> Vec<u8>,
) -> (Value, B256) {
    let key = smart_sessions_codec::NexusNonceKey::new(validator).key();
    let nonce = call(p, ENTRY_POINT, getNonceCall { sender: acc.address, key }).await;
    let factory_data =
        createAccountCall { initData: acc.init_data.clone(), salt: B256::ZERO }.abi_encode();
    let (verification, call_gas, pre_verification) = (2_000_000u128, 500_000u128, 200_000u128);
    let gas_price = p.get_gas_price().await.expect("gas price");
    let (max_fee, priority) = (gas_price * 2 + 1_000_000_000, 1_000_000_000u128);
    let pack = |hi: u128, lo: u128| {
        let mut w = [0u8; 32];
        w[..16].copy_from_slice(&hi.to_be_bytes());
        w[16..].copy_from_slice(&lo.to_be_bytes());
        B256::new(w)
    };
    let init_code: Bytes = if deploy {
        [d.addresses.nexus_factory.as_slice(), &factory_data].concat().into()
    } else {
        Bytes::new()
    };
    let packed = PackedUserOperation {
        sender: acc.address,
        nonce,
        initCode: init_code,
        callData: call_data.clone().into(),
        accountGasLimits: pack(verification, call_gas),
        preVerificationGas: U256::from(pre_verification),
        gasFees: pack(priority, max_fee),
        paymasterAndData: Bytes::new(),
        signature: Bytes::new(),
    };
    let hash = call(p, ENTRY_POINT, getUserOpHashCall { userOp: packed }).await;
    let signature = sign(hash);
    let q = |v: u128| format!("{v:#x}");
    let mut op = json!({
        "sender": acc.address,
        "nonce": format!("{nonce:#x}"),
        "callData": Bytes::from(call_data),
        "callGasLimit": q(call_gas),
        "verificationGasLimit": q(verification),
        "preVerificationGas": q(pre_verification),
        "maxFeePerGas": q(max_fee),
        "maxPriorityFeePerGas": q(priority),
        "signature": Bytes::from(signature),
    });
    if deploy {
        op["factory"] = json!(d.addresses.nexus_factory);
        op["factoryData"] = json!(Bytes::from(factory_data));
    }
    (op, hash)
}

fn single_call(target: Address, data: Vec<u8>) -> Vec<u8> {
    let mut packed = target.to_vec();
    packed.extend_from_slice(&[0u8; 32]);
    packed.extend_from_slice(&data);
    executeCall { mode: B256::ZERO, executionCalldata: packed.into() }.abi_encode()
}

async fn bundler(d: &Devnet) -> impl Provider + use<> {
    let url = d.bundler_url.as_ref().expect("bundler").parse().expect("url");
    alloy_provider::ProviderBuilder::new().connect_http(url)
}

async fn wait_receipt<P: Provider>(b: &P, hash: B256) -> Value {
    let start = Instant::now();
    loop {
        let r: Value = b
            .raw_request("eth_getUserOperationReceipt".into(), (hash,))
            .await
            .expect("receipt request");
        if !r.is_null() {
            return r;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no receipt for {hash}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

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
    assert_eq!(call(&p, a.counter, countCall { who: acc.address }).await, U256::from(1));

    // 2. a wrong signer: the bundler refuses with AA24
    let stranger = PrivateKeySigner::random();
    let (op, _) = user_op(&p, &d, &acc, single_call(a.counter, bump), false, &stranger).await;
    let err = b
        .raw_request::<_, B256>("eth_sendUserOperation".into(), (op, ENTRY_POINT))
        .await
        .expect_err("a bad signature must be refused");
    assert!(err.to_string().contains("AA24"), "{err}");
    assert_eq!(call(&p, a.counter, countCall { who: acc.address }).await, U256::from(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_keeps_trust_and_attestations() {
    let d = Devnet::start_with(Options { bundler: false, chain_id: 31338, ..Options::default() })
        .await
        .expect("devnet");
    let a = &d.addresses;
    let user = d.fund_new_key().await.expect("key");
    let p = d.provider_for(&user).expect("provider");
    let check = |module: Address| checkForAccountCall { account: user.address(), module };
    let tx = |data: Vec<u8>| {
        TransactionRequest::default().to(a.registry).input(Bytes::from(data).into())
    };
    // nothing trusted yet: the check reverts
    assert!(p.call(tx(check(a.sudo_policy).abi_encode())).await.is_err());
    assert!(
        call(&p, a.registry, findTrustedAttestersCall { account: user.address() }).await.is_empty()
    );
    // trust the devnet's attester
    let trust = trustAttestersCall { threshold: 1, attesters: vec![a.attester] }.abi_encode();
    let r =
        p.send_transaction(tx(trust)).await.expect("send").get_receipt().await.expect("receipt");
    assert!(r.status());
    assert_eq!(
        call(&p, a.registry, findTrustedAttestersCall { account: user.address() }).await,
        vec![a.attester]
    );
    // attested modules pass, an unattested one still reverts
    assert!(p.call(tx(check(a.sudo_policy).abi_encode())).await.is_ok());
    assert!(p.call(tx(check(a.uni_action_policy).abi_encode())).await.is_ok());
    assert!(p.call(tx(check(a.counter).abi_encode())).await.is_err());
    let _ = keccak256([]);
}

trait SetBalance {
    async fn anvil_set_balance_helper(&self, who: Address);
}

impl<P: Provider> SetBalance for P {
    async fn anvil_set_balance_helper(&self, who: Address) {
        use alloy_provider::ext::AnvilApi;
        self.anvil_set_balance(who, U256::from(10u64).pow(U256::from(19u64)))
            .await
            .expect("anvil_setBalance");
    }
}

/// A devnet with a bundler on `chain_id`, a provider signing as the deployer, a bundler
/// provider, and a funded counterfactual Nexus account of a random owner.
async fn funded_account(chain_id: u64) -> (Devnet, impl Provider + Clone, impl Provider, Account) {
    let d = Devnet::start_with(Options { chain_id, ..Options::default() }).await.expect("devnet");
    let p = d.provider_for(&d.deployer).expect("provider");
    let b = bundler(&d).await;
    let acc = nexus_account(&p, &d, PrivateKeySigner::random()).await;
    p.anvil_set_balance_helper(acc.address).await;
    (d, p, b, acc)
}

async fn send_op<P: Provider>(b: &P, op: Value) -> Value {
    let hash: B256 =
        b.raw_request("eth_sendUserOperation".into(), (op, ENTRY_POINT)).await.expect("send");
    wait_receipt(b, hash).await
}

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
    assert_eq!(call(&p, a.counter, countCall { who: acc.address }).await, U256::from(1));

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

mod smart_session {
    alloy_sol_types::sol! {
        function getNonce(bytes32 permissionId, address account) returns (uint256);
        function isPermissionEnabled(bytes32 permissionId, address account) returns (bool);
    }
}
use smart_session::{getNonceCall as sessionNonceCall, isPermissionEnabledCall};

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
            let nonce = call(
                p,
                a.smart_session,
                sessionNonceCall { permissionId: id, account: acc.address },
            )
            .await;
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
        !call(
            &p,
            a.smart_session,
            isPermissionEnabledCall { permissionId: id, account: acc.address }
        )
        .await
    );
    // UNSAFE_ENABLE skips the registry: enable and use in one op
    let (op, id) = enable_op(session(2), EnableMode::UnsafeEnable).await;
    let r = send_op(&b, op).await;
    assert_eq!(r["success"], json!(true), "{r}");
    assert!(
        call(
            &p,
            a.smart_session,
            isPermissionEnabledCall { permissionId: id, account: acc.address }
        )
        .await
    );
    assert_eq!(call(&p, a.counter, countCall { who: acc.address }).await, U256::from(1));
    // after trusting the attester, ENABLE works too
    let trust = trustAttestersCall { threshold: 1, attesters: vec![a.attester] }.abi_encode();
    let (op, _) = user_op(&p, &d, &acc, single_call(a.registry, trust), false, &acc.owner).await;
    assert_eq!(send_op(&b, op).await["success"], json!(true));
    let (op, id) = enable_op(session(3), EnableMode::Enable).await;
    let r = send_op(&b, op).await;
    assert_eq!(r["success"], json!(true), "{r}");
    assert!(
        call(
            &p,
            a.smart_session,
            isPermissionEnabledCall { permissionId: id, account: acc.address }
        )
        .await
    );
    assert_eq!(call(&p, a.counter, countCall { who: acc.address }).await, U256::from(2));
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

/// Revert data of an `eth_call`, as the node returns it.
async fn revert_data<P: Provider>(p: &P, tx: TransactionRequest) -> Bytes {
    let err = p.call(tx).await.expect_err("the call must revert");
    err.as_error_resp().and_then(|e| e.as_revert_data()).expect("revert data")
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
            let call = smart_session::validateUserOpCall {
                userOp: packed.into_bindings(),
                userOpHash: B256::ZERO,
            };
            let tx = TransactionRequest::default()
                .from(acc.address)
                .to(a.smart_session)
                .input(Bytes::from(call.abi_encode()).into());
            let data = revert_data(p, tx).await;
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
    let call = entry_point::handleOpsCall { ops: vec![packed], beneficiary: d.deployer.address() };
    let tx =
        TransactionRequest::default().to(ENTRY_POINT).input(Bytes::from(call.abi_encode()).into());
    let data = revert_data(&p, tx).await;
    let entry_point::EntryPointErrors::FailedOp(e) =
        entry_point::EntryPointErrors::abi_decode(&data).expect("EntryPoint error")
    else {
        panic!("not FailedOp")
    };
    assert!(e.reason.starts_with("AA24"), "{}", e.reason);
}

trait IntoBindings {
    fn into_bindings(self) -> smart_sessions_bindings::legacy::smart_session::PackedUserOperation;
}

impl IntoBindings for PackedUserOperation {
    fn into_bindings(self) -> smart_sessions_bindings::legacy::smart_session::PackedUserOperation {
        smart_sessions_bindings::legacy::smart_session::PackedUserOperation {
            sender: self.sender,
            nonce: self.nonce,
            initCode: self.initCode,
            callData: self.callData,
            accountGasLimits: self.accountGasLimits,
            preVerificationGas: self.preVerificationGas,
            gasFees: self.gasFees,
            paymasterAndData: self.paymasterAndData,
            signature: self.signature,
        }
    }
}
