//! The devnet's error type.

use std::{fmt, time::Duration};

/// What can go wrong while starting or using the devnet.
#[derive(Debug)]
#[non_exhaustive]
pub enum DevnetError {
    /// A program the devnet needs is missing.
    Missing {
        /// The program.
        program: &'static str,
        /// What to install.
        hint: &'static str,
    },
    /// A command failed.
    Command {
        /// What ran.
        what: String,
        /// Its output, trimmed.
        output: String,
    },
    /// A process did not become ready in time.
    Timeout {
        /// What was awaited.
        what: &'static str,
        /// How long.
        after: Duration,
    },
    /// A JSON-RPC or transaction step failed.
    Rpc {
        /// The step.
        step: String,
        /// The error.
        error: String,
    },
    /// File system trouble.
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
