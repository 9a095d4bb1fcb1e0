//! The handles a caller starts from: `Client::packages` gives a
//! `PackagesHandler` for one owner, whose methods return the operation
//! builders; `PackagesHandler::version` gives a `VersionHandler` for one
//! version. Both own what they hold and are cheap to clone.

use crate::client::Client;
use crate::generated::types::PackageType;
use crate::listing::{ListPackages, ListVersions};
use crate::operations::{
    DeletePackage, DeleteVersion, GetPackage, GetVersion, ListDockerConflicts, PackageRef,
    RestorePackage, RestoreVersion, VersionRef,
};
use crate::scope::Scope;

impl Client {
    /// The packages API for one owner: the authenticated user, a named user,
    /// or an organization. Takes the [`Scope`] by value or by reference
    /// (cloned); the handler owns it, so the builders and futures it returns
    /// borrow nothing.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let org = Scope::org("octo-org");
    /// // A future made from a temporary handler can be stored and awaited later.
    /// let pending = gh.packages(&org).get(PackageType::Npm, "left-pad");
    /// let package = pending.await?;
    /// println!("{} has {} versions", package.name, package.version_count);
    /// # Ok(()) }
    /// ```
    pub fn packages(&self, scope: impl Into<Scope>) -> PackagesHandler {
        PackagesHandler {
            client: self.clone(),
            scope: scope.into(),
        }
    }
}

/// The packages API for one owner; from [`Client::packages`].
///
/// Every method returns a builder that owns its arguments; finish it with
/// `.await` or `.send()` (listings also have `.stream()` and `.pages()`).
/// Input is checked when the builder is sent: a blank name or an impossible
/// owner is [`Error::InvalidInput`](crate::Error::InvalidInput) before any
/// request.
///
/// ```no_run
/// # async fn run() -> Result<(), github_packages::Error> {
/// use github_packages::{Client, PackageType, Scope};
///
/// let gh = Client::builder().token_from_env().build()?;
/// let org = gh.packages(Scope::org("octo-org"));
/// for version in org.versions(PackageType::Container, "team/app").await? {
///     println!("{} {}", version.id, version.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PackagesHandler {
    client: Client,
    scope: Scope,
}

impl PackagesHandler {
    /// The owner this handler is for.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    fn package(&self, package_type: PackageType, name: impl Into<String>) -> PackageRef {
        PackageRef {
            client: self.client.clone(),
            scope: self.scope.clone(),
            package_type,
            name: name.into(),
        }
    }

    /// Lists the owner's packages of one type, lazily, every page.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use futures::TryStreamExt;
    /// use github_packages::{Client, PackageType, Scope, Visibility};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let mut private = gh
    ///     .packages(Scope::org("octo-org"))
    ///     .list(PackageType::Container)
    ///     .visibility(Visibility::Private)
    ///     .stream();
    /// while let Some(package) = private.try_next().await? {
    ///     println!("{}", package.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self, package_type: PackageType) -> ListPackages {
        ListPackages::new(self.client.clone(), self.scope.clone(), package_type)
    }

    /// Gets one package.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let pkg = gh
    ///     .packages(Scope::org("octo-org"))
    ///     .get(PackageType::Container, "team/app")
    ///     .await?;
    /// println!("{}: {} versions, {:?}", pkg.name, pkg.version_count, pkg.visibility);
    /// # Ok(()) }
    /// ```
    pub fn get(&self, package_type: PackageType, name: impl Into<String>) -> GetPackage {
        GetPackage {
            package: self.package(package_type, name),
        }
    }

    /// Deletes a whole package, every version with it. GitHub keeps it
    /// restorable for 30 days. Needs `read:packages` and `delete:packages`
    /// (classic tokens) and admin rights on the package; GitHub refuses
    /// public packages with more than 5,000 downloads.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// gh.packages(Scope::org("octo-org")).delete(PackageType::Npm, "left-pad").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, package_type: PackageType, name: impl Into<String>) -> DeletePackage {
        DeletePackage {
            package: self.package(package_type, name),
        }
    }

    /// Restores a package deleted in the last 30 days, provided no package of
    /// the same name was created since. Needs `read:packages` and
    /// `write:packages` (classic tokens).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let org = gh.packages(Scope::org("octo-org"));
    /// org.restore(PackageType::Npm, "left-pad").await?;
    /// // GitHub may ask for a package token to restore:
    /// org.restore(PackageType::Npm, "left-pad").token("pkg-token").await?;
    /// # Ok(()) }
    /// ```
    pub fn restore(&self, package_type: PackageType, name: impl Into<String>) -> RestorePackage {
        RestorePackage {
            package: self.package(package_type, name),
            token: None,
        }
    }

    /// Lists a package's versions, lazily, every page.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use futures::TryStreamExt;
    /// use github_packages::{Client, PackageType, Scope, VersionState};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let mut deleted = gh
    ///     .packages(Scope::org("octo-org"))
    ///     .versions(PackageType::Container, "team/app")
    ///     .state(VersionState::Deleted)
    ///     .stream();
    /// while let Some(version) = deleted.try_next().await? {
    ///     println!("{} deleted at {:?}", version.id, version.deleted_at);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn versions(&self, package_type: PackageType, name: impl Into<String>) -> ListVersions {
        ListVersions::new(
            self.client.clone(),
            self.scope.clone(),
            package_type,
            name.into(),
        )
    }

    /// One version of a package, to get, delete or restore.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let version = gh
    ///     .packages(Scope::org("octo-org"))
    ///     .version(PackageType::Container, "team/app", 42);
    /// let v = version.get().await?;
    /// version.delete().await?;
    /// version.restore().await?;
    /// # let _ = v;
    /// # Ok(()) }
    /// ```
    pub fn version(
        &self,
        package_type: PackageType,
        name: impl Into<String>,
        id: i64,
    ) -> VersionHandler {
        VersionHandler {
            version: VersionRef {
                package: self.package(package_type, name),
                id,
            },
        }
    }

    /// Packages that could not be migrated from the Docker registry to the
    /// Container registry.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// for pkg in gh.packages(Scope::org("octo-org")).docker_conflicts().await? {
    ///     println!("{} could not be migrated", pkg.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn docker_conflicts(&self) -> ListDockerConflicts {
        ListDockerConflicts {
            client: self.client.clone(),
            scope: self.scope.clone(),
        }
    }
}

/// One version of a package; from [`PackagesHandler::version`]. Owns what it
/// names and is cheap to clone; each method returns a builder to await.
///
/// ```no_run
/// # async fn run() -> Result<(), github_packages::Error> {
/// use github_packages::{Client, PackageType, Scope, VersionHandler};
///
/// let gh = Client::builder().token_from_env().build()?;
/// let app = gh.packages(Scope::org("octo-org"));
/// // Handlers can be kept, cloned and moved into tasks.
/// let versions: Vec<VersionHandler> = [41, 42]
///     .into_iter()
///     .map(|id| app.version(PackageType::Container, "team/app", id))
///     .collect();
/// for version in versions {
///     let tags = version.get().await?.tags().join(", ");
///     println!("{} {} [{tags}]", version.package_name(), version.id());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct VersionHandler {
    version: VersionRef,
}

impl VersionHandler {
    /// The version id.
    pub fn id(&self) -> i64 {
        self.version.id
    }

    /// The package's name.
    pub fn package_name(&self) -> &str {
        &self.version.package.name
    }

    /// The package's type.
    pub fn package_type(&self) -> PackageType {
        self.version.package.package_type
    }

    /// Gets the version.
    pub fn get(&self) -> GetVersion {
        GetVersion {
            version: self.version.clone(),
        }
    }

    /// Deletes the version; restorable for 30 days. Needs `read:packages`
    /// and `delete:packages` (classic tokens).
    pub fn delete(&self) -> DeleteVersion {
        DeleteVersion {
            version: self.version.clone(),
        }
    }

    /// Restores a version deleted in the last 30 days. Needs `read:packages`
    /// and `write:packages` (classic tokens).
    pub fn restore(&self) -> RestoreVersion {
        RestoreVersion {
            version: self.version.clone(),
        }
    }
}
