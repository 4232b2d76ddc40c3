//! `SessionDetails`: what `grantPermission*` returns and `usePermission` takes, read and written
//! in both of the SDK's serialised forms.
//!
//! - [`BigIntForm::Wire`]: the JSON the node receives (viem `stringify`): bigints as decimal
//!   strings (`sessionToEnable.chainId`, `hashesAndChainIds[].chainId`), numbers as numbers
//!   (`chainDigestIndex`, `actions[].chainId`).
//! - [`BigIntForm::Tagged`]: abstractjs `stringify` for storage and hand-over: bigints as
//!   `{"__type":"bigint","value":"<dec>"}`, which abstractjs `parse` restores to `BigInt`s so that
//!   `sessionToEnable.chainId === BigInt(chainId)` keeps matching.
//!
//! Reading accepts either form (and plain numbers), so a round trip through any of them is
//! lossless.

use crate::{
    MeeError, Result,
    json::{address, array, b256, boolean, bytes, get, u64_of},
};
use alloy_primitives::{Address, B256, Bytes, FixedBytes};
use serde_json::{Value, json};
use smart_sessions_codec::{
    ActionData, ChainDigest, ERC7739Context, ERC7739Data, PolicyData, Session, SmartSessionMode,
    legacy,
};

/// How [`SessionDetails::to_json`] and [`MeeSession::to_json`] write bigints (both forms are
/// read back).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum BigIntForm {
    /// Decimal strings (the node's wire JSON, viem `stringify`).
    #[default]
    Wire,
    /// `{"__type":"bigint","value":"…"}` (abstractjs `stringify`).
    Tagged,
}

/// A session as the SDK holds it: the ABI [`Session`] plus the chain ids the SDK attaches (the
/// session's as a bigint, each action's as a number; neither is ABI-encoded).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MeeSession {
    /// The session as SmartSession's ABI `Session` struct (what is hashed and enabled).
    pub session: Session,
    /// `sessionToEnable.chainId`.
    pub chain_id: u64,
    /// `actions[i].chainId`, where present.
    pub action_chain_ids: Vec<Option<u64>>,
}

/// One entry of the `sessionDetails` array: one chain's session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionDetails {
    /// `0x02` (UNSAFE_ENABLE) from a grant, `0x00` (USE) once enabled or from prepare.
    pub mode: SmartSessionMode,
    /// The session's permission id on its chain.
    pub permission_id: B256,
    /// The SDK's mock OwnableValidator signature (ignored by the node).
    pub signature: Bytes,
    /// Index of this chain in [`Self::hashes_and_chain_ids`].
    pub chain_digest_index: u8,
    /// Every chain's `(chainId, sessionDigest)` of the grant.
    pub hashes_and_chain_ids: Vec<ChainDigest>,
    /// The session this entry enables on its chain, with the SDK's chain ids.
    pub session_to_enable: MeeSession,
    /// The owner's 65-byte signature over the multichain digest (unprefixed).
    pub permission_enable_sig: Bytes,
    /// The validator the owner signature is routed to (zero = Nexus default validator).
    pub validator: Address,
    /// `accountType` of the entry: always `"nexus"` for the accounts the SDK builds.
    pub account_type: String,
}

fn policies_from(v: &Value, path: &str) -> Result<Vec<PolicyData>> {
    array(v, path)?
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let path = format!("{path}[{i}]");
            let policy = p.get("policy").or_else(|| p.get("address"));
            let policy =
                policy.ok_or_else(|| MeeError::field(format!("{path}.policy"), "missing"))?;
            Ok(PolicyData {
                policy: address(policy, &format!("{path}.policy"))?,
                initData: bytes(get(p, &path, "initData")?, &format!("{path}.initData"))?,
            })
        })
        .collect()
}

impl MeeSession {
    /// JSON in the SDK's shape.
    pub fn to_json(&self, form: BigIntForm) -> Value {
        serde_json::to_value(super::wire::SessionView::new(self, form)).unwrap_or(Value::Null)
    }

    /// Reads a session in either [`BigIntForm`]; errors name the field under `path`.
    pub fn from_json(v: &Value, path: &str) -> Result<Self> {
        let actions_v = array(get(v, path, "actions")?, &format!("{path}.actions"))?;
        let mut actions = Vec::with_capacity(actions_v.len());
        let mut action_chain_ids = Vec::with_capacity(actions_v.len());
        for (i, a) in actions_v.iter().enumerate() {
            let p = format!("{path}.actions[{i}]");
            let sel =
                bytes(get(a, &p, "actionTargetSelector")?, &format!("{p}.actionTargetSelector"))?;
            let sel: [u8; 4] = sel[..].try_into().map_err(|_| {
                MeeError::field(format!("{p}.actionTargetSelector"), "expected 4 bytes")
            })?;
            actions.push(ActionData {
                actionTargetSelector: FixedBytes(sel),
                actionTarget: address(get(a, &p, "actionTarget")?, &format!("{p}.actionTarget"))?,
                actionPolicies: policies_from(
                    get(a, &p, "actionPolicies")?,
                    &format!("{p}.actionPolicies"),
                )?,
            });
            action_chain_ids.push(match a.get("chainId") {
                Some(c) => Some(u64_of(c, &format!("{p}.chainId"))?),
                None => None,
            });
        }
        let e = get(v, path, "erc7739Policies")?;
        let ep = format!("{path}.erc7739Policies");
        let content = array(get(e, &ep, "allowedERC7739Content")?, &ep)?
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let p = format!("{ep}.allowedERC7739Content[{i}]");
                let names = array(get(c, &p, "contentName")?, &p)?
                    .iter()
                    .map(|n| {
                        n.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| MeeError::field(&p, "expected strings"))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(ERC7739Context {
                    appDomainSeparator: b256(get(c, &p, "appDomainSeparator")?, &p)?,
                    contentName: names,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            session: Session {
                sessionValidator: address(
                    get(v, path, "sessionValidator")?,
                    &format!("{path}.sessionValidator"),
                )?,
                sessionValidatorInitData: bytes(
                    get(v, path, "sessionValidatorInitData")?,
                    &format!("{path}.sessionValidatorInitData"),
                )?,
                salt: b256(get(v, path, "salt")?, &format!("{path}.salt"))?,
                userOpPolicies: policies_from(
                    get(v, path, "userOpPolicies")?,
                    &format!("{path}.userOpPolicies"),
                )?,
                erc7739Policies: ERC7739Data {
                    allowedERC7739Content: content,
                    erc1271Policies: policies_from(
                        get(e, &ep, "erc1271Policies")?,
                        &format!("{ep}.erc1271Policies"),
                    )?,
                },
                actions,
                permitERC4337Paymaster: boolean(
                    get(v, path, "permitERC4337Paymaster")?,
                    &format!("{path}.permitERC4337Paymaster"),
                )?,
            },
            chain_id: u64_of(get(v, path, "chainId")?, &format!("{path}.chainId"))?,
            action_chain_ids,
        })
    }
}

impl SessionDetails {
    /// The chain this entry's session is for.
    pub const fn chain_id(&self) -> u64 {
        self.session_to_enable.chain_id
    }

    /// JSON in the SDK's shape, with bigints written as `form` says.
    ///
    /// ```
    /// # use smart_sessions_mee::session::{BigIntForm, SessionDetails};
    /// # fn f(details: &SessionDetails) -> Result<(), smart_sessions_mee::MeeError> {
    /// let stored = details.to_json(BigIntForm::Tagged).to_string();
    /// let back = SessionDetails::from_json(&serde_json::from_str(&stored).unwrap(), "sessionDetails")?;
    /// assert_eq!(&back, details);
    /// # Ok(()) }
    /// ```
    pub fn to_json(&self, form: BigIntForm) -> Value {
        self.to_json_with_mode(form, self.mode)
    }

    /// [`Self::to_json`] with another `mode` (what each userOp of a request or exec body
    /// carries), without cloning the entry.
    pub fn to_json_with_mode(&self, form: BigIntForm, mode: SmartSessionMode) -> Value {
        // the views hold only addresses, hashes, bytes, strings and integers: serialising them
        // into a `Value` cannot fail
        serde_json::to_value(super::wire::DetailsView::new(self, form, mode)).unwrap_or(Value::Null)
    }

    /// Reads one entry in either form; `path` names it in errors.
    pub fn from_json(v: &Value, path: &str) -> Result<Self> {
        let mode_v = get(v, path, "mode")?;
        let mode_p = format!("{path}.mode");
        let mode_n = match mode_v {
            Value::Number(_) => u64_of(mode_v, &mode_p)?,
            _ => u64_of(mode_v, &mode_p)?,
        };
        let mode = u8::try_from(mode_n)
            .ok()
            .and_then(|m| SmartSessionMode::try_from(m).ok())
            .ok_or_else(|| MeeError::field(&mode_p, "expected 0x00, 0x01 or 0x02"))?;
        let esd_p = format!("{path}.enableSessionData");
        let esd = get(v, path, "enableSessionData")?;
        let es_p = format!("{esd_p}.enableSession");
        let es = get(esd, &esd_p, "enableSession")?;
        let hashes = array(get(es, &es_p, "hashesAndChainIds")?, &es_p)?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let p = format!("{es_p}.hashesAndChainIds[{i}]");
                Ok(ChainDigest {
                    chainId: u64_of(get(h, &p, "chainId")?, &format!("{p}.chainId"))?,
                    sessionDigest: b256(
                        get(h, &p, "sessionDigest")?,
                        &format!("{p}.sessionDigest"),
                    )?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let cdi = u64_of(get(es, &es_p, "chainDigestIndex")?, &format!("{es_p}.chainDigestIndex"))?;
        Ok(Self {
            mode,
            permission_id: b256(get(v, path, "permissionId")?, &format!("{path}.permissionId"))?,
            signature: bytes(get(v, path, "signature")?, &format!("{path}.signature"))?,
            chain_digest_index: u8::try_from(cdi).map_err(|_| {
                MeeError::field(format!("{es_p}.chainDigestIndex"), "does not fit uint8")
            })?,
            hashes_and_chain_ids: hashes,
            session_to_enable: MeeSession::from_json(
                get(es, &es_p, "sessionToEnable")?,
                &format!("{es_p}.sessionToEnable"),
            )?,
            permission_enable_sig: bytes(
                get(es, &es_p, "permissionEnableSig")?,
                &format!("{es_p}.permissionEnableSig"),
            )?,
            validator: address(get(esd, &esd_p, "validator")?, &format!("{esd_p}.validator"))?,
            account_type: get(esd, &esd_p, "accountType")?
                .as_str()
                .ok_or_else(|| {
                    MeeError::field(format!("{esd_p}.accountType"), "expected a string")
                })?
                .to_owned(),
        })
    }

    /// Reads a whole `sessionDetails` array (either form).
    pub fn list_from_json(v: &Value) -> Result<Vec<Self>> {
        array(v, "sessionDetails")?
            .iter()
            .enumerate()
            .map(|(i, e)| Self::from_json(e, &format!("sessionDetails[{i}]")))
            .collect()
    }

    /// Writes a `sessionDetails` array (each entry as [`Self::to_json`] writes it).
    pub fn list_to_json(list: &[Self], form: BigIntForm) -> Value {
        Value::Array(list.iter().map(|d| d.to_json(form)).collect())
    }

    /// The same entry with another mode (what `usePermission` puts on each userOp).
    pub fn with_mode(&self, mode: SmartSessionMode) -> Self {
        Self { mode, ..self.clone() }
    }
}

/// abstractjs `stringify`: JSON text where every bigint is tagged. `value` marks bigints as the
/// vectors do (`{"bigint": "<dec>"}`) or already tagged; everything else is written as is.
pub fn stringify_tagged(value: &Value) -> String {
    fn conv(v: &Value) -> Value {
        match v {
            Value::Object(o) if o.len() == 1 && o.contains_key("bigint") => {
                json!({"__type": "bigint", "value": o["bigint"].as_str().map_or_else(|| o["bigint"].to_string(), str::to_owned)})
            }
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), conv(v))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(conv).collect()),
            other => other.clone(),
        }
    }
    conv(value).to_string()
}

/// The legacy 6-field layout of a session (for the legacy SmartSession generation): drops
/// `permitERC4337Paymaster` (must be false: the legacy module cannot permit a paymaster) and
/// keeps ERC-7739 content names. Fails when the session asks for what the legacy layout cannot
/// express (a paymaster permission, or ERC-7739 content bound to an app domain).
pub fn to_legacy(s: &Session) -> Result<legacy::Session> {
    if s.permitERC4337Paymaster {
        return Err(MeeError::field(
            "sessionToEnable.permitERC4337Paymaster",
            "the legacy SmartSession layout has no paymaster permission",
        ));
    }
    let mut names = Vec::new();
    for c in &s.erc7739Policies.allowedERC7739Content {
        if c.appDomainSeparator != B256::ZERO {
            return Err(MeeError::field(
                "sessionToEnable.erc7739Policies.allowedERC7739Content",
                "the legacy layout has no app domain separators",
            ));
        }
        names.extend(c.contentName.iter().cloned());
    }
    Ok(legacy::Session {
        sessionValidator: s.sessionValidator,
        sessionValidatorInitData: s.sessionValidatorInitData.clone(),
        salt: s.salt,
        userOpPolicies: s.userOpPolicies.clone(),
        erc7739Policies: legacy::ERC7739Data {
            allowedERC7739Content: names,
            erc1271Policies: s.erc7739Policies.erc1271Policies.clone(),
        },
        actions: s.actions.clone(),
    })
}
