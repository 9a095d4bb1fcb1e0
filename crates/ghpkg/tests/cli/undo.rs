//! `ghpkg undo` as users run it, on the fake GitHub: the undo commands
//! ghpkg prints work when pasted into a shell, with no `--api-url` (the
//! journal names its API), and an API URL that is given must be the
//! journal's. What undo restores is the engine's tests' concern.

use crate::fakes::Fake;
use crate::support::*;

use crate::packages::refuse;
pub(crate) use crate::packages::untagged_app;

/// A prune that deletes every untagged version of the org's `app`.
fn prune_args(registry: &str) -> Vec<&str> {
    prune_app(&["--untagged", "--registry-url", registry, "--yes"])
}

/// `ghpkg` with the fake's token as its only setting: no `--api-url` and
/// no GITHUB_API_URL unless `env` sets it, as a user who just installed
/// ghpkg would run it.
fn plain(fake: &Fake, dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    Ghpkg::new(dir)
        .token(&fake.token)
        .args(args)
        .envs(env)
        .run()
}

/// Runs `command` as a user would paste it: through `sh`, with the fake's
/// token as its only setting and the `ghpkg` under test first on PATH.
fn as_printed(fake: &Fake, dir: &std::path::Path, command: &str) -> Run {
    Ghpkg::shell(dir, command).token(&fake.token).run()
}

/// The first `ghpkg undo ...` command in backquotes in `stderr`.
fn printed_undo(stderr: &str) -> String {
    let start = stderr
        .find("`ghpkg undo ")
        .unwrap_or_else(|| panic!("no undo command printed:\n{stderr}"));
    let rest = &stderr[start + 1..];
    rest[..rest.find('`').expect("closing backquote")].to_owned()
}

/// Issue 9, item 4: the undo commands ghpkg prints (after a stopped prune,
/// after an undo that left failures) work as printed against an API other
/// than GitHub.com's, with no --api-url: the journal's header names it.
#[test]
fn the_undo_commands_ghpkg_prints_work_as_printed() {
    let fake = Fake::start();
    let app = untagged_app(&fake.gh, 3);
    let _broken = refuse(&fake.gh, "DELETE", app[2], "", 500, "Server Error");
    let dir = tempdir();
    // No --journal: the default name, in the current directory.
    let registry = fake.url();
    let run = fake.ghpkg(dir.path(), &prune_args(&registry));
    run.expect(1);
    let command = printed_undo(&run.stderr);

    // The second version cannot be restored yet; the third was never
    // deleted.
    let later = refuse(
        &fake.gh,
        "POST",
        app[1],
        "/restore",
        422,
        "Try again later.",
    );
    let run = as_printed(&fake, dir.path(), &command);
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
    let run = as_printed(&fake, dir.path(), &again);
    run.expect(0);
    assert!(
        run.stdout.contains("restored 1 of 1 version"),
        "{}",
        run.stdout
    );
    assert_eq!(fake.restored("app"), app[..2]);
}

/// An explicit --api-url, or GITHUB_API_URL (which says where the token in
/// the environment belongs), must match the journal's; only clap's default
/// gives way to it.
#[test]
fn an_api_url_given_must_match_the_journals() {
    let fake = Fake::start();
    let app = untagged_app(&fake.gh, 1);
    let dir = tempdir();
    let journal = dir.path().join("j.jsonl");
    let registry = fake.url();
    let mut prune = prune_args(&registry);
    prune.extend(["--journal", path_str(&journal)]);
    fake.ghpkg(dir.path(), &prune).expect(0);
    let j = path_str(&journal);
    let dotcom = "https://api.github.com";
    let base = fake.url();
    let sent = fake.gh.requests().len();

    let run = plain(
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

    let run = plain(&fake, dir.path(), &["undo", j, "--api-url", dotcom], &[]);
    run.expect(2);
    assert!(
        run.stderr.contains(&format!("but --api-url is {dotcom}")),
        "{}",
        run.stderr
    );
    assert_eq!(fake.gh.requests().len(), sent, "nothing was sent");

    for same in [format!("{base}/"), String::new()] {
        let run = plain(
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
    let run = plain(&fake, dir.path(), &args, &[("GITHUB_API_URL", dotcom)]);
    run.expect(0);
    assert_eq!(ids(&run.json()["restored"]), app);
    assert_eq!(fake.restored("app"), app);
}

/// Issue 18: `apply` given a journal, or `undo` given a plan, says which
/// file it is and which command takes it (exit 2, nothing sent), rather
/// than a parse error about trailing characters or a line to repair.
#[test]
fn the_other_file_kind_is_named_with_the_command_that_takes_it() {
    let fake = Fake::start();
    untagged_app(&fake.gh, 2);
    let dir = tempdir();
    let registry = fake.url();
    let mut args = prune_args(&registry);
    args.extend(["--journal", "j.jsonl"]);
    fake.ghpkg(dir.path(), &args).expect(0);
    let plan = prune_app(&[
        "--keep-last",
        "1",
        "--no-registry-check",
        "--plan-out",
        "plan.json",
    ]);
    fake.ghpkg(dir.path(), &plan).expect(0);
    let sent = fake.gh.requests().len();

    let run = fake.ghpkg(dir.path(), &["apply", "j.jsonl", "--yes"]);
    run.expect(2);
    assert!(
        run.stderr.contains("j.jsonl is a prune journal"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`ghpkg undo j.jsonl`"),
        "{}",
        run.stderr
    );
    let run = fake.ghpkg(dir.path(), &["undo", "plan.json"]);
    run.expect(2);
    assert!(run.stderr.contains("plan.json is a plan"), "{}", run.stderr);
    assert!(
        run.stderr.contains("`ghpkg apply plan.json`"),
        "{}",
        run.stderr
    );
    assert_eq!(fake.gh.requests().len(), sent);

    // Once undone, a dry run says there is nothing left, without a table.
    fake.ghpkg(dir.path(), &["undo", "j.jsonl"]).expect(0);
    let run = fake.ghpkg(dir.path(), &["undo", "--dry-run", "j.jsonl"]);
    run.expect(0);
    assert_eq!(
        run.stdout,
        "nothing to restore: every version the journal records is settled\n"
    );
}
