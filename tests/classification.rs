//! Answers are classified by their status first: a 401, 403, 404, 400 or 5xx
//! keeps its kind whatever the body (JSON, empty, an HTML page from a proxy,
//! plain text), on every kind of call, and a body that is not JSON is kept as
//! text. Also the `is_*` helpers and the scope checks built on the
//! `x-oauth-scopes` header.

mod common;

use common::scripted::{Scripted, Step};
use github_packages::{Client, Error, PackageType, Scope};

/// A body a proxy, or GitHub during an incident, may send with an error:
/// its name, its headers, and the body.
type Body = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

fn bodies() -> [Body; 4] {
    [
        ("empty", vec![], ""),
        (
            "html",
            vec![("content-type", "text/html")],
            "<html><body><h1>Oops</h1><p>proxy says no</p></body></html>",
        ),
        (
            "text",
            vec![("content-type", "text/plain")],
            "upstream says no",
        ),
        ("json", vec![], r#"{"message":"GitHub says no"}"#),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Get,
    Delete,
    List,
    Restore,
}

async fn run(call: Call, gh: &Client) -> Error {
    let org = gh.packages(Scope::org("o"));
    let npm = PackageType::Npm;
    match call {
        Call::Get => org.get(npm, "app").await.map(drop),
        Call::Delete => org.delete(npm, "app").await,
        Call::List => org.versions(npm, "app").await.map(drop),
        Call::Restore => org.restore(npm, "app").await,
    }
    .expect_err("the server only answers errors")
}

fn kind(error: &Error) -> &'static str {
    match error {
        Error::Unauthorized { .. } => "Unauthorized",
        Error::Forbidden { .. } => "Forbidden",
        Error::NotFound { .. } => "NotFound",
        Error::Rejected { .. } => "Rejected",
        Error::Server { .. } => "Server",
        Error::Decode { .. } => "Decode",
        _ => "other",
    }
}

#[tokio::test]
async fn every_error_status_keeps_its_kind_whatever_the_body() {
    let statuses = [
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (404, "NotFound"),
        (400, "Rejected"),
        (410, "Rejected"),
        (501, "Server"),
    ];
    let mut wrong = Vec::new();
    for (status, expected) in statuses {
        for (body_name, headers, body) in bodies() {
            for call in [Call::Get, Call::Delete, Call::List, Call::Restore] {
                let server =
                    Scripted::start(vec![Step::with_headers(status, &headers, body)]).await;
                let gh = common::builder_for(&server.base_url).build().unwrap();
                let error = run(call, &gh).await;
                if kind(&error) != expected || error.status().map(|s| s.as_u16()) != Some(status) {
                    wrong.push(format!("{status} {body_name} {call:?}: {error:?}"));
                }
                assert_eq!(server.requests().len(), 1, "{status} {call:?}: not retried");
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} misclassified:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn a_404_with_an_empty_body_is_not_found() {
    let server = Scripted::start(vec![Step::json(404, "")]).await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    let error = gh
        .packages(Scope::org("o"))
        .version(PackageType::Container, "app", 9)
        .get()
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.message(), None);
    assert_eq!(error.api().unwrap().body, None);
    assert!(error.to_string().contains("Check the owner"), "{error}");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_kept_as_text() {
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let steps = vec![Step::with_headers(
        403,
        &[("content-type", "text/html")],
        page,
    )];
    let server = Scripted::start(steps).await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    let error = gh
        .packages(Scope::org("o"))
        .delete(PackageType::Npm, "app")
        .await
        .unwrap_err();
    assert!(error.is_forbidden(), "{error:?}");
    let api = error.api().unwrap();
    assert_eq!(api.body.as_deref(), Some(page));
    assert_eq!(api.method, http::Method::DELETE);
    assert_eq!(api.path, "/orgs/o/packages/npm/app");
    let text = error.to_string();
    assert!(text.contains("502 Bad Gateway"), "{text}");
    // The scope advice survives a body that is not JSON.
    assert!(text.contains("`delete:packages`"), "{text}");
}

#[tokio::test]
async fn a_401_without_a_token_says_to_set_one_whatever_the_body() {
    let server = Scripted::start(vec![Step::with_headers(
        401,
        &[("content-type", "text/html")],
        "<html>Unauthorized</html>",
    )])
    .await;
    let gh = Client::builder()
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let error = gh
        .packages(Scope::AuthenticatedUser)
        .list(PackageType::Npm)
        .await
        .unwrap_err();
    assert!(error.is_unauthorized(), "{error:?}");
    assert!(
        matches!(
            error,
            Error::Unauthorized {
                had_token: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("GITHUB_TOKEN"), "{error}");
}

#[tokio::test]
async fn a_restore_refused_for_a_scope_names_write_packages() {
    let server = Scripted::start(vec![Step::json(
        403,
        r#"{"message":"Resource not accessible by personal access token"}"#,
    )])
    .await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    let error = gh
        .packages(Scope::org("o"))
        .version(PackageType::Npm, "app", 4)
        .restore()
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("`write:packages`"), "{text}");
    assert!(!text.contains("delete:packages"), "{text}");
}

#[tokio::test]
async fn the_is_helpers_each_name_one_kind() {
    let limited = Step::with_headers(
        403,
        &[("x-ratelimit-remaining", "0")],
        r#"{"message":"API rate limit exceeded"}"#,
    );
    let cases = [
        (Step::json(401, ""), "unauthorized"),
        (Step::json(403, ""), "forbidden"),
        (Step::json(404, ""), "not_found"),
        (Step::json(422, ""), "rejected"),
        (limited, "rate_limited"),
    ];
    for (step, expected) in cases {
        let server = Scripted::start(vec![step]).await;
        let gh = common::builder_for(&server.base_url).build().unwrap();
        let error = run(Call::Get, &gh).await;
        let flags = [
            ("unauthorized", error.is_unauthorized()),
            ("forbidden", error.is_forbidden()),
            ("not_found", error.is_not_found()),
            ("rejected", error.is_rejected()),
            ("rate_limited", error.is_rate_limited()),
        ];
        let set: Vec<&str> = flags
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(set, [expected], "{error:?}");
    }
}

const PACKAGE: &str = r#"{"id":7,"name":"app","package_type":"npm","url":"u","html_url":"h","version_count":1,"visibility":"public","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}"#;

#[tokio::test]
async fn token_scopes_are_those_of_the_latest_answer_that_said() {
    let server = Scripted::start(vec![
        Step::with_headers(200, &[("x-oauth-scopes", "read:packages, repo")], PACKAGE),
        // A fine-grained token's answer says nothing: the last word stands.
        Step::json(200, PACKAGE),
        Step::with_headers(200, &[("x-oauth-scopes", "write:packages")], PACKAGE),
    ])
    .await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    assert_eq!(gh.token_scopes(), None, "nothing seen yet");
    gh.check_scopes(&["delete:packages"])
        .expect("unknown scopes are not refused");

    let org = gh.packages(Scope::org("o"));
    org.get(PackageType::Npm, "app").await.unwrap();
    let scopes = gh.token_scopes().unwrap();
    assert_eq!(scopes, ["read:packages", "repo"]);
    gh.check_scopes(&["read:packages"]).unwrap();
    let missing = gh
        .check_scopes(&["read:packages", "delete:packages"])
        .unwrap_err();
    match &missing {
        Error::MissingScope {
            needed,
            token_scopes,
            ..
        } => {
            assert_eq!(needed, &["read:packages", "delete:packages"]);
            assert_eq!(token_scopes, &["read:packages", "repo"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        missing.to_string(),
        "this needs a token with `read:packages`, `delete:packages`; your token has \
         `read:packages`, `repo`. Add `delete:packages` to the token (or use one that has it)"
    );
    assert!(!missing.is_retryable());

    org.get(PackageType::Npm, "app").await.unwrap();
    assert_eq!(gh.token_scopes().unwrap(), ["read:packages", "repo"]);

    // `write:packages` includes `read:packages`: restoring is allowed.
    org.get(PackageType::Npm, "app").await.unwrap();
    gh.check_scopes(&["read:packages", "write:packages"])
        .unwrap();
    assert!(gh.check_scopes(&["delete:packages"]).is_err());
    // Clones share what was seen.
    assert_eq!(gh.clone().token_scopes().unwrap(), ["write:packages"]);
}

#[tokio::test]
async fn without_the_header_scopes_stay_unknown_and_checks_pass() {
    let server = Scripted::start(vec![Step::json(200, PACKAGE)]).await;
    let gh = common::builder_for(&server.base_url).build().unwrap();
    gh.packages(Scope::org("o"))
        .get(PackageType::Npm, "app")
        .await
        .unwrap();
    assert_eq!(gh.token_scopes(), None);
    gh.check_scopes(&["read:packages", "delete:packages"])
        .unwrap();
}
