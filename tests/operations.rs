//! All 27 packages operations, called through the generated client: each test pins the
//! method, the encoded path, the whole query string and GitHub's required headers, and
//! checks that the spec's own example answer parses into the generated types, value by value.

mod common;

use chrono::SecondsFormat;
use github_packages::{Package, PackageType, PackageVersion, VersionState, Visibility};
use httpmock::Mock;
use httpmock::prelude::*;

// The `value`s of the spec's `components/examples`, copied verbatim (the last test keeps
// them in step with the spec).
const PACKAGES_FOR_ORG: &str = include_str!("fixtures/spec/packages-for-org.json");
const PACKAGE_ORG: &str = include_str!("fixtures/spec/package-org.json");
const PACKAGE_VERSIONS_FOR_ORG: &str = include_str!("fixtures/spec/package-versions-for-org.json");
const PACKAGE_VERSION_ORG: &str = include_str!("fixtures/spec/package-version-org.json");
const PACKAGES_FOR_USER: &str = include_str!("fixtures/spec/packages-for-user.json");
const PACKAGE_USER: &str = include_str!("fixtures/spec/package-user.json");
const PACKAGE_VERSIONS_FOR_AUTHENTICATED_USER: &str =
    include_str!("fixtures/spec/package-versions-for-authenticated-user.json");
const PACKAGE_VERSION_AUTHENTICATED_USER: &str =
    include_str!("fixtures/spec/package-version-authenticated-user.json");
const PACKAGE_VERSIONS_FOR_USER: &str =
    include_str!("fixtures/spec/package-versions-for-user.json");
const PACKAGE_VERSION_USER: &str = include_str!("fixtures/spec/package-version-user.json");

const SPEC: &str = include_str!("../spec/api.github.com.packages.json");

/// Mocks one request as GitHub must receive it: this method and raw (encoded) path,
/// exactly these query parameters in this order and no others, and the headers GitHub
/// requires. Answers `status`, with `body` as JSON when given.
fn github<'a>(
    server: &'a MockServer,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    status: u16,
    body: Option<&str>,
) -> Mock<'a> {
    let raw_query = (!query.is_empty()).then(|| {
        query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    });
    server.mock(|when, then| {
        let mut when = when
            .method(method)
            .path(path)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .header("authorization", format!("Bearer {}", common::TOKEN))
            .header_prefix("user-agent", "github-packages/")
            .header_missing("api-version")
            .is_true(move |req| req.uri().query() == raw_query.as_deref());
        for (name, value) in query {
            when = when.query_param(*name, *value);
        }
        let then = then.status(status);
        if let Some(body) = body {
            then.header("content-type", "application/json; charset=utf-8")
                .body(body);
        }
    })
}

/// The request reached its own mock exactly once and nothing reached the catch-all.
fn assert_one_call(mock: &Mock<'_>, catch_all: &Mock<'_>) {
    assert_eq!(
        catch_all.calls(),
        0,
        "a request missed its mock: wrong method, path, query or headers"
    );
    assert_eq!(mock.calls(), 1);
}

fn time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn tags(version: &PackageVersion) -> &[String] {
    let metadata = version.metadata.as_ref().expect("metadata");
    &metadata
        .container
        .as_ref()
        .expect("container metadata")
        .tags
}

fn assert_hello_docker(p: &Package, owner: &str) {
    assert_eq!(p.id, 197);
    assert_eq!(p.name, "hello_docker");
    assert_eq!(p.package_type, PackageType::Container);
    assert_eq!(p.visibility, Visibility::Private);
    assert_eq!(p.version_count, 1);
    assert_eq!(p.owner.as_ref().expect("owner").login, owner);
    assert_eq!(p.owner.as_ref().unwrap().id, 9919);
    assert_eq!(time(&p.created_at), "2020-05-19T22:19:11Z");
    assert!(p.repository.is_none());
}

fn assert_packages_for_org(packages: &[Package]) {
    assert_eq!(packages.len(), 2);
    assert_hello_docker(&packages[0], "github");
    let second = &packages[1];
    assert_eq!((second.id, second.name.as_str()), (198, "goodbye_docker"));
    assert_eq!(second.version_count, 2);
    assert_eq!(
        second.html_url,
        "https://github.com/orgs/github/packages/container/package/goodbye_docker"
    );
}

fn assert_packages_for_user(packages: &[Package]) {
    assert_eq!(packages.len(), 2);
    assert_hello_docker(&packages[0], "octocat");
    let second = &packages[1];
    assert_eq!((second.id, second.name.as_str()), (198, "goodbye_docker"));
    assert_eq!(second.owner.as_ref().unwrap().login, "github");
    assert_eq!(second.visibility, Visibility::Private);
    assert_eq!(time(&second.updated_at), "2020-05-20T22:19:11Z");
}

fn assert_package_user(p: &Package) {
    assert_eq!(p.id, 40201);
    assert_eq!(p.name, "octo-name");
    assert_eq!(p.package_type, PackageType::Rubygems);
    assert_eq!(p.visibility, Visibility::Public);
    assert_eq!(p.version_count, 3);
    let owner = p.owner.as_ref().expect("owner");
    assert_eq!((owner.login.as_str(), owner.id), ("octocat", 209477));
    assert!(owner.site_admin);
    let repository = p.repository.as_ref().and_then(|r| r.0.as_ref());
    let repository = repository.expect("repository");
    assert_eq!(repository.full_name, "octocat/octo-name-repo");
    assert_eq!(repository.owner.login, "octocat");
    assert!(!repository.private);
}

fn assert_rubygems_versions(versions: &[PackageVersion]) {
    let ids: Vec<_> = versions.iter().map(|v| (v.id, v.name.as_str())).collect();
    assert_eq!(
        ids,
        [(3497268, "0.3.0"), (387039, "0.2.0"), (169770, "0.1.0")]
    );
    assert_eq!(versions[0].license.as_deref(), Some("MIT"));
    assert_eq!(
        versions[0].description.as_deref(),
        Some("Project for octocats")
    );
    assert_eq!(versions[2].description, None);
    for v in versions {
        let metadata = v.metadata.as_ref().expect("metadata");
        assert_eq!(metadata.package_type, PackageType::Rubygems);
        assert!(metadata.container.is_none() && metadata.docker.is_none());
    }
}

// ---- organization ----------------------------------------------------------------

#[tokio::test]
async fn list_docker_migration_conflicting_packages_for_organization() {
    let server = MockServer::start_async().await;
    let path = "/orgs/octo-org/docker/conflicts";
    let mock = github(&server, GET, path, &[], 200, Some(PACKAGES_FOR_ORG));
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_list_docker_migration_conflicting_packages_for_organization()
        .org("octo-org")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_packages_for_org(&result.expect("conflicts").into_inner());
}

#[tokio::test]
async fn list_packages_for_organization() {
    let server = MockServer::start_async().await;
    let query = [
        ("package_type", "container"),
        ("page", "2"),
        ("per_page", "30"),
        ("visibility", "private"),
    ];
    let mock = github(
        &server,
        GET,
        "/orgs/octo-org/packages",
        &query,
        200,
        Some(PACKAGES_FOR_ORG),
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_list_packages_for_organization()
        .org("octo-org")
        .package_type(PackageType::Container)
        .page(2)
        .per_page(30)
        .visibility(Visibility::Private)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_packages_for_org(&result.expect("list").into_inner());
}

#[tokio::test]
async fn get_package_for_organization() {
    let server = MockServer::start_async().await;
    let path = "/orgs/octo-org/packages/container/hello_docker";
    let mock = github(&server, GET, path, &[], 200, Some(PACKAGE_ORG));
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_package_for_organization()
        .org("octo-org")
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    let package = result.expect("get").into_inner();
    assert_hello_docker(&package, "github");
    assert_eq!(
        package.url,
        "https://api.github.com/orgs/github/packages/container/hello_docker"
    );
}

#[tokio::test]
async fn delete_package_for_org() {
    let server = MockServer::start_async().await;
    let path = "/orgs/octo-org/packages/npm/left-pad";
    let mock = github(&server, DELETE, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_delete_package_for_org()
        .org("octo-org")
        .package_type(PackageType::Npm)
        .package_name("left-pad")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("delete").status(), 204);
}

#[tokio::test]
async fn restore_package_for_org() {
    let server = MockServer::start_async().await;
    let path = "/orgs/octo-org/packages/npm/left-pad/restore";
    let query = [("token", "restore-token-1")];
    let mock = github(&server, POST, path, &query, 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_restore_package_for_org()
        .org("octo-org")
        .package_type(PackageType::Npm)
        .package_name("left-pad")
        .token("restore-token-1")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("restore").status(), 204);
}

#[tokio::test]
async fn get_all_package_versions_for_package_owned_by_org() {
    let server = MockServer::start_async().await;
    let path = "/orgs/octo-org/packages/npm/hello-world-npm/versions";
    let query = [("page", "1"), ("per_page", "100"), ("state", "active")];
    let mock = github(
        &server,
        GET,
        path,
        &query,
        200,
        Some(PACKAGE_VERSIONS_FOR_ORG),
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_all_package_versions_for_package_owned_by_org()
        .org("octo-org")
        .package_type(PackageType::Npm)
        .package_name("hello-world-npm")
        .page(1)
        .per_page(100)
        .state(VersionState::Active)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    let versions = result.expect("versions").into_inner();
    let ids: Vec<_> = versions.iter().map(|v| (v.id, v.name.as_str())).collect();
    assert_eq!(ids, [(245301, "1.0.4"), (209672, "1.0.3")]);
    assert_eq!(
        versions[0].package_html_url,
        "https://github.com/octo-org/hello-world-npm/packages/43752"
    );
    assert_eq!(time(&versions[1].updated_at), "2019-10-29T15:42:12Z");
    for v in &versions {
        assert_eq!(v.metadata.as_ref().unwrap().package_type, PackageType::Npm);
        assert!(v.deleted_at.is_none());
    }
}

#[tokio::test]
async fn get_package_version_for_organization() {
    let server = MockServer::start_async().await;
    let path = "/orgs/octo-org/packages/container/hello_docker/versions/836";
    let mock = github(&server, GET, path, &[], 200, Some(PACKAGE_VERSION_ORG));
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_package_version_for_organization()
        .org("octo-org")
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .package_version_id(836)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    let version = result.expect("version").into_inner();
    assert_eq!(version.id, 836);
    assert_eq!(
        version.name,
        "sha256:b3d3e366b55f9a54599220198b3db5da8f53592acbbb7dc7e4e9878762fc5344"
    );
    assert_eq!(
        version.metadata.as_ref().unwrap().package_type,
        PackageType::Container
    );
    assert_eq!(tags(&version), ["latest"]);
    assert_eq!(
        version.html_url.as_deref(),
        Some("https://github.com/orgs/github/packages/container/hello_docker/836")
    );
}

#[tokio::test]
async fn delete_package_version_for_org() {
    let server = MockServer::start_async().await;
    let path = "/orgs/octo-org/packages/container/hello_docker/versions/836";
    let mock = github(&server, DELETE, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_delete_package_version_for_org()
        .org("octo-org")
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .package_version_id(836)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("delete").status(), 204);
}

#[tokio::test]
async fn restore_package_version_for_org() {
    let server = MockServer::start_async().await;
    let path = "/orgs/octo-org/packages/container/hello_docker/versions/836/restore";
    let mock = github(&server, POST, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_restore_package_version_for_org()
        .org("octo-org")
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .package_version_id(836)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("restore").status(), 204);
}

// ---- authenticated user ----------------------------------------------------------

#[tokio::test]
async fn list_docker_migration_conflicting_packages_for_authenticated_user() {
    let server = MockServer::start_async().await;
    let mock = github(
        &server,
        GET,
        "/user/docker/conflicts",
        &[],
        200,
        Some(PACKAGES_FOR_USER),
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_list_docker_migration_conflicting_packages_for_authenticated_user()
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_packages_for_user(&result.expect("conflicts").into_inner());
}

#[tokio::test]
async fn list_packages_for_authenticated_user() {
    let server = MockServer::start_async().await;
    // Only the required parameter: the optional ones must not appear at all.
    let query = [("package_type", "container")];
    let mock = github(
        &server,
        GET,
        "/user/packages",
        &query,
        200,
        Some(PACKAGES_FOR_USER),
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_list_packages_for_authenticated_user()
        .package_type(PackageType::Container)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_packages_for_user(&result.expect("list").into_inner());
}

#[tokio::test]
async fn get_package_for_authenticated_user() {
    let server = MockServer::start_async().await;
    let path = "/user/packages/rubygems/octo-name";
    let mock = github(&server, GET, path, &[], 200, Some(PACKAGE_USER));
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_package_for_authenticated_user()
        .package_type(PackageType::Rubygems)
        .package_name("octo-name")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_package_user(&result.expect("get").into_inner());
}

#[tokio::test]
async fn delete_package_for_authenticated_user() {
    let server = MockServer::start_async().await;
    let path = "/user/packages/container/hello_docker";
    let mock = github(&server, DELETE, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_delete_package_for_authenticated_user()
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("delete").status(), 204);
}

#[tokio::test]
async fn restore_package_for_authenticated_user() {
    let server = MockServer::start_async().await;
    // No token given: the `token` parameter must be left out, not sent empty.
    let path = "/user/packages/container/hello_docker/restore";
    let mock = github(&server, POST, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_restore_package_for_authenticated_user()
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("restore").status(), 204);
}

#[tokio::test]
async fn get_all_package_versions_for_package_owned_by_authenticated_user() {
    let server = MockServer::start_async().await;
    let path = "/user/packages/container/hello_docker/versions";
    let query = [("state", "deleted")];
    let body = Some(PACKAGE_VERSIONS_FOR_AUTHENTICATED_USER);
    let mock = github(&server, GET, path, &query, 200, body);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_all_package_versions_for_package_owned_by_authenticated_user()
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .state(VersionState::Deleted)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    let versions = result.expect("versions").into_inner();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].id, 45763);
    assert_eq!(
        versions[0].name,
        "sha256:08a44bab0bddaddd8837a8b381aebc2e4b933768b981685a9e088360af0d3dd9"
    );
    assert_eq!(tags(&versions[0]), ["latest"]);
    assert_eq!(versions[1].id, 881);
    assert!(tags(&versions[1]).is_empty());
    assert_eq!(time(&versions[1].created_at), "2020-05-21T22:22:20Z");
}

#[tokio::test]
async fn get_package_version_for_authenticated_user() {
    let server = MockServer::start_async().await;
    let path = "/user/packages/container/hello_docker/versions/214";
    let body = Some(PACKAGE_VERSION_AUTHENTICATED_USER);
    let mock = github(&server, GET, path, &[], 200, body);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_package_version_for_authenticated_user()
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .package_version_id(214)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    let version = result.expect("version").into_inner();
    assert_eq!(version.id, 214);
    assert_eq!(
        version.name,
        "sha256:3561f0cff06caccddb99c93bd26e712fcc56a811de0f8ea7a17bb865f30b176a"
    );
    assert_eq!(tags(&version), ["1.13.6"]);
    assert_eq!(time(&version.updated_at), "2020-05-15T03:46:45Z");
}

#[tokio::test]
async fn delete_package_version_for_authenticated_user() {
    let server = MockServer::start_async().await;
    let path = "/user/packages/container/hello_docker/versions/214";
    let mock = github(&server, DELETE, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_delete_package_version_for_authenticated_user()
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .package_version_id(214)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("delete").status(), 204);
}

#[tokio::test]
async fn restore_package_version_for_authenticated_user() {
    let server = MockServer::start_async().await;
    let path = "/user/packages/container/hello_docker/versions/214/restore";
    let mock = github(&server, POST, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_restore_package_version_for_authenticated_user()
        .package_type(PackageType::Container)
        .package_name("hello_docker")
        .package_version_id(214)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("restore").status(), 204);
}

// ---- named user ------------------------------------------------------------------

#[tokio::test]
async fn list_docker_migration_conflicting_packages_for_user() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/docker/conflicts";
    let mock = github(&server, GET, path, &[], 200, Some(PACKAGES_FOR_USER));
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_list_docker_migration_conflicting_packages_for_user()
        .username("octocat")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_packages_for_user(&result.expect("conflicts").into_inner());
}

#[tokio::test]
async fn list_packages_for_user() {
    let server = MockServer::start_async().await;
    let query = [
        ("package_type", "container"),
        ("per_page", "5"),
        ("visibility", "internal"),
    ];
    let path = "/users/octocat/packages";
    let mock = github(&server, GET, path, &query, 200, Some(PACKAGES_FOR_USER));
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_list_packages_for_user()
        .username("octocat")
        .package_type(PackageType::Container)
        .per_page(5)
        .visibility(Visibility::Internal)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_packages_for_user(&result.expect("list").into_inner());
}

#[tokio::test]
async fn get_package_for_user() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/packages/rubygems/octo-name";
    let mock = github(&server, GET, path, &[], 200, Some(PACKAGE_USER));
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_package_for_user()
        .username("octocat")
        .package_type(PackageType::Rubygems)
        .package_name("octo-name")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    let package = result.expect("get").into_inner();
    assert_package_user(&package);
    assert_eq!(time(&package.updated_at), "2019-10-20T14:17:14Z");
}

#[tokio::test]
async fn delete_package_for_user() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/packages/rubygems/octo-name";
    let mock = github(&server, DELETE, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_delete_package_for_user()
        .username("octocat")
        .package_type(PackageType::Rubygems)
        .package_name("octo-name")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("delete").status(), 204);
}

#[tokio::test]
async fn restore_package_for_user() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/packages/rubygems/octo-name/restore";
    let query = [("token", "t0k3n")];
    let mock = github(&server, POST, path, &query, 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_restore_package_for_user()
        .username("octocat")
        .package_type(PackageType::Rubygems)
        .package_name("octo-name")
        .token("t0k3n")
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("restore").status(), 204);
}

#[tokio::test]
async fn get_all_package_versions_for_package_owned_by_user() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/packages/rubygems/octo-name/versions";
    let query = [("page", "3"), ("per_page", "20"), ("state", "active")];
    let mock = github(
        &server,
        GET,
        path,
        &query,
        200,
        Some(PACKAGE_VERSIONS_FOR_USER),
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_all_package_versions_for_package_owned_by_user()
        .username("octocat")
        .package_type(PackageType::Rubygems)
        .package_name("octo-name")
        .page(3)
        .per_page(20)
        .state(VersionState::Active)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_rubygems_versions(&result.expect("versions").into_inner());
}

#[tokio::test]
async fn get_package_version_for_user() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/packages/rubygems/octo-name/versions/387039";
    let mock = github(&server, GET, path, &[], 200, Some(PACKAGE_VERSION_USER));
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_get_package_version_for_user()
        .username("octocat")
        .package_type(PackageType::Rubygems)
        .package_name("octo-name")
        .package_version_id(387039)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    let version = result.expect("version").into_inner();
    assert_eq!((version.id, version.name.as_str()), (387039, "0.2.0"));
    assert_eq!(version.license.as_deref(), Some("MIT"));
    assert_eq!(
        version.description.as_deref(),
        Some("Octo-name client for Ruby")
    );
    assert_eq!(
        version.metadata.as_ref().unwrap().package_type,
        PackageType::Rubygems
    );
    assert_eq!(time(&version.created_at), "2019-12-01T20:49:29Z");
}

#[tokio::test]
async fn delete_package_version_for_user() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/packages/rubygems/octo-name/versions/387039";
    let mock = github(&server, DELETE, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_delete_package_version_for_user()
        .username("octocat")
        .package_type(PackageType::Rubygems)
        .package_name("octo-name")
        .package_version_id(387039)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("delete").status(), 204);
}

#[tokio::test]
async fn restore_package_version_for_user() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/packages/rubygems/octo-name/versions/387039/restore";
    let mock = github(&server, POST, path, &[], 204, None);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let result = gh
        .generated()
        .packages_restore_package_version_for_user()
        .username("octocat")
        .package_type(PackageType::Rubygems)
        .package_name("octo-name")
        .package_version_id(387039)
        .send()
        .await;

    assert_one_call(&mock, &catch_all);
    assert_eq!(result.expect("restore").status(), 204);
}

// ---- the fixtures themselves -----------------------------------------------------

/// The fixtures are the spec's examples, untouched: if the spec is re-cut with new
/// examples, this fails until they are copied again.
#[test]
fn fixtures_are_the_specs_own_examples() {
    let spec: serde_json::Value = serde_json::from_str(SPEC).expect("spec parses");
    let examples = spec["components"]["examples"]
        .as_object()
        .expect("examples");
    let fixtures = [
        ("packages-for-org", PACKAGES_FOR_ORG),
        ("package-org", PACKAGE_ORG),
        ("package-versions-for-org", PACKAGE_VERSIONS_FOR_ORG),
        ("package-version-org", PACKAGE_VERSION_ORG),
        ("packages-for-user", PACKAGES_FOR_USER),
        ("package-user", PACKAGE_USER),
        (
            "package-versions-for-authenticated-user",
            PACKAGE_VERSIONS_FOR_AUTHENTICATED_USER,
        ),
        (
            "package-version-authenticated-user",
            PACKAGE_VERSION_AUTHENTICATED_USER,
        ),
        ("package-versions-for-user", PACKAGE_VERSIONS_FOR_USER),
        ("package-version-user", PACKAGE_VERSION_USER),
    ];
    assert_eq!(
        examples.len(),
        fixtures.len(),
        "the spec's examples changed"
    );
    for (name, text) in fixtures {
        let fixture: serde_json::Value = serde_json::from_str(text).expect(name);
        assert_eq!(
            examples[name]["value"], fixture,
            "tests/fixtures/spec/{name}.json differs from the spec's example"
        );
    }
}
