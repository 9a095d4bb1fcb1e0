//! The command line's conventions: usage errors exit 2 in ghpkg's words with
//! no request sent, writes refuse to start without a token, durations read
//! as people write them, and a closed stdout ends ghpkg quietly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use httpmock::MockServer;

use crate::support::*;

/// Runs ghpkg against a server that must see no request at all.
fn refused(args: &[&str], env: &[(&str, &str)]) -> Run {
    let server = MockServer::start();
    let unexpected = catch_all(&server);
    let dir = tempdir();
    let run = ghpkg_env(dir.path(), &server, args, env);
    assert_eq!(unexpected.calls(), 0, "{args:?} sent a request");
    run
}

const PRUNE: [&str; 5] = ["prune", "container", "app", "--org", "acme"];

fn prune_with(extra: &[&str]) -> Vec<&'static str> {
    let mut args: Vec<&'static str> = PRUNE.to_vec();
    for a in extra {
        args.push(Box::leak(a.to_string().into_boxed_str()));
    }
    args
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
        let run = refused(&prune_with(&["--keep-last", "3", flag, pattern]), &[]);
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
    // Accepted: these reach the listing (an empty one) and exit 0.
    let server = MockServer::start();
    let _listing = mock_listing(&server, VERSIONS, &[]);
    let dir = tempdir();
    for (flag, value) in [
        ("--write-interval", "500ms"),
        ("--write-interval", "1.5s"),
        ("--max-rate-limit-wait", "1h30m"),
    ] {
        let url = server.base_url();
        let mut args = vec!["--api-url", &url, flag, value];
        args.extend(prune_with(&["--older-than", "30d"]));
        ghpkg_raw(dir.path(), &args).expect(0);
    }
    // Refused, in words that say what to write.
    for (args, hint) in [
        (prune_with(&["--older-than", "0d"]), "every version"),
        (prune_with(&["--older-than", "0"]), "every version"),
        (
            [
                &["--max-rate-limit-wait", "2"][..],
                &PRUNE,
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
                &PRUNE,
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
            prune_with(&["--keep-last", "1", "--registry-url", "not a url"]),
            "--registry-url",
        ),
        (
            prune_with(&[
                "--keep-last",
                "1",
                "--registry-url",
                "http://registry.example",
            ]),
            "plain http",
        ),
        (prune_with(&["--keep-last", "0"]), "keep nothing"),
    ] {
        let run = ghpkg_raw(tempdir().path(), &args);
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
    let run = refused(&prune_with(&[]), &[]);
    run.expect(2);
    assert!(run.stderr.contains("Usage: ghpkg prune"), "{}", run.stderr);
}

#[test]
fn writes_and_me_refuse_to_start_without_a_token() {
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "prune",
                "container",
                "app",
                "--org",
                "acme",
                "--keep-last",
                "1",
                "--yes",
            ],
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
    let server = MockServer::start();
    let versions: Vec<_> = (1..=300)
        .map(|id| version(id, hours_ago(id), &[]))
        .collect();
    let _listing = mock_listing(&server, VERSIONS, &versions);
    let dir = tempdir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghpkg"))
        .args(["--api-url", &server.base_url()])
        .args(PRUNE)
        .args(["--untagged", "--no-registry-check"])
        .current_dir(dir.path())
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GITHUB_API_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ghpkg starts");
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

/// Issue 9, item 6: a classic token's scopes are on every answer; a prune
/// whose token cannot delete stops before its first DELETE, with the
/// library's words.
#[test]
fn a_token_without_delete_scope_stops_before_the_first_delete() {
    use httpmock::prelude::*;
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path(VERSIONS);
        then.status(200)
            .header("x-oauth-scopes", "read:packages, repo")
            .json_body(serde_json::json!([version(1, hours_ago(100), &[])]));
    });
    let deletes = mock_any_delete(&server);
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &server,
        &[
            "prune",
            "container",
            "app",
            "--org",
            "acme",
            "--older-than",
            "1d",
            "--no-registry-check",
            "--yes",
        ],
    );
    run.expect(1);
    assert!(run.stderr.contains("`delete:packages`"), "{}", run.stderr);
    assert!(run.stderr.contains("`read:packages`"), "{}", run.stderr);
    assert_eq!(deletes.calls(), 0);
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
    let server = MockServer::start();
    let versions: Vec<_> = (1..=150)
        .map(|id| version(id, hours_ago(id), &[]))
        .collect();
    let _listing = mock_listing(&server, VERSIONS, &versions);
    let dir = tempdir();
    let run = ghpkg_in(
        dir.path(),
        &server,
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
