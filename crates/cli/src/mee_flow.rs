//! `smart-sessions demo --mee`: seed 003's Complete Flow against a local MEE node (the summary
//! JSON of `smart-sessions-mee-node` / `MeeDevnet::summary()`), through
//! [`smart_sessions_mee::flows::MeeSessions`], as a list of steps the demo prints (name,
//! supertransaction hash, fee paid, round trips, latency) beside the node calls abstractjs 1.2.3
//! needs for the same step (spec `mee.md` §2–§7).

use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use smart_sessions_codec::{ActionData, Generation};
use smart_sessions_mee::{
    Instruction, MeeError, MeeVersionConfig, SessionDetails,
    flows::{FlowError, Grant, MeeSessions, RoundTrips, UsePermission},
    node::{ConfigError, MeeClient, ReceiptMode, TransactionStatus, WaitOptions},
    quote_request::{Payment, UseMode},
    session::{Call, FeeToken, GrantAction},
};

// The contracts' ABIs, each declared once: the node's counter, the EIP-20 fee token and its open
// `mint` (the devnet TestToken's).
use smart_sessions_bindings::erc20::ERC20::transferCall;
use smart_sessions_devnet::contracts::TestToken::mintCall;
use smart_sessions_mee_node::contracts::MeeCounter::incrementCall;

/// One step of the demo.
#[derive(Clone, Debug)]
pub struct MeeDemoStep {
    /// What the step does (seed 003's name).
    pub name: &'static str,
    /// What it showed.
    pub detail: String,
    /// The supertransaction it sent, if any.
    pub supertransaction: Option<B256>,
    /// The fee it paid (fee-token base units), if any.
    pub fee: Option<U256>,
    /// Requests it sent (node calls, chain reads).
    pub round_trips: RoundTrips,
    /// The node calls abstractjs 1.2.3 makes for the same step.
    pub sdk_node_calls: &'static str,
    /// How long it took.
    pub latency: Duration,
}

impl MeeDemoStep {
    /// The step as JSON (for `--json`).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "detail": self.detail,
            "supertransaction": self.supertransaction,
            "fee": self.fee.map(|f| f.to_string()),
            "nodeCalls": self.round_trips.node,
            "chainReads": self.round_trips.chain,
            "sdkNodeCalls": self.sdk_node_calls,
            "latencyMs": u64::try_from(self.latency.as_millis()).unwrap_or(u64::MAX),
        })
    }
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeeDemoError {
    /// The summary JSON lacks a field.
    #[error("MEE summary: `{field}` is missing or malformed")]
    Summary {
        /// The field.
        field: &'static str,
    },
    /// The version table does not load.
    #[error("MEE summary: the version table does not load")]
    Version(#[source] MeeError),
    /// The node client cannot be built.
    #[error("MEE node client")]
    Client(#[source] ConfigError),
    /// A step failed.
    #[error("step `{step}` failed")]
    Step {
        /// The step.
        step: &'static str,
        /// Why.
        #[source]
        source: FlowError,
        /// The steps done before it.
        done: Vec<MeeDemoStep>,
    },
    /// A step ended otherwise than the flow promises.
    #[error("step `{step}`: {seen}")]
    Unexpected {
        /// The step.
        step: &'static str,
        /// What was seen instead.
        seen: UnexpectedOutcome,
        /// The steps done before it.
        done: Vec<MeeDemoStep>,
    },
}

/// What a demo step saw instead of what the flow promises ([`MeeDemoError::Unexpected`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnexpectedOutcome {
    /// The supertransaction ended with another status than `MINED_SUCCESS`.
    #[error("status {status}")]
    Status {
        /// The supertransaction.
        hash: B256,
        /// Its final status.
        status: TransactionStatus,
    },
    /// `prepare_for_permissions` found nothing to prepare on the fresh account.
    #[error("nothing to prepare")]
    NothingToPrepare,
    /// A permission just enabled reads as not enabled on its chain.
    #[error("not on {chain_id}")]
    NotEnabled {
        /// The chain.
        chain_id: u64,
        /// The permission.
        permission_id: B256,
    },
    /// A use the flow must refuse before signing was sent.
    #[error("sent {hash}")]
    Sent {
        /// The supertransaction that went out.
        hash: B256,
    },
}

/// `e: its source: …` (the pre-check's rule lives in the source chain).
fn with_sources(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

fn field<'a>(v: &'a Value, name: &'static str) -> Result<&'a Value, MeeDemoError> {
    v.get(name).filter(|x| !x.is_null()).ok_or(MeeDemoError::Summary { field: name })
}

fn addr(v: &Value, name: &'static str) -> Result<Address, MeeDemoError> {
    field(v, name)?
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or(MeeDemoError::Summary { field: name })
}

struct Run {
    mee: MeeSessions,
    steps: Vec<MeeDemoStep>,
    started: Instant,
    before: RoundTrips,
}

impl Run {
    fn begin(&mut self) {
        self.started = Instant::now();
        self.before = self.mee.round_trips();
    }

    fn done(
        &mut self,
        name: &'static str,
        detail: String,
        sent: Option<(B256, Option<U256>)>,
        sdk_node_calls: &'static str,
    ) {
        self.steps.push(MeeDemoStep {
            name,
            detail,
            supertransaction: sent.map(|s| s.0),
            fee: sent.and_then(|s| s.1),
            round_trips: self.mee.round_trips().since(self.before),
            sdk_node_calls,
            latency: self.started.elapsed(),
        });
    }

    fn fail(&mut self, step: &'static str, source: FlowError) -> MeeDemoError {
        MeeDemoError::Step { step, source, done: std::mem::take(&mut self.steps) }
    }

    fn unexpected(&mut self, step: &'static str, seen: UnexpectedOutcome) -> MeeDemoError {
        MeeDemoError::Unexpected { step, seen, done: std::mem::take(&mut self.steps) }
    }

    async fn wait(&mut self, step: &'static str, hash: B256) -> Result<(), MeeDemoError> {
        match self.mee.wait_for_supertransaction_receipt(hash).await {
            Ok(r) if r.status().as_str() == "MINED_SUCCESS" => Ok(()),
            Ok(r) => {
                Err(self.unexpected(step, UnexpectedOutcome::Status { hash, status: r.status() }))
            }
            Err(e) => Err(self.fail(step, e.into())),
        }
    }
}

/// Runs seed 003's Complete Flow against the node of `summary` (fresh owner and redeemer keys):
/// fund the account (a sponsored owner supertransaction minting the node's open-mint fee token),
/// prepare on both chains with the fee paid in the token, grant with typed data for actions on
/// both chains, ENABLE_AND_USE on both chains in one supertransaction, wait for the receipt, USE
/// sponsored, is-permission-enabled, check-enabled-permissions, a refused call (off-chain, naming
/// the rule, no fee), and a fee budget (`max_payment_amount`) that runs out (a personal-sign
/// grant whose budget is below the quoted fee: refused before signing).
///
/// Every step must end as the flow promises; the first one that does not stops the run with the
/// steps done so far.
pub async fn run_demo(summary: &Value) -> Result<Vec<MeeDemoStep>, MeeDemoError> {
    let version = MeeVersionConfig::from_json(field(summary, "meeVersion")?, Generation::Legacy)
        .map_err(MeeDemoError::Version)?;
    let url =
        field(summary, "meeUrl")?.as_str().ok_or(MeeDemoError::Summary { field: "meeUrl" })?;
    let key =
        field(summary, "apiKey")?.as_str().ok_or(MeeDemoError::Summary { field: "apiKey" })?;
    let node = MeeClient::builder(url).api_key(key).build().map_err(MeeDemoError::Client)?;
    let chains =
        field(summary, "chains")?.as_array().ok_or(MeeDemoError::Summary { field: "chains" })?;
    let mut wait = WaitOptions::new(ReceiptMode::Default);
    wait.timeout = Duration::from_secs(120);
    let mut mee = MeeSessions::new(node, version).wait_options(wait);
    let mut ids = Vec::new();
    for c in chains {
        let id = field(c, "chainId")?.as_u64().ok_or(MeeDemoError::Summary { field: "chainId" })?;
        let rpc = field(c, "rpcUrl")?
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or(MeeDemoError::Summary { field: "rpcUrl" })?;
        mee = mee.chain(id, ProviderBuilder::new().connect_http(rpc).erased());
        ids.push(id);
    }
    let [fee_chain, other] = ids[..] else { return Err(MeeDemoError::Summary { field: "chains" }) };
    let contracts = field(&chains[0], "mee")?;
    let (token, counter) = (addr(contracts, "feeToken")?, addr(contracts, "counter")?);
    let fee_token = FeeToken { address: token, chain_id: fee_chain };
    let pay = Payment::FeeToken { token: fee_token, gas_refund_address: None };
    let sponsored = Payment::Sponsored(mee.sponsorship(fee_chain, token));
    let sudo = mee.version().policies().sudo_policy();
    let action = |chain_id| GrantAction {
        chain_id,
        action: ActionData {
            actionTargetSelector: incrementCall::SELECTOR.into(),
            actionTarget: counter,
            actionPolicies: vec![sudo.clone()],
        },
    };
    let inc = |chain_id| {
        Instruction::new(
            chain_id,
            vec![Call::new(counter, Bytes::from(incrementCall {}.abi_encode()))],
        )
    };
    let owner = PrivateKeySigner::random();
    let redeemer = PrivateKeySigner::random();
    let mut run = Run {
        mee: mee.clone(),
        steps: Vec::new(),
        started: Instant::now(),
        before: RoundTrips::default(),
    };

    // 0. the account, funded with the node's fee token (sponsored; deploys on the fee chain)
    run.begin();
    let mut account = match mee.account(owner.address(), 0).await {
        Ok(a) => a,
        Err(e) => return Err(run.fail("fund the account", e)),
    };
    let at = account.deployments[0].address;
    let mint = mintCall { to: at, amount: U256::from(1_000_000_000u64) }.abi_encode();
    let fund = [Instruction::new(fee_chain, vec![Call::new(token, Bytes::from(mint))])];
    let sent = match mee.execute(&owner, &mut account, &fund, sponsored.clone(), None).await {
        Ok(s) => s,
        Err(e) => return Err(run.fail("fund the account", e)),
    };
    run.wait("fund the account", sent.hash).await?;
    run.done(
        "fund the account",
        format!("account {at}, 1000 mUSD"),
        Some((sent.hash, None)),
        "quote + exec + explorer polls",
    );

    // 1. prepare on both chains, fee in the token
    run.begin();
    let sent = match mee.prepare_for_permissions(&owner, &mut account, pay.clone()).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(run.unexpected("prepare", UnexpectedOutcome::NothingToPrepare)),
        Err(e) => return Err(run.fail("prepare", e)),
    };
    run.wait("prepare", sent.hash).await?;
    let fee = sent.fee.map(|f| f.2);
    run.done(
        "prepare",
        "SmartSessions installed and a safe sender on both chains".into(),
        Some((sent.hash, fee)),
        "quote + exec + explorer polls",
    );

    // 2. grant with typed data, actions on both chains
    run.begin();
    let actions = [action(fee_chain), action(other)];
    let grant = Grant::new(redeemer.address(), &actions)
        .fee_token(fee_token, Some(U256::from(500_000_000u64)));
    let details = match mee.grant_permission_typed_data_sign(&owner, &account, &grant).await {
        Ok(d) => d,
        Err(e) => return Err(run.fail("grant (typed data)", e)),
    };
    run.done(
        "grant (typed data)",
        format!("{} sessions, one owner signature", details.len()),
        None,
        "none (chain reads only)",
    );

    // 3. ENABLE_AND_USE on both chains in one supertransaction
    run.begin();
    let both = [inc(fee_chain), inc(other)];
    let use_both = UsePermission::new(&details, UseMode::EnableAndUse, &both, pay.clone())
        .verification_gas_limit(2_000_000);
    let sent = match mee.use_permission(&redeemer, &account, &use_both).await {
        Ok(s) => s,
        Err(e) => return Err(run.fail("enable and use (both chains)", e)),
    };
    let fee = sent.fee.map(|f| f.2);
    run.done(
        "enable and use (both chains)",
        format!("{} userOps", sent.user_ops),
        Some((sent.hash, fee)),
        "quote + exec",
    );

    // 4. wait for the receipt
    run.begin();
    run.wait("wait for the receipt", sent.hash).await?;
    run.done(
        "wait for the receipt",
        "MINED_SUCCESS".into(),
        Some((sent.hash, None)),
        "explorer polls (every 250 ms)",
    );

    // 5. USE, sponsored
    run.begin();
    let one = [inc(fee_chain)];
    let use_sponsored = UsePermission::new(&details, UseMode::Use, &one, sponsored.clone());
    let sent = match mee.use_permission(&redeemer, &account, &use_sponsored).await {
        Ok(s) => s,
        Err(e) => return Err(run.fail("use (sponsored)", e)),
    };
    run.wait("use (sponsored)", sent.hash).await?;
    run.done(
        "use (sponsored)",
        "the gas tank paid".into(),
        Some((sent.hash, None)),
        "quote + exec + explorer polls",
    );

    // 6. is-permission-enabled
    run.begin();
    let mut enabled = Vec::new();
    for d in &details {
        match mee.is_permission_enabled(&account, d.permission_id, d.chain_id()).await {
            Ok(true) => enabled.push(d.chain_id()),
            Ok(false) => {
                let seen = UnexpectedOutcome::NotEnabled {
                    chain_id: d.chain_id(),
                    permission_id: d.permission_id,
                };
                return Err(run.unexpected("is permission enabled", seen));
            }
            Err(e) => return Err(run.fail("is permission enabled", e)),
        }
    }
    run.done(
        "is permission enabled",
        format!("enabled on {enabled:?}"),
        None,
        "none (chain reads only)",
    );

    // 7. check-enabled-permissions
    run.begin();
    let map = match mee.check_enabled_permissions(&account, &details).await {
        Ok(m) => m,
        Err(e) => return Err(run.fail("check enabled permissions", e)),
    };
    run.done(
        "check enabled permissions",
        Value::Object(map).to_string(),
        None,
        "none (chain reads only)",
    );

    // 8. a refused call: off-chain, naming the rule, no fee
    run.begin();
    let steal =
        transferCall { to: redeemer.address(), amount: U256::from(501_000_000u64) }.abi_encode();
    let refused = [Instruction::new(fee_chain, vec![Call::new(token, Bytes::from(steal))])];
    let use_refused = UsePermission::new(&details, UseMode::Use, &refused, pay.clone());
    match mee.use_permission(&redeemer, &account, &use_refused).await {
        Err(FlowError::Mee(MeeError::Precheck(e))) => {
            run.done(
                "refused call",
                format!("refused before any request: {}", with_sources(&e)),
                None,
                "quote + exec (refused on chain by the node's simulation)",
            );
        }
        Err(e) => return Err(run.fail("refused call", e)),
        Ok(s) => {
            return Err(run.unexpected("refused call", UnexpectedOutcome::Sent { hash: s.hash }));
        }
    }

    // 9. a fee budget that runs out: a personal-sign grant with a 1-unit budget, enabled
    // sponsored; a paid use is refused before signing (the quoted fee is above the budget)
    run.begin();
    let actions2 = [action(fee_chain)];
    let redeemer2 = PrivateKeySigner::random();
    let grant2 =
        Grant::new(redeemer2.address(), &actions2).fee_token(fee_token, Some(U256::from(1)));
    let details2: Vec<SessionDetails> =
        match mee.grant_permission_personal_sign(&owner, &account, &grant2).await {
            Ok(d) => d,
            Err(e) => return Err(run.fail("fee budget runs out", e)),
        };
    let enable2 = UsePermission::new(&details2, UseMode::EnableAndUse, &one, sponsored)
        .verification_gas_limit(2_000_000);
    let sent = match mee.use_permission(&redeemer2, &account, &enable2).await {
        Ok(s) => s,
        Err(e) => return Err(run.fail("fee budget runs out", e)),
    };
    run.wait("fee budget runs out", sent.hash).await?;
    let paid = UsePermission::new(&details2, UseMode::Use, &one, pay);
    match mee.use_permission(&redeemer2, &account, &paid).await {
        Err(FlowError::Mee(MeeError::Precheck(e))) => {
            run.done(
                "fee budget runs out",
                format!("the fee is refused before signing: {}", with_sources(&e)),
                Some((sent.hash, None)),
                "quote + exec (refused on chain by the node's simulation)",
            );
        }
        Err(e) => return Err(run.fail("fee budget runs out", e)),
        Ok(s) => {
            return Err(
                run.unexpected("fee budget runs out", UnexpectedOutcome::Sent { hash: s.hash })
            );
        }
    }
    Ok(run.steps)
}
