//! The one ABI the MEE flows call that `smart-sessions-bindings` does not ship: Biconomy's MEE K1
//! validator's `addSafeSender` (no pinned registry package has the validator's ABI). Every other
//! contract call of this crate goes through the bindings (EntryPoint, Nexus factory and bootstrap,
//! SmartSession of each generation, EIP-20).
//!
//! ```
//! use alloy_sol_types::SolCall;
//! use smart_sessions_mee::contracts::MeeK1Validator;
//!
//! assert_eq!(MeeK1Validator::addSafeSenderCall::SELECTOR, [0x5c, 0x81, 0xca, 0x68]);
//! ```

/// The `sol!` expansion of [`MeeK1Validator`] (its items are documented on the interface).
#[allow(missing_docs, unreachable_pub, unnameable_types)]
mod k1_validator {
    alloy_sol_types::sol! {
        #![sol(alloy_contract = ::alloy_contract)]
        /// The MEE K1 validator (`K1MeeValidator`; the local node's `MeeK1Validator` answers the
        /// same ABI): `addSafeSender(sender)` lets `sender` (the `SmartSessions` module) call its
        /// ERC-1271 check without ERC-7739 nesting (`0x5c81ca68`). With a contract instance
        /// (`MeeK1Validator::new(address, provider)`).
        #[sol(rpc, all_derives)]
        interface MeeK1Validator {
            function addSafeSender(address sender) external;
        }
    }
}
pub use k1_validator::MeeK1Validator;
