// SPDX-License-Identifier: MIT OR Apache-2.0
//
// OUR OWN STAND-IN, NOT THE DEPLOYED CONTRACT. No registry package ships Nexus 1.2's
// NexusBootstrap (what abstractjs 1.2.3's MEE accounts are created with, spec biconomy-flows.md
// C.1), so tests that place code at the current generation's canonical addresses use this
// contract at the `nexusBootstrap` address: it answers the entry point the SDK calls,
// `initNexusWithDefaultValidatorAndOtherModulesNoRegistry`, with the SAME ABI (selector), and
// runs in the account's context (Nexus 1.0's `initializeAccount` delegatecalls it) by
// delegatecalling the real Nexus 1.0 bootstrap (modulekit 0.5.9) with
// `initNexusWithSingleValidator(VALIDATOR, defaultValidatorInitData, no registry)`. So the
// account it makes is a Nexus 1.0 account with the owner validator installed, not a Nexus 1.2
// one with a built-in default validator: addresses and behaviour differ from a real chain's;
// only the calls the SDK and the client make (the factory call data, getSenderAddress) are
// exercised. `validators`, `executors`, `hook`, `fallbacks` and `preValidationHooks` must be
// empty (what abstractjs 1.2.3 sends); anything else reverts `Unsupported()`.
pragma solidity 0.8.27;

struct BootstrapConfig {
    address module;
    bytes data;
}

struct BootstrapPreValidationHookConfig {
    uint256 hookType;
    address module;
    bytes data;
}

contract MeeBootstrapStandIn {
    /// The real Nexus 1.0 NexusBootstrap the work is delegated to.
    address public immutable NEXUS_1_0_BOOTSTRAP;
    /// The owner validator installed in place of Nexus 1.2's built-in default validator.
    address public immutable VALIDATOR;

    error Unsupported();
    error Delegated(bytes reason);

    constructor(address nexus10Bootstrap, address validator) {
        NEXUS_1_0_BOOTSTRAP = nexus10Bootstrap;
        VALIDATOR = validator;
    }

    function initNexusWithDefaultValidatorAndOtherModulesNoRegistry(
        bytes calldata defaultValidatorInitData,
        BootstrapConfig[] calldata validators,
        BootstrapConfig[] calldata executors,
        BootstrapConfig calldata hook,
        BootstrapConfig[] calldata fallbacks,
        BootstrapPreValidationHookConfig[] calldata preValidationHooks
    ) external {
        if (
            validators.length != 0 || executors.length != 0 || hook.module != address(0)
                || fallbacks.length != 0 || preValidationHooks.length != 0
        ) revert Unsupported();
        (bool ok, bytes memory reason) = NEXUS_1_0_BOOTSTRAP.delegatecall(
            abi.encodeWithSignature(
                "initNexusWithSingleValidator(address,bytes,address,address[],uint8)",
                VALIDATOR,
                defaultValidatorInitData,
                address(0),
                new address[](0),
                uint8(0)
            )
        );
        if (!ok) revert Delegated(reason);
    }
}
