//! The client's classification of a bundler's JSON-RPC error (`bundler::classify`: the error's
//! message and its optional `data`) and of raw revert data (`bundler::decode_revert`), as a
//! hostile bundler can send them: never panics, and
//! - revert data that decodes is classified the same whether it comes in the error's `data` or
//!   written into the message as `0x…` hex (Alto puts simulation reverts there);
//! - the SmartSession error enums the decoder tries first decode what they encode (round trip);
//! - what is printed of the classification holds no control character, and a message kept as
//!   the bundler's text is bounded by `REMOTE_TEXT_LIMIT` characters.
//!
//! Input: byte 0 chooses where the message ends (a fraction of the rest), byte 1 bit 0 whether
//! the remaining bytes are the error's `data`; the message is the first part, read as UTF-8
//! (invalid sequences replaced).
#![no_main]
use alloy_sol_types::SolInterface;
use libfuzzer_sys::fuzz_target;
use smart_sessions_bindings::current::smart_session::SmartSession::SmartSessionErrors;
use smart_sessions_client::{
    REMOTE_TEXT_LIMIT,
    bundler::{Refusal, classify, decode_revert, error_name},
};

fn check_printable(r: &Refusal) {
    let shown = r.to_string();
    assert!(!shown.chars().any(char::is_control), "control character printed: {shown:?}");
    if let Refusal::Other { message } | Refusal::EntryPoint { message, .. } = r {
        // the text, plus at most "… (N more characters)"; escapes count as their characters
        let kept = message.as_str().chars().count();
        assert!(kept <= REMOTE_TEXT_LIMIT * 10 + 40, "{kept} characters kept");
    }
}

fuzz_target!(|input: &[u8]| {
    let [cut, flags, rest @ ..] = input else { return };
    let at = usize::from(*cut) * rest.len() / 256;
    let (message, data) = rest.split_at(at);
    let message = String::from_utf8_lossy(message);
    let data = (flags & 1 == 1).then_some(data);

    let refusal = classify(&message, data);
    check_printable(&refusal);

    let Some(revert) = data else { return };
    if let Some(sel) = revert.first_chunk::<4>() {
        let _ = error_name(*sel);
    }
    if let Ok(e) = SmartSessionErrors::abi_decode(revert) {
        let again = e.abi_encode();
        assert_eq!(SmartSessionErrors::abi_decode(&again).ok(), Some(e));
    }
    if let Some(decoded) = decode_revert(revert) {
        check_printable(&decoded);
        // the error's `data` wins over anything in the message
        assert_eq!(refusal, decoded);
        // the same revert written into the message, as Alto reports simulation reverts
        if revert.len() >= 4 {
            let text = format!("execution reverted: 0x{}", alloy_primitives::hex::encode(revert));
            assert_eq!(classify(&text, None), decoded);
        }
    }
});
