//! The main jobs end to end, on the fake GitHub: a dry run, the same prune
//! for real, and its undo; several packages sharing one journal and one
//! undo; a plan written, reviewed and applied. What was deleted and
//! restored is the fake's record.

use github_packages::PackageType;
use github_packages::fake::{CreatedPackage, Owner};
use serde_json::{Value, json};

use crate::fakes::Fake;
use crate::support::{ids, path_str, planned, prune_app, tempdir};

/// [`crate::packages::with_orphans`] on `fake`.
pub(crate) fn app(fake: &Fake, name: &str) -> CreatedPackage {
    with_orphans(&fake.gh, name)
}

pub(crate) use crate::packages::orphans;
use crate::packages::with_orphans;

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort();
    ids
}

/// The prune a user runs first: a dry run deletes nothing and plans the
/// orphans (the platform images of `v1` are kept); the same command with
/// `--yes` deletes exactly those into a journal; `undo --dry-run` lists
/// them and `undo` restores them.
#[test]
fn a_dry_run_then_the_prune_then_its_undo() {
    let fake = Fake::start();
    let created = app(&fake, "app");
    let want = orphans(&created);
    let dir = tempdir();
    let url = fake.url();
    let prune = prune_app(&["--json", "--untagged", "--registry-url", &url]);
    let run = fake.ghpkg(dir.path(), &prune);
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["journal"], Value::Null);
    assert_eq!(planned(&report, "delete"), want);
    assert_eq!(fake.deletes_sent(), 0, "a dry run sent a DELETE");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a dry run writes no journal"
    );

    let journal = dir.path().join("j.jsonl");
    let mut real = prune.to_vec();
    real.extend(["--yes", "--journal", path_str(&journal)]);
    let run = fake.ghpkg(dir.path(), &real);
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(report["dry_run"], false);
    assert_eq!(ids(&report["deleted"]), want);
    assert_eq!(fake.deleted("app"), want);

    let undo = |extra: &[&str]| {
        let mut args = vec!["--json", "undo", path_str(&journal)];
        args.extend_from_slice(extra);
        fake.ghpkg(dir.path(), &args)
    };
    let run = undo(&["--dry-run"]);
    run.expect(0);
    assert_eq!(ids(&run.json()["would_restore"]), want);
    assert!(fake.restored("app").is_empty());
    let run = undo(&[]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), want);
    assert_eq!(fake.restored("app"), want);
}

/// Packages picked by a glob are pruned in one run, into one journal that
/// names them all, and one undo restores every one of them.
#[test]
fn three_packages_by_glob_share_one_journal_and_one_undo() {
    let fake = Fake::start();
    let web = app(&fake, "app-web");
    let api = app(&fake, "app-api");
    let worker = app(&fake, "app-worker");
    app(&fake, "lib");
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
    assert_eq!(report["version"], 3);
    let names: Vec<&str> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["package"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app-api", "app-web", "app-worker"]);
    for (name, package) in [
        ("app-web", &web),
        ("app-api", &api),
        ("app-worker", &worker),
    ] {
        assert_eq!(fake.deleted(name), orphans(package), "{name}");
    }
    assert!(fake.deleted("lib").is_empty());

    // One journal names every package; one undo restores all of them.
    let text = std::fs::read_to_string(&journal).unwrap();
    let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        header["packages"],
        json!(["app-api", "app-web", "app-worker"])
    );
    let run = fake.ghpkg(dir.path(), &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    for name in ["app-web", "app-api", "app-worker"] {
        let deleted = fake.deleted(name);
        let restored = fake.restored(name);
        assert_eq!(restored, deleted, "{name}");
        assert_eq!(restored.len(), 2, "{name}");
    }
    let restored = run.json()["restored"].as_array().unwrap().clone();
    assert_eq!(restored.len(), 6);
    assert!(restored.iter().all(|v| v["package"].is_string()));
}

/// `latest` on the newest of six images; the five others untagged.
pub(crate) fn six_images(fake: &Fake) -> CreatedPackage {
    let mut builder = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image();
    for _ in 0..4 {
        builder = builder.image();
    }
    builder.image().tags(["latest"]).create().unwrap()
}

/// `prune --keep-untagged 1 --plan-out plan_path`: four of the six versions.
pub(crate) fn write_plan(
    fake: &Fake,
    dir: &std::path::Path,
    plan_path: &std::path::Path,
) -> crate::support::Run {
    fake.ghpkg(
        dir,
        &prune_app(&[
            "--keep-untagged",
            "1",
            "--no-registry-check",
            "--plan-out",
            path_str(plan_path),
        ]),
    )
}

/// A plan file deletes nothing and records the policy and each version's
/// reason as data (version 2); `apply` shows it, then with `--yes` deletes
/// exactly what it plans, skipping a version tagged since (with why, as
/// data), into a journal that `undo` reverses.
#[test]
fn apply_deletes_exactly_the_plan_and_skips_what_changed_since() {
    let fake = Fake::start();
    let created = six_images(&fake);
    let dir = tempdir();
    let plan_path = dir.path().join("plan.json");
    let run = write_plan(&fake, dir.path(), &plan_path);
    run.expect(0);
    assert!(run.stdout.contains("plan written to"), "{}", run.stdout);
    assert_eq!(fake.deletes_sent(), 0, "a plan deletes nothing");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    assert_eq!(plan["format"], "ghpkg-plan");
    assert_eq!(plan["version"], 2);
    assert_eq!(plan["policy"], json!({"keep_untagged": 1}));
    let versions = plan["packages"][0]["versions"].as_array().unwrap();
    let planned: Vec<i64> = sorted(
        versions
            .iter()
            .filter(|v| v["action"] == "delete")
            .map(|v| v["id"].as_i64().unwrap())
            .collect(),
    );
    assert_eq!(planned.len(), 4, "{plan}");
    for v in versions {
        let want = match v["action"].as_str() {
            Some("delete") => json!({"code": "selected",
                                     "criteria": [{"code": "beyond_keep_untagged", "n": 1}]}),
            _ if v["tags"] == json!(["latest"]) => json!({"code": "tagged_not_selected"}),
            _ => json!({"code": "keep_untagged", "n": 1}),
        };
        assert_eq!(v["reason"], want, "{v}");
    }

    // Someone tags one planned version before the plan is applied.
    let tagged = planned[1];
    fake.gh
        .set_tags("acme", PackageType::Container, "app", tagged, ["hotfix"])
        .unwrap();

    // Without --yes, apply only shows.
    let run = fake.ghpkg(dir.path(), &["apply", path_str(&plan_path)]);
    run.expect(0);
    assert!(run.stdout.contains("nothing deleted"), "{}", run.stdout);
    assert_eq!(fake.deletes_sent(), 0);

    let journal = dir.path().join("j.jsonl");
    let run = fake.ghpkg(
        dir.path(),
        &[
            "--json",
            "apply",
            path_str(&plan_path),
            "--yes",
            "--journal",
            path_str(&journal),
        ],
    );
    run.expect(0);
    let report = run.prune_json();
    let want: Vec<i64> = planned.iter().copied().filter(|id| *id != tagged).collect();
    let deleted = fake.deleted("app");
    assert_eq!(deleted, want);
    assert_eq!(report["skipped"][0]["id"], tagged);
    assert_eq!(
        report["skipped"][0]["reason"],
        json!({"code": "tags_changed", "then": [], "now": ["hotfix"]}),
        "{report}"
    );
    let kept: Vec<i64> = created
        .ids()
        .into_iter()
        .filter(|id| !planned.contains(id))
        .collect();
    assert!(kept.iter().all(|id| !deleted.contains(id)));
    // The journal undoes an apply like a prune.
    fake.ghpkg(dir.path(), &["undo", path_str(&journal)])
        .expect(0);
    let restored = fake.restored("app");
    assert_eq!(restored, want);
}
