//! Naming what you mean, as container users do: a version by id, tag or
//! digest; `versions --tag`; an image reference `ghcr.io/OWNER/NAME[:TAG]`
//! for a package; a 404 that says what the owner does have; a multi-arch
//! index deleted with or without its parts; a restore of an active version.
//! On the fake GitHub, whose records say what happened.

use std::path::Path;

use github_packages::PackageType;
use github_packages::fake::Owner;

use crate::fakes::Fake;
use crate::flows::app;
use crate::support::*;

/// `ghpkg [--json] COMMAND container app --org acme REST...` in `dir`.
fn on_app(fake: &Fake, dir: &Path, json: bool, command: &str, rest: &[&str]) -> Run {
    let mut args = Vec::new();
    if json {
        args.push("--json");
    }
    args.extend_from_slice(&[command, "container", "app", "--org", "acme"]);
    args.extend_from_slice(rest);
    fake.ghpkg(dir, &args)
}

/// The id in a `--json` document.
fn id_of(run: &Run, key: &str) -> i64 {
    run.expect(0);
    run.json()[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", run.stdout))
}

#[test]
fn a_version_is_named_by_id_tag_or_digest() {
    let fake = Fake::start();
    let created = app(&fake, "app");
    let v1 = created.tagged("v1").expect("v1");
    let latest = created.tagged("latest").expect("latest");
    let dir = tempdir();
    let get = |version: &str| on_app(&fake, dir.path(), true, "get", &["--version", version]);
    assert_eq!(id_of(&get("v1"), "id"), v1.id);
    assert_eq!(id_of(&get(&v1.name), "id"), v1.id);
    assert_eq!(id_of(&get(&v1.id.to_string()), "id"), v1.id);
    let run = get("v9");
    run.expect(1);
    assert!(
        run.stderr.contains("has the tag or name v9"),
        "{}",
        run.stderr
    );

    // Deleted by tag, restored by the same tag (found among the deleted).
    let run = on_app(
        &fake,
        dir.path(),
        true,
        "delete",
        &["--version", "latest", "--yes"],
    );
    assert_eq!(id_of(&run, "version"), latest.id);
    assert_eq!(fake.deleted("app"), [latest.id]);
    let run = on_app(&fake, dir.path(), true, "restore", &["--version", "latest"]);
    assert_eq!(id_of(&run, "version"), latest.id);
    assert_eq!(fake.restored("app"), [latest.id]);
}

#[test]
fn versions_are_filtered_by_tag_glob() {
    let fake = Fake::start();
    let created = app(&fake, "app");
    let dir = tempdir();
    let run = on_app(&fake, dir.path(), true, "versions", &["--tag", "v*"]);
    run.expect(0);
    assert_eq!(ids(&run.json()), [created.tagged("v1").unwrap().id]);
    let run = on_app(&fake, dir.path(), false, "versions", &["--tag", "nope-*"]);
    run.expect(0);
    assert!(run.stderr.contains("matching nope-*"), "{}", run.stderr);
    on_app(&fake, dir.path(), false, "versions", &["--tag", "["]).expect(2);
}

#[test]
fn an_image_reference_names_the_owner_the_package_and_the_version() {
    let fake = Fake::start();
    let created = app(&fake, "app");
    let mine = fake
        .gh
        .package(Owner::user("octocat"), PackageType::Container, "tool")
        .image()
        .tags(["v2"])
        .create()
        .unwrap();
    let dir = tempdir();
    let json = |args: &[&str]| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        fake.ghpkg(dir.path(), &all)
    };
    let run = json(&["versions", "container", "ghcr.io/acme/app"]);
    run.expect(0);
    assert_eq!(ids(&run.json()), created.ids());
    let run = json(&["get", "container", "ghcr.io/acme/app:v1"]);
    assert_eq!(id_of(&run, "id"), created.tagged("v1").unwrap().id);
    let digest = &created.tagged("latest").unwrap().name;
    let run = json(&[
        "get",
        "container",
        &format!("ghcr.io/acme/app@{digest}"),
        "--org",
        "ACME",
    ]);
    assert_eq!(id_of(&run, "id"), created.tagged("latest").unwrap().id);
    // A user's package: the owner is asked for as an organization first.
    let run = json(&["get", "container", "ghcr.io/octocat/tool:v2"]);
    assert_eq!(id_of(&run, "id"), mine.versions[0].id);
    // prune takes one too.
    let run = json(&["prune", "container", "ghcr.io/acme/app", "--keep-last", "1"]);
    run.expect(0);
    assert_eq!(run.json()["packages"][0]["package"]["owner"], "acme");

    // Usage errors, before any request.
    let before = fake.gh.requests().len();
    for (args, hint) in [
        (
            &[
                "versions",
                "container",
                "ghcr.io/acme/app",
                "--org",
                "other",
            ][..],
            "--org is other",
        ),
        (
            &["versions", "npm", "ghcr.io/acme/app"][..],
            "give TYPE container",
        ),
        (
            &["versions", "container", "ghcr.io/acme/app:v1"][..],
            "leave the :TAG",
        ),
        (
            &["get", "container", "ghcr.io/acme/app:v1", "--version", "v1"][..],
            "give one of them",
        ),
        (&["versions", "container", "app"][..], "--org"),
    ] {
        let run = fake.ghpkg(dir.path(), args);
        run.expect(2);
        assert!(run.stderr.contains(hint), "{args:?}: {}", run.stderr);
    }
    assert_eq!(fake.gh.requests().len(), before);
}

/// `versions npm app` for a container package, and a 404 in general: the
/// types the owner has the package under, GitHub's message once (no
/// doubled period), the version id only when one was asked for.
#[test]
fn a_missing_package_names_the_types_the_owner_has_it_under() {
    let fake = Fake::start();
    app(&fake, "app");
    let dir = tempdir();
    let run = fake.ghpkg(dir.path(), &["versions", "npm", "app", "--org", "acme"]);
    run.expect(1);
    assert!(
        run.stderr
            .contains("has no npm package app, but has a container package"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(".."), "{}", run.stderr);
    assert!(!run.stderr.contains("version id"), "{}", run.stderr);
    let run = fake.ghpkg(dir.path(), &["get", "npm", "nothing", "--org", "acme"]);
    run.expect(1);
    assert!(
        run.stderr.contains("no package named nothing of any type"),
        "{}",
        run.stderr
    );
    let run = on_app(&fake, dir.path(), false, "get", &["--version", "999999"]);
    run.expect(1);
    assert!(run.stderr.contains("version id"), "{}", run.stderr);
    assert!(!run.stderr.contains(".."), "{}", run.stderr);
}

#[test]
fn deleting_a_multi_arch_index_names_its_parts_and_with_parts_takes_them() {
    let fake = Fake::start();
    let created = app(&fake, "app");
    let v1 = created.tagged("v1").unwrap().id;
    let parts: Vec<i64> = created.children_of(v1).iter().map(|v| v.id).collect();
    assert_eq!(parts.len(), 2);
    let dir = tempdir();
    let delete = |extra: &[&str]| {
        let mut args = vec!["--version", "v1", "--yes"];
        args.extend_from_slice(extra);
        on_app(&fake, dir.path(), true, "delete", &args)
    };
    // Alone, as asked, with a warning naming what stays.
    let run = delete(&[]);
    run.expect(0);
    assert_eq!(fake.deleted("app"), [v1]);
    assert!(run.stderr.contains("multi-arch image"), "{}", run.stderr);
    for part in &parts {
        assert!(run.stderr.contains(&part.to_string()), "{}", run.stderr);
    }
    assert!(run.stderr.contains("linux/arm64"), "{}", run.stderr);
    assert!(run.stderr.contains("--with-parts"), "{}", run.stderr);

    // With its parts.
    on_app(&fake, dir.path(), false, "restore", &["--version", "v1"]).expect(0);
    let run = delete(&["--with-parts"]);
    run.expect(0);
    let mut all = vec![v1];
    all.extend(&parts);
    all.sort();
    let mut deleted = fake.deleted("app");
    deleted.dedup();
    assert_eq!(deleted, all);
    let mut reported: Vec<i64> = run.json()["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|id| id.as_i64().expect("an id"))
        .collect();
    reported.sort();
    assert_eq!(reported, parts);
}

#[test]
fn restoring_an_active_version_says_it_is_already_active() {
    let fake = Fake::start();
    let created = app(&fake, "app");
    let latest = created.tagged("latest").unwrap().id;
    let dir = tempdir();
    for version in [latest.to_string(), "latest".to_owned()] {
        let run = on_app(
            &fake,
            dir.path(),
            false,
            "restore",
            &["--version", &version],
        );
        run.expect(0);
        assert!(
            run.stdout.contains("is already active"),
            "{}{}",
            run.stdout,
            run.stderr
        );
        assert!(!run.stderr.contains("not found"), "{}", run.stderr);
    }
    let run = on_app(&fake, dir.path(), true, "restore", &["--version", "latest"]);
    run.expect(0);
    assert_eq!(run.json()["already_active"], true);
    assert_eq!(run.json()["restored"], false);
}
