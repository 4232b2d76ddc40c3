//! The legacy SmartSession generation (the only one on the project's devnet): grants use the
//! 6-field layout and its `SessionEIP712` digests, and session userOp signatures use the legacy
//! encodings. Checked by decoding with the codec's legacy decoder and by signature recovery;
//! the digest the chain would return is computed with the codec's legacy digest (which the codec
//! checks against its own legacy vectors).

use alloy_primitives::{Address, B256, U256, address};
use alloy_signer_local::PrivateKeySigner;
use smart_sessions_codec::{
    AnyEnableSession, EnableMode, Generation, SmartSessionSignature,
    eip712::{legacy_session_digest, multichain_digest},
};
use smart_sessions_mee::{
    MeeError, MeeVersion,
    session::{ChainRead, GrantAction, plan_grant, sudo_policy_of, to_legacy},
    stx_signature::session_user_op_signature,
};

const ACCOUNT: Address = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");

fn version() -> smart_sessions_mee::MeeVersionConfig {
    let mut v = MeeVersion::V2_0_0.config();
    v.smart_sessions = Generation::Legacy;
    v
}

fn actions() -> Vec<GrantAction> {
    vec![GrantAction {
        chain_id: 31337,
        action: smart_sessions_codec::ActionData {
            actionTargetSelector: "0xd09de08a".parse().unwrap(),
            actionTarget: address!("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"),
            actionPolicies: vec![sudo_policy_of(Generation::Legacy)],
        },
    }]
}

#[test]
fn legacy_grant_signs_the_legacy_multichain_digest() {
    let owner = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).unwrap();
    let redeemer = address!("0x5904c4CD5C84766b71f31BA547bAf52d5D256816");
    let salt = B256::repeat_byte(9);
    // what getSessionDigest of the legacy module returns, from the codec
    let plan0 = plan_grant(
        &version(),
        redeemer,
        &actions(),
        None,
        &[salt],
        |_| Some(ACCOUNT),
        |_| Some(ChainRead { smart_session_nonce: U256::ZERO, session_digest: B256::ZERO }),
    );
    let Err(MeeError::SessionDigestMismatch { computed, .. }) = plan0 else {
        panic!("a wrong digest must be refused")
    };
    let details = plan_grant(
        &version(),
        redeemer,
        &actions(),
        None,
        &[salt],
        |_| Some(ACCOUNT),
        |_| Some(ChainRead { smart_session_nonce: U256::ZERO, session_digest: computed }),
    )
    .unwrap()
    .sign_typed_data_sync(&owner)
    .unwrap();
    let d = &details[0];
    let legacy = to_legacy(&d.session_to_enable.session).unwrap();
    assert_eq!(
        legacy_session_digest(
            &legacy,
            ACCOUNT,
            Generation::Legacy.smart_session(),
            EnableMode::UnsafeEnable,
            U256::ZERO
        ),
        computed
    );
    assert!(!d.session_to_enable.session.permitERC4337Paymaster);
    assert_eq!(
        d.session_to_enable.session.userOpPolicies,
        vec![sudo_policy_of(Generation::Legacy)]
    );
    let digest = multichain_digest(Generation::Legacy, &d.hashes_and_chain_ids);
    assert_ne!(digest, multichain_digest(Generation::Current, &d.hashes_and_chain_ids));
    let sig: alloy_primitives::Signature = d.permission_enable_sig[..].try_into().unwrap();
    assert_eq!(sig.recover_address_from_prehash(&digest).unwrap(), owner.address());

    // the node-side userOp signature in the legacy encodings decodes with the legacy decoder
    let stx_sig = [0xab; 97];
    let enable = session_user_op_signature(Generation::Legacy, d, &stx_sig).unwrap();
    match SmartSessionSignature::decode(&enable, Generation::Legacy).unwrap() {
        SmartSessionSignature::Enable { mode, enable: AnyEnableSession::Legacy(e), signature } => {
            assert_eq!(mode, EnableMode::UnsafeEnable);
            assert_eq!(e.sessionToEnable, legacy);
            assert_eq!(&signature[..], &stx_sig);
            assert_eq!(&e.permissionEnableSig[20..], &d.permission_enable_sig[..]);
        }
        other => panic!("{other:?}"),
    }
    let use_ = session_user_op_signature(
        Generation::Legacy,
        &d.with_mode(smart_sessions_codec::SmartSessionMode::Use),
        &stx_sig,
    )
    .unwrap();
    assert_eq!(
        SmartSessionSignature::decode(&use_, Generation::Legacy).unwrap(),
        SmartSessionSignature::Use {
            permission_id: d.permission_id,
            signature: stx_sig.to_vec().into()
        }
    );
}

#[test]
fn a_paymaster_permission_cannot_go_legacy() {
    let mut s =
        smart_sessions_codec::Session { permitERC4337Paymaster: true, ..Default::default() };
    assert!(to_legacy(&s).is_err());
    s.permitERC4337Paymaster = false;
    assert!(to_legacy(&s).is_ok());
}
