//! A client that goes through a proxy and trusts a private root certificate:
//! build the `reqwest::Client` yourself and hand it over. Headers, timeouts
//! per request, retries, rate limits and pacing still come from this crate.
//!
//! ```sh
//! GITHUB_TOKEN=... cargo run --example proxy --no-default-features --features native-tls -- \
//!     https://github.corp.example/api/v3 http://proxy.corp.example:3128 corp-root-ca.pem
//! ```
//!
//! reqwest needs a TLS provider of its own for this: an application that
//! depends on `reqwest` with its default features has one. This repository
//! builds reqwest without one (see the `rustls` feature), hence `native-tls`
//! in the command above.

use github_packages::{Client, PackageType, Scope};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(api), Some(proxy), Some(ca)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: proxy API_URL PROXY_URL ROOT_CA_PEM".into());
    };
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca)?)?;
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .proxy(reqwest::Proxy::https(proxy)?)
        .build()?;
    let gh = Client::builder()
        .base_url(api)
        .token_from_env()
        .http_client(http)
        .build()?;

    let mine = gh.packages(Scope::AuthenticatedUser);
    let packages = mine.list(PackageType::Container).max_items(10).await?;
    println!("{} container packages (at most 10 shown)", packages.len());
    for package in packages {
        println!("{}", package.name);
    }
    Ok(())
}
