//! The devnet's child processes: free ports, readiness polls, Alto's command line (with why each
//! flag is set), the draining of their standard error, and stopping detached processes by PID.

use crate::{DevnetError, ENTRY_POINT, Result, rpc};
use alloy_primitives::{B256, hex};
use alloy_provider::{Provider, ProviderBuilder};
use std::{
    collections::VecDeque,
    io::{BufRead, BufReader, Read},
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How many of a process's last standard-error lines [`LogTail`] keeps.
const TAIL_LINES: usize = 400;

/// A free TCP port on 127.0.0.1.
pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls `url` with `method` until it answers (or `child` exits, or `timeout` passes).
pub(crate) async fn wait_rpc(
    url: &str,
    method: &'static str,
    what: &'static str,
    timeout: Duration,
    child: &mut Child,
) -> Result<()> {
    let start = Instant::now();
    let provider = ProviderBuilder::new().connect_http(url.parse().map_err(rpc("URL"))?);
    loop {
        let ready: Result<serde_json::Value, _> =
            provider.raw_request(method.into(), Vec::<()>::new()).await;
        if ready.is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut out = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut out);
            }
            return Err(DevnetError::Command {
                what: format!("{what} (exited with {status})"),
                output: out.trim().chars().take(2000).collect(),
            });
        }
        if start.elapsed() > timeout {
            return Err(DevnetError::Timeout { what, after: timeout });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The last lines a child process wrote to its standard output and error, read by threads of
/// their own for as long as the process runs.
///
/// The devnet drains every pipe it gives a child: a pipe nobody reads fills up (64 KiB on Linux)
/// and the child then blocks on its next write (Node writes to pipes synchronously), which would
/// look like a bundler that stopped answering.
#[derive(Clone, Debug, Default)]
pub struct LogTail {
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl LogTail {
    /// Starts draining `stream` into this tail (the thread ends when the process closes it).
    pub(crate) fn drain(&self, stream: impl Read + Send + 'static) {
        let lines = self.lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                let mut l = lines.lock().unwrap_or_else(PoisonError::into_inner);
                if l.len() == TAIL_LINES {
                    l.pop_front();
                }
                l.push_back(line);
            }
        });
    }

    /// The kept lines (at most the last 400), oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }
}

/// Alto's command line (standard output and error piped: drain both with [`LogTail`]) (run from the devnet's npm directory `node`, through
/// `force-localhost.cjs`). Besides the endpoints and keys:
///
/// - `--safe-mode false`: anvil has no `debug_traceCall` tracer Alto's ERC-7562 checks need;
/// - `--enforce-unique-senders-per-bundle false`: with the default (`true`) Alto puts at most
///   one operation of a sender in a bundle, so one account with many session keys (issue 12's
///   1,000-operation run: 50 keys × 20 on one account) is served one operation per bundle.
///   Operations of one sender on different nonce lanes are independent for the EntryPoint v0.7,
///   so one bundle may carry several. (This alone did not stop the losses of that run: reusing
///   fees in the client did, BENCHMARKS.md "Many session keys on one account".)
/// - `--mempool-max-parallel-ops 100` and `--mempool-max-queued-ops 10`: Alto's per-sender
///   mempool limits (operations of one sender on different nonce keys, and on one key with
///   consecutive nonces; defaults 10 and 0). Alto 0.0.20 declares them but never calls the check
///   (`validateSenderLimits` has no caller), so today they change nothing; they are set so that
///   a version that enforces them still holds 50 concurrent lanes of one account (and refuses
///   with `AA25 … Maximum number of parallel user operations …`, which the client treats as a
///   refusal, not a loss).
pub(crate) fn alto_command(node: &Path, rpc_url: &str, port: u16, keys: [B256; 2]) -> Command {
    let mut c = Command::new("node");
    c.current_dir(node).args([
        "-r",
        "./force-localhost.cjs",
        "node_modules/@pimlico/alto/esm/cli/alto.js",
        "--entrypoints",
        &ENTRY_POINT.to_string(),
        "--rpc-url",
        rpc_url,
        "--port",
        &port.to_string(),
        "--executor-private-keys",
        &hex::encode_prefixed(keys[0]),
        "--utility-private-key",
        &hex::encode_prefixed(keys[1]),
        "--safe-mode",
        "false",
        "--enforce-unique-senders-per-bundle",
        "false",
        "--mempool-max-parallel-ops",
        "100",
        "--mempool-max-queued-ops",
        "10",
        "--log-level",
        "warn",
    ]);
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Stops detached devnet processes by PID (`kill`, then `kill -9` after a second).
pub fn stop_pids(pids: &[u32]) {
    let alive = |pid: u32| std::path::Path::new(&format!("/proc/{pid}")).exists();
    for pid in pids {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    let deadline = Instant::now() + Duration::from_secs(1);
    while pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in pids.iter().filter(|p| alive(**p)) {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
}
