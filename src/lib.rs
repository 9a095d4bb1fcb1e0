#![doc = include_str!("../README.md")]
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
