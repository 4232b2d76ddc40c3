//! What the client reads of the MEE node's other answers, from arbitrary JSON: the explorer's
//! `userOps` folded into a supertransaction status (`fold_explorer_user_ops`,
//! `parse_transaction_status`, both receipt modes), the node's error payloads
//! (`parse_error_message`, then `NodeMessage`), and `info` (`NodeInfo::from_json`). Never
//! panics, and
//! - a fold names a userOp (`index` and `position` together) inside the list, its message starts
//!   with `[index] ` (or `[-1] `), a failure is final, `fold_explorer_user_ops` is
//!   `parse_transaction_status` of the list without the payment op, positions shifted by one;
//! - a `NodeMessage` holds at most `MAX_NODE_MESSAGE_CHARS` characters, never the API key, and
//!   prints no control character;
//! - the chains `info` lists as supported are not reported unsupported.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use smart_sessions_mee::node::{
    ApiKey, MAX_NODE_MESSAGE_CHARS, NodeInfo, NodeMessage, ReceiptMode, TransactionStatus,
    fold_explorer_user_ops, parse_error_message, parse_transaction_status,
};

const KEY: &str = "mee_local_test_key";

fn check_message(text: &str) {
    let key = ApiKey::new(KEY).expect("a valid API key");
    let m = NodeMessage::new(text, Some(&key));
    assert!(m.as_str().chars().count() <= MAX_NODE_MESSAGE_CHARS);
    assert!(!m.as_str().contains(KEY), "the API key is shown: {:?}", m.as_str());
    let shown = m.to_string();
    assert!(!shown.chars().any(char::is_control), "control character printed: {shown:?}");
}

fn check_fold(ops: &[Value]) {
    for mode in [ReceiptMode::Default, ReceiptMode::FastBlock] {
        let fold = parse_transaction_status(ops, mode);
        assert_eq!(fold.index.is_some(), fold.position.is_some());
        if let Some(p) = fold.position {
            assert!(p < ops.len());
            assert!(fold.index.unwrap() <= p);
            assert!(fold.message.starts_with(&format!("[{}] ", fold.index.unwrap())));
        } else if !fold.message.is_empty() {
            assert!(fold.message.starts_with("[-1] "), "{}", fold.message);
        }
        if fold.status.is_failure() {
            assert!(fold.is_finalised);
        }
        if fold.message.is_empty() {
            assert_eq!(fold.status, TransactionStatus::Pending);
        }
        if fold.execution_error.is_some() {
            assert!(fold.position.is_some());
        }
        let explorer = fold_explorer_user_ops(ops, mode);
        let mut shifted = parse_transaction_status(ops.get(1..).unwrap_or_default(), mode);
        shifted.position = shifted.position.map(|p| p + 1);
        assert_eq!(explorer, shifted);
        check_message(&parse_error_message(&Value::from(fold.message.as_str())));
        if let Some(e) = &fold.execution_error {
            check_message(e);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    match &value {
        Value::Array(ops) => check_fold(ops),
        Value::Object(o) => {
            if let Some(Value::Array(ops)) = o.get("userOps") {
                check_fold(ops);
            }
            if let Some(e) = o.get("error").filter(|e| !e.is_null()) {
                check_message(&parse_error_message(e));
            }
        }
        _ => {}
    }
    check_message(&parse_error_message(&value));
    if let Ok(info) = NodeInfo::from_json(value) {
        assert!(info.unsupported_chains(info.supported_chains()).is_empty());
        let _ = info.version();
        let _ = info.gas_token_chains().iter().map(|c| info.supports_fee_chain(*c));
    }
});
