//! The fake refuses what GitHub refuses and keeps what GitHub keeps:
//! last versions, active restores, the 30-day window, scopes, tokens,
//! pagination, whole-package deletes and the download rule.

mod fake_support;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use github_packages::fake::{ActiveRestore, Clock, FakeGitHub, Owner, PackagesPermission};
use github_packages::{PackageType, Visibility};
use reqwest::Method;

use fake_support::{ALL, Reply, acme_app, http, send, unlimited};

const APP: &str = "/orgs/acme/packages/container/app";

fn start_of_june() -> DateTime<Utc> {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

async fn call(gh: &FakeGitHub, method: Method, path: &str, token: Option<&str>) -> Reply {
    send(&http(), method, &format!("{}{path}", gh.url()), token).await
}

#[tokio::test]
async fn the_last_version_and_the_last_tagged_image_cannot_be_deleted() {
    let gh = unlimited().await;
    let token = gh.token_with_scopes(ALL);
    let npm = gh
        .package(Owner::user("octocat"), PackageType::Npm, "tool")
        .version("1.0.0")
        .create()
        .unwrap();
    let only = npm.versions[0].id;
    let refused = call(
        &gh,
        Method::DELETE,
        &format!("/user/packages/npm/tool/versions/{only}"),
        Some(&token),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.message(),
        "You cannot delete the last version of a package. You must delete the package instead."
    );
    assert_eq!(
        refused.json()["documentation_url"],
        "https://docs.github.com/rest/packages/packages#delete-a-package-version-for-the-authenticated-user"
    );
    assert_eq!(refused.json()["status"], "400");

    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .image()
        .image()
        .create()
        .unwrap();
    let [tagged, untagged, other] = [app.versions[0].id, app.versions[1].id, app.versions[2].id];
    let delete = |id: i64| format!("{APP}/versions/{id}");
    let refused = call(&gh, Method::DELETE, &delete(tagged), Some(&token)).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.message(),
        "You cannot delete the last tagged version of a package. You must delete the package instead."
    );
    assert_eq!(
        call(&gh, Method::DELETE, &delete(untagged), Some(&token))
            .await
            .status,
        204
    );
    assert_eq!(
        call(&gh, Method::DELETE, &delete(other), Some(&token))
            .await
            .status,
        204
    );
    assert_eq!(
        gh.deleted_ids("acme", PackageType::Container, "app"),
        [untagged, other]
    );
    let refused = call(&gh, Method::DELETE, &delete(tagged), Some(&token)).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.message().contains("last version"),
        "{}",
        refused.text
    );

    // The rules can be lifted for tests that need an empty package.
    let lax = FakeGitHub::builder()
        .without_rate_limits()
        .keep_last_version(false)
        .keep_last_tagged_version(false)
        .start()
        .await
        .unwrap();
    let token = lax.token_with_scopes(ALL);
    let one = lax
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .create()
        .unwrap();
    let path = format!("{APP}/versions/{}", one.versions[0].id);
    assert_eq!(
        call(&lax, Method::DELETE, &path, Some(&token)).await.status,
        204
    );
}

#[tokio::test]
async fn restoring_an_active_version_is_refused() {
    let gh = unlimited().await;
    let token = gh.token_with_scopes(ALL);
    let app = acme_app(&gh, 1);
    let path = format!("{APP}/versions/{}/restore", app.versions[1].id);
    let refused = call(&gh, Method::POST, &path, Some(&token)).await;
    assert_eq!(refused.status, 404);
    assert_eq!(refused.message(), "Package version not found.");
    assert!(
        gh.restored_ids("acme", PackageType::Container, "app")
            .is_empty()
    );

    let strict = FakeGitHub::builder()
        .active_restore(ActiveRestore::NotDeleted)
        .start()
        .await
        .unwrap();
    let token = strict.token_with_scopes(ALL);
    let app = strict
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .create()
        .unwrap();
    let path = format!("{APP}/versions/{}/restore", app.versions[0].id);
    let refused = call(&strict, Method::POST, &path, Some(&token)).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.message(), "Package version is not deleted.");
}

#[tokio::test]
async fn a_restored_version_comes_back_with_its_tags() {
    let gh = unlimited().await;
    let token = gh.token_with_scopes(ALL);
    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1", "stable"])
        .image()
        .tags(["v2", "latest"])
        .create()
        .unwrap();
    let v1 = app.tagged("v1").unwrap().id;
    let one = format!("{APP}/versions/{v1}");
    assert_eq!(
        call(&gh, Method::DELETE, &one, Some(&token)).await.status,
        204
    );
    assert_eq!(call(&gh, Method::GET, &one, Some(&token)).await.status, 404);

    let deleted = call(
        &gh,
        Method::GET,
        &format!("{APP}/versions?state=deleted"),
        Some(&token),
    )
    .await;
    assert_eq!(deleted.ids(), [v1]);
    let listed = &deleted.json()[0];
    assert!(listed["deleted_at"].is_string(), "{listed}");
    assert_eq!(
        listed["metadata"]["container"]["tags"],
        serde_json::json!(["v1", "stable"])
    );

    let restore = format!("{one}/restore");
    assert_eq!(
        call(&gh, Method::POST, &restore, Some(&token)).await.status,
        204
    );
    let back = call(&gh, Method::GET, &one, Some(&token)).await;
    assert_eq!(back.status, 200);
    assert_eq!(
        back.json()["metadata"]["container"]["tags"],
        serde_json::json!(["v1", "stable"])
    );
    assert!(back.json().get("deleted_at").is_none());
    assert_eq!(gh.restored_ids("acme", PackageType::Container, "app"), [v1]);
    let still_deleted = call(
        &gh,
        Method::GET,
        &format!("{APP}/versions?state=deleted"),
        Some(&token),
    )
    .await;
    assert!(still_deleted.ids().is_empty());
}

#[tokio::test]
async fn deleted_versions_can_be_restored_for_30_days() {
    let clock = Clock::frozen(start_of_june());
    let gh = FakeGitHub::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let token = gh.token_with_scopes(ALL);
    let app = gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .image()
        .image()
        .create()
        .unwrap();
    let [_, early, late] = [app.versions[0].id, app.versions[1].id, app.versions[2].id];
    for id in [early, late] {
        let path = format!("{APP}/versions/{id}");
        assert_eq!(
            call(&gh, Method::DELETE, &path, Some(&token)).await.status,
            204
        );
        clock.advance(Duration::from_secs(24 * 3600));
    }
    let deleted = format!("{APP}/versions?state=deleted");
    let listed = call(&gh, Method::GET, &deleted, Some(&token)).await;
    assert_eq!(listed.ids(), [late, early]);
    assert_eq!(
        listed.json()[1]["deleted_at"],
        start_of_june().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );

    // 30 days after the first delete, it is gone for good; the second is
    // still restorable for one more day.
    clock.set(start_of_june() + TimeDelta::days(30));
    assert_eq!(
        call(&gh, Method::GET, &deleted, Some(&token)).await.ids(),
        [late]
    );
    let restore = |id: i64| format!("{APP}/versions/{id}/restore");
    let gone = call(&gh, Method::POST, &restore(early), Some(&token)).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.message(), "Package version not found.");
    assert_eq!(
        call(&gh, Method::POST, &restore(late), Some(&token))
            .await
            .status,
        204
    );
    assert_eq!(gh.versions("acme", PackageType::Container, "app").len(), 2);
}

#[tokio::test]
async fn requests_need_a_known_token_with_the_right_scopes() {
    let gh = unlimited().await;
    let app = acme_app(&gh, 1);
    let versions = format!("{APP}/versions");
    let untagged = format!("{versions}/{}", app.versions[1].id);

    let anonymous = call(&gh, Method::GET, &versions, None).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.message(), "Requires authentication");
    assert_eq!(
        anonymous.json()["documentation_url"],
        "https://docs.github.com/rest"
    );
    let unknown = call(
        &gh,
        Method::GET,
        &versions,
        Some("ghp_not_a_token_the_fake_made"),
    )
    .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.message(), "Bad credentials");

    let read = gh.token_with_scopes(&["read:packages"]);
    let ok = call(&gh, Method::GET, &versions, Some(&read)).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-oauth-scopes"), Some("read:packages"));
    assert_eq!(ok.header("x-accepted-oauth-scopes"), Some("read:packages"));

    let refused = call(&gh, Method::DELETE, &untagged, Some(&read)).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.message(),
        "You need at least delete:packages and read:packages scopes to delete a package version."
    );
    assert_eq!(refused.header("x-oauth-scopes"), Some("read:packages"));
    assert_eq!(
        refused.header("x-accepted-oauth-scopes"),
        Some("delete:packages, read:packages")
    );
    // delete:packages alone does not include reading.
    let delete_only = gh.token_with_scopes(&["delete:packages"]);
    assert_eq!(
        call(&gh, Method::DELETE, &untagged, Some(&delete_only))
            .await
            .status,
        403
    );
    // Restores need write:packages, which includes read:packages.
    let both = gh.token_with_scopes(&["read:packages", "delete:packages"]);
    assert_eq!(
        call(&gh, Method::DELETE, &untagged, Some(&both))
            .await
            .status,
        204
    );
    let restore = format!("{untagged}/restore");
    let refused = call(&gh, Method::POST, &restore, Some(&both)).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.header("x-accepted-oauth-scopes"),
        Some("read:packages, write:packages")
    );
    let write = gh.token_with_scopes(&["write:packages"]);
    assert_eq!(
        call(&gh, Method::POST, &restore, Some(&write)).await.status,
        204
    );

    assert!(gh.revoke_token(&read));
    assert_eq!(
        call(&gh, Method::GET, &versions, Some(&read))
            .await
            .message(),
        "Bad credentials"
    );
    let other_user = gh.token_for("hubot", &["read:packages"]).unwrap();
    assert_eq!(
        call(
            &gh,
            Method::GET,
            "/user/packages?package_type=npm",
            Some(&other_user)
        )
        .await
        .status,
        200
    );
    assert!(
        gh.token_for("acme", &[]).is_err(),
        "acme is an organization"
    );
}

#[tokio::test]
async fn actions_tokens_answer_without_scope_headers() {
    let gh = unlimited().await;
    let app = acme_app(&gh, 1);
    let read = gh
        .actions_token(Owner::org("acme"), PackagesPermission::Read)
        .unwrap();
    assert!(read.starts_with("ghs_"));
    let listed = call(&gh, Method::GET, &format!("{APP}/versions"), Some(&read)).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.header("x-oauth-scopes"), None);
    assert_eq!(
        listed.header("x-accepted-github-permissions"),
        Some("packages=read")
    );
    let untagged = format!("{APP}/versions/{}", app.versions[1].id);
    assert_eq!(
        call(&gh, Method::DELETE, &untagged, Some(&read))
            .await
            .status,
        403
    );
    let write = gh
        .actions_token(Owner::org("acme"), PackagesPermission::Write)
        .unwrap();
    assert_eq!(
        call(&gh, Method::DELETE, &untagged, Some(&write))
            .await
            .status,
        204
    );
    let user = call(
        &gh,
        Method::GET,
        "/user/packages?package_type=container",
        Some(&write),
    )
    .await;
    assert_eq!(user.status, 403);
    assert_eq!(user.message(), "Resource not accessible by integration");
    // It cannot list the organization's packages either (GitHub answers
    // 400, cli/cli#9606), though it reads a package it names.
    let org = call(
        &gh,
        Method::GET,
        "/orgs/acme/packages?package_type=container",
        Some(&write),
    )
    .await;
    assert_eq!(org.status, 400);
    assert_eq!(org.message(), "Invalid argument.");
    assert_eq!(call(&gh, Method::GET, APP, Some(&read)).await.status, 200);
}

#[tokio::test]
async fn listings_page_newest_first_with_githubs_link_headers() {
    let gh = unlimited().await;
    let token = gh.token_with_scopes(ALL);
    let now = Utc::now();
    let mut builder = gh.package(Owner::org("acme"), PackageType::Container, "app");
    for age in (0..7).rev() {
        builder = builder
            .image()
            .created_at(now - TimeDelta::hours(age))
            .package();
    }
    let app = builder.create().unwrap();
    let newest_first: Vec<i64> = app.ids().into_iter().rev().collect();

    let page = |n: u32| format!("{APP}/versions?per_page=3&page={n}");
    let first = call(&gh, Method::GET, &page(1), Some(&token)).await;
    let base = gh.url();
    let link = |n: u32| format!("<{base}{APP}/versions?per_page=3&page={n}>");
    assert_eq!(
        first.header("link").unwrap(),
        format!("{}; rel=\"next\", {}; rel=\"last\"", link(2), link(3))
    );
    let middle = call(&gh, Method::GET, &page(2), Some(&token)).await;
    assert_eq!(
        middle.header("link").unwrap(),
        format!(
            "{}; rel=\"prev\", {}; rel=\"next\", {}; rel=\"last\", {}; rel=\"first\"",
            link(1),
            link(3),
            link(3),
            link(1)
        )
    );
    let last = call(&gh, Method::GET, &page(3), Some(&token)).await;
    assert_eq!(
        last.header("link").unwrap(),
        format!("{}; rel=\"prev\", {}; rel=\"first\"", link(2), link(1))
    );
    let mut seen = first.ids();
    seen.extend(middle.ids());
    seen.extend(last.ids());
    assert_eq!(seen, newest_first);

    let beyond = call(&gh, Method::GET, &page(9), Some(&token)).await;
    assert_eq!(beyond.status, 200);
    assert!(beyond.ids().is_empty());
    let whole = call(&gh, Method::GET, &format!("{APP}/versions"), Some(&token)).await;
    assert_eq!(whole.header("link"), None, "one page needs no links");
    assert_eq!(whole.ids(), newest_first);

    // per_page is capped at 100, default 30.
    let mut many = gh.package(Owner::org("acme"), PackageType::Npm, "many");
    for i in 0..130 {
        many = many.version(format!("0.0.{i}")).package();
    }
    many.create().unwrap();
    let path = "/orgs/acme/packages/npm/many/versions";
    let capped = call(
        &gh,
        Method::GET,
        &format!("{path}?per_page=500"),
        Some(&token),
    )
    .await;
    assert_eq!(capped.ids().len(), 100);
    assert!(
        capped
            .header("link")
            .unwrap()
            .contains("per_page=500&page=2>; rel=\"last\"")
    );
    let default = call(&gh, Method::GET, path, Some(&token)).await;
    assert_eq!(default.ids().len(), 30);
    assert!(
        default
            .header("link")
            .unwrap()
            .contains("?page=5>; rel=\"last\"")
    );

    // Package listings stop at page * per_page = 10,000.
    let wall = call(
        &gh,
        Method::GET,
        "/orgs/acme/packages?package_type=npm&per_page=100&page=101",
        Some(&token),
    )
    .await;
    assert_eq!(wall.status, 400);
    assert!(
        wall.message().contains("cannot be greater than 10000"),
        "{}",
        wall.text
    );
}

#[tokio::test]
async fn whole_packages_are_deleted_and_restored() {
    let gh = unlimited().await;
    let token = gh.token_with_scopes(ALL);
    gh.package(Owner::org("acme"), PackageType::Npm, "lib")
        .version("1.0.0")
        .version("1.1.0")
        .create()
        .unwrap();
    let lib = "/orgs/acme/packages/npm/lib";
    assert_eq!(
        call(&gh, Method::DELETE, lib, Some(&token)).await.status,
        204
    );
    assert_eq!(call(&gh, Method::GET, lib, Some(&token)).await.status, 404);
    let listed = call(
        &gh,
        Method::GET,
        "/orgs/acme/packages?package_type=npm",
        Some(&token),
    )
    .await;
    assert!(listed.ids().is_empty());
    assert!(gh.restore_token("acme", PackageType::Npm, "lib").is_some());
    assert_eq!(
        call(&gh, Method::POST, &format!("{lib}/restore"), Some(&token))
            .await
            .status,
        204
    );
    let back = call(&gh, Method::GET, lib, Some(&token)).await;
    assert_eq!(back.json()["version_count"], 2);

    // Two deleted packages of one name: GitHub wants the restore token.
    assert_eq!(
        call(&gh, Method::DELETE, lib, Some(&token)).await.status,
        204
    );
    gh.package(Owner::org("acme"), PackageType::Npm, "lib")
        .version("2.0.0")
        .create()
        .unwrap();
    assert_eq!(
        call(&gh, Method::DELETE, lib, Some(&token)).await.status,
        204
    );
    let ambiguous = call(&gh, Method::POST, &format!("{lib}/restore"), Some(&token)).await;
    assert_eq!(ambiguous.status, 409);
    let newest = gh.restore_token("acme", PackageType::Npm, "lib").unwrap();
    let picked = call(
        &gh,
        Method::POST,
        &format!("{lib}/restore?token={newest}"),
        Some(&token),
    )
    .await;
    assert_eq!(picked.status, 204);
    let back = call(&gh, Method::GET, &format!("{lib}/versions"), Some(&token)).await;
    assert_eq!(back.json()[0]["name"], "2.0.0");
}

#[tokio::test]
async fn popular_public_packages_cannot_be_deleted() {
    let gh = unlimited().await;
    let token = gh.token_with_scopes(ALL);
    let web = gh
        .package(Owner::org("acme"), PackageType::Npm, "web")
        .visibility(Visibility::Public)
        .version("1.0.0")
        .downloads(5_001)
        .version("1.1.0")
        .downloads(3)
        .create()
        .unwrap();
    let version = |i: usize| {
        format!(
            "/orgs/acme/packages/npm/web/versions/{}",
            web.versions[i].id
        )
    };
    let refused = call(&gh, Method::DELETE, &version(0), Some(&token)).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.message(),
        "Publicly visible package versions with more than 5000 downloads cannot be deleted. Contact GitHub support for further assistance."
    );
    let refused = call(
        &gh,
        Method::DELETE,
        "/orgs/acme/packages/npm/web",
        Some(&token),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.message().starts_with("Publicly visible packages"));
    assert_eq!(
        call(&gh, Method::DELETE, &version(1), Some(&token))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn names_with_slashes_travel_encoded_and_filters_apply() {
    let gh = unlimited().await;
    let token = gh.token_with_scopes(ALL);
    gh.package(Owner::org("acme"), PackageType::Container, "team/app")
        .visibility(Visibility::Public)
        .image()
        .tags(["v1"])
        .create()
        .unwrap();
    gh.package(Owner::org("acme"), PackageType::Container, "secret")
        .image()
        .create()
        .unwrap();
    let got = call(
        &gh,
        Method::GET,
        "/orgs/acme/packages/container/team%2Fapp",
        Some(&token),
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["name"], "team/app");
    assert!(
        got.json()["url"]
            .as_str()
            .unwrap()
            .ends_with("/orgs/acme/packages/container/team%2Fapp")
    );
    let public = call(
        &gh,
        Method::GET,
        "/orgs/acme/packages?package_type=container&visibility=public",
        Some(&token),
    )
    .await;
    assert_eq!(public.json().as_array().unwrap().len(), 1);
    let private = call(
        &gh,
        Method::GET,
        "/orgs/acme/packages?package_type=container&visibility=private",
        Some(&token),
    )
    .await;
    assert_eq!(private.json()[0]["name"], "secret");
    // The organization name is not case-sensitive.
    let upper = call(
        &gh,
        Method::GET,
        "/orgs/ACME/packages/container/secret",
        Some(&token),
    )
    .await;
    assert_eq!(upper.status, 200);
}

#[tokio::test]
async fn the_account_endpoints_say_who_a_token_is_and_what_an_owner_is() {
    let clock = Clock::frozen(start_of_june());
    let gh = FakeGitHub::builder()
        .clock(clock.clone())
        .without_rate_limits()
        .start()
        .await
        .unwrap();
    let old = start_of_june() - TimeDelta::days(40);
    let lib = gh
        .package(Owner::org("acme"), PackageType::Npm, "lib")
        .version("1.0.0")
        .created_at(old)
        .create()
        .unwrap();
    let read = gh.token_with_scopes(&["read:packages"]);

    // An owner's kind, with or without a token, as tools ask before
    // choosing /orgs or /users.
    for token in [None, Some(read.as_str())] {
        let org = call(&gh, Method::GET, "/users/acme", token).await;
        assert_eq!(org.status, 200, "{}", org.text);
        assert_eq!(org.json()["type"], "Organization");
        assert_eq!(org.json()["login"], "acme");
        let me = call(&gh, Method::GET, "/users/OctoCat", token).await;
        assert_eq!(me.json()["type"], "User");
        assert_eq!(me.json()["login"], "octocat");
    }
    let org = call(&gh, Method::GET, "/users/acme", Some(&read))
        .await
        .json();
    let package = call(&gh, Method::GET, "/orgs/acme/packages/npm/lib", Some(&read))
        .await
        .json();
    assert_eq!(org["id"], package["owner"]["id"]);
    assert_eq!(lib.owner, "acme");
    // An account is never younger than what it owns.
    assert_eq!(org["created_at"], "2025-04-22T12:00:00Z");
    let nobody = call(&gh, Method::GET, "/users/nobody", Some(&read)).await;
    assert_eq!(
        (nobody.status, nobody.message().as_str()),
        (404, "Not Found")
    );

    // Whom a token acts as; the private profile needs `user` or `read:user`.
    let me = call(&gh, Method::GET, "/user", Some(&read)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["login"], "octocat");
    assert_eq!(me.json()["user_view_type"], "public");
    assert!(me.json().get("two_factor_authentication").is_none());
    assert_eq!(me.header("x-oauth-scopes"), Some("read:packages"));
    let profile = gh.token_with_scopes(&["user"]);
    let private = call(&gh, Method::GET, "/user", Some(&profile)).await.json();
    assert_eq!(private["user_view_type"], "private");
    assert_eq!(private["two_factor_authentication"], true);
    let hubot = gh.token_for("hubot", &[]).unwrap();
    let other = call(&gh, Method::GET, "/user", Some(&hubot)).await.json();
    assert_eq!(other["login"], "hubot");
    assert_eq!(other["created_at"], "2025-06-01T12:00:00Z");

    let anonymous = call(&gh, Method::GET, "/user", None).await;
    assert_eq!(
        (anonymous.status, anonymous.message().as_str()),
        (401, "Requires authentication")
    );
    let bad = call(&gh, Method::GET, "/users/acme", Some("ghp_nope")).await;
    assert_eq!(
        (bad.status, bad.message().as_str()),
        (401, "Bad credentials")
    );
    let actions = gh
        .actions_token(Owner::org("acme"), PackagesPermission::Write)
        .unwrap();
    let refused = call(&gh, Method::GET, "/user", Some(&actions)).await;
    assert_eq!(
        (refused.status, refused.message().as_str()),
        (403, "Resource not accessible by integration")
    );
    assert_eq!(
        call(&gh, Method::GET, "/users/acme", Some(&actions))
            .await
            .status,
        200
    );
    // Not writable: only GET routes.
    assert_eq!(
        call(&gh, Method::DELETE, "/users/acme", Some(&read))
            .await
            .status,
        404
    );
}
