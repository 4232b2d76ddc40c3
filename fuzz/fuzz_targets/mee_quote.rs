//! The MEE node's quote as the client reads it (`NodeQuote::new`, `hash`, `sponsored`,
//! `user_ops`, `verify_hashes`), from arbitrary JSON: never panics, and
//! - the quote is kept exactly as the node sent it (`into_raw` gives back the same JSON: what
//!   `exec` echoes);
//! - a quote whose hashes verify has the userOps `user_ops` parsed, and the same quote with any
//!   other root (`hash`) or any other `userOpHash` is refused (a node never gets a signature over
//!   a root the client did not recompute).
#![no_main]
use alloy_primitives::B256;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use smart_sessions_mee::{MeeError, NodeQuote};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let Ok(quote) = NodeQuote::new(value.clone()) else { return };
    assert_eq!(Value::Object(quote.raw().clone()), value, "the quote is kept as sent");
    let _ = quote.hash();
    let _ = quote.sponsored();
    let ops = quote.user_ops();
    let Ok(verified) = quote.clone().verify_hashes() else { return };
    let ops = ops.expect("a verified quote's userOps parse");
    assert_eq!(verified.user_ops(), ops.as_slice());
    let _ = verified.fee_transfer();
    let _ = verified.trusted_sponsorship();

    // another root is refused
    let mut raw = quote.clone().into_raw();
    let mut other = quote.hash().expect("a verified quote has a hash").0;
    other[31] ^= 1;
    raw.insert("hash".into(), Value::String(B256::from(other).to_string()));
    let tampered = NodeQuote::new(Value::Object(raw)).expect("still a quote");
    assert!(
        matches!(tampered.verify_hashes(), Err(MeeError::RootMismatch { .. })),
        "a quote with another root verified"
    );
    // another userOpHash of the first userOp is refused
    let mut raw = quote.into_raw();
    if let Some(Value::Object(op)) = raw.get_mut("userOps").and_then(|u| u.get_mut(0)) {
        let mut h = ops[0].user_op_hash.0;
        h[0] ^= 0x80;
        op.insert("userOpHash".into(), Value::String(B256::from(h).to_string()));
        let tampered = NodeQuote::new(Value::Object(raw)).expect("still a quote");
        assert!(tampered.verify_hashes().is_err(), "a quote with another userOpHash verified");
    }
});
