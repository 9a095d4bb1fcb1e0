//! Running `ghpkg` against the crate's own fake GitHub
//! (`github_packages::fake`): one fake per test, served by a runtime this
//! module keeps alive while the binary runs in a child process.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

use github_packages::fake::{FakeBuilder, FakeGitHub};

use crate::support::Run;

/// Scopes a token needs to list, delete and restore.
pub(crate) const ALL_SCOPES: &[&str] = &["read:packages", "write:packages", "delete:packages"];

/// A fake GitHub and the runtime serving it.
pub(crate) struct Fake {
    pub(crate) gh: FakeGitHub,
    pub(crate) token: String,
    runtime: tokio::runtime::Runtime,
}

impl Fake {
    /// A fake without rate limits (tests of limits configure their own).
    pub(crate) fn start() -> Fake {
        Fake::with(FakeBuilder::without_rate_limits)
    }

    /// A fake configured by `configure`, with a token that has every
    /// packages scope.
    pub(crate) fn with(configure: impl FnOnce(FakeBuilder) -> FakeBuilder) -> Fake {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the fake");
        let gh = runtime
            .block_on(configure(FakeGitHub::builder()).start())
            .expect("the fake starts");
        let token = gh.token_with_scopes(ALL_SCOPES);
        Fake { gh, token, runtime }
    }

    /// Runs `ghpkg` against the fake (API and registry) in `dir`, with no
    /// pacing and no retries unless `args` set them.
    pub(crate) fn ghpkg(&self, dir: &Path, args: &[&str]) -> Run {
        self.ghpkg_env(dir, args, &[])
    }

    /// [`Fake::ghpkg`] with extra environment variables.
    pub(crate) fn ghpkg_env(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let url = self.gh.url();
        let mut command = Command::new(env!("CARGO_BIN_EXE_ghpkg"));
        command
            .args(["--api-url", &url])
            .args(with_defaults(args))
            .current_dir(dir)
            .env("GITHUB_TOKEN", &self.token)
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_API_URL")
            .env_remove("GHPKG_RESTORE_TOKEN")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_OUTPUT")
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        let output = command.output().expect("ghpkg runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The fake's URL, also its registry's (`--registry-url`).
    pub(crate) fn url(&self) -> String {
        self.gh.url()
    }

    /// Runs `future` on the fake's runtime (for fixtures that await).
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// `args` with `--write-interval 0 --points-per-minute 0 --max-retries 0`
/// in front unless a test sets one of them.
fn with_defaults<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (flag, value) in [
        ("--write-interval", "0"),
        ("--points-per-minute", "0"),
        ("--max-retries", "0"),
    ] {
        if !args.contains(&flag) {
            out.extend([flag, value]);
        }
    }
    out.extend_from_slice(args);
    out
}
