//! Packages on the fake GitHub that the engine's tests and ghpkg's tests
//! both build (ghpkg's include this file by path), and GitHub refusing a
//! version's delete or restore.

use chrono::{TimeDelta, Utc};
use github_packages::PackageType;
use github_packages::fake::{CreatedPackage, FakeGitHub, FaultHandle, Owner, Role};
use serde_json::json;

/// acme's container package `name`: a tagged multi-arch image (`v1`, two
/// platform versions), two untagged orphans, and `latest` on the newest
/// image.
pub(crate) fn with_orphans(gh: &FakeGitHub, name: &str) -> CreatedPackage {
    gh.package(Owner::org("acme"), PackageType::Container, name)
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .image()
        .image()
        .image()
        .tags(["latest"])
        .create()
        .unwrap()
}

/// The ids of `package`'s untagged orphans, ascending (what an untagged
/// prune deletes).
pub(crate) fn orphans(package: &CreatedPackage) -> Vec<i64> {
    let mut ids: Vec<i64> = package
        .versions
        .iter()
        .filter(|v| v.tags.is_empty() && matches!(v.role, Role::Image))
        .map(|v| v.id)
        .collect();
    ids.sort();
    ids
}

/// acme's container `app`: `n` untagged images, oldest first, and a newer
/// one tagged `latest` that an untagged prune keeps. The untagged ids,
/// oldest first (the order a prune deletes them in).
pub(crate) fn untagged_app(gh: &FakeGitHub, n: usize) -> Vec<i64> {
    let mut builder = gh.package(Owner::org("acme"), PackageType::Container, "app");
    for i in 0..n {
        let created = Utc::now() - TimeDelta::hours(1000 - i as i64);
        builder = builder.image().created_at(created).package();
    }
    let app = builder.image().tags(["latest"]).create().unwrap();
    app.versions[..n].iter().map(|v| v.id).collect()
}

/// The fake answers `method` on version `id` of acme's `app` (`suffix`: ""
/// or "/restore") with `status` and GitHub's `message`, every time.
pub(crate) fn refuse(
    gh: &FakeGitHub,
    method: &str,
    id: i64,
    suffix: &str,
    status: u16,
    message: &str,
) -> FaultHandle {
    let body = json!({ "message": message }).to_string();
    gh.fault(
        method,
        &format!("/orgs/acme/packages/container/app/versions/{id}{suffix}"),
    )
    .respond(status, body)
    .unwrap()
}
