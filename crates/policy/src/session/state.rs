//! What the evaluator knows of each policy contract, the state it starts from, what a client
//! must read to know the current state, and that state decoded from the raw answers.

use crate::{
    BICONOMY_TIME_FRAME_POLICY, PolicyError,
    eval::{
        Erc20SpendingLimitPolicy, SpendingModel, TimeFramePolicy, TokenSpend, UncheckedReason,
        UniActionPolicy, UsageLimitPolicy, ValueLimitPolicy, v1_storage,
    },
};
use alloc::vec::Vec;
use alloy_primitives::{Address, B256, Bytes};
use alloy_sol_types::{SolCall, SolType, sol, sol_data};
use smart_sessions_codec::{ActionConfig, Generation, PolicyData, PolicyKind};

sol! {
    /// `UniActionPolicy.actionConfigs` (public getter).
    function actionConfigs(bytes32 id, address msgSender, address userOpSender);
    /// `UsageLimitPolicy.usageLimitConfigs` (public getter).
    function usageLimitConfigs(bytes32 id, address msgSender, address userOpSender);
    /// `ValueLimitPolicy.valueLimitConfigs` (public getter).
    function valueLimitConfigs(bytes32 id, address msgSender, address userOpSender);
    /// The current `ERC20SpendingLimitPolicy.getPolicyData` (v1.0 has none).
    function getPolicyData(bytes32 id, address multiplexer, address token, address userOpSender);
}

/// How the TimeFramePolicy packs its init data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeFrameLayout {
    /// `uint48 validUntil ‖ uint48 validAfter` (current).
    Packed48,
    /// `uint128 validUntil ‖ uint128 validAfter` (legacy, v1.0's 0.1.x policy, and
    /// `@biconomy/sdk`'s own).
    Packed128,
}

/// What the evaluator needs to know about a policy contract: which policy it is and which
/// variant of its rules and layouts it follows. Policies are independent of the SmartSession
/// generation: a client maps each address it knows (canonical or its own deployment's) to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyModel {
    /// `SudoPolicy`.
    Sudo,
    /// `UniActionPolicy`.
    UniAction,
    /// `UsageLimitPolicy`.
    UsageLimit,
    /// `ValueLimitPolicy`.
    ValueLimit,
    /// A `TimeFramePolicy` in its init-data layout.
    TimeFrame(TimeFrameLayout),
    /// An `ERC20SpendingLimitPolicy` under its rules.
    SpendingLimits(SpendingModel),
}

impl PolicyModel {
    /// The model of `kind` as `generation`'s canonical contract has it.
    pub const fn of(generation: Generation, kind: PolicyKind) -> Option<Self> {
        Some(match kind {
            PolicyKind::Sudo => Self::Sudo,
            PolicyKind::UniversalAction => Self::UniAction,
            PolicyKind::UsageLimit => Self::UsageLimit,
            PolicyKind::ValueLimit => Self::ValueLimit,
            PolicyKind::TimeFrame => Self::TimeFrame(if generation.time_frame_uses_u128() {
                TimeFrameLayout::Packed128
            } else {
                TimeFrameLayout::Packed48
            }),
            PolicyKind::SpendingLimits => Self::SpendingLimits(SpendingModel::of(generation)),
            _ => return None,
        })
    }

    /// The model of a canonical policy address of `generation` (and `@biconomy/sdk`'s own
    /// TimeFramePolicy), `None` for any other address.
    pub fn canonical(generation: Generation, policy: Address) -> Option<Self> {
        if policy == BICONOMY_TIME_FRAME_POLICY {
            return Some(Self::TimeFrame(TimeFrameLayout::Packed128));
        }
        PolicyKind::ALL
            .into_iter()
            .find(|k| generation.policy(*k) == policy)
            .and_then(|k| Self::of(generation, k))
    }

    /// The [`PolicyKind`] this model is a variant of (for contract names in messages).
    pub const fn kind(self) -> PolicyKind {
        match self {
            Self::Sudo => PolicyKind::Sudo,
            Self::UniAction => PolicyKind::UniversalAction,
            Self::UsageLimit => PolicyKind::UsageLimit,
            Self::ValueLimit => PolicyKind::ValueLimit,
            Self::TimeFrame(_) => PolicyKind::TimeFrame,
            Self::SpendingLimits(_) => PolicyKind::SpendingLimits,
        }
    }
}

/// A policy's state for one config id, as the evaluator holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyState {
    /// Sudo: nothing to check.
    Sudo,
    /// Universal action rules with their `used` counters.
    UniAction(UniActionPolicy),
    /// A usage limit policy's use counter and limit.
    UsageLimit(UsageLimitPolicy),
    /// A value limit policy's wei counter and limit.
    ValueLimit(ValueLimitPolicy),
    /// A time frame policy's validity window (no counter).
    TimeFrame(TimeFramePolicy),
    /// An ERC-20 spending limit policy's per-token amounts and limits.
    SpendingLimits(Erc20SpendingLimitPolicy),
    /// Not known off-chain (an unknown policy, a state that could not be read): not checked,
    /// reported; the chain still enforces it.
    Unchecked(UncheckedReason),
}

/// The state `policy` starts with after `initializeWithMultiplexer(initData)`, for the model
/// `model` (`None`: a policy the evaluator does not know, [`PolicyState::Unchecked`]). Init
/// data the contract would refuse is an error: SmartSession would refuse the session.
pub fn initial_state(
    model: Option<PolicyModel>,
    policy: &PolicyData,
) -> Result<PolicyState, PolicyError> {
    let data = &policy.initData[..];
    Ok(match model {
        None => PolicyState::Unchecked(UncheckedReason::UnknownPolicy),
        Some(PolicyModel::Sudo) => PolicyState::Sudo,
        Some(PolicyModel::UniAction) => PolicyState::UniAction(UniActionPolicy::initialize(data)?),
        Some(PolicyModel::UsageLimit) => {
            PolicyState::UsageLimit(UsageLimitPolicy::initialize(data)?)
        }
        Some(PolicyModel::ValueLimit) => {
            PolicyState::ValueLimit(ValueLimitPolicy::initialize(data)?)
        }
        Some(PolicyModel::TimeFrame(TimeFrameLayout::Packed48)) => {
            PolicyState::TimeFrame(TimeFramePolicy::initialize(data)?)
        }
        Some(PolicyModel::TimeFrame(TimeFrameLayout::Packed128)) => {
            PolicyState::TimeFrame(TimeFramePolicy::initialize_packed128(data)?)
        }
        Some(PolicyModel::SpendingLimits(m)) => {
            PolicyState::SpendingLimits(Erc20SpendingLimitPolicy::initialize_with(m, data)?)
        }
    })
}

/// Checks `policy` as SmartSession would take it and beyond: init data the contract refuses
/// (the [`initial_state`] errors), and init data it accepts but that makes every use fail: a
/// time frame of `(0, 0)` ([`PolicyError::EmptyTimeFrame`], in either layout), a universal
/// action policy without rules or with a zero limit ([`validate_action_config`](crate::validate_action_config)).
/// For policies built elsewhere (a session file, another SDK's output) before granting them.
pub fn validate_policy(model: Option<PolicyModel>, policy: &PolicyData) -> Result<(), PolicyError> {
    match initial_state(model, policy)? {
        PolicyState::TimeFrame(t) => {
            crate::validate_time_frame(t.valid_until, t.valid_after, ("validUntil", "validAfter"))
        }
        PolicyState::UniAction(u) => crate::validate_action_config(u.config()),
        _ => Ok(()),
    }
}

/// [`validate_policy`] for every policy of `session` (user-operation policies, then each
/// action's), `model` naming each address's model; the first error is wrapped in
/// [`PolicyError::InSession`] with where it is.
///
/// ```
/// use alloy_primitives::address;
/// use smart_sessions_codec::{ActionData, AnySession, Generation, PolicyData, Session};
/// use smart_sessions_policy::{session::{validate_session, PolicyModel}, PolicyError};
///
/// // the codec encodes a zero usage limit, but the contract refuses to initialise with it
/// let bad = PolicyData::usage_limit(Generation::Current, 0);
/// let session = AnySession::Current(Session {
///     actions: vec![ActionData {
///         actionTarget: address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
///         actionTargetSelector: [0xa9, 0x05, 0x9c, 0xbb].into(),
///         actionPolicies: vec![bad.clone()],
///     }],
///     ..Default::default()
/// });
/// let err = validate_session(&session, |a| PolicyModel::canonical(Generation::Current, a))
///     .unwrap_err();
/// let PolicyError::InSession { action, policy, source } = err else { panic!("{err}") };
/// assert_eq!((action, policy), (Some(0), bad.policy));
/// assert!(matches!(*source, PolicyError::InitData { reason: "a zero limit reverts", .. }));
/// ```
pub fn validate_session(
    session: &smart_sessions_codec::AnySession,
    model: impl Fn(Address) -> Option<PolicyModel>,
) -> Result<(), PolicyError> {
    let wrap = |action, policy: Address| {
        move |e| PolicyError::InSession { action, policy, source: alloc::boxed::Box::new(e) }
    };
    for p in session.user_op_policies() {
        validate_policy(model(p.policy), p).map_err(wrap(None, p.policy))?;
    }
    for (i, a) in session.actions().iter().enumerate() {
        for p in &a.actionPolicies {
            validate_policy(model(p.policy), p).map_err(wrap(Some(i), p.policy))?;
        }
    }
    Ok(())
}

/// One read a client makes to learn a policy's current state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateRead {
    /// `eth_call` of `data` on `to`; the answer is the return data.
    Call {
        /// The policy contract whose getter is called.
        to: Address,
        /// The ABI-encoded getter call (e.g. `actionConfigs(configId, multiplexer, account)`).
        data: Bytes,
    },
    /// `eth_getStorageAt(address, slot)`; the answer is the 32-byte word.
    Storage {
        /// The policy contract whose storage is read.
        address: Address,
        /// The storage slot, from [`v1_storage::token_slots`].
        slot: B256,
    },
}

/// The reads that give the current state of `initial` (from [`initial_state`]) at `policy` for
/// `config_id`, configured by `multiplexer` (the SmartSession contract) for `account`, in the
/// order [`state_from_reads`] takes their answers. Stateless policies (sudo, time frame) and
/// unchecked ones need none.
///
/// - universal action: `actionConfigs(configId, multiplexer, account)`;
/// - usage / value limit: `usageLimitConfigs` / `valueLimitConfigs` of the same;
/// - current spending limits: `getPolicyData(configId, multiplexer, token, account)` per token;
/// - v1.0 spending limits: two storage words per token, `alreadySpent` then `spendingLimit`
///   ([`v1_storage::token_slots`]).
pub fn state_reads(
    initial: &PolicyState,
    policy: Address,
    config_id: B256,
    multiplexer: Address,
    account: Address,
) -> Vec<StateRead> {
    let call = |data: Vec<u8>| StateRead::Call { to: policy, data: data.into() };
    let (id, s, a) = (config_id, multiplexer, account);
    match initial {
        PolicyState::UniAction(_) => {
            alloc::vec![call(actionConfigsCall { id, msgSender: s, userOpSender: a }.abi_encode())]
        }
        PolicyState::UsageLimit(_) => alloc::vec![call(
            usageLimitConfigsCall { id, msgSender: s, userOpSender: a }.abi_encode()
        )],
        PolicyState::ValueLimit(_) => alloc::vec![call(
            valueLimitConfigsCall { id, msgSender: s, userOpSender: a }.abi_encode()
        )],
        PolicyState::SpendingLimits(p) => match p.model {
            SpendingModel::Current => p
                .tokens
                .keys()
                .map(|t| {
                    call(
                        getPolicyDataCall { id, multiplexer: s, token: *t, userOpSender: a }
                            .abi_encode(),
                    )
                })
                .collect(),
            SpendingModel::V1 => p
                .tokens
                .keys()
                .flat_map(|t| {
                    let slots = v1_storage::token_slots(id, s, *t, a);
                    [
                        StateRead::Storage { address: policy, slot: slots.already_spent },
                        StateRead::Storage { address: policy, slot: slots.spending_limit },
                    ]
                })
                .collect(),
        },
        _ => Vec::new(),
    }
}

/// The current state from the answers to [`state_reads`] (same order; `None`: that read
/// failed, e.g. reverted). Any missing answer gives [`PolicyState::Unchecked`] with
/// [`UncheckedReason::StateUnavailable`], an answer that does not decode
/// [`UncheckedReason::MalformedState`]: never an error.
pub fn state_from_reads(initial: PolicyState, answers: &[Option<Bytes>]) -> PolicyState {
    let unchecked = |r| PolicyState::Unchecked(r);
    let needed = match &initial {
        PolicyState::UniAction(_) | PolicyState::UsageLimit(_) | PolicyState::ValueLimit(_) => 1,
        PolicyState::SpendingLimits(p) => match p.model {
            SpendingModel::Current => p.tokens.len(),
            SpendingModel::V1 => 2 * p.tokens.len(),
        },
        _ => return initial,
    };
    if answers.len() != needed || answers.iter().any(Option::is_none) {
        return unchecked(UncheckedReason::StateUnavailable);
    }
    let raw: Vec<&[u8]> = answers.iter().flatten().map(|b| &b[..]).collect();
    let first = raw.first().copied().unwrap_or_default();
    let decoded = match initial {
        PolicyState::UniAction(_) => ActionConfig::abi_decode(first)
            .ok()
            .map(|c| PolicyState::UniAction(UniActionPolicy::from_config(c))),
        PolicyState::UsageLimit(_) => {
            <(sol_data::Uint<128>, sol_data::Uint<128>)>::abi_decode_params(first)
                .ok()
                .map(|(limit, used)| PolicyState::UsageLimit(UsageLimitPolicy { limit, used }))
        }
        PolicyState::ValueLimit(_) => {
            <(sol_data::Uint<256>, sol_data::Uint<256>)>::abi_decode_params(first)
                .ok()
                .map(|(limit, used)| PolicyState::ValueLimit(ValueLimitPolicy { limit, used }))
        }
        PolicyState::SpendingLimits(mut p) => {
            let ok = match p.model {
                SpendingModel::Current => p.tokens.values_mut().zip(&raw).all(|(t, r)| {
                    type Three = (sol_data::Uint<256>, sol_data::Uint<256>, sol_data::Uint<256>);
                    match <Three>::abi_decode_params(r) {
                        Ok((limit, spent, approved)) => {
                            *t = TokenSpend { limit, spent, approved };
                            true
                        }
                        Err(_) => false,
                    }
                }),
                SpendingModel::V1 => {
                    p.tokens.values_mut().zip(raw.chunks(2)).all(|(t, w)| {
                        match (w.first().copied().and_then(word), w.get(1).copied().and_then(word))
                        {
                            (Some(spent), Some(limit)) => {
                                *t = v1_storage::token_spend(spent, limit);
                                true
                            }
                            _ => false,
                        }
                    })
                }
            };
            ok.then_some(PolicyState::SpendingLimits(p))
        }
        other => Some(other),
    };
    decoded.unwrap_or_else(|| unchecked(UncheckedReason::MalformedState))
}

/// A storage word as `eth_getStorageAt` returns it: exactly 32 bytes.
fn word(b: &[u8]) -> Option<B256> {
    B256::try_from(b).ok()
}
