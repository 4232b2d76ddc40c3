#![doc = include_str!("../README.md")]

use alloy_network::EthereumWallet;
use alloy_primitives::{Address, B256, Bytes, U256, address, b256};
use alloy_provider::{Provider, ProviderBuilder, ext::AnvilApi};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolValue;
use std::{
    fmt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

mod setup;
pub use setup::{compiled_contracts, ensure_node_modules, node_dir};

mod server;
mod tls;
pub use tls::{TestCa, TlsFront};
pub mod contracts;
mod error;
pub mod paymaster;
pub mod proxy;
pub(crate) use error::rpc;
pub use error::{DevnetError, Result};
mod process;
use paymaster::PaymasterService;
pub use process::{LogTail, stop_pids};
use process::{alto_command, free_port, wait_rpc};

/// The canonical EntryPoint v0.7 address.
pub const ENTRY_POINT: Address = address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032");
/// The deterministic CREATE2 deployer present at anvil's genesis.
pub const CREATE2_DEPLOYER: Address = address!("0x4e59b44847b379578588920ca78fbf26c0b4956c");
/// The canonical salt that lands EntryPoint v0.7 on [`ENTRY_POINT`].
pub const ENTRY_POINT_SALT: B256 =
    b256!("0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3");
/// Where the legacy SmartSession lives (module-sdk 0.1.x's address), placed with `anvil_setCode`.
pub const SMART_SESSION: Address = address!("0xDDFF43A42726df11E34123f747bDce0f755F784d");
/// The ERC-7484 registry address the legacy SmartSession calls; the devnet's own registry lives
/// here.
pub const REGISTRY: Address = address!("0x000000000069E2a187AEFFb852bF3cCdC95151B2");

/// anvil's well-known development keys #0 (deployer), #1 (Alto executor) and #2 (Alto utility)
/// of the mnemonic `test test … junk`: public by design, funded at genesis.
const DEV_KEYS: [B256; 3] = [
    b256!("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    b256!("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    b256!("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
];

/// Every address the devnet deployed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Addresses {
    /// The ERC-4337 EntryPoint v0.7, at its canonical address ([`ENTRY_POINT`]).
    pub entry_point: Address,
    /// The Nexus 1.0 account implementation the factory's proxies point at.
    pub nexus_implementation: Address,
    /// The `NexusBootstrap` whose init calls set up a new account's modules.
    pub nexus_bootstrap: Address,
    /// `NexusAccountFactory` (`createAccount(bytes initData, bytes32 salt)`).
    pub nexus_factory: Address,
    /// `K1ValidatorFactory`-compatible factory (`createAccount(owner, index, attesters,
    /// threshold)`), deploying through the `NexusAccountFactory`.
    pub k1_validator_factory: Address,
    /// The legacy-generation SmartSession module, at module-sdk 0.1.x's address
    /// ([`SMART_SESSION`]).
    pub smart_session: Address,
    /// Our own ERC-7484 registry (Devnet.sol `Registry`), at the canonical address ([`REGISTRY`]).
    pub registry: Address,
    /// Our own ECDSA owner validator (Devnet.sol, K1Validator-compatible: 20-byte owner).
    pub owner_validator: Address,
    /// Our own session-key validator (Devnet.sol, SmartSession's `ISessionValidator`).
    pub session_key_validator: Address,
    /// Our own sudo policy (Devnet.sol: every check passes).
    pub sudo_policy: Address,
    /// Our own universal action policy (Devnet.sol, written to the deployed module's rules).
    pub uni_action_policy: Address,
    /// The devnet's ERC-20 [`TestToken`](contracts::TestToken) (anyone may mint, 6 decimals).
    pub token: Address,
    /// The [`Counter`](contracts::Counter) call target (counts `bump()` calls per caller).
    pub counter: Address,
    /// The address of the fresh key that attested every module above in the registry.
    pub attester: Address,
    /// **Our own stand-in** for SmartSession v1.0's `ERC20SpendingLimitPolicy`
    /// (`contracts/V1SpendingLimitStandIn.sol`, written from spec/v1.md: v1.0's storage layout,
    /// `TokenSpent` event and rules, no getter), NOT v1.0's bytecode (no registry ships it).
    /// Attested like the devnet's other modules; attach it to a session's action to test the v1
    /// spending-limit path.
    pub v1_spending_limit_stand_in: Address,
    /// `VerifyingPaymaster` (`@account-abstraction/contracts` 0.7.0 sample), its EntryPoint
    /// deposit funded; zero when the devnet runs no paymaster.
    pub verifying_paymaster: Address,
}

/// A funded development key. Its secret is not printed by `Debug`.
#[derive(Clone)]
pub struct DevKey {
    signer: PrivateKeySigner,
}

impl DevKey {
    /// The key's address (funded with ETH on the devnet).
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The key as an alloy signer (for wallets, owners and session keys in tests).
    pub fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }
}

impl fmt::Debug for DevKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevKey").field("address", &self.address()).finish_non_exhaustive()
    }
}

/// What [`Devnet::start_with`] starts: the chain id, and whether to run Alto, the paymaster
/// service and progress output.
#[derive(Clone, Debug)]
pub struct Options {
    /// The chain id anvil runs with (`--chain-id`; default 31337).
    pub chain_id: u64,
    /// Whether to start the Alto bundler (default `true`; `false`: no `bundler_url`).
    pub bundler: bool,
    /// Whether to print a timed line per startup step to standard error (default `false`).
    pub progress: bool,
    /// Deploy the `VerifyingPaymaster` and run the ERC-7677 service for it
    /// ([`Devnet::paymaster`]).
    pub paymaster: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { chain_id: 31337, bundler: true, progress: false, paymaster: true }
    }
}

/// The EntryPoint deposit the devnet gives its paymaster (100 ETH).
pub const PAYMASTER_DEPOSIT: u128 = 100_000_000_000_000_000_000;

/// A running devnet. Dropping it stops every process it started, by PID.
pub struct Devnet {
    anvil: Option<Child>,
    alto: Option<Child>,
    alto_log: LogTail,
    paymaster: Option<PaymasterService>,
    /// anvil's JSON-RPC URL (`http://127.0.0.1:<free port>`).
    pub rpc_url: String,
    /// Alto's JSON-RPC URL (`None` when started without the bundler).
    pub bundler_url: Option<String>,
    /// The chain id anvil runs with ([`Options::chain_id`]).
    pub chain_id: u64,
    /// The addresses of every contract the devnet deployed.
    pub addresses: Addresses,
    /// Funded keys free for tests (more with [`Devnet::fund_new_key`]).
    pub funded: Vec<DevKey>,
    /// The key that deployed the contracts (anvil's dev account #0, public by design).
    pub deployer: DevKey,
    /// How long each startup step took, in order (step name, duration).
    pub timings: Vec<(String, Duration)>,
}

impl fmt::Debug for Devnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Devnet")
            .field("rpc_url", &self.rpc_url)
            .field("bundler_url", &self.bundler_url)
            .field("chain_id", &self.chain_id)
            .field("anvil_pid", &self.anvil.as_ref().map(Child::id))
            .field("alto_pid", &self.alto.as_ref().map(Child::id))
            .field("paymaster", &self.paymaster)
            .field("addresses", &self.addresses)
            .finish_non_exhaustive()
    }
}

/// Deploys `init_code` through the CREATE2 deployer with `salt` (idempotent) and returns the
/// address.
pub async fn create2<P: Provider>(
    provider: &P,
    from: Address,
    salt: B256,
    init_code: &[u8],
) -> Result<Address> {
    let addr = CREATE2_DEPLOYER.create2_from_code(salt, init_code);
    let code = provider.get_code_at(addr).await.map_err(rpc("eth_getCode"))?;
    if !code.is_empty() {
        return Ok(addr);
    }
    let mut data = salt.to_vec();
    data.extend_from_slice(init_code);
    let tx = TransactionRequest::default()
        .from(from)
        .to(CREATE2_DEPLOYER)
        .input(Bytes::from(data).into())
        .gas_limit(30_000_000);
    let receipt = provider
        .send_transaction(tx)
        .await
        .map_err(rpc("CREATE2 deployment"))?
        .get_receipt()
        .await
        .map_err(rpc("CREATE2 receipt"))?;
    if !receipt.status() || provider.get_code_at(addr).await.map_err(rpc("eth_getCode"))?.is_empty()
    {
        return Err(DevnetError::NoCode { address: addr });
    }
    Ok(addr)
}

/// Sends a contract instance's call as a transaction and waits for a successful receipt.
async fn send<P: Provider, C: alloy_sol_types::SolCall>(
    step: &str,
    call: alloy_contract::SolCallBuilder<P, C>,
) -> Result<()> {
    let receipt = call.send().await.map_err(rpc(step))?.get_receipt().await.map_err(rpc(step))?;
    if receipt.status() { Ok(()) } else { Err(DevnetError::Reverted { step: step.into() }) }
}

impl Devnet {
    /// Starts a devnet with the default options (chain id 31337, with the bundler).
    pub async fn start() -> Result<Self> {
        Self::start_with(Options::default()).await
    }

    /// Starts a devnet: installs what is missing, starts anvil on a free port, deploys every
    /// contract, starts Alto on a free port.
    pub async fn start_with(options: Options) -> Result<Self> {
        let t0 = Instant::now();
        let mut timings = Vec::new();
        let mut lap = |what: &str, since: &mut Instant| {
            let d = since.elapsed();
            if options.progress {
                eprintln!(
                    "[{:>6.2}s] {what} ({:.2}s)",
                    t0.elapsed().as_secs_f64(),
                    d.as_secs_f64()
                );
            }
            timings.push((what.to_string(), d));
            *since = Instant::now();
        };
        let mut since = Instant::now();
        let node = ensure_node_modules()?;
        lap("npm packages ready", &mut since);
        let artifacts = setup::artifacts(&node)?;
        lap("bytecode extracted and test contracts compiled", &mut since);

        let port = free_port()?;
        let mut anvil =
            Command::new(node.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"))
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--chain-id",
                    &options.chain_id.to_string(),
                    "--silent",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| DevnetError::Command {
                    what: "start anvil".into(),
                    output: e.to_string(),
                })?;
        let rpc_url = format!("http://127.0.0.1:{port}");
        if let Err(e) =
            wait_rpc(&rpc_url, "eth_chainId", "anvil", Duration::from_secs(20), &mut anvil).await
        {
            let _ = anvil.kill();
            let _ = anvil.wait();
            return Err(e);
        }
        // drained for as long as anvil runs (an unread pipe would block it once full)
        if let Some(stderr) = anvil.stderr.take() {
            LogTail::default().drain(stderr);
        }
        let mut devnet = Self {
            anvil: Some(anvil),
            alto: None,
            alto_log: LogTail::default(),
            paymaster: None,
            rpc_url,
            bundler_url: None,
            chain_id: options.chain_id,
            addresses: Addresses {
                entry_point: ENTRY_POINT,
                nexus_implementation: Address::ZERO,
                nexus_bootstrap: Address::ZERO,
                nexus_factory: Address::ZERO,
                k1_validator_factory: Address::ZERO,
                smart_session: SMART_SESSION,
                registry: REGISTRY,
                owner_validator: Address::ZERO,
                session_key_validator: Address::ZERO,
                sudo_policy: Address::ZERO,
                uni_action_policy: Address::ZERO,
                token: Address::ZERO,
                counter: Address::ZERO,
                attester: Address::ZERO,
                v1_spending_limit_stand_in: Address::ZERO,
                verifying_paymaster: Address::ZERO,
            },
            funded: Vec::new(),
            deployer: key(&DEV_KEYS[0])?,
            timings: Vec::new(),
        };
        lap("anvil up", &mut since);
        devnet.deploy(&artifacts).await?;
        lap("contracts deployed", &mut since);
        if options.paymaster {
            devnet.start_paymaster(&artifacts).await?;
            lap("paymaster deployed and its service up", &mut since);
        }
        if options.bundler {
            devnet.start_alto(&node).await?;
            lap("alto up", &mut since);
        }
        timings.push(("total".into(), t0.elapsed()));
        devnet.timings = timings;
        Ok(devnet)
    }

    /// A provider for anvil that signs with `key`.
    pub fn provider_for(&self, key: &DevKey) -> Result<impl Provider + Clone + use<>> {
        let url = self.rpc_url.parse().map_err(rpc("RPC URL"))?;
        Ok(ProviderBuilder::new()
            .wallet(EthereumWallet::from(key.signer.clone()))
            .connect_http(url))
    }

    async fn deploy(&mut self, a: &setup::Artifacts) -> Result<()> {
        let provider = self.provider_for(&self.deployer)?;
        provider.client().set_poll_interval(Duration::from_millis(20));
        let from = self.deployer.address();
        let salt = B256::ZERO;
        let ep = create2(&provider, from, ENTRY_POINT_SALT, &a.entry_point).await?;
        if ep != ENTRY_POINT {
            return Err(DevnetError::Misplaced {
                contract: "EntryPoint",
                expected: ENTRY_POINT,
                got: ep,
            });
        }
        let with_args = |code: &[u8], args: Vec<u8>| [code, &args].concat();
        let imp =
            create2(&provider, from, salt, &with_args(&a.nexus, ENTRY_POINT.abi_encode())).await?;
        let bootstrap = create2(&provider, from, salt, &a.nexus_bootstrap).await?;
        let factory = create2(
            &provider,
            from,
            salt,
            &with_args(&a.nexus_factory, (imp, from).abi_encode_params()),
        )
        .await?;
        let c = |name: &str| a.contract(name);
        let owner_validator = create2(&provider, from, salt, &c("OwnerValidator")?).await?;
        let session_key_validator =
            create2(&provider, from, salt, &c("SessionKeyValidator")?).await?;
        let sudo = create2(&provider, from, salt, &c("SudoPolicy")?).await?;
        let uni = create2(&provider, from, salt, &c("UniActionPolicy")?).await?;
        let token = create2(&provider, from, salt, &c("TestToken")?).await?;
        let counter = create2(&provider, from, salt, &c("Counter")?).await?;
        let v1_spending = create2(&provider, from, salt, &c("V1SpendingLimitStandIn")?).await?;
        let k1_factory = create2(
            &provider,
            from,
            salt,
            &with_args(
                &c("K1ValidatorFactory")?,
                (factory, bootstrap, owner_validator, REGISTRY).abi_encode_params(),
            ),
        )
        .await?;
        provider
            .anvil_set_code(SMART_SESSION, a.smart_session.clone())
            .await
            .map_err(rpc("anvil_setCode SmartSession"))?;
        provider
            .anvil_set_code(REGISTRY, a.registry_runtime.clone())
            .await
            .map_err(rpc("anvil_setCode registry"))?;
        // A fresh attester attests every module a session uses.
        let attester = self.fund_new_key().await?;
        let att = self.provider_for(&attester)?;
        att.client().set_poll_interval(Duration::from_millis(20));
        let registry = contracts::AttesterRegistry::new(REGISTRY, &att);
        for module in
            [session_key_validator, sudo, uni, v1_spending, owner_validator, SMART_SESSION]
        {
            send("attest", registry.attest(module)).await?;
        }
        self.addresses = Addresses {
            entry_point: ep,
            nexus_implementation: imp,
            nexus_bootstrap: bootstrap,
            nexus_factory: factory,
            k1_validator_factory: k1_factory,
            smart_session: SMART_SESSION,
            registry: REGISTRY,
            owner_validator,
            session_key_validator,
            sudo_policy: sudo,
            uni_action_policy: uni,
            token,
            counter,
            attester: attester.address(),
            v1_spending_limit_stand_in: v1_spending,
            verifying_paymaster: Address::ZERO,
        };
        self.funded = vec![self.fund_new_key().await?, self.fund_new_key().await?];
        Ok(())
    }

    async fn start_paymaster(&mut self, a: &setup::Artifacts) -> Result<()> {
        let provider = self.provider_for(&self.deployer)?;
        provider.client().set_poll_interval(Duration::from_millis(20));
        let signer = PrivateKeySigner::random();
        let init =
            [&a.verifying_paymaster[..], &(ENTRY_POINT, signer.address()).abi_encode_params()]
                .concat();
        let pm = create2(&provider, self.deployer.address(), B256::ZERO, &init).await?;
        let paymaster = contracts::VerifyingPaymaster::new(pm, &provider);
        send(
            "VerifyingPaymaster.deposit",
            paymaster.deposit().value(U256::from(PAYMASTER_DEPOSIT)),
        )
        .await?;
        self.addresses.verifying_paymaster = pm;
        self.paymaster =
            Some(PaymasterService::start(pm, ENTRY_POINT, self.chain_id, signer).await?);
        Ok(())
    }

    /// The ERC-7677 service of the devnet's `VerifyingPaymaster` (when started with
    /// [`Options::paymaster`]): its URL, and its sponsorship policy.
    pub fn paymaster(&self) -> Option<&PaymasterService> {
        self.paymaster.as_ref()
    }

    async fn start_alto(&mut self, node: &Path) -> Result<()> {
        let port = free_port()?;
        let mut alto =
            alto_command(node, &self.rpc_url, port, [DEV_KEYS[1], DEV_KEYS[2]]).spawn().map_err(
                |e| DevnetError::Command { what: "start alto".into(), output: e.to_string() },
            )?;
        let url = format!("http://127.0.0.1:{port}");
        let ready =
            wait_rpc(&url, "eth_supportedEntryPoints", "alto", Duration::from_secs(60), &mut alto)
                .await;
        if let Some(out) = alto.stdout.take() {
            self.alto_log.drain(out);
        }
        if let Some(err) = alto.stderr.take() {
            self.alto_log.drain(err);
        }
        self.alto = Some(alto);
        ready?;
        self.bundler_url = Some(url);
        Ok(())
    }

    /// The last lines Alto logged (at `warn` and above: e.g. an operation it dropped at its
    /// second validation), for diagnosing a run.
    pub fn alto_log(&self) -> Vec<String> {
        self.alto_log.lines()
    }

    /// A new random key with 1,000 ETH (`anvil_setBalance`).
    pub async fn fund_new_key(&self) -> Result<DevKey> {
        let key = DevKey { signer: PrivateKeySigner::random() };
        let provider = self.provider_for(&self.deployer)?;
        provider
            .anvil_set_balance(
                key.address(),
                U256::from(1000u64) * U256::from(10u64).pow(U256::from(18u64)),
            )
            .await
            .map_err(rpc("anvil_setBalance"))?;
        Ok(key)
    }

    /// Mints `amount` of the devnet's test token (`addresses.token`, open `mint`) to `to`, sent
    /// by the deployer, and waits for the receipt.
    pub async fn mint_tokens(&self, to: Address, amount: U256) -> Result<()> {
        let provider = self.provider_for(&self.deployer)?;
        send(
            "mint test tokens",
            contracts::TestToken::new(self.addresses.token, &provider).mint(to, amount),
        )
        .await
    }

    /// PIDs of the processes this devnet started (anvil, then Alto).
    pub fn pids(&self) -> Vec<u32> {
        self.anvil.iter().chain(self.alto.iter()).map(Child::id).collect()
    }

    /// Leaves the processes running after this value is dropped (for `cargo xtask devnet up`);
    /// returns their PIDs, which [`stop_pids`] stops later. The paymaster service runs inside
    /// this process and stops with it.
    pub fn detach(mut self) -> Vec<u32> {
        let pids = self.pids();
        // Dropping a `Child` neither kills nor waits for the process.
        self.anvil.take();
        self.alto.take();
        pids
    }

    /// Stops every process by PID and the in-process paymaster service (also done on drop).
    pub fn stop(&mut self) {
        self.paymaster.take();
        for child in [self.alto.take(), self.anvil.take()].into_iter().flatten() {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop();
    }
}

fn key(bytes: &B256) -> Result<DevKey> {
    let signer = PrivateKeySigner::from_bytes(bytes).map_err(rpc("dev key"))?;
    Ok(DevKey { signer })
}

/// Where the devnet keeps its npm packages and build products.
pub fn cache_root() -> PathBuf {
    std::env::var_os("SMART_SESSIONS_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("smart-sessions-rs"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/smart-sessions-rs"))
        })
        .unwrap_or_else(|| std::env::temp_dir().join("smart-sessions-rs"))
}
