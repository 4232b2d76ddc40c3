//! The payment userOp (op 0 of every quote) and its price.

use crate::config::FeeToken;
use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use smart_sessions_bindings::erc20::ERC20;
use smart_sessions_codec::execute::{Execution, execute_single};

/// `execute(bytes32(0), token ‖ uint256(0) ‖ transfer(feeRecipient, amount))`: a plain single
/// ERC-7579 `execute`, so a session's fee-token transfer action (with the payment
/// `UniversalActionPolicy`) authorises it.
pub fn payment_call_data(token: Address, fee_recipient: Address, amount: U256) -> Bytes {
    let transfer = ERC20::transferCall { to: fee_recipient, amount }.abi_encode();
    single_execute(token, U256::ZERO, &transfer)
}

/// `execute(bytes32(0), target ‖ value ‖ data)` (ERC-7579 single-call mode, Nexus).
pub fn single_execute(target: Address, value: U256, data: &[u8]) -> Bytes {
    execute_single(&Execution::new(target, value, Bytes::copy_from_slice(data))).into()
}

/// The fee in token base units for `gas_wei` of gas at the token's documented rate, rounded up.
pub fn price(token: &FeeToken, gas_wei: U256) -> U256 {
    let eth = U256::from(10u64).pow(U256::from(18u64));
    (gas_wei * token.units_per_eth).div_ceil(eth)
}

/// `units` as a decimal amount of a `decimals`-decimal token (`"1.5"`, `"0.000001"`, `"3"`).
pub fn format_units(units: U256, decimals: u8) -> String {
    let base = U256::from(10u64).pow(U256::from(decimals));
    let whole = units / base;
    let frac = units % base;
    if frac.is_zero() {
        return whole.to_string();
    }
    let mut f = format!("{frac:0>width$}", width = usize::from(decimals));
    while f.ends_with('0') {
        f.pop();
    }
    format!("{whole}.{f}")
}
