#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![allow(missing_docs, clippy::all, clippy::pedantic, unreachable_pub, rustdoc::all)] // generated code

/// The legacy generation (module-sdk 0.1.32's SmartSession ABI).
pub mod legacy {
    include!("generated/legacy.rs");
}

/// SmartSession v1.0 (module-sdk 0.2.3's ABI).
pub mod v1 {
    include!("generated/v1.rs");
}

/// The current generation (module-sdk 0.4.0's ABIs, corrected to the deployed bytecode).
pub mod current {
    include!("generated/current.rs");
}

/// Contracts shared by every generation: Nexus 1.0, its factory and bootstrap, the ERC-7484
/// registry, EntryPoint v0.7, ERC-1271.
pub mod common {
    include!("generated/common.rs");
}

/// The devnet's own contracts (compiled from `crates/devnet/contracts/Devnet.sol`): the
/// K1Validator-compatible owner validator, the session-key validator (`ISessionValidator`) and the
/// sudo policy, whose ABIs no registry package ships.
pub mod devnet {
    include!("generated/devnet.rs");
}

/// Biconomy's `K1ValidatorFactory`: **our own minimal ABI** (hand-written in
/// `src/k1_validator_factory.rs`, not generated: no pinned package ships it).
pub mod k1_validator_factory {
    include!("k1_validator_factory.rs");
}
