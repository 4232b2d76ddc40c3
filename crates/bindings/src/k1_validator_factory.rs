// Hand-written, NOT generated: no pinned npm package ships Biconomy's K1ValidatorFactory ABI
// (@biconomy/abstractjs 1.2.3 has none; @biconomy/sdk 0.0.21 deploys through it). This is our
// own minimal ABI of the two functions the client calls, as the factory declares them
// (../shared/spec/biconomy-flows.md C.2, and the devnet's stand-in in
// crates/devnet/contracts/Devnet.sol, which keeps that ABI).
crate::bindings! {
    /// Biconomy's `K1ValidatorFactory` (what `@biconomy/sdk` 0.0.21 deploys accounts with):
    /// `createAccount(owner, index, attesters, threshold)` and its address view.
    interface K1ValidatorFactory {
        function createAccount(address eoaOwner, uint256 index, address[] attesters, uint8 threshold) external payable returns (address);
        function computeAccountAddress(address eoaOwner, uint256 index, address[] attesters, uint8 threshold) external view returns (address);
    }
}
pub use self::K1ValidatorFactory::*;
