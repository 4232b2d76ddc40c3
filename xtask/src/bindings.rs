//! `cargo xtask bindings [--check]`: ABIs from pinned npm packages → `crates/bindings/abi/` →
//! Rust through `sol!` in `crates/bindings/src/generated/`.

use crate::{Result, root};
use alloy_json_abi::{JsonAbi, ToSolConfig};
use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// A pinned npm package: fetched with `npm pack` (never installed) and checked against its
/// registry integrity.
struct Package {
    spec: &'static str,
    tarball: &'static str,
    integrity: &'static str,
}

const PACKAGES: &[Package] = &[
    Package {
        spec: "@rhinestone/module-sdk@0.1.32",
        tarball: "rhinestone-module-sdk-0.1.32.tgz",
        integrity: "sha512-wNzeIepHPhD0jiw3UOar+dAb6VKv4p8D4+947n0SLZHBdJ5S7moRCCL082NCo7Pz8+/C9kVriJASFeLZmJLo4g==",
    },
    Package {
        spec: "@rhinestone/module-sdk@0.2.3",
        tarball: "rhinestone-module-sdk-0.2.3.tgz",
        integrity: "sha512-YbwK0R6N2ApxHJNYPGx1HsRXmMtLxOrn3GYxXvOeYPVjiY13kHIxq+1XfzLFwAwIT7DKpprg0mY5s6YuUpByGA==",
    },
    Package {
        spec: "@rhinestone/module-sdk@0.4.0",
        tarball: "rhinestone-module-sdk-0.4.0.tgz",
        integrity: "sha512-MezAYnw+D7tWCVyUMYiA6YutsQT/dL2XPoVhJcfHUh+xccxadubBhU+IKA0MkAyibOWLWZ0yplbgPUKq7MPkFg==",
    },
    Package {
        spec: "@biconomy/abstractjs@1.2.3",
        tarball: "biconomy-abstractjs-1.2.3.tgz",
        integrity: "sha512-7o9rFaL7qoHsyBjcr40qKM5NPpvKSA7wpNhadHO15qVvMhrfCcESL7mJCIvRgZqg5mKDoEv766u3cpIDUFhxAQ==",
    },
    Package {
        spec: "@account-abstraction/contracts@0.7.0",
        tarball: "account-abstraction-contracts-0.7.0.tgz",
        integrity: "sha512-Bt/66ilu3u8I9+vFZ9fTd+cWs55fdb9J5YKfrhsrFafH1drkzwuCSL/xEot1GGyXXNJLQuXbMRztQPyelNbY1A==",
    },
];

/// Where one ABI comes from.
enum From {
    /// An exported constant of a standalone ES module inside a package (a TypeScript constant,
    /// compiled): imported by node, not read by a human.
    Module { tarball: &'static str, file: &'static str, export: &'static str },
    /// The `abi` of a JSON artifact inside a package.
    Artifact { tarball: &'static str, file: &'static str },
    /// The project's own test contracts, compiled by the devnet (solc 0.8.27).
    Devnet { contract: &'static str },
}

struct Abi {
    dir: &'static str,
    name: &'static str,
    from: From,
}

const MS_LEGACY: &str = "rhinestone-module-sdk-0.1.32.tgz";
const MS_V1: &str = "rhinestone-module-sdk-0.2.3.tgz";
const MS_CURRENT: &str = "rhinestone-module-sdk-0.4.0.tgz";
const AJS: &str = "biconomy-abstractjs-1.2.3.tgz";
const AA: &str = "account-abstraction-contracts-0.7.0.tgz";

const fn module(tarball: &'static str, file: &'static str, export: &'static str) -> From {
    From::Module { tarball, file, export }
}

const ABIS: &[Abi] = &[
    Abi {
        dir: "legacy",
        name: "SmartSession",
        from: module(MS_LEGACY, "_esm/module/smart-sessions/abi.js", "abi"),
    },
    Abi {
        dir: "v1",
        name: "SmartSession",
        from: module(MS_V1, "_esm/module/smart-sessions/abi.js", "abi"),
    },
    Abi {
        dir: "current",
        name: "SmartSession",
        from: module(MS_CURRENT, "_esm/module/smart-sessions/abi.js", "abi"),
    },
    Abi {
        dir: "current",
        name: "UniActionPolicy",
        from: module(
            MS_CURRENT,
            "_esm/module/smart-sessions/policies/universal-action-policy/abi.js",
            "abi",
        ),
    },
    Abi {
        dir: "current",
        name: "TimeFramePolicy",
        from: module(
            MS_CURRENT,
            "_esm/module/smart-sessions/policies/time-frame-policy/abi.js",
            "abi",
        ),
    },
    Abi {
        dir: "current",
        name: "UsageLimitPolicy",
        from: module(
            MS_CURRENT,
            "_esm/module/smart-sessions/policies/usage-limit-policy/abi.js",
            "abi",
        ),
    },
    Abi {
        dir: "current",
        name: "ValueLimitPolicy",
        from: module(
            MS_CURRENT,
            "_esm/module/smart-sessions/policies/value-limit-policy/abi.js",
            "abi",
        ),
    },
    Abi {
        dir: "current",
        name: "ERC20SpendingLimitPolicy",
        from: module(
            MS_CURRENT,
            "_esm/module/smart-sessions/policies/spending-limits-policy/abi.js",
            "abi",
        ),
    },
    Abi {
        dir: "common",
        name: "Registry",
        // the full ERC-7484 registry (trustAttesters, findTrustedAttesters, check,
        // checkForAccount, …); abstractjs's ERC7484RegistryAbi has only findTrustedAttesters
        from: module(MS_CURRENT, "_esm/module/registry/abi.js", "abi"),
    },
    Abi {
        dir: "common",
        name: "Nexus",
        from: module(
            AJS,
            "dist/_esm/constants/abi/NexusImplementationAbi.js",
            "NexusImplementationAbi",
        ),
    },
    Abi {
        dir: "common",
        name: "NexusAccountFactory",
        from: module(AJS, "dist/_esm/constants/abi/AccountFactory.js", "AccountFactoryAbi"),
    },
    Abi {
        dir: "common",
        name: "NexusBootstrap",
        from: module(
            AJS,
            "dist/_esm/constants/abi/NexusLegacyBootstrapAbi.js",
            "NexusLegacyBootstrapAbi",
        ),
    },
    Abi {
        dir: "common",
        name: "IERC1271",
        from: module(AJS, "dist/_esm/constants/abi/EIP1271Abi.js", "EIP1271Abi"),
    },
    Abi {
        dir: "common",
        name: "EntryPoint",
        from: From::Artifact { tarball: AA, file: "artifacts/EntryPoint.json" },
    },
    Abi {
        dir: "devnet",
        name: "OwnerValidator",
        from: From::Devnet { contract: "OwnerValidator" },
    },
    Abi {
        dir: "devnet",
        name: "SessionKeyValidator",
        from: From::Devnet { contract: "SessionKeyValidator" },
    },
    Abi { dir: "devnet", name: "SudoPolicy", from: From::Devnet { contract: "SudoPolicy" } },
];

fn run(what: &str, cmd: &mut Command) -> Result<String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Packs, verifies and extracts every package into the cache; returns the directory.
fn fetch() -> Result<PathBuf> {
    let dir = smart_sessions_devnet::cache_root().join("abi-sources");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for p in PACKAGES {
        let tgz = dir.join(p.tarball);
        if !tgz.exists() {
            run(
                "npm pack",
                Command::new("npm").args(["pack", "--silent", p.spec]).current_dir(&dir),
            )?;
        }
        // integrity as npm computes it: sha512 of the tarball, base64
        let script = "const c=require('crypto'),f=require('fs');process.stdout.write('sha512-'+c.createHash('sha512').update(f.readFileSync(process.argv[1])).digest('base64'))";
        let got = run("integrity", Command::new("node").args(["-e", script]).arg(&tgz))?;
        if got != p.integrity {
            let _ = fs::remove_file(&tgz);
            return Err(format!("{} does not match its pinned integrity (got {got})", p.spec));
        }
        let out = dir.join(p.tarball.trim_end_matches(".tgz"));
        if !out.exists() {
            fs::create_dir_all(&out).map_err(|e| e.to_string())?;
            run("tar", Command::new("tar").arg("xzf").arg(&tgz).arg("-C").arg(&out))?;
        }
    }
    Ok(dir)
}

fn extract(dir: &Path, abi: &Abi) -> Result<serde_json::Value> {
    let pkg = |t: &str| dir.join(t.trim_end_matches(".tgz")).join("package");
    let text = match &abi.from {
        From::Module { tarball, file, export } => {
            let path = pkg(tarball).join(file);
            let script = format!(
                "import(process.argv[1]).then(m => process.stdout.write(JSON.stringify(m[{export:?}])))"
            );
            run(
                &format!("import {}", path.display()),
                Command::new("node").args(["--input-type=module", "-e", &script]).arg(path),
            )?
        }
        From::Artifact { tarball, file } => {
            let art: serde_json::Value = serde_json::from_str(
                &fs::read_to_string(pkg(tarball).join(file)).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            art["abi"].to_string()
        }
        From::Devnet { contract } => {
            let node = smart_sessions_devnet::ensure_node_modules().map_err(|e| e.to_string())?;
            let compiled =
                smart_sessions_devnet::compiled_contracts(&node).map_err(|e| e.to_string())?;
            compiled[*contract]["abi"].to_string()
        }
    };
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", abi.name))?;
    correct(abi, &mut value);
    Ok(value)
}

/// The identity of an ABI item: type, name and input types.
fn item_key(item: &serde_json::Value) -> String {
    let inputs: Vec<String> = item["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| format!("{}{}", i["type"], i["components"]))
        .collect();
    format!("{} {} {}", item["type"], item["name"], inputs.join(","))
}

/// Documented corrections of upstream ABIs, each with its evidence.
fn correct(abi: &Abi, value: &mut serde_json::Value) {
    // Normalisation, every ABI: items listed twice (module-sdk 0.1.32 repeats several errors, e.g.
    // `ChainIdMismatch`, `HashMismatch`) are kept once; `sol!` refuses duplicates.
    if let Some(items) = value.as_array_mut() {
        let mut seen = std::collections::BTreeSet::new();
        items.retain(|i| seen.insert(item_key(i)));
    }
    if abi.dir == "current" && abi.name == "SmartSession" {
        // module-sdk 0.4.0 lists `setpermitERC4337Paymaster` (0xcd7a7aca) and the event
        // `PermissionIdpermitERC4337Paymaster`; the deployed SmartSession at 0x…8bDABA has
        // `setPermit4337Paymaster(bytes32,bool)` = 0x2e644d8d and `PermissionIdPermit4337Paymaster`
        // (protocol.md §g.1, checked on the deployed bytecode). The deployed ABI also has the error
        // `UnsupportedCallType(bytes1)`.
        if let Some(items) = value.as_array_mut() {
            for item in items.iter_mut() {
                if item["name"] == "setpermitERC4337Paymaster" {
                    item["name"] = "setPermit4337Paymaster".into();
                }
                if item["name"] == "PermissionIdpermitERC4337Paymaster" {
                    item["name"] = "PermissionIdPermit4337Paymaster".into();
                }
            }
            if !items.iter().any(|i| i["type"] == "error" && i["name"] == "UnsupportedCallType") {
                items.push(serde_json::json!({
                    "type": "error",
                    "name": "UnsupportedCallType",
                    "inputs": [{ "name": "callType", "type": "bytes1", "internalType": "CallType" }]
                }));
            }
            // SmartSession reverts with `PolicyCheckReverted(bytes32)` (0xf4270752) when a policy
            // call reverts (protocol.md §a errors table and §c "Policy results", from the deployed
            // source); module-sdk 0.4.0's ABI lacks it, so its revert data would not decode.
            if !items.iter().any(|i| i["type"] == "error" && i["name"] == "PolicyCheckReverted") {
                items.push(serde_json::json!({
                    "type": "error",
                    "name": "PolicyCheckReverted",
                    "inputs": [{ "name": "revertReason", "type": "bytes32", "internalType": "bytes32" }]
                }));
            }
        }
    }
}

fn rust_module(dir: &str, entries: &[(&Abi, String)]) -> Result<String> {
    let mut out = String::new();
    out.push_str("// @generated by `cargo xtask bindings` from the ABIs in `crates/bindings/abi/");
    out.push_str(dir);
    out.push_str("/`. Do not edit.\n\n");
    for (abi, json) in entries {
        let parsed: JsonAbi =
            serde_json::from_str(json).map_err(|e| format!("{}: {e}", abi.name))?;
        let origin = match &abi.from {
            From::Module { tarball, file, export } => {
                format!("`{export}` of {file} in npm {}", spec_of(tarball))
            }
            From::Artifact { tarball, file } => format!("{file} in npm {}", spec_of(tarball)),
            From::Devnet { contract } => {
                format!("`{contract}` of crates/devnet/contracts/Devnet.sol (solc 0.8.27)")
            }
        };
        let sol = parsed.to_sol(abi.name, Some(ToSolConfig::new().print_constructors(false)));
        out.push_str(&format!(
            "/// `{}`: source ABI `abi/{dir}/{}.json`, from {origin}.\n",
            abi.name, abi.name
        ));
        out.push_str("pub mod ");
        out.push_str(&snake(abi.name));
        out.push_str(" {\n    crate::bindings! {\n");
        for line in sol.lines() {
            out.push_str("        ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("    }\n    pub use self::");
        out.push_str(abi.name);
        out.push_str("::*;\n}\n\n");
    }
    Ok(out)
}

fn spec_of(tarball: &str) -> &'static str {
    PACKAGES.iter().find(|p| p.tarball == tarball).map_or("?", |p| p.spec)
}

fn snake(name: &str) -> String {
    let mut s = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase()
            && i > 0
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()))
        {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

/// Regenerates (or, with `check`, compares) the ABIs and the Rust bindings.
pub(crate) fn bindings(check: bool) -> Result {
    let sources = fetch()?;
    let base = root().join("crates/bindings");
    let mut expected: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut per_dir: BTreeMap<&str, Vec<(&Abi, String)>> = BTreeMap::new();
    for abi in ABIS {
        let value = extract(&sources, abi)?;
        let json = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())? + "\n";
        expected.insert(base.join(format!("abi/{}/{}.json", abi.dir, abi.name)), json.clone());
        per_dir.entry(abi.dir).or_default().push((abi, json));
    }
    for (dir, entries) in &per_dir {
        expected.insert(base.join(format!("src/generated/{dir}.rs")), rust_module(dir, entries)?);
    }
    let mut stale = Vec::new();
    for (path, content) in &expected {
        let current = fs::read_to_string(path).unwrap_or_default();
        if current != *content {
            if check {
                stale.push(path.strip_prefix(root()).unwrap_or(path).display().to_string());
            } else {
                fs::create_dir_all(path.parent().ok_or("no parent")?).map_err(|e| e.to_string())?;
                fs::write(path, content).map_err(|e| e.to_string())?;
                eprintln!("wrote {}", path.display());
            }
        }
    }
    if stale.is_empty() {
        eprintln!("bindings: {} files up to date", expected.len());
        Ok(())
    } else {
        Err(format!("stale bindings (run `cargo xtask bindings`):\n{}", stale.join("\n")))
    }
}
