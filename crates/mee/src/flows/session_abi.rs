//! The codec's session structs as the bindings' `SmartSession` argument types (field by field:
//! the same ABI layout, different Rust types), for the `getSessionDigest` reads.

use smart_sessions_bindings::{current::smart_session as current, legacy::smart_session as legacy};
use smart_sessions_codec::{ActionData, PolicyData, Session, legacy::Session as LegacySession};

fn current_policies(p: &[PolicyData]) -> Vec<current::PolicyData> {
    p.iter()
        .map(|p| current::PolicyData { policy: p.policy, initData: p.initData.clone() })
        .collect()
}

fn legacy_policies(p: &[PolicyData]) -> Vec<legacy::PolicyData> {
    p.iter()
        .map(|p| legacy::PolicyData { policy: p.policy, initData: p.initData.clone() })
        .collect()
}

fn current_actions(a: &[ActionData]) -> Vec<current::ActionData> {
    a.iter()
        .map(|a| current::ActionData {
            actionTargetSelector: a.actionTargetSelector,
            actionTarget: a.actionTarget,
            actionPolicies: current_policies(&a.actionPolicies),
        })
        .collect()
}

fn legacy_actions(a: &[ActionData]) -> Vec<legacy::ActionData> {
    a.iter()
        .map(|a| legacy::ActionData {
            actionTargetSelector: a.actionTargetSelector,
            actionTarget: a.actionTarget,
            actionPolicies: legacy_policies(&a.actionPolicies),
        })
        .collect()
}

/// A 7-field session (v1.0 and current) as the current binding's `Session`.
pub(crate) fn current_session(s: &Session) -> current::Session {
    current::Session {
        sessionValidator: s.sessionValidator,
        sessionValidatorInitData: s.sessionValidatorInitData.clone(),
        salt: s.salt,
        userOpPolicies: current_policies(&s.userOpPolicies),
        erc7739Policies: current::ERC7739Data {
            allowedERC7739Content: s
                .erc7739Policies
                .allowedERC7739Content
                .iter()
                .map(|c| current::ERC7739Context {
                    appDomainSeparator: c.appDomainSeparator,
                    contentName: c.contentName.clone(),
                })
                .collect(),
            erc1271Policies: current_policies(&s.erc7739Policies.erc1271Policies),
        },
        actions: current_actions(&s.actions),
        permitERC4337Paymaster: s.permitERC4337Paymaster,
    }
}

/// A legacy 6-field session as the legacy binding's `Session`.
pub(crate) fn legacy_session(s: &LegacySession) -> legacy::Session {
    legacy::Session {
        sessionValidator: s.sessionValidator,
        sessionValidatorInitData: s.sessionValidatorInitData.clone(),
        salt: s.salt,
        userOpPolicies: legacy_policies(&s.userOpPolicies),
        erc7739Policies: legacy::ERC7739Data {
            allowedERC7739Content: s.erc7739Policies.allowedERC7739Content.clone(),
            erc1271Policies: legacy_policies(&s.erc7739Policies.erc1271Policies),
        },
        actions: legacy_actions(&s.actions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, B256, Bytes, FixedBytes};
    use alloy_sol_types::SolValue;
    use smart_sessions_codec::{ERC7739Context, ERC7739Data};

    fn session() -> Session {
        let policy =
            PolicyData { policy: Address::repeat_byte(3), initData: Bytes::from(vec![7; 40]) };
        Session {
            sessionValidator: Address::repeat_byte(1),
            sessionValidatorInitData: Bytes::from(vec![2; 20]),
            salt: B256::repeat_byte(4),
            userOpPolicies: vec![policy.clone()],
            erc7739Policies: ERC7739Data {
                allowedERC7739Content: vec![ERC7739Context {
                    appDomainSeparator: B256::ZERO,
                    contentName: vec!["Mail".into()],
                }],
                erc1271Policies: vec![policy.clone()],
            },
            actions: vec![ActionData {
                actionTargetSelector: FixedBytes([0xd0, 0x9d, 0xe0, 0x8a]),
                actionTarget: Address::repeat_byte(5),
                actionPolicies: vec![policy],
            }],
            permitERC4337Paymaster: false,
        }
    }

    /// The converted structs encode to the codec structs' ABI bytes (the codec's encoding is the
    /// reference: it is the one checked against the recorded vectors).
    #[test]
    fn conversions_keep_the_abi_bytes() {
        let s = session();
        assert_eq!(current_session(&s).abi_encode(), s.abi_encode());
        let l = crate::session::to_legacy(&s).unwrap();
        assert_eq!(legacy_session(&l).abi_encode(), l.abi_encode());
    }
}
