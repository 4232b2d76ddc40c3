//! The README's first command: the demo completes every step on the embedded devnet.

use std::process::Command;

#[test]
fn the_demo_runs_every_step_and_exits_0() {
    let out = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .args(["--json", "demo"])
        .output()
        .expect("run the demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    let steps = v["output"]["steps"].as_array().expect("steps");
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap_or("")).collect();
    assert_eq!(steps.len(), 12, "{names:?}");
    let result = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .map(|s| s["result"].as_str().unwrap_or("").to_string())
            .unwrap()
    };
    assert!(result("try to transfer 700: refused off-chain").contains("rule 1"));
    assert!(result("send it anyway: refused on chain").contains("PolicyViolation"));
    // the session key's client reads the revocation from the chain and sends nothing
    assert!(result("use the revoked permission").contains("is not enabled"));
    assert_eq!(result("remaining budget"), "600 of 1000 left");
    // user operations carry their hash and gas
    let sent = steps.iter().filter(|s| s["userOpHash"].is_string()).count();
    assert_eq!(sent, 5);
    // round trips are counted per step; a steady-state step stays small
    let rtt = |name: &str| {
        steps.iter().find(|s| s["step"] == name).unwrap()["roundTrips"].as_u64().unwrap()
    };
    assert!(rtt("install Smart Sessions") >= 4, "estimate, send, receipt at least");
    assert_eq!(rtt("try to transfer 700: refused off-chain"), 0, "refused from the cached state");
}
