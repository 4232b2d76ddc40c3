//! `cargo xtask test`'s check of what a user's build pulls in (issue 14 item 6): the client's
//! normal build has no `anvil-api` (the `anvil_*` methods are for the devnet and the tests), and
//! the CLI built without its default `devnet` feature depends on neither the devnet nor the local
//! MEE node (test infrastructure).

use crate::{Result, cargo};

/// `cargo tree` lines for `args` (normal edges only: what a dependent's build compiles).
fn tree(args: &[&str]) -> Result<String> {
    let out = cargo()
        .args(["tree", "--edges", "normal", "--prefix", "none"])
        .args(args)
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo tree {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Fails naming the first unwanted dependency or feature.
pub(crate) fn check() -> Result {
    let features =
        tree(&["-p", "smart-sessions-client", "-e", "features", "-i", "alloy-provider"])?;
    if let Some(line) = features.lines().find(|l| l.contains("\"anvil-api\"")) {
        return Err(format!(
            "the client's normal build enables alloy-provider's anvil-api: {line}"
        ));
    }
    let cli = tree(&["-p", "smart-sessions-cli", "--no-default-features"])?;
    for crate_name in ["smart-sessions-devnet", "smart-sessions-mee-node", "indicatif"] {
        if cli.lines().any(|l| l.starts_with(&format!("{crate_name} "))) {
            return Err(format!(
                "smart-sessions-cli --no-default-features still depends on {crate_name}"
            ));
        }
    }
    let cli = tree(&[
        "-p",
        "smart-sessions-cli",
        "--no-default-features",
        "-e",
        "features",
        "-i",
        "alloy-provider",
    ])?;
    if let Some(line) = cli.lines().find(|l| l.contains("\"anvil-api\"")) {
        return Err(format!("the network-only CLI enables alloy-provider's anvil-api: {line}"));
    }
    eprintln!("features: the client has no anvil-api; the network-only CLI has no devnet");
    Ok(())
}
