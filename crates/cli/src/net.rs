//! The network subcommands: `account`, `grant`, `use`, `status`, `revoke`, and `key` for
//! encrypted keystores. Every command talks to a node (`--rpc-url`) and, when it sends user
//! operations, a bundler (`--bundler-url`), through `smart-sessions-client`.
//!
//! Keys come from environment variables or encrypted keystore files. A private key on the command
//! line (visible in shell history and the process list) is refused unless
//! `--unsafe-key-on-command-line` is given. Errors never contain key material.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use smart_sessions_client::{
    Deployments, FlowError, NexusAccount, NexusClient, NexusDeployment, Precheck, SessionDetails,
    SessionRequest,
};
use smart_sessions_codec::{Execution, Generation};
use std::path::{Path, PathBuf};

/// A secret given on the command line: kept out of `Debug` output.
#[derive(Clone)]
pub struct Secret(String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A failure of a network command: a usage error (exit 2) or the operation's (exit 1).
#[derive(Debug)]
pub enum NetError {
    /// Bad arguments.
    Usage(String),
    /// The operation failed.
    Operation(String),
}

impl NetError {
    fn op(e: impl std::fmt::Display) -> Self {
        Self::Operation(e.to_string())
    }
}

impl From<FlowError> for NetError {
    fn from(e: FlowError) -> Self {
        Self::Operation(e.to_string())
    }
}

type Res<T> = Result<T, NetError>;

/// Where the chain and the bundler are, and which contracts to use.
#[derive(Args, Debug, Clone)]
pub struct Endpoint {
    /// The node's JSON-RPC URL.
    #[arg(long, env = "SMART_SESSIONS_RPC_URL", default_value = "http://127.0.0.1:8545")]
    pub rpc_url: String,
    /// The ERC-4337 bundler's JSON-RPC URL (commands that send user operations).
    #[arg(long, env = "SMART_SESSIONS_BUNDLER_URL")]
    pub bundler_url: Option<String>,
    /// A JSON file of addresses replacing the generation's table (field names of the client's
    /// `Deployments`, e.g. the devnet's `cargo xtask devnet up --json` output).
    #[arg(long, value_name = "FILE")]
    pub deployments: Option<PathBuf>,
    /// Overrides one address of the table: `FIELD=ADDRESS` (e.g. `smartSession=0x…`); repeatable.
    #[arg(long = "set", value_name = "FIELD=ADDRESS")]
    pub overrides: Vec<String>,
}

/// Key handling options shared by the commands that sign.
#[derive(Args, Debug, Clone)]
pub struct KeyOptions {
    /// A file holding the keystore password (default: `$SMART_SESSIONS_KEYSTORE_PASSWORD`).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Accept `--owner-key`/`--session-key` on the command line (visible in shell history and
    /// the process list).
    #[arg(long)]
    pub unsafe_key_on_command_line: bool,
}

/// The owner's key.
#[derive(Args, Debug, Clone)]
pub struct OwnerKey {
    /// Environment variable holding the owner's private key (hex).
    #[arg(long, default_value = "SMART_SESSIONS_OWNER_KEY", value_name = "VAR")]
    pub owner_key_env: String,
    /// The owner's encrypted keystore file.
    #[arg(long, value_name = "FILE")]
    pub owner_keystore: Option<PathBuf>,
    /// The owner's private key itself (refused without `--unsafe-key-on-command-line`).
    #[arg(long, value_name = "HEX")]
    pub owner_key: Option<Secret>,
}

/// The session key.
#[derive(Args, Debug, Clone)]
pub struct SessionKey {
    /// Environment variable holding the session key (hex).
    #[arg(long, default_value = "SMART_SESSIONS_SESSION_KEY", value_name = "VAR")]
    pub session_key_env: String,
    /// The session key's encrypted keystore file.
    #[arg(long, value_name = "FILE")]
    pub session_keystore: Option<PathBuf>,
    /// The session key itself (refused without `--unsafe-key-on-command-line`).
    #[arg(long, value_name = "HEX")]
    pub session_key: Option<Secret>,
}

/// Which account.
#[derive(Args, Debug, Clone)]
pub struct AccountArgs {
    /// The account's address (default: derived from the owner through the factory).
    #[arg(long)]
    pub account: Option<Address>,
    /// The owner's address, to derive the account without the owner's key (read-only commands).
    #[arg(long)]
    pub owner: Option<Address>,
    /// The account index (the factory salt).
    #[arg(long, default_value_t = 0)]
    pub index: u64,
    /// Add the mock attester, as `@biconomy/sdk` does on testnets (part of a K1 account's address).
    #[arg(long)]
    pub testnet: bool,
    /// How the account is created: `k1` (K1ValidatorFactory, `@biconomy/sdk` 0.0.21) or `nexus`
    /// (NexusAccountFactory + NexusBootstrap). Default: `k1` when the table has that factory.
    #[arg(long, value_enum)]
    pub factory: Option<FactoryKind>,
}

/// The account factory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FactoryKind {
    /// `K1ValidatorFactory.createAccount(owner, index, attesters, threshold)`.
    K1,
    /// `NexusAccountFactory.createAccount(initData, salt)`.
    Nexus,
}

/// How the owner signs an off-chain grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OffChain {
    /// EIP-712 typed data (`grantPermissionTypedDataSign`).
    Typed,
    /// EIP-191 personal sign (`grantPermissionPersonalSign`).
    Personal,
}

/// The network subcommands.
#[derive(Subcommand, Debug)]
pub enum NetCommand {
    /// The account: address, whether deployed, SmartSession and owner validator installed.
    #[command(
        after_help = "Examples:\n  smart-sessions --generation legacy account --owner 0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n  SMART_SESSIONS_OWNER_KEY=0x… smart-sessions --generation legacy account --deployments devnet.json"
    )]
    Account {
        /// Node, bundler and contracts.
        #[command(flatten)]
        endpoint: Endpoint,
        /// Which account.
        #[command(flatten)]
        account: AccountArgs,
        /// The owner's key.
        #[command(flatten)]
        key: OwnerKey,
        /// Key handling.
        #[command(flatten)]
        keys: KeyOptions,
    },
    /// Grant permissions (the seed docs' `sessionRequestedInfo` JSON). On chain: one owner user
    /// operation that deploys the account, installs SmartSession and trusts attesters as needed.
    /// Off chain (`--off-chain`): the owner signs, nothing is sent; the session key's first use
    /// enables. Writes the session details the `use` and `status` commands read.
    #[command(
        after_help = "Examples:\n  smart-sessions --generation legacy grant --request request.json --out session.json\n  smart-sessions --generation legacy grant --request request.json --off-chain typed --out session.json\n\nrequest.json: {\"sessionPublicKey\":\"0x…\",\"actionPoliciesInfo\":[{\"contractAddress\":\"0x…\",\"functionSelector\":\"0xa9059cbb\",\"rules\":[{\"condition\":\"LESS_THAN\",\"offsetIndex\":1,\"isLimited\":true,\"ref\":1000,\"usage\":{\"limit\":1500,\"used\":0}}]}]} (or a list of them)"
    )]
    Grant {
        /// Node, bundler and contracts.
        #[command(flatten)]
        endpoint: Endpoint,
        /// Which account.
        #[command(flatten)]
        account: AccountArgs,
        /// The owner's key.
        #[command(flatten)]
        key: OwnerKey,
        /// Key handling.
        #[command(flatten)]
        keys: KeyOptions,
        /// The request JSON file (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// Sign off-chain instead of sending a user operation.
        #[arg(long, value_enum)]
        off_chain: Option<OffChain>,
        /// Where to write the session details (a JSON list).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Use a permission: run calls as the session key (USE, or ENABLE_AND_USE on the first use of
    /// an off-chain grant), checked first against the session's policies.
    #[command(
        name = "use",
        after_help = "Example:\n  SMART_SESSIONS_SESSION_KEY=0x… smart-sessions --generation legacy use --details session.json --call 0xTOKEN:0:0xa9059cbb…"
    )]
    Use {
        /// Node, bundler and contracts.
        #[command(flatten)]
        endpoint: Endpoint,
        /// The session key.
        #[command(flatten)]
        key: SessionKey,
        /// Key handling.
        #[command(flatten)]
        keys: KeyOptions,
        /// The session details file written by `grant`.
        #[arg(long, value_name = "FILE")]
        details: PathBuf,
        /// Which session of the file.
        #[arg(long, default_value_t = 0)]
        session: usize,
        /// `TARGET:VALUE:CALLDATA` (repeatable; several make a batch).
        #[arg(long = "call", required = true)]
        calls: Vec<String>,
        /// Send without the off-chain policy check.
        #[arg(long)]
        skip_check: bool,
    },
    /// Whether permissions are enabled, and their remaining budgets.
    #[command(
        after_help = "Example:\n  smart-sessions --generation legacy status --details session.json"
    )]
    Status {
        /// Node, bundler and contracts.
        #[command(flatten)]
        endpoint: Endpoint,
        /// The session details file written by `grant`.
        #[arg(long, value_name = "FILE")]
        details: PathBuf,
    },
    /// Remove a session (`removeSession`), or with `--enable-signature` invalidate a signed but
    /// unused off-chain grant (`revokeEnableSignature`).
    #[command(
        after_help = "Example:\n  smart-sessions --generation legacy revoke --permission-id 0x…"
    )]
    Revoke {
        /// Node, bundler and contracts.
        #[command(flatten)]
        endpoint: Endpoint,
        /// Which account.
        #[command(flatten)]
        account: AccountArgs,
        /// The owner's key.
        #[command(flatten)]
        key: OwnerKey,
        /// Key handling.
        #[command(flatten)]
        keys: KeyOptions,
        /// The permission.
        #[arg(long)]
        permission_id: B256,
        /// Revoke the enable signature instead of removing the session.
        #[arg(long)]
        enable_signature: bool,
    },
    /// Encrypted keystores: `key new --keystore FILE` creates a random key (password from
    /// `$SMART_SESSIONS_KEYSTORE_PASSWORD` or `--password-file`) and prints its address.
    #[command(
        after_help = "Example:\n  SMART_SESSIONS_KEYSTORE_PASSWORD=… smart-sessions key new --keystore session-key.json"
    )]
    Key {
        /// `new` or `address`.
        #[arg(value_enum)]
        action: KeyAction,
        /// The keystore file.
        #[arg(long, value_name = "FILE")]
        keystore: PathBuf,
        /// Key handling.
        #[command(flatten)]
        keys: KeyOptions,
    },
}

/// What `key` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyAction {
    /// Create a keystore with a new random key.
    New,
    /// Print the address of a keystore's key.
    Address,
}

fn password(keys: &KeyOptions) -> Res<String> {
    if let Some(f) = &keys.password_file {
        let p = std::fs::read_to_string(f)
            .map_err(|e| NetError::Usage(format!("--password-file {}: {e}", f.display())))?;
        return Ok(p.trim_end_matches(['\n', '\r']).to_string());
    }
    std::env::var("SMART_SESSIONS_KEYSTORE_PASSWORD").map_err(|_| {
        NetError::Usage(
            "keystore password: set $SMART_SESSIONS_KEYSTORE_PASSWORD or pass --password-file"
                .into(),
        )
    })
}

fn parse_key(hex: &str, source: &str) -> Res<PrivateKeySigner> {
    // never echo the value: it is a secret
    hex.trim()
        .parse::<PrivateKeySigner>()
        .map_err(|_| NetError::Usage(format!("{source} is not a 32-byte hex private key")))
}

fn load_key(
    role: &str,
    flag: &str,
    inline: Option<&Secret>,
    keystore: Option<&PathBuf>,
    env: &str,
    keys: &KeyOptions,
) -> Res<PrivateKeySigner> {
    if let Some(k) = inline {
        if !keys.unsafe_key_on_command_line {
            return Err(NetError::Usage(format!(
                "refusing --{flag} on the command line (shell history, process list): set ${env}, \
                 use --{flag}store FILE, or pass --unsafe-key-on-command-line"
            )));
        }
        return parse_key(&k.0, &format!("--{flag}"));
    }
    if let Some(path) = keystore {
        return PrivateKeySigner::decrypt_keystore(path, password(keys)?)
            .map_err(|e| NetError::Operation(format!("{role} keystore {}: {e}", path.display())));
    }
    match std::env::var(env) {
        Ok(v) => parse_key(&v, &format!("${env}")),
        Err(_) => {
            Err(NetError::Usage(format!("no {role} key: set ${env} or pass --{flag}store FILE")))
        }
    }
}

impl OwnerKey {
    fn load(&self, keys: &KeyOptions) -> Res<PrivateKeySigner> {
        load_key(
            "owner",
            "owner-key",
            self.owner_key.as_ref(),
            self.owner_keystore.as_ref(),
            &self.owner_key_env,
            keys,
        )
    }

    fn given(&self) -> bool {
        self.owner_key.is_some()
            || self.owner_keystore.is_some()
            || std::env::var_os(&self.owner_key_env).is_some()
    }
}

impl SessionKey {
    fn load(&self, keys: &KeyOptions) -> Res<PrivateKeySigner> {
        load_key(
            "session",
            "session-key",
            self.session_key.as_ref(),
            self.session_keystore.as_ref(),
            &self.session_key_env,
            keys,
        )
    }
}

fn read_text(path: &Path) -> Res<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(NetError::op)?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| NetError::Operation(format!("cannot read {}: {e}", path.display())))
}

impl Endpoint {
    /// The deployment table: the generation's, or `--deployments`, with `--set` overrides.
    pub fn deployments(&self, g: Generation) -> Res<Deployments> {
        let base = match &self.deployments {
            Some(f) => {
                let bad = |e: serde_json::Error| {
                    NetError::Usage(format!("--deployments {}: {e}", f.display()))
                };
                let mut v: Value = serde_json::from_str(&read_text(f)?).map_err(bad)?;
                // `cargo xtask devnet up --json` nests the table under `addresses`
                if let Some(inner) = v.get_mut("addresses") {
                    v = inner.take();
                }
                Deployments::from_json(g, &v.to_string()).map_err(bad)?
            }
            None => match g {
                Generation::Legacy => Deployments::legacy_nexus_k1(),
                Generation::V1 => Deployments::v1_nexus_k1(),
                _ => Deployments::current(Address::ZERO),
            },
        };
        if self.overrides.is_empty() {
            return Ok(base);
        }
        let mut v = serde_json::to_value(&base).map_err(NetError::op)?;
        for o in &self.overrides {
            let (field, value) = o
                .split_once('=')
                .ok_or_else(|| NetError::Usage(format!("--set {o:?}: expected FIELD=ADDRESS")))?;
            let address: Address = value.parse().map_err(|e| {
                NetError::Usage(format!("--set {field}: {value:?} is not an address: {e}"))
            })?;
            let Some(slot) = v.get_mut(field) else {
                return Err(NetError::Usage(format!(
                    "--set {field}: no such field (known: {})",
                    v.as_object()
                        .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                )));
            };
            *slot = if slot.is_array() { json!([address]) } else { json!(address) };
        }
        Deployments::from_json(g, &v.to_string()).map_err(|e| NetError::Usage(e.to_string()))
    }

    fn node(&self) -> Res<impl Provider + Clone + use<>> {
        let url = self
            .rpc_url
            .parse()
            .map_err(|e| NetError::Usage(format!("--rpc-url {:?}: {e}", self.rpc_url)))?;
        Ok(ProviderBuilder::new().connect_http(url))
    }

    fn bundler(&self) -> Res<impl Provider + Clone + use<>> {
        let u = self.bundler_url.as_ref().ok_or_else(|| {
            NetError::Usage("--bundler-url (or $SMART_SESSIONS_BUNDLER_URL) is required".into())
        })?;
        let url = u.parse().map_err(|e| NetError::Usage(format!("--bundler-url {u:?}: {e}")))?;
        Ok(ProviderBuilder::new().connect_http(url))
    }
}

async fn account<P: Provider>(
    node: &P,
    d: &Deployments,
    a: &AccountArgs,
    owner: Option<Address>,
) -> Res<NexusAccount> {
    if let Some(addr) = a.account {
        return Ok(NexusAccount::existing(addr, d.entry_point));
    }
    let testnet;
    let d = if a.testnet {
        testnet = d.clone().testnet();
        &testnet
    } else {
        d
    };
    let owner = a.owner.or(owner).ok_or_else(|| {
        NetError::Usage("the account: pass --account, --owner, or an owner key".into())
    })?;
    let default =
        if d.k1_validator_factory.is_some() { FactoryKind::K1 } else { FactoryKind::Nexus };
    let kind = a.factory.unwrap_or(default);
    match kind {
        FactoryKind::K1 => {
            let factory = d.k1_validator_factory.ok_or_else(|| {
                NetError::Usage(
                    "the table has no k1ValidatorFactory (use --set or --factory nexus)".into(),
                )
            })?;
            let threshold = u8::from(!d.attesters.is_empty());
            Ok(NexusAccount::k1_validator_factory(
                node,
                d.entry_point,
                factory,
                owner,
                U256::from(a.index),
                &d.attesters,
                threshold,
            )
            .await
            .map_err(NetError::op)?)
        }
        FactoryKind::Nexus => {
            require(d.owner_validator, "ownerValidator")?;
            let (Some(factory), Some(bootstrap)) = (d.nexus_factory, d.nexus_bootstrap) else {
                return Err(NetError::Usage(
                    "the table has no nexusFactory/nexusBootstrap (use --set or --factory k1)"
                        .into(),
                ));
            };
            Ok(NexusAccount::counterfactual(
                node,
                NexusDeployment { entry_point: d.entry_point, factory, bootstrap },
                d.owner_validator,
                owner.to_vec().into(),
                B256::from(U256::from(a.index)),
            )
            .await
            .map_err(NetError::op)?)
        }
    }
}

/// Refuses a zero address where the table must name a contract (the current generation's table
/// has no account side: `--set ownerValidator=…` etc.).
fn require(address: Address, field: &str) -> Res<()> {
    if address.is_zero() {
        return Err(NetError::Usage(format!(
            "the deployment table has no {field}: pass --deployments FILE or --set {field}=ADDRESS"
        )));
    }
    Ok(())
}

fn parse_call(s: &str) -> Res<Execution> {
    let parts: Vec<&str> = s.splitn(3, ':').collect();
    let [t, v, d] = parts[..] else {
        return Err(NetError::Usage(format!("--call {s:?}: expected TARGET:VALUE:CALLDATA")));
    };
    let target: Address =
        t.parse().map_err(|e| NetError::Usage(format!("--call target {t:?}: {e}")))?;
    let value: U256 = v.parse().map_err(|e| NetError::Usage(format!("--call value {v:?}: {e}")))?;
    let data: Bytes =
        d.parse().map_err(|e| NetError::Usage(format!("--call calldata {d:?}: {e}")))?;
    Ok(Execution::new(target, value, data))
}

fn read_requests(path: &Path) -> Res<Vec<SessionRequest>> {
    let v: Value = serde_json::from_str(&read_text(path)?)
        .map_err(|e| NetError::Usage(format!("--request {}: {e}", path.display())))?;
    let list = match v {
        Value::Object(mut m) if m.contains_key("sessionRequestedInfo") => {
            m.remove("sessionRequestedInfo").unwrap_or_default()
        }
        Value::Array(_) => v,
        other => Value::Array(vec![other]),
    };
    serde_json::from_value(list)
        .map_err(|e| NetError::Usage(format!("--request {}: {e}", path.display())))
}

fn read_details(path: &Path) -> Res<Vec<SessionDetails>> {
    let v: Value = serde_json::from_str(&read_text(path)?)
        .map_err(|e| NetError::Usage(format!("--details {}: {e}", path.display())))?;
    let list = if v.is_array() { v } else { Value::Array(vec![v]) };
    serde_json::from_value(list)
        .map_err(|e| NetError::Usage(format!("--details {}: {e}", path.display())))
}

fn write_details(path: &Path, details: &[SessionDetails]) -> Res<()> {
    let text = serde_json::to_string_pretty(details).map_err(NetError::op)?;
    std::fs::write(path, text + "\n")
        .map_err(|e| NetError::Operation(format!("cannot write {}: {e}", path.display())))
}

fn sent_json(s: &smart_sessions_client::Sent) -> Value {
    json!({
        "userOpHash": s.user_op_hash,
        "gasUsed": s.gas_used(),
        "latencyMs": s.latency.as_millis() as u64,
        "signatureBytes": s.user_op.signature.len(),
        "callDataBytes": s.user_op.call_data.len(),
    })
}

/// Runs a network command.
pub async fn run(command: &NetCommand, g: Generation) -> Res<Value> {
    match command {
        NetCommand::Key { action, keystore, keys } => match action {
            KeyAction::New => {
                let dir = keystore.parent().filter(|p| !p.as_os_str().is_empty());
                let dir = dir.unwrap_or_else(|| Path::new("."));
                let name = keystore.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                    NetError::Usage(format!("--keystore {}: not a file name", keystore.display()))
                })?;
                if keystore.exists() {
                    return Err(NetError::Usage(format!(
                        "--keystore {}: exists, not overwriting",
                        keystore.display()
                    )));
                }
                let (signer, _) = PrivateKeySigner::new_keystore(
                    dir,
                    &mut rand::thread_rng(),
                    password(keys)?,
                    Some(name),
                )
                .map_err(NetError::op)?;
                Ok(json!({ "address": signer.address(), "keystore": keystore }))
            }
            KeyAction::Address => {
                let signer = PrivateKeySigner::decrypt_keystore(keystore, password(keys)?)
                    .map_err(|e| {
                        NetError::Operation(format!("keystore {}: {e}", keystore.display()))
                    })?;
                Ok(json!({ "address": signer.address() }))
            }
        },
        NetCommand::Account { endpoint, account: a, key, keys } => {
            let d = endpoint.deployments(g)?;
            let node = endpoint.node()?;
            let owner = if a.account.is_none() && a.owner.is_none() && key.given() {
                Some(key.load(keys)?.address())
            } else {
                None
            };
            let acct = account(&node, &d, a, owner).await?;
            let deployed = acct.is_deployed(&node).await.map_err(NetError::op)?;
            let mut out = json!({
                "address": acct.address,
                "deployed": deployed,
                "generation": g.name(),
            });
            if deployed {
                for (name, module) in
                    [("smartSession", d.smart_session), ("ownerValidator", d.owner_validator)]
                {
                    let i = acct
                        .is_module_installed(&node, 1, module, Bytes::new())
                        .await
                        .map_err(NetError::op)?;
                    out[format!("{name}Installed")] = json!(i);
                }
            }
            Ok(out)
        }
        NetCommand::Grant { endpoint, account: a, key, keys, request, off_chain, out } => {
            let requests = read_requests(request)?;
            if requests.is_empty() {
                return Err(NetError::Usage("--request: no session requested".into()));
            }
            let d = endpoint.deployments(g)?;
            require(d.owner_validator, "ownerValidator")?;
            let owner = key.load(keys)?;
            let node = endpoint.node()?;
            let acct = account(&node, &d, a, Some(owner.address())).await?;
            let (value, details) = if let Some(style) = off_chain {
                // nothing is sent: no bundler needed
                let client = NexusClient::new(node.clone(), node.clone(), d, acct).await?;
                let mut details = Vec::new();
                for r in &requests {
                    details.push(match style {
                        OffChain::Typed => {
                            client.grant_permission_typed_data_sign(&owner, r).await?
                        }
                        OffChain::Personal => {
                            client.grant_permission_personal_sign(&owner, r).await?
                        }
                    });
                }
                let ids: Vec<B256> = details.iter().map(|d| d.permission_id).collect();
                (
                    json!({ "account": client.address(), "permissionIds": ids, "offChain": true }),
                    details,
                )
            } else {
                let client = NexusClient::new(node, endpoint.bundler()?, d, acct).await?;
                let grant = client.grant_permission(&owner, &requests).await?;
                let mut v = sent_json(&grant.sent);
                v["account"] = json!(client.address());
                v["permissionIds"] = json!(grant.permission_ids);
                (v, grant.sessions)
            };
            let mut value = value;
            if let Some(path) = out {
                write_details(path, &details)?;
                value["details"] = json!(path);
            } else {
                value["sessionDetails"] = serde_json::to_value(&details).map_err(NetError::op)?;
            }
            Ok(value)
        }
        NetCommand::Use { endpoint, key, keys, details, session, calls, skip_check } => {
            let list = read_details(details)?;
            let det = list.get(*session).ok_or_else(|| {
                NetError::Usage(format!(
                    "--session {session}: the file has {} session(s)",
                    list.len()
                ))
            })?;
            let calls = calls.iter().map(|c| parse_call(c)).collect::<Res<Vec<_>>>()?;
            let signer = key.load(keys)?;
            let mut d = endpoint.deployments(det.generation)?;
            d.smart_session = det.smart_session;
            let node = endpoint.node()?;
            let client = NexusClient::new(
                node,
                endpoint.bundler()?,
                d.clone(),
                NexusAccount::existing(det.account, d.entry_point),
            )
            .await?;
            let enabled = client.is_permission_enabled(det.permission_id).await?;
            let check = if *skip_check { Precheck::Skip } else { Precheck::On };
            let sent = client.use_permission(&signer, det, &calls, check).await?;
            let mut v = sent_json(&sent);
            v["mode"] = json!(if enabled { "USE" } else { "ENABLE_AND_USE" });
            v["permissionId"] = json!(det.permission_id);
            Ok(v)
        }
        NetCommand::Status { endpoint, details } => {
            let list = read_details(details)?;
            let node = endpoint.node()?;
            let mut out = Vec::new();
            for det in &list {
                let mut d = endpoint.deployments(det.generation)?;
                d.smart_session = det.smart_session;
                let client = NexusClient::new(
                    node.clone(),
                    node.clone(),
                    d.clone(),
                    NexusAccount::existing(det.account, d.entry_point),
                )
                .await?;
                let enabled = client.is_permission_enabled(det.permission_id).await?;
                let budgets = match det.session() {
                    Some(s) => client.remaining_budgets(&s).await?,
                    None => Vec::new(),
                };
                let budgets: Vec<Value> = budgets
                    .iter()
                    .map(|b| {
                        json!({
                            "action": b.action.map(|(t, s)| format!("{t}.{s}")),
                            "policy": b.policy,
                            "item": b.item,
                            "remaining": b.item.remaining(),
                            "summary": b.to_string(),
                        })
                    })
                    .collect();
                out.push(json!({
                    "account": det.account,
                    "chainId": client.chain_id(),
                    "permissionId": det.permission_id,
                    "enabled": enabled,
                    "pendingEnable": !enabled && det.enable().is_some(),
                    "budgets": budgets,
                }));
            }
            Ok(Value::Array(out))
        }
        NetCommand::Revoke { endpoint, account: a, key, keys, permission_id, enable_signature } => {
            let d = endpoint.deployments(g)?;
            require(d.owner_validator, "ownerValidator")?;
            let owner = key.load(keys)?;
            let node = endpoint.node()?;
            let acct = account(&node, &d, a, Some(owner.address())).await?;
            let client = NexusClient::new(node, endpoint.bundler()?, d, acct).await?;
            let sent = if *enable_signature {
                client.revoke_enable_signature(&owner, *permission_id).await?
            } else {
                client.remove_session(&owner, *permission_id).await?
            };
            let mut v = sent_json(&sent);
            v["permissionId"] = json!(permission_id);
            v["action"] =
                json!(if *enable_signature { "revokeEnableSignature" } else { "removeSession" });
            Ok(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_key_never_reaches_debug_output() {
        let key = OwnerKey {
            owner_key_env: "X".into(),
            owner_keystore: None,
            owner_key: Some(
                "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
                    .parse()
                    .unwrap(),
            ),
        };
        let debug = format!("{key:?}");
        assert!(!debug.contains("59c6995e"), "{debug}");
        assert!(debug.contains("redacted"));
    }
}
