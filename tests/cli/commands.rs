//! The direct commands, their `--json` shapes, and usage errors.

use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

use crate::support::*;

fn package(name: &str, kind: &str) -> Value {
    let mut p: Value = serde_json::from_str(PACKAGE).unwrap();
    p["name"] = json!(name);
    p["package_type"] = json!(kind);
    p
}

fn get_json<'a>(server: &'a MockServer, path: &str, body: Value) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(GET)
            .path(path)
            .header("authorization", format!("Bearer {TOKEN}"));
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    })
}

#[test]
fn list_prints_a_table_or_json() {
    let server = MockServer::start();
    let list = server.mock(|when, then| {
        when.method(GET)
            .path("/orgs/acme/packages")
            .query_param("package_type", "container")
            .query_param("visibility", "private");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!([
                package("app", "container"),
                package("web", "container")
            ]));
    });
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "--json",
            "list",
            "--org",
            "acme",
            "--type",
            "container",
            "--visibility",
            "private",
        ],
    );
    run.expect(0);
    let names: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["app", "web"]);

    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "list",
            "--org",
            "acme",
            "--type",
            "container",
            "--visibility",
            "private",
        ],
    );
    run.expect(0);
    assert!(run.stdout.starts_with("TYPE"), "{}", run.stdout);
    assert!(run.stdout.contains("container  web"), "{}", run.stdout);
    assert_eq!(list.calls(), 2);
}

#[test]
fn list_without_a_type_asks_for_every_type() {
    let server = MockServer::start();
    let mocks: Vec<Mock> = ["container", "docker", "npm", "maven", "rubygems", "nuget"]
        .iter()
        .map(|kind| {
            let body = if *kind == "npm" {
                json!([package("lib", "npm")])
            } else {
                json!([])
            };
            server.mock(move |when, then| {
                when.method(GET)
                    .path("/users/octo/packages")
                    .query_param("package_type", *kind);
                then.status(200)
                    .header("content-type", "application/json")
                    .json_body(body);
            })
        })
        .collect();
    let run = ghpkg_in(
        tempdir().path(),
        &server,
        &["--json", "list", "--user", "octo"],
    );
    run.expect(0);
    assert_eq!(run.json().as_array().unwrap().len(), 1);
    assert!(mocks.iter().all(|m| m.calls() == 1));
}

#[test]
fn versions_get_and_conflicts_print_json() {
    let server = MockServer::start();
    let v = version(7, hours_ago(5), &["v1".to_owned(), "latest".to_owned()]);
    let _listing = mock_listing(&server, VERSIONS, std::slice::from_ref(&v));
    let deleted = server.mock(|when, then| {
        when.method(GET)
            .path(VERSIONS)
            .query_param("state", "deleted");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!([]));
    });
    let _pkg = get_json(
        &server,
        "/orgs/acme/packages/container/app",
        package("app", "container"),
    );
    let _one = get_json(&server, &format!("{VERSIONS}/7"), v.clone());
    let _conflicts = get_json(
        &server,
        "/orgs/acme/docker/conflicts",
        json!([package("old", "docker")]),
    );
    let dir = tempdir();

    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "--json",
            "versions",
            "container",
            "app",
            "--org",
            "acme",
            "--state",
            "active",
        ],
    );
    run.expect(0);
    assert_eq!(
        run.json()[0]["metadata"]["container"]["tags"],
        json!(["v1", "latest"])
    );

    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "versions",
            "container",
            "app",
            "--org",
            "acme",
            "--state",
            "active",
        ],
    );
    run.expect(0);
    assert!(run.stdout.contains("v1,latest"), "{}", run.stdout);

    ghpkg_in(
        dir.path(),
        &server,
        &[
            "--json",
            "versions",
            "container",
            "app",
            "--org",
            "acme",
            "--state",
            "deleted",
        ],
    )
    .expect(0);
    assert_eq!(deleted.calls(), 1);

    let run = ghpkg_in(
        dir.path(),
        &server,
        &["--json", "get", "container", "app", "--org", "acme"],
    );
    run.expect(0);
    assert_eq!(run.json()["owner"]["login"], "Octo-Cat");

    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "--json",
            "get",
            "container",
            "app",
            "--org",
            "acme",
            "--version",
            "7",
        ],
    );
    run.expect(0);
    assert_eq!(run.json()["id"], 7);

    let run = ghpkg_in(
        dir.path(),
        &server,
        &["get", "container", "app", "--org", "acme"],
    );
    run.expect(0);
    assert!(
        run.stdout.contains("owner") && run.stdout.contains("Octo-Cat"),
        "{}",
        run.stdout
    );

    let run = ghpkg_in(
        dir.path(),
        &server,
        &["--json", "conflicts", "--org", "acme"],
    );
    run.expect(0);
    assert_eq!(run.json()[0]["name"], "old");
}

#[test]
fn delete_without_yes_and_without_a_terminal_is_refused() {
    let server = MockServer::start();
    let deletes = mock_any_delete(&server);
    let dir = tempdir();
    for args in [
        &[
            "delete",
            "container",
            "app",
            "--org",
            "acme",
            "--version",
            "7",
        ][..],
        &["delete", "container", "app", "--org", "acme"][..],
    ] {
        let run = ghpkg_in(dir.path(), &server, args);
        run.expect(2);
        assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
    }
    assert_eq!(deletes.calls(), 0);
}

#[test]
fn delete_and_restore_with_json() {
    let server = MockServer::start();
    let delete = mock_delete(&server, VERSIONS, 7);
    let delete_package = server.mock(|when, then| {
        when.method(DELETE)
            .path("/orgs/acme/packages/container/app");
        then.status(204);
    });
    let restore = server.mock(|when, then| {
        when.method(POST).path(format!("{VERSIONS}/7/restore"));
        then.status(204);
    });
    let restore_package = server.mock(|when, then| {
        when.method(POST)
            .path("/orgs/acme/packages/container/app/restore")
            .query_param("token", "pkg-token");
        then.status(204);
    });
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "--json",
            "delete",
            "container",
            "app",
            "--org",
            "acme",
            "--version",
            "7",
            "--yes",
        ],
    );
    run.expect(0);
    assert_eq!(
        run.json(),
        json!({"deleted": true, "package_type": "container", "package": "app", "version": 7})
    );
    ghpkg_in(
        dir.path(),
        &server,
        &["delete", "container", "app", "--org", "acme", "--yes"],
    )
    .expect(0);

    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "--json",
            "restore",
            "container",
            "app",
            "--org",
            "acme",
            "--version",
            "7",
        ],
    );
    run.expect(0);
    assert_eq!(run.json()["restored"], true);
    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "restore",
            "container",
            "app",
            "--org",
            "acme",
            "--token",
            "pkg-token",
        ],
    );
    run.expect(0);
    assert_eq!(
        (
            delete.calls(),
            delete_package.calls(),
            restore.calls(),
            restore_package.calls()
        ),
        (1, 1, 1, 1)
    );
}

#[test]
fn api_errors_print_the_librarys_advice_and_exit_1() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(DELETE);
        then.status(403)
            .header("content-type", "application/json")
            .header("x-accepted-oauth-scopes", "delete:packages")
            .header("x-oauth-scopes", "read:packages")
            .json_body(json!({"message": "Must have admin rights"}));
    });
    let run = ghpkg_in(
        tempdir().path(),
        &server,
        &[
            "delete",
            "container",
            "app",
            "--org",
            "acme",
            "--version",
            "7",
            "--yes",
        ],
    );
    run.expect(1);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("`delete:packages`"), "{}", run.stderr);
    assert!(
        !run.stderr.contains(TOKEN),
        "the token leaked: {}",
        run.stderr
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
        let run = ghpkg_raw(dir.path(), args);
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
    let run = ghpkg_raw(tempdir().path(), &["prune", "--help"]);
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
    let run = ghpkg_raw(tempdir().path(), &["--help"]);
    run.expect(0);
    assert!(run.stdout.contains("Exit codes"), "{}", run.stdout);
}

#[test]
fn the_restore_token_can_come_from_the_environment() {
    const SECRET: &str = "pkg-token-from-env";
    let server = MockServer::start();
    let restore_package = server.mock(|when, then| {
        when.method(POST)
            .path("/orgs/acme/packages/container/app/restore")
            .query_param("token", SECRET);
        then.status(204);
    });
    let restore_version = server.mock(|when, then| {
        when.method(POST)
            .path(format!("{VERSIONS}/7/restore"))
            .query_param_missing("token");
        then.status(204);
    });
    let dir = tempdir();
    let env = [("GHPKG_RESTORE_TOKEN", SECRET)];
    let run = ghpkg_env(
        dir.path(),
        &server,
        &["restore", "container", "app", "--org", "acme"],
        &env,
    );
    run.expect(0);
    assert_eq!(restore_package.calls(), 1);

    // Set in the environment, it does not get in the way of a version
    // restore (which takes no package token).
    let run = ghpkg_env(
        dir.path(),
        &server,
        &[
            "restore",
            "container",
            "app",
            "--org",
            "acme",
            "--version",
            "7",
        ],
        &env,
    );
    run.expect(0);
    assert_eq!(restore_version.calls(), 1);

    // The help names the variable but never shows its value.
    let run = ghpkg_env(dir.path(), &server, &["restore", "--help"], &env);
    run.expect(0);
    assert!(run.stdout.contains("GHPKG_RESTORE_TOKEN"), "{}", run.stdout);
    assert!(!run.stdout.contains(SECRET), "{}", run.stdout);
    assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
}
