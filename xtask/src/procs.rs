//! The leak check of `cargo xtask test`: processes the test run started and left running.
//!
//! `cargo test` runs with [`MARKER`] set to a value unique to this run. Every process it starts
//! (test binaries, and the anvil / Alto / node processes they spawn) inherits it, so after the
//! run a process whose environment still holds it was started by the tests and leaked. A devnet
//! the user started before (`cargo xtask devnet up`, `smart-sessions demo --keep`) has no such
//! value and is not counted, nor is anything else on the machine.

use std::{
    path::Path,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// The environment variable that marks the processes of one `cargo xtask test` run.
pub(crate) const MARKER: &str = "SMART_SESSIONS_XTASK_TEST_RUN";

/// A value for [`MARKER`] that no other run uses (this process's id and the time).
pub(crate) fn new_run_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Whether this machine has `/proc` to read environments from (Linux).
pub(crate) fn supported() -> bool {
    Path::new("/proc/self/environ").exists()
}

/// `(pid, command line)` of every running process whose environment has `MARKER=run_id`.
pub(crate) fn marked(run_id: &str) -> Vec<(u32, String)> {
    let needle = format!("{MARKER}={run_id}");
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut out: Vec<(u32, String)> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // unreadable (gone, or another user's) environments are not ours
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()))
        })
        .map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd: Vec<String> = cmd
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            (pid, cmd.join(" "))
        })
        .collect();
    out.sort();
    out
}

/// The marked processes still running after waiting up to `grace` for them to exit (a process
/// the tests stopped a moment ago may still be on its way out).
pub(crate) fn leaked(run_id: &str, grace: Duration) -> Vec<(u32, String)> {
    let deadline = Instant::now() + grace;
    loop {
        let left = marked(run_id);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn finds_exactly_the_processes_started_with_this_runs_marker() {
        if !supported() {
            return;
        }
        let run = new_run_id();
        let mut ours = Command::new("sleep").arg("30").env(MARKER, &run).spawn().unwrap();
        let mut other_run =
            Command::new("sleep").arg("30").env(MARKER, format!("{run}x")).spawn().unwrap();
        let mut unmarked = Command::new("sleep").arg("30").spawn().unwrap();
        // between fork and exec a child still shows its parent's environment: wait for the exec
        let execed = |pid: u32| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep\0"))
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while ![&ours, &other_run, &unmarked].iter().all(|c| execed(c.id()))
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let found = marked(&run);
        for child in [&mut ours, &mut other_run, &mut unmarked] {
            child.kill().unwrap();
            child.wait().unwrap();
        }
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, ours.id());
        assert_eq!(found[0].1, "sleep 30");
        assert!(leaked(&run, Duration::from_secs(2)).is_empty(), "a stopped process counted");
    }
}
