//! The single-call operations (get, delete and restore a package or a
//! version, list Docker conflicts) as owned builders.
//!
//! Each builder owns its client, scope and names, so the future it turns
//! into is `Send + 'static` and borrows nothing. Every one finishes the same
//! two ways: `.await` it (it implements `IntoFuture`) or call `.send()`.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use crate::classify::check;
use crate::client::Client;
use crate::error::Result;
use crate::generated::types::{Package, PackageType, PackageVersion};
use crate::scope::{self, Called, Scope};
use crate::validate;

/// The future an operation builder turns into when awaited: boxed, `Send`
/// and `'static`.
pub type ResponseFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

/// The value of a generated call, or this crate's error.
async fn value<T>(called: Called<T>, client: &Client) -> Result<T> {
    check(called, client.shared())
        .await
        .map(|(value, _)| value.into_inner())
}

/// Which package a call is about.
#[derive(Debug, Clone)]
pub(crate) struct PackageRef {
    pub(crate) client: Client,
    pub(crate) scope: Scope,
    pub(crate) package_type: PackageType,
    pub(crate) name: String,
}

impl PackageRef {
    fn checked(&self) -> Result<()> {
        validate::scope(&self.scope)?;
        validate::package_name(&self.name)
    }
}

/// Which version a call is about.
#[derive(Debug, Clone)]
pub(crate) struct VersionRef {
    pub(crate) package: PackageRef,
    pub(crate) id: i64,
}

impl VersionRef {
    fn checked(&self) -> Result<i64> {
        self.package.checked()?;
        validate::version_id(self.id)
    }
}

/// Implements `IntoFuture` through the builder's `send`.
macro_rules! awaitable {
    ($builder:ident -> $output:ty) => {
        impl IntoFuture for $builder {
            type Output = Result<$output>;
            type IntoFuture = ResponseFuture<$output>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

/// Gets one package; from [`PackagesHandler::get`](crate::PackagesHandler::get).
/// Await it or call [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until awaited or sent"]
pub struct GetPackage {
    pub(crate) package: PackageRef,
}

impl GetPackage {
    /// Sends the request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a blank name or
    /// impossible owner (nothing is sent), [`Error::NotFound`](crate::Error::NotFound)
    /// when the package does not exist or the token cannot see it, and the
    /// other variants for transport and API failures.
    pub async fn send(self) -> Result<Package> {
        self.package.checked()?;
        let p = &self.package;
        let called =
            scope::get_package(p.client.generated(), &p.scope, p.package_type, &p.name).await;
        value(called, &p.client).await
    }
}

awaitable!(GetPackage -> Package);

/// Deletes a whole package; from
/// [`PackagesHandler::delete`](crate::PackagesHandler::delete). Await it or
/// call [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until awaited or sent"]
pub struct DeletePackage {
    pub(crate) package: PackageRef,
}

impl DeletePackage {
    /// Sends the request.
    ///
    /// # Errors
    ///
    /// As [`GetPackage::send`]; [`Error::Forbidden`](crate::Error::Forbidden)
    /// names the missing scope, [`Error::Rejected`](crate::Error::Rejected)
    /// keeps GitHub's reason for refusing (more than 5,000 downloads).
    pub async fn send(self) -> Result<()> {
        self.package.checked()?;
        let p = &self.package;
        let called =
            scope::delete_package(p.client.generated(), &p.scope, p.package_type, &p.name).await;
        value(called, &p.client).await
    }
}

awaitable!(DeletePackage -> ());

/// Restores a deleted package; from
/// [`PackagesHandler::restore`](crate::PackagesHandler::restore). Add the
/// restore token GitHub may ask for with [`token`](Self::token), then await
/// it or call [`send`](Self::send).
#[derive(Clone)]
#[must_use = "a request does nothing until awaited or sent"]
pub struct RestorePackage {
    pub(crate) package: PackageRef,
    pub(crate) token: Option<String>,
}

impl fmt::Debug for RestorePackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The restore token is a secret; show only whether there is one.
        f.debug_struct("RestorePackage")
            .field("package", &self.package)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl RestorePackage {
    /// The package token GitHub may ask for when restoring (the `token`
    /// query parameter). It is never shown in errors, `Debug` or logs.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sends the request. A restore (POST) is retried only after a rate-limit
    /// answer, never after a transport error or 5xx: GitHub may have acted.
    ///
    /// # Errors
    ///
    /// As [`DeletePackage::send`]; after the 30-day window, or when a new
    /// package took the name, GitHub answers with
    /// [`Error::NotFound`](crate::Error::NotFound) or
    /// [`Error::Rejected`](crate::Error::Rejected).
    pub async fn send(self) -> Result<()> {
        self.package.checked()?;
        let p = &self.package;
        let raw = p.client.generated();
        let token = self.token.as_deref();
        let called = scope::restore_package(raw, &p.scope, p.package_type, &p.name, token).await;
        value(called, &p.client).await
    }
}

awaitable!(RestorePackage -> ());

/// Gets one version; from [`VersionHandler::get`](crate::VersionHandler::get).
/// Await it or call [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until awaited or sent"]
pub struct GetVersion {
    pub(crate) version: VersionRef,
}

impl GetVersion {
    /// Sends the request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for id 0 or a blank
    /// name, [`Error::NotFound`](crate::Error::NotFound) when it does not
    /// exist, and transport or API failures.
    pub async fn send(self) -> Result<PackageVersion> {
        let id = self.version.checked()?;
        let p = &self.version.package;
        let called =
            scope::get_version(p.client.generated(), &p.scope, p.package_type, &p.name, id).await;
        value(called, &p.client).await
    }
}

awaitable!(GetVersion -> PackageVersion);

/// Deletes one version; from
/// [`VersionHandler::delete`](crate::VersionHandler::delete). Await it or
/// call [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until awaited or sent"]
pub struct DeleteVersion {
    pub(crate) version: VersionRef,
}

impl DeleteVersion {
    /// Sends the request.
    ///
    /// # Errors
    ///
    /// As [`GetVersion::send`]; GitHub refuses to delete the last tagged
    /// version of a container ([`Error::Rejected`](crate::Error::Rejected),
    /// "You must delete the package instead") and public versions with more
    /// than 5,000 downloads; [`Error::Forbidden`](crate::Error::Forbidden)
    /// names a missing scope.
    pub async fn send(self) -> Result<()> {
        let id = self.version.checked()?;
        let p = &self.version.package;
        let called =
            scope::delete_version(p.client.generated(), &p.scope, p.package_type, &p.name, id)
                .await;
        value(called, &p.client).await
    }
}

awaitable!(DeleteVersion -> ());

/// Restores one deleted version; from
/// [`VersionHandler::restore`](crate::VersionHandler::restore). Await it or
/// call [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until awaited or sent"]
pub struct RestoreVersion {
    pub(crate) version: VersionRef,
}

impl RestoreVersion {
    /// Sends the request; like every restore, retried only after a rate
    /// limit.
    ///
    /// # Errors
    ///
    /// As [`DeleteVersion::send`]; after the 30-day window GitHub answers
    /// with [`Error::NotFound`](crate::Error::NotFound) or
    /// [`Error::Rejected`](crate::Error::Rejected).
    pub async fn send(self) -> Result<()> {
        let id = self.version.checked()?;
        let p = &self.version.package;
        let called =
            scope::restore_version(p.client.generated(), &p.scope, p.package_type, &p.name, id)
                .await;
        value(called, &p.client).await
    }
}

awaitable!(RestoreVersion -> ());

/// Lists the packages that could not be migrated from the Docker registry
/// to the Container registry; from
/// [`PackagesHandler::docker_conflicts`](crate::PackagesHandler::docker_conflicts).
/// Await it or call [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until awaited or sent"]
pub struct ListDockerConflicts {
    pub(crate) client: Client,
    pub(crate) scope: Scope,
}

impl ListDockerConflicts {
    /// Sends the request (GitHub answers with one unpaged list).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an impossible
    /// owner, and the variants for transport and API failures.
    pub async fn send(self) -> Result<Vec<Package>> {
        validate::scope(&self.scope)?;
        let called = scope::docker_conflicts(self.client.generated(), &self.scope).await;
        value(called, &self.client).await
    }
}

awaitable!(ListDockerConflicts -> Vec<Package>);
