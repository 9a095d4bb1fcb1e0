//! Many packages in one run, on the fake GitHub: globs and --all-packages,
//! one journal and one undo for all of them, a failing package that does
//! not stop the others, and names or listings GitHub refuses.

use github_packages::PackageType;
use github_packages::fake::{CreatedPackage, Owner, PackagesPermission};
use serde_json::Value;

use crate::fakes::Fake;
use crate::support::{path_str, tempdir};

/// A container package with a tagged multi-arch image (`v1`, two platform
/// versions), two untagged orphans, and `latest` on the newest image.
fn app(fake: &Fake, name: &str) -> CreatedPackage {
    fake.gh
        .package(Owner::org("acme"), PackageType::Container, name)
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .image()
        .image()
        .image()
        .tags(["latest"])
        .create()
        .unwrap()
}

/// The ids of `package`'s untagged orphans (what `--untagged` deletes).
fn orphans(package: &CreatedPackage) -> Vec<i64> {
    let mut ids: Vec<i64> = package
        .versions
        .iter()
        .filter(|v| v.tags.is_empty() && matches!(v.role, github_packages::fake::Role::Image))
        .map(|v| v.id)
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort();
    ids
}

fn names(report: &Value) -> Vec<String> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["package"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn three_packages_by_glob_share_one_journal_and_one_undo() {
    let fake = Fake::start();
    let web = app(&fake, "app-web");
    let api = app(&fake, "app-api");
    let worker = app(&fake, "app-worker");
    let lib = app(&fake, "lib");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "--json",
            "prune",
            "container",
            "--org",
            "acme",
            "--package",
            "app-*",
            "--untagged",
            "--registry-url",
            &url,
            "--yes",
            "--journal",
            path_str(&journal),
        ],
    );
    run.expect(0);
    let report = run.json();
    assert_eq!(report["version"], 2);
    assert_eq!(names(&report), ["app-api", "app-web", "app-worker"]);
    for (name, package) in [
        ("app-web", &web),
        ("app-api", &api),
        ("app-worker", &worker),
    ] {
        let deleted = fake.gh.deleted_ids("acme", PackageType::Container, name);
        assert_eq!(sorted(deleted), orphans(package), "{name}");
    }
    assert!(
        fake.gh
            .deleted_ids("acme", PackageType::Container, "lib")
            .is_empty()
    );
    let _ = lib;

    // One journal names every package; one undo restores all of them.
    let text = std::fs::read_to_string(&journal).unwrap();
    let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        header["packages"],
        serde_json::json!(["app-api", "app-web", "app-worker"])
    );
    let run = fake.ghpkg(dir.path(), &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    for name in ["app-web", "app-api", "app-worker"] {
        let deleted = sorted(fake.gh.deleted_ids("acme", PackageType::Container, name));
        let restored = sorted(fake.gh.restored_ids("acme", PackageType::Container, name));
        assert_eq!(restored, deleted, "{name}");
        assert_eq!(restored.len(), 2, "{name}");
    }
    let restored = run.json()["restored"].as_array().unwrap().clone();
    assert_eq!(restored.len(), 6);
    assert!(restored.iter().all(|v| v["package"].is_string()));
}

#[test]
fn all_packages_prunes_every_package_of_the_type() {
    let fake = Fake::start();
    for name in ["a", "b", "c"] {
        app(&fake, name);
    }
    fake.gh
        .package(Owner::org("acme"), PackageType::Npm, "left-pad")
        .version("1.0.0")
        .version("1.0.1")
        .create()
        .unwrap();
    let dir = tempdir();
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "--json",
            "prune",
            "container",
            "--org",
            "acme",
            "--all-packages",
            "--keep-untagged",
            "0",
            "--registry-url",
            &url,
        ],
    );
    run.expect(0);
    let report = run.json();
    assert_eq!(names(&report), ["a", "b", "c"]);
    assert_eq!(report["dry_run"], true);
    for package in report["packages"].as_array().unwrap() {
        let deletes = package["plan"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["action"] == "delete")
            .count();
        assert_eq!(deletes, 2, "{package}");
    }
    assert!(
        fake.gh
            .requests()
            .iter()
            .all(|r| r.method != http::Method::DELETE)
    );
}

#[test]
fn a_named_package_that_does_not_exist_stops_the_run_before_any_delete() {
    let fake = Fake::start();
    app(&fake, "app-web");
    let dir = tempdir();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "prune",
            "container",
            "--org",
            "acme",
            "--package",
            "app-web",
            "--package",
            "app-wbe",
            "--untagged",
            "--no-registry-check",
            "--yes",
        ],
    );
    run.expect(1);
    assert!(run.stderr.contains("`app-wbe`"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was deleted"), "{}", run.stderr);
    assert!(
        fake.gh
            .requests()
            .iter()
            .all(|r| r.method != http::Method::DELETE)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no journal"
    );

    // A glob that matches nothing is refused the same way.
    let run = fake.ghpkg(
        dir.path(),
        &[
            "prune",
            "container",
            "--org",
            "acme",
            "--package",
            "web-*",
            "--untagged",
        ],
    );
    run.expect(1);
    assert!(run.stderr.contains("matches none"), "{}", run.stderr);
}

#[test]
fn a_workflow_token_that_cannot_list_is_told_to_name_the_packages() {
    let fake = Fake::start();
    let web = app(&fake, "app-web");
    let token = fake
        .gh
        .actions_token(Owner::org("acme"), PackagesPermission::Write)
        .unwrap();
    let dir = tempdir();
    let url = fake.url();
    let glob = [
        "prune",
        "container",
        "--org",
        "acme",
        "--package",
        "app-*",
        "--untagged",
        "--registry-url",
        &url,
    ];
    let run = fake.ghpkg_env(dir.path(), &glob, &[("GITHUB_TOKEN", &token)]);
    run.expect(1);
    assert!(
        run.stderr.contains("GITHUB_TOKEN cannot list"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--package NAME"), "{}", run.stderr);

    // Named, the same token prunes.
    let named = [
        "prune",
        "container",
        "--org",
        "acme",
        "--package",
        "app-web",
        "--untagged",
        "--registry-url",
        &url,
        "--yes",
    ];
    let run = fake.ghpkg_env(dir.path(), &named, &[("GITHUB_TOKEN", &token)]);
    run.expect(0);
    let deleted = fake
        .gh
        .deleted_ids("acme", PackageType::Container, "app-web");
    assert_eq!(sorted(deleted), orphans(&web));
}

#[test]
fn a_failing_package_does_not_stop_the_others() {
    let fake = Fake::start();
    let web = app(&fake, "app-web");
    app(&fake, "app-api");
    let broken = fake
        .gh
        .fault("DELETE", "/orgs/acme/packages/container/app-api/versions/*")
        .every()
        .respond(500, r#"{"message":"Server Error"}"#)
        .unwrap();
    let dir = tempdir();
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "--json",
            "prune",
            "container",
            "--org",
            "acme",
            "--package",
            "app-api",
            "--package",
            "app-web",
            "--untagged",
            "--registry-url",
            &url,
            "--yes",
        ],
    );
    run.expect(1);
    assert!(broken.hits() > 0);
    let report = run.json();
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("1 package of 2 failed (app-api)"), "{error}");
    assert!(error.contains("ghpkg undo"), "{error}");
    let deleted = fake
        .gh
        .deleted_ids("acme", PackageType::Container, "app-web");
    assert_eq!(sorted(deleted), orphans(&web), "app-web went ahead");
    assert!(
        fake.gh
            .deleted_ids("acme", PackageType::Container, "app-api")
            .is_empty()
    );
}

/// A journal of several packages continued by a run over fewer of them
/// (the advice after a stop, once some packages are done) still undoes
/// exactly: every record names its package.
#[test]
fn a_journal_continued_with_fewer_packages_undoes_exactly() {
    let fake = Fake::start();
    app(&fake, "app-a");
    let b = app(&fake, "app-b");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let url = fake.url();
    // The first run stops in app-b: its deletes fail.
    let broken = fake
        .gh
        .fault("DELETE", "/orgs/acme/packages/container/app-b/versions/*")
        .every()
        .respond(500, r#"{"message":"Server Error"}"#)
        .unwrap();
    let args = |packages: &[&'static str]| {
        let mut a = vec!["prune", "container", "--org", "acme"];
        for p in packages {
            a.extend(["--package", p]);
        }
        a
    };
    let mut first = args(&["app-a", "app-b"]);
    first.extend([
        "--untagged",
        "--registry-url",
        &url,
        "--yes",
        "--journal",
        path_str(&journal),
    ]);
    fake.ghpkg(dir.path(), &first).expect(1);
    broken.remove();
    // Continued with app-b alone.
    let mut second = args(&["app-b"]);
    second.extend([
        "--untagged",
        "--registry-url",
        &url,
        "--yes",
        "--journal",
        path_str(&journal),
    ]);
    fake.ghpkg(dir.path(), &second).expect(0);
    assert_eq!(
        sorted(fake.gh.deleted_ids("acme", PackageType::Container, "app-b")),
        orphans(&b)
    );
    let run = fake.ghpkg(dir.path(), &["undo", path_str(&journal)]);
    run.expect(0);
    for name in ["app-a", "app-b"] {
        let deleted = sorted(fake.gh.deleted_ids("acme", PackageType::Container, name));
        let restored = sorted(fake.gh.restored_ids("acme", PackageType::Container, name));
        assert_eq!(restored, deleted, "{name}");
        assert_eq!(restored.len(), 2, "{name}");
    }
}

/// An exclusion is judged by the tags of the whole run: a package with no
/// release tags does not make `--exclude-tag 'v*'` a typo and stop the run.
#[test]
fn an_exclusion_that_matches_in_one_package_does_not_stop_the_others() {
    let fake = Fake::start();
    let web = app(&fake, "app-web");
    let api = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app-api")
        .image()
        .image()
        .tags(["latest"])
        .create()
        .unwrap();
    let dir = tempdir();
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "prune",
            "container",
            "--org",
            "acme",
            "--package",
            "app-*",
            "--untagged",
            "--exclude-tag",
            "v*",
            "--registry-url",
            &url,
            "--yes",
        ],
    );
    run.expect(0);
    assert_eq!(
        sorted(
            fake.gh
                .deleted_ids("acme", PackageType::Container, "app-web")
        ),
        orphans(&web)
    );
    assert_eq!(
        fake.gh
            .deleted_ids("acme", PackageType::Container, "app-api"),
        [api.versions[0].id]
    );
}
