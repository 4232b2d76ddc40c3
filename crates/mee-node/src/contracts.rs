//! The node's own contracts (`contracts/MeeNode.sol`): compiled with the devnet's solc the way the
//! devnet compiles its own, deployed through the CREATE2 deployer (same addresses on every chain),
//! and the one declaration of the ABI that is theirs alone ([`MeeCounter`],
//! [`MeeK1ValidatorState`]).
//!
//! The other two answer ABIs declared elsewhere, once: `MeeFeeToken` is an EIP-20 token
//! (`smart_sessions_bindings::erc20::ERC20`) with the devnet `TestToken`'s open `mint`
//! (`smart_sessions_devnet::contracts::TestToken::mintCall`, the same `mint(address,uint256)`);
//! `MeeK1Validator` answers `owners(address)` like the devnet's K1Validator-compatible owner
//! validator (`smart_sessions_bindings::devnet::owner_validator`) and `addSafeSender(address)` like
//! Biconomy's MEE K1 validator (`smart_sessions_bindings::mee_k1_validator`).
//!
//! ```
//! use alloy_sol_types::SolCall;
//! use smart_sessions_mee_node::contracts::MeeCounter;
//!
//! // 0xd09de08a, the selector of the SDK's session examples
//! assert_eq!(MeeCounter::incrementCall::SELECTOR, [0xd0, 0x9d, 0xe0, 0x8a]);
//! ```

use crate::LaunchError;
use alloy_primitives::{Address, B256, hex, keccak256};
use alloy_provider::Provider;
use smart_sessions_devnet::{Devnet, create2};
use std::{fs, path::Path, process::Command};

const SOURCE: &str = include_str!("../contracts/MeeNode.sol");

/// The `sol!` expansion of [`MeeCounter`] and [`MeeK1ValidatorState`] (their items are documented
/// on the interfaces).
#[allow(missing_docs, unreachable_pub, unnameable_types)]
mod counter {
    alloy_sol_types::sol! {
        #![sol(alloy_contract = ::alloy_contract)]
        /// `MeeCounter` of `contracts/MeeNode.sol` (written by this project): the call target of
        /// the node's tests and the demo. `increment()` counts calls per caller (`countOf`),
        /// `fail()` always reverts with a reason. With a contract instance
        /// (`MeeCounter::new(address, provider)`).
        #[sol(rpc, all_derives)]
        interface MeeCounter {
            event Incremented(address indexed who, uint256 count);
            function count() external view returns (uint256);
            function countOf(address who) external view returns (uint256);
            function increment() external;
            function fail() external pure;
        }

        /// The getter of `MeeK1Validator`'s safe senders (`contracts/MeeNode.sol`, written by this
        /// project), for tests that check what `addSafeSender` did; its other functions answer
        /// ABIs declared elsewhere (see the module documentation).
        #[sol(rpc, all_derives)]
        interface MeeK1ValidatorState {
            function safeSenders(address account, address sender) external view returns (bool);
        }
    }
}
pub use counter::{MeeCounter, MeeK1ValidatorState};

/// Where the node's contracts live on a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeeContracts {
    /// `MeeK1Validator`: the MEE K1 validator (< 2.2.1 semantics), written by this project.
    pub validator: Address,
    /// `MeeFeeToken`: the 6-decimal fee token (open `mint`).
    pub fee_token: Address,
    /// `MeeCounter`: the target (`increment()`, `fail()`).
    pub counter: Address,
}

fn compile_error(output: impl Into<String>) -> LaunchError {
    LaunchError::Compile { output: output.into() }
}

/// Compiles `contracts/MeeNode.sol` with the devnet's pinned solc in `node` (the devnet's npm
/// directory, [`smart_sessions_devnet::node_dir`]); the output (`{Name: {abi, bytecode,
/// deployedBytecode}}`) is cached there per source version.
pub fn compile_contracts(node: &Path) -> Result<serde_json::Value, LaunchError> {
    let id = keccak256(SOURCE.as_bytes());
    let out = node.join(format!("mee-node-contracts-{}.json", hex::encode(&id[..8])));
    if !out.exists() {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tag = format!("{}-{}-{n}", hex::encode(&id[..8]), std::process::id());
        // the file keeps its name: it is part of the bytecode's metadata, so of the addresses
        let dir = node.join(format!("mee-node-compile-{tag}"));
        fs::create_dir_all(&dir)?;
        let src = dir.join("MeeNode.sol");
        fs::write(&src, SOURCE)?;
        let tmp = node.join(format!("mee-node-contracts-{tag}.json.tmp"));
        let result =
            Command::new("node").arg("compile.cjs").arg(&src).arg(&tmp).current_dir(node).output();
        let _ = fs::remove_dir_all(&dir);
        let result = result.map_err(|e| compile_error(format!("running node compile.cjs: {e}")))?;
        if !result.status.success() {
            let text = String::from_utf8_lossy(&result.stderr);
            return Err(compile_error(text.trim().chars().take(4000).collect::<String>()));
        }
        fs::rename(&tmp, &out)?;
    }
    serde_json::from_str(&fs::read_to_string(&out)?)
        .map_err(|e| compile_error(format!("compiler output: {e}")))
}

fn init_code(compiled: &serde_json::Value, name: &str) -> Result<Vec<u8>, LaunchError> {
    compiled[name]["bytecode"]
        .as_str()
        .and_then(|s| hex::decode(s).ok())
        .ok_or_else(|| compile_error(format!("{name} is not in the compiler output")))
}

/// Deploys the node's contracts on `devnet` (CREATE2, salt 0, from the devnet's deployer).
pub async fn deploy_contracts(
    devnet: &Devnet,
    compiled: &serde_json::Value,
) -> Result<MeeContracts, LaunchError> {
    let chain_id = devnet.chain_id;
    let deploy_err = |step: &'static str| {
        move |e: smart_sessions_devnet::DevnetError| LaunchError::Deploy {
            chain_id,
            step,
            source: Box::new(e),
        }
    };
    let provider = devnet.provider_for(&devnet.deployer).map_err(deploy_err("provider"))?;
    provider.client().set_poll_interval(std::time::Duration::from_millis(20));
    let from = devnet.deployer.address();
    let salt = B256::ZERO;
    let validator = create2(&provider, from, salt, &init_code(compiled, "MeeK1Validator")?)
        .await
        .map_err(deploy_err("deploy MeeK1Validator"))?;
    let fee_token = create2(&provider, from, salt, &init_code(compiled, "MeeFeeToken")?)
        .await
        .map_err(deploy_err("deploy MeeFeeToken"))?;
    let counter = create2(&provider, from, salt, &init_code(compiled, "MeeCounter")?)
        .await
        .map_err(deploy_err("deploy MeeCounter"))?;
    Ok(MeeContracts { validator, fee_token, counter })
}
