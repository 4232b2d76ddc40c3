//! Chain presets by name: the chain id and the tables Biconomy and Rhinestone deploy there.

use super::*;

/// A chain the SDKs deploy to: its id and whether `@biconomy/sdk` treats it as a testnet (which
/// adds [`MOCK_ATTESTER`] to K1 accounts). RPC URLs are the user's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainPreset {
    /// The name `--chain` takes (viem's chain name, kebab-case).
    pub name: &'static str,
    /// The chain's EIP-155 id (what `eth_chainId` answers).
    pub chain_id: u64,
    /// Whether the chain is a testnet (viem's `chain.testnet`): K1 accounts then also trust
    /// [`MOCK_ATTESTER`].
    pub testnet: bool,
}

/// The chains Biconomy (Nexus, MEE) and Rhinestone (SmartSession, module registry) deploy
/// their canonical CREATE2 contracts to, mainnets then testnets. Chain ids are the chains' own;
/// whether a given contract is deployed on a given chain is what [`Deployments::detect`] checks.
pub const CHAINS: &[ChainPreset] = &[
    ChainPreset { name: "ethereum", chain_id: 1, testnet: false },
    ChainPreset { name: "optimism", chain_id: 10, testnet: false },
    ChainPreset { name: "bsc", chain_id: 56, testnet: false },
    ChainPreset { name: "gnosis", chain_id: 100, testnet: false },
    ChainPreset { name: "unichain", chain_id: 130, testnet: false },
    ChainPreset { name: "polygon", chain_id: 137, testnet: false },
    ChainPreset { name: "sonic", chain_id: 146, testnet: false },
    ChainPreset { name: "worldchain", chain_id: 480, testnet: false },
    ChainPreset { name: "base", chain_id: 8453, testnet: false },
    ChainPreset { name: "arbitrum", chain_id: 42161, testnet: false },
    ChainPreset { name: "avalanche", chain_id: 43114, testnet: false },
    ChainPreset { name: "linea", chain_id: 59144, testnet: false },
    ChainPreset { name: "scroll", chain_id: 534352, testnet: false },
    ChainPreset { name: "sepolia", chain_id: 11155111, testnet: true },
    ChainPreset { name: "base-sepolia", chain_id: 84532, testnet: true },
    ChainPreset { name: "optimism-sepolia", chain_id: 11155420, testnet: true },
    ChainPreset { name: "arbitrum-sepolia", chain_id: 421614, testnet: true },
    ChainPreset { name: "polygon-amoy", chain_id: 80002, testnet: true },
    ChainPreset { name: "avalanche-fuji", chain_id: 43113, testnet: true },
    ChainPreset { name: "bsc-testnet", chain_id: 97, testnet: true },
    ChainPreset { name: "gnosis-chiado", chain_id: 10200, testnet: true },
    ChainPreset { name: "scroll-sepolia", chain_id: 534351, testnet: true },
    ChainPreset { name: "linea-sepolia", chain_id: 59141, testnet: true },
    ChainPreset { name: "unichain-sepolia", chain_id: 1301, testnet: true },
];

impl ChainPreset {
    /// The preset named `name` (case-insensitive).
    pub fn by_name(name: &str) -> Option<&'static Self> {
        CHAINS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The preset of chain `chain_id`.
    pub fn by_id(chain_id: u64) -> Option<&'static Self> {
        CHAINS.iter().find(|c| c.chain_id == chain_id)
    }

    /// `generation`'s default table ([`Deployments::default_for`]) on this chain: on testnets
    /// the mock attester is added to K1 accounts' attesters, as `@biconomy/sdk` does.
    pub fn deployments(&self, generation: Generation) -> Deployments {
        let d = Deployments::default_for(generation);
        if self.testnet && d.account() == AccountKind::K1ValidatorFactory && !d.attesters.is_empty()
        {
            d.testnet()
        } else {
            d
        }
    }
}
