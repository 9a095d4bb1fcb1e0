//! What a real prune prints: a summary and the versions it deletes (kept
//! ones only when asked), every failure once, and counts in good English.

use httpmock::MockServer;

use crate::support::*;

fn run_prune(server: &MockServer, extra: &[&str]) -> Run {
    let dir = tempdir();
    let mut args = vec![
        "prune",
        "container",
        "app",
        "--org",
        "acme",
        "--no-registry-check",
        "--keep-last",
        "3",
    ];
    args.extend_from_slice(extra);
    ghpkg_in(dir.path(), server, &args)
}

#[test]
fn a_real_prune_prints_the_deletes_not_every_kept_version() {
    let server = MockServer::start();
    let versions: Vec<_> = (1..=40).map(|id| version(id, hours_ago(id), &[])).collect();
    let _listing = mock_listing(&server, VERSIONS, &versions);
    let _current = mock_current(&server, VERSIONS, &versions);
    let deletes: Vec<_> = [39, 40]
        .into_iter()
        .map(|id| mock_delete(&server, VERSIONS, id))
        .collect();
    let unexpected = catch_all(&server);

    // --older-than 38h leaves two to delete among 40 versions.
    let run = run_prune(&server, &["--older-than", "38h30m", "--yes"]);
    run.expect(0);
    let out = &run.stdout;
    assert!(
        out.starts_with(
            "container package app (organization acme): 40 active versions, 2 to delete\n"
        ),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("DELETE")).count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("KEEP")).count(),
        0,
        "{out}"
    );
    assert!(out.contains("deleted 2 of 2 versions; journal: "), "{out}");
    for d in &deletes {
        assert_eq!(d.calls(), 1);
    }
    assert_eq!(unexpected.calls(), 0);

    // --show-kept adds the KEEP rows.
    let server = MockServer::start();
    let _listing = mock_listing(&server, VERSIONS, &versions);
    let _current = mock_current(&server, VERSIONS, &versions);
    let _deletes = mock_delete(&server, VERSIONS, 40);
    let run = run_prune(&server, &["--older-than", "39h30m", "--yes", "--show-kept"]);
    run.expect(0);
    assert_eq!(
        run.stdout.lines().filter(|l| l.starts_with("KEEP")).count(),
        39,
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 to delete"), "{}", run.stdout);
    assert!(
        run.stdout.contains("deleted 1 of 1 version;"),
        "{}",
        run.stdout
    );
}

#[test]
fn counts_read_right_for_one_and_none() {
    let server = MockServer::start();
    let versions = vec![
        version(1, hours_ago(1), &[]),
        version(2, hours_ago(2), &[]),
        version(3, hours_ago(3), &[]),
        version(4, hours_ago(90), &[]),
    ];
    let _listing = mock_listing(&server, VERSIONS, &versions);
    let run = run_prune(&server, &[]);
    run.expect(0);
    assert!(
        run.stdout
            .contains("dry run: nothing deleted; pass --yes to delete this version"),
        "{}",
        run.stdout
    );

    let server = MockServer::start();
    let _listing = mock_listing(&server, VERSIONS, &versions[..1]);
    let run = run_prune(&server, &["--yes"]);
    run.expect(0);
    assert!(
        run.stdout.contains("1 active version, 0 to delete"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nothing to delete"), "{}", run.stdout);
    assert!(!run.stdout.contains("these 0"), "{}", run.stdout);
}

#[test]
fn a_failed_delete_is_reported_once() {
    let server = MockServer::start();
    let versions: Vec<_> = (1..=5).map(|id| version(id, hours_ago(id), &[])).collect();
    let _listing = mock_listing(&server, VERSIONS, &versions);
    let _current = mock_current(&server, VERSIONS, &versions);
    let _fail = mock_delete_status(&server, VERSIONS, 5, 422);
    let _ok = mock_delete(&server, VERSIONS, 4);
    let run = run_prune(&server, &["--yes"]);
    run.expect(1);
    let everything = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(
        everything.matches("status 422").count(),
        1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with("failed")),
        "{}",
        run.stdout
    );
}
