//! The ERC-20 spending limit policy, in the two rule sets that are deployed.

use super::{CheckResult, Rejection, Revert, Violation};
use crate::{PolicyError, Result};
use alloc::collections::BTreeMap;
use alloy_primitives::{Address, FixedBytes, U256};
use alloy_sol_types::{SolType, abi::AbiDecoderConfig, sol_data};
use core::fmt;
use smart_sessions_codec::{Generation, PolicyKind};

/// Which rules an `ERC20SpendingLimitPolicy` contract follows.
///
/// The policy is independent of the SmartSession generation it is attached to: a session of any
/// generation may name either contract. [`SpendingModel::of`] gives the model of a generation's
/// canonical policy address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpendingModel {
    /// The deployed current policy (`0x0000…33212e…`, and the legacy generation's, which the
    /// evaluator has always treated alike): `transfer`, `transferFrom`, `approve` and
    /// `increaseAllowance`; approvals are counted apart from transfers, both against one limit;
    /// a `transferFrom` to the account itself counts 0.
    #[default]
    Current,
    /// SmartSession v1.0's policy (`0x00000088D48c…`, spec/v1.md): only `approve`, `transfer` and
    /// `transferFrom`, whose amounts all count alike into `alreadySpent`; every other selector
    /// (`increaseAllowance` included) and any ETH value fail; no exemption for a `transferFrom`
    /// to the account itself. It has no getter: its state is read from storage
    /// ([`v1_storage`](super::v1_storage)).
    V1,
}

impl SpendingModel {
    /// The model of `generation`'s canonical `ERC20SpendingLimitPolicy`.
    pub const fn of(generation: Generation) -> Self {
        match generation {
            Generation::V1 => Self::V1,
            _ => Self::Current,
        }
    }

    /// The selectors the model accepts, by name.
    pub const fn selectors(self) -> &'static str {
        match self {
            Self::Current => "transfer, transferFrom, approve or increaseAllowance",
            Self::V1 => "transfer, transferFrom or approve (v1.0)",
        }
    }
}

impl fmt::Display for SpendingModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Current => "current",
            Self::V1 => "v1.0",
        })
    }
}

/// Spending state of one token in the ERC-20 spending limit policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenSpend {
    /// The token's limit from the init data, in the token's smallest units.
    pub limit: U256,
    /// Transferred so far (v1.0: everything counted, approvals included: `alreadySpent`).
    pub spent: U256,
    /// Approved so far (always 0 under the v1.0 rules, which count approvals as spent).
    pub approved: U256,
}

impl TokenSpend {
    /// What has been counted against the limit so far (`spent + approved`, saturating).
    pub fn used(&self) -> U256 {
        self.spent.saturating_add(self.approved)
    }

    /// What is left of the limit (0 when it is already exceeded).
    pub fn remaining(&self) -> U256 {
        self.limit.saturating_sub(self.used())
    }
}

/// The ERC-20 spending limit policy's state for one config id and account: per-token limits
/// and amounts counted, under the rules of one [`SpendingModel`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erc20SpendingLimitPolicy {
    /// Each configured token's limit and amounts (a token absent here has limit 0).
    pub tokens: BTreeMap<Address, TokenSpend>,
    /// Which rules the contract applies.
    pub model: SpendingModel,
}

/// Selector of `transfer(address,uint256)`, counted as a transfer by both models.
pub const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
/// Selector of `transferFrom(address,address,uint256)`, counted as a transfer.
pub const TRANSFER_FROM: [u8; 4] = [0x23, 0xb8, 0x72, 0xdd];
/// Selector of `approve(address,uint256)` (current model: an approval; v1.0: spent).
pub const APPROVE: [u8; 4] = [0x09, 0x5e, 0xa7, 0xb3];
/// Selector of `increaseAllowance(address,uint256)` (current model only: an approval).
pub const INCREASE_ALLOWANCE: [u8; 4] = [0x39, 0x50, 0x93, 0x51];

type Two = (sol_data::Address, sol_data::Uint<256>);
type Three = (sol_data::Address, sol_data::Address, sol_data::Uint<256>);

impl Erc20SpendingLimitPolicy {
    /// `initializeWithMultiplexer` of the current model (see
    /// [`initialize_with`](Self::initialize_with)).
    pub fn initialize(init_data: &[u8]) -> Result<Self> {
        Self::initialize_with(SpendingModel::Current, init_data)
    }

    /// `initializeWithMultiplexer` under `model`: `abi.decode(initData, (address[],
    /// uint256[]))`; lengths must match, no token may be zero, no limit may be zero (both
    /// models). Amounts start at 0.
    pub fn initialize_with(model: SpendingModel, init_data: &[u8]) -> Result<Self> {
        const P: PolicyKind = PolicyKind::SpendingLimits;
        type Init = (sol_data::Array<sol_data::Address>, sol_data::Array<sol_data::Uint<256>>);
        let (tokens, limits) = <Init as SolType>::abi_decode_params_with_config(
            init_data,
            AbiDecoderConfig::new().validate(true),
        )
        .map_err(|_| PolicyError::InitData {
            policy: P,
            reason: "not abi.encode(address[], uint256[])",
        })?;
        if tokens.len() != limits.len() {
            return Err(PolicyError::InitData {
                policy: P,
                reason: "token and limit lists differ in length",
            });
        }
        let mut out = BTreeMap::new();
        for (t, l) in tokens.into_iter().zip(limits) {
            if t.is_zero() {
                return Err(PolicyError::InitData {
                    policy: P,
                    reason: "a token is the zero address",
                });
            }
            if l.is_zero() {
                return Err(PolicyError::InitData { policy: P, reason: "a limit is zero" });
            }
            out.insert(t, TokenSpend { limit: l, ..Default::default() });
        }
        Ok(Self { tokens: out, model })
    }

    /// `checkAction(id, account, target = token, value, data)` under the policy's
    /// [`model`](Self::model). On success the new amounts are stored; on a failure or a revert
    /// nothing changes (as on chain, where a failing check writes nothing).
    pub fn check_action(
        &mut self,
        account: Address,
        token: Address,
        value: U256,
        data: &[u8],
    ) -> CheckResult {
        const P: PolicyKind = PolicyKind::SpendingLimits;
        if !value.is_zero() {
            return Err(Rejection::violation(P, Violation::NonZeroValue { value }));
        }
        // `bytes4(callData[0:4])` reverts on shorter calldata in both models
        let Some((selector, args)) = data.split_first_chunk::<4>() else {
            return Err(Rejection::revert(P, Revert::MalformedArguments));
        };
        let validate = AbiDecoderConfig::new().validate(true);
        let bad = |_| Rejection::revert(P, Revert::MalformedArguments);
        let two = |args| <Two as SolType>::abi_decode_params_with_config(args, validate);
        let unsupported = || {
            Err(Rejection::violation(
                P,
                Violation::UnsupportedSelector {
                    selector: FixedBytes(*selector),
                    model: self.model,
                },
            ))
        };
        let state = self.tokens.get(&token).copied().unwrap_or_default();
        let new = match self.model {
            SpendingModel::Current => {
                let (amount, is_transfer) = match *selector {
                    TRANSFER => (two(args).map_err(bad)?.1, true),
                    TRANSFER_FROM => {
                        let (_, to, amount) =
                            <Three as SolType>::abi_decode_params_with_config(args, validate)
                                .map_err(bad)?;
                        (if to == account { U256::ZERO } else { amount }, true)
                    }
                    APPROVE | INCREASE_ALLOWANCE => (two(args).map_err(bad)?.1, false),
                    _ => return unsupported(),
                };
                let (spent, approved) = if is_transfer {
                    (state.spent.checked_add(amount), Some(state.approved))
                } else {
                    (Some(state.spent), state.approved.checked_add(amount))
                };
                let total = match (spent, approved) {
                    (Some(s), Some(a)) => s.checked_add(a).map(|t| (s, a, t)),
                    _ => None,
                };
                let Some((spent, approved, total)) = total else {
                    return Err(Rejection::revert(P, Revert::Overflow { rule: 0 }));
                };
                (amount, total, TokenSpend { limit: state.limit, spent, approved })
            }
            SpendingModel::V1 => {
                let amount = match *selector {
                    TRANSFER | APPROVE => two(args).map_err(bad)?.1,
                    TRANSFER_FROM => {
                        <Three as SolType>::abi_decode_params_with_config(args, validate)
                            .map_err(bad)?
                            .2
                    }
                    _ => return unsupported(),
                };
                // `alreadySpent + amount` is checked arithmetic: an overflow reverts
                let Some(spent) = state.spent.checked_add(amount) else {
                    return Err(Rejection::revert(P, Revert::Overflow { rule: 0 }));
                };
                (amount, spent, TokenSpend { limit: state.limit, spent, approved: U256::ZERO })
            }
        };
        let (amount, total, next) = new;
        if total > state.limit {
            return Err(Rejection::violation(
                P,
                Violation::SpendingLimit {
                    token,
                    spent: state.spent,
                    approved: state.approved,
                    amount,
                    limit: state.limit,
                },
            ));
        }
        self.tokens.insert(token, next);
        Ok(())
    }
}
