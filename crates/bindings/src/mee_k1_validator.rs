// Hand-written, NOT generated: no pinned npm package ships the ABI of Biconomy's MEE K1 validator
// (`K1MeeValidator`; @biconomy/abstractjs 1.2.3 encodes `addSafeSender` inline). Our own minimal
// ABI of the one function the MEE session flows call (selector 0x5c81ca68, checked in
// tests/bindings.rs against keccak of the signature). The local MEE node's own validator
// (crates/mee-node/contracts/MeeNode.sol) answers the same ABI.
crate::bindings! {
    /// The MEE K1 validator: `addSafeSender(sender)` lets `sender` (the SmartSessions module)
    /// call its ERC-1271 check without ERC-7739 nesting.
    interface MeeK1Validator {
        function addSafeSender(address sender) external;
    }
}
pub use self::MeeK1Validator::*;
