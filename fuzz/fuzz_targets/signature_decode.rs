//! Signature decoding in every mode and generation: never panics; what decodes re-encodes to
//! something that decodes to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smart_sessions_codec::{Generation, SmartSessionSignature};

fuzz_target!(|data: &[u8]| {
    for g in Generation::ALL {
        if let Ok(sig) = SmartSessionSignature::decode_with_limit(data, g, 1 << 20) {
            let again = sig.encode(g).expect("a decoded signature encodes for its generation");
            let back = SmartSessionSignature::decode_with_limit(&again, g, 1 << 22)
                .expect("an encoded signature decodes");
            assert_eq!(back, sig);
        }
    }
});
