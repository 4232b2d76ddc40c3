//! [`NexusClient`]: one Nexus account on one chain, with its node and its bundler, and every
//! Smart Sessions flow in one call each (prepare, trust attesters, grant, off-chain grant, use,
//! check, budgets, remove, revoke).
//!
//! Costs on the wire: the client remembers what it learnt (the account's deployment, the nonce of
//! each validator lane, which gas-price method the bundler answers, how long the bundler takes to
//! include an operation, the policies' state after its own operations), so a steady-state session
//! operation is four round trips: gas price, estimate, send, one receipt poll. Node reads of
//! several values go out as one JSON-RPC batch.

use crate::{
    BundlerApi, BundlerError, ClientError, Deployments, NexusAccount, OwnerSignatureStyle, Refusal,
    SessionDetails, SmartSessions, UserOperation, UserOperationReceipt,
    checks::{self, Budget, NoAction, PolicyView, Refused},
    sessions::{trust_attesters, trusted_attesters},
};
use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256};
use alloy_provider::Provider;
use alloy_signer::Signer;
use serde::Deserialize;
use smart_sessions_codec::{
    AnySession, ERC7739Data, Execution, Generation, PolicyData, Session, legacy,
};
use smart_sessions_policy::{PolicyError, json::ActionPolicyInfo};
use std::{
    collections::BTreeMap,
    fmt,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tracing::Instrument;

/// Why a flow failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FlowError {
    /// A node call or an encoding.
    Client(ClientError),
    /// The bundler refused (estimation or submission), decoded.
    Bundler(BundlerError),
    /// The permission request is invalid (names the rule or policy).
    Policy(PolicyError),
    /// The signer failed (its message; never key material).
    Signer(String),
    /// The operation was included but the account's call reverted.
    Reverted {
        /// The user-operation hash.
        user_op_hash: B256,
        /// The decoded revert, when the receipt carries one this crate knows.
        reason: Option<Refusal>,
        /// The receipt.
        receipt: Box<UserOperationReceipt>,
    },
    /// The off-chain policy check refused the calls: nothing was sent, no gas spent.
    Refused(Refused),
    /// The session has no action for a call (target and selector, nor a fallback action).
    NoAction(NoAction),
    /// A session request or session details are unusable.
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(e) => e.fmt(f),
            Self::Bundler(e) => e.fmt(f),
            Self::Policy(e) => write!(f, "permission: {e}"),
            Self::Signer(e) => write!(f, "signer: {e}"),
            Self::Reverted { user_op_hash, reason, .. } => {
                write!(f, "user operation {user_op_hash} was included but its call reverted")?;
                match reason {
                    Some(r) => write!(f, ": {r:?}"),
                    None => Ok(()),
                }
            }
            Self::Refused(r) => write!(f, "refused off-chain: {r}"),
            Self::NoAction(n) => {
                write!(f, "call {} ({}.{}): {}", n.call, n.target, n.selector, n.reason)
            }
            Self::Invalid { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for FlowError {}

impl From<ClientError> for FlowError {
    fn from(e: ClientError) -> Self {
        Self::Client(e)
    }
}

impl From<BundlerError> for FlowError {
    fn from(e: BundlerError) -> Self {
        Self::Bundler(e)
    }
}

impl From<PolicyError> for FlowError {
    fn from(e: PolicyError) -> Self {
        Self::Policy(e)
    }
}

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

/// Whether `use_permission` checks the calls against the session's policies off-chain first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precheck {
    /// Check, and refuse with the failing rule instead of sending (the default).
    #[default]
    On,
    /// Send without checking (the bundler's simulation and the chain still enforce everything).
    Skip,
}

/// One permission request in `@biconomy/sdk`'s `sessionRequestedInfo` shape (seed docs).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    /// The session key's address.
    pub session_public_key: Address,
    /// The session validator (default: the deployment's session-key validator).
    #[serde(default)]
    pub session_validator_address: Option<Address>,
    /// The validator's init data (default: the 20 bytes of `session_public_key`).
    #[serde(default)]
    pub session_key_data: Option<Bytes>,
    /// End of the session's validity (unix seconds; adds a user-op time frame policy).
    #[serde(default)]
    pub session_valid_until: Option<u64>,
    /// Start of the session's validity.
    #[serde(default)]
    pub session_valid_after: Option<u64>,
    /// The actions and their policies.
    pub action_policies_info: Vec<ActionPolicyInfo>,
    /// The salt (default: 32 random bytes, as the TypeScript SDK).
    #[serde(default)]
    pub salt: Option<B256>,
}

impl SessionRequest {
    /// A request for `session_key` with `actions`, defaults elsewhere.
    pub fn new(session_key: Address, actions: Vec<ActionPolicyInfo>) -> Self {
        Self {
            session_public_key: session_key,
            session_validator_address: None,
            session_key_data: None,
            session_valid_until: None,
            session_valid_after: None,
            action_policies_info: actions,
            salt: None,
        }
    }

    /// The session for `deployments`: policies validated (errors name the rule), canonical
    /// policy addresses replaced by the deployment's, a user-op time frame policy if a window is
    /// given.
    pub fn to_session(&self, d: &Deployments) -> Result<AnySession, FlowError> {
        let g = d.generation;
        let validator = self.session_validator_address.or(d.session_key_validator).ok_or(
            FlowError::Invalid {
                field: "sessionValidatorAddress",
                reason: "not given and the deployment has no session-key validator".into(),
            },
        )?;
        let init = self
            .session_key_data
            .clone()
            .unwrap_or_else(|| self.session_public_key.to_vec().into());
        if self.action_policies_info.is_empty() {
            return Err(FlowError::Invalid {
                field: "actionPoliciesInfo",
                reason: "no action: the session could do nothing".into(),
            });
        }
        let mut actions =
            smart_sessions_policy::json::action_data_list(&self.action_policies_info, g)?;
        for a in &mut actions {
            for p in &mut a.actionPolicies {
                d.remap_policy(p);
            }
        }
        let mut user_op: Vec<PolicyData> = Vec::new();
        if self.session_valid_until.is_some() || self.session_valid_after.is_some() {
            let (until, after) =
                (self.session_valid_until.unwrap_or(0), self.session_valid_after.unwrap_or(0));
            let mut p = if g.is_legacy() {
                PolicyData::new(
                    d.time_frame_policy
                        .unwrap_or(smart_sessions_policy::json::BICONOMY_TIME_FRAME_POLICY),
                    smart_sessions_codec::time_frame_init_data(g, until, after).map_err(|e| {
                        FlowError::Invalid { field: "sessionValidUntil", reason: e.to_string() }
                    })?,
                )
            } else {
                smart_sessions_policy::time_frame(g, until, after)?
            };
            d.remap_policy(&mut p);
            user_op.push(p);
        }
        let salt = self.salt.unwrap_or_else(B256::random);
        Ok(if g.is_legacy() {
            AnySession::Legacy(legacy::Session {
                sessionValidator: validator,
                sessionValidatorInitData: init,
                salt,
                userOpPolicies: user_op,
                erc7739Policies: Default::default(),
                actions,
            })
        } else {
            AnySession::Current(Session {
                sessionValidator: validator,
                sessionValidatorInitData: init,
                salt,
                userOpPolicies: user_op,
                erc7739Policies: ERC7739Data::default(),
                actions,
                permitERC4337Paymaster: false,
            })
        })
    }
}

/// An operation that was included.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The user-operation hash.
    pub user_op_hash: B256,
    /// The receipt.
    pub receipt: UserOperationReceipt,
    /// The operation as sent.
    pub user_op: UserOperation,
    /// From building to receipt.
    pub latency: Duration,
}

impl Sent {
    /// Gas used (the receipt's `actualGasUsed`).
    pub fn gas_used(&self) -> u64 {
        self.receipt.actual_gas_used.saturating_to()
    }
}

/// What [`NexusClient::grant_permission`] returns (the seed's `{userOpHash, permissionIds}`, and
/// the sessions, ready to hand to the session key holder).
#[derive(Clone, Debug)]
pub struct Grant {
    /// The owner's operation.
    pub sent: Sent,
    /// The permission ids, in request order.
    pub permission_ids: Vec<B256>,
    /// For each session, what its session key needs to use it (USE mode).
    pub sessions: Vec<SessionDetails>,
}

#[derive(Debug, Default)]
struct State {
    deployed: Option<bool>,
    installed: Option<bool>,
    nonces: BTreeMap<Address, U256>,
    gas: Option<GasPriceSource>,
    inclusion: Vec<Duration>,
    enabled: BTreeMap<B256, bool>,
    policies: BTreeMap<B256, PolicyView>,
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
    node: N,
    bundler: B,
    chain_id: u64,
    deployments: Deployments,
    account: NexusAccount,
    options: ClientOptions,
    state: Mutex<State>,
}

async fn personal_sign<S: Signer + Sync>(signer: &S, hash: B256) -> Result<[u8; 65], FlowError> {
    signer
        .sign_message(hash.as_slice())
        .await
        .map(|s| s.as_bytes())
        .map_err(|e| FlowError::Signer(e.to_string()))
}

fn now() -> u64 {
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

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
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

    async fn nonce(&self, validator: Address) -> Result<U256, FlowError> {
        if let Some(n) = self.state().nonces.get(&validator) {
            return Ok(*n);
        }
        let n = self.account.nonce(&self.node, validator).await?;
        self.state().nonces.insert(validator, n);
        Ok(n)
    }

    /// `(maxFeePerGas, maxPriorityFeePerGas)` from the configured source.
    pub async fn gas_price(&self) -> Result<(U256, U256), FlowError> {
        let source = self.state().gas.unwrap_or(self.options.gas_price);
        let node = || async {
            let mut batch = alloy_rpc_client::BatchRequest::new(self.node.client());
            let fail = |e: alloy_transport::TransportError| ClientError {
                step: "node gas price",
                reason: e.to_string(),
            };
            let price = batch.add_call::<_, U256>("eth_gasPrice", &()).map_err(fail)?;
            let tip = batch.add_call::<_, U256>("eth_maxPriorityFeePerGas", &()).map_err(fail)?;
            batch.send().await.map_err(fail)?;
            let (price, tip) = (price.await.map_err(fail)?, tip.await.map_err(fail)?);
            let max = price.saturating_mul(U256::from(2)).max(tip);
            Ok::<_, FlowError>((max, tip))
        };
        let found = match source {
            GasPriceSource::Fixed { max_fee_per_gas, max_priority_fee_per_gas } => {
                return Ok((max_fee_per_gas, max_priority_fee_per_gas));
            }
            GasPriceSource::Pimlico => return Ok(self.bundler.pimlico_gas_price().await?),
            GasPriceSource::Biconomy => return Ok(self.bundler.biconomy_gas_fee_values().await?),
            GasPriceSource::Node => return node().await,
            GasPriceSource::Auto => {
                if let Ok(p) = self.bundler.pimlico_gas_price().await {
                    (GasPriceSource::Pimlico, p)
                } else if let Ok(p) = self.bundler.biconomy_gas_fee_values().await {
                    (GasPriceSource::Biconomy, p)
                } else {
                    (GasPriceSource::Node, node().await?)
                }
            }
        };
        tracing::debug!(source = ?found.0, "gas price source");
        self.state().gas = Some(found.0);
        Ok(found.1)
    }

    /// Builds, estimates (with `stub` as the signature, so validation runs its real path), signs
    /// (`sign` gets the user-op hash and returns the final signature) and sends an operation of
    /// the `validator` lane, then waits for the receipt. An included operation whose call
    /// reverted is [`FlowError::Reverted`]; a stale nonce (`AA25`) or deployment (`AA10`) is
    /// re-read and the operation retried once.
    pub async fn send_operation<F, Fut>(
        &self,
        validator: Address,
        calls: &[Execution],
        stub: Bytes,
        sign: F,
    ) -> Result<Sent, FlowError>
    where
        F: Fn(B256) -> Fut,
        Fut: std::future::Future<Output = Result<Bytes, FlowError>>,
    {
        let span = tracing::info_span!(
            "user_operation",
            chain_id = self.chain_id,
            sender = %self.account.address,
            validator = %validator,
            calls = calls.len(),
            user_op_hash = tracing::field::Empty,
        );
        async {
            match self.try_send(validator, calls, &stub, &sign).await {
                Err(FlowError::Bundler(BundlerError {
                    refusal: Refusal::EntryPoint { code: code @ (10 | 25), .. },
                    ..
                })) => {
                    tracing::debug!(
                        code,
                        "stale account state (AA10: deployed, AA25: nonce): re-reading"
                    );
                    {
                        let mut st = self.state();
                        st.nonces.remove(&validator);
                        st.deployed = None;
                        st.installed = None;
                    }
                    self.try_send(validator, calls, &stub, &sign).await
                }
                other => other,
            }
        }
        .instrument(span)
        .await
    }

    async fn try_send<F, Fut>(
        &self,
        validator: Address,
        calls: &[Execution],
        stub: &Bytes,
        sign: &F,
    ) -> Result<Sent, FlowError>
    where
        F: Fn(B256) -> Fut,
        Fut: std::future::Future<Output = Result<Bytes, FlowError>>,
    {
        let start = Instant::now();
        let ep = self.deployments.entry_point;
        let deployed = self.is_deployed().await?;
        let call_data = smart_sessions_codec::execute::execute_calls(calls)
            .map_err(|e| ClientError { step: "execute calldata", reason: e.to_string() })?;
        let with_factory = !deployed && !self.account.factory_data.is_empty();
        let mut op = UserOperation {
            sender: self.account.address,
            nonce: self.nonce(validator).await?,
            factory: with_factory.then_some(self.account.deployment.factory),
            factory_data: with_factory.then(|| self.account.factory_data.clone()),
            call_data: call_data.into(),
            signature: stub.clone(),
            ..Default::default()
        };
        // fees and limits are independent: ask for both at once
        let (price, estimate) =
            tokio::join!(self.gas_price(), self.bundler.estimate_user_operation_gas(&op, ep));
        let (max_fee, tip) = price?;
        let gas = estimate?;
        op.max_fee_per_gas = max_fee;
        op.max_priority_fee_per_gas = tip;
        op.call_gas_limit = gas.call_gas_limit;
        op.verification_gas_limit = gas.verification_gas_limit;
        op.pre_verification_gas = gas.pre_verification_gas;
        let hash = op.hash(ep, self.chain_id);
        tracing::Span::current().record("user_op_hash", tracing::field::display(hash));
        op.signature = sign(hash).await?;
        let sent_hash = self.bundler.send_user_operation(&op, ep).await?;
        // the nonce is used once the bundler accepted the operation
        self.state().nonces.insert(validator, op.nonce + U256::from(1));
        let receipt = match self.wait_receipt(sent_hash).await {
            Ok(r) => r,
            Err(e) => {
                self.state().nonces.remove(&validator);
                return Err(e.into());
            }
        };
        if with_factory {
            self.state().deployed = Some(true);
        }
        if !receipt.success {
            let reason = receipt.reason.as_ref().and_then(|r| crate::bundler::decode_revert(r));
            return Err(FlowError::Reverted {
                user_op_hash: sent_hash,
                reason,
                receipt: Box::new(receipt),
            });
        }
        Ok(Sent { user_op_hash: sent_hash, receipt, user_op: op, latency: start.elapsed() })
    }

    /// Polls for the receipt: first after the slowest of the last four inclusion times this
    /// client saw (a miss costs a round trip, a late poll only milliseconds), then every quarter
    /// of that (at least 25 ms, doubling up to 1 s).
    async fn wait_receipt(&self, hash: B256) -> Result<UserOperationReceipt, BundlerError> {
        let start = Instant::now();
        let expected = self.state().inclusion.iter().max().copied();
        let first = expected.unwrap_or(Duration::from_millis(50));
        tokio::time::sleep(first).await;
        let mut delay = (first / 4).max(Duration::from_millis(25));
        loop {
            if let Some(r) = self.bundler.user_operation_receipt(hash).await? {
                let mut st = self.state();
                if st.inclusion.len() == 4 {
                    st.inclusion.remove(0);
                }
                st.inclusion.push(start.elapsed());
                return Ok(r);
            }
            if start.elapsed() >= self.options.receipt_timeout {
                self.state().inclusion.clear();
                return Err(BundlerError {
                    method: "eth_getUserOperationReceipt",
                    code: None,
                    refusal: Refusal::Other(format!(
                        "no receipt for {hash} within {:?}",
                        self.options.receipt_timeout
                    )),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// An operation of the owner through the owner validator (K1-style: EIP-191 signature of
    /// the user-op hash).
    pub async fn owner_execute<S: Signer + Sync>(
        &self,
        owner: &S,
        calls: &[Execution],
    ) -> Result<Sent, FlowError> {
        self.send_operation(
            self.deployments.owner_validator,
            calls,
            crate::sessions::stub_ecdsa_signature().to_vec().into(),
            |hash| async move { Ok(personal_sign(owner, hash).await?.to_vec().into()) },
        )
        .await
    }

    /// Deploys the account if needed and installs SmartSession if needed, in one owner
    /// operation; `None` when there was nothing to do.
    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address))]
    pub async fn prepare<S: Signer + Sync>(&self, owner: &S) -> Result<Option<Sent>, FlowError> {
        if self.is_smart_sessions_installed().await? {
            return Ok(None);
        }
        let install = self.smart_sessions().install(self.account.address, &[])?;
        let sent = self.owner_execute(owner, &[install]).await?;
        self.state().installed = Some(true);
        Ok(Some(sent))
    }

    /// `registry.trustAttesters(threshold, attesters)` from the account.
    pub async fn trust_attesters<S: Signer + Sync>(
        &self,
        owner: &S,
        attesters: &[Address],
        threshold: u8,
    ) -> Result<Sent, FlowError> {
        let call = trust_attesters(self.deployments.registry, threshold, attesters);
        self.owner_execute(owner, &[call]).await
    }

    /// Whether this generation's SmartSession consults the ERC-7484 registry when enabling.
    pub const fn consults_registry(&self) -> bool {
        !matches!(self.deployments.generation, Generation::Current)
    }

    /// `grantPermission({ sessionRequestedInfo })`: builds the sessions (validated), and in one
    /// owner operation: trusts the deployment's attesters if the registry shows none (on
    /// generations that consult it), installs SmartSession with the sessions if it is not
    /// installed (deploying the account if needed), or enables them.
    pub async fn grant_permission<S: Signer + Sync>(
        &self,
        owner: &S,
        requests: &[SessionRequest],
    ) -> Result<Grant, FlowError> {
        let sessions = requests
            .iter()
            .map(|r| r.to_session(&self.deployments))
            .collect::<Result<Vec<_>, _>>()?;
        self.grant_sessions(owner, &sessions).await
    }

    /// [`grant_permission`](Self::grant_permission) for sessions already built.
    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address, sessions = sessions.len()))]
    pub async fn grant_sessions<S: Signer + Sync>(
        &self,
        owner: &S,
        sessions: &[AnySession],
    ) -> Result<Grant, FlowError> {
        let ss = self.smart_sessions();
        let mut calls = Vec::new();
        let deployed = self.is_deployed().await?;
        if self.consults_registry() && !self.deployments.attesters.is_empty() {
            let trusted = if deployed {
                trusted_attesters(&self.node, self.deployments.registry, self.account.address)
                    .await?
            } else {
                Vec::new()
            };
            if trusted.is_empty() {
                let n = u8::try_from(self.deployments.attesters.len()).unwrap_or(u8::MAX);
                calls.push(trust_attesters(
                    self.deployments.registry,
                    n,
                    &self.deployments.attesters,
                ));
            }
        }
        let installed = self.is_smart_sessions_installed().await?;
        calls.push(if installed {
            ss.enable_sessions(sessions)?
        } else {
            ss.install(self.account.address, sessions)?
        });
        let sent = self.owner_execute(owner, &calls).await?;
        let mut st = self.state();
        st.installed = Some(true);
        let permission_ids: Vec<B256> = sessions.iter().map(AnySession::permission_id).collect();
        for id in &permission_ids {
            st.enabled.insert(*id, true);
            st.policies.remove(id);
        }
        drop(st);
        let details = sessions
            .iter()
            .map(|s| SessionDetails::enabled(ss, self.account.address, s.clone()))
            .collect();
        Ok(Grant { sent, permission_ids, sessions: details })
    }

    /// `grantPermissionTypedDataSign`: the owner signs the enable digest as EIP-712 typed data;
    /// nothing is sent. One call (`getNonce`).
    pub async fn grant_permission_typed_data_sign<S: Signer + Sync>(
        &self,
        owner: &S,
        request: &SessionRequest,
    ) -> Result<SessionDetails, FlowError> {
        self.grant_deferred(owner, request, OwnerSignatureStyle::TypedData).await
    }

    /// `grantPermissionPersonalSign`: as
    /// [`grant_permission_typed_data_sign`](Self::grant_permission_typed_data_sign) with an
    /// EIP-191 signature of the digest.
    pub async fn grant_permission_personal_sign<S: Signer + Sync>(
        &self,
        owner: &S,
        request: &SessionRequest,
    ) -> Result<SessionDetails, FlowError> {
        self.grant_deferred(owner, request, OwnerSignatureStyle::PersonalSign).await
    }

    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address, style = ?style))]
    async fn grant_deferred<S: Signer + Sync>(
        &self,
        owner: &S,
        request: &SessionRequest,
        style: OwnerSignatureStyle,
    ) -> Result<SessionDetails, FlowError> {
        let session = request.to_session(&self.deployments)?;
        Ok(self
            .smart_sessions()
            .grant_off_chain(
                &self.node,
                self.account.address,
                self.chain_id,
                &session,
                !self.consults_registry(),
                owner,
                self.deployments.owner_validator,
                style,
            )
            .await?)
    }

    /// `isPermissionEnabled` (cached once true).
    pub async fn is_permission_enabled(&self, permission_id: B256) -> Result<bool, FlowError> {
        if let Some(true) = self.state().enabled.get(&permission_id) {
            return Ok(true);
        }
        let e = self
            .smart_sessions()
            .is_permission_enabled(&self.node, permission_id, self.account.address)
            .await?;
        self.state().enabled.insert(permission_id, e);
        Ok(e)
    }

    /// One node batch for what a session operation needs and this client does not know yet (the
    /// account's code, the SmartSession lane's nonce, whether the permission is enabled, the
    /// policies' view): a session key's first operation costs one node round trip, not four.
    async fn prefetch_for_use(
        &self,
        session: &AnySession,
        precheck: Precheck,
    ) -> Result<Option<bool>, FlowError> {
        use alloy_rpc_types_eth::{BlockId, TransactionRequest};
        use alloy_sol_types::SolCall;
        let pid = session.permission_id();
        let lane = self.deployments.smart_session;
        let account = self.account.address;
        let (code, nonce, enabled, view) = {
            let st = self.state();
            (
                st.deployed.is_none(),
                !st.nonces.contains_key(&lane),
                st.enabled.get(&pid) != Some(&true),
                precheck == Precheck::On && !st.policies.contains_key(&pid),
            )
        };
        if [code, nonce, enabled, view].iter().filter(|x| **x).count() < 2 {
            return Ok(None); // one read is one round trip either way
        }
        let fail = |step: &'static str| {
            move |e: alloy_transport::TransportError| ClientError { step, reason: e.to_string() }
        };
        let mut batch = alloy_rpc_client::BatchRequest::new(self.node.client());
        let mut call = |to: Address, data: Vec<u8>| {
            let tx = TransactionRequest::default().to(to).input(Bytes::from(data).into());
            batch.add_call::<_, Bytes>("eth_call", &(tx, BlockId::latest()))
        };
        let nonce = nonce
            .then(|| {
                let key = smart_sessions_codec::NexusNonceKey::new(lane).key();
                let c = smart_sessions_bindings::common::entry_point::getNonceCall {
                    sender: account,
                    key,
                };
                call(self.deployments.entry_point, c.abi_encode())
            })
            .transpose()
            .map_err(fail("batch"))?;
        let enabled = enabled
            .then(|| {
                let c = crate::sessions::isPermissionEnabledCall { permissionId: pid, account };
                call(lane, c.abi_encode())
            })
            .transpose()
            .map_err(fail("batch"))?;
        let code = code
            .then(|| batch.add_call::<_, Bytes>("eth_getCode", &(account, BlockId::latest())))
            .transpose()
            .map_err(fail("batch"))?;
        let view = view
            .then(|| checks::ViewRequest::add(&mut batch, &self.deployments, session, account))
            .transpose()?;
        batch.send().await.map_err(fail("session prefetch batch"))?;
        if let Some(w) = code {
            let c = w.await.map_err(fail("eth_getCode"))?;
            self.state().deployed = Some(!c.is_empty());
        }
        if let Some(w) = nonce {
            let raw = w.await.map_err(fail("EntryPoint.getNonce"))?;
            let n = smart_sessions_bindings::common::entry_point::getNonceCall::abi_decode_returns(
                &raw,
            )
            .map_err(|e| ClientError { step: "EntryPoint.getNonce", reason: e.to_string() })?;
            self.state().nonces.insert(lane, n);
        }
        let mut fetched = None;
        if let Some(w) = enabled {
            let raw = w.await.map_err(fail("isPermissionEnabled"))?;
            let e = crate::sessions::isPermissionEnabledCall::abi_decode_returns(&raw)
                .map_err(|e| ClientError { step: "isPermissionEnabled", reason: e.to_string() })?;
            self.state().enabled.insert(pid, e);
            fetched = Some(e);
        }
        if let Some(v) = view {
            let v = v.collect().await?;
            // a permission not enabled yet starts from its init data (policy_view builds it)
            if self.state().enabled.get(&pid) == Some(&true) {
                self.state().policies.insert(pid, v);
            }
        }
        Ok(fetched)
    }

    async fn policy_view(
        &self,
        session: &AnySession,
        enabled: bool,
    ) -> Result<PolicyView, FlowError> {
        let pid = session.permission_id();
        if let Some(s) = self.state().policies.get(&pid) {
            return Ok(s.clone());
        }
        let states = if enabled {
            checks::read_view(&self.node, &self.deployments, session, self.account.address).await?
        } else {
            // not enabled yet: the policies start from their init data
            let mut m = PolicyView::default();
            for (_, p, slot) in checks::slots(session, self.account.address) {
                m.states.insert(slot, checks::initial_state(&self.deployments, p)?);
            }
            m
        };
        self.state().policies.insert(pid, states.clone());
        Ok(states)
    }

    /// The remaining budgets of a session (limited rules, usage, value and token limits), from
    /// the policies' on-chain state (one batched read, or none when this client's own operations
    /// are the last that used the session).
    pub async fn remaining_budgets(&self, session: &AnySession) -> Result<Vec<Budget>, FlowError> {
        let enabled = self.is_permission_enabled(session.permission_id()).await?;
        let states = self.policy_view(session, enabled).await?;
        Ok(checks::budgets(session, self.account.address, &states))
    }

    /// Checks `calls` against the session's policies off-chain, without sending. `Ok` lists the
    /// policies this client could not evaluate (unknown contracts).
    pub async fn check_calls(
        &self,
        details: &SessionDetails,
        calls: &[Execution],
    ) -> Result<Vec<Address>, FlowError> {
        let session = details.session().ok_or(FlowError::Invalid {
            field: "sessionDetails",
            reason: "no session in the details".into(),
        })?;
        let enabled = self.is_permission_enabled(details.permission_id).await?;
        let mut states = self.policy_view(&session, enabled).await?;
        Ok(checks::evaluate(&session, self.account.address, calls, &mut states, now())?)
    }

    /// `usePermission`: runs `calls` as the session key. USE mode when the permission is enabled,
    /// ENABLE_AND_USE when `details` carry the owner's enable signature and it is not enabled
    /// yet. With [`Precheck::On`] the calls are first checked against the session's policies
    /// and refused with the failing rule instead of spending gas.
    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address, permission_id = %details.permission_id, calls = calls.len()))]
    pub async fn use_permission<S: Signer + Sync>(
        &self,
        session_key: &S,
        details: &SessionDetails,
        calls: &[Execution],
        precheck: Precheck,
    ) -> Result<Sent, FlowError> {
        if details.account != self.account.address {
            return Err(FlowError::Invalid {
                field: "sessionDetails.account",
                reason: format!(
                    "the details are for {}, this client's account is {}",
                    details.account, self.account.address
                ),
            });
        }
        if details.smart_session != self.deployments.smart_session
            || details.generation != self.deployments.generation
        {
            return Err(FlowError::Invalid {
                field: "sessionDetails.smartSession",
                reason: format!(
                    "the details are for SmartSession {} ({}), this client's is {} ({})",
                    details.smart_session,
                    details.generation.name(),
                    self.deployments.smart_session,
                    self.deployments.generation.name()
                ),
            });
        }
        let session = details.session().ok_or(FlowError::Invalid {
            field: "sessionDetails",
            reason: "no session in the details".into(),
        })?;
        if session.permission_id() != details.permission_id {
            return Err(FlowError::Invalid {
                field: "sessionDetails.permissionId",
                reason: format!(
                    "{} is not the session's permission id {}",
                    details.permission_id,
                    session.permission_id()
                ),
            });
        }
        let pid = details.permission_id;
        let enabled = match self.prefetch_for_use(&session, precheck).await? {
            Some(e) => e,
            None => self.is_permission_enabled(pid).await?,
        };
        if !enabled && details.enable().is_none() {
            return Err(FlowError::Invalid {
                field: "sessionDetails",
                reason: format!(
                    "permission {pid} is not enabled on chain {} and the details carry no enable signature",
                    self.chain_id
                ),
            });
        }
        let mut after = None;
        if precheck == Precheck::On {
            let mut states = self.policy_view(&session, enabled).await?;
            let unchecked =
                checks::evaluate(&session, self.account.address, calls, &mut states, now())?;
            if !unchecked.is_empty() {
                tracing::debug!(?unchecked, "policies not evaluated off-chain");
            }
            after = Some(states);
        }
        let ss = self.smart_sessions();
        let use_mode = enabled;
        let stub =
            if use_mode { ss.stub_use_signature(pid) } else { details.stub_enable_signature()? };
        let result = self
            .send_operation(ss.address, calls, stub, |hash| async move {
                let sig = personal_sign(session_key, hash).await?;
                if use_mode {
                    Ok(ss.use_signature(pid, &sig))
                } else {
                    details.enable_signature(&sig).map_err(Into::into)
                }
            })
            .await;
        let mut st = self.state();
        match (&result, after) {
            (Ok(_), Some(states)) => {
                st.enabled.insert(pid, true);
                st.policies.insert(pid, states);
            }
            (Ok(_), None) => {
                st.enabled.insert(pid, true);
                st.policies.remove(&pid);
            }
            (Err(_), _) => {
                st.policies.remove(&pid);
                st.enabled.remove(&pid);
            }
        }
        drop(st);
        result
    }

    /// `removeSession(permissionId)` from the account.
    #[tracing::instrument(level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address, permission_id = %permission_id))]
    pub async fn remove_session<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
    ) -> Result<Sent, FlowError> {
        let sent = self
            .owner_execute(owner, &[self.smart_sessions().remove_session(permission_id)])
            .await?;
        let mut st = self.state();
        st.enabled.insert(permission_id, false);
        st.policies.remove(&permission_id);
        Ok(sent)
    }

    /// `revokeEnableSignature(permissionId)`: invalidates a signed, not yet used enable.
    pub async fn revoke_enable_signature<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
    ) -> Result<Sent, FlowError> {
        self.owner_execute(owner, &[self.smart_sessions().revoke_enable_signature(permission_id)])
            .await
    }

    /// `disableActionPolicies(permissionId, actionId, policies)`.
    pub async fn disable_action_policies<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
        action: (Address, FixedBytes<4>),
        policies: &[Address],
    ) -> Result<Sent, FlowError> {
        let call = self.smart_sessions().disable_action_policies(
            permission_id,
            smart_sessions_codec::action_id(action.0, action.1),
            policies,
        );
        let sent = self.owner_execute(owner, &[call]).await?;
        self.state().policies.remove(&permission_id);
        Ok(sent)
    }

    /// `disableActionId(permissionId, actionId)`: the action is no longer allowed.
    pub async fn disable_action<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
        action: (Address, FixedBytes<4>),
    ) -> Result<Sent, FlowError> {
        let call = self
            .smart_sessions()
            .disable_action_id(permission_id, smart_sessions_codec::action_id(action.0, action.1));
        let sent = self.owner_execute(owner, &[call]).await?;
        self.state().policies.remove(&permission_id);
        Ok(sent)
    }

    /// `disableUserOpPolicies(permissionId, policies)`.
    pub async fn disable_user_op_policies<S: Signer + Sync>(
        &self,
        owner: &S,
        permission_id: B256,
        policies: &[Address],
    ) -> Result<Sent, FlowError> {
        let call = self.smart_sessions().disable_user_op_policies(permission_id, policies);
        let sent = self.owner_execute(owner, &[call]).await?;
        self.state().policies.remove(&permission_id);
        Ok(sent)
    }
}

/// The off-chain grant for several chains at once (one owner signature; `getNonce` once per
/// chain; nothing sent): for each client, in order, the [`SessionDetails`] its session key uses
/// there, ENABLE_AND_USE on its first operation. The clients must be for the same account
/// address and SmartSession generation; the session is built once from `request` with the first
/// client's deployment (policy addresses must be the same on every chain).
pub async fn grant_permission_multichain<N, B, S>(
    clients: &[&NexusClient<N, B>],
    owner: &S,
    request: &SessionRequest,
    style: OwnerSignatureStyle,
) -> Result<Vec<SessionDetails>, FlowError>
where
    N: Provider,
    B: Provider,
    S: Signer + Sync,
{
    let first = clients
        .first()
        .ok_or(FlowError::Invalid { field: "clients", reason: "no chain given".into() })?;
    if let Some(c) = clients.iter().find(|c| c.address() != first.address()) {
        return Err(FlowError::Invalid {
            field: "clients",
            reason: format!(
                "the account is {} on chain {} but {} on chain {}",
                first.address(),
                first.chain_id(),
                c.address(),
                c.chain_id()
            ),
        });
    }
    let session = request.to_session(first.deployments())?;
    let chains: Vec<(u64, &N, SmartSessions)> =
        clients.iter().map(|c| (c.chain_id(), c.node(), c.smart_sessions())).collect();
    Ok(crate::sessions::grant_off_chain_multichain(
        &chains,
        first.address(),
        &session,
        !first.consults_registry(),
        owner,
        first.deployments().owner_validator,
        style,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    //! The gas-price fallbacks' response handling, on alloy's mock transport (queued JSON-RPC
    //! answers): which methods are asked in which order, and that the source is remembered.
    use super::*;
    use alloy_json_rpc::ErrorPayload;
    use alloy_provider::ProviderBuilder;
    use alloy_transport::mock::Asserter;
    use serde_json::json;

    fn client(node: &Asserter, bundler: &Asserter) -> NexusClient<impl Provider, impl Provider> {
        NexusClient::with_chain_id(
            ProviderBuilder::new().connect_mocked_client(node.clone()),
            ProviderBuilder::new().connect_mocked_client(bundler.clone()),
            1,
            Deployments::legacy_nexus_k1(),
            NexusAccount::existing(Address::repeat_byte(1), crate::ENTRY_POINT_V07),
        )
    }

    fn not_found() -> ErrorPayload {
        ErrorPayload { code: -32601, message: "Method not found".into(), data: None }
    }

    #[tokio::test]
    async fn auto_falls_back_to_biconomy_then_remembers_it() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler);
        bundler.push_failure(not_found());
        // biconomy_getGasFeeValues: decimal strings and hex both accepted
        let tier = json!({ "maxFeePerGas": "1000", "maxPriorityFeePerGas": "0x10" });
        bundler.push_success(&json!({ "slow": tier, "standard": tier, "fast": tier }));
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(1000), U256::from(16)));
        // remembered: exactly one call the second time (a pimlico call would take this answer
        // and leave the next one unanswered)
        let fast = json!({ "maxFeePerGas": 7, "maxPriorityFeePerGas": 2 });
        bundler.push_success(&json!({ "slow": fast, "standard": fast, "fast": fast }));
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(7), U256::from(2)));
        assert!(bundler.read_q().is_empty());
        assert!(node.read_q().is_empty());
    }

    #[tokio::test]
    async fn auto_falls_back_to_the_node_in_one_batch() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler);
        bundler.push_failure(not_found());
        bundler.push_failure(not_found());
        node.push_success(&"0x64"); // eth_gasPrice 100
        node.push_success(&"0x5"); // eth_maxPriorityFeePerGas 5
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(200), U256::from(5)));
        node.push_success(&"0x10");
        node.push_success(&"0x1");
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(32), U256::from(1)));
        assert!(bundler.read_q().is_empty());
    }

    #[tokio::test]
    async fn a_malformed_biconomy_answer_is_an_error_naming_the_value() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler).with_options(ClientOptions {
            gas_price: GasPriceSource::Biconomy,
            ..ClientOptions::default()
        });
        let tier = json!({ "maxFeePerGas": "12abc", "maxPriorityFeePerGas": "1" });
        bundler.push_success(&json!({ "slow": tier, "standard": tier, "fast": tier }));
        let e = c.gas_price().await.unwrap_err().to_string();
        assert!(e.contains("biconomy_getGasFeeValues") && e.contains("12abc"), "{e}");
    }

    #[tokio::test]
    async fn details_for_another_module_or_a_tampered_id_are_refused_before_any_call() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler);
        let d = Deployments::legacy_nexus_k1();
        let r: SessionRequest = serde_json::from_value(json!({
            "sessionPublicKey": Address::repeat_byte(5),
            "actionPoliciesInfo": [{ "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb", "sudo": true }]
        }))
        .unwrap();
        let session = r.to_session(&d).unwrap();
        let good = SessionDetails::enabled(d.smart_sessions(), c.address(), session);
        let key = alloy_signer_local::PrivateKeySigner::random();
        let mut other = good.clone();
        other.smart_session = Address::repeat_byte(0xee);
        let e = c.use_permission(&key, &other, &[], Precheck::On).await.unwrap_err();
        assert!(e.to_string().starts_with("sessionDetails.smartSession"), "{e}");
        let mut tampered = good;
        tampered.permission_id = B256::repeat_byte(1);
        let e = c.use_permission(&key, &tampered, &[], Precheck::On).await.unwrap_err();
        assert!(e.to_string().starts_with("sessionDetails.permissionId"), "{e}");
        // nothing was asked of the node or the bundler (an unanswered call would have failed)
        assert!(node.read_q().is_empty() && bundler.read_q().is_empty());
    }

    #[test]
    fn session_requests_are_validated_and_remapped() {
        let mut d = Deployments::legacy_nexus_k1();
        d.uni_action_policy = Address::repeat_byte(0x77);
        let r: SessionRequest = serde_json::from_value(json!({
            "sessionPublicKey": Address::repeat_byte(5),
            "actionPoliciesInfo": [{
                "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb",
                "rules": [{ "condition": "LESS_THAN", "offsetIndex": 1, "isLimited": false, "ref": 5 }]
            }],
            "salt": B256::repeat_byte(3)
        }))
        .unwrap();
        let s = r.to_session(&d).unwrap();
        assert_eq!(s.actions()[0].actionPolicies[0].policy, d.uni_action_policy);
        assert_eq!(s.session_validator(), d.session_key_validator.unwrap());
        assert_eq!(&s.session_validator_init_data()[..], Address::repeat_byte(5).as_slice());
        assert_eq!(s.salt(), B256::repeat_byte(3));
        assert!(s.user_op_policies().is_empty());
        // 17 rules: the policy crate's error names the problem
        let mut many = r.clone();
        let rule = many.action_policies_info[0].rules[0];
        many.action_policies_info[0].rules = vec![rule; 17];
        assert!(matches!(many.to_session(&d), Err(FlowError::Policy(_))));
        let mut none = r;
        none.action_policies_info.clear();
        let e = none.to_session(&d).unwrap_err();
        assert!(e.to_string().starts_with("actionPoliciesInfo"), "{e}");
    }
}
