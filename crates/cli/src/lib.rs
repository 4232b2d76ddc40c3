//! The library behind the `smart-sessions` command.
//!
//! [`eval`] answers the shared test vectors' requests line by line; it is also how other
//! implementations check their encodings against this one. [`tools`] are the offline
//! subcommands, [`net`] the network ones, [`mee`] those of an MEE node; `demo` (the `devnet`
//! feature, on by default) runs the whole story on an embedded devnet.

pub mod eval;

#[cfg(feature = "devnet")]
pub mod demo;
#[cfg(feature = "devnet")]
pub mod mee_flow;

pub mod net;

pub mod mee;

pub mod tools;

pub mod redact;

pub mod text;

pub mod logging;

pub mod input;

pub mod tls;
