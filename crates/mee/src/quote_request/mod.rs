//! Instructions → the quote request (`POST {base}/quote`) exactly as abstractjs 1.2.3 builds it:
//! one userOp per chain (the chain's calls batched with the codec's ERC-7579 `execute`
//! encodings), nonce keys with the millisecond lane, timestamps, gas fields, `paymentInfo` for a
//! fee token or sponsorship, and `sessionDetails` in session flows.
//!
//! Serialise with `serde_json::to_vec`: bigints are decimal strings, numbers stay numbers, and
//! fields come in the SDK's order.

use crate::{
    Clock, Dec, MeeError, MeeVersionConfig, MultichainAccount, Result, SessionDetails,
    clock::nonce_lane,
    composable::execute_composable,
    session::{Call, FeeToken, GasRole, verification_gas_limit},
};
mod prepare;
pub use prepare::prepare_instructions;

use alloy_primitives::{Address, Bytes, U256, address};
use serde::Serialize;
use smart_sessions_codec::{Execution, NexusNonceKey, SmartSessionMode, execute::execute_calls};

/// Default gas of one call (`LARGE_DEFAULT_GAS_LIMIT`).
pub const DEFAULT_CALL_GAS: u64 = 700_000;
/// The payment userOp's `callGasLimit` (`paymentInfo.callGasLimit`), for the fee transfer.
pub const PAYMENT_CALL_GAS: u64 = 75_000;
/// Default validity window of a userOp (s).
pub const DEFAULT_WINDOW_SECS: u64 = 180;
/// Biconomy's trusted gas tank (sponsorship sender).
pub const DEFAULT_GAS_TANK: Address = address!("0x18eAc826f3dD77d065E75E285d3456B751AC80d5");
/// USDC on Base, the default sponsorship token.
pub const BASE_USDC: Address = address!("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");
/// The production node URL, the default sponsorship URL of [`Sponsorship::default`].
pub const DEFAULT_NODE_URL: &str = "https://network.biconomy.io/v1";

/// One `metadata` entry of a userOp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The entry's `type`: always `"CUSTOM"` in what the SDK sends.
    #[serde(rename = "type")]
    pub kind: String,
    /// Free text the explorer shows for the userOp (e.g. "Custom on-chain action").
    pub description: String,
    /// The chain id of the userOp the entry describes (a JSON number, not a string).
    #[serde(rename = "chainId")]
    pub chain_id: u64,
}

impl Metadata {
    /// A `CUSTOM` entry describing a userOp on `chain_id` with `description`.
    pub fn custom(description: &str, chain_id: u64) -> Self {
        Self { kind: "CUSTOM".to_owned(), description: description.to_owned(), chain_id }
    }
}

/// Calls on one chain (the SDK's `Instruction`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// The chain id the calls run on; instructions of one chain are batched into one userOp.
    pub chain_id: u64,
    /// The calls, executed in order.
    pub calls: Vec<Call>,
    /// Whether the calls go through `executeComposable` (prepare's install calls).
    pub composable: bool,
    /// The instruction's metadata.
    pub metadata: Vec<Metadata>,
}

impl Instruction {
    /// Plain calls with the SDK's default metadata ("Custom on-chain action").
    pub fn new(chain_id: u64, calls: Vec<Call>) -> Self {
        Self {
            chain_id,
            calls,
            composable: false,
            metadata: vec![Metadata::custom("Custom on-chain action", chain_id)],
        }
    }
}

/// How the supertransaction is paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payment {
    /// The account pays in an ERC-20 on its chain (payment userOp = `userOps[0]` of the quote).
    FeeToken {
        /// The ERC-20 the fee is paid in and the chain of the payment userOp.
        token: FeeToken,
        /// Where unused gas is refunded.
        gas_refund_address: Option<Address>,
    },
    /// A gas tank pays the fee (no payment userOp of the account; `userOps[0]` is the tank's).
    Sponsored(Sponsorship),
}

/// The gas tank that sponsors a supertransaction (`paymentInfo` of a sponsored request); the
/// default is Biconomy's trusted tank, [`crate::flows::MeeSessions::sponsorship`] the node's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sponsorship {
    /// The tank's account: `paymentInfo.sender` and the sender of the quote's `userOps[0]`.
    pub sender: Address,
    /// Token the tank pays in.
    pub token: Address,
    /// The chain id the tank pays on (`paymentInfo.chainId`).
    pub chain_id: u64,
    /// The sponsorship service URL the node asks (`paymentInfo.sponsorshipUrl`).
    pub url: String,
    /// The tank's nonce (`0` for the trusted tank).
    pub nonce: U256,
}

impl Default for Sponsorship {
    /// Biconomy's trusted tank: USDC on Base, nonce 0.
    fn default() -> Self {
        Self {
            sender: DEFAULT_GAS_TANK,
            token: BASE_USDC,
            chain_id: 8453,
            url: DEFAULT_NODE_URL.to_owned(),
            nonce: U256::ZERO,
        }
    }
}

/// `usePermission`'s mode: whether the sessions are enabled already or are enabled by the
/// supertransaction that uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseMode {
    /// The sessions are enabled: every userOp uses mode 0x00.
    Use,
    /// The first userOp of each chain enables its session (0x02).
    EnableAndUse,
}

/// The session part of a session flow (`usePermission`).
#[derive(Clone, Copy, Debug)]
pub struct SessionUse<'a> {
    /// The granted session entries, one per chain (from a grant flow); each userOp takes its
    /// chain's entry.
    pub details: &'a [SessionDetails],
    /// Whether the sessions are already enabled (USE) or the first userOp of each chain enables
    /// them (ENABLE_AND_USE).
    pub mode: UseMode,
    /// The caller's `verificationGasLimit` (see [`verification_gas_limit`] for where it applies).
    pub verification_gas_limit: Option<u64>,
}

fn entry_for(details: &[SessionDetails], chain_id: u64) -> Result<&SessionDetails> {
    details
        .iter()
        .find(|d| d.chain_id() == chain_id)
        .ok_or(MeeError::NoSessionForChain { chain_id })
}

/// One requested userOp of the quote request (`userOps[i]`): one chain's calls, batched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOpRequest {
    /// Unix time (s) from which the userOp may execute: the caller's lower bound or the clock.
    pub lower_bound_timestamp: u64,
    /// Unix time (s) until which the userOp may execute: the lower bound + 180 s
    /// ([`DEFAULT_WINDOW_SECS`]).
    pub upper_bound_timestamp: u64,
    /// The account's address on this userOp's chain (checksummed in the JSON).
    #[serde(serialize_with = "crate::json::checksummed")]
    pub sender: Address,
    /// `execute` / `executeComposable` calldata.
    pub call_data: Bytes,
    /// Sum of the calls' `gas_limit` (700 000 each when unset, [`DEFAULT_CALL_GAS`]).
    pub call_gas_limit: Dec<u64>,
    /// Full nonce (`key << 64 | sequence`).
    pub nonce: Dec<U256>,
    /// The chain id of this userOp (a decimal string in the JSON).
    pub chain_id: Dec<u64>,
    /// `isCleanUpUserOp`: always false (this crate sends no clean-up userOps).
    pub is_clean_up_user_op: bool,
    /// On the first userOp of an undeployed chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_code: Option<Bytes>,
    /// See [`verification_gas_limit`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_gas_limit: Option<Dec<u64>>,
    /// True in session flows (leaf = userOpHash).
    pub short_encoding: bool,
    /// The chain's session entry with this userOp's mode.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::session::wire::serialize_wire"
    )]
    pub session_details: Option<SessionDetails>,
    /// The metadata entries of the userOp's instructions (shown by the explorer).
    pub metadata: Vec<Metadata>,
    /// The nonce key (validator and millisecond lane) `nonce` was made from; not serialised,
    /// kept for [`QuoteRequest::nonce_lookups`].
    #[serde(skip)]
    pub nonce_key: NexusNonceKey,
}

/// The request's `paymentInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInfo {
    /// Whether a gas tank pays ([`Payment::Sponsored`]) rather than the account.
    pub sponsored: bool,
    /// Who pays: the account on the fee chain, or the gas tank's address when sponsored.
    #[serde(serialize_with = "crate::json::checksummed")]
    pub sender: Address,
    /// The ERC-20 the fee is paid in (the tank's token when sponsored).
    #[serde(serialize_with = "crate::json::checksummed")]
    pub token: Address,
    /// The payment userOp's full nonce (`key << 64 | sequence`); the tank's nonce when
    /// sponsored.
    pub nonce: Dec<U256>,
    /// The payment userOp's call gas: always [`PAYMENT_CALL_GAS`] (75 000).
    pub call_gas_limit: Dec<u64>,
    /// See [`verification_gas_limit`].
    pub verification_gas_limit: Dec<u64>,
    /// The chain id of the payment userOp (the fee token's chain, or the tank's).
    pub chain_id: Dec<u64>,
    /// The sponsorship service URL; set only when sponsored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sponsorship_url: Option<String>,
    /// Where the node refunds unused gas: the caller's `gas_refund_address` of a fee-token
    /// payment; never set when sponsored.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json::checksummed_opt")]
    pub gas_refund_address: Option<Address>,
    /// When the fee chain's account is undeployed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_code: Option<Bytes>,
    /// `Some(true)` in session flows (the payment userOp's leaf is its userOpHash); absent in
    /// owner flows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_encoding: Option<bool>,
    /// The fee chain's entry (mode 0x02 when ENABLE_AND_USE).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::session::wire::serialize_wire"
    )]
    pub session_details: Option<SessionDetails>,
    /// The nonce key (not serialised; `None` when sponsored).
    #[serde(skip)]
    pub nonce_key: Option<NexusNonceKey>,
}

/// One `meeVersions` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MeeVersionEntry {
    /// The MEE contract set used on that chain (serialised whole, as the SDK sends it).
    pub version: MeeVersionConfig,
    /// The chain id the entry applies to (a JSON number).
    #[serde(rename = "chainId")]
    pub chain_id: u64,
}

/// The `POST {base}/quote` body built by [`build_quote_request`]: serialise it with
/// `serde_json`, fill the nonces with [`Self::set_nonce_sequence`], and check the node's answer
/// against it with [`crate::NodeQuote::verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteRequest {
    /// `quoteType`: always `"simple"` (one signature over the supertransaction hash).
    pub quote_type: &'static str,
    /// The requested userOps, one per chain, in instruction order (without the payment userOp).
    pub user_ops: Vec<UserOpRequest>,
    /// Who pays the fee, in what, on which chain.
    pub payment_info: PaymentInfo,
    /// The MEE version of every chain the supertransaction touches (userOp chains, then the fee
    /// chain).
    pub mee_versions: Vec<MeeVersionEntry>,
}

/// Which nonce a lookup is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceSlot {
    /// `paymentInfo.nonce`.
    Payment,
    /// `userOps[i].nonce`.
    UserOp(usize),
}

impl QuoteRequest {
    /// The `EntryPoint.getNonce(sender, key)` reads to make: `(slot, chain, sender, key)`.
    pub fn nonce_lookups(&self) -> Vec<(NonceSlot, u64, Address, NexusNonceKey)> {
        let mut out = Vec::with_capacity(self.user_ops.len() + 1);
        if let Some(k) = self.payment_info.nonce_key {
            out.push((
                NonceSlot::Payment,
                self.payment_info.chain_id.0,
                self.payment_info.sender,
                k,
            ));
        }
        for (i, u) in self.user_ops.iter().enumerate() {
            out.push((NonceSlot::UserOp(i), u.chain_id.0, u.sender, u.nonce_key));
        }
        out
    }

    /// Sets a nonce's 64-bit sequence (from `getNonce`; 0 for a fresh lane).
    pub fn set_nonce_sequence(&mut self, slot: NonceSlot, sequence: u64) -> Result<()> {
        match slot {
            NonceSlot::Payment => {
                let k = self
                    .payment_info
                    .nonce_key
                    .ok_or_else(|| MeeError::field("paymentInfo.nonce", "sponsored"))?;
                self.payment_info.nonce = Dec(k.nonce(sequence));
            }
            NonceSlot::UserOp(i) => {
                let u = self
                    .user_ops
                    .get_mut(i)
                    .ok_or_else(|| MeeError::field(format!("userOps[{i}]"), "no such userOp"))?;
                u.nonce = Dec(u.nonce_key.nonce(sequence));
            }
        }
        Ok(())
    }

    /// Whether a gas tank pays (`paymentInfo.sponsored`); then no payment nonce is read.
    pub const fn sponsored(&self) -> bool {
        self.payment_info.sponsored
    }
}

/// What a quote request is built from.
#[derive(Clone, Debug)]
pub struct QuoteParams<'a> {
    /// The account (its deployment order orders nonce derivations).
    pub account: &'a MultichainAccount,
    /// The calls to run, per chain; instructions of one chain are batched into one userOp.
    pub instructions: &'a [Instruction],
    /// How the fee is paid: in a fee token by the account, or by a gas tank.
    pub payment: Payment,
    /// Session flow (`usePermission`), or `None` for owner flows.
    pub session: Option<SessionUse<'a>>,
    /// Explicit lower bound (unix s); `None` reads the clock.
    pub lower_bound_timestamp: Option<u64>,
}

struct ChainOp {
    chain_id: u64,
    calls: Vec<Call>,
    composable: bool,
    metadata: Vec<Metadata>,
}

fn group(instructions: &[Instruction]) -> Vec<ChainOp> {
    let mut ops: Vec<ChainOp> = Vec::new();
    for ins in instructions {
        match ops.iter_mut().find(|o| o.chain_id == ins.chain_id) {
            Some(o) => {
                o.calls.extend(ins.calls.iter().cloned());
                o.composable |= ins.composable;
                o.metadata.extend(ins.metadata.iter().cloned());
            }
            None => ops.push(ChainOp {
                chain_id: ins.chain_id,
                calls: ins.calls.clone(),
                composable: ins.composable,
                metadata: ins.metadata.clone(),
            }),
        }
    }
    ops
}

fn call_data(version: &MeeVersionConfig, op: &ChainOp) -> Result<Bytes> {
    if op.composable {
        return Ok(execute_composable(version.composability, &op.calls).into());
    }
    let executions: Vec<Execution> =
        op.calls.iter().map(|c| Execution::new(c.to, c.value, c.data.clone())).collect();
    Ok(execute_calls(&executions)?.into())
}

/// Builds the quote request (`getQuote`).
///
/// The clock is read once for the timestamps (unless given) and then once per nonce key:
/// the payment userOp first, then the userOps in the account's deployment order (the order the
/// recorded SDK runs derived them in). Keys of one (account, chain) are kept ≥ 1 ms apart.
/// Nonce sequences are 0; set them from `EntryPoint.getNonce` with
/// [`QuoteRequest::set_nonce_sequence`].
///
/// ```
/// use alloy_primitives::{address, bytes};
/// use smart_sessions_mee::{quote_request::*, session::{Call, FeeToken}, MultichainAccount, StepClock, DEFAULT_MEE_VERSION};
/// let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
/// let account_address = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
/// let mut account = MultichainAccount::new(owner, DEFAULT_MEE_VERSION.config(), 0, [(8453, account_address)])?;
/// account.set_deployed(8453, true)?;
/// let counter = address!("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0");
/// let instructions = [Instruction::new(8453, vec![Call::new(counter, bytes!("0xd09de08a"))])];
/// let usdc = FeeToken { address: BASE_USDC, chain_id: 8453 };
/// let params = QuoteParams {
///     account: &account,
///     instructions: &instructions,
///     payment: Payment::FeeToken { token: usdc, gas_refund_address: None },
///     session: None,
///     lower_bound_timestamp: None,
/// };
/// let request = build_quote_request(&params, &StepClock::new(1_767_225_600_000, 1))?;
/// assert_eq!(request.user_ops.len(), 1);
/// let body = serde_json::to_value(&request).unwrap();
/// assert_eq!(body["userOps"][0]["callGasLimit"], "700000");
/// assert_eq!(body["userOps"][0]["lowerBoundTimestamp"], 1767225600);
/// # Ok::<(), smart_sessions_mee::MeeError>(())
/// ```
pub fn build_quote_request(params: &QuoteParams<'_>, clock: &dyn Clock) -> Result<QuoteRequest> {
    let account = params.account;
    let version = account.version;
    let ops = group(params.instructions);
    if ops.is_empty() {
        return Err(MeeError::Empty { what: "instructions" });
    }
    for op in &ops {
        if op.calls.is_empty() {
            return Err(MeeError::Empty { what: "instruction calls" });
        }
        account.on(op.chain_id)?;
    }
    let session = params.session;
    if let Some(s) = session
        && s.mode == UseMode::EnableAndUse
        && !s.details.iter().any(|d| d.mode == SmartSessionMode::UnsafeEnable)
    {
        return Err(MeeError::EnableNotPossible);
    }
    let smart_sessions = version.smart_sessions.smart_session();
    let module = if session.is_some() { smart_sessions } else { version.default_validator };
    let module_for_gas = session.map(|_| smart_sessions);
    let override_gas = session.and_then(|s| s.verification_gas_limit);
    let enable = session.is_some_and(|s| s.mode == UseMode::EnableAndUse);
    let (sponsored, payment_chain) = match &params.payment {
        Payment::FeeToken { token, .. } => (false, token.chain_id),
        Payment::Sponsored(s) => (true, s.chain_id),
    };

    let lower = match params.lower_bound_timestamp {
        Some(l) => l,
        None => clock.now_ms() / 1000,
    };
    let upper = lower
        .checked_add(DEFAULT_WINDOW_SECS)
        .ok_or_else(|| MeeError::field("lowerBoundTimestamp", "too large"))?;

    // nonce keys: payment first, then userOps in deployment order
    let mut last_lane: Vec<(u64, u32)> = Vec::new();
    let mut next_key = |chain_id: u64| -> Result<NexusNonceKey> {
        let mut lane = nonce_lane(clock.now_ms());
        if let Some(&(_, prev)) = last_lane.iter().rev().find(|(c, _)| *c == chain_id)
            && lane == prev
        {
            lane = (lane + 1) % 16_777_215;
        }
        last_lane.push((chain_id, lane));
        Ok(NexusNonceKey::new(module).with_batch_key(lane)?)
    };
    let payment_key = if sponsored { None } else { Some(next_key(payment_chain)?) };
    let mut op_keys: Vec<Option<NexusNonceKey>> = vec![None; ops.len()];
    for d in &account.deployments {
        for (i, op) in ops.iter().enumerate() {
            if op.chain_id == d.chain_id {
                op_keys[i] = Some(next_key(op.chain_id)?);
            }
        }
    }

    let mut user_ops = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let dep = account.on(op.chain_id)?;
        let key = op_keys[i].ok_or(MeeError::NoDeployment { chain_id: op.chain_id })?;
        let on_payment_chain = op.chain_id == payment_chain;
        let init_code =
            (!dep.deployed && (sponsored || !on_payment_chain)).then(|| dep.init_code.clone());
        let vgl = verification_gas_limit(
            module_for_gas,
            override_gas,
            sponsored,
            GasRole::UserOp { on_payment_chain, index_on_chain: 0 },
        );
        let session_details = match session {
            Some(s) => {
                let first_enables = enable && (sponsored || !on_payment_chain);
                let mode = if first_enables {
                    SmartSessionMode::UnsafeEnable
                } else {
                    SmartSessionMode::Use
                };
                Some(entry_for(s.details, op.chain_id)?.with_mode(mode))
            }
            None => None,
        };
        let gas = op
            .calls
            .iter()
            .try_fold(0u64, |acc, c| acc.checked_add(c.gas_limit.unwrap_or(DEFAULT_CALL_GAS)))
            .ok_or(MeeError::Overflow { what: "sum of the calls' gasLimit" })?;
        user_ops.push(UserOpRequest {
            lower_bound_timestamp: lower,
            upper_bound_timestamp: upper,
            sender: dep.address,
            call_data: call_data(&version, op)?,
            call_gas_limit: Dec(gas),
            nonce: Dec(key.nonce(0)),
            chain_id: Dec(op.chain_id),
            is_clean_up_user_op: false,
            init_code,
            verification_gas_limit: vgl.map(Dec),
            short_encoding: session.is_some(),
            session_details,
            metadata: op.metadata.clone(),
            nonce_key: key,
        });
    }

    let payment_info = match &params.payment {
        Payment::FeeToken { token, gas_refund_address } => {
            let dep = account.on(token.chain_id)?;
            let key = payment_key.ok_or(MeeError::NoDeployment { chain_id: token.chain_id })?;
            let session_details = match session {
                Some(s) => {
                    let mode =
                        if enable { SmartSessionMode::UnsafeEnable } else { SmartSessionMode::Use };
                    Some(entry_for(s.details, token.chain_id)?.with_mode(mode))
                }
                None => None,
            };
            PaymentInfo {
                sponsored: false,
                sender: dep.address,
                token: token.address,
                nonce: Dec(key.nonce(0)),
                call_gas_limit: Dec(PAYMENT_CALL_GAS),
                verification_gas_limit: Dec(verification_gas_limit(
                    module_for_gas,
                    override_gas,
                    false,
                    GasRole::Payment,
                )
                .unwrap_or(crate::session::DEFAULT_PAYMENT_VERIFICATION_GAS)),
                chain_id: Dec(token.chain_id),
                sponsorship_url: None,
                gas_refund_address: *gas_refund_address,
                init_code: (!dep.deployed).then(|| dep.init_code.clone()),
                short_encoding: session.map(|_| true),
                session_details,
                nonce_key: Some(key),
            }
        }
        Payment::Sponsored(s) => PaymentInfo {
            sponsored: true,
            sender: s.sender,
            token: s.token,
            nonce: Dec(s.nonce),
            call_gas_limit: Dec(PAYMENT_CALL_GAS),
            verification_gas_limit: Dec(crate::session::DEFAULT_PAYMENT_VERIFICATION_GAS),
            chain_id: Dec(s.chain_id),
            sponsorship_url: Some(s.url.clone()),
            gas_refund_address: None,
            init_code: None,
            short_encoding: None,
            session_details: None,
            nonce_key: None,
        },
    };

    let mut chains: Vec<u64> = user_ops.iter().map(|u| u.chain_id.0).collect();
    chains.dedup();
    if !sponsored && !chains.contains(&payment_chain) {
        chains.push(payment_chain);
    }
    let mee_versions =
        chains.into_iter().map(|chain_id| MeeVersionEntry { version, chain_id }).collect();
    Ok(QuoteRequest { quote_type: "simple", user_ops, payment_info, mee_versions })
}
