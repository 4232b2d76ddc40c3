//! Beyond the SDK: the off-chain policy pre-check before quoting, so a call the session's
//! policies refuse never costs a fee.
//!
//! Each call of the instructions is matched to its session action as SmartSession does (exact
//! `(target, selector)`, else the generic fallback action) and run through the `policy` crate's
//! evaluator of the deployed policies (Sudo, universal action, value limit, usage limit), with
//! the state of a **freshly enabled** session carried across the request's calls. Limits already
//! used on chain are not known here (read them to check an enabled session exactly). Policies
//! the evaluator does not model are listed in [`Precheck::unchecked`], never silently passed.

use crate::{Instruction, PolicyAddresses, SessionDetails};
use alloy_primitives::{Address, FixedBytes};
use smart_sessions_codec::{
    FALLBACK_TARGET_FLAG, FALLBACK_TARGET_SELECTOR_FLAG, Generation, call_selector,
};
use smart_sessions_policy::{
    PolicyError,
    eval::{Rejection, UniActionPolicy, UsageLimitPolicy, ValueLimitPolicy},
};

/// Why a call would be refused on chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrecheckError {
    /// No session entry for an instruction's chain.
    #[error("chain {chain_id}: no session")]
    NoSession {
        /// The instruction's chain id, which none of the granted entries is for.
        chain_id: u64,
    },
    /// The session has no action for the call.
    #[error("chain {chain_id} call {call}: no session action for {target} selector {selector}")]
    NoAction {
        /// The chain id of the instruction holding the call.
        chain_id: u64,
        /// Index of the call among the calls of that chain's instructions (from 0).
        call: usize,
        /// The contract the call is to.
        target: Address,
        /// The call's 4-byte function selector (`callData[..4]`).
        selector: FixedBytes<4>,
    },
    /// A policy refuses the call.
    #[error("chain {chain_id} call {call} to {target}: refused")]
    Refused {
        /// The chain id of the instruction holding the call.
        chain_id: u64,
        /// Index of the call among the calls of that chain's instructions (from 0).
        call: usize,
        /// The contract the call is to.
        target: Address,
        /// The policy's verdict, naming the rule.
        #[source]
        rejection: Rejection,
    },
    /// A policy's init data does not initialise (the enable would revert).
    #[error("chain {chain_id} call {call}: policy {policy} does not initialise")]
    PolicyInit {
        /// The chain id of the instruction holding the call.
        chain_id: u64,
        /// Index of the call among the calls of that chain's instructions (from 0).
        call: usize,
        /// The action policy contract whose init data was refused (a `policy` of the matching
        /// action's `PolicyData`).
        policy: Address,
        /// The policy crate's reason the init data does not decode or initialise.
        #[source]
        source: PolicyError,
    },
}

/// What a passing pre-check did not evaluate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Precheck {
    /// `(chain, call index, policy)` of policies not modelled by the evaluator.
    pub unchecked: Vec<(u64, usize, Address)>,
}

enum State {
    Uni(UniActionPolicy),
    Value(ValueLimitPolicy),
    Usage(UsageLimitPolicy),
}

/// Runs every call of `instructions` through its session's action policies (the generation's
/// canonical policy addresses).
pub fn precheck(
    generation: Generation,
    details: &[SessionDetails],
    instructions: &[Instruction],
) -> Result<Precheck, PrecheckError> {
    precheck_with(&PolicyAddresses::of(generation), details, instructions)
}

/// [`precheck`] with the policies deployed at `policies` (a custom version table's).
pub fn precheck_with(
    policies: &PolicyAddresses,
    details: &[SessionDetails],
    instructions: &[Instruction],
) -> Result<Precheck, PrecheckError> {
    let (sudo, uni, value, usage) =
        (policies.sudo, policies.universal_action, policies.value_limit, policies.usage_limit);
    let mut report = Precheck::default();
    // state per (chain, action index, policy index)
    let mut states: Vec<((u64, usize, usize), State)> = Vec::new();
    let mut call_no: Vec<(u64, usize)> = Vec::new();
    for ins in instructions {
        let chain_id = ins.chain_id;
        let entry = details
            .iter()
            .find(|d| d.chain_id() == chain_id)
            .ok_or(PrecheckError::NoSession { chain_id })?;
        let actions = &entry.session_to_enable.session.actions;
        for c in &ins.calls {
            let idx = match call_no.iter_mut().find(|(ch, _)| *ch == chain_id) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    call_no.push((chain_id, 0));
                    0
                }
            };
            let selector = call_selector(&c.data);
            let found = actions
                .iter()
                .position(|a| a.actionTarget == c.to && a.actionTargetSelector == selector)
                .or_else(|| {
                    actions.iter().position(|a| {
                        a.actionTarget == FALLBACK_TARGET_FLAG
                            && a.actionTargetSelector == FALLBACK_TARGET_SELECTOR_FLAG
                    })
                });
            let Some(ai) = found else {
                return Err(PrecheckError::NoAction {
                    chain_id,
                    call: idx,
                    target: c.to,
                    selector,
                });
            };
            for (pi, p) in actions[ai].actionPolicies.iter().enumerate() {
                if p.policy == sudo {
                    continue;
                }
                let key = (chain_id, ai, pi);
                let init_err = |source| PrecheckError::PolicyInit {
                    chain_id,
                    call: idx,
                    policy: p.policy,
                    source,
                };
                if !states.iter().any(|(k, _)| *k == key) {
                    let st = if p.policy == uni {
                        State::Uni(UniActionPolicy::initialize(&p.initData).map_err(init_err)?)
                    } else if p.policy == value {
                        State::Value(ValueLimitPolicy::initialize(&p.initData).map_err(init_err)?)
                    } else if p.policy == usage {
                        State::Usage(UsageLimitPolicy::initialize(&p.initData).map_err(init_err)?)
                    } else {
                        report.unchecked.push((chain_id, idx, p.policy));
                        continue;
                    };
                    states.push((key, st));
                }
                let Some((_, st)) = states.iter_mut().find(|(k, _)| *k == key) else { continue };
                let verdict = match st {
                    State::Uni(u) => u.check_action(c.value, &c.data),
                    State::Value(v) => v.check_action(c.value),
                    State::Usage(u) => u.check(),
                };
                verdict.map_err(|rejection| PrecheckError::Refused {
                    chain_id,
                    call: idx,
                    target: c.to,
                    rejection,
                })?;
            }
        }
    }
    Ok(report)
}
