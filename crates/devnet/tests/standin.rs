//! The devnet's UniActionPolicy is the project's own Solidity stand-in (`contracts/Devnet.sol`;
//! no registry package ships the deployed policy's source or bytecode), so every "refused
//! off-chain and on-chain" test compares the evaluator with our own model. This test checks the
//! stand-in itself, on a real anvil:
//!
//! 1. `recorded_policy_vectors_through_the_stand_in`: every recorded behaviour vector of the
//!    deployed UniActionPolicy (`UniActionPolicy.checkAction` and
//!    `UniActionPolicy.initializeWithMultiplexer` in `crates/codec/tests/vectors/current.json`,
//!    recorded on the deployed bytecode) is replayed against the stand-in from the vector's own
//!    multiplexer address (impersonated), and the stand-in's results, `used` counters and revert
//!    data must equal the recorded ones byte for byte;
//! 2. `stand_in_and_evaluator_agree_on_random_rules_and_calls`: 64 seeded random rule sets (valid
//!    and invalid init data, 0 to 17 rules, every condition, limits near overflow) and call
//!    sequences go through the stand-in and through `smart_sessions_policy::eval`; the outcome of
//!    every initialisation and call (pass, fail, the revert reason) and the `used` counters after
//!    every call must agree. `STANDIN_SEED` / `STANDIN_CASES` replay another seed / count.
//!
//! So a divergence of the stand-in from the deployed policy shows in (1) for the recorded
//! behaviours, and one between the stand-in and the evaluator in (2).

use alloy_contract::SolCallBuilder;
use alloy_primitives::{Address, B256, Bytes, U256, address, hex};
use alloy_provider::{Provider, ProviderBuilder, ext::AnvilApi};
use alloy_sol_types::{Panic, SolCall, SolError, SolValue};
use serde_json::{Value, json};
// The deployed policy's ABI from the generated bindings (the condition is a `uint8` value type
// there, so invalid ones can be sent).
use smart_sessions_bindings::current::uni_action_policy::{
    LimitUsage, ParamRule, ParamRules, PolicyNotInitialized, UniActionPolicy, ValueLimitExceeded,
};
use smart_sessions_devnet::{Devnet, Options};
use smart_sessions_policy::eval::{Outcome, Revert, UniActionPolicy as Evaluator};

const CURRENT: &str = include_str!("../../codec/tests/vectors/current.json");
/// The multiplexer of the random cases (impersonated; any address works).
const MULTIPLEXER: Address = address!("0x00000000008bDABA73cD9815d79069c247Eb4bDA");

/// What one call did on chain: returned a value, or reverted with these bytes.
type ChainResult = Result<U256, Bytes>;

struct Chain<P> {
    provider: P,
    policy: Address,
}

impl<P: Provider> Chain<P> {
    async fn impersonate(&self, who: Address) {
        self.provider.anvil_impersonate_account(who).await.expect("impersonate");
        self.provider
            .anvil_set_balance(who, U256::from(10u64).pow(U256::from(20)))
            .await
            .expect("fund");
    }

    /// `eth_call` of the policy instance's `call` from `from`, then (when it did not revert) the
    /// same call as a transaction, so that its state changes stay; returns the call's result.
    async fn send<Q: Provider, C: SolCall>(
        &self,
        from: Address,
        call: SolCallBuilder<Q, C>,
    ) -> ChainResult {
        let call = call.from(from);
        match call.call_raw().await {
            Ok(out) => {
                // anvil mines each transaction at once; the receipt is read directly (alloy's
                // receipt watcher follows new block numbers, which `evm_revert` turns back)
                // the nonce read here, not cached: `evm_revert` turns it back too
                let nonce = self.provider.get_transaction_count(from).await.expect("nonce");
                let hash = *call.gas(5_000_000).nonce(nonce).send().await.expect("send").tx_hash();
                let mut receipt = None;
                for _ in 0..200 {
                    receipt = self.provider.get_transaction_receipt(hash).await.expect("receipt");
                    if receipt.is_some() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                let receipt = receipt.expect("no receipt within 2 s");
                assert!(receipt.status(), "a call that passed eth_call reverted as a transaction");
                Ok(U256::abi_decode(&out).unwrap_or_default())
            }
            Err(e) => {
                let alloy_contract::Error::TransportError(e) = e else {
                    panic!("not a node error: {e}")
                };
                let payload = e.as_error_resp().unwrap_or_else(|| panic!("not a revert: {e}"));
                assert!(
                    payload.message.contains("revert"),
                    "eth_call failed for another reason than a revert: {e}"
                );
                Err(payload.as_revert_data().unwrap_or_default())
            }
        }
    }

    async fn init(&self, from: Address, account: Address, id: B256, init: &[u8]) -> ChainResult {
        let policy = UniActionPolicy::new(self.policy, &self.provider);
        let call = policy.initializeWithMultiplexer(account, id, init.to_vec().into());
        self.send(from, call).await
    }

    async fn check(
        &self,
        from: Address,
        account: Address,
        id: B256,
        value: U256,
        data: &[u8],
    ) -> ChainResult {
        let policy = UniActionPolicy::new(self.policy, &self.provider);
        let call = policy.checkAction(id, account, Address::ZERO, value, data.to_vec().into());
        self.send(from, call).await
    }

    /// `(rule index, used)` of every active limited rule of the stored config.
    async fn used(&self, from: Address, account: Address, id: B256) -> Vec<(usize, U256)> {
        let policy = UniActionPolicy::new(self.policy, &self.provider);
        let c = policy.actionConfigs(id, from, account).call().await;
        let c = c.expect("actionConfigs");
        let n = usize::try_from(c.paramRules.length).unwrap_or(16).min(16);
        c.paramRules.rules[..n]
            .iter()
            .enumerate()
            .filter(|(_, r)| r.isLimited)
            .map(|(i, r)| (i, r.usage.used))
            .collect()
    }
}

async fn chain() -> (Devnet, Chain<impl Provider>) {
    let devnet =
        Devnet::start_with(Options { bundler: false, ..Default::default() }).await.expect("devnet");
    let provider = ProviderBuilder::new().connect_http(devnet.rpc_url.parse().expect("url"));
    let policy = devnet.addresses.uni_action_policy;
    (devnet, Chain { provider, policy })
}

fn de<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("vector field {v}: {e}"))
}

/// A chain result in the vectors' notation: `"0"`, `"1"`, `"revert: 0x<data>"`.
fn notation(r: &ChainResult) -> String {
    match r {
        Ok(v) => v.to_string(),
        Err(d) if d.is_empty() => "revert: empty revert data".into(),
        Err(d) => format!("revert: {d}"),
    }
}

/// Whether the stand-in's `got` (in [`notation`]) is the recorded `expected`
/// (`revert: <ErrorName> 0x<data>` / `revert: empty revert data` / a number): the revert data
/// must be the same bytes.
fn same(got: &str, expected: &str) -> bool {
    match expected.strip_prefix("revert: ") {
        Some("empty revert data") => got == "revert: empty revert data",
        Some(rest) => {
            let data = rest.split_whitespace().last().unwrap_or_default().to_ascii_lowercase();
            got.strip_prefix("revert: ").is_some_and(|g| g.eq_ignore_ascii_case(&data))
        }
        None => got == expected,
    }
}

fn used_json(used: &[(usize, U256)]) -> Value {
    used.iter().map(|(i, u)| json!({ "rule": i, "used": u.to_string() })).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_policy_vectors_through_the_stand_in() {
    let (_devnet, chain) = chain().await;
    let file: Value = serde_json::from_str(CURRENT).expect("current.json");
    let mut failures = Vec::new();
    let mut count = 0;
    for (i, v) in file["vectors"].as_array().expect("vectors").iter().enumerate() {
        let function = v["function"].as_str().unwrap_or_default();
        if !function.starts_with("UniActionPolicy.") {
            continue;
        }
        count += 1;
        let inp = &v["inputs"];
        let (id, account, mux): (B256, Address, Address) =
            (de(&inp["configId"]), de(&inp["account"]), de(&inp["multiplexer"]));
        let init: Bytes = de(&inp["initData"]);
        let snapshot = chain.provider.anvil_snapshot().await.expect("snapshot");
        chain.impersonate(mux).await;
        let init_result = chain.init(mux, account, id, &init).await;
        let (got, expected) = match function {
            "UniActionPolicy.checkAction" => {
                assert!(
                    init_result.is_ok(),
                    "current#{i}: the recorded init reverted on the stand-in"
                );
                let mut out = Vec::new();
                for c in inp["calls"].as_array().expect("calls") {
                    let value = U256::from_str_radix(c["value"].as_str().expect("value"), 10)
                        .expect("value");
                    let data: Bytes = de(&c["data"]);
                    let r = chain.check(mux, account, id, value, &data).await;
                    out.push((notation(&r), used_json(&chain.used(mux, account, id).await)));
                }
                let exp: Vec<(String, Value)> = v["output"]
                    .as_array()
                    .expect("output")
                    .iter()
                    .map(|o| {
                        (o["result"].as_str().expect("result").to_string(), o["usedAfter"].clone())
                    })
                    .collect();
                let ok = out.len() == exp.len()
                    && out.iter().zip(&exp).all(|(g, e)| same(&g.0, &e.0) && g.1 == e.1);
                (ok, format!("{out:?}"))
            }
            "UniActionPolicy.initializeWithMultiplexer" => {
                let probe = &inp["probeCall"];
                let value = U256::from_str_radix(probe["value"].as_str().expect("value"), 10)
                    .expect("value");
                let data: Bytes = de(&probe["data"]);
                let after = chain.check(mux, account, id, value, &data).await;
                let init_s = match &init_result {
                    Ok(_) => "ok".to_string(),
                    Err(_) => notation(&init_result),
                };
                let e = &v["output"];
                let exp_init = e["init"].as_str().expect("init");
                let ok =
                    (if exp_init.starts_with("revert") {
                        same(&init_s, exp_init)
                    } else {
                        init_s == "ok"
                    }) && same(&notation(&after), e["checkActionAfter"].as_str().expect("after"));
                (ok, format!("init {init_s}, checkActionAfter {}", notation(&after)))
            }
            other => panic!("current#{i}: no replay for {other}"),
        };
        if !got {
            failures.push(format!(
                "current#{i} {function}:\n  recorded  {}\n  stand-in  {expected}",
                v["output"]
            ));
        }
        assert!(chain.provider.anvil_revert(snapshot).await.expect("revert"), "snapshot");
    }
    assert!(count >= 29, "only {count} UniActionPolicy vectors found");
    assert!(
        failures.is_empty(),
        "the stand-in differs from the deployed UniActionPolicy on {} of {count} vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{count} recorded UniActionPolicy vectors reproduced by the stand-in");
}

/// `SplitMix64`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn small(&mut self, n: u64) -> U256 {
        U256::from(self.below(n))
    }
    fn b256(&mut self) -> B256 {
        B256::from(U256::from_limbs([self.next(), self.next(), self.next(), self.next()]))
    }
}

fn random_rule(r: &mut Rng) -> ParamRule {
    let condition = if r.chance(2) { 7 + r.below(3) as u8 } else { r.below(7) as u8 };
    let offset = match r.below(20) {
        0 => r.below(70),
        1 => [200, u64::MAX][r.below(2) as usize],
        _ => 32 * r.below(3),
    };
    let reference = if condition == 6 {
        let lo = r.below(60);
        B256::from((U256::from(lo) << 128) | U256::from(lo + r.below(60)))
    } else if condition == 0 {
        B256::from(r.small(8))
    } else {
        B256::from(r.small(100))
    };
    let used = if r.chance(3) { U256::MAX - r.small(3) } else { r.small(50) };
    ParamRule {
        condition,
        offset,
        isLimited: r.chance(40),
        r#ref: reference,
        usage: LimitUsage { limit: r.small(400), used },
    }
}

/// Random init data: 0 to 17 rules (the first `length` of 16 slots; 17 overflows the array),
/// sometimes with a dirtied byte in a word the ABI decoder validates.
fn random_init(r: &mut Rng) -> Vec<u8> {
    let length = match r.below(10) {
        0 => 0,
        1 => 16 + r.below(2),
        _ => 1 + r.below(3),
    };
    let rules: [ParamRule; 16] = std::array::from_fn(|i| {
        if (i as u64) < length.min(16) || r.chance(10) {
            random_rule(r)
        } else {
            ParamRule::default()
        }
    });
    // `ActionConfig { valueLimitPerUse, paramRules }`: static, so its encoding is the tuple's
    let config = (r.small(5), ParamRules { length: U256::from(length), rules });
    let mut init = config.abi_encode();
    if r.chance(10) {
        // rule i's `isLimited` word (or its condition's / offset's) gets a high byte set
        let word = 2 + 6 * r.below(length.clamp(1, 16)) + r.below(3);
        init[(word as usize) * 32] ^= 1 + r.below(255) as u8;
    }
    init
}

fn random_call(r: &mut Rng) -> (U256, Vec<u8>) {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    let words = if r.chance(85) { 3 + r.below(2) } else { r.below(3) };
    for _ in 0..words {
        let w = match r.below(20) {
            0 => U256::MAX - r.small(2),
            1..=8 => r.small(8),
            _ => r.small(120),
        };
        data.extend(w.to_be_bytes::<32>());
    }
    if r.chance(5) {
        data.truncate(data.len().saturating_sub(1 + r.below(8) as usize));
    }
    let value = if r.chance(80) { U256::ZERO } else { r.small(7) };
    (value, data)
}

/// The evaluator's answer in the stand-in's terms: the returned value, or the revert data the
/// contract gives for that reason (`id`, `account` as in the call, the multiplexer's address).
fn evaluator_result(
    policy: Option<&mut Evaluator>,
    id: B256,
    account: Address,
    value: U256,
    data: &[u8],
) -> ChainResult {
    let not_init = || PolicyNotInitialized { id, multiplexer: MULTIPLEXER, account }.abi_encode();
    let Some(p) = policy else { return Err(not_init().into()) };
    match p.check_action(value, data) {
        Ok(()) => Ok(U256::ZERO),
        Err(rej) => match rej.outcome {
            Outcome::Violation(_) => Ok(U256::from(1)),
            Outcome::Revert(Revert::NotInitialized) => Err(not_init().into()),
            Outcome::Revert(Revert::ValueLimitExceeded { value, limit }) => {
                Err(ValueLimitExceeded { id, value, limit }.abi_encode().into())
            }
            Outcome::Revert(Revert::Overflow { .. }) => {
                Err(Panic { code: U256::from(0x11) }.abi_encode().into())
            }
            // calldata slices out of range revert without data
            Outcome::Revert(Revert::CalldataTooShort { .. }) => Err(Bytes::new()),
            Outcome::Revert(other) => panic!("the evaluator reverted with {other:?}"),
        },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stand_in_and_evaluator_agree_on_random_rules_and_calls() {
    let seed: u64 =
        std::env::var("STANDIN_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5747_d1a5);
    let cases: usize =
        std::env::var("STANDIN_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64);
    let (_devnet, chain) = chain().await;
    chain.impersonate(MULTIPLEXER).await;
    let mut r = Rng(seed);
    let mut failures = Vec::new();
    let (mut inits_ok, mut calls, mut passes, mut fails, mut reverts) = (0, 0, 0, 0, 0);
    for case in 0..cases {
        let (id, account) = (r.b256(), Address::from_word(r.b256()));
        let init = random_init(&mut r);
        let on_chain = chain.init(MULTIPLEXER, account, id, &init).await;
        let mut model = Evaluator::initialize(&init).ok();
        if on_chain.is_ok() != model.is_some() {
            failures.push(format!(
                "case {case}: init on chain {}, evaluator {}\n  initData 0x{}",
                notation(&on_chain),
                if model.is_some() { "ok" } else { "refused" },
                hex::encode(&init)
            ));
            continue;
        }
        inits_ok += usize::from(model.is_some());
        for step in 0..1 + r.below(4) {
            let (value, data) = random_call(&mut r);
            let got = chain.check(MULTIPLEXER, account, id, value, &data).await;
            let want = evaluator_result(model.as_mut(), id, account, value, &data);
            calls += 1;
            match &got {
                Ok(v) if v.is_zero() => passes += 1,
                Ok(_) => fails += 1,
                Err(_) => reverts += 1,
            }
            let used_chain = chain.used(MULTIPLEXER, account, id).await;
            let used_model = model.as_ref().map(Evaluator::used).unwrap_or_default();
            if got != want || used_chain != used_model {
                failures.push(format!(
                    "case {case} call {step}: stand-in {} used {used_chain:?}, evaluator {} used {used_model:?}\n  \
                     initData 0x{}\n  value {value} data 0x{}",
                    notation(&got),
                    notation(&want),
                    hex::encode(&init),
                    hex::encode(&data)
                ));
                break;
            }
        }
    }
    println!(
        "seed {seed}: {cases} rule sets ({inits_ok} initialised), {calls} calls: {passes} passed, \
         {fails} failed, {reverts} reverted, on the stand-in and the evaluator alike"
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ (seed {seed}):\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
    // a generator that never reaches some outcome would prove little about it
    assert!(
        inits_ok * 2 > cases && passes > 0 && fails > 0 && reverts > 0,
        "too one-sided a sample"
    );
}
