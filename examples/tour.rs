//! A read-only tour of the client: an organization's private container
//! packages as a stream, one package, its active versions and their tags,
//! one version, and the Docker migration conflicts. Nothing is changed.
//!
//! ```sh
//! GITHUB_TOKEN=... cargo run --example tour -- octo-org team/app
//! ```

use futures::TryStreamExt;
use github_packages::{Client, PackageType, Scope, VersionState, Visibility};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(org), Some(name)) = (args.next(), args.next()) else {
        return Err("usage: tour ORG CONTAINER_PACKAGE".into());
    };
    let mut builder = Client::builder().token_from_env(); // GITHUB_TOKEN, else GH_TOKEN
    if let Ok(url) = std::env::var("GITHUB_API_URL") {
        builder = builder.base_url(url); // GitHub Enterprise Server: https://HOST/api/v3
    }
    let gh = builder.build()?;

    // Or Scope::user("octocat"), Scope::AuthenticatedUser.
    let org = gh.packages(Scope::org(org));
    let mut private = org
        .list(PackageType::Container)
        .visibility(Visibility::Private)
        .stream(); // ItemStream<Package>: Send + Unpin + 'static, a page at a time
    while let Some(package) = private.try_next().await? {
        println!("private: {}", package.name);
    }

    let package = org.get(PackageType::Container, &name).await?;
    println!("{}: {} versions", package.name, package.version_count);
    let versions = org
        .versions(PackageType::Container, &name)
        .state(VersionState::Active)
        .await?; // Vec<PackageVersion>, every page, newest first
    for version in versions.iter().take(5) {
        println!("{} {:?}", version.id, version.tags()); // container tags, each once
    }
    if let Some(newest) = versions.first() {
        let version = org.version(PackageType::Container, &name, newest.id); // VersionHandler
        let again = version.get().await?;
        println!("newest: {} from {}", again.name, again.created_at);
    }

    for conflict in org.docker_conflicts().await? {
        println!("not migrated from the Docker registry: {}", conflict.name);
    }
    Ok(())
}
