//! The off-chain policy check before a session user operation, and remaining budgets: the
//! policies' state read from chain (one batched request), run through the policy crate's
//! evaluator exactly as SmartSession runs them.

use crate::Deployments;
use alloy_primitives::{Address, B256, FixedBytes, U256};
use serde::Serialize;
use smart_sessions_codec::{
    ActionData, AnySession, Execution, FALLBACK_TARGET_FLAG, FALLBACK_TARGET_SELECTOR_FLAG,
    PolicyData, PolicyKind, action_config_id, action_id, call_selector, user_op_config_id,
};
use smart_sessions_policy::eval::{
    Erc20SpendingLimitPolicy, Rejection, TimeFramePolicy, UniActionPolicy, UsageLimitPolicy,
    ValueLimitPolicy,
};
use std::collections::BTreeMap;

pub(crate) use crate::policy_read::{ViewRequest, initial_state, read_view};

/// A policy's state for one config id, as the evaluator holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyState {
    /// Sudo: nothing to check.
    Sudo,
    /// Universal action rules with their counters.
    UniAction(UniActionPolicy),
    /// Usage counter.
    UsageLimit(UsageLimitPolicy),
    /// Value counter.
    ValueLimit(ValueLimitPolicy),
    /// Validity window.
    TimeFrame(TimeFramePolicy),
    /// ERC-20 amounts.
    SpendingLimits(Erc20SpendingLimitPolicy),
    /// A policy this client does not know: not checked off-chain (the bundler's simulation
    /// still runs it).
    Unknown,
}

/// Where one policy of a session sits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Slot {
    pub(crate) policy: Address,
    pub(crate) config_id: B256,
}

/// One remaining budget of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    /// The action (`target`, `selector`), or `None` for a user-operation policy.
    pub action: Option<(Address, FixedBytes<4>)>,
    /// The policy contract.
    pub policy: Address,
    /// What is limited.
    pub item: BudgetItem,
}

/// What a [`Budget`] limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum BudgetItem {
    /// A limited universal-action rule: the sum of the parameter over all uses.
    Rule {
        /// The rule's index.
        rule: usize,
        /// The cumulative limit.
        limit: U256,
        /// Used so far.
        used: U256,
    },
    /// A number of uses.
    Uses {
        /// The limit.
        limit: u128,
        /// Used so far.
        used: u128,
    },
    /// Cumulative ETH value.
    Value {
        /// The limit in wei.
        limit: U256,
        /// Spent so far.
        used: U256,
    },
    /// An ERC-20 spending limit.
    Token {
        /// The token.
        token: Address,
        /// The limit.
        limit: U256,
        /// Transferred plus approved so far.
        used: U256,
    },
}

impl BudgetItem {
    /// What is left.
    pub fn remaining(&self) -> U256 {
        match *self {
            Self::Rule { limit, used, .. }
            | Self::Value { limit, used }
            | Self::Token { limit, used, .. } => limit.saturating_sub(used),
            Self::Uses { limit, used } => U256::from(limit.saturating_sub(used)),
        }
    }
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.action {
            Some((t, s)) => write!(f, "{t}.{s}: ")?,
            None => f.write_str("user op: ")?,
        }
        match &self.item {
            BudgetItem::Rule { rule, limit, used } => {
                write!(f, "rule {rule}: {} of {limit} left", limit.saturating_sub(*used))
            }
            BudgetItem::Uses { limit, used } => {
                write!(f, "{} of {limit} uses left", limit.saturating_sub(*used))
            }
            BudgetItem::Value { limit, used } => {
                write!(f, "{} of {limit} wei left", limit.saturating_sub(*used))
            }
            BudgetItem::Token { token, limit, used } => {
                write!(f, "token {token}: {} of {limit} left", limit.saturating_sub(*used))
            }
        }
    }
}

/// An off-chain refusal: which call, which action, which policy, and the evaluator's rejection
/// (which names the rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// Index of the call in the user operation (`None`: a user-operation policy).
    pub call: Option<usize>,
    /// The call's target.
    pub target: Address,
    /// The call's selector.
    pub selector: FixedBytes<4>,
    /// The policy contract that would fail.
    pub policy: Address,
    /// Why, rule included.
    pub rejection: Rejection,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.call {
            Some(i) => write!(f, "call {i} ({}.{}) ", self.target, self.selector)?,
            None => f.write_str("user operation ")?,
        }
        write!(f, "refused by policy {}: {}", self.policy, self.rejection)
    }
}

impl std::error::Error for Refused {}

/// Why a session cannot run some calls at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoAction {
    /// Index of the call.
    pub call: usize,
    /// Its target.
    pub target: Address,
    /// Its selector.
    pub selector: FixedBytes<4>,
    /// Why: not an action of the session, or no policy of the action enabled on chain.
    pub reason: &'static str,
}

/// Which of the session's policies SmartSession has enabled on chain for a permission
/// (`isUserOpPolicyEnabled`, `isActionPolicyEnabled`, which answer correctly in every
/// generation; the deployed legacy module's `getActionPolicies` returns an empty list for an
/// enabled action, seen on the devnet). Policies disabled
/// after the grant are absent; an action whose list is empty is refused on chain
/// (`NoPoliciesSet`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnabledPolicies {
    /// User-operation policies.
    pub user_op: Vec<Address>,
    /// Action id → policies.
    pub actions: BTreeMap<B256, Vec<Address>>,
}

/// The policies' state for one permission, and (for an enabled permission) which are enabled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PolicyView {
    pub(crate) states: BTreeMap<Slot, PolicyState>,
    pub(crate) enabled: Option<EnabledPolicies>,
    /// The block the state was read at (`None`: built from init data, nothing read).
    pub(crate) block: Option<u64>,
    /// When it was read.
    pub(crate) read_at: Option<std::time::Instant>,
}

/// The session's action for `(target, selector)`, or its fallback action.
pub(crate) fn find_action(
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

/// Every policy slot of a session, in SmartSession's order: user-operation policies, then each
/// action's.
pub(crate) fn slots(
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

impl Deployments {
    /// Which kind of policy `policy` is in this deployment (`None`: not one of ours).
    pub fn policy_kind(&self, policy: Address) -> Option<PolicyKind> {
        let is = |a: Option<Address>| a == Some(policy);
        if policy == self.sudo_policy {
            Some(PolicyKind::Sudo)
        } else if policy == self.uni_action_policy {
            Some(PolicyKind::UniversalAction)
        } else if is(self.usage_limit_policy) {
            Some(PolicyKind::UsageLimit)
        } else if is(self.value_limit_policy) {
            Some(PolicyKind::ValueLimit)
        } else if is(self.time_frame_policy)
            || policy == smart_sessions_policy::json::BICONOMY_TIME_FRAME_POLICY
        {
            Some(PolicyKind::TimeFrame)
        } else if is(self.spending_limits_policy) {
            Some(PolicyKind::SpendingLimits)
        } else {
            None
        }
    }

    /// Replaces a generation's canonical policy addresses in `actions`/`policies` by this
    /// deployment's (for custom deployments such as the devnet).
    pub fn remap_policy(&self, policy: &mut PolicyData) {
        let g = self.generation;
        let map = [
            (g.policy(PolicyKind::Sudo), Some(self.sudo_policy)),
            (g.policy(PolicyKind::UniversalAction), Some(self.uni_action_policy)),
            (g.policy(PolicyKind::UsageLimit), self.usage_limit_policy),
            (g.policy(PolicyKind::ValueLimit), self.value_limit_policy),
            (g.policy(PolicyKind::TimeFrame), self.time_frame_policy),
            (g.policy(PolicyKind::SpendingLimits), self.spending_limits_policy),
        ];
        if let Some((_, Some(to))) = map.iter().find(|(from, _)| *from == policy.policy) {
            policy.policy = *to;
        }
    }
}

/// Why [`evaluate`] stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    Refused(Refused),
    NoAction(NoAction),
}

impl From<Stop> for crate::FlowError {
    fn from(s: Stop) -> Self {
        match s {
            Stop::Refused(r) => Self::Refused(r),
            Stop::NoAction(n) => Self::NoAction(n),
        }
    }
}

/// Runs `calls` through the session's policies from `view`, as SmartSession would: user-op
/// policies once, then every call's action policies in order (state carries from call to call).
/// With an on-chain view, only the policies enabled on chain run, and an action without any is
/// refused as SmartSession refuses it. On success `view` holds the state after the operation; on
/// refusal it is unchanged. `Ok` lists the policies that could not be evaluated.
pub(crate) fn evaluate(
    session: &AnySession,
    account: Address,
    calls: &[Execution],
    view: &mut PolicyView,
    now: u64,
) -> Result<Vec<Address>, Stop> {
    let mut work = view.states.clone();
    let mut unchecked = Vec::new();
    let pid = session.permission_id();
    let uo = user_op_config_id(account, pid);
    let refuse = |call, target, selector, policy, rejection| {
        Err(Stop::Refused(Refused { call, target, selector, policy, rejection }))
    };
    let declared_user_op: Vec<Address> =
        session.user_op_policies().iter().map(|p| p.policy).collect();
    let user_op = view.enabled.as_ref().map_or(&declared_user_op, |e| &e.user_op);
    for policy in user_op {
        let slot = Slot { policy: *policy, config_id: uo };
        let r = match work.get_mut(&slot) {
            Some(PolicyState::UsageLimit(u)) => u.check(),
            Some(PolicyState::TimeFrame(t)) => t.check_at(now),
            Some(PolicyState::Sudo) => Ok(()),
            _ => {
                unchecked.push(*policy);
                Ok(())
            }
        };
        if let Err(r) = r {
            return refuse(None, Address::ZERO, FixedBytes::ZERO, *policy, r);
        }
    }
    for (i, call) in calls.iter().enumerate() {
        let selector = call_selector(&call.callData);
        let no_action = |reason| {
            Err(Stop::NoAction(NoAction { call: i, target: call.target, selector, reason }))
        };
        let Some(action) = find_action(session, call.target, selector) else {
            return no_action("not an action of the session");
        };
        let aid = action_id(action.actionTarget, action.actionTargetSelector);
        let cid = action_config_id(account, pid, aid);
        let declared: Vec<Address> = action.actionPolicies.iter().map(|p| p.policy).collect();
        let policies =
            view.enabled.as_ref().map_or(&declared, |e| e.actions.get(&aid).unwrap_or(&declared));
        if policies.is_empty() {
            return no_action(
                "no policy of this action is enabled on chain (SmartSession reverts NoPoliciesSet)",
            );
        }
        for policy in policies {
            let slot = Slot { policy: *policy, config_id: cid };
            let r = match work.get_mut(&slot) {
                Some(PolicyState::UniAction(u)) => u.check_action(call.value, &call.callData),
                Some(PolicyState::UsageLimit(u)) => u.check(),
                Some(PolicyState::ValueLimit(v)) => v.check_action(call.value),
                Some(PolicyState::TimeFrame(t)) => t.check_at(now),
                Some(PolicyState::SpendingLimits(s)) => {
                    s.check_action(account, call.target, call.value, &call.callData)
                }
                Some(PolicyState::Sudo) => Ok(()),
                Some(PolicyState::Unknown) | None => {
                    unchecked.push(*policy);
                    Ok(())
                }
            };
            if let Err(r) = r {
                return refuse(Some(i), call.target, selector, *policy, r);
            }
        }
    }
    view.states = work;
    Ok(unchecked)
}

/// The budgets in `view` for `session` (of the policies enabled on chain, when known).
pub(crate) fn budgets(session: &AnySession, account: Address, view: &PolicyView) -> Vec<Budget> {
    let mut out = Vec::new();
    let states = &view.states;
    for (action, _, slot) in slots(session, account) {
        if let Some(e) = &view.enabled {
            let on = match action {
                None => e.user_op.contains(&slot.policy),
                Some(a) => e
                    .actions
                    .get(&action_id(a.actionTarget, a.actionTargetSelector))
                    .is_some_and(|l| l.contains(&slot.policy)),
            };
            if !on {
                continue;
            }
        }
        let action = action.map(|a| (a.actionTarget, a.actionTargetSelector));
        let mut push = |item| out.push(Budget { action, policy: slot.policy, item });
        match states.get(&slot) {
            Some(PolicyState::UniAction(u)) => {
                for (i, r) in u.config().rules().iter().enumerate() {
                    if r.is_limited {
                        push(BudgetItem::Rule {
                            rule: i,
                            limit: r.usage.limit,
                            used: r.usage.used,
                        });
                    }
                }
            }
            Some(PolicyState::UsageLimit(u)) => {
                push(BudgetItem::Uses { limit: u.limit, used: u.used });
            }
            Some(PolicyState::ValueLimit(v)) => {
                push(BudgetItem::Value { limit: v.limit, used: v.used });
            }
            Some(PolicyState::SpendingLimits(s)) => {
                for (token, t) in &s.tokens {
                    push(BudgetItem::Token {
                        token: *token,
                        limit: t.limit,
                        used: t.spent.saturating_add(t.approved),
                    });
                }
            }
            _ => {}
        }
    }
    out
}
