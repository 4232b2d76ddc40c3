//! `smart-sessions trust-attesters`: the seed docs' `trustAttesters` action. The account calls
//! `registry.trustAttesters(threshold, attesters)` in one owner user operation (deploying the
//! account first if needed); the registry then accepts a module (SmartSession's policies and
//! validators, on the generations that consult it) once `threshold` of them attested it.

use super::{
    NetError, Res, Usage,
    args::AccountArgs,
    endpoint::{Endpoint, require},
    flows,
    keys::{KeyOptions, OwnerKey},
};
use alloy_primitives::Address;
use alloy_provider::Provider;
use clap::Args;
use serde_json::{Value, json};
use smart_sessions_codec::Generation;

/// The arguments of `trust-attesters`.
#[derive(Args, Debug)]
pub struct TrustCmd {
    /// The node, the bundler and the deployment table (`--rpc-url`, `--bundler-url`,
    /// `--deployments`, …).
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The account to act on: `--account`, or derived from `--owner` or the owner's key.
    #[command(flatten)]
    pub account: AccountArgs,
    /// Where the owner's signing key comes from (environment variable, keystore or flag).
    #[command(flatten)]
    pub key: OwnerKey,
    /// The keystore password, and whether a private key on the command line is accepted.
    #[command(flatten)]
    pub keys: KeyOptions,
    /// The attesters to trust, comma separated (sent sorted ascending, as the ERC-7484 registry
    /// requires; a duplicate is refused). They replace the account's current list.
    #[arg(long, value_delimiter = ',', required = true, value_name = "ADDRESS,…")]
    pub attesters: Vec<Address>,
    /// How many of them must have attested a module. Default 1, what the K1 factory sets at
    /// deployment (`@biconomy/sdk`'s `trustAttesters` defaults to the number of attesters, which
    /// refuses every module one of them has not attested).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub threshold: u8,
    /// The ERC-7484 registry (default: the deployment table's `registry`).
    #[arg(long, value_name = "ADDRESS")]
    pub registry: Option<Address>,
}

/// The attesters sorted ascending and the threshold, or the usage error the registry would
/// revert with (`InvalidThreshold`, unsorted or repeated attesters) without sending anything.
///
/// ```
/// use alloy_primitives::address;
/// use smart_sessions_cli::net::{Usage, trust::checked_attesters};
///
/// let a = address!("0x000000333034E9f539ce08819E12c1b8Cb29084d");
/// let b = address!("0xA4C777199658a41688E9488c4EcbD7a2925Cc23A");
/// assert_eq!(checked_attesters(&[b, a], 1).unwrap(), vec![a, b]);
/// let twice = checked_attesters(&[a, a], 1);
/// assert!(matches!(twice, Err(Usage::AttesterTwice { address }) if address == a));
/// let too_many = checked_attesters(&[a, b], 3);
/// assert!(matches!(too_many, Err(Usage::Threshold { threshold: 3, count: 2 })));
/// ```
pub fn checked_attesters(attesters: &[Address], threshold: u8) -> Result<Vec<Address>, Usage> {
    let mut sorted = attesters.to_vec();
    sorted.sort();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(Usage::AttesterTwice { address: w[0] });
    }
    if sorted.iter().any(|a| a.is_zero()) {
        return Err(Usage::ZeroAttester);
    }
    if threshold == 0 || usize::from(threshold) > sorted.len() {
        return Err(Usage::Threshold { threshold, count: sorted.len() });
    }
    Ok(sorted)
}

/// Runs `trust-attesters`.
pub(crate) async fn run(c: &TrustCmd, g: Generation) -> Res<Value> {
    let attesters = checked_attesters(&c.attesters, c.threshold).map_err(NetError::Usage)?;
    let mut d = c.endpoint.deployments(g)?;
    if let Some(r) = c.registry {
        d.registry = r;
    }
    require(d.registry, "registry")?;
    require(d.owner_validator, "ownerValidator")?;
    let owner = c.key.load(&c.keys)?;
    let node = c.endpoint.node()?;
    let bundler = c.endpoint.bundler()?;
    flows::trust_attesters(node, bundler, d, &c.account, &owner, &attesters, c.threshold).await
}

/// The account's trust as `account` and `status` show it: `{registry, trustedAttesters,
/// attesterThreshold}`, the list from `registry.findTrustedAttesters` and the threshold from
/// the registry's storage (`smart_sessions_client::account_trust`: the ERC-7484 reference
/// registry's `$accountToAttester` record at slot 3; 0 for an account trusting no one). A
/// registry that does not answer (none deployed on this chain), or whose storage is not the
/// reference layout, gives `trustedAttesters: null` and `trustedAttestersError` instead of
/// failing the command; a zero registry in the table gives nulls.
pub(crate) async fn trust_json<P: Provider>(
    node: &P,
    registry: Address,
    account: Address,
) -> Value {
    if registry.is_zero() {
        return json!({ "registry": null, "trustedAttesters": null, "attesterThreshold": null });
    }
    match smart_sessions_client::account_trust(node, registry, account).await {
        Ok(t) => json!({
            "registry": registry,
            "trustedAttesters": t.attesters,
            "attesterThreshold": t.threshold,
        }),
        Err(e) => json!({
            "registry": registry,
            "trustedAttesters": null,
            "attesterThreshold": null,
            "trustedAttestersError": crate::text::printable(&crate::text::with_causes(&e)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn attesters_are_sorted_and_checked_like_the_registry() {
        let (a, b) = (
            address!("0x000000333034E9f539ce08819E12c1b8Cb29084d"),
            address!("0xA4C777199658a41688E9488c4EcbD7a2925Cc23A"),
        );
        assert_eq!(checked_attesters(&[b, a], 2).unwrap(), vec![a, b]);
        assert!(checked_attesters(&[a, a], 1).unwrap_err().to_string().contains("given twice"));
        assert!(
            checked_attesters(&[a, b], 3).unwrap_err().to_string().starts_with("--threshold 3")
        );
        assert!(checked_attesters(&[a], 0).unwrap_err().to_string().starts_with("--threshold 0"));
        assert!(checked_attesters(&[Address::ZERO], 1).is_err());
    }
}
