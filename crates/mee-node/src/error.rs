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
        /// What the field must be (e.g. "must be an array").
        rule: &'static str,
    },
    /// The request body does not parse as JSON (`serde_json`'s error as source).
    #[error("bad request: the body is not JSON")]
    NotJson(#[source] serde_json::Error),
    /// A chain this node does not serve.
    #[error("unsupported chain {chain_id} at `{field}`")]
    UnsupportedChain {
        /// The chain id the request names, which the node has no devnet for.
        chain_id: u64,
        /// Where in the JSON body the chain id is (e.g. `paymentInfo.chainId`).
        field: String,
    },
    /// A fee token this node does not take on that chain.
    #[error("unknown fee token {token} on chain {chain_id}")]
    UnknownFeeToken {
        /// The chain id of the payment (`paymentInfo.chainId`).
        chain_id: u64,
        /// The `paymentInfo.token` the node does not take on that chain.
        token: Address,
    },
    /// A userOp's time bounds are inverted, already over, or beyond `uint48`.
    #[error(
        "time bounds of userOps[{index}] are not usable: lower {lower}, upper {upper}, now {now}"
    )]
    TimeBounds {
        /// Index of the userOp in the body's `userOps`.
        index: usize,
        /// Its lower bound (unix seconds).
        lower: u64,
        /// Its upper bound (unix seconds).
        upper: u64,
        /// The node's clock when it checked (unix seconds).
        now: u64,
    },
    /// The exec body's `hash` is not a quote this node issued (a tampered root, or a stranger's).
    #[error("unknown quote {hash}: not issued by this node (tampered root or unknown quote)")]
    UnknownQuote {
        /// The `hash` of the exec body, which matches no quote the node issued.
        hash: B256,
    },
    /// The exec body differs from the quote the node issued.
    #[error("tampered quote {hash}: `{field}` differs from the issued quote")]
    TamperedQuote {
        /// The supertransaction hash of the issued quote the body claims to be.
        hash: B256,
        /// The first field that differs, as a JSON path (e.g. `userOps[1].shortEncoding`).
        field: String,
    },
    /// The quote signature is malformed.
    #[error("bad signature: {rule}")]
    SignatureFormat {
        /// The rule it breaks (the `0x177eee00` ‖ 65-byte layout, or recovery).
        rule: &'static str,
    },
    /// The quote signature was made by someone else than the userOps' signer.
    #[error(
        "bad signature: signed by {recovered}, but userOps[{index}] (sender {sender} on chain {chain_id}) needs {expected}"
    )]
    WrongSigner {
        /// The address the quote signature recovers to.
        recovered: Address,
        /// Who must sign (the owner, or the session's redeemer).
        expected: Address,
        /// The first userOp whose signer differs.
        index: usize,
        /// That userOp's account.
        sender: Address,
        /// That userOp's chain id.
        chain_id: u64,
    },
    /// The node cannot tell who must sign a userOp.
    #[error("userOps[{index}]: {reason}")]
    UnknownSigner {
        /// Index of the userOp in the quote's `userOps`.
        index: usize,
        /// What blocks finding the signer (undeployed account, unknown validator, ...).
        reason: SignerProblem,
        /// The failure behind it (the chain call, the decoder), when there is one.
        #[source]
        cause: Option<BoxError>,
    },
    /// The supertransaction was already submitted (the node never executes one twice).
    #[error("supertransaction {hash} was already submitted")]
    AlreadySubmitted {
        /// The supertransaction hash that was already executed or is being executed.
        hash: B256,
    },
    /// No such route.
    #[error("not found: {path}")]
    NotFound {
        /// The request path that matches no route (e.g. `/v1/nope`).
        path: String,
    },
    /// A route this node does not implement.
    #[error("{what} is not supported by this local node")]
    Unsupported {
        /// The feature asked for (e.g. "quote-permit (fusion quotes)").
        what: &'static str,
    },
    /// The node's own state is unusable (a task panicked while holding it).
    #[error("internal error: {what}")]
    Internal {
        /// What broke inside the node (e.g. "the node's state was poisoned by a panic").
        what: &'static str,
    },
    /// A chain call (RPC read, simulation or transaction to a devnet) failed or timed out.
    #[error("chain {chain_id}: {step} failed")]
    Chain {
        /// The chain id of the devnet the call went to.
        chain_id: u64,
        /// The call that failed (e.g. `eth_getCode`, `owners(sender)`, `handleOps`).
        step: &'static str,
        /// The transport or contract error, or the node's timeout elapsing.
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
        /// The chain id the devnet was started for.
        chain_id: u64,
        /// The devnet crate's error (anvil or Alto start, deployments).
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
        /// The chain id of the devnet the step ran on.
        chain_id: u64,
        /// The setup step that failed (e.g. `deploy MeeK1Validator`, `fund the node's executor`).
        step: &'static str,
        /// The devnet, transport or decode error behind it.
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
        /// The userOp's sender, which has no code on its chain.
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
        /// The validator named by the userOp's nonce key, which answered no `owners(sender)`.
        validator: Address,
    },
    /// `owners(sender)` answered something that does not decode.
    #[error("validator {validator} answered owners() with garbage")]
    OwnersGarbage {
        /// The validator named by the userOp's nonce key, whose answer did not decode.
        validator: Address,
    },
    /// The validator has no owner for the account.
    #[error("validator {validator} has no owner for {account}")]
    NoOwner {
        /// The validator named by the userOp's nonce key.
        validator: Address,
        /// The userOp's sender, for which `owners(sender)` is the zero address.
        account: Address,
    },
}
