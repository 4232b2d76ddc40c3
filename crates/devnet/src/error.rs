//! The devnet's error type.

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
        /// The step that failed (`eth_getCode`, `anvil_setCode registry`, `CREATE2 of <addr>`,
        /// ...).
        step: String,
        /// The error's text (the node's or transport's error, or what went wrong).
        error: String,
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
            Self::Rpc { step, error } => write!(f, "{step}: {error}"),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DevnetError {}

impl From<std::io::Error> for DevnetError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// A `Result` with [`DevnetError`].
pub type Result<T, E = DevnetError> = std::result::Result<T, E>;

pub(crate) fn rpc<E: fmt::Display>(step: impl Into<String>) -> impl FnOnce(E) -> DevnetError {
    let step = step.into();
    move |e| DevnetError::Rpc { step, error: e.to_string() }
}
