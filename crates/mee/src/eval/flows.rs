//! The flow-sized `mee.` functions: quote requests, signed quotes, grants, the payment userOp.

use super::{EvalError, pieces::action_from, signer, version};
use crate::{
    MultichainAccount, NodeQuote, SessionDetails, StepClock,
    exec::{ExecSession, exec_body, session_assignments},
    json::{address, array, b256, boolean, bytes, get, u64_of, uint},
    quote_request::{
        Instruction, Payment, QuoteParams, SessionUse, Sponsorship, UseMode, build_quote_request,
        prepare_instructions,
    },
    relay::{NodeGas, PaymentRequest, payment_user_op as build_payment_op, quote_entry},
    session::{BigIntForm, Call, ChainRead, FeeToken, GrantAction, plan_grant},
    sign::sign_quote_sync,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::{Value, json};
use smart_sessions_codec::SmartSessionMode;

/// `T0` of the recorded runs when `clockLogMs` is absent.
const T0_MS: u64 = 1_767_225_600_000;

fn accounts(
    i: &Value,
    version: crate::MeeVersionConfig,
    deployed: bool,
) -> Result<MultichainAccount, EvalError> {
    let owner = address(get(i, "inputs", "ownerAddress")?, "ownerAddress")?;
    let acct = get(i, "inputs", "account")?
        .as_object()
        .ok_or(EvalError::Input { field: "account", reason: "expected {chainId: address}" })?;
    let order: Vec<u64> = match i.get("chainConfigurationsOrder") {
        Some(o) => array(o, "chainConfigurationsOrder")?
            .iter()
            .map(|c| u64_of(c, "chainConfigurationsOrder[]"))
            .collect::<Result<_, _>>()?,
        None => acct.keys().filter_map(|k| k.parse().ok()).collect(),
    };
    let mut chains = Vec::with_capacity(order.len());
    for c in order {
        let a = acct
            .get(&c.to_string())
            .ok_or(EvalError::Input { field: "account", reason: "no address for a chain" })?;
        chains.push((c, address(a, "account[chain]")?));
    }
    let mut account = MultichainAccount::new(owner, version, 0, chains)?;
    for d in &mut account.deployments {
        d.deployed = deployed;
    }
    Ok(account)
}

fn fee_token(v: &Value) -> Result<FeeToken, EvalError> {
    Ok(FeeToken {
        address: address(get(v, "feeToken", "address")?, "feeToken.address")?,
        chain_id: u64_of(get(v, "feeToken", "chainId")?, "feeToken.chainId")?,
    })
}

fn payment(params: &Value) -> Result<Payment, EvalError> {
    if params.get("sponsorship").and_then(Value::as_bool) == Some(true) {
        return Ok(Payment::Sponsored(Sponsorship::default()));
    }
    let token = fee_token(get(params, "params", "feeToken")?)?;
    let refund = match params.get("feeToken").and_then(|f| f.get("gasRefundAddress")) {
        Some(a) => Some(address(a, "feeToken.gasRefundAddress")?),
        None => None,
    };
    Ok(Payment::FeeToken { token, gas_refund_address: refund })
}

fn use_mode(s: &str) -> Result<UseMode, EvalError> {
    if s.contains("ENABLE_AND_USE") {
        Ok(UseMode::EnableAndUse)
    } else if s.contains("USE") {
        Ok(UseMode::Use)
    } else {
        Err(EvalError::Input { field: "mode", reason: "expected ENABLE_AND_USE or USE" })
    }
}

/// `mee.quoteRequest`. The nonce clock starts at `inputs.nonceClockStartMs` (the `Date.now()`
/// reading of the first nonce key; default `clockLogMs[0] + 1`, the first reading after the
/// timestamp's). `params.sessionDetails` must be the entries themselves (a reference such as
/// `"G1 (grant vector 1)"` is refused: resolve it first).
pub(super) fn quote_request(i: &Value) -> Result<Value, EvalError> {
    let version = version(i)?;
    let call = get(i, "inputs", "call")?.as_str().unwrap_or_default();
    let params = get(i, "inputs", "params")?;
    let t0 = match i.get("clockLogMs").and_then(|c| c.get(0)) {
        Some(v) => u64_of(v, "clockLogMs[0]")?,
        None => T0_MS,
    };
    let start = match i.get("nonceClockStartMs") {
        Some(v) => u64_of(v, "nonceClockStartMs")?,
        None => t0 + 1,
    };
    let clock = StepClock::new(start, 1);
    let lower = match i.get("lowerBoundTimestamp") {
        Some(v) => Some(u64_of(v, "lowerBoundTimestamp")?),
        None => None,
    };
    let request = if call.starts_with("prepareForPermissions") {
        let deployed = params.get("accountsDeployed").and_then(Value::as_bool).unwrap_or(false);
        let account = accounts(i, version, deployed)?;
        let instructions = prepare_instructions(&account, |_| false);
        let p = QuoteParams {
            account: &account,
            instructions: &instructions,
            payment: payment(params)?,
            session: None,
            lower_bound_timestamp: lower,
        };
        build_quote_request(&p, &clock)?
    } else if call.starts_with("usePermission") {
        let deployed = params.get("accountsDeployed").and_then(Value::as_bool).unwrap_or(true);
        let account = accounts(i, version, deployed)?;
        let sd = get(params, "params", "sessionDetails")?;
        if sd.is_string() {
            return Err(EvalError::Input {
                field: "params.sessionDetails",
                reason: "a reference to another vector: pass the sessionDetails array",
            });
        }
        let details = SessionDetails::list_from_json(sd)?;
        let mode = use_mode(get(params, "params", "mode")?.as_str().unwrap_or_default())?;
        let mut instructions = Vec::new();
        for (k, ins) in
            array(get(params, "params", "instructions")?, "instructions")?.iter().enumerate()
        {
            let p = format!("instructions[{k}]");
            let chain = u64_of(get(ins, &p, "chainId")?, &p)?;
            let calls = array(get(ins, &p, "calls")?, &p)?
                .iter()
                .map(|c| {
                    Ok(Call {
                        to: address(get(c, &p, "to")?, &format!("{p}.calls[].to"))?,
                        value: match c.get("value") {
                            Some(v) => uint(v, "value")?,
                            None => U256::ZERO,
                        },
                        data: match c.get("data") {
                            Some(d) => bytes(d, "data")?,
                            None => Bytes::new(),
                        },
                        gas_limit: match c.get("gasLimit") {
                            Some(g) => Some(u64_of(g, "gasLimit")?),
                            None => None,
                        },
                    })
                })
                .collect::<Result<Vec<_>, crate::MeeError>>()?;
            instructions.push(Instruction::new(chain, calls));
        }
        let vgl = match params.get("verificationGasLimit") {
            Some(v) => Some(u64_of(v, "verificationGasLimit")?),
            None => None,
        };
        let p = QuoteParams {
            account: &account,
            instructions: &instructions,
            payment: payment(params)?,
            session: Some(SessionUse { details: &details, mode, verification_gas_limit: vgl }),
            lower_bound_timestamp: lower,
        };
        build_quote_request(&p, &clock)?
    } else {
        return Err(EvalError::Input {
            field: "call",
            reason: "expected prepareForPermissions or usePermission",
        });
    };
    serde_json::to_value(&request)
        .map_err(|_| EvalError::Input { field: "quote", reason: "not serialisable" })
}

/// `mee.signedQuote`: verifies the quote's own hashes, signs it as the version does (domain name
/// "Nexus" for ≥ 2.2.1, the Nexus account's EIP-712 name), builds the exec body. In session calls
/// the caller's `sessionDetails` are recovered from the quote's echoed entries (one per chain, in
/// their granted mode 0x02), and the result lists each userOp's assignment: full entries for MEE
/// < 2.2.1 (with the whole exec `body`), `{index, mode, permissionId, chainId}` summaries for
/// ≥ 2.2.1 (the vector file records these two shapes).
pub(super) fn signed_quote(i: &Value) -> Result<Value, EvalError> {
    let version = version(i)?;
    let key = signer(get(i, "inputs", "signerPrivateKey")?, "signerPrivateKey")?;
    let call = get(i, "inputs", "call")?.as_str().unwrap_or_default().to_owned();
    let quote = NodeQuote::new(get(i, "inputs", "quote")?.clone())?.verify_hashes()?;
    let signature = sign_quote_sync(&key, &quote, version.version, "Nexus")?;
    let session_details: Vec<SessionDetails> = if call.starts_with("usePermission") {
        let mut out: Vec<SessionDetails> = Vec::new();
        let raw = quote.quote().raw();
        let mut echoed: Vec<&Value> = Vec::new();
        if let Some(sd) = raw.get("paymentInfo").and_then(|p| p.get("sessionDetails")) {
            echoed.push(sd);
        }
        for op in raw.get("userOps").and_then(Value::as_array).into_iter().flatten() {
            if let Some(sd) = op.get("sessionDetails") {
                echoed.push(sd);
            }
        }
        for sd in echoed {
            let d = SessionDetails::from_json(sd, "quote.userOps[].sessionDetails")?;
            if !out.iter().any(|o| o.chain_id() == d.chain_id()) {
                out.push(d.with_mode(SmartSessionMode::UnsafeEnable));
            }
        }
        out
    } else {
        Vec::new()
    };
    let session = if call.starts_with("usePermission") {
        Some(ExecSession { details: &session_details, mode: use_mode(&call)? })
    } else {
        None
    };
    let body = exec_body(&quote, &signature, &version, session)?;
    let sponsored = quote.quote().sponsored()?;
    let mut assigned = Vec::new();
    if let Some(s) = session {
        for (index, entry, mode) in session_assignments(&quote, sponsored, s)? {
            assigned.push(if version.version.signs_eip712() {
                json!({
                    "index": index,
                    "mode": format!("0x{:02x}", mode as u8),
                    "permissionId": entry.permission_id.to_string(),
                    "chainId": entry.chain_id().to_string(),
                })
            } else {
                json!({"index": index, "sessionDetails": body["userOps"][index]["sessionDetails"].clone()})
            });
        }
    }
    let mut out = json!({
        "addedFields": {
            "signature": body["signature"].clone(),
            "meeVersions": body["meeVersions"].clone(),
            "isEIP712TrustedSponsorshipSupported": body["isEIP712TrustedSponsorshipSupported"].clone(),
        },
        "userOpsSessionDetails": assigned,
    });
    if session.is_some() && !version.version.signs_eip712() {
        out["body"] = Value::Object(body);
    }
    Ok(out)
}

/// `mee.grantPermissionTypedDataSign` / `mee.grantPermissionPersonalSign`.
pub(super) fn grant(i: &Value, typed: bool) -> Result<Value, EvalError> {
    let mut version = version(i)?;
    if let Some(v) = i.get("validatorAddress") {
        version.validator = address(v, "validatorAddress")?;
    }
    if let Some(v) = i.get("defaultValidatorAddress") {
        version.default_validator = address(v, "defaultValidatorAddress")?;
    }
    let owner = signer(get(i, "inputs", "ownerPrivateKey")?, "ownerPrivateKey")?;
    let redeemer = address(get(i, "inputs", "redeemer")?, "redeemer")?;
    let actions = array(get(i, "inputs", "actions")?, "actions")?
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let p = format!("actions[{k}]");
            Ok(GrantAction {
                chain_id: u64_of(get(a, &p, "chainId")?, &p)?,
                action: action_from(a, &p)?,
            })
        })
        .collect::<Result<Vec<_>, EvalError>>()?;
    let fee = match i.get("feeToken") {
        Some(f) => {
            let token = fee_token(f)?;
            let max = match i.get("maxPaymentAmount") {
                Some(m) => uint(m, "maxPaymentAmount")?,
                None => {
                    let decimals =
                        u64_of(get(i, "inputs", "feeTokenDecimals")?, "feeTokenDecimals")?;
                    U256::from(5u64) * U256::from(10u64).pow(U256::from(decimals))
                }
            };
            Some((token, max))
        }
        None => None,
    };
    let salts = super::b256s(get(i, "inputs", "salts")?, "salts")?;
    let accounts = get(i, "inputs", "accounts")?;
    let reads = get(i, "inputs", "chainReads")?;
    let account_of =
        |c: u64| accounts.get(c.to_string()).and_then(|a| address(a, "accounts[chain]").ok());
    let read_of = |c: u64| -> Option<ChainRead> {
        let r = reads.get(c.to_string())?;
        Some(ChainRead {
            smart_session_nonce: uint(r.get("smartSessionNonce")?, "smartSessionNonce").ok()?,
            session_digest: b256(r.get("sessionDigest")?, "sessionDigest").ok()?,
        })
    };
    let plan = plan_grant(&version, redeemer, &actions, fee, &salts, account_of, read_of)?;
    let details =
        if typed { plan.sign_typed_data_sync(&owner)? } else { plan.sign_personal_sync(&owner)? };
    Ok(SessionDetails::list_to_json(&details, BigIntForm::Wire))
}

/// `mee.node.paymentUserOp` with the local node's gas choices ([`NodeGas::default`]).
pub(super) fn payment_user_op(i: &Value) -> Result<Value, EvalError> {
    let pi = get(i, "inputs", "paymentInfo")?;
    let p = |k: &str| get(pi, "paymentInfo", k);
    let u128_of = |k: &str| -> Result<u128, EvalError> {
        u128::try_from(uint(p(k)?, k)?)
            .map_err(|_| EvalError::Input { field: "paymentInfo gas", reason: "too large" })
    };
    let req = PaymentRequest {
        sender: address(p("sender")?, "paymentInfo.sender")?,
        token: address(p("token")?, "paymentInfo.token")?,
        nonce: uint(p("nonce")?, "paymentInfo.nonce")?,
        init_code: match pi.get("initCode") {
            Some(c) => bytes(c, "paymentInfo.initCode")?,
            None => Bytes::new(),
        },
        call_gas_limit: u128_of("callGasLimit")?,
        verification_gas_limit: u128_of("verificationGasLimit")?,
        chain_id: u64_of(p("chainId")?, "paymentInfo.chainId")?,
        short_encoding: match pi.get("shortEncoding") {
            Some(b) => boolean(b, "paymentInfo.shortEncoding")?,
            None => false,
        },
    };
    let recipient: Address = address(get(i, "inputs", "nodeFeeRecipient")?, "nodeFeeRecipient")?;
    let amount = uint(get(i, "inputs", "tokenWeiAmount")?, "tokenWeiAmount")?;
    let lower = u64_of(get(i, "inputs", "lowerBoundTimestamp")?, "lowerBoundTimestamp")?;
    let upper = u64_of(get(i, "inputs", "upperBoundTimestamp")?, "upperBoundTimestamp")?;
    let (op, _h): (_, B256) = build_payment_op(&req, recipient, amount, &NodeGas::default());
    Ok(quote_entry(&op, req.chain_id, lower, upper, req.short_encoding, pi.get("sessionDetails"))?)
}
