//! `cargo xtask msrv`: the declared `rust-version` must not be lower than any locked
//! dependency's.
//!
//! Reads `cargo metadata --format-version 1 --locked` (every package of Cargo.lock, for every
//! platform) and fails when a dependency declares a `rust-version` above the workspace's, or
//! when a workspace member declares another `rust-version` than the workspace. It does not build
//! with that toolchain (rustup cannot fetch toolchains here), so language features newer than
//! the declared version in our own code are not caught by it.

use crate::{Result, cargo};
use serde_json::Value;

/// A `rust-version` as numbers: `1.94.1` → `[1, 94, 1]`, `1.94` → `[1, 94, 0]`.
fn parse(v: &str) -> Option<[u64; 3]> {
    let mut out = [0u64; 3];
    let mut parts = v.trim().split('.');
    for slot in &mut out {
        match parts.next() {
            Some(p) => *slot = p.parse().ok()?,
            None => break,
        }
    }
    parts.next().is_none().then_some(out)
}

/// The check on parsed `cargo metadata` output; `Ok` holds the one-line summary.
fn check(meta: &Value) -> Result<String> {
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .ok_or("cargo metadata: no workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages = meta["packages"].as_array().ok_or("cargo metadata: no packages")?;
    let mut declared: Option<(String, [u64; 3])> = None;
    let mut deps: Vec<([u64; 3], String)> = Vec::new();
    for p in packages {
        let name = format!(
            "{} {}",
            p["name"].as_str().unwrap_or("?"),
            p["version"].as_str().unwrap_or("?")
        );
        let rv = p["rust_version"].as_str();
        let is_member = p["id"].as_str().is_some_and(|id| members.contains(&id));
        if is_member {
            let rv =
                rv.ok_or_else(|| format!("workspace member {name} declares no rust-version"))?;
            let v = parse(rv).ok_or_else(|| format!("{name}: unreadable rust-version `{rv}`"))?;
            match &declared {
                None => declared = Some((rv.to_string(), v)),
                Some((d, dv)) if *dv != v => {
                    return Err(format!(
                        "workspace member {name} declares rust-version {rv}, the others {d} \
                         (use `rust-version.workspace = true`)"
                    ));
                }
                Some(_) => {}
            }
        } else if let Some(rv) = rv {
            let v = parse(rv).ok_or_else(|| format!("{name}: unreadable rust-version `{rv}`"))?;
            deps.push((v, name));
        }
    }
    let (declared, dv) = declared.ok_or("cargo metadata: no workspace member")?;
    let mut above: Vec<String> = deps
        .iter()
        .filter(|(v, _)| *v > dv)
        .map(|(v, n)| format!("{n} needs {}.{}.{}", v[0], v[1], v[2]))
        .collect();
    if !above.is_empty() {
        above.sort();
        return Err(format!(
            "the workspace declares rust-version {declared}, but {} locked dependencies need more:\n  {}",
            above.len(),
            above.join("\n  ")
        ));
    }
    let highest = deps
        .iter()
        .max()
        .map_or_else(|| "none".to_string(), |(v, n)| format!("{n} at {}.{}.{}", v[0], v[1], v[2]));
    Ok(format!(
        "rust-version {declared} covers all {} locked dependencies (highest: {highest})",
        deps.len()
    ))
}

/// Runs `cargo metadata` and the check.
pub(crate) fn msrv() -> Result {
    eprintln!("==> MSRV check (cargo metadata)");
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| format!("cargo metadata: cannot start: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let meta: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))?;
    let summary = check(&meta)?;
    eprintln!("    {summary}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(ours: &str, dep: &str) -> Value {
        json!({
            "workspace_members": ["path+file:///w#a@0.1.0"],
            "packages": [
                {"id": "path+file:///w#a@0.1.0", "name": "a", "version": "0.1.0", "rust_version": ours},
                {"id": "registry+x#dep@2.5.0", "name": "dep", "version": "2.5.0", "rust_version": dep},
                {"id": "registry+x#old@1.0.0", "name": "old", "version": "1.0.0", "rust_version": null},
            ]
        })
    }

    #[test]
    fn versions_compare_numerically_with_missing_patch_as_zero() {
        assert_eq!(parse("1.94.1"), Some([1, 94, 1]));
        assert_eq!(parse("1.94"), Some([1, 94, 0]));
        assert!(parse("1.100").unwrap() > parse("1.94.1").unwrap());
        assert_eq!(parse("1.x"), None);
        assert_eq!(parse("1.2.3.4"), None);
    }

    #[test]
    fn a_dependency_above_the_declared_version_fails_naming_it() {
        let e = check(&meta("1.88", "1.94.1")).unwrap_err();
        assert!(e.contains("dep 2.5.0 needs 1.94.1") && e.contains("1.88"), "{e}");
    }

    #[test]
    fn equal_or_lower_passes() {
        let s = check(&meta("1.94.1", "1.94.1")).unwrap();
        assert!(s.contains("dep 2.5.0 at 1.94.1"), "{s}");
        assert!(check(&meta("1.95", "1.94.1")).is_ok());
    }

    #[test]
    fn this_workspace_passes() {
        // the real lock file against the real declaration (what `cargo xtask test` runs)
        msrv().unwrap();
    }
}
