//! One test (or group) per entry of `spec/patches.json`, each failing (or not compiling)
//! without its patch: the list-packages 400 body, the one `SimpleUser`, Docker `tag`/`tags`,
//! user-scope version paging, GitHub's error bodies on every operation, and the shared enums.

mod common;

use github_packages::generated::types::BasicError;
use github_packages::generated::{self, ResponseValue};
use github_packages::{
    Client, Error, Package, PackageType, PackageVersion, Scope, SimpleUser, VersionState,
    Visibility,
};
use httpmock::Mock;
use httpmock::prelude::*;
use serde_json::{Value, json};

const PACKAGE_ORG: &str = include_str!("fixtures/spec/package-org.json");
const PATCHES: &str = include_str!("../spec/patches.json");
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/codegen.rs"));

type GenResult<T> = Result<ResponseValue<T>, generated::Error<BasicError>>;

/// Mocks `method path` (raw, no query unless `query` says) answering `status` with `body`.
fn answer<'a>(
    server: &'a MockServer,
    method: Method,
    path: &str,
    query: Option<&'static str>,
    status: u16,
    body: &Value,
) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(method)
            .path(path)
            .is_true(move |req| req.uri().query() == query);
        then.status(status)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string());
    })
}

/// The spec's package example with `edit` applied.
fn package_with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut package: Value = serde_json::from_str(PACKAGE_ORG).unwrap();
    edit(&mut package);
    package
}

/// A package version answer with this `metadata`.
fn version_with(metadata: Value) -> Value {
    json!({
        "id": 42,
        "name": "sha256:0123",
        "url": "https://api.github.com/orgs/o/packages/docker/app/versions/42",
        "package_html_url": "https://github.com/orgs/o/packages/docker/package/app",
        "created_at": "2021-03-04T05:06:07Z",
        "updated_at": "2021-03-04T05:06:07Z",
        "metadata": metadata,
    })
}

/// The GitHub error body carried by an `ErrorResponse`, or a panic naming what came instead.
fn error_body<T: std::fmt::Debug>(
    result: Result<T, generated::Error<BasicError>>,
    status: u16,
) -> BasicError {
    match result {
        Err(generated::Error::ErrorResponse(rv)) => {
            assert_eq!(rv.status(), status);
            rv.into_inner()
        }
        other => panic!("expected ErrorResponse({status}), got {other:?}"),
    }
}

async fn get_org_package(gh: &Client, package_type: PackageType) -> GenResult<Package> {
    gh.generated()
        .packages_get_package_for_organization()
        .org("o")
        .package_type(package_type)
        .package_name("app")
        .send()
        .await
}

async fn get_org_version(gh: &Client) -> GenResult<PackageVersion> {
    gh.generated()
        .packages_get_package_version_for_organization()
        .org("o")
        .package_type(PackageType::Docker)
        .package_name("app")
        .package_version_id(42)
        .send()
        .await
}

// ---- list-packages-400-body ------------------------------------------------------

const WALL: &str = "Pagination is limited for this resource. The value of `per_page` \
                    multiplied by `page` cannot be greater than 10000.";
const WALL_DOCS: &str =
    "https://docs.github.com/rest/packages/packages#list-packages-for-an-organization";

#[tokio::test]
async fn list_packages_400_is_an_error_response_with_githubs_message() {
    let server = MockServer::start_async().await;
    let body = json!({ "message": WALL, "documentation_url": WALL_DOCS });
    let query = Some("package_type=npm&page=101&per_page=100");
    let mocks = [
        answer(&server, GET, "/orgs/o/packages", query, 400, &body),
        answer(&server, GET, "/users/u/packages", query, 400, &body),
        answer(&server, GET, "/user/packages", query, 400, &body),
    ];
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);
    let raw = gh.generated();
    let npm = PackageType::Npm;

    let results = [
        raw.packages_list_packages_for_organization()
            .org("o")
            .package_type(npm)
            .page(101)
            .per_page(100)
            .send()
            .await,
        raw.packages_list_packages_for_user()
            .username("u")
            .package_type(npm)
            .page(101)
            .per_page(100)
            .send()
            .await,
        raw.packages_list_packages_for_authenticated_user()
            .package_type(npm)
            .page(101)
            .per_page(100)
            .send()
            .await,
    ];

    assert_eq!(catch_all.calls(), 0);
    for (result, mock) in results.into_iter().zip(&mocks) {
        assert_eq!(mock.calls(), 1);
        let error = error_body(result, 400);
        assert_eq!(error.message.as_deref(), Some(WALL));
        assert_eq!(error.documentation_url.as_deref(), Some(WALL_DOCS));
    }
}

#[tokio::test]
async fn list_packages_400_reaches_layer_users_with_the_whole_message() {
    let server = MockServer::start_async().await;
    let body = json!({ "message": WALL, "documentation_url": WALL_DOCS });
    let query = Some("package_type=container&page=1&per_page=100");
    let mock = answer(&server, GET, "/orgs/o/packages", query, 400, &body);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let outcome = gh
        .packages(Scope::org("o"))
        .list(PackageType::Container)
        .send()
        .await;

    assert_eq!((mock.calls(), catch_all.calls()), (1, 0));
    // The message says pagination is limited, so even on page 1 this is the
    // pagination error, with GitHub's answer kept whole.
    match outcome {
        Err(Error::PaginationLimit {
            api: Some(api),
            page: 1,
            ..
        }) => {
            assert_eq!(api.status, 400);
            assert_eq!(api.message.as_deref(), Some(WALL));
            assert_eq!(api.documentation_url.as_deref(), Some(WALL_DOCS));
        }
        other => panic!("expected PaginationLimit, got {other:?}"),
    }
}

// ---- one-simple-user -------------------------------------------------------------

/// Compiles only while `Package.owner` is `Option<SimpleUser>`, the type `Package`s
/// everywhere else share (not a second, nullable copy).
fn owner_of(package: &Package) -> Option<&SimpleUser> {
    package.owner.as_ref()
}

#[tokio::test]
async fn package_owner_is_an_optional_simple_user_and_null_parses() {
    let server = MockServer::start_async().await;
    let path = "/orgs/o/packages/container/app";
    let null_owner = package_with(|p| p["owner"] = Value::Null);
    let mock = answer(&server, GET, path, None, 200, &null_owner);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let package = get_org_package(&gh, PackageType::Container).await;

    assert_eq!((mock.calls(), catch_all.calls()), (1, 0));
    let package = package.expect("`owner: null` parses").into_inner();
    assert_eq!(package.id, 197);
    assert!(owner_of(&package).is_none());

    // Absent parses too, and a present owner is the ordinary SimpleUser.
    let absent = package_with(|p| drop(p.as_object_mut().unwrap().remove("owner")));
    let absent: Package = serde_json::from_value(absent).expect("no owner parses");
    assert!(absent.owner.is_none());
    let present: Package = serde_json::from_str(PACKAGE_ORG).unwrap();
    let owner: &SimpleUser = owner_of(&present).expect("owner");
    assert_eq!((owner.login.as_str(), owner.id), ("github", 9919));
}

// ---- docker-metadata-tags --------------------------------------------------------

#[tokio::test]
async fn docker_metadata_with_tag_or_tags_parses() {
    // Compared as JSON rather than field by field, so that without the patch this still
    // compiles and fails where users would: parsing the answer.
    for docker in [
        json!({ "tag": ["latest"] }),
        json!({ "tags": ["v1", "latest"] }),
        json!({}),
    ] {
        let server = MockServer::start_async().await;
        let path = "/orgs/o/packages/docker/app/versions/42";
        let body = version_with(json!({ "package_type": "docker", "docker": docker }));
        let mock = answer(&server, GET, path, None, 200, &body);
        let catch_all = common::catch_all(&server);
        let gh = common::client(&server);

        let version = get_org_version(&gh).await;

        assert_eq!((mock.calls(), catch_all.calls()), (1, 0));
        let version = version
            .unwrap_or_else(|e| panic!("{docker}: {e}"))
            .into_inner();
        let metadata = version.metadata.expect("metadata");
        assert_eq!(metadata.package_type, PackageType::Docker);
        let found = serde_json::to_value(metadata.docker.expect("docker metadata")).unwrap();
        assert_eq!(found, docker);
    }
}

// ---- user-versions-paging --------------------------------------------------------

#[tokio::test]
async fn user_scope_versions_send_page_per_page_and_state() {
    let server = MockServer::start_async().await;
    let path = "/users/octocat/packages/container/app/versions";
    let generated = answer(
        &server,
        GET,
        path,
        Some("page=2&per_page=50&state=deleted"),
        200,
        &json!([]),
    );
    let layer = answer(
        &server,
        GET,
        path,
        Some("page=1&per_page=10&state=deleted"),
        200,
        &json!([]),
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let listed = gh
        .generated()
        .packages_get_all_package_versions_for_package_owned_by_user()
        .username("octocat")
        .package_type(PackageType::Container)
        .package_name("app")
        .page(2)
        .per_page(50)
        .state(VersionState::Deleted)
        .send()
        .await;
    let collected = gh
        .packages(Scope::user("octocat"))
        .versions(PackageType::Container, "app")
        .state(VersionState::Deleted)
        .per_page(10)
        .send()
        .await;

    assert_eq!(catch_all.calls(), 0);
    assert_eq!((generated.calls(), layer.calls()), (1, 1));
    assert!(listed.expect("generated").into_inner().is_empty());
    assert!(collected.expect("layer").is_empty());
}

// ---- error-responses -------------------------------------------------------------

/// Every (path, status) the `error-responses` patch declares, read from the patch itself.
fn declared_error_responses() -> Vec<(String, u16)> {
    let patches: Value = serde_json::from_str(PATCHES).unwrap();
    let patch = patches
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "error-responses")
        .expect("the error-responses patch");
    patch["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| {
            // `/paths/~1user~1packages/get/responses/404` -> (`/user/packages`, 404)
            let pointer = op["path"].as_str().unwrap();
            let rest = pointer.strip_prefix("/paths/").unwrap();
            let (path, rest) = rest.split_once('/').unwrap();
            assert_eq!(op["op"], "add");
            let status = rest.strip_prefix("get/responses/").expect("a GET response");
            (path.replace("~1", "/"), status.parse().unwrap())
        })
        .collect()
}

/// Calls the generated GET operation for an OpenAPI path template.
async fn call(gh: &Client, template: &str) -> Result<(), generated::Error<BasicError>> {
    let raw = gh.generated();
    let t = PackageType::Container;
    match template {
        "/user/packages" => raw
            .packages_list_packages_for_authenticated_user()
            .package_type(t)
            .send()
            .await
            .map(drop),
        "/orgs/{org}/packages" => raw
            .packages_list_packages_for_organization()
            .org("o")
            .package_type(t)
            .send()
            .await
            .map(drop),
        "/users/{username}/packages" => raw
            .packages_list_packages_for_user()
            .username("u")
            .package_type(t)
            .send()
            .await
            .map(drop),
        "/user/packages/{package_type}/{package_name}" => raw
            .packages_get_package_for_authenticated_user()
            .package_type(t)
            .package_name("p")
            .send()
            .await
            .map(drop),
        "/orgs/{org}/packages/{package_type}/{package_name}" => raw
            .packages_get_package_for_organization()
            .org("o")
            .package_type(t)
            .package_name("p")
            .send()
            .await
            .map(drop),
        "/users/{username}/packages/{package_type}/{package_name}" => raw
            .packages_get_package_for_user()
            .username("u")
            .package_type(t)
            .package_name("p")
            .send()
            .await
            .map(drop),
        "/user/packages/{package_type}/{package_name}/versions/{package_version_id}" => raw
            .packages_get_package_version_for_authenticated_user()
            .package_type(t)
            .package_name("p")
            .package_version_id(1)
            .send()
            .await
            .map(drop),
        "/orgs/{org}/packages/{package_type}/{package_name}/versions/{package_version_id}" => raw
            .packages_get_package_version_for_organization()
            .org("o")
            .package_type(t)
            .package_name("p")
            .package_version_id(1)
            .send()
            .await
            .map(drop),
        "/users/{username}/packages/{package_type}/{package_name}/versions/{package_version_id}" => {
            raw.packages_get_package_version_for_user()
                .username("u")
                .package_type(t)
                .package_name("p")
                .package_version_id(1)
                .send()
                .await
                .map(drop)
        }
        "/user/docker/conflicts" => raw
            .packages_list_docker_migration_conflicting_packages_for_authenticated_user()
            .send()
            .await
            .map(drop),
        "/orgs/{org}/docker/conflicts" => raw
            .packages_list_docker_migration_conflicting_packages_for_organization()
            .org("o")
            .send()
            .await
            .map(drop),
        "/users/{username}/docker/conflicts" => raw
            .packages_list_docker_migration_conflicting_packages_for_user()
            .username("u")
            .send()
            .await
            .map(drop),
        other => panic!("the patch declares errors for {other}; add a call for it here"),
    }
}

fn concrete(template: &str) -> String {
    template
        .replace("{org}", "o")
        .replace("{username}", "u")
        .replace("{package_type}", "container")
        .replace("{package_name}", "p")
        .replace("{package_version_id}", "1")
}

#[tokio::test]
async fn every_declared_error_answer_is_an_error_response_with_githubs_message() {
    let declared = declared_error_responses();
    assert_eq!(declared.len(), 28);
    for (template, status) in declared {
        let message = format!("{status} for {template}");
        let body = json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest/packages/packages",
            "status": status.to_string(),
        });
        let server = MockServer::start_async().await;
        let path = concrete(&template);
        // The list operations require `package_type`; nothing else sends a query.
        let query = template
            .ends_with("/packages")
            .then_some("package_type=container");
        let mock = answer(&server, GET, &path, query, status, &body);
        let catch_all = common::catch_all(&server);
        let gh = common::client(&server);

        let result = call(&gh, &template).await;

        assert_eq!((mock.calls(), catch_all.calls()), (1, 0), "{template}");
        let error = error_body(result, status);
        assert_eq!(error.message.as_deref(), Some(message.as_str()));
        assert_eq!(error.status.as_deref(), Some(status.to_string().as_str()));
    }
}

#[test]
fn every_single_object_get_declares_its_404() {
    let declared = declared_error_responses();
    for template in [
        "/user/packages/{package_type}/{package_name}",
        "/orgs/{org}/packages/{package_type}/{package_name}",
        "/users/{username}/packages/{package_type}/{package_name}",
        "/user/packages/{package_type}/{package_name}/versions/{package_version_id}",
        "/orgs/{org}/packages/{package_type}/{package_name}/versions/{package_version_id}",
        "/users/{username}/packages/{package_type}/{package_name}/versions/{package_version_id}",
    ] {
        assert!(
            declared.contains(&(template.to_owned(), 404)),
            "{template} has no declared 404"
        );
    }
}

#[tokio::test]
async fn not_found_through_the_layer_keeps_githubs_message() {
    let server = MockServer::start_async().await;
    let path = "/orgs/o/packages/container/app/versions/42";
    let body = json!({
        "message": "Package version not found.",
        "documentation_url": "https://docs.github.com/rest/packages/packages",
    });
    let mock = answer(&server, GET, path, None, 404, &body);
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let outcome = gh
        .packages(Scope::org("o"))
        .version(PackageType::Container, "app", 42)
        .get()
        .await;

    assert_eq!((mock.calls(), catch_all.calls()), (1, 0));
    match outcome {
        Err(Error::NotFound { api, .. }) => {
            assert_eq!(api.message.as_deref(), Some("Package version not found."))
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

// ---- shared-enums ----------------------------------------------------------------

/// Compiles only while every operation takes the same `PackageType`, `Visibility` and
/// `VersionState` (and the schemas use them too): with one enum per operation, the
/// builders would not accept these values.
fn one_type_each(gh: &Client, package: &Package, version: &PackageVersion, state: VersionState) {
    let raw = gh.generated();
    let t: PackageType = package.package_type;
    let v: Visibility = package.visibility;
    let from_metadata: Option<PackageType> = version.metadata.as_ref().map(|m| m.package_type);
    drop((
        raw.packages_list_packages_for_organization()
            .package_type(t)
            .visibility(v),
        raw.packages_list_packages_for_user()
            .package_type(t)
            .visibility(v),
        raw.packages_list_packages_for_authenticated_user()
            .package_type(from_metadata.unwrap_or(t))
            .visibility(v),
        raw.packages_get_package_for_organization().package_type(t),
        raw.packages_delete_package_for_user().package_type(t),
        raw.packages_restore_package_for_authenticated_user()
            .package_type(t),
        raw.packages_delete_package_version_for_org()
            .package_type(t),
        raw.packages_get_all_package_versions_for_package_owned_by_org()
            .package_type(t)
            .state(state),
        raw.packages_get_all_package_versions_for_package_owned_by_user()
            .package_type(t)
            .state(state),
        raw.packages_get_all_package_versions_for_package_owned_by_authenticated_user()
            .package_type(t)
            .state(state),
    ));
}

#[tokio::test]
async fn internal_visibility_parses_and_feeds_the_visibility_filter() {
    let server = MockServer::start_async().await;
    let internal = package_with(|p| p["visibility"] = json!("internal"));
    let get = answer(
        &server,
        GET,
        "/orgs/o/packages/container/app",
        None,
        200,
        &internal,
    );
    let list_query = Some("package_type=container&visibility=internal");
    let list = answer(
        &server,
        GET,
        "/orgs/o/packages",
        list_query,
        200,
        &json!([internal]),
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let package = get_org_package(&gh, PackageType::Container)
        .await
        .expect("`internal` parses")
        .into_inner();
    assert_eq!(package.visibility, Visibility::Internal);
    let version = serde_json::from_value(version_with(json!({ "package_type": "container" })));
    one_type_each(&gh, &package, &version.unwrap(), VersionState::Active);

    // The value read from one answer goes straight into another operation's filter.
    let listed = gh
        .generated()
        .packages_list_packages_for_organization()
        .org("o")
        .package_type(package.package_type)
        .visibility(package.visibility)
        .send()
        .await
        .expect("list")
        .into_inner();

    assert_eq!((get.calls(), list.calls(), catch_all.calls()), (1, 1, 0));
    assert_eq!(listed[0].visibility, Visibility::Internal);
}

#[test]
fn generated_code_has_one_enum_for_each() {
    let enums: Vec<&str> = GENERATED
        .split("pub enum ")
        .skip(1)
        .map(|rest| rest.split(|c: char| !c.is_alphanumeric()).next().unwrap())
        .collect();
    for (suffix, name) in [
        ("PackageType", "PackageType"),
        ("Visibility", "Visibility"),
        ("State", "VersionState"),
    ] {
        let found: Vec<_> = enums.iter().filter(|e| e.ends_with(suffix)).collect();
        assert_eq!(found, [&name], "enums ending in {suffix}");
    }
}

/// Generated types carry the common traits, so versions can be compared,
/// deduplicated and used as keys.
#[test]
fn generated_types_are_eq_and_hash() {
    fn common<T: Clone + std::fmt::Debug + Eq + std::hash::Hash>() {}
    common::<github_packages::Package>();
    common::<github_packages::PackageVersion>();
    common::<github_packages::SimpleUser>();
    common::<github_packages::PackageType>();
}
