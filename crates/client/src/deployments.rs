//! Where everything lives, per SmartSession generation and account implementation, overridable
//! field by field. The devnet's address JSON (`cargo xtask devnet up --json`) loads unchanged.

use alloy_primitives::{Address, address};
use serde::{Deserialize, Serialize};
use smart_sessions_codec::{Generation, PolicyKind};

/// Every address a flow touches. Field names match the devnet's `addresses` JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployments {
    /// The SmartSession generation (layouts and encodings).
    #[serde(skip, default = "default_generation")]
    pub generation: Generation,
    /// EntryPoint v0.7.
    pub entry_point: Address,
    /// The SmartSession module.
    pub smart_session: Address,
    /// The ERC-7484 registry.
    pub registry: Address,
    /// Attesters trusted by default (JSON: `attesters`, or one `attester`).
    #[serde(default, alias = "attester", deserialize_with = "one_or_many")]
    pub attesters: Vec<Address>,
    /// The owner validator (K1Validator or a compatible one).
    #[serde(alias = "k1Validator")]
    pub owner_validator: Address,
    /// The session validator sessions use by default.
    #[serde(default)]
    pub session_key_validator: Option<Address>,
    /// `NexusAccountFactory` (`createAccount(bytes initData, bytes32 salt)`), if used.
    #[serde(default)]
    pub nexus_factory: Option<Address>,
    /// `NexusBootstrap`, with [`nexus_factory`](Self::nexus_factory).
    #[serde(default)]
    pub nexus_bootstrap: Option<Address>,
    /// `K1ValidatorFactory` (`createAccount(owner, index, attesters, threshold)`), if used.
    #[serde(default)]
    pub k1_validator_factory: Option<Address>,
    /// Sudo policy.
    pub sudo_policy: Address,
    /// Universal action policy.
    pub uni_action_policy: Address,
    /// Time frame policy.
    #[serde(default)]
    pub time_frame_policy: Option<Address>,
    /// Usage limit policy.
    #[serde(default)]
    pub usage_limit_policy: Option<Address>,
    /// Value limit policy.
    #[serde(default)]
    pub value_limit_policy: Option<Address>,
    /// ERC-20 spending limit policy.
    #[serde(default)]
    pub spending_limits_policy: Option<Address>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Address>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Address),
        Many(Vec<Address>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(a) => vec![a],
        OneOrMany::Many(v) => v,
    })
}

const fn default_generation() -> Generation {
    Generation::Legacy
}

/// EntryPoint v0.7.
pub const ENTRY_POINT_V07: Address = address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032");
/// The ERC-7484 registry of every generation.
pub const REGISTRY: Address = address!("0x000000000069E2a187AEFFb852bF3cCdC95151B2");
/// Rhinestone's attester.
pub const RHINESTONE_ATTESTER: Address = address!("0x000000333034E9f539ce08819E12c1b8Cb29084d");
/// The mock attester of testnets.
pub const MOCK_ATTESTER: Address = address!("0xA4C777199658a41688E9488c4EcbD7a2925Cc23A");

impl Deployments {
    fn policies(generation: Generation, owner_validator: Address) -> Self {
        Self {
            generation,
            entry_point: ENTRY_POINT_V07,
            smart_session: generation.smart_session(),
            registry: REGISTRY,
            attesters: vec![RHINESTONE_ATTESTER],
            owner_validator,
            session_key_validator: None,
            nexus_factory: None,
            nexus_bootstrap: None,
            k1_validator_factory: None,
            sudo_policy: generation.policy(PolicyKind::Sudo),
            uni_action_policy: generation.policy(PolicyKind::UniversalAction),
            time_frame_policy: Some(generation.policy(PolicyKind::TimeFrame)),
            usage_limit_policy: Some(generation.policy(PolicyKind::UsageLimit)),
            value_limit_policy: Some(generation.policy(PolicyKind::ValueLimit)),
            spending_limits_policy: Some(generation.policy(PolicyKind::SpendingLimits)),
        }
    }

    /// `@biconomy/sdk` 0.0.21 on live chains: legacy SmartSession, Nexus 1.0 through the
    /// K1ValidatorFactory (`0x00000024…4cd6`) with K1Validator (`0x0000002D…5cBa`).
    pub fn legacy_nexus_k1() -> Self {
        Self {
            k1_validator_factory: Some(address!("0x00000024115AA990F0bAE0B6b0D5B8F68b684cd6")),
            nexus_bootstrap: Some(address!("0x00000008c901d8871b6F6942De0B5D9cCf3873d3")),
            session_key_validator: Some(address!("0x41f143f4B5f19AfCd2602F6ADE18E75e9b5E37d3")),
            ..Self::policies(
                Generation::Legacy,
                address!("0x0000002D6DB27c52E3C11c1Cf24072004AC75cBa"),
            )
        }
    }

    /// SmartSession v1.0 (module-sdk 0.2.x) with the same K1 account defaults.
    pub fn v1_nexus_k1() -> Self {
        Self {
            generation: Generation::V1,
            smart_session: Generation::V1.smart_session(),
            ..Self::legacy_nexus_k1()
        }
        .with_policies_of(Generation::V1)
    }

    /// The current SmartSession (module-sdk 0.4.0) with OwnableValidator as the default session
    /// validator; the account side (owner validator, factory) must be set for the account used.
    pub fn current(owner_validator: Address) -> Self {
        Self {
            session_key_validator: Some(address!("0x000000000013fdB5234E4E3162a810F54d9f7E98")),
            ..Self::policies(Generation::Current, owner_validator)
        }
    }

    /// The attesters `@biconomy/sdk` 0.0.21 uses on chains marked as testnets: the defaults plus
    /// [`MOCK_ATTESTER`]. The attesters are part of a K1ValidatorFactory account's address, so
    /// this is what reproduces the TypeScript SDK's testnet accounts.
    pub fn testnet(mut self) -> Self {
        if !self.attesters.contains(&MOCK_ATTESTER) {
            self.attesters.push(MOCK_ATTESTER);
        }
        self
    }

    /// Replaces the policy addresses with a generation's canonical ones.
    pub fn with_policies_of(self, generation: Generation) -> Self {
        let p = Self::policies(generation, self.owner_validator);
        Self {
            sudo_policy: p.sudo_policy,
            uni_action_policy: p.uni_action_policy,
            time_frame_policy: p.time_frame_policy,
            usage_limit_policy: p.usage_limit_policy,
            value_limit_policy: p.value_limit_policy,
            spending_limits_policy: p.spending_limits_policy,
            ..self
        }
    }

    /// Loads a deployment from JSON (for example the devnet's `addresses`), for `generation`.
    pub fn from_json(generation: Generation, json: &str) -> Result<Self, serde_json::Error> {
        let mut d: Self = serde_json::from_str(json)?;
        d.generation = generation;
        Ok(d)
    }

    /// The module handle for these addresses.
    pub const fn smart_sessions(&self) -> crate::SmartSessions {
        crate::SmartSessions { generation: self.generation, address: self.smart_session }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_generations() {
        let l = Deployments::legacy_nexus_k1();
        assert_eq!(l.smart_session, address!("0xDDFF43A42726df11E34123f747bDce0f755F784d"));
        assert_eq!(l.uni_action_policy, address!("0x148CD6c24F4dd23C396E081bBc1aB1D92eeDe2BF"));
        let v = Deployments::v1_nexus_k1();
        assert_eq!(v.smart_session, address!("0x00000000002B0eCfbD0496EE71e01257dA0E37DE"));
        assert_eq!(v.uni_action_policy, address!("0x0000006DDA6c463511C4e9B05CFc34C1247fCF1F"));
        assert_eq!(v.owner_validator, l.owner_validator);
        let c = Deployments::current(Address::ZERO);
        assert_eq!(c.smart_session, address!("0x00000000008bDABA73cD9815d79069c247Eb4bDA"));
        // field-by-field override
        let custom = Deployments { registry: Address::repeat_byte(1), ..c.clone() };
        assert_eq!(custom.smart_session, c.smart_session);
        // testnets: the mock attester after Rhinestone's, once
        let t = Deployments::legacy_nexus_k1().testnet().testnet();
        assert_eq!(t.attesters, vec![RHINESTONE_ATTESTER, MOCK_ATTESTER]);
    }
}
