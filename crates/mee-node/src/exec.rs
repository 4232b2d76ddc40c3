//! `POST /v1/exec`: check the echoed quote and the signer, assemble each userOp's signature,
//! simulate every userOp before sending any, then send them with `handleOps`, payment first.

use crate::{
    NodeError,
    error::SignerProblem,
    explorer::{ExecutionStatus, OpStatus},
    node::{Issued, Node, QuotedOp, Record, bounded, contract_transport, now},
    quote::poisoned,
    session, signatures,
    userop::{self, FilledUserOp, object},
};
use alloy_contract::SolCallBuilder;
use alloy_primitives::{Address, B256, Bytes, Log, Signature, U256};
use alloy_provider::{DynProvider, Provider, ext::AnvilApi};
use alloy_rpc_types_eth::{
    BlockNumberOrTag, BlockOverrides,
    simulate::{SimBlock, SimulatePayload},
};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use serde_json::{Value, json};
use smart_sessions_bindings::{
    common::{
        entry_point::{
            EntryPoint, FailedOp, FailedOpWithRevert, PackedUserOperation, UserOperationEvent,
            UserOperationRevertReason, handleOpsCall,
        },
        nexus_account_factory::createAccountCall,
        nexus_bootstrap::initNexusWithSingleValidatorCall,
    },
    devnet::owner_validator::OwnerValidator,
};
use std::{collections::BTreeMap, sync::Arc};

/// Gas of a `handleOps` transaction beyond the op's own limits.
const HANDLE_OPS_OVERHEAD: u64 = 200_000;

/// A userOp ready to go: its packed form with the assembled signature.
#[derive(Clone, Debug)]
struct Ready {
    index: usize,
    chain_id: u64,
    packed: PackedUserOperation,
    user_op_hash: B256,
    prefund: U256,
    gas: u64,
    /// The op's lower time bound: its block must not be older.
    lower: u64,
}

fn field_differs(hash: B256, index: usize, field: &str) -> NodeError {
    NodeError::TamperedQuote { hash, field: format!("userOps[{index}].{field}") }
}

/// Checks that the echoed userOps are the issued ones.
fn check_echo(hash: B256, issued: &Issued, ops: &[Value]) -> Result<(), NodeError> {
    if ops.len() != issued.ops.len() {
        return Err(NodeError::TamperedQuote { hash, field: "userOps (length)".into() });
    }
    for (i, (raw, q)) in ops.iter().zip(&issued.ops).enumerate() {
        let at = format!("userOps[{i}]");
        let o = object(raw, &at)?;
        let op = FilledUserOp::from_json(
            o.get("userOp").ok_or_else(|| field_differs(hash, i, "userOp"))?,
            &format!("{at}.userOp"),
        )
        .map_err(|_| field_differs(hash, i, "userOp"))?;
        if op != q.op {
            return Err(field_differs(hash, i, "userOp"));
        }
        let same_hash = |f: &str, want: B256| {
            userop::hash(o, f, &at)
                .ok()
                .filter(|h| *h == want)
                .ok_or_else(|| field_differs(hash, i, f))
        };
        same_hash("userOpHash", q.user_op_hash)?;
        same_hash("meeUserOpHash", q.mee_user_op_hash)?;
        let same_small = |f: &str, want: u64| {
            userop::small(o, f, &at)
                .ok()
                .filter(|v| *v == want)
                .ok_or_else(|| field_differs(hash, i, f))
        };
        same_small("lowerBoundTimestamp", q.lower)?;
        same_small("upperBoundTimestamp", q.upper)?;
        same_small("chainId", q.chain_id)?;
        if o.get("shortEncoding").and_then(Value::as_bool).unwrap_or(false) != q.short_encoding {
            return Err(field_differs(hash, i, "shortEncoding"));
        }
    }
    Ok(())
}

/// The validator named in a nonce key (`key = batch(3) ‖ mode(1) ‖ validator(20)`).
fn nonce_validator(nonce: U256) -> Address {
    let word = nonce.to_be_bytes::<32>();
    Address::from_slice(&word[4..24])
}

/// The owner that must sign an owner userOp: `owners(sender)` of the validator in its nonce
/// when the account exists, else the owner in the `initCode` (Nexus 1.0 factory + bootstrap)
/// of this op or of an earlier op of the quote for the same account on the same chain (the
/// payment op carries the fee chain's `initCode`).
async fn owner_of(
    node: &Node,
    index: usize,
    q: &QuotedOp,
    all: &[QuotedOp],
) -> Result<Address, NodeError> {
    let chain = node.chain(q.chain_id, format!("userOps[{index}].chainId"))?;
    let id = q.chain_id;
    let validator = nonce_validator(q.op.nonce);
    let unknown = |reason| NodeError::UnknownSigner { index, reason, cause: None };
    let code =
        bounded(id, "eth_getCode", async { chain.provider.get_code_at(q.op.sender).await }).await?;
    if code.is_empty() {
        let init = all[..=index]
            .iter()
            .rev()
            .find(|o| {
                o.chain_id == q.chain_id && o.op.sender == q.op.sender && !o.op.init_code.is_empty()
            })
            .map_or(&q.op.init_code, |o| &o.op.init_code);
        if init.len() < 20 {
            return Err(unknown(SignerProblem::NotDeployed { account: q.op.sender }));
        }
        let not_ours = || unknown(SignerProblem::NotNexusInitCode);
        let create = createAccountCall::abi_decode(&init[20..]).map_err(|_| not_ours())?;
        let (_bootstrap, call) =
            <(Address, Bytes)>::abi_decode_params(&create.initData).map_err(|_| not_ours())?;
        let boot = initNexusWithSingleValidatorCall::abi_decode(&call).map_err(|_| not_ours())?;
        if boot.validator != validator {
            return Err(unknown(SignerProblem::ValidatorMismatch {
                nonce: validator,
                installed: boot.validator,
            }));
        }
        if boot.data.len() < 20 {
            return Err(not_ours());
        }
        return Ok(Address::from_slice(&boot.data[..20]));
    }
    // The node's MeeK1Validator answers `owners(address)` with the ABI of the devnet's
    // K1Validator-compatible owner validator (so does Biconomy's MEE K1 validator).
    let owner_validator = OwnerValidator::new(validator, &chain.provider);
    let owners = owner_validator.owners(q.op.sender);
    let out = bounded(id, "owners(sender)", async {
        owners.call_raw().await.map_err(contract_transport)
    })
    .await
    .map_err(|e| NodeError::UnknownSigner {
        index,
        reason: SignerProblem::NoOwnersCall { validator },
        cause: Some(Box::new(e)),
    })?;
    let owner = owners.decode_output(out).map_err(|e| NodeError::UnknownSigner {
        index,
        reason: SignerProblem::OwnersGarbage { validator },
        cause: Some(Box::new(e)),
    })?;
    if owner.is_zero() {
        return Err(unknown(SignerProblem::NoOwner { validator, account: q.op.sender }));
    }
    Ok(owner)
}

/// Handles an exec request; returns `{hash}` once every userOp was simulated (the sending runs
/// on after the answer).
pub(crate) async fn exec(node: &Arc<Node>, body: Value) -> Result<Value, NodeError> {
    let o = object(&body, "body")?;
    let hash = userop::hash(o, "hash", "body")?;
    let issued = node
        .quotes
        .lock()
        .map_err(|_| poisoned())?
        .get(&hash)
        .cloned()
        .ok_or(NodeError::UnknownQuote { hash })?;
    let ops = o
        .get("userOps")
        .and_then(Value::as_array)
        .ok_or(NodeError::BadRequest { field: "userOps".into(), rule: "must be an array" })?;
    check_echo(hash, &issued, ops)?;
    let start = usize::from(issued.sponsored);
    let now = now();
    for (i, q) in issued.ops.iter().enumerate().skip(start) {
        if q.upper <= now {
            return Err(NodeError::TimeBounds { index: i, lower: q.lower, upper: q.upper, now });
        }
    }
    // The quote signature: 0x177eee00 ‖ personal_sign(hash).
    let sig = userop::bytes(o, "signature", "body")?;
    if sig.len() != 69 || sig[..4] != signatures::SIG_TYPE_SIMPLE {
        return Err(NodeError::SignatureFormat {
            rule: "must be 0x177eee00 followed by a 65-byte ECDSA signature (MEE < 2.2.1)",
        });
    }
    let raw_sig = &sig[4..];
    let recovered = Signature::try_from(raw_sig)
        .ok()
        .and_then(|s| s.recover_address_from_msg(hash.as_slice()).ok())
        .ok_or(NodeError::SignatureFormat { rule: "does not recover to an address" })?;
    let tree = crate::hashes::StxTree::new(
        &issued
            .ops
            .iter()
            .map(|q| crate::hashes::leaf(q.short_encoding, q.user_op_hash, q.mee_user_op_hash))
            .collect::<Vec<_>>(),
    )
    .ok_or(NodeError::Internal { what: "an issued quote without userOps" })?;
    if tree.root() != hash {
        return Err(NodeError::TamperedQuote { hash, field: "hash (root)".into() });
    }
    let mut ready = Vec::new();
    for (i, q) in issued.ops.iter().enumerate().skip(start) {
        let proof = tree.proof(i).ok_or(NodeError::Internal { what: "a proof out of range" })?;
        let details = ops[i].get("sessionDetails").filter(|v| !v.is_null());
        let signature = match details {
            Some(details) if q.short_encoding => {
                let s = session::SessionSig::from_details(details, i)?;
                if s.redeemer != recovered {
                    return Err(NodeError::WrongSigner {
                        recovered,
                        expected: s.redeemer,
                        index: i,
                        sender: q.op.sender,
                        chain_id: q.chain_id,
                    });
                }
                s.encode(
                    &signatures::short_mode(hash, &proof, raw_sig),
                    node.chain(q.chain_id, "chainId")?.setup.session_generation,
                )?
            }
            _ => {
                let owner = owner_of(node, i, q, &issued.ops).await?;
                if owner != recovered {
                    return Err(NodeError::WrongSigner {
                        recovered,
                        expected: owner,
                        index: i,
                        sender: q.op.sender,
                        chain_id: q.chain_id,
                    });
                }
                signatures::simple_mode(hash, q.lower, q.upper, &proof, raw_sig)
            }
        };
        let max_gas = q.op.max_gas_limit();
        ready.push(Ready {
            index: i,
            chain_id: q.chain_id,
            packed: q.op.pack(signature),
            user_op_hash: q.user_op_hash,
            prefund: U256::from(max_gas) * U256::from(q.op.max_fee_per_gas),
            lower: q.lower,
            gas: u64::try_from(max_gas).unwrap_or(u64::MAX / 2).saturating_add(HANDLE_OPS_OVERHEAD),
        });
    }
    // Claim the hash before anything async that could run twice.
    {
        let mut records = node.records.lock().map_err(|_| poisoned())?;
        if records.contains_key(&hash) {
            return Err(NodeError::AlreadySubmitted { hash });
        }
        let mut statuses = vec![OpStatus::pending(); issued.ops.len()];
        if issued.sponsored {
            statuses[0] = OpStatus {
                status: ExecutionStatus::MinedSuccess,
                tx: None,
                error: None,
                confirmed: true,
                note: Some("gas-tank op of a sponsored quote: not executed (the node pays)"),
            };
        }
        records.insert(hash, Record { body: body.clone(), statuses });
    }
    let simulated = if node.config.simulate { simulate(node, &ready).await } else { Ok(None) };
    match simulated {
        Ok(None) => {
            let node = Arc::clone(node);
            tokio::spawn(async move { send_all(&node, hash, ready).await });
        }
        Ok(Some((index, reason))) => {
            set_all(node, hash, &ready, |r| OpStatus {
                status: ExecutionStatus::Failed,
                tx: None,
                error: Some(if r.index == index {
                    reason.clone()
                } else {
                    format!("not executed: userOps[{index}] failed simulation: {reason}")
                }),
                confirmed: false,
                note: None,
            })?;
        }
        Err(e) => {
            // Nothing was sent: release the hash so the client may retry.
            node.records.lock().map_err(|_| poisoned())?.remove(&hash);
            return Err(e);
        }
    }
    Ok(json!({ "hash": hash }))
}

fn set_all(
    node: &Node,
    hash: B256,
    ready: &[Ready],
    f: impl Fn(&Ready) -> OpStatus,
) -> Result<(), NodeError> {
    let mut records = node.records.lock().map_err(|_| poisoned())?;
    if let Some(rec) = records.get_mut(&hash) {
        for r in ready {
            rec.statuses[r.index] = f(r);
        }
    }
    Ok(())
}

fn set(node: &Node, hash: B256, index: usize, st: OpStatus) {
    if let Ok(mut records) = node.records.lock()
        && let Some(rec) = records.get_mut(&hash)
    {
        rec.statuses[index] = st;
    }
}

/// A revert payload in words: `Error(string)`, EntryPoint's `FailedOp`, or hex.
pub(crate) fn decode_revert(data: &[u8]) -> String {
    if let Ok(e) = alloy_sol_types::Revert::abi_decode(data) {
        return e.reason;
    }
    if let Ok(e) = FailedOp::abi_decode(data) {
        return e.reason;
    }
    if let Ok(e) = FailedOpWithRevert::abi_decode(data) {
        return format!("{} {}", e.reason, decode_revert(&e.inner));
    }
    if data.is_empty() {
        "reverted without data".into()
    } else {
        format!("reverted with {}", Bytes::copy_from_slice(data))
    }
}

/// The outcome of one `handleOps` from its logs: `None` on success, else the reason.
fn outcome(logs: &[Log], user_op_hash: B256) -> Option<String> {
    let mut success = None;
    let mut reason = None;
    for log in logs {
        if let Ok(ev) = UserOperationEvent::decode_log(log)
            && ev.userOpHash == user_op_hash
        {
            success = Some(ev.success);
        }
        if let Ok(ev) = UserOperationRevertReason::decode_log(log)
            && ev.userOpHash == user_op_hash
        {
            reason = Some(decode_revert(&ev.revertReason));
        }
    }
    match success {
        Some(true) => None,
        Some(false) => Some(reason.unwrap_or_else(|| "execution reverted".into())),
        None => Some("no UserOperationEvent for this userOp".into()),
    }
}

/// `EntryPoint.handleOps([op], node)` from the node with the op's gas.
fn handle_ops<'a>(
    node: &Node,
    provider: &'a DynProvider,
    entry_point: Address,
    r: &Ready,
) -> SolCallBuilder<&'a DynProvider, handleOpsCall> {
    EntryPoint::new(entry_point, provider)
        .handleOps(vec![r.packed.clone()], node.address())
        .from(node.address())
        .gas(r.gas)
        .with_cloned_provider()
}

/// Simulates every userOp, chain by chain, in order, each chain in one simulated block (a
/// deposit for each op's prefund from the node, then `handleOps([op])`). Returns the first
/// failing op with its reason.
async fn simulate(node: &Node, ready: &[Ready]) -> Result<Option<(usize, String)>, NodeError> {
    let mut per_chain: BTreeMap<u64, Vec<&Ready>> = BTreeMap::new();
    for r in ready {
        per_chain.entry(r.chain_id).or_default().push(r);
    }
    let mut first: Option<(usize, String)> = None;
    for (chain_id, rs) in per_chain {
        let chain = node.chain(chain_id, "chainId")?;
        let ep = chain.setup.entry_point;
        let latest = bounded(chain_id, "eth_getBlockByNumber", async {
            chain.provider.get_block_by_number(BlockNumberOrTag::Latest).await
        })
        .await?
        .map_or(0, |b| b.header.timestamp);
        let mut calls = Vec::new();
        for r in &rs {
            calls.push(
                EntryPoint::new(ep, &chain.provider)
                    .depositTo(r.packed.sender)
                    .from(node.address())
                    .value(r.prefund)
                    .gas(100_000)
                    .into_transaction_request(),
            );
            calls.push(handle_ops(node, &chain.provider, ep, r).into_transaction_request());
        }
        let payload = SimulatePayload {
            block_state_calls: vec![SimBlock {
                block_overrides: Some(BlockOverrides {
                    time: Some(
                        now().max(latest + 1).max(rs.iter().map(|r| r.lower).max().unwrap_or(0)),
                    ),
                    ..Default::default()
                }),
                state_overrides: None,
                calls,
            }],
            trace_transfers: false,
            validation: false,
            return_full_transactions: false,
        };
        let blocks =
            bounded(chain_id, "eth_simulateV1", async { chain.provider.simulate(&payload).await })
                .await?;
        let results = blocks.into_iter().next().map(|b| b.calls).unwrap_or_default();
        for (k, r) in rs.iter().enumerate() {
            let Some(res) = results.get(2 * k + 1) else {
                return Err(NodeError::Chain {
                    chain_id,
                    step: "eth_simulateV1",
                    source: "fewer call results than calls".into(),
                });
            };
            let failure = if res.status {
                let logs: Vec<Log> = res.logs.iter().map(|l| l.inner.clone()).collect();
                outcome(&logs, r.user_op_hash)
            } else {
                Some(match &res.error {
                    Some(e) => {
                        e.data.as_ref().map_or_else(|| e.message.clone(), |d| decode_revert(d))
                    }
                    None => decode_revert(&res.return_data),
                })
            };
            if let Some(reason) = failure
                && first.as_ref().is_none_or(|(i, _)| r.index < *i)
            {
                first = Some((r.index, reason));
            }
        }
    }
    Ok(first)
}

/// Sends every op in quote order (the payment op first): tops up its EntryPoint deposit from the
/// node's key (the gas tank), then `handleOps([op])`, and records what became of it.
async fn send_all(node: &Node, hash: B256, ready: Vec<Ready>) {
    let mut stop: Option<String> = None;
    for r in &ready {
        if let Some(why) = &stop {
            set(
                node,
                hash,
                r.index,
                OpStatus {
                    status: ExecutionStatus::Failed,
                    tx: None,
                    error: Some(format!("not executed: {why}")),
                    confirmed: false,
                    note: None,
                },
            );
            continue;
        }
        let st = match send_one(node, hash, r).await {
            Ok(st) => st,
            Err(e) => OpStatus {
                status: ExecutionStatus::Failed,
                tx: None,
                error: Some(error_chain(&e)),
                confirmed: false,
                note: None,
            },
        };
        if st.status != ExecutionStatus::MinedSuccess {
            stop = Some(format!(
                "userOps[{}] ended {}: {}",
                r.index,
                st.status.as_str(),
                st.error.as_deref().unwrap_or("")
            ));
        }
        set(node, hash, r.index, st);
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

async fn send_one(node: &Node, hash: B256, r: &Ready) -> Result<OpStatus, NodeError> {
    let chain = node.chain(r.chain_id, "chainId")?;
    let id = r.chain_id;
    let ep = chain.setup.entry_point;
    let _guard = chain.send_lock.lock().await;
    // Top up the deposit to the op's prefund.
    let entry_point = EntryPoint::new(ep, &chain.provider);
    let balance = entry_point.balanceOf(r.packed.sender);
    let out = bounded(id, "EntryPoint.balanceOf", async {
        balance.call_raw().await.map_err(contract_transport)
    })
    .await?;
    let have = balance.decode_output(out).unwrap_or_default();
    if have < r.prefund {
        let deposit = entry_point.depositTo(r.packed.sender).value(r.prefund - have).gas(100_000);
        let pending =
            bounded(id, "depositTo", async { deposit.send().await.map_err(contract_transport) })
                .await?;
        bounded(id, "depositTo receipt", pending.get_receipt()).await?;
    }
    set(node, hash, r.index, OpStatus { status: ExecutionStatus::Mining, ..OpStatus::pending() });
    // anvil's block clock can trail the wall clock by a second, so a block mined right after the
    // quote may be older than the op's lower bound (AA22). The local node pins the next block's
    // timestamp to what the simulation used: max(latest + 1, now, lower). Local-only behaviour:
    // a real node waits for the chain instead.
    let latest = bounded(id, "eth_getBlockByNumber", async {
        chain.provider.get_block_by_number(BlockNumberOrTag::Latest).await
    })
    .await?
    .map_or(0, |b| b.header.timestamp);
    let next = now().max(latest + 1).max(r.lower);
    bounded(id, "anvil_setNextBlockTimestamp", async {
        chain.provider.anvil_set_next_block_timestamp(next).await
    })
    .await?;
    let send = handle_ops(node, &chain.provider, ep, r);
    let pending =
        bounded(id, "handleOps", async { send.send().await.map_err(contract_transport) }).await?;
    let tx_hash = *pending.tx_hash();
    set(
        node,
        hash,
        r.index,
        OpStatus { status: ExecutionStatus::Mining, tx: Some(tx_hash), ..OpStatus::pending() },
    );
    let receipt = bounded(id, "handleOps receipt", pending.get_receipt()).await?;
    if !receipt.status() {
        // handleOps itself reverted (validation failed although the simulation passed): the op
        // was not executed. Replay it on the state before its block for the reason.
        let before = receipt.block_number.unwrap_or(1).saturating_sub(1);
        let replay = tokio::time::timeout(
            crate::node::CHAIN_TIMEOUT,
            handle_ops(node, &chain.provider, ep, r).block(before.into()).call_raw(),
        )
        .await;
        let reason = match replay {
            Ok(Err(e)) => e.as_revert_data().map_or_else(|| e.to_string(), |d| decode_revert(&d)),
            Ok(Ok(_)) => "the replay on the previous block succeeded".into(),
            Err(_) => "the replay timed out".into(),
        };
        return Ok(OpStatus {
            status: ExecutionStatus::Failed,
            tx: Some(tx_hash),
            error: Some(format!("handleOps reverted on chain: {reason}")),
            confirmed: true,
            note: None,
        });
    }
    let logs: Vec<Log> = receipt.inner.logs().iter().map(|l| l.inner.clone()).collect();
    let failure = outcome(&logs, r.user_op_hash);
    Ok(OpStatus {
        status: if failure.is_none() {
            ExecutionStatus::MinedSuccess
        } else {
            ExecutionStatus::MinedFail
        },
        tx: Some(tx_hash),
        error: failure,
        confirmed: true,
        note: None,
    })
}
