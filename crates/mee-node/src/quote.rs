//! `POST /v1/quote`: fill gas, build the payment userOp, hash, answer the §4 shape.

use crate::{
    NodeError, hashes,
    node::{Chain, Issued, Node, QuotedOp, bounded, now},
    payment,
    userop::{self, FilledUserOp, object},
};
use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// How long a quote is valid when the request gives no bounds (as the SDK's default).
const DEFAULT_VALIDITY: u64 = 180;

/// A userOp of the request, before the payment op is known.
struct Requested {
    chain_id: u64,
    op: FilledUserOp,
    lower: u64,
    upper: u64,
    short_encoding: bool,
    extra: Map<String, Value>,
    /// Gas the fee is priced with: the call estimate where the account exists, else the limit.
    priced_gas: u128,
}

async fn gas_prices(node: &Node, chain: &Chain) -> Result<(u128, u128), NodeError> {
    let id = chain.setup.chain_id;
    let block = bounded(id, "eth_getBlockByNumber", async {
        chain.provider.get_block_by_number(BlockNumberOrTag::Latest).await
    })
    .await?;
    let base = block.and_then(|b| b.header.base_fee_per_gas).unwrap_or(0);
    let policy = node.config.gas;
    let prio = policy.max_priority_fee_per_gas;
    Ok((policy.min_max_fee_per_gas.max(2 * u128::from(base) + prio), prio))
}

/// The gas the account call is estimated at, when the account is deployed (`eth_estimateGas`
/// from the EntryPoint); `None` when it is not (its code only appears with the op).
async fn estimate_call(chain: &Chain, op: &FilledUserOp) -> Result<Option<u128>, NodeError> {
    let id = chain.setup.chain_id;
    let code =
        bounded(id, "eth_getCode", async { chain.provider.get_code_at(op.sender).await }).await?;
    if code.is_empty() {
        return Ok(None);
    }
    let tx = TransactionRequest::default()
        .from(chain.setup.entry_point)
        .to(op.sender)
        .input(op.call_data.clone().into());
    // A call that cannot be estimated is priced at its limit; it fails at exec's simulation.
    Ok(tokio::time::timeout(crate::node::CHAIN_TIMEOUT, chain.provider.estimate_gas(tx))
        .await
        .ok()
        .and_then(Result::ok)
        .map(u128::from))
}

/// The quoted `verificationGasLimit`: the request's (or the default), and for an op that deploys
/// its account at least the default plus the deployment allowance (the SDK asks 150 000 for an
/// owner payment op that carries the `initCode`, too little for a Nexus deployment).
fn verification_gas(policy: &crate::GasPolicy, requested: Option<u128>, deploys: bool) -> u128 {
    let base = requested.unwrap_or(policy.default_verification_gas_limit);
    if deploys {
        base.max(policy.default_verification_gas_limit + policy.deployment_verification_gas)
    } else {
        base
    }
}

fn bool_field(o: &Map<String, Value>, field: &str) -> bool {
    o.get(field).and_then(Value::as_bool).unwrap_or(false)
}

fn bound(o: &Map<String, Value>, field: &str, at: &str, default: u64) -> Result<u64, NodeError> {
    if o.get(field).is_none_or(Value::is_null) { Ok(default) } else { userop::small(o, field, at) }
}

fn check_bounds(index: usize, lower: u64, upper: u64, now: u64) -> Result<(), NodeError> {
    // the validator reads the bounds as uint48 (ERC-4337 validation data)
    const MAX_U48: u64 = (1 << 48) - 1;
    if lower > upper || upper <= now || upper > MAX_U48 {
        return Err(NodeError::TimeBounds { index, lower, upper, now });
    }
    Ok(())
}

/// Answers a quote request.
pub(crate) async fn quote(node: &Node, body: &Value) -> Result<Value, NodeError> {
    let req = object(body, "body")?;
    match req.get("quoteType").and_then(Value::as_str) {
        None | Some("simple") => {}
        Some(_) => {
            return Err(NodeError::Unsupported { what: "a quoteType other than \"simple\"" });
        }
    }
    let ops = req.get("userOps").and_then(Value::as_array).filter(|a| !a.is_empty()).ok_or(
        NodeError::BadRequest { field: "userOps".into(), rule: "must be a non-empty array" },
    )?;
    let pay = object(
        req.get("paymentInfo")
            .ok_or(NodeError::BadRequest { field: "paymentInfo".into(), rule: "is missing" })?,
        "paymentInfo",
    )?;
    let now = now();
    let policy = node.config.gas;
    let mut prices: HashMap<u64, (u128, u128)> = HashMap::new();
    let mut requested = Vec::with_capacity(ops.len());
    for (i, raw) in ops.iter().enumerate() {
        let at = format!("userOps[{i}]");
        let o = object(raw, &at)?;
        let chain_id = userop::small(o, "chainId", &at)?;
        let chain = node.chain(chain_id, format!("{at}.chainId"))?;
        if let std::collections::hash_map::Entry::Vacant(e) = prices.entry(chain_id) {
            e.insert(gas_prices(node, chain).await?);
        }
        let (max_fee, prio) = prices[&chain_id];
        let lower = bound(o, "lowerBoundTimestamp", &at, now)?;
        let upper = bound(o, "upperBoundTimestamp", &at, now + DEFAULT_VALIDITY)?;
        // index i + 1: op 0 of the answer is the payment op
        check_bounds(i + 1, lower, upper, now)?;
        let init_code = userop::bytes_or_empty(o, "initCode", &at)?;
        let requested_vgl = match userop::opt_quantity(o, "verificationGasLimit", &at)? {
            Some(v) => Some(u128::try_from(v).map_err(|_| NodeError::BadRequest {
                field: format!("{at}.verificationGasLimit"),
                rule: "does not fit 128 bits",
            })?),
            None => None,
        };
        let vgl = verification_gas(&policy, requested_vgl, !init_code.is_empty());
        let op = FilledUserOp {
            sender: userop::address(o, "sender", &at)?,
            nonce: userop::quantity(o, "nonce", &at)?,
            init_code,
            call_data: userop::bytes(o, "callData", &at)?,
            call_gas_limit: userop::gas(o, "callGasLimit", &at)?,
            verification_gas_limit: vgl,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: prio,
            paymaster_and_data: Bytes::new(),
            pre_verification_gas: policy.pre_verification_gas,
        };
        let call =
            estimate_call(chain, &op).await?.unwrap_or(op.call_gas_limit).min(op.call_gas_limit);
        let priced_gas = call + op.verification_gas_limit + op.pre_verification_gas;
        let mut extra = Map::new();
        for key in ["sessionDetails", "metadata", "isCleanUpUserOp"] {
            if let Some(v) = o.get(key) {
                extra.insert(key.into(), v.clone());
            }
        }
        requested.push(Requested {
            chain_id,
            op,
            lower,
            upper,
            short_encoding: bool_field(o, "shortEncoding"),
            extra,
            priced_gas,
        });
    }

    // The payment op.
    let sponsored = bool_field(pay, "sponsored");
    let at = "paymentInfo";
    let pay_chain_id = userop::small(pay, "chainId", at)?;
    let pay_chain = node.chain(pay_chain_id, "paymentInfo.chainId")?;
    if let std::collections::hash_map::Entry::Vacant(e) = prices.entry(pay_chain_id) {
        e.insert(gas_prices(node, pay_chain).await?);
    }
    let (max_fee, prio) = prices[&pay_chain_id];
    let token_address = userop::address(pay, "token", at)?;
    let token = pay_chain.setup.fee_tokens.iter().find(|t| t.address == token_address);
    if !sponsored && token.is_none() {
        return Err(NodeError::UnknownFeeToken { chain_id: pay_chain_id, token: token_address });
    }
    let mut pay_op = FilledUserOp {
        sender: userop::address(pay, "sender", at)?,
        nonce: userop::quantity(pay, "nonce", at)?,
        init_code: userop::bytes_or_empty(pay, "initCode", at)?,
        call_data: Bytes::new(),
        call_gas_limit: match userop::opt_quantity(pay, "callGasLimit", at)? {
            Some(_) => userop::gas(pay, "callGasLimit", at)?,
            None => 75_000,
        },
        verification_gas_limit: verification_gas(
            &policy,
            match userop::opt_quantity(pay, "verificationGasLimit", at)? {
                Some(_) => Some(userop::gas(pay, "verificationGasLimit", at)?),
                None => None,
            },
            pay.get("initCode").and_then(Value::as_str).is_some_and(|c| c.len() > 2),
        ),
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: prio,
        paymaster_and_data: Bytes::new(),
        pre_verification_gas: policy.pre_verification_gas,
    };
    let lower = requested.iter().map(|r| r.lower).min().unwrap_or(now);
    let upper = requested.iter().map(|r| r.upper).max().unwrap_or(now + DEFAULT_VALIDITY);
    // Price: every op's priced gas at its chain's maxFeePerGas, plus the payment op's limits.
    let gas_wei =
        requested.iter().map(|r| U256::from(r.priced_gas) * U256::from(r.op.max_fee_per_gas)).fold(
            U256::from(pay_op.max_gas_limit()) * U256::from(pay_op.max_fee_per_gas),
            |a, b| a + b,
        );
    let (token_wei, decimals) = match (sponsored, token) {
        (false, Some(t)) => (payment::price(t, gas_wei), t.decimals),
        (_, t) => (U256::ZERO, t.map_or(6, |t| t.decimals)),
    };
    if !sponsored {
        pay_op.call_data =
            payment::payment_call_data(token_address, node.config.fee_recipient, token_wei);
    }
    let mut pay_extra = Map::new();
    if let Some(v) = pay.get("sessionDetails") {
        pay_extra.insert("sessionDetails".into(), v.clone());
    }
    let pay_priced = pay_op.max_gas_limit();
    let mut all = Vec::with_capacity(requested.len() + 1);
    all.push(Requested {
        chain_id: pay_chain_id,
        op: pay_op,
        lower,
        upper,
        short_encoding: bool_field(pay, "shortEncoding"),
        extra: pay_extra,
        priced_gas: pay_priced,
    });
    all.extend(requested);

    // Hashes and the root.
    let mut quoted = Vec::with_capacity(all.len());
    let mut leaves = Vec::with_capacity(all.len());
    for r in &all {
        let entry_point = node.chain(r.chain_id, "chainId")?.setup.entry_point;
        let user_op_hash = r.op.hash(entry_point, r.chain_id);
        let mee_user_op_hash = hashes::mee_user_op_hash(user_op_hash, r.lower, r.upper);
        leaves.push(hashes::leaf(r.short_encoding, user_op_hash, mee_user_op_hash));
        quoted.push(QuotedOp {
            chain_id: r.chain_id,
            op: r.op.clone(),
            user_op_hash,
            mee_user_op_hash,
            lower: r.lower,
            upper: r.upper,
            short_encoding: r.short_encoding,
        });
    }
    let tree = hashes::StxTree::new(&leaves).ok_or(NodeError::BadRequest {
        field: "userOps".into(),
        rule: "must be a non-empty array",
    })?;
    let hash = tree.root();

    let user_ops: Vec<Value> = all
        .iter()
        .zip(&quoted)
        .map(|(r, q)| {
            let mut e = json!({
                "userOp": q.op.to_json(),
                "userOpHash": q.user_op_hash,
                "meeUserOpHash": q.mee_user_op_hash,
                "lowerBoundTimestamp": q.lower.to_string(),
                "upperBoundTimestamp": q.upper.to_string(),
                "maxGasLimit": q.op.max_gas_limit().to_string(),
                "maxFeePerGas": q.op.max_fee_per_gas.to_string(),
                "chainId": q.chain_id.to_string(),
                "shortEncoding": q.short_encoding,
            });
            if let Some(m) = e.as_object_mut() {
                m.extend(r.extra.clone());
            }
            e
        })
        .collect();
    let mut payment_info = pay.clone();
    let amount = payment::format_units(token_wei, decimals);
    payment_info.insert("tokenAmount".into(), amount.clone().into());
    payment_info.insert("tokenWeiAmount".into(), token_wei.to_string().into());
    payment_info.insert("tokenValue".into(), amount.into());
    payment_info.insert("gasFee".into(), gas_wei.to_string().into());
    payment_info.insert("orchestrationFee".into(), "0".into());
    let node_address = node.address();
    // Never read by the SDK; here: keccak256(node ‖ hash), binding the quote to this node.
    let commitment: B256 = keccak256([node_address.as_slice(), hash.as_slice()].concat());
    let response = json!({
        "hash": hash,
        "node": node_address.to_checksum(None),
        "commitment": commitment,
        "quoteType": "simple",
        "paymentInfo": payment_info,
        "userOps": user_ops,
    });
    let issued = Issued { ops: quoted, sponsored };
    node.quotes.lock().map_err(|_| poisoned())?.insert(hash, issued);
    Ok(response)
}

pub(crate) fn poisoned() -> NodeError {
    NodeError::Internal { what: "the node's state was poisoned by a panic" }
}
