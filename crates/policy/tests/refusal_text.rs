//! Refusals print rule values by the parameter's type where it is known (issue 13 item 3).
//! Expected texts are written by hand: EIP-55 checksums of well-known addresses (the USDC
//! contract, `0xd8dA…6045`), two's-complement negatives, ASCII bytes.

use alloy_primitives::{Address, B256, I256, U256, address, hex};
use smart_sessions_codec::ParamCondition;
use smart_sessions_policy::{
    At, FunctionLayout, ParamType, UniActionBuilder, eval::UniActionPolicy,
};

const USDC: Address = address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
const VITALIK: Address = address!("0xd8da6bf26964af9d7eed9e03e53415d37aa96045");

fn transfer(to: Address, amount: U256) -> Vec<u8> {
    let mut d = hex!("a9059cbb").to_vec();
    d.extend_from_slice(to.into_word().as_slice());
    d.extend_from_slice(&amount.to_be_bytes::<32>());
    d
}

#[test]
fn an_equal_rule_on_an_address_prints_checksummed_hex() {
    // the case: `parameter 57005 vs reference 7188…` for an EQUAL on an address
    let dead = address!("0x000000000000000000000000000000000000dead");
    let mut p = UniActionBuilder::for_function("transfer(address to,uint256 amount)")
        .unwrap()
        .rule("to", ParamCondition::Equal, USDC)
        .evaluator()
        .unwrap();
    let r = p.check_action(U256::ZERO, &transfer(dead, U256::from(1))).unwrap_err();
    assert_eq!(
        r.to_string(),
        "UniActionPolicy: rule 0 (EQUAL on the address at offset 0) fails: parameter \
         0x000000000000000000000000000000000000dEaD vs reference \
         0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
    );
}

#[test]
fn a_well_known_selector_types_the_rules_without_a_signature() {
    let config = UniActionBuilder::new()
        .rule(At::Word(0), ParamCondition::Equal, VITALIK)
        .rule(At::Word(1), ParamCondition::LessThan, 10u64)
        .build_config()
        .unwrap();
    let layout = FunctionLayout::known(hex!("a9059cbb")).unwrap();
    let mut p = UniActionPolicy::from_config(config.clone()).with_layout(&layout);
    assert_eq!(p.param_types(), [Some(ParamType::Address), Some(ParamType::Uint(256))]);
    let msg = p.check_action(U256::ZERO, &transfer(USDC, U256::ZERO)).unwrap_err().to_string();
    assert!(
        msg.ends_with(
            "parameter 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 vs reference \
             0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"
        ),
        "{msg}"
    );
    let msg =
        p.check_action(U256::ZERO, &transfer(VITALIK, U256::from(11))).unwrap_err().to_string();
    assert!(
        msg.ends_with(
            "(LESS_THAN on the uint256 at offset 32) fails: parameter 11 vs reference 10"
        ),
        "{msg}"
    );
    // untyped (no layout), the word stays a number, as before
    let mut bare = UniActionPolicy::from_config(config);
    let msg = bare.check_action(U256::ZERO, &transfer(USDC, U256::ZERO)).unwrap_err().to_string();
    assert!(msg.contains("(EQUAL at offset 0) fails: parameter 917551056842671309452305380979543736893630245704 vs"), "{msg}");
}

#[test]
fn other_types_print_in_their_natural_form() {
    let neg = |n: i64| B256::from(I256::try_from(n).unwrap().into_raw());
    assert_eq!(ParamType::Int(256).format_word(neg(-5)), "-5");
    assert_eq!(ParamType::Uint(8).format_word(B256::from(U256::from(200))), "200");
    assert_eq!(ParamType::Bool.format_word(B256::from(U256::from(1))), "true");
    assert_eq!(ParamType::Bool.format_word(B256::ZERO), "false");
    let mut w = [0u8; 32];
    w[..4].copy_from_slice(b"abcd");
    assert_eq!(ParamType::FixedBytes(4).format_word(B256::from(w)), "0x61626364");
    // not a valid encoding of the type: the raw word, said so
    assert!(
        ParamType::Address.format_word(B256::repeat_byte(0xff)).ends_with("(not a valid address)")
    );
    assert!(ParamType::Bool.format_word(B256::from(U256::from(2))).ends_with("(not a valid bool)"));
    assert_eq!(ParamType::parse("uint7"), None);
    assert_eq!(ParamType::parse("bytes33"), None);
    assert_eq!(ParamType::parse("bytes"), None);
    assert_eq!(ParamType::parse("int"), Some(ParamType::Int(256)));
    // a signed ordering rule that fails prints the signed values
    let mut p = UniActionBuilder::for_function("f(int256 delta)")
        .unwrap()
        .allow(smart_sessions_policy::Allow {
            unsigned_ordering_on_signed: true,
            ..Default::default()
        })
        .rule("delta", ParamCondition::Equal, I256::try_from(-1).unwrap())
        .evaluator()
        .unwrap();
    let mut data = hex!("00000000").to_vec();
    data.extend_from_slice(neg(-2).as_slice());
    let msg = p.check_action(U256::ZERO, &data).unwrap_err().to_string();
    assert!(msg.ends_with("parameter -2 vs reference -1"), "{msg}");
}
