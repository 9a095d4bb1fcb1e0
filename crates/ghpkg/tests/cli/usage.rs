//! The command line's conventions: usage errors exit 2 in ghpkg's words with
//! no request sent, writes refuse to start without a token, durations read
//! as people write them, flags reach the client, and a closed stdout ends
//! ghpkg quietly. Against the fake GitHub, whose request log shows what was
//! sent.

use std::io::{BufRead, BufReader};

use github_packages::PackageType;
use github_packages::fake::Owner;

use crate::fakes::Fake;
use crate::support::*;

/// Runs ghpkg against a fake that must see no request at all.
fn refused(args: &[&str], env: &[(&str, &str)]) -> Run {
    let fake = Fake::start();
    let dir = tempdir();
    let run = fake.ghpkg_env(dir.path(), args, env);
    assert!(fake.gh.requests().is_empty(), "{args:?} sent a request");
    run
}

/// acme's container `app`, with `n` untagged versions `age_hours` old and
/// older, an hour apart.
fn untagged_app(fake: &Fake, n: i64, age_hours: i64) {
    let mut builder = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app");
    for i in 0..n {
        builder = builder
            .image()
            .created_at(hours_ago(age_hours + i))
            .package();
    }
    builder.create().unwrap();
}

#[test]
fn bad_patterns_are_usage_errors_naming_the_pattern() {
    for (flag, pattern, hint) in [
        ("--tag", "[", "not a valid glob"),
        ("--tag", "", "empty"),
        ("--exclude-tag", "v[0-9", "not a valid glob"),
        ("--exclude-tag", "", "empty"),
        ("--tag-regex", "(", "not a valid regular expression"),
        ("--exclude-tag-regex", ".*", "matches the empty string"),
    ] {
        let run = refused(&prune_app(&["--keep-last", "3", flag, pattern]), &[]);
        run.expect(2);
        assert!(
            run.stderr.contains(flag),
            "{flag} {pattern:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(hint),
            "{flag} {pattern:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn durations_read_sub_second_and_compound_values() {
    // Accepted: these reach the listing (of a new version) and exit 0.
    let fake = Fake::start();
    untagged_app(&fake, 1, 1);
    let dir = tempdir();
    for (flag, value) in [
        ("--write-interval", "500ms"),
        ("--write-interval", "1.5s"),
        ("--max-rate-limit-wait", "1h30m"),
    ] {
        Ghpkg::new(dir.path())
            .api(&fake.url())
            .token(&fake.token)
            .args([flag, value])
            .args(prune_app(&["--older-than", "30d"]))
            .run()
            .expect(0);
    }
    assert!(fake.gh.requests().iter().all(|r| r.path == VERSIONS));
    // Refused, in words that say what to write.
    for (args, hint) in [
        (prune_app(&["--older-than", "0d"]), "every version"),
        (prune_app(&["--older-than", "0"]), "every version"),
        (
            [
                &["--max-rate-limit-wait", "2"][..],
                &PRUNE_APP,
                &["--keep-last", "1"],
            ]
            .concat(),
            "write 2s",
        ),
    ] {
        let run = refused(&args, &[]);
        run.expect(2);
        assert!(run.stderr.contains(hint), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn bad_urls_and_owners_are_usage_errors_in_flag_words() {
    for (args, hint) in [
        (
            [
                &["--api-url", "not a url"][..],
                &PRUNE_APP,
                &["--keep-last", "1"],
            ]
            .concat(),
            "--api-url",
        ),
        (
            [
                &["--api-url", "ftp://ghe.example"][..],
                &["list", "--org", "a"],
            ]
            .concat(),
            "use https",
        ),
        (
            [
                &["--api-url", "http://example.com"][..],
                &["list", "--org", "a"],
            ]
            .concat(),
            "plain http",
        ),
        (vec!["list", "--org", "../user"], "--org"),
        (vec!["list", "--user", "a b"], "--user"),
        (
            prune_app(&["--keep-last", "1", "--registry-url", "not a url"]),
            "--registry-url",
        ),
        (
            prune_app(&[
                "--keep-last",
                "1",
                "--registry-url",
                "http://registry.example",
            ]),
            "plain http",
        ),
        (prune_app(&["--keep-last", "0"]), "keep nothing"),
    ] {
        let run = Ghpkg::new(tempdir().path()).token(TOKEN).args(&args).run();
        run.expect(2);
        assert!(run.stderr.contains(hint), "{args:?}: {}", run.stderr);
        assert!(
            !run.stderr.contains("allow_insecure_http"),
            "library words: {}",
            run.stderr
        );
    }
    // The library's own refusal (a name it cannot address) is exit 2 too.
    let run = refused(&["get", "container", "..", "--org", "acme"], &[]);
    run.expect(2);
    assert!(run.stderr.contains("package NAME"), "{}", run.stderr);
}

#[test]
fn subcommand_usage_lines_name_ghpkg() {
    let run = refused(&prune_app(&[]), &[]);
    run.expect(2);
    assert!(run.stderr.contains("Usage: ghpkg prune"), "{}", run.stderr);
}

#[test]
fn writes_and_me_refuse_to_start_without_a_token() {
    let cases: [(&[&str], &str); 7] = [
        (
            &prune_app(&["--keep-last", "1", "--yes"]),
            "delete:packages",
        ),
        (
            &["prune", "container", "app", "--me", "--keep-last", "1"],
            "read:packages",
        ),
        (
            &["delete", "npm", "x", "--org", "acme", "--yes"],
            "delete:packages",
        ),
        (&["restore", "npm", "x", "--org", "acme"], "write:packages"),
        (&["undo", "journal.jsonl"], "write:packages"),
        (&["list", "--me"], "read:packages"),
        (&["versions", "npm", "x", "--me"], "read:packages"),
    ];
    for (args, scope) in cases {
        let run = refused(args, &[("GITHUB_TOKEN", ""), ("GH_TOKEN", "  ")]);
        run.expect(2);
        for needed in ["GITHUB_TOKEN", "GH_TOKEN", "--token-stdin", scope] {
            assert!(run.stderr.contains(needed), "{args:?}: {}", run.stderr);
        }
    }
}

/// Issue 9, item 5: `ghpkg ... | head -2` ended in a panic (exit 101).
#[test]
fn a_closed_stdout_ends_ghpkg_quietly() {
    let fake = Fake::start();
    untagged_app(&fake, 300, 1);
    let dir = tempdir();
    let mut child = fake
        .cli(dir.path())
        .args(PRUNE_APP)
        .args(["--untagged", "--no-registry-check"])
        .spawn();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    for _ in 0..2 {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a line");
        assert!(!line.is_empty());
    }
    drop(stdout);
    let output = child.wait_with_output().expect("ghpkg ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "quietly: {stderr}");
}

/// Issue 18: a run that deletes or restores finishes what it was told to do
/// when its stdout's reader goes away (the reader leaving is no request to
/// stop; Ctrl-C is), and reports the outcome on stderr and in the job
/// summary instead. Before, `prune --yes | head -1` either ended quietly
/// before its first delete or deleted everything and lost the report,
/// depending on when the reader left.
#[test]
fn a_closed_stdout_does_not_stop_a_run_that_deletes_or_restores() {
    let fake = Fake::start();
    crate::undo::untagged_app(&fake.gh, 40);
    let dir = tempdir();
    let summary = dir.path().join("summary.md");
    let run_closed = |args: &[&str]| {
        let mut child = fake
            .cli(dir.path())
            .args(args)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .spawn();
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("ghpkg ends");
        Run::from(output)
    };
    let run = run_closed(&prune_app(&["--untagged", "--no-registry-check", "--yes"]));
    run.expect(0);
    assert_eq!(fake.deleted("app").len(), 40, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("deleted 40 of 40 versions; journal: ghpkg-journal-acme-app-"),
        "{}",
        run.stderr
    );
    let summary_text = std::fs::read_to_string(&summary).expect("a job summary");
    assert!(summary_text.contains("40 deleted"), "{summary_text}");

    let journal = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("a journal");
    let run = run_closed(&["undo", path_str(&journal)]);
    run.expect(0);
    assert_eq!(fake.restored("app").len(), 40);
    assert!(
        run.stderr.contains("restored 40 of 40 versions"),
        "{}",
        run.stderr
    );
}

/// Issue 9, item 6: a classic token's scopes are on every answer; a prune
/// whose token cannot delete stops before its first DELETE, with the
/// library's words.
#[test]
fn a_token_without_delete_scope_stops_before_the_first_delete() {
    let fake = Fake::start();
    untagged_app(&fake, 1, 100);
    let read_only = fake.gh.token_with_scopes(&["read:packages", "repo"]);
    let dir = tempdir();
    let run = fake.ghpkg_env(
        dir.path(),
        &prune_app(&["--older-than", "1d", "--no-registry-check", "--yes"]),
        &[("GITHUB_TOKEN", &read_only)],
    );
    run.expect(1);
    assert!(run.stderr.contains("`delete:packages`"), "{}", run.stderr);
    assert!(run.stderr.contains("`read:packages`"), "{}", run.stderr);
    assert_eq!(fake.deletes_sent(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no journal"
    );
}

/// Issue 9, item 13: `-v` is one line per HTTP request (method, path without
/// the query, status, time, attempt), not the HTTP stack's internals.
#[test]
fn verbose_prints_one_line_per_request() {
    let fake = Fake::start();
    untagged_app(&fake, 150, 1);
    let dir = tempdir();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "-v",
            "versions",
            "container",
            "app",
            "--org",
            "acme",
            "--state",
            "active",
        ],
    );
    run.expect(0);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let requests: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("http request"))
        .collect();
    assert_eq!(requests.len(), 2, "{}", run.stderr);
    for line in &requests {
        for field in [
            "method=GET",
            VERSIONS,
            "status=200",
            "elapsed_ms=",
            "attempt=1",
        ] {
            assert!(line.contains(field), "{field} missing: {line}");
        }
        assert!(!line.contains("page="), "the query leaked: {line}");
    }
    assert!(
        !run.stderr.contains("hyper") && !run.stderr.contains("pooling"),
        "{}",
        run.stderr
    );
    assert_eq!(lines.len(), requests.len(), "{}", run.stderr);
}

/// Row 9 of the semantics table: a policy with rules for both kinds is no
/// contradiction (`--keep-tagged 2 --untagged` deletes the union, as the
/// clean-up actions' `keep-n-tagged` with `delete-untagged` do); a policy
/// without any rule is refused, in flag words, before any request.
#[test]
fn only_a_policy_without_rules_is_refused() {
    let run = refused(&prune_app(&["--exclude-tag", "v*"]), &[]);
    run.expect(2);
    assert!(run.stderr.contains("--keep-tagged"), "{}", run.stderr);
    assert!(run.stderr.contains("would delete every"), "{}", run.stderr);
}

/// Tag flags for package types whose versions carry no tags in GitHub's
/// API would match nothing (or everything): a usage error, before any
/// request, that says what to use instead.
#[test]
fn tag_flags_are_refused_for_package_types_without_tags() {
    let fake = Fake::start();
    let dir = tempdir();
    for (kind, flags) in [
        ("npm", &["--untagged", "--exclude-tag", "latest"][..]),
        ("npm", &["--keep-last", "2", "--exclude-tag", "latest"][..]),
        ("maven", &["--tag", "v*"][..]),
        ("nuget", &["--older-than", "30d", "--untagged"][..]),
        ("rubygems", &["--keep-last", "1", "--tag", "x"][..]),
    ] {
        let mut args = vec!["--json", "prune", kind, "left-pad", "--org", "acme"];
        args.extend_from_slice(flags);
        args.push("--yes");
        let run = fake.ghpkg(dir.path(), &args);
        run.expect(2);
        let message = format!("{kind} versions carry no tags, digests or images");
        assert!(run.stderr.contains(&message), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("use --keep-last, --keep-untagged, --older-than"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("Usage"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    assert!(
        fake.gh.requests().is_empty(),
        "a refused prune sent a request"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// `--max-rate-limit-wait` reaches the client (0: give up at the first
/// rate-limit answer), and the advice names the flag, not the library's
/// setting.
#[test]
fn max_rate_limit_wait_is_passed_on_and_named_in_the_advice() {
    let fake = Fake::start();
    let limited = fake
        .gh
        .fault("GET", "/orgs/acme/packages")
        .header("retry-after", "30")
        .respond(
            429,
            r#"{"message":"You have exceeded a secondary rate limit"}"#,
        )
        .unwrap();
    let dir = tempdir();
    let run = fake.ghpkg(
        dir.path(),
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
    assert_eq!(limited.hits(), 1, "a zero wait gives up at once");
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

    let bare = || Ghpkg::new(dir.path()).token(TOKEN);
    let run = bare().arg("--help").run();
    run.expect(0);
    assert!(
        run.stdout.contains("--max-rate-limit-wait"),
        "{}",
        run.stdout
    );
    bare()
        .args(["--max-rate-limit-wait", "soon", "list", "--me"])
        .run()
        .expect(2);
}
