//! The direct commands, their `--json` shapes, and usage errors, against the
//! fake GitHub: what a command changed is read from the fake's state and
//! request log, not from mocks counting calls.

use github_packages::fake::{CreatedPackage, Owner};
use github_packages::{PackageType, Visibility};
use http::Method;
use serde_json::json;

use crate::fakes::Fake;
use crate::support::*;

/// acme's container `app`: `v1`+`latest`, then two untagged images.
fn acme_app(fake: &Fake) -> CreatedPackage {
    fake.gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1", "latest"])
        .image()
        .image()
        .create()
        .unwrap()
}

#[test]
fn list_prints_a_table_or_json() {
    let fake = Fake::start();
    for (name, visibility) in [
        ("app", Visibility::Private),
        ("web", Visibility::Private),
        ("site", Visibility::Public),
    ] {
        fake.gh
            .package(Owner::org("acme"), PackageType::Container, name)
            .visibility(visibility)
            .image()
            .create()
            .unwrap();
    }
    let args = [
        "list",
        "--org",
        "acme",
        "--type",
        "container",
        "--visibility",
        "private",
    ];
    let dir = tempdir();
    let run = fake.ghpkg(dir.path(), &with_json(&args));
    run.expect(0);
    let mut names: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["app", "web"]);

    let run = fake.ghpkg(dir.path(), &args);
    run.expect(0);
    assert!(run.stdout.starts_with("TYPE"), "{}", run.stdout);
    assert!(run.stdout.contains("container  web"), "{}", run.stdout);
    assert!(!run.stdout.contains("site"), "{}", run.stdout);
}

#[test]
fn list_without_a_type_asks_for_every_type() {
    let fake = Fake::start();
    fake.gh
        .package(Owner::user("octo"), PackageType::Npm, "lib")
        .version("1.0.0")
        .create()
        .unwrap();
    let run = fake.ghpkg(tempdir().path(), &["--json", "list", "--user", "octo"]);
    run.expect(0);
    assert_eq!(run.json().as_array().unwrap().len(), 1);
    let mut asked: Vec<String> = fake
        .gh
        .requests()
        .iter()
        .filter(|r| r.path == "/users/octo/packages")
        .filter_map(|r| r.query_param("package_type"))
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        ["container", "docker", "maven", "npm", "nuget", "rubygems"]
    );
}

#[test]
fn versions_get_and_conflicts_print_json() {
    let fake = Fake::start();
    let app = acme_app(&fake);
    fake.gh
        .package(Owner::org("acme"), PackageType::Docker, "old")
        .docker_conflict(true)
        .image()
        .create()
        .unwrap();
    let tagged = app.versions[0].id.to_string();
    let dir = tempdir();
    let versions = ["versions", "container", "app", "--org", "acme"];

    let run = fake.ghpkg(
        dir.path(),
        &with_json(&with(&versions, &["--state", "active"])),
    );
    run.expect(0);
    let listed = run.json();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(
        listed[2]["metadata"]["container"]["tags"],
        json!(["v1", "latest"])
    );

    let run = fake.ghpkg(dir.path(), &versions);
    run.expect(0);
    assert!(run.stdout.contains("v1,latest"), "{}", run.stdout);

    let run = fake.ghpkg(
        dir.path(),
        &with_json(&with(&versions, &["--state", "deleted"])),
    );
    run.expect(0);
    assert_eq!(run.json(), json!([]));
    let deleted_state = fake
        .gh
        .requests()
        .iter()
        .filter(|r| r.query_param("state").as_deref() == Some("deleted"))
        .count();
    assert_eq!(deleted_state, 1);

    let get = ["get", "container", "app", "--org", "acme"];
    let run = fake.ghpkg(dir.path(), &with_json(&get));
    run.expect(0);
    assert_eq!(run.json()["owner"]["login"], "acme");

    let run = fake.ghpkg(dir.path(), &with_json(&with(&get, &["--version", &tagged])));
    run.expect(0);
    assert_eq!(run.json()["id"], app.versions[0].id);

    let run = fake.ghpkg(dir.path(), &get);
    run.expect(0);
    assert!(
        run.stdout.contains("owner") && run.stdout.contains("acme"),
        "{}",
        run.stdout
    );

    let run = fake.ghpkg(dir.path(), &["--json", "conflicts", "--org", "acme"]);
    run.expect(0);
    assert_eq!(run.json()[0]["name"], "old");
}

#[test]
fn delete_without_yes_and_without_a_terminal_is_refused() {
    let fake = Fake::start();
    let app = acme_app(&fake);
    let id = app.versions[1].id.to_string();
    let dir = tempdir();
    let package = ["delete", "container", "app", "--org", "acme"];
    for args in [with(&package, &["--version", &id]), package.to_vec()] {
        let run = fake.ghpkg(dir.path(), &args);
        run.expect(2);
        assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
    }
    assert!(
        fake.gh
            .requests()
            .iter()
            .all(|r| r.method != Method::DELETE)
    );
}

#[test]
fn delete_and_restore_with_json() {
    let fake = Fake::start();
    let app = acme_app(&fake);
    let id = app.versions[1].id;
    let id_arg = id.to_string();
    let dir = tempdir();
    let package = ["container", "app", "--org", "acme"];

    let run = fake.ghpkg(
        dir.path(),
        &with(
            &["--json", "delete"],
            &with(&package, &["--version", &id_arg, "--yes"]),
        ),
    );
    run.expect(0);
    assert_eq!(
        run.json(),
        json!({"deleted": true, "package_type": "container", "package": "app", "version": id})
    );
    let run = fake.ghpkg(
        dir.path(),
        &with(
            &["--json", "restore"],
            &with(&package, &["--version", &id_arg]),
        ),
    );
    run.expect(0);
    assert_eq!(run.json()["restored"], true);
    assert_eq!(
        fake.gh.deleted_ids("acme", PackageType::Container, "app"),
        [id]
    );
    assert_eq!(
        fake.gh.restored_ids("acme", PackageType::Container, "app"),
        [id]
    );

    fake.ghpkg(dir.path(), &with(&["delete"], &with(&package, &["--yes"])))
        .expect(0);
    assert!(
        fake.gh
            .find_package("acme", PackageType::Container, "app")
            .is_none()
    );
    let token = fake
        .gh
        .restore_token("acme", PackageType::Container, "app")
        .expect("a deleted package has a restore token");
    fake.ghpkg(
        dir.path(),
        &with(&["restore"], &with(&package, &["--token", &token])),
    )
    .expect(0);
    let restored = fake.gh.find_package("acme", PackageType::Container, "app");
    assert_eq!(restored.expect("restored").version_count, 3);
}

#[test]
fn api_errors_print_the_librarys_advice_and_exit_1() {
    let fake = Fake::start();
    let app = acme_app(&fake);
    let read_only = fake.gh.token_with_scopes(&["read:packages"]);
    let id = app.versions[1].id.to_string();
    let run = fake.ghpkg_env(
        tempdir().path(),
        &[
            "delete",
            "container",
            "app",
            "--org",
            "acme",
            "--version",
            &id,
            "--yes",
        ],
        &[("GITHUB_TOKEN", &read_only)],
    );
    run.expect(1);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("`delete:packages`"), "{}", run.stderr);
    assert!(
        !run.stderr.contains(&read_only),
        "the token leaked: {}",
        run.stderr
    );
    assert!(
        fake.gh
            .deleted_ids("acme", PackageType::Container, "app")
            .is_empty()
    );
}

#[test]
fn usage_errors_exit_2_with_usage() {
    let dir = tempdir();
    for (args, hint) in [
        (
            &["prune", "container", "app", "--org", "a", "--bogus"][..],
            "--bogus",
        ),
        (&["list"][..], "--org"),
        (&["versions", "container", "app"][..], "--org"),
        (
            &["list", "--org", "a", "--user", "b"][..],
            "cannot be used with",
        ),
        (
            &["versions", "bogus-type", "app", "--org", "a"][..],
            "bogus-type",
        ),
        (
            &["prune", "container", "app", "--org", "a"][..],
            "would delete every version",
        ),
        (
            &[
                "prune",
                "container",
                "app",
                "--org",
                "a",
                "--exclude-tag",
                "v*",
            ][..],
            "--keep-last",
        ),
        (
            &[
                "prune",
                "container",
                "app",
                "--org",
                "a",
                "--older-than",
                "30",
            ][..],
            "needs a unit",
        ),
        (
            &[
                "prune",
                "container",
                "app",
                "--org",
                "a",
                "--keep-last",
                "0",
            ][..],
            "--keep-last",
        ),
        (
            &[
                "restore",
                "container",
                "app",
                "--org",
                "a",
                "--version",
                "1",
                "--token",
                "t",
            ][..],
            "cannot be used with",
        ),
        (&[][..], "Usage"),
    ] {
        let run = Ghpkg::new(dir.path()).token(TOKEN).args(args).run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(hint), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("Usage") || run.stderr.contains("--help"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn help_documents_the_policy_and_json_shapes() {
    let run = Ghpkg::new(tempdir().path()).args(["prune", "--help"]).run();
    run.expect(0);
    for needle in [
        "--exclude-tag",
        "--keep-last",
        "multi-arch",
        "--no-registry-check",
        "\"plan\"",
        "\"dry_run\"",
        "ghpkg undo",
    ] {
        assert!(
            run.stdout.contains(needle),
            "{needle} missing from prune --help"
        );
    }
    let run = Ghpkg::new(tempdir().path()).arg("--help").run();
    run.expect(0);
    assert!(run.stdout.contains("Exit codes"), "{}", run.stdout);
}

#[test]
fn the_restore_token_can_come_from_the_environment() {
    let fake = Fake::start();
    let app = acme_app(&fake);
    let id = app.versions[1].id;
    let id_arg = id.to_string();
    let dir = tempdir();
    let package = ["container", "app", "--org", "acme"];
    fake.ghpkg(
        dir.path(),
        &with(
            &["delete"],
            &with(&package, &["--version", &id_arg, "--yes"]),
        ),
    )
    .expect(0);
    fake.ghpkg(dir.path(), &with(&["delete"], &with(&package, &["--yes"])))
        .expect(0);
    let secret = fake
        .gh
        .restore_token("acme", PackageType::Container, "app")
        .expect("a restore token");
    let env = [("GHPKG_RESTORE_TOKEN", secret.as_str())];
    fake.ghpkg_env(dir.path(), &with(&["restore"], &package), &env)
        .expect(0);
    assert!(
        fake.gh
            .find_package("acme", PackageType::Container, "app")
            .is_some()
    );

    // Set in the environment, it does not get in the way of a version
    // restore (which takes no package token).
    fake.ghpkg_env(
        dir.path(),
        &with(&["restore"], &with(&package, &["--version", &id_arg])),
        &env,
    )
    .expect(0);
    assert_eq!(
        fake.gh.restored_ids("acme", PackageType::Container, "app"),
        [id]
    );
    let version_restore = format!("/orgs/acme/packages/container/app/versions/{id}/restore");
    let sent = fake.gh.requests();
    let sent = sent.iter().find(|r| r.path == version_restore).unwrap();
    assert_eq!(sent.query, None);

    // The help names the variable but never shows its value.
    let run = fake.ghpkg_env(dir.path(), &["restore", "--help"], &env);
    run.expect(0);
    assert!(run.stdout.contains("GHPKG_RESTORE_TOKEN"), "{}", run.stdout);
    assert!(!run.stdout.contains(&secret), "{}", run.stdout);
    assert!(!run.stderr.contains(&secret), "{}", run.stderr);
}

/// `args` after `--json`.
fn with_json<'a>(args: &[&'a str]) -> Vec<&'a str> {
    with(&["--json"], args)
}

/// `first` followed by `then`.
fn with<'a>(first: &[&'a str], then: &[&'a str]) -> Vec<&'a str> {
    let mut all = first.to_vec();
    all.extend_from_slice(then);
    all
}
