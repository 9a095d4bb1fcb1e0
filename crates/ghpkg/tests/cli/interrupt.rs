//! Interrupted on purpose: a real SIGINT or SIGTERM in the middle of
//! `prune --yes` or `undo`, against the fake GitHub slowed down so the run
//! is half-way. The request in flight finishes and is journalled, nothing
//! new is sent, and ghpkg says what was done, where the journal is and the
//! exact commands that continue and undo, then exits 130. A second signal
//! ends it at once.
#![cfg(unix)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use crate::fakes::Fake;
use crate::support::*;
use crate::undo::untagged_app;

/// Sends `signal` (`INT`, `TERM`) to `child` with kill(1).
fn signal(child: &Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} failed");
}

/// The only journal in `dir`, once there is one.
fn journal_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
}

/// How many records of `kind` the journal holds.
fn records(journal: &Path, kind: &str) -> usize {
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains(&format!("\"record\":\"{kind}\"")))
        .count()
}

/// Waits (up to a minute) until `done` holds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The child's exit code and its output, read to the end.
fn finish(mut child: Child) -> Run {
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut out = String::new();
    let _ = stdout.read_to_string(&mut out);
    let status = child.wait().expect("ghpkg ends");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out,
        stderr: err.join().expect("stderr is read"),
    }
}

/// The command on the line of `stderr` that starts with `label`.
fn printed(stderr: &str, label: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no `{label}` line:\n{stderr}"))
        .trim()
        .to_owned()
}

#[test]
fn ctrl_c_mid_prune_finishes_the_delete_in_flight_and_says_how_to_go_on() {
    let fake = Fake::start();
    let app = untagged_app(&fake.gh, 12);
    let _slow = fake
        .gh
        .fault("DELETE", &format!("{VERSIONS}/*"))
        .latency(Duration::from_millis(300))
        .unwrap();
    let dir = tempdir();
    let summary = dir.path().join("summary.md");
    let child = fake
        .cli(dir.path())
        .args(prune_app(&["--untagged", "--no-registry-check", "--yes"]))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .spawn();
    wait_for("two deletes", || {
        journal_in(dir.path()).is_some_and(|j| records(&j, "deleted") >= 2)
    });
    signal(&child, "INT");
    let run = finish(child);
    run.expect(130);

    // The delete in flight was finished and recorded; nothing was sent
    // after it.
    let journal = journal_in(dir.path()).expect("a journal");
    let deleted = fake.deleted("app");
    assert!(
        (2..app.len()).contains(&deleted.len()),
        "{deleted:?}\n{}",
        run.stderr
    );
    assert_eq!(fake.deletes_sent(), deleted.len());
    assert_eq!(records(&journal, "intent"), deleted.len());
    assert_eq!(records(&journal, "deleted"), deleted.len());

    // What was done, where the journal is, how to go on.
    let name = journal.file_name().unwrap().to_str().unwrap();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    let done = format!("deleted {} of {} versions", deleted.len(), app.len());
    assert!(run.stderr.contains(&done), "{}", run.stderr);
    assert!(run.stderr.contains(name), "{}", run.stderr);
    let summary = std::fs::read_to_string(&summary).expect("a job summary");
    assert!(summary.contains("interrupted"), "{summary}");
    assert!(summary.contains(name), "{summary}");

    // The printed commands work as printed: the rest, then all of it back.
    let resume = printed(&run.stderr, "to continue:");
    let undo = printed(&run.stderr, "to undo:");
    assert!(resume.contains(name), "{resume}");
    assert_eq!(undo, format!("ghpkg undo {name}"));
    let as_printed = |command: &str| {
        Ghpkg::shell(dir.path(), command)
            .env("GITHUB_TOKEN", &fake.token)
            .run()
    };
    as_printed(&resume).expect(0);
    assert_eq!(fake.deleted("app"), app);
    assert_eq!(journal_in(dir.path()), Some(journal.clone()));
    as_printed(&undo).expect(0);
    assert_eq!(fake.restored("app"), app);
}

#[test]
fn sigterm_mid_undo_stops_after_the_restore_in_flight() {
    let fake = Fake::start();
    let app = untagged_app(&fake.gh, 10);
    let dir = tempdir();
    fake.ghpkg(
        dir.path(),
        &prune_app(&["--untagged", "--no-registry-check", "--yes"]),
    )
    .expect(0);
    let journal = journal_in(dir.path()).expect("a journal");
    let _slow = fake
        .gh
        .fault("POST", &format!("{VERSIONS}/*/restore"))
        .latency(Duration::from_millis(300))
        .unwrap();
    let child = fake
        .cli(dir.path())
        .args(["undo", path_str(&journal)])
        .spawn();
    wait_for("two restores", || records(&journal, "undone") >= 2);
    signal(&child, "TERM");
    let run = finish(child);
    run.expect(130);
    let restored = fake.restored("app");
    assert!((2..app.len()).contains(&restored.len()), "{restored:?}");
    assert_eq!(records(&journal, "undone"), restored.len());
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    let again = printed(&run.stderr, "to continue:");
    let run = Ghpkg::shell(dir.path(), &again)
        .env("GITHUB_TOKEN", &fake.token)
        .run();
    run.expect(0);
    assert_eq!(fake.restored("app"), app);
}

#[test]
fn a_second_ctrl_c_ends_at_once_and_the_journal_still_undoes() {
    let fake = Fake::start();
    let app = untagged_app(&fake.gh, 5);
    // The second delete hangs much longer than a person waits.
    let _stuck = fake
        .gh
        .fault("DELETE", &format!("{VERSIONS}/*"))
        .nth(2)
        .latency(Duration::from_secs(8))
        .unwrap();
    let dir = tempdir();
    let child = fake
        .cli(dir.path())
        .args(prune_app(&["--untagged", "--no-registry-check", "--yes"]))
        .spawn();
    wait_for("the second intent", || {
        journal_in(dir.path()).is_some_and(|j| records(&j, "intent") >= 2)
    });
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    signal(&child, "INT");
    let run = finish(child);
    run.expect(130);
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "{:?}",
        asked.elapsed()
    );
    assert!(run.stderr.contains("journal"), "{}", run.stderr);

    // The hanging delete was cut off with the connection, or went through:
    // either way its intent is journalled, and undo restores exactly what
    // was deleted.
    let journal = journal_in(dir.path()).expect("a journal");
    assert_eq!(records(&journal, "intent"), 2);
    let undo = format!(
        "ghpkg undo {}",
        journal.file_name().unwrap().to_str().unwrap()
    );
    let run = Ghpkg::shell(dir.path(), &undo)
        .env("GITHUB_TOKEN", &fake.token)
        .run();
    run.expect(0);
    let deleted = fake.deleted("app");
    assert!(deleted.starts_with(&app[..1]), "{deleted:?}");
    assert_eq!(fake.restored("app"), deleted);
}
