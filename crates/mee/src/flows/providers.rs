//! Access to the providers a [`MeeSessions`] holds, for callers that read more of a chain than
//! the flows do (the CLI's `mee status` reads the sessions' policy state through the client).

use alloy_provider::DynProvider;

use super::MeeSessions;

impl MeeSessions {
    /// The provider given for `chain_id` with [`MeeSessions::chain`], if any.
    pub fn chain_provider(&self, chain_id: u64) -> Option<&DynProvider> {
        self.chains.iter().find(|(c, _)| *c == chain_id).map(|(_, p)| p)
    }
}
