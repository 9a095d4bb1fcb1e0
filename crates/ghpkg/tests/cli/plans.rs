//! Plan, then apply, on the fake GitHub: a plan file deletes nothing, apply
//! deletes exactly what it plans (skipping what changed since), and a stale
//! or foreign plan is refused.

use github_packages::PackageType;
use github_packages::fake::{CreatedPackage, Owner};
use serde_json::Value;

use crate::fakes::Fake;
use crate::support::{path_str, tempdir};

/// `latest` on the newest of six images; the five others untagged.
fn app(fake: &Fake) -> CreatedPackage {
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
fn write_plan(
    fake: &Fake,
    dir: &std::path::Path,
    plan_path: &std::path::Path,
) -> crate::support::Run {
    fake.ghpkg(
        dir,
        &[
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--keep-untagged",
            "1",
            "--no-registry-check",
            "--plan-out",
            path_str(plan_path),
        ],
    )
}

fn planned_deletes(plan: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = plan["packages"][0]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["action"] == "delete")
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

fn deletes(fake: &Fake) -> usize {
    fake.gh
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::DELETE)
        .count()
}

#[test]
fn apply_deletes_exactly_the_plan_and_skips_what_changed_since() {
    let fake = Fake::start();
    let created = app(&fake);
    let dir = tempdir();
    let plan_path = dir.path().join("plan.json");
    let run = write_plan(&fake, dir.path(), &plan_path);
    run.expect(0);
    assert!(run.stdout.contains("plan written to"), "{}", run.stdout);
    assert_eq!(deletes(&fake), 0, "a plan deletes nothing");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    assert_eq!(plan["format"], "ghpkg-plan");
    assert_eq!(plan["version"], 1);
    assert_eq!(plan["policy"], serde_json::json!(["--keep-untagged 1"]));
    let planned = planned_deletes(&plan);
    assert_eq!(planned.len(), 4, "{plan}");

    // Someone tags one planned version before the plan is applied.
    let tagged = planned[1];
    fake.gh
        .set_tags("acme", PackageType::Container, "app", tagged, ["hotfix"])
        .unwrap();

    // Without --yes, apply only shows.
    let run = fake.ghpkg(dir.path(), &["apply", path_str(&plan_path)]);
    run.expect(0);
    assert!(run.stdout.contains("nothing deleted"), "{}", run.stdout);
    assert_eq!(deletes(&fake), 0);

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
    let mut want: Vec<i64> = planned.iter().copied().filter(|id| *id != tagged).collect();
    want.sort();
    let mut deleted = fake.gh.deleted_ids("acme", PackageType::Container, "app");
    deleted.sort();
    assert_eq!(deleted, want);
    assert_eq!(report["skipped"][0]["id"], tagged);
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("tags changed"),
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
    let mut restored = fake.gh.restored_ids("acme", PackageType::Container, "app");
    restored.sort();
    assert_eq!(restored, want);
}

#[test]
fn a_stale_or_damaged_plan_is_refused() {
    let fake = Fake::start();
    app(&fake);
    let dir = tempdir();
    let plan_path = dir.path().join("plan.json");
    write_plan(&fake, dir.path(), &plan_path).expect(0);
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    let two_days_ago = chrono::Utc::now() - chrono::TimeDelta::days(2);
    plan["created_at"] = two_days_ago.to_rfc3339().into();
    std::fs::write(&plan_path, plan.to_string()).unwrap();

    let run = fake.ghpkg(dir.path(), &["apply", path_str(&plan_path), "--yes"]);
    run.expect(1);
    assert!(run.stderr.contains("--max-plan-age 1d"), "{}", run.stderr);
    assert_eq!(deletes(&fake), 0);
    let run = fake.ghpkg(
        dir.path(),
        &[
            "apply",
            path_str(&plan_path),
            "--yes",
            "--max-plan-age",
            "3d",
        ],
    );
    run.expect(0);
    assert_eq!(deletes(&fake), 4);

    // Cut short, or another version: refused before any request.
    let text = std::fs::read(&plan_path).unwrap();
    std::fs::write(&plan_path, &text[..text.len() / 2]).unwrap();
    let before = fake.gh.requests().len();
    let run = fake.ghpkg(dir.path(), &["apply", path_str(&plan_path), "--yes"]);
    run.expect(1);
    assert!(run.stderr.contains("cut short"), "{}", run.stderr);
    assert_eq!(fake.gh.requests().len(), before);
}

#[test]
fn a_plan_keeps_its_api_and_an_explicit_other_one_is_refused() {
    let fake = Fake::start();
    app(&fake);
    let dir = tempdir();
    let plan_path = dir.path().join("plan.json");
    write_plan(&fake, dir.path(), &plan_path).expect(0);
    // A token from the environment belongs to GITHUB_API_URL's API: a plan
    // written against another one is refused.
    let run = crate::support::ghpkg_raw_env(
        dir.path(),
        &["apply", path_str(&plan_path), "--yes"],
        &[("GITHUB_API_URL", "https://ghe.example.com/api/v3")],
    );
    run.expect(2);
    assert!(
        run.stderr
            .contains("a plan does not choose where your token goes"),
        "{}",
        run.stderr
    );
    assert_eq!(deletes(&fake), 0);
    // Nor does a plan pick the host on its own: without --api-url the
    // default applies, and it is not the plan's (a reviewed plan is handed
    // around; a token must not follow an edited api_url).
    let run = crate::support::ghpkg_raw_env(
        dir.path(),
        &["apply", path_str(&plan_path), "--yes"],
        &[("GITHUB_TOKEN", &fake.token)],
    );
    run.expect(2);
    let advice = format!("pass --api-url {}", fake.url());
    assert!(run.stderr.contains(&advice), "{}", run.stderr);
    assert_eq!(deletes(&fake), 0);
}

/// A plan is not written when a prune with --yes would have refused:
/// deleting more than --max-delete, or an exclusion that matches no tag.
#[test]
fn no_plan_is_written_that_a_prune_would_refuse() {
    let fake = Fake::start();
    app(&fake);
    let dir = tempdir();
    let plan_path = dir.path().join("plan.json");
    for flags in [
        &["--max-delete", "2"][..],
        &["--exclude-tag", "relase-*"][..],
    ] {
        let mut args = vec![
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--keep-untagged",
            "1",
            "--no-registry-check",
            "--plan-out",
            path_str(&plan_path),
        ];
        args.extend_from_slice(flags);
        let run = fake.ghpkg(dir.path(), &args);
        run.expect(1);
        assert!(
            run.stderr.contains("no plan written"),
            "{flags:?}: {}",
            run.stderr
        );
        assert!(!plan_path.exists(), "{flags:?}");
    }
}
