//! The chain reads of the session flows, through an alloy [`Provider`] per chain.

use alloy_primitives::{Address, B256, Bytes, U256, aliases::U192};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, SolValue, sol};
use smart_sessions_codec::{Generation, Session, execute::isModuleInstalledCall};

use super::{FlowError, MeeSessions};

sol! {
    /// EntryPoint v0.7 `getNonce(address, uint192)`.
    function getNonce(address sender, uint192 key) returns (uint256);
    /// ERC-20 `decimals()`.
    function decimals() returns (uint8);
    /// ERC-20 `balanceOf(address)`.
    function balanceOf(address owner) returns (uint256);
    /// `factory.computeAccountAddress(bytes, bytes32)`.
    function computeAccountAddress(bytes initData, bytes32 salt) returns (address);
}

/// SmartSession's `getNonce(bytes32, address)` (every generation).
mod smart_session_abi {
    alloy_sol_types::sol! {
        function getNonce(bytes32 permissionId, address account) returns (uint256);
    }
}

/// `getSessionDigest` in the legacy 6-field layout (the selector comes from these types; the
/// arguments are encoded from the codec's session).
mod legacy_abi {
    alloy_sol_types::sol! {
        struct PolicyData { address policy; bytes initData; }
        struct ActionData { bytes4 actionTargetSelector; address actionTarget; PolicyData[] actionPolicies; }
        struct ERC7739Data { string[] allowedERC7739Content; PolicyData[] erc1271Policies; }
        struct Session {
            address sessionValidator; bytes sessionValidatorInitData; bytes32 salt;
            PolicyData[] userOpPolicies; ERC7739Data erc7739Policies; ActionData[] actions;
        }
        function getSessionDigest(bytes32 permissionId, address account, Session data, uint8 mode) returns (bytes32);
    }
}

/// `getSessionDigest` in the 7-field layout (v1.0 and current).
mod current_abi {
    alloy_sol_types::sol! {
        struct PolicyData { address policy; bytes initData; }
        struct ActionData { bytes4 actionTargetSelector; address actionTarget; PolicyData[] actionPolicies; }
        struct ERC7739Context { bytes32 appDomainSeparator; string[] contentName; }
        struct ERC7739Data { ERC7739Context[] allowedERC7739Content; PolicyData[] erc1271Policies; }
        struct Session {
            address sessionValidator; bytes sessionValidatorInitData; bytes32 salt;
            PolicyData[] userOpPolicies; ERC7739Data erc7739Policies; ActionData[] actions;
            bool permitERC4337Paymaster;
        }
        function getSessionDigest(bytes32 permissionId, address account, Session data, uint8 mode) returns (bytes32);
    }
}

/// `SmartSessionMode.UNSAFE_ENABLE`, the mode the SDK reads digests with (a `uint8` is encoded
/// in one word, as a `uint256` of the same value).
const MODE_UNSAFE_ENABLE: u8 = 2;

impl MeeSessions {
    pub(crate) fn provider(&self, chain_id: u64) -> Result<&DynProvider, FlowError> {
        self.chains
            .iter()
            .find(|(c, _)| *c == chain_id)
            .map(|(_, p)| p)
            .ok_or(FlowError::NoChain { chain_id })
    }

    async fn eth_call(
        &self,
        chain_id: u64,
        what: &'static str,
        to: Address,
        data: Vec<u8>,
    ) -> Result<Bytes, FlowError> {
        let p = self.provider(chain_id)?;
        self.count_chain();
        p.call(TransactionRequest::default().to(to).input(data.into()))
            .await
            .map_err(|source| FlowError::Chain { chain_id, what, source })
    }

    async fn read<C: SolCall>(
        &self,
        chain_id: u64,
        what: &'static str,
        to: Address,
        call: &C,
    ) -> Result<C::Return, FlowError> {
        let out = self.eth_call(chain_id, what, to, call.abi_encode()).await?;
        C::abi_decode_returns(&out).map_err(|_| FlowError::ChainAnswer {
            chain_id,
            what,
            len: out.len(),
        })
    }

    /// Whether code exists at `at` on `chain_id`.
    pub async fn has_code(&self, chain_id: u64, at: Address) -> Result<bool, FlowError> {
        let p = self.provider(chain_id)?;
        self.count_chain();
        let code = p.get_code_at(at).await.map_err(|source| FlowError::Chain {
            chain_id,
            what: "getCode",
            source,
        })?;
        Ok(!code.is_empty())
    }

    /// `factory.computeAccountAddress(initData, salt)` on `chain_id`.
    pub(crate) async fn compute_account_address(
        &self,
        chain_id: u64,
        data: Vec<u8>,
    ) -> Result<Address, FlowError> {
        let out =
            self.eth_call(chain_id, "computeAccountAddress", self.version.factory, data).await?;
        computeAccountAddressCall::abi_decode_returns(&out).map_err(|_| FlowError::ChainAnswer {
            chain_id,
            what: "computeAccountAddress",
            len: out.len(),
        })
    }

    /// `EntryPoint.getNonce(sender, key)`: the next sequence of the key's lane.
    pub(crate) async fn entry_point_sequence(
        &self,
        chain_id: u64,
        sender: Address,
        key: U192,
    ) -> Result<u64, FlowError> {
        let nonce: U256 = self
            .read(chain_id, "EntryPoint.getNonce", self.entry_point, &getNonceCall { sender, key })
            .await?;
        // the low 64 bits are the sequence
        Ok(nonce.as_limbs()[0])
    }

    /// `account.isModuleInstalled(1, SmartSessions, 0x)`.
    pub(crate) async fn smart_sessions_installed(
        &self,
        chain_id: u64,
        account: Address,
    ) -> Result<bool, FlowError> {
        let call = isModuleInstalledCall {
            moduleTypeId: U256::from(1),
            module: self.version.smart_sessions.smart_session(),
            additionalContext: Bytes::new(),
        };
        self.read(chain_id, "isModuleInstalled", account, &call).await
    }

    /// `SmartSession.getNonce(permissionId, account)`.
    pub(crate) async fn permission_nonce(
        &self,
        chain_id: u64,
        permission_id: B256,
        account: Address,
    ) -> Result<U256, FlowError> {
        let call = smart_session_abi::getNonceCall { permissionId: permission_id, account };
        self.read(chain_id, "SmartSession.getNonce", self.smart_session(), &call).await
    }

    /// `SmartSession.getSessionDigest(permissionId, account, session, UNSAFE_ENABLE)` in the
    /// generation's layout.
    pub(crate) async fn session_digest(
        &self,
        chain_id: u64,
        permission_id: B256,
        account: Address,
        session: &Session,
    ) -> Result<B256, FlowError> {
        let mut data;
        if self.version.smart_sessions == Generation::Legacy {
            let l = crate::session::to_legacy(session)?;
            data = legacy_abi::getSessionDigestCall::SELECTOR.to_vec();
            data.extend_from_slice(
                &(permission_id, account, l, U256::from(MODE_UNSAFE_ENABLE)).abi_encode_params(),
            );
        } else {
            data = current_abi::getSessionDigestCall::SELECTOR.to_vec();
            data.extend_from_slice(
                &(permission_id, account, session.clone(), U256::from(MODE_UNSAFE_ENABLE))
                    .abi_encode_params(),
            );
        }
        let out = self
            .eth_call(chain_id, "SmartSession.getSessionDigest", self.smart_session(), data)
            .await?;
        B256::abi_decode(&out).map_err(|_| FlowError::ChainAnswer {
            chain_id,
            what: "SmartSession.getSessionDigest",
            len: out.len(),
        })
    }

    /// `SmartSession.isPermissionEnabled(permissionId, account)`.
    pub(crate) async fn permission_enabled(
        &self,
        chain_id: u64,
        permission_id: B256,
        account: Address,
    ) -> Result<bool, FlowError> {
        let data = crate::session::is_permission_enabled_calldata(permission_id, account);
        let out = self
            .eth_call(chain_id, "SmartSession.isPermissionEnabled", self.smart_session(), data)
            .await?;
        crate::session::decode_is_permission_enabled(&out).map_err(|_| FlowError::ChainAnswer {
            chain_id,
            what: "SmartSession.isPermissionEnabled",
            len: out.len(),
        })
    }

    /// ERC-20 `decimals()`.
    pub(crate) async fn token_decimals(
        &self,
        chain_id: u64,
        token: Address,
    ) -> Result<u8, FlowError> {
        self.read(chain_id, "decimals", token, &decimalsCall {}).await
    }

    /// ERC-20 `balanceOf(owner)` of `token` on `chain_id` (the fee a flow paid shows here).
    pub async fn token_balance(
        &self,
        chain_id: u64,
        token: Address,
        owner: Address,
    ) -> Result<U256, FlowError> {
        self.read(chain_id, "balanceOf", token, &balanceOfCall { owner }).await
    }

    fn smart_session(&self) -> Address {
        self.version.smart_sessions.smart_session()
    }
}
