//! `smart-sessions demo`: the seed docs' story, live, on the embedded devnet.

mod error;
use error::at;
pub use error::{DemoError, Unexpected};

use crate::redact::SafeUrl;
use alloy_primitives::{Address, B256, U256};
use alloy_provider::{ProviderBuilder, ext::AnvilApi};
use alloy_rpc_client::ClientBuilder;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use smart_sessions_bindings::erc20::ERC20;
use smart_sessions_client::{
    BudgetItem, Deployments, FlowError, NexusAccount, NexusClient, NexusDeployment, Precheck, Sent,
    SessionDetails, SessionRequest, check_enabled_permissions, transport::RoundTrips,
};
use smart_sessions_codec::{Execution, Generation};
use smart_sessions_devnet::contracts::TestToken;
use smart_sessions_devnet::{Addresses, Devnet, Options};
use std::{
    io::IsTerminal,
    time::{Duration, Instant},
};

/// Steps of the story after the devnet's start.
const STORY_STEPS: u64 = 11;

/// One line of the demo's summary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The step's name, as the summary table shows it (e.g. `use the revoked permission`).
    pub step: String,
    /// The user operation, when the step sent one.
    pub user_op_hash: Option<B256>,
    /// Gas the user operation used.
    pub gas_used: Option<U256>,
    /// Wall time of the step in milliseconds.
    pub latency_ms: u128,
    /// JSON-RPC round trips of the step (node and bundler).
    pub round_trips: u64,
    /// The step's outcome in words: what it showed, or for an expected refusal the refusal.
    pub result: String,
}

/// What `demo` reports: every step of the story with its user operation, gas, latency and round
/// trips, the devnet's URLs and the account (the `--json` answer; [`table`] prints it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Demo {
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// The devnet's anvil JSON-RPC URL.
    pub rpc_url: SafeUrl,
    /// The devnet's Alto bundler URL (`None` when the devnet runs without one).
    pub bundler_url: Option<SafeUrl>,
    /// The Nexus account the story created, granted permissions on and used.
    pub account: Address,
    /// With `--keep`: the devnet left running, to use and to stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<Kept>,
}

/// A devnet the demo left running (`--keep`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kept {
    /// The processes (anvil, Alto): stop them with `kill PID…`.
    pub pids: Vec<u32>,
    /// The devnet chain's id (31337).
    pub chain_id: u64,
    /// Every contract the devnet deployed (the `--deployments` table of the network commands).
    pub addresses: Addresses,
}

/// Runs the demo; `keep` leaves the devnet running. Progress lines go to standard error unless
/// `quiet`.
pub async fn run(keep: bool, quiet: bool) -> Result<Demo, DemoError> {
    crate::tls::install_crypto_provider();
    let say = |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let t0 = Instant::now();
    say("starting the devnet (anvil, EntryPoint v0.7, Nexus, SmartSession, Alto)…");
    let devnet =
        Devnet::start_with(Options { chain_id: 31337, progress: !quiet, ..Options::default() })
            .await
            .map_err(DemoError::Devnet)?;
    let mut steps = vec![Step {
        step: "start the devnet".into(),
        user_op_hash: None,
        gas_used: None,
        latency_ms: t0.elapsed().as_millis(),
        round_trips: 0,
        result: format!(
            "anvil {} · Alto {}",
            devnet.rpc_url,
            devnet.bundler_url.clone().unwrap_or_default()
        ),
    }];
    // the story's steps under a progress bar on a terminal, as plain lines otherwise
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(STORY_STEPS);
        bar.set_style(
            ProgressStyle::with_template("{spinner:.green} [{pos}/{len}] {elapsed:>3} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(80));
        bar.set_message("creating the owner's account…");
        bar
    });
    let progress = |line: &str| match &bar {
        Some(b) => {
            b.println(line);
            b.inc(1);
        }
        None => say(line),
    };
    let result = story(&devnet, &mut steps, &progress).await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let url = |u: &str| u.parse::<SafeUrl>().map_err(at("start the devnet"));
    let mut demo = Demo {
        rpc_url: url(&devnet.rpc_url)?,
        bundler_url: devnet.bundler_url.as_deref().map(url).transpose()?,
        account: result.as_ref().copied().unwrap_or_default(),
        steps,
        kept: None,
    };
    if keep {
        let (chain_id, addresses) = (devnet.chain_id, devnet.addresses.clone());
        let pids = devnet.detach();
        say(&format!(
            "devnet left running (PIDs {pids:?}): RPC {} · bundler {}; stop it with `kill {}`",
            demo.rpc_url,
            demo.bundler_url.as_ref().map(ToString::to_string).unwrap_or_default(),
            pids.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
        ));
        demo.kept = Some(Kept { pids: pids.clone(), chain_id, addresses });
        // a failed story still reports what it left running
        return result.map(|_| demo).map_err(|e| DemoError::Kept { source: Box::new(e), pids });
    }
    result.map(|_| demo)
}

async fn story(
    d: &Devnet,
    steps: &mut Vec<Step>,
    say: &dyn Fn(&str),
) -> Result<Address, DemoError> {
    const START: &str = "start the devnet";
    let a = d.addresses.clone();
    let chain = d.chain_id;
    // both parties' providers count their JSON-RPC round trips, shown per step
    let trips = RoundTrips::default();
    let connect = |url: &str| -> Result<_, DemoError> {
        let url = url.parse().map_err(at(START))?;
        Ok(ProviderBuilder::new()
            .connect_client(ClientBuilder::default().layer(trips.layer()).http(url)))
    };
    let node = connect(&d.rpc_url)?;
    let bundler = connect(
        d.bundler_url
            .as_deref()
            .ok_or(DemoError::Unexpected { step: START, seen: Unexpected::NoBundler })?,
    )?;
    let deployments =
        Deployments::from_json(Generation::Legacy, &serde_json::to_string(&a).map_err(at(START))?)
            .map_err(at(START))?;
    let owner = PrivateKeySigner::random();
    let session_key = PrivateKeySigner::random();
    let recipient = Address::repeat_byte(0x42);

    let mut record = |step: &str, t: Instant, sent: Option<&Sent>, result: String| {
        // results quote the node's and bundler's answers: escaped and bounded like every error
        let result = crate::text::printable(&result);
        say(&format!("✓ {step}: {result}"));
        steps.push(Step {
            step: step.into(),
            user_op_hash: sent.map(|s| s.user_op_hash),
            gas_used: sent.map(|s| s.receipt.actual_gas_used),
            latency_ms: t.elapsed().as_millis(),
            round_trips: trips.total(),
            result,
        });
        trips.reset();
    };

    // an account for the owner (NexusAccountFactory + NexusBootstrap, K1-style owner validator)
    const CREATE: &str = "create a Nexus account for the owner";
    trips.reset();
    let t = Instant::now();
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
    .map_err(at(CREATE))?;
    let owner_client =
        NexusClient::new(node.clone(), bundler.clone(), deployments.clone(), account)
            .await
            .map_err(at(CREATE))?;
    let address = owner_client.address();
    node.anvil_set_balance(address, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .map_err(at(CREATE))?;
    record(CREATE, t, None, format!("{address} (counterfactual, funded)"));

    // install Smart Sessions (deploying the account on the way)
    const INSTALL: &str = "install Smart Sessions";
    let t = Instant::now();
    let sent = owner_client
        .prepare(&owner)
        .await
        .map_err(at(INSTALL))?
        .ok_or(DemoError::Unexpected { step: INSTALL, seen: Unexpected::AlreadyPrepared })?;
    record(INSTALL, t, Some(&sent), "account deployed, SmartSession is a validator".into());

    // grant, in the seed docs' shape: transfers to one recipient, ≤ 500 per call, 1,000 in total
    const GRANT: &str = "trust attesters and grant the session key a permission";
    let t = Instant::now();
    let request: SessionRequest = serde_json::from_value(serde_json::json!({
        "sessionPublicKey": session_key.address(),
        "actionPoliciesInfo": [{
            "contractAddress": a.token,
            "functionSelector": "0xa9059cbb",
            "rules": [
                { "condition": "EQUAL", "offsetIndex": 0, "isLimited": false, "ref": recipient },
                { "condition": "LESS_THAN_OR_EQUAL", "offsetIndex": 1, "isLimited": true,
                  "ref": 500, "usage": { "limit": 1000, "used": 0 } }
            ]
        }]
    }))
    .map_err(at(GRANT))?;
    let grant = owner_client.grant_permission(&owner, &[request]).await.map_err(at(GRANT))?;
    let id = grant.permission_ids[0];
    record(
        GRANT,
        t,
        Some(&grant.sent),
        format!(
            "permission {id}: transfer to {recipient}, amount ≤ 500 per call, ≤ 1000 in total (one user operation)"
        ),
    );

    // tokens to spend (the devnet's deployer mints)
    const MINT: &str = "mint tokens to the account";
    let deployer = d.provider_for(&d.deployer).map_err(at(MINT))?;
    TestToken::new(a.token, &deployer)
        .mint(address, U256::from(10_000))
        .send()
        .await
        .map_err(at(MINT))?
        .get_receipt()
        .await
        .map_err(at(MINT))?;
    trips.reset();

    // the session key's side: its own client, the session details as another process gets them
    let details: SessionDetails =
        serde_json::from_str(&serde_json::to_string(&grant.sessions[0]).map_err(at(GRANT))?)
            .map_err(at(GRANT))?;
    let session_client = NexusClient::with_chain_id(
        node.clone(),
        bundler.clone(),
        chain,
        deployments,
        NexusAccount::existing(address, a.entry_point),
    );
    let transfer = |to: Address, amount: u64| {
        Execution::new(
            a.token,
            U256::ZERO,
            ERC20::transferCall { to, amount: U256::from(amount) }.abi_encode(),
        )
    };

    const USE: &str = "the session key transfers 400";
    let t = Instant::now();
    let sent = session_client
        .use_permission(&session_key, &details, &[transfer(recipient, 400)], Precheck::On)
        .await
        .map_err(at(USE))?;
    record(USE, t, Some(&sent), "accepted".into());

    const BUDGET: &str = "remaining budget";
    let t = Instant::now();
    let session = details
        .session()
        .ok_or(DemoError::Unexpected { step: BUDGET, seen: Unexpected::NoSession })?;
    let budgets = owner_client.remaining_budgets(&session).await.map_err(at(BUDGET))?;
    let no_rule = || DemoError::Unexpected {
        step: BUDGET,
        seen: Unexpected::NoRuleBudget { count: budgets.len() },
    };
    let b = budgets.first().ok_or_else(no_rule)?;
    let BudgetItem::Rule { limit, .. } = b.item else { return Err(no_rule()) };
    record(
        BUDGET,
        t,
        None,
        format!(
            "{} of {limit} left",
            b.item.remaining().map_or_else(|| "unknown".to_string(), |r| r.to_string())
        ),
    );

    // a call that breaks a rule: refused off-chain, naming it, nothing sent
    const OFF_CHAIN: &str = "try to transfer 700: refused off-chain";
    let not_refused =
        |step, expected| DemoError::Unexpected { step, seen: Unexpected::NotRefused { expected } };
    let t = Instant::now();
    let bad = transfer(recipient, 700);
    let refusal = session_client
        .use_permission(&session_key, &details, std::slice::from_ref(&bad), Precheck::On)
        .await
        .err()
        .ok_or_else(|| not_refused(OFF_CHAIN, "the off-chain check should refuse 700"))?;
    let refusal = match refusal {
        FlowError::Refused(r) => r.to_string(),
        other => {
            return Err(DemoError::Unexpected {
                step: OFF_CHAIN,
                seen: Unexpected::OtherRefusal(other),
            });
        }
    };
    record(OFF_CHAIN, t, None, refusal);

    // sent anyway: the bundler's simulation meets the chain's decoded refusal
    const ON_CHAIN: &str = "send it anyway: refused on chain";
    let t = Instant::now();
    let err = session_client
        .use_permission(&session_key, &details, &[bad], Precheck::Skip)
        .await
        .err()
        .ok_or_else(|| not_refused(ON_CHAIN, "the chain should refuse 700"))?;
    record(ON_CHAIN, t, None, err.to_string());

    // ENABLE_AND_USE: a second session signed off-chain by the owner (EIP-712 typed data)
    const ENABLE: &str = "ENABLE_AND_USE a second session signed off-chain by the owner";
    let t = Instant::now();
    let mut second: SessionRequest = serde_json::from_value(serde_json::json!({
        "sessionPublicKey": session_key.address(),
        "actionPoliciesInfo": [{
            "contractAddress": a.token,
            "functionSelector": "0xa9059cbb",
            "rules": [{ "condition": "LESS_THAN_OR_EQUAL", "offsetIndex": 1, "isLimited": false, "ref": 50 }]
        }]
    }))
    .map_err(at(ENABLE))?;
    second.salt = Some(B256::repeat_byte(2));
    let details2 =
        owner_client.grant_permission_typed_data_sign(&owner, &second).await.map_err(at(ENABLE))?;
    let sent = session_client
        .use_permission(
            &session_key,
            &details2,
            &[transfer(Address::repeat_byte(0x77), 50)],
            Precheck::On,
        )
        .await
        .map_err(at(ENABLE))?;
    record(
        ENABLE,
        t,
        Some(&sent),
        format!("permission {} enabled and used", details2.permission_id),
    );

    const CHECK: &str = "check enabled permissions";
    let t = Instant::now();
    let ss = owner_client.smart_sessions();
    let map =
        check_enabled_permissions(&[(chain, &node, ss)], address, &[id, details2.permission_id])
            .await
            .map_err(at(CHECK))?;
    let enabled = map.values().filter(|m| m.values().all(|v| *v)).count();
    record(CHECK, t, None, format!("{enabled} of 2 enabled on chain {chain}"));

    // revoke the first; the session key's client learns it from the chain's refusal
    const REVOKE: &str = "revoke the first permission";
    let t = Instant::now();
    let sent = owner_client.remove_session(&owner, id).await.map_err(at(REVOKE))?;
    record(REVOKE, t, Some(&sent), format!("{id} removed"));
    const REVOKED: &str = "use the revoked permission";
    let t = Instant::now();
    let err = session_client
        .use_permission(&session_key, &details, &[transfer(recipient, 10)], Precheck::On)
        .await
        .err()
        .ok_or_else(|| not_refused(REVOKED, "a revoked permission should be refused"))?;
    record(REVOKED, t, None, err.to_string());

    let held = ERC20::new(a.token, &node).balanceOf(recipient).call().await.map_err(at(REVOKED))?;
    let expected = U256::from(400);
    if held != expected {
        return Err(DemoError::Unexpected {
            step: REVOKED,
            seen: Unexpected::Balance { held, expected },
        });
    }
    Ok(address)
}

/// The summary as a fixed-width text table, one row per step: the step, the user-operation hash
/// (its first 18 characters), gas used, JSON-RPC round trips and milliseconds.
///
/// ```
/// use alloy_primitives::{Address, B256, U256};
/// use smart_sessions_cli::demo::{Demo, Step, table};
///
/// let step = Step {
///     step: "grant".into(),
///     user_op_hash: Some(B256::repeat_byte(0xab)),
///     gas_used: Some(U256::from(123_456)),
///     latency_ms: 42,
///     round_trips: 7,
///     result: "granted".into(),
/// };
/// let demo = Demo {
///     steps: vec![step],
///     rpc_url: "http://127.0.0.1:8545".parse().unwrap(),
///     bundler_url: None,
///     account: Address::ZERO,
///     kept: None,
/// };
/// let text = table(&demo);
/// let row = text.lines().find(|l| l.starts_with("grant")).unwrap();
/// let cells: Vec<&str> = row.split('|').map(str::trim).collect();
/// assert_eq!(cells, ["grant", "0xabababababababab", "123456", "7", "42"]);
/// ```
pub fn table(demo: &Demo) -> String {
    let mut out = String::from(
        "\nstep                                                           | user op            |   gas used | RTT |    ms\n",
    );
    out.push_str(&"-".repeat(116));
    out.push('\n');
    for s in &demo.steps {
        let hash = s.user_op_hash.map(|h| format!("{:.18}", h.to_string())).unwrap_or_default();
        let gas = s.gas_used.map(|g| g.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{:<62} | {:<18} | {:>10} | {:>3} | {:>5}\n",
            s.step, hash, gas, s.round_trips, s.latency_ms
        ));
    }
    out
}
