//! What a node serves: its chains, fee tokens, keys and prices.

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use smart_sessions_codec::Generation;
use std::fmt;

/// A fee token the node accepts on one chain, with its price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeToken {
    /// The ERC-20 contract the fee is transferred in (on this chain).
    pub address: Address,
    /// The token's `name()`, as `/v1/info` lists it.
    pub name: String,
    /// The token's `symbol()`, as `/v1/info` lists it.
    pub symbol: String,
    /// The token's `decimals()`: the base units `units_per_eth` is counted in.
    pub decimals: u8,
    /// The documented rate: token base units paid per 1 ETH (10^18 wei) of gas. For a 6-decimal
    /// USD token at 3 000 USD/ETH this is `3_000 * 10^6`.
    pub units_per_eth: U256,
}

/// One chain the node serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSetup {
    /// The chain id clients name in `chainId` fields (the devnet's `eth_chainId`).
    pub chain_id: u64,
    /// A display name (`supportedChains[].name`).
    pub name: String,
    /// The node's JSON-RPC endpoint for this chain (an anvil URL on 127.0.0.1).
    pub rpc_url: String,
    /// The EntryPoint v0.7 the node sends `handleOps` to on this chain.
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
    /// The `maxPriorityFeePerGas` of every quoted userOp (wei).
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
    /// The chains the node serves (one devnet each); any other `chainId` is refused.
    pub chains: Vec<ChainSetup>,
    /// The node's own key: sends `handleOps`, funds EntryPoint deposits (the gas tank).
    pub executor: PrivateKeySigner,
    /// The address the payment userOps' fee transfers pay to (written into every quote).
    pub fee_recipient: Address,
    /// The key clients must send in `x-api-key`.
    pub api_key: String,
    /// The gas prices and limits the node fills into every quoted userOp.
    pub gas: GasPolicy,
    /// The `version` string `/v1/info` answers with.
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
