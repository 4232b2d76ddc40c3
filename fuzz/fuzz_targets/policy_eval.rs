//! The off-chain policy evaluator on arbitrary init data and calls: never panics, and the
//! universal action policy's state agrees with itself across encode/decode (after every call,
//! re-encoding the stored config and initialising from it gives the same state back).
//!
//! Input: `[init length: u16 LE] [init data] ([value byte] [calldata length byte] [calldata])*`.
#![no_main]
use alloy_primitives::{Address, U256};
use libfuzzer_sys::fuzz_target;
use smart_sessions_policy::eval::{
    Erc20SpendingLimitPolicy, TimeFramePolicy, UniActionPolicy, UsageLimitPolicy, ValueLimitPolicy,
};

fn value(b: u8) -> U256 {
    match b {
        255 => U256::MAX,
        254 => U256::MAX - U256::from(1),
        b => U256::from(b),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<2>() else { return };
    let n = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (init, mut rest) = rest.split_at(n);
    let mut calls = Vec::new();
    while let [v, l, tail @ ..] = rest {
        let (d, t) = tail.split_at(usize::from(*l).min(tail.len()));
        calls.push((value(*v), d));
        rest = t;
    }

    if let Ok(mut p) = UniActionPolicy::initialize(init) {
        let again = UniActionPolicy::initialize(&p.config().abi_encode())
            .expect("a decoded config re-encodes to init data that initialises");
        assert_eq!(again, p, "the state changed across encode/decode");
        for (v, d) in &calls {
            let before = p.clone();
            let result = p.check_action(*v, d);
            if matches!(result, Err(ref r) if matches!(r.outcome, smart_sessions_policy::eval::Outcome::Revert(_)))
            {
                assert_eq!(p, before, "a reverted call changed the state");
            }
            let again = UniActionPolicy::initialize(&p.config().abi_encode())
                .expect("the state after a call re-encodes to init data that initialises");
            assert_eq!(again, p, "the state changed across encode/decode after a call");
        }
    }
    if let Ok(mut p) = UsageLimitPolicy::initialize(init) {
        for _ in &calls {
            let _ = p.check();
        }
    }
    if let Ok(mut p) = ValueLimitPolicy::initialize(init) {
        for (v, _) in &calls {
            let _ = p.check_action(*v);
        }
    }
    if let Ok(p) = TimeFramePolicy::initialize(init) {
        for (v, _) in &calls {
            let _ = p.check_at(u64::try_from(*v).unwrap_or(u64::MAX));
        }
    }
    if let Ok(mut p) = Erc20SpendingLimitPolicy::initialize(init) {
        for (v, d) in &calls {
            let token = d.get(..20).map_or(Address::ZERO, Address::from_slice);
            let _ = p.check_action(Address::ZERO, token, *v, d);
        }
    }
});
