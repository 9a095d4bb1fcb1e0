//! Injected faults hit exactly the requests they name: by method and path
//! pattern, the nth request, the first n or every one; as a status, a
//! dropped connection or a delay.

mod fake_support;

use std::time::{Duration, Instant};

use github_packages::PackageType;
use github_packages::fake::FakeGitHub;
use reqwest::Method;

use fake_support::{ALL, acme_app, http, send, unlimited};

const VERSIONS: &str = "/orgs/acme/packages/container/app/versions";

async fn fake_with_app() -> (FakeGitHub, String, Vec<i64>) {
    let gh = unlimited().await;
    let ids = acme_app(&gh, 3).ids();
    let token = gh.token_with_scopes(ALL);
    (gh, token, ids)
}

#[tokio::test]
async fn the_nth_request_gets_the_status() {
    let (gh, token, ids) = fake_with_app().await;
    let fault = gh
        .fault("DELETE", "/orgs/acme/packages/container/app/versions/*")
        .nth(2)
        .header("retry-after", "7")
        .respond(502, r#"{"message":"Server Error"}"#)
        .unwrap();
    let http = http();
    let url = |id: i64| format!("{}{VERSIONS}/{id}", gh.url());
    assert_eq!(
        send(&http, Method::DELETE, &url(ids[1]), Some(&token))
            .await
            .status,
        204
    );
    let failed = send(&http, Method::DELETE, &url(ids[2]), Some(&token)).await;
    assert_eq!(failed.status, 502);
    assert_eq!(failed.message(), "Server Error");
    assert_eq!(failed.header("retry-after"), Some("7"));
    // The faulted request never reached the API: the version is still there.
    assert_eq!(
        send(&http, Method::GET, &url(ids[2]), Some(&token))
            .await
            .status,
        200
    );
    assert_eq!(
        send(&http, Method::DELETE, &url(ids[2]), Some(&token))
            .await
            .status,
        204
    );
    assert_eq!(fault.hits(), 1);
    assert_eq!(
        gh.deleted_ids("acme", PackageType::Container, "app"),
        [ids[1], ids[2]]
    );

    let statuses: Vec<Option<u16>> = gh
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::DELETE)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(204), Some(502), Some(204)]);
}

#[tokio::test]
async fn the_first_n_or_every_request_fails_until_removed() {
    let (gh, token, _) = fake_with_app().await;
    let http = http();
    let url = format!("{}{VERSIONS}", gh.url());
    let twice = gh.fault("*", "/orgs/**").times(2).status(503).unwrap();
    for expected in [503, 503, 200] {
        assert_eq!(
            send(&http, Method::GET, &url, Some(&token)).await.status,
            expected
        );
    }
    assert_eq!(twice.hits(), 2);
    let body = {
        let always = gh
            .fault("GET", "/orgs/acme/packages/*/app/versions")
            .status(500)
            .unwrap();
        let first = send(&http, Method::GET, &url, Some(&token)).await;
        let second = send(&http, Method::GET, &url, Some(&token)).await;
        assert_eq!((first.status, second.status), (500, 500));
        assert!(always.remove());
        assert!(!always.remove());
        first.json()
    };
    assert_eq!(body["status"], "500");
    assert_eq!(
        send(&http, Method::GET, &url, Some(&token)).await.status,
        200
    );

    gh.fault("GET", "/**").status(500).unwrap();
    gh.clear_faults();
    assert_eq!(
        send(&http, Method::GET, &url, Some(&token)).await.status,
        200
    );
}

#[tokio::test]
async fn dropped_connections_reach_the_client_as_errors() {
    let (gh, token, _) = fake_with_app().await;
    let fault = gh.fault("GET", VERSIONS).nth(1).drop_connection().unwrap();
    let http = http();
    let url = format!("{}{VERSIONS}", gh.url());
    let dropped = http.get(&url).bearer_auth(&token).send().await;
    let error = dropped.expect_err("no answer");
    assert!(!error.is_status(), "{error:?}");
    assert_eq!(fault.hits(), 1);
    let logged = gh.requests();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].status, None);
    assert_eq!(logged[0].path, VERSIONS);
    assert_eq!(
        send(&http, Method::GET, &url, Some(&token)).await.status,
        200
    );
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let (gh, token, _) = fake_with_app().await;
    let http = http();
    let url = format!("{}{VERSIONS}", gh.url());
    gh.fault("GET", VERSIONS)
        .latency(Duration::from_millis(150))
        .unwrap();
    gh.fault("*", "/**")
        .nth(1)
        .latency(Duration::from_millis(150))
        .unwrap();
    let start = Instant::now();
    assert_eq!(
        send(&http, Method::GET, &url, Some(&token)).await.status,
        200
    );
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    let start = Instant::now();
    assert_eq!(
        send(&http, Method::GET, &url, Some(&token)).await.status,
        200
    );
    let second = start.elapsed();
    assert!(
        second >= Duration::from_millis(150) && second < Duration::from_millis(290),
        "{second:?}"
    );
}

#[tokio::test]
async fn fault_patterns_are_checked() {
    let gh = FakeGitHub::start().await;
    for (method, path) in [("GET", "orgs/acme"), ("G E T", "/x"), ("GET", "/x?y=1")] {
        assert!(
            gh.fault(method, path).status(500).is_err(),
            "{method} {path}"
        );
    }
    assert!(gh.fault("GET", "/x").nth(0).status(500).is_err());
    assert!(gh.fault("GET", "/x").times(0).drop_connection().is_err());
    assert!(gh.fault("GET", "/x").status(99).is_err());
    assert!(gh.fault("GET", "/x").status(600).is_err());
    assert!(
        gh.fault("GET", "/x")
            .header("bad header", "x")
            .status(500)
            .is_err()
    );
    assert!(
        gh.fault("GET", "/x")
            .header("x-ok", "line\nbreak")
            .status(500)
            .is_err()
    );
}
