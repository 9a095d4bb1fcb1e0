//! The crate's own fake GitHub (`github_packages::fake`) for `ghpkg` to
//! talk to: one fake per test, served by a runtime this module keeps alive
//! while the binary runs in a child process.
#![allow(dead_code)]

use std::path::Path;

use github_packages::PackageType;
use github_packages::fake::{FakeBuilder, FakeGitHub};

use crate::support::{Ghpkg, Run};

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

    /// `ghpkg` against the fake (API and registry) in `dir`, with the
    /// token and with no pacing and no retries unless the test sets them.
    pub(crate) fn cli(&self, dir: &Path) -> Ghpkg {
        Ghpkg::new(dir)
            .api(&self.gh.url())
            .token(&self.token)
            .fast()
    }

    /// Runs [`Fake::cli`] with `args`.
    pub(crate) fn ghpkg(&self, dir: &Path, args: &[&str]) -> Run {
        self.cli(dir).args(args).run()
    }

    /// [`Fake::ghpkg`] with extra environment variables.
    pub(crate) fn ghpkg_env(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.cli(dir).args(args).envs(env).run()
    }

    /// The versions of acme's container package `name` deleted so far,
    /// ascending.
    pub(crate) fn deleted(&self, name: &str) -> Vec<i64> {
        let mut ids = self.gh.deleted_ids("acme", PackageType::Container, name);
        ids.sort();
        ids
    }

    /// The versions of acme's container package `name` restored so far,
    /// ascending.
    pub(crate) fn restored(&self, name: &str) -> Vec<i64> {
        let mut ids = self.gh.restored_ids("acme", PackageType::Container, name);
        ids.sort();
        ids
    }

    /// How many DELETE requests the fake has seen.
    pub(crate) fn deletes_sent(&self) -> usize {
        self.gh
            .requests()
            .iter()
            .filter(|r| r.method == http::Method::DELETE)
            .count()
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
