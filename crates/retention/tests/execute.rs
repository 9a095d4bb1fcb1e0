//! Executing a plan safely: versions that changed since the plan are
//! skipped, a 404 on DELETE is "gone" rather than a failure, a systematic
//! failure stops a package early without stopping the others, a referrer
//! goes only after its subject, and deletes are paced and wait out rate
//! limits. Against mock servers where the exact requests matter, else the
//! fake GitHub.

mod common;

use std::time::Duration;

use github_packages::PackageType;
use github_packages::fake::Owner;
use github_packages_retention::journal::Journal;
use github_packages_retention::{
    Halt, PackagePlan, Planner, Policy, Quiet, SkipReason, TagPattern,
};
use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use reqwest::Method;
use serde_json::json;

use common::*;

/// The plan of `--untagged` for acme's `app` on `server`, which serves no
/// registry: these tests are about deleting, not about images.
async fn plan_untagged(client: &github_packages::Client) -> PackagePlan {
    let planned = Planner::new(client)
        .without_registry_check()
        .plan(&app(), &Policy::default().untagged(), &Quiet)
        .await
        .expect("planned");
    assert_eq!(planned.problems, []);
    planned
}

/// A referrer planned to go with its subject goes only if the subject's own
/// DELETE succeeded: an image tagged meanwhile (so skipped) or refused by
/// GitHub keeps its signature.
#[tokio::test]
async fn a_signature_stays_when_its_subject_is_not_deleted() {
    let fake = Fake::start().await;
    let package = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "signed")
        .image()
        .tags(["old"])
        .cosign_signature()
        .image()
        .tags(["latest"])
        .create()
        .unwrap();
    let old = package.tagged("old").unwrap().clone();
    let sig = package
        .versions
        .iter()
        .find(|v| v.tags.iter().any(|t| t.ends_with(".sig")))
        .unwrap()
        .id;
    let signed = acme(PackageType::Container, "signed");
    let policy = Policy::default().tag(TagPattern::glob("old").unwrap());
    let planned = fake.planner().plan(&signed, &policy, &Quiet).await.unwrap();
    assert_eq!(
        sorted(deletes(&planned.plan).into_iter().collect()),
        [old.id, sig]
    );
    // Someone protects the image before the plan is applied.
    fake.gh
        .set_tags(
            "acme",
            PackageType::Container,
            "signed",
            old.id,
            ["old", "keep"],
        )
        .unwrap();
    let outcome = delete_planned(&fake.client, &[&planned]).await;
    let package = &outcome.packages[0];
    let skipped: Vec<(i64, &SkipReason)> = package
        .skipped
        .iter()
        .map(|s| (s.version.id, &s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                old.id,
                &SkipReason::TagsChanged {
                    then: vec!["old".into()],
                    now: vec!["old".into(), "keep".into()]
                }
            ),
            (
                sig,
                &SkipReason::OwnerNotDeleted {
                    owner: old.name.clone()
                }
            ),
        ]
    );
    assert!(!outcome.is_unfinished());
    assert_eq!(fake.deleted("signed"), Vec::<i64>::new());

    // GitHub refusing the image's DELETE keeps its signature too.
    fake.gh
        .set_tags("acme", PackageType::Container, "signed", old.id, ["old"])
        .unwrap();
    let path = format!("/orgs/acme/packages/container/signed/versions/{}", old.id);
    fake.gh
        .fault("DELETE", &path)
        .every()
        .respond(422, r#"{"message":"refused"}"#)
        .unwrap();
    let planned = fake.planner().plan(&signed, &policy, &Quiet).await.unwrap();
    let outcome = delete_planned(&fake.client, &[&planned]).await;
    let package = &outcome.packages[0];
    assert_eq!(
        ids(&package
            .failed
            .iter()
            .map(|f| f.version.clone())
            .collect::<Vec<_>>()),
        [old.id]
    );
    assert_eq!(package.skipped.len(), 1);
    assert_eq!(package.skipped[0].version.id, sig);
    assert!(matches!(
        package.skipped[0].reason,
        SkipReason::OwnerNotDeleted { .. }
    ));
    assert!(outcome.is_unfinished());
    assert_eq!(fake.deleted("signed"), Vec::<i64>::new());
}

/// Each version is read again right before its DELETE: one tagged, gone or
/// deleted since the plan is skipped with why, recorded as skipped in the
/// journal (no intent), and left out of an undo.
#[tokio::test]
async fn versions_that_changed_since_the_plan_are_skipped_not_deleted() {
    let github = MockServer::start_async().await;
    let listed = untagged(5);
    let _listing = mock_listing(&github, VERSIONS, &listed).await;
    // Read again right before their deletes: 2 was tagged meanwhile, 3 is
    // gone, 4 was deleted by someone else; 1 and 5 are as listed.
    let mut now = listed.clone();
    now[1]["metadata"]["container"]["tags"] = json!(["v2"]);
    now[3]["deleted_at"] = json!(time(hours_ago(0)));
    let mut current = Vec::new();
    for v in [&now[0], &now[1], &now[3], &now[4]] {
        current.extend(mock_current(&github, VERSIONS, std::slice::from_ref(v)).await);
    }
    let gone = github
        .mock_async(|when, then| {
            when.method(GET).path(format!("{VERSIONS}/3"));
            then.status(404)
                .header("content-type", "application/json")
                .body(r#"{"message":"Not Found"}"#);
        })
        .await;
    let mut deletes: Vec<(i64, Mock)> = Vec::new();
    for id in [1, 5] {
        deletes.push((id, mock_delete(&github, VERSIONS, id).await));
    }
    let other_deletes = mock_any_delete(&github).await;
    let client = client(&github.base_url(), TOKEN);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");

    let planned = plan_untagged(&client).await;
    assert_eq!(
        sorted(common::deletes(&planned.plan).into_iter().collect()),
        [1, 2, 3, 4, 5]
    );
    let outcome = execute(&client, &journal, &[&planned]).await;
    let package = &outcome.packages[0];
    assert_eq!(ids(&package.deleted), [1, 5]);
    let skipped: Vec<(i64, SkipReason)> = package
        .skipped
        .iter()
        .map(|s| (s.version.id, s.reason.clone()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                2,
                SkipReason::TagsChanged {
                    then: vec![],
                    now: vec!["v2".into()]
                }
            ),
            (3, SkipReason::NoLongerExists),
            (4, SkipReason::AlreadyDeleted),
        ]
    );
    assert!(package.failed.is_empty());
    assert_eq!(package.halt, None);
    assert!(!outcome.is_unfinished());
    for (id, mock) in &deletes {
        assert_eq!(mock.calls_async().await, 1, "DELETE of version {id}");
    }
    assert_eq!(
        other_deletes.calls_async().await,
        0,
        "a changed version was deleted"
    );
    assert_eq!(gone.calls_async().await, 1);

    assert_eq!(record_ids(&journal, "intent"), [1, 5]);
    assert_eq!(record_ids(&journal, "skipped"), [2, 3, 4]);
    // Undo ignores what was skipped.
    let pending: Vec<i64> = Journal::read(&journal)
        .unwrap()
        .pending()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(pending, [1, 5]);
}

/// A DELETE that answers 404 (its first attempt went through and only the
/// answer was lost, say) is "gone", not a failure, and undo still restores
/// it.
#[tokio::test]
async fn a_404_on_delete_is_gone_not_failed_and_undo_still_tries_it() {
    let github = serving(&untagged(3)).await;
    let _ok = [
        mock_delete(&github, VERSIONS, 1).await,
        mock_delete(&github, VERSIONS, 3).await,
    ];
    let lost = mock_delete_status(&github, VERSIONS, 2, 404).await;
    let client = client(&github.base_url(), TOKEN);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");

    let planned = plan_untagged(&client).await;
    let outcome = execute(&client, &journal, &[&planned]).await;
    let package = &outcome.packages[0];
    assert_eq!(ids(&package.deleted), [1, 3]);
    assert_eq!(ids(&package.gone), [2]);
    assert!(package.failed.is_empty());
    assert!(!outcome.is_unfinished());
    assert_eq!(lost.calls_async().await, 1);
    assert_eq!(record_ids(&journal, "gone"), [2]);
    assert_eq!(record_ids(&journal, "failed"), Vec::<i64>::new());

    // Undo restores it along with the others.
    let mut restores = Vec::new();
    for id in 1..=3 {
        restores.push(
            github
                .mock_async(|when, then| {
                    when.method(POST)
                        .path(format!("{VERSIONS}/{id}/restore"))
                        .header("authorization", format!("Bearer {TOKEN}"));
                    then.status(204);
                })
                .await,
        );
    }
    let report = restore(&client, &journal).await;
    assert_eq!(restored(&report), [1, 2, 3]);
    assert!(!report.is_unfinished());
    for mock in &restores {
        assert_eq!(mock.calls_async().await, 1);
    }
}

/// `n` untagged versions whose DELETEs GitHub refuses (422) with
/// `message(id)`, planned and run; the run's outcome, and how often each
/// DELETE was asked, by id.
async fn refused_run(
    n: i64,
    message: impl Fn(i64) -> String,
) -> (github_packages_retention::PackageOutcome, Vec<usize>) {
    let github = MockServer::start_async().await;
    let listed = untagged(n);
    mock_listing(&github, VERSIONS, &listed).await;
    mock_current(&github, VERSIONS, &listed).await;
    let mut refused = Vec::new();
    for id in 1..=n {
        let body = json!({ "message": message(id) });
        refused.push(
            github
                .mock_async(|when, then| {
                    when.method(DELETE).path(format!("{VERSIONS}/{id}"));
                    then.status(422)
                        .header("content-type", "application/json")
                        .json_body(body);
                })
                .await,
        );
    }
    let client = client(&github.base_url(), TOKEN);
    let planned = plan_untagged(&client).await;
    let mut outcome = delete_planned(&client, &[&planned]).await;
    assert!(outcome.is_unfinished());
    let mut calls = Vec::new();
    for mock in &refused {
        calls.push(mock.calls_async().await);
    }
    (outcome.packages.remove(0), calls)
}

fn failed_ids(package: &github_packages_retention::PackageOutcome) -> Vec<i64> {
    sorted(package.failed.iter().map(|f| f.version.id).collect())
}

/// The same failure five times in a row is not about the versions: the
/// package stops, and the rest are not attempted.
#[tokio::test]
async fn five_identical_failures_in_a_row_stop_the_prune() {
    let policy = |_| "Deletes are disabled by an organization policy".to_owned();
    let (package, calls) = refused_run(8, policy).await;
    assert_eq!(failed_ids(&package), [1, 2, 3, 4, 5]);
    assert_eq!(ids(&package.not_attempted), [6, 7, 8]);
    assert_eq!(package.halt, Some(Halt::Repeated { count: 5 }));
    assert_eq!(calls, [1, 1, 1, 1, 1, 0, 0, 0]);
}

/// Failures that differ are about the versions: every delete is tried.
#[tokio::test]
async fn different_failures_do_not_stop_the_prune() {
    let downloads = |id| format!("version {id} has too many downloads");
    let (package, calls) = refused_run(6, downloads).await;
    assert_eq!(failed_ids(&package), [1, 2, 3, 4, 5, 6]);
    assert_eq!(package.halt, None);
    assert!(package.not_attempted.is_empty());
    assert_eq!(calls, [1; 6]);
}

/// A package whose deletes fail on the server's side stops; the next
/// package of the run still goes ahead.
#[tokio::test]
async fn a_failing_package_does_not_stop_the_others() {
    let fake = Fake::start().await;
    let web = app_with_orphans(&fake, "app-web");
    app_with_orphans(&fake, "app-api");
    let broken = break_deletes(&fake, "app-api");
    let policy = Policy::default().untagged();
    let planner = fake.planner();
    let api = planner
        .plan(&acme(PackageType::Container, "app-api"), &policy, &Quiet)
        .await
        .unwrap();
    let web_plan = planner
        .plan(&acme(PackageType::Container, "app-web"), &policy, &Quiet)
        .await
        .unwrap();
    let dir = tempdir();
    let outcome = execute(
        &fake.client,
        &dir.path().join("j.jsonl"),
        &[&api, &web_plan],
    )
    .await;
    assert!(broken.hits() > 0);
    let [api_outcome, web_outcome] = outcome.packages.as_slice() else {
        panic!("two packages: {outcome:?}");
    };
    assert_eq!(api_outcome.target.name, "app-api");
    assert_eq!(api_outcome.halt, Some(Halt::Package));
    assert!(api_outcome.is_unfinished());
    assert_eq!(web_outcome.halt, None);
    assert_eq!(ids(&web_outcome.deleted), web);
    assert_eq!(fake.deleted("app-web"), web, "app-web went ahead");
    assert_eq!(fake.deleted("app-api"), Vec::<i64>::new());
}

/// Issue 9, item 9: rate-limit waits are bounded by time, not by a count of
/// five answers.
#[tokio::test]
async fn a_delete_waits_out_more_than_five_rate_limit_answers() {
    let fake = Fake::start().await;
    let package = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .image()
        .create()
        .unwrap();
    let id = package.versions[1].id;
    let path = format!("{VERSIONS}/{id}");
    let limited = fake
        .gh
        .fault("DELETE", &path)
        .times(6)
        .header("retry-after", "1")
        .respond(
            403,
            r#"{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest"}"#,
        )
        .unwrap();
    let client = builder(&fake.gh.url(), &fake.token)
        .max_rate_limit_wait(Duration::from_secs(30))
        .build()
        .unwrap();
    let planned = Planner::new(&client)
        .without_registry_check()
        .plan(&app(), &Policy::default().untagged(), &Quiet)
        .await
        .unwrap();
    let outcome = delete_planned(&client, &[&planned]).await;
    assert!(!outcome.is_unfinished(), "{outcome:?}");
    assert_eq!(limited.hits(), 6);
    assert_eq!(fake.deleted("app"), [id]);
}

/// Issue 9, item 10: a version is read again right before its DELETE, after
/// the write pacing, not before it.
#[tokio::test]
async fn the_check_before_a_delete_comes_after_the_pacing_wait() {
    let fake = Fake::start().await;
    let mut builder = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["latest"]);
    for _ in 0..3 {
        builder = builder.image();
    }
    let created = builder.create().unwrap();
    let paced = common::builder(&fake.gh.url(), &fake.token)
        .min_write_interval(Duration::from_secs(1))
        .build()
        .unwrap();
    let planned = Planner::new(&paced)
        .without_registry_check()
        .plan(&app(), &Policy::default().untagged(), &Quiet)
        .await
        .unwrap();
    let outcome = delete_planned(&paced, &[&planned]).await;
    assert!(!outcome.is_unfinished());
    let deleted = fake.gh.deleted_ids("acme", PackageType::Container, "app");
    assert_eq!(deleted.len(), 3);
    let log = fake.gh.requests();
    let single = |method: Method, id: i64| {
        let path = format!("{VERSIONS}/{id}");
        log.iter()
            .filter(|r| r.method == method && r.path == path)
            .map(|r| r.at)
            .collect::<Vec<_>>()
    };
    let mut order: Vec<i64> = created
        .ids()
        .into_iter()
        .filter(|id| deleted.contains(id))
        .collect();
    order.sort_by_key(|id| single(Method::DELETE, *id).first().copied());
    let mut previous_delete = None;
    for id in order {
        let (reads, deletes) = (single(Method::GET, id), single(Method::DELETE, id));
        assert_eq!((reads.len(), deletes.len()), (1, 1), "version {id}");
        let (read, delete) = (reads[0], deletes[0]);
        assert!(read <= delete);
        if let Some(previous) = previous_delete {
            // The pacing second lies between the previous DELETE and this
            // read, not between this read and its DELETE.
            let paced = read - previous;
            let checked = delete - read;
            assert!(paced >= chrono::TimeDelta::milliseconds(800), "{paced}");
            assert!(
                checked < paced,
                "read {checked} before its delete, paced {paced}"
            );
        }
        previous_delete = Some(delete);
    }
}
