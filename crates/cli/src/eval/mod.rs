//! `smart-sessions eval`: one JSON request per line in, one JSON answer per line out.
//!
//! Request: `{"function": NAME, "generation": "current" | "v1" | "legacy", "inputs": {...}}`.
//! Answer: `{"output": ...}` or `{"error": "..."}`. Function names, input shapes and output shapes
//! are those of the shared test vectors (see `crates/codec/tests/vectors/SCHEMA.md`); unknown input
//! keys are ignored. A malformed line gives an error line and processing continues.
//!
//! Functions named `mee.…` (the MEE vectors, `crates/mee/tests/vectors/mee.json`) are answered
//! by `smart-sessions-mee`'s evaluators; their `generation` is not read.

use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256, hex, keccak256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use serde_json::{Map, Value, json};
use smart_sessions_codec::{
    self as codec, AccountType, ActionConfig, AnyEnableSession, AnySession, ChainDigest,
    ChainSession, EnableMode, Execution, Generation, NexusNonceKey, PolicyData, PolicyKind,
    SmartSessionSignature, eip712, flz, legacy,
};
use smart_sessions_policy::{
    PolicyError,
    eval::{
        Erc20SpendingLimitPolicy, MAX_CALLS, SpendingModel, TimeFramePolicy, UniActionPolicy,
        UsageLimitPolicy, ValueLimitPolicy,
    },
};
use std::borrow::Cow;

mod checks;
mod error;
mod inputs;
mod mee;
mod stream;
pub use checks::uni_action_checks;
use checks::{CallJson, outcome};
pub use error::EvalError;
use inputs::{byte, deserialize, field, field_or, missing, uint, uint_fits};
use mee::eval_mee;
pub use mee::is_mee;
pub use stream::{EVAL_MAX_LINE, EVAL_MAX_SKIP, eval_stream};

/// Largest output `LibZip.flzDecompress` may produce through `eval` (16 MiB).
pub const EVAL_MAX_DECOMPRESSED: usize = 16 << 20;

/// The result of evaluating a request.
type Res<T> = Result<T, EvalError>;

/// Functions the vectors list as facts about how deployed contracts behave; they are evidence,
/// not operations, and `eval` answers them with an error saying so.
pub const CONTRACT_BEHAVIOUR_FACTS: &[&str] = &[
    "validateUserOp.replayEnable",
    "validateUserOp.modeMismatch",
    "validateUserOp.currentUseEncodingOnLegacy",
    "validateUserOp.wrongChainDigestIndex",
    "enableSessions.registryCheck",
];

/// Evaluates one request line and returns the answer line (without a newline): what
/// `smart-sessions eval` prints for each line. Never fails: a bad request is an `{"error"}` line.
///
/// ```
/// use smart_sessions_cli::eval::eval_line;
///
/// let line = r#"{"function":"selector","inputs":{"signature":"transfer(address,uint256)"}}"#;
/// // ERC-20 `transfer`'s well-known selector
/// assert_eq!(eval_line(line), r#"{"output":"0xa9059cbb"}"#);
/// assert!(eval_line("{not json").starts_with(r#"{"error":"malformed request line: "#));
/// ```
pub fn eval_line(line: &str) -> String {
    let answer = match serde_json::from_str::<Value>(line) {
        Ok(request) => eval_request(&request),
        Err(source) => Err(EvalError::MalformedLine { source }),
    };
    match answer {
        Ok(output) => json!({ "output": output }).to_string(),
        Err(e) => json!({ "error": e.to_string() }).to_string(),
    }
}

/// Evaluates one parsed request `{"function", "generation", "inputs"}`.
pub fn eval_request(request: &Value) -> Res<Value> {
    let obj = request.as_object().ok_or(EvalError::RequestNotAnObject)?;
    let function = obj
        .get("function")
        .and_then(Value::as_str)
        .ok_or(EvalError::RequestField { field: "function", rule: "is missing or not a string" })?;
    let empty = Map::new();
    let inputs = match obj.get("inputs") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(EvalError::RequestField { field: "inputs", rule: "must be an object" });
        }
    };
    // the MEE stack has one generation (abstractjs 1.2.3): its vectors' `generation` is not read
    if is_mee(function) {
        return eval_mee(function, inputs);
    }
    let generation = match obj.get("generation") {
        None | Some(Value::Null) => Generation::Current,
        Some(Value::String(g)) => {
            g.parse::<Generation>().map_err(|source| EvalError::Generation { source })?
        }
        Some(_) => {
            return Err(EvalError::RequestField { field: "generation", rule: "must be a string" });
        }
    };
    evaluate(function, generation, inputs)
}

fn hexv(b: impl AsRef<[u8]>) -> Value {
    Value::String(hex::encode_prefixed(b))
}

fn policy_json(p: &PolicyData, with_address: bool) -> Value {
    if with_address {
        json!({ "policy": p.policy, "address": p.policy, "initData": hexv(&p.initData) })
    } else {
        json!({ "policy": p.policy, "initData": hexv(&p.initData) })
    }
}

fn session(generation: Generation, v: &Value, key: &str) -> Res<AnySession> {
    if generation.is_legacy() {
        legacy::Session::deserialize(v).map(AnySession::Legacy)
    } else {
        codec::Session::deserialize(v).map(AnySession::Current)
    }
    .map_err(|source| EvalError::BadInput { field: key.into(), source })
}

fn sessions(generation: Generation, inputs: &Map<String, Value>) -> Res<Vec<AnySession>> {
    let list: Vec<Value> = field(inputs, "sessions")?;
    list.iter()
        .enumerate()
        .map(|(i, v)| session(generation, v, &format!("sessions[{i}]")))
        .collect()
}

use serde::Deserialize;

fn encode_type_of(generation: Generation, name: &str) -> Res<(Cow<'static, str>, B256)> {
    macro_rules! et {
        ($t:ty) => {{
            let s = <$t as SolStruct>::eip712_encode_type();
            let h = keccak256(s.as_bytes());
            Ok((s, h))
        }};
    }
    match (generation.is_legacy(), name) {
        (_, "PolicyData") => et!(codec::PolicyData),
        (_, "ActionData") => et!(codec::ActionData),
        (false, "ERC7739Context") => et!(codec::ERC7739Context),
        (false, "ERC7739Data") => et!(codec::ERC7739Data),
        (false, "SignedPermissions") => et!(codec::SignedPermissions),
        (false, "SignedSession") => et!(codec::SignedSession),
        (false, "ChainSession") => et!(codec::ChainSession),
        (false, "MultiChainSession") => et!(codec::MultiChainSession),
        (true, "ERC7739Data") => et!(legacy::ERC7739Data),
        (true, "SessionEIP712") => et!(legacy::SessionEIP712),
        (true, "ChainSessionEIP712") => et!(legacy::ChainSessionEIP712),
        (true, "MultiChainSessionEIP712") => et!(legacy::MultiChainSessionEIP712),
        _ => Err(EvalError::UnknownType { name: name.into(), generation }),
    }
}

/// Answers one function of the shared vectors (`function`, e.g. `getPermissionId`) for
/// `generation`, reading its `inputs` object; the output is the vectors' JSON shape. The offline
/// tools go through it too, so the command line and the vectors cannot disagree. Use
/// [`eval_request`] for a whole request object (it reads `generation` and answers `mee.`
/// functions).
///
/// ```
/// use alloy_primitives::{B256, Bytes, address, keccak256};
/// use alloy_sol_types::SolValue;
/// use serde_json::json;
/// use smart_sessions_cli::eval::evaluate;
/// use smart_sessions_codec::Generation;
///
/// let validator = address!("0x000000000013fdB5234E4E3162a810F54d9f7E98");
/// let (init, salt) = (Bytes::from_static(&[0x12, 0x34]), B256::with_last_byte(5));
/// let inputs = json!({
///     "sessionValidator": validator, "sessionValidatorInitData": init, "salt": salt,
/// });
/// let id = evaluate("getPermissionId", Generation::Current, inputs.as_object().unwrap())?;
/// // SmartSession's definition: keccak256(abi.encode(validator, initData, salt))
/// let expected = keccak256((validator, init, salt).abi_encode_params());
/// assert_eq!(id, json!(expected));
/// # Ok::<(), smart_sessions_cli::eval::EvalError>(())
/// ```
pub fn evaluate(function: &str, generation: Generation, inputs: &Map<String, Value>) -> Res<Value> {
    let g = generation;
    Ok(match function {
        "getPermissionId" => {
            let v: Address = field(inputs, "sessionValidator")?;
            let d: Bytes = field(inputs, "sessionValidatorInitData")?;
            let s: B256 = field(inputs, "salt")?;
            json!(codec::permission_id(v, &d, s))
        }
        "getActionId" => {
            let t: Address = field(inputs, "target")?;
            let s: FixedBytes<4> = field(inputs, "selector")?;
            json!(codec::action_id(t, s))
        }
        "actionPolicyId" => {
            json!(codec::action_policy_id(
                field(inputs, "permissionId")?,
                field(inputs, "actionId")?
            ))
        }
        "configId.userOp" => {
            json!(codec::user_op_config_id(
                field(inputs, "account")?,
                field(inputs, "permissionId")?
            ))
        }
        "configId.action" => json!(codec::action_config_id(
            field(inputs, "account")?,
            field(inputs, "permissionId")?,
            field(inputs, "actionId")?
        )),
        "configId.erc1271" => {
            json!(codec::erc1271_config_id(
                field(inputs, "account")?,
                field(inputs, "permissionId")?
            ))
        }
        "configIds" => {
            let account: Address = field(inputs, "account")?;
            let id: B256 = field(inputs, "permissionId")?;
            let actions: Vec<B256> = field(inputs, "actionIds")?;
            json!({
                "userOp": codec::user_op_config_id(account, id),
                "erc1271": codec::erc1271_config_id(account, id),
                "actions": actions.iter().map(|a| codec::action_config_id(account, id, *a)).collect::<Vec<_>>(),
            })
        }
        "getUniversalActionPolicy" => {
            let config = ActionConfig::deserialize(Value::Object(inputs.clone()))
                .map_err(|source| EvalError::BadInputs { source })?;
            policy_json(&PolicyData::universal_action(g, &config), false)
        }
        "getSudoPolicy" => policy_json(&PolicyData::sudo(g), true),
        "getTimeFramePolicy" => {
            let until: u64 = uint_fits(inputs, "validUntil", 64)?;
            let after: u64 = uint_fits(inputs, "validAfter", 64)?;
            policy_json(&PolicyData::time_frame(g, until, after)?, true)
        }
        "getUsageLimitPolicy" => {
            policy_json(&PolicyData::usage_limit(g, uint_fits(inputs, "limit", 128)?), true)
        }
        "getValueLimitPolicy" => {
            policy_json(&PolicyData::value_limit(g, uint(inputs, "limit")?), true)
        }
        "getSpendingLimitsPolicy" => {
            #[derive(Deserialize)]
            struct P {
                token: Address,
                limit: U256,
            }
            let params: Vec<P> = field(inputs, "params")?;
            let pairs: Vec<(Address, U256)> = params.iter().map(|p| (p.token, p.limit)).collect();
            policy_json(&PolicyData::spending_limits(g, &pairs), true)
        }
        "policyAddresses" => {
            let table = |g: Generation| {
                json!({
                    "sudo": g.policy(PolicyKind::Sudo),
                    "uni": g.policy(PolicyKind::UniversalAction),
                    "tf": g.policy(PolicyKind::TimeFrame),
                    "ul": g.policy(PolicyKind::UsageLimit),
                    "vl": g.policy(PolicyKind::ValueLimit),
                    "sp": g.policy(PolicyKind::SpendingLimits),
                })
            };
            json!({
                "legacy": table(Generation::Legacy),
                "current": table(Generation::Current),
                "legacySmartSession": Generation::Legacy.smart_session(),
                "currentSmartSession": Generation::Current.smart_session(),
            })
        }
        "getSmartSessionsValidator.initData" => {
            let list = sessions(g, inputs)?;
            let use_registry: bool = field_or(inputs, "useRegistry", true)?;
            hexv(codec::install::install_data(g, &list, use_registry)?)
        }
        "getEnableSessionsAction.callData" => {
            hexv(codec::install::enable_sessions_calldata(g, &sessions(g, inputs)?)?)
        }
        "eip712.typehash" => {
            let name: String = field(inputs, "primaryType")?;
            let (encode_type, typehash) = encode_type_of(g, &name)?;
            json!({ "encodeType": encode_type, "typehash": typehash })
        }
        "eip712.domainSeparator" => {
            let name: String = field(inputs, "name")?;
            let version: String = field(inputs, "version")?;
            let domain =
                Eip712Domain::new(Some(name.into()), Some(version.into()), None, None, None);
            if let Some(th) = inputs.get("domainTypehash") {
                let th: B256 = deserialize(th, "domainTypehash")?;
                if th != keccak256(domain.encode_type().as_bytes()) {
                    return Err(EvalError::Rule {
                        field: "domainTypehash",
                        rule: "does not match EIP712Domain(string name,string version)",
                    });
                }
            }
            json!(domain.separator())
        }
        "getSessionDigest" => {
            let s =
                session(g, inputs.get("session").ok_or_else(|| missing("session"))?, "session")?;
            let mode = EnableMode::try_from(byte(inputs, "mode")?)?;
            let account: Address = field(inputs, "account")?;
            let smart_session: Address = field_or(inputs, "smartSession", g.smart_session())?;
            let nonce = uint(inputs, "nonce")?;
            json!(eip712::any_session_digest(&s, account, smart_session, mode, nonce))
        }
        "hashChainSessions" => {
            if g.is_legacy() {
                let cs: Vec<legacy::ChainSessionEIP712> = field(inputs, "chainSessions")?;
                json!(eip712::hash_legacy_chain_sessions(&cs))
            } else {
                let cs: Vec<ChainSession> = field(inputs, "chainSessions")?;
                json!(eip712::hash_chain_sessions(&cs))
            }
        }
        "multichainDigest" => {
            let list: Vec<ChainDigest> = field(inputs, "hashesAndChainIds")?;
            json!(eip712::multichain_digest(g, &list))
        }
        "encodeSmartSessionSignature" => hexv(encode_signature(g, inputs)?),
        "decodeSmartSessionSignature" => decode_signature(g, inputs)?,
        "LibZip.flzCompress" => {
            let data: Bytes = field(inputs, "data")?;
            let exact: bool = field_or(inputs, "exactHash", false)?;
            let mode = if exact { flz::HashMode::Exact } else { flz::HashMode::Float };
            hexv(flz::compress_with(&data, mode))
        }
        "LibZip.flzDecompress" => {
            let data: Bytes = field(inputs, "data")?;
            hexv(flz::decompress(&data, EVAL_MAX_DECOMPRESSED).map_err(EvalError::Decompress)?)
        }
        "flzHash.divergentInputs" => json!(flz::divergent_hash_inputs()),
        "selector" => {
            let sig: String = field(inputs, "signature")?;
            hexv(&keccak256(sig.as_bytes())[..4])
        }
        "erc7579.executeSingle" | "erc7579.executeBatch" => {
            let mode: B256 = field(inputs, "mode")?;
            let executions: Vec<ExecutionJson> = field(inputs, "executions")?;
            let executions: Vec<Execution> = executions.into_iter().map(Into::into).collect();
            let (function, expected) = if function == "erc7579.executeSingle" {
                ("erc7579.executeSingle", 0x00)
            } else {
                ("erc7579.executeBatch", 0x01)
            };
            if mode[0] != expected {
                return Err(EvalError::CallType { call_type: mode[0], function });
            }
            hexv(codec::execute::execute_with_mode(mode, &executions)?)
        }
        "nexus.nonceKey" => {
            let validator: Address = field(inputs, "validator")?;
            let batch_key: u32 = uint_fits(inputs, "batchKey", 32)?;
            let mode = byte(inputs, "validationMode")?;
            let sequence: u64 = uint_fits(inputs, "sequence", 64)?;
            let key =
                NexusNonceKey::new(validator).with_batch_key(batch_key)?.with_validation_mode(mode);
            json!({
                "key": hexv(key.to_bytes()),
                "keyDecimal": key.key().to_string(),
                "nonce": hexv(key.nonce(sequence).to_be_bytes::<32>()),
            })
        }
        "UniActionPolicy.checkAction" => {
            let init: Bytes = field(inputs, "initData")?;
            let calls: Vec<CallJson> = field(inputs, "calls")?;
            let calls: Vec<(U256, Bytes)> = calls.into_iter().map(|c| (c.value, c.data)).collect();
            uni_action_checks(&init, &calls, false)
        }
        "UniActionPolicy.initializeWithMultiplexer" => {
            let init: Bytes = field(inputs, "initData")?;
            let probe: CallJson = field(inputs, "probeCall")?;
            match UniActionPolicy::initialize(&init) {
                Ok(mut s) => {
                    json!({ "init": "ok", "checkActionAfter": outcome(s.check_action(probe.value, &probe.data)) })
                }
                Err(e) => json!({
                    "init": format!("revert: {e}"),
                    "checkActionAfter": "revert: PolicyNotInitialized",
                }),
            }
        }
        "ERC20SpendingLimitPolicy.checkAction" => {
            let init: Bytes = field(inputs, "initData")?;
            let token: Address = field(inputs, "target")?;
            let account: Address = field_or(inputs, "account", Address::ZERO)?;
            let calls: Vec<CallJson> = field(inputs, "calls")?;
            // the rules of the generation's canonical policy (v1.0 counts approvals as spent)
            let mut s = Erc20SpendingLimitPolicy::initialize_with(SpendingModel::of(g), &init)
                .map_err(EvalError::InitReverts)?;
            json!(
                calls
                    .iter()
                    .map(|c| outcome(s.check_action(account, token, c.value, &c.data)))
                    .collect::<Vec<_>>()
            )
        }
        "UsageLimitPolicy.checkAction" => {
            let init: Bytes = field(inputs, "initData")?;
            let mut s = UsageLimitPolicy::initialize(&init).map_err(EvalError::InitReverts)?;
            let count: u64 = match inputs.get("calls") {
                Some(Value::Array(a)) => a.len() as u64,
                Some(_) => {
                    let n = uint(inputs, "calls")?;
                    // beyond u64 the policy's bound refuses it alike; name the number given
                    u64::try_from(n).map_err(|_| EvalError::TooMany {
                        field: "calls",
                        count: n,
                        max: MAX_CALLS,
                    })?
                }
                // the boundary probe: every use the limit allows, then one more
                None if s.limit < 1000 => s.limit as u64 + 1,
                None => {
                    return Err(EvalError::Rule {
                        field: "calls",
                        rule: "is needed when the limit is 1000 or more",
                    });
                }
            };
            let results = s.check_many(count).map_err(|e| match e {
                PolicyError::TooMany { field, count, max } => {
                    EvalError::TooMany { field, count: U256::from(count), max }
                }
                other => EvalError::Policy(other),
            })?;
            json!(results.into_iter().map(outcome).collect::<Vec<_>>())
        }
        "ValueLimitPolicy.checkAction" => {
            let init: Bytes = field(inputs, "initData")?;
            let mut s = ValueLimitPolicy::initialize(&init).map_err(EvalError::InitReverts)?;
            let values: Vec<U256> = match inputs.get("calls") {
                Some(_) => {
                    field::<Vec<CallJson>>(inputs, "calls")?.into_iter().map(|c| c.value).collect()
                }
                // the boundary probe: the whole limit in two calls, then one wei more
                None => {
                    let half = s.limit / U256::from(2);
                    vec![s.limit - half, half, U256::from(1)]
                }
            };
            json!(values.into_iter().map(|v| outcome(s.check_action(v))).collect::<Vec<_>>())
        }
        "TimeFramePolicy.checkAction" => {
            let init: Bytes = field(inputs, "initData")?;
            let s = TimeFramePolicy::initialize(&init).map_err(EvalError::InitReverts)?;
            let data = s.validation_data().map_err(EvalError::CheckReverts)?;
            hexv(data.to_be_bytes::<32>())
        }
        "TimeFramePolicy.initializeWithMultiplexer" => {
            let init: Bytes = field(inputs, "initData")?;
            TimeFramePolicy::initialize(&init).map_err(EvalError::InitReverts)?;
            json!("ok")
        }
        f if is_mee(f) => return eval_mee(f, inputs),
        f if CONTRACT_BEHAVIOUR_FACTS.contains(&f) => {
            return Err(EvalError::ContractBehaviourFact { function: f.into() });
        }
        other => return Err(EvalError::UnknownFunction { function: other.into() }),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionJson {
    target: Address,
    value: U256,
    #[serde(default)]
    call_data: Bytes,
}

impl From<ExecutionJson> for Execution {
    fn from(e: ExecutionJson) -> Self {
        Self::new(e.target, e.value, e.call_data)
    }
}

fn encode_signature(g: Generation, inputs: &Map<String, Value>) -> Res<Vec<u8>> {
    let mode = byte(inputs, "mode")?;
    let signature: Bytes = field(inputs, "signature")?;
    if mode == 0 {
        let id: B256 = field(inputs, "permissionId")?;
        return Ok(codec::encode_use(g, id, &signature));
    }
    let mode = EnableMode::try_from(mode)?;
    let data =
        inputs.get("enableSessionData").and_then(Value::as_object).ok_or(EvalError::Rule {
            field: "enableSessionData",
            rule: "is required for ENABLE and UNSAFE_ENABLE",
        })?;
    let within = |e: EvalError| e.within("enableSessionData");
    let validator: Address = field(data, "validator").map_err(within)?;
    let account_type: String =
        field_or(data, "accountType", "nexus".to_string()).map_err(within)?;
    let account_type: AccountType = account_type.parse()?;
    let es = data.get("enableSession").ok_or_else(|| missing("enableSessionData.enableSession"))?;
    let mut enable: AnyEnableSession = if g.is_legacy() {
        legacy::EnableSession::deserialize(es).map(Into::into)
    } else {
        codec::EnableSession::deserialize(es).map(Into::into)
    }
    .map_err(|source| EvalError::BadInput {
        field: "enableSessionData.enableSession".into(),
        source,
    })?;
    match &mut enable {
        AnyEnableSession::Current(e) => {
            e.permissionEnableSig =
                account_type.format_permission_enable_sig(validator, &e.permissionEnableSig)
        }
        AnyEnableSession::Legacy(e) => {
            e.permissionEnableSig =
                account_type.format_permission_enable_sig(validator, &e.permissionEnableSig)
        }
    }
    Ok(codec::encode_enable(g, mode, &enable, &signature)?)
}

fn decode_signature(g: Generation, inputs: &Map<String, Value>) -> Res<Value> {
    let data: Bytes = field(inputs, "signature")?;
    let sig = SmartSessionSignature::decode(&data, g)?;
    Ok(match sig {
        SmartSessionSignature::Use { permission_id, signature } => json!({
            "mode": "0x00", "permissionId": permission_id, "signature": hexv(&signature),
        }),
        SmartSessionSignature::Enable { mode, enable, signature } => {
            let es = match &enable {
                AnyEnableSession::Current(e) => serde_json::to_value(e),
                AnyEnableSession::Legacy(e) => serde_json::to_value(e),
            }
            .map_err(EvalError::Output)?;
            json!({
                "mode": format!("0x{:02x}", mode as u8),
                "permissionId": enable.permission_id(),
                "signature": hexv(&signature),
                "enableSession": es,
            })
        }
    })
}
