//! Sending user operations: nonces per validator lane, gas prices, the estimate, the signature,
//! the send and the receipt wait.

use crate::{
    BundlerApi, BundlerError, ClientError, FlowError, NexusClient, Refusal, Sent, UserOperation,
    UserOperationReceipt,
    client::{GasPriceSource, personal_sign},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::Provider;
use alloy_signer::Signer;
use smart_sessions_codec::Execution;
use std::time::{Duration, Instant};
use tracing::Instrument;

impl<N: Provider, B: Provider> NexusClient<N, B> {
    async fn nonce(&self, validator: Address) -> Result<U256, FlowError> {
        if let Some(n) = self.state().nonces.get(&validator) {
            return Ok(*n);
        }
        let n = self.account.nonce(&self.node, validator).await?;
        self.state().nonces.insert(validator, n);
        Ok(n)
    }

    /// `(maxFeePerGas, maxPriorityFeePerGas)` from the configured source.
    pub async fn gas_price(&self) -> Result<(U256, U256), FlowError> {
        let source = self.state().gas.unwrap_or(self.options.gas_price);
        let node = || async {
            let mut batch = alloy_rpc_client::BatchRequest::new(self.node.client());
            let fail = |e: alloy_transport::TransportError| ClientError {
                step: "node gas price",
                reason: e.to_string(),
            };
            let price = batch.add_call::<_, U256>("eth_gasPrice", &()).map_err(fail)?;
            let tip = batch.add_call::<_, U256>("eth_maxPriorityFeePerGas", &()).map_err(fail)?;
            batch.send().await.map_err(fail)?;
            let (price, tip) = (price.await.map_err(fail)?, tip.await.map_err(fail)?);
            let max = price.saturating_mul(U256::from(2)).max(tip);
            Ok::<_, FlowError>((max, tip))
        };
        let found = match source {
            GasPriceSource::Fixed { max_fee_per_gas, max_priority_fee_per_gas } => {
                return Ok((max_fee_per_gas, max_priority_fee_per_gas));
            }
            GasPriceSource::Pimlico => return Ok(self.bundler.pimlico_gas_price().await?),
            GasPriceSource::Biconomy => return Ok(self.bundler.biconomy_gas_fee_values().await?),
            GasPriceSource::Node => return node().await,
            GasPriceSource::Auto => {
                if let Ok(p) = self.bundler.pimlico_gas_price().await {
                    (GasPriceSource::Pimlico, p)
                } else if let Ok(p) = self.bundler.biconomy_gas_fee_values().await {
                    (GasPriceSource::Biconomy, p)
                } else {
                    (GasPriceSource::Node, node().await?)
                }
            }
        };
        tracing::debug!(source = ?found.0, "gas price source");
        self.state().gas = Some(found.0);
        Ok(found.1)
    }

    /// Builds, estimates (with `stub` as the signature, so validation runs its real path), signs
    /// (`sign` gets the user-op hash and returns the final signature) and sends an operation of
    /// the `validator` lane, then waits for the receipt. An included operation whose call
    /// reverted is [`FlowError::Reverted`]; a stale nonce (`AA25`) or deployment (`AA10`) is
    /// re-read and the operation retried once.
    pub async fn send_operation<F, Fut>(
        &self,
        validator: Address,
        calls: &[Execution],
        stub: Bytes,
        sign: F,
    ) -> Result<Sent, FlowError>
    where
        F: Fn(B256) -> Fut,
        Fut: std::future::Future<Output = Result<Bytes, FlowError>>,
    {
        let span = tracing::info_span!(
            "user_operation",
            chain_id = self.chain_id,
            sender = %self.account.address,
            validator = %validator,
            calls = calls.len(),
            user_op_hash = tracing::field::Empty,
        );
        async {
            match self.try_send(validator, calls, &stub, &sign).await {
                Err(FlowError::Bundler(BundlerError {
                    refusal: Refusal::EntryPoint { code: code @ (10 | 25), .. },
                    ..
                })) => {
                    tracing::debug!(
                        code,
                        "stale account state (AA10: deployed, AA25: nonce): re-reading"
                    );
                    {
                        let mut st = self.state();
                        st.nonces.remove(&validator);
                        st.deployed = None;
                        st.installed = None;
                    }
                    self.try_send(validator, calls, &stub, &sign).await
                }
                other => other,
            }
        }
        .instrument(span)
        .await
    }

    async fn try_send<F, Fut>(
        &self,
        validator: Address,
        calls: &[Execution],
        stub: &Bytes,
        sign: &F,
    ) -> Result<Sent, FlowError>
    where
        F: Fn(B256) -> Fut,
        Fut: std::future::Future<Output = Result<Bytes, FlowError>>,
    {
        let start = Instant::now();
        let ep = self.deployments.entry_point;
        let deployed = self.is_deployed().await?;
        let call_data = smart_sessions_codec::execute::execute_calls(calls)
            .map_err(|e| ClientError { step: "execute calldata", reason: e.to_string() })?;
        let with_factory = !deployed && !self.account.factory_data.is_empty();
        let mut op = UserOperation {
            sender: self.account.address,
            nonce: self.nonce(validator).await?,
            factory: with_factory.then_some(self.account.deployment.factory),
            factory_data: with_factory.then(|| self.account.factory_data.clone()),
            call_data: call_data.into(),
            signature: stub.clone(),
            ..Default::default()
        };
        // fees and limits are independent: ask for both at once
        let (price, estimate) =
            tokio::join!(self.gas_price(), self.bundler.estimate_user_operation_gas(&op, ep));
        let (max_fee, tip) = price?;
        let gas = estimate?;
        op.max_fee_per_gas = max_fee;
        op.max_priority_fee_per_gas = tip;
        op.call_gas_limit = gas.call_gas_limit;
        op.verification_gas_limit = gas.verification_gas_limit;
        op.pre_verification_gas = gas.pre_verification_gas;
        let hash = op.hash(ep, self.chain_id);
        tracing::Span::current().record("user_op_hash", tracing::field::display(hash));
        op.signature = sign(hash).await?;
        let sent_hash = self.bundler.send_user_operation(&op, ep).await?;
        // the nonce is used once the bundler accepted the operation
        self.state().nonces.insert(validator, op.nonce + U256::from(1));
        let receipt = match self.wait_receipt(sent_hash).await {
            Ok(r) => r,
            Err(e) => {
                self.state().nonces.remove(&validator);
                return Err(e.into());
            }
        };
        if with_factory {
            self.state().deployed = Some(true);
        }
        if !receipt.success {
            let reason = receipt.reason.as_ref().and_then(|r| crate::bundler::decode_revert(r));
            return Err(FlowError::Reverted {
                user_op_hash: sent_hash,
                reason,
                receipt: Box::new(receipt),
            });
        }
        Ok(Sent { user_op_hash: sent_hash, receipt, user_op: op, latency: start.elapsed() })
    }

    /// Polls for the receipt: first after the slowest of the last four inclusion times this
    /// client saw (a miss costs a round trip, a late poll only milliseconds), then every quarter
    /// of that (at least 25 ms, doubling up to 1 s).
    async fn wait_receipt(&self, hash: B256) -> Result<UserOperationReceipt, BundlerError> {
        let start = Instant::now();
        let expected = self.state().inclusion.iter().max().copied();
        let first = expected.unwrap_or(Duration::from_millis(50));
        tokio::time::sleep(first).await;
        let mut delay = (first / 4).max(Duration::from_millis(25));
        loop {
            if let Some(r) = self.bundler.user_operation_receipt(hash).await? {
                let mut st = self.state();
                if st.inclusion.len() == 4 {
                    st.inclusion.remove(0);
                }
                st.inclusion.push(start.elapsed());
                return Ok(r);
            }
            if start.elapsed() >= self.options.receipt_timeout {
                self.state().inclusion.clear();
                return Err(BundlerError {
                    method: "eth_getUserOperationReceipt",
                    code: None,
                    refusal: Refusal::Other(format!(
                        "no receipt for {hash} within {:?}",
                        self.options.receipt_timeout
                    )),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// An operation of the owner through the owner validator (K1-style: EIP-191 signature of
    /// the user-op hash).
    pub async fn owner_execute<S: Signer + Sync>(
        &self,
        owner: &S,
        calls: &[Execution],
    ) -> Result<Sent, FlowError> {
        self.send_operation(
            self.deployments.owner_validator,
            calls,
            crate::sessions::stub_ecdsa_signature().to_vec().into(),
            |hash| async move { Ok(personal_sign(owner, hash).await?.to_vec().into()) },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    //! The gas-price fallbacks' response handling, on alloy's mock transport (queued JSON-RPC
    //! answers): which methods are asked in which order, and that the source is remembered.
    use super::*;
    use crate::{ClientOptions, client::test_support::client};
    use alloy_json_rpc::ErrorPayload;
    use alloy_transport::mock::Asserter;
    use serde_json::json;

    fn not_found() -> ErrorPayload {
        ErrorPayload { code: -32601, message: "Method not found".into(), data: None }
    }

    #[tokio::test]
    async fn auto_falls_back_to_biconomy_then_remembers_it() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler);
        bundler.push_failure(not_found());
        // biconomy_getGasFeeValues: decimal strings and hex both accepted
        let tier = json!({ "maxFeePerGas": "1000", "maxPriorityFeePerGas": "0x10" });
        bundler.push_success(&json!({ "slow": tier, "standard": tier, "fast": tier }));
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(1000), U256::from(16)));
        // remembered: exactly one call the second time (a pimlico call would take this answer
        // and leave the next one unanswered)
        let fast = json!({ "maxFeePerGas": 7, "maxPriorityFeePerGas": 2 });
        bundler.push_success(&json!({ "slow": fast, "standard": fast, "fast": fast }));
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(7), U256::from(2)));
        assert!(bundler.read_q().is_empty());
        assert!(node.read_q().is_empty());
    }

    #[tokio::test]
    async fn auto_falls_back_to_the_node_in_one_batch() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler);
        bundler.push_failure(not_found());
        bundler.push_failure(not_found());
        node.push_success(&"0x64"); // eth_gasPrice 100
        node.push_success(&"0x5"); // eth_maxPriorityFeePerGas 5
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(200), U256::from(5)));
        node.push_success(&"0x10");
        node.push_success(&"0x1");
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(32), U256::from(1)));
        assert!(bundler.read_q().is_empty());
    }

    #[tokio::test]
    async fn a_malformed_biconomy_answer_is_an_error_naming_the_value() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler).with_options(ClientOptions {
            gas_price: GasPriceSource::Biconomy,
            ..ClientOptions::default()
        });
        let tier = json!({ "maxFeePerGas": "12abc", "maxPriorityFeePerGas": "1" });
        bundler.push_success(&json!({ "slow": tier, "standard": tier, "fast": tier }));
        let e = c.gas_price().await.unwrap_err().to_string();
        assert!(e.contains("biconomy_getGasFeeValues") && e.contains("12abc"), "{e}");
    }
}
