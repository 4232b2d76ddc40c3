//! [`NexusClient`]: one Nexus account on one chain, with its node and its bundler, and every
//! Smart Sessions flow in one call each (prepare, trust attesters, grant, off-chain grant, use,
//! check, budgets, remove, revoke); the flows live in `send`, `grant`, `usage` and `admin`.
//!
//! Costs on the wire: the client remembers what it learnt (the account's deployment, the nonce of
//! each validator lane, which gas-price method the bundler answers, how long the bundler takes to
//! include an operation, the policies' state after its own operations), so a steady-state session
//! operation is three round trips: estimate, send, one receipt poll (fees are reused for
//! [`ClientOptions::gas_price_max_age`]). Node reads of
//! several values go out as one JSON-RPC batch.

use crate::{
    ClientError, Deployments, FlowError, NexusAccount, PaymasterSource, SmartSessions,
    checks::CachedView,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_signer::Signer;
use smart_sessions_codec::NexusNonceKey;
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Where user-operation fees come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GasPriceSource {
    /// `pimlico_getUserOperationGasPrice`, else `biconomy_getGasFeeValues`, else
    /// `rundler_maxPriorityFeePerGas`, else the node's `eth_maxPriorityFeePerGas` and
    /// `eth_gasPrice`. A method is skipped only when the bundler answers JSON-RPC -32601 (method
    /// not found); any other failure is returned as is. The first that answers is remembered.
    #[default]
    Auto,
    /// The bundler's `pimlico_getUserOperationGasPrice`, its `fast` tier (Pimlico, Alto).
    Pimlico,
    /// The bundler's `biconomy_getGasFeeValues`, its `fast` tier (Biconomy's bundler).
    Biconomy,
    /// Alchemy's `rundler_maxPriorityFeePerGas` for the tip; fee cap twice the node's
    /// `eth_gasPrice` plus the tip.
    Rundler,
    /// The node: tip `eth_maxPriorityFeePerGas`, fee cap twice `eth_gasPrice` (one batch).
    Node,
    /// These fees for every operation, no call (a caller with its own fee oracle; tests).
    Fixed {
        /// The operations' `maxFeePerGas`, in wei.
        max_fee_per_gas: U256,
        /// The operations' `maxPriorityFeePerGas`, in wei.
        max_priority_fee_per_gas: U256,
    },
}

/// How a [`NexusClient`] bounds its waits, prices and caps gas, picks nonce lanes, checks
/// policies off-chain and finds a paymaster; pass it with [`NexusClient::with_options`]. Start
/// from [`Default`] and change the fields you need.
///
/// ```
/// use smart_sessions_client::{ClientOptions, GasPriceSource, Lanes};
/// use std::time::Duration;
///
/// let defaults = ClientOptions::default();
/// assert_eq!(defaults.receipt_timeout, Duration::from_secs(60));
/// assert_eq!(defaults.request_timeout, Duration::from_secs(30));
/// assert_eq!(defaults.gas_price, GasPriceSource::Auto);
/// assert_eq!(defaults.lanes, Lanes::PerPermission);
/// assert!(defaults.paymaster.is_none());
///
/// // A slow chain: wait longer for inclusion, read fees for every operation.
/// let options = ClientOptions {
///     receipt_timeout: Duration::from_secs(180),
///     gas_price_max_age: Duration::ZERO,
///     ..ClientOptions::default()
/// };
/// assert_eq!(options.request_timeout, defaults.request_timeout);
/// ```
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The whole receipt wait's bound (after it, [`FlowError::OutcomeUnknown`]).
    pub receipt_timeout: Duration,
    /// The bound of each JSON-RPC request this client makes (after it, [`FlowError::Timeout`]
    /// naming the method, or [`FlowError::OutcomeUnknown`] for `eth_sendUserOperation`).
    pub request_timeout: Duration,
    /// Where the fees of the operations this client signs come from (default `Auto`).
    pub gas_price: GasPriceSource,
    /// How long fees read from [`gas_price`](Self::gas_price) are reused before they are read
    /// again (default 10 s; `Duration::ZERO`: read for every operation). The reuse saves a
    /// round trip per operation (a steady-state session operation is then three: estimate,
    /// send, one receipt poll). Fees are fetched with the source's headroom (the node source
    /// signs twice the gas price), and a bundler's "fee too low" refusal drops the cached fees
    /// and the operation is priced again and re-sent (the refusal means nothing was accepted).
    pub gas_price_max_age: Duration,
    /// The highest gas values and fees this client signs (above one: [`FlowError::GasAboveCap`]).
    pub gas_caps: GasCaps,
    /// Which 2D-nonce lane `use_permission` puts session operations on (default per permission).
    pub lanes: Lanes,
    /// How long a policy view read from chain serves the off-chain pre-check before it is read
    /// again (another client's use of the same permission is seen after at most this long; a
    /// refusal is always re-checked on a fresh read first).
    pub precheck_max_age: Duration,
    /// Also read again when the chain has moved this many blocks since the view was read (one
    /// `eth_blockNumber` per pre-check; `None`: age only).
    pub precheck_max_blocks: Option<u64>,
    /// Who pays for operations (`None`: the account pays). The send path asks it for stub
    /// fields before estimating gas and for the final fields after the estimate, before the
    /// signature (unless the stub answer was final); each call is bounded by
    /// [`request_timeout`](Self::request_timeout).
    pub paymaster: Option<Arc<dyn PaymasterSource>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            receipt_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            gas_price: GasPriceSource::Auto,
            gas_price_max_age: Duration::from_secs(10),
            gas_caps: GasCaps::default(),
            lanes: Lanes::default(),
            paymaster: None,
            precheck_max_age: Duration::from_secs(30),
            precheck_max_blocks: None,
        }
    }
}

/// The highest gas values this client puts into an operation it signs: an estimate or fee above
/// one is refused before signing ([`FlowError::GasAboveCap`]), whatever the bundler says. Values
/// above `u128::MAX` (the packed fields' width) are always refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasCaps {
    /// `maxFeePerGas` in wei (default 10,000 gwei).
    pub max_fee_per_gas: U256,
    /// `maxPriorityFeePerGas` in wei (default 10,000 gwei).
    pub max_priority_fee_per_gas: U256,
    /// `callGasLimit` (default 30,000,000).
    pub call_gas_limit: U256,
    /// `verificationGasLimit` (default 10,000,000).
    pub verification_gas_limit: U256,
    /// `preVerificationGas` (default 50,000,000: rollups fold L1 data costs into it).
    pub pre_verification_gas: U256,
    /// `paymasterVerificationGasLimit` and `paymasterPostOpGasLimit` (default 10,000,000).
    pub paymaster_gas_limit: U256,
}

impl Default for GasCaps {
    fn default() -> Self {
        let gwei = U256::from(1_000_000_000u64);
        Self {
            max_fee_per_gas: gwei * U256::from(10_000u64),
            max_priority_fee_per_gas: gwei * U256::from(10_000u64),
            call_gas_limit: U256::from(30_000_000u64),
            verification_gas_limit: U256::from(10_000_000u64),
            pre_verification_gas: U256::from(50_000_000u64),
            paymaster_gas_limit: U256::from(10_000_000u64),
        }
    }
}

/// Which 2D-nonce lane (the Nexus nonce key's free 24-bit batch key) session operations use.
///
/// The EntryPoint orders operations per `(sender, key)`: two operations of one lane must carry
/// consecutive nonces, operations of different lanes never collide. The owner's operations use
/// the owner validator's lane 0 (what `@biconomy/sdk` uses); session operations use the
/// SmartSession validator's key with the batch key below. A caller who wants its own lanes
/// (e.g. one per worker) passes a batch key to
/// [`NexusClient::use_permission_on_lane`] or [`NexusClient::owner_execute_on_lane`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lanes {
    /// Each permission has its own lane, derived from its permission id
    /// ([`permission_lane`](crate::permission_lane)): independent processes using different
    /// session keys never collide, whatever they know of each other (the default).
    #[default]
    PerPermission,
    /// Every permission shares lane 0 (the TypeScript SDKs' choice): operations of different
    /// session keys through different clients collide (`AA25`).
    Shared,
}

/// The nonces of one lane this client has handed out.
#[derive(Debug, Default)]
pub(crate) struct LaneState {
    /// The next nonce to hand out (`None`: read it from chain).
    pub(crate) next: Option<U256>,
    /// Nonces of operations the bundler accepted (or may have) whose inclusion is not known yet.
    pub(crate) in_flight: BTreeSet<U256>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) deployed: Option<bool>,
    pub(crate) installed: Option<bool>,
    pub(crate) lanes: HashMap<NexusNonceKey, Arc<tokio::sync::Mutex<LaneState>>>,
    pub(crate) gas: Option<GasPriceSource>,
    /// The last fees read and when (reused for [`ClientOptions::gas_price_max_age`]).
    pub(crate) fees: Option<(std::time::Instant, (U256, U256))>,
    pub(crate) entry_point_checked: bool,
    pub(crate) inclusion: Vec<Duration>,
    pub(crate) enabled: BTreeMap<B256, bool>,
    pub(crate) policies: BTreeMap<B256, CachedView>,
}

/// A Nexus account on one chain: its node provider `N`, its bundler provider `B`, and where the
/// contracts live. Keys are never held: each flow takes the signer it needs.
///
/// Nonces are reserved per lane ([`Lanes`]) under an async lock, as alloy's
/// `CachedNonceManager` does: concurrent operations of one lane through one client get
/// consecutive nonces and are sent in nonce order; operations of different lanes run
/// concurrently. A lane used by someone else meanwhile costs one retry (`AA25`, only when
/// nothing was sent). [`forget`](Self::forget) drops everything learnt.
///
/// Build one per account and chain with [`new`](Self::new), then call the flows: the owner
/// [`prepare`](Self::prepare)s the account and [`grant_permission`](Self::grant_permission)s
/// sessions; a session key holder [`use_permission`](Self::use_permission)s them and reads
/// [`remaining_budgets`](Self::remaining_budgets); the owner
/// [`remove_session`](Self::remove_session)s one when it is no longer wanted.
///
/// ```rust,no_run
/// use alloy_primitives::{Address, U256};
/// use alloy_provider::ProviderBuilder;
/// use alloy_signer_local::PrivateKeySigner;
/// use smart_sessions_client::{
///     ClientOptions, Deployments, NexusAccount, NexusClient, Precheck, SessionRequest,
/// };
/// use smart_sessions_codec::Execution;
/// use smart_sessions_policy::json::ActionPolicyInfo;
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let owner = PrivateKeySigner::random();
/// let session_key = PrivateKeySigner::random();
/// let node = ProviderBuilder::new().connect_http("http://127.0.0.1:8545".parse()?);
/// let bundler = ProviderBuilder::new().connect_http("http://127.0.0.1:4337".parse()?);
/// let d = Deployments::legacy_nexus_k1();
/// let account = NexusAccount::k1_validator_factory(
///     &node, d.entry_point, d.k1_validator_factory.unwrap(), owner.address(), U256::ZERO,
///     &d.attesters, 1,
/// ).await?;
/// let client = NexusClient::new(node, bundler, d, account)
///     .await?
///     .with_options(ClientOptions::default());
///
/// // Owner: deploy the account and install SmartSession (`None`: nothing to do).
/// client.prepare(&owner).await?;
/// // Owner: a session that may call any function of `target` (sudo).
/// let target = Address::repeat_byte(0x42);
/// let action: ActionPolicyInfo = serde_json::from_value(serde_json::json!({
///     "contractAddress": target, "functionSelector": "0xd09de08a", "sudo": true
/// }))?;
/// let grant = client
///     .grant_permission(&owner, &[SessionRequest::new(session_key.address(), vec![action])])
///     .await?;
/// let details = &grant.sessions[0];
///
/// // Session key: call `increment()` on `target`, checked off-chain first.
/// let increment = vec![0xd0, 0x9d, 0xe0, 0x8a];
/// let call = Execution { target, value: U256::ZERO, callData: increment.into() };
/// let sent = client.use_permission(&session_key, details, &[call], Precheck::On).await?;
/// println!("{} used {} gas", sent.user_op_hash, sent.gas_used());
/// for budget in client.remaining_budgets(&details.session().unwrap()).await? {
///     println!("{budget}");
/// }
///
/// // Owner: end the session.
/// client.remove_session(&owner, details.permission_id).await?;
/// # Ok(()) }
/// ```
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
    signer.sign_message(hash.as_slice()).await.map(|s| s.as_bytes()).map_err(FlowError::Signer)
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl<N: Provider, B: Provider> NexusClient<N, B> {
    /// A client for `account` that talks to `node` (chain reads) and `bundler` (ERC-4337 methods),
    /// with the contracts of `deployments`; reads the chain id (one `eth_chainId` call).
    pub async fn new(
        node: N,
        bundler: B,
        deployments: Deployments,
        account: NexusAccount,
    ) -> Result<Self, FlowError> {
        let chain_id =
            node.get_chain_id().await.map_err(|e| ClientError::node("eth_chainId", e))?;
        Ok(Self::with_chain_id(node, bundler, chain_id, deployments, account))
    }

    /// [`new`](Self::new) for a known `chain_id` (no call; the chain id is not checked against the
    /// node, so a wrong one makes every signature invalid on chain).
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

    /// Replaces the options (timeouts, fees, caps, lanes, paymaster); without it the client uses
    /// [`ClientOptions::default`].
    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// The Nexus account this client sends operations for (address, factory data if undeployed).
    pub const fn account(&self) -> &NexusAccount {
        &self.account
    }

    /// The Nexus account's address (every operation's `sender`).
    pub const fn address(&self) -> Address {
        self.account.address
    }

    /// The chain this client's operations are for (`eth_chainId`, or the one given).
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The contract addresses this client uses (EntryPoint, SmartSession, policies, registry).
    pub const fn deployments(&self) -> &Deployments {
        &self.deployments
    }

    /// The provider for chain reads (`eth_call`, `eth_getCode`, nonces); not the bundler.
    pub const fn node(&self) -> &N {
        &self.node
    }

    /// The provider for the ERC-4337 methods ([`BundlerApi`](crate::BundlerApi)).
    pub const fn bundler(&self) -> &B {
        &self.bundler
    }

    /// The SmartSession module of this deployment, which encodes its calls and signatures.
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
