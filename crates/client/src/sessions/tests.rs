use super::*;
use alloy_primitives::keccak256;

/// A signer like a hardware wallet's: it signs typed data (here with a local key) and
/// refuses to sign a bare hash.
#[derive(Debug)]
struct TypedDataOnly(alloy_signer_local::PrivateKeySigner);

#[async_trait::async_trait]
impl alloy_signer::Signer for TypedDataOnly {
    async fn sign_hash(&self, _: &B256) -> alloy_signer::Result<alloy_primitives::Signature> {
        Err(alloy_signer::Error::UnsupportedOperation(
            alloy_signer::UnsupportedSignerOperation::SignHash,
        ))
    }

    async fn sign_typed_data<T: alloy_sol_types::SolStruct + Send + Sync>(
        &self,
        payload: &T,
        domain: &alloy_sol_types::Eip712Domain,
    ) -> alloy_signer::Result<alloy_primitives::Signature> {
        self.0.sign_typed_data(payload, domain).await
    }

    fn address(&self) -> Address {
        alloy_signer::Signer::address(&self.0)
    }

    fn chain_id(&self) -> Option<u64> {
        None
    }

    fn set_chain_id(&mut self, _: Option<u64>) {}
}

/// The typed-data grant goes through `sign_typed_data` (a signer refusing `sign_hash` can
/// grant), and the signature recovers to the owner over the codec's multichain digest (the
/// digest the contract checks, compared byte for byte with module-sdk in the codec's
/// vectors), for both layouts.
#[tokio::test]
async fn typed_data_grants_work_with_a_signer_that_refuses_sign_hash() {
    use alloy_transport::mock::Asserter;
    use smart_sessions_codec::{ChainDigest, EnableMode, eip712};
    let owner = TypedDataOnly(alloy_signer_local::PrivateKeySigner::random());
    let account = Address::repeat_byte(0xac);
    for g in [Generation::Legacy, Generation::Current] {
        let d = match g {
            Generation::Legacy => crate::Deployments::legacy_nexus_k1(),
            _ => crate::Deployments::current(Address::repeat_byte(0x0b)),
        };
        let request = crate::SessionRequest::new(
            Address::repeat_byte(5),
            serde_json::from_value(serde_json::json!([{
                "contractAddress": Address::repeat_byte(9),
                "functionSelector": "0xa9059cbb", "sudo": true
            }]))
            .unwrap(),
        );
        let session = request.to_session(&d).unwrap();
        let asserter = Asserter::new();
        asserter.push_success(&format!("0x{:064x}", 4)); // SmartSession.getNonce: 4
        let node = alloy_provider::ProviderBuilder::new().connect_mocked_client(asserter);
        let ss = d.smart_sessions();
        let details = ss
            .grant_off_chain(
                &node,
                account,
                10,
                &session,
                false,
                &owner,
                d.owner_validator,
                OwnerSignatureStyle::TypedData,
            )
            .await
            .unwrap_or_else(|e| panic!("{g:?}: {e}"));
        let sig_bytes = match details.enable().unwrap() {
            smart_sessions_codec::AnyEnableSession::Current(e) => e.permissionEnableSig,
            smart_sessions_codec::AnyEnableSession::Legacy(e) => e.permissionEnableSig,
        };
        // the owner validator's address, then r ‖ s ‖ v
        let sig = alloy_primitives::Signature::from_raw(&sig_bytes[20..]).unwrap();
        let digest = eip712::multichain_digest(
            g,
            &[ChainDigest {
                chainId: 10,
                sessionDigest: eip712::any_session_digest(
                    &session,
                    account,
                    ss.address,
                    EnableMode::Enable,
                    U256::from(4),
                ),
            }],
        );
        let signer = sig.recover_address_from_prehash(&digest).unwrap();
        assert_eq!(signer, alloy_signer::Signer::address(&owner), "{g:?}");
    }
}

/// The legacy USE signature is compressed: the stub must not come out shorter than real
/// signatures do (random-looking r and s, low s).
#[test]
fn the_stub_compresses_no_better_than_real_signatures() {
    for g in [Generation::Legacy, Generation::V1, Generation::Current] {
        let ss = SmartSessions::canonical(g);
        let pid = B256::repeat_byte(7);
        let stub = ss.stub_use_signature(pid).len();
        for i in 0u32..500 {
            let mut sig = [0u8; 65];
            sig[..32].copy_from_slice(keccak256(i.to_be_bytes()).as_slice());
            sig[32..64].copy_from_slice(keccak256((i + 1_000_000).to_be_bytes()).as_slice());
            sig[32] &= 0x7f;
            sig[64] = 27 + (i % 2) as u8;
            let real = ss.use_signature(pid, &sig).len();
            assert!(stub >= real, "{g:?}: stub {stub} < real {real} (signature {i})");
        }
    }
}
