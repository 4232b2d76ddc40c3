//! `executeComposable` calldata of the composability module (what abstractjs's
//! `buildComposable` with raw calldata produces): used by `prepareForPermissions`' install
//! instructions.
//!
//! Only constant ("raw bytes") inputs are built: no runtime-injected values, no output params,
//! no constraints.

use crate::{ComposabilityVersion, session::Call};
use alloy_primitives::{Bytes, FixedBytes};
use alloy_sol_types::{SolCall, SolValue};

/// The `sol!` expansion: the structs both versions share at file level, one interface per
/// version (their items are documented on the interfaces).
#[allow(missing_docs, unreachable_pub, unnameable_types)]
mod abi {
    alloy_sol_types::sol! {
        /// A constraint on an input param (shared by 1.0.0 and 1.1.0; none are built here).
        struct Constraint { uint8 constraintType; bytes referenceData; }
        /// An output param (shared by 1.0.0 and 1.1.0; none are built here).
        struct OutputParam { uint8 fetcherType; bytes paramData; }

        /// Composability 1.0.0 (MEE 2.0 / 2.1): `executeComposable` selector `0xea5a6d91`.
        interface ComposabilityV1_0 {
            struct InputParam { uint8 fetcherType; bytes paramData; Constraint[] constraints; }
            struct ComposableExecution {
                address to;
                uint256 value;
                bytes4 functionSig;
                InputParam[] inputParams;
                OutputParam[] outputParams;
            }
            function executeComposable(ComposableExecution[] executions);
        }

        /// Composability 1.1.0 (MEE >= 2.2.1): target and value become input params;
        /// `executeComposable` selector `0x7eba07b8`.
        interface ComposabilityV1_1 {
            struct InputParam { uint8 paramType; uint8 fetcherType; bytes paramData; Constraint[] constraints; }
            struct ComposableExecution { bytes4 functionSig; InputParam[] inputParams; OutputParam[] outputParams; }
            function executeComposable(ComposableExecution[] executions);
        }
    }
}
pub use abi::{ComposabilityV1_0 as v1_0, ComposabilityV1_1 as v1_1, Constraint, OutputParam};

/// Input param type TARGET (1.1.0).
const PARAM_TARGET: u8 = 0;
/// Input param type VALUE (1.1.0).
const PARAM_VALUE: u8 = 1;
/// Input param type `CALL_DATA` (1.1.0).
const PARAM_CALL_DATA: u8 = 2;
/// Fetcher type `RAW_BYTES`.
const RAW_BYTES: u8 = 0;

fn split(data: &[u8]) -> (FixedBytes<4>, Bytes) {
    let mut sel = [0u8; 4];
    let n = data.len().min(4);
    sel[..n].copy_from_slice(&data[..n]);
    (FixedBytes(sel), Bytes::copy_from_slice(data.get(4..).unwrap_or_default()))
}

/// `executeComposable` calldata for `calls` with constant arguments.
///
/// 1.1.0 puts `CALL_DATA` first, then `TARGET`, then `VALUE` only when the value is non-zero
/// (the recorded prepare calls carry no value, so the `VALUE` placement is unverified).
pub fn execute_composable(version: ComposabilityVersion, calls: &[Call]) -> Vec<u8> {
    match version {
        ComposabilityVersion::V1_0_0 => {
            let executions = calls
                .iter()
                .map(|c| {
                    let (function_sig, args) = split(&c.data);
                    v1_0::ComposableExecution {
                        to: c.to,
                        value: c.value,
                        functionSig: function_sig,
                        inputParams: vec![v1_0::InputParam {
                            fetcherType: RAW_BYTES,
                            paramData: args,
                            constraints: vec![],
                        }],
                        outputParams: vec![],
                    }
                })
                .collect();
            v1_0::executeComposableCall { executions }.abi_encode()
        }
        ComposabilityVersion::V1_1_0 => {
            let executions = calls
                .iter()
                .map(|c| {
                    let (function_sig, args) = split(&c.data);
                    let mut input_params = vec![
                        v1_1::InputParam {
                            paramType: PARAM_CALL_DATA,
                            fetcherType: RAW_BYTES,
                            paramData: args,
                            constraints: vec![],
                        },
                        v1_1::InputParam {
                            paramType: PARAM_TARGET,
                            fetcherType: RAW_BYTES,
                            paramData: c.to.abi_encode().into(),
                            constraints: vec![],
                        },
                    ];
                    if !c.value.is_zero() {
                        input_params.push(v1_1::InputParam {
                            paramType: PARAM_VALUE,
                            fetcherType: RAW_BYTES,
                            paramData: c.value.abi_encode().into(),
                            constraints: vec![],
                        });
                    }
                    v1_1::ComposableExecution {
                        functionSig: function_sig,
                        inputParams: input_params,
                        outputParams: vec![],
                    }
                })
                .collect();
            v1_1::executeComposableCall { executions }.abi_encode()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_the_recorded_ones() {
        // 0xea5a6d91 / 0x7eba07b8: the callData prefixes of the recorded prepare quotes
        assert_eq!(v1_0::executeComposableCall::SELECTOR, [0xea, 0x5a, 0x6d, 0x91]);
        assert_eq!(v1_1::executeComposableCall::SELECTOR, [0x7e, 0xba, 0x07, 0xb8]);
    }
}
