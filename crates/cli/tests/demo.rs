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
    // a refusal is re-checked on one fresh read of the policies before it is reported (the
    // client's pre-check, issue 12 item 4): one round trip, nothing sent
    assert_eq!(rtt("try to transfer 700: refused off-chain"), 1, "one fresh read, nothing sent");
}

/// Issue 13 item 6: `demo --keep --json` reports the kept devnet's PIDs, chain id, addresses and
/// URLs; the RPC URL answers with that chain id, and killing the PIDs stops the devnet.
#[test]
fn demo_keep_json_reports_what_it_left_running() {
    let out = Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .args(["--json", "demo", "--keep"])
        .output()
        .expect("run the demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    let kept = &v["output"]["kept"];
    let pids: Vec<u32> = kept["pids"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|p| p.as_u64().unwrap() as u32)
        .collect();
    // stop what was left running, whatever the assertions below say
    struct Kill(Vec<u32>);
    impl Drop for Kill {
        fn drop(&mut self) {
            for p in &self.0 {
                let _ = Command::new("kill").arg(p.to_string()).status();
            }
        }
    }
    let kill = Kill(pids.clone());
    assert!(out.status.success(), "{v}");
    assert!(pids.len() >= 2, "anvil and Alto: {pids:?}");
    for p in &pids {
        assert!(std::path::Path::new(&format!("/proc/{p}")).exists(), "PID {p} is running");
    }
    assert_eq!(kept["chainId"], 31337);
    let smart_session = kept["addresses"]["smartSession"].as_str().unwrap();
    assert!(smart_session.starts_with("0x") && smart_session.len() == 42, "{kept}");
    assert!(v["output"]["bundlerUrl"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    // the RPC URL is the kept chain's
    let rpc = v["output"]["rpcUrl"].as_str().unwrap();
    let addr = rpc.trim_start_matches("http://").trim_end_matches('/');
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    use std::io::{Read, Write};
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.contains(r#""result":"0x7a69""#), "{answer}");
    drop(kill);
    // gone, or a zombie waiting for its (exited) parent's reaper; within 15 s (a loaded machine
    // takes its time delivering and handling SIGTERM)
    let stat = |p: &u32| std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
    let stopped = |p: &u32| {
        let s = stat(p);
        s.is_empty() || s.contains(") Z ")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !pids.iter().all(stopped) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    for p in &pids {
        assert!(stopped(p), "PID {p} still running: {}", stat(p));
    }
}

/// Issue 16: `demo --mee --json` runs seed 003's Complete Flow through the local MEE node on two
/// chains and exits 0; every step is reported, the ENABLE_AND_USE and sponsored steps carry a
/// supertransaction hash, and the refused call sent nothing to the node.
#[test]
fn the_mee_demo_runs_every_step_and_exits_0() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .args(["--json", "demo", "--mee"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let steps = v["output"]["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(steps.len(), 10, "{names:?}");
    let step = |name: &str| steps.iter().find(|s| s["name"] == name).unwrap();
    assert!(step("enable and use (both chains)")["supertransaction"].is_string());
    assert!(step("use (sponsored)")["supertransaction"].is_string());
    assert_eq!(step("refused call")["nodeCalls"], 0);
    assert!(v["output"]["kept"].is_null());
}
