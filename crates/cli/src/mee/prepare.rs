//! `smart-sessions mee prepare`: seed 003's `prepareForPermissions` — on every chain where the
//! owner's account is undeployed or lacks `SmartSessions`, deploy it, install `SmartSessions` and
//! make it a safe sender of the MEE validator, in one supertransaction the owner signs.

use super::{
    Answer, MeeError,
    args::{PaymentArgs, Stack},
    stack,
};
use crate::net::{KeyOptions, OwnerKey};
use clap::Args;
use serde_json::json;
use smart_sessions_codec::Generation;

/// The arguments of `mee prepare`.
#[derive(Args, Debug)]
pub struct PrepareCmd {
    /// The MEE node, the chains' RPC URLs and the MEE version table (`--mee-url`, `--rpc-url`,
    /// `--version`, …).
    #[command(flatten)]
    pub stack: Stack,
    /// Where the owner's signing key comes from (environment variable, keystore or flag).
    #[command(flatten)]
    pub key: OwnerKey,
    /// The keystore password, and whether a private key on the command line is accepted.
    #[command(flatten)]
    pub keys: KeyOptions,
    /// How the supertransaction is paid.
    #[command(flatten)]
    pub payment: PaymentArgs,
    /// The account index (the factory salt).
    #[arg(long, default_value_t = 0)]
    pub index: u64,
    /// Print the account's address per chain and whether it is deployed; send nothing (to fund
    /// the account with the fee token before it pays for its own preparation).
    #[arg(long)]
    pub dry_run: bool,
    /// Return once the node accepted the supertransaction, without waiting for its receipt.
    #[arg(long)]
    pub no_wait: bool,
    /// Bound on the wait for the receipt, in seconds (after it the outcome is unknown: exit 3
    /// with the hash).
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub receipt_timeout: u64,
}

/// Runs `mee prepare`: `{account: {chainId: address}, prepared, supertransactionHash, fee,
/// status}` (`prepared: false` and no hash when every chain is ready already).
pub(super) async fn run(c: &PrepareCmd, g: Generation) -> Result<Answer, MeeError> {
    let owner = c.key.load(&c.keys)?;
    let mee = stack::sessions(&c.stack, g, c.receipt_timeout)?;
    let payment = stack::payment(&mee, &c.payment)?;
    let mut account = mee
        .account(owner.address(), c.index)
        .await
        .map_err(|source| MeeError::Flow { step: "the account", source })?;
    let mut output = json!({ "owner": owner.address(), "account": stack::addresses(&account) });
    if c.dry_run {
        let deployed: serde_json::Map<String, serde_json::Value> = account
            .deployments
            .iter()
            .map(|d| (d.chain_id.to_string(), json!(d.deployed)))
            .collect();
        output["deployed"] = serde_json::Value::Object(deployed);
        return Ok(Answer { output, code: 0, error: None });
    }
    let sent = mee
        .prepare_for_permissions_with(&owner, &mut account, payment, &[], c.payment.max_fee)
        .await;
    match sent {
        Ok(None) => {
            output["prepared"] = json!(false);
            output["supertransactionHash"] = serde_json::Value::Null;
            Ok(Answer { output, code: 0, error: None })
        }
        Ok(Some(s)) => {
            output["prepared"] = json!(true);
            super::merge(&mut output, stack::sent_json(&s));
            Ok(stack::finish(&mee, output, &s, c.no_wait).await)
        }
        Err(e) if e.supertransaction_hash().is_some() => Ok(stack::failed(output, &e)),
        Err(source) => Err(MeeError::Flow { step: "prepare", source }),
    }
}
