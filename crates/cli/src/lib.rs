//! The library behind the `smart-sessions` command.
//!
//! [`eval`] answers the shared test vectors' requests line by line; it is also how other
//! implementations check their encodings against this one.

pub mod eval;

pub mod demo;

pub mod net;
