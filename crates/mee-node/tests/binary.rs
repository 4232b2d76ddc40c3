//! The `smart-sessions-mee-node` binary as `cargo xtask devnet up --mee` drives it: started as a
//! child, its first stdout line is the summary JSON; SIGTERM to its PID stops the node and both
//! anvils (checked through `/proc`, Linux).

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn alive(pid: u64) -> bool {
    // a zombie (exited, not yet reaped by its parent) counts as stopped
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

#[test]
fn the_binary_prints_its_summary_and_stops_everything_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smart-sessions-mee-node"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let Ok(line) = rx.recv_timeout(Duration::from_secs(180)) else {
        let _ = child.kill();
        panic!("no summary line within 180 s");
    };
    let summary: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    assert_eq!(summary["nodePid"].as_u64(), Some(u64::from(child.id())));
    assert!(summary["meeUrl"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    assert!(summary["apiKey"].as_str().unwrap().starts_with("mee-local-"));
    assert_eq!(summary["meeVersion"]["version"], "1.1.0");
    let chains: Vec<u64> = summary["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chainId"].as_u64().unwrap())
        .collect();
    assert_eq!(chains, [8453, 10]);
    let anvils: Vec<u64> =
        summary["anvilPids"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()).collect();
    assert_eq!(anvils.len(), 2);
    assert!(anvils.iter().all(|p| alive(*p)), "the anvils run");

    let term = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(term.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("still running 30 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    let started = Instant::now();
    while anvils.iter().any(|p| alive(*p)) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "an anvil outlived the node: {anvils:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
