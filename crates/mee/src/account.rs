//! The multichain Nexus account: one Nexus deployment per chain, same owner EOA, and the
//! `initCode` the first userOp of an undeployed chain carries.
//!
//! The counterfactual address is what `factory.computeAccountAddress(initData, salt)` returns on
//! each chain (the SDK `eth_call`s it): [`compute_account_address_calldata`] builds that call; the
//! proxy creation code it hashes is not shipped by any package registry, so it is not recomputed
//! here.

use crate::{MeeError, MeeVersionConfig, Result};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolValue};
use smart_sessions_bindings::{
    common::{
        nexus_account_factory::{computeAccountAddressCall, createAccountCall},
        nexus_bootstrap::initNexusWithSingleValidatorCall,
    },
    nexus_bootstrap_1_2::{
        BootstrapConfig, initNexusWithDefaultValidatorAndOtherModulesNoRegistryCall,
    },
};

/// The factory `initData` of an owner's account: `abi.encode(bootstrap, bootstrapCall)`.
///
/// MEE ≥ 2.0.0: the default-validator bootstrap with the owner's 20 address bytes as the
/// default validator's init data. MEE 1.x tables without a composable module
/// ([`MeeVersionConfig::executes_composable`] false, the local Nexus 1.0 stack):
/// `initNexusWithSingleValidator(validator, owner, 0, [], 0)`, as Nexus 1.0's
/// `getInitNexusWithSingleValidatorCalldata` builds it. The SDK's own MEE 1.x accounts
/// pre-install composability modules whose bootstrap arguments were not recorded: refused with
/// [`MeeError::InvalidField`] on `version`.
pub fn account_init_data(version: &MeeVersionConfig, owner: Address) -> Result<Vec<u8>> {
    if !version.version.uses_default_validator() {
        if version.executes_composable {
            return Err(MeeError::field(
                "version",
                "initCode of MEE 1.x accounts is not supported",
            ));
        }
        let call = initNexusWithSingleValidatorCall {
            validator: version.validator,
            data: Bytes::copy_from_slice(owner.as_slice()),
            registry: Address::ZERO,
            attesters: vec![],
            threshold: 0,
        }
        .abi_encode();
        return Ok((version.bootstrap, Bytes::from(call)).abi_encode_params());
    }
    let call = initNexusWithDefaultValidatorAndOtherModulesNoRegistryCall {
        defaultValidatorInitData: Bytes::copy_from_slice(owner.as_slice()),
        validators: vec![],
        executors: vec![],
        hook: BootstrapConfig { module: Address::ZERO, data: Bytes::from(vec![0u8; 32]) },
        fallbacks: vec![],
        preValidationHooks: vec![],
    }
    .abi_encode();
    Ok((version.bootstrap, Bytes::from(call)).abi_encode_params())
}

/// The account salt: the account index as a 32-byte word.
pub fn account_salt(index: u64) -> B256 {
    B256::from(U256::from(index))
}

/// `initCode` = factory ‖ `createAccount(initData, salt)`.
///
/// ```
/// use alloy_primitives::address;
/// use smart_sessions_mee::{account::init_code, DEFAULT_MEE_VERSION};
/// let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
/// let code = init_code(&DEFAULT_MEE_VERSION.config(), owner, 0)?;
/// assert_eq!(&code[..20], DEFAULT_MEE_VERSION.config().factory.as_slice());
/// assert_eq!(&code[20..24], &[0xea, 0x6d, 0x13, 0xac]);
/// # Ok::<(), smart_sessions_mee::MeeError>(())
/// ```
pub fn init_code(version: &MeeVersionConfig, owner: Address, index: u64) -> Result<Bytes> {
    let init_data = account_init_data(version, owner)?;
    let call =
        createAccountCall { initData: init_data.into(), salt: account_salt(index) }.abi_encode();
    let mut out = Vec::with_capacity(20 + call.len());
    out.extend_from_slice(version.factory.as_slice());
    out.extend_from_slice(&call);
    Ok(out.into())
}

/// Calldata of `factory.computeAccountAddress(initData, salt)`: `eth_call` it on a chain to get
/// the account's counterfactual address there.
pub fn compute_account_address_calldata(
    version: &MeeVersionConfig,
    owner: Address,
    index: u64,
) -> Result<Vec<u8>> {
    let init_data = account_init_data(version, owner)?;
    Ok(computeAccountAddressCall { initData: init_data.into(), salt: account_salt(index) }
        .abi_encode())
}

/// The account on one chain: where it is and whether it must still be deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// The chain id of this deployment.
    pub chain_id: u64,
    /// The account address there (counterfactual until deployed).
    pub address: Address,
    /// Whether code exists there; `false` makes the first userOp carry [`Self::init_code`].
    pub deployed: bool,
    /// The initCode (factory ‖ data) for an undeployed account.
    pub init_code: Bytes,
}

/// A multichain Nexus account: the owner, the MEE version and one [`Deployment`] per chain, in the
/// SDK's `account.deployments` order (which orders prepare's userOps and nonce derivations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultichainAccount {
    /// The owner EOA: the K1 validator's signer, who signs owner supertransactions and grants.
    pub owner: Address,
    /// The MEE contract set the account is built from (factory, bootstrap, validator,
    /// SmartSession) and that every userOp of it uses.
    pub version: MeeVersionConfig,
    /// Per chain, in deployment order.
    pub deployments: Vec<Deployment>,
}

impl MultichainAccount {
    /// An account of `owner` at the given per-chain addresses (from `computeAccountAddress` or
    /// known), all treated as undeployed until [`Self::set_deployed`].
    pub fn new(
        owner: Address,
        version: MeeVersionConfig,
        index: u64,
        chains: impl IntoIterator<Item = (u64, Address)>,
    ) -> Result<Self> {
        let code = init_code(&version, owner, index)?;
        let deployments = chains
            .into_iter()
            .map(|(chain_id, address)| Deployment {
                chain_id,
                address,
                deployed: false,
                init_code: code.clone(),
            })
            .collect();
        Ok(Self { owner, version, deployments })
    }

    /// Marks the account deployed (or not) on `chain_id`.
    pub fn set_deployed(&mut self, chain_id: u64, deployed: bool) -> Result<()> {
        let d = self
            .deployments
            .iter_mut()
            .find(|d| d.chain_id == chain_id)
            .ok_or(MeeError::NoDeployment { chain_id })?;
        d.deployed = deployed;
        Ok(())
    }

    /// The account's deployment on `chain_id`; [`MeeError::NoDeployment`] when the account
    /// lists none there.
    pub fn on(&self, chain_id: u64) -> Result<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.chain_id == chain_id)
            .ok_or(MeeError::NoDeployment { chain_id })
    }
}
