#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![warn(rustdoc::broken_intra_doc_links)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod budget;
mod client;
mod error;
#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
pub mod fake;
pub mod generated;
mod packages;
mod pagination;
mod scope;
mod transport;
mod validate;

pub use client::{Client, ClientBuilder, DEFAULT_API_VERSION, DEFAULT_BASE_URL};
pub use error::{ApiError, Error, RateLimitKind, Result};
pub use generated::types::{
    BasicError, ContainerMetadata, DockerMetadata, Package, PackageType, PackageVersion,
    PackageVersionMetadata, SimpleUser, VersionState, Visibility,
};
pub use packages::{ListPackages, ListVersions, Packages, RestorePackage, Version};
pub use pagination::{Links, MAX_PER_PAGE, PAGINATION_WALL, Page};
pub use scope::Scope;
