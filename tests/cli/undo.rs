//! An interrupted prune leaves a journal; `undo` restores exactly what was
//! deleted, and a re-run of the prune with the same journal continues it.

use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

use crate::support::*;

/// Ten untagged versions, id 1 the oldest.
fn ten() -> Vec<Value> {
    (1..=10)
        .map(|id| version(id, hours_ago(1000 - id), &[]))
        .collect()
}

fn mock_restore(server: &MockServer, id: i64, status: u16) -> Mock<'_> {
    server.mock(|when, then| {
        when.method(POST)
            .path(format!("{VERSIONS}/{id}/restore"))
            .header("authorization", format!("Bearer {TOKEN}"));
        then.status(status)
            .header("content-type", "application/json")
            .body(if status == 204 {
                String::new()
            } else {
                json!({"message": "nothing to restore"}).to_string()
            });
    })
}

fn prune(server: &MockServer, dir: &std::path::Path, journal: &str) -> Run {
    ghpkg_in(
        dir,
        server,
        &[
            "--json",
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--untagged",
            "--yes",
            "--journal",
            journal,
        ],
    )
}

#[test]
fn an_interrupted_prune_is_undone_exactly() {
    let github = MockServer::start();
    let _listing = mock_listing(&github, VERSIONS, &ten());
    let _current = mock_current(&github, VERSIONS, &ten());
    // Deletes run oldest first: 1-4 succeed, 5 meets a server error and the
    // prune stops there.
    let ok: Vec<Mock> = (1..=4)
        .map(|id| mock_delete(&github, VERSIONS, id))
        .collect();
    let broken = mock_delete_status(&github, VERSIONS, 5, 500);
    let rest = mock_any_delete(&github);
    let dir = tempdir();
    let journal = dir.path().join("journal.jsonl");

    let run = prune(&github, dir.path(), path_str(&journal));
    run.expect(1);
    let report = run.json();
    assert_eq!(ids(&report["deleted"]), vec![1, 2, 3, 4]);
    assert_eq!(ids(&report["failed"]), vec![5]);
    assert_eq!(ids(&report["not_attempted"]), vec![6, 7, 8, 9, 10]);
    assert_eq!(report["journal"], path_str(&journal));
    assert!(
        run.stderr.contains("stopped after 4 of 10 deletes"),
        "{}",
        run.stderr
    );
    for mock in &ok {
        assert_eq!(mock.calls(), 1);
    }
    assert_eq!(broken.calls(), 1);
    assert_eq!(rest.calls(), 0);

    let records = journal_records(&journal);
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["record"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "header");
    assert_eq!(records[0]["package"], "app");
    assert_eq!(records[0]["owner"], "acme");
    assert_eq!(kinds.iter().filter(|k| **k == "intent").count(), 5);
    assert_eq!(kinds.iter().filter(|k| **k == "deleted").count(), 4);
    assert_eq!(kinds.iter().filter(|k| **k == "failed").count(), 1);

    // A dry run of undo lists the candidates and restores nothing.
    let restores: Vec<Mock> = (1..=4).map(|id| mock_restore(&github, id, 204)).collect();
    let never_deleted = mock_restore(&github, 5, 404);
    let others: Vec<Mock> = (6..=10).map(|id| mock_restore(&github, id, 204)).collect();
    let run = ghpkg_in(
        dir.path(),
        &github,
        &["--json", "undo", path_str(&journal), "--dry-run"],
    );
    run.expect(0);
    assert_eq!(ids(&run.json()["would_restore"]), vec![1, 2, 3, 4, 5]);
    assert!(restores.iter().all(|m| m.calls() == 0));

    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    let report = run.json();
    assert_eq!(ids(&report["restored"]), vec![1, 2, 3, 4]);
    assert_eq!(ids(&report["not_deleted"]), vec![5]);
    assert_eq!(report["failed"], json!([]));
    for mock in &restores {
        assert_eq!(mock.calls(), 1);
    }
    assert_eq!(never_deleted.calls(), 1);
    assert!(others.iter().all(|m| m.calls() == 0));

    // The restores are settled; the 404 for version 5 is not (it may only
    // mean the token cannot see it), so a second undo asks about it again
    // and nothing else.
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    let report = run.json();
    assert_eq!(report["restored"], json!([]));
    assert_eq!(ids(&report["not_deleted"]), vec![5]);
    for mock in &restores {
        assert_eq!(mock.calls(), 1);
    }
    assert_eq!(never_deleted.calls(), 2);
    let undone = journal_records(&journal)
        .iter()
        .filter(|r| r["record"] == "undone")
        .count();
    assert_eq!(undone, 4);
}

#[test]
fn a_rerun_with_the_same_journal_continues_and_undo_restores_all() {
    let github = MockServer::start();
    let mut listing = mock_listing(&github, VERSIONS, &ten());
    let _current = mock_current(&github, VERSIONS, &ten());
    let first: Vec<Mock> = (1..=3)
        .map(|id| mock_delete(&github, VERSIONS, id))
        .collect();
    let mut broken = mock_delete_status(&github, VERSIONS, 4, 503);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");

    prune(&github, dir.path(), path_str(&journal)).expect(1);
    assert!(first.iter().all(|m| m.calls() == 1));

    // GitHub recovers; deleted versions are no longer listed as active.
    broken.delete();
    for mock in &mut listing {
        mock.delete();
    }
    let remaining: Vec<Value> = ten().into_iter().skip(3).collect();
    let _listing = mock_listing(&github, VERSIONS, &remaining);
    let second: Vec<Mock> = (4..=10)
        .map(|id| mock_delete(&github, VERSIONS, id))
        .collect();
    let run = prune(&github, dir.path(), path_str(&journal));
    run.expect(0);
    assert_eq!(ids(&run.json()["deleted"]), (4..=10).collect::<Vec<_>>());
    assert!(
        first.iter().all(|m| m.calls() == 1),
        "nothing is deleted twice"
    );
    assert!(second.iter().all(|m| m.calls() == 1));
    let headers = journal_records(&journal)
        .iter()
        .filter(|r| r["record"] == "header")
        .count();
    assert_eq!(headers, 1, "the journal is continued, not restarted");

    let restores: Vec<Mock> = (1..=10).map(|id| mock_restore(&github, id, 204)).collect();
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), (1..=10).collect::<Vec<_>>());
    assert!(restores.iter().all(|m| m.calls() == 1));
}

#[test]
fn a_restore_that_fails_for_a_confirmed_delete_is_a_failure() {
    let github = MockServer::start();
    let _listing = mock_listing(&github, VERSIONS, &ten()[..2]);
    let _current = mock_current(&github, VERSIONS, &ten()[..2]);
    let _deletes: Vec<Mock> = (1..=2)
        .map(|id| mock_delete(&github, VERSIONS, id))
        .collect();
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&github, dir.path(), path_str(&journal)).expect(0);

    let _gone = mock_restore(&github, 1, 404);
    let _ok = mock_restore(&github, 2, 204);
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(1);
    let report = run.json();
    assert_eq!(ids(&report["failed"]), vec![1]);
    assert_eq!(ids(&report["restored"]), vec![2]);
    assert_eq!(report["not_deleted"], json!([]));
    assert!(
        run.stderr.contains("1 of 2 restores failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn undo_refuses_a_journal_written_for_another_api() {
    let github = MockServer::start();
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let header = json!({
        "record": "header", "owner_kind": "org", "owner": "acme", "package_type": "container",
        "package": "app", "api_url": "https://evil.example", "started_at": "2025-01-01T00:00:00Z"
    });
    let intent = json!({"record": "intent", "id": 1, "name": digest(1), "tags": [],
                        "at": "2025-01-01T00:00:00Z"});
    std::fs::write(&journal, format!("{header}\n{intent}\n")).unwrap();
    let unexpected = catch_all(&github);
    let run = ghpkg_in(dir.path(), &github, &["undo", path_str(&journal)]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("was written against https://evil.example"),
        "{}",
        run.stderr
    );
    assert_eq!(unexpected.calls(), 0);
}
