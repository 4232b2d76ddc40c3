//! Helpers shared by the client's devnet tests.

use alloy_primitives::Bytes;
use alloy_provider::Provider;
use smart_sessions_client::{BundlerApi, BundlerError, UserOperation};
use smart_sessions_devnet::ENTRY_POINT;

/// A 65-byte ECDSA-shaped stub (low `s`, v = 27): validators run their real recovery on it.
pub(crate) fn ecdsa_stub() -> Bytes {
    let mut s = [0x11u8; 65];
    s[32..64].fill(0x22);
    s[64] = 27;
    s.to_vec().into()
}

/// Fills fees from `pimlico_getUserOperationGasPrice` and gas limits from the bundler's estimate
/// made with `stub` as the signature.
pub(crate) async fn fill<B: Provider>(
    b: &B,
    mut op: UserOperation,
    stub: Bytes,
) -> Result<UserOperation, BundlerError> {
    op.signature = stub;
    let (max_fee, tip) = b.pimlico_gas_price().await?;
    op.max_fee_per_gas = max_fee;
    op.max_priority_fee_per_gas = tip;
    let gas = b.estimate_user_operation_gas(&op, ENTRY_POINT).await?;
    op.call_gas_limit = gas.call_gas_limit;
    op.verification_gas_limit = gas.verification_gas_limit;
    op.pre_verification_gas = gas.pre_verification_gas;
    Ok(op)
}
