//! Differential test against the TypeScript reference (module-sdk 0.4.0 / 0.2.3 / 0.1.32, viem,
//! solady JS), pinned in `tests/reference/package-lock.json`.
//!
//! A seeded generator draws at least 1,000 random cases per function; each goes through this
//! crate's `eval` and through `tests/reference/reference.mjs`, and every output byte is compared.
//! A mismatch prints the request. Set `DIFF_SEED` to replay another seed, `DIFF_CASES` to change
//! the number of cases per function.
//!
//! `decoders_agree_on_rust_encoded_signatures` feeds signatures this crate encoded (and truncated
//! ones) to both decoders (ours and module-sdk's `decodeSmartSessionSignature`) and compares the
//! decoded fields. What in `reference.mjs` is a published SDK function and what is our own
//! JavaScript model is listed at its top; the own models of the session and multichain digests
//! are cross-checked there against module-sdk's `hashChainSessions` on every request.
//!
//! The reference's npm packages are installed on first use (`npm ci` from the committed lock
//! file); `node` and `npm` must be on the PATH.

use serde_json::{Value, json};
use smart_sessions_cli::eval::eval_request;
use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Stdio},
};

/// `SplitMix64`: small, seedable, good enough to spread cases.
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
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn hex(&mut self, n: usize) -> String {
        format!("0x{}", alloy_primitives::hex::encode(self.bytes(n)))
    }
    fn len(&mut self, max: u64) -> usize {
        // mostly short, sometimes long
        if self.chance(80) {
            self.below(max.min(70) + 1) as usize
        } else {
            self.below(max + 1) as usize
        }
    }
    fn bytes_hex(&mut self, max: u64) -> String {
        let n = self.len(max);
        self.hex(n)
    }
    fn address(&mut self) -> String {
        match self.below(10) {
            0 => "0x0000000000000000000000000000000000000001".into(),
            1 => "0x0000000000000000000000000000000000000000".into(),
            _ => self.hex(20),
        }
    }
    fn uint(&mut self, bits: u32) -> String {
        let v = match self.below(4) {
            0 => alloy_primitives::U256::from(self.below(1000)),
            1 => alloy_primitives::U256::from(self.next()),
            _ => alloy_primitives::U256::from_be_slice(&self.bytes(32)),
        };
        let mask = if bits == 256 {
            alloy_primitives::U256::MAX
        } else {
            (alloy_primitives::U256::from(1) << bits) - alloy_primitives::U256::from(1)
        };
        (v & mask).to_string()
    }
    fn string(&mut self) -> String {
        const WORDS: [&str; 8] =
            ["Permit", "Mail(address to,string contents)", "", " ", "Ω≈ç", "Transfer", "x", "🙂"];
        (0..self.below(3)).map(|_| WORDS[self.below(8) as usize]).collect::<Vec<_>>().join("")
    }
}

fn policy(r: &mut Rng) -> Value {
    json!({ "policy": r.address(), "initData": r.bytes_hex(400) })
}

fn policies(r: &mut Rng, max: u64) -> Vec<Value> {
    (0..r.below(max + 1)).map(|_| policy(r)).collect()
}

fn action(r: &mut Rng) -> Value {
    let (target, selector) = match r.below(8) {
        0 => ("0x0000000000000000000000000000000000000001".to_string(), "0x00000001".to_string()),
        1 => ("0x0000000000000000000000000000000000000001".to_string(), "0x00000002".to_string()),
        _ => (r.address(), r.hex(4)),
    };
    json!({ "actionTarget": target, "actionTargetSelector": selector, "actionPolicies": policies(r, 3) })
}

fn session(r: &mut Rng, generation: &str) -> Value {
    let actions: Vec<Value> = (0..r.below(4)).map(|_| action(r)).collect();
    let mut s = json!({
        "sessionValidator": r.address(),
        "sessionValidatorInitData": r.bytes_hex(200),
        "salt": r.hex(32),
        "userOpPolicies": policies(r, 2),
        "actions": actions,
    });
    if generation == "legacy" {
        let names: Vec<String> = (0..r.below(3)).map(|_| r.string()).collect();
        s["erc7739Policies"] =
            json!({ "allowedERC7739Content": names, "erc1271Policies": policies(r, 2) });
    } else {
        let contexts: Vec<Value> = (0..r.below(3))
            .map(|_| {
                let names: Vec<String> = (0..r.below(3)).map(|_| r.string()).collect();
                json!({ "appDomainSeparator": r.hex(32), "contentName": names })
            })
            .collect();
        s["erc7739Policies"] =
            json!({ "allowedERC7739Content": contexts, "erc1271Policies": policies(r, 2) });
        s["permitERC4337Paymaster"] = json!(r.chance(50));
    }
    s
}

fn digests(r: &mut Rng) -> Vec<Value> {
    (0..1 + r.below(4))
        .map(|_| json!({ "chainId": r.uint(64), "sessionDigest": r.hex(32) }))
        .collect()
}

fn rule(r: &mut Rng) -> Value {
    json!({
        "condition": r.below(7),
        "offset": r.uint(64),
        "isLimited": r.chance(50),
        "ref": r.hex(32),
        "usage": { "limit": r.uint(256), "used": r.uint(256) },
    })
}

fn flz_input(r: &mut Rng) -> String {
    let data: Vec<u8> = match r.below(4) {
        0 => {
            let n = r.len(4096);
            r.bytes(n)
        }
        1 => {
            // ABI-like: words with long zero runs
            let mut d = Vec::new();
            for _ in 0..r.below(128) {
                let mut w = [0u8; 32];
                let k = r.below(33) as usize;
                let b = r.bytes(k);
                w[32 - k..].copy_from_slice(&b);
                d.extend_from_slice(&w);
            }
            d
        }
        2 => {
            // repeats of a few patterns
            let pats: Vec<Vec<u8>> = (0..3)
                .map(|_| {
                    let n = 1 + r.below(20) as usize;
                    r.bytes(n)
                })
                .collect();
            let mut d = Vec::new();
            for _ in 0..r.below(300) {
                d.extend_from_slice(&pats[r.below(3) as usize]);
            }
            d
        }
        _ => {
            // 24-bit values whose float hash diverges from the exact one, among noise
            let divergent: [u32; 4] = [3_883_895, 4_408_183, 4_932_471, 5_456_759];
            let mut d = Vec::new();
            for _ in 0..r.below(200) {
                if r.chance(50) {
                    d.extend_from_slice(&divergent[r.below(4) as usize].to_le_bytes()[..3]);
                } else {
                    let n = r.below(6) as usize;
                    d.extend_from_slice(&r.bytes(n));
                }
            }
            d
        }
    };
    format!("0x{}", alloy_primitives::hex::encode(data))
}

const FUNCTIONS: &[&str] = &[
    "getPermissionId",
    "getActionId",
    "configIds",
    "getUniversalActionPolicy",
    "getTimeFramePolicy",
    "getUsageLimitPolicy",
    "getValueLimitPolicy",
    "getSpendingLimitsPolicy",
    "getSmartSessionsValidator.initData",
    "getEnableSessionsAction.callData",
    "getSessionDigest",
    "multichainDigest",
    "hashChainSessions",
    "encodeSmartSessionSignature",
    "LibZip.flzCompress",
    "erc7579.executeSingle",
    "erc7579.executeBatch",
    "nexus.nonceKey",
];

fn request(r: &mut Rng, function: &str) -> Value {
    let generation = ["current", "v1", "legacy"][r.below(3) as usize];
    let inputs = match function {
        "getPermissionId" => json!({
            "sessionValidator": r.address(), "sessionValidatorInitData": r.bytes_hex(300), "salt": r.hex(32),
        }),
        "getActionId" => json!({ "target": r.address(), "selector": r.hex(4) }),
        "configIds" => {
            let ids: Vec<String> = (0..r.below(4)).map(|_| r.hex(32)).collect();
            json!({ "permissionId": r.hex(32), "account": r.address(), "actionIds": ids })
        }
        "getUniversalActionPolicy" => {
            let rules: Vec<Value> = (0..16).map(|_| rule(r)).collect();
            json!({ "valueLimitPerUse": r.uint(256), "length": r.below(17).to_string(), "rules": rules })
        }
        "getTimeFramePolicy" => {
            json!({ "validUntil": r.below(1 << 48), "validAfter": r.below(1 << 48) })
        }
        "getUsageLimitPolicy" => json!({ "limit": r.uint(128) }),
        "getValueLimitPolicy" => json!({ "limit": r.uint(256) }),
        "getSpendingLimitsPolicy" => {
            let params: Vec<Value> = (0..r.below(5))
                .map(|_| json!({ "token": r.address(), "limit": r.uint(256) }))
                .collect();
            json!({ "params": params })
        }
        "getSmartSessionsValidator.initData" | "getEnableSessionsAction.callData" => {
            let sessions: Vec<Value> = (0..r.below(3)).map(|_| session(r, generation)).collect();
            json!({ "sessions": sessions, "useRegistry": r.chance(50) })
        }
        "getSessionDigest" => json!({
            "session": session(r, generation),
            "account": r.address(),
            "mode": (["0x01", "0x02"][r.below(2) as usize]),
            "nonce": r.uint(256),
            "smartSession": r.address(),
        }),
        "multichainDigest" => json!({ "hashesAndChainIds": digests(r) }),
        "hashChainSessions" => {
            let list: Vec<Value> = (0..1 + r.below(3))
                .map(|_| {
                    let s = session(r, generation);
                    let mut signed = json!({
                        "account": r.address(),
                        "smartSession": r.address(),
                        "nonce": r.uint(256),
                        "sessionValidator": s["sessionValidator"],
                        "sessionValidatorInitData": s["sessionValidatorInitData"],
                        "salt": s["salt"],
                    });
                    if generation == "legacy" {
                        signed["mode"] = json!(1 + r.below(2));
                        signed["userOpPolicies"] = s["userOpPolicies"].clone();
                        signed["erc7739Policies"] = s["erc7739Policies"].clone();
                        signed["actions"] = s["actions"].clone();
                    } else {
                        signed["permissions"] = json!({
                            "permitGenericPolicy": r.chance(50),
                            "permitAdminAccess": r.chance(50),
                            "ignoreSecurityAttestations": r.chance(50),
                            "permitERC4337Paymaster": r.chance(50),
                            "userOpPolicies": s["userOpPolicies"],
                            "erc7739Policies": s["erc7739Policies"],
                            "actions": s["actions"],
                        });
                    }
                    json!({ "chainId": r.uint(64), "session": signed })
                })
                .collect();
            json!({ "chainSessions": list })
        }
        "encodeSmartSessionSignature" => {
            let mode = r.below(3);
            let mut i = json!({
                "mode": format!("0x{mode:02x}"),
                "permissionId": r.hex(32),
                "signature": r.bytes_hex(200),
            });
            if mode > 0 {
                let d = digests(r);
                let index = r.below(d.len() as u64);
                i["enableSessionData"] = json!({
                    "enableSession": {
                        "chainDigestIndex": index,
                        "hashesAndChainIds": d,
                        "sessionToEnable": session(r, generation),
                        "permissionEnableSig": r.bytes_hex(100),
                    },
                    "validator": r.address(),
                    "accountType": (["nexus", "safe", "erc7579-implementation", "kernel"][r.below(4) as usize]),
                });
            }
            i
        }
        "LibZip.flzCompress" => json!({ "data": flz_input(r) }),
        "erc7579.executeSingle" => json!({
            "mode": format!("0x{}", "00".repeat(32)),
            "executions": [{ "target": r.address(), "value": r.uint(256), "callData": r.bytes_hex(300) }],
        }),
        "erc7579.executeBatch" => {
            let list: Vec<Value> = (0..r.below(5))
                .map(|_| json!({ "target": r.address(), "value": r.uint(256), "callData": r.bytes_hex(300) }))
                .collect();
            json!({ "mode": format!("0x01{}", "00".repeat(31)), "executions": list })
        }
        "nexus.nonceKey" => json!({
            "validator": r.address(),
            "batchKey": r.below(1 << 24),
            "validationMode": (["0x00", "0x01"][r.below(2) as usize]),
            "sequence": r.uint(64),
        }),
        other => panic!("no generator for {other}"),
    };
    json!({ "function": function, "generation": generation, "inputs": inputs })
}

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference")
}

/// Installs the pinned npm packages of the reference when they are missing.
fn ensure_reference_installed() {
    let dir = reference_dir();
    if dir.join("node_modules/.package-lock.json").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .unwrap_or_else(|e| panic!("the differential test needs Node.js and npm on the PATH: {e}"));
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

fn run_reference(requests: &[Value]) -> Vec<Value> {
    ensure_reference_installed();
    let mut child = Command::new("node")
        .arg("reference.mjs")
        .current_dir(reference_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("the differential test needs Node.js on the PATH: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("node reference.mjs");
    writer.join().expect("writer thread").expect("write requests");
    assert!(out.status.success(), "reference.mjs exited with {}", out.status);
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("reference answers JSON"))
        .collect()
}

fn normalise(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("0x") => Value::String(s.to_ascii_lowercase()),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalise(v))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn rust_and_typescript_agree_on_random_inputs() {
    let seed: u64 =
        std::env::var("DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_5e55_1015);
    let per_function: usize =
        std::env::var("DIFF_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let mut rng = Rng(seed);
    let requests: Vec<Value> = FUNCTIONS
        .iter()
        .flat_map(|f| (0..per_function).map(|_| *f).collect::<Vec<_>>())
        .map(|f| request(&mut rng, f))
        .collect();
    let reference = run_reference(&requests);
    assert_eq!(
        reference.len(),
        requests.len(),
        "the reference answered a different number of lines"
    );
    let mut failures = Vec::new();
    let mut both_refused = 0;
    for (req, theirs) in requests.iter().zip(&reference) {
        let ours = eval_request(req);
        match (ours, theirs.get("output")) {
            (Ok(o), Some(t)) if normalise(&o) == normalise(t) => {}
            (Err(_), None) => both_refused += 1,
            (ours, _) => failures.push(format!(
                "request {req}\n  rust:       {}\n  typescript: {theirs}",
                match ours {
                    Ok(o) => o.to_string(),
                    Err(e) => format!("error {e}"),
                }
            )),
        }
    }
    println!(
        "seed {seed}: {} cases ({per_function} per function), {both_refused} refused by both",
        requests.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ (seed {seed}); first ones:\n{}",
        failures.len(),
        requests.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
    // A generator that makes both sides refuse everything would prove nothing.
    assert!(both_refused * 20 < requests.len(), "{both_refused} cases refused by both sides");
}

#[test]
fn decoders_agree_on_rust_encoded_signatures() {
    let seed: u64 =
        std::env::var("DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x00de_c0de_5eed);
    let cases: usize =
        std::env::var("DIFF_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let mut rng = Rng(seed);
    let mut requests = Vec::new();
    let mut cut = Vec::new();
    while requests.len() < cases {
        let enc = request(&mut rng, "encodeSmartSessionSignature");
        let Ok(sig) = eval_request(&enc) else { continue };
        let mut sig = sig.as_str().expect("a signature is hex").to_string();
        // one in five: cut the signature short (both decoders must refuse, or agree)
        let truncate = rng.chance(20);
        if truncate {
            let keep = 2 + 2 * rng.below((sig.len() as u64 - 2) / 2) as usize;
            sig.truncate(keep);
        }
        cut.push(truncate);
        requests.push(json!({
            "function": "decodeSmartSessionSignature",
            "generation": enc["generation"],
            "inputs": { "signature": sig },
        }));
    }
    let reference = run_reference(&requests);
    assert_eq!(reference.len(), requests.len());
    let mut failures = Vec::new();
    let (mut decoded, mut both_refused, mut stricter, mut empty_tail) = (0, 0, 0, 0);
    for ((req, theirs), truncated) in requests.iter().zip(&reference).zip(&cut) {
        match (eval_request(req), theirs.get("output")) {
            (Ok(o), Some(t)) if normalise(&o) == normalise(t) => decoded += 1,
            (Err(_), None) => both_refused += 1,
            // A known, deliberate difference: solady's JS flzDecompress (like the Solidity one)
            // reads past the end of a truncated stream as zeros; ours refuses the stream. Only
            // accepted for signatures this test cut short.
            (Err(e), Some(_)) if *truncated && e.to_string().contains("malformed stream") => {
                stricter += 1
            }
            // A quirk of the reference: viem's `slice(hex, start)` throws when `start` is the
            // end, so module-sdk cannot decode an empty inner signature or a permissionEnableSig
            // that is exactly the 20-byte validator. Accepted only where our decode is that.
            (Ok(o), None)
                if theirs["error"].as_str().is_some_and(|e| e.contains("is out-of-bounds"))
                    && (o["signature"] == "0x"
                        || o["enableSession"]["permissionEnableSig"]
                            .as_str()
                            .is_some_and(|p| p.len() == 42)) =>
            {
                empty_tail += 1
            }
            (ours, _) => failures.push(format!(
                "request {req}\n  rust:       {}\n  typescript: {theirs}",
                match ours {
                    Ok(o) => o.to_string(),
                    Err(e) => format!("error {e}"),
                }
            )),
        }
    }
    println!(
        "seed {seed}: {} signatures ({} truncated): {decoded} decoded alike, {both_refused} refused by both, \
         {stricter} truncated FastLZ streams refused by us and zero-filled by solady, \
         {empty_tail} empty tails module-sdk cannot slice",
        requests.len(),
        cut.iter().filter(|c| **c).count()
    );
    assert!(
        failures.is_empty(),
        "{} of {} decodes differ (seed {seed}); first ones:\n{}",
        failures.len(),
        requests.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(decoded * 2 > requests.len(), "only {decoded} signatures decoded");
}
