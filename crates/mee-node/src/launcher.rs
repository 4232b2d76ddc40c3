//! [`MeeDevnet`]: two devnet chains, the node's contracts on both, and a node serving them.

use crate::{
    ChainSetup, FeeToken, GasPolicy, LaunchError, MeeContracts, MeeNode, NodeConfig, contracts,
    node::contract_transport,
};
use alloy_primitives::{Address, B256, Bytes, U256, hex, keccak256};
use alloy_provider::ext::AnvilApi;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde_json::{Value, json};
use smart_sessions_bindings::common::{
    nexus_account_factory::{NexusAccountFactory, createAccountCall},
    nexus_bootstrap::{BootstrapConfig, NexusBootstrap},
};
use smart_sessions_devnet::{Devnet, Options, ensure_node_modules};
use std::fmt;

/// The chains of the local MEE stack: as in the recorded abstractjs run (Base, then OP Mainnet).
pub const CHAINS: [(u64, &str); 2] = [(8453, "Base (local)"), (10, "OP Mainnet (local)")];

/// Options of [`MeeDevnet::start_with`].
///
/// Construct it with `..Default::default()`: fields may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeeOptions {
    /// Whether the node simulates every userOp before sending any ([`NodeConfig::simulate`];
    /// default true). Only tests of a node that takes the fee and then fails turn it off.
    pub simulate: bool,
}

impl Default for MeeOptions {
    fn default() -> Self {
        Self { simulate: true }
    }
}

/// One chain of the stack.
#[derive(Debug)]
pub struct MeeChain {
    /// The devnet (anvil, EntryPoint, Nexus 1.0, legacy SmartSession; no bundler).
    pub devnet: Devnet,
    /// The node's contracts on it.
    pub contracts: MeeContracts,
}

/// A running local MEE stack: two devnet chains and a node serving both. Dropping it stops the
/// node and every devnet process.
///
/// ```no_run
/// # async fn run() -> Result<(), smart_sessions_mee_node::LaunchError> {
/// let mee = smart_sessions_mee_node::MeeDevnet::start().await?;
/// println!("{}", mee.summary()); // MEE URL, API key, RPC URLs, version table
/// # Ok(()) }
/// ```
pub struct MeeDevnet {
    /// The chains, in [`CHAINS`] order.
    pub chains: Vec<MeeChain>,
    /// The running MEE node serving every chain of [`Self::chains`] (its URL for clients).
    pub node: MeeNode,
    /// The address the payment userOps' fee transfers pay to (a fresh random address).
    pub fee_recipient: Address,
    api_key: String,
    config: NodeConfig,
}

impl fmt::Debug for MeeDevnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeeDevnet")
            .field("url", &self.node.url())
            .field("chains", &self.chains)
            .field("fee_recipient", &self.fee_recipient)
            .finish_non_exhaustive()
    }
}

fn deploy_err<E: std::error::Error + Send + Sync + 'static>(
    chain_id: u64,
    step: &'static str,
) -> impl FnOnce(E) -> LaunchError {
    move |e| LaunchError::Deploy { chain_id, step, source: Box::new(e) }
}

impl MeeDevnet {
    /// Starts chains 8453 and 10, deploys the node's contracts on both and starts the node.
    pub async fn start() -> Result<Self, LaunchError> {
        Self::start_with(MeeOptions::default()).await
    }

    /// [`start`](Self::start) with options, e.g. a node that does not simulate before sending.
    ///
    /// ```no_run
    /// use smart_sessions_mee_node::{MeeDevnet, MeeOptions};
    ///
    /// # async fn run() -> Result<(), smart_sessions_mee_node::LaunchError> {
    /// let options = MeeOptions { simulate: false, ..Default::default() };
    /// let mee = MeeDevnet::start_with(options).await?;
    /// let base = mee.chain(8453).expect("the stack runs Base");
    /// println!("node {} (x-api-key {})", mee.url(), mee.api_key());
    /// println!("Base RPC {}", base.devnet.rpc_url);
    /// println!("fee token on Base: {}", base.contracts.fee_token);
    /// # Ok(()) }
    /// ```
    pub async fn start_with(options: MeeOptions) -> Result<Self, LaunchError> {
        let node_dir = ensure_node_modules()
            .map_err(|source| LaunchError::Devnet { chain_id: CHAINS[0].0, source })?;
        let compiled = contracts::compile_contracts(&node_dir)?;
        let mut chains = Vec::new();
        for (chain_id, _) in CHAINS {
            let devnet =
                Devnet::start_with(Options { chain_id, bundler: false, ..Default::default() })
                    .await
                    .map_err(|source| LaunchError::Devnet { chain_id, source })?;
            let contracts = contracts::deploy_contracts(&devnet, &compiled).await?;
            chains.push(MeeChain { devnet, contracts });
        }
        let executor = PrivateKeySigner::random();
        let fee_recipient = PrivateKeySigner::random().address();
        for c in &chains {
            let id = c.devnet.chain_id;
            let p =
                c.devnet.provider_for(&c.devnet.deployer).map_err(deploy_err(id, "provider"))?;
            p.anvil_set_balance(executor.address(), U256::from(10u64).pow(U256::from(24u64)))
                .await
                .map_err(deploy_err(id, "fund the node's executor"))?;
        }
        let api_key = format!(
            "mee-local-{}",
            hex::encode(&keccak256(PrivateKeySigner::random().address())[..16])
        );
        let config = NodeConfig {
            chains: chains
                .iter()
                .zip(CHAINS)
                .map(|(c, (chain_id, name))| ChainSetup {
                    chain_id,
                    name: name.into(),
                    rpc_url: c.devnet.rpc_url.clone(),
                    entry_point: c.devnet.addresses.entry_point,
                    fee_tokens: vec![FeeToken {
                        address: c.contracts.fee_token,
                        name: "MEE Devnet USD".into(),
                        symbol: "mUSD".into(),
                        decimals: 6,
                        units_per_eth: U256::from(3_000_000_000u64),
                    }],
                    session_generation: smart_sessions_codec::Generation::Legacy,
                })
                .collect(),
            executor,
            fee_recipient,
            api_key: api_key.clone(),
            gas: GasPolicy::default(),
            version: "2.0.0-smart-sessions-local".into(),
            simulate: options.simulate,
        };
        let node = MeeNode::start(config.clone()).await?;
        Ok(Self { chains, node, fee_recipient, api_key, config })
    }

    /// Stops the node and starts a fresh one on the same port, with the same keys and chains but
    /// an empty memory (the quotes and supertransactions it knew are gone), as a node restart
    /// does. Supertransactions already being sent finish on chain.
    pub async fn restart_node(&mut self) -> Result<(), LaunchError> {
        let addr = self.node.addr();
        self.node.stop();
        // the accept loop ends at its next poll; retry the bind briefly
        let mut last = None;
        for _ in 0..50 {
            match MeeNode::start_on(self.config.clone(), addr).await {
                Ok(node) => {
                    self.node = node;
                    return Ok(());
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Err(last.unwrap_or(LaunchError::Io(std::io::ErrorKind::AddrInUse.into())))
    }

    /// The node's base URL (`…/v1`).
    pub fn url(&self) -> String {
        self.node.url()
    }

    /// The API key (send it as `x-api-key`).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The stack's chain with `chain_id` (its devnet and the node's contracts there); `None`
    /// for a chain outside [`CHAINS`].
    pub fn chain(&self, chain_id: u64) -> Option<&MeeChain> {
        self.chains.iter().find(|c| c.devnet.chain_id == chain_id)
    }

    /// The MEE version table of this stack, in the SDK's version-config shape, for a client to
    /// load as a custom version: the devnet's Nexus 1.0 factory, bootstrap and implementation, the
    /// node's `MeeK1Validator` as validator and default validator, no registry, no composable
    /// module and no ETH forwarder (zero addresses, which the SDK skips in its code checks). The
    /// addresses are equal on both chains (CREATE2).
    ///
    /// It is labelled **1.1.0** because the SDK's semantics for versions before 2.0.0 are the ones
    /// Nexus 1.0 has: the MEE validator installed explicitly with `initNexusWithSingleValidator`
    /// and named in every nonce key. The 2.0.0 semantics (a default validator at `0x00…00` in the
    /// nonce key, `initNexusWithDefaultValidatorAndOtherModulesNoRegistry`) need Nexus ≥ 1.2, whose
    /// bytecode no registry ships.
    ///
    /// Two members are not the SDK's: `sudoPolicyAddress` and `universalActionPolicyAddress`, where
    /// the devnet deployed its session policies (the SDK ignores them).
    pub fn version_table(&self) -> Value {
        let a = &self.chains[0].devnet.addresses;
        let c = &self.chains[0].contracts;
        json!({
            "version": "1.1.0",
            "accountId": "biconomy.nexus.1.0.0",
            "factoryAddress": a.nexus_factory,
            "bootStrapAddress": a.nexus_bootstrap,
            "implementationAddress": a.nexus_implementation,
            "validatorAddress": c.validator,
            "defaultValidatorAddress": c.validator,
            "moduleRegistry": {
                "registryAddress": Address::ZERO,
                "attesters": [],
                "attesterThreshold": 0,
            },
            "composableModuleAddress": Address::ZERO,
            "ethForwarderAddress": Address::ZERO,
            "composabilityVersion": "1.0.0",
            // not the SDK's: where this stack's session policies live (the devnet deploys them
            // with CREATE2, not at the legacy generation's canonical addresses); the SDK ignores
            // them, `smart_sessions_mee::MeeVersionConfig::from_json` reads them
            "sudoPolicyAddress": a.sudo_policy,
            "universalActionPolicyAddress": a.uni_action_policy,
        })
    }

    /// The PIDs of every process the stack started (the anvils; the node runs in this process).
    pub fn pids(&self) -> Vec<u32> {
        self.chains.iter().flat_map(|c| c.devnet.pids()).collect()
    }

    /// Everything a client needs, as JSON (`cargo xtask devnet up --mee` prints this): the MEE
    /// URL, the API key, each chain's RPC URL and contracts, the fee recipient, the version
    /// table, `nodePid` (the process the node runs in: this one; SIGTERM to the
    /// `smart-sessions-mee-node` binary stops the node and both anvils) and `anvilPids`.
    ///
    /// Keys: `meeUrl`, `apiKey`, `node`, `feeRecipient`, `chains[]` (`chainId`, `rpcUrl`,
    /// `addresses`, `mee`), `meeVersion`, `nodePid`, `anvilPids`.
    pub fn summary(&self) -> Value {
        json!({
            "nodePid": std::process::id(),
            "meeUrl": self.url(),
            "apiKey": self.api_key,
            "node": self.node.executor(),
            "feeRecipient": self.fee_recipient,
            "chains": self.chains.iter().map(|c| json!({
                "chainId": c.devnet.chain_id,
                "rpcUrl": c.devnet.rpc_url,
                "addresses": c.devnet.addresses,
                "mee": c.contracts,
            })).collect::<Vec<_>>(),
            "meeVersion": self.version_table(),
            "anvilPids": self.pids(),
        })
    }

    /// The Nexus 1.0 account of `owner` with the node's validator (`salt` picks one of many):
    /// its address (equal on both chains) and its `initCode` (`factory ‖ createAccount(initData,
    /// salt)`).
    pub async fn owner_account(
        &self,
        owner: Address,
        salt: B256,
    ) -> Result<(Address, Bytes), LaunchError> {
        let chain = &self.chains[0];
        let id = chain.devnet.chain_id;
        let a = &chain.devnet.addresses;
        let p = chain
            .devnet
            .provider_for(&chain.devnet.deployer)
            .map_err(deploy_err(id, "provider"))?;
        let bootstrap = NexusBootstrap::new(a.nexus_bootstrap, &p);
        let get_init = bootstrap.getInitNexusWithSingleValidatorCalldata(
            BootstrapConfig { module: chain.contracts.validator, data: owner.to_vec().into() },
            Address::ZERO,
            vec![],
            0,
        );
        let out = get_init
            .call_raw()
            .await
            .map_err(contract_transport)
            .map_err(deploy_err(id, "getInitNexusWithSingleValidatorCalldata"))?;
        let init_data = get_init
            .decode_output(out)
            .map_err(deploy_err(id, "decode the bootstrap's init data"))?;
        let factory = NexusAccountFactory::new(a.nexus_factory, &p);
        let compute = factory.computeAccountAddress(init_data.clone(), salt);
        let out = compute
            .call_raw()
            .await
            .map_err(contract_transport)
            .map_err(deploy_err(id, "computeAccountAddress"))?;
        let account =
            compute.decode_output(out).map_err(deploy_err(id, "decode computeAccountAddress"))?;
        let mut init_code = a.nexus_factory.to_vec();
        init_code.extend_from_slice(&createAccountCall { initData: init_data, salt }.abi_encode());
        Ok((account, init_code.into()))
    }
}
