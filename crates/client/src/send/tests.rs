//! The lanes, and the send path against a scripted node and bundler.
use super::*;

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
        ClientOptions, Deployments, ENTRY_POINT_V07, GasCaps, GasPriceSource, NexusAccount,
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
            tasks.spawn(async move { c.send_operation(lane(), &calls(), Bytes::new(), sig).await });
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
    async fn a_send_lost_before_the_bundler_is_released_and_its_nonce_sent_once() {
        let honest = Honest::default();
        let h = honest.clone();
        let lose = Arc::new(AtomicUsize::new(1));
        let l = lose.clone();
        let b = Scripted::new(move |m, p| match m {
            // the first send never reaches the bundler (the connection dropped on the way)
            "eth_sendUserOperation" if l.fetch_sub(1, Ordering::SeqCst) == 1 => Reply::Lost,
            "eth_getUserOperationByHash" => {
                let hash: B256 = serde_json::from_value(p[0].clone()).unwrap();
                let known = h.sent.lock().unwrap().iter().any(|(x, _)| *x == hash);
                assert!(!known, "only asked for the lost operation here");
                Reply::Ok(Value::Null)
            }
            _ => h.answer(m, p),
        });
        let n = node(0);
        let c = client(&n, &b);
        let e = c.send_operation(lane(), &calls(), Bytes::new(), sig).await.unwrap_err();
        let FlowError::OutcomeUnknown { user_op_hash, sender, nonce, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(nonce, lane().nonce(0));
        // another account's operation is refused, nothing released
        let other = c.release_dropped(user_op_hash, Address::repeat_byte(2), nonce).await;
        assert!(matches!(other, Err(FlowError::Unusable { field: "sender", .. })), "{other:?}");
        // no receipt, unknown to the bundler, the chain still at that nonce: released, and the
        // next operation takes the same nonce (before: nonce 1, refused AA25 for ever)
        assert!(c.release_dropped(user_op_hash, sender, nonce).await.unwrap());
        let sent = c.send_operation(lane(), &calls(), Bytes::new(), sig).await.unwrap();
        assert_eq!(sent.user_op.nonce, lane().nonce(0));
        assert_eq!(honest.nonces(), vec![lane().nonce(0)], "one operation reached the bundler");
        // an included operation is never released
        let again = c.release_dropped(sent.user_op_hash, sender, sent.user_op.nonce).await;
        assert!(!again.unwrap());
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
        assert!(matches!(**source, FlowError::Timeout { step: "eth_getUserOperationReceipt", .. }));
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
    async fn a_fee_refusal_drops_the_reused_fees_and_the_operation_is_priced_and_sent_again() {
        let honest = Honest::default();
        let h = honest.clone();
        let refuse = Arc::new(AtomicUsize::new(1));
        let r = refuse.clone();
        let tier = |fee: u64| json!({ "maxFeePerGas": fee, "maxPriorityFeePerGas": 1 });
        let prices = Arc::new(AtomicUsize::new(0));
        let p = prices.clone();
        let b = Scripted::new(move |m, params| match m {
            "pimlico_getUserOperationGasPrice" => {
                // 10 the first time, 20 after
                let fee = if p.fetch_add(1, Ordering::SeqCst) == 0 { 10 } else { 20 };
                Reply::Ok(json!({ "slow": tier(fee), "standard": tier(fee), "fast": tier(fee) }))
            }
            "eth_sendUserOperation" if r.fetch_sub(1, Ordering::SeqCst) == 1 => {
                Reply::Err(ErrorPayload {
                    code: -32602,
                    message: "maxFeePerGas must be at least 15 (current maxFeePerGas: 10)".into(),
                    data: None,
                })
            }
            _ => h.answer(m, params),
        });
        let n = node(3);
        let c = client(&n, &b).with_options(ClientOptions {
            gas_price: GasPriceSource::Auto,
            gas_price_max_age: Duration::from_secs(60),
            ..options()
        });
        let sent = c.send_operation(lane(), &calls(), Bytes::new(), sig).await.unwrap();
        assert_eq!(sent.user_op.max_fee_per_gas, U256::from(20), "priced again");
        assert_eq!(sent.receipt.nonce, lane().nonce(3), "the same nonce: one operation");
        assert_eq!(count(&b, "eth_sendUserOperation"), 2, "the refused one and the re-send");
        assert_eq!(count(&b, "pimlico_getUserOperationGasPrice"), 2, "fees read again once");
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

    /// A paymaster of our own for the order test: it records each call and the operation
    /// it was shown, into the same log as the bundler's calls.
    #[derive(Debug)]
    struct RecordingPaymaster {
        log: Arc<Mutex<Vec<(String, UserOperation)>>>,
        stub_is_final: bool,
    }

    impl crate::PaymasterSource for RecordingPaymaster {
        fn stub_data<'a>(
            &'a self,
            op: &'a UserOperation,
            _: Address,
            _: u64,
        ) -> crate::paymaster::PaymasterFuture<'a> {
            self.log.lock().unwrap().push(("pm_getPaymasterStubData".into(), op.clone()));
            let is_final = self.stub_is_final;
            Box::pin(async move {
                Ok(crate::PaymasterFields {
                    paymaster: Address::repeat_byte(0x9a),
                    paymaster_verification_gas_limit: U256::from(30_000),
                    paymaster_post_op_gas_limit: U256::from(1_000),
                    paymaster_data: Bytes::from_static(b"stub"),
                    is_final,
                })
            })
        }

        fn data<'a>(
            &'a self,
            op: &'a UserOperation,
            _: Address,
            _: u64,
        ) -> crate::paymaster::PaymasterFuture<'a> {
            self.log.lock().unwrap().push(("pm_getPaymasterData".into(), op.clone()));
            Box::pin(async move {
                Ok(crate::PaymasterFields {
                    paymaster: Address::repeat_byte(0x9a),
                    paymaster_data: Bytes::from_static(b"signed by the paymaster"),
                    ..Default::default()
                })
            })
        }
    }

    fn paymaster_run(stub_is_final: bool) -> (Vec<(String, UserOperation)>, Sent) {
        let log: Arc<Mutex<Vec<(String, UserOperation)>>> = Arc::default();
        let honest = Honest::default();
        let (h, l) = (honest, log.clone());
        let b = Scripted::new(move |m, p| {
            if m == "eth_estimateUserOperationGas" || m == "eth_sendUserOperation" {
                let op: UserOperation = serde_json::from_value(p[0].clone()).unwrap();
                l.lock().unwrap().push((m.to_string(), op));
            }
            h.answer(m, p)
        });
        let n = node(0);
        let pm = RecordingPaymaster { log: log.clone(), stub_is_final };
        let c = client(&n, &b)
            .with_options(ClientOptions { paymaster: Some(Arc::new(pm)), ..options() });
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let sent = rt.block_on(c.send_operation(lane(), &calls(), Bytes::new(), sig)).unwrap();
        let log = log.lock().unwrap().clone();
        (log, sent)
    }

    #[test]
    fn the_paymaster_stub_comes_before_the_estimate_and_its_data_before_the_signature() {
        let (log, sent) = paymaster_run(false);
        let order: Vec<&str> = log.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            order,
            [
                "pm_getPaymasterStubData",
                "eth_estimateUserOperationGas",
                "pm_getPaymasterData",
                "eth_sendUserOperation"
            ]
        );
        // the stub was asked before any gas value was known
        assert_eq!(log[0].1.call_gas_limit, U256::ZERO);
        // the estimate ran with the stub's paymaster fields
        assert_eq!(log[1].1.paymaster_data, Some(Bytes::from_static(b"stub")));
        assert_eq!(log[1].1.paymaster_verification_gas_limit, Some(U256::from(30_000)));
        // the final data was asked over the estimated operation
        assert_eq!(log[2].1.call_gas_limit, U256::from(0x186a0));
        // what was sent (and signed: the bundler's own hash of it matched ours) carries the
        // paymaster's final data, with the stub's gas limits kept
        let op = &log[3].1;
        assert_eq!(op.paymaster_data, Some(Bytes::from_static(b"signed by the paymaster")));
        assert_eq!(op.paymaster_verification_gas_limit, Some(U256::from(30_000)));
        assert_eq!(sent.user_op_hash, op.hash(ENTRY_POINT_V07, 1));
    }

    #[test]
    fn a_final_stub_is_not_followed_by_a_data_call() {
        let (log, _) = paymaster_run(true);
        let order: Vec<&str> = log.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            order,
            ["pm_getPaymasterStubData", "eth_estimateUserOperationGas", "eth_sendUserOperation"]
        );
        assert_eq!(log[2].1.paymaster_data, Some(Bytes::from_static(b"stub")));
    }
}
