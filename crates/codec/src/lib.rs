#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

mod error;
pub use error::{Error, Result};

mod generation;
pub use generation::{Generation, PolicyKind, UnknownGeneration};

mod types;
pub use types::{
    ActionData, AnyEnableSession, AnySession, ChainDigest, ChainSession, ERC7739Context,
    ERC7739Data, EnableSession, MultiChainSession, PolicyData, Session, SignedPermissions,
    SignedSession, legacy,
};

mod ids;
pub use ids::{
    FALLBACK_ACTIONID, FALLBACK_ACTIONID_SMARTSESSION_CALL, FALLBACK_TARGET_FLAG,
    FALLBACK_TARGET_SELECTOR_FLAG, FALLBACK_TARGET_SELECTOR_FLAG_PERMITTED_TO_CALL_SMARTSESSION,
    VALUE_SELECTOR, action_config_id, action_id, action_policy_id, call_selector,
    erc1271_config_id, erc1271_policy_id, permission_id, user_op_config_id,
};

mod rules;
pub use rules::{
    ACTION_CONFIG_LEN, ActionConfig, LimitUsage, MAX_RULES, ParamCondition, ParamRule, range_ref,
    split_range,
};

mod policies;
pub use policies::{spending_limits_init_data, time_frame_init_data};

pub mod eip712;

pub mod flz;

mod signature;
pub use signature::{
    AccountType, DEFAULT_MAX_PAYLOAD, EnableMode, SmartSessionMode, SmartSessionSignature,
    decode_enable_payload, enable_payload, encode_enable, encode_use,
};

pub mod execute;
pub use execute::{Execution, NexusNonceKey};

pub mod install;

#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub mod json;
