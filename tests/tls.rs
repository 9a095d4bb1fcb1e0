//! TLS is set up for each client, not for the process: building a client
//! installs no rustls provider process-wide (an application stays free to
//! install its own, before or after), and the client's own configuration is
//! what talks TLS. A failed handshake names the host and is not retried.
//!
//! One test in its own binary: the process-wide default provider is global
//! state, which other tests (that build reqwest clients) would set.
#![cfg(feature = "rustls")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use github_packages::{Client, Error, PackageType, Scope, TransportCause};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn tls_is_per_client_and_leaves_the_process_default_alone() {
    // A server that answers a TLS handshake with plain HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut hello = [0u8; 512];
            let _ = socket.read(&mut hello).await;
            let _ = socket
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });

    let gh = Client::builder()
        .base_url(format!("https://{addr}"))
        .token(common::TOKEN)
        .build()
        .expect("a client builds without any process-wide provider");
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "building a client installed a process-wide crypto provider"
    );

    let error = gh
        .packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
        .unwrap_err();
    match &error {
        Error::Transport { host, cause, .. } => {
            assert_eq!(host, &addr.to_string());
            assert_eq!(*cause, TransportCause::Tls, "{error:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "a failed handshake was retried"
    );
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("cannot reach {addr}: the TLS handshake failed")),
        "{text}"
    );
    assert!(!text.contains(common::TOKEN));

    // The application can still choose the process default afterwards.
    #[allow(
        deprecated,
        reason = "the provider this crate itself uses (src/tls.rs)"
    )]
    let provider = rustls::crypto::ring::default_provider();
    provider
        .install_default()
        .expect("the process-wide default was left free");
    assert!(rustls::crypto::CryptoProvider::get_default().is_some());
}
