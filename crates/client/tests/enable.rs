//! Off-chain grants (ENABLE and UNSAFE_ENABLE, owner signing as typed data and as personal sign),
//! replay, removal, a wrong session key, and `check_enabled_permissions` across two chains.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::ProviderBuilder;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use smart_sessions_devnet::contracts::Counter::bumpCall;
/// A signature from bytes signed by a key.
type Wrap = Box<dyn Fn(&[u8]) -> Bytes + Send + Sync>;
/// A user-operation signer.
type Sign = Box<dyn Fn(B256) -> Bytes + Send + Sync>;

use smart_sessions_client::{
    BundlerApi, OwnerSignatureStyle, Refusal, SessionDetails, SmartSessions,
    check_enabled_permissions, trust_attesters,
};
use smart_sessions_codec::{ActionData, AnySession, Execution, Generation, PolicyData, legacy};
use smart_sessions_devnet::{Devnet, ENTRY_POINT, Options};
use std::time::Duration;

mod common;
use common::{ecdsa_stub as stub, fill};

#[tokio::test(flavor = "multi_thread")]
async fn off_chain_grants_replay_removal_and_two_chains() {
    const CHAIN: u64 = 31352;
    let d = Devnet::start_with(Options { chain_id: CHAIN, ..Options::default() })
        .await
        .expect("devnet");
    let other =
        Devnet::start_with(Options { chain_id: 31353, bundler: false, ..Options::default() })
            .await
            .expect("second chain");
    let a = d.addresses.clone();
    let p = ProviderBuilder::new().connect_http(d.rpc_url.parse().unwrap());
    let p2 = ProviderBuilder::new().connect_http(other.rpc_url.parse().unwrap());
    let b = ProviderBuilder::new().connect_http(d.bundler_url.clone().unwrap().parse().unwrap());
    let owner = PrivateKeySigner::random();
    let account = common::funded_nexus_account(&p, &d, owner.address()).await;
    let ss = SmartSessions { generation: Generation::Legacy, address: a.smart_session };

    let send = |validator: Address, calls: Vec<Execution>, stub_sig: Bytes, sign: Sign| {
        let (p, b, account) = (&p, &b, &account);
        async move {
            let op = account.user_operation(p, validator, &calls).await.unwrap();
            let mut op = fill(b, op, stub_sig).await?;
            op.signature = sign(op.hash(ENTRY_POINT, CHAIN));
            let hash = b.send_user_op(&op, ENTRY_POINT).await?;
            b.wait_for_user_op_receipt(hash, Duration::from_secs(30)).await
        }
    };
    let owner_sign = {
        let owner = owner.clone();
        move || -> Sign {
            let owner = owner.clone();
            Box::new(move |h: B256| {
                owner.sign_message_sync(h.as_slice()).unwrap().as_bytes().to_vec().into()
            })
        }
    };
    let r = send(
        a.owner_validator,
        vec![
            ss.install(account.address, &[]).unwrap(),
            trust_attesters(a.registry, 1, &[a.attester]),
        ],
        stub(),
        owner_sign(),
    )
    .await
    .unwrap();
    assert!(r.success);

    let session_key = PrivateKeySigner::random();
    let session = |salt: u8| {
        AnySession::Legacy(legacy::Session {
            sessionValidator: a.session_key_validator,
            sessionValidatorInitData: session_key.address().to_vec().into(),
            salt: B256::repeat_byte(salt),
            userOpPolicies: vec![],
            erc7739Policies: Default::default(),
            actions: vec![ActionData {
                actionTargetSelector: bumpCall::SELECTOR.into(),
                actionTarget: a.counter,
                actionPolicies: vec![PolicyData::new(a.sudo_policy, Bytes::new())],
            }],
        })
    };
    let bump = Execution::new(a.counter, U256::ZERO, bumpCall {}.abi_encode());
    let key_sign = |key: PrivateKeySigner, wrap: Wrap| -> Sign {
        Box::new(move |h: B256| wrap(&key.sign_message_sync(h.as_slice()).unwrap().as_bytes()))
    };
    let enable_and_use = |details: SessionDetails| {
        let stub_sig = details.stub_enable_signature().unwrap();
        let sign = key_sign(
            session_key.clone(),
            Box::new(move |s: &[u8]| details.enable_signature(s).unwrap()),
        );
        send(a.smart_session, vec![bump.clone()], stub_sig, sign)
    };

    // 1. ENABLE, the owner signing typed data; the details travel as JSON to the key holder
    let s1 = session(1);
    let details = ss
        .grant_off_chain(
            &p,
            account.address,
            CHAIN,
            &s1,
            false,
            &owner,
            a.owner_validator,
            OwnerSignatureStyle::TypedData,
        )
        .await
        .unwrap();
    let json = serde_json::to_string(&details).unwrap();
    let details: SessionDetails = serde_json::from_str(&json).unwrap();
    assert!(enable_and_use(details.clone()).await.unwrap().success);
    assert!(ss.is_permission_enabled(&p, details.permission_id, account.address).await.unwrap());

    // 2. the same enable signature again: the nonce moved on, HashMismatch
    let err = enable_and_use(details.clone()).await.expect_err("replay");
    let Some(Refusal::SmartSession(e)) = err.refusal() else { panic!("{err}") };
    assert_eq!(e.name, "HashMismatch", "{e}");

    // 3. UNSAFE_ENABLE, the owner signing with personal_sign
    let s2 = session(2);
    let details2 = ss
        .grant_off_chain(
            &p,
            account.address,
            CHAIN,
            &s2,
            true,
            &owner,
            a.owner_validator,
            OwnerSignatureStyle::PersonalSign,
        )
        .await
        .unwrap();
    assert!(enable_and_use(details2.clone()).await.unwrap().success);

    // 4. USE with the first permission
    let id1 = details.permission_id;
    let use_with = |key: PrivateKeySigner, id: B256| {
        send(
            a.smart_session,
            vec![bump.clone()],
            ss.stub_use_signature(id),
            key_sign(key, Box::new(move |s: &[u8]| ss.use_signature(id, s))),
        )
    };
    assert!(use_with(session_key.clone(), id1).await.unwrap().success);

    // 5. a wrong session key: AA24
    let err = use_with(PrivateKeySigner::random(), id1).await.expect_err("wrong key");
    assert!(matches!(err.refusal(), Some(Refusal::EntryPoint { code: 24, .. })), "{err}");

    // 6. the owner removes the first session; using it fails
    assert!(
        send(a.owner_validator, vec![ss.remove_session(id1)], stub(), owner_sign())
            .await
            .unwrap()
            .success
    );
    let err = use_with(session_key.clone(), id1).await.expect_err("removed");
    let Some(Refusal::SmartSession(e)) = err.refusal() else { panic!("{err}") };
    assert_eq!(e.name, "InvalidPermissionId", "{e}");
    assert_eq!(e.permission_id, Some(id1));

    // 7. enabled permissions on both chains
    let ss2 =
        SmartSessions { generation: Generation::Legacy, address: other.addresses.smart_session };
    let map = check_enabled_permissions(
        &[(CHAIN, &p, ss), (31353, &p2, ss2)],
        account.address,
        &[id1, details2.permission_id],
    )
    .await
    .unwrap();
    assert!(!map[&id1][&CHAIN]);
    assert!(map[&details2.permission_id][&CHAIN]);
    assert!(!map[&details2.permission_id][&31353]);
}
