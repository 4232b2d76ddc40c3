//! The process's TLS crypto provider.
//!
//! `smart-sessions-mee` builds reqwest with `rustls-no-provider` (rustls with ring, its own
//! configuration). Cargo unifies reqwest's features across the binary, so every other reqwest
//! client in the process (alloy's HTTP transport for `--rpc-url` and `--bundler-url`, the devnet's)
//! is a rustls client too, and reqwest refuses to build one without a process-wide provider. The
//! binary installs ring's once at start; library callers that build alloy HTTP providers in
//! the same process call [`install_crypto_provider`] first.
//!
//! ```
//! smart_sessions_cli::tls::install_crypto_provider();
//! smart_sessions_cli::tls::install_crypto_provider(); // a second call changes nothing
//! assert!(rustls::crypto::CryptoProvider::get_default().is_some());
//! ```

/// Installs ring as the process's rustls provider, unless one is installed already.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // a concurrent install wins the race harmlessly: either provider is ring or the caller's
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
