//! Smart Sessions calls: what the owner's account executes (install, enable, trust attesters,
//! remove, revoke) and what a session key puts in `userOp.signature`.

use crate::ClientError;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, sol};
use smart_sessions_codec::{
    AnySession, Execution, Generation, execute::install_module_calldata, install,
};

sol! {
    function trustAttesters(uint8 threshold, address[] attesters);
    function findTrustedAttesters(address account) returns (address[]);
    function isPermissionEnabled(bytes32 permissionId, address account) returns (bool);
    function getNonce(bytes32 permissionId, address account) returns (uint256);
}

async fn view<P: Provider, C: SolCall>(
    p: &P,
    to: Address,
    c: C,
    step: &'static str,
) -> Result<C::Return, ClientError> {
    let out = p
        .call(TransactionRequest::default().to(to).input(Bytes::from(c.abi_encode()).into()))
        .await
        .map_err(|e| ClientError { step, reason: e.to_string() })?;
    C::abi_decode_returns(&out).map_err(|e| ClientError { step, reason: e.to_string() })
}

fn encoding(step: &'static str) -> impl FnOnce(smart_sessions_codec::Error) -> ClientError {
    move |e| ClientError { step, reason: e.to_string() }
}

/// The SmartSession module of one generation at one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmartSessions {
    /// Layout and encodings.
    pub generation: Generation,
    /// The module's address.
    pub address: Address,
}

impl SmartSessions {
    /// The module at the generation's canonical address.
    pub const fn canonical(generation: Generation) -> Self {
        Self { generation, address: generation.smart_session() }
    }

    /// `account.installModule(1, SmartSession, initData)` with optional initial sessions (the
    /// account calls itself).
    pub fn install(
        &self,
        account: Address,
        sessions: &[AnySession],
    ) -> Result<Execution, ClientError> {
        let data = install::install_data(self.generation, sessions, true)
            .map_err(encoding("install data"))?;
        Ok(Execution::new(account, U256::ZERO, install_module_calldata(1, self.address, &data)))
    }

    /// `SmartSession.enableSessions(sessions)`.
    pub fn enable_sessions(&self, sessions: &[AnySession]) -> Result<Execution, ClientError> {
        let data = install::enable_sessions_calldata(self.generation, sessions)
            .map_err(encoding("enableSessions"))?;
        Ok(Execution::new(self.address, U256::ZERO, data))
    }

    /// `SmartSession.removeSession(permissionId)`.
    pub fn remove_session(&self, permission_id: B256) -> Execution {
        Execution::new(self.address, U256::ZERO, install::remove_session_calldata(permission_id))
    }

    /// `SmartSession.revokeEnableSignature(permissionId)`.
    pub fn revoke_enable_signature(&self, permission_id: B256) -> Execution {
        Execution::new(
            self.address,
            U256::ZERO,
            install::revoke_enable_signature_calldata(permission_id),
        )
    }

    /// `isPermissionEnabled(permissionId, account)`.
    pub async fn is_permission_enabled<P: Provider>(
        &self,
        provider: &P,
        permission_id: B256,
        account: Address,
    ) -> Result<bool, ClientError> {
        view(
            provider,
            self.address,
            isPermissionEnabledCall { permissionId: permission_id, account },
            "isPermissionEnabled",
        )
        .await
    }

    /// `getNonce(permissionId, account)`: the nonce the next enable signature must carry.
    pub async fn enable_nonce<P: Provider>(
        &self,
        provider: &P,
        permission_id: B256,
        account: Address,
    ) -> Result<U256, ClientError> {
        view(
            provider,
            self.address,
            getNonceCall { permissionId: permission_id, account },
            "getNonce",
        )
        .await
    }

    /// The USE-mode `userOp.signature` around the session key's signature.
    pub fn use_signature(&self, permission_id: B256, session_key_signature: &[u8]) -> Bytes {
        smart_sessions_codec::encode_use(self.generation, permission_id, session_key_signature)
            .into()
    }

    /// A USE-mode stub of the real size and shape (65-byte ECDSA form, low `s`), so that gas
    /// estimation runs the session validator's real check.
    pub fn stub_use_signature(&self, permission_id: B256) -> Bytes {
        let mut sig = [0x11u8; 65];
        sig[32..64].fill(0x22);
        sig[64] = 27;
        self.use_signature(permission_id, &sig)
    }
}

/// `registry.trustAttesters(threshold, attesters)`, executed by the account.
pub fn trust_attesters(registry: Address, threshold: u8, attesters: &[Address]) -> Execution {
    Execution::new(
        registry,
        U256::ZERO,
        trustAttestersCall { threshold, attesters: attesters.to_vec() }.abi_encode(),
    )
}

/// `registry.findTrustedAttesters(account)`.
pub async fn trusted_attesters<P: Provider>(
    provider: &P,
    registry: Address,
    account: Address,
) -> Result<Vec<Address>, ClientError> {
    view(provider, registry, findTrustedAttestersCall { account }, "findTrustedAttesters").await
}
