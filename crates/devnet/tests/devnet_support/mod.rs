//! Helpers of the devnet end-to-end tests (devnet*.rs): a Nexus account of the devnet's
//! factory, user operations signed by its owner and sent through Alto, receipts, and the ABIs
//! the tests call. Each test file uses some of them.

#![allow(dead_code, unreachable_pub, unused_imports)]

pub use alloy_contract::SolCallBuilder;
pub use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
pub use alloy_provider::Provider;
pub use alloy_signer::SignerSync;
pub use alloy_signer_local::PrivateKeySigner;
pub use alloy_sol_types::SolCall;
pub use serde_json::{Value, json};
pub use smart_sessions_devnet::{Devnet, ENTRY_POINT, Options};
pub use std::time::{Duration, Instant};

// the ABIs and contract instances: Nexus, its factory and bootstrap, the registry and
// EntryPoint from the bindings; the devnet's Counter from its own bindings module
pub use smart_sessions_bindings::common::{
    entry_point::{EntryPoint, PackedUserOperation},
    nexus::executeCall,
    nexus_account_factory::{NexusAccountFactory, createAccountCall},
    nexus_bootstrap::{BootstrapConfig, NexusBootstrap},
    registry::{Registry, trustAttestersCall},
};
pub use smart_sessions_devnet::contracts::Counter::{self, bumpCall};

/// The decoded answer of the `eth_call` of a contract instance's call (panics on an error).
pub async fn call<P: Provider, C: SolCall>(c: SolCallBuilder<P, C>) -> C::Return {
    c.call().await.expect("eth_call")
}

pub struct Account {
    pub address: Address,
    pub init_data: Bytes,
    pub owner: PrivateKeySigner,
}

pub async fn nexus_account<P: Provider>(p: &P, d: &Devnet, owner: PrivateKeySigner) -> Account {
    let a = &d.addresses;
    let validator =
        BootstrapConfig { module: a.owner_validator, data: owner.address().to_vec().into() };
    let bootstrap = NexusBootstrap::new(a.nexus_bootstrap, p);
    let init_data = call(bootstrap.getInitNexusWithSingleValidatorCalldata(
        validator,
        Address::ZERO,
        vec![],
        0,
    ))
    .await;
    let factory = NexusAccountFactory::new(a.nexus_factory, p);
    let address = call(factory.computeAccountAddress(init_data.clone(), B256::ZERO)).await;
    Account { address, init_data, owner }
}

/// A signed v0.7 user operation in its RPC form, and its hash.
pub async fn user_op<P: Provider>(
    p: &P,
    d: &Devnet,
    acc: &Account,
    call_data: Vec<u8>,
    deploy: bool,
    signer: &PrivateKeySigner,
) -> (Value, B256) {
    user_op_with(p, d, acc, call_data, deploy, d.addresses.owner_validator, &|h: B256| {
        signer.sign_message_sync(h.as_slice()).expect("sign").as_bytes().to_vec()
    })
    .await
}

/// A user op validated by `validator` (the Nexus nonce key), signed by `sign(userOpHash)`.
pub async fn user_op_with<P: Provider>(
    p: &P,
    d: &Devnet,
    acc: &Account,
    call_data: Vec<u8>,
    deploy: bool,
    validator: Address,
    sign: &dyn Fn(B256) -> Vec<u8>,
) -> (Value, B256) {
    let key = smart_sessions_codec::NexusNonceKey::new(validator).key();
    let entry_point = EntryPoint::new(ENTRY_POINT, p);
    let nonce = call(entry_point.getNonce(acc.address, key)).await;
    let factory_data =
        createAccountCall { initData: acc.init_data.clone(), salt: B256::ZERO }.abi_encode();
    let (verification, call_gas, pre_verification) = (2_000_000u128, 500_000u128, 200_000u128);
    let gas_price = p.get_gas_price().await.expect("gas price");
    let (max_fee, priority) = (gas_price * 2 + 1_000_000_000, 1_000_000_000u128);
    let pack = |hi: u128, lo: u128| {
        let mut w = [0u8; 32];
        w[..16].copy_from_slice(&hi.to_be_bytes());
        w[16..].copy_from_slice(&lo.to_be_bytes());
        B256::new(w)
    };
    let init_code: Bytes = if deploy {
        [d.addresses.nexus_factory.as_slice(), &factory_data].concat().into()
    } else {
        Bytes::new()
    };
    let packed = PackedUserOperation {
        sender: acc.address,
        nonce,
        initCode: init_code,
        callData: call_data.clone().into(),
        accountGasLimits: pack(verification, call_gas),
        preVerificationGas: U256::from(pre_verification),
        gasFees: pack(priority, max_fee),
        paymasterAndData: Bytes::new(),
        signature: Bytes::new(),
    };
    let hash = call(entry_point.getUserOpHash(packed)).await;
    let signature = sign(hash);
    let q = |v: u128| format!("{v:#x}");
    let mut op = json!({
        "sender": acc.address,
        "nonce": format!("{nonce:#x}"),
        "callData": Bytes::from(call_data),
        "callGasLimit": q(call_gas),
        "verificationGasLimit": q(verification),
        "preVerificationGas": q(pre_verification),
        "maxFeePerGas": q(max_fee),
        "maxPriorityFeePerGas": q(priority),
        "signature": Bytes::from(signature),
    });
    if deploy {
        op["factory"] = json!(d.addresses.nexus_factory);
        op["factoryData"] = json!(Bytes::from(factory_data));
    }
    (op, hash)
}

pub fn single_call(target: Address, data: Vec<u8>) -> Vec<u8> {
    let mut packed = target.to_vec();
    packed.extend_from_slice(&[0u8; 32]);
    packed.extend_from_slice(&data);
    executeCall { mode: B256::ZERO, executionCalldata: packed.into() }.abi_encode()
}

pub async fn bundler(d: &Devnet) -> impl Provider + use<> {
    let url = d.bundler_url.as_ref().expect("bundler").parse().expect("url");
    alloy_provider::ProviderBuilder::new().connect_http(url)
}

pub async fn wait_receipt<P: Provider>(b: &P, hash: B256) -> Value {
    let start = Instant::now();
    loop {
        let r: Value = b
            .raw_request("eth_getUserOperationReceipt".into(), (hash,))
            .await
            .expect("receipt request");
        if !r.is_null() {
            return r;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no receipt for {hash}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub trait SetBalance {
    async fn anvil_set_balance_helper(&self, who: Address);
}

impl<P: Provider> SetBalance for P {
    async fn anvil_set_balance_helper(&self, who: Address) {
        use alloy_provider::ext::AnvilApi;
        self.anvil_set_balance(who, U256::from(10u64).pow(U256::from(19u64)))
            .await
            .expect("anvil_setBalance");
    }
}

/// A devnet with a bundler on `chain_id`, a provider signing as the deployer, a bundler
/// provider, and a funded counterfactual Nexus account of a random owner.
pub async fn funded_account(
    chain_id: u64,
) -> (Devnet, impl Provider + Clone, impl Provider, Account) {
    let d = Devnet::start_with(Options { chain_id, ..Options::default() }).await.expect("devnet");
    let p = d.provider_for(&d.deployer).expect("provider");
    let b = bundler(&d).await;
    let acc = nexus_account(&p, &d, PrivateKeySigner::random()).await;
    p.anvil_set_balance_helper(acc.address).await;
    (d, p, b, acc)
}

pub async fn send_op<P: Provider>(b: &P, op: Value) -> Value {
    let hash: B256 =
        b.raw_request("eth_sendUserOperation".into(), (op, ENTRY_POINT)).await.expect("send");
    wait_receipt(b, hash).await
}

pub use smart_sessions_bindings::legacy::smart_session::SmartSession;

pub trait IntoBindings {
    fn into_bindings(self) -> smart_sessions_bindings::legacy::smart_session::PackedUserOperation;
}

impl IntoBindings for PackedUserOperation {
    fn into_bindings(self) -> smart_sessions_bindings::legacy::smart_session::PackedUserOperation {
        smart_sessions_bindings::legacy::smart_session::PackedUserOperation {
            sender: self.sender,
            nonce: self.nonce,
            initCode: self.initCode,
            callData: self.callData,
            accountGasLimits: self.accountGasLimits,
            preVerificationGas: self.preVerificationGas,
            gasFees: self.gasFees,
            paymasterAndData: self.paymasterAndData,
            signature: self.signature,
        }
    }
}
