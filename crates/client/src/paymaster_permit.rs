//! Sponsored session operations and the session's paymaster permit.
//!
//! SmartSession v1.0 and the current generation refuse, during validation, a session
//! operation that carries `paymasterAndData` when the session was enabled with
//! `permitERC4337Paymaster = false`: `PaymasterValidationNotEnabled(bytes32 permissionId)`
//! (selector `0xd5dc9fa4`, spec/protocol.md's error table). The client refuses such an
//! operation **before signing** ([`check_paymaster_permit`], called by `use_permission` when a
//! paymaster is configured), and names the on-chain error when it comes back anyway
//! ([`paymaster_refusal`]: the permit may have been changed on chain since the grant). The
//! legacy generation has no permit: its sessions can always be sponsored.

use crate::{FlowError, Refusal, bundler::decode_revert};
use alloy_primitives::B256;
use alloy_sol_types::SolInterface;
use smart_sessions_bindings::common::entry_point::EntryPoint::EntryPointErrors;
use smart_sessions_codec::AnySession;

/// `Ok` unless `sponsored` and `session` (v1.0 or current layout) has
/// `permitERC4337Paymaster = false`: then [`FlowError::PaymasterNotPermitted`] naming
/// `permission_id`, before anything is signed or sent.
///
/// ```
/// use alloy_primitives::B256;
/// use smart_sessions_client::check_paymaster_permit;
/// use smart_sessions_codec::AnySession;
/// # fn f(session: AnySession) {
/// let pid = B256::repeat_byte(1);
/// // without a paymaster every session may be used
/// assert!(check_paymaster_permit(&session, pid, false).is_ok());
/// # }
/// ```
pub fn check_paymaster_permit(
    session: &AnySession,
    permission_id: B256,
    sponsored: bool,
) -> Result<(), FlowError> {
    match session {
        AnySession::Current(s) if sponsored && !s.permitERC4337Paymaster => {
            Err(FlowError::PaymasterNotPermitted { permission_id })
        }
        _ => Ok(()),
    }
}

/// The permission named by SmartSession's `PaymasterValidationNotEnabled` in revert data,
/// either the error itself or wrapped by the EntryPoint in `FailedOpWithRevert(opIndex,
/// reason, inner)` (how a bundler's simulation reports a validation revert).
pub fn paymaster_refusal(data: &[u8]) -> Option<B256> {
    let inner;
    let data = match EntryPointErrors::abi_decode(data) {
        Ok(EntryPointErrors::FailedOpWithRevert(e)) => {
            inner = e.inner;
            &inner[..]
        }
        _ => data,
    };
    match decode_revert(data)? {
        Refusal::SmartSession(e) if e.name == "PaymasterValidationNotEnabled" => e.permission_id,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paymaster::PaymasterFuture;
    use crate::{
        ClientOptions, Deployments, NexusAccount, NexusClient, PaymasterSource, Precheck,
        SessionDetails, SessionRequest, UserOperation,
    };
    use alloy_primitives::{Address, U256, hex};
    use alloy_provider::ProviderBuilder;
    use alloy_sol_types::{SolError, SolValue};
    use alloy_transport::mock::Asserter;
    use serde_json::json;
    use smart_sessions_bindings::{current, v1};
    use std::sync::Arc;

    /// spec/protocol.md's error table: `PaymasterValidationNotEnabled(bytes32)` = 0xd5dc9fa4.
    const SPEC_SELECTOR: [u8; 4] = hex!("d5dc9fa4");

    fn session(permit: bool) -> AnySession {
        let r: SessionRequest = serde_json::from_value(json!({
            "sessionPublicKey": Address::repeat_byte(5),
            "actionPoliciesInfo": [{ "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb", "sudo": true }]
        }))
        .unwrap();
        let mut s = r.to_session(&Deployments::v1_nexus_k1()).unwrap();
        if let AnySession::Current(c) = &mut s {
            c.permitERC4337Paymaster = permit;
        }
        s
    }

    #[test]
    fn a_session_without_the_permit_is_refused_only_when_sponsored() {
        let pid = B256::repeat_byte(7);
        let e = check_paymaster_permit(&session(false), pid, true).unwrap_err();
        assert!(
            matches!(e, FlowError::PaymasterNotPermitted { permission_id } if permission_id == pid)
        );
        let text = e.to_string();
        assert!(
            text.contains(&pid.to_string()) && text.contains("permitERC4337Paymaster"),
            "{text}"
        );
        assert!(check_paymaster_permit(&session(false), pid, false).is_ok());
        assert!(check_paymaster_permit(&session(true), pid, true).is_ok());
        // the legacy layout has no permit
        let r: SessionRequest = serde_json::from_value(json!({
            "sessionPublicKey": Address::repeat_byte(5),
            "actionPoliciesInfo": [{ "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb", "sudo": true }]
        }))
        .unwrap();
        let legacy = r.to_session(&Deployments::legacy_nexus_k1()).unwrap();
        assert!(matches!(legacy, AnySession::Legacy(_)));
        assert!(check_paymaster_permit(&legacy, pid, true).is_ok());
    }

    #[test]
    fn the_bindings_selector_is_the_spec_s() {
        use current::smart_session::SmartSession::PaymasterValidationNotEnabled as C;
        use v1::smart_session::SmartSession::PaymasterValidationNotEnabled as V;
        assert_eq!(C::SELECTOR, SPEC_SELECTOR);
        assert_eq!(V::SELECTOR, SPEC_SELECTOR);
    }

    #[test]
    fn the_on_chain_refusal_is_decoded_with_its_permission() {
        let pid = B256::repeat_byte(0xab);
        // the revert data's shape, built by hand: selector ‖ bytes32 permission id
        let mut raw = SPEC_SELECTOR.to_vec();
        raw.extend_from_slice(pid.as_slice());
        assert_eq!(paymaster_refusal(&raw), Some(pid));
        // as a bundler's simulation reports it: EntryPoint FailedOpWithRevert(0, "AA23 reverted", raw)
        let mut wrapped = hex!("65c8fd4d").to_vec();
        wrapped.extend((U256::ZERO, "AA23 reverted".to_string(), raw.clone()).abi_encode_params());
        assert_eq!(paymaster_refusal(&wrapped), Some(pid));
        // another SmartSession error is not this one
        let mut other =
            current::smart_session::SmartSession::InvalidPermissionId::SELECTOR.to_vec();
        other.extend_from_slice(pid.as_slice());
        assert_eq!(paymaster_refusal(&other), None);
        assert_eq!(paymaster_refusal(&raw[..20]), None);
    }

    /// A paymaster that must not be asked anything.
    #[derive(Debug)]
    struct NeverAsked;
    impl PaymasterSource for NeverAsked {
        fn stub_data<'a>(
            &'a self,
            _: &'a UserOperation,
            _: Address,
            _: u64,
        ) -> PaymasterFuture<'a> {
            panic!("the paymaster was asked for stub data")
        }
        fn data<'a>(&'a self, _: &'a UserOperation, _: Address, _: u64) -> PaymasterFuture<'a> {
            panic!("the paymaster was asked for data")
        }
    }

    /// `use_permission` on a v1.0 client with a paymaster and a session without the permit:
    /// refused before any node, bundler or paymaster call and before the key signs.
    #[tokio::test]
    async fn use_permission_refuses_before_signing() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let d = Deployments::v1_nexus_k1();
        let c = NexusClient::with_chain_id(
            ProviderBuilder::new().connect_mocked_client(node.clone()),
            ProviderBuilder::new().connect_mocked_client(bundler.clone()),
            1,
            d.clone(),
            NexusAccount::existing(Address::repeat_byte(1), crate::ENTRY_POINT_V07),
        )
        .with_options(ClientOptions {
            paymaster: Some(Arc::new(NeverAsked)),
            ..ClientOptions::default()
        });
        let details = SessionDetails::enabled(d.smart_sessions(), c.address(), session(false));
        let key = alloy_signer_local::PrivateKeySigner::random();
        let e = c.use_permission(&key, &details, &[], Precheck::On).await.unwrap_err();
        assert!(
            matches!(e, FlowError::PaymasterNotPermitted { permission_id } if permission_id == details.permission_id),
            "{e}"
        );
        assert!(node.read_q().is_empty() && bundler.read_q().is_empty());
    }
}
