//! A client for the [GitHub Packages REST API](https://docs.github.com/rest/packages): all
//! 27 operations, generated at build time from GitHub's OpenAPI description ([`generated`]),
//! under a hand-written layer that pages, retries, waits out rate limits, spaces writes and
//! says what went wrong in words a user can act on.
//!
//! [`Client::packages`] takes a [`Scope`] (the authenticated user, a user or an
//! organization) and returns a [`PackagesHandler`]; each operation is a builder that owns
//! its arguments and is awaited (or `.send()`), and listings are also lazy streams
//! ([`ItemStream`], [`PageStream`]):
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use github_packages::{Client, PackageType, Scope};
//!
//! # async fn run() -> Result<(), github_packages::Error> {
//! let gh = Client::builder().token_from_env().build()?;
//! let org = gh.packages(Scope::org("octo-org"));
//! let mut versions = org.versions(PackageType::Container, "app").stream();
//! while let Some(version) = versions.try_next().await? {
//!     println!("{} {:?}", version.id, version.tags());
//! }
//! # Ok(()) }
//! ```
//!
//! Every error is an [`Error`], classified by status before the body is read, with the
//! token scope, rate-limit reset or input field it is about; the token never appears in
//! one, and is never sent to another host than the API's.
//!
//! Complete programs, in the repository's `examples/` directory (shown whole in its
//! README):
//!
//! - `tour.rs`: a read-only walk from an organization's packages down to one version;
//! - `delete_if_untagged.rs`: a delete the way a bulk job should do it
//!   ([`Client::reserve_write`]);
//! - `proxy.rs`: a `reqwest::Client` of your own (proxy, root certificates) through
//!   [`ClientBuilder::http_client`];
//! - `api_version.rs`: a later REST API version ([`ApiVersion`]);
//! - `list.rs`: a small command-line lister.
//!
//! Features: `rustls` (default; rustls with the `ring` provider, configured for each
//! client only), `native-tls`, and `fake`: `github_packages::fake`, a stateful stand-in
//! for GitHub's packages API and container registry on 127.0.0.1, to test code that
//! deletes and restores packages. Pruning container packages safely (multi-arch images,
//! signatures) is the job of the `github-packages-retention` crate.
#![deny(missing_docs)]
#![warn(rustdoc::broken_intra_doc_links)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// No module imports a module that imports it back (tests/architecture.rs
// checks the whole graph for cycles). From the leaves up: links, ratelimit,
// scopes, budget; error; api_version, pacing, tls; origin; transport; generated,
// scope, models, validate; classify; client; pagination; operations, listing;
// packages.
mod api_version;
mod budget;
mod classify;
mod client;
mod error;
#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
pub mod fake;
pub mod generated;
mod links;
mod listing;
mod models;
mod operations;
pub mod origin;
mod pacing;
mod packages;
mod pagination;
mod ratelimit;
mod scope;
mod scopes;
mod tls;
mod transport;
mod validate;

pub use api_version::ApiVersion;
pub use client::{Client, ClientBuilder, DEFAULT_API_VERSION, DEFAULT_BASE_URL};
pub use error::{ApiError, BoxError, Error, Result, TransportCause};
pub use generated::types::{
    BasicError, ContainerMetadata, DockerMetadata, Package, PackageType, PackageVersion,
    PackageVersionMetadata, SimpleUser, VersionState, Visibility,
};
pub use links::{LinkError, LinkErrorKind, Links};
pub use listing::{ListPackages, ListVersions};
pub use operations::{
    DeletePackage, DeleteVersion, GetPackage, GetVersion, ListDockerConflicts, ResponseFuture,
    RestorePackage, RestoreVersion,
};
pub use packages::{PackagesHandler, VersionHandler};
pub use pagination::{ItemStream, MAX_PER_PAGE, PAGINATION_WALL, Page, PageStream};
pub use ratelimit::RateLimitKind;
pub use scope::Scope;
