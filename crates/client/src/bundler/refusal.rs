//! What a bundler's refusal means: `AAxx` codes in its message, and revert data (in the error's
//! `data` or written into the message) decoded as SmartSession's, the policies', the
//! EntryPoint's or the ERC-7484 registry's errors.

use crate::RemoteText;
use alloy_primitives::{Address, B256, Bytes, hex};
use alloy_sol_types::SolInterface;
use smart_sessions_bindings::{
    common::{entry_point::EntryPointErrors, registry::Registry::RegistryErrors},
    current, legacy,
};
use std::fmt;

/// What a bundler's refusal means.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// An EntryPoint `AAxx` code (e.g. 24: signature error), with the bundler's text.
    EntryPoint {
        /// The two digits after `AA` (e.g. 25: invalid account nonce).
        code: u8,
        /// The bundler's message (escaped, bounded).
        message: RemoteText,
    },
    /// A SmartSession error (any generation) decoded from the revert data.
    SmartSession(SmartSessionError),
    /// An EntryPoint error (`FailedOp`, `FailedOpWithRevert`, ...).
    EntryPointRevert(EntryPointErrors),
    /// An ERC-7484 registry error (e.g. `InsufficientAttestations`: the registry has fewer
    /// attestations of the module from the account's trusted attesters than its threshold).
    Registry(RegistryErrors),
    /// An error known only by its selector, seen from deployed contracts whose ABI no package
    /// ships (the deployed ERC-7484 registry's `InsufficientAttestations` is `0x0124f8d7`, which
    /// is not the ABI's `InsufficientAttestations()`, `0xe424f994`); its arguments stay raw.
    Observed {
        /// The error's name as observed (e.g. `InsufficientAttestations`).
        name: &'static str,
        /// The whole revert data, selector included, undecoded.
        data: Bytes,
    },
    /// Anything else: the bundler's message.
    Other {
        /// The bundler's message (escaped, bounded).
        message: RemoteText,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EntryPoint { code, message } => write!(f, "AA{code}: {message}"),
            Self::SmartSession(e) => write!(f, "SmartSession {e}"),
            Self::EntryPointRevert(e) => write!(f, "EntryPoint {e:?}"),
            Self::Registry(e) => write!(
                f,
                "registry {}",
                RegistryErrors::name_by_selector(e.selector()).unwrap_or("error")
            ),
            Self::Observed { name, data } => write!(f, "registry {name} ({data})"),
            Self::Other { message } => f.write_str(message.as_str()),
        }
    }
}

/// A SmartSession error decoded from revert data, with the permission and policy it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmartSessionError {
    /// The error's name (`PolicyViolation`, `InvalidPermissionId`, `NoPoliciesSet`,
    /// `HashMismatch`, …), from the bindings' selector table.
    pub name: &'static str,
    /// The permission id the error carries (`permissionId`), if it has one.
    pub permission_id: Option<B256>,
    /// The policy contract the error carries (`PolicyViolation`, `UnsupportedPolicy`), if any.
    pub policy: Option<Address>,
    /// The decoded error with all its arguments, in `Debug` form (what `Display` prints).
    pub detail: String,
    /// For `PolicyCheckReverted`: the policy's own revert, when its selector is one this crate
    /// knows (a policy's, SmartSession's or the registry's error name).
    pub inner: Option<&'static str>,
}

impl fmt::Display for SmartSessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)?;
        if let Some(inner) = self.inner {
            write!(f, " (the policy reverted with {inner})")?;
        }
        Ok(())
    }
}

/// Selectors seen from deployed contracts whose ABI no package ships (issue 13 item 4: the
/// registry's refusal when installing SmartSession on a K1-factory account whose attesters have
/// not attested it).
const OBSERVED: [([u8; 4], &str); 1] = [([0x01, 0x24, 0xf8, 0xd7], "InsufficientAttestations")];

fn observed_error_name(data: &[u8]) -> Option<&'static str> {
    let sel = data.get(..4)?;
    OBSERVED.iter().find(|(s, _)| s == sel).map(|(_, n)| *n)
}

/// The name of a known error selector: SmartSession's (any generation), the policies', the
/// registry's, the EntryPoint's.
pub fn error_name(selector: [u8; 4]) -> Option<&'static str> {
    use current::{
        erc20_spending_limit_policy::ERC20SpendingLimitPolicy::ERC20SpendingLimitPolicyErrors as S,
        time_frame_policy::TimeFramePolicy::TimeFramePolicyErrors as T,
        uni_action_policy::UniActionPolicy::UniActionPolicyErrors as A,
        usage_limit_policy::UsageLimitPolicy::UsageLimitPolicyErrors as U,
        value_limit_policy::ValueLimitPolicy::ValueLimitPolicyErrors as V,
    };
    current::smart_session::SmartSession::SmartSessionErrors::name_by_selector(selector)
        .or_else(|| {
            legacy::smart_session::SmartSession::SmartSessionErrors::name_by_selector(selector)
        })
        .or_else(|| A::name_by_selector(selector))
        .or_else(|| T::name_by_selector(selector))
        .or_else(|| U::name_by_selector(selector))
        .or_else(|| V::name_by_selector(selector))
        .or_else(|| S::name_by_selector(selector))
        .or_else(|| RegistryErrors::name_by_selector(selector))
        .or_else(|| EntryPointErrors::name_by_selector(selector))
        .or_else(|| observed_error_name(&selector))
}

macro_rules! smart_session_error {
    ($e:expr, $errors:path) => {{
        use $errors as E;
        let e = $e;
        let (permission_id, policy) = match &e {
            E::PolicyViolation(x) => (Some(B256::from(x.permissionId)), Some(x.policy)),
            E::InvalidPermissionId(x) => (Some(B256::from(x.permissionId)), None),
            E::NoPoliciesSet(x) => (Some(B256::from(x.permissionId)), None),
            E::InvalidSession(x) => (Some(B256::from(x.permissionId)), None),
            E::InvalidSessionKeySignature(x) => (Some(B256::from(x.permissionId)), None),
            E::SignerNotFound(x) => (Some(B256::from(x.permissionId)), None),
            E::UnsupportedPolicy(x) => (None, Some(x.policy)),
            _ => (None, None),
        };
        SmartSessionError {
            name: E::name_by_selector(e.selector()).unwrap_or("unknown"),
            permission_id,
            policy,
            detail: format!("{e:?}"),
            inner: None,
        }
    }};
}

/// Decodes revert data of the SmartSession generations, the EntryPoint or the ERC-7484
/// registry, if it is one of theirs. For `PolicyCheckReverted`, the policy's inner revert is
/// named when its selector is known.
pub fn decode_revert(data: &[u8]) -> Option<Refusal> {
    use current::smart_session::SmartSession::SmartSessionErrors as C;
    if let Ok(e) = C::abi_decode(data) {
        let inner = match &e {
            C::PolicyCheckReverted(r) => {
                let w = r.revertReason.0;
                error_name([w[0], w[1], w[2], w[3]])
            }
            _ => None,
        };
        // only the current generation has the paymaster permit
        let paymaster_pid = match &e {
            C::PaymasterValidationNotEnabled(x) => Some(B256::from(x.permissionId)),
            _ => None,
        };
        let mut s = smart_session_error!(e, C);
        s.inner = inner;
        s.permission_id = s.permission_id.or(paymaster_pid);
        return Some(Refusal::SmartSession(s));
    }
    if let Ok(e) = legacy::smart_session::SmartSession::SmartSessionErrors::abi_decode(data) {
        return Some(Refusal::SmartSession(smart_session_error!(
            e,
            legacy::smart_session::SmartSession::SmartSessionErrors
        )));
    }
    if let Ok(e) = EntryPointErrors::abi_decode(data) {
        return Some(Refusal::EntryPointRevert(e));
    }
    if let Ok(e) = RegistryErrors::abi_decode(data) {
        return Some(Refusal::Registry(e));
    }
    observed_error_name(data)
        .map(|name| Refusal::Observed { name, data: Bytes::copy_from_slice(data) })
}

/// Interprets a bundler's error: revert data in the JSON-RPC error's `data` first (decoded with
/// the bindings' error enums), then an `AAxx` code in the message, then revert data written into
/// the message (Alto puts simulation reverts there).
///
/// ```
/// use smart_sessions_client::{Refusal, bundler::classify};
///
/// let message = "UserOperation reverted during simulation with reason: AA24 signature error";
/// let r = classify(message, None);
/// assert!(matches!(r, Refusal::EntryPoint { code: 24, .. }));
/// assert!(r.to_string().starts_with("AA24: "));
///
/// // Neither a code nor revert data: the message, escaped.
/// let r = classify("rate limited\u{1b}[31m", None);
/// assert!(matches!(r, Refusal::Other { .. }));
/// assert!(!r.to_string().contains('\u{1b}'));
/// ```
pub fn classify(message: &str, data: Option<&[u8]>) -> Refusal {
    if let Some(r) = data.and_then(decode_revert) {
        return r;
    }
    if let Some(at) = message.find("AA") {
        let digits: String = message[at + 2..].chars().take_while(char::is_ascii_digit).collect();
        if let (2, Ok(code)) = (digits.len(), digits.parse::<u8>()) {
            // revert data inside the message beats the bare code
            if let Some(r) = hex_in(message).and_then(|d| decode_revert(&d)) {
                return r;
            }
            return Refusal::EntryPoint { code, message: RemoteText::new(message) };
        }
    }
    hex_in(message)
        .and_then(|d| decode_revert(&d))
        .unwrap_or_else(|| Refusal::Other { message: RemoteText::new(message) })
}

fn hex_in(message: &str) -> Option<Vec<u8>> {
    let at = message.find("0x")?;
    let h: String = message[at + 2..].chars().take_while(char::is_ascii_hexdigit).collect();
    if h.len() >= 8 && h.len().is_multiple_of(2) { hex::decode(h).ok() } else { None }
}
