//! Checking that a deployment table's contracts have code on the chain, in one batch.

use super::*;

/// Why a table does not fit a chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// Contracts of the table have no code on the chain.
    #[error("no contract code on chain {chain_id} for: {}", list(missing))]
    Missing {
        /// The chain id the node reported (`eth_chainId`).
        chain_id: u64,
        /// Each missing contract: the table's field name (JSON) and its address.
        missing: Vec<(&'static str, Address)>,
    },
    /// The table leaves a required contract unset (zero address).
    #[error("the deployment table has no {field}")]
    Unset {
        /// The table's field left at the zero address (JSON name, e.g. `smartSession`).
        field: &'static str,
    },
    /// The node did not answer the batch.
    #[error("detecting the deployment: {step}")]
    Rpc {
        /// `eth_chainId` or `eth_getCode`.
        step: &'static str,
        /// The node's or the transport's error.
        #[source]
        source: alloy_transport::TransportError,
    },
}

fn list(missing: &[(&'static str, Address)]) -> String {
    missing.iter().map(|(f, a)| format!("{f} {a}")).collect::<Vec<_>>().join(", ")
}

impl Deployments {
    /// Every contract of the table with its field name (JSON), in field order; unset optional
    /// fields are left out.
    pub fn contracts(&self) -> Vec<(&'static str, Address)> {
        let mut v = vec![
            ("entryPoint", self.entry_point),
            ("smartSession", self.smart_session),
            ("registry", self.registry),
            ("ownerValidator", self.owner_validator),
        ];
        let optional = [
            ("sessionKeyValidator", self.session_key_validator),
            ("nexusFactory", self.nexus_factory),
            ("nexusBootstrap", self.nexus_bootstrap),
            ("k1ValidatorFactory", self.k1_validator_factory),
        ];
        v.extend(optional.into_iter().filter_map(|(f, a)| Some((f, a?))));
        v.push(("sudoPolicy", self.sudo_policy));
        v.push(("uniActionPolicy", self.uni_action_policy));
        let policies = [
            ("timeFramePolicy", self.time_frame_policy),
            ("usageLimitPolicy", self.usage_limit_policy),
            ("valueLimitPolicy", self.value_limit_policy),
            ("spendingLimitsPolicy", self.spending_limits_policy),
            ("v1SpendingLimitsPolicy", self.v1_spending_limits_policy),
        ];
        v.extend(policies.into_iter().filter_map(|(f, a)| Some((f, a?))));
        v
    }

    /// Checks that the chain behind `provider` has code at every contract of the table
    /// ([`contracts`](Self::contracts)): `eth_chainId` and one `eth_getCode` each, all in one
    /// JSON-RPC batch (one round trip). Errors name every missing contract; a zero address is
    /// [`DetectError::Unset`].
    pub async fn detect<P: Provider>(&self, provider: &P) -> Result<(), DetectError> {
        let contracts = self.contracts();
        if let Some((field, _)) = contracts.iter().find(|(_, a)| a.is_zero()) {
            return Err(DetectError::Unset { field });
        }
        let client = provider.client();
        let mut batch = alloy_rpc_client::BatchRequest::new(client);
        let rpc = |step| move |source| DetectError::Rpc { step, source };
        let chain = batch
            .add_call::<_, alloy_primitives::U64>("eth_chainId", &())
            .map_err(rpc("eth_chainId"))?;
        let codes = contracts
            .iter()
            .map(|(_, a)| batch.add_call::<_, Bytes>("eth_getCode", &(a, "latest")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(rpc("eth_getCode"))?;
        batch.send().await.map_err(rpc("eth_getCode"))?;
        let chain_id = chain.await.map_err(rpc("eth_chainId"))?.to::<u64>();
        let mut missing = Vec::new();
        for ((field, address), code) in contracts.into_iter().zip(codes) {
            if code.await.map_err(rpc("eth_getCode"))?.is_empty() {
                missing.push((field, address));
            }
        }
        if missing.is_empty() { Ok(()) } else { Err(DetectError::Missing { chain_id, missing }) }
    }
}
