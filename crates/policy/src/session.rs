//! Evaluating a session's user operation against its policies' state, and its remaining
//! budgets: everything between "read the state from chain" and "send or refuse", as pure
//! functions (no network).
//!
//! A client does, per permission and account:
//!
//! 1. [`slots`]: every `(policy, configId)` of the session; [`initial_state`] of each, from its
//!    init data and the [`PolicyModel`] the client knows for its address;
//! 2. [`state_reads`]: the `eth_call`s and `eth_getStorageAt`s that give the current state
//!    (v1.0's spending-limit policy has no getter: its storage words);
//! 3. [`state_from_reads`] with the answers (a failed read: [`PolicyState::Unchecked`], never
//!    an error) into a [`PolicyView`], with [`EnabledPolicies`] from SmartSession's
//!    `is*PolicyEnabled`;
//! 4. [`evaluate`] the calls (a [`Stop`] names the call, the policy and the rule), or
//!    [`budgets`] for what is left.
//!
//! ```
//! use alloy_primitives::{address, B256, U256};
//! use smart_sessions_codec::{ActionData, AnySession, Execution, Generation, Session};
//! use smart_sessions_policy::{session::*, usage_limit};
//!
//! let account = address!("0xacc0000000000000000000000000000000000001");
//! let target = address!("0x1111111111111111111111111111111111111111");
//! let uses = usage_limit(Generation::Current, 1)?;
//! let session = AnySession::Current(Session {
//!     actions: vec![ActionData {
//!         actionTargetSelector: [0xde, 0xad, 0xbe, 0xef].into(),
//!         actionTarget: target,
//!         actionPolicies: vec![uses.clone()],
//!     }],
//!     ..Default::default()
//! });
//! let mut view = PolicyView::default();
//! for (_, policy, slot) in slots(&session, account) {
//!     let model = PolicyModel::canonical(Generation::Current, policy.policy);
//!     view.states.insert(slot, initial_state(model, policy)?);
//! }
//! let call = Execution::new(target, U256::ZERO, vec![0xde, 0xad, 0xbe, 0xef]);
//! assert!(evaluate(&session, account, &[call.clone()], &mut view, 0).is_ok());
//! assert!(matches!(evaluate(&session, account, &[call], &mut view, 0), Err(Stop::Refused(_))));
//! assert_eq!(budgets(&session, account, &view)[0].item.remaining(), Some(U256::ZERO));
//! # Ok::<(), smart_sessions_policy::PolicyError>(())
//! ```

mod budget;
mod check;
mod state;

pub use budget::{Budget, BudgetItem, budgets, state_budgets};
pub use check::{
    EnabledPolicies, NoAction, NoActionReason, PolicyView, Refused, Slot, Stop, UncheckedPolicy,
    evaluate, find_action, slots,
};
pub use state::{
    PolicyModel, PolicyState, StateRead, TimeFrameLayout, initial_state, state_from_reads,
    state_reads, validate_policy, validate_session,
};
