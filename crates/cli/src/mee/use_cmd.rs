//! `smart-sessions mee use`: seed 003's `usePermission` — the redeemer runs calls on one or
//! more chains under granted session details, USE or ENABLE_AND_USE (chosen from the chain by
//! default), paid in a fee token or sponsored. Every call (and the quoted fee) goes through the
//! off-chain policy pre-check first: a call the session refuses fails before any node call,
//! naming the rule, and costs nothing.

use super::{
    Answer, MeeError,
    args::{AccountSel, PaymentArgs, Stack},
    stack,
};
use crate::net::{KeyOptions, SessionKey};
use alloy_primitives::{Address, Bytes, U256};
use clap::{Args, ValueEnum};
use serde_json::json;
use smart_sessions_codec::Generation;
use smart_sessions_mee::{
    Instruction, MeeError as LibError, SessionDetails,
    flows::{FlowError, UsePermission},
    quote_request::UseMode,
    session::Call,
};
use std::path::PathBuf;

/// How the sessions are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// USE when every session the calls need is enabled on chain, ENABLE_AND_USE when none is.
    Auto,
    /// The sessions are enabled already (mode 0x00).
    Use,
    /// The first userOp of each chain enables its session (mode 0x02).
    EnableAndUse,
}

/// The arguments of `mee use`.
#[derive(Args, Debug)]
pub struct UseCmd {
    /// The MEE node, the chains' RPC URLs and the MEE version table (`--mee-url`, `--rpc-url`,
    /// `--version`, …).
    #[command(flatten)]
    pub stack: Stack,
    /// The account the sessions belong to.
    #[command(flatten)]
    pub account: AccountSel,
    /// Where the redeemer's session key, which signs the calls, comes from.
    #[command(flatten)]
    pub key: SessionKey,
    /// The keystore password, and whether a private key on the command line is accepted.
    #[command(flatten)]
    pub keys: KeyOptions,
    /// How the supertransaction is paid.
    #[command(flatten)]
    pub payment: PaymentArgs,
    /// The session details file (`mee grant --out`, or abstractjs' `stringify` of
    /// `sessionDetails`).
    #[arg(long, value_name = "FILE")]
    pub details: PathBuf,
    /// A call for the session key to make, as `CHAIN_ID:TARGET:VALUE:CALLDATA` (value in wei,
    /// calldata hex); repeatable, the calls of one chain make one batch.
    /// `TARGET:VALUE:CALLDATA` when the details are for one chain.
    #[arg(long = "call", required = true, value_name = "CALL")]
    pub calls: Vec<String>,
    /// USE or ENABLE_AND_USE (`auto`: read from the chain).
    #[arg(long, value_enum, default_value_t = ModeArg::Auto)]
    pub mode: ModeArg,
    /// The userOps' `verificationGasLimit` (the SDK's rules say where it applies).
    #[arg(long, value_name = "GAS")]
    pub verification_gas_limit: Option<u64>,
    /// Send without the off-chain pre-check of the calls and the fee (a refused call then fails
    /// in the node's simulation or on chain).
    #[arg(long)]
    pub skip_check: bool,
    /// Return once the node accepted the supertransaction, without waiting for its receipt.
    #[arg(long)]
    pub no_wait: bool,
    /// Bound on the wait for the receipt, in seconds (after it the outcome is unknown: exit 3
    /// with the hash).
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub receipt_timeout: u64,
}

/// The `--call`s as instructions: one per chain, in first-appearance order.
fn instructions(
    calls: &[String],
    details: &[SessionDetails],
) -> Result<Vec<Instruction>, MeeError> {
    let single = match details {
        [one] => Some(one.chain_id()),
        _ => None,
    };
    let mut out: Vec<Instruction> = Vec::new();
    for s in calls {
        let bad = |reason| MeeError::Value { flag: "--call", value: s.clone(), reason };
        let parts: Vec<&str> = s.splitn(4, ':').collect();
        let (chain, rest) = match parts[..] {
            [c, t, v, d] => {
                (c.parse::<u64>().map_err(|_| bad("the chain id is not a u64"))?, [t, v, d])
            }
            [t, v, d] => match single {
                Some(c) => (c, [t, v, d]),
                None => return Err(bad("expected CHAIN_ID:TARGET:VALUE:CALLDATA")),
            },
            _ => return Err(bad("expected CHAIN_ID:TARGET:VALUE:CALLDATA")),
        };
        let [t, v, d] = rest;
        let to: Address = t.parse().map_err(|_| bad("the target is not an address"))?;
        let value: U256 = v.parse().map_err(|_| bad("the value is not an integer"))?;
        let data: Bytes = d.parse().map_err(|_| bad("the calldata is not 0x hex"))?;
        let call = Call { value, ..Call::new(to, data) };
        match out.iter_mut().find(|i| i.chain_id == chain) {
            Some(i) => i.calls.push(call),
            None => out.push(Instruction::new(chain, vec![call])),
        }
    }
    for i in &out {
        if !details.iter().any(|d| d.chain_id() == i.chain_id) {
            return Err(MeeError::NoSession { chain_id: i.chain_id });
        }
    }
    Ok(out)
}

/// Runs `mee use`.
pub(super) async fn run(c: &UseCmd, g: Generation) -> Result<Answer, MeeError> {
    let details = stack::read_details(&c.details)?;
    let ins = instructions(&c.calls, &details)?;
    let redeemer = c.key.load(&c.keys)?;
    let mee = stack::sessions(&c.stack, g, c.receipt_timeout)?;
    let payment = stack::payment(&mee, &c.payment)?;
    let account = stack::account(&mee, &c.account).await?;
    let mode = match c.mode {
        ModeArg::Use => UseMode::Use,
        ModeArg::EnableAndUse => UseMode::EnableAndUse,
        ModeArg::Auto => {
            let mut enabled = Vec::new();
            for i in &ins {
                let d = details.iter().find(|d| d.chain_id() == i.chain_id);
                let Some(d) = d else { continue };
                let on = mee
                    .is_permission_enabled(&account, d.permission_id, i.chain_id)
                    .await
                    .map_err(|source| MeeError::Flow { step: "isPermissionEnabled", source })?;
                enabled.push((i.chain_id, on));
            }
            if enabled.iter().all(|(_, on)| *on) {
                UseMode::Use
            } else if enabled.iter().all(|(_, on)| !*on) {
                UseMode::EnableAndUse
            } else {
                return Err(MeeError::MixedEnabled {
                    enabled: enabled.iter().filter(|e| e.1).map(|e| e.0).collect(),
                    not_enabled: enabled.iter().filter(|e| !e.1).map(|e| e.0).collect(),
                });
            }
        }
    };
    let mut params = UsePermission::new(&details, mode, &ins, payment);
    params.verification_gas_limit = c.verification_gas_limit;
    params.max_fee = c.payment.max_fee;
    let mode_name = match mode {
        UseMode::Use => "USE",
        UseMode::EnableAndUse => "ENABLE_AND_USE",
    };
    let mut output = json!({
        "redeemer": redeemer.address(),
        "account": stack::addresses(&account),
        "mode": mode_name,
        "chains": ins.iter().map(|i| i.chain_id).collect::<Vec<_>>(),
    });
    output["checked"] = json!(!c.skip_check);
    let sent = if c.skip_check {
        mee.use_permission_unchecked(&redeemer, &account, &params).await
    } else {
        mee.use_permission(&redeemer, &account, &params).await
    };
    match sent {
        Ok(sent) => {
            super::merge(&mut output, stack::sent_json(&sent));
            Ok(stack::finish(&mee, output, &sent, c.no_wait).await)
        }
        Err(FlowError::Mee(LibError::Precheck(source))) => Err(MeeError::Refused { source }),
        Err(e) if e.supertransaction_hash().is_some() => Ok(stack::failed(output, &e)),
        Err(source) => Err(MeeError::Flow { step: "use", source }),
    }
}
