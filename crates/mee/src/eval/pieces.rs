//! The small `mee.` functions: hashes, trees, node signatures, policies, gas rules.

use super::{EvalError, b256s, opt_address, opt_u64, s, signer};
use crate::{
    MeeFilledUserOp, SessionDetails, StxEntry,
    json::{address, array, b256, boolean, bytes, get, u64_of, uint},
    mee_user_op_hash, mee_user_op_struct_hash,
    merkle::StxMerkleTree,
    session::{
        GasRole, add_payment_policy, install_smart_sessions_calls, session_validator_init_data,
        stringify_tagged, sudo_policy, to_smart_sessions_module, universal_action_policy,
        verification_gas_limit,
    },
    sign::{MeeUserOp, SuperTx, sign_stx_hash_personal_sync, sign_super_tx_sync, super_tx_domain},
    stx::supertransaction_tree,
    stx_signature::{
        session_user_op_signature, simple_mode_signature, simple_mode_signature_712,
        simple_mode_signature_short,
    },
};
use alloy_primitives::{Address, FixedBytes, eip191_hash_message};
use alloy_sol_types::SolStruct;
use serde_json::{Value, json};
use smart_sessions_codec::{
    ActionData, LimitUsage, NexusNonceKey, ParamCondition, ParamRule, PolicyData,
};

pub(super) fn policy_json(p: &PolicyData) -> Value {
    json!({"policy": p.policy.to_checksum(None), "address": p.policy.to_checksum(None), "initData": p.initData.to_string()})
}

pub(super) fn policies_from(v: &Value, path: &str) -> Result<Vec<PolicyData>, EvalError> {
    Ok(array(v, path)?
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let path = format!("{path}[{i}]");
            let pol = p.get("policy").or_else(|| p.get("address")).unwrap_or(&Value::Null);
            Ok(PolicyData {
                policy: address(pol, &format!("{path}.policy"))?,
                initData: bytes(get(p, &path, "initData")?, &format!("{path}.initData"))?,
            })
        })
        .collect::<Result<Vec<_>, crate::MeeError>>()?)
}

pub(super) fn action_from(a: &Value, path: &str) -> Result<ActionData, EvalError> {
    let sel =
        bytes(get(a, path, "actionTargetSelector")?, &format!("{path}.actionTargetSelector"))?;
    let sel: [u8; 4] = sel[..].try_into().map_err(|_| EvalError::Input {
        field: "actionTargetSelector",
        reason: "expected 4 bytes",
    })?;
    Ok(ActionData {
        actionTargetSelector: FixedBytes(sel),
        actionTarget: address(get(a, path, "actionTarget")?, &format!("{path}.actionTarget"))?,
        actionPolicies: policies_from(
            get(a, path, "actionPolicies")?,
            &format!("{path}.actionPolicies"),
        )?,
    })
}

fn action_json(a: &ActionData) -> Value {
    json!({
        "actionTarget": a.actionTarget.to_checksum(None),
        "actionTargetSelector": a.actionTargetSelector.to_string(),
        "actionPolicies": a.actionPolicies.iter().map(policy_json).collect::<Vec<_>>(),
    })
}

fn rule_from(r: &Value, path: &str) -> Result<ParamRule, EvalError> {
    let c = u64_of(get(r, path, "condition")?, &format!("{path}.condition"))?;
    let condition = u8::try_from(c)
        .ok()
        .and_then(|c| ParamCondition::ALL.into_iter().find(|x| *x as u8 == c))
        .ok_or(EvalError::Input { field: "rules[].condition", reason: "not a ParamCondition" })?;
    let usage = get(r, path, "usage")?;
    Ok(ParamRule {
        condition,
        offset: u64_of(get(r, path, "offset")?, &format!("{path}.offset"))?,
        is_limited: boolean(get(r, path, "isLimited")?, &format!("{path}.isLimited"))?,
        reference: b256(get(r, path, "ref")?, &format!("{path}.ref"))?,
        usage: LimitUsage {
            limit: uint(get(usage, path, "limit")?, &format!("{path}.usage.limit"))?,
            used: uint(get(usage, path, "used")?, &format!("{path}.usage.used"))?,
        },
    })
}

fn tree_json(tree: &StxMerkleTree, root_key: &str) -> Value {
    let proofs: Vec<Value> = (0..tree.len())
        .map(|i| Value::Array(tree.proof(i).unwrap_or_default().iter().map(s).collect()))
        .collect();
    json!({root_key: tree.root().to_string(), "proofs": proofs})
}

pub(super) fn filled_user_op(v: &Value, path: &str) -> Result<MeeFilledUserOp, EvalError> {
    let u128_of = |k: &str| -> Result<u128, EvalError> {
        let n = uint(get(v, path, k)?, &format!("{path}.{k}"))?;
        u128::try_from(n).map_err(|_| EvalError::Input {
            field: "userOp gas field",
            reason: "does not fit 128 bits",
        })
    };
    Ok(MeeFilledUserOp {
        sender: address(get(v, path, "sender")?, &format!("{path}.sender"))?,
        nonce: uint(get(v, path, "nonce")?, &format!("{path}.nonce"))?,
        init_code: bytes(get(v, path, "initCode")?, &format!("{path}.initCode"))?,
        call_data: bytes(get(v, path, "callData")?, &format!("{path}.callData"))?,
        call_gas_limit: u128_of("callGasLimit")?,
        verification_gas_limit: u128_of("verificationGasLimit")?,
        pre_verification_gas: uint(
            get(v, path, "preVerificationGas")?,
            &format!("{path}.preVerificationGas"),
        )?,
        max_fee_per_gas: u128_of("maxFeePerGas")?,
        max_priority_fee_per_gas: u128_of("maxPriorityFeePerGas")?,
        paymaster_and_data: bytes(
            get(v, path, "paymasterAndData")?,
            &format!("{path}.paymasterAndData"),
        )?,
    })
}

fn ts(inputs: &Value) -> Result<(u64, u64), EvalError> {
    Ok((
        u64_of(get(inputs, "inputs", "lowerBoundTimestamp")?, "lowerBoundTimestamp")?,
        u64_of(get(inputs, "inputs", "upperBoundTimestamp")?, "upperBoundTimestamp")?,
    ))
}

pub(super) fn eval_piece(function: &str, i: &Value) -> Result<Value, EvalError> {
    Ok(match function {
        "mee.nonceKey" => {
            let ms = u64_of(get(i, "inputs", "dateNowMs")?, "dateNowMs")?;
            let mode = u64_of(get(i, "inputs", "validationMode")?, "validationMode")?;
            let module = address(get(i, "inputs", "moduleAddress")?, "moduleAddress")?;
            let seq = u64_of(get(i, "inputs", "entryPointSequence")?, "entryPointSequence")?;
            let key = NexusNonceKey::new(module)
                .with_validation_mode(u8::try_from(mode).map_err(|_| EvalError::Input {
                    field: "validationMode",
                    reason: "not a byte",
                })?)
                .with_batch_key(crate::clock::nonce_lane(ms))
                .map_err(crate::MeeError::from)?;
            json!({
                "key": alloy_primitives::hex::encode_prefixed(key.to_bytes()),
                "keyDecimal": key.key().to_string(),
                "nonce": key.nonce(seq).to_string(),
            })
        }
        "mee.userOpHash" => {
            let op = filled_user_op(get(i, "inputs", "userOp")?, "userOp")?;
            let ep = address(get(i, "inputs", "entryPoint")?, "entryPoint")?;
            s(op.user_op_hash(ep, u64_of(get(i, "inputs", "chainId")?, "chainId")?))
        }
        "mee.meeUserOpHash" | "mee.meeUserOpStructHash" => {
            let h = b256(get(i, "inputs", "userOpHash")?, "userOpHash")?;
            let (lo, hi) = ts(i)?;
            if function == "mee.meeUserOpHash" {
                s(mee_user_op_hash(h, lo, hi))
            } else {
                s(mee_user_op_struct_hash(h, lo, hi))
            }
        }
        "mee.stxMerkleTree" => {
            let leaves = b256s(get(i, "inputs", "leaves")?, "leaves")?;
            let tree = StxMerkleTree::new(&leaves)
                .ok_or(EvalError::Input { field: "leaves", reason: "empty" })?;
            tree_json(&tree, "root")
        }
        "mee.supertransactionHash" => {
            let entries = array(get(i, "inputs", "userOps")?, "userOps")?
                .iter()
                .enumerate()
                .map(|(k, u)| {
                    let p = format!("userOps[{k}]");
                    Ok(StxEntry {
                        user_op_hash: b256(get(u, &p, "userOpHash")?, &p)?,
                        mee_user_op_hash: b256(get(u, &p, "meeUserOpHash")?, &p)?,
                        short_encoding: boolean(get(u, &p, "shortEncoding")?, &p)?,
                    })
                })
                .collect::<Result<Vec<_>, crate::MeeError>>()?;
            let tree = supertransaction_tree(&entries)
                .ok_or(EvalError::Input { field: "userOps", reason: "empty" })?;
            tree_json(&tree, "hash")
        }
        "mee.signQuote.personal" => {
            let key = signer(get(i, "inputs", "signerPrivateKey")?, "signerPrivateKey")?;
            let h = b256(get(i, "inputs", "quoteHash")?, "quoteHash")?;
            json!({
                "signedMessageHash": eip191_hash_message(h).to_string(),
                "signature": sign_stx_hash_personal_sync(&key, h)?.to_string(),
            })
        }
        "mee.signQuote.eip712" => {
            let key = signer(get(i, "inputs", "signerPrivateKey")?, "signerPrivateKey")?;
            let name = get(i, "inputs", "domainName")?
                .as_str()
                .ok_or(EvalError::Input { field: "domainName", reason: "expected a string" })?;
            let ops = array(get(i, "inputs", "meeUserOps")?, "meeUserOps")?;
            let trusted = boolean(get(i, "inputs", "trustedSponsorship")?, "trustedSponsorship")?;
            let mut entries = Vec::with_capacity(ops.len());
            for (k, u) in ops.iter().enumerate() {
                let p = format!("meeUserOps[{k}]");
                let sender = opt_address(u, "sender")?;
                if k == 0 && trusted && sender == Some(crate::quote_request::DEFAULT_GAS_TANK) {
                    continue;
                }
                entries.push(MeeUserOp {
                    userOpHash: b256(get(u, &p, "userOpHash")?, &p)?,
                    lowerBoundTimestamp: uint(get(u, &p, "lowerBoundTimestamp")?, &p)?,
                    upperBoundTimestamp: uint(get(u, &p, "upperBoundTimestamp")?, &p)?,
                });
            }
            let tx = SuperTx { meeUserOps: entries };
            let domain = super_tx_domain(name);
            json!({
                "domainSeparator": domain.separator().to_string(),
                "structHash": tx.eip712_hash_struct().to_string(),
                "digest": tx.eip712_signing_hash(&domain).to_string(),
                "signature": sign_super_tx_sync(&key, &tx, name)?.to_string(),
            })
        }
        "mee.node.simpleModeSignature" => {
            let (lo, hi) = ts(i)?;
            s(simple_mode_signature(
                b256(get(i, "inputs", "stxHash")?, "stxHash")?,
                lo,
                hi,
                &b256s(get(i, "inputs", "proof")?, "proof")?,
                &bytes(get(i, "inputs", "signature")?, "signature")?,
            ))
        }
        "mee.node.simpleModeSignatureShort" => s(simple_mode_signature_short(
            b256(get(i, "inputs", "stxHash")?, "stxHash")?,
            &b256s(get(i, "inputs", "proof")?, "proof")?,
            &bytes(get(i, "inputs", "signature")?, "signature")?,
        )),
        "mee.node.simpleModeSignature712" => {
            let (lo, hi) = ts(i)?;
            s(simple_mode_signature_712(
                b256(get(i, "inputs", "typehash")?, "typehash")?,
                u64_of(get(i, "inputs", "itemIndex")?, "itemIndex")?,
                &b256s(get(i, "inputs", "itemHashes")?, "itemHashes")?,
                &bytes(get(i, "inputs", "signature")?, "signature")?,
                lo,
                hi,
            ))
        }
        "mee.node.sessionUserOpSignature" => {
            let d =
                SessionDetails::from_json(get(i, "inputs", "sessionDetails")?, "sessionDetails")?;
            s(session_user_op_signature(
                smart_sessions_codec::Generation::Current,
                &d,
                &bytes(get(i, "inputs", "stxSignature")?, "stxSignature")?,
            )?)
        }
        "mee.getUniversalActionPolicy" => {
            let rules = array(get(i, "inputs", "rules")?, "rules")?
                .iter()
                .enumerate()
                .map(|(k, r)| rule_from(r, &format!("rules[{k}]")))
                .collect::<Result<Vec<_>, _>>()?;
            let len = u64_of(get(i, "inputs", "length")?, "length")?;
            let len = usize::try_from(len)
                .map_err(|_| EvalError::Input { field: "length", reason: "too large" })?;
            let value = uint(get(i, "inputs", "valueLimitPerUse")?, "valueLimitPerUse")?;
            policy_json(&universal_action_policy(value, len, &rules)?)
        }
        "mee.getSudoPolicy" => policy_json(&sudo_policy()),
        "mee.addPaymentPolicyForActions" => {
            let token = get(i, "inputs", "feeToken")?;
            let token_addr = address(get(token, "feeToken", "address")?, "feeToken.address")?;
            let token_chain = u64_of(get(token, "feeToken", "chainId")?, "feeToken.chainId")?;
            let max = uint(get(i, "inputs", "maxPaymentAmount")?, "maxPaymentAmount")?;
            let groups = array(get(i, "inputs", "sessionActions")?, "sessionActions")?;
            let mut out = Vec::with_capacity(groups.len());
            for (g, group) in groups.iter().enumerate() {
                let p = format!("sessionActions[{g}]");
                let chain = u64_of(get(group, &p, "chainId")?, &p)?;
                let mut actions = array(get(group, &p, "actions")?, &p)?
                    .iter()
                    .enumerate()
                    .map(|(k, a)| action_from(a, &format!("{p}.actions[{k}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                if chain == token_chain {
                    add_payment_policy(
                        smart_sessions_codec::Generation::Current,
                        &mut actions,
                        token_addr,
                        max,
                    )?;
                }
                out.push(json!({"chainId": chain, "actions": actions.iter().map(action_json).collect::<Vec<_>>()}));
            }
            Value::Array(out)
        }
        "mee.getSessionValidatorInitData" => {
            let v = super::version(i)?;
            let data = session_validator_init_data(
                &v,
                address(get(i, "inputs", "redeemer")?, "redeemer")?,
            );
            Value::String(crate::json::validator_init_data_text(&data))
        }
        "mee.toSmartSessionsModule" => {
            let m = to_smart_sessions_module(address(get(i, "inputs", "signer")?, "signer")?);
            json!({"address": m.address.to_checksum(None), "type": "validator", "initData": "0x", "module": m.address.to_checksum(None)})
        }
        "mee.installSmartSessionsCalls" => {
            let calls = install_smart_sessions_calls(
                address(get(i, "inputs", "account")?, "account")?,
                address(get(i, "inputs", "meeValidator")?, "meeValidator")?,
                address(get(i, "inputs", "smartSessions")?, "smartSessions")?,
            );
            Value::Array(
                calls
                    .iter()
                    .map(|c| json!({"to": c.to.to_checksum(None), "value": c.value.to_string(), "data": c.data.to_string()}))
                    .collect(),
            )
        }
        "mee.verificationGasLimit" => {
            let module: Option<Address> = opt_address(i, "moduleAddress")?;
            let role = match get(i, "inputs", "role")?.as_str() {
                Some("payment") => GasRole::Payment,
                Some("userOp") => GasRole::UserOp {
                    on_payment_chain: boolean(
                        get(i, "inputs", "onPaymentChain")?,
                        "onPaymentChain",
                    )?,
                    index_on_chain: usize::try_from(u64_of(
                        get(i, "inputs", "indexOnChain")?,
                        "indexOnChain",
                    )?)
                    .unwrap_or(usize::MAX),
                },
                _ => {
                    return Err(EvalError::Input {
                        field: "role",
                        reason: "expected payment or userOp",
                    });
                }
            };
            let sponsored = boolean(get(i, "inputs", "sponsorship")?, "sponsorship")?;
            match verification_gas_limit(
                module,
                opt_u64(i, "verificationGasLimit")?,
                sponsored,
                role,
            ) {
                Some(g) => s(g),
                None => Value::Null,
            }
        }
        "mee.sessionDetails.stringify" => {
            Value::String(stringify_tagged(get(i, "inputs", "value")?))
        }
        other => return Err(EvalError::UnknownFunction { function: other.to_owned() }),
    })
}
