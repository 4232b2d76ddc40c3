#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

mod error;
pub use error::{PolicyError, Result};

mod builder;
pub use builder::{
    Allow, At, BICONOMY_TIME_FRAME_POLICY, Deployment, FunctionLayout, ParamLayout,
    UniActionBuilder, Value, check_duplicate_actions, check_selector, spending_limits, sudo,
    time_frame, usage_limit, validate_action_config, validate_time_frame, value_limit,
};

mod param;
pub use param::ParamType;

pub mod eval;
pub mod session;

#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub mod json;
