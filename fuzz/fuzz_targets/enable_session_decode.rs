//! Uncompressed ENABLE payload decoding (`abi.encode(EnableSession, bytes)`), both layouts:
//! never panics; strict decoding means what decodes re-encodes to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smart_sessions_codec::{Generation, decode_enable_payload, enable_payload};

fuzz_target!(|data: &[u8]| {
    for g in [Generation::Legacy, Generation::Current] {
        if let Ok((enable, sig)) = decode_enable_payload(data, g) {
            assert_eq!(enable_payload(&enable, &sig), data);
        }
    }
});
