//! [`NexusClient`]: one Nexus account on one chain, with its node and its bundler, and every
//! Smart Sessions flow in one call each (prepare, trust attesters, grant, off-chain grant, use,
//! check, budgets, remove, revoke); the flows live in `send`, `grant`, `usage` and `admin`.
//!
//! Costs on the wire: the client remembers what it learnt (the account's deployment, the nonce of
//! each validator lane, which gas-price method the bundler answers, how long the bundler takes to
//! include an operation, the policies' state after its own operations), so a steady-state session
//! operation is four round trips: gas price, estimate, send, one receipt poll. Node reads of
//! several values go out as one JSON-RPC batch.

use crate::{ClientError, Deployments, FlowError, NexusAccount, SmartSessions, checks::PolicyView};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_signer::Signer;
use std::{
    collections::BTreeMap,
    sync::{Mutex, PoisonError},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Where user-operation fees come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GasPriceSource {
    /// `pimlico_getUserOperationGasPrice`, else `biconomy_getGasFeeValues`, else the node's
    /// `eth_maxPriorityFeePerGas` and `eth_gasPrice`; the first that answers is remembered.
    #[default]
    Auto,
    /// `pimlico_getUserOperationGasPrice` (`fast`).
    Pimlico,
    /// `biconomy_getGasFeeValues` (`fast`).
    Biconomy,
    /// The node: tip `eth_maxPriorityFeePerGas`, fee cap twice `eth_gasPrice` (one batch).
    Node,
    /// Fixed values.
    Fixed {
        /// `maxFeePerGas`.
        max_fee_per_gas: U256,
        /// `maxPriorityFeePerGas`.
        max_priority_fee_per_gas: U256,
    },
}

/// Client settings.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// How long to wait for a receipt.
    pub receipt_timeout: Duration,
    /// Where fees come from.
    pub gas_price: GasPriceSource,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self { receipt_timeout: Duration::from_secs(60), gas_price: GasPriceSource::Auto }
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) deployed: Option<bool>,
    pub(crate) installed: Option<bool>,
    pub(crate) nonces: BTreeMap<Address, U256>,
    pub(crate) gas: Option<GasPriceSource>,
    pub(crate) inclusion: Vec<Duration>,
    pub(crate) enabled: BTreeMap<B256, bool>,
    pub(crate) policies: BTreeMap<B256, PolicyView>,
}

/// A Nexus account on one chain: its node provider `N`, its bundler provider `B`, and where the
/// contracts live. Keys are never held: each flow takes the signer it needs.
///
/// The client tracks nonces per validator lane, so operations of one lane (the owner's, or the
/// session keys') should be sent one at a time through one client; operations of different lanes
/// may run concurrently. A lane used by someone else meanwhile costs one retry (`AA25`).
/// [`forget`](Self::forget) drops everything learnt.
#[derive(Debug)]
pub struct NexusClient<N, B> {
    pub(crate) node: N,
    pub(crate) bundler: B,
    pub(crate) chain_id: u64,
    pub(crate) deployments: Deployments,
    pub(crate) account: NexusAccount,
    pub(crate) options: ClientOptions,
    pub(crate) state: Mutex<State>,
}

pub(crate) async fn personal_sign<S: Signer + Sync>(
    signer: &S,
    hash: B256,
) -> Result<[u8; 65], FlowError> {
    signer
        .sign_message(hash.as_slice())
        .await
        .map(|s| s.as_bytes())
        .map_err(|e| FlowError::Signer(e.to_string()))
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl<N: Provider, B: Provider> NexusClient<N, B> {
    /// A client for `account`; reads the chain id (one call).
    pub async fn new(
        node: N,
        bundler: B,
        deployments: Deployments,
        account: NexusAccount,
    ) -> Result<Self, FlowError> {
        let chain_id = node
            .get_chain_id()
            .await
            .map_err(|e| ClientError { step: "eth_chainId", reason: e.to_string() })?;
        Ok(Self::with_chain_id(node, bundler, chain_id, deployments, account))
    }

    /// A client for `account` on `chain_id` (no call).
    pub fn with_chain_id(
        node: N,
        bundler: B,
        chain_id: u64,
        deployments: Deployments,
        account: NexusAccount,
    ) -> Self {
        Self {
            node,
            bundler,
            chain_id,
            deployments,
            account,
            options: ClientOptions::default(),
            state: Mutex::default(),
        }
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// The account.
    pub const fn account(&self) -> &NexusAccount {
        &self.account
    }

    /// The account's address.
    pub const fn address(&self) -> Address {
        self.account.address
    }

    /// The chain id.
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The deployment.
    pub const fn deployments(&self) -> &Deployments {
        &self.deployments
    }

    /// The node provider.
    pub const fn node(&self) -> &N {
        &self.node
    }

    /// The bundler provider.
    pub const fn bundler(&self) -> &B {
        &self.bundler
    }

    /// The SmartSession module of this deployment.
    pub const fn smart_sessions(&self) -> SmartSessions {
        self.deployments.smart_sessions()
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets everything learnt from the chain (after changes made by someone else).
    pub fn forget(&self) {
        *self.state() = State::default();
    }

    /// Whether the account has code (cached; an operation refused because someone else deployed
    /// the account meanwhile, `AA10`, refreshes it).
    pub async fn is_deployed(&self) -> Result<bool, FlowError> {
        if let Some(d) = self.state().deployed {
            return Ok(d);
        }
        let d = self.account.is_deployed(&self.node).await?;
        self.state().deployed = Some(d);
        Ok(d)
    }

    /// Whether SmartSession is installed as a validator (one call when deployed; cached).
    pub async fn is_smart_sessions_installed(&self) -> Result<bool, FlowError> {
        if let Some(i) = self.state().installed {
            return Ok(i);
        }
        if !self.is_deployed().await? {
            return Ok(false);
        }
        let i = self
            .account
            .is_module_installed(&self.node, 1, self.deployments.smart_session, Bytes::new())
            .await?;
        self.state().installed = Some(i);
        Ok(i)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A client on alloy's mock transport (queued JSON-RPC answers).
    use super::*;
    use alloy_provider::ProviderBuilder;
    use alloy_transport::mock::Asserter;

    /// A client of a legacy deployment whose node and bundler answer from the queues.
    pub(crate) fn client(
        node: &Asserter,
        bundler: &Asserter,
    ) -> NexusClient<impl Provider, impl Provider> {
        NexusClient::with_chain_id(
            ProviderBuilder::new().connect_mocked_client(node.clone()),
            ProviderBuilder::new().connect_mocked_client(bundler.clone()),
            1,
            Deployments::legacy_nexus_k1(),
            NexusAccount::existing(Address::repeat_byte(1), crate::ENTRY_POINT_V07),
        )
    }
}
