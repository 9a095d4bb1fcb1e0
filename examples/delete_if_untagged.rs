//! Deletes one version of a container package if it has no tags, the way a
//! bulk job should: the write slot is booked first, so the version is read
//! one round trip before its DELETE rather than one write interval before.
//! GitHub can restore a deleted version for 30 days (`VersionHandler::restore`).
//!
//! ```sh
//! GITHUB_TOKEN=... cargo run --example delete_if_untagged -- octo-org app 42
//! ```

use github_packages::{Client, PackageType, Scope};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(org), Some(name), Some(id)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: delete_if_untagged ORG CONTAINER_PACKAGE VERSION_ID".into());
    };
    let gh = Client::builder().token_from_env().build()?;
    let version = gh
        .packages(Scope::org(org))
        .version(PackageType::Container, name, id.parse()?);

    gh.reserve_write().await; // waits out the write spacing now
    let tags = version.get().await?.tags().join(", ");
    if tags.is_empty() {
        version.delete().await?; // goes out at once
        println!("deleted version {id}");
    } else {
        println!("kept version {id}: tagged {tags}");
    }
    Ok(())
}
