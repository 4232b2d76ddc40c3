//! What a caller asks for ([`SessionRequest`], [`Precheck`]) and what a flow returns ([`Sent`],
//! [`Grant`]).

use crate::{Deployments, FlowError, SessionDetails, UserOperation, UserOperationReceipt};
use alloy_primitives::{Address, B256, Bytes};
use serde::Deserialize;
use smart_sessions_codec::{AnySession, ERC7739Data, PolicyData, Session, legacy};
use smart_sessions_policy::json::ActionPolicyInfo;
use std::time::Duration;

/// Whether `use_permission` checks the calls against the session's policies off-chain first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precheck {
    /// Check, and refuse with the failing rule instead of sending (the default); a policy the
    /// evaluator does not know is a refusal too ([`FlowError::Unchecked`]).
    #[default]
    On,
    /// Check, refuse with the failing rule, but send when the only problem is policies the
    /// evaluator does not know ([`Sent::unchecked`] lists them).
    AllowUnchecked,
    /// Send without checking (the bundler's simulation and the chain still enforce everything).
    Skip,
}

/// One permission request in `@biconomy/sdk`'s `sessionRequestedInfo` shape (seed docs).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    /// The session key's address: the signer that will use the permission (`sessionPublicKey`).
    pub session_public_key: Address,
    /// The session validator (default: the deployment's session-key validator).
    #[serde(default)]
    pub session_validator_address: Option<Address>,
    /// The validator's init data (default: the 20 bytes of `session_public_key`).
    #[serde(default)]
    pub session_key_data: Option<Bytes>,
    /// End of the session's validity (unix seconds; adds a user-op time frame policy).
    #[serde(default)]
    pub session_valid_until: Option<u64>,
    /// Start of the session's validity (unix seconds; adds a user-op time frame policy).
    #[serde(default)]
    pub session_valid_after: Option<u64>,
    /// The calls the session may make (target and selector) and each one's policies.
    pub action_policies_info: Vec<ActionPolicyInfo>,
    /// The salt (default: 32 random bytes, as the TypeScript SDK).
    #[serde(default)]
    pub salt: Option<B256>,
    /// Whether the session's operations may be sponsored by an ERC-4337 paymaster
    /// (`permitERC4337Paymaster`; JSON `permitERC4337Paymaster`, default `false`). With it, the
    /// session gets the user-operation policy the SDKs pair with the permit: the deployment's
    /// SudoPolicy, unless a user-op policy is already there (a time frame from
    /// [`session_valid_until`](Self::session_valid_until)): SmartSession refuses a sponsored
    /// operation of a permission without user-op policies (`NoPoliciesSet`), and one without the
    /// permit (`PaymasterValidationNotEnabled`). abstractjs 1.2.3 (B.2) and `@biconomy/sdk`
    /// 0.0.29 (A.7) always set it.
    ///
    /// The legacy generation's `Session` has no such field: its module never checks the
    /// paymaster, so a legacy session can always be sponsored and this flag changes nothing.
    #[serde(default, rename = "permitERC4337Paymaster")]
    pub permit_paymaster: bool,
}

impl SessionRequest {
    /// A request for `session_key` with `actions`, defaults elsewhere.
    pub fn new(session_key: Address, actions: Vec<ActionPolicyInfo>) -> Self {
        Self {
            session_public_key: session_key,
            session_validator_address: None,
            session_key_data: None,
            session_valid_until: None,
            session_valid_after: None,
            action_policies_info: actions,
            salt: None,
            permit_paymaster: false,
        }
    }

    /// The session for `deployments`: policies validated (errors name the rule), canonical
    /// policy addresses replaced by the deployment's, a user-op time frame policy if a window is
    /// given.
    pub fn to_session(&self, d: &Deployments) -> Result<AnySession, FlowError> {
        let g = d.generation;
        let validator = self.session_validator_address.or(d.session_key_validator).ok_or(
            FlowError::Unusable {
                field: "sessionValidatorAddress",
                problem: crate::error::Unusable::NoSessionValidator,
            },
        )?;
        let init = self
            .session_key_data
            .clone()
            .unwrap_or_else(|| self.session_public_key.to_vec().into());
        if self.action_policies_info.is_empty() {
            return Err(FlowError::Unusable {
                field: "actionPoliciesInfo",
                problem: crate::error::Unusable::NoAction,
            });
        }
        let mut actions =
            smart_sessions_policy::json::action_data_list(&self.action_policies_info, g)?;
        for a in &mut actions {
            for p in &mut a.actionPolicies {
                d.remap_policy(p);
            }
        }
        let mut user_op: Vec<PolicyData> = Vec::new();
        if self.session_valid_until.is_some() || self.session_valid_after.is_some() {
            let (until, after) =
                (self.session_valid_until.unwrap_or(0), self.session_valid_after.unwrap_or(0));
            let mut p = if g.is_legacy() {
                PolicyData::new(
                    d.time_frame_policy
                        .unwrap_or(smart_sessions_policy::json::BICONOMY_TIME_FRAME_POLICY),
                    smart_sessions_codec::time_frame_init_data(g, until, after).map_err(
                        |source| crate::ClientError::Encoding { step: "sessionValidUntil", source },
                    )?,
                )
            } else {
                smart_sessions_policy::time_frame(g, until, after)?
            };
            d.remap_policy(&mut p);
            user_op.push(p);
        }
        if self.permit_paymaster && !g.is_legacy() && user_op.is_empty() {
            user_op.push(PolicyData::new(d.sudo_policy, Bytes::new()));
        }
        let salt = self.salt.unwrap_or_else(B256::random);
        Ok(if g.is_legacy() {
            AnySession::Legacy(legacy::Session {
                sessionValidator: validator,
                sessionValidatorInitData: init,
                salt,
                userOpPolicies: user_op,
                erc7739Policies: Default::default(),
                actions,
            })
        } else {
            AnySession::Current(Session {
                sessionValidator: validator,
                sessionValidatorInitData: init,
                salt,
                userOpPolicies: user_op,
                erc7739Policies: ERC7739Data::default(),
                actions,
                permitERC4337Paymaster: self.permit_paymaster,
            })
        })
    }
}

/// An operation the EntryPoint included and whose call succeeded: what every sending flow
/// returns.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The operation's hash (the EntryPoint's `getUserOpHash`; the bundler confirmed it).
    pub user_op_hash: B256,
    /// The bundler's receipt (`success` true), with gas used and cost.
    pub receipt: UserOperationReceipt,
    /// The signed operation as sent to the bundler (gas values, nonce, signature).
    pub user_op: UserOperation,
    /// Wall-clock time from building the operation to having its receipt.
    pub latency: Duration,
    /// Policies the off-chain pre-check could not evaluate (only with
    /// [`Precheck::AllowUnchecked`]; the chain evaluated them).
    pub unchecked: Vec<Address>,
}

impl Sent {
    /// Gas used (the receipt's `actualGasUsed`).
    pub fn gas_used(&self) -> u64 {
        self.receipt.actual_gas_used.saturating_to()
    }
}

/// What [`NexusClient::grant_permission`](crate::NexusClient::grant_permission) returns (the seed's `{userOpHash, permissionIds}`, and
/// the sessions, ready to hand to the session key holder).
#[derive(Clone, Debug)]
pub struct Grant {
    /// The owner's operation that enabled the sessions (and deployed, installed or trusted
    /// attesters, if that was needed).
    pub sent: Sent,
    /// The granted sessions' permission ids, in request order.
    pub permission_ids: Vec<B256>,
    /// For each session, in request order, what its session key holder needs to use it (USE mode);
    /// serde, so it can be handed to another process.
    pub sessions: Vec<SessionDetails>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn session_requests_are_validated_and_remapped() {
        let mut d = Deployments::legacy_nexus_k1();
        d.uni_action_policy = Address::repeat_byte(0x77);
        let r: SessionRequest = serde_json::from_value(json!({
            "sessionPublicKey": Address::repeat_byte(5),
            "actionPoliciesInfo": [{
                "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb",
                "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": false, "ref": 5 }]
            }],
            "salt": B256::repeat_byte(3)
        }))
        .unwrap();
        let s = r.to_session(&d).unwrap();
        assert_eq!(s.actions()[0].actionPolicies[0].policy, d.uni_action_policy);
        assert_eq!(s.session_validator(), d.session_key_validator.unwrap());
        assert_eq!(&s.session_validator_init_data()[..], Address::repeat_byte(5).as_slice());
        assert_eq!(s.salt(), B256::repeat_byte(3));
        assert!(s.user_op_policies().is_empty());
        // 17 rules: the policy crate's error names the problem
        let mut many = r.clone();
        let rule = many.action_policies_info[0].rules[0];
        many.action_policies_info[0].rules = vec![rule; 17];
        assert!(matches!(many.to_session(&d), Err(FlowError::Policy(_))));
        let mut none = r;
        none.action_policies_info.clear();
        let e = none.to_session(&d).unwrap_err();
        assert!(e.to_string().starts_with("actionPoliciesInfo"), "{e}");
    }

    /// `permitERC4337Paymaster: true` sets the current session's flag and pairs it with the
    /// deployment's SudoPolicy as user-op policy (abstractjs B.2); an existing user-op policy
    /// (a time frame) is kept instead; without it, no flag and no user-op policy; on legacy
    /// (no such field) the session is the same with or without it.
    #[test]
    fn a_paymaster_permit_sets_the_flag_and_a_user_op_policy() {
        let d = Deployments::current(Address::repeat_byte(0x0a));
        let base = json!({
            "sessionPublicKey": Address::repeat_byte(5),
            "sessionValidatorAddress": Address::repeat_byte(6),
            "actionPoliciesInfo": [{ "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb", "sudo": true }],
            "salt": B256::repeat_byte(3)
        });
        let with = |extra: serde_json::Value| {
            let mut v = base.clone();
            v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            serde_json::from_value::<SessionRequest>(v).unwrap()
        };
        let permitted = with(json!({ "permitERC4337Paymaster": true })).to_session(&d).unwrap();
        let AnySession::Current(p) = &permitted else { panic!("current") };
        assert!(p.permitERC4337Paymaster);
        assert_eq!(p.userOpPolicies, vec![PolicyData::new(d.sudo_policy, Bytes::new())]);
        let plain = with(json!({})).to_session(&d).unwrap();
        let AnySession::Current(n) = &plain else { panic!("current") };
        assert!(!n.permitERC4337Paymaster && n.userOpPolicies.is_empty());
        let framed =
            with(json!({ "permitERC4337Paymaster": true, "sessionValidUntil": 2_000_000_000u64 }))
                .to_session(&d)
                .unwrap();
        assert_eq!(framed.user_op_policies().len(), 1);
        assert_ne!(framed.user_op_policies()[0].policy, d.sudo_policy);
        let legacy = Deployments::legacy_nexus_k1();
        assert_eq!(
            with(json!({ "permitERC4337Paymaster": true })).to_session(&legacy).unwrap(),
            with(json!({})).to_session(&legacy).unwrap()
        );
    }
}
