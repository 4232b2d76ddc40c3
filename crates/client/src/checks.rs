//! The off-chain policy check before a session user operation, and remaining budgets. The
//! evaluation and the budget arithmetic are the policy crate's pure
//! `session` functions; this client only fetches the state
//! ([`state_reads`](smart_sessions_policy::session::state_reads) in one JSON-RPC batch) and
//! maps its deployment table's policy addresses to their [`PolicyModel`].

use crate::Deployments;
use smart_sessions_codec::{Generation, PolicyData, PolicyKind};
use smart_sessions_policy::{eval::SpendingModel, session};

pub use smart_sessions_policy::session::{
    Budget, BudgetItem, EnabledPolicies, NoAction, NoActionReason, PolicyModel, PolicyState,
    Refused, UncheckedPolicy,
};

pub(crate) use crate::policy_read::{ViewRequest, initial_view, read_view};

/// A policy view as this client caches it: the policy crate's
/// [`PolicyView`](session::PolicyView) and when it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CachedView {
    pub(crate) view: session::PolicyView,
    /// The block the state was read at (`None`: built from init data, nothing read).
    pub(crate) block: Option<u64>,
    /// When it was read.
    pub(crate) read_at: Option<std::time::Instant>,
}

impl Deployments {
    /// The evaluator's model of the policy at `policy`: this table's policy addresses first
    /// (its spending-limit policy under its generation's rules, [`v1_spending_limits_policy`]
    /// under v1.0's), then the canonical addresses of every generation (policies are independent
    /// of the SmartSession generation) and `@biconomy/sdk`'s own TimeFramePolicy. `None`: a
    /// policy the evaluator does not know (the pre-check reports it unchecked).
    ///
    /// [`v1_spending_limits_policy`]: Self::v1_spending_limits_policy
    ///
    /// ```
    /// use smart_sessions_client::{Deployments, checks::PolicyModel};
    /// use smart_sessions_policy::eval::SpendingModel;
    /// let d = Deployments::v1_nexus_k1();
    /// let spending = d.spending_limits_policy.unwrap();
    /// assert_eq!(d.policy_model(spending), Some(PolicyModel::SpendingLimits(SpendingModel::V1)));
    /// ```
    pub fn policy_model(&self, policy: alloy_primitives::Address) -> Option<PolicyModel> {
        let g = self.generation;
        let is = |a: Option<alloy_primitives::Address>| a == Some(policy);
        if is(self.v1_spending_limits_policy) {
            return Some(PolicyModel::SpendingLimits(SpendingModel::V1));
        }
        let kind = if policy == self.sudo_policy {
            Some(PolicyKind::Sudo)
        } else if policy == self.uni_action_policy {
            Some(PolicyKind::UniversalAction)
        } else if is(self.usage_limit_policy) {
            Some(PolicyKind::UsageLimit)
        } else if is(self.value_limit_policy) {
            Some(PolicyKind::ValueLimit)
        } else if is(self.time_frame_policy) {
            Some(PolicyKind::TimeFrame)
        } else if is(self.spending_limits_policy) {
            Some(PolicyKind::SpendingLimits)
        } else {
            None
        };
        if let Some(model) = kind.and_then(|k| PolicyModel::of(g, k)) {
            return Some(model);
        }
        std::iter::once(g)
            .chain(Generation::ALL)
            .find_map(|generation| PolicyModel::canonical(generation, policy))
    }

    /// Which kind of policy `policy` is ([`policy_model`](Self::policy_model)'s kind).
    pub fn policy_kind(&self, policy: alloy_primitives::Address) -> Option<PolicyKind> {
        self.policy_model(policy).map(PolicyModel::kind)
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

impl From<session::Stop> for crate::FlowError {
    fn from(s: session::Stop) -> Self {
        match s {
            session::Stop::Refused(r) => Self::Refused(r),
            session::Stop::NoAction(n) => Self::NoAction(n),
        }
    }
}

/// The policies of an evaluation's unchecked list, each once, in order.
pub(crate) fn unchecked_policies(list: &[UncheckedPolicy]) -> Vec<alloy_primitives::Address> {
    let mut out = Vec::new();
    for u in list {
        if !out.contains(&u.policy) {
            out.push(u.policy);
        }
    }
    out
}
