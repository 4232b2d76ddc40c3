//! A node's quote, kept as the node sent it (an opaque JSON map, so `exec` echoes every field,
//! known or not), and its verification: every userOp hash, MEE userOp hash and the Merkle root
//! are recomputed, and checked against what was asked, before anything can be signed.

use crate::{
    ENTRY_POINT_V07, MeeError, MeeFilledUserOp, QuoteRequest, Result, StxEntry,
    json::{address, array, b256, boolean, bytes, get, object, u64_of, uint},
    mee_user_op_hash,
    session::TRANSFER_SELECTOR,
    stx::supertransaction_hash,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolValue;
use serde_json::{Map, Value};
use smart_sessions_codec::execute::{MODE_SINGLE, decode_execute};

/// A quote as the node sent it (`POST quote`'s answer), not yet trusted: check it with
/// [`Self::verify`] against the request to get the [`VerifiedQuote`] that can be signed.
///
/// The SDK's recorded MEE 2.0.0 prepare run: our request for it accepts the node's recorded
/// quote, and the same quote with another root is refused.
///
/// ```
/// use alloy_primitives::{address, b256, B256};
/// use smart_sessions_mee::{
///     build_quote_request, MeeError, MeeVersion, MultichainAccount, NodeQuote, StepClock,
///     quote_request::{prepare_instructions, Payment, QuoteParams, BASE_USDC},
///     session::FeeToken,
/// };
/// # let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mee.json");
/// # let vectors: serde_json::Value =
/// #     serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
/// # let recorded = vectors["vectors"].as_array().unwrap().iter()
/// #     .find(|v| v["function"] == "mee.signedQuote").unwrap();
/// let owner = address!("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
/// let at = address!("0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7");
/// let version = MeeVersion::V2_0_0.config();
/// let account = MultichainAccount::new(owner, version, 0, [(10, at), (8453, at)])?;
/// // deploy and install SmartSessions on both chains, the fee in USDC on Base
/// let instructions = prepare_instructions(&account, |_| false);
/// let usdc = FeeToken { address: BASE_USDC, chain_id: 8453 };
/// let params = QuoteParams {
///     account: &account,
///     instructions: &instructions,
///     payment: Payment::FeeToken { token: usdc, gas_refund_address: None },
///     session: None,
///     lower_bound_timestamp: Some(1_767_225_600),
/// };
/// let request = build_quote_request(&params, &StepClock::new(1_767_225_600_001, 1))?;
///
/// // the node's JSON answer to `POST quote` with that request (recorded from the SDK run)
/// let answer: serde_json::Value = recorded["inputs"]["quote"].clone();
/// let verified = NodeQuote::new(answer.clone())?.verify(&request)?;
/// let root = b256!("0x24ecbf493fdad485f279866648bc0a4447ccc761a0c3bcb86e2b07c6bd50ac54");
/// assert_eq!(verified.hash(), root);
/// assert_eq!(verified.user_ops().len(), 3); // the payment userOp, then one per chain
/// assert_eq!(verified.fee_transfer().map(|(token, _, _)| token), Some(BASE_USDC));
///
/// // a quote whose `hash` is not the root of its userOps cannot be signed
/// let mut forged = answer;
/// forged["hash"] = serde_json::json!(B256::repeat_byte(0x11));
/// let refused = NodeQuote::new(forged)?.verify(&request).unwrap_err();
/// assert!(matches!(refused, MeeError::RootMismatch { expected, .. } if expected == root));
/// # Ok::<(), MeeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeQuote {
    raw: Map<String, Value>,
}

/// One entry of the quote's `userOps`, parsed (index 0 is the payment or tank userOp).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuoteUserOp {
    /// The userOp as the node filled it (gas, fees, paymaster), which its hashes commit to.
    pub user_op: MeeFilledUserOp,
    /// The chain id the userOp runs on.
    pub chain_id: u64,
    /// The node's `userOpHash`.
    pub user_op_hash: B256,
    /// The node's `meeUserOpHash`.
    pub mee_user_op_hash: B256,
    /// Unix time (s) from which the userOp may execute (`lowerBoundTimestamp`).
    pub lower_bound_timestamp: u64,
    /// Unix time (s) after which the userOp may no longer execute (`upperBoundTimestamp`).
    pub upper_bound_timestamp: u64,
    /// `shortEncoding`: the userOp's tree leaf is its `userOpHash` (session userOps), not its
    /// `meeUserOpHash`.
    pub short_encoding: bool,
}

fn u128_of(v: &Value, path: &str) -> Result<u128> {
    u128::try_from(uint(v, path)?).map_err(|_| MeeError::field(path, "does not fit 128 bits"))
}

fn parse_filled(v: &Value, path: &str) -> Result<MeeFilledUserOp> {
    let f = |k: &str| get(v, path, k);
    let p = |k: &str| format!("{path}.{k}");
    Ok(MeeFilledUserOp {
        sender: address(f("sender")?, &p("sender"))?,
        nonce: uint(f("nonce")?, &p("nonce"))?,
        init_code: match v.get("initCode") {
            Some(c) => bytes(c, &p("initCode"))?,
            None => Bytes::new(),
        },
        call_data: bytes(f("callData")?, &p("callData"))?,
        call_gas_limit: u128_of(f("callGasLimit")?, &p("callGasLimit"))?,
        verification_gas_limit: u128_of(f("verificationGasLimit")?, &p("verificationGasLimit"))?,
        pre_verification_gas: uint(f("preVerificationGas")?, &p("preVerificationGas"))?,
        max_fee_per_gas: u128_of(f("maxFeePerGas")?, &p("maxFeePerGas"))?,
        max_priority_fee_per_gas: u128_of(f("maxPriorityFeePerGas")?, &p("maxPriorityFeePerGas"))?,
        paymaster_and_data: match v.get("paymasterAndData") {
            Some(c) => bytes(c, &p("paymasterAndData"))?,
            None => Bytes::new(),
        },
    })
}

impl NodeQuote {
    /// Wraps the node's JSON (must be an object with `hash`, `paymentInfo` and `userOps`).
    pub fn new(value: Value) -> Result<Self> {
        let Value::Object(raw) = value else {
            return Err(MeeError::field("quote", "expected an object"));
        };
        for k in ["hash", "paymentInfo", "userOps"] {
            if !raw.contains_key(k) {
                return Err(MeeError::field(format!("quote.{k}"), "missing"));
            }
        }
        Ok(Self { raw })
    }

    /// The node's JSON, unchanged.
    pub const fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// The node's JSON map, unchanged, by value.
    pub fn into_raw(self) -> Map<String, Value> {
        self.raw
    }

    /// `quote.hash`: the supertransaction hash the node claims (not checked here).
    pub fn hash(&self) -> Result<B256> {
        b256(&self.raw["hash"], "quote.hash")
    }

    /// `paymentInfo.sponsored`: whether a gas tank pays (`false` when absent).
    pub fn sponsored(&self) -> Result<bool> {
        let pi = &self.raw["paymentInfo"];
        match pi.get("sponsored") {
            Some(s) => boolean(s, "quote.paymentInfo.sponsored"),
            None => Ok(false),
        }
    }

    /// Parses `userOps`; an entry missing a field or with a wrong type is refused by path.
    pub fn user_ops(&self) -> Result<Vec<QuoteUserOp>> {
        array(&self.raw["userOps"], "quote.userOps")?
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let path = format!("quote.userOps[{i}]");
                object(u, &path)?;
                let p = |k: &str| format!("{path}.{k}");
                Ok(QuoteUserOp {
                    user_op: parse_filled(get(u, &path, "userOp")?, &p("userOp"))?,
                    chain_id: u64_of(get(u, &path, "chainId")?, &p("chainId"))?,
                    user_op_hash: b256(get(u, &path, "userOpHash")?, &p("userOpHash"))?,
                    mee_user_op_hash: b256(get(u, &path, "meeUserOpHash")?, &p("meeUserOpHash"))?,
                    lower_bound_timestamp: u64_of(
                        get(u, &path, "lowerBoundTimestamp")?,
                        &p("lowerBoundTimestamp"),
                    )?,
                    upper_bound_timestamp: u64_of(
                        get(u, &path, "upperBoundTimestamp")?,
                        &p("upperBoundTimestamp"),
                    )?,
                    short_encoding: match u.get("shortEncoding") {
                        Some(s) => boolean(s, &p("shortEncoding"))?,
                        None => false,
                    },
                })
            })
            .collect()
    }

    /// Checks the quote's own hashes: every `userOpHash` (recomputed from the filled userOp and
    /// chain with EntryPoint v0.7), every `meeUserOpHash`, and `hash` as the Merkle root.
    ///
    /// This does **not** check that the userOps are what was asked; use [`Self::verify`] when the
    /// request is at hand.
    pub fn verify_hashes(self) -> Result<VerifiedQuote> {
        let ops = self.user_ops()?;
        let mut entries = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let h = op.user_op.user_op_hash(ENTRY_POINT_V07, op.chain_id);
            if h != op.user_op_hash {
                return Err(mismatch(i, "userOpHash", h, op.user_op_hash));
            }
            let m = mee_user_op_hash(h, op.lower_bound_timestamp, op.upper_bound_timestamp);
            if m != op.mee_user_op_hash {
                return Err(mismatch(i, "meeUserOpHash", m, op.mee_user_op_hash));
            }
            entries.push(StxEntry {
                user_op_hash: h,
                mee_user_op_hash: m,
                short_encoding: op.short_encoding,
            });
        }
        let root =
            supertransaction_hash(&entries).ok_or(MeeError::Empty { what: "quote.userOps" })?;
        let hash = self.hash()?;
        if root != hash {
            return Err(MeeError::RootMismatch { expected: root, actual: hash });
        }
        Ok(VerifiedQuote { quote: self, hash, user_ops: ops })
    }

    /// [`Self::verify_hashes`], then checks every userOp against `request`: the payment userOp
    /// (index 0) has the payment sender, nonce, initCode and chain, and (fee token) its callData is a single
    /// `execute` of `token.transfer(…)`; userOp `i ≥ 1` has request userOp `i-1`'s sender, nonce,
    /// chain, callData, initCode, timestamps and shortEncoding. A node cannot get a signature over
    /// anything else.
    pub fn verify(self, request: &QuoteRequest) -> Result<VerifiedQuote> {
        let verified = self.verify_hashes()?;
        let ops = &verified.user_ops;
        if ops.len() != request.user_ops.len() + 1 {
            return Err(MeeError::UserOpCount {
                expected: request.user_ops.len() + 1,
                actual: ops.len(),
            });
        }
        let pi = &request.payment_info;
        let pay = &ops[0];
        eq(0, "userOp.sender", pi.sender, pay.user_op.sender)?;
        eq(0, "chainId", pi.chain_id.0, pay.chain_id)?;
        if !pi.sponsored {
            eq(0, "userOp.nonce", pi.nonce.0, pay.user_op.nonce)?;
            eq(0, "shortEncoding", pi.short_encoding.unwrap_or(false), pay.short_encoding)?;
            let want_init = pi.init_code.clone().unwrap_or_default();
            eq(0, "userOp.initCode", &want_init, &pay.user_op.init_code)?;
            check_payment_call(&pay.user_op.call_data, pi.token)?;
        }
        for (i, (q, r)) in ops[1..].iter().zip(&request.user_ops).enumerate() {
            let i = i + 1;
            eq(i, "userOp.sender", r.sender, q.user_op.sender)?;
            eq(i, "chainId", r.chain_id.0, q.chain_id)?;
            eq(i, "userOp.nonce", r.nonce.0, q.user_op.nonce)?;
            eq(i, "userOp.callData", &r.call_data, &q.user_op.call_data)?;
            let want_init = r.init_code.clone().unwrap_or_default();
            eq(i, "userOp.initCode", &want_init, &q.user_op.init_code)?;
            eq(i, "lowerBoundTimestamp", r.lower_bound_timestamp, q.lower_bound_timestamp)?;
            eq(i, "upperBoundTimestamp", r.upper_bound_timestamp, q.upper_bound_timestamp)?;
            eq(i, "shortEncoding", r.short_encoding, q.short_encoding)?;
        }
        Ok(verified)
    }
}

fn check_payment_call(call_data: &[u8], token: Address) -> Result<()> {
    let (mode, calls) = decode_execute(call_data).map_err(|_| MeeError::QuoteMismatch {
        user_op: 0,
        field: "userOp.callData",
        expected: "execute(single, token.transfer)".into(),
        actual: "not an execute call".into(),
    })?;
    let ok = mode == MODE_SINGLE
        && calls.len() == 1
        && calls[0].target == token
        && calls[0].value == U256::ZERO
        && calls[0].callData.get(..4) == Some(TRANSFER_SELECTOR.as_slice());
    if !ok {
        return Err(MeeError::QuoteMismatch {
            user_op: 0,
            field: "userOp.callData",
            expected: format!("execute(single, {token}.transfer(…), value 0)"),
            actual: format!("{} call(s) to {:?}", calls.len(), calls.first().map(|c| c.target)),
        });
    }
    Ok(())
}

fn mismatch(
    user_op: usize,
    field: &'static str,
    expected: impl core::fmt::Display,
    actual: impl core::fmt::Display,
) -> MeeError {
    MeeError::QuoteMismatch {
        user_op,
        field,
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

fn eq<T: PartialEq + core::fmt::Debug>(
    user_op: usize,
    field: &'static str,
    expected: T,
    actual: T,
) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(MeeError::QuoteMismatch {
            user_op,
            field,
            expected: format!("{expected:?}"),
            actual: format!("{actual:?}"),
        })
    }
}

/// A quote whose hashes (and, through [`NodeQuote::verify`], contents) were checked: the only
/// thing [`crate::sign`] signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedQuote {
    quote: NodeQuote,
    hash: B256,
    user_ops: Vec<QuoteUserOp>,
}

impl VerifiedQuote {
    /// The supertransaction hash: the checked Merkle root over the userOps, what is signed.
    pub const fn hash(&self) -> B256 {
        self.hash
    }

    /// The quote's userOps as checked (index 0 is the payment or tank userOp).
    pub fn user_ops(&self) -> &[QuoteUserOp] {
        &self.user_ops
    }

    /// The node's quote as it arrived (its JSON is echoed whole in the `exec` body).
    pub const fn quote(&self) -> &NodeQuote {
        &self.quote
    }

    /// The fee the payment userOp transfers: `(token, recipient, amount)` when `userOps[0]` is a
    /// single `execute` of `token.transfer(recipient, amount)` (fee-token quotes), to compare
    /// with the fee the caller accepts and the session's remaining fee budget.
    pub fn fee_transfer(&self) -> Option<(Address, Address, U256)> {
        let pay = self.user_ops.first()?;
        let (mode, calls) = decode_execute(&pay.user_op.call_data).ok()?;
        let [call] = calls.as_slice() else { return None };
        if mode != MODE_SINGLE || call.callData.get(..4) != Some(TRANSFER_SELECTOR.as_slice()) {
            return None;
        }
        let (to, amount) =
            <(Address, U256) as SolValue>::abi_decode_params(&call.callData[4..]).ok()?;
        Some((call.target, to, amount))
    }

    /// Whether the trusted gas tank pays (its userOp is `userOps[0]`).
    pub fn trusted_sponsorship(&self) -> bool {
        self.user_ops
            .first()
            .is_some_and(|u| u.user_op.sender == crate::quote_request::DEFAULT_GAS_TANK)
    }
}
