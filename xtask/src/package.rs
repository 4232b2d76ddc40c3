//! `cargo xtask package`: `cargo package` (with verification) of every library crate.
//!
//! The library crates are the workspace members that can be published (no `publish = false`)
//! and have a `lib` target and no binary. They are packaged in one `cargo package` run, which
//! verifies each `.crate` by building it against the others' packaged `.crate` files (cargo's
//! temporary local registry under the target directory), so the path dependencies between them
//! need not be on crates.io yet; third-party dependencies come from the crates.io index.
//!
//! Cargo takes registry packages as immutable: it extracts a `.crate` of the temporary registry
//! once (under `$CARGO_HOME/registry/src`) and reuses what it compiled of it by name and version.
//! Our crates keep their version while their content changes, so a second run on the same machine
//! would verify the first run's code. Before each run this command removes what it extracted and
//! built of our crates: the verification builds in its own target directory
//! (`$CARGO_TARGET_DIR/package-verify`, third-party dependencies kept warm there), and the
//! extracted sources and `.crate` copies of our crates under `$CARGO_HOME/registry` go.

use crate::{Result, cargo, root, run};
use serde_json::Value;
use std::{env, fs, path::Path, path::PathBuf};

/// The library crates of `cargo metadata` output.
fn library_crates(meta: &Value) -> Vec<String> {
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut out: Vec<String> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(&id)))
        // `publish = false` is `"publish": []`
        .filter(|p| !p["publish"].as_array().is_some_and(Vec::is_empty))
        .filter(|p| {
            let kinds: Vec<&str> = p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|t| t["kind"].as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect();
            kinds.contains(&"lib") && !kinds.contains(&"bin")
        })
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

/// Packages and verifies every library crate.
pub(crate) fn package() -> Result {
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cargo metadata: cannot start: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let meta: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))?;
    let crates = library_crates(&meta);
    if crates.is_empty() {
        return Err("no library crate to package".into());
    }
    let target = env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), PathBuf::from)
        .join("package-verify");
    forget_our_packages(&target, &crates)?;
    let mut cmd = cargo();
    // the check is about what a `.crate` holds and whether it builds, not about the VCS state
    cmd.args(["package", "--allow-dirty", "--target-dir"]).arg(&target);
    for c in &crates {
        cmd.args(["-p", c]);
    }
    run(&format!("cargo package ({})", crates.join(", ")), &mut cmd)
}

/// Removes what earlier runs extracted and compiled of `crates` (see the module docs).
fn forget_our_packages(target: &Path, crates: &[String]) -> Result {
    let ours = |name: &str| {
        crates.iter().any(|c| {
            let snake = c.replace('-', "_");
            [c.as_str(), snake.as_str(), &format!("lib{snake}")]
                .iter()
                .any(|p| name.strip_prefix(p).is_some_and(|r| r.starts_with(['-', '.'])))
        })
    };
    let remove = |path: &Path| -> Result {
        let r = if path.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
        r.map_err(|e| format!("removing {}: {e}", path.display()))
    };
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let mut dirs: Vec<PathBuf> = ["deps", ".fingerprint", "build", "incremental"]
        .iter()
        .map(|d| target.join("debug").join(d))
        .collect();
    if let Some(home) = cargo_home {
        for kind in ["src", "cache"] {
            if let Ok(registries) = fs::read_dir(home.join("registry").join(kind)) {
                dirs.extend(registries.flatten().map(|e| e.path()));
            }
        }
    }
    for dir in dirs {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if ours(&entry.file_name().to_string_lossy()) {
                remove(&entry.path())?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_publishable_crates_with_a_lib_and_no_bin() {
        let target = |kind: &str| json!({ "kind": [kind] });
        let meta = json!({
            "workspace_members": ["a", "b", "c", "d"],
            "packages": [
                { "id": "a", "name": "lib-crate", "publish": null, "targets": [target("lib"), target("test")] },
                { "id": "b", "name": "unpublished", "publish": [], "targets": [target("lib")] },
                { "id": "c", "name": "cli", "publish": null, "targets": [target("lib"), target("bin")] },
                { "id": "d", "name": "benches-only", "publish": null, "targets": [target("bench")] },
                { "id": "e", "name": "not-a-member", "publish": null, "targets": [target("lib")] },
            ]
        });
        assert_eq!(library_crates(&meta), vec!["lib-crate".to_string()]);
    }
}
