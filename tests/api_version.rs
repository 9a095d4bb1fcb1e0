//! The REST API version a client sends: `X-GitHub-Api-Version` follows the
//! builder's choice (named versions and later dates alike), anything but a date
//! is refused before a request, and a package as 2026-03-10 sends it (no
//! `has_downloads` on its repository) still reads with the generated types.

mod common;

use github_packages::{ApiVersion, DEFAULT_API_VERSION, Error, PackageType, Scope};
use httpmock::prelude::*;
use serde_json::{Value, json};

/// The description's `package-org` example with a `repository`: the
/// `minimal-repository` example of GitHub's description cut to the fields the
/// schema requires, so without `has_downloads`, as 2026-03-10 answers.
const PACKAGE: &str = include_str!("fixtures/api_version/package-2026-03-10.json");
const PATH: &str = "/orgs/github/packages/container/hello_docker";

/// Gets the package with a client built by `choose`, from a server that answers
/// `body` only when the header says `expected`; returns the package's
/// `repository.has_downloads`.
async fn get_with(
    choose: impl FnOnce(github_packages::ClientBuilder) -> github_packages::ClientBuilder,
    expected: &str,
    body: Value,
) -> Option<bool> {
    let server = MockServer::start_async().await;
    let answer = server.mock(|when, then| {
        when.method(GET)
            .path(PATH)
            .header("x-github-api-version", expected);
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    });
    let stray = common::catch_all(&server);
    let gh = choose(common::builder(&server)).build().unwrap();
    let package = gh
        .packages(Scope::org("github"))
        .get(PackageType::Container, "hello_docker")
        .await
        .unwrap_or_else(|e| panic!("version {expected}: {e}"));
    answer.assert_calls(1);
    stray.assert_calls(0);
    // `repository` is nullable inside an optional field: two layers of Option.
    let repository = package.repository.and_then(|r| r.0);
    repository
        .expect("the fixture has a repository")
        .has_downloads
}

fn package(has_downloads: Option<bool>) -> Value {
    let mut body: Value = serde_json::from_str(PACKAGE).unwrap();
    if let Some(has) = has_downloads {
        body["repository"]["has_downloads"] = json!(has);
    }
    body
}

#[tokio::test]
async fn the_header_follows_the_chosen_version() {
    assert_eq!(DEFAULT_API_VERSION, ApiVersion::default().as_str());
    let unchanged = get_with(|b| b, "2022-11-28", package(Some(true))).await;
    assert_eq!(unchanged, Some(true));

    let chosen = [
        (ApiVersion::V2022_11_28, "2022-11-28"),
        (ApiVersion::V2026_03_10, "2026-03-10"),
        ("2027-01-15".parse().unwrap(), "2027-01-15"),
    ];
    for (version, header) in chosen {
        get_with(|b| b.api_version(version), header, package(None)).await;
    }
    // A string is checked by `build()` and sent as given, trimmed.
    get_with(
        |b| b.api_version(" 2026-03-10 "),
        "2026-03-10",
        package(None),
    )
    .await;
    get_with(
        |b| b.api_version(String::from("2030-12-31")),
        "2030-12-31",
        package(None),
    )
    .await;
}

/// 2026-03-10 drops `has_downloads` from a package's repository; it is
/// optional, so the same generated type reads the answer.
#[tokio::test]
async fn a_2026_03_10_package_without_has_downloads_reads() {
    assert!(!PACKAGE.contains("has_downloads"));
    let has = get_with(
        |b| b.api_version(ApiVersion::V2026_03_10),
        "2026-03-10",
        package(None),
    )
    .await;
    assert_eq!(has, None);
}

#[test]
fn anything_but_a_date_is_refused_before_a_request() {
    for bad in ["", "latest", "2026-3-10", "2026-03-10\r\nX-Evil: 1", "v3"] {
        let error = github_packages::Client::builder()
            .token("ghp_unused")
            .api_version(bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                &error,
                Error::InvalidInput {
                    field: "api_version",
                    ..
                }
            ),
            "{bad:?}: {error:?}"
        );
        assert!(error.to_string().contains("YYYY-MM-DD"), "{bad:?}: {error}");
        assert!(!error.is_retryable());
    }
}
