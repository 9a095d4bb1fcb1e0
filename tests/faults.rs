//! The fault matrix: for each failure GitHub or the network can produce, the
//! outcome (retried then succeeded, or the specific error), how many requests
//! the server saw, and that nothing panicked. Waits are configured short.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::scripted::{Scripted, Step};
use github_packages::{Client, Error, PackageType, RateLimitKind, Scope, TransportCause};

const PACKAGE: &str = r#"{"id":7,"name":"app","package_type":"npm","url":"u","html_url":"h","version_count":1,"visibility":"public","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}"#;
const GET_LINE: &str = "GET /orgs/o/packages/npm/app";

fn fast(base: &str) -> Client {
    common::builder_for(base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

async fn get(steps: Vec<Step>) -> (Result<github_packages::Package, Error>, Vec<String>) {
    let server = Scripted::start(steps).await;
    let gh = fast(&server.base_url);
    let result = gh
        .packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await;
    (result, server.requests())
}

fn ok() -> Step {
    Step::json(200, PACKAGE)
}

fn error_body(message: &str) -> String {
    format!(
        r#"{{"message":"{message}","documentation_url":"https://docs.github.com/rest/packages"}}"#
    )
}

fn epoch_secs(offset: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (now + offset).to_string()
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    for status in [500, 502, 503, 504] {
        let (result, requests) = get(vec![Step::json(status, error_body("boom")), ok()]).await;
        assert_eq!(result.unwrap().id, 7, "status {status}");
        assert_eq!(requests, vec![GET_LINE, GET_LINE], "status {status}");
    }
}

#[tokio::test]
async fn server_errors_give_up_after_the_configured_retries() {
    let steps = vec![Step::json(503, error_body("unavailable")); 10];
    let (result, requests) = get(steps).await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Server { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.message(), Some("unavailable"));
    assert_eq!(requests.len(), 4, "1 try + 3 retries");
}

#[tokio::test]
async fn connection_reset_is_retried() {
    let (result, requests) = get(vec![Step::Reset, ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn timeout_is_retried() {
    let (result, requests) = get(vec![Step::Hang, ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn persistent_timeouts_end_in_a_transport_error() {
    let (result, requests) = get(vec![Step::Hang; 4]).await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(std::error::Error::source(&err).is_some());
    // Display names the host and the cause; the detail stays in the source
    // chain only.
    let text = err.to_string();
    let Error::Transport { host, cause, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*cause, TransportCause::Timeout);
    assert!(host.starts_with("127.0.0.1:"), "{host}");
    assert_eq!(
        text,
        format!(
            "no answer from {host} in time; the network or the server is slow, try again later"
        )
    );
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(!text.contains(&source), "{text} repeats {source}");
    assert_eq!(requests.len(), 4);
}

#[tokio::test]
async fn truncated_body_is_retried() {
    let (result, requests) = get(vec![Step::Truncate(200, PACKAGE.to_owned()), ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn invalid_json_is_a_decode_error_with_status_and_request_id() {
    let step = Step::with_headers(200, &[("x-github-request-id", "ABCD:1234")], "{\"id\": 7, ");
    let (result, requests) = get(vec![step]).await;
    let err = result.unwrap_err();
    match &err {
        Error::Decode {
            status, request_id, ..
        } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(request_id.as_deref(), Some("ABCD:1234"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("ABCD:1234"), "{err}");
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn html_success_page_is_a_decode_error_naming_the_content_type() {
    let step = Step::with_headers(
        200,
        &[("content-type", "text/html"), ("x-github-request-id", "R1")],
        "<html><body>Sign in</body></html>",
    );
    let (result, requests) = get(vec![step]).await;
    let err = result.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(text.contains("text/html") && text.contains("R1"), "{text}");
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn html_error_page_is_retried_then_reported_with_its_text() {
    let page = Step::with_headers(
        502,
        &[("content-type", "text/html")],
        "<html>Bad gateway</html>",
    );
    let (result, requests) = get(vec![page; 4]).await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Server { .. }), "{err:?}");
    assert!(err.to_string().contains("Bad gateway"), "{err}");
    assert_eq!(requests.len(), 4);
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_says_what_to_do() {
    let (result, requests) = get(vec![Step::json(401, error_body("Bad credentials"))]).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                had_token: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Bad credentials"));
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(!err.to_string().contains(common::TOKEN));
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn forbidden_names_the_missing_scope() {
    let server = Scripted::start(vec![Step::with_headers(
        403,
        &[
            ("x-accepted-oauth-scopes", "delete:packages, read:packages"),
            ("x-oauth-scopes", "read:packages, repo"),
        ],
        error_body("Resource not accessible by personal access token"),
    )])
    .await;
    let gh = fast(&server.base_url);
    let err = gh
        .packages(Scope::org("o"))
        .version(PackageType::Npm, "app", 42)
        .delete()
        .await
        .unwrap_err();
    match &err {
        Error::Forbidden {
            needed_scopes,
            token_scopes,
            ..
        } => {
            assert_eq!(needed_scopes, &["delete:packages", "read:packages"]);
            assert_eq!(
                token_scopes.as_deref(),
                Some(&["read:packages".to_owned(), "repo".to_owned()][..])
            );
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("needs a token with `delete:packages`"),
        "{text}"
    );
    assert!(
        text.contains("your token has `read:packages`, `repo`"),
        "{text}"
    );
    assert!(!err.is_retryable());
    assert_eq!(
        server.requests(),
        vec!["DELETE /orgs/o/packages/npm/app/versions/42"]
    );
}

#[tokio::test]
async fn secondary_limit_with_retry_after_waits_then_succeeds() {
    let limited = Step::with_headers(
        403,
        &[("retry-after", "1")],
        error_body("You have exceeded a secondary rate limit. Please wait a few minutes."),
    );
    let started = Instant::now();
    let (result, requests) = get(vec![limited, ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited retry-after"
    );
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn secondary_limit_without_retry_after_waits_the_default() {
    let limited = Step::json(403, error_body("You have exceeded a secondary rate limit"));
    let (result, requests) = get(vec![limited, ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn secondary_limit_beyond_the_ceiling_fails_at_once() {
    let limited = Step::with_headers(
        403,
        &[("retry-after", "600")],
        error_body("You have exceeded a secondary rate limit"),
    );
    let (result, requests) = get(vec![limited]).await;
    let err = result.unwrap_err();
    match &err {
        Error::RateLimited { kind, retry_at, .. } => {
            assert_eq!(*kind, RateLimitKind::Secondary);
            let wait = retry_at.unwrap().duration_since(SystemTime::now()).unwrap();
            assert!(wait > Duration::from_secs(590), "{wait:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert!(err.to_string().contains("retry in"), "{err}");
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn too_many_requests_with_retry_after_waits_then_succeeds() {
    let limited = Step::with_headers(
        429,
        &[("retry-after", "0")],
        error_body("Too many requests"),
    );
    let (result, requests) = get(vec![limited, ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
}

fn primary(reset: &str) -> Step {
    Step::with_headers(
        403,
        &[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", reset),
        ],
        error_body("API rate limit exceeded for user ID 1."),
    )
}

#[tokio::test]
async fn primary_limit_with_reset_in_the_past_retries_at_once() {
    let (result, requests) = get(vec![primary(&epoch_secs(-30)), ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn primary_limit_with_reset_near_waits_then_succeeds() {
    let started = Instant::now();
    // The reset is a whole second, so "2 s from now" is 1 to 2 s away.
    let (result, requests) = get(vec![primary(&epoch_secs(2)), ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn primary_limit_with_reset_far_fails_at_once_saying_when() {
    let (result, requests) = get(vec![primary(&epoch_secs(3600))]).await;
    let err = result.unwrap_err();
    match &err {
        Error::RateLimited { kind, retry_at, .. } => {
            assert_eq!(*kind, RateLimitKind::Primary);
            assert!(retry_at.is_some());
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("primary rate limit") && text.contains("retry in 59m"),
        "{text}"
    );
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn primary_limit_with_garbage_or_huge_reset_does_not_panic() {
    for reset in [
        "garbage",
        "-5",
        "99999999999999999999",
        "18446744073709551615",
    ] {
        let (result, requests) = get(vec![primary(reset)]).await;
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                Error::RateLimited {
                    kind: RateLimitKind::Primary,
                    ..
                }
            ),
            "{reset}: {err:?}"
        );
        assert_eq!(requests.len(), 1, "{reset}");
    }
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for (status, expect) in [
        (400, "Rejected"),
        (404, "NotFound"),
        (410, "Rejected"),
        (422, "Rejected"),
    ] {
        let (result, requests) = get(vec![Step::json(status, error_body("nope")), ok()]).await;
        let err = result.unwrap_err();
        let name = match err {
            Error::NotFound { .. } => "NotFound",
            Error::Rejected { .. } => "Rejected",
            ref other => panic!("{status}: {other:?}"),
        };
        assert_eq!(name, expect, "{status}");
        assert_eq!(err.message(), Some("nope"));
        assert_eq!(
            err.documentation_url(),
            Some("https://docs.github.com/rest/packages")
        );
        assert!(!err.is_retryable());
        assert_eq!(requests.len(), 1, "{status}");
    }
}

#[tokio::test]
async fn refusals_keep_githubs_message_whole() {
    let message = "You cannot delete the last tagged version of a package. You must delete the package instead.";
    let server = Scripted::start(vec![Step::json(400, error_body(message))]).await;
    let gh = fast(&server.base_url);
    let err = gh
        .packages(Scope::user("octocat"))
        .version(PackageType::Container, "app", 9)
        .delete()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Rejected { .. }), "{err:?}");
    assert_eq!(err.message(), Some(message));
    assert!(err.to_string().contains(message));
}

#[tokio::test]
async fn delete_is_retried_on_server_errors() {
    let server = Scripted::start(vec![
        Step::json(503, "{}"),
        Step::Respond(204, vec![], String::new()),
    ])
    .await;
    let gh = fast(&server.base_url);
    gh.packages(Scope::org("o"))
        .version(PackageType::Npm, "app", 42)
        .delete()
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn restore_is_not_retried_after_a_server_error() {
    let server = Scripted::start(vec![
        Step::json(502, "{}"),
        Step::Respond(204, vec![], String::new()),
    ])
    .await;
    let gh = fast(&server.base_url);
    let err = gh
        .packages(Scope::org("o"))
        .version(PackageType::Npm, "app", 42)
        .restore()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { .. }), "{err:?}");
    assert_eq!(
        server.requests(),
        vec!["POST /orgs/o/packages/npm/app/versions/42/restore"]
    );
}

#[tokio::test]
async fn restore_is_retried_after_a_rate_limit() {
    let limited = Step::with_headers(429, &[("retry-after", "0")], error_body("slow down"));
    let server = Scripted::start(vec![limited, Step::Respond(204, vec![], String::new())]).await;
    let gh = fast(&server.base_url);
    gh.packages(Scope::org("o"))
        .restore(PackageType::Npm, "app")
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn bad_input_is_rejected_before_any_request() {
    let server = Scripted::start(vec![]).await;
    let gh = fast(&server.base_url);
    let org = Scope::org("o");
    let packages = gh.packages(&org);
    let cases: Vec<(Error, &str)> = vec![
        (
            packages.get(PackageType::Npm, "  ").await.unwrap_err(),
            "package_name",
        ),
        (
            packages
                .version(PackageType::Npm, "app", 0)
                .get()
                .await
                .unwrap_err(),
            "package_version_id",
        ),
        (
            gh.packages(Scope::org("bad org"))
                .get(PackageType::Npm, "x")
                .await
                .unwrap_err(),
            "org",
        ),
        (
            gh.packages(Scope::user(""))
                .docker_conflicts()
                .await
                .unwrap_err(),
            "username",
        ),
        (
            packages
                .versions(PackageType::Npm, "app")
                .per_page(0)
                .send()
                .await
                .unwrap_err(),
            "per_page",
        ),
        (
            packages
                .list(PackageType::Npm)
                .per_page(101)
                .send()
                .await
                .unwrap_err(),
            "per_page",
        ),
        (
            packages
                .list(PackageType::Npm)
                .start_page(0)
                .send()
                .await
                .unwrap_err(),
            "page",
        ),
    ];
    for (err, field) in cases {
        match &err {
            Error::InvalidInput { field: f, .. } => assert_eq!(*f, field, "{err}"),
            other => panic!("{field}: {other:?}"),
        }
        assert!(
            err.to_string().starts_with(&format!("invalid {field}:")),
            "{err}"
        );
    }
    assert!(matches!(
        Client::builder().base_url("not a url").build().unwrap_err(),
        Error::InvalidInput {
            field: "base_url",
            ..
        }
    ));
    assert!(server.requests().is_empty());
}

fn version_json(id: u64) -> String {
    format!(
        r#"{{"id":{id},"name":"v{id}","url":"u","package_html_url":"p","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}}"#
    )
}

#[tokio::test]
async fn a_bad_gateway_mid_listing_retries_that_page_only() {
    const PAGES: u64 = 50;
    let path = "/orgs/o/packages/npm/app/versions";
    let mut steps = Vec::new();
    for page in 1..=PAGES {
        if page == 37 {
            steps.push(Step::json(502, "bad gateway"));
        }
        let items: Vec<String> = (1..=100)
            .map(|i| version_json((page - 1) * 100 + i))
            .collect();
        let mut link = format!(
            "<{{base}}{path}?per_page=100&page={}>; rel=\"next\", <{{base}}{path}?per_page=100&page={PAGES}>; rel=\"last\"",
            page + 1
        );
        if page == PAGES {
            link = format!("<{{base}}{path}?per_page=100&page=1>; rel=\"first\"");
        }
        steps.push(Step::with_headers(
            200,
            &[("link", &link)],
            format!("[{}]", items.join(",")),
        ));
    }
    let server = Scripted::start(steps).await;
    let gh = fast(&server.base_url);
    let versions = gh
        .packages(Scope::org("o"))
        .versions(PackageType::Npm, "app")
        .send()
        .await
        .unwrap();
    let ids: Vec<i64> = versions.iter().map(|v| v.id).collect();
    assert_eq!(ids, (1..=(PAGES as i64) * 100).collect::<Vec<_>>());
    let requests = server.requests();
    assert_eq!(requests.len() as u64, PAGES + 1);
    // Every page goes through the generated operation, which asks for it by
    // number; GitHub's `next` only said that there is one.
    let page_37 = format!("GET {path}?page=37&per_page=100");
    assert_eq!(
        requests.iter().filter(|r| **r == page_37).count(),
        2,
        "{requests:#?}"
    );
}

#[tokio::test]
async fn clones_share_the_write_spacing() {
    let steps = vec![Step::Respond(204, vec![], String::new()); 4];
    let server = Scripted::start(steps).await;
    let gh = common::builder_for(&server.base_url)
        .min_write_interval(Duration::from_millis(150))
        .build()
        .unwrap();
    let other = gh.clone();
    let started = Instant::now();
    let a = async {
        for id in [1, 2] {
            gh.packages(Scope::org("o"))
                .version(PackageType::Npm, "a", id)
                .delete()
                .await
                .unwrap();
        }
    };
    let b = async {
        for id in [3, 4] {
            other
                .packages(Scope::org("o"))
                .version(PackageType::Npm, "b", id)
                .delete()
                .await
                .unwrap();
        }
    };
    futures::join!(a, b);
    // Four writes spaced at least 150 ms apart, whichever clone sent them.
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn clones_share_the_points_budget() {
    // 6,000 points a minute, no write spacing: one 5-point write every 50 ms.
    // Four DELETEs from each of two clones: 8 writes, the first at once,
    // 350 ms in all; either clone alone would be done in 150 ms.
    let steps = vec![Step::Respond(204, vec![], String::new()); 8];
    let server = Scripted::start(steps).await;
    let gh = common::builder_for(&server.base_url)
        .min_write_interval(Duration::ZERO)
        .points_per_minute(6_000)
        .build()
        .unwrap();
    let other = gh.clone();
    let started = Instant::now();
    let run = |client: Client| async move {
        for id in 1..=4 {
            client
                .packages(Scope::org("o"))
                .version(PackageType::Npm, "app", id)
                .delete()
                .await
                .unwrap();
        }
    };
    futures::join!(run(gh), run(other));
    assert!(
        started.elapsed() >= Duration::from_millis(345),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 8);
}

#[tokio::test]
async fn writes_go_out_evenly_without_a_first_burst() {
    // No write spacing, 6,000 points a minute: one 5-point write every 50 ms
    // from the very first, not a bucket's worth at once.
    let server = Scripted::start(vec![Step::Respond(204, vec![], String::new()); 10]).await;
    let gh = common::builder_for(&server.base_url)
        .min_write_interval(Duration::ZERO)
        .points_per_minute(6_000)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut sent = Vec::new();
    for id in 1..=10 {
        gh.packages(Scope::org("o"))
            .version(PackageType::Npm, "app", id)
            .delete()
            .await
            .unwrap();
        sent.push(started.elapsed());
    }
    assert!(sent[1] >= Duration::from_millis(50), "{sent:?}");
    assert!(sent[9] >= Duration::from_millis(450), "{sent:?}");
    assert_eq!(server.requests().len(), 10);
}

#[tokio::test]
async fn forbidden_with_retry_after_is_a_rate_limit_even_without_the_wording() {
    let limited = Step::with_headers(403, &[("retry-after", "0")], error_body("Forbidden"));
    let (result, requests) = get(vec![limited, ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
}

/// An IMF-fixdate (the HTTP-date form GitHub and proxies send) `offset`
/// seconds from now.
fn http_date(offset: i64) -> String {
    let at = chrono::Utc::now() + chrono::Duration::seconds(offset);
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_a_rate_limit_waited_for() {
    // No "secondary rate limit" wording: only `retry-after` says what it is.
    let limited = Step::with_headers(
        403,
        &[("retry-after", &http_date(1))],
        error_body("Forbidden"),
    );
    let started = Instant::now();
    let (result, requests) = get(vec![limited, ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
    // The date has whole seconds: "1 s from now" is up to a second away.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_error_waits_for_an_http_date_retry_after() {
    let busy = Step::with_headers(503, &[("retry-after", &http_date(2))], error_body("busy"));
    let started = Instant::now();
    let (result, requests) = get(vec![busy, ok()]).await;
    assert_eq!(result.unwrap().id, 7);
    assert_eq!(requests.len(), 2);
    // Backoff alone is a few milliseconds in these tests.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limit_waits_do_not_use_up_retries() {
    let limited = Step::with_headers(429, &[("retry-after", "0")], error_body("slow down"));
    let server = Scripted::start(vec![limited.clone(), limited, ok()]).await;
    let gh = common::builder_for(&server.base_url)
        .max_retries(0)
        .build()
        .unwrap();
    let package = gh
        .packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
        .unwrap();
    assert_eq!(package.id, 7);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn endless_rate_limits_end_in_an_error() {
    // "Retry now", forever: taken at its word once, then a second apart, and
    // ended by the total wait allowed.
    let limited = Step::with_headers(429, &[("retry-after", "0")], error_body("slow down"));
    let server = Scripted::start(vec![limited; 20]).await;
    let started = Instant::now();
    let err = common::get_app(
        common::builder_for(&server.base_url).max_rate_limit_wait(Duration::from_millis(2_500)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                kind: RateLimitKind::Secondary,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_rate_limited());
    // Waits of 0, 1 and 1 s; another second would pass the 2.5 s allowed.
    assert_eq!(server.requests().len(), 4);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_millis(2_500),
        "{took:?}"
    );
}

/// A secondary limit without `retry-after`, so the configured default wait
/// applies.
fn secondary_limit() -> Step {
    Step::json(403, error_body("You have exceeded a secondary rate limit"))
}

#[tokio::test]
async fn many_short_rate_limit_waits_succeed_within_the_total_bound() {
    // Eight rate-limit answers in a row: more than the old fixed count of
    // five, well within one second of waiting in total.
    let mut steps = vec![secondary_limit(); 8];
    steps.push(ok());
    let server = Scripted::start(steps).await;
    let package = common::get_app(
        common::builder_for(&server.base_url)
            .secondary_rate_limit_wait(Duration::from_millis(50))
            .max_rate_limit_wait(Duration::from_secs(1)),
    )
    .await
    .unwrap();
    assert_eq!(package.id, 7);
    assert_eq!(server.requests().len(), 9);
}

#[tokio::test]
async fn the_total_rate_limit_wait_is_bounded_whatever_each_wait() {
    let server = Scripted::start(vec![secondary_limit(); 10]).await;
    let started = Instant::now();
    let err = common::get_app(
        common::builder_for(&server.base_url)
            .secondary_rate_limit_wait(Duration::from_millis(300))
            .max_rate_limit_wait(Duration::from_secs(1)),
    )
    .await
    .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    // 3 x 300 ms waited; a fourth wait would pass the second allowed, so the
    // request fails at once instead of starting it.
    assert_eq!(server.requests().len(), 4);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(1),
        "{took:?}"
    );
}

#[tokio::test]
async fn six_retry_after_one_second_answers_then_success_within_ten_seconds() {
    let limited = Step::with_headers(
        403,
        &[("retry-after", "1")],
        error_body("You have exceeded a secondary rate limit"),
    );
    let mut steps = vec![limited; 6];
    steps.push(ok());
    let server = Scripted::start(steps).await;
    let package = common::get_app(
        common::builder_for(&server.base_url).max_rate_limit_wait(Duration::from_secs(10)),
    )
    .await
    .unwrap();
    assert_eq!(package.id, 7);
    assert_eq!(server.requests().len(), 7);
}

#[tokio::test]
async fn a_redirect_to_another_host_is_refused_and_says_so() {
    let elsewhere = Scripted::start(vec![ok()]).await;
    let location = format!("{}/orgs/o/packages/npm/app", elsewhere.base_url);
    let server = Scripted::start(vec![Step::with_headers(
        302,
        &[("location", &location)],
        "",
    )])
    .await;
    let gh = fast(&server.base_url);
    let err = gh
        .packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
        .unwrap_err();
    match &err {
        Error::CrossOrigin {
            expected, found, ..
        } => {
            assert_eq!(expected, &server.base_url);
            assert_eq!(found, &elsewhere.base_url);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("never sent elsewhere"), "{err}");
    assert!(elsewhere.requests().is_empty());
    assert_eq!(
        server.requests().len(),
        1,
        "a refused redirect is not retried"
    );
}

#[tokio::test]
async fn rate_limit_waits_do_not_count_against_the_retry_time() {
    let limited = Step::json(403, error_body("You have exceeded a secondary rate limit"));
    let server = Scripted::start(vec![limited, Step::json(502, "{}"), ok()]).await;
    let gh = common::builder_for(&server.base_url)
        .secondary_rate_limit_wait(Duration::from_millis(200))
        .max_retry_time(Duration::from_millis(100))
        .build()
        .unwrap();
    let package = gh
        .packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
        .unwrap();
    assert_eq!(package.id, 7);
    assert_eq!(
        server.requests().len(),
        3,
        "the 502 after the wait was still retried"
    );
}

#[tokio::test]
async fn primary_limit_without_a_reset_fails_at_once_whatever_the_ceiling() {
    let exhausted = Step::with_headers(
        403,
        &[("x-ratelimit-remaining", "0")],
        error_body("API rate limit exceeded"),
    );
    let server = Scripted::start(vec![exhausted, ok()]).await;
    let gh = common::builder_for(&server.base_url)
        .max_rate_limit_wait(Duration::MAX)
        .build()
        .unwrap();
    let err = gh
        .packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                kind: RateLimitKind::Primary,
                retry_at: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn other_client_errors_are_refusals_not_server_trouble() {
    for status in [405, 415, 451] {
        let (result, requests) = get(vec![Step::json(status, error_body("nope"))]).await;
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Rejected { .. }), "{status}: {err:?}");
        assert!(!err.to_string().contains("try again later"), "{err}");
        assert_eq!(requests.len(), 1);
    }
}

#[tokio::test]
async fn extreme_builder_values_do_not_panic() {
    let server = Scripted::start(vec![Step::Respond(204, vec![], String::new())]).await;
    let gh = common::builder_for(&server.base_url)
        .max_concurrent_requests(usize::MAX)
        .min_write_interval(Duration::MAX)
        .build()
        .unwrap();
    gh.packages(Scope::org("o"))
        .version(PackageType::Npm, "app", 1)
        .delete()
        .await
        .unwrap();
}
