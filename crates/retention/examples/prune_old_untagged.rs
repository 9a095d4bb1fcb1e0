//! Prune a container package with the retention engine: delete the
//! untagged images older than 30 days, and nothing that belongs to an
//! image that stays.
//!
//! ```sh
//! GITHUB_TOKEN=... cargo run -p github-packages-retention --example prune_old_untagged -- acme app
//! ```
//!
//! `GITHUB_API_URL` points it elsewhere: at `ghpkg fake serve` to try it,
//! or at GitHub Enterprise Server (whose registry must then be named).

use std::path::Path;
use std::time::Duration;

use github_packages::{Client, PackageType, Scope};
use github_packages_retention::{Error, Executor, Planner, Policy, Quiet, Registry, Stop, Target};

/// Deletes the untagged images of `package` older than 30 days. Platform
/// images, attestations and signatures of the images that stay are kept,
/// whatever their tags and age; every delete is recorded in `journal`
/// first, so `undo::restore` can bring it back.
pub(crate) async fn prune_old_untagged(
    gh: &Client,
    registry: Registry,
    package: &Target,
    journal: &Path,
) -> Result<usize, Error> {
    let policy = Policy::default()
        .untagged()
        .older_than(Duration::from_secs(30 * 24 * 60 * 60));
    let planned = Planner::new(gh)
        .registry(registry)
        .plan(package, &policy, &Quiet)
        .await?;
    let outcome = Executor::new(gh, Stop::new())
        .delete_planned(&[planned], journal, &Quiet)
        .await?;
    Ok(outcome.deleted())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(org), Some(name)) = (args.next(), args.next()) else {
        return Err("usage: prune_old_untagged ORG PACKAGE".into());
    };
    let token = std::env::var("GITHUB_TOKEN")?;
    let api = std::env::var("GITHUB_API_URL").unwrap_or_else(|_| "https://api.github.com".into());
    let gh = Client::builder()
        .base_url(api)
        .token(token.clone())
        .build()?;
    // ghcr.io for GitHub.com, the API's own origin for a fake on loopback.
    let registry = Registry::for_api(gh.base_url())
        .ok_or("name the registry of this GitHub Enterprise Server")?
        .token(token);
    let package = Target::new(Scope::org(org), PackageType::Container, name);
    let deleted = prune_old_untagged(&gh, registry, &package, Path::new("prune.jsonl")).await?;
    println!("deleted {deleted} versions; `prune.jsonl` records them for undo");
    Ok(())
}
