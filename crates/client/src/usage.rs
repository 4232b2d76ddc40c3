//! Using a permission: whether it is enabled, the off-chain pre-check and its policy view,
//! remaining budgets, and `use_permission`.

use crate::error::Unusable;
use crate::{
    ClientError, FlowError, Lanes, NexusClient, Precheck, Sent, SessionDetails,
    checks::{self, Budget, CachedView as PolicyView},
    client::{now, personal_sign},
};
use alloy_primitives::{Address, B256, Bytes};
use alloy_provider::Provider;
use alloy_signer::Signer;
use smart_sessions_codec::{AnySession, Execution, NexusNonceKey};
use smart_sessions_policy::session as policy_session;

impl<N: Provider, B: Provider> NexusClient<N, B> {
    /// Whether `permission_id` is enabled for this client's account on chain
    /// (`SmartSession.isPermissionEnabled`; cached once true, updated by this client's own
    /// removals).
    pub async fn is_permission_enabled(&self, permission_id: B256) -> Result<bool, FlowError> {
        if let Some(true) = self.state().enabled.get(&permission_id) {
            return Ok(true);
        }
        let e = self
            .smart_sessions()
            .is_permission_enabled(&self.node, permission_id, self.account.address)
            .await?;
        self.state().enabled.insert(permission_id, e);
        Ok(e)
    }

    /// One node batch for what a session operation needs and this client does not know yet (the
    /// account's code, the SmartSession lane's nonce, whether the permission is enabled, the
    /// policies' view): a session key's first operation costs one node round trip, not four.
    async fn prefetch_for_use(
        &self,
        session: &AnySession,
        precheck: Precheck,
        lane_key: NexusNonceKey,
    ) -> Result<Option<bool>, FlowError> {
        use alloy_rpc_types_eth::BlockId;
        use alloy_sol_types::SolCall;
        use smart_sessions_bindings::{
            common::entry_point::{EntryPoint, getNonceCall},
            legacy::smart_session::SmartSession,
        };
        let pid = session.permission_id();
        let lane = self.deployments.smart_session;
        let account = self.account.address;
        let lane_lock = self.lane(lane_key);
        let nonce_unknown = lane_lock.lock().await.next.is_none();
        let (code, nonce, enabled, view) = {
            let st = self.state();
            (
                st.deployed.is_none(),
                nonce_unknown,
                st.enabled.get(&pid) != Some(&true),
                precheck != Precheck::Skip && !st.policies.contains_key(&pid),
            )
        };
        if [code, nonce, enabled, view].iter().filter(|x| **x).count() < 2 {
            return Ok(None); // one read is one round trip either way
        }
        let fail = |step: &'static str| {
            move |e: alloy_transport::TransportError| ClientError::node(step, e)
        };
        let mut batch = alloy_rpc_client::BatchRequest::new(self.node.client());
        let entry_point = EntryPoint::new(self.deployments.entry_point, &self.node);
        let module = SmartSession::new(lane, &self.node);
        let nonce = nonce
            .then(|| {
                let c = entry_point.getNonce(account, lane_key.key());
                crate::contract::add_call(&mut batch, c)
            })
            .transpose()
            .map_err(fail("batch"))?;
        let enabled = enabled
            .then(|| {
                crate::contract::add_call(&mut batch, module.isPermissionEnabled(pid, account))
            })
            .transpose()
            .map_err(fail("batch"))?;
        let code = code
            .then(|| batch.add_call::<_, Bytes>("eth_getCode", &(account, BlockId::latest())))
            .transpose()
            .map_err(fail("batch"))?;
        let view = view
            .then(|| {
                checks::ViewRequest::add(
                    &mut batch,
                    &self.node,
                    &self.deployments,
                    session,
                    account,
                )
            })
            .transpose()?;
        batch.send().await.map_err(fail("session prefetch batch"))?;
        if let Some(w) = code {
            let c = w.await.map_err(fail("eth_getCode"))?;
            self.state().deployed = Some(!c.is_empty());
        }
        if let Some(w) = nonce {
            let raw = w.await.map_err(fail("EntryPoint.getNonce"))?;
            let n = getNonceCall::abi_decode_returns(&raw)
                .map_err(|source| ClientError::Decode { step: "EntryPoint.getNonce", source })?;
            let mut l = lane_lock.lock().await;
            if l.next.is_none() {
                l.next = Some(n);
            }
        }
        let mut fetched = None;
        if let Some(w) = enabled {
            let raw = w.await.map_err(fail("isPermissionEnabled"))?;
            let e = crate::sessions::isPermissionEnabledCall::abi_decode_returns(&raw)
                .map_err(|source| ClientError::Decode { step: "isPermissionEnabled", source })?;
            self.state().enabled.insert(pid, e);
            fetched = Some(e);
        }
        if let Some(v) = view {
            let v = v.collect().await?;
            // a permission not enabled yet starts from its init data (policy_view builds it)
            if self.state().enabled.get(&pid) == Some(&true) {
                self.state().policies.insert(pid, v);
            }
        }
        Ok(fetched)
    }

    /// The policy view of `session`: the cached one while fresh
    /// ([`ClientOptions::precheck_max_age`](crate::ClientOptions::precheck_max_age),
    /// [`precheck_max_blocks`](crate::ClientOptions::precheck_max_blocks)), else read from chain
    /// (or built from init data for a permission not enabled yet). The flag says whether it was
    /// read just now.
    async fn policy_view(
        &self,
        session: &AnySession,
        enabled: bool,
    ) -> Result<(PolicyView, bool), FlowError> {
        let pid = session.permission_id();
        let cached = self.state().policies.get(&pid).cloned();
        if let Some(v) = cached {
            if self.is_fresh(&v).await? {
                return Ok((v, false));
            }
            self.state().policies.remove(&pid);
        }
        let states = if enabled {
            checks::read_view(&self.node, &self.deployments, session, self.account.address).await?
        } else {
            // not enabled yet: the policies start from their init data
            checks::initial_view(&self.deployments, session, self.account.address)?
        };
        self.state().policies.insert(pid, states.clone());
        Ok((states, true))
    }

    async fn is_fresh(&self, v: &PolicyView) -> Result<bool, FlowError> {
        let Some(at) = v.read_at else { return Ok(true) };
        if at.elapsed() >= self.options.precheck_max_age {
            return Ok(false);
        }
        match (self.options.precheck_max_blocks, v.block) {
            (Some(max), Some(read)) => {
                let now = self
                    .bounded("eth_blockNumber", async {
                        self.node
                            .get_block_number()
                            .await
                            .map_err(|e| ClientError::node("eth_blockNumber", e))
                    })
                    .await?;
                Ok(now.saturating_sub(read) < max)
            }
            _ => Ok(true),
        }
    }

    /// Runs the pre-check; a refusal from a cached view is checked again on a fresh read
    /// before it is returned (the chain may have moved on). On success the view after the
    /// calls and the unchecked policies.
    async fn precheck(
        &self,
        session: &AnySession,
        enabled: bool,
        calls: &[Execution],
    ) -> Result<(PolicyView, Vec<Address>), FlowError> {
        let (mut view, fresh) = self.policy_view(session, enabled).await?;
        let account = self.account.address;
        match policy_session::evaluate(session, account, calls, &mut view.view, now()) {
            Ok(unchecked) => Ok((view, checks::unchecked_policies(&unchecked))),
            Err(_) if !fresh => {
                self.state().policies.remove(&session.permission_id());
                let (mut view, _) = self.policy_view(session, enabled).await?;
                let unchecked =
                    policy_session::evaluate(session, account, calls, &mut view.view, now())?;
                Ok((view, checks::unchecked_policies(&unchecked)))
            }
            Err(stop) => Err(stop.into()),
        }
    }

    /// What a session may still spend or do: for each limited rule, usage, value and token
    /// limit of its policies, the limit and how much of it is used, from the policies' on-chain
    /// state (one batched read, or none when this client's own operations are the last that
    /// used the session).
    ///
    /// ```rust,no_run
    /// # use alloy_provider::Provider;
    /// # use alloy_signer_local::PrivateKeySigner;
    /// # use smart_sessions_client::NexusClient;
    /// # async fn f(
    /// #     client: &NexusClient<impl Provider, impl Provider>,
    /// #     details: &smart_sessions_client::SessionDetails,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// // `details` is what the grant handed to the session key holder.
    /// let session = details.session().expect("the details carry their session");
    /// for budget in client.remaining_budgets(&session).await? {
    ///     // e.g. "<target>.0xd09de08a: 7 of 10 uses left"
    ///     println!("{budget} (policy {})", budget.policy);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn remaining_budgets(&self, session: &AnySession) -> Result<Vec<Budget>, FlowError> {
        let enabled = self.is_permission_enabled(session.permission_id()).await?;
        let (states, _) = self.policy_view(session, enabled).await?;
        Ok(policy_session::budgets(session, self.account.address, &states.view))
    }

    /// Checks `calls` against the session's policies off-chain, without sending. `Ok` lists the
    /// policies this client could not evaluate (unknown contracts).
    pub async fn check_calls(
        &self,
        details: &SessionDetails,
        calls: &[Execution],
    ) -> Result<Vec<Address>, FlowError> {
        let session = details
            .session()
            .ok_or(FlowError::Unusable { field: "sessionDetails", problem: Unusable::NoSession })?;
        let enabled = self.is_permission_enabled(details.permission_id).await?;
        Ok(self.precheck(&session, enabled, calls).await?.1)
    }

    /// `usePermission`: runs `calls` as the session key. USE mode when the permission is enabled,
    /// ENABLE_AND_USE when `details` carry the owner's enable signature and it is not enabled
    /// yet. With [`Precheck::On`] the calls are first checked against the session's policies
    /// and refused with the failing rule instead of spending gas.
    ///
    /// The operation uses the lane [`ClientOptions::lanes`](crate::ClientOptions::lanes) picks
    /// (by default the permission's own, [`permission_lane`](crate::permission_lane)).
    ///
    /// ```rust,no_run
    /// # use alloy_provider::Provider;
    /// # use alloy_signer_local::PrivateKeySigner;
    /// # use smart_sessions_client::NexusClient;
    /// # async fn f(
    /// #     client: &NexusClient<impl Provider, impl Provider>,
    /// #     session_key: &PrivateKeySigner,
    /// #     details: &smart_sessions_client::SessionDetails,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// use alloy_primitives::{Address, U256};
    /// use smart_sessions_client::{FlowError, Precheck};
    /// use smart_sessions_codec::Execution;
    /// // `details` came from the owner's `grant_permission` (or an off-chain grant).
    /// let call = Execution { target: Address::repeat_byte(0x42), value: U256::ZERO,
    ///     callData: vec![0xd0, 0x9d, 0xe0, 0x8a].into() };
    /// match client.use_permission(session_key, details, &[call], Precheck::On).await {
    ///     Ok(sent) => println!("{} used {} gas", sent.user_op_hash, sent.gas_used()),
    ///     // The off-chain check refused: nothing was sent, no gas spent.
    ///     Err(FlowError::Refused(why)) => println!("refused: {why}"),
    ///     // Possibly sent, fate unknown: resume with `client.pending(..)`, never re-send.
    ///     Err(e) if e.may_have_executed() => {
    ///         eprintln!("may have run: {e}");
    ///         return Err(e.into());
    ///     }
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn use_permission<S: Signer + Sync>(
        &self,
        session_key: &S,
        details: &SessionDetails,
        calls: &[Execution],
        precheck: Precheck,
    ) -> Result<Sent, FlowError> {
        let lane = match self.options.lanes {
            Lanes::PerPermission => {
                crate::permission_lane(self.deployments.smart_session, details.permission_id)
            }
            Lanes::Shared => NexusNonceKey::new(self.deployments.smart_session),
        };
        self.use_in_lane(session_key, details, calls, precheck, lane).await
    }

    /// [`use_permission`](Self::use_permission) on the SmartSession validator's lane
    /// `batch_key` (24 bits) chosen by the caller (e.g. one lane per worker of one session key,
    /// so that they never wait for each other's nonces).
    pub async fn use_permission_on_lane<S: Signer + Sync>(
        &self,
        session_key: &S,
        details: &SessionDetails,
        calls: &[Execution],
        precheck: Precheck,
        batch_key: u32,
    ) -> Result<Sent, FlowError> {
        let lane = NexusNonceKey::new(self.deployments.smart_session)
            .with_batch_key(batch_key)
            .map_err(|source| ClientError::Encoding { step: "batchKey", source })?;
        self.use_in_lane(session_key, details, calls, precheck, lane).await
    }

    #[tracing::instrument(name = "use_permission", level = "info", skip_all, fields(chain_id = self.chain_id, account = %self.account.address, permission_id = %details.permission_id, calls = calls.len(), lane = lane.batch_key()))]
    async fn use_in_lane<S: Signer + Sync>(
        &self,
        session_key: &S,
        details: &SessionDetails,
        calls: &[Execution],
        precheck: Precheck,
        lane: NexusNonceKey,
    ) -> Result<Sent, FlowError> {
        if details.account != self.account.address {
            return Err(FlowError::Unusable {
                field: "sessionDetails.account",
                problem: Unusable::OtherAccount {
                    details: details.account,
                    account: self.account.address,
                },
            });
        }
        if details.smart_session != self.deployments.smart_session
            || details.generation != self.deployments.generation
        {
            return Err(FlowError::Unusable {
                field: "sessionDetails.smartSession",
                problem: Unusable::OtherSmartSession {
                    details: details.smart_session,
                    details_generation: details.generation.name(),
                    client: self.deployments.smart_session,
                    client_generation: self.deployments.generation.name(),
                },
            });
        }
        let session = details
            .session()
            .ok_or(FlowError::Unusable { field: "sessionDetails", problem: Unusable::NoSession })?;
        if session.permission_id() != details.permission_id {
            return Err(FlowError::Unusable {
                field: "sessionDetails.permissionId",
                problem: Unusable::PermissionIdDiffers {
                    given: details.permission_id,
                    session: session.permission_id(),
                },
            });
        }
        let pid = details.permission_id;
        // a sponsored operation the session does not permit would fail validation on chain
        crate::check_paymaster_permit(&session, pid, self.options.paymaster.is_some())?;
        let enabled = match self.prefetch_for_use(&session, precheck, lane).await? {
            Some(e) => e,
            None => self.is_permission_enabled(pid).await?,
        };
        if !enabled && details.enable().is_some() {
            // an enable signature for an old nonce would only fail on chain (HashMismatch)
            let status = self.enable_signature_status(details).await?;
            if status != crate::GrantStatus::Pending {
                return Err(FlowError::DeadGrant { permission_id: pid, status });
            }
        }
        if !enabled && details.enable().is_none() {
            return Err(FlowError::Unusable {
                field: "sessionDetails",
                problem: Unusable::NotEnabled { permission_id: pid, chain_id: self.chain_id },
            });
        }
        let mut after = None;
        let mut unchecked = Vec::new();
        if precheck != Precheck::Skip {
            let (states, not_checked) = self.precheck(&session, enabled, calls).await?;
            if !not_checked.is_empty() {
                if precheck == Precheck::On {
                    return Err(FlowError::Unchecked { permission_id: pid, policies: not_checked });
                }
                tracing::debug!(unchecked = ?not_checked, "policies not evaluated off-chain");
            }
            unchecked = not_checked;
            after = Some(states);
        }
        let ss = self.smart_sessions();
        let use_mode = enabled;
        let stub =
            if use_mode { ss.stub_use_signature(pid) } else { details.stub_enable_signature()? };
        let result = self
            .send_operation(lane, calls, stub, |hash| async move {
                let sig = personal_sign(session_key, hash).await?;
                if use_mode {
                    Ok(ss.use_signature(pid, &sig))
                } else {
                    details.enable_signature(&sig).map_err(Into::into)
                }
            })
            .await;
        let mut st = self.state();
        match (&result, after) {
            (Ok(_), Some(mut states)) => {
                st.enabled.insert(pid, true);
                // a view built from init data (first use of an off-chain grant) ages from now,
                // like one read from chain
                states.read_at.get_or_insert_with(std::time::Instant::now);
                st.policies.insert(pid, states);
            }
            (Ok(_), None) => {
                st.enabled.insert(pid, true);
                st.policies.remove(&pid);
            }
            (Err(_), _) => {
                st.policies.remove(&pid);
                st.enabled.remove(&pid);
            }
        }
        drop(st);
        result.map(|mut s| {
            s.unchecked = unchecked;
            s
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Deployments, SessionRequest, client::test_support::client};
    use alloy_transport::mock::Asserter;
    use serde_json::json;

    #[tokio::test]
    async fn details_for_another_module_or_a_tampered_id_are_refused_before_any_call() {
        let (node, bundler) = (Asserter::new(), Asserter::new());
        let c = client(&node, &bundler);
        let d = Deployments::legacy_nexus_k1();
        let r: SessionRequest = serde_json::from_value(json!({
            "sessionPublicKey": Address::repeat_byte(5),
            "actionPoliciesInfo": [{ "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb", "sudo": true }]
        }))
        .unwrap();
        let session = r.to_session(&d).unwrap();
        let good = SessionDetails::enabled(d.smart_sessions(), c.address(), session);
        let key = alloy_signer_local::PrivateKeySigner::random();
        let mut other = good.clone();
        other.smart_session = Address::repeat_byte(0xee);
        let e = c.use_permission(&key, &other, &[], Precheck::On).await.unwrap_err();
        assert!(e.to_string().starts_with("sessionDetails.smartSession"), "{e}");
        let mut tampered = good;
        tampered.permission_id = B256::repeat_byte(1);
        let e = c.use_permission(&key, &tampered, &[], Precheck::On).await.unwrap_err();
        assert!(e.to_string().starts_with("sessionDetails.permissionId"), "{e}");
        // nothing was asked of the node or the bundler (an unanswered call would have failed)
        assert!(node.read_q().is_empty() && bundler.read_q().is_empty());
    }

    /// A policy the owner enabled on chain under the permission (listed by
    /// `getUserOpPolicies`) that the session does not declare is read, and comes out
    /// unchecked: `check_calls` lists it and `use_permission` with `Precheck::On` refuses,
    /// nothing sent. The node is scripted by selector (`test_transport`).
    #[tokio::test]
    async fn a_policy_enabled_on_chain_but_not_declared_is_unchecked() {
        use crate::{
            ENTRY_POINT_V07, NexusAccount,
            policy_read::{
                getActionPoliciesCall, getUserOpPoliciesCall, isActionPolicyEnabledCall,
            },
            sessions::isPermissionEnabledCall,
            test_transport::{Reply, Scripted},
        };
        use alloy_sol_types::SolCall;
        let extra = Address::repeat_byte(0xe7);
        let node = Scripted::new(move |m, p| match m {
            "eth_blockNumber" => Reply::Ok(json!("0x10")),
            "eth_getCode" => Reply::Ok(json!("0x01")),
            "eth_call" => {
                let input = p[0].get("input").or_else(|| p[0].get("data")).unwrap();
                let data: Bytes = serde_json::from_value(input.clone()).unwrap();
                let sel: [u8; 4] = data[..4].try_into().unwrap();
                let out: Vec<u8> = if sel == isPermissionEnabledCall::SELECTOR
                    || sel == isActionPolicyEnabledCall::SELECTOR
                {
                    isPermissionEnabledCall::abi_encode_returns(&true)
                } else if sel == getUserOpPoliciesCall::SELECTOR {
                    getUserOpPoliciesCall::abi_encode_returns(&vec![extra])
                } else if sel == getActionPoliciesCall::SELECTOR {
                    getActionPoliciesCall::abi_encode_returns(&Vec::new())
                } else {
                    // EntryPoint.getNonce and anything else: zero
                    vec![0u8; 32]
                };
                Reply::Ok(json!(Bytes::from(out)))
            }
            _ => Reply::Lost,
        });
        let bundler = Scripted::new(|_, _| Reply::Lost);
        let d = Deployments::legacy_nexus_k1();
        let c = NexusClient::with_chain_id(
            node.provider(),
            bundler.provider(),
            1,
            d.clone(),
            NexusAccount::existing(Address::repeat_byte(1), ENTRY_POINT_V07),
        );
        let r: SessionRequest = serde_json::from_value(json!({
            "sessionPublicKey": Address::repeat_byte(5),
            "actionPoliciesInfo": [{ "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb", "sudo": true }]
        }))
        .unwrap();
        let details =
            SessionDetails::enabled(d.smart_sessions(), c.address(), r.to_session(&d).unwrap());
        let call = Execution::new(
            Address::repeat_byte(9),
            alloy_primitives::U256::ZERO,
            [0xa9, 0x05, 0x9c, 0xbb].to_vec(),
        );
        let unchecked = c.check_calls(&details, std::slice::from_ref(&call)).await.unwrap();
        assert_eq!(unchecked, vec![extra]);
        let key = alloy_signer_local::PrivateKeySigner::random();
        let e = c.use_permission(&key, &details, &[call], Precheck::On).await.unwrap_err();
        assert!(
            matches!(&e, FlowError::Unchecked { policies, .. } if policies == &vec![extra]),
            "{e}"
        );
        assert!(bundler.methods().is_empty(), "nothing asked of the bundler");
    }
}
