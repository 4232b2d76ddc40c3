// Hand-written, NOT generated: no pinned npm package ships the ABI of NexusBootstrap 1.2 (the
// bootstrap MEE >= 2.0.0 accounts are created with); @biconomy/abstractjs 1.2.3 encodes this one
// function inline. This is our own minimal ABI of that function, as
// ../shared/spec/biconomy-flows.md C.1 gives it (selector 0x41bede03, checked in
// tests/bindings.rs).
crate::bindings! {
    /// NexusBootstrap 1.2 (MEE >= 2.0.0): the owner goes to the implementation's default
    /// validator; no registry.
    interface NexusBootstrap12 {
        /// A module and its init data.
        struct BootstrapConfig { address module; bytes data; }
        /// A pre-validation hook (NexusBootstrap 1.2+).
        struct BootstrapPreValidationHookConfig { uint256 hookType; address module; bytes data; }
        function initNexusWithDefaultValidatorAndOtherModulesNoRegistry(
            bytes defaultValidatorInitData,
            BootstrapConfig[] validators,
            BootstrapConfig[] executors,
            BootstrapConfig hook,
            BootstrapConfig[] fallbacks,
            BootstrapPreValidationHookConfig[] preValidationHooks
        ) external;
    }
}
pub use self::NexusBootstrap12::*;
