//! Shared by the load and fault suites (tests/load.rs, tests/faults.rs) and the full-size load
//! runner (examples/load.rs): one Nexus account on the devnet with N session keys, each allowed
//! `transfer` of the devnet token (amount below 1000 per call, a large cumulative limit, so the
//! UniActionPolicy's `used` counter moves with every use), clients counting their round trips,
//! the concurrent load, and the on-chain checks.
//!
//! Every check reads the chain: the recipients' token balances, the policies' `used` counters
//! (`remaining_budgets` from a fresh client) and the EntryPoint nonce of every lane.
#![allow(dead_code, unreachable_pub)]

use alloy_primitives::{Address, B256, U256};
use alloy_provider::{Provider, RootProvider, ext::AnvilApi};
use alloy_rpc_client::ClientBuilder;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use smart_sessions_bindings::erc20::ERC20;
use smart_sessions_client::{
    BudgetItem, ClientOptions, Deployments, FlowError, NexusAccount, NexusClient, NexusDeployment,
    Precheck, Sent, SessionDetails, SessionRequest, permission_lane, transport::RoundTrips,
};
use smart_sessions_codec::{Execution, Generation, NexusNonceKey};
use smart_sessions_devnet::Devnet;
use std::{
    collections::BTreeSet,
    sync::Arc,
    time::{Duration, Instant},
};

/// Tokens each use transfers.
pub const AMOUNT: u64 = 7;
/// The cumulative limit of every session's rule (never reached here).
pub const LIMIT: u64 = 1_000_000_000;

/// The client type of these suites: plain HTTP providers with round-trip counters.
pub type Client = NexusClient<RootProvider, RootProvider>;

/// A counted provider for `url`.
pub fn provider(url: &str, trips: &RoundTrips) -> RootProvider {
    RootProvider::new(ClientBuilder::default().layer(trips.layer()).http(url.parse().unwrap()))
}

/// The devnet's addresses as a legacy deployment table.
pub fn deployments(d: &Devnet) -> Deployments {
    Deployments::from_json(Generation::Legacy, &serde_json::to_string(&d.addresses).unwrap())
        .unwrap()
}

/// The recipient of session key `i`'s transfers (one address per key, so each balance counts
/// exactly that key's executed uses).
pub fn recipient(i: usize) -> Address {
    let mut b = [0u8; 20];
    b[0] = 0xee;
    b[16..].copy_from_slice(&(i as u32).to_be_bytes());
    Address::from(b)
}

/// The intent of key `i`: `transfer(recipient(i), AMOUNT)` on the devnet token.
pub fn pay(token: Address, i: usize) -> Execution {
    let data = ERC20::transferCall { to: recipient(i), amount: U256::from(AMOUNT) };
    Execution::new(token, U256::ZERO, data.abi_encode())
}

/// A prepared account with granted sessions.
pub struct Setup {
    /// The owner.
    pub owner: PrivateKeySigner,
    /// The account (deployed, SmartSession installed, attester trusted).
    pub account: NexusAccount,
    /// The session keys.
    pub keys: Vec<PrivateKeySigner>,
    /// Their details (USE mode), in key order.
    pub details: Vec<SessionDetails>,
    /// The devnet's token.
    pub token: Address,
}

/// A client for `account` through `node_url` and `bundler_url`, with its counters.
pub async fn client(
    d: &Devnet,
    node_url: &str,
    bundler_url: &str,
    account: &NexusAccount,
    options: ClientOptions,
) -> (Client, RoundTrips, RoundTrips) {
    let (nt, bt) = (RoundTrips::default(), RoundTrips::default());
    let c = NexusClient::with_chain_id(
        provider(node_url, &nt),
        provider(bundler_url, &bt),
        d.chain_id,
        deployments(d),
        account.clone(),
    )
    .with_options(options);
    (c, nt, bt)
}

/// Deploys an account (factory path, funded with 10 ETH and 10^12 tokens), installs
/// SmartSession, trusts the devnet's attester and grants `n` sessions (ten per operation).
pub async fn setup(d: &Devnet, n: usize) -> Setup {
    let a = &d.addresses;
    let rpc = d.rpc_url.clone();
    let node = provider(&rpc, &RoundTrips::default());
    let owner = PrivateKeySigner::random();
    let account = NexusAccount::counterfactual(
        &node,
        NexusDeployment {
            entry_point: a.entry_point,
            factory: a.nexus_factory,
            bootstrap: a.nexus_bootstrap,
        },
        a.owner_validator,
        owner.address().to_vec().into(),
        B256::ZERO,
    )
    .await
    .expect("counterfactual address");
    node.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(19u64)))
        .await
        .unwrap();
    d.mint_tokens(account.address, U256::from(10u64).pow(U256::from(12u64))).await.unwrap();
    let bundler = d.bundler_url.clone().unwrap();
    let (c, _, _) = client(d, &rpc, &bundler, &account, ClientOptions::default()).await;
    c.prepare(&owner).await.expect("prepare");
    c.trust_attesters(&owner, &[a.attester], 1).await.expect("trust attesters");
    let keys: Vec<PrivateKeySigner> = (0..n).map(|_| PrivateKeySigner::random()).collect();
    let mut details = Vec::new();
    for chunk in keys.chunks(10) {
        let requests: Vec<SessionRequest> =
            chunk.iter().map(|k| request(k.address(), a.token)).collect();
        let g = c.grant_permission(&owner, &requests).await.expect("grant");
        details.extend(g.sessions);
    }
    Setup { owner, account, keys, details, token: a.token }
}

/// Key `key` may `transfer` `token`: amount below 1000 per call, [`LIMIT`] in total.
pub fn request(key: Address, token: Address) -> SessionRequest {
    serde_json::from_value(serde_json::json!({
        "sessionPublicKey": key,
        "actionPoliciesInfo": [{
            "contractAddress": token, "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": 2, "offsetIndex": 1, "isLimited": true, "ref": 1000,
                "usage": { "limit": LIMIT.to_string(), "used": 0 } }]
        }]
    }))
    .unwrap()
}

/// The token balance of `who`, read from the node.
pub async fn balance<P: Provider>(node: &P, token: Address, who: Address) -> U256 {
    ERC20::new(token, node).balanceOf(who).call().await.unwrap()
}

/// The sequence number of the EntryPoint nonce of key `i`'s lane, read from the node.
pub async fn lane_sequence<P: Provider>(node: &P, d: &Devnet, s: &Setup, i: usize) -> u64 {
    let lane = permission_lane(d.addresses.smart_session, s.details[i].permission_id);
    let n = s.account.nonce_of_key(node, lane).await.unwrap();
    NexusNonceKey::from_nonce(n).1
}

/// The `used` counter of key `i`'s limited rule, read from chain by a fresh client.
pub async fn used(c: &Client, s: &Setup, i: usize) -> U256 {
    let b = c.remaining_budgets(&s.details[i].session().unwrap()).await.unwrap();
    match b.as_slice() {
        [one] => match one.item {
            BudgetItem::Rule { used, limit, .. } => {
                assert_eq!(limit, U256::from(LIMIT));
                used
            }
            ref other => panic!("unexpected budget {other:?}"),
        },
        other => panic!("one budget expected, got {other:?}"),
    }
}

/// How the load is spread over clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One `NexusClient` shared (in an `Arc`) by every key's task.
    Shared,
    /// One `NexusClient` per key.
    PerKey,
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct LoadRun {
    /// Operations attempted.
    pub ops: usize,
    /// Operations with a successful receipt.
    pub included: usize,
    /// Included operations whose call did not succeed (reverted or out of gas: under-estimates
    /// show here).
    pub reverted: usize,
    /// Errors (text), including `AA25` refusals.
    pub errors: Vec<String>,
    /// Distinct user-op hashes among the included.
    pub distinct: usize,
    /// `eth_sendUserOperation` requests made (more than `ops`: a refused send was retried).
    pub sends: u64,
    /// All bundler round trips.
    pub bundler_trips: u64,
    /// Of which receipt polls.
    pub polls: u64,
    /// All node round trips.
    pub node_trips: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl LoadRun {
    /// Operations per second.
    pub fn per_second(&self) -> f64 {
        self.included as f64 / self.elapsed.as_secs_f64()
    }
    /// Round trips per operation.
    pub fn trips_per_op(&self) -> f64 {
        (self.bundler_trips + self.node_trips) as f64 / self.ops.max(1) as f64
    }
    /// `AA25` refusals seen (in errors).
    pub fn collisions(&self) -> usize {
        self.errors.iter().filter(|e| e.contains("AA25")).count()
    }
}

/// Keys `keys` each send `ops` uses one after the other, all keys at once, within `bound`.
pub async fn run_load(
    d: &Devnet,
    s: &Setup,
    keys: std::ops::Range<usize>,
    ops: usize,
    mode: Mode,
    bound: Duration,
) -> LoadRun {
    let rpc = d.rpc_url.clone();
    let bundler = d.bundler_url.clone().unwrap();
    let (nt, bt) = (RoundTrips::default(), RoundTrips::default());
    let mut opts = ClientOptions::default();
    // `LOAD_FEES_MAX_AGE_MS`: how long fees are reused (default: the client's default)
    if let Ok(ms) = std::env::var("LOAD_FEES_MAX_AGE_MS") {
        opts.gas_price_max_age = Duration::from_millis(ms.parse().expect("LOAD_FEES_MAX_AGE_MS"));
    }
    let make = || {
        Arc::new(
            NexusClient::with_chain_id(
                provider(&rpc, &nt),
                provider(&bundler, &bt),
                d.chain_id,
                deployments(d),
                s.account.clone(),
            )
            .with_options(opts.clone()),
        )
    };
    let shared = make();
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in keys.clone() {
        let c = if mode == Mode::Shared { shared.clone() } else { make() };
        let key = s.keys[i].clone();
        let details = s.details[i].clone();
        let call = pay(s.token, i);
        tasks.spawn(async move {
            let mut out: Vec<Result<Sent, FlowError>> = Vec::new();
            for _ in 0..ops {
                let r = c
                    .use_permission(&key, &details, std::slice::from_ref(&call), Precheck::On)
                    .await;
                out.push(r);
            }
            out
        });
    }
    let mut run = LoadRun { ops: keys.len() * ops, ..LoadRun::default() };
    let mut hashes = BTreeSet::new();
    let all = tokio::time::timeout(bound, async {
        let mut results = Vec::new();
        while let Some(r) = tasks.join_next().await {
            results.extend(r.expect("task"));
        }
        results
    })
    .await
    .expect("the load finished within its bound");
    run.elapsed = start.elapsed();
    for r in all {
        match r {
            Ok(sent) => {
                run.included += 1;
                hashes.insert(sent.user_op_hash);
            }
            Err(FlowError::Reverted { .. }) => run.reverted += 1,
            Err(e) => {
                // the whole chain: an unknown outcome's cause is in its source
                let mut text = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    text.push_str(&format!(": {c}"));
                    cause = c.source();
                }
                run.errors.push(text);
            }
        }
    }
    run.distinct = hashes.len();
    let m = bt.methods();
    run.sends = m.get("eth_sendUserOperation").copied().unwrap_or(0);
    run.polls = m.get("eth_getUserOperationReceipt").copied().unwrap_or(0);
    run.bundler_trips = bt.total();
    run.node_trips = nt.total();
    run
}

/// Checks on chain that key `i` executed exactly `expected` uses: its recipient's balance, its
/// rule's `used` counter and its lane's EntryPoint nonce. Returns the mismatches as text.
pub async fn verify_key(
    d: &Devnet,
    s: &Setup,
    checker: &Client,
    i: usize,
    expected: u64,
) -> Vec<String> {
    let mut bad = Vec::new();
    let node = checker.node();
    let bal = balance(node, s.token, recipient(i)).await;
    if bal != U256::from(AMOUNT * expected) {
        bad.push(format!("key {i}: balance {bal}, expected {}", AMOUNT * expected));
    }
    let u = used(checker, s, i).await;
    if u != U256::from(AMOUNT * expected) {
        bad.push(format!("key {i}: used {u}, expected {}", AMOUNT * expected));
    }
    let seq = lane_sequence(node, d, s, i).await;
    if seq != expected {
        bad.push(format!("key {i}: lane nonce {seq}, expected {expected}"));
    }
    bad
}

/// A fresh client (nothing cached) for on-chain checks.
pub async fn checker(d: &Devnet, s: &Setup) -> Client {
    let bundler = d.bundler_url.clone().unwrap();
    let opts = ClientOptions { precheck_max_age: Duration::ZERO, ..ClientOptions::default() };
    client(d, &d.rpc_url, &bundler, &s.account, opts).await.0
}

/// Test-wide setup, called first in every test. Nothing is needed today: the client's `rustls`
/// feature is reqwest's own, which carries its crypto provider, so plain alloy HTTP clients work
/// without a process-wide default.
pub fn init() {}

/// The environment variable `name` as a number, else `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
