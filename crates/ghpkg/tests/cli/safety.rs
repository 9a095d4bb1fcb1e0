//! What keeps a real prune safe while it runs: versions that changed since
//! the plan are skipped, a 404 on DELETE is "gone" rather than a failure,
//! a systematic failure stops the prune early, a GitHub Enterprise Server
//! token is not sent to ghcr.io, and rate-limit waits are the user's call.

use httpmock::prelude::*;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

use crate::support::*;

/// `n` untagged versions, id 1 the oldest (so deleted first).
fn untagged(n: i64) -> Vec<Value> {
    (1..=n)
        .map(|id| version(id, hours_ago(1000 - id), &[]))
        .collect()
}

fn prune_untagged(server: &MockServer, dir: &std::path::Path, journal: &str) -> Run {
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

#[test]
fn versions_that_changed_since_the_plan_are_skipped_not_deleted() {
    let github = MockServer::start();
    let listed = untagged(5);
    let _listing = mock_listing(&github, VERSIONS, &listed);
    // Read again right before their deletes: 2 was tagged meanwhile, 3 is
    // gone, 4 was deleted by someone else; 1 and 5 are as listed.
    let mut now = listed.clone();
    now[1]["metadata"]["container"]["tags"] = json!(["v2"]);
    now[3]["deleted_at"] = json!(time(hours_ago(0)));
    let _current: Vec<Mock> = [&now[0], &now[1], &now[3], &now[4]]
        .into_iter()
        .map(|v| mock_current(&github, VERSIONS, std::slice::from_ref(v)).remove(0))
        .collect();
    let gone = github.mock(|when, then| {
        when.method(GET).path(format!("{VERSIONS}/3"));
        then.status(404)
            .header("content-type", "application/json")
            .body(r#"{"message":"Not Found"}"#);
    });
    let deletes: Vec<(i64, Mock)> = [1, 5]
        .into_iter()
        .map(|id| (id, mock_delete(&github, VERSIONS, id)))
        .collect();
    let other_deletes = mock_any_delete(&github);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");

    let run = prune_untagged(&github, dir.path(), path_str(&journal));
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(planned(&report, "delete"), vec![1, 2, 3, 4, 5]);
    assert_eq!(ids(&report["deleted"]), vec![1, 5]);
    assert_eq!(ids(&report["skipped"]), vec![2, 3, 4]);
    assert_eq!(report["failed"], json!([]));
    assert_eq!(report["error"], Value::Null);
    let reason = |id: i64| {
        report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(reason(2), "tags changed since the plan: - then, v2 now");
    assert!(reason(3).contains("no longer exists"), "{}", reason(3));
    assert_eq!(reason(4), "already deleted");
    for (id, mock) in &deletes {
        assert_eq!(mock.calls(), 1, "DELETE of version {id}");
    }
    assert_eq!(other_deletes.calls(), 0, "a changed version was deleted");
    assert_eq!(gone.calls(), 1);

    let records = journal_records(&journal);
    let of = |kind: &str| -> Vec<i64> {
        records
            .iter()
            .filter(|r| r["record"] == kind)
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(of("intent"), vec![1, 5]);
    assert_eq!(of("skipped"), vec![2, 3, 4]);

    // Undo ignores what was skipped.
    let run = ghpkg_in(
        dir.path(),
        &github,
        &["--json", "undo", path_str(&journal), "--dry-run"],
    );
    run.expect(0);
    assert_eq!(ids(&run.json()["would_restore"]), vec![1, 5]);

    // The human output lists them too.
    let journal2 = dir.path().join("j2.jsonl");
    let run = ghpkg_in(
        dir.path(),
        &github,
        &[
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--untagged",
            "--yes",
            "--journal",
            path_str(&journal2),
        ],
    );
    run.expect(0);
    let skipped: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("skipped"))
        .collect();
    assert_eq!(skipped.len(), 3, "{}", run.stdout);
    let two = skipped
        .iter()
        .find(|l| l.split_whitespace().nth(1) == Some("2"))
        .expect("a row for version 2");
    assert!(two.contains("tags changed"), "{}", run.stdout);
    // Reported once, in one format: not again on stderr.
    assert!(!run.stderr.contains("tags changed"), "{}", run.stderr);
}

#[test]
fn a_404_on_delete_is_gone_not_failed_and_undo_still_tries_it() {
    let github = MockServer::start();
    let listed = untagged(3);
    let _listing = mock_listing(&github, VERSIONS, &listed);
    let _current = mock_current(&github, VERSIONS, &listed);
    let _ok: Vec<Mock> = [1, 3]
        .into_iter()
        .map(|id| mock_delete(&github, VERSIONS, id))
        .collect();
    let lost = mock_delete_status(&github, VERSIONS, 2, 404);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");

    let run = prune_untagged(&github, dir.path(), path_str(&journal));
    run.expect(0);
    let report = run.prune_json();
    assert_eq!(ids(&report["deleted"]), vec![1, 3]);
    assert_eq!(ids(&report["gone"]), vec![2]);
    assert_eq!(report["failed"], json!([]));
    assert_eq!(lost.calls(), 1);
    let records = journal_records(&journal);
    let gone: Vec<&Value> = records.iter().filter(|r| r["record"] == "gone").collect();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0]["id"], 2);
    assert!(records.iter().all(|r| r["record"] != "failed"));

    // Undo restores it along with the others: the first DELETE did go
    // through, only its answer was lost.
    let restores: Vec<Mock> = (1..=3).map(|id| mock_restore(&github, id, 204)).collect();
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), vec![1, 2, 3]);
    assert!(restores.iter().all(|m| m.calls() == 1));
}

#[test]
fn a_gone_version_github_will_not_restore_is_reported_as_not_deleted() {
    let github = MockServer::start();
    let listed = untagged(1);
    let _listing = mock_listing(&github, VERSIONS, &listed);
    let _current = mock_current(&github, VERSIONS, &listed);
    let _lost = mock_delete_status(&github, VERSIONS, 1, 404);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune_untagged(&github, dir.path(), path_str(&journal)).expect(0);

    let restore = mock_restore(&github, 1, 404);
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    let report = run.json();
    assert_eq!(ids(&report["not_deleted"]), vec![1]);
    assert_eq!(report["failed"], json!([]));
    assert_eq!(restore.calls(), 1);
}

#[test]
fn five_identical_failures_in_a_row_stop_the_prune() {
    let github = MockServer::start();
    let listed = untagged(8);
    let _listing = mock_listing(&github, VERSIONS, &listed);
    let _current = mock_current(&github, VERSIONS, &listed);
    let refused: Vec<Mock> = (1..=8)
        .map(|id| {
            github.mock(|when, then| {
                when.method(DELETE).path(format!("{VERSIONS}/{id}"));
                then.status(422)
                    .header("content-type", "application/json")
                    .json_body(
                        json!({"message": "Deletes are disabled by an organization policy"}),
                    );
            })
        })
        .collect();
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");

    let run = prune_untagged(&github, dir.path(), path_str(&journal));
    run.expect(1);
    let report = run.prune_json();
    assert_eq!(ids(&report["failed"]), vec![1, 2, 3, 4, 5]);
    assert_eq!(ids(&report["not_attempted"]), vec![6, 7, 8]);
    let calls: Vec<usize> = refused.iter().map(Mock::calls).collect();
    assert_eq!(calls, vec![1, 1, 1, 1, 1, 0, 0, 0]);
    assert!(
        run.stderr
            .contains("5 deletes in a row failed the same way"),
        "{}",
        run.stderr
    );
}

#[test]
fn different_failures_do_not_stop_the_prune() {
    let github = MockServer::start();
    let listed = untagged(6);
    let _listing = mock_listing(&github, VERSIONS, &listed);
    let _current = mock_current(&github, VERSIONS, &listed);
    let refused: Vec<Mock> = (1..=6)
        .map(|id| {
            github.mock(|when, then| {
                when.method(DELETE).path(format!("{VERSIONS}/{id}"));
                then.status(422)
                    .header("content-type", "application/json")
                    .json_body(json!({"message": format!("version {id} has too many downloads")}));
            })
        })
        .collect();
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let run = prune_untagged(&github, dir.path(), path_str(&journal));
    run.expect(1);
    assert_eq!(ids(&run.prune_json()["failed"]), vec![1, 2, 3, 4, 5, 6]);
    assert!(refused.iter().all(|m| m.calls() == 1));
    assert!(
        run.stderr.contains("6 of 6 deletes failed"),
        "{}",
        run.stderr
    );
}

/// A tagged image (kept) and an untagged version: deleting the untagged one
/// needs the registry, to rule out that it belongs to the tagged one.
fn tagged_and_untagged() -> Vec<Value> {
    vec![
        version(1, hours_ago(1), &["latest".to_owned()]),
        version(2, hours_ago(2), &[]),
    ]
}

#[test]
fn with_another_api_url_the_registry_url_must_be_given() {
    let github = MockServer::start();
    let _listing = mock_listing(&github, VERSIONS, &tagged_and_untagged());
    let deletes = mock_any_delete(&github);
    let dir = tempdir();
    let args = [
        "--json",
        "prune",
        "container",
        "app",
        "--org",
        "acme",
        "--untagged",
    ];
    let run = ghpkg_in(dir.path(), &github, &args);
    run.expect(2);
    assert_eq!(run.stdout, "", "nothing is printed before the usage error");
    assert!(run.stderr.contains("--registry-url"), "{}", run.stderr);
    assert!(run.stderr.contains("containers."), "{}", run.stderr);
    assert!(
        run.stderr.contains("not sent to https://ghcr.io"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--no-registry-check"), "{}", run.stderr);

    // The explicit override works without a registry.
    let mut with_override = args.to_vec();
    with_override.push("--no-registry-check");
    let run = ghpkg_in(dir.path(), &github, &with_override);
    run.expect(0);
    assert_eq!(planned(&run.prune_json(), "delete"), vec![2]);

    // So does naming the registry.
    let registry = plain_registry();
    let mut with_registry = args.to_vec();
    let url = registry.base_url();
    with_registry.extend(["--registry-url", &url]);
    let run = ghpkg_in(dir.path(), &github, &with_registry);
    run.expect(0);
    assert_eq!(planned(&run.prune_json(), "delete"), vec![2]);
    assert_eq!(deletes.calls(), 0);
}

#[test]
fn a_prune_that_needs_no_registry_does_not_ask_for_one() {
    // Nothing is kept, so there is no image to protect.
    let github = MockServer::start();
    let _listing = mock_listing(&github, VERSIONS, &untagged(3));
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &github,
        &[
            "--json",
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--untagged",
        ],
    );
    run.expect(0);
    assert_eq!(planned(&run.prune_json(), "delete"), vec![1, 2, 3]);
}

#[test]
fn max_rate_limit_wait_is_passed_on_and_named_in_the_advice() {
    let github = MockServer::start();
    let limited = github.mock(|when, then| {
        when.method(GET).path("/orgs/acme/packages");
        then.status(429)
            .header("content-type", "application/json")
            .header("retry-after", "30")
            .json_body(json!({"message": "You have exceeded a secondary rate limit"}));
    });
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &github,
        &[
            "--max-rate-limit-wait",
            "0",
            "list",
            "--org",
            "acme",
            "--type",
            "container",
        ],
    );
    run.expect(1);
    assert_eq!(limited.calls(), 1, "a zero wait gives up at once");
    assert!(
        run.stderr.contains("--max-rate-limit-wait"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("builder"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("max_rate_limit_wait"),
        "{}",
        run.stderr
    );

    let run = ghpkg_raw(dir.path(), &["--help"]);
    run.expect(0);
    assert!(
        run.stdout.contains("--max-rate-limit-wait"),
        "{}",
        run.stdout
    );
    let run = ghpkg_raw(
        dir.path(),
        &["--max-rate-limit-wait", "soon", "list", "--me"],
    );
    run.expect(2);
}
