//! Seed 003's `meeSessionActions` as async flows: [`MeeSessions`] holds the node client, the
//! MEE version table and one alloy provider per chain, and runs `prepare_for_permissions`,
//! `grant_permission_typed_data_sign` / `grant_permission_personal_sign`, `use_permission`,
//! `is_permission_enabled`, `check_enabled_permissions` and
//! `wait_for_supertransaction_receipt` end to end.
//!
//! Every supertransaction goes the same way: build the request (the session pre-check first, so
//! a call the session refuses fails before any node call or fee), read the nonces, `POST quote`,
//! verify the quote against the request (every hash and userOp recomputed), check the fee
//! against the caller's limit, sign, `POST exec`. From the verified quote on, every error names
//! the supertransaction hash; nothing is ever sent twice.
//!
//! ```no_run
//! use alloy_primitives::{address, bytes, U256};
//! use alloy_provider::{Provider, ProviderBuilder};
//! use alloy_signer_local::PrivateKeySigner;
//! use smart_sessions_codec::Generation;
//! use smart_sessions_mee::{
//!     flows::{Grant, MeeSessions, UsePermission},
//!     node::MeeClient,
//!     quote_request::{Payment, UseMode},
//!     session::{Call, FeeToken, GrantAction},
//!     Instruction, MeeVersionConfig,
//! };
//! # async fn run(summary: serde_json::Value, owner: PrivateKeySigner, redeemer: PrivateKeySigner)
//! #     -> Result<(), Box<dyn std::error::Error>> {
//! let version = MeeVersionConfig::from_json(&summary["meeVersion"], Generation::Legacy)?;
//! let node = MeeClient::builder(summary["meeUrl"].as_str().unwrap())
//!     .api_key(summary["apiKey"].as_str().unwrap())
//!     .build()?;
//! // with the `rustls` feature, alloy's HTTP transport needs a process-wide rustls provider
//! #[cfg(feature = "rustls")]
//! let _ = rustls::crypto::ring::default_provider().install_default();
//! let base = ProviderBuilder::new().connect_http("http://127.0.0.1:8545".parse()?).erased();
//! let mee = MeeSessions::new(node, version).chain(8453, base);
//!
//! let fee = FeeToken { address: address!("0x00000000000000000000000000000000000000aa"), chain_id: 8453 };
//! let mut account = mee.account(owner.address(), 0).await?;
//! // 2. prepare (owner): deploy, install SmartSessions, addSafeSender; fee in the token
//! if let Some(sent) = mee.prepare_for_permissions(&owner, &mut account, Payment::FeeToken { token: fee, gas_refund_address: None }).await? {
//!     mee.wait_for_supertransaction_receipt(sent.hash).await?;
//! }
//! // 3. grant (owner, off-chain)
//! let counter = address!("0x00000000000000000000000000000000000000cc");
//! let actions = [GrantAction { chain_id: 8453, action: smart_sessions_codec::ActionData {
//!     actionTargetSelector: "0xd09de08a".parse()?, actionTarget: counter,
//!     actionPolicies: vec![mee.version().policies().sudo_policy()] } }];
//! let grant = Grant::new(redeemer.address(), &actions).fee_token(fee, Some(U256::from(100_000_000u64)));
//! let details = mee.grant_permission_typed_data_sign(&owner, &account, &grant).await?;
//! // 4. use (redeemer): ENABLE_AND_USE, fee in the token
//! let calls = [Instruction::new(8453, vec![Call::new(counter, bytes!("0xd09de08a"))])];
//! let sent = mee.use_permission(&redeemer, &account, &UsePermission::new(&details, UseMode::EnableAndUse, &calls,
//!     Payment::FeeToken { token: fee, gas_refund_address: None })).await?;
//! mee.wait_for_supertransaction_receipt(sent.hash).await?;
//! # Ok(()) }
//! ```

mod chain;
mod error;
mod execute;
mod grant;
mod prepare;
mod providers;
mod session_abi;
mod status;
mod submit;
mod unchecked;
mod use_permission;

pub use error::FlowError;
pub use grant::Grant;
pub use submit::{PreparedSupertransaction, RoundTrips, Submitted};
pub use use_permission::UsePermission;

use std::sync::{
    Arc,
    atomic::{AtomicU32, Ordering},
};

use alloy_primitives::{Address, B256, Bytes};
use alloy_provider::DynProvider;

use crate::{
    Clock, ENTRY_POINT_V07, MeeVersionConfig, MonotonicClock, MultichainAccount,
    account::{account_init_data, account_salt},
    node::{MeeClient, ReceiptError, ReceiptMode, SupertransactionReceipt, WaitOptions},
    quote_request::Sponsorship,
};

/// `meeSessionActions` over one MEE node and one provider per chain: the entry point of the
/// session flows (prepare, grant, use, status, receipt; see the [module](self) example for a
/// whole run).
///
/// Cheap to clone (the node client and the providers are shared); every future is `Send`.
/// Building it sends nothing:
///
/// ```
/// use alloy_primitives::address;
/// use alloy_provider::{Provider, ProviderBuilder};
/// use smart_sessions_mee::{flows::MeeSessions, node::MeeClient, DEFAULT_MEE_VERSION};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // with the `rustls` feature, alloy's HTTP transport needs a process-wide rustls provider
/// #[cfg(feature = "rustls")]
/// let _ = rustls::crypto::ring::default_provider().install_default();
/// let node = MeeClient::builder("http://127.0.0.1:3000/v1").build()?;
/// let rpc = |url: &str| -> Result<_, Box<dyn std::error::Error>> {
///     Ok(ProviderBuilder::new().connect_http(url.parse()?).erased())
/// };
/// let mee = MeeSessions::new(node, DEFAULT_MEE_VERSION.config())
///     .chain(8453, rpc("http://127.0.0.1:8545")?)
///     .chain(10, rpc("http://127.0.0.1:8546")?);
/// assert_eq!(mee.chain_ids(), [8453, 10]);
/// assert_eq!((mee.round_trips().node, mee.round_trips().chain), (0, 0));
///
/// // this node's own gas tank, paying in a token on Base
/// let token = address!("0x00000000000000000000000000000000000000aa");
/// let tank = mee.sponsorship(8453, token);
/// assert_eq!((tank.chain_id, tank.token), (8453, token));
/// assert_eq!(tank.url, "http://127.0.0.1:3000/v1");
/// // a gateway URL's credentials are not sent as the sponsorship URL
/// let gateway = MeeClient::builder("https://user:pw@mee.example/v1?key=s3cret").build()?;
/// let tank = MeeSessions::new(gateway, DEFAULT_MEE_VERSION.config()).sponsorship(8453, token);
/// assert_eq!(tank.url, "https://mee.example/v1");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MeeSessions {
    node: MeeClient,
    version: MeeVersionConfig,
    chains: Vec<(u64, DynProvider)>,
    clock: Arc<dyn Clock>,
    wait: WaitOptions,
    entry_point: Address,
    trips: Arc<[AtomicU32; 2]>,
}

impl std::fmt::Debug for MeeSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeeSessions")
            .field("node", &self.node)
            .field("version", &self.version.version)
            .field("chains", &self.chains.iter().map(|(c, _)| *c).collect::<Vec<_>>())
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl MeeSessions {
    /// Flows over `node` with the contracts of `version` (an SDK table, or a custom one from
    /// [`MeeVersionConfig::from_json`]); add each chain's provider with [`Self::chain`].
    pub fn new(node: MeeClient, version: MeeVersionConfig) -> Self {
        Self {
            node,
            version,
            chains: Vec::new(),
            clock: Arc::new(MonotonicClock::new()),
            wait: WaitOptions::new(ReceiptMode::Default),
            entry_point: ENTRY_POINT_V07,
            trips: Arc::new([AtomicU32::new(0), AtomicU32::new(0)]),
        }
    }

    /// Reads `chain_id` through `provider` (`ProviderBuilder::new().connect_http(url).erased()`).
    #[must_use]
    pub fn chain(mut self, chain_id: u64, provider: DynProvider) -> Self {
        self.chains.retain(|(c, _)| *c != chain_id);
        self.chains.push((chain_id, provider));
        self
    }

    /// The clock nonce lanes and time bounds read (default: a [`MonotonicClock`] shared by the
    /// clones of this value, so concurrent flows of one account never share a nonce lane).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How [`Self::wait_for_supertransaction_receipt`] polls (default: the SDK's 250 ms, bounded
    /// by 300 s).
    #[must_use]
    pub const fn wait_options(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// The MEE node client the flows quote, execute and poll through (for direct node calls
    /// such as `info`).
    pub const fn node(&self) -> &MeeClient {
        &self.node
    }

    /// The MEE contract set the flows use (validator, factory, SmartSession and policy
    /// addresses), e.g. for `version().policies()` when building grant actions.
    pub const fn version(&self) -> &MeeVersionConfig {
        &self.version
    }

    /// The chains with a provider, in the order given.
    pub fn chain_ids(&self) -> Vec<u64> {
        self.chains.iter().map(|(c, _)| *c).collect()
    }

    /// Requests sent so far by this value and its clones (node calls, chain reads).
    pub fn round_trips(&self) -> RoundTrips {
        RoundTrips {
            node: self.trips[0].load(Ordering::Relaxed),
            chain: self.trips[1].load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_node(&self) {
        self.trips[0].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_chain(&self) {
        self.trips[1].fetch_add(1, Ordering::Relaxed);
    }

    /// The trusted gas tank of this node (sponsorship paid on `chain_id` in `token`, the node's
    /// URL as sponsorship URL), as the SDK's `sponsorship: true` sends it. The URL is sent
    /// without the userinfo or query a gateway URL may carry (never the `<redacted>` marker of
    /// its `Display`).
    pub fn sponsorship(&self, chain_id: u64, token: Address) -> Sponsorship {
        let url = self.node.url().without_credentials();
        Sponsorship { chain_id, token, url, ..Sponsorship::default() }
    }

    /// The owner's multichain account on every chain with a provider (in that order): the
    /// address from `factory.computeAccountAddress` and whether code exists there.
    pub async fn account(
        &self,
        owner: Address,
        index: u64,
    ) -> Result<MultichainAccount, FlowError> {
        let init_data = Bytes::from(account_init_data(&self.version, owner)?);
        let salt = account_salt(index);
        let mut chains = Vec::with_capacity(self.chains.len());
        for (chain_id, _) in &self.chains {
            let address = self.compute_account_address(*chain_id, init_data.clone(), salt).await?;
            chains.push((*chain_id, address));
        }
        let mut account = MultichainAccount::new(owner, self.version, index, chains)?;
        self.refresh(&mut account).await?;
        Ok(account)
    }

    /// Re-reads where the account is deployed.
    pub async fn refresh(&self, account: &mut MultichainAccount) -> Result<(), FlowError> {
        for d in &mut account.deployments {
            d.deployed = self.has_code(d.chain_id, d.address).await?;
        }
        Ok(())
    }

    /// `waitForSupertransactionReceipt`: polls the explorer until the status is final, within
    /// the wait bound. A failure names the userOp and the node's message; an unknown outcome
    /// (timeout, explorer failure) names the hash.
    pub async fn wait_for_supertransaction_receipt(
        &self,
        hash: B256,
    ) -> Result<SupertransactionReceipt, ReceiptError> {
        self.count_node();
        self.node.wait_for_supertransaction_receipt(hash, self.wait).await
    }
}
