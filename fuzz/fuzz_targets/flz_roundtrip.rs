//! FastLZ: both compressor variants round-trip arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smart_sessions_codec::flz;

fuzz_target!(|data: &[u8]| {
    for mode in [flz::HashMode::Float, flz::HashMode::Exact] {
        let c = flz::compress_with(data, mode);
        assert_eq!(flz::decompress(&c, data.len()).expect("own output decompresses"), data);
    }
});
