//! The chain reads of the session flows, through an alloy [`Provider`] per chain: every
//! `eth_call` goes through a contract instance of `smart-sessions-bindings` (`call_raw`, then the
//! call builder's `decode_output`, so a failed call keeps its transport error and an answer that
//! does not decode keeps its length).

use alloy_contract::SolCallBuilder;
use alloy_primitives::{Address, B256, Bytes, U256, aliases::U192};
use alloy_provider::{DynProvider, Provider, transport::TransportErrorKind};
use alloy_sol_types::SolCall;
use smart_sessions_bindings::{
    common::{entry_point::EntryPoint, nexus::Nexus, nexus_account_factory::NexusAccountFactory},
    current,
    erc20::ERC20,
    legacy,
};
use smart_sessions_codec::{Generation, Session};

use super::{FlowError, MeeSessions, session_abi};

/// `SmartSessionMode.UNSAFE_ENABLE`, the mode the SDK reads digests with.
const MODE_UNSAFE_ENABLE: u8 = 2;

/// A failed `eth_call` as [`FlowError::Chain`], its transport error kept as the source.
fn chain_error(chain_id: u64, what: &'static str, e: alloy_contract::Error) -> FlowError {
    let source = match e {
        alloy_contract::Error::TransportError(source) => source,
        other => TransportErrorKind::custom(other),
    };
    FlowError::Chain { chain_id, what, source }
}

impl MeeSessions {
    pub(crate) fn provider(&self, chain_id: u64) -> Result<&DynProvider, FlowError> {
        self.chains
            .iter()
            .find(|(c, _)| *c == chain_id)
            .map(|(_, p)| p)
            .ok_or(FlowError::NoChain { chain_id })
    }

    /// One `eth_call` of a bindings call builder (counted), decoded by the builder.
    async fn read<P: Provider, C: SolCall>(
        &self,
        chain_id: u64,
        what: &'static str,
        call: SolCallBuilder<P, C>,
    ) -> Result<C::Return, FlowError> {
        self.count_chain();
        let out = call.call_raw().await.map_err(|e| chain_error(chain_id, what, e))?;
        let len = out.len();
        call.decode_output(out).map_err(|_| FlowError::ChainAnswer { chain_id, what, len })
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
        init_data: Bytes,
        salt: B256,
    ) -> Result<Address, FlowError> {
        let factory = NexusAccountFactory::new(self.version.factory, self.provider(chain_id)?);
        let call = factory.computeAccountAddress(init_data, salt);
        self.read(chain_id, "computeAccountAddress", call).await
    }

    /// `EntryPoint.getNonce(sender, key)`: the next sequence of the key's lane.
    pub(crate) async fn entry_point_sequence(
        &self,
        chain_id: u64,
        sender: Address,
        key: U192,
    ) -> Result<u64, FlowError> {
        let entry_point = EntryPoint::new(self.entry_point, self.provider(chain_id)?);
        let nonce: U256 =
            self.read(chain_id, "EntryPoint.getNonce", entry_point.getNonce(sender, key)).await?;
        // the low 64 bits are the sequence
        Ok(nonce.as_limbs()[0])
    }

    /// `account.isModuleInstalled(1, SmartSessions, 0x)`.
    pub(crate) async fn smart_sessions_installed(
        &self,
        chain_id: u64,
        account: Address,
    ) -> Result<bool, FlowError> {
        let nexus = Nexus::new(account, self.provider(chain_id)?);
        let call = nexus.isModuleInstalled(U256::from(1), self.smart_session(), Bytes::new());
        self.read(chain_id, "isModuleInstalled", call).await
    }

    /// `SmartSession.getNonce(permissionId, account)` (the same ABI in every generation: read
    /// through the current generation's binding at the version's module).
    pub(crate) async fn permission_nonce(
        &self,
        chain_id: u64,
        permission_id: B256,
        account: Address,
    ) -> Result<U256, FlowError> {
        let ss = current::smart_session::SmartSession::new(
            self.smart_session(),
            self.provider(chain_id)?,
        );
        self.read(chain_id, "SmartSession.getNonce", ss.getNonce(permission_id, account)).await
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
        const WHAT: &str = "SmartSession.getSessionDigest";
        let p = self.provider(chain_id)?;
        if self.version.smart_sessions == Generation::Legacy {
            let l = session_abi::legacy_session(&crate::session::to_legacy(session)?);
            let ss = legacy::smart_session::SmartSession::new(self.smart_session(), p);
            let call = ss.getSessionDigest(permission_id, account, l, MODE_UNSAFE_ENABLE);
            self.read(chain_id, WHAT, call).await
        } else {
            let c = session_abi::current_session(session);
            let ss = current::smart_session::SmartSession::new(self.smart_session(), p);
            let call = ss.getSessionDigest(permission_id, account, c, MODE_UNSAFE_ENABLE);
            self.read(chain_id, WHAT, call).await
        }
    }

    /// `SmartSession.isPermissionEnabled(permissionId, account)` (the same ABI in every
    /// generation: read through the current generation's binding at the version's module).
    pub(crate) async fn permission_enabled(
        &self,
        chain_id: u64,
        permission_id: B256,
        account: Address,
    ) -> Result<bool, FlowError> {
        let ss = current::smart_session::SmartSession::new(
            self.smart_session(),
            self.provider(chain_id)?,
        );
        let call = ss.isPermissionEnabled(permission_id, account);
        self.read(chain_id, "SmartSession.isPermissionEnabled", call).await
    }

    /// ERC-20 `decimals()`.
    pub(crate) async fn token_decimals(
        &self,
        chain_id: u64,
        token: Address,
    ) -> Result<u8, FlowError> {
        let erc20 = ERC20::new(token, self.provider(chain_id)?);
        self.read(chain_id, "decimals", erc20.decimals()).await
    }

    /// ERC-20 `balanceOf(owner)` of `token` on `chain_id` (the fee a flow paid shows here).
    pub async fn token_balance(
        &self,
        chain_id: u64,
        token: Address,
        owner: Address,
    ) -> Result<U256, FlowError> {
        let erc20 = ERC20::new(token, self.provider(chain_id)?);
        self.read(chain_id, "balanceOf", erc20.balanceOf(owner)).await
    }

    fn smart_session(&self) -> Address {
        self.version.smart_sessions.smart_session()
    }
}
