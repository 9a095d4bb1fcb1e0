//! Code that deletes old package versions, tested against the fake GitHub:
//! what the fake records is what happened, whatever the code says it did.

use std::time::Duration;

use github_packages::fake::{FakeGitHub, Owner};
use github_packages::{Client, PackageType, Scope};

/// The code under test: deletes the versions of an npm package that are older
/// than `age`, keeping the newest whatever its age.
async fn delete_old(
    gh: &Client,
    org: &str,
    name: &str,
    age: Duration,
) -> github_packages::Result<usize> {
    let packages = gh.packages(Scope::org(org));
    let versions = packages.versions(PackageType::Npm, name).await?; // newest first
    let cutoff = chrono::Utc::now() - age;
    let mut deleted = 0;
    for version in versions.iter().skip(1).filter(|v| v.created_at < cutoff) {
        packages
            .version(PackageType::Npm, name, version.id)
            .delete()
            .await?;
        deleted += 1;
    }
    Ok(deleted)
}

#[tokio::test]
async fn deletes_old_versions_but_the_newest() -> Result<(), Box<dyn std::error::Error>> {
    let github = FakeGitHub::builder().without_rate_limits().start().await?;
    let days = |n| chrono::Utc::now() - chrono::TimeDelta::days(n);
    let lib = github
        .package(Owner::org("acme"), PackageType::Npm, "lib")
        .version("1.0.0")
        .created_at(days(90))
        .version("1.1.0")
        .created_at(days(60))
        .version("2.0.0") // the newest: kept whatever its age
        .created_at(days(45))
        .create()?;
    let gh = Client::builder()
        .base_url(github.url()) // http://127.0.0.1:<port>
        .token(github.token_with_scopes(&["read:packages", "delete:packages"]))
        .min_write_interval(Duration::ZERO) // no pacing needed without rate limits
        .build()?;

    assert_eq!(
        delete_old(&gh, "acme", "lib", Duration::from_secs(30 * 86_400)).await?,
        2
    );

    // The fake's record of what happened, not what the code says it did.
    let mut deleted = github.deleted_ids("acme", PackageType::Npm, "lib");
    deleted.sort();
    assert_eq!(deleted, [lib.versions[0].id, lib.versions[1].id]);
    // As on GitHub, the last version of a package cannot be deleted.
    let last = gh
        .packages(Scope::org("acme"))
        .version(PackageType::Npm, "lib", lib.versions[2].id);
    assert!(last.delete().await.unwrap_err().is_rejected());
    Ok(())
}
