//! [`Usage`]: what is wrong with a network command's arguments (exit 2). Each variant names the
//! flag and carries the values involved; a parser's error is kept as `source()`.

use alloy_primitives::{Address, B256};
use std::path::PathBuf;

/// A parser's or validator's error behind a usage error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Bad arguments of a network command: the message names the flag and what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Usage {
    /// `--keystore` has no file name.
    #[error("--keystore {}: not a file name", path.display())]
    KeystoreNotAFile {
        /// The `--keystore` path, as given (it ends in no file name, e.g. `..`).
        path: PathBuf,
    },
    /// `--keystore`'s directory does not exist.
    #[error("--keystore {}: the directory {} does not exist", path.display(), dir.display())]
    KeystoreDirMissing {
        /// The `--keystore` path, as given.
        path: PathBuf,
        /// The directory part of that path, which does not exist.
        dir: PathBuf,
    },
    /// `key new` refuses to overwrite a keystore.
    #[error("--keystore {}: exists, not overwriting", path.display())]
    KeystoreExists {
        /// The `--keystore` path, as given, where a file exists already.
        path: PathBuf,
    },
    /// The keystore password is empty.
    #[error("keystore password: empty (it would encrypt the key with nothing)")]
    EmptyPassword,
    /// No keystore password was given.
    #[error("keystore password: set $SMART_SESSIONS_KEYSTORE_PASSWORD or pass --password-file")]
    NoPassword,
    /// A key is not a 32-byte hex private key (its value is never shown).
    #[error("{from} is not a 32-byte hex private key")]
    BadKey {
        /// Where it came from (`--owner-key`, `$SMART_SESSIONS_OWNER_KEY`).
        from: String,
    },
    /// A private key on the command line without `--unsafe-key-on-command-line`.
    #[error(
        "refusing --{flag} on the command line (shell history, process list): set ${env}, use --{flag}store FILE, or pass --unsafe-key-on-command-line"
    )]
    KeyOnCommandLine {
        /// The key flag without its dashes (`owner-key` or `session-key`).
        flag: &'static str,
        /// The environment variable to use instead.
        env: String,
    },
    /// No key of the role was given.
    #[error("no {role} key: set ${env} or pass --{flag}store FILE")]
    NoKey {
        /// `owner` or `session`.
        role: &'static str,
        /// The key flag without its dashes (`owner-key` or `session-key`).
        flag: &'static str,
        /// The environment variable that was read and is unset (`--owner-key-env` or
        /// `--session-key-env`).
        env: String,
    },
    /// The `--request` file requests no session.
    #[error("--request: no session requested")]
    NoSession,
    /// A JSON file does not parse as what the flag needs.
    #[error("{flag} {}: {source}", path.display())]
    File {
        /// `--request`, `--details`, `--deployments`.
        flag: &'static str,
        /// The file given with the flag (`-` for standard input).
        path: PathBuf,
        /// The JSON reader's error.
        #[source]
        source: serde_json::Error,
    },
    /// A session of the `--request` file is invalid.
    #[error("--request {}: session {index}: {source}", path.display())]
    RequestSession {
        /// The `--request` file.
        path: PathBuf,
        /// The session's index in the file.
        index: usize,
        /// The policy crate's or the client's error.
        #[source]
        source: BoxError,
    },
    /// An action of a session of the `--request` file is invalid.
    #[error("--request {}: session {session}, action {action}: {source}", path.display())]
    RequestAction {
        /// The `--request` file.
        path: PathBuf,
        /// The session's index in the file.
        session: usize,
        /// The action's index in the session.
        action: usize,
        /// The policy crate's error.
        #[source]
        source: smart_sessions_policy::PolicyError,
    },
    /// The details are for another SmartSession module than the deployment table's.
    #[error(
        "--details {}: sessionDetails.smartSession: the details are for SmartSession {details}, the deployment table's is {table}",
        path.display()
    )]
    OtherSmartSession {
        /// The `--details` file.
        path: PathBuf,
        /// The SmartSession address the details name (`smartSession`).
        details: Address,
        /// The deployment table's SmartSession address (after `--deployments` and `--set`).
        table: Address,
    },
    /// `--session` is past the sessions of the `--details` file.
    #[error("--session {index}: the file has {count} session(s)")]
    SessionIndex {
        /// The `--session` index given (from 0).
        index: usize,
        /// How many sessions the file has.
        count: usize,
    },
    /// A `--call` is not `TARGET:VALUE:CALLDATA`.
    #[error("--call {call:?}: expected TARGET:VALUE:CALLDATA")]
    CallShape {
        /// The whole `--call` argument, as typed.
        call: String,
    },
    /// A part of a `--call` does not parse.
    #[error("--call {part} {value:?}: {source}")]
    CallPart {
        /// `target`, `value` or `calldata`.
        part: &'static str,
        /// The text of that part, as typed.
        value: String,
        /// The parser's error.
        #[source]
        source: BoxError,
    },
    /// No account was named.
    #[error("the account: pass --account, --owner, or an owner key")]
    NoAccount,
    /// `--factory` names a factory the table lacks.
    #[error("the table has no {missing} (use --set or --factory {other})")]
    NoFactory {
        /// The table fields that factory needs and the table lacks (`k1ValidatorFactory`, or
        /// `nexusFactory/nexusBootstrap`).
        missing: &'static str,
        /// The `--factory` value the table does support (`nexus` or `k1`).
        other: &'static str,
    },
    /// The deployment table has a zero address where a contract is needed.
    #[error(
        "the deployment table has no {field}: pass --deployments FILE or --set {field}=ADDRESS"
    )]
    TableUnset {
        /// The deployment table field (its JSON name, e.g. `ownerValidator`) that is the zero
        /// address.
        field: &'static str,
    },
    /// A `--set` is not `FIELD=ADDRESS`.
    #[error("--set {given:?}: expected FIELD=ADDRESS")]
    SetShape {
        /// The whole `--set` argument, as typed (it has no `=`).
        given: String,
    },
    /// A `--set` value is not an address.
    #[error("--set {field}: {value:?} is not an address: {source}")]
    SetAddress {
        /// The table field named before the `=`.
        field: String,
        /// The text after the `=`, which is not a 20-byte hex address.
        value: String,
        /// The parser's error.
        #[source]
        source: alloy_primitives::hex::FromHexError,
    },
    /// A `--set` names no field of the table.
    #[error("--set {field}: no such field (known: {})", known.join(", "))]
    SetUnknown {
        /// The field named before the `=`, which the table does not have.
        field: String,
        /// Every field name the table has (its JSON names).
        known: Vec<String>,
    },
    /// The table with the `--set` overrides does not read back.
    #[error(transparent)]
    Table(serde_json::Error),
    /// A command that sends needs `--bundler-url`.
    #[error("--bundler-url (or $SMART_SESSIONS_BUNDLER_URL) is required")]
    NoBundler,
    /// The node is on another chain than `--chain` names.
    #[error("--chain {name}: chain id {expected}, the node at --rpc-url is on chain {actual}")]
    WrongChain {
        /// The `--chain` name.
        name: &'static str,
        /// The chain id that `--chain` name stands for.
        expected: u64,
        /// The chain id the node at `--rpc-url` answered (`eth_chainId`).
        actual: u64,
    },
    /// `op wait` for an operation the bundler does not know, without `--sender`/`--nonce`.
    #[error(
        "the bundler does not know user operation {hash}: pass --sender and --nonce to wait for it anyway"
    )]
    UnknownOperation {
        /// The user-operation hash given to `op wait`, which the bundler does not know.
        hash: B256,
    },
    /// An attester is given twice.
    #[error("--attesters: {address} is given twice")]
    AttesterTwice {
        /// The attester address that appears more than once in `--attesters`.
        address: Address,
    },
    /// The zero address is given as an attester.
    #[error("--attesters: the zero address is not an attester")]
    ZeroAttester,
    /// The threshold is 0 or above the number of attesters.
    #[error("--threshold {threshold}: must be between 1 and the number of attesters ({count})")]
    Threshold {
        /// The `--threshold` value given.
        threshold: u8,
        /// How many attesters are given.
        count: usize,
    },
}
