//! The node's errors: what it refuses (answered as `{"error": …, "code": …}` with an HTTP status)
//! and what goes wrong around it.

use alloy_primitives::{Address, B256};
use std::error::Error as StdError;

/// A boxed error from a chain or transport call, kept as the `source()`.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Everything the node refuses or fails at. The `Display` text is the `error` of the JSON answer;
/// it never contains the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// No `x-api-key` header, or the wrong key.
    #[error("unauthorized: {reason}")]
    Unauthorized {
        /// Which: the header is missing or the key is wrong (the key itself is never shown).
        reason: &'static str,
    },
    /// A request field is missing or malformed.
    #[error("bad request: `{field}` {rule}")]
    BadRequest {
        /// Where in the JSON body (e.g. `userOps[1].callGasLimit`).
        field: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The body is not JSON.
    #[error("bad request: the body is not JSON")]
    NotJson(#[source] serde_json::Error),
    /// A chain this node does not serve.
    #[error("unsupported chain {chain_id} at `{field}`")]
    UnsupportedChain {
        /// The chain id asked for.
        chain_id: u64,
        /// Where.
        field: String,
    },
    /// A fee token this node does not take on that chain.
    #[error("unknown fee token {token} on chain {chain_id}")]
    UnknownFeeToken {
        /// The chain.
        chain_id: u64,
        /// The token.
        token: Address,
    },
    /// A userOp's time bounds are inverted, already over, or beyond `uint48`.
    #[error(
        "time bounds of userOps[{index}] are not usable: lower {lower}, upper {upper}, now {now}"
    )]
    TimeBounds {
        /// The userOp.
        index: usize,
        /// Its lower bound (unix seconds).
        lower: u64,
        /// Its upper bound.
        upper: u64,
        /// The node's clock.
        now: u64,
    },
    /// The exec body's `hash` is not a quote this node issued (a tampered root, or a stranger's).
    #[error("unknown quote {hash}: not issued by this node (tampered root or unknown quote)")]
    UnknownQuote {
        /// The hash in the body.
        hash: B256,
    },
    /// The exec body differs from the quote the node issued.
    #[error("tampered quote {hash}: `{field}` differs from the issued quote")]
    TamperedQuote {
        /// The quote.
        hash: B256,
        /// The first field that differs.
        field: String,
    },
    /// The quote signature is malformed.
    #[error("bad signature: {rule}")]
    SignatureFormat {
        /// What is wrong.
        rule: &'static str,
    },
    /// The quote signature was made by someone else than the userOps' signer.
    #[error(
        "bad signature: signed by {recovered}, but userOps[{index}] (sender {sender} on chain {chain_id}) needs {expected}"
    )]
    WrongSigner {
        /// Who signed.
        recovered: Address,
        /// Who must sign (the owner, or the session's redeemer).
        expected: Address,
        /// The first userOp whose signer differs.
        index: usize,
        /// Its sender.
        sender: Address,
        /// Its chain.
        chain_id: u64,
    },
    /// The node cannot tell who must sign a userOp.
    #[error("userOps[{index}]: {reason}")]
    UnknownSigner {
        /// The userOp.
        index: usize,
        /// Why.
        reason: SignerProblem,
        /// The failure behind it (the chain call, the decoder), when there is one.
        #[source]
        cause: Option<BoxError>,
    },
    /// The supertransaction was already submitted (the node never executes one twice).
    #[error("supertransaction {hash} was already submitted")]
    AlreadySubmitted {
        /// The quote.
        hash: B256,
    },
    /// No such route.
    #[error("not found: {path}")]
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// A route this node does not implement.
    #[error("{what} is not supported by this local node")]
    Unsupported {
        /// What.
        what: &'static str,
    },
    /// The node's own state is unusable (a task panicked while holding it).
    #[error("internal error: {what}")]
    Internal {
        /// What.
        what: &'static str,
    },
    /// A chain call failed.
    #[error("chain {chain_id}: {step} failed")]
    Chain {
        /// The chain.
        chain_id: u64,
        /// The step.
        step: &'static str,
        /// The cause.
        #[source]
        source: BoxError,
    },
}

impl NodeError {
    /// The HTTP status of the answer.
    pub const fn status(&self) -> u16 {
        match self {
            Self::Unauthorized { .. } => 401,
            Self::NotFound { .. } => 404,
            Self::AlreadySubmitted { .. } => 409,
            Self::Chain { .. } => 502,
            Self::Internal { .. } => 500,
            _ => 400,
        }
    }

    /// A stable machine-readable code (`code` of the answer).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "UNAUTHORIZED",
            Self::BadRequest { .. } | Self::NotJson(_) => "BAD_REQUEST",
            Self::UnsupportedChain { .. } => "UNSUPPORTED_CHAIN",
            Self::UnknownFeeToken { .. } => "UNKNOWN_FEE_TOKEN",
            Self::TimeBounds { .. } => "TIME_BOUNDS",
            Self::UnknownQuote { .. } => "UNKNOWN_QUOTE",
            Self::TamperedQuote { .. } => "TAMPERED_QUOTE",
            Self::SignatureFormat { .. } | Self::WrongSigner { .. } => "BAD_SIGNATURE",
            Self::UnknownSigner { .. } => "UNKNOWN_SIGNER",
            Self::AlreadySubmitted { .. } => "ALREADY_SUBMITTED",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Unsupported { .. } => "UNSUPPORTED",
            Self::Chain { .. } => "CHAIN_ERROR",
            Self::Internal { .. } => "INTERNAL",
        }
    }

    pub(crate) fn chain<E: StdError + Send + Sync + 'static>(
        chain_id: u64,
        step: &'static str,
    ) -> impl FnOnce(E) -> Self {
        move |e| Self::Chain { chain_id, step, source: Box::new(e) }
    }
}

/// What can go wrong while starting the local MEE stack.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// The devnet of a chain did not start.
    #[error("devnet for chain {chain_id} did not start")]
    Devnet {
        /// The chain.
        chain_id: u64,
        /// The cause.
        #[source]
        source: smart_sessions_devnet::DevnetError,
    },
    /// solc rejected or could not compile the node's contracts.
    #[error("compiling contracts/MeeNode.sol failed: {output}")]
    Compile {
        /// The compiler's output, trimmed.
        output: String,
    },
    /// A deployment or setup call failed.
    #[error("chain {chain_id}: {step} failed")]
    Deploy {
        /// The chain.
        chain_id: u64,
        /// The step.
        step: &'static str,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// The node's configuration is unusable (e.g. an RPC URL that does not parse).
    #[error("the node configuration is unusable")]
    Config(#[source] NodeError),
    /// File system or socket trouble.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Why the node cannot tell who must sign a userOp ([`NodeError::UnknownSigner`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignerProblem {
    /// The account has no code and no userOp of the quote deploys it.
    #[error("account {account} is not deployed and has no initCode")]
    NotDeployed {
        /// The account.
        account: Address,
    },
    /// The initCode is not a Nexus 1.0 single-validator deployment.
    #[error("initCode is not a Nexus 1.0 single-validator deployment")]
    NotNexusInitCode,
    /// The nonce's validator is not the one the initCode installs.
    #[error("the nonce names validator {nonce}, the initCode installs {installed}")]
    ValidatorMismatch {
        /// The validator in the nonce key.
        nonce: Address,
        /// The validator the initCode installs.
        installed: Address,
    },
    /// `owners(sender)` on the nonce's validator failed.
    #[error("validator {validator} of the nonce has no owners(sender)")]
    NoOwnersCall {
        /// The validator.
        validator: Address,
    },
    /// `owners(sender)` answered something that does not decode.
    #[error("validator {validator} answered owners() with garbage")]
    OwnersGarbage {
        /// The validator.
        validator: Address,
    },
    /// The validator has no owner for the account.
    #[error("validator {validator} has no owner for {account}")]
    NoOwner {
        /// The validator.
        validator: Address,
        /// The account.
        account: Address,
    },
}
