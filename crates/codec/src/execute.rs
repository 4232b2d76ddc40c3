//! ERC-7579 `execute` calldata and Nexus nonce keys: what an embedded signer needs to build and
//! sign a user operation without a network.

use crate::{Error, Result};
use alloc::vec::Vec;
use alloy_primitives::{Address, B256, Bytes, U256, aliases::U192};
use alloy_sol_types::{SolCall, SolType, abi::AbiDecoderConfig, sol, sol_data};

sol! {
    /// One call of an ERC-7579 batch.
    #[derive(Debug, Default, PartialEq, Eq, Hash)]
    struct Execution {
        /// The contract (or account) called.
        address target;
        /// Wei sent with the call.
        uint256 value;
        /// The call's calldata: selector and arguments (empty for a plain ETH transfer).
        bytes callData;
    }

    /// ERC-7579 `execute(bytes32 mode, bytes executionCalldata)` (selector `0xe9ae5c53`).
    #[derive(Debug, PartialEq, Eq)]
    function execute(bytes32 mode, bytes executionCalldata);

    /// ERC-7579 `installModule(uint256 moduleTypeId, address module, bytes initData)` (`0x9517e29f`).
    #[derive(Debug, PartialEq, Eq)]
    function installModule(uint256 moduleTypeId, address module, bytes initData);

    /// ERC-7579 `isModuleInstalled(uint256, address, bytes)` (`0x112d3a7d`).
    #[derive(Debug, PartialEq, Eq)]
    function isModuleInstalled(uint256 moduleTypeId, address module, bytes additionalContext) returns (bool);
}

/// Call type byte of a single call (`0x00`).
pub const CALLTYPE_SINGLE: u8 = 0x00;
/// Call type byte of a batch (`0x01`).
pub const CALLTYPE_BATCH: u8 = 0x01;
/// Call type byte of a delegate call (`0xff`; SmartSession does not accept it).
pub const CALLTYPE_DELEGATECALL: u8 = 0xff;
/// The mode word of a single call with default execution (all zero).
pub const MODE_SINGLE: B256 = B256::ZERO;
/// The mode word of a batch with default execution (`0x01` followed by zeros).
pub const MODE_BATCH: B256 = {
    let mut w = [0u8; 32];
    w[0] = CALLTYPE_BATCH;
    B256::new(w)
};

/// ERC-7579 module type: validator.
pub const MODULE_TYPE_VALIDATOR: u64 = 1;
/// ERC-7579 module type: executor.
pub const MODULE_TYPE_EXECUTOR: u64 = 2;
/// ERC-7579 module type: fallback handler.
pub const MODULE_TYPE_FALLBACK: u64 = 3;
/// ERC-7579 module type: hook.
pub const MODULE_TYPE_HOOK: u64 = 4;

impl Execution {
    /// A call of `target` with `value` wei and `call_data`.
    pub fn new(target: Address, value: U256, call_data: impl Into<Bytes>) -> Self {
        Self { target, value, callData: call_data.into() }
    }
}

/// `execute(0x00…, target ‖ value ‖ callData)`: one call, packed execution data.
pub fn execute_single(execution: &Execution) -> Vec<u8> {
    let mut packed = Vec::with_capacity(52 + execution.callData.len());
    packed.extend_from_slice(execution.target.as_slice());
    packed.extend_from_slice(&execution.value.to_be_bytes::<32>());
    packed.extend_from_slice(&execution.callData);
    executeCall { mode: MODE_SINGLE, executionCalldata: packed.into() }.abi_encode()
}

/// `execute(0x01…, abi.encode(Execution[]))`: a batch.
pub fn execute_batch(executions: &[Execution]) -> Vec<u8> {
    let data = <sol_data::Array<Execution> as SolType>::abi_encode(executions);
    executeCall { mode: MODE_BATCH, executionCalldata: data.into() }.abi_encode()
}

/// What the TypeScript SDKs send for a list of calls: single mode for one call, batch mode for
/// two or more. Fails on an empty list (SmartSession rejects an empty batch).
///
/// Use it for `userOp.callData` of a Nexus account; [`decode_execute`] reads it back.
///
/// ```
/// use alloy_primitives::{address, keccak256, U256};
/// use smart_sessions_codec::execute::{MODE_BATCH, MODE_SINGLE, decode_execute, execute_calls};
/// use smart_sessions_codec::{Error, Execution};
///
/// let usdc = address!("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
/// let call = Execution::new(usdc, U256::ZERO, vec![0x18, 0x16, 0x0d, 0xdd]); // totalSupply()
/// let single = execute_calls(&[call.clone()])?;
/// assert_eq!(single[..4], keccak256("execute(bytes32,bytes)")[..4]);
/// // selector, mode word, offset word, length word (20 + 32 + 4 = 56), then target ‖ value ‖ data
/// assert_eq!(single[4 + 95], 56);
/// assert_eq!(single[100..120], usdc[..]);
/// assert_eq!(decode_execute(&single)?, (MODE_SINGLE, vec![call.clone()]));
///
/// let batch = execute_calls(&[call.clone(), call.clone()])?;
/// assert_eq!(decode_execute(&batch)?, (MODE_BATCH, vec![call.clone(), call]));
/// assert_eq!(execute_calls(&[]), Err(Error::InvalidExecution { reason: "no calls" }));
/// # Ok::<(), Error>(())
/// ```
pub fn execute_calls(executions: &[Execution]) -> Result<Vec<u8>> {
    match executions {
        [] => Err(Error::InvalidExecution { reason: "no calls" }),
        [one] => Ok(execute_single(one)),
        many => Ok(execute_batch(many)),
    }
}

/// `execute` calldata for an explicit mode word. Only the default execution type (`0x00`) of the
/// single and batch call types is supported, as by SmartSession.
pub fn execute_with_mode(mode: B256, executions: &[Execution]) -> Result<Vec<u8>> {
    if mode[1] != 0 {
        return Err(Error::InvalidExecution {
            reason: "only the default exec type 0x00 is supported",
        });
    }
    let data: Vec<u8> = match (mode[0], executions) {
        (CALLTYPE_SINGLE, [e]) => {
            let mut packed = Vec::with_capacity(52 + e.callData.len());
            packed.extend_from_slice(e.target.as_slice());
            packed.extend_from_slice(&e.value.to_be_bytes::<32>());
            packed.extend_from_slice(&e.callData);
            packed
        }
        (CALLTYPE_SINGLE, _) => {
            return Err(Error::InvalidExecution {
                reason: "single call type needs exactly one call",
            });
        }
        (CALLTYPE_BATCH, list) => <sol_data::Array<Execution> as SolType>::abi_encode(list),
        _ => return Err(Error::InvalidExecution { reason: "unsupported call type" }),
    };
    Ok(executeCall { mode, executionCalldata: data.into() }.abi_encode())
}

/// Decodes `execute` calldata into its mode word and calls, as SmartSession reads it.
pub fn decode_execute(calldata: &[u8]) -> Result<(B256, Vec<Execution>)> {
    let call = executeCall::abi_decode_validate(calldata)
        .map_err(|e| Error::abi("execute(bytes32,bytes) calldata", e))?;
    let data = &call.executionCalldata[..];
    let executions = match call.mode[0] {
        CALLTYPE_SINGLE => {
            let Some((target, rest)) = data.split_first_chunk::<20>() else {
                return Err(Error::TooShort {
                    field: "single execution (target ‖ value ‖ callData)",
                    needed: 52,
                    actual: data.len(),
                });
            };
            let Some((value, call_data)) = rest.split_first_chunk::<32>() else {
                return Err(Error::TooShort {
                    field: "single execution (target ‖ value ‖ callData)",
                    needed: 52,
                    actual: data.len(),
                });
            };
            alloc::vec![Execution {
                target: Address::from(*target),
                value: U256::from_be_bytes(*value),
                callData: Bytes::copy_from_slice(call_data),
            }]
        }
        CALLTYPE_BATCH => <sol_data::Array<Execution> as SolType>::abi_decode_with_config(
            data,
            AbiDecoderConfig::new().validate(true),
        )
        .map_err(|e| Error::abi("batch execution data (address,uint256,bytes)[]", e))?,
        _ => return Err(Error::InvalidExecution { reason: "unsupported call type" }),
    };
    Ok((call.mode, executions))
}

/// `installModule(type, module, initData)` calldata (sent by the account to itself).
pub fn install_module_calldata(module_type: u64, module: Address, init_data: &[u8]) -> Vec<u8> {
    installModuleCall {
        moduleTypeId: U256::from(module_type),
        module,
        initData: Bytes::copy_from_slice(init_data),
    }
    .abi_encode()
}

/// Nexus validation mode byte: regular validation.
pub const NEXUS_MODE_VALIDATION: u8 = 0x00;
/// Nexus validation mode byte: module-enable mode.
pub const NEXUS_MODE_MODULE_ENABLE: u8 = 0x01;

/// A Nexus nonce key: which validator validates the user operation.
///
/// The 192-bit EntryPoint key is `bytes3 batchKey ‖ bytes1 validationMode ‖ bytes20 validator`;
/// the nonce is `key << 64 | sequence`.
///
/// ```
/// use alloy_primitives::{address, U256};
/// use smart_sessions_codec::NexusNonceKey;
/// let key = NexusNonceKey::new(address!("0x00000000008bDABA73cD9815d79069c247Eb4bDA"));
/// assert_eq!(key.key().to_string(), "726165600907488882780686905806375898");
/// let nonce = key.nonce(7);
/// assert_eq!(NexusNonceKey::from_nonce(nonce), (key, 7));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NexusNonceKey {
    /// A free 24-bit lane (abstractjs uses the time in ms mod 0xFFFFFF; 0 in `@biconomy/sdk`).
    batch_key: u32,
    /// [`NEXUS_MODE_VALIDATION`] or [`NEXUS_MODE_MODULE_ENABLE`].
    pub validation_mode: u8,
    /// The validator module Nexus hands the user operation's signature to (the key's low 20
    /// bytes); for a session key, the SmartSession module.
    pub validator: Address,
}

impl NexusNonceKey {
    /// Regular validation by `validator`, lane 0.
    pub const fn new(validator: Address) -> Self {
        Self { batch_key: 0, validation_mode: NEXUS_MODE_VALIDATION, validator }
    }

    /// With a 24-bit lane; fails when `batch_key` does not fit 24 bits.
    pub const fn with_batch_key(mut self, batch_key: u32) -> Result<Self> {
        if batch_key > 0x00ff_ffff {
            return Err(Error::OutOfRange { field: "batchKey", reason: "does not fit 24 bits" });
        }
        self.batch_key = batch_key;
        Ok(self)
    }

    /// Sets the validation mode byte ([`NEXUS_MODE_VALIDATION`] or
    /// [`NEXUS_MODE_MODULE_ENABLE`]); the byte is stored as given.
    pub const fn with_validation_mode(mut self, mode: u8) -> Self {
        self.validation_mode = mode;
        self
    }

    /// The 24-bit batch key (lane) in the key's top 3 bytes: each lane has its own nonce
    /// sequence for the same validator.
    pub const fn batch_key(&self) -> u32 {
        self.batch_key
    }

    /// The key as bytes: `batchKey (3) ‖ validationMode (1) ‖ validator (20)`.
    pub fn to_bytes(&self) -> [u8; 24] {
        let mut k = [0u8; 24];
        k[..3].copy_from_slice(&self.batch_key.to_be_bytes()[1..]);
        k[3] = self.validation_mode;
        k[4..].copy_from_slice(self.validator.as_slice());
        k
    }

    /// The 192-bit key for `EntryPoint.getNonce(sender, key)`.
    pub fn key(&self) -> U192 {
        U192::from_be_bytes(self.to_bytes())
    }

    /// The `userOp.nonce` of this key: `key << 64 | sequence`, where `sequence` is the low 64
    /// bits of `EntryPoint.getNonce(sender, key)`.
    pub fn nonce(&self, sequence: u64) -> U256 {
        let mut w = [0u8; 32];
        w[..24].copy_from_slice(&self.to_bytes());
        w[24..].copy_from_slice(&sequence.to_be_bytes());
        U256::from_be_bytes(w)
    }

    /// Splits a nonce into its key and sequence.
    pub fn from_nonce(nonce: U256) -> (Self, u64) {
        let w = nonce.to_be_bytes::<32>();
        let mut bk = [0u8; 4];
        bk[1..].copy_from_slice(&w[..3]);
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&w[24..]);
        (
            Self {
                batch_key: u32::from_be_bytes(bk),
                validation_mode: w[3],
                validator: Address::from_slice(&w[4..24]),
            },
            u64::from_be_bytes(seq),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn single_and_batch_round_trip() {
        let a = Execution::new(
            address!("0x1111111111111111111111111111111111111111"),
            U256::from(5),
            vec![1, 2, 3],
        );
        let b = Execution::new(
            address!("0x2222222222222222222222222222222222222222"),
            U256::ZERO,
            vec![],
        );
        let single = execute_calls(core::slice::from_ref(&a)).unwrap();
        assert_eq!(&single[..4], &[0xe9, 0xae, 0x5c, 0x53]);
        assert_eq!(decode_execute(&single).unwrap(), (MODE_SINGLE, vec![a.clone()]));
        let batch = execute_calls(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(decode_execute(&batch).unwrap(), (MODE_BATCH, vec![a.clone(), b]));
        assert!(execute_calls(&[]).is_err());
        assert_eq!(execute_with_mode(MODE_SINGLE, core::slice::from_ref(&a)).unwrap(), single);
        assert!(execute_with_mode(MODE_SINGLE, &[]).is_err());
    }

    #[test]
    fn batch_key_must_fit_24_bits() {
        let k = NexusNonceKey::new(Address::ZERO);
        assert!(k.with_batch_key(0x0100_0000).is_err());
        assert_eq!(k.with_batch_key(0x00ff_ffff).unwrap().to_bytes()[..3], [0xff; 3]);
    }
}
