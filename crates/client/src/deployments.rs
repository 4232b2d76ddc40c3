//! Where everything lives, per SmartSession generation and account implementation, overridable
//! field by field. The devnet's address JSON (`cargo xtask devnet up --json`) loads unchanged.
//!
//! Every default table names its sources next to the addresses. The tables are the same on
//! every chain (the contracts are deployed with CREATE2 at the same addresses everywhere);
//! [`ChainPreset`] adds what differs per chain (the chain id, and whether the SDKs treat it as a
//! testnet, which adds [`MOCK_ATTESTER`] to K1 accounts). [`Deployments::detect`] checks that a
//! chain has code at every address of a table, in one JSON-RPC batch.

use alloy_primitives::{Address, Bytes, address};
use alloy_provider::Provider;
use serde::{Deserialize, Serialize};
use smart_sessions_codec::{Generation, PolicyKind};
// NexusBootstrap 1.2's init call (our own minimal ABI in the bindings) and the factory's
// `createAccount` (the generated NexusAccountFactory bindings).
use smart_sessions_bindings::{
    common::nexus_account_factory::NexusAccountFactory::createAccountCall,
    nexus_bootstrap_1_2::{
        BootstrapConfig, initNexusWithDefaultValidatorAndOtherModulesNoRegistryCall,
    },
};

/// Every address a flow touches. Field names match the devnet's `addresses` JSON.
///
/// Take a default table for the SDK you want to match ([`legacy_nexus_k1`](Self::legacy_nexus_k1),
/// [`v1_nexus_k1`](Self::v1_nexus_k1), [`current_mee`](Self::current_mee), or per chain
/// [`ChainPreset::deployments`]), override fields for your own contracts, or load a table from
/// JSON ([`from_json`](Self::from_json)); [`detect`](Self::detect) checks it against a chain.
///
/// ```
/// use alloy_primitives::{Address, address};
/// use smart_sessions_client::{ChainPreset, Deployments, ENTRY_POINT_V07, MOCK_ATTESTER};
/// use smart_sessions_codec::Generation;
///
/// // `@biconomy/sdk` 0.0.21's table: legacy SmartSession, K1ValidatorFactory accounts.
/// let legacy = Deployments::legacy_nexus_k1();
/// assert_eq!(legacy.entry_point, ENTRY_POINT_V07);
/// assert_eq!(
///     legacy.k1_validator_factory,
///     Some(address!("0x00000024115AA990F0bAE0B6b0D5B8F68b684cd6"))
/// );
/// // On a testnet the SDK also trusts the mock attester (part of the account's address).
/// let sepolia = ChainPreset::by_name("sepolia").unwrap().deployments(Generation::Legacy);
/// assert!(sepolia.attesters.contains(&MOCK_ATTESTER));
///
/// // A devnet's address JSON (`attester` may be one address or `attesters` a list).
/// let json = format!(
///     r#"{{"entryPoint":"{ep}","smartSession":"{a}","registry":"{a}","attester":"{a}",
///         "k1Validator":"{a}","sudoPolicy":"{a}","uniActionPolicy":"{a}"}}"#,
///     ep = ENTRY_POINT_V07,
///     a = Address::repeat_byte(0x11),
/// );
/// let devnet = Deployments::from_json(Generation::Legacy, &json)?;
/// assert_eq!(devnet.attesters, vec![Address::repeat_byte(0x11)]);
/// assert_eq!(devnet.owner_validator, Address::repeat_byte(0x11));
/// assert_eq!(devnet.time_frame_policy, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployments {
    /// The SmartSession generation, which fixes the session layouts and signature encodings (not
    /// in the JSON: [`from_json`](Self::from_json) takes it).
    #[serde(skip, default = "default_generation")]
    pub generation: Generation,
    /// The ERC-4337 EntryPoint v0.7 every operation goes through ([`ENTRY_POINT_V07`]).
    pub entry_point: Address,
    /// The SmartSession validator module the sessions are enabled in.
    pub smart_session: Address,
    /// The ERC-7484 module registry SmartSession consults when enabling ([`REGISTRY`]).
    pub registry: Address,
    /// Attesters trusted by default (JSON: `attesters`, or one `attester`).
    #[serde(default, alias = "attester", deserialize_with = "one_or_many")]
    pub attesters: Vec<Address>,
    /// The validator that checks the owner's signature (K1Validator, the MEE validator, ...): it
    /// routes owner operations and off-chain grant signatures.
    #[serde(alias = "k1Validator")]
    pub owner_validator: Address,
    /// The session validator a [`SessionRequest`](crate::SessionRequest) gets when it names none.
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
    /// The sudo policy: allows every call of an action (and is the user-op policy a paymaster
    /// permit pairs with).
    pub sudo_policy: Address,
    /// The universal action policy (calldata rules and `valueLimitPerUse`).
    pub uni_action_policy: Address,
    /// The time frame policy (`validAfter`/`validUntil` windows).
    #[serde(default)]
    pub time_frame_policy: Option<Address>,
    /// The usage limit policy (how many times an action or session may run).
    #[serde(default)]
    pub usage_limit_policy: Option<Address>,
    /// The value limit policy (total native value an action may send).
    #[serde(default)]
    pub value_limit_policy: Option<Address>,
    /// The ERC-20 spending limits policy (per-token totals an action's calls may spend).
    #[serde(default)]
    pub spending_limits_policy: Option<Address>,
    /// A further ERC-20 spending-limit policy that follows SmartSession v1.0's rules and
    /// storage layout, whatever the table's generation (policies are independent of it): the
    /// pre-check reads its state by storage and evaluates it by v1.0's rules. On the devnet,
    /// our own stand-in contract (JSON: `v1SpendingLimitStandIn`); on a v1.0 table
    /// [`spending_limits_policy`](Self::spending_limits_policy) already is v1.0's.
    #[serde(default, alias = "v1SpendingLimitStandIn", skip_serializing_if = "Option::is_none")]
    pub v1_spending_limits_policy: Option<Address>,
    /// How accounts of this table are created (absent: a K1ValidatorFactory if the table has
    /// one, else the Nexus 1.0 bootstrap with a single validator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_kind: Option<AccountKind>,
}

/// How the SDK that a table reproduces creates its accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum AccountKind {
    /// `K1ValidatorFactory.createAccount(owner, index, attesters, threshold)`
    /// (`@biconomy/sdk`, permissionless `toNexusSmartAccount`).
    K1ValidatorFactory,
    /// `NexusAccountFactory.createAccount(initData, salt)` with the bootstrap's
    /// `initNexusWithSingleValidator(validator, owner, registry 0, [], 0)` (Nexus 1.0, module-sdk
    /// examples, MEE 1.x).
    NexusSingleValidator,
    /// `NexusAccountFactory.createAccount(initData, salt)` with the bootstrap's
    /// `initNexusWithDefaultValidatorAndOtherModulesNoRegistry(owner, …)` (selector
    /// `0x41bede03`): the MEE validator is the implementation's default validator (abstractjs,
    /// MEE ≥ 2.0.0).
    MeeDefaultValidator,
}

/// An abstractjs 1.2.3 MEE version (`getMEEVersion(MEEVersion.X)`), whose accounts the current
/// generation's default table uses. Addresses: ../shared/spec/biconomy-flows.md C.1, the
/// abstractjs 1.2.3 per-version configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MeeVersion {
    /// 1.0.0 (Nexus 1.0.2).
    V1_0_0,
    /// 1.1.0 (Nexus 1.0.2).
    V1_1_0,
    /// 2.0.0 (Nexus 1.2.0): abstractjs 1.2.3's `DEFAULT_MEE_VERSION`.
    V2_0_0,
    /// 2.1.0 (Nexus 1.2.0).
    V2_1_0,
    /// 2.2.1 (Nexus 1.3.1).
    V2_2_1,
    /// 2.3.0 (Nexus 1.3.1).
    V2_3_0,
    /// 3.0.0 (Nexus 1.3.1, the Stx validator).
    V3_0_0,
}

/// One MEE version's account contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeeContracts {
    /// The `NexusAccountFactory` that deploys this version's accounts.
    pub factory: Address,
    /// The `NexusBootstrap` whose init call the factory data names.
    pub bootstrap: Address,
    /// The Nexus implementation the accounts' proxies point at.
    pub implementation: Address,
    /// The MEE validator (`validatorAddress`): the owner's validator.
    pub validator: Address,
}

impl MeeVersion {
    /// abstractjs 1.2.3's `DEFAULT_MEE_VERSION` (2.0.0).
    pub const DEFAULT: Self = Self::V2_0_0;

    /// The version's contracts (C.1 table: factory, bootstrap, implementation, validator).
    pub const fn contracts(self) -> MeeContracts {
        let (factory, bootstrap, implementation, validator) = match self {
            Self::V3_0_0 => (
                address!("0x75Eb8D1621D193010425D34b4Ae81835E2409660"),
                address!("0x33A8F72F236e02eD62B0312f48105AcBD651Cd17"),
                address!("0x37DF3014c8B72372F2783aAF517bcdC6B516c8Df"),
                address!("0x5e2181ccC1550f5e86F14298A12a7a9A04536F58"),
            ),
            Self::V2_3_0 => (
                address!("0x5836Bdb35913c7CBA6ef40675354445121449917"),
                address!("0xCa8f48912A3a33fE694c318a1d097AD394CFAB76"),
                address!("0x54F220e4f0DEAb58Be26153df5a674668B9d7Fb2"),
                address!("0x1Cdae7dcc3f32551865EfE3d77AC2b88Ee2905B4"),
            ),
            Self::V2_2_1 => (
                address!("0x000000002c9A405a196f2dc766F2476B731693c3"),
                address!("0x000000007BfEdA33ac982cb38eAaEf5D7bCC954c"),
                address!("0x0000000020fe2F30453074aD916eDeB653eC7E9D"),
                address!("0x0000000002d3cC5642A748B6783F32C032616E03"),
            ),
            Self::V2_1_0 => (
                address!("0x0000006648ED9B2B842552BE63Af870bC74af837"),
                address!("0x0000003eDf18913c01cBc482C978bBD3D6E8ffA3"),
                address!("0x00000000383e8cBe298514674Ea60Ee1d1de50ac"),
                address!("0x0000000031ef4155C978d48a8A7d4EDba03b04fE"),
            ),
            Self::V2_0_0 => (
                address!("0x000000001D1D5004a02bAfAb9de2D6CE5b7B13de"),
                address!("0x00000000D3254452a909E4eeD47455Af7E27C289"),
                address!("0x000000004F43C49e93C970E84001853a70923B03"),
                address!("0x00000000d12897DDAdC2044614A9677B191A2d95"),
            ),
            Self::V1_1_0 => (
                address!("0x0000000C8B6b3329cEa5d15C9d8C15F1f254ec3C"),
                address!("0x000000c4781Be3349F81d341027fd7A4EdFa4Dd2"),
                address!("0x000000001964d23C59962Fc7A912872EE8fB3b6A"),
                address!("0x00000000E894100bEcFc7c934Ab7aC8FBA08A44c"),
            ),
            Self::V1_0_0 => (
                address!("0x000000c3A93d2c5E02Cb053AC675665b1c4217F9"),
                address!("0x879fa30248eeb693dcCE3eA94a743622170a3658"),
                address!("0x000000aC74357BFEa72BBD0781833631F732cf19"),
                address!("0x00000000d12897DDAdC2044614A9677B191A2d95"),
            ),
        };
        MeeContracts { factory, bootstrap, implementation, validator }
    }
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

/// The canonical ERC-4337 EntryPoint v0.7 address (the same on every chain).
pub const ENTRY_POINT_V07: Address = address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032");
/// Rhinestone's ERC-7484 module registry, which every generation's tables use.
pub const REGISTRY: Address = address!("0x000000000069E2a187AEFFb852bF3cCdC95151B2");
/// Rhinestone's attester, trusted by default on every table that has attesters.
pub const RHINESTONE_ATTESTER: Address = address!("0x000000333034E9f539ce08819E12c1b8Cb29084d");
/// The mock attester `@biconomy/sdk` adds on testnets ([`Deployments::testnet`]).
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
            v1_spending_limits_policy: None,
            account_kind: None,
        }
    }

    /// `@biconomy/sdk` 0.0.21 on live chains: legacy SmartSession, Nexus 1.0 through the
    /// K1ValidatorFactory (`0x00000024…4cd6`) with K1Validator (`0x0000002D…5cBa`).
    ///
    /// Sources (../shared/spec/biconomy-flows.md): factory, K1Validator and bootstrap from C.2
    /// (`@biconomy/sdk` 0.0.21 constants); the session validator is its
    /// `SIMPLE_SESSION_VALIDATOR` (A.2); SmartSession and policies are module-sdk 0.1.x's (the
    /// version table, column 0.1.28 / 0.1.32); registry and attesters are the same in every
    /// module-sdk version.
    pub fn legacy_nexus_k1() -> Self {
        Self {
            k1_validator_factory: Some(address!("0x00000024115AA990F0bAE0B6b0D5B8F68b684cd6")),
            nexus_bootstrap: Some(address!("0x00000008c901d8871b6F6942De0B5D9cCf3873d3")),
            session_key_validator: Some(address!("0x41f143f4B5f19AfCd2602F6ADE18E75e9b5E37d3")),
            account_kind: Some(AccountKind::K1ValidatorFactory),
            ..Self::policies(
                Generation::Legacy,
                address!("0x0000002D6DB27c52E3C11c1Cf24072004AC75cBa"),
            )
        }
    }

    /// The account side of permissionless' `toNexusSmartAccount` (what module-sdk's examples
    /// create Nexus accounts with), on a generation's SmartSession and policies: its
    /// `BICONOMY_ADDRESSES` K1ValidatorFactory `0x00000bb1…DB55` and K1Validator
    /// `0x00000004…E8f`, no attesters (threshold 0). Source: permissionless.js
    /// `accounts/nexus/toNexusSmartAccount.ts`; the same pair is `@biconomy/sdk` 0.0.10's
    /// (../shared/spec/biconomy-flows.md C.2).
    pub fn permissionless_nexus(generation: Generation) -> Self {
        Self {
            k1_validator_factory: Some(address!("0x00000bb19a3579F4D779215dEf97AFbd0e30DB55")),
            attesters: Vec::new(),
            account_kind: Some(AccountKind::K1ValidatorFactory),
            ..Self::policies(generation, address!("0x00000004171351c442B202678c48D8AB5B321E8f"))
        }
    }

    /// The current SmartSession (module-sdk 0.4.0, what abstractjs 1.2.3 uses) with the MEE
    /// accounts of `version` (../shared/spec/biconomy-flows.md C.1): the owner validator is the
    /// version's MEE validator, the account comes from its `NexusAccountFactory` and
    /// `NexusBootstrap`. Session validator: module-sdk 0.4.0's OwnableValidator.
    pub fn current_mee(version: MeeVersion) -> Self {
        let c = version.contracts();
        let kind = if version >= MeeVersion::V2_0_0 {
            AccountKind::MeeDefaultValidator
        } else {
            AccountKind::NexusSingleValidator
        };
        Self {
            nexus_factory: Some(c.factory),
            nexus_bootstrap: Some(c.bootstrap),
            account_kind: Some(kind),
            ..Self::current(c.validator)
        }
    }

    /// The default table of `generation`, complete on a chain with the canonical contracts:
    /// [`legacy_nexus_k1`](Self::legacy_nexus_k1), [`v1_nexus_k1`](Self::v1_nexus_k1), or
    /// [`current_mee`](Self::current_mee) at abstractjs 1.2.3's default MEE version.
    pub fn default_for(generation: Generation) -> Self {
        match generation {
            Generation::Legacy => Self::legacy_nexus_k1(),
            Generation::V1 => Self::v1_nexus_k1(),
            _ => Self::current_mee(MeeVersion::DEFAULT),
        }
    }

    /// How accounts of this table are created ([`account_kind`](Self::account_kind), or inferred
    /// from the fields).
    pub fn account(&self) -> AccountKind {
        self.account_kind.unwrap_or_else(|| {
            if self.k1_validator_factory.is_some() {
                AccountKind::K1ValidatorFactory
            } else {
                AccountKind::NexusSingleValidator
            }
        })
    }

    /// SmartSession v1.0 (module-sdk 0.2.x) with the same K1 account defaults: `@biconomy/sdk`
    /// 0.0.29, the last version on module-sdk 0.2.3, still creates accounts through the same
    /// K1ValidatorFactory (../shared/spec/biconomy-flows.md A.7 / C.2). SmartSession and policies:
    /// the version table's 0.2.3 column.
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

    /// Replaces the six policy addresses with `generation`'s canonical ones (other fields kept).
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

    /// The SmartSession module of these addresses and generation (encodes its calls).
    pub const fn smart_sessions(&self) -> crate::SmartSessions {
        crate::SmartSessions { generation: self.generation, address: self.smart_session }
    }
}

impl Deployments {
    /// For a [`AccountKind::MeeDefaultValidator`] table: the factory and `createAccount` call
    /// data abstractjs 1.2.3 puts in the first operation's `initCode` for `owner`'s account at
    /// `index` (../shared/spec/biconomy-flows.md C.1: `initData = abi.encode(bootstrap,
    /// initNexusWithDefaultValidatorAndOtherModulesNoRegistry(owner, [], [], (0, 32 zero
    /// bytes), [], []))`, salt = the index as a 32-byte word). `None` for other kinds or without
    /// a factory and bootstrap. The address is `EntryPoint.getSenderAddress` of `factory ‖ data`
    /// ([`sender_address`](crate::sender_address)).
    pub fn mee_factory_data(
        &self,
        owner: Address,
        index: alloy_primitives::U256,
    ) -> Option<(Address, Bytes)> {
        use alloy_sol_types::{SolCall, SolValue};
        if self.account() != AccountKind::MeeDefaultValidator {
            return None;
        }
        let (factory, bootstrap) = (self.nexus_factory?, self.nexus_bootstrap?);
        let call = initNexusWithDefaultValidatorAndOtherModulesNoRegistryCall {
            defaultValidatorInitData: owner.to_vec().into(),
            validators: vec![],
            executors: vec![],
            hook: BootstrapConfig { module: Address::ZERO, data: vec![0u8; 32].into() },
            fallbacks: vec![],
            preValidationHooks: vec![],
        }
        .abi_encode();
        let init_data = (bootstrap, Bytes::from(call)).abi_encode_params();
        let data =
            createAccountCall { initData: init_data.into(), salt: index.into() }.abi_encode();
        Some((factory, data.into()))
    }
}

impl Deployments {
    /// `owner`'s account at `index` the way the table's SDK creates it
    /// ([`account`](Self::account)): through the K1ValidatorFactory with the table's attesters
    /// (threshold 1 if any, else 0), the Nexus 1.0 bootstrap with the owner validator (salt =
    /// the index), or the MEE factory data ([`mee_factory_data`](Self::mee_factory_data)) with
    /// the address from `EntryPoint.getSenderAddress`. One or two calls.
    pub async fn account_for<P: Provider>(
        &self,
        provider: &P,
        owner: Address,
        index: alloy_primitives::U256,
    ) -> Result<crate::NexusAccount, crate::ClientError> {
        let unset = |field: &'static str| crate::ClientError::Inconsistent {
            step: "deployment table",
            what: crate::Inconsistency::Unset { field },
        };
        match self.account() {
            AccountKind::K1ValidatorFactory => {
                let factory =
                    self.k1_validator_factory.ok_or_else(|| unset("k1ValidatorFactory"))?;
                let threshold = u8::from(!self.attesters.is_empty());
                crate::NexusAccount::k1_validator_factory(
                    provider,
                    self.entry_point,
                    factory,
                    owner,
                    index,
                    &self.attesters,
                    threshold,
                )
                .await
            }
            AccountKind::NexusSingleValidator => {
                let deployment = crate::NexusDeployment {
                    entry_point: self.entry_point,
                    factory: self.nexus_factory.ok_or_else(|| unset("nexusFactory"))?,
                    bootstrap: self.nexus_bootstrap.ok_or_else(|| unset("nexusBootstrap"))?,
                };
                crate::NexusAccount::counterfactual(
                    provider,
                    deployment,
                    self.owner_validator,
                    owner.to_vec().into(),
                    index.into(),
                )
                .await
            }
            AccountKind::MeeDefaultValidator => {
                let (factory, factory_data) = self
                    .mee_factory_data(owner, index)
                    .ok_or_else(|| unset("nexusFactory/nexusBootstrap"))?;
                let init_code: Bytes = [factory.as_slice(), &factory_data].concat().into();
                let address = crate::sender_address(provider, self.entry_point, init_code).await?;
                let bootstrap = self.nexus_bootstrap.unwrap_or_default();
                Ok(crate::NexusAccount {
                    address,
                    deployment: crate::NexusDeployment {
                        entry_point: self.entry_point,
                        factory,
                        bootstrap,
                    },
                    factory_data,
                })
            }
        }
    }
}

mod chains;
pub use chains::{CHAINS, ChainPreset};
mod detect;
pub use detect::DetectError;

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

    #[test]
    fn every_default_table_is_complete() {
        use smart_sessions_codec::Generation::*;
        for g in [Legacy, V1, Current] {
            let d = Deployments::default_for(g);
            assert_eq!(d.generation, g);
            assert!(!d.owner_validator.is_zero(), "{g:?}: owner validator");
            match d.account() {
                AccountKind::K1ValidatorFactory => assert!(d.k1_validator_factory.is_some()),
                _ => assert!(d.nexus_factory.is_some() && d.nexus_bootstrap.is_some()),
            }
            assert!(d.contracts().iter().all(|(_, a)| !a.is_zero()), "{g:?}");
        }
        // abstractjs 1.2.3's default MEE version, C.1 row 2.0.0
        let c = Deployments::default_for(Current);
        assert_eq!(c.owner_validator, address!("0x00000000d12897DDAdC2044614A9677B191A2d95"));
        assert_eq!(c.nexus_factory, Some(address!("0x000000001D1D5004a02bAfAb9de2D6CE5b7B13de")));
        assert_eq!(c.account(), AccountKind::MeeDefaultValidator);
        assert_eq!(
            Deployments::current_mee(MeeVersion::V1_1_0).account(),
            AccountKind::NexusSingleValidator
        );
    }

    #[test]
    fn mee_init_code_is_abstractjs_byte_for_byte() {
        // abstractjs 1.2.3, MEE 2.0.0, owner 0x2c75…5c23, index 0: the `initCode` of the
        // `mee.userOpHash` vector on chain 8453 in ../shared/vectors/mee.json (copied here)
        const EXPECTED: &str = "0x000000001D1D5004a02bAfAb9de2D6CE5b7B13deea6d13ac00000000000000000000000000000000000000000000000000000000000000400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000028000000000000000000000000000000000d3254452a909e4eed47455af7e27c2890000000000000000000000000000000000000000000000000000000000000040000000000000000000000000000000000000000000000000000000000000020441bede0300000000000000000000000000000000000000000000000000000000000000c000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000120000000000000000000000000000000000000000000000000000000000000014000000000000000000000000000000000000000000000000000000000000001c000000000000000000000000000000000000000000000000000000000000001e000000000000000000000000000000000000000000000000000000000000000142c7536E3605D9C16a7a3D7b1898e529396a65c230000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000040000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
        let d = Deployments::default_for(Generation::Current);
        let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
        let (factory, data) = d.mee_factory_data(owner, alloy_primitives::U256::ZERO).unwrap();
        let init_code = [factory.as_slice(), &data].concat();
        assert_eq!(alloy_primitives::hex::encode_prefixed(init_code), EXPECTED.to_lowercase());
        assert!(
            Deployments::legacy_nexus_k1().mee_factory_data(owner, Default::default()).is_none()
        );
    }

    #[test]
    fn chain_presets() {
        let base = ChainPreset::by_name("Base").unwrap();
        assert_eq!(base.chain_id, 8453);
        assert_eq!(ChainPreset::by_id(84532).unwrap().name, "base-sepolia");
        let legacy = ChainPreset::by_name("sepolia").unwrap().deployments(Generation::Legacy);
        assert_eq!(legacy.attesters, vec![RHINESTONE_ATTESTER, MOCK_ATTESTER]);
        let main = base.deployments(Generation::Legacy);
        assert_eq!(main.attesters, vec![RHINESTONE_ATTESTER]);
        let mut names: Vec<_> = CHAINS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHAINS.len(), "names are unique");
    }
}
