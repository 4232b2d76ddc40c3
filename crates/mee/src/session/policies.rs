//! Policy builders of abstractjs 1.2.3 (module-sdk 0.4.0 addresses), and the payment policy the
//! SDK merges into a grant when a fee token is on the session's chain.

use crate::{MeeError, MeeVersionConfig, Result, version::EOA_STATELESS_VALIDATOR};
use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256, address};
use alloy_sol_types::SolCall;
use smart_sessions_bindings::erc20::ERC20;
use smart_sessions_bindings::mee_k1_validator::addSafeSenderCall;
use smart_sessions_codec::{
    ActionConfig, ActionData, Generation, MAX_RULES, ParamCondition, ParamRule, PolicyData,
    PolicyKind, execute::MODULE_TYPE_VALIDATOR, execute::install_module_calldata,
};

/// `SmartSessions` of module-sdk 0.4.0 (the current generation).
pub const SMART_SESSIONS: Address = address!("0x00000000008bDABA73cD9815d79069c247Eb4bDA");

/// EIP-20 `transfer(address,uint256)` (`0xa9059cbb`).
pub const TRANSFER_SELECTOR: FixedBytes<4> = FixedBytes(ERC20::transferCall::SELECTOR);

/// `getSudoPolicy()`: Sudo with empty init data.
pub fn sudo_policy() -> PolicyData {
    PolicyData::sudo(Generation::Current)
}

/// Sudo of another SmartSession generation.
pub fn sudo_policy_of(generation: Generation) -> PolicyData {
    PolicyData::sudo(generation)
}

/// The universal action policy address.
pub fn universal_action_policy_address() -> Address {
    Generation::Current.policy(PolicyKind::UniversalAction)
}

/// `getUniversalActionPolicy({valueLimitPerUse, paramRules: {length, rules}})`.
///
/// As in abstractjs 1.2.3 (viem encodes `tuple[16]`), `rules` must hold **exactly 16** slots
/// ([`MeeError::RuleSlots`] otherwise, the SDK's `AbiEncodingArrayLengthMismatchError`), and
/// `length` at most 16.
pub fn universal_action_policy(
    value_limit_per_use: U256,
    length: usize,
    rules: &[ParamRule],
) -> Result<PolicyData> {
    let slots: [ParamRule; MAX_RULES] =
        rules.try_into().map_err(|_| MeeError::RuleSlots { given: rules.len() })?;
    let config = ActionConfig::from_slots(value_limit_per_use, length, slots)?;
    Ok(PolicyData::universal_action(Generation::Current, &config))
}

/// The slot abstractjs's `getUniversalPolicy` pads with: `GREATER_THAN 0 @0`, unlimited.
pub const PADDING_RULE: ParamRule = ParamRule::new(ParamCondition::GreaterThan, 0, B256::ZERO);

/// The payment action the SDK appends: fee-token `transfer` with a universal action policy of
/// one rule `amount <= max` at offset 32, limited to `max` in total (a fee budget for the whole
/// session), padded with [`PADDING_RULE`].
pub fn payment_action(
    generation: Generation,
    fee_token: Address,
    max_payment_amount: U256,
) -> ActionData {
    payment_action_at(generation.policy(PolicyKind::UniversalAction), fee_token, max_payment_amount)
}

/// [`payment_action`] with the universal action policy deployed at `uap` (a stack whose policies
/// are not at the generation's canonical addresses, [`crate::PolicyAddresses`]).
pub fn payment_action_at(uap: Address, fee_token: Address, max_payment_amount: U256) -> ActionData {
    let mut slots = [PADDING_RULE; MAX_RULES];
    slots[0] = ParamRule::new(ParamCondition::LessThanOrEqual, 32, B256::from(max_payment_amount))
        .limited(max_payment_amount);
    // length 1 <= 16: from_slots cannot fail
    let config = ActionConfig::from_slots(U256::ZERO, 1, slots).unwrap_or_default();
    ActionData {
        actionTargetSelector: TRANSFER_SELECTOR,
        actionTarget: fee_token,
        actionPolicies: vec![PolicyData::new(uap, config.abi_encode())],
    }
}

/// `addPaymentPolicyForActions` for one chain's actions (call it only for the fee token's
/// chain): merges the fee budget `max` into an existing fee-token `transfer` action's universal
/// policy (rule at offset 32 with `EQUAL` / `LESS_THAN` / `LESS_THAN_OR_EQUAL`: `ref += max`,
/// `usage.limit += max`; no rule at 32: a new `LESS_THAN_OR_EQUAL max` rule is appended; any other
/// condition: unchanged), or appends [`payment_action`].
pub fn add_payment_policy(
    generation: Generation,
    actions: &mut Vec<ActionData>,
    fee_token: Address,
    max: U256,
) -> Result<()> {
    add_payment_policy_at(generation.policy(PolicyKind::UniversalAction), actions, fee_token, max)
}

/// [`add_payment_policy`] with the universal action policy deployed at `uap`.
pub fn add_payment_policy_at(
    uap: Address,
    actions: &mut Vec<ActionData>,
    fee_token: Address,
    max: U256,
) -> Result<()> {
    let Some(action) = actions
        .iter_mut()
        .find(|a| a.actionTarget == fee_token && a.actionTargetSelector == TRANSFER_SELECTOR)
    else {
        actions.push(payment_action_at(uap, fee_token, max));
        return Ok(());
    };
    for policy in action.actionPolicies.iter_mut().filter(|p| p.policy == uap) {
        let mut config = ActionConfig::abi_decode(&policy.initData)?;
        let len = config.len();
        match config.rules_mut().iter_mut().find(|r| r.offset == 32) {
            Some(rule) => {
                if matches!(
                    rule.condition,
                    ParamCondition::Equal
                        | ParamCondition::LessThan
                        | ParamCondition::LessThanOrEqual
                ) {
                    let r = U256::from_be_bytes(rule.reference.0)
                        .checked_add(max)
                        .ok_or(MeeError::Overflow { what: "rule ref + maxPaymentAmount" })?;
                    rule.reference = B256::from(r);
                    rule.usage.limit = rule
                        .usage
                        .limit
                        .checked_add(max)
                        .ok_or(MeeError::Overflow { what: "usage.limit + maxPaymentAmount" })?;
                }
            }
            None => {
                let mut slots = *config.slots();
                if len >= MAX_RULES {
                    return Err(smart_sessions_codec::Error::TooManyRules {
                        count: U256::from(len + 1),
                        max: MAX_RULES,
                    }
                    .into());
                }
                slots[len] = ParamRule::new(ParamCondition::LessThanOrEqual, 32, B256::from(max));
                config = ActionConfig::from_slots(config.value_limit_per_use, len + 1, slots)?;
            }
        }
        policy.initData = Bytes::from(config.abi_encode());
    }
    Ok(())
}

/// `getSessionValidatorInitData`: the redeemer's 20 bytes for MEE < 3.0.0; for ≥ 3.0.0
/// `EoaStatelessValidator ‖ uint8 0 ‖ redeemer` (41 bytes).
pub fn session_validator_init_data(version: &MeeVersionConfig, redeemer: Address) -> Bytes {
    if version.version.packs_session_validator_init_data() {
        let mut out = Vec::with_capacity(41);
        out.extend_from_slice(EOA_STATELESS_VALIDATOR.as_slice());
        out.push(0);
        out.extend_from_slice(redeemer.as_slice());
        out.into()
    } else {
        Bytes::copy_from_slice(redeemer.as_slice())
    }
}

/// `toSmartSessionsModule({signer})`: a validator module at [`SMART_SESSIONS`] with empty init
/// data (the flows use only its address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmartSessionsModule {
    /// The session key that will use the module.
    pub signer: Address,
    /// Where the `SmartSessions` module is: always [`SMART_SESSIONS`] (module-sdk 0.4.0).
    pub address: Address,
}

/// `toSmartSessionsModule({signer})`.
pub const fn to_smart_sessions_module(signer: Address) -> SmartSessionsModule {
    SmartSessionsModule { signer, address: SMART_SESSIONS }
}

/// One call: `to`, `value`, `data`, and an optional gas limit (700 000 by default).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Call {
    /// The contract (or EOA) the account calls.
    pub to: Address,
    /// The native value sent with the call, in wei.
    pub value: U256,
    /// The call's calldata (selector and arguments); empty for a plain transfer.
    pub data: Bytes,
    /// Gas for this call (the SDK's `gasLimit`); `None` = 700 000.
    pub gas_limit: Option<u64>,
}

impl Call {
    /// A call of `data` to `to` with no native value and the default gas (700 000).
    pub fn new(to: Address, data: impl Into<Bytes>) -> Self {
        Self { to, value: U256::ZERO, data: data.into(), gas_limit: None }
    }
}

/// `toInstallWithSafeSenderCalls`: `account.installModule(1, smartSessions, 0x)` and
/// `meeValidator.addSafeSender(smartSessions)`.
pub fn install_smart_sessions_calls(
    account: Address,
    mee_validator: Address,
    smart_sessions: Address,
) -> [Call; 2] {
    [
        Call::new(account, install_module_calldata(MODULE_TYPE_VALIDATOR, smart_sessions, &[])),
        Call::new(mee_validator, addSafeSenderCall { sender: smart_sessions }.abi_encode()),
    ]
}
