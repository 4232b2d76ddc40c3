//! The devnet's error type.

use alloy_primitives::Address;
use std::{fmt, time::Duration};

/// What can go wrong while starting or using the devnet.
#[derive(Debug)]
#[non_exhaustive]
pub enum DevnetError {
    /// A program the devnet needs is missing.
    Missing {
        /// The program not found on the `PATH` (`node/npm`).
        program: &'static str,
        /// How to install it (e.g. `install Node.js (≥ 18) with npm`).
        hint: &'static str,
    },
    /// A command or a step running one failed (npm, the compiler, starting anvil or Alto).
    Command {
        /// The command or step that failed (`start anvil`, `compiler output`, ...).
        what: String,
        /// The command's output (or the error starting it), trimmed and bounded.
        output: String,
    },
    /// A process did not become ready in time.
    Timeout {
        /// The process or service that was awaited (`anvil`, `alto`, ...).
        what: &'static str,
        /// How long it was waited for.
        after: Duration,
    },
    /// A JSON-RPC or transaction step failed.
    Rpc {
        /// The step that failed (`eth_getCode`, `anvil_setCode registry`, `CREATE2 deployment`,
        /// ...).
        step: String,
        /// The node's, transport's or signer's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A transaction of a step was mined but reverted.
    Reverted {
        /// The step whose transaction reverted (`attest`, `deposit to the EntryPoint`, ...).
        step: String,
    },
    /// A CREATE2 deployment was mined but left no code at the address it computes.
    NoCode {
        /// The address CREATE2 should have deployed to.
        address: Address,
    },
    /// A contract with a canonical address landed elsewhere (the salt or init code differs).
    Misplaced {
        /// The contract (`EntryPoint`).
        contract: &'static str,
        /// Its canonical address.
        expected: Address,
        /// Where it was deployed.
        got: Address,
    },
    /// A file system operation failed (cache directory, lock file, artifacts).
    Io(std::io::Error),
}

impl fmt::Display for DevnetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { program, hint } => write!(f, "`{program}` is not on the PATH: {hint}"),
            Self::Command { what, output } => write!(f, "{what} failed: {output}"),
            Self::Timeout { what, after } => {
                write!(f, "{what} did not become ready within {after:?}")
            }
            Self::Rpc { step, source } => write!(f, "{step}: {source}"),
            Self::Reverted { step } => write!(f, "{step}: the transaction reverted"),
            Self::NoCode { address } => write!(f, "CREATE2 of {address}: no code after deployment"),
            Self::Misplaced { contract, expected, got } => {
                write!(f, "{contract} landed on {got}, not on its canonical {expected}")
            }
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DevnetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Rpc { source, .. } => Some(source.as_ref()),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for DevnetError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// A `Result` with [`DevnetError`].
pub type Result<T, E = DevnetError> = std::result::Result<T, E>;

pub(crate) fn rpc<E: std::error::Error + Send + Sync + 'static>(
    step: impl Into<String>,
) -> impl FnOnce(E) -> DevnetError {
    let step = step.into();
    move |e| DevnetError::Rpc { step, source: Box::new(e) }
}
