//! What the `mee` CLI tests share: running the binary with the MEE variables cleared, and
//! reading its `--json` line.
#![allow(dead_code, unreachable_pub)]

use serde_json::Value;
use std::process::Command;

/// One run of the binary.
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The `--json` line's value (`{"output": …}` or an error object).
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Runs the binary with `env` set and the process's own MEE variables removed.
pub fn cli(env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_smart-sessions"));
    c.env_remove("SMART_SESSIONS_MEE_URL")
        .env_remove("SMART_SESSIONS_MEE_API_KEY")
        .env_remove("SMART_SESSIONS_MEE_RPC_URLS")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.args(args).output().unwrap();
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The string at `path` in `v`.
pub fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or_else(|| panic!("{path:?} in {v}"))
}
