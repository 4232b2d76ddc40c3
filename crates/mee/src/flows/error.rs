//! [`FlowError`]: why a session flow stopped, naming the step, the chain or the
//! supertransaction.

use alloy_primitives::{Address, B256, U256};
use alloy_provider::transport::TransportError;

use crate::{
    MeeError,
    node::{NodeCall, NodeError, ReceiptError},
};

/// Why a session flow ([`crate::flows::MeeSessions`]) stopped.
///
/// Before a quote is verified nothing can have been executed: [`FlowError::Mee`],
/// [`FlowError::Chain`], [`FlowError::Node`] and [`FlowError::NoChain`] leave no trace on chain.
/// From the verified quote on, every error carries the supertransaction hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// Building, verifying or signing refused (a policy pre-check refusal among them:
    /// [`MeeError::Precheck`], before any node call).
    #[error(transparent)]
    Mee(#[from] MeeError),
    /// No provider was given for a chain the flow needs.
    #[error("no provider for chain {chain_id}")]
    NoChain {
        /// The chain id the flow needs a provider for (add one with `MeeSessions::chain`).
        chain_id: u64,
    },
    /// A chain read (`getNonce`, `getCode`, `computeAccountAddress`, `isModuleInstalled`, ERC-20
    /// `decimals` / `balanceOf`) failed in transport.
    #[error("chain {chain_id}: {what} failed")]
    Chain {
        /// The chain id whose provider the read went through.
        chain_id: u64,
        /// Which read failed (`getNonce`, `getCode`, …).
        what: &'static str,
        /// The provider's transport error (with the JSON-RPC error payload, if the node sent one).
        #[source]
        source: TransportError,
    },
    /// A chain read answered something that does not decode.
    #[error("chain {chain_id}: {what} answered {len} bytes that do not decode")]
    ChainAnswer {
        /// The chain id whose provider answered.
        chain_id: u64,
        /// The contract read whose answer did not decode (e.g. `getNonce`).
        what: &'static str,
        /// The length in bytes of the undecodable answer.
        len: usize,
    },
    /// A node call before anything was signed (`info`, `quote`) failed.
    #[error("MEE node {call} failed")]
    Node {
        /// Which node endpoint failed (`info` or `quote`).
        call: NodeCall,
        /// The node client's error (refusal, network or answer shape).
        #[source]
        source: NodeError,
    },
    /// The node quoted a fee above the caller's limit: nothing was signed.
    #[error("supertransaction {hash}: fee {fee} of token {token} is above the limit {limit}")]
    FeeAboveLimit {
        /// The hash of the verified but unsigned supertransaction (nothing was sent for it).
        hash: B256,
        /// The ERC-20 the payment userOp transfers (the fee token of the quote).
        token: Address,
        /// The quoted fee (base units).
        fee: U256,
        /// The caller's `max_fee` (base units of the same token).
        limit: U256,
    },
    /// `exec` failed: refused or not sent ([`NodeError::Refused`], [`NodeError::Unreachable`]:
    /// nothing executes), or its outcome is unknown ([`NodeError::ExecOutcomeUnknown`]: look the
    /// hash up before anything else; never send it twice).
    #[error("supertransaction {hash}: exec failed")]
    Exec {
        /// The supertransaction hash.
        hash: B256,
        /// The node client's `exec` error; [`NodeError::ExecOutcomeUnknown`] when it may have run.
        #[source]
        source: NodeError,
    },
    /// Waiting for the receipt failed (failed, timed out, or the explorer failed: each names the
    /// hash).
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
}

impl FlowError {
    /// The supertransaction hash, once a quote was verified.
    pub fn supertransaction_hash(&self) -> Option<B256> {
        match self {
            Self::FeeAboveLimit { hash, .. } | Self::Exec { hash, .. } => Some(*hash),
            Self::Receipt(r) => Some(r.hash()),
            _ => None,
        }
    }

    /// Whether a supertransaction may have executed although this error came back (exec's
    /// outcome unknown, or a wait that did not see a final status).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Exec { source, .. } => matches!(source, NodeError::ExecOutcomeUnknown { .. }),
            Self::Receipt(r) => r.is_unknown_outcome(),
            _ => false,
        }
    }
}
