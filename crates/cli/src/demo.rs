//! `smart-sessions demo`: the seed docs' story, live, on the embedded devnet.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder, ext::AnvilApi};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use serde::Serialize;
use smart_sessions_client::{
    BundlerApi, NexusAccount, NexusDeployment, OwnerSignatureStyle, SessionDetails, SmartSessions,
    UserOperation, check_enabled_permissions, trust_attesters, trusted_attesters,
};
use smart_sessions_codec::{
    ActionConfig, ActionData, AnySession, Execution, Generation, ParamCondition, legacy,
};
use smart_sessions_devnet::{Devnet, ENTRY_POINT, Options};
use smart_sessions_policy::{Deployment, UniActionBuilder, eval::UniActionPolicy};
use std::time::{Duration, Instant};

sol! {
    function transfer(address to, uint256 amount) returns (bool);
    function mint(address to, uint256 amount);
    function balanceOf(address who) returns (uint256);
    function actionConfigs(bytes32 id, address multiplexer, address account) returns (bytes);
}

/// One line of the demo's summary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What happened.
    pub step: String,
    /// The user operation, when the step sent one.
    pub user_op_hash: Option<B256>,
    /// Gas the user operation used.
    pub gas_used: Option<U256>,
    /// Wall time of the step in milliseconds.
    pub latency_ms: u128,
    /// The outcome, in words.
    pub result: String,
}

/// The demo's outcome.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Demo {
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// The devnet's RPC URL.
    pub rpc_url: String,
    /// The bundler's URL.
    pub bundler_url: Option<String>,
    /// The account.
    pub account: Address,
}

fn stub() -> Bytes {
    let mut s = [0x11u8; 65];
    s[32..64].fill(0x22);
    s[64] = 27;
    s.to_vec().into()
}

type Sign = Box<dyn Fn(B256) -> Result<Bytes, String> + Send + Sync>;

/// Runs the demo; `keep` leaves the devnet running. Progress lines go to standard error unless
/// `quiet`.
pub async fn run(keep: bool, quiet: bool) -> Result<Demo, String> {
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
            .map_err(|e| format!("devnet: {e}"))?;
    let mut steps = vec![Step {
        step: "start the devnet".into(),
        user_op_hash: None,
        gas_used: None,
        latency_ms: t0.elapsed().as_millis(),
        result: format!(
            "anvil {} · Alto {}",
            devnet.rpc_url,
            devnet.bundler_url.clone().unwrap_or_default()
        ),
    }];
    let result = story(&devnet, &mut steps, &say).await;
    let demo = Demo {
        rpc_url: devnet.rpc_url.clone(),
        bundler_url: devnet.bundler_url.clone(),
        account: result.as_ref().copied().unwrap_or_default(),
        steps,
    };
    if keep {
        let pids = devnet.detach();
        say(&format!(
            "devnet left running (PIDs {pids:?}): RPC {} · bundler {}; stop it with `kill {}`",
            demo.rpc_url,
            demo.bundler_url.clone().unwrap_or_default(),
            pids.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
        ));
    }
    result.map(|_| demo)
}

async fn story(d: &Devnet, steps: &mut Vec<Step>, say: &dyn Fn(&str)) -> Result<Address, String> {
    let a = d.addresses.clone();
    let chain = d.chain_id;
    let p = ProviderBuilder::new().connect_http(d.rpc_url.parse().map_err(|e| format!("{e}"))?);
    let bundler_url = d.bundler_url.clone().ok_or("no bundler")?;
    let b = ProviderBuilder::new().connect_http(bundler_url.parse().map_err(|e| format!("{e}"))?);
    let ss = SmartSessions { generation: Generation::Legacy, address: a.smart_session };
    let owner = PrivateKeySigner::random();
    let session_key = PrivateKeySigner::random();
    let recipient = Address::repeat_byte(0x42);

    let mut record =
        |step: &str, t: Instant, hash: Option<B256>, gas: Option<U256>, result: String| {
            say(&format!("✓ {step}: {result}"));
            steps.push(Step {
                step: step.into(),
                user_op_hash: hash,
                gas_used: gas,
                latency_ms: t.elapsed().as_millis(),
                result,
            });
        };

    // an account for the owner
    let t = Instant::now();
    let deployment = NexusDeployment {
        entry_point: a.entry_point,
        factory: a.nexus_factory,
        bootstrap: a.nexus_bootstrap,
    };
    let account = NexusAccount::counterfactual(
        &p,
        deployment,
        a.owner_validator,
        owner.address().to_vec().into(),
        B256::ZERO,
    )
    .await
    .map_err(|e| e.to_string())?;
    p.anvil_set_balance(account.address, U256::from(10u64).pow(U256::from(18u64)))
        .await
        .map_err(|e| e.to_string())?;
    record(
        "create a Nexus account for the owner",
        t,
        None,
        None,
        format!("{} (counterfactual, funded)", account.address),
    );

    let send = |validator: Address, calls: Vec<Execution>, stub_sig: Bytes, sign: Sign| {
        let (p, b, account) = (&p, &b, &account);
        async move {
            let op: UserOperation =
                account.user_operation(p, validator, &calls).await.map_err(|e| e.to_string())?;
            let mut op = fill(b, op, stub_sig).await?;
            op.signature = sign(op.hash(ENTRY_POINT, chain))?;
            let hash = b.send_user_operation(&op, ENTRY_POINT).await.map_err(|e| e.to_string())?;
            let r = b
                .wait_for_user_operation_receipt(hash, Duration::from_secs(30))
                .await
                .map_err(|e| e.to_string())?;
            if !r.success {
                return Err(format!("user operation {hash} reverted"));
            }
            Ok::<_, String>((hash, r.actual_gas_used))
        }
    };
    let owner_sign = || -> Sign {
        let owner = owner.clone();
        Box::new(move |h: B256| {
            Ok(owner
                .sign_message_sync(h.as_slice())
                .map_err(|e| e.to_string())?
                .as_bytes()
                .to_vec()
                .into())
        })
    };

    // install Smart Sessions (deploying the account on the way)
    let t = Instant::now();
    let (h, g) = send(
        a.owner_validator,
        vec![ss.install(account.address, &[]).map_err(|e| e.to_string())?],
        stub(),
        owner_sign(),
    )
    .await?;
    record(
        "install Smart Sessions",
        t,
        Some(h),
        Some(g),
        "SmartSession is a validator of the account".into(),
    );

    // grant: token transfers to one recipient, ≤ 500 per call, 1,000 in total
    let t = Instant::now();
    let policy = UniActionBuilder::for_function("transfer(address to,uint256 amount)")
        .map_err(|e| e.to_string())?
        .rule("to", ParamCondition::Equal, recipient)
        .limited("amount", ParamCondition::LessThanOrEqual, U256::from(500), U256::from(1000))
        .build(Deployment::Address(a.uni_action_policy))
        .map_err(|e| e.to_string())?;
    let session = legacy::Session {
        sessionValidator: a.session_key_validator,
        sessionValidatorInitData: session_key.address().to_vec().into(),
        salt: B256::repeat_byte(1),
        userOpPolicies: vec![],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: transferCall::SELECTOR.into(),
            actionTarget: a.token,
            actionPolicies: vec![policy],
        }],
    };
    let id = AnySession::Legacy(session.clone()).permission_id();
    let mut calls = Vec::new();
    let trusted =
        trusted_attesters(&p, a.registry, account.address).await.map_err(|e| e.to_string())?;
    if trusted.is_empty() {
        calls.push(trust_attesters(a.registry, 1, &[a.attester]));
    }
    calls.push(ss.enable_sessions(&[AnySession::Legacy(session)]).map_err(|e| e.to_string())?);
    let (h, g) = send(a.owner_validator, calls, stub(), owner_sign()).await?;
    record(
        "trust attesters and grant the session key a permission",
        t,
        Some(h),
        Some(g),
        format!("permission {id}: transfer to {recipient}, amount ≤ 500 per call, ≤ 1000 in total"),
    );

    // tokens to spend
    let deployer = d.provider_for(&d.deployer).map_err(|e| e.to_string())?;
    let mint = mintCall { to: account.address, amount: U256::from(10_000) }.abi_encode();
    deployer
        .send_transaction(TransactionRequest::default().to(a.token).input(Bytes::from(mint).into()))
        .await
        .map_err(|e| e.to_string())?
        .get_receipt()
        .await
        .map_err(|e| e.to_string())?;

    let transfer = |to: Address, amount: u64| {
        Execution::new(
            a.token,
            U256::ZERO,
            transferCall { to, amount: U256::from(amount) }.abi_encode(),
        )
    };
    let key_use = |id: B256| -> Sign {
        let key = session_key.clone();
        Box::new(move |h: B256| {
            Ok(ss.use_signature(
                id,
                &key.sign_message_sync(h.as_slice()).map_err(|e| e.to_string())?.as_bytes(),
            ))
        })
    };

    // use it
    let t = Instant::now();
    let (h, g) = send(
        a.smart_session,
        vec![transfer(recipient, 400)],
        ss.stub_use_signature(id),
        key_use(id),
    )
    .await?;
    record("the session key transfers 400", t, Some(h), Some(g), "accepted".into());

    // remaining budget, from the policy's on-chain state
    let t = Instant::now();
    let config_id = smart_sessions_codec::action_config_id(
        account.address,
        id,
        smart_sessions_codec::action_id(a.token, transferCall::SELECTOR.into()),
    );
    let state = p
        .call(
            TransactionRequest::default().to(a.uni_action_policy).input(
                Bytes::from(
                    actionConfigsCall {
                        id: config_id,
                        multiplexer: a.smart_session,
                        account: account.address,
                    }
                    .abi_encode(),
                )
                .into(),
            ),
        )
        .await
        .map_err(|e| e.to_string())?;
    let config = ActionConfig::abi_decode(&state).map_err(|e| e.to_string())?;
    let rule = config.rules().get(1).ok_or("the amount rule is missing")?;
    record(
        "remaining budget",
        t,
        None,
        None,
        format!("{} of {} left", rule.usage.limit - rule.usage.used, rule.usage.limit),
    );

    // a call that breaks a rule: refused off-chain, naming it
    let t = Instant::now();
    let bad = transfer(recipient, 700);
    let mut evaluator = UniActionPolicy::from_config(config);
    let refusal = evaluator
        .check_action(U256::ZERO, &bad.callData)
        .err()
        .ok_or("the off-chain check should refuse 700")?;
    record("try to transfer 700: refused off-chain", t, None, None, refusal.to_string());

    // sent anyway: the chain refuses with a decoded error
    let t = Instant::now();
    let err = send(a.smart_session, vec![bad], ss.stub_use_signature(id), key_use(id))
        .await
        .err()
        .ok_or("the chain should refuse 700")?;
    record("send it anyway: refused on chain", t, None, None, err);

    // ENABLE_AND_USE: a second session signed off-chain by the owner (typed data)
    let t = Instant::now();
    let second = AnySession::Legacy(legacy::Session {
        sessionValidator: a.session_key_validator,
        sessionValidatorInitData: session_key.address().to_vec().into(),
        salt: B256::repeat_byte(2),
        userOpPolicies: vec![],
        erc7739Policies: Default::default(),
        actions: vec![ActionData {
            actionTargetSelector: transferCall::SELECTOR.into(),
            actionTarget: a.token,
            actionPolicies: vec![
                UniActionBuilder::for_function("transfer(address to,uint256 amount)")
                    .map_err(|e| e.to_string())?
                    .rule("amount", ParamCondition::LessThanOrEqual, U256::from(50))
                    .build(Deployment::Address(a.uni_action_policy))
                    .map_err(|e| e.to_string())?,
            ],
        }],
    });
    let details: SessionDetails = ss
        .grant_off_chain(
            &p,
            account.address,
            chain,
            &second,
            false,
            &owner,
            a.owner_validator,
            OwnerSignatureStyle::TypedData,
        )
        .await
        .map_err(|e| e.to_string())?;
    let stub_sig = details.stub_enable_signature().map_err(|e| e.to_string())?;
    let d2 = details.clone();
    let key = session_key.clone();
    let sign: Sign = Box::new(move |h: B256| {
        let sig = key.sign_message_sync(h.as_slice()).map_err(|e| e.to_string())?.as_bytes();
        d2.enable_signature(&sig).map_err(|e| e.to_string())
    });
    let (h, g) =
        send(a.smart_session, vec![transfer(Address::repeat_byte(0x77), 50)], stub_sig, sign)
            .await?;
    record(
        "ENABLE_AND_USE a second session signed off-chain by the owner",
        t,
        Some(h),
        Some(g),
        format!("permission {} enabled and used", details.permission_id),
    );

    // check enabled permissions
    let t = Instant::now();
    let map = check_enabled_permissions(
        &[(chain, &p, ss)],
        account.address,
        &[id, details.permission_id],
    )
    .await
    .map_err(|e| e.to_string())?;
    let enabled = map.values().filter(|m| m.values().all(|v| *v)).count();
    record(
        "check enabled permissions",
        t,
        None,
        None,
        format!("{enabled} of 2 enabled on chain {chain}"),
    );

    // revoke the first, then its use fails
    let t = Instant::now();
    let (h, g) = send(a.owner_validator, vec![ss.remove_session(id)], stub(), owner_sign()).await?;
    record("revoke the first permission", t, Some(h), Some(g), format!("{id} removed"));
    let t = Instant::now();
    let err = send(
        a.smart_session,
        vec![transfer(recipient, 10)],
        ss.stub_use_signature(id),
        key_use(id),
    )
    .await
    .err()
    .ok_or("a revoked permission should be refused")?;
    record("use the revoked permission", t, None, None, err);

    let balance = p
        .call(
            TransactionRequest::default()
                .to(a.token)
                .input(Bytes::from(balanceOfCall { who: recipient }.abi_encode()).into()),
        )
        .await
        .map_err(|e| e.to_string())?;
    if U256::from_be_slice(&balance) != U256::from(400) {
        return Err(format!(
            "the recipient holds {} instead of 400",
            U256::from_be_slice(&balance)
        ));
    }
    Ok(account.address)
}

async fn fill<B: Provider>(
    b: &B,
    mut op: UserOperation,
    stub: Bytes,
) -> Result<UserOperation, String> {
    op.signature = stub;
    let (max_fee, tip) = b.pimlico_gas_price().await.map_err(|e| e.to_string())?;
    op.max_fee_per_gas = max_fee;
    op.max_priority_fee_per_gas = tip;
    let gas = b.estimate_user_operation_gas(&op, ENTRY_POINT).await.map_err(|e| e.to_string())?;
    op.call_gas_limit = gas.call_gas_limit;
    op.verification_gas_limit = gas.verification_gas_limit;
    op.pre_verification_gas = gas.pre_verification_gas;
    Ok(op)
}

/// The summary table.
pub fn table(demo: &Demo) -> String {
    let mut out = String::from(
        "\nstep                                                           | user op            |   gas used | ms\n",
    );
    out.push_str(&"-".repeat(110));
    out.push('\n');
    for s in &demo.steps {
        let hash = s.user_op_hash.map(|h| format!("{:.18}", h.to_string())).unwrap_or_default();
        let gas = s.gas_used.map(|g| g.to_string()).unwrap_or_default();
        out.push_str(&format!("{:<62} | {:<18} | {:>10} | {}\n", s.step, hash, gas, s.latency_ms));
    }
    out
}
