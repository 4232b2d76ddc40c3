//! What a node serves: its chains, fee tokens, keys and prices.

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use smart_sessions_codec::Generation;
use std::fmt;

/// A fee token the node accepts on one chain, with its price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeToken {
    /// The ERC-20.
    pub address: Address,
    /// `name()`.
    pub name: String,
    /// `symbol()`.
    pub symbol: String,
    /// `decimals()`.
    pub decimals: u8,
    /// The documented rate: token base units paid per 1 ETH (10^18 wei) of gas. For a 6-decimal
    /// USD token at 3 000 USD/ETH this is `3_000 * 10^6`.
    pub units_per_eth: U256,
}

/// One chain the node serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSetup {
    /// The chain id.
    pub chain_id: u64,
    /// A display name (`supportedChains[].name`).
    pub name: String,
    /// JSON-RPC endpoint (anvil).
    pub rpc_url: String,
    /// EntryPoint v0.7.
    pub entry_point: Address,
    /// Fee tokens taken on this chain (empty: the chain only runs sponsored or non-payment ops).
    pub fee_tokens: Vec<FeeToken>,
    /// The SmartSession generation deployed on this chain (how session signatures are encoded):
    /// the devnet runs [`Generation::Legacy`].
    pub session_generation: Generation,
}

/// Gas prices and defaults the node fills in quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasPolicy {
    /// The lowest `maxFeePerGas` quoted; the node quotes `max(this, 2 * baseFee + priority)`.
    pub min_max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
    /// `preVerificationGas` of every op (the node is its own bundler).
    pub pre_verification_gas: u128,
    /// `verificationGasLimit` of a userOp that asks for none.
    pub default_verification_gas_limit: u128,
    /// Added to the default when the userOp deploys its account (`initCode`).
    pub deployment_verification_gas: u128,
}

impl Default for GasPolicy {
    /// The values of the recorded abstractjs run (2 gwei, 1 gwei, 60 000), 150 000 verification
    /// gas, 500 000 more for a deployment.
    fn default() -> Self {
        Self {
            min_max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            pre_verification_gas: 60_000,
            default_verification_gas_limit: 150_000,
            deployment_verification_gas: 500_000,
        }
    }
}

/// Everything a node needs. `Debug` never shows the executor key or the API key.
#[derive(Clone)]
pub struct NodeConfig {
    /// The chains.
    pub chains: Vec<ChainSetup>,
    /// The node's own key: sends `handleOps`, funds EntryPoint deposits (the gas tank).
    pub executor: PrivateKeySigner,
    /// Where token fees go.
    pub fee_recipient: Address,
    /// The key clients must send in `x-api-key`.
    pub api_key: String,
    /// Gas prices and defaults.
    pub gas: GasPolicy,
    /// `version` of `/v1/info`.
    pub version: String,
    /// Simulate every userOp before sending any (the node's promise that no fee is taken for a
    /// supertransaction that then fails). Only tests of what a node without simulation does
    /// (`MINED_FAIL` after the fee was taken) turn it off.
    pub simulate: bool,
}

impl fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeConfig")
            .field("chains", &self.chains)
            .field("executor", &self.executor.address())
            .field("fee_recipient", &self.fee_recipient)
            .field("gas", &self.gas)
            .field("version", &self.version)
            .field("simulate", &self.simulate)
            .finish_non_exhaustive()
    }
}
