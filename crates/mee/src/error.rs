//! The crate's error type: every variant names the field, userOp or rule that is wrong.

use alloy_primitives::B256;

/// What went wrong in this crate (building, verifying or signing a supertransaction, or reading
/// the SDK's JSON).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeeError {
    /// A JSON value is missing or malformed.
    #[error("invalid field `{field}`: {reason}")]
    InvalidField {
        /// Path of the field (e.g. `userOps[2].userOp.nonce`).
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An MEE version string is not in the table (and no custom table was given).
    #[error("unknown MEE version `{version}`")]
    UnknownVersion {
        /// The version string that was looked up (e.g. `"2.9.9"`), as given.
        version: String,
    },
    /// The node's quote differs from what was asked or recomputed: signing refused.
    #[error(
        "quote userOps[{user_op}].{field} does not match: expected {expected}, quote has {actual}"
    )]
    QuoteMismatch {
        /// Index in the quote's `userOps` (0 is the payment userOp).
        user_op: usize,
        /// The userOp field that differs (e.g. `userOp.callData`, `chainId`).
        field: &'static str,
        /// The value the request asks for or the recomputation gives, as text.
        expected: String,
        /// What the quote holds there, as text.
        actual: String,
    },
    /// The quote's `hash` is not the Merkle root of its userOps: signing refused.
    #[error("quote hash {actual} is not the supertransaction root {expected}")]
    RootMismatch {
        /// The root recomputed from the userOps.
        expected: B256,
        /// The quote's `hash`.
        actual: B256,
    },
    /// The quote lists a different number of userOps than were asked for.
    #[error("quote has {actual} userOps, expected {expected} (payment userOp + requested)")]
    UserOpCount {
        /// The request's userOp count plus one (the payment or tank userOp).
        expected: usize,
        /// How many userOps the quote lists.
        actual: usize,
    },
    /// No session details entry for a chain the instructions use.
    #[error("no sessionDetails entry for chain {chain_id}")]
    NoSessionForChain {
        /// The chain id of a userOp that no `sessionDetails` entry is for.
        chain_id: u64,
    },
    /// ENABLE_AND_USE asked, but no entry carries mode 0x02 (the SDK's refusal).
    #[error(
        "ENABLE_AND_USE mode cannot be used with given session details, instead try USE mode directly"
    )]
    EnableNotPossible,
    /// An instruction list or call list is empty.
    #[error("{what} is empty")]
    Empty {
        /// Which list is empty (`instructions`, `instruction calls`, `quote.userOps`).
        what: &'static str,
    },
    /// The account has no deployment on a chain an instruction uses.
    #[error("the account has no deployment on chain {chain_id}")]
    NoDeployment {
        /// The chain id an instruction (or the fee token) is on but the account lists no
        /// deployment for.
        chain_id: u64,
    },
    /// A session digest read from the chain differs from the locally computed one.
    #[error("chain {chain_id}: sessionDigest read {read} but the session hashes to {computed}")]
    SessionDigestMismatch {
        /// The chain id whose `getSessionDigest` was read.
        chain_id: u64,
        /// The value read from `getSessionDigest`.
        read: B256,
        /// The value computed by the codec.
        computed: B256,
    },
    /// An arithmetic overflow (payment budget merged into a rule, gas sums).
    #[error("{what} overflows")]
    Overflow {
        /// The quantity that overflowed (e.g. "sum of the calls' gasLimit").
        what: &'static str,
    },
    /// A rule list of a universal action policy is not exactly 16 slots (viem's `tuple[16]`).
    #[error(
        "ABI encoding array length mismatch for type tuple[16]: expected 16 rules, got {given}"
    )]
    RuleSlots {
        /// How many rule slots the policy's rule list had.
        given: usize,
    },
    /// Encoding error from the codec.
    #[error(transparent)]
    Codec(#[from] smart_sessions_codec::Error),
    /// Session userOps cannot validate under EIP-712 quote signing (MEE ≥ 2.2.1, spec mee.md §6):
    /// the session validator sees only the userOpHash.
    #[error(
        "MEE {version}: session userOps cannot validate with EIP-712 quote signatures; use MEE < 2.2.1"
    )]
    SessionsNeedSimpleMode {
        /// The account's MEE version (≥ 2.2.1, e.g. `"2.2.1"`).
        version: &'static str,
    },
    /// The off-chain policy pre-check refuses a call.
    #[error("policy pre-check: {0}")]
    Precheck(#[source] crate::session::PrecheckError),
    /// The signer failed or refused.
    #[error("signer: {0}")]
    Signer(#[source] alloy_signer::Error),
}

impl MeeError {
    /// A malformed or missing field.
    pub(crate) fn field(field: impl Into<String>, reason: &'static str) -> Self {
        Self::InvalidField { field: field.into(), reason }
    }
}

/// `Result` with [`MeeError`].
pub type Result<T, E = MeeError> = core::result::Result<T, E>;
