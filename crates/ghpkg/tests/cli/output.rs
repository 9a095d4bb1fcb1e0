//! What a prune prints for people, against the fake GitHub: the plan as a
//! table in a dry run, a summary and the versions it deletes in a real run
//! (kept ones only when asked), skips and failures once each, and counts in
//! good English.

use chrono::Utc;
use github_packages::PackageType;
use github_packages::fake::Owner;
use serde_json::json;

use crate::fakes::Fake;
use crate::support::{VERSIONS, hours_ago, prune_app, tempdir};

/// acme's container `app` with one version per entry of `specs`: its age
/// in hours and its tags. The ids, in the order of `specs`.
pub(crate) fn app(fake: &Fake, specs: &[(i64, Vec<String>)]) -> Vec<i64> {
    let mut builder = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app");
    for (hours, tags) in specs {
        builder = builder
            .image()
            .tags(tags.clone())
            .created_at(hours_ago(*hours))
            .package();
    }
    builder.create().unwrap().ids()
}

/// Untagged versions of the given ages in hours.
fn untagged(hours: impl IntoIterator<Item = i64>) -> Vec<(i64, Vec<String>)> {
    hours.into_iter().map(|h| (h, Vec::new())).collect()
}

/// A prune of `app` keeping the 3 newest versions, with `extra`.
fn run_prune(fake: &Fake, extra: &[&str]) -> crate::support::Run {
    let dir = tempdir();
    let mut args = prune_app(&["--no-registry-check", "--keep-last", "3"]);
    args.extend_from_slice(extra);
    fake.ghpkg(dir.path(), &args)
}

#[test]
fn a_real_prune_prints_the_deletes_not_every_kept_version() {
    let fake = Fake::start();
    let ids = app(&fake, &untagged(1..=40));

    // --older-than 38h30m leaves two to delete among 40 versions.
    let run = run_prune(&fake, &["--older-than", "38h30m", "--yes"]);
    run.expect(0);
    let out = &run.stdout;
    assert!(
        out.starts_with(
            "container package app (organization acme): 40 active versions, 2 to delete\n"
        ),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("DELETE")).count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("KEEP")).count(),
        0,
        "{out}"
    );
    assert!(out.contains("deleted 2 of 2 versions; journal: "), "{out}");
    assert_eq!(fake.deleted("app"), [ids[38], ids[39]]);

    // --show-kept adds the KEEP rows.
    let fake = Fake::start();
    app(&fake, &untagged(1..=40));
    let run = run_prune(&fake, &["--older-than", "39h30m", "--yes", "--show-kept"]);
    run.expect(0);
    assert_eq!(
        run.stdout.lines().filter(|l| l.starts_with("KEEP")).count(),
        39,
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 to delete"), "{}", run.stdout);
    assert!(
        run.stdout.contains("deleted 1 of 1 version;"),
        "{}",
        run.stdout
    );
}

#[test]
fn counts_read_right_for_one_and_none() {
    let fake = Fake::start();
    app(&fake, &untagged([1, 2, 3, 90]));
    let run = run_prune(&fake, &[]);
    run.expect(0);
    assert!(
        run.stdout
            .contains("dry run: nothing deleted; pass --yes to delete this version"),
        "{}",
        run.stdout
    );

    let fake = Fake::start();
    app(&fake, &untagged([1]));
    let run = run_prune(&fake, &["--yes"]);
    run.expect(0);
    assert!(
        run.stdout.contains("1 active version, 0 to delete"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nothing to delete"), "{}", run.stdout);
    assert!(!run.stdout.contains("these 0"), "{}", run.stdout);
}

/// A package that could not be planned is not "nothing to delete": the
/// closing line says nothing was deleted because of it.
#[test]
fn a_package_that_could_not_be_planned_is_not_nothing_to_delete() {
    let fake = Fake::start();
    app(&fake, &untagged([1, 2, 3, 90]));
    fake.gh
        .fault("GET", VERSIONS)
        .every()
        .respond(502, r#"{"message":"Server Error"}"#)
        .unwrap();
    let run = run_prune(&fake, &[]);
    run.expect(1);
    assert!(!run.stdout.contains("nothing to delete"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("nothing deleted: 1 package could not be planned"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_failed_delete_is_reported_once() {
    let fake = Fake::start();
    let ids = app(&fake, &untagged(1..=5));
    fake.gh
        .fault("DELETE", &format!("{VERSIONS}/{}", ids[4]))
        .respond(422, r#"{"message":"status 422"}"#)
        .unwrap();
    let run = run_prune(&fake, &["--yes"]);
    run.expect(1);
    let everything = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(
        everything.matches("status 422").count(),
        1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with("failed")),
        "{}",
        run.stdout
    );
    assert_eq!(fake.deleted("app"), [ids[3]]);
}

/// A dry run prints every version with its action and its reason in
/// ghpkg's words, naming the flags, and deletes nothing.
#[test]
fn a_human_dry_run_prints_the_plan_and_deletes_nothing() {
    let fake = Fake::start();
    // Twelve versions 6 hours apart: a release (`latest`, `v0`), a pull
    // request build (`pr-3`), a nightly (`sha-7`, `nightly-7`), a release
    // (`v10`), the others untagged.
    let specs: Vec<(i64, Vec<String>)> = (0..12)
        .map(|rank: i64| {
            let tags: &[&str] = match rank {
                0 => &["latest", "v0"],
                3 => &["pr-3"],
                7 => &["sha-7", "nightly-7"],
                10 => &["v10"],
                _ => &[],
            };
            (rank * 6 + 3, tags.iter().map(|t| (*t).to_owned()).collect())
        })
        .collect();
    app(&fake, &specs);
    let dir = tempdir();
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &prune_app(&[
            "--registry-url",
            &url,
            "--keep-last",
            "3",
            "--untagged",
            "--exclude-tag",
            "pr-*",
        ]),
    );
    run.expect(0);
    let out = &run.stdout;
    assert!(out.contains("12 active versions, 6 to delete"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("ACTION") && l.contains("REASON")),
        "{out}"
    );
    assert!(
        out.contains("one of the 3 newest images (--keep-last 3)"),
        "{out}"
    );
    assert!(out.contains("tag pr-3 matches --exclude-tag pr-*"), "{out}");
    assert!(
        out.contains("tagged, and the policy's rules select only untagged images"),
        "{out}"
    );
    assert!(
        out.contains("dry run: nothing deleted; pass --yes"),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("DELETE")).count(),
        6,
        "{out}"
    );
    assert_eq!(fake.deletes_sent(), 0);
}

/// Versions that changed between the plan and their delete are listed as
/// skipped, each once, on stdout only.
#[test]
fn skipped_versions_are_listed_once() {
    let fake = Fake::start();
    let ids = app(&fake, &untagged([5, 4, 3, 2, 1]));
    let listed = fake.gh.versions("acme", PackageType::Container, "app");
    let body = |id: i64| {
        let version = listed.iter().find(|v| v.id == id).unwrap();
        serde_json::to_value(version).unwrap()
    };
    // Read again right before their deletes: one was tagged meanwhile, one
    // is gone, one was deleted by someone else.
    let mut tagged = body(ids[1]);
    tagged["metadata"]["container"]["tags"] = json!(["v2"]);
    let mut deleted = body(ids[3]);
    deleted["deleted_at"] = json!(Utc::now().to_rfc3339());
    let read = |id: i64| format!("{VERSIONS}/{id}");
    for (id, status, body) in [
        (ids[1], 200, tagged.to_string()),
        (ids[2], 404, r#"{"message":"Not Found"}"#.to_owned()),
        (ids[3], 200, deleted.to_string()),
    ] {
        fake.gh
            .fault("GET", &read(id))
            .respond(status, body)
            .unwrap();
    }
    let dir = tempdir();
    let run = fake.ghpkg(dir.path(), &prune_app(&["--untagged", "--yes"]));
    run.expect(0);
    let skipped: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("skipped"))
        .collect();
    assert_eq!(skipped.len(), 3, "{}", run.stdout);
    let tagged_id = ids[1].to_string();
    let row = skipped
        .iter()
        .find(|l| l.split_whitespace().nth(1) == Some(tagged_id.as_str()))
        .expect("a row for the tagged version");
    assert!(row.contains("tags changed"), "{}", run.stdout);
    // Reported once, in one format: not again on stderr.
    assert!(!run.stderr.contains("tags changed"), "{}", run.stderr);
}

/// Issue 18: durations read as people write them. `--older-than 1month`
/// gave reasons "newer than 2630016s"; a plan's age printed nanoseconds.
#[test]
fn durations_are_printed_the_way_people_write_them() {
    let fake = Fake::start();
    app(&fake, &untagged([1, 2, 3, 24 * 10, 24 * 40]));
    let run = run_prune(&fake, &["--older-than", "1month"]);
    run.expect(0);
    assert!(
        run.stdout.contains("newer than 1 month (--older-than)"),
        "{}",
        run.stdout
    );

    let dir = tempdir();
    let plan = dir.path().join("plan.json");
    crate::flows::write_plan(&fake, dir.path(), &plan).expect(0);
    let run = fake.ghpkg(dir.path(), &["apply", crate::support::path_str(&plan)]);
    run.expect(0);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("made less than a second ago") || first.contains(" seconds ago"),
        "{first}"
    );
    assert!(!first.contains("ns ago"), "{first}");
}
