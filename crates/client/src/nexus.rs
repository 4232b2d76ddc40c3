//! Nexus 1.0 accounts deployed through `NexusAccountFactory` + `NexusBootstrap` with a single
//! owner validator, and the user operations they send.

use crate::contract::{call, contract_error};
use crate::{ClientError, UserOperation};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_sol_types::SolCall;
use smart_sessions_bindings::common::{
    entry_point::{self, EntryPoint},
    nexus_account_factory::NexusAccountFactory,
    nexus_bootstrap::{self as bootstrap, NexusBootstrap},
};
use smart_sessions_codec::{Execution, NexusNonceKey, execute};

fn fail(step: &'static str) -> impl FnOnce(alloy_transport::TransportError) -> ClientError {
    move |e| ClientError::node(step, e)
}

/// The contracts that deploy a Nexus account: its EntryPoint, factory and bootstrap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NexusDeployment {
    /// The EntryPoint v0.7 the account's operations go through (asked for nonces and addresses).
    pub entry_point: Address,
    /// The factory named in `initCode` (`NexusAccountFactory` or `K1ValidatorFactory`).
    pub factory: Address,
    /// `NexusBootstrap` (unused by the K1ValidatorFactory path).
    pub bootstrap: Address,
}

/// Biconomy's `K1ValidatorFactory`, from the bindings (our own minimal ABI there).
pub(crate) use smart_sessions_bindings::k1_validator_factory::K1ValidatorFactory;

/// ERC-7579 module queries of the account: Nexus's ABI from the generated bindings.
use smart_sessions_bindings::common::nexus::Nexus as Erc7579Account;

/// `EntryPoint.getSenderAddress(initCode)`: the address the factory call in `init_code`
/// (`factory ‖ factoryData`) deploys, for any factory. The EntryPoint answers by reverting with
/// `SenderAddressResult(address)`; any other outcome is an error naming what came back.
#[tracing::instrument(level = "debug", name = "getSenderAddress", skip_all, fields(entry_point = %entry_point))]
pub async fn sender_address<P: Provider>(
    provider: &P,
    entry_point: Address,
    init_code: Bytes,
) -> Result<Address, ClientError> {
    const STEP: &str = "EntryPoint.getSenderAddress";
    let ep = EntryPoint::new(entry_point, provider);
    let e = match ep.getSenderAddress(init_code).call_raw().await {
        Ok(out) => {
            return Err(ClientError::Inconsistent {
                step: STEP,
                what: crate::error::Inconsistency::DidNotRevert { returned: out },
            });
        }
        Err(e) => e,
    };
    match contract_error(STEP)(e) {
        err @ ClientError::Reverted { .. } => {
            match err.as_decoded_interface_error::<entry_point::EntryPointErrors>() {
                Some(entry_point::EntryPointErrors::SenderAddressResult(r)) => Ok(r.sender),
                _ => Err(err),
            }
        }
        other => Err(other),
    }
}

/// A Nexus account owned through one validator (e.g. `K1Validator` with the owner's address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NexusAccount {
    /// The account address (counterfactual until deployed).
    pub address: Address,
    /// The EntryPoint, factory and bootstrap the account is (or will be) deployed with.
    pub deployment: NexusDeployment,
    /// `createAccount(initData, salt)` calldata for deploy-on-first-operation.
    pub factory_data: Bytes,
}

impl NexusAccount {
    /// The account of `validator` initialised with `validator_data` (for a K1-style validator:
    /// the owner's 20-byte address) and `salt`, without attesters. Two calls: the bootstrap's
    /// init-data view and the factory's address view.
    pub async fn counterfactual<P: Provider>(
        provider: &P,
        deployment: NexusDeployment,
        validator: Address,
        validator_data: Bytes,
        salt: B256,
    ) -> Result<Self, ClientError> {
        let boot = NexusBootstrap::new(deployment.bootstrap, provider);
        let init = call(
            boot.getInitNexusWithSingleValidatorCalldata(
                bootstrap::BootstrapConfig { module: validator, data: validator_data },
                Address::ZERO,
                vec![],
                0,
            ),
            "NexusBootstrap.getInitNexusWithSingleValidatorCalldata",
        )
        .await?;
        let factory = NexusAccountFactory::new(deployment.factory, provider);
        let address = call(
            factory.computeAccountAddress(init.clone(), salt),
            "NexusAccountFactory.computeAccountAddress",
        )
        .await?;
        let factory_data = factory.createAccount(init, salt).calldata().clone();
        Ok(Self { address, deployment, factory_data })
    }

    /// The account `@biconomy/sdk` 0.0.21 creates: `K1ValidatorFactory.createAccount(owner,
    /// index, attesters, threshold)` (selector `0x0d51f0b7`). The address comes from
    /// `EntryPoint.getSenderAddress` (works for any factory), falling back to the factory's
    /// `computeAccountAddress` view if the EntryPoint does not answer. One call.
    ///
    /// With the same owner, index, attesters and threshold on a chain with Biconomy's deployment
    /// this is the TypeScript SDK's account (its defaults: index 0, attesters
    /// `[RHINESTONE_ATTESTER]` plus `MOCK_ATTESTER` on testnets, threshold 1).
    #[allow(clippy::too_many_arguments)]
    pub async fn k1_validator_factory<P: Provider>(
        provider: &P,
        entry_point: Address,
        factory: Address,
        owner: Address,
        index: U256,
        attesters: &[Address],
        threshold: u8,
    ) -> Result<Self, ClientError> {
        let k1 = K1ValidatorFactory::new(factory, provider);
        let factory_data =
            k1.createAccount(owner, index, attesters.to_vec(), threshold).calldata().clone();
        let init_code: Bytes = [factory.as_slice(), &factory_data].concat().into();
        let address = match sender_address(provider, entry_point, init_code).await {
            Ok(a) => a,
            Err(first) => call(
                k1.computeAccountAddress(owner, index, attesters.to_vec(), threshold),
                "K1ValidatorFactory.computeAccountAddress",
            )
            .await
            .inspect_err(|_| {
                tracing::debug!(error = %first, "EntryPoint.getSenderAddress failed, fallback failed too");
            })?,
        };
        let deployment = NexusDeployment { entry_point, factory, bootstrap: Address::ZERO };
        Ok(Self { address, deployment, factory_data })
    }

    /// An account whose address is already known (deployed, or computed elsewhere): no call,
    /// no factory data, so a user operation for it never deploys.
    pub fn existing(address: Address, entry_point: Address) -> Self {
        Self {
            address,
            deployment: NexusDeployment {
                entry_point,
                factory: Address::ZERO,
                bootstrap: Address::ZERO,
            },
            factory_data: Bytes::new(),
        }
    }

    /// `isModuleInstalled(moduleTypeId, module, additionalContext)` (1: validator, 2: executor,
    /// 3: fallback, 4: hook). An account without code has nothing installed: `false`, one
    /// `eth_call` either way.
    pub async fn is_module_installed<P: Provider>(
        &self,
        provider: &P,
        module_type: u64,
        module: Address,
        additional_context: Bytes,
    ) -> Result<bool, ClientError> {
        let account = Erc7579Account::new(self.address, provider);
        let out = account
            .isModuleInstalled(U256::from(module_type), module, additional_context)
            .call_raw()
            .await
            .map_err(contract_error("isModuleInstalled"))?;
        if out.is_empty() {
            return Ok(false);
        }
        Erc7579Account::isModuleInstalledCall::abi_decode_returns(&out)
            .map_err(|source| ClientError::Decode { step: "isModuleInstalled", source })
    }

    /// Whether the account has code at its address (`eth_getCode`; `false`: not deployed yet).
    pub async fn is_deployed<P: Provider>(&self, provider: &P) -> Result<bool, ClientError> {
        Ok(!provider.get_code_at(self.address).await.map_err(fail("eth_getCode"))?.is_empty())
    }

    /// `EntryPoint.getNonce(account, key)` of a lane (Nexus nonce key: batch key, mode,
    /// validator).
    pub async fn nonce_of_key<P: Provider>(
        &self,
        provider: &P,
        key: NexusNonceKey,
    ) -> Result<U256, ClientError> {
        let ep = EntryPoint::new(self.deployment.entry_point, provider);
        call(ep.getNonce(self.address, key.key()), "EntryPoint.getNonce").await
    }

    /// `EntryPoint.getNonce(account, key)` for the lane 0 that routes to `validator`.
    pub async fn nonce<P: Provider>(
        &self,
        provider: &P,
        validator: Address,
    ) -> Result<U256, ClientError> {
        self.nonce_of_key(provider, NexusNonceKey::new(validator)).await
    }

    /// An unsigned user operation running `calls` (single mode for one, batch for more),
    /// validated by `validator`, with the factory fields when the account is not deployed yet.
    /// Gas fields are zero: fill them from the bundler's estimate.
    pub async fn user_operation<P: Provider>(
        &self,
        provider: &P,
        validator: Address,
        calls: &[Execution],
    ) -> Result<UserOperation, ClientError> {
        let call_data = execute::execute_calls(calls)
            .map_err(|source| ClientError::Encoding { step: "execute calldata", source })?;
        let deployed = self.is_deployed(provider).await?;
        Ok(UserOperation {
            sender: self.address,
            nonce: self.nonce(provider, validator).await?,
            factory: (!deployed && !self.factory_data.is_empty())
                .then_some(self.deployment.factory),
            factory_data: (!deployed && !self.factory_data.is_empty())
                .then(|| self.factory_data.clone()),
            call_data: call_data.into(),
            ..Default::default()
        })
    }
}
