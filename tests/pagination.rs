//! Proves listings follow GitHub's `Link` headers to the end and no further: counts,
//! order and requests from 0 to 10,000 items, ordered concurrency, and a distinct
//! error (never a short list) at the wall, on a foreign or malformed link, or a failed page.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use github_packages::{Error, Links, PackageType, PackageVersion, Scope};
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse, Mock};
use serde_json::{Value, json};

const ORG_VERSIONS: &str = "/orgs/o/packages/container/app/versions";
const USER_VERSIONS: &str = "/users/octocat/packages/container/app/versions";

/// Raw request targets (path and query, as sent) in arrival order.
type Log = Arc<Mutex<Vec<String>>>;

fn new_log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn logged(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// A minimal valid `PackageVersion`; ids count from 1 across the listing.
fn version_json(id: usize) -> Value {
    json!({
        "id": id,
        "name": format!("sha256:{id:064x}"),
        "url": format!("https://api.github.com/orgs/o/packages/container/app/versions/{id}"),
        "package_html_url": "https://github.com/orgs/o/packages/container/package/app",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-02T00:00:00Z",
    })
}

fn page_body(first_id: usize, count: usize) -> String {
    let items: Vec<Value> = (first_id..first_id + count).map(version_json).collect();
    serde_json::to_string(&items).unwrap()
}

/// How one page of a served listing answers.
#[derive(Clone)]
struct Served {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
}

/// Registers a mock for `page` of `path` that answers `served` and logs the
/// raw request target.
fn serve_page<'a>(
    server: &'a MockServer,
    path: &str,
    page: u64,
    served: Served,
    log: &Log,
) -> Mock<'a> {
    let log = Arc::clone(log);
    server.mock(|when, then| {
        when.method(GET)
            .path(path)
            .query_param("page", page.to_string());
        then.respond_with(move |req: &HttpMockRequest| {
            let target = req.uri().path_and_query().map(|pq| pq.as_str().to_owned());
            log.lock().unwrap().push(target.unwrap_or_default());
            let mut answer = HttpMockResponse::builder()
                .status(served.status)
                .header("content-type", "application/json; charset=utf-8")
                .body(served.body.clone());
            for (name, value) in &served.headers {
                answer = answer.header(name.as_str(), value.as_str());
            }
            answer.build()
        });
    })
}

/// GitHub's `Link` header for `page` of `pages`: `next` and `last` while
/// there is more, `prev` and `first` after the first page.
fn github_links(url_of: &dyn Fn(u64) -> String, page: u64, pages: u64) -> Option<String> {
    let mut parts = Vec::new();
    if page < pages {
        parts.push(format!("<{}>; rel=\"next\"", url_of(page + 1)));
        parts.push(format!("<{}>; rel=\"last\"", url_of(pages)));
    }
    if page > 1 {
        parts.push(format!("<{}>; rel=\"prev\"", url_of(page - 1)));
        parts.push(format!("<{}>; rel=\"first\"", url_of(1)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Serves a listing of `total` versions at `path`, 100 per page, one mock per
/// page. Returns the page mocks (page `k` at index `k - 1`).
fn serve_listing<'a>(server: &'a MockServer, path: &str, total: usize, log: &Log) -> Vec<Mock<'a>> {
    serve_listing_by(server, path, total, 100, log)
}

/// Serves a listing of `total` versions at `path`, `per_page` a page, as
/// [`serve_listing`] does.
fn serve_listing_by<'a>(
    server: &'a MockServer,
    path: &str,
    total: usize,
    per_page: usize,
    log: &Log,
) -> Vec<Mock<'a>> {
    let pages = total.div_ceil(per_page).max(1);
    let sizes: Vec<usize> = (0..pages)
        .map(|k| total.saturating_sub(k * per_page).min(per_page))
        .collect();
    serve_sized(server, path, per_page, &sizes, log)
}

/// Serves page `k` of a listing at `path` with `sizes[k - 1]` versions (ids
/// counting on from the page before), linked as GitHub links `per_page`
/// pages. Returns the page mocks (page `k` at index `k - 1`).
fn serve_sized<'a>(
    server: &'a MockServer,
    path: &str,
    per_page: usize,
    sizes: &[usize],
    log: &Log,
) -> Vec<Mock<'a>> {
    let pages = sizes.len() as u64;
    let base = server.url(path);
    let url_of = move |k: u64| format!("{base}?per_page={per_page}&page={k}");
    let mut first_id = 1;
    (1..=pages)
        .zip(sizes)
        .map(|(k, &count)| {
            let headers = github_links(&url_of, k, pages)
                .map(|link| vec![("link".to_owned(), link)])
                .unwrap_or_default();
            let served = Served {
                status: 200,
                body: page_body(first_id, count),
                headers,
            };
            first_id += count;
            serve_page(server, path, k, served, log)
        })
        .collect()
}

fn calls(mocks: &[Mock<'_>]) -> usize {
    mocks.iter().map(Mock::calls).sum()
}

fn ids(versions: &[PackageVersion]) -> Vec<i64> {
    versions.iter().map(|v| v.id).collect()
}

fn expected_ids(total: usize) -> Vec<i64> {
    (1..=total as i64).collect()
}

/// Errors produced in these tests must never carry the token.
fn assert_no_token(error: &Error) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(common::TOKEN), "token leaked: {shown}");
}

fn org() -> Scope {
    Scope::org("o")
}

/// Lists the org package's versions with `concurrency`, keeping everything
/// the stream yields (items, then at most one error).
async fn drain(
    server: &MockServer,
    scope: &Scope,
    concurrency: usize,
) -> (Vec<PackageVersion>, Option<Error>) {
    let gh = common::client(server);
    let mut stream = Box::pin(
        gh.packages(scope)
            .versions(PackageType::Container, "app")
            .concurrency(concurrency)
            .stream(),
    );
    let mut items = Vec::new();
    while let Some(next) = stream.next().await {
        match next {
            Ok(item) => items.push(item),
            Err(error) => {
                assert_no_token(&error);
                let after = stream.next().await;
                assert!(
                    after.is_none(),
                    "the stream went on after {error}: {after:?}"
                );
                return (items, Some(error));
            }
        }
    }
    (items, None)
}

async fn listing_of(total: usize, concurrency: usize) -> (Vec<i64>, Vec<String>) {
    let server = MockServer::start_async().await;
    let log = new_log();
    let pages = serve_listing(&server, ORG_VERSIONS, total, &log);
    let stray = common::catch_all(&server);
    let (items, error) = drain(&server, &org(), concurrency).await;
    assert!(error.is_none(), "{total} items: {error:?}");
    assert_eq!(stray.calls(), 0, "{total} items: unexpected requests");
    let expected_pages = total.div_ceil(100).max(1);
    assert_eq!(calls(&pages), expected_pages, "{total} items: requests");
    for (k, page) in pages.iter().enumerate() {
        assert_eq!(
            page.calls(),
            1,
            "{total} items: page {} requested once",
            k + 1
        );
    }
    let mut requests = logged(&log);
    requests.sort();
    (ids(&items), requests)
}

#[tokio::test]
async fn every_size_yields_every_item_in_order_one_request_per_page() {
    for total in [0, 1, 100, 101, 250] {
        let (ids, _) = listing_of(total, 1).await;
        assert_eq!(ids, expected_ids(total), "{total} items");
    }
}

#[tokio::test]
async fn ten_thousand_items_take_one_hundred_requests() {
    let (ids, requests) = listing_of(10_000, 1).await;
    assert_eq!(ids, expected_ids(10_000));
    assert_eq!(requests.len(), 100);
}

#[tokio::test]
async fn first_request_asks_for_page_one_at_the_maximum_size() {
    let server = MockServer::start_async().await;
    let first = server.mock(|when, then| {
        when.method(GET)
            .path(ORG_VERSIONS)
            .query_param("page", "1")
            .query_param("per_page", "100");
        then.status(200).body("[]");
    });
    let stray = common::catch_all(&server);
    let all = common::client(&server)
        .packages(org())
        .versions(PackageType::Container, "app")
        .send()
        .await
        .unwrap();
    assert!(all.is_empty());
    assert_eq!((first.calls(), stray.calls()), (1, 0));
}

#[tokio::test]
async fn concurrency_four_matches_concurrency_one() {
    for total in [250, 10_000] {
        let (one_ids, one_requests) = listing_of(total, 1).await;
        let (four_ids, four_requests) = listing_of(total, 4).await;
        assert_eq!(four_ids, one_ids, "{total} items: items or order differ");
        assert_eq!(
            four_requests, one_requests,
            "{total} items: requests differ"
        );
        assert_eq!(four_ids, expected_ids(total));
    }
}

#[tokio::test]
async fn user_versions_operation_pages_too() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let pages = serve_listing(&server, USER_VERSIONS, 250, &log);
    let stray = common::catch_all(&server);
    let (items, error) = drain(&server, &Scope::user("octocat"), 1).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids(&items), expected_ids(250));
    assert_eq!((calls(&pages), stray.calls()), (3, 0));
    assert!(
        logged(&log)[0].contains("per_page=100"),
        "{:?}",
        logged(&log)
    );
}

/// The query of page `k`'s link in a listing whose links carry parameters
/// this crate never sets, spelled the way a form encoder would change them
/// (`%20`, `~`, a bare key).
fn query_with_extras(k: u64) -> String {
    format!("state=active&per_page=100&page={k}&after=a%2Fb%20c&tag=v1~rc&bare")
}

#[tokio::test]
async fn next_links_are_followed_exactly_as_given() {
    for concurrency in [1, 4] {
        let server = MockServer::start_async().await;
        let log = new_log();
        let base = server.url(ORG_VERSIONS);
        let url_of = move |k: u64| format!("{base}?{}", query_with_extras(k));
        let pages: Vec<_> = (1..=3)
            .map(|k| {
                let served = Served {
                    status: 200,
                    body: page_body((k as usize - 1) * 100 + 1, 100),
                    headers: vec![("link".to_owned(), github_links(&url_of, k, 3).unwrap())],
                };
                serve_page(&server, ORG_VERSIONS, k, served, &log)
            })
            .collect();
        let stray = common::catch_all(&server);
        let (items, error) = drain(&server, &org(), concurrency).await;
        assert!(error.is_none(), "concurrency {concurrency}: {error:?}");
        assert_eq!(ids(&items), expected_ids(300), "concurrency {concurrency}");
        assert_eq!(
            (calls(&pages), stray.calls()),
            (3, 0),
            "concurrency {concurrency}"
        );
        let mut sent = logged(&log);
        sent.sort();
        let expected: Vec<String> = (2..=3)
            .map(|k| format!("{ORG_VERSIONS}?{}", query_with_extras(k)))
            .collect();
        assert_eq!(&sent[1..], &expected[..], "concurrency {concurrency}");
    }
}

/// Serves 100 full pages, then GitHub's refusal for page 101 while `last`
/// claims 120 pages (a listing of 12,000 versions).
fn serve_wall<'a>(server: &'a MockServer, log: &Log) -> Vec<Mock<'a>> {
    let refusal = json!({
        "message": "Pagination is limited for this resource to 10000 items",
        "documentation_url": "https://docs.github.com/rest/packages/packages",
    });
    serve_wall_with(server, log, 400, refusal.to_string())
}

/// Serves 100 full pages, then `status` with `body` for page 101.
fn serve_wall_with<'a>(
    server: &'a MockServer,
    log: &Log,
    status: u16,
    body: String,
) -> Vec<Mock<'a>> {
    let base = server.url(ORG_VERSIONS);
    let url_of = move |k: u64| format!("{base}?per_page=100&page={k}");
    let mut mocks: Vec<Mock<'a>> = (1..=100)
        .map(|k| {
            let served = Served {
                status: 200,
                body: page_body((k as usize - 1) * 100 + 1, 100),
                headers: vec![("link".to_owned(), github_links(&url_of, k, 120).unwrap())],
            };
            serve_page(server, ORG_VERSIONS, k, served, log)
        })
        .collect();
    let served = Served {
        status,
        body,
        headers: vec![("x-github-request-id".to_owned(), "WALL:1".to_owned())],
    };
    mocks.push(serve_page(server, ORG_VERSIONS, 101, served, log));
    mocks
}

#[tokio::test]
async fn the_ten_thousand_wall_ends_with_a_distinct_error_after_every_item() {
    for concurrency in [1, 4] {
        let server = MockServer::start_async().await;
        let log = new_log();
        let pages = serve_wall(&server, &log);
        let stray = common::catch_all(&server);
        let (items, error) = drain(&server, &org(), concurrency).await;
        assert_eq!(
            ids(&items),
            expected_ids(10_000),
            "concurrency {concurrency}"
        );
        match &error {
            Some(Error::PaginationLimit {
                page: 101,
                per_page: 100,
                api,
                ..
            }) => {
                let api = api.as_ref().expect("GitHub's answer is kept");
                assert_eq!(api.status.as_u16(), 400);
                assert_eq!(api.request_id.as_deref(), Some("WALL:1"));
            }
            other => panic!("concurrency {concurrency}: {other:?}"),
        }
        let error = error.unwrap();
        assert!(error.is_pagination_limit());
        // GitHub's behaviour, not a documented fact: said as such.
        let text = error.to_string();
        assert!(text.contains("refused page 101"), "{text}");
        assert!(text.contains("may refuse pages this deep"), "{text}");
        // Nothing past the wall is asked for: GitHub would refuse it too.
        assert_eq!(
            stray.calls(),
            0,
            "concurrency {concurrency}: requests past the wall"
        );
        assert_eq!(calls(&pages), 101, "concurrency {concurrency}");
    }
}

#[tokio::test]
async fn collect_returns_the_wall_error() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let _pages = serve_wall(&server, &log);
    let _stray = common::catch_all(&server);
    let error = common::client(&server)
        .packages(org())
        .versions(PackageType::Container, "app")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::PaginationLimit {
                page: 101,
                per_page: 100,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn starting_past_the_wall_is_the_wall_error_too() {
    let server = MockServer::start_async().await;
    let refused = server.mock(|when, then| {
        when.method(GET)
            .path(ORG_VERSIONS)
            .query_param("page", "101");
        then.status(400)
            .header("content-type", "application/json")
            .body(r#"{"message":"Pagination is limited for this resource to 10000 items"}"#);
    });
    let stray = common::catch_all(&server);
    let error = common::client(&server)
        .packages(org())
        .versions(PackageType::Container, "app")
        .start_page(101)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::PaginationLimit {
                page: 101,
                per_page: 100,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!((refused.calls(), stray.calls()), (1, 0));
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let lure = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200).body("[]");
    });
    let log = new_log();
    let foreign = elsewhere.url(format!("{ORG_VERSIONS}?per_page=100&page=2"));
    let first = serve_page(
        &server,
        ORG_VERSIONS,
        1,
        Served {
            status: 200,
            body: page_body(1, 100),
            headers: vec![("link".to_owned(), format!("<{foreign}>; rel=\"next\""))],
        },
        &log,
    );
    let stray = common::catch_all(&server);
    for concurrency in [1, 4] {
        let (items, error) = drain(&server, &org(), concurrency).await;
        assert_eq!(ids(&items), expected_ids(100), "concurrency {concurrency}");
        match error {
            Some(Error::CrossOrigin {
                expected, found, ..
            }) => {
                assert_eq!(expected, server.base_url());
                assert_eq!(found, elsewhere.base_url());
            }
            other => panic!("concurrency {concurrency}: {other:?}"),
        }
    }
    assert_eq!(lure.calls(), 0, "the other origin was contacted");
    assert_eq!((first.calls(), stray.calls()), (2, 0));
}

/// `Link` values that cannot be followed, built around a good `next` URL.
fn malformed_links(next: &str) -> Vec<String> {
    vec![
        format!("{next}; rel=\"next\""),
        format!("<{next}; rel=\"next\""),
        format!("<{next}>; rel=\"next"),
        format!("<{next}> rel=\"next\""),
        format!("<{next}>; =next"),
        format!("<{next}>; rel=\"next\" <{next}>; rel=\"last\""),
        "<http://[::1>; rel=\"next\"".to_owned(),
        format!("<{next}>"),
        format!("<{next}>; rel=\"\""),
    ]
}

#[tokio::test]
async fn malformed_link_headers_are_errors_not_panics_or_silent_stops() {
    for on_page in [1u64, 2] {
        for case in 0..malformed_links("x").len() {
            let server = MockServer::start_async().await;
            let log = new_log();
            let url_of = |k: u64| server.url(format!("{ORG_VERSIONS}?per_page=100&page={k}"));
            let bad = malformed_links(&url_of(on_page + 1)).swap_remove(case);
            let mut mocks = Vec::new();
            if on_page == 2 {
                let served = Served {
                    status: 200,
                    body: page_body(1, 100),
                    headers: vec![("link".to_owned(), format!("<{}>; rel=\"next\"", url_of(2)))],
                };
                mocks.push(serve_page(&server, ORG_VERSIONS, 1, served, &log));
            }
            let served = Served {
                status: 200,
                body: page_body((on_page as usize - 1) * 100 + 1, 100),
                headers: vec![("link".to_owned(), bad.clone())],
            };
            mocks.push(serve_page(&server, ORG_VERSIONS, on_page, served, &log));
            let stray = common::catch_all(&server);
            let (items, error) = drain(&server, &org(), 1).await;
            assert_eq!(items.len(), (on_page as usize - 1) * 100, "{bad}");
            assert!(
                matches!(error, Some(Error::MalformedLink { .. })),
                "page {on_page}, Link {bad:?}: {error:?}"
            );
            assert_eq!(
                (calls(&mocks), stray.calls()),
                (on_page as usize, 0),
                "{bad}"
            );
        }
    }
}

#[tokio::test]
async fn links_split_over_several_header_fields_are_all_read() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let url_of = |k: u64| server.url(format!("{ORG_VERSIONS}?per_page=100&page={k}"));
    let first = serve_page(
        &server,
        ORG_VERSIONS,
        1,
        Served {
            status: 200,
            body: page_body(1, 100),
            headers: vec![
                ("link".to_owned(), format!("<{}>; rel=\"last\"", url_of(2))),
                ("link".to_owned(), format!("<{}>; rel=\"next\"", url_of(2))),
            ],
        },
        &log,
    );
    let second = serve_page(
        &server,
        ORG_VERSIONS,
        2,
        Served {
            status: 200,
            body: page_body(101, 5),
            headers: Vec::new(),
        },
        &log,
    );
    let stray = common::catch_all(&server);
    let (items, error) = drain(&server, &org(), 1).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids(&items), expected_ids(105));
    assert_eq!((first.calls(), second.calls(), stray.calls()), (1, 1, 0));
}

#[tokio::test]
async fn a_relative_next_link_resolves_against_the_request_url() {
    for base_path in ["", "/api/v3"] {
        let server = MockServer::start_async().await;
        let log = new_log();
        let path = format!("{base_path}{ORG_VERSIONS}");
        let first = serve_page(
            &server,
            &path,
            1,
            Served {
                status: 200,
                body: page_body(1, 100),
                headers: vec![(
                    "link".to_owned(),
                    "<?per_page=100&page=2>; rel=\"next\"".to_owned(),
                )],
            },
            &log,
        );
        let second = serve_page(
            &server,
            &path,
            2,
            Served {
                status: 200,
                body: page_body(101, 1),
                headers: Vec::new(),
            },
            &log,
        );
        let stray = common::catch_all(&server);
        let gh = common::builder(&server)
            .base_url(server.url(base_path))
            .build()
            .unwrap();
        let all = gh
            .packages(org())
            .versions(PackageType::Container, "app")
            .send()
            .await;
        assert_eq!(ids(&all.unwrap()), expected_ids(101), "base {base_path:?}");
        assert_eq!(
            (first.calls(), second.calls(), stray.calls()),
            (1, 1, 0),
            "base {base_path:?}"
        );
    }
}

#[tokio::test]
async fn a_listing_that_grows_past_its_last_link_is_still_followed() {
    // Page 1 says there are 3 pages; by the time page 3 is read there is a 4th.
    for concurrency in [1, 4] {
        let server = MockServer::start_async().await;
        let log = new_log();
        let url_of = |k: u64| server.url(format!("{ORG_VERSIONS}?per_page=100&page={k}"));
        let mut mocks = Vec::new();
        for k in 1..=4u64 {
            let pages_known = if k < 3 { 3 } else { 4 };
            let headers = github_links(&url_of, k, pages_known)
                .map(|link| vec![("link".to_owned(), link)])
                .unwrap_or_default();
            let count = if k == 4 { 7 } else { 100 };
            let served = Served {
                status: 200,
                body: page_body((k as usize - 1) * 100 + 1, count),
                headers,
            };
            mocks.push(serve_page(&server, ORG_VERSIONS, k, served, &log));
        }
        let stray = common::catch_all(&server);
        let (items, error) = drain(&server, &org(), concurrency).await;
        assert!(error.is_none(), "concurrency {concurrency}: {error:?}");
        assert_eq!(ids(&items), expected_ids(307), "concurrency {concurrency}");
        assert_eq!(
            (calls(&mocks), stray.calls()),
            (4, 0),
            "concurrency {concurrency}"
        );
    }
}

#[tokio::test]
async fn a_next_link_that_loops_back_is_an_error_not_an_endless_listing() {
    for concurrency in [1, 4] {
        let server = MockServer::start_async().await;
        let log = new_log();
        let url_of = |k: u64| server.url(format!("{ORG_VERSIONS}?per_page=100&page={k}"));
        let mut mocks = Vec::new();
        // Page 1 counts two pages; page 2 then sends the reader back to page 1.
        for (k, next) in [(1u64, 2u64), (2, 1)] {
            let link = format!(
                "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                url_of(next),
                url_of(2)
            );
            let served = Served {
                status: 200,
                body: page_body((k as usize - 1) * 100 + 1, 100),
                headers: vec![("link".to_owned(), link)],
            };
            mocks.push(serve_page(&server, ORG_VERSIONS, k, served, &log));
        }
        let stray = common::catch_all(&server);
        let drained =
            tokio::time::timeout(Duration::from_secs(10), drain(&server, &org(), concurrency))
                .await;
        let (items, error) = drained.expect("the listing never ended");
        assert_eq!(ids(&items), expected_ids(200), "concurrency {concurrency}");
        assert!(
            matches!(error, Some(Error::MalformedLink { .. })),
            "concurrency {concurrency}: {error:?}"
        );
        assert_eq!(
            (calls(&mocks), stray.calls()),
            (2, 0),
            "concurrency {concurrency}"
        );
    }
}

#[tokio::test]
async fn a_next_link_back_to_a_page_already_read_is_a_loop_whatever_else_it_carries() {
    // GitHub's links carry `per_page`, `page` and, on some listings, filters:
    // a page number already read names the same items, even with a parameter
    // the first request did not send. `pages` pages are served; the last one's
    // `next` names page 2 again, with one extra parameter.
    for pages in [2u64, 3] {
        for concurrency in [1, 4] {
            let case = format!("{pages} pages, concurrency {concurrency}");
            let server = MockServer::start_async().await;
            let log = new_log();
            let url_of = |k: u64| server.url(format!("{ORG_VERSIONS}?per_page=100&page={k}"));
            let back = server.url(format!("{ORG_VERSIONS}?per_page=100&page=2&x=1"));
            let mocks: Vec<_> = (1..=pages)
                .map(|k| {
                    let next = if k < pages {
                        url_of(k + 1)
                    } else {
                        back.clone()
                    };
                    let link = format!("<{next}>; rel=\"next\", <{}>; rel=\"last\"", url_of(pages));
                    let served = Served {
                        status: 200,
                        body: page_body((k as usize - 1) * 100 + 1, 100),
                        headers: vec![("link".to_owned(), link)],
                    };
                    serve_page(&server, ORG_VERSIONS, k, served, &log)
                })
                .collect();
            let stray = common::catch_all(&server);
            let drained =
                tokio::time::timeout(Duration::from_secs(10), drain(&server, &org(), concurrency))
                    .await;
            let (items, error) = drained.expect("the listing never ended");
            // Every item once: nothing of page 2 comes a second time.
            assert_eq!(ids(&items), expected_ids(pages as usize * 100), "{case}");
            match &error {
                Some(Error::MalformedLink { problem, .. }) => {
                    assert_eq!(
                        problem.kind(),
                        github_packages::LinkErrorKind::Loop,
                        "{case}"
                    );
                    let text = problem.to_string();
                    assert!(text.contains("back to page 2"), "{case}: {text}");
                    assert!(
                        !text.contains(&format!("page {}", pages + 1)),
                        "{case}: {text}"
                    );
                }
                other => panic!("{case}: {other:?}"),
            }
            for (k, mock) in (1..).zip(&mocks) {
                assert_eq!(mock.calls(), 1, "{case}: page {k}: {:?}", logged(&log));
            }
            assert_eq!(stray.calls(), 0, "{case}");
        }
    }
}

#[tokio::test]
async fn a_cursor_link_to_the_same_page_is_an_error_not_an_endless_listing() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let cursor = server.url(format!("{ORG_VERSIONS}?per_page=100&after=abc"));
    let first = serve_page(
        &server,
        ORG_VERSIONS,
        1,
        Served {
            status: 200,
            body: page_body(1, 100),
            headers: vec![("link".to_owned(), format!("<{cursor}>; rel=\"next\""))],
        },
        &log,
    );
    let stuck = server.mock(|when, then| {
        when.method(GET)
            .path(ORG_VERSIONS)
            .query_param("after", "abc");
        then.status(200)
            .header("link", format!("<{cursor}>; rel=\"next\""))
            .body(page_body(101, 100));
    });
    let stray = common::catch_all(&server);
    let drained = tokio::time::timeout(Duration::from_secs(10), drain(&server, &org(), 1)).await;
    let (items, error) = drained.expect("the listing never ended");
    assert_eq!(ids(&items), expected_ids(200));
    assert!(
        matches!(error, Some(Error::MalformedLink { .. })),
        "{error:?}"
    );
    assert_eq!((first.calls(), stuck.calls(), stray.calls()), (1, 1, 0));
}

#[tokio::test]
async fn an_error_on_a_middle_page_ends_the_stream_after_the_items_before_it() {
    for concurrency in [1, 2] {
        let server = MockServer::start_async().await;
        let log = new_log();
        let mut pages = serve_listing(&server, ORG_VERSIONS, 1_000, &log);
        // Page 3 goes missing: take its mock out and answer 404 instead.
        pages[2].delete();
        let missing = server.mock(|when, then| {
            when.method(GET).path(ORG_VERSIONS).query_param("page", "3");
            then.status(404)
                .header("content-type", "application/json")
                .body(r#"{"message":"Not Found"}"#);
        });
        let stray = common::catch_all(&server);
        let (items, error) = drain(&server, &org(), concurrency).await;
        assert_eq!(ids(&items), expected_ids(200), "concurrency {concurrency}");
        assert!(error.as_ref().is_some_and(Error::is_not_found), "{error:?}");
        assert_eq!(missing.calls(), 1);
        assert_eq!(stray.calls(), 0);
        // Only pages already in flight when page 3 failed may have been asked for.
        let after = pages[4..].iter().map(Mock::calls).sum::<usize>();
        assert_eq!(
            after, 0,
            "concurrency {concurrency}: pages after the failure were requested"
        );
    }
}

#[tokio::test]
async fn streams_are_lazy() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let pages = serve_listing(&server, ORG_VERSIONS, 250, &log);
    let stray = common::catch_all(&server);
    let gh = common::client(&server);
    let versions = gh.packages(org()).versions(PackageType::Container, "app");
    drop(versions.clone().stream());
    drop(versions.clone().pages());
    drop(versions.clone().send());
    drop(versions.clone().into_future());
    drop(gh.packages(org()).list(PackageType::Container).stream());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!((calls(&pages), stray.calls()), (0, 0));

    // Taking one item reads one page and stops.
    let first: Vec<_> = versions.stream().take(1).try_collect().await.unwrap();
    assert_eq!(ids(&first), vec![1]);
    assert_eq!((calls(&pages), stray.calls()), (1, 0));
}

#[tokio::test]
async fn pages_carry_number_headers_and_last_page() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let base = server.url(ORG_VERSIONS);
    let url_of = move |k: u64| format!("{base}?per_page=100&page={k}");
    let mocks: Vec<_> = (1..=3u64)
        .map(|k| {
            let mut headers = vec![("x-test-page".to_owned(), format!("custom-{k}"))];
            headers.extend(github_links(&url_of, k, 3).map(|l| ("link".to_owned(), l)));
            let count = if k == 3 { 50 } else { 100 };
            let served = Served {
                status: 200,
                body: page_body((k as usize - 1) * 100 + 1, count),
                headers,
            };
            serve_page(&server, ORG_VERSIONS, k, served, &log)
        })
        .collect();
    let stray = common::catch_all(&server);
    let pages: Vec<_> = common::client(&server)
        .packages(org())
        .versions(PackageType::Container, "app")
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    for (page, k) in pages.iter().zip(1u64..) {
        assert_eq!(page.number(), k);
        assert_eq!(
            page.headers()["x-test-page"],
            format!("custom-{k}").as_str()
        );
        assert_eq!(page.items().len(), if k == 3 { 50 } else { 100 });
        let last = if k == 3 { None } else { Some(3) };
        assert_eq!(page.last_page(), last, "page {k}");
        assert_eq!(page.links().next.is_some(), k < 3, "page {k}");
    }
    assert_eq!((calls(&mocks), stray.calls()), (3, 0));
}

#[tokio::test]
async fn bad_knobs_are_rejected_before_any_request() {
    let server = MockServer::start_async().await;
    let stray = common::catch_all(&server);
    let gh = common::client(&server);
    let scope = org();
    let versions = || gh.packages(&scope).versions(PackageType::Container, "app");
    let cases = [
        ("per_page(0)", versions().per_page(0), "per_page"),
        ("per_page(101)", versions().per_page(101), "per_page"),
        ("concurrency(0)", versions().concurrency(0), "concurrency"),
        ("start_page(0)", versions().start_page(0), "page"),
    ];
    for (knob, listing, field) in cases {
        let streamed: Vec<_> = listing.clone().stream().collect().await;
        assert_eq!(streamed.len(), 1, "{knob}");
        for error in [
            streamed.into_iter().next().unwrap().unwrap_err(),
            listing.send().await.unwrap_err(),
        ] {
            match &error {
                Error::InvalidInput { field: f, .. } => assert_eq!(*f, field, "{knob}"),
                other => panic!("{knob}: {other:?}"),
            }
            assert_no_token(&error);
        }
    }
    let package_list = gh
        .packages(&scope)
        .list(PackageType::Npm)
        .per_page(0)
        .send()
        .await;
    assert!(matches!(
        package_list,
        Err(Error::InvalidInput {
            field: "per_page",
            ..
        })
    ));
    assert_eq!(stray.calls(), 0);
}

#[tokio::test]
async fn a_smaller_page_size_is_asked_for_and_followed() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let base = server.url(ORG_VERSIONS);
    let url_of = move |k: u64| format!("{base}?per_page=30&page={k}");
    let mocks: Vec<_> = (1..=2u64)
        .map(|k| {
            let served = Served {
                status: 200,
                body: page_body((k as usize - 1) * 30 + 1, if k == 1 { 30 } else { 12 }),
                headers: github_links(&url_of, k, 2)
                    .map(|l| vec![("link".to_owned(), l)])
                    .unwrap_or_default(),
            };
            serve_page(&server, ORG_VERSIONS, k, served, &log)
        })
        .collect();
    let stray = common::catch_all(&server);
    let all = common::client(&server)
        .packages(org())
        .versions(PackageType::Container, "app")
        .per_page(30)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&all), expected_ids(42));
    assert_eq!((calls(&mocks), stray.calls()), (2, 0));
    assert!(
        logged(&log)[0].contains("per_page=30"),
        "{:?}",
        logged(&log)
    );
}

proptest::proptest! {
    /// Whatever GitHub (or a proxy) puts in `Link`, parsing returns.
    #[test]
    fn parsing_any_link_value_returns(value in "[<>;,=\" a-z:/?&.0-9%~\\\\]{0,60}") {
        let base = url::Url::parse("https://api.github.com/orgs/o/packages").unwrap();
        let _ = Links::parse(&value, &base);
    }

    /// A well-formed `next` link keeps every query parameter byte for byte.
    #[test]
    fn next_links_round_trip(page in 1u64..200, extra in "[a-z0-9_~.%-]{0,12}") {
        let base = url::Url::parse("https://api.github.com/orgs/o/packages").unwrap();
        let next = format!("https://api.github.com/orgs/o/packages?page={page}&x={extra}");
        let parsed = Links::parse(&format!("<{next}>; rel=\"next\""), &base);
        // `%` not followed by two hex digits is not a URL; anything else must survive.
        if let Ok(links) = parsed {
            let url = links.next.unwrap();
            if !extra.contains('%') {
                proptest::prop_assert_eq!(url.as_str(), next.as_str());
            }
        }
    }
}

#[tokio::test]
async fn package_listings_page_the_same_way() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let path = "/user/packages";
    let base = server.url(path);
    let url_of =
        move |k: u64| format!("{base}?package_type=npm&visibility=internal&per_page=100&page={k}");
    let package = |id: usize| {
        json!({
            "id": id, "name": format!("pkg-{id}"), "package_type": "npm", "visibility": "internal",
            "url": "https://api.github.com/user/packages/npm/x", "html_url": "https://github.com/x",
            "version_count": 1, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
        })
    };
    let mocks: Vec<_> = (1..=2u64)
        .map(|k| {
            let first_id = (k as usize - 1) * 100 + 1;
            let count = if k == 1 { 100 } else { 50 };
            let body: Vec<Value> = (first_id..first_id + count).map(package).collect();
            let served = Served {
                status: 200,
                body: serde_json::to_string(&body).unwrap(),
                headers: github_links(&url_of, k, 2)
                    .map(|l| vec![("link".to_owned(), l)])
                    .unwrap_or_default(),
            };
            serve_page(&server, path, k, served, &log)
        })
        .collect();
    let stray = common::catch_all(&server);
    let packages = common::client(&server)
        .packages(Scope::AuthenticatedUser)
        .list(PackageType::Npm)
        .visibility(github_packages::Visibility::Internal)
        .concurrency(4)
        .send()
        .await
        .unwrap();
    let got: Vec<i64> = packages.iter().map(|p| p.id).collect();
    assert_eq!(got, expected_ids(150));
    assert_eq!((calls(&mocks), stray.calls()), (2, 0));
    let sent = logged(&log);
    assert!(
        sent[0].contains("visibility=internal") && sent[0].contains("package_type=npm"),
        "{sent:?}"
    );
    // Page 2 is asked of the same generated operation, by number.
    assert_eq!(
        sent[1],
        format!("{path}?package_type=npm&page=2&per_page=100&visibility=internal")
    );
}

#[tokio::test]
async fn a_refusal_past_the_wall_is_the_pagination_limit_whatever_its_status_or_body() {
    // GitHub's refusal is a 400 on some endpoints and a 422 on others, with
    // or without a body, and need not say why.
    let refusals = [
        (422, r#"{"message":"Validation Failed"}"#),
        (422, ""),
        (400, ""),
        (400, "<html>Bad Request</html>"),
    ];
    for (status, body) in refusals {
        for concurrency in [1, 4] {
            let server = MockServer::start_async().await;
            let log = new_log();
            let pages = serve_wall_with(&server, &log, status, body.to_owned());
            let stray = common::catch_all(&server);
            let (items, error) = drain(&server, &org(), concurrency).await;
            assert_eq!(items.len(), 10_000, "{status} {body:?}");
            match &error {
                Some(Error::PaginationLimit {
                    page: 101,
                    per_page: 100,
                    api: Some(api),
                    ..
                }) => assert_eq!(api.status.as_u16(), status),
                other => panic!("{status} {body:?} concurrency {concurrency}: {other:?}"),
            }
            assert_eq!((calls(&pages), stray.calls()), (101, 0));
        }
    }
}

#[tokio::test]
async fn a_refusal_before_the_wall_is_not_the_pagination_limit_unless_it_says_so() {
    for (body, limited) in [
        (r#"{"message":"Validation Failed"}"#, false),
        (
            r#"{"message":"Pagination is limited for this resource to 1000 items"}"#,
            true,
        ),
    ] {
        let server = MockServer::start_async().await;
        let refused = server.mock(|when, then| {
            when.method(GET).path(ORG_VERSIONS).query_param("page", "3");
            then.status(422).body(body);
        });
        let stray = common::catch_all(&server);
        let error = common::client(&server)
            .packages(org())
            .versions(PackageType::Container, "app")
            .start_page(3)
            .await
            .unwrap_err();
        assert_eq!(error.is_pagination_limit(), limited, "{error:?}");
        assert_eq!(error.is_rejected(), !limited, "{error:?}");
        assert_eq!((refused.calls(), stray.calls()), (1, 0));
    }
}

/// Serves a page for any `after` cursor: the body and `next` come from
/// `page_for(cursor)`, and every request's cursor is logged.
fn serve_cursors<'a>(
    server: &'a MockServer,
    log: &Log,
    page_for: impl Fn(&str) -> (String, Option<String>) + Send + Sync + 'static,
) -> Mock<'a> {
    let log = Arc::clone(log);
    let base = server.url(ORG_VERSIONS);
    server.mock(|when, then| {
        when.method(GET).path(ORG_VERSIONS);
        then.respond_with(move |req: &HttpMockRequest| {
            let target = req.uri().path_and_query().map(|pq| pq.as_str().to_owned());
            log.lock().unwrap().push(target.unwrap_or_default());
            let query = req.uri().query().unwrap_or_default().to_owned();
            let cursor = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "after")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let (body, next) = page_for(&cursor);
            let mut answer = HttpMockResponse::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(body);
            if let Some(next) = next {
                let link = format!("<{base}?per_page=100&after={next}>; rel=\"next\"");
                answer = answer.header("link", link);
            }
            answer.build()
        });
    })
}

#[tokio::test]
async fn next_links_without_page_numbers_that_cycle_end_the_listing() {
    // Page 1 -> cursor a -> cursor b -> cursor a again.
    let server = MockServer::start_async().await;
    let log = new_log();
    let pages = serve_cursors(&server, &log, |cursor| match cursor {
        "" => (page_body(1, 100), Some("a".to_owned())),
        "a" => (page_body(101, 100), Some("b".to_owned())),
        _ => (page_body(201, 100), Some("a".to_owned())),
    });
    let drained = tokio::time::timeout(Duration::from_secs(10), drain(&server, &org(), 1)).await;
    let (items, error) = drained.expect("the listing never ended");
    assert_eq!(ids(&items), expected_ids(300));
    match &error {
        Some(Error::MalformedLink { problem, .. }) => {
            assert_eq!(problem.kind(), github_packages::LinkErrorKind::Loop);
            assert!(problem.to_string().contains("already read"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pages.calls(), 3, "{:?}", logged(&log));
}

#[tokio::test]
async fn empty_pages_that_link_on_forever_end_at_the_pagination_depth() {
    // Every page is empty and links to the next one, by page number.
    let server = MockServer::start_async().await;
    let base = server.url(ORG_VERSIONS);
    let pages = server.mock(|when, then| {
        when.method(GET).path(ORG_VERSIONS);
        then.respond_with(move |req: &HttpMockRequest| {
            let query = req.uri().query().unwrap_or_default().to_owned();
            let page: u64 = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(1);
            let link = format!("<{base}?page={}&per_page=100>; rel=\"next\"", page + 1);
            HttpMockResponse::builder()
                .status(200)
                .header("link", link)
                .body("[]")
                .build()
        });
    });
    for concurrency in [1, 4] {
        let listing = common::client(&server)
            .packages(org())
            .versions(PackageType::Container, "app")
            .concurrency(concurrency)
            .send();
        let all = tokio::time::timeout(Duration::from_secs(20), listing)
            .await
            .expect("the listing never ended")
            .unwrap();
        assert!(all.is_empty());
    }
    // Page 100 is the last one within 10,000 items; its empty answer ends it.
    assert_eq!(pages.calls(), 200);
}

/// A listing's caps and concurrency, then the items and requests expected.
type CapCase = (Option<u64>, Option<u64>, usize, usize, usize);

#[tokio::test]
async fn caps_end_a_listing_quietly() {
    let cases: [CapCase; 6] = [
        // (max_items, max_pages, concurrency, items, requests)
        (Some(150), None, 1, 150, 2),
        (Some(200), None, 1, 200, 2),
        (None, Some(1), 1, 100, 1),
        (None, Some(2), 4, 200, 2),
        (Some(0), None, 1, 0, 0),
        (None, Some(0), 4, 0, 0),
    ];
    for (max_items, max_pages, concurrency, want_items, want_requests) in cases {
        let server = MockServer::start_async().await;
        let log = new_log();
        let pages = serve_listing(&server, ORG_VERSIONS, 1_000, &log);
        let stray = common::catch_all(&server);
        let mut listing = common::client(&server)
            .packages(org())
            .versions(PackageType::Container, "app")
            .concurrency(concurrency);
        if let Some(n) = max_items {
            listing = listing.max_items(n);
        }
        if let Some(n) = max_pages {
            listing = listing.max_pages(n);
        }
        let case = format!("items {max_items:?} pages {max_pages:?} concurrency {concurrency}");
        let streamed: Vec<_> = listing.clone().stream().try_collect().await.unwrap();
        assert_eq!(ids(&streamed), expected_ids(want_items), "{case}");
        let all = listing.await.unwrap();
        assert_eq!(ids(&all), expected_ids(want_items), "{case}");
        assert_eq!(
            calls(&pages),
            2 * want_requests,
            "{case}: {:?}",
            logged(&log)
        );
        assert_eq!(stray.calls(), 0);
    }
}

#[tokio::test]
async fn max_items_with_concurrency_requests_no_page_past_the_last_wanted_item() {
    // 100 versions, 10 a page: the 35th is on page 4. Prefetching pages
    // counted from `rel="last"` must stop there too.
    for concurrency in [1, 2, 8] {
        for (max_items, want_pages) in [(35u64, 4usize), (40, 4), (41, 5), (10, 1), (11, 2)] {
            let case = format!("max_items {max_items}, concurrency {concurrency}");
            let server = MockServer::start_async().await;
            let log = new_log();
            let pages = serve_listing_by(&server, ORG_VERSIONS, 100, 10, &log);
            let stray = common::catch_all(&server);
            let listing = common::client(&server)
                .packages(org())
                .versions(PackageType::Container, "app")
                .max_items(max_items)
                .per_page(10)
                .concurrency(concurrency);
            let streamed: Vec<_> = listing.clone().stream().try_collect().await.unwrap();
            assert_eq!(ids(&streamed), expected_ids(max_items as usize), "{case}");
            let all = listing.await.unwrap();
            assert_eq!(ids(&all), expected_ids(max_items as usize), "{case}");
            for (k, page) in (1..).zip(&pages) {
                let want = if k <= want_pages { 2 } else { 0 };
                assert_eq!(page.calls(), want, "{case}: page {k}: {:?}", logged(&log));
            }
            assert_eq!(stray.calls(), 0, "{case}");
        }
    }
}

#[tokio::test]
async fn max_items_still_reaches_its_count_when_a_prefetched_page_comes_back_short() {
    // Page 2 of 10 holds 4 versions instead of 10: the prefetch planned for
    // full pages, so the listing goes on one page at a time after it.
    let server = MockServer::start_async().await;
    let log = new_log();
    let sizes = [10, 4, 10, 10, 10, 10, 10, 10, 10, 10];
    let pages = serve_sized(&server, ORG_VERSIONS, 10, &sizes, &log);
    let stray = common::catch_all(&server);
    let all = common::client(&server)
        .packages(org())
        .versions(PackageType::Container, "app")
        .max_items(35)
        .per_page(10)
        .concurrency(8)
        .await
        .unwrap();
    assert_eq!(ids(&all), expected_ids(35));
    // 10 + 4 + 10 + 10 + 10 reach 35 on page 5, and nothing after it.
    let called: Vec<usize> = pages.iter().map(Mock::calls).collect();
    assert_eq!(called, [1, 1, 1, 1, 1, 0, 0, 0, 0, 0], "{:?}", logged(&log));
    assert_eq!(stray.calls(), 0);
}

#[tokio::test]
async fn pages_after_the_first_are_asked_of_the_operation_by_number() {
    // GitHub's `next` carries the same parameters in another order: the
    // next page is the generated operation's request with page 2.
    let server = MockServer::start_async().await;
    let log = new_log();
    let base = server.url(ORG_VERSIONS);
    let first = serve_page(
        &server,
        ORG_VERSIONS,
        1,
        Served {
            status: 200,
            body: page_body(1, 100),
            headers: vec![(
                "link".to_owned(),
                format!("<{base}?state=deleted&per_page=100&page=2>; rel=\"next\""),
            )],
        },
        &log,
    );
    let second = serve_page(
        &server,
        ORG_VERSIONS,
        2,
        Served {
            status: 200,
            body: page_body(101, 5),
            headers: vec![],
        },
        &log,
    );
    let stray = common::catch_all(&server);
    let all = common::client(&server)
        .packages(org())
        .versions(PackageType::Container, "app")
        .state(github_packages::VersionState::Deleted)
        .await
        .unwrap();
    assert_eq!(ids(&all), expected_ids(105));
    assert_eq!((first.calls(), second.calls(), stray.calls()), (1, 1, 0));
    assert_eq!(
        logged(&log),
        [
            format!("{ORG_VERSIONS}?page=1&per_page=100&state=deleted"),
            format!("{ORG_VERSIONS}?page=2&per_page=100&state=deleted"),
        ]
    );
}
