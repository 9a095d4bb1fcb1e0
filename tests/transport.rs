//! Failures below HTTP name the host and the cause (refused, closed, cut
//! short, DNS, too large), never the URL's query or the token; an answer over
//! the size limit is refused; the client's retries follow exactly
//! `Error::is_retryable`; a client given with `http_client` is the one used;
//! and `reserve_write` lets a read go right before its write.

mod common;

use std::time::{Duration, Instant};

use common::scripted::{Scripted, Step};
use github_packages::{Client, Error, PackageType, Scope, TransportCause};

const PACKAGE: &str = r#"{"id":7,"name":"app","package_type":"npm","url":"u","html_url":"h","version_count":1,"visibility":"public","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}"#;

fn no_retries(base: &str) -> Client {
    common::builder_for(base)
        .max_retries(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn restore_with_token(gh: &Client) -> Error {
    gh.packages(Scope::org("o"))
        .restore(PackageType::Npm, "app")
        .token("RESTORE-SECRET-9")
        .await
        .unwrap_err()
}

fn assert_no_secret(error: &Error) {
    for shown in [error.to_string(), format!("{error:?}")] {
        for secret in [common::TOKEN, "RESTORE-SECRET-9", "token="] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
    }
}

fn transport(error: &Error) -> (&str, TransportCause) {
    match error {
        Error::Transport { host, cause, .. } => (host, *cause),
        other => panic!("not a transport error: {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_connection_names_the_host_and_the_cause() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let gh = no_retries(&format!("http://{closed}"));
    let error = restore_with_token(&gh).await;
    assert_eq!(
        transport(&error),
        (
            closed.to_string().as_str(),
            TransportCause::ConnectionRefused
        )
    );
    assert_eq!(
        error.to_string(),
        format!("cannot reach {closed}: connection refused; check the URL and the network")
    );
    assert!(error.is_retryable());
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_says_so() {
    let server = Scripted::start(vec![Step::Reset]).await;
    let error = restore_with_token(&no_retries(&server.base_url)).await;
    let host = server.base_url.trim_start_matches("http://");
    assert_eq!(transport(&error), (host, TransportCause::ConnectionClosed));
    assert!(error.to_string().contains("reset or closed"), "{error}");
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_body_cut_short_says_so() {
    let server = Scripted::start(vec![Step::Truncate(200, PACKAGE.to_owned())]).await;
    let error = no_retries(&server.base_url)
        .packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
        .unwrap_err();
    assert_eq!(transport(&error).1, TransportCause::Body);
    assert!(error.to_string().contains("cut short"), "{error}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_refused_not_retried() {
    let big = format!("[{}]", vec![PACKAGE; 20].join(","));
    for step in [
        Step::json(200, big.clone()),
        Step::Chunked(200, big.clone()),
    ] {
        let server = Scripted::start(vec![step.clone(), step.clone()]).await;
        let gh = common::builder_for(&server.base_url)
            .max_response_bytes(1_000)
            .build()
            .unwrap();
        let error = gh
            .packages(Scope::org("o"))
            .docker_conflicts()
            .await
            .unwrap_err();
        assert_eq!(
            transport(&error).1,
            TransportCause::BodyTooLarge { limit: 1_000 },
            "{step:?}"
        );
        assert!(
            error.to_string().contains("larger than the 1000 bytes"),
            "{error}"
        );
        assert!(!error.is_retryable());
        assert_eq!(server.requests().len(), 1, "{step:?}: retried");
    }
    // Within the limit, the same answer is read.
    let server = Scripted::start(vec![Step::Chunked(200, big.clone())]).await;
    let gh = common::builder_for(&server.base_url)
        .max_response_bytes(big.len() as u64)
        .build()
        .unwrap();
    let conflicts = gh
        .packages(Scope::org("o"))
        .docker_conflicts()
        .await
        .unwrap();
    assert_eq!(conflicts.len(), 20);
}

#[tokio::test]
async fn an_error_answer_over_the_limit_keeps_its_status() {
    let page = "x".repeat(5_000);
    let server = Scripted::start(vec![Step::json(404, page)]).await;
    let builder = common::builder_for(&server.base_url).max_response_bytes(1_000);
    let error = common::get_app(builder).await.unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn the_client_retries_exactly_what_is_retryable() {
    let mut disagreements = Vec::new();
    for status in [
        400, 401, 404, 409, 410, 422, 429, 500, 501, 502, 503, 504, 505, 599,
    ] {
        let server = Scripted::start(vec![Step::json(status, "{}"); 3]).await;
        let builder = common::builder_for(&server.base_url)
            .max_retries(2)
            .max_rate_limit_wait(Duration::ZERO);
        let error = common::get_app(builder).await.unwrap_err();
        let retried = server.requests().len() > 1;
        // A rate limit the client may not wait for is retryable later, but
        // not retried now: `max_rate_limit_wait` is zero here.
        let expected = error.is_retryable() && !error.is_rate_limited();
        if retried != expected {
            disagreements.push(format!("{status}: retried {retried}, {error:?}"));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

/// A resolver that knows no names, so a lookup fails without touching the
/// network.
struct NoNames;

impl reqwest::dns::Resolve for NoNames {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no such host: {name}"),
            )
            .into())
        })
    }
}

/// reqwest's own builder needs a crypto provider with this crate's default
/// features; a test application supplies one, as the docs say.
fn reqwest_builder() -> reqwest::ClientBuilder {
    #[cfg(feature = "rustls")]
    #[allow(
        deprecated,
        reason = "the provider this crate itself uses (src/tls.rs)"
    )]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

#[tokio::test]
async fn a_given_http_client_is_used_and_a_failed_lookup_is_a_dns_error() {
    let http = reqwest_builder()
        .dns_resolver(std::sync::Arc::new(NoNames))
        .build()
        .unwrap();
    let gh = Client::builder()
        .base_url("http://packages.corp.invalid:8080/api/v3")
        .allow_insecure_http(true)
        .token(common::TOKEN)
        .max_retries(0)
        .http_client(http)
        .build()
        .unwrap();
    let error = restore_with_token(&gh).await;
    assert_eq!(
        transport(&error),
        ("packages.corp.invalid:8080", TransportCause::Dns)
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot reach packages.corp.invalid:8080: the host name does not resolve"),
        "{error}"
    );
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_given_http_client_still_gets_the_headers() {
    use httpmock::prelude::*;
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/orgs/o/packages/npm/app")
            .header("authorization", format!("Bearer {}", common::TOKEN))
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .header_prefix("user-agent", "github-packages/")
            .header_missing("api-version");
        then.status(200)
            .header("content-type", "application/json")
            .body(PACKAGE);
    });
    let stray = common::catch_all(&server);
    let builder = common::builder(&server).http_client(reqwest_builder().build().unwrap());
    let package = common::get_app(builder).await.unwrap();
    assert_eq!(package.id, 7);
    assert_eq!((mock.calls(), stray.calls()), (1, 0));
}

#[tokio::test]
async fn the_timeout_applies_through_a_given_http_client() {
    let server = Scripted::start(vec![Step::Hang]).await;
    let builder = common::builder_for(&server.base_url)
        .http_client(reqwest_builder().build().unwrap())
        .timeout(Duration::from_millis(300))
        .max_retries(0);
    let started = Instant::now();
    let error = common::get_app(builder).await.unwrap_err();
    assert_eq!(transport(&error).1, TransportCause::Timeout, "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_answer_from_another_origin_is_not_taken_for_githubs() {
    let elsewhere = Scripted::start(vec![Step::json(200, PACKAGE)]).await;
    let location = format!("{}/orgs/o/packages/npm/app", elsewhere.base_url);
    let server = Scripted::start(vec![Step::with_headers(
        302,
        &[("location", &location)],
        "",
    )])
    .await;
    let builder =
        common::builder_for(&server.base_url).http_client(reqwest_builder().build().unwrap());
    // The given client follows the redirect (its own policy; reqwest drops
    // the token on the way), but its answer is refused.
    let error = common::get_app(builder).await.unwrap_err();
    match &error {
        Error::CrossOrigin { found, .. } => assert_eq!(found, &elsewhere.base_url),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_reserved_write_leaves_right_after_the_read_before_it() {
    let server = Scripted::start(vec![
        Step::Respond(204, vec![], String::new()),
        Step::json(200, PACKAGE),
        Step::Respond(204, vec![], String::new()),
        Step::Respond(204, vec![], String::new()),
    ])
    .await;
    let spacing = Duration::from_millis(600);
    let gh = common::builder_for(&server.base_url)
        .min_write_interval(spacing)
        .build()
        .unwrap();
    let org = gh.packages(Scope::org("o"));
    let started = Instant::now();
    org.delete(PackageType::Npm, "old").await.unwrap();
    gh.reserve_write().await;
    let reserved = started.elapsed();
    assert!(
        reserved >= spacing,
        "the reservation waited out the spacing: {reserved:?}"
    );
    org.get(PackageType::Npm, "app").await.unwrap();
    org.delete(PackageType::Npm, "app").await.unwrap();
    let read_to_write = started.elapsed() - reserved;
    assert!(
        read_to_write < Duration::from_millis(300),
        "the read and its write were {read_to_write:?} apart"
    );
    // Only one write was prepaid: the next one is spaced again.
    let before = started.elapsed();
    org.delete(PackageType::Npm, "other").await.unwrap();
    assert!(started.elapsed() - before >= Duration::from_millis(500));
    assert_eq!(server.requests().len(), 4);
}
