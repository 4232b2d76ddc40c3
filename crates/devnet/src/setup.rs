//! Installing and building what the devnet runs: npm packages (anvil, Alto, solc) into a cache
//! directory, bytecode from `npm pack`ed registry packages, and the project's test contracts.

use crate::{DevnetError, Result, cache_root};
use alloy_primitives::{Bytes, hex, keccak256};
use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

const PACKAGE_JSON: &str = include_str!("../node/package.json");
const PACKAGE_LOCK: &str = include_str!("../node/package-lock.json");
const COMPILE: &str = include_str!("../node/compile.cjs");
const FORCE_LOCALHOST: &str = include_str!("../node/force-localhost.cjs");
const CONTRACTS: &str = include_str!("../contracts/Devnet.sol");
/// Our own stand-in for v1.0's spending-limit policy, compiled on its own (its file name is part
/// of its metadata, so of its address).
const V1_STAND_IN: &str = include_str!("../contracts/V1SpendingLimitStandIn.sol");
/// Our own stand-in for Nexus 1.2's MEE bootstrap entry point (see the file's header).
const MEE_BOOTSTRAP_STAND_IN: &str = include_str!("../contracts/MeeBootstrapStandIn.sol");
/// Every source the devnet compiles, with its file name.
const SOURCES: [(&str, &str); 3] = [
    ("Devnet.sol", CONTRACTS),
    ("V1SpendingLimitStandIn.sol", V1_STAND_IN),
    ("MeeBootstrapStandIn.sol", MEE_BOOTSTRAP_STAND_IN),
];
/// Registry packages whose contents the devnet uses, fetched with `npm pack` (never installed:
/// modulekit's own dependencies are not installable).
const PACKED: [(&str, &str); 2] = [
    ("@rhinestone/modulekit@0.5.9", "rhinestone-modulekit-0.5.9.tgz"),
    ("@account-abstraction/contracts@0.7.0", "account-abstraction-contracts-0.7.0.tgz"),
];

fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn run(what: &str, cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .map_err(|e| DevnetError::Command { what: what.into(), output: e.to_string() })?;
    if out.status.success() {
        Ok(())
    } else {
        let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        Err(DevnetError::Command {
            what: what.into(),
            output: text.trim().chars().take(4000).collect(),
        })
    }
}

/// A directory lock (mkdir is atomic), so parallel test binaries install once.
struct DirLock(PathBuf);

impl DirLock {
    fn acquire(path: PathBuf) -> Result<Self> {
        let start = Instant::now();
        loop {
            match fs::create_dir(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // a lock older than 10 minutes belongs to a process that died
                    let stale = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t.elapsed().is_ok_and(|d| d > Duration::from_secs(600)));
                    if stale {
                        let _ = fs::remove_dir(&path);
                    } else if start.elapsed() > Duration::from_secs(600) {
                        return Err(DevnetError::Timeout {
                            what: "the devnet install lock",
                            after: start.elapsed(),
                        });
                    } else {
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

/// The cache directory of this lock file's npm packages.
pub fn node_dir() -> PathBuf {
    let id = keccak256(
        [PACKAGE_LOCK.as_bytes(), COMPILE.as_bytes(), FORCE_LOCALHOST.as_bytes()].concat(),
    );
    cache_root().join(format!("devnet-node-{}", hex::encode(&id[..8])))
}

/// Installs the pinned npm packages (anvil, Alto, solc) into the cache on first use, from the
/// committed lock file, and returns their directory.
pub fn ensure_node_modules() -> Result<PathBuf> {
    let dir = node_dir();
    let done = dir.join(".installed");
    if done.exists() {
        return Ok(dir);
    }
    if !have("node") || !have("npm") {
        return Err(DevnetError::Missing {
            program: "node/npm",
            hint: "install Node.js (≥ 18) with npm",
        });
    }
    fs::create_dir_all(cache_root())?;
    let _lock = DirLock::acquire(cache_root().join("devnet-install.lock"))?;
    if done.exists() {
        return Ok(dir);
    }
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("package.json"), PACKAGE_JSON)?;
    fs::write(dir.join("package-lock.json"), PACKAGE_LOCK)?;
    fs::write(dir.join("compile.cjs"), COMPILE)?;
    fs::write(dir.join("force-localhost.cjs"), FORCE_LOCALHOST)?;
    eprintln!(
        "smart-sessions-devnet: installing anvil, Alto and solc into {} (first run only)",
        dir.display()
    );
    // `npm install` with the committed lock, not `npm ci`: npm 11 writes no lock entries for the
    // other platforms' optional anvil binaries, which `npm ci` then reports as out of sync. Every
    // package in the lock is installed at its locked version either way.
    run(
        "npm install (locked)",
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir),
    )?;
    let pkgs = dir.join("pkgs");
    fs::create_dir_all(&pkgs)?;
    let mut pack = Command::new("npm");
    pack.arg("pack").arg("--silent").current_dir(&pkgs);
    for (spec, _) in PACKED {
        pack.arg(spec);
    }
    run("npm pack", &mut pack)?;
    for (_, tgz) in PACKED {
        let out = pkgs.join(tgz.trim_end_matches(".tgz"));
        fs::create_dir_all(&out)?;
        run("tar", Command::new("tar").arg("xzf").arg(pkgs.join(tgz)).arg("-C").arg(&out))?;
    }
    fs::write(&done, "")?;
    Ok(dir)
}

/// Every bytecode the devnet deploys.
#[derive(Debug)]
pub(crate) struct Artifacts {
    pub(crate) entry_point: Vec<u8>,
    pub(crate) nexus: Vec<u8>,
    pub(crate) nexus_bootstrap: Vec<u8>,
    pub(crate) nexus_factory: Vec<u8>,
    pub(crate) smart_session: Bytes,
    pub(crate) registry_runtime: Bytes,
    pub(crate) verifying_paymaster: Vec<u8>,
    contracts: serde_json::Value,
}

impl Artifacts {
    /// Init code of one of the project's test contracts.
    pub(crate) fn contract(&self, name: &str) -> Result<Vec<u8>> {
        let code =
            self.contracts[name]["bytecode"].as_str().ok_or_else(|| DevnetError::Command {
                what: format!("test contract {name}"),
                output: "not in the compiler output".into(),
            })?;
        hex::decode(code).map_err(|e| DevnetError::Command {
            what: format!("test contract {name}"),
            output: e.to_string(),
        })
    }
}

/// `bytes constant NAME = hex"…"` from a modulekit precompile source.
fn hex_constant(src: &str, name: &str) -> Option<Vec<u8>> {
    let at = src.find(&format!("constant {name}"))?;
    let rest = &src[at..];
    let open = rest.find("hex\"")? + 4;
    let close = rest[open..].find('"')? + open;
    hex::decode(&rest[open..close]).ok()
}

/// The compiler output of the project's test contracts (`{Name: {abi, bytecode,
/// deployedBytecode}}`), compiled once per source version.
pub fn compiled_contracts(node: &Path) -> Result<serde_json::Value> {
    let id = keccak256(SOURCES.iter().flat_map(|(n, src)| [n.as_bytes(), src.as_bytes()]).fold(
        Vec::new(),
        |mut all, part| {
            all.extend_from_slice(part);
            all
        },
    ));
    let out = node.join(format!("contracts-{}.json", hex::encode(&id[..8])));
    if !out.exists() {
        // unique names per compile: tests start several devnets at once, in one process or many
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tag = format!("{}-{}-{n}", hex::encode(&id[..8]), std::process::id());
        // each file keeps its name (it is part of the bytecode's metadata, so of the addresses)
        let dir = node.join(format!("compile-{tag}"));
        fs::create_dir_all(&dir)?;
        let mut all = serde_json::Map::new();
        let mut compiled = Ok(());
        for (name, source) in SOURCES {
            let src = dir.join(name);
            fs::write(&src, source)?;
            let tmp = dir.join(format!("{name}.json"));
            compiled = run(
                "solc (compile.cjs)",
                Command::new("node").arg("compile.cjs").arg(&src).arg(&tmp).current_dir(node),
            );
            if compiled.is_err() {
                break;
            }
            let one: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&fs::read_to_string(&tmp)?).map_err(|e| {
                    DevnetError::Command {
                        what: format!("compiler output of {name}"),
                        output: e.to_string(),
                    }
                })?;
            all.extend(one);
        }
        if compiled.is_ok() {
            let tmp = node.join(format!("contracts-{tag}.json.tmp"));
            fs::write(&tmp, serde_json::Value::Object(all).to_string())?;
            fs::rename(&tmp, &out)?;
        }
        let _ = fs::remove_dir_all(&dir);
        compiled?;
    }
    serde_json::from_str(&fs::read_to_string(&out)?)
        .map_err(|e| DevnetError::Command { what: "compiler output".into(), output: e.to_string() })
}

pub(crate) fn artifacts(node: &Path) -> Result<Artifacts> {
    let precompiles =
        node.join("pkgs/rhinestone-modulekit-0.5.9/package/src/deployment/precompiles");
    let nexus_src = fs::read_to_string(precompiles.join("NexusPrecompiles.sol"))?;
    let ss_src = fs::read_to_string(precompiles.join("SmartSessionsPrecompiles.sol"))?;
    let missing = |name: &str| DevnetError::Command {
        what: format!("extract {name}"),
        output: "constant not found in modulekit 0.5.9".into(),
    };
    let ep: serde_json::Value = serde_json::from_str(&fs::read_to_string(
        node.join("pkgs/account-abstraction-contracts-0.7.0/package/artifacts/EntryPoint.json"),
    )?)
    .map_err(|e| DevnetError::Command {
        what: "EntryPoint artifact".into(),
        output: e.to_string(),
    })?;
    let entry_point = ep["bytecode"]
        .as_str()
        .and_then(|s| hex::decode(s).ok())
        .ok_or_else(|| missing("EntryPoint bytecode"))?;
    let vp: serde_json::Value = serde_json::from_str(&fs::read_to_string(node.join(
        "pkgs/account-abstraction-contracts-0.7.0/package/artifacts/VerifyingPaymaster.json",
    ))?)
    .map_err(|e| DevnetError::Command {
        what: "VerifyingPaymaster artifact".into(),
        output: e.to_string(),
    })?;
    let verifying_paymaster = vp["bytecode"]
        .as_str()
        .and_then(|s| hex::decode(s).ok())
        .ok_or_else(|| missing("VerifyingPaymaster bytecode"))?;
    let contracts = compiled_contracts(node)?;
    let registry_runtime = contracts["Registry"]["deployedBytecode"]
        .as_str()
        .and_then(|s| hex::decode(s).ok())
        .ok_or_else(|| missing("Registry runtime"))?;
    Ok(Artifacts {
        entry_point,
        nexus: hex_constant(&nexus_src, "NEXUS_BYTECODE")
            .ok_or_else(|| missing("NEXUS_BYTECODE"))?,
        nexus_bootstrap: hex_constant(&nexus_src, "NEXUS_BOOTSTRAP_BYTECODE")
            .ok_or_else(|| missing("NEXUS_BOOTSTRAP_BYTECODE"))?,
        nexus_factory: hex_constant(&nexus_src, "NEXUS_ACCOUNT_FACTORY_BYTECODE")
            .ok_or_else(|| missing("NEXUS_ACCOUNT_FACTORY_BYTECODE"))?,
        smart_session: hex_constant(&ss_src, "SMART_SESSION_DEPLOYED_BYTECODE")
            .ok_or_else(|| missing("SMART_SESSION_DEPLOYED_BYTECODE"))?
            .into(),
        registry_runtime: registry_runtime.into(),
        verifying_paymaster,
        contracts,
    })
}
