//! A signer that refuses raw hashes (as hardware wallets do) must still sign ≥ 2.2.1 quotes
//! (EIP-712 `SuperTx`), < 2.2.1 quotes (`personal_sign`) and typed-data grants. The stand-in
//! below is our own: `sign_hash` always fails; `sign_typed_data` / `sign_message` delegate to a
//! local key. Its signatures are compared with the recorded SDK signatures.

use alloy_primitives::{Address, B256, ChainId, Signature};
use alloy_signer::{Result as SignerResult, Signer, UnsupportedSignerOperation};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{Eip712Domain, SolStruct};
use serde_json::Value;
use smart_sessions_mee::{MeeVersion, NodeQuote, sign::sign_quote};

#[derive(Debug)]
struct NoRawHash(PrivateKeySigner);

#[async_trait::async_trait]
impl Signer for NoRawHash {
    async fn sign_hash(&self, _hash: &B256) -> SignerResult<Signature> {
        Err(alloy_signer::Error::UnsupportedOperation(UnsupportedSignerOperation::SignHash))
    }

    async fn sign_message(&self, message: &[u8]) -> SignerResult<Signature> {
        self.0.sign_message(message).await
    }

    async fn sign_typed_data<T: SolStruct + Send + Sync>(
        &self,
        payload: &T,
        domain: &Eip712Domain,
    ) -> SignerResult<Signature>
    where
        Self: Sized,
    {
        self.0.sign_typed_data(payload, domain).await
    }

    fn address(&self) -> Address {
        self.0.address()
    }

    fn chain_id(&self) -> Option<ChainId> {
        None
    }

    fn set_chain_id(&mut self, _chain_id: Option<ChainId>) {}
}

fn vectors(function: &str) -> Vec<Value> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mee.json"))
            .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["function"] == function)
        .cloned()
        .collect()
}

fn signer_of(v: &Value) -> NoRawHash {
    let key: B256 = v["inputs"]["signerPrivateKey"].as_str().unwrap().parse().unwrap();
    NoRawHash(PrivateKeySigner::from_bytes(&key).unwrap())
}

#[tokio::test]
async fn quotes_of_both_modes_sign_without_raw_hash_signing() {
    for v in vectors("mee.signedQuote") {
        let version = MeeVersion::parse(v["inputs"]["meeVersion"].as_str().unwrap()).unwrap();
        let signer = signer_of(&v);
        assert!(signer.sign_hash(&B256::ZERO).await.is_err(), "the stand-in refuses raw hashes");
        let quote = NodeQuote::new(v["inputs"]["quote"].clone()).unwrap().verify_hashes().unwrap();
        let sig = sign_quote(&signer, &quote, version, "Nexus").await.unwrap();
        assert_eq!(
            Value::String(sig.to_string()),
            v["output"]["addedFields"]["signature"],
            "{}",
            v["inputs"]["call"]
        );
    }
}

#[tokio::test]
async fn typed_data_grant_signs_without_raw_hash_signing() {
    // grantPermissionTypedDataSign vector 0 through the library API; the owner signature must
    // equal the recorded one
    use smart_sessions_mee::session::{ChainRead, FeeToken, GrantAction, plan_grant};
    let v = &vectors("mee.grantPermissionTypedDataSign")[0];
    let i = &v["inputs"];
    let key: B256 = i["ownerPrivateKey"].as_str().unwrap().parse().unwrap();
    let owner = NoRawHash(PrivateKeySigner::from_bytes(&key).unwrap());
    let actions: Vec<GrantAction> = i["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| GrantAction {
            chain_id: a["chainId"].as_u64().unwrap(),
            action: smart_sessions_codec::ActionData {
                actionTargetSelector: a["actionTargetSelector"].as_str().unwrap().parse().unwrap(),
                actionTarget: a["actionTarget"].as_str().unwrap().parse().unwrap(),
                actionPolicies: vec![smart_sessions_mee::session::sudo_policy()],
            },
        })
        .collect();
    let salts: Vec<B256> = i["salts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().parse().unwrap())
        .collect();
    let fee = FeeToken {
        address: i["feeToken"]["address"].as_str().unwrap().parse().unwrap(),
        chain_id: 8453,
    };
    let plan = plan_grant(
        &MeeVersion::V2_0_0.config(),
        i["redeemer"].as_str().unwrap().parse().unwrap(),
        &actions,
        Some((fee, alloy_primitives::U256::from(5_000_000u64))),
        &salts,
        |c| i["accounts"][c.to_string()].as_str().and_then(|a| a.parse().ok()),
        |c| {
            Some(ChainRead {
                smart_session_nonce: alloy_primitives::U256::ZERO,
                session_digest: i["chainReads"][c.to_string()]["sessionDigest"]
                    .as_str()?
                    .parse()
                    .ok()?,
            })
        },
    )
    .unwrap();
    let details = plan.sign_typed_data(&owner).await.unwrap();
    assert_eq!(
        Value::String(details[0].permission_enable_sig.to_string()),
        v["output"][0]["enableSessionData"]["enableSession"]["permissionEnableSig"]
    );
}
