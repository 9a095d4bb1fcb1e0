//! A plan written for review and applied later: the file holds every
//! version with its reason as data, reads back as written, and applying it
//! deletes exactly what it marks (skipping what changed since), into a
//! journal that undoes it. Against the fake GitHub.

mod common;

use github_packages::PackageType;
use github_packages::fake::Owner;
use github_packages_retention::{
    Action, Executor, OwnerRef, PlanFile, PlannedPackage, Policy, Quiet, SkipReason, Stop, Work,
};

use common::*;

/// What a person reviewed is what happens: the plan file reads back equal
/// to what was written, and applying it deletes exactly its `delete`
/// versions, skipping one tagged since the plan.
#[tokio::test]
async fn a_plan_file_applies_exactly_what_was_planned() {
    let fake = Fake::start().await;
    // `latest` on the newest of six images; the five others untagged.
    let mut builder = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image();
    for _ in 0..4 {
        builder = builder.image();
    }
    let created = builder.image().tags(["latest"]).create().unwrap();
    let policy = Policy::default().keep_untagged(1);
    let planned = fake
        .planner()
        .without_registry_check()
        .plan(&app(), &policy, &Quiet)
        .await
        .unwrap();
    let target = &planned.target;
    let file = PlanFile::new(
        fake.client.base_url().as_str(),
        OwnerRef::of(&target.scope, planned.login.as_deref()),
        target.package_type,
        policy.clone(),
        vec![PlannedPackage {
            name: target.name.clone(),
            listed_at: planned.listed_at,
            versions: planned.plan.entries.clone(),
            warnings: planned.all_warnings().cloned().collect(),
        }],
    );
    let dir = tempdir();
    let path = dir.path().join("plan.json");
    file.write(&path).unwrap();
    assert_eq!(
        fake.sent(reqwest::Method::DELETE),
        0,
        "a plan deletes nothing"
    );
    let read = PlanFile::read(&path).unwrap();
    assert_eq!(read, file, "reasons, policy and warnings read back as data");
    let planned_ids = sorted(
        read.packages[0]
            .versions
            .iter()
            .filter(|v| v.action == Action::Delete)
            .map(|v| v.id)
            .collect(),
    );
    assert_eq!(planned_ids.len(), 4);

    // Someone tags one planned version before the plan is applied.
    let tagged = planned_ids[1];
    fake.gh
        .set_tags("acme", PackageType::Container, "app", tagged, ["hotfix"])
        .unwrap();

    let scope = read.owner.scope().unwrap();
    let package = &read.packages[0];
    let work = Work {
        target: github_packages_retention::Target::new(scope, read.package_type, &package.name),
        versions: package.deletions(),
    };
    let journal = dir.path().join("j.jsonl");
    let outcome = Executor::new(&fake.client, Stop::new())
        .run(
            &header(&fake.client, &[&planned]),
            &journal,
            vec![work],
            &Quiet,
        )
        .await
        .unwrap();
    let want: Vec<i64> = planned_ids
        .iter()
        .copied()
        .filter(|id| *id != tagged)
        .collect();
    assert_eq!(fake.deleted("app"), want);
    let skipped = &outcome.packages[0].skipped;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].version.id, tagged);
    assert_eq!(
        skipped[0].reason,
        SkipReason::TagsChanged {
            then: vec![],
            now: vec!["hotfix".into()]
        }
    );
    let kept: Vec<i64> = created
        .ids()
        .into_iter()
        .filter(|id| !planned_ids.contains(id))
        .collect();
    assert!(kept.iter().all(|id| !want.contains(id)));

    // The journal undoes an applied plan like any run.
    let report = restore(&fake.client, &journal).await;
    assert!(!report.is_unfinished());
    assert_eq!(fake.restored("app"), want);
}
