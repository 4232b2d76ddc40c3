//! Nexus 1.0 accounts deployed through `NexusAccountFactory` + `NexusBootstrap` with a single
//! owner validator, and the user operations they send.

use crate::UserOperation;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use smart_sessions_bindings::common::{
    entry_point, nexus_account_factory as factory, nexus_bootstrap as bootstrap,
};
use smart_sessions_codec::{Execution, NexusNonceKey, execute};
use std::fmt;

/// A client-side failure: a node call or an encoding.
#[derive(Debug)]
pub struct ClientError {
    /// The step that failed.
    pub step: &'static str,
    /// Why.
    pub reason: String,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step, self.reason)
    }
}

impl std::error::Error for ClientError {}

fn fail<E: fmt::Display>(step: &'static str) -> impl FnOnce(E) -> ClientError {
    move |e| ClientError { step, reason: e.to_string() }
}

/// `eth_call` of a typed call, its return decoded; errors name the step.
#[tracing::instrument(level = "debug", name = "eth_call", skip(p, c), fields(to = %to))]
pub(crate) async fn call<P: Provider, C: SolCall>(
    p: &P,
    to: Address,
    c: C,
    step: &'static str,
) -> Result<C::Return, ClientError> {
    let out = p
        .call(TransactionRequest::default().to(to).input(Bytes::from(c.abi_encode()).into()))
        .await
        .map_err(fail(step))?;
    C::abi_decode_returns(&out).map_err(fail(step))
}

/// Where the Nexus contracts live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NexusDeployment {
    /// EntryPoint v0.7.
    pub entry_point: Address,
    /// `NexusAccountFactory`.
    pub factory: Address,
    /// `NexusBootstrap`.
    pub bootstrap: Address,
}

/// A Nexus account owned through one validator (e.g. `K1Validator` with the owner's address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NexusAccount {
    /// The account address (counterfactual until deployed).
    pub address: Address,
    /// Where its contracts live.
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
        let init = call(
            provider,
            deployment.bootstrap,
            bootstrap::getInitNexusWithSingleValidatorCalldataCall {
                validator: bootstrap::BootstrapConfig { module: validator, data: validator_data },
                registry: Address::ZERO,
                attesters: vec![],
                threshold: 0,
            },
            "NexusBootstrap.getInitNexusWithSingleValidatorCalldata",
        )
        .await?;
        let address = call(
            provider,
            deployment.factory,
            factory::computeAccountAddressCall { initData: init.clone(), salt },
            "NexusAccountFactory.computeAccountAddress",
        )
        .await?;
        let factory_data = factory::createAccountCall { initData: init, salt }.abi_encode().into();
        Ok(Self { address, deployment, factory_data })
    }

    /// Whether the account has code.
    pub async fn is_deployed<P: Provider>(&self, provider: &P) -> Result<bool, ClientError> {
        Ok(!provider.get_code_at(self.address).await.map_err(fail("eth_getCode"))?.is_empty())
    }

    /// `EntryPoint.getNonce(account, key)` for the lane that routes to `validator`.
    pub async fn nonce<P: Provider>(
        &self,
        provider: &P,
        validator: Address,
    ) -> Result<U256, ClientError> {
        let key = NexusNonceKey::new(validator).key();
        call(
            provider,
            self.deployment.entry_point,
            entry_point::getNonceCall { sender: self.address, key },
            "EntryPoint.getNonce",
        )
        .await
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
        let call_data = execute::execute_calls(calls).map_err(fail("execute calldata"))?;
        let deployed = self.is_deployed(provider).await?;
        Ok(UserOperation {
            sender: self.address,
            nonce: self.nonce(provider, validator).await?,
            factory: (!deployed).then_some(self.deployment.factory),
            factory_data: (!deployed).then(|| self.factory_data.clone()),
            call_data: call_data.into(),
            ..Default::default()
        })
    }
}
