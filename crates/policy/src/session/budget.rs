//! Remaining budgets of a session from its policies' state.

use super::{
    check::{PolicyView, slots},
    state::PolicyState,
};
use crate::eval::UncheckedReason;
use alloc::vec::Vec;
use alloy_primitives::{Address, FixedBytes, U256};
use core::fmt;
use smart_sessions_codec::{AnySession, action_id};

/// One remaining budget of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Budget {
    /// The action (`target`, `selector`), or `None` for a user-operation policy.
    pub action: Option<(Address, FixedBytes<4>)>,
    /// Address of the policy contract that keeps this budget.
    pub policy: Address,
    /// What the policy limits, and how much of it is used.
    pub item: BudgetItem,
}

/// What a [`Budget`] limits.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", tag = "kind"))]
pub enum BudgetItem {
    /// A limited universal-action rule: the sum of the parameter over all uses.
    Rule {
        /// Index of the rule among the universal action policy's active rules.
        rule: usize,
        /// The rule's cumulative `usage.limit`, in the parameter's units.
        limit: U256,
        /// The rule's `usage.used`: the sum of its word over past uses.
        used: U256,
    },
    /// A usage limit policy: how many more times the action (or the user operation) may run.
    Uses {
        /// The most uses the policy allows.
        limit: u128,
        /// Uses counted so far.
        used: u128,
    },
    /// Cumulative ETH value.
    Value {
        /// The policy's cumulative limit in wei.
        limit: U256,
        /// Wei counted so far.
        used: U256,
    },
    /// An ERC-20 spending limit.
    Token {
        /// The ERC-20 token contract the limit applies to.
        token: Address,
        /// The token's limit, in its smallest units.
        limit: U256,
        /// Counted so far (transferred plus approved; v1.0 counts both as spent).
        used: U256,
    },
    /// A limiting policy whose state is not known off-chain: its budget is unknown.
    Unknown {
        /// Why the policy's state is not known.
        #[cfg_attr(feature = "serde", serde(serialize_with = "reason_str"))]
        reason: UncheckedReason,
    },
}

#[cfg(feature = "serde")]
fn reason_str<S: serde::Serializer>(r: &UncheckedReason, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(r)
}

impl BudgetItem {
    /// What is left (`None` when unknown). Never negative: a state already past its limit has
    /// 0 left.
    pub fn remaining(&self) -> Option<U256> {
        match *self {
            Self::Rule { limit, used, .. }
            | Self::Value { limit, used }
            | Self::Token { limit, used, .. } => Some(limit.saturating_sub(used)),
            Self::Uses { limit, used } => Some(U256::from(limit.saturating_sub(used))),
            Self::Unknown { .. } => None,
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
            BudgetItem::Unknown { reason } => {
                write!(f, "policy {}: budget unknown ({reason})", self.policy)
            }
        }
    }
}

/// The budgets of one policy state (none for sudo and time frames).
pub fn state_budgets(state: &PolicyState) -> Vec<BudgetItem> {
    match state {
        PolicyState::UniAction(u) => u
            .config()
            .rules()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_limited)
            .map(|(i, r)| BudgetItem::Rule { rule: i, limit: r.usage.limit, used: r.usage.used })
            .collect(),
        PolicyState::UsageLimit(u) => {
            alloc::vec![BudgetItem::Uses { limit: u.limit, used: u.used }]
        }
        PolicyState::ValueLimit(v) => {
            alloc::vec![BudgetItem::Value { limit: v.limit, used: v.used }]
        }
        PolicyState::SpendingLimits(s) => s
            .tokens
            .iter()
            .map(|(token, t)| BudgetItem::Token { token: *token, limit: t.limit, used: t.used() })
            .collect(),
        PolicyState::Unchecked(reason) => alloc::vec![BudgetItem::Unknown { reason: *reason }],
        PolicyState::Sudo | PolicyState::TimeFrame(_) => Vec::new(),
    }
}

/// The budgets in `view` for `session` and `account`, in SmartSession's policy order (only the
/// policies enabled on chain, when [`PolicyView::enabled`] is known). A policy unknown to the
/// evaluator ([`UncheckedReason::UnknownPolicy`]) is left out: it may limit nothing.
pub fn budgets(session: &AnySession, account: Address, view: &PolicyView) -> Vec<Budget> {
    let mut out = Vec::new();
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
        let Some(state) = view.states.get(&slot) else { continue };
        if matches!(state, PolicyState::Unchecked(UncheckedReason::UnknownPolicy)) {
            continue;
        }
        for item in state_budgets(state) {
            out.push(Budget { action, policy: slot.policy, item });
        }
    }
    out
}
