//! Custom MEE version tables: a [`MeeVersionConfig`] read from the SDK's version-config JSON
//! (what a devnet prints, e.g. the local MEE node's `meeVersion`).

use crate::{
    MeeError, MeeVersion, MeeVersionConfig, PolicyAddresses, Result,
    json::{address, get},
    version::ComposabilityVersion,
};
use alloy_primitives::Address;
use serde_json::Value;
use smart_sessions_codec::Generation;

/// The Nexus `accountId()`s a table may name (the SDK's tables and the registry-shipped Nexus 1.0).
pub const KNOWN_ACCOUNT_IDS: [&str; 4] = [
    "biconomy.nexus.1.0.0",
    "biconomy.nexus.1.0.2",
    "biconomy.nexus.1.2.0",
    "biconomy.nexus.1.3.1",
];

impl MeeVersionConfig {
    /// Reads a version table in the SDK's version-config shape (`version`, `accountId`,
    /// `factoryAddress`, `bootStrapAddress`, `implementationAddress`, `validatorAddress`,
    /// `defaultValidatorAddress`, optional `ethForwarderAddress`, `composableModuleAddress`,
    /// `moduleRegistry`, `composabilityVersion`), for sessions of the SmartSession `generation`
    /// deployed beside it.
    ///
    /// `version` keeps selecting behaviour: a table labelled `1.x` gets the pre-2.0 rules (the
    /// MEE validator named in owner nonce keys through `defaultValidatorAddress`, no default
    /// validator bootstrap). A zero `composableModuleAddress` (or none, before 2.0.0) means the
    /// account has no `executeComposable` ([`MeeVersionConfig::executes_composable`] false); a
    /// zero `ethForwarderAddress` means none. The enable signature of a grant is routed to
    /// `defaultValidatorAddress` (`sessionDetails.enableSessionData.validator`).
    ///
    /// Beyond the SDK's shape, `sudoPolicyAddress`, `universalActionPolicyAddress`,
    /// `valueLimitPolicyAddress` and `usageLimitPolicyAddress` name where a stack deployed its
    /// session policies (default: the generation's canonical addresses); they are not sent to the
    /// node.
    ///
    /// ```
    /// use smart_sessions_codec::Generation;
    /// use smart_sessions_mee::{MeeVersion, MeeVersionConfig};
    /// let table = serde_json::json!({
    ///     "version": "1.1.0", "accountId": "biconomy.nexus.1.0.0",
    ///     "factoryAddress": "0x00000000000000000000000000000000000000f1",
    ///     "bootStrapAddress": "0x00000000000000000000000000000000000000b1",
    ///     "implementationAddress": "0x00000000000000000000000000000000000000a1",
    ///     "validatorAddress": "0x00000000000000000000000000000000000000c1",
    ///     "defaultValidatorAddress": "0x00000000000000000000000000000000000000c1",
    ///     "moduleRegistry": { "registryAddress": "0x0000000000000000000000000000000000000000",
    ///                         "attesters": [], "attesterThreshold": 0 },
    ///     "composableModuleAddress": "0x0000000000000000000000000000000000000000",
    ///     "ethForwarderAddress": "0x0000000000000000000000000000000000000000",
    ///     "composabilityVersion": "1.0.0",
    /// });
    /// let v = MeeVersionConfig::from_json(&table, Generation::Legacy)?;
    /// assert_eq!(v.version, MeeVersion::V1_1_0);
    /// assert!(!v.executes_composable);
    /// assert_eq!(v.eth_forwarder, None);
    /// # Ok::<(), smart_sessions_mee::MeeError>(())
    /// ```
    pub fn from_json(table: &Value, generation: Generation) -> Result<Self> {
        const P: &str = "meeVersion";
        let field = |k: &str| format!("{P}.{k}");
        let str_of = |k: &str| -> Result<&str> {
            get(table, P, k)?.as_str().ok_or_else(|| MeeError::field(field(k), "expected a string"))
        };
        let addr = |k: &str| -> Result<Address> { address(get(table, P, k)?, &field(k)) };
        let opt_addr = |k: &str| -> Result<Option<Address>> {
            match table.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => address(v, &field(k)).map(Some),
            }
        };
        let version = MeeVersion::parse(str_of("version")?)?;
        let canonical = PolicyAddresses::of(generation);
        let id = str_of("accountId")?;
        let account_id = KNOWN_ACCOUNT_IDS
            .into_iter()
            .find(|k| *k == id)
            .ok_or_else(|| MeeError::field(field("accountId"), "not a known Nexus accountId"))?;
        let composability = match table.get("composabilityVersion") {
            None | Some(Value::Null) => version.config().composability,
            Some(v) => match v.as_str() {
                Some("1.0.0") => ComposabilityVersion::V1_0_0,
                Some("1.1.0") => ComposabilityVersion::V1_1_0,
                _ => {
                    return Err(MeeError::field(
                        field("composabilityVersion"),
                        "expected \"1.0.0\" or \"1.1.0\"",
                    ));
                }
            },
        };
        let executes_composable = match opt_addr("composableModuleAddress")? {
            Some(a) => a != Address::ZERO,
            // Nexus >= 1.2 has executeComposable built in
            None => version.uses_default_validator(),
        };
        if let Some(reg) = table.get("moduleRegistry").filter(|r| !r.is_null()) {
            let p = field("moduleRegistry");
            let registry =
                address(get(reg, &p, "registryAddress")?, &format!("{p}.registryAddress"))?;
            if registry != Address::ZERO && !executes_composable {
                return Err(MeeError::field(
                    format!("{p}.registryAddress"),
                    "a registry is not supported for accounts without a composable module",
                ));
            }
        }
        Ok(Self {
            version,
            account_id,
            factory: addr("factoryAddress")?,
            bootstrap: addr("bootStrapAddress")?,
            implementation: addr("implementationAddress")?,
            validator: addr("validatorAddress")?,
            default_validator: addr("defaultValidatorAddress")?,
            eth_forwarder: opt_addr("ethForwarderAddress")?.filter(|a| *a != Address::ZERO),
            composability,
            smart_sessions: generation,
            executes_composable,
            policy_addresses: Some(PolicyAddresses {
                sudo: opt_addr("sudoPolicyAddress")?.unwrap_or(canonical.sudo),
                universal_action: opt_addr("universalActionPolicyAddress")?
                    .unwrap_or(canonical.universal_action),
                value_limit: opt_addr("valueLimitPolicyAddress")?.unwrap_or(canonical.value_limit),
                usage_limit: opt_addr("usageLimitPolicyAddress")?.unwrap_or(canonical.usage_limit),
            }),
        })
    }
}
