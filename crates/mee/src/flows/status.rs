//! `isPermissionEnabled` / `checkEnabledPermissions`.

use alloy_primitives::B256;
use serde_json::{Map, Value};

use crate::{MultichainAccount, SessionDetails, session::fold_enabled};

use super::{FlowError, MeeSessions};

impl MeeSessions {
    /// `isPermissionEnabled`: `SmartSession.isPermissionEnabled(permissionId, account)` on
    /// `chain_id`.
    pub async fn is_permission_enabled(
        &self,
        account: &MultichainAccount,
        permission_id: B256,
        chain_id: u64,
    ) -> Result<bool, FlowError> {
        let address = account.on(chain_id)?.address;
        self.permission_enabled(chain_id, permission_id, address).await
    }

    /// `checkEnabledPermissions(sessionDetails)`: `{permissionId: {chainId: bool}}`, one read
    /// per entry, folded as the SDK folds them ([`fold_enabled`]).
    pub async fn check_enabled_permissions(
        &self,
        account: &MultichainAccount,
        details: &[SessionDetails],
    ) -> Result<Map<String, Value>, FlowError> {
        let mut results = Vec::with_capacity(details.len());
        for d in details {
            let chain_id = d.chain_id();
            let enabled = self.is_permission_enabled(account, d.permission_id, chain_id).await?;
            results.push((d.permission_id, chain_id, enabled));
        }
        Ok(fold_enabled(results))
    }
}
