//! Proves the hand-written layer reaches all 27 packages operations, for each
//! scope, with the right method, path, query and headers; and that the client
//! keeps its token to itself: not in Debug output or errors, not across origins.

mod common;

use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use github_packages::{Client, Error, PackageType, Scope, VersionState, Visibility};
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse, Mock};
use serde_json::{Value, json};

const DEFAULT_USER_AGENT: &str = concat!("github-packages/", env!("CARGO_PKG_VERSION"));

/// What one request looked like on the wire.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn from(req: &HttpMockRequest) -> Self {
        Seen {
            method: req.method_str().to_owned(),
            target: req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_default(),
            headers: req
                .headers_vec()
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        }
    }

    fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The decoded query parameters, sorted, so order does not matter but
    /// every parameter (and no other) must be there.
    fn query(&self) -> Vec<(String, String)> {
        let query = self.target.split_once('?').map_or("", |(_, q)| q);
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        pairs.sort();
        pairs
    }
}

type Log = Arc<Mutex<Vec<Seen>>>;

fn new_log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn seen(log: &Log) -> Vec<Seen> {
    log.lock().unwrap().clone()
}

/// A mock for `method path` that records each request and answers
/// `status` with `body` (and `headers`).
fn route<'a>(
    server: &'a MockServer,
    method: &str,
    path: &str,
    status: u16,
    body: Option<Value>,
    log: &Log,
) -> Mock<'a> {
    let log = Arc::clone(log);
    let method = method.to_owned();
    server.mock(|when, then| {
        when.method(method.as_str()).path(path);
        then.respond_with(move |req: &HttpMockRequest| {
            log.lock().unwrap().push(Seen::from(req));
            let mut answer = HttpMockResponse::builder().status(status);
            if let Some(body) = &body {
                answer = answer
                    .header("content-type", "application/json; charset=utf-8")
                    .body(body.to_string());
            }
            answer.build()
        });
    })
}

/// The catch-all, recording what it caught so a failure can show it.
fn recorded_catch_all<'a>(server: &'a MockServer, log: &Log) -> Mock<'a> {
    let log = Arc::clone(log);
    server.mock(|when, then| {
        when.any_request();
        then.respond_with(move |req: &HttpMockRequest| {
            log.lock().unwrap().push(Seen::from(req));
            HttpMockResponse::builder()
                .status(599)
                .body("unexpected request")
                .build()
        });
    })
}

fn package_json(package_type: &str, name: &str) -> Value {
    json!({
        "id": 197,
        "name": name,
        "package_type": package_type,
        "visibility": "private",
        "url": format!("https://api.github.com/orgs/octo-org/packages/{package_type}/{name}"),
        "html_url": format!("https://github.com/orgs/octo-org/packages/{package_type}/package/{name}"),
        "version_count": 2,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-02T00:00:00Z",
    })
}

fn version_json(id: u64) -> Value {
    json!({
        "id": id,
        "name": "1.0.0",
        "url": format!("https://api.github.com/orgs/octo-org/packages/npm/left-pad/versions/{id}"),
        "package_html_url": "https://github.com/orgs/octo-org/packages/npm/package/left-pad",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-02T00:00:00Z",
    })
}

fn scopes() -> [(Scope, &'static str); 3] {
    [
        (Scope::AuthenticatedUser, "/user"),
        (Scope::user("octocat"), "/users/octocat"),
        (Scope::org("octo-org"), "/orgs/octo-org"),
    ]
}

/// Every call the layer offers, plus the optional arguments that change
/// the request.
#[derive(Debug, Clone, Copy)]
enum Op {
    List,
    ListPrivate,
    Get,
    Delete,
    Restore,
    RestoreWithToken,
    Versions,
    VersionsDeleted,
    VersionGet,
    VersionDelete,
    VersionRestore,
    DockerConflicts,
}

/// The nine operations of each scope (27 in all), then the variants.
const OPS: [Op; 12] = [
    Op::List,
    Op::Get,
    Op::Delete,
    Op::Restore,
    Op::Versions,
    Op::VersionGet,
    Op::VersionDelete,
    Op::VersionRestore,
    Op::DockerConflicts,
    Op::ListPrivate,
    Op::RestoreWithToken,
    Op::VersionsDeleted,
];

const RESTORE_TOKEN: &str = "restore-token-value";

struct Expected {
    method: &'static str,
    path: String,
    query: Vec<(&'static str, &'static str)>,
    status: u16,
    body: Option<Value>,
}

impl Op {
    fn expected(self, prefix: &str) -> Expected {
        let page = [("page", "1"), ("per_page", "100")];
        let package = format!("{prefix}/packages/npm/left-pad");
        let (method, path, mut query, status, body) = match self {
            Op::List => (
                "GET",
                format!("{prefix}/packages"),
                vec![("package_type", "container")],
                200,
                Some(json!([package_json("container", "team/app")])),
            ),
            Op::ListPrivate => (
                "GET",
                format!("{prefix}/packages"),
                vec![("package_type", "container"), ("visibility", "private")],
                200,
                Some(json!([package_json("container", "team/app")])),
            ),
            Op::Get => (
                "GET",
                package,
                vec![],
                200,
                Some(package_json("npm", "left-pad")),
            ),
            Op::Delete => ("DELETE", package, vec![], 204, None),
            Op::Restore => ("POST", format!("{package}/restore"), vec![], 204, None),
            Op::RestoreWithToken => (
                "POST",
                format!("{package}/restore"),
                vec![("token", RESTORE_TOKEN)],
                204,
                None,
            ),
            Op::Versions => (
                "GET",
                format!("{package}/versions"),
                vec![],
                200,
                Some(json!([version_json(42), version_json(41)])),
            ),
            Op::VersionsDeleted => (
                "GET",
                format!("{package}/versions"),
                vec![("state", "deleted")],
                200,
                Some(json!([version_json(42)])),
            ),
            Op::VersionGet => (
                "GET",
                format!("{package}/versions/42"),
                vec![],
                200,
                Some(version_json(42)),
            ),
            Op::VersionDelete => (
                "DELETE",
                format!("{package}/versions/42"),
                vec![],
                204,
                None,
            ),
            Op::VersionRestore => (
                "POST",
                format!("{package}/versions/42/restore"),
                vec![],
                204,
                None,
            ),
            Op::DockerConflicts => (
                "GET",
                format!("{prefix}/docker/conflicts"),
                vec![],
                200,
                Some(json!([package_json("docker", "old")])),
            ),
        };
        if matches!(
            self,
            Op::List | Op::ListPrivate | Op::Versions | Op::VersionsDeleted
        ) {
            query.extend(page);
        }
        query.sort();
        Expected {
            method,
            path,
            query,
            status,
            body,
        }
    }

    /// Runs the operation through the layer; the number of items it returned.
    async fn run(self, gh: &Client, scope: &Scope) -> Result<usize, Error> {
        let packages = gh.packages(scope);
        let (npm, container) = (PackageType::Npm, PackageType::Container);
        Ok(match self {
            Op::List => packages.list(container).send().await?.len(),
            Op::ListPrivate => {
                let stream = packages
                    .list(container)
                    .visibility(Visibility::Private)
                    .stream();
                stream.try_collect::<Vec<_>>().await?.len()
            }
            Op::Get => usize::from(packages.get(npm, "left-pad").await?.name == "left-pad"),
            Op::Delete => packages.delete(npm, "left-pad").await.map(|()| 0)?,
            Op::Restore => packages.restore(npm, "left-pad").await.map(|()| 0)?,
            Op::RestoreWithToken => {
                let restore = packages.restore(npm, "left-pad").token(RESTORE_TOKEN);
                restore.await.map(|()| 0)?
            }
            Op::Versions => packages.versions(npm, "left-pad").send().await?.len(),
            Op::VersionsDeleted => {
                let versions = packages
                    .versions(npm, "left-pad")
                    .state(VersionState::Deleted);
                versions.send().await?.len()
            }
            Op::VersionGet => {
                usize::from(packages.version(npm, "left-pad", 42).get().await?.id == 42)
            }
            Op::VersionDelete => packages
                .version(npm, "left-pad", 42)
                .delete()
                .await
                .map(|()| 0)?,
            Op::VersionRestore => packages
                .version(npm, "left-pad", 42)
                .restore()
                .await
                .map(|()| 0)?,
            Op::DockerConflicts => packages.docker_conflicts().await?.len(),
        })
    }

    fn items(self) -> usize {
        match self {
            Op::Versions => 2,
            Op::List | Op::ListPrivate | Op::Get | Op::VersionsDeleted | Op::VersionGet => 1,
            Op::DockerConflicts => 1,
            _ => 0,
        }
    }
}

/// What is wrong with the headers of `request`, if anything.
fn header_problems(
    request: &Seen,
    user_agent: &str,
    api_version: &str,
    token: Option<&str>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expect = |name: &str, want: Vec<String>| {
        let got = request.header_values(name);
        if got != want {
            problems.push(format!("{name}: want {want:?}, got {got:?}"));
        }
    };
    expect("user-agent", vec![user_agent.to_owned()]);
    expect("accept", vec!["application/vnd.github+json".to_owned()]);
    expect("x-github-api-version", vec![api_version.to_owned()]);
    expect(
        "authorization",
        token.map(|t| format!("Bearer {t}")).into_iter().collect(),
    );
    expect("api-version", Vec::new());
    problems
}

fn assert_no_token(error: &Error, token: &str) {
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains(token), "token leaked: {shown}");
    }
}

/// Runs `op` for `scope` against a fresh server; what went wrong, if anything.
async fn check(op: Op, scope: &Scope, prefix: &str) -> Result<(), String> {
    let server = MockServer::start_async().await;
    let expected = op.expected(prefix);
    let (log, stray_log) = (new_log(), new_log());
    let mock = route(
        &server,
        expected.method,
        &expected.path,
        expected.status,
        expected.body.clone(),
        &log,
    );
    let stray = recorded_catch_all(&server, &stray_log);
    let outcome = op.run(&common::client(&server), scope).await;
    let mut problems = Vec::new();
    match &outcome {
        Ok(items) if *items == op.items() => {}
        Ok(items) => problems.push(format!("returned {items} items, want {}", op.items())),
        Err(error) => {
            assert_no_token(error, common::TOKEN);
            problems.push(format!("failed: {error}"));
        }
    }
    if stray.calls() > 0 {
        let caught: Vec<String> = seen(&stray_log)
            .iter()
            .map(|s| format!("{} {}", s.method, s.target))
            .collect();
        problems.push(format!(
            "sent {caught:?}, want {} {}",
            expected.method, expected.path
        ));
    }
    let requests = seen(&log);
    if mock.calls() != 1 {
        problems.push(format!("{} requests to the route, want 1", mock.calls()));
    }
    for request in &requests {
        let want: Vec<(String, String)> = expected
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if request.query() != want {
            problems.push(format!("query {:?}, want {want:?}", request.query()));
        }
        problems.extend(header_problems(
            request,
            DEFAULT_USER_AGENT,
            "2022-11-28",
            Some(common::TOKEN),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[tokio::test]
async fn every_operation_for_every_scope_hits_its_endpoint() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (scope, prefix) in scopes() {
        for op in OPS {
            checked += 1;
            if let Err(problem) = check(op, &scope, prefix).await {
                failures.push(format!("{op:?} for {scope}: {problem}"));
            }
        }
    }
    assert_eq!(
        checked, 36,
        "9 operations (27 endpoints) plus 3 variants, for 3 scopes"
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn custom_user_agent_and_api_version_go_on_every_request_including_next_pages() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let path = "/orgs/octo-org/packages/npm/left-pad/versions";
    let next = server.url(format!("{path}?per_page=100&page=2"));
    let first_page = {
        let log = Arc::clone(&log);
        server.mock(|when, then| {
            when.method(GET).path(path).query_param("page", "1");
            then.respond_with(move |req: &HttpMockRequest| {
                log.lock().unwrap().push(Seen::from(req));
                HttpMockResponse::builder()
                    .status(200)
                    .header("link", format!("<{next}>; rel=\"next\""))
                    .body(json!([version_json(2)]).to_string())
                    .build()
            });
        })
    };
    let second_page = route(
        &server,
        "GET",
        path,
        200,
        Some(json!([version_json(1)])),
        &log,
    );
    let delete = route(
        &server,
        "DELETE",
        "/orgs/octo-org/packages/npm/left-pad",
        204,
        None,
        &log,
    );
    let stray = common::catch_all(&server);
    let gh = common::builder(&server)
        .user_agent("my-tool/2.1 (ops@example.com)")
        .api_version("2026-03-10")
        .build()
        .unwrap();
    let org = Scope::org("octo-org");
    let versions = gh
        .packages(&org)
        .versions(PackageType::Npm, "left-pad")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    gh.packages(&org)
        .delete(PackageType::Npm, "left-pad")
        .await
        .unwrap();
    assert_eq!(
        (
            first_page.calls(),
            second_page.calls(),
            delete.calls(),
            stray.calls()
        ),
        (1, 1, 1, 0)
    );
    let requests = seen(&log);
    assert_eq!(requests.len(), 3);
    for request in &requests {
        let problems = header_problems(
            request,
            "my-tool/2.1 (ops@example.com)",
            "2026-03-10",
            Some(common::TOKEN),
        );
        assert!(
            problems.is_empty(),
            "{} {}: {problems:?}",
            request.method,
            request.target
        );
    }
}

fn anonymous(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .points_per_minute(0)
        .min_write_interval(std::time::Duration::ZERO)
        .build()
        .unwrap()
}

#[tokio::test]
async fn without_a_token_public_listings_work_and_no_authorization_is_sent() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let user = route(
        &server,
        "GET",
        "/users/octocat/packages",
        200,
        Some(json!([package_json("npm", "left-pad")])),
        &log,
    );
    let org = route(
        &server,
        "GET",
        "/orgs/octo-org/packages/container/team%2Fapp/versions",
        200,
        Some(json!([version_json(1)])),
        &log,
    );
    let stray = common::catch_all(&server);
    let gh = anonymous(&server);
    assert!(format!("{gh:?}").contains("has_token: false"), "{gh:?}");
    let packages = gh
        .packages(Scope::user("octocat"))
        .list(PackageType::Npm)
        .send()
        .await
        .unwrap();
    assert_eq!(packages.len(), 1);
    let versions = gh
        .packages(Scope::org("octo-org"))
        .versions(PackageType::Container, "team/app")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!((user.calls(), org.calls(), stray.calls()), (1, 1, 0));
    for request in seen(&log) {
        let problems = header_problems(&request, DEFAULT_USER_AGENT, "2022-11-28", None);
        assert!(problems.is_empty(), "{}: {problems:?}", request.target);
    }
}

#[tokio::test]
async fn without_a_token_a_401_says_to_set_github_token() {
    let server = MockServer::start_async().await;
    let refused = server.mock(|when, then| {
        when.method(GET).path("/user/packages");
        then.status(401)
            .header("content-type", "application/json")
            .body(r#"{"message":"Requires authentication","documentation_url":"https://docs.github.com/rest"}"#);
    });
    let stray = common::catch_all(&server);
    let error = anonymous(&server)
        .packages(Scope::AuthenticatedUser)
        .list(PackageType::Npm)
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::Unauthorized {
            had_token: false,
            api,
            ..
        } => assert_eq!(api.status.as_u16(), 401),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("GITHUB_TOKEN"), "{error}");
    assert_eq!((refused.calls(), stray.calls()), (1, 0));

    // With a token, the same answer blames the token instead, and never shows it.
    let error = common::client(&server)
        .packages(Scope::AuthenticatedUser)
        .list(PackageType::Npm)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unauthorized {
                had_token: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_no_token(&error, common::TOKEN);
}

#[tokio::test]
async fn the_token_never_shows_in_debug_or_errors() {
    let server = MockServer::start_async().await;
    let _missing = server.mock(|when, then| {
        when.any_request();
        then.status(404)
            .header("content-type", "application/json")
            .body(r#"{"message":"Not Found"}"#);
    });
    let gh = common::client(&server);
    let shown = format!("{gh:?} {:?} {:?}", gh.clone(), common::builder(&server));
    assert!(!shown.contains(common::TOKEN), "{shown}");
    assert!(!shown.contains(RESTORE_TOKEN), "{shown}");

    let org = Scope::org("octo-org");
    let packages = gh.packages(&org);
    let errors = [
        packages
            .get(PackageType::Npm, "left-pad")
            .await
            .unwrap_err(),
        packages
            .restore(PackageType::Npm, "left-pad")
            .token(RESTORE_TOKEN)
            .await
            .unwrap_err(),
        packages
            .versions(PackageType::Npm, "x")
            .send()
            .await
            .unwrap_err(),
        packages
            .version(PackageType::Npm, "x", 0)
            .get()
            .await
            .unwrap_err(),
    ];
    for error in &errors {
        assert_no_token(error, common::TOKEN);
        assert_no_token(error, RESTORE_TOKEN);
    }
    assert!(errors[0].is_not_found(), "{:?}", errors[0]);

    // A transport failure (nothing listening) keeps both tokens out too.
    // A port nobody listens on (bound, then released).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let error = common::builder(&server)
        .base_url(closed)
        .max_retries(0)
        .build()
        .unwrap()
        .packages(&org)
        .restore(PackageType::Npm, "left-pad")
        .token(RESTORE_TOKEN)
        .await
        .unwrap_err();
    assert_no_token(&error, common::TOKEN);
    assert_no_token(&error, RESTORE_TOKEN);
}

#[tokio::test]
async fn a_base_url_with_a_path_prefixes_every_request() {
    for suffix in ["/api/v3", "/api/v3/"] {
        let server = MockServer::start_async().await;
        let log = new_log();
        let path = "/api/v3/orgs/octo-org/packages/container/app/versions";
        let next = server.url(format!("{path}?per_page=100&page=2"));
        let first_page = {
            let log = Arc::clone(&log);
            server.mock(|when, then| {
                when.method(GET).path(path).query_param("page", "1");
                then.respond_with(move |req: &HttpMockRequest| {
                    log.lock().unwrap().push(Seen::from(req));
                    HttpMockResponse::builder()
                        .status(200)
                        .header(
                            "link",
                            format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\""),
                        )
                        .body(json!([version_json(2)]).to_string())
                        .build()
                });
            })
        };
        let second_page = route(
            &server,
            "GET",
            path,
            200,
            Some(json!([version_json(1)])),
            &log,
        );
        let get = route(
            &server,
            "GET",
            "/api/v3/orgs/octo-org/packages/npm/left-pad",
            200,
            Some(package_json("npm", "left-pad")),
            &log,
        );
        let stray = common::catch_all(&server);
        let gh = common::builder(&server)
            .base_url(server.url(suffix))
            .build()
            .unwrap();
        assert_eq!(gh.base_url().path(), "/api/v3", "{suffix}");
        let org = Scope::org("octo-org");
        let versions = gh
            .packages(&org)
            .versions(PackageType::Container, "app")
            .send()
            .await
            .unwrap();
        assert_eq!(versions.len(), 2, "{suffix}");
        gh.packages(&org)
            .get(PackageType::Npm, "left-pad")
            .await
            .unwrap();
        assert_eq!(
            (
                first_page.calls(),
                second_page.calls(),
                get.calls(),
                stray.calls()
            ),
            (1, 1, 1, 0),
            "{suffix}"
        );
    }
}

#[test]
fn client_is_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Client>();
    assert_traits::<Scope>();
    assert_traits::<github_packages::ListPackages>();
    assert_traits::<github_packages::ListVersions>();
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let lure = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200)
            .header("content-type", "application/json")
            .body(package_json("npm", "left-pad").to_string());
    });
    let moved = server.mock(|when, then| {
        when.method(GET)
            .path("/orgs/octo-org/packages/npm/left-pad");
        then.status(302).header(
            "location",
            elsewhere.url("/orgs/octo-org/packages/npm/left-pad"),
        );
    });
    let stray = common::catch_all(&server);
    let result = common::client(&server)
        .packages(Scope::org("octo-org"))
        .get(PackageType::Npm, "left-pad")
        .await;
    assert_eq!(lure.calls(), 0, "the other origin was contacted");
    assert_eq!((moved.calls(), stray.calls()), (1, 0));
    let error = result.expect_err("a cross-origin redirect must not succeed");
    assert_no_token(&error, common::TOKEN);
    // The error should say what happened: the redirect left the API origin.
    assert!(
        matches!(error, Error::CrossOrigin { .. }),
        "{error:?}\n{error}"
    );
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_the_token() {
    let server = MockServer::start_async().await;
    let log = new_log();
    let moved = server.mock(|when, then| {
        when.method(GET)
            .path("/orgs/octo-org/packages/npm/left-pad");
        then.status(302)
            .header("location", "/orgs/octo-org/packages/npm/right-pad");
    });
    let target = route(
        &server,
        "GET",
        "/orgs/octo-org/packages/npm/right-pad",
        200,
        Some(package_json("npm", "right-pad")),
        &log,
    );
    let stray = common::catch_all(&server);
    let package = common::client(&server)
        .packages(Scope::org("octo-org"))
        .get(PackageType::Npm, "left-pad")
        .await
        .unwrap();
    assert_eq!(package.name, "right-pad");
    assert_eq!((moved.calls(), target.calls(), stray.calls()), (1, 1, 0));
    let problems = header_problems(
        &seen(&log)[0],
        DEFAULT_USER_AGENT,
        "2022-11-28",
        Some(common::TOKEN),
    );
    assert!(problems.is_empty(), "{problems:?}");
}
