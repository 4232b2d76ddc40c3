//! userOp hashes of a supertransaction: the ERC-4337 v0.7 `userOpHash` of a node-filled userOp,
//! the MEE userOp hash (Merkle leaf of non-short userOps) and the EIP-712 `MeeUserOp` struct hash
//! (entries of the ≥ 2.2.1 `SuperTx`).

use alloy_primitives::{Address, B256, Bytes, U256, address, b256, keccak256};
use alloy_sol_types::SolValue;

/// The canonical ERC-4337 EntryPoint v0.7 address: the `entry_point` of every userOp hash the
/// quotes carry.
pub const ENTRY_POINT_V07: Address = address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032");

/// `keccak256("MeeUserOp(bytes32 userOpHash,uint256 lowerBoundTimestamp,uint256 upperBoundTimestamp)")`
/// as viem (and so the SDK) computes it.
pub const MEE_USER_OP_TYPEHASH: B256 =
    b256!("0x15a3822da13714219f4ba907e3daf8f006f6903616b4e7918e84eb2b8faf733d");

/// `keccak256("SuperTx(MeeUserOp[] meeUserOps)MeeUserOp(…)")`, the standard EIP-712 typehash.
pub const SUPER_TX_TYPEHASH: B256 =
    b256!("0x18920ab59b79e66eb8250f08215198bc72e5a4b3822706ea145ae8f0cbb22526");

/// A userOp as the node fills it in a quote (`quote.userOps[i].userOp`): v0.6-style fields, with
/// `initCode` = factory ‖ factoryData and `paymasterAndData` packed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MeeFilledUserOp {
    /// The smart account that sends the userOp (the payment userOp's is the payer or tank).
    pub sender: Address,
    /// The full 256-bit EntryPoint nonce (`key << 64 | sequence`; the key names the validator).
    pub nonce: U256,
    /// factory ‖ factoryData when the userOp deploys its account, else empty.
    pub init_code: Bytes,
    /// The calldata the EntryPoint calls the account with (`execute` / `executeComposable`).
    pub call_data: Bytes,
    /// Gas for the account's execution of `call_data`.
    pub call_gas_limit: u128,
    /// Gas for validation (and the deployment, when `init_code` is set).
    pub verification_gas_limit: u128,
    /// Gas paid to the bundler beyond execution (calldata, overhead).
    pub pre_verification_gas: U256,
    /// EIP-1559 `maxFeePerGas` (wei per gas).
    pub max_fee_per_gas: u128,
    /// EIP-1559 `maxPriorityFeePerGas` (wei per gas).
    pub max_priority_fee_per_gas: u128,
    /// paymaster ‖ gas limits ‖ data, or empty.
    pub paymaster_and_data: Bytes,
}

impl MeeFilledUserOp {
    /// The ERC-4337 v0.7 userOp hash on `chain_id` with `entry_point`.
    ///
    /// ```
    /// use alloy_primitives::U256;
    /// use smart_sessions_mee::{MeeFilledUserOp, ENTRY_POINT_V07};
    /// let op = MeeFilledUserOp { nonce: U256::from(1), ..Default::default() };
    /// assert_ne!(op.user_op_hash(ENTRY_POINT_V07, 1), op.user_op_hash(ENTRY_POINT_V07, 10));
    /// ```
    pub fn user_op_hash(&self, entry_point: Address, chain_id: u64) -> B256 {
        let account_gas_limits =
            (U256::from(self.verification_gas_limit) << 128) | U256::from(self.call_gas_limit);
        let gas_fees =
            (U256::from(self.max_priority_fee_per_gas) << 128) | U256::from(self.max_fee_per_gas);
        let packed = (
            self.sender,
            self.nonce,
            keccak256(&self.init_code),
            keccak256(&self.call_data),
            B256::from(account_gas_limits),
            self.pre_verification_gas,
            B256::from(gas_fees),
            keccak256(&self.paymaster_and_data),
        )
            .abi_encode();
        let inner = keccak256(packed);
        keccak256((inner, entry_point, U256::from(chain_id)).abi_encode())
    }

    /// `callGasLimit + verificationGasLimit + preVerificationGas` (the node's `maxGasLimit`).
    pub fn max_gas_limit(&self) -> U256 {
        U256::from(self.call_gas_limit)
            + U256::from(self.verification_gas_limit)
            + self.pre_verification_gas
    }
}

/// `keccak256(keccak256(abi.encode(userOpHash, lower, upper)))` (mee-contracts
/// `MEEUserOpHashLib`): the Merkle leaf of a userOp without short encoding.
pub fn mee_user_op_hash(user_op_hash: B256, lower: u64, upper: u64) -> B256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(user_op_hash.as_slice());
    buf[56..64].copy_from_slice(&lower.to_be_bytes());
    buf[88..96].copy_from_slice(&upper.to_be_bytes());
    keccak256(keccak256(buf))
}

/// EIP-712 `hashStruct(MeeUserOp{userOpHash, lowerBoundTimestamp, upperBoundTimestamp})` with
/// the SDK's typehash [`MEE_USER_OP_TYPEHASH`].
pub fn mee_user_op_struct_hash(user_op_hash: B256, lower: u64, upper: u64) -> B256 {
    let mut buf = [0u8; 128];
    buf[..32].copy_from_slice(MEE_USER_OP_TYPEHASH.as_slice());
    buf[32..64].copy_from_slice(user_op_hash.as_slice());
    buf[88..96].copy_from_slice(&lower.to_be_bytes());
    buf[120..128].copy_from_slice(&upper.to_be_bytes());
    keccak256(buf)
}
