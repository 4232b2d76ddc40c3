//! UniActionPolicy init data decoding: never panics; canonical input round-trips byte for byte.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smart_sessions_codec::{ACTION_CONFIG_LEN, ActionConfig};

fuzz_target!(|data: &[u8]| {
    if let Ok(config) = ActionConfig::abi_decode(data) {
        let enc = config.abi_encode();
        assert_eq!(&enc[..], &data[..ACTION_CONFIG_LEN]);
        assert_eq!(ActionConfig::abi_decode(&enc).expect("re-decodes"), config);
    }
});
