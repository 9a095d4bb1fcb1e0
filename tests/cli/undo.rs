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

/// The versions of the org's `app` as a prune meets them: the first
/// `listed` of [`ten`], listed as active and each readable on its own; the
/// DELETEs of 1..=`ok` go through and the next one answers `status`.
struct Versions<'a> {
    server: &'a MockServer,
    listed: usize,
    ok: i64,
    listing: Vec<Mock<'a>>,
    current: Vec<Mock<'a>>,
    deleted: Vec<Mock<'a>>,
    broken: Mock<'a>,
}

impl<'a> Versions<'a> {
    fn serve(server: &'a MockServer, listed: usize, ok: i64, status: u16) -> Versions<'a> {
        let versions = &ten()[..listed];
        Versions {
            server,
            listed,
            ok,
            listing: mock_listing(server, VERSIONS, versions),
            current: mock_current(server, VERSIONS, versions),
            deleted: (1..=ok)
                .map(|id| mock_delete(server, VERSIONS, id))
                .collect(),
            broken: mock_delete_status(server, VERSIONS, ok + 1, status),
        }
    }

    /// From now on reading a version answers 404, as when the token cannot
    /// see it.
    fn hide(&mut self) {
        for mock in &mut self.current {
            mock.delete();
        }
    }

    /// GitHub recovers: the deleted versions are no longer listed as
    /// active and every other delete succeeds. Returns those deletes.
    fn recover(&mut self) -> Vec<Mock<'a>> {
        self.broken.delete();
        for mock in &mut self.listing {
            mock.delete();
        }
        let remaining = &ten()[self.ok as usize..self.listed];
        self.listing = mock_listing(self.server, VERSIONS, remaining);
        (self.ok + 1..=self.listed as i64)
            .map(|id| mock_delete(self.server, VERSIONS, id))
            .collect()
    }
}

fn mock_restore(server: &MockServer, id: i64, status: u16) -> Mock<'_> {
    mock_restore_saying(server, id, status, "nothing to restore")
}

/// A restore answering `status`, with GitHub's `message` unless 204.
fn mock_restore_saying<'a>(
    server: &'a MockServer,
    id: i64,
    status: u16,
    message: &str,
) -> Mock<'a> {
    let body = if status == 204 {
        String::new()
    } else {
        json!({ "message": message }).to_string()
    };
    server.mock(|when, then| {
        when.method(POST)
            .path(format!("{VERSIONS}/{id}/restore"))
            .header("authorization", format!("Bearer {TOKEN}"));
        then.status(status)
            .header("content-type", "application/json")
            .body(body);
    })
}

/// A prune that deletes every untagged version of the org's `app`.
const PRUNE: [&str; 7] = [
    "prune",
    "container",
    "app",
    "--org",
    "acme",
    "--untagged",
    "--yes",
];

/// [`PRUNE`] with `--json` and `--journal`.
fn prune(server: &MockServer, dir: &std::path::Path, journal: &str) -> Run {
    let mut args = vec!["--json"];
    args.extend(PRUNE);
    args.extend(["--journal", journal]);
    ghpkg_in(dir, server, &args)
}

#[test]
fn an_interrupted_prune_is_undone_exactly() {
    let github = MockServer::start();
    // Deletes run oldest first: 1-4 succeed, 5 meets a server error and the
    // prune stops there.
    let mut versions = Versions::serve(&github, 10, 4, 500);
    let rest = mock_any_delete(&github);
    let dir = tempdir();
    let journal = dir.path().join("journal.jsonl");

    let run = prune(&github, dir.path(), path_str(&journal));
    run.expect(1);
    let report = run.prune_json();
    assert_eq!(ids(&report["deleted"]), vec![1, 2, 3, 4]);
    assert_eq!(ids(&report["failed"]), vec![5]);
    assert_eq!(ids(&report["not_attempted"]), vec![6, 7, 8, 9, 10]);
    assert_eq!(report["journal"], path_str(&journal));
    assert!(
        run.stderr.contains("stopped after 4 of 10 deletes"),
        "{}",
        run.stderr
    );
    for mock in &versions.deleted {
        assert_eq!(mock.calls(), 1);
    }
    assert_eq!(versions.broken.calls(), 1);
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
    versions.hide();

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
    let mut versions = Versions::serve(&github, 10, 3, 503);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");

    prune(&github, dir.path(), path_str(&journal)).expect(1);
    assert!(versions.deleted.iter().all(|m| m.calls() == 1));

    let second = versions.recover();
    let run = prune(&github, dir.path(), path_str(&journal));
    run.expect(0);
    assert_eq!(
        ids(&run.prune_json()["deleted"]),
        (4..=10).collect::<Vec<_>>()
    );
    assert!(
        versions.deleted.iter().all(|m| m.calls() == 1),
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
    let mut versions = Versions::serve(&github, 2, 2, 500);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&github, dir.path(), path_str(&journal)).expect(0);
    // Neither the restore nor a read finds version 1.
    versions.hide();

    let _gone = mock_restore(&github, 1, 404);
    let _ok = mock_restore(&github, 2, 204);
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(1);
    let report = run.json();
    assert_eq!(ids(&report["failed"]), vec![1]);
    assert_eq!(ids(&report["restored"]), vec![2]);
    assert_eq!(report["not_deleted"], json!([]));
    assert_eq!(report["already_active"], json!([]));
    assert!(
        report["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("reading the version answered 404 too"),
        "{report}"
    );
    assert!(
        run.stderr.contains("1 of 2 restores failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_restore_refused_for_a_version_still_deleted_is_a_failure() {
    let github = MockServer::start();
    let mut versions = Versions::serve(&github, 1, 1, 500);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&github, dir.path(), path_str(&journal)).expect(0);

    versions.hide();
    let _refused = mock_restore_saying(&github, 1, 422, "Something else went wrong.");
    let _state = mock_version_state(&github, 1, true);
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(1);
    let report = run.json();
    assert_eq!(ids(&report["failed"]), vec![1]);
    assert!(
        report["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("reading the version shows it still deleted"),
        "{report}"
    );
    assert_eq!(undone(&journal), Vec::<(i64, String)>::new());
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

/// `GET` of version `id` on its own, answering it active or deleted.
fn mock_version_state(server: &MockServer, id: i64, deleted: bool) -> Mock<'_> {
    let mut body = version(id, hours_ago(1000 - id), &[]);
    if deleted {
        body["deleted_at"] = json!(time(hours_ago(1)));
    }
    server.mock(|when, then| {
        when.method(GET)
            .path(format!("{VERSIONS}/{id}"))
            .header("authorization", format!("Bearer {TOKEN}"));
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    })
}

/// The `undone` records of a journal: id and outcome.
fn undone(journal: &std::path::Path) -> Vec<(i64, String)> {
    std::fs::read_to_string(journal)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["record"] == "undone")
        .map(|r| (r["id"].as_i64().unwrap(), r["outcome"].to_string()))
        .collect()
}

/// `program` with the token as its only setting: no `--api-url` and no
/// GITHUB_API_URL, as a user who just installed ghpkg would run it.
fn bare(program: &str) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    command
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("GHPKG_RESTORE_TOKEN")
        .stdin(std::process::Stdio::null());
    command
}

fn run_in(dir: &std::path::Path, mut command: std::process::Command) -> Run {
    let output = command.current_dir(dir).output().expect("the command runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `ghpkg` run [`bare`], with `env` added.
fn ghpkg_plain(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = bare(env!("CARGO_BIN_EXE_ghpkg"));
    command.args(args).envs(env.iter().copied());
    run_in(dir, command)
}

/// The first `ghpkg undo ...` command in backquotes in `stderr`.
fn printed_undo(stderr: &str) -> String {
    let start = stderr
        .find("`ghpkg undo ")
        .unwrap_or_else(|| panic!("no undo command printed:\n{stderr}"));
    let rest = &stderr[start + 1..];
    rest[..rest.find('`').expect("closing backquote")].to_owned()
}

/// Runs `command` as a user would paste it: through `sh`, [`bare`], with
/// the `ghpkg` under test first on PATH.
fn run_as_printed(dir: &std::path::Path, command: &str) -> Run {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_ghpkg"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut sh = bare("sh");
    sh.args(["-c", command]).env("PATH", path);
    run_in(dir, sh)
}

/// Issue 9, item 2: the process died while writing a record (disk full, a
/// file size limit, power loss). The same command again continues on a
/// line of its own, and undo restores exactly what was deleted.
#[test]
fn a_journal_cut_inside_a_record_is_continued_and_undone_exactly() {
    let github = MockServer::start();
    let mut versions = Versions::serve(&github, 10, 4, 500);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&github, dir.path(), path_str(&journal)).expect(1);

    // Version 4's DELETE went through; its `deleted` record was cut short
    // and nothing after it was written.
    let text = std::fs::read_to_string(&journal).unwrap();
    let start = text
        .find(r#"{"record":"deleted","id":4,"#)
        .expect("the deleted record of version 4");
    let end = start + text[start..].find('\n').unwrap();
    let cut = start + (end - start) / 2;
    std::fs::write(&journal, &text[..cut]).unwrap();
    let line = text[..start].lines().count() + 1;
    let warning = format!("line {line}: skipped {} bytes", cut - start);

    let second = versions.recover();
    let rerun = prune(&github, dir.path(), path_str(&journal));
    rerun.expect(0);
    assert_eq!(
        ids(&rerun.prune_json()["deleted"]),
        (5..=10).collect::<Vec<_>>()
    );
    assert!(
        versions
            .deleted
            .iter()
            .chain(&second)
            .all(|m| m.calls() == 1)
    );

    let restores: Vec<Mock> = (1..=10).map(|id| mock_restore(&github, id, 204)).collect();
    let unexpected = catch_all(&github);
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), (1..=10).collect::<Vec<_>>());
    assert!(restores.iter().all(|m| m.calls() == 1));
    assert_eq!(unexpected.calls(), 0);
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

    // Both runs named the fragment.
    assert!(rerun.stderr.contains(&warning), "{}", rerun.stderr);
    assert!(run.stderr.contains(&warning), "{}", run.stderr);
}

/// A crash while the header was being written leaves no record at all: the
/// same command starts the journal again after the fragment.
#[test]
fn a_journal_cut_inside_its_header_is_started_again() {
    let github = MockServer::start();
    let _versions = Versions::serve(&github, 2, 2, 500);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    std::fs::write(&journal, r#"{"record":"header","owner_kind":"or"#).unwrap();

    let run = prune(&github, dir.path(), path_str(&journal));
    run.expect(0);
    assert!(
        run.stderr.contains("line 1: skipped 35 bytes"),
        "{}",
        run.stderr
    );
    let restores: Vec<Mock> = (1..=2).map(|id| mock_restore(&github, id, 204)).collect();
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), vec![1, 2]);
    assert!(restores.iter().all(|m| m.calls() == 1));
}

/// Issue 9, item 3: an undo killed after GitHub applied a restore but before
/// its record, and versions restored by hand, settle as already active; the
/// undo after that has nothing left to do.
#[test]
fn versions_already_active_settle_and_the_next_undo_has_nothing_to_do() {
    let github = MockServer::start();
    // GitHub refuses to delete 5; reading any version shows it active,
    // from the prune on.
    let _versions = Versions::serve(&github, 5, 4, 422);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&github, dir.path(), path_str(&journal)).expect(1);

    // The first undo restores 1-4 (5 was never deleted: 404, and reading it
    // shows it active) and is killed while writing version 2's record.
    let mut restores: Vec<Mock> = (1..=4).map(|id| mock_restore(&github, id, 204)).collect();
    restores.push(mock_restore(&github, 5, 404));
    let before = std::fs::read_to_string(&journal).unwrap();
    ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]).expect(0);
    let text = std::fs::read_to_string(&journal).unwrap();
    let start = before.len()
        + text[before.len()..]
            .find(r#"{"record":"undone","id":2,"#)
            .expect("the undone record of version 2");
    std::fs::write(&journal, &text[..start + 20]).unwrap();
    assert_eq!(undone(&journal), vec![(1, "\"restored\"".to_owned())]);

    // GitHub now refuses to restore what is active: 422 or 404.
    for mock in &mut restores {
        mock.delete();
    }
    let not_deleted = "Package version is not deleted.";
    let second = [
        mock_restore_saying(&github, 2, 422, not_deleted),
        mock_restore_saying(&github, 3, 404, "Not Found"),
        mock_restore_saying(&github, 4, 422, not_deleted),
        mock_restore_saying(&github, 5, 404, "Not Found"),
    ];
    let unexpected = catch_all(&github);
    let run = ghpkg_in(dir.path(), &github, &["--json", "undo", path_str(&journal)]);
    run.expect(0);
    let report = run.json();
    assert_eq!(report["restored"], json!([]));
    assert_eq!(ids(&report["already_active"]), vec![2, 3, 4]);
    assert_eq!(ids(&report["not_deleted"]), vec![5]);
    assert_eq!(report["failed"], json!([]));
    assert!(second.iter().all(|m| m.calls() == 1));
    let active = "\"already_active\"".to_owned();
    assert_eq!(
        undone(&journal),
        vec![
            (1, "\"restored\"".to_owned()),
            (2, active.clone()),
            (3, active.clone()),
            (4, active),
            (5, "\"not_deleted\"".to_owned()),
        ]
    );

    // Everything is settled: the next undo sends nothing.
    let run = ghpkg_in(dir.path(), &github, &["undo", path_str(&journal)]);
    run.expect(0);
    assert!(
        run.stdout
            .contains("nothing to restore: every version the journal records is settled"),
        "{}",
        run.stdout
    );
    assert!(second.iter().all(|m| m.calls() == 1));
    assert_eq!(unexpected.calls(), 0);
}

/// Issue 9, item 4: the undo commands ghpkg prints (after a stopped prune,
/// after an undo that left failures) work as printed against an API other
/// than GitHub.com's, with no --api-url: the journal's header names it.
#[test]
fn the_undo_commands_ghpkg_prints_work_as_printed() {
    let github = MockServer::start();
    let mut versions = Versions::serve(&github, 3, 2, 500);
    let dir = tempdir();
    // No --journal: the default name, in the current directory.
    let run = ghpkg_in(dir.path(), &github, &PRUNE);
    run.expect(1);
    let command = printed_undo(&run.stderr);
    versions.hide();

    // Version 2 cannot be restored yet; 3 was never deleted.
    let _one = mock_restore(&github, 1, 204);
    let mut two = mock_restore_saying(&github, 2, 422, "Try again later.");
    let mut two_state = mock_version_state(&github, 2, true);
    let _three = mock_restore(&github, 3, 404);
    let run = run_as_printed(dir.path(), &command);
    run.expect(1);
    let origin = format!("using the journal's API, {}", github.base_url());
    assert!(run.stderr.contains(&origin), "{}", run.stderr);
    assert!(
        run.stdout.contains("restored 1 of 3 versions"),
        "{}",
        run.stdout
    );
    let again = printed_undo(&run.stderr);
    assert_eq!(again, command);

    two.delete();
    two_state.delete();
    let two = mock_restore(&github, 2, 204);
    let run = run_as_printed(dir.path(), &again);
    run.expect(0);
    assert!(
        run.stdout.contains("restored 1 of 2 versions"),
        "{}",
        run.stdout
    );
    assert_eq!(two.calls(), 1);
}

/// An explicit --api-url, or GITHUB_API_URL (which says where the token in
/// the environment belongs), must match the journal's; only clap's default
/// gives way to it.
#[test]
fn an_api_url_given_must_match_the_journals() {
    let github = MockServer::start();
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let header = json!({
        "record": "header", "owner_kind": "org", "owner": "acme", "package_type": "container",
        "package": "app", "api_url": github.base_url(), "started_at": "2025-01-01T00:00:00Z"
    });
    let at = "2025-01-01T00:00:00Z";
    let intent = json!({"record": "intent", "id": 1, "name": digest(1), "tags": [], "at": at});
    let deleted = json!({"record": "deleted", "id": 1, "at": at});
    std::fs::write(&journal, format!("{header}\n{intent}\n{deleted}\n")).unwrap();
    let restore = mock_restore(&github, 1, 204);
    let unexpected = catch_all(&github);
    let j = path_str(&journal);
    let dotcom = "https://api.github.com";
    let quick = ["--write-interval", "0"];

    let run = ghpkg_plain(dir.path(), &["undo", j], &[("GITHUB_API_URL", dotcom)]);
    run.expect(2);
    let advice = format!(
        "GITHUB_API_URL is {dotcom}; if you trust the journal with your token, pass --api-url {}",
        github.base_url()
    );
    assert!(run.stderr.contains(&advice), "{}", run.stderr);

    let run = ghpkg_plain(dir.path(), &["undo", j, "--api-url", dotcom], &[]);
    run.expect(2);
    assert!(
        run.stderr.contains(&format!("but --api-url is {dotcom}")),
        "{}",
        run.stderr
    );
    assert_eq!(restore.calls() + unexpected.calls(), 0);

    let base = github.base_url();
    for same in [format!("{base}/"), String::new()] {
        let run = ghpkg_plain(
            dir.path(),
            &["--json", "undo", j, "--dry-run"],
            &[("GITHUB_API_URL", &same)],
        );
        run.expect(0);
        assert_eq!(ids(&run.json()["would_restore"]), vec![1]);
    }

    let mut args = quick.to_vec();
    args.extend(["--json", "--api-url", &base, "undo", j]);
    let run = ghpkg_plain(dir.path(), &args, &[("GITHUB_API_URL", dotcom)]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), vec![1]);
    assert_eq!(restore.calls(), 1);
    assert_eq!(unexpected.calls(), 0);
}
