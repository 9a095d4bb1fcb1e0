//! An interrupted prune leaves a journal; `undo` restores exactly what was
//! deleted, and a re-run of the prune with the same journal continues it.
//! Against the fake GitHub: what was deleted and restored is the fake's
//! record, and GitHub's refusals are injected faults.

use std::path::Path;

use github_packages::PackageType;
use github_packages::fake::{FaultHandle, Owner};
use http::Method;
use serde_json::{Value, json};

use crate::fakes::Fake;
use crate::support::*;

/// acme's container `app`: `n` untagged images, oldest first, and a newer
/// one tagged `latest` that an `--untagged` prune keeps. The untagged ids,
/// oldest first (the order a prune deletes them in).
fn untagged_app(fake: &Fake, n: usize) -> Vec<i64> {
    let mut builder = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app");
    for i in 0..n {
        let created = hours_ago(1000 - i as i64);
        builder = builder.image().created_at(created).package();
    }
    let app = builder.image().tags(["latest"]).create().unwrap();
    app.versions[..n].iter().map(|v| v.id).collect()
}

/// The fake answers `method` on version `id` (`suffix`: "" or "/restore")
/// with `status` and GitHub's `message`, every time.
fn refuse(
    fake: &Fake,
    method: &str,
    id: i64,
    suffix: &str,
    status: u16,
    message: &str,
) -> FaultHandle {
    let body = json!({ "message": message }).to_string();
    fake.gh
        .fault(method, &format!("{VERSIONS}/{id}{suffix}"))
        .respond(status, body)
        .unwrap()
}

/// A prune that deletes every untagged version of the org's `app`.
fn prune_args(registry: &str) -> Vec<&str> {
    let mut args = vec!["prune", "container", "app", "--org", "acme", "--untagged"];
    args.extend(["--registry-url", registry, "--yes"]);
    args
}

/// [`prune_args`] with `--json` and `--journal`.
fn prune(fake: &Fake, dir: &Path, journal: &str) -> Run {
    let registry = fake.url();
    let mut args = vec!["--json"];
    args.extend(prune_args(&registry));
    args.extend(["--journal", journal]);
    fake.ghpkg(dir, &args)
}

/// `ghpkg --json undo JOURNAL ARGS`.
fn undo(fake: &Fake, dir: &Path, journal: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--json", "undo", path_str(journal)];
    all.extend_from_slice(args);
    fake.ghpkg(dir, &all)
}

fn deleted(fake: &Fake) -> Vec<i64> {
    fake.gh.deleted_ids("acme", PackageType::Container, "app")
}

fn restored(fake: &Fake) -> Vec<i64> {
    let mut restored = fake.gh.restored_ids("acme", PackageType::Container, "app");
    restored.sort();
    restored
}

/// How many restores of version `id` the fake was asked for.
fn restores_of(fake: &Fake, id: i64) -> usize {
    let path = format!("{VERSIONS}/{id}/restore");
    let log = fake.gh.requests();
    log.iter()
        .filter(|r| r.method == Method::POST && r.path == path)
        .count()
}

#[test]
fn an_interrupted_prune_is_undone_exactly() {
    let fake = Fake::start();
    let app = untagged_app(&fake, 10);
    // Deletes run oldest first: the fifth meets a server error and the
    // prune stops there.
    let _broken = refuse(&fake, "DELETE", app[4], "", 500, "Server Error");
    let dir = tempdir();
    let journal = dir.path().join("journal.jsonl");

    prune(&fake, dir.path(), path_str(&journal)).expect(1);
    assert_eq!(deleted(&fake), app[..4]);
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
    // The token cannot see the fifth version: reading it answers 404.
    let _hidden = refuse(&fake, "GET", app[4], "", 404, "Not Found");

    // A dry run of undo lists the candidates and restores nothing.
    let run = undo(&fake, dir.path(), &journal, &["--dry-run"]);
    run.expect(0);
    assert_eq!(ids(&run.json()["would_restore"]), app[..5]);
    assert!(restored(&fake).is_empty());

    let run = undo(&fake, dir.path(), &journal, &[]);
    run.expect(0);
    let report = run.json();
    assert_eq!(ids(&report["restored"]), app[..4]);
    assert_eq!(ids(&report["not_deleted"]), [app[4]]);
    assert_eq!(report["failed"], json!([]));
    assert_eq!(restored(&fake), app[..4]);
    assert_eq!(restores_of(&fake, app[4]), 1);

    // The restores are settled; the 404s for the fifth are not (they may
    // only mean the token cannot see it), so a second undo asks about it
    // again and nothing else.
    let run = undo(&fake, dir.path(), &journal, &[]);
    run.expect(0);
    let report = run.json();
    assert_eq!(report["restored"], json!([]));
    assert_eq!(ids(&report["not_deleted"]), [app[4]]);
    assert_eq!(restored(&fake), app[..4]);
    assert_eq!(restores_of(&fake, app[4]), 2);
    assert_eq!(undone(&journal).len(), 4);
}

#[test]
fn a_rerun_with_the_same_journal_continues_and_undo_restores_all() {
    let fake = Fake::start();
    let app = untagged_app(&fake, 10);
    let broken = refuse(&fake, "DELETE", app[3], "", 503, "Service Unavailable");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&fake, dir.path(), path_str(&journal)).expect(1);
    assert_eq!(deleted(&fake), app[..3]);

    broken.remove();
    prune(&fake, dir.path(), path_str(&journal)).expect(0);
    assert_eq!(deleted(&fake), app, "each version deleted once, in order");
    let headers = journal_records(&journal)
        .iter()
        .filter(|r| r["record"] == "header")
        .count();
    assert_eq!(headers, 1, "the journal is continued, not restarted");

    let run = undo(&fake, dir.path(), &journal, &[]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), app);
    assert_eq!(restored(&fake), app);
}

#[test]
fn a_restore_that_fails_for_a_confirmed_delete_is_a_failure() {
    let fake = Fake::start();
    let app = untagged_app(&fake, 2);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&fake, dir.path(), path_str(&journal)).expect(0);
    // Neither the restore nor a read finds the first version.
    let _gone = refuse(&fake, "POST", app[0], "/restore", 404, "Not Found");

    let run = undo(&fake, dir.path(), &journal, &[]);
    run.expect(1);
    let report = run.json();
    assert_eq!(ids(&report["failed"]), [app[0]]);
    assert_eq!(ids(&report["restored"]), [app[1]]);
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
    let fake = Fake::start();
    let app = untagged_app(&fake, 1);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&fake, dir.path(), path_str(&journal)).expect(0);

    let _refused = refuse(
        &fake,
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
    let run = undo(&fake, dir.path(), &journal, &[]);
    run.expect(1);
    let report = run.json();
    assert_eq!(ids(&report["failed"]), [app[0]]);
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
    let fake = Fake::start();
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let header = json!({
        "record": "header", "owner_kind": "org", "owner": "acme", "package_type": "container",
        "package": "app", "api_url": "https://evil.example", "started_at": "2025-01-01T00:00:00Z"
    });
    let intent = json!({"record": "intent", "id": 1, "name": digest(1), "tags": [],
                        "at": "2025-01-01T00:00:00Z"});
    std::fs::write(&journal, format!("{header}\n{intent}\n")).unwrap();
    let run = fake.ghpkg(dir.path(), &["undo", path_str(&journal)]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("was written against https://evil.example"),
        "{}",
        run.stderr
    );
    assert!(fake.gh.requests().is_empty());
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

/// `program` with the token as its only setting: no `--api-url` and no
/// GITHUB_API_URL, as a user who just installed ghpkg would run it.
fn bare(program: &str, token: &str) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    command
        .env("GITHUB_TOKEN", token)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("GHPKG_RESTORE_TOKEN")
        .stdin(std::process::Stdio::null());
    command
}

fn run_in(dir: &Path, mut command: std::process::Command) -> Run {
    let output = command.current_dir(dir).output().expect("the command runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `ghpkg` run [`bare`] with the fake's token, with `env` added.
fn ghpkg_plain(fake: &Fake, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = bare(env!("CARGO_BIN_EXE_ghpkg"), &fake.token);
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
fn run_as_printed(fake: &Fake, dir: &Path, command: &str) -> Run {
    let bin = Path::new(env!("CARGO_BIN_EXE_ghpkg"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut sh = bare("sh", &fake.token);
    sh.args(["-c", command]).env("PATH", path);
    run_in(dir, sh)
}

/// Issue 9, item 2: the process died while writing a record (disk full, a
/// file size limit, power loss). The same command again continues on a
/// line of its own, and undo restores exactly what was deleted.
#[test]
fn a_journal_cut_inside_a_record_is_continued_and_undone_exactly() {
    let fake = Fake::start();
    let app = untagged_app(&fake, 10);
    let broken = refuse(&fake, "DELETE", app[4], "", 500, "Server Error");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&fake, dir.path(), path_str(&journal)).expect(1);

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
    let warning = format!("line {line}: skipped {} bytes", cut - start);

    broken.remove();
    let rerun = prune(&fake, dir.path(), path_str(&journal));
    rerun.expect(0);
    assert_eq!(deleted(&fake), app, "each version deleted once");

    let run = undo(&fake, dir.path(), &journal, &[]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), app);
    assert_eq!(restored(&fake), app);
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
    let fake = Fake::start();
    let app = untagged_app(&fake, 2);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    std::fs::write(&journal, r#"{"record":"header","owner_kind":"or"#).unwrap();

    let run = prune(&fake, dir.path(), path_str(&journal));
    run.expect(0);
    assert!(
        run.stderr.contains("line 1: skipped 35 bytes"),
        "{}",
        run.stderr
    );
    let run = undo(&fake, dir.path(), &journal, &[]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), app);
    assert_eq!(restored(&fake), app);
}

/// Issue 9, item 3: an undo killed after GitHub applied a restore but before
/// its record, and versions restored by hand, settle as already active; the
/// undo after that has nothing left to do.
#[test]
fn versions_already_active_settle_and_the_next_undo_has_nothing_to_do() {
    let fake = Fake::start();
    let app = untagged_app(&fake, 5);
    // GitHub refuses to delete the fifth.
    let _refused = refuse(&fake, "DELETE", app[4], "", 422, "Unprocessable");
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&fake, dir.path(), path_str(&journal)).expect(1);
    assert_eq!(deleted(&fake), app[..4]);

    // The first undo restores 1-4 (the fifth was never deleted: the fake
    // answers 404, and reading it shows it active) and is killed while
    // writing the second version's record.
    let before = std::fs::read_to_string(&journal).unwrap();
    undo(&fake, dir.path(), &journal, &[]).expect(0);
    assert_eq!(restored(&fake), app[..4]);
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
    let _second = refuse(&fake, "POST", app[1], "/restore", 422, not_deleted);
    let _fourth = refuse(&fake, "POST", app[3], "/restore", 422, not_deleted);
    let run = undo(&fake, dir.path(), &journal, &[]);
    run.expect(0);
    let report = run.json();
    assert_eq!(report["restored"], json!([]));
    assert_eq!(ids(&report["already_active"]), app[1..4]);
    assert_eq!(ids(&report["not_deleted"]), [app[4]]);
    assert_eq!(report["failed"], json!([]));
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
    let sent = fake.gh.requests().len();
    let run = fake.ghpkg(dir.path(), &["undo", path_str(&journal)]);
    run.expect(0);
    assert!(
        run.stdout
            .contains("nothing to restore: every version the journal records is settled"),
        "{}",
        run.stdout
    );
    assert_eq!(fake.gh.requests().len(), sent);
}

/// Issue 9, item 4: the undo commands ghpkg prints (after a stopped prune,
/// after an undo that left failures) work as printed against an API other
/// than GitHub.com's, with no --api-url: the journal's header names it.
#[test]
fn the_undo_commands_ghpkg_prints_work_as_printed() {
    let fake = Fake::start();
    let app = untagged_app(&fake, 3);
    let _broken = refuse(&fake, "DELETE", app[2], "", 500, "Server Error");
    let dir = tempdir();
    // No --journal: the default name, in the current directory.
    let registry = fake.url();
    let run = fake.ghpkg(dir.path(), &prune_args(&registry));
    run.expect(1);
    let command = printed_undo(&run.stderr);

    // The second version cannot be restored yet; the third was never
    // deleted.
    let later = refuse(&fake, "POST", app[1], "/restore", 422, "Try again later.");
    let run = run_as_printed(&fake, dir.path(), &command);
    run.expect(1);
    let origin = format!("using the journal's API, {}", fake.url());
    assert!(run.stderr.contains(&origin), "{}", run.stderr);
    assert!(
        run.stdout.contains("restored 1 of 3 versions"),
        "{}",
        run.stdout
    );
    let again = printed_undo(&run.stderr);
    assert_eq!(again, command);

    // The third is settled (the fake shows it active); only the second is
    // left.
    later.remove();
    let run = run_as_printed(&fake, dir.path(), &again);
    run.expect(0);
    assert!(
        run.stdout.contains("restored 1 of 1 version"),
        "{}",
        run.stdout
    );
    assert_eq!(restored(&fake), app[..2]);
}

/// An explicit --api-url, or GITHUB_API_URL (which says where the token in
/// the environment belongs), must match the journal's; only clap's default
/// gives way to it.
#[test]
fn an_api_url_given_must_match_the_journals() {
    let fake = Fake::start();
    let app = untagged_app(&fake, 1);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    prune(&fake, dir.path(), path_str(&journal)).expect(0);
    let j = path_str(&journal);
    let dotcom = "https://api.github.com";
    let base = fake.url();
    let sent = fake.gh.requests().len();

    let run = ghpkg_plain(
        &fake,
        dir.path(),
        &["undo", j],
        &[("GITHUB_API_URL", dotcom)],
    );
    run.expect(2);
    let advice = format!(
        "GITHUB_API_URL is {dotcom}; if you trust the journal with your token, pass --api-url {base}"
    );
    assert!(run.stderr.contains(&advice), "{}", run.stderr);

    let run = ghpkg_plain(&fake, dir.path(), &["undo", j, "--api-url", dotcom], &[]);
    run.expect(2);
    assert!(
        run.stderr.contains(&format!("but --api-url is {dotcom}")),
        "{}",
        run.stderr
    );
    assert_eq!(fake.gh.requests().len(), sent, "nothing was sent");

    for same in [format!("{base}/"), String::new()] {
        let run = ghpkg_plain(
            &fake,
            dir.path(),
            &["--json", "undo", j, "--dry-run"],
            &[("GITHUB_API_URL", &same)],
        );
        run.expect(0);
        assert_eq!(ids(&run.json()["would_restore"]), app);
    }

    let args = [
        "--write-interval",
        "0",
        "--json",
        "--api-url",
        &base,
        "undo",
        j,
    ];
    let run = ghpkg_plain(&fake, dir.path(), &args, &[("GITHUB_API_URL", dotcom)]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), app);
    assert_eq!(restored(&fake), app);
}
