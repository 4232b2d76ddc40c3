//! Policy evaluation benchmarks: one `checkAction` of a 16-rule universal action policy.

#![allow(missing_docs)]

use alloy_primitives::{B256, U256};
use criterion::{Criterion, criterion_group, criterion_main};
use smart_sessions_codec::{ActionConfig, ParamCondition, ParamRule, range_ref};
use smart_sessions_policy::eval::UniActionPolicy;
use std::hint::black_box;

/// 16 rules over 8 argument words, every condition, half of them limited; the call passes all.
fn config() -> ActionConfig {
    let rules: Vec<ParamRule> = (0..16u64)
        .map(|i| {
            let offset = (i % 8) * 32;
            let r = match i % 7 {
                0 => ParamRule::new(
                    ParamCondition::Equal,
                    offset,
                    B256::from(U256::from(offset + 1)),
                ),
                1 => ParamRule::new(ParamCondition::GreaterThan, offset, B256::ZERO),
                2 => ParamRule::new(
                    ParamCondition::LessThan,
                    offset,
                    B256::from(U256::from(1_000_000)),
                ),
                3 => ParamRule::new(
                    ParamCondition::GreaterThanOrEqual,
                    offset,
                    B256::from(U256::from(1)),
                ),
                4 => ParamRule::new(
                    ParamCondition::LessThanOrEqual,
                    offset,
                    B256::from(U256::from(1_000_000)),
                ),
                5 => ParamRule::new(
                    ParamCondition::NotEqual,
                    offset,
                    B256::from(U256::from(999_999)),
                ),
                _ => ParamRule::new(ParamCondition::InRange, offset, range_ref(1, 1_000_000)),
            };
            if i % 2 == 0 { r.limited(U256::MAX) } else { r }
        })
        .collect();
    ActionConfig::new(U256::from(10), &rules).expect("16 rules")
}

fn calldata() -> Vec<u8> {
    let mut d = vec![0x12, 0x34, 0x56, 0x78];
    for w in 0..8u64 {
        d.extend_from_slice(&U256::from(w * 32 + 1).to_be_bytes::<32>());
    }
    d
}

fn bench(c: &mut Criterion) {
    let config = config();
    let data = calldata();
    let init = config.abi_encode();
    let policy = UniActionPolicy::initialize(&init).expect("initialises");
    assert!(
        policy.clone().check_action(U256::ZERO, &data).is_ok(),
        "the benchmark call must pass every rule"
    );
    let mut g = c.benchmark_group("policy");
    g.bench_function("uniAction/check/16rules", |b| {
        let mut p = policy.clone();
        b.iter(|| p.check_action(black_box(U256::ZERO), black_box(&data)))
    });
    g.bench_function("uniAction/initialize/16rules", |b| {
        b.iter(|| UniActionPolicy::initialize(black_box(&init)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
