//! An interrupted run leaves a journal; undo restores exactly what was
//! deleted, a run continued with the same journal goes on where it stopped,
//! and what a crash cut short is skipped and named. Against the fake
//! GitHub: what was deleted and restored is the fake's record, and GitHub's
//! refusals are injected faults.

mod common;

use std::path::Path;

use github_packages::PackageType;
use github_packages_retention::journal::{Fragment, Journal, Record};
use github_packages_retention::undo::{self, Settled};
use github_packages_retention::{Error, Policy, Quiet, RunOutcome, Stop};
use reqwest::Method;
use serde_json::{Value, json};

use common::*;

/// Plans `untagged` for acme's `app` and deletes it into `journal`,
/// reporting to `observer`.
async fn prune_observed(
    fake: &Fake,
    journal: &Path,
    observer: &dyn github_packages_retention::Observer,
) -> RunOutcome {
    let planned = fake
        .planner()
        .plan(&app(), &Policy::default().untagged(), &Quiet)
        .await
        .expect("planned");
    assert_eq!(planned.problems, []);
    execute_observed(&fake.client, journal, &[&planned], observer).await
}

async fn prune(fake: &Fake, journal: &Path) -> RunOutcome {
    prune_observed(fake, journal, &Quiet).await
}

/// The ids the journal has pending: what an undo would restore.
fn pending(journal: &Path) -> Vec<i64> {
    Journal::read(journal)
        .unwrap()
        .pending()
        .iter()
        .map(|p| p.id)
        .collect()
}

/// How many restores of version `id` the fake was asked for.
fn restores_of(fake: &Fake, id: i64) -> usize {
    let path = format!("{VERSIONS}/{id}/restore");
    fake.gh
        .requests()
        .iter()
        .filter(|r| r.method == Method::POST && r.path == path)
        .count()
}

/// The `undone` records of a journal: id and outcome.
fn undone(journal: &Path) -> Vec<(i64, String)> {
    std::fs::read_to_string(journal)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["record"] == "undone")
        .map(|r| (r["id"].as_i64().unwrap(), r["outcome"].to_string()))
        .collect()
}

fn failed(report: &undo::UndoReport) -> Vec<i64> {
    settled(report, |s| matches!(s, Settled::Failed { .. }))
}

/// A run stopped by a server error is undone exactly: what was deleted is
/// restored, the version whose delete failed is asked about (and, as GitHub
/// may only be hiding it from the token, asked about again next time). The
/// journal of a one-package run names the package in every intent.
#[tokio::test]
async fn an_interrupted_prune_is_undone_exactly() {
    let fake = Fake::start().await;
    let app = untagged_app(&fake.gh, 10);
    // Deletes run oldest first: the fifth meets a server error and the
    // prune stops there.
    let _broken = refuse(&fake.gh, "DELETE", app[4], "", 500, "Server Error");
    let dir = tempdir();
    let journal = dir.path().join("journal.jsonl");

    let outcome = prune(&fake, &journal).await;
    assert!(outcome.is_unfinished());
    assert_eq!(fake.deleted("app"), app[..4]);
    let records = records(&journal);
    let Record::Header(header) = &records[0] else {
        panic!("the first record is {:?}", records[0]);
    };
    assert_eq!(header.package, "app");
    assert_eq!(header.owner.as_deref(), Some("acme"));
    let count = |kind: fn(&Record) -> bool| records.iter().filter(|r| kind(r)).count();
    assert_eq!(count(|r| matches!(r, Record::Intent { .. })), 5);
    assert_eq!(count(|r| matches!(r, Record::Deleted { .. })), 4);
    assert_eq!(count(|r| matches!(r, Record::Failed { .. })), 1);
    for record in &records {
        if let Record::Intent { package, .. } = record {
            assert_eq!(package.as_deref(), Some("app"), "{record:?}");
        }
    }
    // The token cannot see the fifth version: reading it answers 404.
    let _hidden = refuse(&fake.gh, "GET", app[4], "", 404, "Not Found");

    // The candidates, before anything is restored.
    assert_eq!(pending(&journal), app[..5]);
    assert_eq!(fake.restored("app"), Vec::<i64>::new());

    let report = restore(&fake.client, &journal).await;
    assert_eq!(restored(&report), app[..4]);
    let unsure = |s: &Settled| matches!(s, Settled::NotDeleted { certain: false });
    assert_eq!(settled(&report, unsure), [app[4]]);
    assert_eq!(failed(&report), Vec::<i64>::new());
    assert!(!report.is_unfinished());
    assert_eq!(fake.restored("app"), app[..4]);
    assert_eq!(restores_of(&fake, app[4]), 1);

    // The restores are settled; the 404s for the fifth are not (they may
    // only mean the token cannot see it), so a second undo asks about it
    // again and nothing else.
    let report = restore(&fake.client, &journal).await;
    assert_eq!(restored(&report), Vec::<i64>::new());
    assert_eq!(settled(&report, unsure), [app[4]]);
    assert_eq!(fake.restored("app"), app[..4]);
    assert_eq!(restores_of(&fake, app[4]), 2);
    assert_eq!(undone(&journal).len(), 4);
}

/// The same run again with the same journal continues it (one header, each
/// version deleted once, in order), and one undo restores both runs'
/// deletes.
#[tokio::test]
async fn a_rerun_with_the_same_journal_continues_and_undo_restores_all() {
    let fake = Fake::start().await;
    let app = untagged_app(&fake.gh, 10);
    let broken = refuse(&fake.gh, "DELETE", app[3], "", 503, "Service Unavailable");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    assert!(prune(&fake, &journal).await.is_unfinished());
    assert_eq!(fake.deleted("app"), app[..3]);

    broken.remove();
    assert!(!prune(&fake, &journal).await.is_unfinished());
    assert_eq!(
        fake.gh.deleted_ids("acme", PackageType::Container, "app"),
        app,
        "each version deleted once, in order"
    );
    let headers = records(&journal)
        .iter()
        .filter(|r| matches!(r, Record::Header(_)))
        .count();
    assert_eq!(headers, 1, "the journal is continued, not restarted");

    let report = restore(&fake.client, &journal).await;
    assert!(!report.is_unfinished());
    assert_eq!(restored(&report), app);
    assert_eq!(fake.restored("app"), app);
}

/// A confirmed delete that neither a restore nor a read finds is a failure,
/// and the others are still restored.
#[tokio::test]
async fn a_restore_that_fails_for_a_confirmed_delete_is_a_failure() {
    let fake = Fake::start().await;
    let app = untagged_app(&fake.gh, 2);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    assert!(!prune(&fake, &journal).await.is_unfinished());
    // Neither the restore nor a read finds the first version.
    let _gone = refuse(&fake.gh, "POST", app[0], "/restore", 404, "Not Found");

    let report = restore(&fake.client, &journal).await;
    assert!(report.is_unfinished());
    assert_eq!(failed(&report), [app[0]]);
    assert_eq!(restored(&report), [app[1]]);
    let (pending, settled) = &report.versions[0];
    assert!(pending.confirmed);
    assert!(
        matches!(settled, Settled::Failed { error, stops: false, .. } if error.is_not_found()),
        "{settled:?}"
    );
    assert_eq!(
        common::settled(&report, |s| matches!(
            s,
            Settled::NotDeleted { .. } | Settled::AlreadyActive
        )),
        Vec::<i64>::new()
    );
}

/// GitHub refusing a restore for a version that reading shows still
/// deleted is a failure, and nothing is recorded as settled.
#[tokio::test]
async fn a_restore_refused_for_a_version_still_deleted_is_a_failure() {
    let fake = Fake::start().await;
    let app = untagged_app(&fake.gh, 1);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    assert!(!prune(&fake, &journal).await.is_unfinished());

    let _refused = refuse(
        &fake.gh,
        "POST",
        app[0],
        "/restore",
        422,
        "Something else went wrong.",
    );
    // Unlike the fake, GitHub may show a deleted version when it is read.
    let still_deleted = fake
        .gh
        .versions("acme", PackageType::Container, "app")
        .into_iter()
        .find(|v| v.id == app[0])
        .expect("the deleted version");
    assert!(still_deleted.deleted_at.is_some());
    let body = serde_json::to_string(&still_deleted).unwrap();
    fake.gh
        .fault("GET", &format!("{VERSIONS}/{}", app[0]))
        .respond(200, body)
        .unwrap();
    let report = restore(&fake.client, &journal).await;
    assert!(report.is_unfinished());
    assert_eq!(failed(&report), [app[0]]);
    let settled = &report.versions[0].1;
    assert!(
        matches!(settled, Settled::Failed { error, stops: false, .. }
            if error.status().map(|s| s.as_u16()) == Some(422)),
        "{settled:?}"
    );
    assert_eq!(undone(&journal), Vec::<(i64, String)>::new());
}

/// A journal names the API its deletes went to; undo with a client for
/// another API refuses before sending anything.
#[tokio::test]
async fn undo_refuses_a_journal_written_for_another_api() {
    let fake = Fake::start().await;
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let header = json!({
        "record": "header", "owner_kind": "org", "owner": "acme", "package_type": "container",
        "package": "app", "api_url": "https://evil.example", "started_at": "2025-01-01T00:00:00Z"
    });
    let intent = json!({"record": "intent", "id": 1, "name": digest(1), "tags": [],
                        "at": "2025-01-01T00:00:00Z"});
    std::fs::write(&journal, format!("{header}\n{intent}\n")).unwrap();
    let read = Journal::read(&journal).unwrap();
    let refused = undo::restore(&fake.client, &journal, &read, &Quiet, &Stop::new()).await;
    assert!(
        matches!(&refused, Err(Error::OtherApi { recorded, .. }) if recorded == "https://evil.example"),
        "{refused:?}"
    );
    assert!(fake.gh.requests().is_empty());
}

/// Issue 9, item 2: the process died while writing a record (disk full, a
/// file size limit, power loss). The same run again continues on a line of
/// its own, and undo restores exactly what was deleted; both name the
/// fragment (its line and length).
#[tokio::test]
async fn a_journal_cut_inside_a_record_is_continued_and_undone_exactly() {
    let fake = Fake::start().await;
    let app = untagged_app(&fake.gh, 10);
    let broken = refuse(&fake.gh, "DELETE", app[4], "", 500, "Server Error");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    assert!(prune(&fake, &journal).await.is_unfinished());

    // The fourth DELETE went through; its `deleted` record was cut short
    // and nothing after it was written.
    let text = std::fs::read_to_string(&journal).unwrap();
    let start = text
        .find(&format!(r#"{{"record":"deleted","id":{},"#, app[3]))
        .expect("the deleted record of the fourth version");
    let end = start + text[start..].find('\n').unwrap();
    let cut = start + (end - start) / 2;
    std::fs::write(&journal, &text[..cut]).unwrap();
    let line = text[..start].lines().count() + 1;
    let fragment = Fragment {
        line,
        bytes: cut - start,
    };

    broken.remove();
    let fragments = Fragments::default();
    let rerun = prune_observed(&fake, &journal, &fragments).await;
    assert!(!rerun.is_unfinished());
    assert_eq!(fragments.seen(), [fragment]);
    assert_eq!(fake.deleted("app"), app, "each version deleted once");

    assert_eq!(Journal::read(&journal).unwrap().fragments, [fragment]);
    let report = restore(&fake.client, &journal).await;
    assert!(!report.is_unfinished());
    assert_eq!(restored(&report), app);
    assert_eq!(fake.restored("app"), app);
    // The fragment is kept on a line of its own; every other line is a
    // record.
    let after = std::fs::read_to_string(&journal).unwrap();
    assert!(after.starts_with(&text[..cut]));
    for (index, l) in after.lines().enumerate() {
        if index + 1 == line {
            assert_eq!(l, &text[start..cut]);
        } else {
            serde_json::from_str::<Value>(l)
                .unwrap_or_else(|e| panic!("line {}: {e}: {l}", index + 1));
        }
    }
}

/// A crash while the header was being written leaves no record at all: the
/// same run starts the journal again after the fragment.
#[tokio::test]
async fn a_journal_cut_inside_its_header_is_started_again() {
    let fake = Fake::start().await;
    let app = untagged_app(&fake.gh, 2);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    std::fs::write(&journal, r#"{"record":"header","owner_kind":"or"#).unwrap();

    let fragments = Fragments::default();
    assert!(
        !prune_observed(&fake, &journal, &fragments)
            .await
            .is_unfinished()
    );
    assert_eq!(fragments.seen(), [Fragment { line: 1, bytes: 35 }]);
    let report = restore(&fake.client, &journal).await;
    assert_eq!(restored(&report), app);
    assert_eq!(fake.restored("app"), app);
}

/// Issue 9, item 3: an undo killed after GitHub applied a restore but before
/// its record, and versions restored by hand, settle as already active; the
/// undo after that has nothing left to do and sends nothing.
#[tokio::test]
async fn versions_already_active_settle_and_the_next_undo_has_nothing_to_do() {
    let fake = Fake::start().await;
    let app = untagged_app(&fake.gh, 5);
    // GitHub refuses to delete the fifth.
    let _refused = refuse(&fake.gh, "DELETE", app[4], "", 422, "Unprocessable");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    assert!(prune(&fake, &journal).await.is_unfinished());
    assert_eq!(fake.deleted("app"), app[..4]);

    // The first undo restores 1-4 (the fifth was never deleted: the fake
    // answers 404, and reading it shows it active) and is killed while
    // writing the second version's record.
    let before = std::fs::read_to_string(&journal).unwrap();
    assert!(!restore(&fake.client, &journal).await.is_unfinished());
    assert_eq!(fake.restored("app"), app[..4]);
    let text = std::fs::read_to_string(&journal).unwrap();
    let start = before.len()
        + text[before.len()..]
            .find(&format!(r#"{{"record":"undone","id":{},"#, app[1]))
            .expect("the undone record of the second version");
    std::fs::write(&journal, &text[..start + 20]).unwrap();
    assert_eq!(undone(&journal), [(app[0], "\"restored\"".to_owned())]);

    // GitHub refuses to restore what is active: 422 or 404 (the fake's
    // answer).
    let not_deleted = "Package version is not deleted.";
    let _second = refuse(&fake.gh, "POST", app[1], "/restore", 422, not_deleted);
    let _fourth = refuse(&fake.gh, "POST", app[3], "/restore", 422, not_deleted);
    let report = restore(&fake.client, &journal).await;
    assert!(!report.is_unfinished());
    assert_eq!(restored(&report), Vec::<i64>::new());
    assert_eq!(
        settled(&report, |s| matches!(s, Settled::AlreadyActive)),
        app[1..4]
    );
    assert_eq!(
        settled(&report, |s| matches!(
            s,
            Settled::NotDeleted { certain: true }
        )),
        [app[4]]
    );
    assert_eq!(failed(&report), Vec::<i64>::new());
    let active = "\"already_active\"".to_owned();
    assert_eq!(
        undone(&journal),
        [
            (app[0], "\"restored\"".to_owned()),
            (app[1], active.clone()),
            (app[2], active.clone()),
            (app[3], active),
            (app[4], "\"not_deleted\"".to_owned()),
        ]
    );

    // Everything is settled: the next undo sends nothing.
    assert_eq!(pending(&journal), Vec::<i64>::new());
    let sent = fake.gh.requests().len();
    let report = restore(&fake.client, &journal).await;
    assert!(report.versions.is_empty() && report.not_attempted.is_empty());
    assert_eq!(fake.gh.requests().len(), sent);
}

/// A DELETE that answered 404 and a restore GitHub will not do, with the
/// version active when read: it was never deleted, and that is settled.
#[tokio::test]
async fn a_gone_version_github_will_not_restore_is_reported_as_not_deleted() {
    use httpmock::prelude::*;
    let github = serving(&untagged(1)).await;
    let _lost = mock_delete_status(&github, VERSIONS, 1, 404).await;
    let client = client(&github.base_url(), TOKEN);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let planned = github_packages_retention::Planner::new(&client)
        .without_registry_check()
        .plan(&app(), &Policy::default().untagged(), &Quiet)
        .await
        .unwrap();
    let outcome = execute(&client, &journal, &[&planned]).await;
    assert_eq!(ids(&outcome.packages[0].gone), [1]);

    let restore_mock = github
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{VERSIONS}/1/restore"))
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(404)
                .header("content-type", "application/json")
                .body(json!({"message": "nothing to restore"}).to_string());
        })
        .await;
    let report = restore(&client, &journal).await;
    assert!(!report.is_unfinished());
    assert_eq!(
        settled(&report, |s| matches!(s, Settled::NotDeleted { .. })),
        [1]
    );
    assert_eq!(failed(&report), Vec::<i64>::new());
    assert_eq!(restore_mock.calls_async().await, 1);
}

/// Several packages in one run share one journal, whose header names them
/// all and whose records each name their own; one undo restores all of
/// them.
#[tokio::test]
async fn several_packages_share_one_journal_and_one_undo() {
    let fake = Fake::start().await;
    let names = ["app-api", "app-web", "app-worker"];
    let mut orphans = Vec::new();
    let mut plans = Vec::new();
    for name in names {
        orphans.push(app_with_orphans(&fake, name));
        let target = acme(PackageType::Container, name);
        let planned = fake
            .planner()
            .plan(&target, &Policy::default().untagged(), &Quiet)
            .await
            .unwrap();
        plans.push(planned);
    }
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let plans: Vec<&_> = plans.iter().collect();
    assert!(
        !execute(&fake.client, &journal, &plans)
            .await
            .is_unfinished()
    );
    for (name, orphans) in names.iter().zip(&orphans) {
        assert_eq!(fake.deleted(name), *orphans, "{name}");
    }
    let Record::Header(header) = &records(&journal)[0] else {
        panic!("no header");
    };
    assert_eq!(header.packages, names);

    let report = restore(&fake.client, &journal).await;
    assert!(!report.is_unfinished());
    assert_eq!(report.versions.len(), 6);
    for (name, orphans) in names.iter().zip(&orphans) {
        assert_eq!(fake.restored(name), *orphans, "{name}");
    }
    for (pending, _) in &report.versions {
        assert!(names.contains(&pending.package.as_deref().unwrap_or_default()));
    }
}

/// A journal of several packages continued by a run over fewer of them
/// (the advice after a stop, once some packages are done) still undoes
/// exactly: every record names its package.
#[tokio::test]
async fn a_journal_continued_with_fewer_packages_undoes_exactly() {
    let fake = Fake::start().await;
    app_with_orphans(&fake, "app-a");
    let b = app_with_orphans(&fake, "app-b");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    // The first run stops in app-b: its deletes fail.
    let broken = break_deletes(&fake, "app-b");
    let plan = |name: &'static str| {
        let planner = fake.planner();
        async move {
            planner
                .plan(
                    &acme(PackageType::Container, name),
                    &Policy::default().untagged(),
                    &Quiet,
                )
                .await
                .unwrap()
        }
    };
    let (a_plan, b_plan) = (plan("app-a").await, plan("app-b").await);
    assert!(
        execute(&fake.client, &journal, &[&a_plan, &b_plan])
            .await
            .is_unfinished()
    );
    broken.remove();
    // Continued with app-b alone.
    let b_plan = plan("app-b").await;
    let mut header = header(&fake.client, &[&b_plan]);
    header.packages = vec!["app-b".into()];
    let outcome = github_packages_retention::Executor::new(&fake.client, Stop::new())
        .run(
            &header,
            &journal,
            vec![github_packages_retention::Work::of(&b_plan)],
            &Quiet,
        )
        .await
        .unwrap();
    assert!(!outcome.is_unfinished());
    assert_eq!(fake.deleted("app-b"), b);

    let report = restore(&fake.client, &journal).await;
    assert!(!report.is_unfinished());
    for name in ["app-a", "app-b"] {
        let deleted = fake.deleted(name);
        assert_eq!(fake.restored(name), deleted, "{name}");
        assert_eq!(deleted.len(), 2, "{name}");
    }
}
