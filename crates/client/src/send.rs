//! Sending user operations: nonces reserved per lane, gas prices, the estimate, the caps, the
//! signature, the send, and the receipt wait, each request bounded in time.
//!
//! What a caller can rely on: an operation is accepted at most once per call (the bounded
//! re-sends, after `AA10`/`AA25`/fee refusals, happen only when the bundler refused the previous
//! attempt with a JSON-RPC error, so nothing of it was in its mempool); whenever the signed operation may have reached the bundler and its fate is
//! not known, the error is [`FlowError::OutcomeUnknown`] with its hash, sender and nonce.

use crate::{
    BundlerApi, ClientError, FlowError, NexusClient, Refusal, Sent, UserOperation,
    UserOperationReceipt,
    client::{LaneState, personal_sign},
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

/// How many times [`NexusClient::send_operation`] prices and sends an operation again after a
/// refusal that proves the bundler did not accept it (`AA10`, `AA25`, "fee too low").
const RESEND_ATTEMPTS: u32 = 3;
/// The wait before the first such re-send; it doubles with each (100, 200, 400 ms).
const RESEND_BACKOFF: Duration = Duration::from_millis(100);

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

    /// A paymaster call bounded by the request timeout.
    async fn paymaster_call(
        &self,
        method: &'static str,
        fut: crate::paymaster::PaymasterFuture<'_>,
    ) -> Result<crate::PaymasterFields, FlowError> {
        let after = self.options.request_timeout;
        match tokio::time::timeout(after, fut).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(crate::PaymasterError::Timeout { method, after }.into()),
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
    /// An included operation whose call reverted is [`FlowError::Reverted`]. A refusal that
    /// proves the bundler did not accept the operation (a JSON-RPC error answer: a stale nonce
    /// or a per-sender mempool limit, `AA25`; a stale deployment, `AA10`; fees below the
    /// bundler's minimum) is re-read (nonce, deployment, fees) and the operation built and sent
    /// again, at most three more times after 100, 200 and 400 ms; after that the refusal is
    /// returned as [`FlowError::Bundler`], for which [`FlowError::is_retryable`] is `true`. An
    /// operation that may have reached the bundler without a known fate is
    /// [`FlowError::OutcomeUnknown`] and never sent again.
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
            let mut attempt = 0;
            loop {
                let r = self.try_send(lane, calls, &stub, &sign).await;
                let Err(FlowError::Bundler(b)) = &r else { return r };
                let stale = matches!(b.refusal, Refusal::EntryPoint { code: 10 | 25, .. });
                let fee = b.is_fee_too_low();
                if !b.is_refusal() || !(stale || fee) || attempt >= RESEND_ATTEMPTS {
                    return r;
                }
                // a JSON-RPC error answer: the bundler holds nothing of this attempt, so pricing
                // and sending the operation again cannot run it twice
                tracing::debug!(
                    error = %b,
                    attempt,
                    "refused (AA10: deployed, AA25: nonce or mempool limit, fee too low): again"
                );
                if stale {
                    self.lane(lane).lock().await.next = None;
                    let mut st = self.state();
                    st.deployed = None;
                    st.installed = None;
                }
                if fee {
                    self.drop_fees();
                }
                tokio::time::sleep(RESEND_BACKOFF * 2u32.pow(attempt)).await;
                attempt += 1;
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
        // a paymaster's stub first, so the estimate runs its validation too
        let paymaster = self.options.paymaster.clone();
        let mut stub_final = false;
        if let Some(pm) = &paymaster {
            let f = self
                .paymaster_call("pm_getPaymasterStubData", pm.stub_data(&op, ep, self.chain_id))
                .await?;
            f.apply(&mut op);
            stub_final = f.is_final;
        }
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
        if op.paymaster.is_some() {
            if let Some(v) = gas.paymaster_verification_gas_limit {
                op.paymaster_verification_gas_limit = Some(v);
            }
            if let Some(v) = gas.paymaster_post_op_gas_limit {
                op.paymaster_post_op_gas_limit = Some(v);
            }
        }
        // the paymaster signs over the estimated operation: after the estimate, before ours
        if let (Some(pm), false) = (&paymaster, stub_final) {
            let f =
                self.paymaster_call("pm_getPaymasterData", pm.data(&op, ep, self.chain_id)).await?;
            op.paymaster = Some(f.paymaster);
            op.paymaster_data = Some(f.paymaster_data);
            if !f.paymaster_verification_gas_limit.is_zero() {
                op.paymaster_verification_gas_limit = Some(f.paymaster_verification_gas_limit);
            }
            if !f.paymaster_post_op_gas_limit.is_zero() {
                op.paymaster_post_op_gas_limit = Some(f.paymaster_post_op_gas_limit);
            }
        }
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
        Ok(Sent {
            user_op_hash: hash,
            receipt,
            user_op: op,
            latency: start.elapsed(),
            unchecked: Vec::new(),
        })
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

    /// After an unknown outcome ([`FlowError::may_have_executed`]): releases the nonce of
    /// operation `user_op_hash` (of this client's account, with `nonce`) once it is known dead,
    /// so that the lane's next operation takes that nonce again instead of queueing behind an
    /// operation that will never be included. Returns `true` when released: the bundler has no
    /// receipt for the hash, does not hold it (`eth_getUserOperationByHash` answers `null`) and
    /// the lane's EntryPoint nonce has not passed `nonce`. Returns `false`, releasing nothing,
    /// when the operation is included, still held, or its nonce was used on chain (look the
    /// chain up before sending the intent again).
    ///
    /// Re-sending an intent after a release cannot run it twice: the re-sent operation takes
    /// the same nonce, and the EntryPoint executes at most one operation per nonce.
    pub async fn release_dropped(
        &self,
        user_op_hash: B256,
        sender: Address,
        nonce: U256,
    ) -> Result<bool, FlowError> {
        if sender != self.account.address {
            return Err(FlowError::Unusable {
                field: "sender",
                problem: crate::error::Unusable::NotThisAccount {
                    sender,
                    account: self.account.address,
                },
            });
        }
        let receipt = self
            .bounded("eth_getUserOperationReceipt", self.bundler.user_op_receipt(user_op_hash))
            .await?;
        if receipt.is_some() {
            return Ok(false);
        }
        let held = self
            .bounded("eth_getUserOperationByHash", self.bundler.user_op_by_hash(user_op_hash))
            .await?;
        if held.is_some() {
            return Ok(false);
        }
        let (key, _) = NexusNonceKey::from_nonce(nonce);
        let chain =
            self.bounded("EntryPoint.getNonce", self.account.nonce_of_key(&self.node, key)).await?;
        if chain > nonce {
            return Ok(false);
        }
        let lane_lock = self.lane(key);
        let mut lane = lane_lock.lock().await;
        lane.in_flight.remove(&nonce);
        lane.next = None;
        tracing::debug!(%user_op_hash, %nonce, "dropped operation's nonce released");
        Ok(true)
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
            .map_err(|source| ClientError::Encoding { step: "batchKey", source })?;
        self.send_operation(
            lane,
            calls,
            crate::sessions::stub_ecdsa_signature().to_vec().into(),
            |hash| async move { Ok(personal_sign(owner, hash).await?.to_vec().into()) },
        )
        .await
    }
}

mod fees;
#[cfg(test)]
mod tests;
