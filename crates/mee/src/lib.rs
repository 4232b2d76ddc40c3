#![doc = include_str!("../README.md")]

pub mod node;

mod error;
pub use error::{MeeError, Result};

pub(crate) mod json;
pub use json::Dec;

mod version;
pub use version::{
    ComposabilityVersion, DEFAULT_MEE_VERSION, EOA_STATELESS_VALIDATOR, MeeVersion,
    MeeVersionConfig, PolicyAddresses,
};
mod version_table;
pub use version_table::KNOWN_ACCOUNT_IDS;

pub mod account;
pub use account::{Deployment, MultichainAccount};

mod hash;
pub use hash::{
    ENTRY_POINT_V07, MEE_USER_OP_TYPEHASH, MeeFilledUserOp, SUPER_TX_TYPEHASH, mee_user_op_hash,
    mee_user_op_struct_hash,
};

pub mod merkle;

pub mod session;
pub use session::SessionDetails;

pub mod stx;
pub use stx::{StxEntry, supertransaction_hash, supertransaction_tree};

pub mod stx_signature;

pub mod composable;

pub mod clock;
pub use clock::{Clock, MonotonicClock, StepClock, SystemClock};

pub mod quote_request;
pub use quote_request::{Instruction, Payment, QuoteParams, QuoteRequest, build_quote_request};

pub mod quote;
pub use quote::{NodeQuote, VerifiedQuote};

pub mod sign;

pub mod exec;

pub mod relay;

mod eval;
pub use eval::{EvalError, FUNCTIONS as EVAL_FUNCTIONS, eval};

pub mod actions;

pub mod flows;
