//! A package name reaches GitHub as exactly one path segment, whatever it holds (`/`, `@`,
//! spaces, `%`, `?`, `#`, non-ASCII, words like `restore`), through the generated client and
//! the layer; names that cannot be one segment are refused by the layer before any request.

mod common;

use github_packages::{Error, PackageType, Scope};
use httpmock::Mock;
use httpmock::prelude::*;

const PACKAGE: &str = include_str!("fixtures/spec/package-org.json");

/// Mocks `method path` with exactly `query` (raw), answering `status` and `body`.
fn mock<'a>(
    server: &'a MockServer,
    method: Method,
    path: String,
    query: Option<&'static str>,
    status: u16,
    body: &str,
) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(method)
            .path(path)
            .is_true(move |req| req.uri().query() == query);
        then.status(status)
            .header("content-type", "application/json")
            .body(body);
    })
}

/// Sends every kind of request that carries a package name, three through the generated
/// client and four through the layer, and checks that each reached exactly the path with
/// `encoded` in the name's place.
async fn assert_sent_as(name: &str, encoded: &str) {
    let server = MockServer::start_async().await;
    let gen_prefix = "/orgs/gen/packages/container";
    let layer_prefix = "/orgs/layer/packages/container";
    let paging = Some("page=1&per_page=100");
    let mocks = [
        (
            "generated get",
            mock(
                &server,
                GET,
                format!("{gen_prefix}/{encoded}"),
                None,
                200,
                PACKAGE,
            ),
        ),
        (
            "generated restore",
            mock(
                &server,
                POST,
                format!("/users/gen/packages/container/{encoded}/restore"),
                None,
                204,
                "",
            ),
        ),
        (
            "generated versions",
            mock(
                &server,
                GET,
                format!("/user/packages/container/{encoded}/versions"),
                None,
                200,
                "[]",
            ),
        ),
        (
            "layer get",
            mock(
                &server,
                GET,
                format!("{layer_prefix}/{encoded}"),
                None,
                200,
                PACKAGE,
            ),
        ),
        (
            "layer restore",
            mock(
                &server,
                POST,
                format!("{layer_prefix}/{encoded}/restore"),
                None,
                204,
                "",
            ),
        ),
        (
            "layer version delete",
            mock(
                &server,
                DELETE,
                format!("{layer_prefix}/{encoded}/versions/7"),
                None,
                204,
                "",
            ),
        ),
        (
            "layer versions",
            mock(
                &server,
                GET,
                format!("{layer_prefix}/{encoded}/versions"),
                paging,
                200,
                "[]",
            ),
        ),
    ];
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);
    let raw = gh.generated();
    let container = PackageType::Container;

    let got = raw
        .packages_get_package_for_organization()
        .org("gen")
        .package_type(container)
        .package_name(name)
        .send()
        .await;
    assert_eq!(got.expect("generated get").into_inner().id, 197);
    raw.packages_restore_package_for_user()
        .username("gen")
        .package_type(container)
        .package_name(name)
        .send()
        .await
        .expect("generated restore");
    raw.packages_get_all_package_versions_for_package_owned_by_authenticated_user()
        .package_type(container)
        .package_name(name)
        .send()
        .await
        .expect("generated versions");

    let org = Scope::org("layer");
    let packages = gh.packages(&org);
    assert_eq!(
        packages.get(container, name).await.expect("layer get").id,
        197
    );
    packages
        .restore(container, name)
        .await
        .expect("layer restore");
    packages
        .version(container, name, 7)
        .delete()
        .await
        .expect("layer version delete");
    let versions = packages.versions(container, name).send().await;
    assert!(versions.expect("layer versions").is_empty());

    assert_eq!(catch_all.calls(), 0, "{name:?} reached an unexpected path");
    for (what, mock) in &mocks {
        assert_eq!(mock.calls(), 1, "{what} for {name:?}");
    }
}

#[tokio::test]
async fn slash_of_a_container_name_is_encoded() {
    assert_sent_as("owner/image", "owner%2Fimage").await;
}

#[tokio::test]
async fn npm_scope_keeps_its_at_sign_and_encodes_its_slash() {
    // `@` is allowed as is in a path segment (RFC 3986 `pchar`).
    assert_sent_as("@scope/pkg", "@scope%2Fpkg").await;
}

#[tokio::test]
async fn space_is_encoded() {
    assert_sent_as("my package", "my%20package").await;
}

#[tokio::test]
async fn percent_is_encoded_so_it_is_never_decoded_twice() {
    assert_sent_as("100%", "100%25").await;
    assert_sent_as("a%2Fb", "a%252Fb").await;
}

#[tokio::test]
async fn question_mark_stays_in_the_path_not_the_query() {
    assert_sent_as("what?", "what%3F").await;
    assert_sent_as("a?page=9", "a%3Fpage=9").await;
}

#[tokio::test]
async fn hash_stays_in_the_path_not_a_fragment() {
    assert_sent_as("#1", "%231").await;
}

#[tokio::test]
async fn unicode_is_sent_as_utf8_percent_escapes() {
    assert_sent_as("ünïcode-📦", "%C3%BCn%C3%AFcode-%F0%9F%93%A6").await;
}

#[tokio::test]
async fn names_that_look_like_path_words_stay_names() {
    assert_sent_as("restore", "restore").await;
    assert_sent_as("versions", "versions").await;
}

#[tokio::test]
async fn dots_inside_a_longer_name_are_not_dot_segments() {
    assert_sent_as("x/..", "x%2F..").await;
    assert_sent_as("...", "...").await;
}

#[tokio::test]
async fn dot_and_dot_dot_are_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);
    let org = Scope::org("o");
    let packages = gh.packages(&org);
    let container = PackageType::Container;

    for name in [".", ".."] {
        let version = packages.version(container, name, 7);
        let outcomes = [
            ("get", packages.get(container, name).await.map(drop)),
            ("delete", packages.delete(container, name).await),
            ("restore", packages.restore(container, name).await),
            ("version get", version.get().await.map(drop)),
            ("version delete", version.delete().await),
            ("version restore", version.restore().await),
            (
                "versions",
                packages.versions(container, name).send().await.map(drop),
            ),
        ];
        for (what, outcome) in outcomes {
            assert!(
                matches!(
                    outcome,
                    Err(Error::InvalidInput {
                        field: "package_name",
                        ..
                    })
                ),
                "{what} {name:?}: {outcome:?}"
            );
        }
    }
    assert_eq!(catch_all.calls(), 0);
}

// ---- backslash -------------------------------------------------------------------
//
// progenitor's `encode_path` leaves `\` as it is, and the URL parser treats `\` as `/`
// in http(s) URLs, so a name holding `\` is split into several path segments (and
// `..` between backslashes becomes a real dot segment). The layer refuses such a name
// before any request (GitHub package names never contain `\`).

#[tokio::test]
async fn backslash_is_refused_or_encoded_by_the_layer() {
    let server = MockServer::start_async().await;
    let encoded = mock(
        &server,
        GET,
        "/orgs/o/packages/container/a%5Cb".to_owned(),
        None,
        200,
        PACKAGE,
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let outcome = gh
        .packages(Scope::org("o"))
        .get(PackageType::Container, "a\\b")
        .await;

    assert_eq!(
        catch_all.calls(),
        0,
        "`a\\b` reached the server as a different path (`a/b`): {outcome:?}"
    );
    assert!(
        matches!(
            outcome,
            Err(Error::InvalidInput {
                field: "package_name",
                ..
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(encoded.calls(), 0);
}

#[tokio::test]
async fn backslash_dot_dot_cannot_delete_another_package() {
    let server = MockServer::start_async().await;
    // Where the name below lands today: a package of another type.
    let victim = mock(
        &server,
        DELETE,
        "/orgs/o/packages/npm/victim".to_owned(),
        None,
        204,
        "",
    );
    let catch_all = common::catch_all(&server);
    let gh = common::client(&server);

    let outcome = gh
        .packages(Scope::org("o"))
        .delete(PackageType::Container, "x\\..\\..\\npm\\victim")
        .await;

    assert_eq!(
        victim.calls(),
        0,
        "a container name deleted npm package `victim`: {outcome:?}"
    );
    assert!(
        matches!(
            outcome,
            Err(Error::InvalidInput {
                field: "package_name",
                ..
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(catch_all.calls(), 0);
}
