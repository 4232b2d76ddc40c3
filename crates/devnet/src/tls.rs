//! A test certificate authority made at run time (rcgen), for the devnet's TLS terminator.

use crate::{
    DevnetError, Result,
    proxy::{Proxy, ProxyOptions},
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use std::{fmt, sync::Arc};
use tokio_rustls::rustls::{
    ServerConfig,
    crypto::aws_lc_rs,
    pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer},
};

fn tls_err<E: fmt::Display>(what: &'static str) -> impl FnOnce(E) -> DevnetError {
    move |e| DevnetError::Command { what: what.into(), output: e.to_string() }
}

/// A throw-away root CA: its certificate is what a client trusts
/// ([`pem`](Self::pem)); it signs server certificates for the devnet's TLS endpoints.
pub struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// A new CA with a fresh key (ECDSA P-256).
    pub fn new() -> Result<Self> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err("CA"))?;
        params.distinguished_name.push(DnType::CommonName, "smart-sessions-rs devnet test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().map_err(tls_err("CA key"))?;
        let cert = params.self_signed(&key).map_err(tls_err("CA certificate"))?;
        Ok(Self { pem: cert.pem(), issuer: Issuer::new(params, key) })
    }

    /// The CA certificate (PEM), to trust in a client.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A rustls server configuration with a fresh certificate for `localhost` and `127.0.0.1`
    /// signed by this CA (HTTP/1.1).
    pub fn server_config(&self) -> Result<Arc<ServerConfig>> {
        let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(tls_err("server certificate"))?;
        let key = KeyPair::generate().map_err(tls_err("server key"))?;
        let cert = params.signed_by(&key, &self.issuer).map_err(tls_err("server certificate"))?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(tls_err("TLS versions"))?
                .with_no_client_auth()
                .with_single_cert(vec![cert.der().clone()], key)
                .map_err(tls_err("TLS server configuration"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// HTTPS in front of a devnet's anvil and Alto: two TLS-terminating [`Proxy`]s with
/// certificates of one fresh [`TestCa`]. Dropping it stops both.
///
/// ```no_run
/// # async fn demo(devnet: &smart_sessions_devnet::Devnet) -> smart_sessions_devnet::Result<()> {
/// let front = smart_sessions_devnet::TlsFront::start(devnet).await?;
/// println!("{} {} (trust {} bytes of PEM)", front.rpc.url(), front.bundler_url().unwrap(), front.ca.pem().len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TlsFront {
    /// The CA that signed both certificates.
    pub ca: TestCa,
    /// `https://localhost:PORT` in front of anvil.
    pub rpc: Proxy,
    /// `https://localhost:PORT` in front of Alto (when the devnet runs it).
    pub bundler: Option<Proxy>,
}

impl TlsFront {
    /// Starts an HTTPS proxy in front of `devnet`'s anvil and one in front of its Alto (if it runs
    /// one), both with certificates of a fresh [`TestCa`].
    pub async fn start(devnet: &crate::Devnet) -> Result<Self> {
        let ca = TestCa::new()?;
        let options = || -> Result<ProxyOptions> {
            Ok(ProxyOptions { tls: Some(ca.server_config()?), ..ProxyOptions::default() })
        };
        let rpc = Proxy::start_with(&devnet.rpc_url, options()?).await?;
        let bundler = match &devnet.bundler_url {
            Some(u) => Some(Proxy::start_with(u, options()?).await?),
            None => None,
        };
        Ok(Self { ca, rpc, bundler })
    }

    /// The HTTPS URL in front of Alto (`None` when the devnet runs no bundler).
    pub fn bundler_url(&self) -> Option<&str> {
        self.bundler.as_ref().map(Proxy::url)
    }
}
