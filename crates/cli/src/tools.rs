//! The offline tools: ids, digests, policy encoding and checks, signature encodings, FastLZ,
//! execute calldata and nonce keys. Most run through [`crate::eval::evaluate`], the function the
//! shared vectors check, so the command line and the vectors cannot disagree; `policy-encode`
//! reads with the policy crate's field-naming reader and `policy-check` runs
//! [`crate::eval::uni_action_checks`], the evaluator behind the vectors' `checkAction`.

use crate::{
    eval::{evaluate, uni_action_checks},
    input::{MAX_JSON_FILE, read_text},
};
use alloy_primitives::{Bytes, U256};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use smart_sessions_codec::{Generation, PolicyData};
use smart_sessions_policy::{eval::UniActionPolicy, json::ActionConfigJson};
use std::path::{Path, PathBuf};

mod error;
pub use error::{Failure, ToolError, UsageError};

/// The offline subcommands (no node needed): ids, digests, policy encoding and checks, signature
/// encodings, FastLZ, execute calldata and nonce keys. [`run`] answers them.
#[derive(Subcommand, Debug)]
pub enum ToolCommand {
    /// keccak256(abi.encode(sessionValidator, sessionValidatorInitData, salt)).
    #[command(
        after_help = "Example:\n  smart-sessions permission-id --validator 0x000000000013fdB5234E4E3162a810F54d9f7E98 --init-data 0x --salt 0x0000000000000000000000000000000000000000000000000000000000000005"
    )]
    PermissionId {
        /// Address of the session validator contract that checks the session key's signatures (the
        /// session's `sessionValidator`).
        #[arg(long)]
        validator: String,
        /// The session validator's init data (`sessionValidatorInitData`), hex.
        #[arg(long, default_value = "0x")]
        init_data: String,
        /// The session's salt (32 bytes, hex): it tells apart sessions with the same validator and
        /// init data.
        #[arg(long)]
        salt: String,
    },
    /// keccak256(abi.encodePacked(target, selector)).
    #[command(
        after_help = "Example:\n  smart-sessions action-id --target 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 --selector 0xa9059cbb"
    )]
    ActionId {
        /// Address of the contract the action calls.
        #[arg(long)]
        target: String,
        /// Selector of the function the action calls (4 bytes hex, e.g. 0xa9059cbb for `transfer`).
        #[arg(long)]
        selector: String,
    },
    /// The config ids a permission's policies are keyed by (user-op, ERC-1271 and per action).
    #[command(
        after_help = "Example:\n  smart-sessions config-id --account 0xacc0000000000000000000000000000000000001 --permission-id 0x485a8dc45a0a35765208df1fd53dc9b53e1f300285de33fd699105e9b5ece3d0 --action-id 0x38a2cbb2f4560842ac355576e0058206cadd34fbb1bf93f3e2c7524d522d28a6"
    )]
    ConfigId {
        /// Address of the smart account the permission is for.
        #[arg(long)]
        account: String,
        /// The permission id (32 bytes hex, as `permission-id` prints it).
        #[arg(long)]
        permission_id: String,
        /// An action id (32 bytes hex, as `action-id` prints it); repeat the flag for several
        /// actions.
        #[arg(long = "action-id")]
        action_ids: Vec<String>,
    },
    /// Universal action policy init data from a JSON config (module-sdk or abstractjs shape).
    #[command(
        after_help = "Example:\n  echo '{\"valueLimitPerUse\":\"0\",\"rules\":[{\"condition\":\"LESS_THAN\",\"offsetIndex\":1,\"ref\":1000}]}' | smart-sessions policy-encode -"
    )]
    PolicyEncode {
        /// The JSON file (`-` for standard input).
        file: PathBuf,
    },
    /// Evaluate calls against a universal action policy's init data, as the contract would: per
    /// call `result` (`0` pass, `1` refused, `revert: …`), `usedAfter`, and for a refused call
    /// `reason` (parameters of well-known functions in their type: addresses checksummed).
    #[command(
        after_help = "Example:\n  smart-sessions policy-check --init-data 0x… --call 0:0xa9059cbb… --call 0:0xa9059cbb…"
    )]
    PolicyCheck {
        /// The universal action policy's init data (hex), as `policy-encode` prints it.
        #[arg(long)]
        init_data: String,
        /// A call as `VALUE:CALLDATA` (repeatable, in order; state carries over).
        #[arg(long = "call", required = true, allow_hyphen_values = true)]
        calls: Vec<String>,
    },
    /// Encode a USE-mode signature.
    #[command(
        after_help = "Example:\n  smart-sessions --generation legacy signature-use --permission-id 0x74d3… --signature 0xabab…"
    )]
    SignatureUse {
        /// The permission id the signature is for (32 bytes hex, as `permission-id` prints it).
        #[arg(long)]
        permission_id: String,
        /// The session validator's signature (hex).
        #[arg(long)]
        signature: String,
    },
    /// Encode a signature of any mode: USE needs `--permission-id`; ENABLE (0x01) and
    /// UNSAFE_ENABLE (0x02) need `--enable FILE`, the JSON `{enableSession, validator,
    /// accountType}` of module-sdk's `enableSessionData` (`-` reads standard input).
    #[command(
        after_help = "Examples:\n  smart-sessions signature-encode --mode 0x00 --permission-id 0xc46a… --signature 0xabab…\n  smart-sessions --generation legacy signature-encode --mode 0x01 --enable enable.json --signature 0xabab…"
    )]
    SignatureEncode {
        /// Mode byte: 0x00 USE, 0x01 ENABLE, 0x02 UNSAFE_ENABLE.
        #[arg(long)]
        mode: String,
        /// The permission id the signature is for (32 bytes hex); needed for mode 0x00 USE.
        #[arg(long)]
        permission_id: Option<String>,
        /// The enable data JSON file for modes 0x01 and 0x02 (module-sdk's `enableSessionData`;
        /// `-` reads standard input).
        #[arg(long)]
        enable: Option<PathBuf>,
        /// The session validator's signature (hex).
        #[arg(long)]
        signature: String,
    },
    /// The session digest (`getSessionDigest`) of a session JSON for an account, mode and nonce.
    #[command(
        after_help = "Example:\n  smart-sessions --generation legacy digest-session --session session.json --account 0xacc0… --mode 0x01 --nonce 0"
    )]
    DigestSession {
        /// The session JSON file (module-sdk shape of the generation; `-` reads standard input).
        #[arg(long)]
        session: PathBuf,
        /// Address of the smart account the session is enabled on.
        #[arg(long)]
        account: String,
        /// The enable mode the digest is for: 0x01 ENABLE or 0x02 UNSAFE_ENABLE.
        #[arg(long)]
        mode: String,
        /// `getNonce(permissionId, account)` at enable time.
        #[arg(long, default_value = "0", allow_hyphen_values = true)]
        nonce: String,
        /// SmartSession's address (default: the generation's canonical one).
        #[arg(long)]
        smart_session: Option<String>,
    },
    /// Decode a SmartSession signature of any mode.
    #[command(
        after_help = "Example:\n  smart-sessions --generation legacy signature-decode 0x0074d35e…"
    )]
    SignatureDecode {
        /// The SmartSession signature to decode, hex, starting with its mode byte.
        signature: String,
    },
    /// The multichain digest the owner signs, from (chainId, sessionDigest) pairs.
    #[command(
        after_help = "Example:\n  smart-sessions digest-multichain 1:0x30e122fce492fcd2b6b47c6c5d2b8b2169c5f71c54f5c4a9177bcd8c10b27a7d"
    )]
    DigestMultichain {
        /// `CHAIN_ID:SESSION_DIGEST` pairs, in order.
        #[arg(required = true)]
        pairs: Vec<String>,
    },
    /// FastLZ compress (as module-sdk) or decompress hex data.
    #[command(
        after_help = "Examples:\n  smart-sessions flz compress 0x616263\n  smart-sessions flz decompress 0x02616263"
    )]
    Flz {
        /// Whether to compress or decompress the data.
        #[arg(value_enum)]
        direction: Direction,
        /// The bytes to compress or decompress, hex.
        data: String,
    },
    /// ERC-7579 execute calldata for one call (single mode) or several (batch mode).
    #[command(
        after_help = "Example:\n  smart-sessions execute-calldata --call 0x1111111111111111111111111111111111111111:0:0x12345678"
    )]
    ExecuteCalldata {
        /// A call as `TARGET:VALUE:CALLDATA` (value in wei, calldata hex); repeat the flag for a
        /// batch.
        #[arg(long = "call", required = true, allow_hyphen_values = true)]
        calls: Vec<String>,
    },
    /// A Nexus nonce key and the user-operation nonce of a sequence number under it.
    ///
    /// The 24-byte key is the batch key (3 bytes), the validation mode (1) and the validator (20);
    /// the nonce is `key << 64 | sequence`.
    #[command(
        after_help = "Example:\n  smart-sessions nonce-key --validator 0x00000000008bDABA73cD9815d79069c247Eb4bDA --sequence 3"
    )]
    NonceKey(NonceKeyArgs),
}

/// The arguments of `nonce-key`.
#[derive(Args, Debug)]
pub struct NonceKeyArgs {
    /// Address of the validator module Nexus hands the operation's signature to (for a session key:
    /// SmartSession).
    #[arg(long)]
    pub validator: String,
    /// The batch key: a free 24-bit lane (0 to 0xFFFFFF) that keeps its own nonce sequence.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub batch_key: u32,
    /// Validation mode byte (0x00 validation, 0x01 module enable).
    #[arg(long, default_value = "0x00")]
    pub validation_mode: String,
    /// The sequence number within the key (the nonce's low 64 bits).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub sequence: u64,
}

/// What `flz` does.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Direction {
    /// FastLZ compression, as module-sdk.
    Compress,
    /// FastLZ decompression.
    Decompress,
}

fn split<'a>(s: &'a str, n: usize, what: &'static str) -> Result<Vec<&'a str>, UsageError> {
    let parts: Vec<&str> = s.splitn(n, ':').collect();
    if parts.len() == n {
        Ok(parts)
    } else {
        Err(UsageError::Split { what, given: s.into(), parts: n })
    }
}

/// A JSON file (at most [`MAX_JSON_FILE`] bytes), or standard input for `-`.
fn read_json(file: &Path, flag: &'static str) -> Result<Value, ToolError> {
    let text = read_text(file, flag, MAX_JSON_FILE)?;
    serde_json::from_str(&text).map_err(|source| ToolError::Json {
        flag,
        path: file.to_path_buf(),
        source,
    })
}

fn request(function: &str, generation: Generation, inputs: Value) -> Result<Value, Failure> {
    let Value::Object(map) = inputs else {
        return Err(UsageError::InputsNotAnObject.into());
    };
    Ok(evaluate(function, generation, &map)?)
}

/// Runs an offline tool for generation `g` (the binary's `--generation`) and returns the JSON the
/// binary prints; nothing touches the network. A [`Failure`] tells a usage error from a failed
/// operation ([`Failure::exit_code`]).
///
/// ```
/// use alloy_primitives::{address, keccak256};
/// use smart_sessions_cli::tools::{ToolCommand, run};
/// use smart_sessions_codec::Generation;
///
/// let target = address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
/// let selector = "0xa9059cbb".to_string();
/// let command = ToolCommand::ActionId { target: target.to_string(), selector };
/// let id = run(&command, Generation::Current)?;
/// // SmartSession's definition: keccak256(abi.encodePacked(target, selector))
/// let packed = [target.as_slice(), &[0xa9, 0x05, 0x9c, 0xbb]].concat();
/// assert_eq!(id, serde_json::json!(keccak256(packed)));
/// // a chain id that is not a number is a usage error: exit code 2
/// let bad = ToolCommand::DigestMultichain { pairs: vec!["one:0x00".into()] };
/// assert_eq!(run(&bad, Generation::Current).unwrap_err().exit_code(), 2);
/// # Ok::<(), smart_sessions_cli::tools::Failure>(())
/// ```
pub fn run(command: &ToolCommand, g: Generation) -> Result<Value, Failure> {
    match command {
        ToolCommand::PermissionId { validator, init_data, salt } => request(
            "getPermissionId",
            g,
            json!({ "sessionValidator": validator, "sessionValidatorInitData": init_data, "salt": salt }),
        ),
        ToolCommand::ActionId { target, selector } => {
            request("getActionId", g, json!({ "target": target, "selector": selector }))
        }
        ToolCommand::ConfigId { account, permission_id, action_ids } => request(
            "configIds",
            g,
            json!({ "account": account, "permissionId": permission_id, "actionIds": action_ids }),
        ),
        ToolCommand::PolicyEncode { file } => {
            let text =
                read_text(file, "policy-encode FILE", MAX_JSON_FILE).map_err(ToolError::Read)?;
            // the field-naming reader: errors give the path (`rules[0].ref`: …)
            let config: ActionConfigJson =
                serde_json::from_str(&text).map_err(ToolError::PolicyConfig)?;
            let p = PolicyData::universal_action(g, &config.0);
            Ok(json!({ "policy": p.policy, "initData": p.initData }))
        }
        ToolCommand::PolicyCheck { init_data, calls } => {
            let init: Bytes = init_data
                .parse()
                .map_err(|source| UsageError::InitData { given: init_data.clone(), source })?;
            // init data the policy cannot initialise from is an error, not a list of reverts
            if let Err(e) = UniActionPolicy::initialize(&init) {
                return Err(ToolError::InitReverts(e).into());
            }
            let calls: Vec<(U256, Bytes)> = calls
                .iter()
                .map(|c| {
                    let p = split(c, 2, "--call")?;
                    let value: U256 = p[0].parse().map_err(|source| UsageError::CallValue {
                        call: c.clone(),
                        value: p[0].into(),
                        source,
                    })?;
                    let data: Bytes = p[1]
                        .parse()
                        .map_err(|source| UsageError::CallData { call: c.clone(), source })?;
                    Ok((value, data))
                })
                .collect::<Result<_, UsageError>>()?;
            Ok(uni_action_checks(&init, &calls, true))
        }
        ToolCommand::SignatureUse { permission_id, signature } => request(
            "encodeSmartSessionSignature",
            g,
            json!({ "mode": "0x00", "permissionId": permission_id, "signature": signature }),
        ),
        ToolCommand::SignatureEncode { mode, permission_id, enable, signature } => {
            let mut inputs = json!({ "mode": mode, "signature": signature });
            if let Some(id) = permission_id {
                inputs["permissionId"] = json!(id);
            }
            if let Some(file) = enable {
                inputs["enableSessionData"] = read_json(file, "--enable")?;
            }
            request("encodeSmartSessionSignature", g, inputs)
        }
        ToolCommand::DigestSession { session, account, mode, nonce, smart_session } => {
            let mut inputs = json!({ "session": read_json(session, "--session")?, "account": account, "mode": mode, "nonce": nonce });
            if let Some(ss) = smart_session {
                inputs["smartSession"] = json!(ss);
            }
            request("getSessionDigest", g, inputs)
        }
        ToolCommand::SignatureDecode { signature } => {
            request("decodeSmartSessionSignature", g, json!({ "signature": signature }))
        }
        ToolCommand::DigestMultichain { pairs } => {
            let list: Vec<Value> = pairs
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let p = split(s, 2, "pair")?;
                    p[0].parse::<u64>().map_err(|source| UsageError::ChainId {
                        index: i + 1,
                        pair: s.clone(),
                        chain_id: p[0].into(),
                        source,
                    })?;
                    Ok(json!({ "chainId": p[0], "sessionDigest": p[1] }))
                })
                .collect::<Result<_, UsageError>>()?;
            request("multichainDigest", g, json!({ "hashesAndChainIds": list }))
        }
        ToolCommand::Flz { direction, data } => {
            let f = match direction {
                Direction::Compress => "LibZip.flzCompress",
                Direction::Decompress => "LibZip.flzDecompress",
            };
            request(f, g, json!({ "data": data }))
        }
        ToolCommand::ExecuteCalldata { calls } => {
            let list: Vec<Value> = calls
                .iter()
                .map(|c| {
                    split(c, 3, "--call")
                        .map(|p| json!({ "target": p[0], "value": p[1], "callData": p[2] }))
                })
                .collect::<Result<_, UsageError>>()?;
            let (f, mode) = if list.len() == 1 {
                ("erc7579.executeSingle", format!("0x{}", "00".repeat(32)))
            } else {
                ("erc7579.executeBatch", format!("0x01{}", "00".repeat(31)))
            };
            request(f, g, json!({ "mode": mode, "executions": list }))
        }
        ToolCommand::NonceKey(a) => request(
            "nexus.nonceKey",
            g,
            json!({
                "validator": a.validator,
                "batchKey": a.batch_key,
                "validationMode": a.validation_mode,
                "sequence": a.sequence.to_string(),
            }),
        ),
    }
}
