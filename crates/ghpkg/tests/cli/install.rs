//! The action's install step (`action/install.sh`), run as a runner would
//! with the Actions variables set, against a loopback server serving a
//! release's assets: a verified asset is installed and runs, a tampered or
//! missing one stops the step with an `::error` before anything from it
//! runs, and a ref without a release builds from source.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use httpmock::prelude::*;
use httpmock::{Mock, MockServer};

use crate::action::{ROOT, step};
use crate::fakes::Fake;
use crate::support::{BIN, Ghpkg, Run, tempdir};

const REPO: &str = "acme/github-packages";
const LINUX: (&str, &str) = ("Linux", "X64");
const LINUX_ASSET: &str = "ghpkg-x86_64-unknown-linux-musl.tar.gz";

/// One runner job: its temp dir, outputs, PATH file and the action's
/// checkout at `_actions/acme/github-packages/<ref>`.
struct Runner {
    dir: tempfile::TempDir,
    action_path: PathBuf,
}

impl Runner {
    /// A runner that checked the action out at `git_ref`, its files those of
    /// `checkout` (a symlink to it) or none.
    fn new(git_ref: &str, checkout: Option<&Path>) -> Runner {
        let dir = tempdir();
        let parent = dir.path().join("_actions").join(REPO);
        std::fs::create_dir_all(&parent).unwrap();
        std::fs::create_dir_all(dir.path().join("temp")).unwrap();
        let action_path = parent.join(git_ref);
        match checkout {
            Some(source) => std::os::unix::fs::symlink(source, &action_path).unwrap(),
            None => std::fs::create_dir_all(&action_path).unwrap(),
        }
        Runner { dir, action_path }
    }

    fn temp(&self) -> PathBuf {
        self.dir.path().join("temp")
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// Runs install.sh on `runner` (RUNNER_OS, RUNNER_ARCH) with the
    /// release base URL of `server`, and extra variables.
    fn install(&self, runner: (&str, &str), server: &MockServer, extra: &[(&str, &str)]) -> Run {
        let path = std::env::var_os("PATH").unwrap_or_default();
        Ghpkg::script(
            self.dir.path(),
            "bash",
            Path::new(&format!("{ROOT}/action/install.sh")),
        )
        .parent_env([("PATH", path)])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_ACTION_PATH", &self.action_path)
        .env("GITHUB_OUTPUT", self.dir.path().join("outputs.txt"))
        .env("GITHUB_PATH", self.dir.path().join("path.txt"))
        .env("RUNNER_TEMP", self.temp())
        .env("RUNNER_OS", runner.0)
        .env("RUNNER_ARCH", runner.1)
        .env("GHPKG_RELEASE_BASE_URL", server.base_url())
        .envs(extra)
        .run()
    }

    /// The step output `name`, if written.
    fn output(&self, name: &str) -> Option<String> {
        self.file("outputs.txt")
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// What the step left in RUNNER_TEMP.
    fn temp_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.temp())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// The URL path of a release asset.
fn asset_path(tag: &str, name: &str) -> String {
    format!("/{REPO}/releases/download/{tag}/{name}")
}

fn serve<'a>(server: &'a MockServer, tag: &str, name: &str, body: &[u8]) -> Mock<'a> {
    let path = asset_path(tag, name);
    server.mock(|when, then| {
        when.method(GET).path(path);
        then.status(200).body(body);
    })
}

/// Anything else is not part of the release.
fn not_found(server: &MockServer) -> Mock<'_> {
    server.mock(|when, then| {
        when.any_request();
        then.status(404).body("Not Found");
    })
}

fn sha256(bytes: &[u8]) -> String {
    let dir = tempdir();
    let file = dir.path().join("bytes");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("sha256sum").arg(&file).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

/// A stand-in ghpkg: says `ghpkg VERSION` and, if it is ever run, leaves a
/// mark in `marker`.
fn stand_in(version: &str, marker: &Path) -> Vec<u8> {
    format!(
        "#!/bin/sh\necho run >> '{}'\necho 'ghpkg {version}'\n",
        marker.display()
    )
    .into_bytes()
}

/// An archive holding `program` as `name` (tar.gz, or zip for a `.zip`).
fn archive(asset: &str, name: &str, program: &[u8]) -> Vec<u8> {
    let dir = tempdir();
    let file = dir.path().join(name);
    std::fs::write(&file, program).unwrap();
    let out = dir.path().join(asset);
    let status = if asset.ends_with(".zip") {
        Command::new("zip")
            .current_dir(dir.path())
            .args(["-q", asset, name])
            .status()
    } else {
        Command::new("tar")
            .current_dir(dir.path())
            .args(["-cf", asset, "--use-compress-program=gzip -1", name])
            .status()
    };
    assert!(status.unwrap().success(), "archiving {asset}");
    std::fs::read(out).unwrap()
}

/// A release `tag` with `asset` (holding `program`) and a SHA256SUMS for
/// `listed` (the asset's own bytes unless a test lies).
fn release<'a>(
    server: &'a MockServer,
    tag: &str,
    asset: &str,
    bytes: &[u8],
    listed: &[u8],
) -> (Mock<'a>, Mock<'a>) {
    let sums = format!(
        "{}  {asset}\n{}  ghpkg-other.tar.gz\n",
        sha256(listed),
        "0".repeat(64)
    );
    (
        serve(server, tag, "SHA256SUMS", sums.as_bytes()),
        serve(server, tag, asset, bytes),
    )
}

#[test]
fn a_release_tag_installs_the_verified_binary_and_the_action_runs_it() {
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("v{version}");
    let binary = std::fs::read(BIN).unwrap();
    let bytes = archive(LINUX_ASSET, "ghpkg", &binary);
    let server = MockServer::start();
    let (sums, asset) = release(&server, &tag, LINUX_ASSET, &bytes, &bytes);
    let other = not_found(&server);
    let runner = Runner::new(&tag, None);

    let run = runner.install(LINUX, &server, &[]);
    run.expect(0);
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
    assert_eq!((sums.calls(), asset.calls(), other.calls()), (1, 1, 0));
    assert_eq!(runner.output("build").as_deref(), Some("false"));
    let installed = PathBuf::from(runner.output("ghpkg").expect("the ghpkg output"));
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        binary,
        "the binary served"
    );
    let dir = installed.parent().unwrap().to_str().unwrap().to_owned();
    assert_eq!(runner.file("path.txt"), format!("{dir}\n"));
    // The download's scratch directory is gone; only the binary's stays.
    assert_eq!(
        runner.temp_entries(),
        [format!("ghpkg-{tag}-x86_64-unknown-linux-musl")]
    );

    // The run step uses it: a dry run against the fake GitHub.
    let fake = Fake::start();
    fake.gh
        .package(
            github_packages::fake::Owner::org("acme"),
            github_packages::PackageType::Container,
            "app",
        )
        .image()
        .image()
        .create()
        .unwrap();
    let (run, summary, outputs) = step(
        &fake,
        runner.dir.path(),
        &[
            ("owner", "acme"),
            ("owner-type", "org"),
            ("packages", "app"),
            ("keep-last", "1"),
            ("registry-url", &fake.url()),
        ],
        Some(&installed),
    );
    run.expect(0);
    assert!(summary.contains("dry run, nothing deleted"), "{summary}");
    assert!(outputs.contains("planned-count=1\n"), "{outputs}");
}

#[test]
fn a_tampered_asset_is_refused_and_never_runs() {
    let marker_dir = tempdir();
    let marker = marker_dir.path().join("ran");
    let good = archive(LINUX_ASSET, "ghpkg", &stand_in("0.2.0", &marker));
    let mut program = stand_in("0.2.0", &marker);
    program.extend_from_slice(b"echo tampered\n");
    let tampered = archive(LINUX_ASSET, "ghpkg", &program);
    let server = MockServer::start();
    let (_, asset) = release(&server, "v0.2.0", LINUX_ASSET, &tampered, &good);
    not_found(&server);
    let runner = Runner::new("v0.2.0", None);

    let run = runner.install(LINUX, &server, &[]);
    run.expect(1);
    assert_eq!(asset.calls(), 1);
    let error = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error title=ghpkg install::"))
        .unwrap_or_else(|| panic!("no ::error in {}", run.stdout));
    assert!(error.contains(LINUX_ASSET), "{error}");
    assert!(
        error.contains(&sha256(&good)),
        "names the expected SHA-256: {error}"
    );
    assert!(
        error.contains(&sha256(&tampered)),
        "and the actual one: {error}"
    );
    assert!(error.contains("not run"), "{error}");
    assert!(
        error.contains("build-from-source: true"),
        "says what to do: {error}"
    );
    // Nothing installed, nothing for the next steps, nothing ran.
    assert!(
        runner.temp_entries().is_empty(),
        "{:?}",
        runner.temp_entries()
    );
    assert_eq!(runner.output("ghpkg"), None);
    assert_eq!(runner.output("build"), None);
    assert_eq!(runner.file("path.txt"), "");
    assert!(!marker.exists(), "the tampered binary ran");
}

#[test]
fn an_asset_missing_from_the_checksums_is_refused() {
    let marker_dir = tempdir();
    let marker = marker_dir.path().join("ran");
    let bytes = archive(LINUX_ASSET, "ghpkg", &stand_in("0.2.0", &marker));
    let server = MockServer::start();
    let sums = format!("{}  ghpkg-aarch64-apple-darwin.tar.gz\n", sha256(&bytes));
    serve(&server, "v0.2.0", "SHA256SUMS", sums.as_bytes());
    serve(&server, "v0.2.0", LINUX_ASSET, &bytes);
    not_found(&server);
    let runner = Runner::new("v0.2.0", None);

    let run = runner.install(LINUX, &server, &[]);
    run.expect(1);
    assert!(
        run.stdout
            .contains("SHA256SUMS of release v0.2.0 lists no checksum for ghpkg-x86_64"),
        "{}",
        run.stdout
    );
    assert!(runner.temp_entries().is_empty());
    assert_eq!(runner.output("ghpkg"), None);
    assert!(!marker.exists());
}

/// The documented behaviour: an error naming the asset and what to do,
/// never a silent build or an unverified binary.
#[test]
fn a_missing_asset_stops_the_step_with_what_to_do() {
    let server = MockServer::start();
    serve(&server, "v0.2.0", "SHA256SUMS", b"");
    let missing = not_found(&server);
    let runner = Runner::new("v0.2.0", None);

    let run = runner.install(LINUX, &server, &[]);
    run.expect(1);
    assert_eq!(missing.calls(), 1);
    let error = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error"))
        .unwrap_or_else(|| panic!("no ::error in {}", run.stdout));
    let url = server.url(asset_path("v0.2.0", LINUX_ASSET));
    assert!(error.contains(&format!("({url} answers 404)")), "{error}");
    assert!(error.contains("re-run the job later"), "{error}");
    assert!(error.contains("build-from-source: true"), "{error}");
    assert_eq!(runner.output("build"), None, "no silent fallback");
    assert_eq!(runner.output("ghpkg"), None);
    assert!(runner.temp_entries().is_empty());

    // A release without checksums is no better.
    let server = MockServer::start();
    let missing = not_found(&server);
    let run = runner.install(LINUX, &server, &[]);
    run.expect(1);
    assert_eq!(missing.calls(), 1, "the asset is not even fetched");
    assert!(
        run.stdout.contains("has no asset SHA256SUMS"),
        "{}",
        run.stdout
    );
}

#[test]
fn each_runner_gets_the_binary_built_for_it() {
    let marker_dir = tempdir();
    let marker = marker_dir.path().join("ran");
    for (runner_os, arch, asset, name) in [
        ("Linux", "X64", LINUX_ASSET, "ghpkg"),
        (
            "Linux",
            "ARM64",
            "ghpkg-aarch64-unknown-linux-musl.tar.gz",
            "ghpkg",
        ),
        (
            "macOS",
            "ARM64",
            "ghpkg-aarch64-apple-darwin.tar.gz",
            "ghpkg",
        ),
        ("macOS", "X64", "ghpkg-x86_64-apple-darwin.tar.gz", "ghpkg"),
        (
            "Windows",
            "X64",
            "ghpkg-x86_64-pc-windows-msvc.zip",
            "ghpkg.exe",
        ),
        (
            "Windows",
            "ARM64",
            "ghpkg-x86_64-pc-windows-msvc.zip",
            "ghpkg.exe",
        ),
    ] {
        let program = stand_in("1.2.3", &marker);
        let bytes = archive(asset, name, &program);
        let server = MockServer::start();
        release(&server, "v1.2.3", asset, &bytes, &bytes);
        not_found(&server);
        let runner = Runner::new("v1.2.3", None);
        let run = runner.install((runner_os, arch), &server, &[]);
        run.expect(0);
        let installed = runner.output("ghpkg").unwrap();
        assert!(installed.ends_with(&format!("/{name}")), "{installed}");
        assert_eq!(std::fs::read(&installed).unwrap(), program, "{asset}");
    }

    let server = MockServer::start();
    let any = not_found(&server);
    let runner = Runner::new("v1.2.3", None);
    let run = runner.install(("Linux", "ARM"), &server, &[]);
    run.expect(1);
    assert!(
        run.stdout
            .contains("has no ghpkg binary for Linux on ARM: set build-from-source: true"),
        "{}",
        run.stdout
    );
    assert_eq!(any.calls(), 0);
}

/// A binary that is not the release's version (an old asset, a wrong
/// upload) is refused even when its checksum matches.
#[test]
fn a_binary_of_another_version_is_refused() {
    let marker_dir = tempdir();
    let bytes = archive(
        LINUX_ASSET,
        "ghpkg",
        &stand_in("0.1.9", &marker_dir.path().join("ran")),
    );
    let server = MockServer::start();
    release(&server, "v0.2.0", LINUX_ASSET, &bytes, &bytes);
    not_found(&server);
    let runner = Runner::new("v0.2.0", None);
    let run = runner.install(LINUX, &server, &[]);
    run.expect(1);
    assert!(
        run.stdout.contains("says 'ghpkg 0.1.9', not 'ghpkg 0.2.0'"),
        "{}",
        run.stdout
    );
    assert_eq!(runner.output("ghpkg"), None);
}

#[test]
fn a_ref_without_a_release_builds_from_source() {
    let root = std::fs::canonicalize(ROOT).unwrap();
    let server = MockServer::start();
    let any = not_found(&server);
    let key = |runner: &Runner| runner.output("key").expect("a cache key");
    let mut keys = Vec::new();
    for (git_ref, extra) in [
        ("main", &[][..]),
        ("v1", &[][..]),
        ("v0.2.0", &[("INPUT_BUILD_FROM_SOURCE", "true")][..]),
    ] {
        let runner = Runner::new(git_ref, Some(&root));
        let run = runner.install(LINUX, &server, extra);
        run.expect(0);
        assert!(
            run.stdout.contains("built from the action's source"),
            "{}",
            run.stdout
        );
        assert_eq!(runner.output("build").as_deref(), Some("true"));
        let temp = runner.temp();
        assert_eq!(
            runner.output("ghpkg"),
            Some(format!("{}/ghpkg/bin/ghpkg", temp.display()))
        );
        assert_eq!(
            runner.file("path.txt"),
            format!("{}/ghpkg/bin\n", temp.display())
        );
        keys.push(key(&runner));
    }
    assert!(keys[0].starts_with("ghpkg-Linux-X64-"), "{}", keys[0]);
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "one source, one key: {keys:?}"
    );
    assert_eq!(any.calls(), 0, "no download off a release");

    // `uses: ./`: the workspace's own copy.
    let dir = tempdir();
    let local = Runner {
        action_path: root.clone(),
        dir,
    };
    std::fs::create_dir_all(local.temp()).unwrap();
    local.install(("macOS", "ARM64"), &server, &[]).expect(0);
    assert_eq!(local.output("build").as_deref(), Some("true"));
    assert!(key(&local).starts_with("ghpkg-macOS-ARM64-"));

    let runner = Runner::new("main", Some(&root));
    let run = runner.install(LINUX, &server, &[("INPUT_BUILD_FROM_SOURCE", "maybe")]);
    run.expect(1);
    assert!(
        run.stdout
            .contains("build-from-source must be true or false")
    );
}

/// Pinning the action to a release's commit SHA (as zizmor asks) still gets
/// the release's binary; another commit is built from source.
#[test]
fn a_commit_is_a_release_when_the_release_was_built_from_it() {
    let root = std::fs::canonicalize(ROOT).unwrap();
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let pinned = "0123456789abcdef0123456789abcdef01234567";
    let marker_dir = tempdir();
    let marker = marker_dir.path().join("ran");
    let program = stand_in(env!("CARGO_PKG_VERSION"), &marker);
    let bytes = archive(LINUX_ASSET, "ghpkg", &program);
    let server = MockServer::start();
    release(&server, &tag, LINUX_ASSET, &bytes, &bytes);
    serve(
        &server,
        &tag,
        "SOURCE_COMMIT",
        format!("{pinned}\n").as_bytes(),
    );
    not_found(&server);

    let runner = Runner::new(pinned, Some(&root));
    runner.install(LINUX, &server, &[]).expect(0);
    assert_eq!(runner.output("build").as_deref(), Some("false"));
    let installed = runner.output("ghpkg").unwrap();
    assert_eq!(std::fs::read(installed).unwrap(), program);

    let other = "fedcba9876543210fedcba9876543210fedcba98";
    let runner = Runner::new(other, Some(&root));
    let run = runner.install(LINUX, &server, &[]);
    run.expect(0);
    assert!(
        run.stdout
            .contains(&format!("commit {other} is not the one release {tag}")),
        "{}",
        run.stdout
    );
    assert_eq!(runner.output("build").as_deref(), Some("true"));
}

/// The release workflow builds, under the names install.sh downloads, every
/// target install.sh maps a runner to, and no other.
#[test]
fn the_release_builds_every_target_the_action_downloads() {
    let script = std::fs::read_to_string(format!("{ROOT}/action/install.sh")).unwrap();
    let mut mapped: Vec<&str> = script
        .split("target=")
        .skip(1)
        .filter_map(|rest| rest.split([' ', ';', '\n']).next())
        .filter(|t| t.contains('-'))
        .collect();
    mapped.sort();
    mapped.dedup();
    let text = std::fs::read_to_string(format!("{ROOT}/.github/workflows/release.yml")).unwrap();
    let workflow = yaml_rust2::YamlLoader::load_from_str(&text)
        .unwrap()
        .remove(0);
    let mut built: Vec<&str> = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    built.sort();
    assert_eq!(mapped, built);
    assert_eq!(built.len(), 5);
    for name in [
        "ghpkg-$TARGET.tar.gz",
        "ghpkg-$env:TARGET.zip",
        "SHA256SUMS",
        "SOURCE_COMMIT",
    ] {
        assert!(text.contains(name), "release.yml does not write {name}");
    }
    for name in [
        "ghpkg-$target.tar.gz",
        "ghpkg-$target.zip",
        "SHA256SUMS",
        "SOURCE_COMMIT",
    ] {
        assert!(script.contains(name), "install.sh does not read {name}");
    }
}
