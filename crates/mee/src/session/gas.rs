//! The SDK's `verificationGasLimit` rules (getQuote `resolveVerificationGasLimit*`).

use alloy_primitives::Address;

/// The payment userOp's default outside session flows.
pub const DEFAULT_PAYMENT_VERIFICATION_GAS: u64 = 150_000;
/// The default of a userOp that enables a session (payment userOp or first userOp of a chain).
pub const SESSION_ENABLE_VERIFICATION_GAS: u64 = 1_000_000;
/// The default of every other session userOp (USE mode; also every payment-chain userOp of a
/// non-sponsored session flow, see [`verification_gas_limit`]).
pub const SESSION_USE_VERIFICATION_GAS: u64 = 250_000;

/// Which userOp a limit is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GasRole {
    /// The payment userOp (`paymentInfo.verificationGasLimit`).
    Payment,
    /// One of the requested (non-payment) userOps, the calls the caller asked for.
    UserOp {
        /// On the payment chain (the fee chain, or the gas tank's chain when sponsored).
        on_payment_chain: bool,
        /// Its index among the userOps of its chain.
        index_on_chain: usize,
    },
}

/// The limit the SDK sends, or `None` when it omits the field (owner flows' userOps).
///
/// `module` is the nonce-key module (a `SmartSessions` address of any generation in session flows,
/// `None` otherwise);
/// `override_` the caller's `verificationGasLimit`. Note the SDK rule that in non-sponsored
/// session flows **every** userOp on the payment chain gets 250 000 and the override is ignored.
///
/// ```
/// use smart_sessions_mee::session::{verification_gas_limit, GasRole, SMART_SESSIONS};
/// let role = GasRole::UserOp { on_payment_chain: true, index_on_chain: 0 };
/// assert_eq!(verification_gas_limit(Some(SMART_SESSIONS), Some(6_000_000), false, role), Some(250_000));
/// ```
pub fn verification_gas_limit(
    module: Option<Address>,
    override_: Option<u64>,
    sponsored: bool,
    role: GasRole,
) -> Option<u64> {
    let session = module.is_some_and(|m| {
        smart_sessions_codec::Generation::ALL.iter().any(|g| g.smart_session() == m)
    });
    match role {
        GasRole::Payment => Some(if session && !sponsored {
            override_.unwrap_or(SESSION_ENABLE_VERIFICATION_GAS)
        } else {
            DEFAULT_PAYMENT_VERIFICATION_GAS
        }),
        GasRole::UserOp { .. } if !session => None,
        GasRole::UserOp { on_payment_chain: true, .. } if !sponsored => {
            Some(SESSION_USE_VERIFICATION_GAS)
        }
        GasRole::UserOp { index_on_chain: 0, .. } => {
            Some(override_.unwrap_or(SESSION_ENABLE_VERIFICATION_GAS))
        }
        GasRole::UserOp { .. } => Some(SESSION_USE_VERIFICATION_GAS),
    }
}
