//! Running a user operation's calls through a session's policies as SmartSession runs them.

use super::state::PolicyState;
use crate::{
    FunctionLayout,
    eval::{Rejection, UncheckedReason},
};
use alloc::{collections::BTreeMap, vec::Vec};
use alloy_primitives::{Address, B256, FixedBytes};
use core::fmt;
use smart_sessions_codec::{
    ActionData, AnySession, Execution, FALLBACK_TARGET_FLAG, FALLBACK_TARGET_SELECTOR_FLAG,
    PolicyData, action_config_id, action_id, call_selector, user_op_config_id,
};

/// Where one policy of a session keeps its state: the policy contract and the config id
/// SmartSession passes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    /// Address of the policy contract that stores the state.
    pub policy: Address,
    /// The config id SmartSession passes the policy
    /// ([`user_op_config_id`] or [`action_config_id`] of the account and permission).
    pub config_id: B256,
}

/// Which of the session's policies SmartSession has enabled on chain for a permission (as
/// `isUserOpPolicyEnabled` / `isActionPolicyEnabled` answer). Policies disabled after the grant
/// are absent; an action whose list is empty is refused on chain (`NoPoliciesSet`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnabledPolicies {
    /// Addresses of the permission's enabled user-operation policies.
    pub user_op: Vec<Address>,
    /// For each action id ([`action_id`] of target and selector), the addresses of its enabled
    /// action policies.
    pub actions: BTreeMap<B256, Vec<Address>>,
}

/// The policies' state for one permission and account, and (when read from chain) which are
/// enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyView {
    /// The known state of each policy slot (a slot missing here is unchecked in [`evaluate`]
    /// and left out of [`budgets`](super::budgets)).
    pub states: BTreeMap<Slot, PolicyState>,
    /// Which policies are enabled (`None`: not known; the session's own lists are used).
    pub enabled: Option<EnabledPolicies>,
}

/// The session's action for `(target, selector)`, or its fallback action.
pub fn find_action(
    session: &AnySession,
    target: Address,
    selector: FixedBytes<4>,
) -> Option<&ActionData> {
    let actions = session.actions();
    actions.iter().find(|a| a.actionTarget == target && a.actionTargetSelector == selector).or_else(
        || {
            actions.iter().find(|a| {
                a.actionTarget == FALLBACK_TARGET_FLAG
                    && a.actionTargetSelector == FALLBACK_TARGET_SELECTOR_FLAG
            })
        },
    )
}

/// Every policy slot of a session for `account`, in SmartSession's order: user-operation
/// policies, then each action's (with the action).
pub fn slots(
    session: &AnySession,
    account: Address,
) -> Vec<(Option<&ActionData>, &PolicyData, Slot)> {
    let pid = session.permission_id();
    let mut out = Vec::new();
    let uo = user_op_config_id(account, pid);
    for p in session.user_op_policies() {
        out.push((None, p, Slot { policy: p.policy, config_id: uo }));
    }
    for a in session.actions() {
        let cid = action_config_id(account, pid, action_id(a.actionTarget, a.actionTargetSelector));
        for p in &a.actionPolicies {
            out.push((Some(a), p, Slot { policy: p.policy, config_id: cid }));
        }
    }
    out
}

/// An off-chain refusal: which call, which policy, and the evaluator's rejection (which names
/// the rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// Index of the call in the user operation (`None`: a user-operation policy).
    pub call: Option<usize>,
    /// The call's target (`Address::ZERO` for a user-operation policy).
    pub target: Address,
    /// The call's selector ([`call_selector`] of its calldata; zero for a user-operation
    /// policy).
    pub selector: FixedBytes<4>,
    /// The policy contract that would fail.
    pub policy: Address,
    /// Why, rule included.
    pub rejection: Rejection,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.call {
            Some(i) => write!(f, "call {i} ({}.{}) ", self.target, self.selector)?,
            None => f.write_str("user operation ")?,
        }
        write!(f, "refused by policy {}: {}", self.policy, self.rejection)
    }
}

impl core::error::Error for Refused {}

/// Why the session cannot run a call at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoActionReason {
    /// No action of the session (nor a fallback action) matches the call.
    NotAnAction,
    /// The action has no policy enabled on chain (SmartSession reverts `NoPoliciesSet`).
    NoPolicyEnabled,
}

/// A call the session cannot run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoAction {
    /// Index of the call among the user operation's calls.
    pub call: usize,
    /// The call's target.
    pub target: Address,
    /// The call's selector ([`call_selector`] of its calldata).
    pub selector: FixedBytes<4>,
    /// Why no action of the session runs the call.
    pub reason: NoActionReason,
}

impl fmt::Display for NoAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call {} ({}.{}): ", self.call, self.target, self.selector)?;
        f.write_str(match self.reason {
            NoActionReason::NotAnAction => "not an action of the session",
            NoActionReason::NoPolicyEnabled => {
                "no policy of this action is enabled on chain (SmartSession reverts NoPoliciesSet)"
            }
        })
    }
}

impl core::error::Error for NoAction {}

/// Why [`evaluate`] stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A policy would fail or revert on a call (or on the user operation).
    Refused(Refused),
    /// A call matches no usable action.
    NoAction(NoAction),
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(r) => r.fmt(f),
            Self::NoAction(n) => n.fmt(f),
        }
    }
}

impl core::error::Error for Stop {}

/// A policy the evaluation skipped, and why (the chain still enforces it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UncheckedPolicy {
    /// Address of the policy contract whose check was skipped.
    pub policy: Address,
    /// The call it would have checked (`None`: a user-operation policy).
    pub call: Option<usize>,
    /// Why its state is not known off-chain.
    pub reason: UncheckedReason,
}

/// Runs `calls` through the session's policies from `view`, as SmartSession would: the
/// user-operation policies once, then every call's action policies in order (state carries from
/// call to call). With [`PolicyView::enabled`] known, only the policies enabled on chain run,
/// and an action without any is refused as SmartSession refuses it. Time frames are checked at
/// `now` (unix seconds).
///
/// On success `view` holds the state after the operation and the result lists the policies
/// that could not be evaluated; on a refusal `view` is unchanged. Refusals of universal action
/// rules on well-known functions ([`FunctionLayout::known`]) print values by type.
pub fn evaluate(
    session: &AnySession,
    account: Address,
    calls: &[Execution],
    view: &mut PolicyView,
    now: u64,
) -> Result<Vec<UncheckedPolicy>, Stop> {
    let mut work = view.states.clone();
    let mut unchecked = Vec::new();
    let pid = session.permission_id();
    let uo = user_op_config_id(account, pid);
    let declared_user_op: Vec<Address> =
        session.user_op_policies().iter().map(|p| p.policy).collect();
    let user_op = view.enabled.as_ref().map_or(&declared_user_op, |e| &e.user_op);
    for policy in user_op {
        let slot = Slot { policy: *policy, config_id: uo };
        let r = match work.get_mut(&slot) {
            Some(PolicyState::UsageLimit(u)) => u.check(),
            Some(PolicyState::TimeFrame(t)) => t.check_at(now),
            Some(PolicyState::Sudo) => Ok(()),
            other => {
                let reason = match other {
                    Some(PolicyState::Unchecked(r)) => *r,
                    _ => UncheckedReason::StateUnavailable,
                };
                unchecked.push(UncheckedPolicy { policy: *policy, call: None, reason });
                Ok(())
            }
        };
        if let Err(rejection) = r {
            return Err(Stop::Refused(Refused {
                call: None,
                target: Address::ZERO,
                selector: FixedBytes::ZERO,
                policy: *policy,
                rejection,
            }));
        }
    }
    for (i, call) in calls.iter().enumerate() {
        let selector = call_selector(&call.callData);
        let no_action = |reason| {
            Err(Stop::NoAction(NoAction { call: i, target: call.target, selector, reason }))
        };
        let Some(action) = find_action(session, call.target, selector) else {
            return no_action(NoActionReason::NotAnAction);
        };
        let aid = action_id(action.actionTarget, action.actionTargetSelector);
        let cid = action_config_id(account, pid, aid);
        let declared: Vec<Address> = action.actionPolicies.iter().map(|p| p.policy).collect();
        let policies =
            view.enabled.as_ref().map_or(&declared, |e| e.actions.get(&aid).unwrap_or(&declared));
        if policies.is_empty() {
            return no_action(NoActionReason::NoPolicyEnabled);
        }
        for policy in policies {
            let slot = Slot { policy: *policy, config_id: cid };
            let r = match work.get_mut(&slot) {
                Some(PolicyState::UniAction(u)) => {
                    if let Some(layout) = FunctionLayout::known(selector.0) {
                        *u = u.clone().with_layout(&layout);
                    }
                    u.check_action(call.value, &call.callData)
                }
                Some(PolicyState::UsageLimit(u)) => u.check(),
                Some(PolicyState::ValueLimit(v)) => v.check_action(call.value),
                Some(PolicyState::TimeFrame(t)) => t.check_at(now),
                Some(PolicyState::SpendingLimits(s)) => {
                    s.check_action(account, call.target, call.value, &call.callData)
                }
                Some(PolicyState::Sudo) => Ok(()),
                Some(PolicyState::Unchecked(reason)) => {
                    unchecked.push(UncheckedPolicy {
                        policy: *policy,
                        call: Some(i),
                        reason: *reason,
                    });
                    Ok(())
                }
                None => {
                    let reason = UncheckedReason::StateUnavailable;
                    unchecked.push(UncheckedPolicy { policy: *policy, call: Some(i), reason });
                    Ok(())
                }
            };
            if let Err(rejection) = r {
                return Err(Stop::Refused(Refused {
                    call: Some(i),
                    target: call.target,
                    selector,
                    policy: *policy,
                    rejection,
                }));
            }
        }
    }
    view.states = work;
    Ok(unchecked)
}
