//! Helpers of the offline-command tests (commands*.rs): running the binary, its output, a
//! JSON-RPC stand-in of our own and a session-details file. Each test file uses some of them.

#![allow(dead_code, unreachable_pub, unused_imports)]

pub use std::io::Write;
pub use std::process::{Command, Output, Stdio};

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smart-sessions"))
        .args(args)
        .output()
        .expect("run smart-sessions")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

/// A JSON-RPC server of our own on 127.0.0.1 (a stand-in for a node or a bundler, not either):
/// answers each method from `answers` (`Ok(result)` or `Err(message)` as a JSON-RPC error), every
/// other method with the error `fallback`, and records the methods asked. Serves until the test
/// process ends.
pub fn fake_rpc(
    answers: Vec<(&'static str, Result<serde_json::Value, String>)>,
    fallback: String,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let answers = std::sync::Arc::new(answers);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (answers, fallback, log) = (answers.clone(), fallback.clone(), log.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut len = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    let req: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    let answer = |r: &serde_json::Value| {
                        let method = r["method"].as_str().unwrap_or_default().to_string();
                        log.lock().unwrap().push(method.clone());
                        match answers.iter().find(|(m, _)| *m == method).map(|(_, a)| a) {
                            Some(Ok(v)) => {
                                serde_json::json!({"jsonrpc":"2.0","id":r["id"],"result":v})
                            }
                            Some(Err(m)) => {
                                serde_json::json!({"jsonrpc":"2.0","id":r["id"],"error":{"code":-32000,"message":m}})
                            }
                            None => {
                                serde_json::json!({"jsonrpc":"2.0","id":r["id"],"error":{"code":-32000,"message":fallback}})
                            }
                        }
                    };
                    let out = match &req {
                        serde_json::Value::Array(list) => {
                            serde_json::Value::Array(list.iter().map(answer).collect())
                        }
                        one => answer(one),
                    }
                    .to_string();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        out.len()
                    );
                    if stream
                        .write_all(head.as_bytes())
                        .and_then(|_| stream.write_all(out.as_bytes()))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

/// Session details (legacy generation) for `smart_session`, with a USE-mode session: validator
/// 0x…2483, no init data, salt 0, one sudo action on 0x…06. Its permission id is computed by the
/// binary's own `permission-id` (the vectors check that command).
pub fn details_file(dir: &std::path::Path, smart_session: &str) -> std::path::PathBuf {
    let validator = "0x2483DA3A338895199E5e538530213157e931Bf06";
    let salt = format!("0x{}", "00".repeat(32));
    let o = run(&["permission-id", "--validator", validator, "--salt", &salt]);
    let id = stdout(&o);
    let path = dir.join(format!("details-{smart_session}.json"));
    let session = serde_json::json!({
        "sessionValidator": validator, "sessionValidatorInitData": "0x", "salt": salt,
        "userOpPolicies": [], "erc7739Policies": {"allowedERC7739Content": [], "erc1271Policies": []},
        "actions": [{"actionTarget": "0x0000000000000000000000000000000000000006",
                     "actionTargetSelector": "0x00000000",
                     "actionPolicies": [{"policy": "0x529Ad04F4D83aAb25144a90267D4a1443B84f5A6", "initData": "0x"}]}]
    });
    let json = serde_json::json!({
        "generation": "legacy", "smartSession": smart_session,
        "account": "0x0000000000000000000000000000000000000007", "permissionId": id,
        "unsafeEnable": false, "legacySession": session,
    });
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

/// The legacy generation's default table's SmartSession (`Deployments::legacy_nexus_k1`).
pub const LEGACY_SMART_SESSION: &str = "0xDDFF43A42726df11E34123f747bDce0f755F784d";
pub const SOME_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
