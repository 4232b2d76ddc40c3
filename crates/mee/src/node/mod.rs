//! The MEE node's REST API as `@biconomy/abstractjs` 1.2.3 speaks it (spec `mee.md` §2, §4,
//! §5, §7).
//!
//! - [`MeeClient`]: `info`, `quote`, `quote_permit`, `quote_with_fee_payer`, `exec`, `explorer`
//!   over HTTP, with an optional API key (`x-api-key`, never shown), bounded requests, no
//!   retries, no redirects. Quotes stay the node's JSON maps, so `exec` echoes every field.
//! - [`PreparedRequest`] and [`body_text`]: the exact request of each call, as a value.
//! - [`NodeError`]: refusals (the node's `error` read by the SDK's [`parse_error_message`],
//!   with the HTTP status) apart from network and answer failures, each naming the call and the
//!   host; [`NodeError::is_retryable`].
//! - Receipts: [`parse_transaction_status`] / [`fold_explorer_user_ops`] (the SDK's status
//!   folding) and [`MeeClient::wait_for_supertransaction_receipt`] (bounded polling, typed
//!   failures and timeouts).
//! - [`commands`]: what `smart-sessions mee info|receipt` call, with the command design.
//! - [`eval`]: this module's answers to the `mee.http.*`, `mee.parseErrorMessage`,
//!   `mee.receiptStatus` and `mee.info.response` vectors.

pub mod commands;

mod api_key;
mod client;
mod error;
mod eval;
mod info;
mod message;
mod parse_error;
mod receipt;
mod request;
mod status;
mod url;

pub use api_key::ApiKey;
pub use client::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT, ExecResponse,
    MeeClient, MeeClientBuilder,
};
pub use error::{ConfigError, NodeError, ShapeError};
pub use eval::{EvalError, eval};
pub use info::NodeInfo;
pub use message::{MAX_NODE_MESSAGE_CHARS, NodeMessage};
pub use parse_error::parse_error_message;
pub use receipt::{
    DEFAULT_RECEIPT_TIMEOUT, FailureKind, ReceiptError, SupertransactionReceipt,
    TransactionReplaced, WaitOptions,
};
pub use request::{API_KEY_HEADER, HttpMethod, NodeCall, PreparedRequest, body_text};
pub use status::{
    ReceiptMode, StatusFold, TransactionStatus, fold_explorer_user_ops, parse_transaction_status,
};
pub use url::NodeUrl;
