//! TLS for the client this crate builds, configured for that client only.
//!
//! With the `rustls` feature, reqwest is compiled without a crypto provider
//! of its own (aws-lc's C build stays out of the tree), so this module hands
//! it a finished rustls configuration: the `ring` provider, the platform's
//! certificate verifier (the same one reqwest uses, so the system's trusted
//! roots apply), HTTP/2 and HTTP/1.1 by ALPN. Nothing is installed
//! process-wide: an application remains free to install its own default
//! provider, before or after building a `Client`. With only `native-tls`,
//! reqwest's own platform TLS is used as it is.
//!
//! rustls 0.23.48 deprecates `crypto::ring::default_provider` because `ring`
//! offers no post-quantum key exchange; only `aws-lc-rs` does, at the price
//! of a C and CMake build this crate keeps out of its tree. The provider is
//! chosen on purpose, so the deprecation is acknowledged here, in one place.

#[cfg(feature = "rustls")]
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
    use std::sync::Arc;

    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = Arc::new(ring_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_platform_verifier()
        .map_err(|e| e.to_string())?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(builder.tls_backend_preconfigured(config))
}

/// rustls's `ring` provider: its cipher suites and key exchange groups, in
/// rustls's order. `allow`, not `expect`: rustls before 0.23.48 deprecates
/// nothing, and both must build without a warning.
#[cfg(feature = "rustls")]
#[allow(
    deprecated,
    reason = "ring is chosen on purpose, post-quantum key exchange aside (module docs)"
)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

#[cfg(not(feature = "rustls"))]
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
    Ok(builder)
}
