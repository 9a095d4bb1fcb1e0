//! The drift report on a real description: GitHub Enterprise Server 3.19's packages
//! operations (the fixture, see fixtures/README.md) against the checked-in cut, through
//! the binary as a maintainer runs it. When spec/ is re-cut, this expected report changes
//! with it: update it from a run and check the new lines against the JSON.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURE: &str = "xtask/tests/fixtures/ghes-3.19.packages.json";

/// GHES 3.19 lacks four `security-and-analysis` properties that api.github.com has; the
/// schema is reached through `package.repository` by the nine operations answering with
/// packages. Every patch still applies and still changes something.
const EXPECTED: &str = "\
spec drift of the packages operations
  from spec/api.github.com.packages.upstream.json
  to   xtask/tests/fixtures/ghes-3.19.packages.json
operations: 27 before, 27 after; 0 added, 0 removed, 9 changed

GET /orgs/{org}/docker/conflicts (packages/list-docker-migration-conflicting-packages-for-organization)
  response 200 items.repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

GET /orgs/{org}/packages (packages/list-packages-for-organization)
  response 200 items.repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

GET /orgs/{org}/packages/{package_type}/{package_name} (packages/get-package-for-organization)
  response 200 repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

GET /user/docker/conflicts (packages/list-docker-migration-conflicting-packages-for-authenticated-user)
  response 200 items.repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

GET /user/packages (packages/list-packages-for-authenticated-user)
  response 200 items.repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

GET /user/packages/{package_type}/{package_name} (packages/get-package-for-authenticated-user)
  response 200 repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

GET /users/{username}/docker/conflicts (packages/list-docker-migration-conflicting-packages-for-user)
  response 200 items.repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

GET /users/{username}/packages (packages/list-packages-for-user)
  response 200 items.repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 items.repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

GET /users/{username}/packages/{package_type}/{package_name} (packages/get-package-for-user)
  response 200 repository.security_and_analysis.secret_scanning_ai_detection: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_alert_dismissal: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_bypass: removed  [breaking]
  response 200 repository.security_and_analysis.secret_scanning_delegated_bypass_options: removed  [breaking]

patches, replayed in order on the new cut:
  list-packages-400-body: applies, needed
  one-simple-user: applies, needed
  docker-metadata-tags: applies, needed
  user-versions-paging: applies, needed
  error-responses: applies, needed
  shared-enums: applies, needed

result: breaking changes: 36, other changes: 0; patches: 6 needed, 0 no-op, 0 duplicating, 0 failing
";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Runs `cargo xtask spec ARGS` from the workspace root, with nothing inherited from the
/// environment that could change what it does.
fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("spec")
        .args(args)
        .current_dir(root())
        .env_clear()
        .output()
        .unwrap()
}

fn spec_files() -> Vec<Vec<u8>> {
    [
        "spec/api.github.com.packages.upstream.json",
        "spec/api.github.com.packages.json",
    ]
    .iter()
    .map(|file| std::fs::read(root().join(file)).unwrap())
    .collect()
}

#[test]
fn ghes_3_19_report_lists_every_removed_field_and_exits_3() {
    let before = spec_files();
    let out = xtask(&["--dry-run", "--from", FIXTURE]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (report, rest) = stdout.split_at(EXPECTED.len().min(stdout.len()));
    assert_eq!(report, EXPECTED);
    let rest: Vec<&str> = rest.lines().collect();
    assert_eq!(rest.len(), 3, "{rest:?}");
    assert!(rest[0].starts_with(
        "would write spec/api.github.com.packages.upstream.json (27 operations on 21 paths;"
    ));
    assert!(
        rest[1].starts_with("would write spec/api.github.com.packages.json (6 patch(es) applied,")
    );
    assert_eq!(rest[2], "dry run: nothing written");
    assert_eq!(out.status.code(), Some(3), "breaking drift is exit 3");
    assert_eq!(spec_files(), before, "a dry run writes nothing");
}

#[test]
fn ghes_3_19_report_in_markdown_keeps_stdout_for_the_report() {
    let out = xtask(&["--dry-run", "--markdown", "--from", FIXTURE]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stdout.starts_with("## Spec drift of the packages operations\n"),
        "{stdout}"
    );
    assert!(stdout.contains(
        "\n- **breaking**: response 200 `items.repository.security_and_analysis.secret_scanning_ai_detection`: removed\n"
    ));
    assert!(
        stdout.ends_with("| `shared-enums` | applies, needed |\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("would write"), "{stdout}");
    assert!(stderr.ends_with("dry run: nothing written\n"), "{stderr}");
    assert_eq!(out.status.code(), Some(3));
}

/// A scratch copy of the fixture with one more field removed and a defect that one patch
/// fixes already gone, so that patch's guard fails.
struct Mutated(PathBuf);

impl Mutated {
    fn new() -> Mutated {
        let text = std::fs::read_to_string(root().join(FIXTURE)).unwrap();
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let schemas = &mut doc["components"]["schemas"];
        schemas["package"]["properties"]
            .as_object_mut()
            .unwrap()
            .shift_remove("version_count");
        schemas["package-version"]["properties"]["metadata"]["properties"]["docker"]
            .as_object_mut()
            .unwrap()
            .shift_remove("required");
        let path = std::env::temp_dir().join(format!("xtask-mutated-{}.json", std::process::id()));
        std::fs::write(&path, doc.to_string()).unwrap();
        Mutated(path)
    }
}

impl Drop for Mutated {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Only as a dry run: this runs on the real spec/ directory. spec.rs's own tests show
/// that the writing run stops the same way, on a scratch copy.
#[test]
fn a_patch_that_no_longer_applies_is_reported_and_is_an_error() {
    let before = spec_files();
    let mutated = Mutated::new();
    let from = mutated.0.to_str().unwrap();
    let out = xtask(&["--dry-run", "--from", from]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stdout.contains("\n  response 200 items.version_count: removed  [breaking]\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\n  response 200 version_count: removed  [breaking]\n"));
    let stale = "docker-metadata-tags: no longer applies: op 0 (test \
        /components/schemas/package-version/properties/metadata/properties/docker/required): \
        no value at /components/schemas/package-version/properties/metadata/properties/docker/required";
    assert!(stdout.contains(&format!("\n  {stale}\n")), "{stdout}");
    assert!(stdout.contains("patches: 5 needed, 0 no-op, 0 duplicating, 1 failing"));
    assert!(
        stderr.starts_with("error: spec/patches.json: patch `docker-metadata-tags`, op 0"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(spec_files(), before, "a dry run writes nothing");
}

#[test]
fn usage_errors_are_exit_2() {
    let out = xtask(&["--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .starts_with("error: `--dry-run` needs `--from")
    );
}
