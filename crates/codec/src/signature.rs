//! `userOp.signature` for SmartSession: USE, ENABLE and UNSAFE_ENABLE, per generation.
//!
//! | mode | layout |
//! |---|---|
//! | USE (v1.0, current) | `0x00 ‖ permissionId ‖ sessionKeySignature` |
//! | USE (legacy) | `0x00 ‖ permissionId ‖ flzCompress(abi.encode(bytes sessionKeySignature))` |
//! | ENABLE / UNSAFE_ENABLE | `mode ‖ flzCompress(abi.encode(EnableSession, bytes sessionKeySignature))` |
//!
//! `EnableSession.permissionEnableSig` is the owner's signature behind an account-type prefix
//! that routes it to one of the account's validators (see [`AccountType`]).

use crate::{AnyEnableSession, EnableSession, Error, Generation, Result, flz, legacy};
use alloc::vec::Vec;
use alloy_primitives::{Address, B256, Bytes};
use alloy_sol_types::{SolType, abi::AbiDecoderConfig, sol_data};
use core::{fmt, str::FromStr};

/// The first byte of a SmartSession signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum SmartSessionMode {
    /// `USE` (0x00): use a permission already enabled on the account.
    Use = 0,
    /// Enable a permission with the owner's signature, then use it.
    Enable = 1,
    /// Like [`Enable`](Self::Enable) with `ignoreSecurityAttestations` in the signed digest.
    UnsafeEnable = 2,
}

impl TryFrom<u8> for SmartSessionMode {
    type Error = Error;

    fn try_from(value: u8) -> Result<Self> {
        match value {
            0 => Ok(Self::Use),
            1 => Ok(Self::Enable),
            2 => Ok(Self::UnsafeEnable),
            _ => Err(Error::InvalidMode { value }),
        }
    }
}

/// The two enable modes. They behave the same on chain (the registry check is gone in the
/// current generation); the mode enters the session digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum EnableMode {
    /// `ENABLE` (0x01): `ignoreSecurityAttestations` is false in the signed digest.
    Enable = 1,
    /// `UNSAFE_ENABLE` (0x02): sets `ignoreSecurityAttestations` in the digest; abstractjs uses it.
    UnsafeEnable = 2,
}

impl From<EnableMode> for SmartSessionMode {
    fn from(m: EnableMode) -> Self {
        match m {
            EnableMode::Enable => Self::Enable,
            EnableMode::UnsafeEnable => Self::UnsafeEnable,
        }
    }
}

impl TryFrom<u8> for EnableMode {
    type Error = Error;

    fn try_from(value: u8) -> Result<Self> {
        match value {
            1 => Ok(Self::Enable),
            2 => Ok(Self::UnsafeEnable),
            _ => Err(Error::InvalidMode { value }),
        }
    }
}

/// How the owner's `permissionEnableSig` is prefixed so the account routes it to a validator
/// (module-sdk `formatPermissionEnableSig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// Biconomy Nexus: `validator (20) ‖ signature`.
    Nexus,
    /// Safe with the 7579 adapter: `validator (20) ‖ signature`.
    Safe,
    /// The ERC-7579 reference implementation: `validator (20) ‖ signature`.
    Erc7579Implementation,
    /// `ZeroDev` Kernel: `0x01 ‖ validator (20) ‖ signature`.
    Kernel,
}

impl AccountType {
    /// The name module-sdk uses (`nexus`, `safe`, `erc7579-implementation`, `kernel`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Nexus => "nexus",
            Self::Safe => "safe",
            Self::Erc7579Implementation => "erc7579-implementation",
            Self::Kernel => "kernel",
        }
    }

    const fn prefix_len(self) -> usize {
        match self {
            Self::Kernel => 21,
            _ => 20,
        }
    }

    /// Prefixes the owner's `signature` so the account hands it to `validator`.
    pub fn format_permission_enable_sig(self, validator: Address, signature: &[u8]) -> Bytes {
        let mut out = Vec::with_capacity(self.prefix_len() + signature.len());
        if self == Self::Kernel {
            out.push(0x01);
        }
        out.extend_from_slice(validator.as_slice());
        out.extend_from_slice(signature);
        out.into()
    }

    /// Splits a prefixed `permissionEnableSig` into the validator and the owner's signature.
    pub fn split_permission_enable_sig(self, data: &[u8]) -> Result<(Address, Bytes)> {
        if data.len() < self.prefix_len() {
            return Err(Error::TooShort {
                field: "permissionEnableSig",
                needed: self.prefix_len(),
                actual: data.len(),
            });
        }
        let (prefix, sig) = data.split_at(self.prefix_len());
        let validator = match self {
            Self::Kernel => {
                if prefix[0] != 0x01 {
                    return Err(Error::OutOfRange {
                        field: "permissionEnableSig",
                        reason: "a kernel enable signature starts with 0x01",
                    });
                }
                Address::from_slice(&prefix[1..])
            }
            _ => Address::from_slice(prefix),
        };
        Ok((validator, Bytes::copy_from_slice(sig)))
    }
}

impl fmt::Display for AccountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AccountType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "nexus" => Ok(Self::Nexus),
            "safe" => Ok(Self::Safe),
            "erc7579-implementation" => Ok(Self::Erc7579Implementation),
            "kernel" => Ok(Self::Kernel),
            _ => Err(Error::OutOfRange {
                field: "accountType",
                reason: "expected nexus, safe, erc7579-implementation or kernel",
            }),
        }
    }
}

/// Default cap on the decompressed size of a signature payload (4 MiB): far above any real
/// enable payload (a session with 50 universal-action policies is ~200 KB), far below an
/// allocation that hurts.
pub const DEFAULT_MAX_PAYLOAD: usize = 4 << 20;

/// A decoded SmartSession `userOp.signature`.
///
/// ```
/// use alloy_primitives::{b256, Bytes};
/// use smart_sessions_codec::{Generation, SmartSessionSignature};
///
/// let sig = SmartSessionSignature::Use {
///     permission_id: b256!("0xc46ab2a6e637800682a754bf37dc57dd85018c9faf44aa306eba407e706e0208"),
///     signature: Bytes::from_static(&[0xab; 65]),
/// };
/// for generation in Generation::ALL {
///     let bytes = sig.encode(generation)?;
///     assert_eq!(SmartSessionSignature::decode(&bytes, generation)?, sig);
/// }
/// # Ok::<(), smart_sessions_codec::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SmartSessionSignature {
    /// USE mode: an enabled permission and the session key's signature.
    Use {
        /// The permission id of the enabled session (signature bytes 1 ..= 32; see
        /// [`permission_id`](crate::permission_id)).
        permission_id: B256,
        /// The session validator's signature, passed through unchanged.
        signature: Bytes,
    },
    /// ENABLE / UNSAFE_ENABLE: enable the session, then use it.
    Enable {
        /// `ENABLE` or `UNSAFE_ENABLE`: the signature's first byte, which must be the mode the
        /// owner's signed session digest was computed with.
        mode: EnableMode,
        /// The enable payload (its layout must match the generation).
        enable: AnyEnableSession,
        /// The session key's signature of the user operation, checked by the session validator
        /// once the session is enabled (passed through unchanged).
        signature: Bytes,
    },
}

fn strict() -> AbiDecoderConfig {
    AbiDecoderConfig::new().strict(true)
}

/// `0x00 ‖ permissionId ‖ signature` (v1.0, current), or with the legacy compression.
pub fn encode_use(generation: Generation, permission_id: B256, signature: &[u8]) -> Vec<u8> {
    let mut out;
    if generation.compresses_use_signature() {
        let payload = <sol_data::Bytes as SolType>::abi_encode(&signature);
        let packed = flz::compress(&payload);
        out = Vec::with_capacity(33 + packed.len());
        out.push(0);
        out.extend_from_slice(permission_id.as_slice());
        out.extend_from_slice(&packed);
    } else {
        out = Vec::with_capacity(33 + signature.len());
        out.push(0);
        out.extend_from_slice(permission_id.as_slice());
        out.extend_from_slice(signature);
    }
    out
}

/// The uncompressed ENABLE payload: `abi.encode(EnableSession, bytes signature)`.
pub fn enable_payload(enable: &AnyEnableSession, signature: &[u8]) -> Vec<u8> {
    match enable {
        AnyEnableSession::Current(e) => alloy_sol_types::abi::encode_params(&(
            <EnableSession as SolType>::tokenize(e),
            <sol_data::Bytes as SolType>::tokenize(&signature),
        )),
        AnyEnableSession::Legacy(e) => alloy_sol_types::abi::encode_params(&(
            <legacy::EnableSession as SolType>::tokenize(e),
            <sol_data::Bytes as SolType>::tokenize(&signature),
        )),
    }
}

/// `mode ‖ flzCompress(abi.encode(EnableSession, bytes signature))`.
///
/// Fails with [`Error::GenerationMismatch`] when the payload's layout is not the generation's.
pub fn encode_enable(
    generation: Generation,
    mode: EnableMode,
    enable: &AnyEnableSession,
    signature: &[u8],
) -> Result<Vec<u8>> {
    if enable.is_legacy() != generation.is_legacy() {
        return Err(Error::GenerationMismatch {
            what: if enable.is_legacy() {
                "the 6-field legacy EnableSession layout"
            } else {
                "the 7-field EnableSession layout"
            },
            generation,
        });
    }
    let packed = flz::compress(&enable_payload(enable, signature));
    let mut out = Vec::with_capacity(1 + packed.len());
    out.push(mode as u8);
    out.extend_from_slice(&packed);
    Ok(out)
}

impl SmartSessionSignature {
    /// The mode this signature encodes to (its first byte).
    pub const fn mode(&self) -> SmartSessionMode {
        match self {
            Self::Use { .. } => SmartSessionMode::Use,
            Self::Enable { mode: EnableMode::Enable, .. } => SmartSessionMode::Enable,
            Self::Enable { mode: EnableMode::UnsafeEnable, .. } => SmartSessionMode::UnsafeEnable,
        }
    }

    /// The permission the signature uses (computed from the session in enable modes, as the
    /// contract does).
    pub fn permission_id(&self) -> B256 {
        match self {
            Self::Use { permission_id, .. } => *permission_id,
            Self::Enable { enable, .. } => enable.permission_id(),
        }
    }

    /// The session key's signature of the user operation, which SmartSession passes to the
    /// session validator (in either mode).
    pub const fn session_key_signature(&self) -> &Bytes {
        match self {
            Self::Use { signature, .. } | Self::Enable { signature, .. } => signature,
        }
    }

    /// The `userOp.signature` bytes for `generation` (layouts in the module docs); fails with
    /// [`Error::GenerationMismatch`] when an enable payload's layout is not the generation's.
    pub fn encode(&self, generation: Generation) -> Result<Vec<u8>> {
        match self {
            Self::Use { permission_id, signature } => {
                Ok(encode_use(generation, *permission_id, signature))
            }
            Self::Enable { mode, enable, signature } => {
                encode_enable(generation, *mode, enable, signature)
            }
        }
    }

    /// Decodes a signature of `generation`, with a [`DEFAULT_MAX_PAYLOAD`] cap on decompression.
    pub fn decode(data: &[u8], generation: Generation) -> Result<Self> {
        Self::decode_with_limit(data, generation, DEFAULT_MAX_PAYLOAD)
    }

    /// Decodes a signature of `generation`; compressed payloads may not expand beyond
    /// `max_payload` bytes.
    ///
    /// ABI payloads must be canonical (strict decoding: no overlapping or out-of-order offsets,
    /// clean padding, no trailing bytes), so what decodes re-encodes to the same payload.
    pub fn decode_with_limit(
        data: &[u8],
        generation: Generation,
        max_payload: usize,
    ) -> Result<Self> {
        let Some((&mode, rest)) = data.split_first() else {
            return Err(Error::TooShort { field: "signature mode byte", needed: 1, actual: 0 });
        };
        match SmartSessionMode::try_from(mode)? {
            SmartSessionMode::Use => {
                let Some((id, sig)) = rest.split_first_chunk::<32>() else {
                    return Err(Error::TooShort {
                        field: "USE signature (mode byte and permissionId)",
                        needed: 33,
                        actual: data.len(),
                    });
                };
                let signature = if generation.compresses_use_signature() {
                    let payload = flz::decompress(sig, max_payload)?;
                    <sol_data::Bytes as SolType>::abi_decode_with_config(&payload, strict())
                        .map_err(|e| Error::abi("legacy USE payload abi.encode(bytes)", e))?
                } else {
                    Bytes::copy_from_slice(sig)
                };
                Ok(Self::Use { permission_id: B256::from(*id), signature })
            }
            m @ (SmartSessionMode::Enable | SmartSessionMode::UnsafeEnable) => {
                let mode = if m == SmartSessionMode::Enable {
                    EnableMode::Enable
                } else {
                    EnableMode::UnsafeEnable
                };
                let payload = flz::decompress(rest, max_payload)?;
                let (enable, signature) = decode_enable_payload(&payload, generation)?;
                Ok(Self::Enable { mode, enable, signature })
            }
        }
    }
}

/// Decodes an uncompressed ENABLE payload (`abi.encode(EnableSession, bytes)`) of `generation`.
pub fn decode_enable_payload(
    payload: &[u8],
    generation: Generation,
) -> Result<(AnyEnableSession, Bytes)> {
    if generation.is_legacy() {
        let (e, s) =
            <(legacy::EnableSession, sol_data::Bytes) as SolType>::abi_decode_params_with_config(
                payload,
                strict(),
            )
            .map_err(|e| Error::abi("legacy ENABLE payload (EnableSession, bytes)", e))?;
        Ok((AnyEnableSession::Legacy(e), s))
    } else {
        let (e, s) = <(EnableSession, sol_data::Bytes) as SolType>::abi_decode_params_with_config(
            payload,
            strict(),
        )
        .map_err(|e| Error::abi("ENABLE payload (EnableSession, bytes)", e))?;
        Ok((AnyEnableSession::Current(e), s))
    }
}
