//! Sending user operations: nonces reserved per lane, gas prices, the estimate, the caps, the
//! signature, the send, and the receipt wait, each request bounded in time.
//!
//! What a caller can rely on: an operation is sent at most once per call (the one retry, after
//! `AA10`/`AA25`, happens only when the bundler refused the first attempt, so nothing of it was
//! in its mempool); whenever the signed operation may have reached the bundler and its fate is
//! not known, the error is [`FlowError::OutcomeUnknown`] with its hash, sender and nonce.

use crate::{
    BundlerApi, ClientError, FlowError, NexusClient, Refusal, Sent, UserOperation,
    UserOperationReceipt,
    client::{GasCaps, GasPriceSource, LaneState, personal_sign},
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_provider::Provider;
use alloy_signer::Signer;
use smart_sessions_codec::{Execution, NexusNonceKey};
use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};
use tracing::Instrument;

/// The lane a permission's operations use by default ([`Lanes::PerPermission`]): the
/// SmartSession validator's nonce key with the batch key taken from
/// `keccak256("smart-sessions lane" ‖ permissionId)` (its first three bytes). Every process
/// derives the same lane for a permission and different lanes for different permissions (up to
/// a 2^-24 chance per pair), without coordinating.
///
/// [`Lanes::PerPermission`]: crate::Lanes::PerPermission
pub fn permission_lane(smart_session: Address, permission_id: B256) -> NexusNonceKey {
    let h = keccak256([b"smart-sessions lane".as_slice(), permission_id.as_slice()].concat());
    let batch_key = u32::from_be_bytes([0, h[0], h[1], h[2]]);
    let key = NexusNonceKey::new(smart_session);
    key.with_batch_key(batch_key).unwrap_or(key)
}

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
    /// `fut` bounded by the request timeout; its expiry is [`FlowError::Timeout`] naming `step`.
    pub(crate) async fn bounded<T, E>(
        &self,
        step: &'static str,
        fut: impl Future<Output = Result<T, E>>,
    ) -> Result<T, FlowError>
    where
        FlowError: From<E>,
    {
        let after = self.options.request_timeout;
        match tokio::time::timeout(after, fut).await {
            Ok(r) => r.map_err(Into::into),
            Err(_) => Err(FlowError::Timeout { step, after }),
        }
    }

    pub(crate) fn lane(&self, key: NexusNonceKey) -> Arc<tokio::sync::Mutex<LaneState>> {
        self.state().lanes.entry(key).or_default().clone()
    }

    /// The lane's next nonce: remembered, or read from chain (skipping nonces of operations
    /// still in flight).
    async fn next_nonce(
        &self,
        key: NexusNonceKey,
        lane: &mut LaneState,
    ) -> Result<U256, FlowError> {
        if let Some(n) = lane.next {
            return Ok(n);
        }
        let chain =
            self.bounded("EntryPoint.getNonce", self.account.nonce_of_key(&self.node, key)).await?;
        lane.in_flight.retain(|n| *n >= chain);
        let next = lane.in_flight.last().map_or(chain, |n| (*n + U256::from(1)).max(chain));
        lane.next = Some(next);
        Ok(next)
    }

    /// `(maxFeePerGas, maxPriorityFeePerGas)` from the configured source.
    pub async fn gas_price(&self) -> Result<(U256, U256), FlowError> {
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

    /// Checks once per client that the bundler serves this client's EntryPoint
    /// (`eth_supportedEntryPoints`; a bundler without the method is taken at its word).
    async fn check_entry_point(&self) -> Result<(), FlowError> {
        if self.state().entry_point_checked {
            return Ok(());
        }
        let ep = self.deployments.entry_point;
        match self.bounded("eth_supportedEntryPoints", self.bundler.bundler_entry_points()).await {
            Ok(list) if !list.contains(&ep) => {
                return Err(FlowError::EntryPointUnsupported { entry_point: ep, supported: list });
            }
            Ok(_) => {}
            Err(e) if e.is_method_not_found() => {}
            Err(e) => return Err(e),
        }
        self.state().entry_point_checked = true;
        Ok(())
    }

    /// Builds, estimates (with `stub` as the signature, so validation runs its real path), signs
    /// (`sign` gets the user-op hash and returns the final signature) and sends an operation on
    /// `lane` (a Nexus nonce key: validator and batch key), then waits for the receipt.
    ///
    /// An included operation whose call reverted is [`FlowError::Reverted`]; a stale nonce
    /// (`AA25`) or deployment (`AA10`) refused by the bundler is re-read and the operation
    /// retried once (the bundler refused it, so nothing was in its mempool); an operation that
    /// may have reached the bundler without a known fate is [`FlowError::OutcomeUnknown`] and
    /// never retried.
    pub async fn send_operation<F, Fut>(
        &self,
        lane: NexusNonceKey,
        calls: &[Execution],
        stub: Bytes,
        sign: F,
    ) -> Result<Sent, FlowError>
    where
        F: Fn(B256) -> Fut,
        Fut: Future<Output = Result<Bytes, FlowError>>,
    {
        let span = tracing::info_span!(
            "user_operation",
            chain_id = self.chain_id,
            sender = %self.account.address,
            validator = %lane.validator,
            lane = lane.batch_key(),
            calls = calls.len(),
            user_op_hash = tracing::field::Empty,
        );
        async {
            match self.try_send(lane, calls, &stub, &sign).await {
                Err(FlowError::Bundler(b))
                    if matches!(b.refusal, Refusal::EntryPoint { code: 10 | 25, .. }) =>
                {
                    tracing::debug!(
                        error = %b,
                        "stale account state (AA10: deployed, AA25: nonce): re-reading"
                    );
                    self.lane(lane).lock().await.next = None;
                    {
                        let mut st = self.state();
                        st.deployed = None;
                        st.installed = None;
                    }
                    self.try_send(lane, calls, &stub, &sign).await
                }
                other => other,
            }
        }
        .instrument(span)
        .await
    }

    async fn try_send<F, Fut>(
        &self,
        key: NexusNonceKey,
        calls: &[Execution],
        stub: &Bytes,
        sign: &F,
    ) -> Result<Sent, FlowError>
    where
        F: Fn(B256) -> Fut,
        Fut: Future<Output = Result<Bytes, FlowError>>,
    {
        let start = Instant::now();
        let ep = self.deployments.entry_point;
        let call_data = smart_sessions_codec::execute::execute_calls(calls)
            .map_err(|source| ClientError::Encoding { step: "execute calldata", source })?;
        self.check_entry_point().await?;
        let deployed = self.is_deployed().await?;
        let with_factory = !deployed && !self.account.factory_data.is_empty();
        // the lane is held from the nonce's reservation until the bundler accepted or refused
        // the operation: concurrent operations of one lane get consecutive nonces and reach the
        // bundler in nonce order
        let lane_lock = self.lane(key);
        let mut lane = lane_lock.lock().await;
        let nonce = self.next_nonce(key, &mut lane).await?;
        let mut op = UserOperation {
            sender: self.account.address,
            nonce,
            factory: with_factory.then_some(self.account.deployment.factory),
            factory_data: with_factory.then(|| self.account.factory_data.clone()),
            call_data: call_data.into(),
            signature: stub.clone(),
            ..Default::default()
        };
        // fees and limits are independent: ask for both at once
        let (price, estimate) = tokio::join!(
            self.gas_price(),
            self.bounded(
                "eth_estimateUserOperationGas",
                self.bundler.estimate_user_op_gas(&op, ep)
            )
        );
        let (max_fee, tip) = price?;
        let gas = estimate?;
        op.max_fee_per_gas = max_fee;
        op.max_priority_fee_per_gas = tip;
        op.call_gas_limit = gas.call_gas_limit;
        op.verification_gas_limit = gas.verification_gas_limit;
        op.pre_verification_gas = gas.pre_verification_gas;
        self.options.gas_caps.check(&op)?;
        let hash = op.hash(ep, self.chain_id);
        tracing::Span::current().record("user_op_hash", tracing::field::display(hash));
        op.signature = sign(hash).await?;
        let (sender, nonce) = (op.sender, op.nonce);
        let unknown = |step, source| FlowError::OutcomeUnknown {
            user_op_hash: hash,
            sender,
            nonce,
            step,
            source: Box::new(source),
        };
        let sent = self.bounded("eth_sendUserOperation", self.bundler.send_user_op(&op, ep)).await;
        match sent {
            // a JSON-RPC error answer: the bundler refused, nothing is in its mempool
            Err(FlowError::Bundler(b)) if b.code.is_some() => return Err(FlowError::Bundler(b)),
            Err(e) => {
                // no answer (lost, unparseable, timed out): the operation may be in the mempool
                lane.next = Some(nonce + U256::from(1));
                lane.in_flight.insert(nonce);
                return Err(unknown("eth_sendUserOperation", e));
            }
            Ok(returned) if returned != hash => {
                lane.next = Some(nonce + U256::from(1));
                lane.in_flight.insert(nonce);
                return Err(FlowError::HashMismatch { expected: hash, returned, sender, nonce });
            }
            Ok(_) => {
                lane.next = Some(nonce + U256::from(1));
                lane.in_flight.insert(nonce);
            }
        }
        drop(lane);
        let receipt = match self.wait_receipt(hash, sender, nonce).await {
            Ok(r) => r,
            Err(e @ FlowError::ReceiptMismatch { .. }) => return Err(e),
            Err(e) => return Err(unknown("eth_getUserOperationReceipt", e)),
        };
        lane_lock.lock().await.in_flight.remove(&nonce);
        if with_factory {
            self.state().deployed = Some(true);
        }
        if !receipt.success {
            let reason = receipt.reason.as_ref().and_then(|r| crate::bundler::decode_revert(r));
            return Err(FlowError::Reverted {
                user_op_hash: hash,
                reason,
                receipt: Box::new(receipt),
            });
        }
        Ok(Sent { user_op_hash: hash, receipt, user_op: op, latency: start.elapsed() })
    }

    /// Waits for the receipt of `hash` within the receipt timeout (each poll within the request
    /// timeout), and checks that it is for `sender` and `nonce`. Polls first after the slowest
    /// of the last four inclusion times this client saw (a miss costs a round trip, a late poll
    /// only milliseconds), then every quarter of that (at least 25 ms, doubling up to 1 s).
    pub(crate) async fn wait_receipt(
        &self,
        hash: B256,
        sender: Address,
        nonce: U256,
    ) -> Result<UserOperationReceipt, FlowError> {
        let bound = self.options.receipt_timeout;
        let start = Instant::now();
        let poll = async {
            let expected = self.state().inclusion.iter().max().copied();
            let first = expected.unwrap_or(Duration::from_millis(50));
            tokio::time::sleep(first).await;
            let mut delay = (first / 4).max(Duration::from_millis(25));
            loop {
                let r = self
                    .bounded("eth_getUserOperationReceipt", self.bundler.user_op_receipt(hash))
                    .await?;
                if let Some(r) = r {
                    return Ok::<_, FlowError>(r);
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
        };
        let receipt = match tokio::time::timeout(bound, poll).await {
            Ok(r) => r?,
            Err(_) => {
                self.state().inclusion.clear();
                return Err(FlowError::Timeout {
                    step: "eth_getUserOperationReceipt",
                    after: bound,
                });
            }
        };
        if receipt.sender != sender || receipt.nonce != nonce || receipt.user_op_hash != hash {
            return Err(FlowError::ReceiptMismatch {
                user_op_hash: hash,
                sender,
                nonce,
                receipt_sender: receipt.sender,
                receipt_nonce: receipt.nonce,
            });
        }
        let mut st = self.state();
        if st.inclusion.len() == 4 {
            st.inclusion.remove(0);
        }
        st.inclusion.push(start.elapsed());
        Ok(receipt)
    }

    /// An operation of the owner through the owner validator's lane 0 (K1-style: EIP-191
    /// signature of the user-op hash).
    pub async fn owner_execute<S: Signer + Sync>(
        &self,
        owner: &S,
        calls: &[Execution],
    ) -> Result<Sent, FlowError> {
        self.owner_execute_on_lane(owner, calls, 0).await
    }

    /// [`owner_execute`](Self::owner_execute) on the owner validator's lane `batch_key` (24
    /// bits): for owners sending from several processes at once, one lane each.
    pub async fn owner_execute_on_lane<S: Signer + Sync>(
        &self,
        owner: &S,
        calls: &[Execution],
        batch_key: u32,
    ) -> Result<Sent, FlowError> {
        let lane = NexusNonceKey::new(self.deployments.owner_validator)
            .with_batch_key(batch_key)
            .map_err(|e| FlowError::Invalid { field: "batchKey", reason: e.to_string() })?;
        self.send_operation(
            lane,
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
        bundler.push_failure(not_found()); // pimlico
        bundler.push_failure(not_found()); // biconomy
        bundler.push_failure(not_found()); // rundler
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

    #[tokio::test]
    async fn auto_falls_back_to_rundler_with_the_node_base_price() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler);
        bundler.push_failure(not_found()); // pimlico
        bundler.push_failure(not_found()); // biconomy
        bundler.push_success(&"0x3"); // rundler_maxPriorityFeePerGas (Alchemy's answer shape)
        node.push_success(&"0x64"); // eth_gasPrice 100
        // fee cap: twice the node's price plus the tip
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(203), U256::from(3)));
        assert!(bundler.read_q().is_empty() && node.read_q().is_empty());
    }

    #[tokio::test]
    async fn a_transient_failure_is_returned_and_never_switches_the_source() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler);
        // pimlico answers "internal error" once: an error, not a fallback to biconomy
        bundler.push_failure(ErrorPayload {
            code: -32603,
            message: "upstream timeout".into(),
            data: None,
        });
        let e = c.gas_price().await.unwrap_err();
        assert!(
            matches!(&e, FlowError::Bundler(b) if b.method == "pimlico_getUserOperationGasPrice"),
            "{e}"
        );
        assert!(bundler.read_q().is_empty(), "no second method was asked");
        // the next call asks pimlico again, which now answers
        let fast = json!({ "maxFeePerGas": "0x9", "maxPriorityFeePerGas": "0x4" });
        bundler.push_success(&json!({ "slow": fast, "standard": fast, "fast": fast }));
        assert_eq!(c.gas_price().await.unwrap(), (U256::from(9), U256::from(4)));
    }

    #[test]
    fn permission_lanes_are_deterministic_distinct_and_on_the_session_validator() {
        let ss = Address::repeat_byte(0x5e);
        let a = permission_lane(ss, B256::repeat_byte(1));
        assert_eq!(a, permission_lane(ss, B256::repeat_byte(1)));
        assert_eq!(a.validator, ss);
        let keys: std::collections::BTreeSet<u32> =
            (0u8..64).map(|i| permission_lane(ss, B256::repeat_byte(i)).batch_key()).collect();
        assert_eq!(keys.len(), 64, "64 permissions, 64 lanes");
        // the lane is in the nonce's key: a nonce of the lane decodes back to it
        assert_eq!(NexusNonceKey::from_nonce(a.nonce(3)), (a, 3));
    }

    mod sending {
        //! The send path against a scripted node and bundler (`test_transport`): nonces,
        //! unknown outcomes, a lying bundler, caps, timeouts, the one AA25 retry.
        use super::super::*;
        use crate::{
            ClientOptions, Deployments, ENTRY_POINT_V07, GasCaps, NexusAccount,
            test_transport::{Reply, Scripted},
        };
        use alloy_json_rpc::ErrorPayload;
        use serde_json::{Value, json};
        use std::sync::{
            Arc, Mutex,
            atomic::{AtomicUsize, Ordering},
        };

        const SENDER: Address = Address::repeat_byte(1);

        /// A node where the account is deployed and every lane's sequence starts at `nonce`:
        /// `EntryPoint.getNonce(sender, key)` answers `key << 64 | nonce`, as the EntryPoint.
        fn node(nonce: u64) -> Scripted {
            use alloy_sol_types::SolCall;
            use smart_sessions_bindings::common::entry_point::getNonceCall;
            Scripted::new(move |m, p| match m {
                "eth_getCode" => Reply::Ok(json!("0x01")),
                "eth_call" => {
                    let input = p[0].get("input").or_else(|| p[0].get("data")).unwrap();
                    let data: Bytes = serde_json::from_value(input.clone()).unwrap();
                    let c = getNonceCall::abi_decode(&data).unwrap();
                    let full = (U256::from(c.key) << 64) | U256::from(nonce);
                    Reply::Ok(json!(format!("0x{full:064x}")))
                }
                other => Reply::Err(ErrorPayload {
                    code: -32601,
                    message: format!("{other} not scripted").into(),
                    data: None,
                }),
            })
        }

        /// A bundler that accepts every operation and includes it at once: it answers the
        /// hash it computes itself (the EntryPoint v0.7 formula, our `UserOperation::hash`)
        /// and the receipt names the operation's sender and nonce.
        #[derive(Clone, Default)]
        struct Honest {
            sent: Arc<Mutex<Vec<(B256, UserOperation)>>>,
        }

        impl Honest {
            fn answer(&self, m: &str, p: &Value) -> Reply {
                match m {
                    "eth_supportedEntryPoints" => Reply::Ok(json!([ENTRY_POINT_V07])),
                    "eth_estimateUserOperationGas" => Reply::Ok(json!({
                        "preVerificationGas": "0xc350",
                        "verificationGasLimit": "0x186a0",
                        "callGasLimit": "0x186a0"
                    })),
                    "eth_sendUserOperation" => {
                        let op: UserOperation = serde_json::from_value(p[0].clone()).unwrap();
                        let hash = op.hash(ENTRY_POINT_V07, 1);
                        self.sent.lock().unwrap().push((hash, op));
                        Reply::Ok(json!(hash))
                    }
                    "eth_getUserOperationReceipt" => {
                        let hash: B256 = serde_json::from_value(p[0].clone()).unwrap();
                        let sent = self.sent.lock().unwrap();
                        match sent.iter().find(|(h, _)| *h == hash) {
                            Some((h, op)) => Reply::Ok(receipt(*h, op.sender, op.nonce)),
                            None => Reply::Ok(Value::Null),
                        }
                    }
                    other => Reply::Err(ErrorPayload {
                        code: -32601,
                        message: format!("{other} not scripted").into(),
                        data: None,
                    }),
                }
            }

            fn nonces(&self) -> Vec<U256> {
                self.sent.lock().unwrap().iter().map(|(_, op)| op.nonce).collect()
            }
        }

        fn receipt(hash: B256, sender: Address, nonce: U256) -> Value {
            json!({
                "userOpHash": hash, "sender": sender, "nonce": nonce, "success": true,
                "actualGasUsed": "0x1", "actualGasCost": "0x1", "receipt": {}
            })
        }

        fn options() -> ClientOptions {
            ClientOptions {
                gas_price: GasPriceSource::Fixed {
                    max_fee_per_gas: U256::from(10),
                    max_priority_fee_per_gas: U256::from(1),
                },
                receipt_timeout: Duration::from_millis(400),
                request_timeout: Duration::from_millis(200),
                ..ClientOptions::default()
            }
        }

        fn client(
            node: &Scripted,
            bundler: &Scripted,
        ) -> NexusClient<impl Provider + use<>, impl Provider + use<>> {
            NexusClient::with_chain_id(
                node.provider(),
                bundler.provider(),
                1,
                Deployments::legacy_nexus_k1(),
                NexusAccount::existing(SENDER, ENTRY_POINT_V07),
            )
            .with_options(options())
        }

        fn lane() -> NexusNonceKey {
            permission_lane(Deployments::legacy_nexus_k1().smart_session, B256::repeat_byte(7))
        }

        fn calls() -> [Execution; 1] {
            [Execution::new(Address::repeat_byte(9), U256::ZERO, Vec::new())]
        }

        async fn sig(_: B256) -> Result<Bytes, FlowError> {
            Ok(Bytes::from(vec![1u8; 65]))
        }

        fn count(s: &Scripted, method: &str) -> usize {
            s.methods().iter().filter(|m| *m == method).count()
        }

        #[tokio::test]
        async fn concurrent_operations_on_one_lane_get_consecutive_nonces_from_spawned_tasks() {
            let honest = Honest::default();
            let h = honest.clone();
            let (n, b) = (node(5), Scripted::new(move |m, p| h.answer(m, p)));
            let c = Arc::new(client(&n, &b));
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..8 {
                let c = c.clone();
                tasks.spawn(
                    async move { c.send_operation(lane(), &calls(), Bytes::new(), sig).await },
                );
            }
            let mut receipts = Vec::new();
            while let Some(r) = tasks.join_next().await {
                receipts.push(r.unwrap().unwrap().receipt.nonce);
            }
            // the bundler received lane nonces 5..=12, each once and in nonce order
            let expected: Vec<U256> = (5..13).map(|s| lane().nonce(s)).collect();
            assert_eq!(honest.nonces(), expected);
            receipts.sort();
            assert_eq!(receipts, expected);
            // the lane's nonce was read from chain once
            assert_eq!(count(&n, "eth_call"), 1);
        }

        #[tokio::test]
        async fn a_lost_send_answer_is_an_unknown_outcome_never_retried_then_resumed() {
            let honest = Honest::default();
            let h = honest.clone();
            let lose = Arc::new(AtomicUsize::new(1));
            let l = lose.clone();
            let b = Scripted::new(move |m, p| {
                let r = h.answer(m, p); // the bundler takes the operation...
                if m == "eth_sendUserOperation" && l.fetch_sub(1, Ordering::SeqCst) == 1 {
                    return Reply::Lost; // ...and its answer is lost
                }
                r
            });
            let n = node(0);
            let c = client(&n, &b);
            let e = c.send_operation(lane(), &calls(), Bytes::new(), sig).await.unwrap_err();
            let (hash, op) = honest.sent.lock().unwrap()[0].clone();
            let FlowError::OutcomeUnknown { user_op_hash, sender, nonce, step, .. } = &e else {
                panic!("{e}")
            };
            assert_eq!((*user_op_hash, *sender, *nonce), (hash, op.sender, op.nonce));
            assert_eq!(*step, "eth_sendUserOperation");
            assert!(e.may_have_executed());
            assert_eq!(count(&b, "eth_sendUserOperation"), 1, "never sent twice");
            // resume: the pending handle finds the receipt
            let r = c.pending(*user_op_hash, *sender, *nonce).wait().await.unwrap();
            assert_eq!(r.user_op_hash, hash);
            // the next operation takes the next nonce, not the unknown one's
            c.send_operation(lane(), &calls(), Bytes::new(), sig).await.unwrap();
            assert_eq!(honest.nonces(), vec![lane().nonce(0), lane().nonce(1)]);
        }

        #[tokio::test]
        async fn a_bundler_answering_another_hash_is_an_error_not_a_success() {
            let honest = Honest::default();
            let h = honest.clone();
            let b = Scripted::new(move |m, p| match h.answer(m, p) {
                Reply::Ok(_) if m == "eth_sendUserOperation" => {
                    Reply::Ok(json!(B256::repeat_byte(0xee))) // an old operation's hash
                }
                r => r,
            });
            let n = node(0);
            let e = client(&n, &b).send_operation(lane(), &calls(), Bytes::new(), sig).await;
            let e = e.unwrap_err();
            let (hash, _) = honest.sent.lock().unwrap()[0].clone();
            assert!(
                matches!(e, FlowError::HashMismatch { expected, returned, .. }
                    if expected == hash && returned == B256::repeat_byte(0xee)),
                "{e}"
            );
            assert_eq!(count(&b, "eth_getUserOperationReceipt"), 0);
        }

        #[tokio::test]
        async fn a_receipt_for_another_nonce_is_an_error_not_a_success() {
            let honest = Honest::default();
            let h = honest.clone();
            let b = Scripted::new(move |m, p| match h.answer(m, p) {
                Reply::Ok(v) if m == "eth_getUserOperationReceipt" && !v.is_null() => {
                    let mut v = v;
                    v["nonce"] = json!(U256::from(99));
                    Reply::Ok(v)
                }
                r => r,
            });
            let n = node(0);
            let e = client(&n, &b).send_operation(lane(), &calls(), Bytes::new(), sig).await;
            let e = e.unwrap_err();
            assert!(
                matches!(e, FlowError::ReceiptMismatch { receipt_nonce, nonce, .. }
                    if receipt_nonce == U256::from(99) && nonce == lane().nonce(0)),
                "{e}"
            );
        }

        #[tokio::test]
        async fn no_receipt_within_the_bound_is_an_unknown_outcome_naming_the_wait() {
            let honest = Honest::default();
            let h = honest.clone();
            let b = Scripted::new(move |m, p| match m {
                "eth_getUserOperationReceipt" => Reply::Ok(Value::Null),
                _ => h.answer(m, p),
            });
            let n = node(0);
            let start = std::time::Instant::now();
            let e = client(&n, &b).send_operation(lane(), &calls(), Bytes::new(), sig).await;
            let e = e.unwrap_err();
            assert!(start.elapsed() < Duration::from_secs(2), "bounded by receipt_timeout");
            let FlowError::OutcomeUnknown { step, source, user_op_hash, .. } = &e else {
                panic!("{e}")
            };
            assert_eq!(*step, "eth_getUserOperationReceipt");
            assert_eq!(*user_op_hash, honest.sent.lock().unwrap()[0].0);
            assert!(matches!(
                **source,
                FlowError::Timeout { step: "eth_getUserOperationReceipt", .. }
            ));
            assert_eq!(count(&b, "eth_sendUserOperation"), 1);
        }

        #[tokio::test]
        async fn a_bundler_that_never_answers_is_a_timeout_naming_the_method() {
            let honest = Honest::default();
            let h = honest.clone();
            let b = Scripted::new(move |m, p| match m {
                "eth_estimateUserOperationGas" => Reply::Hang,
                _ => h.answer(m, p),
            });
            let n = node(0);
            let e = client(&n, &b).send_operation(lane(), &calls(), Bytes::new(), sig).await;
            let e = e.unwrap_err();
            assert!(
                matches!(e, FlowError::Timeout { step: "eth_estimateUserOperationGas", after }
                    if after == Duration::from_millis(200)),
                "{e}"
            );
            assert!(honest.nonces().is_empty(), "nothing sent");
        }

        #[tokio::test]
        async fn gas_above_the_caps_or_the_field_width_is_refused_before_signing() {
            for (field, value, caps) in [
                // 2^255: above u128 whatever the caps say
                (
                    "callGasLimit",
                    U256::from(1) << 255,
                    GasCaps { call_gas_limit: U256::MAX, ..GasCaps::default() },
                ),
                ("verificationGasLimit", U256::from(20_000_000u64), GasCaps::default()),
            ] {
                let b = Scripted::new(move |m, p| match m {
                    "eth_estimateUserOperationGas" => {
                        let mut est = json!({
                            "preVerificationGas": "0xc350",
                            "verificationGasLimit": "0x186a0",
                            "callGasLimit": "0x186a0"
                        });
                        est[field] = json!(value);
                        Reply::Ok(est)
                    }
                    _ => Honest::default().answer(m, p),
                });
                let n = node(0);
                let c = client(&n, &b).with_options(ClientOptions { gas_caps: caps, ..options() });
                let signed = Arc::new(AtomicUsize::new(0));
                let s = signed.clone();
                let e = c
                    .send_operation(lane(), &calls(), Bytes::new(), |h| {
                        s.fetch_add(1, Ordering::SeqCst);
                        sig(h)
                    })
                    .await
                    .unwrap_err();
                assert!(
                    matches!(e, FlowError::GasAboveCap { field: f, value: v, .. } if f == field && v == value),
                    "{e}"
                );
                assert_eq!(signed.load(Ordering::SeqCst), 0, "not signed");
                assert_eq!(count(&b, "eth_sendUserOperation"), 0, "not sent");
            }
        }

        #[tokio::test]
        async fn an_aa25_refusal_is_retried_once_with_the_nonce_read_again() {
            let honest = Honest::default();
            let h = honest.clone();
            let refuse = Arc::new(AtomicUsize::new(1));
            let r = refuse.clone();
            let b = Scripted::new(move |m, p| {
                if m == "eth_sendUserOperation" && r.fetch_sub(1, Ordering::SeqCst) == 1 {
                    return Reply::Err(ErrorPayload {
                        code: -32602,
                        message: "AA25 invalid account nonce".into(),
                        data: None,
                    });
                }
                h.answer(m, p)
            });
            let n = node(3);
            let sent =
                client(&n, &b).send_operation(lane(), &calls(), Bytes::new(), sig).await.unwrap();
            assert_eq!(sent.receipt.nonce, lane().nonce(3));
            assert_eq!(count(&b, "eth_sendUserOperation"), 2, "the refused one and the retry");
            assert_eq!(count(&n, "eth_call"), 2, "the nonce read again");
        }

        #[tokio::test]
        async fn the_entry_point_is_checked_once_and_an_unsupported_one_refused() {
            let b = Scripted::new(|m, p| match m {
                "eth_supportedEntryPoints" => Reply::Ok(json!([Address::repeat_byte(0xab)])),
                _ => Honest::default().answer(m, p),
            });
            let n = node(0);
            let e = client(&n, &b).send_operation(lane(), &calls(), Bytes::new(), sig).await;
            assert!(
                matches!(e, Err(FlowError::EntryPointUnsupported { entry_point, .. }) if entry_point == ENTRY_POINT_V07)
            );
            let honest = Honest::default();
            let h = honest.clone();
            let b = Scripted::new(move |m, p| h.answer(m, p));
            let c = client(&n, &b);
            c.send_operation(lane(), &calls(), Bytes::new(), sig).await.unwrap();
            c.send_operation(lane(), &calls(), Bytes::new(), sig).await.unwrap();
            assert_eq!(count(&b, "eth_supportedEntryPoints"), 1);
        }
    }
}
