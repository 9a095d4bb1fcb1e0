//! The README's library example (`examples/prune_old_untagged.rs`, shown
//! whole in the README, which the root crate's `tests/readme.rs` checks) run
//! against the fake GitHub with multi-arch images: it deletes what it should
//! and leaves no image broken.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use github_packages::fake::{CreatedPackage, FakeGitHub, Owner, Role};
use github_packages::{Client, PackageType, Scope};
use github_packages_retention::{Registry, Target};

#[allow(dead_code)]
#[path = "../examples/prune_old_untagged.rs"]
mod example;

/// A package as a busy repository has it, oldest first: an old multi-arch
/// release `v1` (two platform images and their attestations, all untagged),
/// an old untagged build, an old multi-arch release `v2` with a cosign
/// signature, an old untagged multi-arch build (an index and its platform
/// images, none tagged), and a recent untagged build.
fn busy_package(gh: &FakeGitHub) -> CreatedPackage {
    let ago = |days| Utc::now() - TimeDelta::days(days);
    gh.package(Owner::org("acme"), PackageType::Container, "app")
        .image()
        .tags(["v1"])
        .platforms(["linux/amd64", "linux/arm64"])
        .attestations()
        .created_at(ago(90))
        .image()
        .created_at(ago(80))
        .image()
        .tags(["v2"])
        .platforms(["linux/amd64", "linux/arm64"])
        .cosign_signature()
        .created_at(ago(70))
        .image()
        .platforms(["linux/amd64", "linux/arm64"])
        .created_at(ago(60))
        .image()
        .created_at(ago(2))
        .create()
        .expect("the fixture is valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_prunes_without_breaking_an_image() {
    let gh = FakeGitHub::builder()
        .without_rate_limits()
        .start()
        .await
        .unwrap();
    let app = busy_package(&gh);
    let token = gh.token_with_scopes(&["read:packages", "delete:packages"]);
    let client = Client::builder()
        .base_url(gh.url())
        .token(token.clone())
        .min_write_interval(Duration::ZERO)
        .build()
        .unwrap();
    let registry = Registry::new(&gh.url()).unwrap().token(token);
    let target = Target::new(Scope::org("acme"), PackageType::Container, "app");
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("prune.jsonl");

    let deleted = example::prune_old_untagged(&client, registry, &target, &journal)
        .await
        .unwrap();

    let gone: BTreeSet<i64> = gh
        .deleted_ids("acme", PackageType::Container, "app")
        .into_iter()
        .collect();
    assert_eq!(deleted, gone.len());
    // The old untagged build went, and so did the untagged multi-arch build,
    // whole: its index and both its platform images. The releases, their
    // parts and the signature stay, and so does the recent build.
    let untagged_index = app
        .versions
        .iter()
        .find(|v| v.tags.is_empty() && matches!(v.role, Role::Index { .. }))
        .expect("an untagged index");
    let old_build = app
        .versions
        .iter()
        .find(|v| v.tags.is_empty() && v.role == Role::Image)
        .expect("the old build");
    let mut expected: BTreeSet<i64> = app
        .children_of(untagged_index.id)
        .iter()
        .map(|v| v.id)
        .collect();
    expected.extend([untagged_index.id, old_build.id]);
    assert_eq!(gone, expected);
    // No image is left broken: every index still active has every part.
    let active: BTreeSet<i64> = gh
        .versions("acme", PackageType::Container, "app")
        .iter()
        .filter(|v| v.deleted_at.is_none())
        .map(|v| v.id)
        .collect();
    for version in &app.versions {
        if !active.contains(&version.id) {
            continue;
        }
        for part in app.children_of(version.id) {
            assert!(
                active.contains(&part.id),
                "version {} ({:?}) lost its part {}",
                version.id,
                version.tags,
                part.id
            );
        }
    }
    // The journal records every delete, so undo can restore them.
    let records = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(records.matches(r#""record":"deleted""#).count(), deleted);
}
