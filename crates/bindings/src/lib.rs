#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![allow(missing_docs, clippy::all, clippy::pedantic, unreachable_pub, rustdoc::all)] // generated code

/// Expands one interface's `sol!` block: with the `rpc` feature, `#[sol(rpc)]` adds a contract
/// instance (`Registry::new(address, provider)`, one `CallBuilder` per function, from
/// `alloy-contract`); without it (the `no_std` build the codec side can use) only the types.
macro_rules! bindings {
    ($($item:tt)*) => {
        #[cfg(feature = "rpc")]
        alloy_sol_types::sol! {
            #![sol(all_derives, rpc, alloy_contract = ::alloy_contract)]
            $($item)*
        }
        #[cfg(not(feature = "rpc"))]
        alloy_sol_types::sol! {
            #![sol(all_derives)]
            $($item)*
        }
    };
}
pub(crate) use bindings;

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

/// NexusBootstrap 1.2's `initNexusWithDefaultValidatorAndOtherModulesNoRegistry` (MEE >= 2.0.0
/// accounts): **our own minimal ABI** (hand-written in `src/nexus_bootstrap_1_2.rs`: no pinned
/// package ships it).
pub mod nexus_bootstrap_1_2 {
    include!("nexus_bootstrap_1_2.rs");
}

/// The EIP-20 token interface (hand-written from the standard in `src/erc20.rs`).
pub mod erc20 {
    include!("erc20.rs");
}

/// Biconomy's MEE K1 validator's `addSafeSender`: **our own minimal ABI** (hand-written in
/// `src/mee_k1_validator.rs`: no pinned package ships it).
pub mod mee_k1_validator {
    include!("mee_k1_validator.rs");
}
