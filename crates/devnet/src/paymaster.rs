//! The devnet's gas sponsor: `VerifyingPaymaster` from `@account-abstraction/contracts` 0.7.0
//! (deployed by the devnet, its EntryPoint deposit funded) and a small ERC-7677 service of our
//! own that signs sponsorships for it (`pm_getPaymasterStubData`, `pm_getPaymasterData`), with a
//! policy of which senders it sponsors.
//!
//! The service answers the ERC-7677 shapes for EntryPoint v0.7: `{paymaster, paymasterData,
//! paymasterVerificationGasLimit, paymasterPostOpGasLimit, isFinal: false, sponsor}` for stub
//! data, `{paymaster, paymasterData}` for the final data. `paymasterData` is the contract's:
//! `abi.encode(uint48 validUntil, uint48 validAfter) ‖ signature`, the signature an EIP-191
//! signature by the paymaster's signer over `VerifyingPaymaster.getHash(op, validUntil,
//! validAfter)` (computed here from the operation's fields). Refusals are JSON-RPC errors: code
//! [`NOT_SPONSORED`] for a sender outside the policy, `-32602` for a wrong EntryPoint, chain or
//! malformed operation.

use crate::{
    Result,
    server::{Handler, Outcome, Server},
};
use alloy_primitives::{Address, B256, Bytes, U256, hex, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolValue;
use hyper::StatusCode;
use serde_json::{Value, json};
use std::{
    collections::BTreeSet,
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

/// The JSON-RPC error code of a sender the policy does not sponsor.
pub const NOT_SPONSORED: i64 = -32001;
/// The `paymasterVerificationGasLimit` the service answers when the operation carries none (a
/// stub request); otherwise it keeps the operation's.
pub const STUB_VERIFICATION_GAS: u64 = 100_000;
/// How long a signed sponsorship stays valid, in seconds (its `validUntil` is now plus this).
pub const VALIDITY: u64 = 3600;

/// Which senders the service sponsors ([`PaymasterService::set_policy`]); others get
/// [`NOT_SPONSORED`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SponsorPolicy {
    /// Every sender.
    #[default]
    All,
    /// Only these sender (account) addresses.
    Only(BTreeSet<Address>),
    /// No sender: every request is refused with [`NOT_SPONSORED`].
    Nobody,
}

impl SponsorPolicy {
    fn allows(&self, sender: Address) -> bool {
        match self {
            Self::All => true,
            Self::Only(s) => s.contains(&sender),
            Self::Nobody => false,
        }
    }
}

struct Shared {
    paymaster: Address,
    entry_point: Address,
    chain_id: u64,
    signer: PrivateKeySigner,
    /// A well-formed signature by another key: the stub goes down the contract's real
    /// `ECDSA.recover` path (and fails the check, as a stub should).
    stub_signature: Bytes,
    policy: Mutex<SponsorPolicy>,
    calls: Mutex<Vec<String>>,
}

/// A running ERC-7677 service for the devnet's `VerifyingPaymaster`; dropping it (or
/// [`stop`](Self::stop)) stops it.
pub struct PaymasterService {
    url: String,
    shared: Arc<Shared>,
    server: Server,
}

impl fmt::Debug for PaymasterService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymasterService")
            .field("url", &self.url)
            .field("paymaster", &self.shared.paymaster)
            .field("signer", &self.shared.signer.address())
            .finish_non_exhaustive()
    }
}

impl PaymasterService {
    /// Starts the service on 127.0.0.1 for `paymaster` (a `VerifyingPaymaster` whose
    /// `verifyingSigner` is `signer`).
    pub async fn start(
        paymaster: Address,
        entry_point: Address,
        chain_id: u64,
        signer: PrivateKeySigner,
    ) -> Result<Self> {
        let other = PrivateKeySigner::from_bytes(&keccak256(b"smart-sessions-rs paymaster stub"))
            .map_err(crate::rpc("stub key"))?;
        let stub_signature = other
            .sign_hash_sync(&keccak256(b"stub"))
            .map_err(crate::rpc("stub signature"))?
            .as_bytes()
            .to_vec()
            .into();
        let shared = Arc::new(Shared {
            paymaster,
            entry_point,
            chain_id,
            signer,
            stub_signature,
            policy: Mutex::default(),
            calls: Mutex::default(),
        });
        let s = shared.clone();
        let handler: Handler = Arc::new(move |body, _| {
            let s = s.clone();
            Box::pin(async move { handle(&s, &body) })
        });
        let server = Server::start(None, handler).await?;
        Ok(Self { url: format!("http://127.0.0.1:{}", server.addr.port()), shared, server })
    }

    /// The service's ERC-7677 JSON-RPC URL (`http://127.0.0.1:<port>`), for an `Erc7677Paymaster`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `VerifyingPaymaster` contract the service signs sponsorships for.
    pub fn paymaster(&self) -> Address {
        self.shared.paymaster
    }

    /// The address of the key the service signs sponsorships with (the contract's
    /// `verifyingSigner`).
    pub fn signer(&self) -> Address {
        self.shared.signer.address()
    }

    /// Replaces the sponsorship policy for the requests that follow (default: every sender).
    pub fn set_policy(&self, policy: SponsorPolicy) {
        *self.shared.policy.lock().unwrap_or_else(PoisonError::into_inner) = policy;
    }

    /// The JSON-RPC methods the service was called with so far, in order (for asserting a flow's
    /// calls).
    pub fn calls(&self) -> Vec<String> {
        self.shared.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Stops the service (connections are closed; later requests are refused).
    pub fn stop(&self) {
        self.server.stop();
    }
}

fn error(id: &Value, code: i64, message: String) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

fn handle(s: &Shared, body: &[u8]) -> Outcome {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return Outcome::Respond(
            StatusCode::OK,
            error(&Value::Null, -32700, "parse error".into()).to_string().into_bytes(),
        );
    };
    let id = req.get("id").cloned().unwrap_or_default();
    let method = req["method"].as_str().unwrap_or_default().to_string();
    s.calls.lock().unwrap_or_else(PoisonError::into_inner).push(method.clone());
    let answer = match answer(s, &method, &req["params"]) {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err((code, message)) => error(&id, code, message),
    };
    Outcome::Respond(StatusCode::OK, answer.to_string().into_bytes())
}

type Refusal = (i64, String);

fn invalid(what: impl fmt::Display) -> Refusal {
    (-32602, what.to_string())
}

fn quantity(op: &Value, field: &str) -> Result<U256, Refusal> {
    match op.get(field) {
        None | Some(Value::Null) => Ok(U256::ZERO),
        Some(v) => v
            .as_str()
            .and_then(|s| U256::from_str_radix(s.trim_start_matches("0x"), 16).ok())
            .ok_or_else(|| invalid(format!("userOp.{field}: not a hex quantity"))),
    }
}

fn bytes(op: &Value, field: &str) -> Result<Vec<u8>, Refusal> {
    match op.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => v
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| invalid(format!("userOp.{field}: not hex bytes"))),
    }
}

fn pack128(hi: U256, lo: U256) -> B256 {
    B256::from(((hi & U256::from(u128::MAX)) << 128) | (lo & U256::from(u128::MAX)))
}

fn answer(s: &Shared, method: &str, params: &Value) -> Result<Value, Refusal> {
    let stub = match method {
        "pm_getPaymasterStubData" => true,
        "pm_getPaymasterData" => false,
        other => return Err((-32601, format!("method {other} not found"))),
    };
    let op = &params[0];
    let entry_point: Address = params[1]
        .as_str()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| invalid("params[1]: not an address"))?;
    if entry_point != s.entry_point {
        return Err(invalid(format!("entry point {entry_point} is not supported")));
    }
    let chain_id = params[2]
        .as_str()
        .and_then(|c| u64::from_str_radix(c.trim_start_matches("0x"), 16).ok())
        .ok_or_else(|| invalid("params[2]: not a hex chain id"))?;
    if chain_id != s.chain_id {
        return Err(invalid(format!("chain {chain_id} is not supported")));
    }
    let sender: Address = op["sender"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| invalid("userOp.sender: not an address"))?;
    if !s.policy.lock().unwrap_or_else(PoisonError::into_inner).allows(sender) {
        return Err((NOT_SPONSORED, format!("sender {sender} is not sponsored by this paymaster")));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (valid_until, valid_after) = (U256::from(now + VALIDITY), U256::ZERO);
    let window = (valid_until, valid_after).abi_encode_params();
    let pm_verification = match op.get("paymasterVerificationGasLimit") {
        Some(v) if !v.is_null() => quantity(op, "paymasterVerificationGasLimit")?,
        _ => U256::from(STUB_VERIFICATION_GAS),
    };
    let pm_post_op = quantity(op, "paymasterPostOpGasLimit")?;
    if stub {
        let data = [window, s.stub_signature.to_vec()].concat();
        return Ok(json!({
            "paymaster": s.paymaster,
            "paymasterData": Bytes::from(data),
            "paymasterVerificationGasLimit": format!("{:#x}", U256::from(STUB_VERIFICATION_GAS)),
            "paymasterPostOpGasLimit": "0x0",
            "isFinal": false,
            "sponsor": { "name": "smart-sessions-rs devnet paymaster" },
        }));
    }
    let factory = bytes(op, "factory")?;
    let init_code = [factory, bytes(op, "factoryData")?].concat();
    // VerifyingPaymaster.getHash(userOp, validUntil, validAfter), field by field
    let hash = keccak256(
        (
            sender,
            quantity(op, "nonce")?,
            keccak256(&init_code),
            keccak256(bytes(op, "callData")?),
            pack128(quantity(op, "verificationGasLimit")?, quantity(op, "callGasLimit")?),
            U256::from_be_bytes(pack128(pm_verification, pm_post_op).0),
            quantity(op, "preVerificationGas")?,
            pack128(quantity(op, "maxPriorityFeePerGas")?, quantity(op, "maxFeePerGas")?),
            U256::from(s.chain_id),
            s.paymaster,
            valid_until,
            valid_after,
        )
            .abi_encode_params(),
    );
    let signature = s
        .signer
        .sign_message_sync(hash.as_slice())
        .map_err(|e| (-32603, format!("signing failed: {e}")))?;
    let data = [window, signature.as_bytes().to_vec()].concat();
    Ok(json!({ "paymaster": s.paymaster, "paymasterData": Bytes::from(data) }))
}
