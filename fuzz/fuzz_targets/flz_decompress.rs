//! FastLZ decompression of arbitrary streams: never panics, never exceeds the limit.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smart_sessions_codec::flz;

fuzz_target!(|data: &[u8]| {
    let limit = 1 << 16;
    if let Ok(out) = flz::decompress(data, limit) {
        assert!(out.len() <= limit);
    }
});
