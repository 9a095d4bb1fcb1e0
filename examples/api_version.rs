//! Asks GitHub for a later version of its REST API than the default
//! `2022-11-28`: a version this crate names, or any other by its date.
//!
//! ```sh
//! GITHUB_TOKEN=... cargo run --example api_version -- octo-org
//! ```

use github_packages::{ApiVersion, Client, PackageType, Scope};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let org = std::env::args().nth(1).ok_or("usage: api_version ORG")?;
    let gh = Client::builder()
        .token_from_env()
        .api_version(ApiVersion::V2026_03_10) // or .api_version("2027-01-15")
        .build()?; // anything but a date YYYY-MM-DD is refused here
    let npm = gh.packages(Scope::org(org)).list(PackageType::Npm).await?;
    println!("{} npm packages", npm.len());
    Ok(())
}
