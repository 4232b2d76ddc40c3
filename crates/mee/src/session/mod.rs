//! Session pieces of `meeSessionActions`: policies, the payment policy, grants, the
//! `verificationGasLimit` rules and `SessionDetails` interchange.

mod details;
pub(crate) mod wire;
pub use details::{BigIntForm, MeeSession, SessionDetails, stringify_tagged, to_legacy};

mod policies;
pub use policies::{
    Call, PADDING_RULE, SMART_SESSIONS, SmartSessionsModule, TRANSFER_SELECTOR, add_payment_policy,
    add_payment_policy_at, install_smart_sessions_calls, payment_action, payment_action_at,
    session_validator_init_data, sudo_policy, sudo_policy_of, to_smart_sessions_module,
    universal_action_policy, universal_action_policy_address,
};

mod gas;
pub use gas::{
    DEFAULT_PAYMENT_VERIFICATION_GAS, GasRole, SESSION_ENABLE_VERIFICATION_GAS,
    SESSION_USE_VERIFICATION_GAS, verification_gas_limit,
};

mod grant;
pub use grant::{
    ChainRead, FeeToken, GrantAction, GrantPlan, GrantTypedData, MOCK_SIGNATURE, grant_sessions,
    plan_grant,
};

mod precheck;
pub use precheck::{Precheck, PrecheckError, precheck, precheck_with};

mod status;
pub use status::{
    PermissionCheck, decode_is_permission_enabled, fold_enabled, is_permission_enabled_calldata,
    permission_checks,
};
