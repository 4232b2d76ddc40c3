//! `prepareForPermissions`' instructions: what an account needs before a session can be granted
//! on it (deployment, the `SmartSessions` module, its safe-sender registration).

use super::{Instruction, Metadata};
use crate::{MultichainAccount, session::install_smart_sessions_calls};

/// `prepareForPermissions`' instructions: for every deployment (in order) where the account is
/// undeployed or `SmartSessions` is not installed (`installed(chain)`), one composable instruction
/// (a plain `execute` batch when the table has no composable module) with
/// `installModule(1, SmartSessions, 0x)` and `addSafeSender(SmartSessions)`. Empty when nothing
/// is needed (the SDK then returns `undefined`).
pub fn prepare_instructions(
    account: &MultichainAccount,
    installed: impl Fn(u64) -> bool,
) -> Vec<Instruction> {
    let smart_sessions = account.version.smart_sessions.smart_session();
    account
        .deployments
        .iter()
        .filter(|d| !d.deployed || !installed(d.chain_id))
        .map(|d| {
            let calls =
                install_smart_sessions_calls(d.address, account.version.validator, smart_sessions);
            Instruction {
                chain_id: d.chain_id,
                metadata: calls
                    .iter()
                    .map(|_| Metadata::custom("Install smart sessions module", d.chain_id))
                    .collect(),
                calls: calls.into(),
                composable: account.version.executes_composable,
            }
        })
        .collect()
}
