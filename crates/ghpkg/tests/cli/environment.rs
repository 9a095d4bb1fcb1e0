//! The tests' runs of `ghpkg` never inherit GitHub Actions' environment:
//! run in CI, they would otherwise append to the job's real summary and
//! outputs, annotate the job, and use the job's token and API URL.

use std::ffi::OsString;

use github_packages::PackageType;
use github_packages::fake::Owner;

use crate::fakes::Fake;
use crate::support::{prune_app, scrubbed, tempdir};

/// A summary and outputs file named in the environment of the process that
/// runs the tests are never written, while the same names given by a test
/// are: ghpkg would write them, the builder keeps them from it. Nor does
/// ghpkg annotate the job, though that environment says it runs in one.
#[test]
fn a_summary_named_in_the_test_process_environment_is_never_written() {
    let fake = Fake::start();
    fake.gh
        .package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .image()
        .tags(["latest"])
        .create()
        .unwrap();
    let dir = tempdir();
    let prune = prune_app(&["--untagged", "--no-registry-check"]);

    // Asked for by the test, the summary and outputs are written.
    let summary = dir.path().join("asked-summary.md");
    let outputs = dir.path().join("asked-outputs.txt");
    fake.cli(dir.path())
        .args(&prune)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .run()
        .expect(0);
    assert!(std::fs::read_to_string(&summary).is_ok_and(|s| !s.is_empty()));
    assert!(std::fs::read_to_string(&outputs).is_ok_and(|s| !s.is_empty()));

    // Inherited from the test process, they are not: the process's own
    // environment, as on a runner.
    let summary = dir.path().join("job-summary.md");
    let outputs = dir.path().join("job-outputs.txt");
    let runner: Vec<(OsString, OsString)> = [
        ("GITHUB_ACTIONS", "true".into()),
        ("GITHUB_STEP_SUMMARY", summary.clone().into_os_string()),
        ("GITHUB_OUTPUT", outputs.clone().into_os_string()),
        ("GITHUB_TOKEN", "ghp_the_jobs_own_token".into()),
        ("GH_TOKEN", "ghp_the_jobs_own_token".into()),
        ("GITHUB_API_URL", "https://api.github.com".into()),
        ("GHPKG_RESTORE_TOKEN", "the-jobs-restore-token".into()),
        ("RUNNER_TEMP", dir.path().into()),
        ("ACTIONS_RUNTIME_TOKEN", "the-runners-token".into()),
    ]
    .into_iter()
    .map(|(k, v)| (OsString::from(k), v))
    .collect();
    let parent: Vec<(OsString, OsString)> = std::env::vars_os().chain(runner).collect();
    let run = fake.cli(dir.path()).args(prune).parent_env(parent).run();
    run.expect(0);
    assert!(!summary.exists(), "the job's summary was written");
    assert!(!outputs.exists(), "the job's outputs were written");
    assert!(!run.stderr.contains("::"), "annotations: {}", run.stderr);
    assert!(run.stdout.contains("1 to delete"), "{}", run.stdout);
}

/// Every variable of those families goes (a token, a file to write, a
/// setting); the rest of the environment stays.
#[test]
fn scrubbing_removes_every_actions_variable_and_keeps_the_rest() {
    let parent = [
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_TOKEN",
        "GITHUB_API_URL",
        "GITHUB_ACTIONS",
        "RUNNER_TEMP",
        "RUNNER_DEBUG",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_STEP_DEBUG",
        "GH_TOKEN",
        "GH_HOST",
        "GHPKG_RESTORE_TOKEN",
        "PATH",
        "HOME",
        "MY_GITHUB_THING",
    ]
    .map(|k| (OsString::from(k), OsString::from("x")));
    let kept: Vec<OsString> = scrubbed(parent).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kept, ["PATH", "HOME", "MY_GITHUB_THING"]);
}
