//! ERC-4337 v0.7 user operations: the unpacked RPC form, packing, and the user-operation hash.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolValue;
use serde::{Deserialize, Serialize};
use smart_sessions_bindings::common::entry_point::PackedUserOperation;

/// A v0.7 user operation in the unpacked form bundlers speak (`eth_sendUserOperation`,
/// `eth_estimateUserOperationGas`): quantities as `0x` hex, `factory`/`paymaster` fields omitted
/// when absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperation {
    /// The smart account that validates and executes the operation (the Nexus account).
    pub sender: Address,
    /// The EntryPoint nonce: key (high 192 bits: validator and lane) and sequence (low 64 bits).
    pub nonce: U256,
    /// Factory deploying the account on this operation, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub factory: Option<Address>,
    /// The calldata the EntryPoint sends to `factory` to deploy the account (with `factory` only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub factory_data: Option<Bytes>,
    /// The calldata the EntryPoint calls the account with (Nexus `execute`, ...).
    pub call_data: Bytes,
    /// Gas limit for the account's execution of `call_data`.
    pub call_gas_limit: U256,
    /// Gas limit for the account's `validateUserOp` (and its deployment, with `factory`).
    pub verification_gas_limit: U256,
    /// Gas the bundler charges beyond the calls (calldata, bundle overhead, L1 data on rollups).
    pub pre_verification_gas: U256,
    /// EIP-1559 fee cap per gas, in wei.
    pub max_fee_per_gas: U256,
    /// EIP-1559 priority fee (tip) per gas, in wei.
    pub max_priority_fee_per_gas: U256,
    /// The paymaster contract sponsoring the operation (`None`: the account pays).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paymaster: Option<Address>,
    /// Gas limit for the paymaster's `validatePaymasterUserOp` (with `paymaster` only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paymaster_verification_gas_limit: Option<U256>,
    /// Gas limit for the paymaster's `postOp` (with `paymaster` only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paymaster_post_op_gas_limit: Option<U256>,
    /// The paymaster's own data after its address (with `paymaster` only; e.g. its signature).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paymaster_data: Option<Bytes>,
    /// The signature the account's validator checks (for SmartSession: mode, permission id, ...).
    pub signature: Bytes,
}

fn pack128(hi: U256, lo: U256) -> B256 {
    let mut w = [0u8; 32];
    w[..16].copy_from_slice(&hi.to_be_bytes::<32>()[16..]);
    w[16..].copy_from_slice(&lo.to_be_bytes::<32>()[16..]);
    B256::new(w)
}

impl UserOperation {
    /// `factory ‖ factoryData`, or empty.
    pub fn init_code(&self) -> Bytes {
        match (&self.factory, &self.factory_data) {
            (Some(f), data) => {
                [f.as_slice(), data.as_ref().map_or(&[][..], |d| &d[..])].concat().into()
            }
            (None, _) => Bytes::new(),
        }
    }

    /// `paymaster ‖ verificationGas (16) ‖ postOpGas (16) ‖ paymasterData`, or empty.
    pub fn paymaster_and_data(&self) -> Bytes {
        let Some(p) = self.paymaster else { return Bytes::new() };
        let mut out = p.to_vec();
        let v = self.paymaster_verification_gas_limit.unwrap_or_default().to_be_bytes::<32>();
        let o = self.paymaster_post_op_gas_limit.unwrap_or_default().to_be_bytes::<32>();
        out.extend_from_slice(&v[16..]);
        out.extend_from_slice(&o[16..]);
        out.extend_from_slice(self.paymaster_data.as_ref().map_or(&[][..], |d| &d[..]));
        out.into()
    }

    /// The packed v0.7 form (`PackedUserOperation`) the EntryPoint's `handleOps` and
    /// `getUserOpHash` take.
    pub fn pack(&self) -> PackedUserOperation {
        PackedUserOperation {
            sender: self.sender,
            nonce: self.nonce,
            initCode: self.init_code(),
            callData: self.call_data.clone(),
            accountGasLimits: pack128(self.verification_gas_limit, self.call_gas_limit),
            preVerificationGas: self.pre_verification_gas,
            gasFees: pack128(self.max_priority_fee_per_gas, self.max_fee_per_gas),
            paymasterAndData: self.paymaster_and_data(),
            signature: self.signature.clone(),
        }
    }

    /// The v0.7 user-operation hash the validators sign:
    /// `keccak256(abi.encode(keccak256(abi.encode(sender, nonce, keccak(initCode),
    /// keccak(callData), accountGasLimits, preVerificationGas, gasFees,
    /// keccak(paymasterAndData))), entryPoint, chainId))`. Equal to `EntryPoint.getUserOpHash`.
    pub fn hash(&self, entry_point: Address, chain_id: u64) -> B256 {
        let p = self.pack();
        let inner = (
            p.sender,
            p.nonce,
            keccak256(&p.initCode),
            keccak256(&p.callData),
            p.accountGasLimits,
            p.preVerificationGas,
            p.gasFees,
            keccak256(&p.paymasterAndData),
        )
            .abi_encode_params();
        keccak256((keccak256(inner), entry_point, U256::from(chain_id)).abi_encode_params())
    }
}
