//! Serialisation of `SessionDetails` in the SDK's field order (borrowed views, no clones), in
//! either bigint form.

use super::{BigIntForm, MeeSession, SessionDetails};
use alloy_primitives::{Address, B256, Bytes, FixedBytes};
use serde::{Serialize, Serializer, ser::SerializeMap};
use smart_sessions_codec::{PolicyData, SmartSessionMode};

/// A bigint in the chosen form.
struct Big(u64, BigIntForm);

impl Serialize for Big {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.1 {
            BigIntForm::Wire => s.collect_str(&self.0),
            BigIntForm::Tagged => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("__type", "bigint")?;
                m.serialize_entry("value", &self.0.to_string())?;
                m.end()
            }
        }
    }
}

struct Mode(SmartSessionMode);

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{:02x}", self.0 as u8))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyView<'a> {
    #[serde(serialize_with = "crate::json::checksummed")]
    policy: &'a Address,
    #[serde(serialize_with = "crate::json::checksummed")]
    address: &'a Address,
    init_data: &'a Bytes,
}

fn policies(p: &[PolicyData]) -> Vec<PolicyView<'_>> {
    p.iter()
        .map(|p| PolicyView { policy: &p.policy, address: &p.policy, init_data: &p.initData })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionView<'a> {
    action_target_selector: &'a FixedBytes<4>,
    action_policies: Vec<PolicyView<'a>>,
    #[serde(serialize_with = "crate::json::checksummed")]
    action_target: &'a Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    chain_id: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextView<'a> {
    app_domain_separator: &'a B256,
    content_name: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Erc7739View<'a> {
    #[serde(rename = "allowedERC7739Content")]
    allowed_erc7739_content: Vec<ContextView<'a>>,
    erc1271_policies: Vec<PolicyView<'a>>,
}

/// `sessionToEnable`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SessionView<'a> {
    #[serde(serialize_with = "crate::json::checksummed")]
    session_validator: &'a Address,
    #[serde(rename = "permitERC4337Paymaster")]
    permit_erc4337_paymaster: bool,
    #[serde(serialize_with = "crate::json::validator_init_data")]
    session_validator_init_data: &'a Bytes,
    salt: &'a B256,
    user_op_policies: Vec<PolicyView<'a>>,
    #[serde(rename = "erc7739Policies")]
    erc7739_policies: Erc7739View<'a>,
    chain_id: Big,
    actions: Vec<ActionView<'a>>,
}

impl<'a> SessionView<'a> {
    pub(super) fn new(m: &'a MeeSession, form: BigIntForm) -> Self {
        let s = &m.session;
        Self {
            session_validator: &s.sessionValidator,
            permit_erc4337_paymaster: s.permitERC4337Paymaster,
            session_validator_init_data: &s.sessionValidatorInitData,
            salt: &s.salt,
            user_op_policies: policies(&s.userOpPolicies),
            erc7739_policies: Erc7739View {
                allowed_erc7739_content: s
                    .erc7739Policies
                    .allowedERC7739Content
                    .iter()
                    .map(|c| ContextView {
                        app_domain_separator: &c.appDomainSeparator,
                        content_name: &c.contentName,
                    })
                    .collect(),
                erc1271_policies: policies(&s.erc7739Policies.erc1271Policies),
            },
            chain_id: Big(m.chain_id, form),
            actions: s
                .actions
                .iter()
                .enumerate()
                .map(|(i, a)| ActionView {
                    action_target_selector: &a.actionTargetSelector,
                    action_policies: policies(&a.actionPolicies),
                    action_target: &a.actionTarget,
                    chain_id: m.action_chain_ids.get(i).copied().flatten(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HashView<'a> {
    chain_id: Big,
    session_digest: &'a B256,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnableSessionView<'a> {
    chain_digest_index: u8,
    hashes_and_chain_ids: Vec<HashView<'a>>,
    session_to_enable: SessionView<'a>,
    permission_enable_sig: &'a Bytes,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnableSessionDataView<'a> {
    enable_session: EnableSessionView<'a>,
    #[serde(serialize_with = "crate::json::checksummed")]
    validator: &'a Address,
    account_type: &'a str,
}

/// One `sessionDetails` entry in the SDK's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DetailsView<'a> {
    mode: Mode,
    permission_id: &'a B256,
    signature: &'a Bytes,
    enable_session_data: EnableSessionDataView<'a>,
}

impl<'a> DetailsView<'a> {
    pub(crate) fn new(d: &'a SessionDetails, form: BigIntForm, mode: SmartSessionMode) -> Self {
        Self {
            mode: Mode(mode),
            permission_id: &d.permission_id,
            signature: &d.signature,
            enable_session_data: EnableSessionDataView {
                enable_session: EnableSessionView {
                    chain_digest_index: d.chain_digest_index,
                    hashes_and_chain_ids: d
                        .hashes_and_chain_ids
                        .iter()
                        .map(|h| HashView {
                            chain_id: Big(h.chainId, form),
                            session_digest: &h.sessionDigest,
                        })
                        .collect(),
                    session_to_enable: SessionView::new(&d.session_to_enable, form),
                    permission_enable_sig: &d.permission_enable_sig,
                },
                validator: &d.validator,
                account_type: &d.account_type,
            },
        }
    }
}

/// Serialises an entry (with its own mode) in the wire form, in the SDK's field order: for
/// `#[serde(serialize_with)]` on request fields.
pub(crate) fn serialize_wire<S: Serializer>(
    d: &Option<SessionDetails>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => DetailsView::new(d, BigIntForm::Wire, d.mode).serialize(s),
        None => s.serialize_none(),
    }
}
