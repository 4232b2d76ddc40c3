//! Fees: where `maxFeePerGas` and `maxPriorityFeePerGas` come from (the configured source, the
//! first bundler method that exists, or the node), how long they are reused, and the caps every
//! gas value is checked against before signing.

use crate::{
    BundlerApi, ClientError, FlowError, NexusClient, UserOperation,
    client::{GasCaps, GasPriceSource},
};
use alloy_primitives::U256;
use alloy_provider::Provider;
use std::time::Instant;

impl GasCaps {
    /// Refuses `op` if a gas value is above its cap or above `u128::MAX`.
    pub fn check(&self, op: &UserOperation) -> Result<(), FlowError> {
        let width = U256::from(u128::MAX);
        let checks = [
            ("maxFeePerGas", op.max_fee_per_gas, self.max_fee_per_gas),
            ("maxPriorityFeePerGas", op.max_priority_fee_per_gas, self.max_priority_fee_per_gas),
            ("callGasLimit", op.call_gas_limit, self.call_gas_limit),
            ("verificationGasLimit", op.verification_gas_limit, self.verification_gas_limit),
            ("preVerificationGas", op.pre_verification_gas, self.pre_verification_gas),
            (
                "paymasterVerificationGasLimit",
                op.paymaster_verification_gas_limit.unwrap_or_default(),
                self.paymaster_gas_limit,
            ),
            (
                "paymasterPostOpGasLimit",
                op.paymaster_post_op_gas_limit.unwrap_or_default(),
                self.paymaster_gas_limit,
            ),
        ];
        for (field, value, cap) in checks {
            let cap = cap.min(width);
            if value > cap {
                return Err(FlowError::GasAboveCap { field, value, cap });
            }
        }
        Ok(())
    }
}

impl<N: Provider, B: Provider> NexusClient<N, B> {
    /// `(maxFeePerGas, maxPriorityFeePerGas)` from the configured source.
    ///
    /// Fees read less than [`ClientOptions::gas_price_max_age`] ago are reused (no request).
    ///
    /// [`ClientOptions::gas_price_max_age`]: crate::ClientOptions::gas_price_max_age
    pub async fn gas_price(&self) -> Result<(U256, U256), FlowError> {
        let max_age = self.options.gas_price_max_age;
        let cached = self.state().fees;
        if let Some((at, fees)) = cached
            && at.elapsed() < max_age
        {
            return Ok(fees);
        }
        let at = Instant::now();
        let fees = self.read_gas_price().await?;
        if !max_age.is_zero() {
            self.state().fees = Some((at, fees));
        }
        Ok(fees)
    }

    /// Forgets the reused fees (after a bundler refused them as too low).
    pub(crate) fn drop_fees(&self) {
        self.state().fees = None;
    }

    async fn read_gas_price(&self) -> Result<(U256, U256), FlowError> {
        let source = self.state().gas.unwrap_or(self.options.gas_price);
        let found = match source {
            GasPriceSource::Fixed { max_fee_per_gas, max_priority_fee_per_gas } => {
                return Ok((max_fee_per_gas, max_priority_fee_per_gas));
            }
            GasPriceSource::Auto => {
                let mut found = None;
                for s in
                    [GasPriceSource::Pimlico, GasPriceSource::Biconomy, GasPriceSource::Rundler]
                {
                    match self.gas_price_from(s).await {
                        Ok(p) => {
                            found = Some((s, p));
                            break;
                        }
                        Err(e) if e.is_method_not_found() => {
                            tracing::debug!(source = ?s, "gas price method not found");
                        }
                        Err(e) => return Err(e),
                    }
                }
                match found {
                    Some(f) => f,
                    None => {
                        (GasPriceSource::Node, self.gas_price_from(GasPriceSource::Node).await?)
                    }
                }
            }
            s => return self.gas_price_from(s).await,
        };
        tracing::debug!(source = ?found.0, "gas price source");
        self.state().gas = Some(found.0);
        Ok(found.1)
    }

    async fn gas_price_from(&self, source: GasPriceSource) -> Result<(U256, U256), FlowError> {
        match source {
            GasPriceSource::Fixed { max_fee_per_gas, max_priority_fee_per_gas } => {
                Ok((max_fee_per_gas, max_priority_fee_per_gas))
            }
            GasPriceSource::Pimlico => {
                self.bounded("pimlico_getUserOperationGasPrice", self.bundler.pimlico_gas_price())
                    .await
            }
            GasPriceSource::Biconomy => {
                self.bounded("biconomy_getGasFeeValues", self.bundler.biconomy_gas_fee_values())
                    .await
            }
            GasPriceSource::Rundler => {
                let tip = self
                    .bounded(
                        "rundler_maxPriorityFeePerGas",
                        self.bundler.rundler_max_priority_fee_per_gas(),
                    )
                    .await?;
                let price = self
                    .bounded("eth_gasPrice", async {
                        self.node
                            .get_gas_price()
                            .await
                            .map_err(|e| ClientError::node("eth_gasPrice", e))
                    })
                    .await?;
                let max = U256::from(price).saturating_mul(U256::from(2)).saturating_add(tip);
                Ok((max, tip))
            }
            GasPriceSource::Node | GasPriceSource::Auto => {
                let fail =
                    |e: alloy_transport::TransportError| ClientError::node("node gas price", e);
                let mut batch = alloy_rpc_client::BatchRequest::new(self.node.client());
                let price = batch.add_call::<_, U256>("eth_gasPrice", &()).map_err(fail)?;
                let tip =
                    batch.add_call::<_, U256>("eth_maxPriorityFeePerGas", &()).map_err(fail)?;
                self.bounded("node gas price", async { batch.send().await.map_err(fail) }).await?;
                let (price, tip) = (price.await.map_err(fail)?, tip.await.map_err(fail)?);
                let max = price.saturating_mul(U256::from(2)).max(tip);
                Ok((max, tip))
            }
        }
    }
}

#[cfg(test)]
mod tests;
