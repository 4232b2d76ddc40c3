//! Project automation for smart-sessions-rs.
//!
//! ```text
//! cargo xtask test            everything CI runs: lint, docs, tests (vectors, differential,
//!                             property), no_std check, fuzz smoke
//! cargo xtask nostd           prove the codec builds without std
//! cargo xtask msrv            the declared rust-version covers every locked dependency's
//! cargo xtask package         cargo package (verified) of every library crate
//! cargo xtask fuzz [SECONDS]  run every fuzz target for SECONDS (default 30) each
//! cargo xtask bench           criterion benches, then the TypeScript reference on the same
//!                             inputs, as one table (the source of BENCHMARKS.md)
//! cargo xtask load [--keys N] [--ops M]
//!                             issue 12's load run (1, 10, N keys × M uses) on a fresh devnet,
//!                             its table written into BENCHMARKS.md
//! cargo xtask bindings [--check]
//!                             regenerate (or check) crates/bindings from the pinned ABIs
//! cargo xtask devnet up [--mee] [--json] | down | status
//!                             a devnet left running until `down`
//! ```

mod bench;
mod bindings;
mod features;
mod load;
mod msrv;
mod package;
mod procs;
mod string_errors;

use std::{
    env,
    path::{Path, PathBuf},
    process::{Command, ExitCode, Stdio},
    time::{Duration, Instant},
};

/// The bare-metal target the `no_std` check builds for: it has no `std` at all, so any crate in
/// the dependency tree that needs `std` fails to compile.
const NOSTD_TARGET: &str = "thumbv7em-none-eabihf";
/// Pinned cargo-fuzz.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
const FUZZ_TARGETS: &[&str] = &[
    "signature_decode",
    "enable_session_decode",
    "action_config_decode",
    "flz_decompress",
    "flz_roundtrip",
    "policy_eval",
    "decode_execute",
    "session_json",
    "revert_classify",
    "mee_quote",
    "mee_explorer",
];

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(what: &str, cmd: &mut Command) -> Result {
    let start = Instant::now();
    eprintln!("==> {what}");
    let status = cmd.status().map_err(|e| format!("{what}: cannot start: {e}"))?;
    eprintln!("    ({what}: {:.1}s)", start.elapsed().as_secs_f64());
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs the TypeScript reference's pinned npm packages when missing.
fn npm_reference() -> Result {
    let dir = root().join("tests/reference");
    if dir.join("node_modules/.package-lock.json").exists() {
        return Ok(());
    }
    if !have("node", "--version") || !have("npm", "--version") {
        return Err(
            "Node.js and npm are needed for the TypeScript reference (install Node.js ≥ 18)".into(),
        );
    }
    run(
        "npm ci (tests/reference)",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir),
    )
}

fn nostd() -> Result {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == NOSTD_TARGET))
        .unwrap_or(false);
    let available = installed
        || run("rustup target add", Command::new("rustup").args(["target", "add", NOSTD_TARGET]))
            .is_ok();
    if available {
        for (package, features) in [
            ("smart-sessions-codec", ""),
            ("smart-sessions-codec", "serde"),
            ("smart-sessions-policy", ""),
            ("smart-sessions-policy", "serde"),
            ("smart-sessions-bindings", ""),
        ] {
            run(
                &format!("no_std build of {package} for {NOSTD_TARGET} (features: [{features}])"),
                cargo().args([
                    "build",
                    "-p",
                    package,
                    "--no-default-features",
                    "--features",
                    features,
                    "--target",
                    NOSTD_TARGET,
                ]),
            )?;
        }
        return Ok(());
    }
    Err(format!(
        "the no_std check builds for {NOSTD_TARGET}, which rustup could not install here; \
         run `rustup target add {NOSTD_TARGET}` where the Rust distribution server is reachable"
    ))
}

fn fuzz(seconds: u64) -> Result {
    if !have("cargo-fuzz", "--version") {
        run(
            "install cargo-fuzz",
            cargo().args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ_VERSION]),
        )?;
    }
    let fuzz_dir = root().join("fuzz");
    for target in FUZZ_TARGETS {
        let corpus = env::temp_dir().join(format!("smart-sessions-fuzz-corpus-{target}"));
        std::fs::create_dir_all(&corpus).map_err(|e| e.to_string())?;
        let seeds = fuzz_dir.join("seeds").join(target);
        run(
            &format!("fuzz {target} for {seconds}s"),
            // through rustup: inside `cargo xtask`, $CARGO is the stable toolchain's cargo itself,
            // which knows no `+nightly`
            Command::new("rustup")
                .current_dir(&fuzz_dir)
                .env_remove("CARGO")
                .env_remove("RUSTUP_TOOLCHAIN")
                .args(["run", "nightly", "cargo", "fuzz", "run", target])
                .arg(&corpus)
                // committed seeds (valid encodings from the vectors): without them a decoder
                // of 3,136-byte inputs never gets past its length check in a short run
                .args(seeds.exists().then_some(&seeds))
                .args(["--", &format!("-max_total_time={seconds}"), "-print_final_stats=1"]),
        )?;
    }
    Ok(())
}

fn test() -> Result {
    npm_reference()?;
    run("cargo fmt --check", cargo().args(["fmt", "--all", "--check"]))?;
    msrv::msrv()?;
    bindings::bindings(true)?;
    string_errors::check()?;
    features::check()?;
    run(
        "cargo clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run(
        "cargo doc",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    // every process of the test run carries the run's marker, so the leak check below counts
    // only what the tests started (a devnet the user left up is not theirs)
    let run_id = procs::new_run_id();
    run(
        "cargo test",
        cargo().args(["test", "--workspace", "--all-features"]).env(procs::MARKER, &run_id),
    )?;
    if procs::supported() {
        let left = procs::leaked(&run_id, Duration::from_secs(5));
        if !left.is_empty() {
            let list: Vec<String> =
                left.iter().map(|(pid, cmd)| format!("  {pid} {cmd}")).collect();
            return Err(format!(
                "the tests left {} processes behind:\n{}",
                left.len(),
                list.join("\n")
            ));
        }
    } else {
        eprintln!("    (leak check skipped: no /proc on this machine)");
    }
    nostd()?;
    package::package()?;
    let seconds = env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    fuzz(seconds)?;
    Ok(())
}

fn devnet_state() -> PathBuf {
    smart_sessions_devnet::cache_root().join("devnet-up.json")
}

fn devnet(args: &[String]) -> Result {
    let json = args.iter().any(|a| a == "--json");
    match args.first().map(String::as_str) {
        Some("up") if args.iter().any(|a| a == "--mee") => {
            if devnet_state().exists() {
                return Err(format!(
                    "a devnet is already up ({}); run `cargo xtask devnet down` first",
                    devnet_state().display()
                ));
            }
            let info = mee_up()?;
            std::fs::create_dir_all(smart_sessions_devnet::cache_root())
                .map_err(|e| e.to_string())?;
            std::fs::write(
                devnet_state(),
                serde_json::to_string_pretty(&info).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            if json {
                println!("{info}");
            } else {
                println!("{}", serde_json::to_string_pretty(&info).map_err(|e| e.to_string())?);
                println!("\nrunning until `cargo xtask devnet down`");
            }
            Ok(())
        }
        Some("up") => {
            if devnet_state().exists() {
                return Err(format!(
                    "a devnet is already up ({}); run `cargo xtask devnet down` first",
                    devnet_state().display()
                ));
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let d = rt
                .block_on(smart_sessions_devnet::Devnet::start_with(
                    smart_sessions_devnet::Options { progress: !json, ..Default::default() },
                ))
                .map_err(|e| e.to_string())?;
            let info = serde_json::json!({
                "rpcUrl": d.rpc_url,
                "bundlerUrl": d.bundler_url,
                "chainId": d.chain_id,
                "pids": d.pids(),
                "addresses": d.addresses,
                "fundedAccounts": d.funded.iter().map(|k| k.address()).collect::<Vec<_>>(),
            });
            std::fs::create_dir_all(smart_sessions_devnet::cache_root())
                .map_err(|e| e.to_string())?;
            std::fs::write(
                devnet_state(),
                serde_json::to_string_pretty(&info).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            d.detach();
            print_devnet(&info, json);
            if !json {
                println!("\nrunning until `cargo xtask devnet down`");
            }
            Ok(())
        }
        Some("down") => {
            let info = read_state()?;
            let pids: Vec<u32> = info["pids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_u64())
                .map(|p| p as u32)
                .collect();
            smart_sessions_devnet::stop_pids(&pids);
            std::fs::remove_file(devnet_state()).map_err(|e| e.to_string())?;
            println!("stopped processes {pids:?}");
            Ok(())
        }
        Some("status") => {
            let info = read_state()?;
            let alive: Vec<bool> = info["pids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_u64())
                .map(|p| Path::new(&format!("/proc/{p}")).exists())
                .collect();
            print_devnet(&info, json);
            if alive.iter().all(|a| *a) {
                println!("\nall {} processes are running", alive.len());
                Ok(())
            } else {
                Err(format!(
                    "some devnet processes are gone (alive: {alive:?}); run `cargo xtask devnet down`"
                ))
            }
        }
        _ => Err("usage: cargo xtask devnet up [--mee] [--json] | down | status".into()),
    }
}

/// `devnet up --mee`: builds and starts the local MEE stack (`smart-sessions-mee-node`: two
/// anvil chains, the node's contracts, the node) as a detached process, and returns its summary
/// (MEE URL, API key, chains, MEE version table) with `pids` = the node first (SIGTERM stops it
/// and both anvils), then the anvils (the fallback if the node died).
fn mee_up() -> Result<serde_json::Value> {
    run(
        "cargo build -p smart-sessions-mee-node",
        cargo().args(["build", "--quiet", "-p", "smart-sessions-mee-node"]),
    )?;
    let target =
        env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let binary = target.join("debug/smart-sessions-mee-node");
    let dir = smart_sessions_devnet::cache_root();
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // the summary goes to a file, not a pipe: the node outlives this process
    let out_path = dir.join("devnet-up-mee.out");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(dir.join("devnet-up-mee.err")).map_err(|e| e.to_string())?;
    let mut child = Command::new(&binary)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{}: cannot start: {e}", binary.display()))?;
    let deadline = Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let text = std::fs::read_to_string(&out_path).unwrap_or_default();
        if let Some(line) = text.lines().next().filter(|_| text.contains('\n')) {
            let mut info: serde_json::Value =
                serde_json::from_str(line).map_err(|e| format!("the node's summary: {e}"))?;
            let mut pids = vec![serde_json::json!(child.id())];
            pids.extend(info["anvilPids"].as_array().cloned().unwrap_or_default());
            info["pids"] = serde_json::Value::Array(pids);
            return Ok(info);
        }
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let err = std::fs::read_to_string(dir.join("devnet-up-mee.err")).unwrap_or_default();
            return Err(format!("smart-sessions-mee-node exited ({status}): {}", err.trim()));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("smart-sessions-mee-node printed no summary within 180 s".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn read_state() -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(devnet_state())
        .map_err(|_| "no devnet is up (cargo xtask devnet up)".to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn print_devnet(info: &serde_json::Value, json: bool) {
    if json {
        println!("{info}");
        return;
    }
    println!("{:<24} {}", "RPC", info["rpcUrl"].as_str().unwrap_or(""));
    println!("{:<24} {}", "bundler", info["bundlerUrl"].as_str().unwrap_or(""));
    println!("{:<24} {}", "chain id", info["chainId"]);
    println!("{:<24} {}", "PIDs", info["pids"]);
    if let Some(a) = info["addresses"].as_object() {
        for (k, v) in a {
            println!("{:<24} {}", k, v.as_str().unwrap_or(""));
        }
    }
    println!("{:<24} {}", "funded accounts", info["fundedAccounts"]);
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("nostd") => nostd(),
        Some("msrv") => msrv::msrv(),
        Some("package") => package::package(),
        Some("fuzz") => fuzz(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(30)),
        Some("bench") => bench::bench(&args[1..]),
        Some("load") => load::load(&args[1..]),
        Some("devnet") => devnet(&args[1..]),
        Some("bindings") => bindings::bindings(args.iter().any(|a| a == "--check")),
        Some("string-errors") => string_errors::check(),
        Some("features") => features::check(),
        _ => {
            eprintln!(
                "usage: cargo xtask <test | nostd | msrv | package | fuzz [SECONDS] | bench [--write] [--quick] | load [--keys N] [--ops M] | devnet up [--mee]|down|status | bindings [--check] | string-errors | features>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
