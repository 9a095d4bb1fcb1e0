//! `Packages`: every packages operation as one method, whatever the owner.
//!
//! Each method validates its input, calls the scope's generated operation
//! (see `scope.rs`) and turns the answer into this crate's types and errors.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use futures::{Stream, TryStreamExt};
use url::Url;

use crate::client::Client;
use crate::error::{Result, from_generated};
use crate::generated::types::{Package, PackageType, PackageVersion, VersionState, Visibility};
use crate::pagination::{self, Listing, MAX_PER_PAGE, Page, Pager, at_the_wall, page_from_parts};
use crate::scope::{self, Gen, Scope};
use crate::validate;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The packages API for one owner; get it from [`Client::packages`].
///
/// ```no_run
/// # async fn run() -> Result<(), github_packages::Error> {
/// use github_packages::{Client, PackageType, Scope};
///
/// let gh = Client::builder().token_from_env().build()?;
/// let org = Scope::org("octo-org");
/// for version in gh.packages(&org).versions(PackageType::Container, "team/app").collect().await? {
///     println!("{} {}", version.id, version.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Packages<'a> {
    client: &'a Client,
    scope: &'a Scope,
}

/// Converts a generated result, naming the request in any error.
async fn finish<T>(client: &Client, result: Gen<T>, method: &str, path: &str) -> Result<T> {
    match result {
        (Ok(value), _) => Ok(value.into_inner()),
        (Err(e), meta) => {
            Err(from_generated(e, meta, method, path, client.shared().has_token).await)
        }
    }
}

/// The package's path as sent (the name percent-encoded as one segment), for
/// error messages.
fn package_path(scope: &Scope, package_type: PackageType, name: &str) -> String {
    let name = progenitor_client::encode_path(name);
    format!("{}/packages/{package_type}/{name}", scope.path_prefix())
}

impl<'a> Packages<'a> {
    pub(crate) fn new(client: &'a Client, scope: &'a Scope) -> Self {
        Packages { client, scope }
    }

    /// Lists the owner's packages of one type, lazily, every page.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use futures::TryStreamExt;
    /// use github_packages::{Client, PackageType, Scope, Visibility};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let private = gh
    ///     .packages(&Scope::org("octo-org"))
    ///     .list(PackageType::Container)
    ///     .visibility(Visibility::Private)
    ///     .stream()
    ///     .try_collect::<Vec<_>>()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self, package_type: PackageType) -> ListPackages {
        ListPackages {
            client: self.client.clone(),
            scope: self.scope.clone(),
            package_type,
            visibility: None,
            options: ListOptions::default(),
        }
    }

    /// Gets one package.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a blank name or impossible owner,
    /// [`Error::NotFound`](crate::Error::NotFound) when it does not exist or the token cannot see it,
    /// and the other variants for transport and API failures.
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let org = Scope::org("octo-org");
    /// let pkg = gh.packages(&org).get(PackageType::Container, "team/app").await?;
    /// println!("{}: {} versions, {:?}", pkg.name, pkg.version_count, pkg.visibility);
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, package_type: PackageType, name: &str) -> Result<Package> {
        validate::scope(self.scope)?;
        validate::package_name(name)?;
        let raw = self.client.generated();
        let result = scope::get_package(raw, self.scope, package_type, name).await;
        let path = package_path(self.scope, package_type, name);
        finish(self.client, result, "GET", &path).await
    }

    /// Deletes a whole package, every version with it. GitHub keeps it
    /// restorable for 30 days. Needs `delete:packages` and admin rights on the
    /// package; GitHub refuses public packages with more than 5,000
    /// downloads.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get); [`Error::Forbidden`](crate::Error::Forbidden) names the missing scope.
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let org = Scope::org("octo-org");
    /// gh.packages(&org).delete(PackageType::Npm, "left-pad").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, package_type: PackageType, name: &str) -> Result<()> {
        validate::scope(self.scope)?;
        validate::package_name(name)?;
        let raw = self.client.generated();
        let result = scope::delete_package(raw, self.scope, package_type, name).await;
        let path = package_path(self.scope, package_type, name);
        finish(self.client, result, "DELETE", &path).await
    }

    /// Restores a package deleted in the last 30 days, provided no package of
    /// the same name was created since. Await it directly, or add the
    /// restore token first with [`RestorePackage::token`].
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let org = Scope::org("octo-org");
    /// gh.packages(&org).restore(PackageType::Npm, "left-pad").await?;
    /// // GitHub may ask for a package token to restore:
    /// gh.packages(&org).restore(PackageType::Npm, "left-pad").token("pkg-token").await?;
    /// # Ok(()) }
    /// ```
    pub fn restore(&self, package_type: PackageType, name: &'a str) -> RestorePackage<'a> {
        RestorePackage {
            packages: *self,
            package_type,
            name,
            token: None,
        }
    }

    /// Lists a package's versions, lazily, every page.
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let org = Scope::org("octo-org");
    /// use futures::TryStreamExt;
    /// use github_packages::VersionState;
    ///
    /// let mut deleted = gh
    ///     .packages(&org)
    ///     .versions(PackageType::Container, "team/app")
    ///     .state(VersionState::Deleted)
    ///     .stream();
    /// while let Some(version) = deleted.try_next().await? {
    ///     println!("{} deleted at {:?}", version.id, version.deleted_at);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn versions(&self, package_type: PackageType, name: &str) -> ListVersions {
        ListVersions {
            client: self.client.clone(),
            scope: self.scope.clone(),
            package_type,
            name: name.to_owned(),
            state: None,
            options: ListOptions::default(),
        }
    }

    /// One version of a package, to get, delete or restore.
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let org = Scope::org("octo-org");
    /// let app = gh.packages(&org);
    /// let version = app.version(PackageType::Container, "team/app", 42);
    /// let v = version.get().await?;
    /// version.delete().await?;
    /// version.restore().await?;
    /// # let _ = v;
    /// # Ok(()) }
    /// ```
    pub fn version(&self, package_type: PackageType, name: &'a str, id: i64) -> Version<'a> {
        Version {
            packages: *self,
            package_type,
            name,
            id,
        }
    }

    /// Packages that could not be migrated from the Docker registry to the
    /// Container registry.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get).
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let org = Scope::org("octo-org");
    /// for pkg in gh.packages(&org).docker_conflicts().await? {
    ///     println!("{} could not be migrated", pkg.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn docker_conflicts(&self) -> Result<Vec<Package>> {
        validate::scope(self.scope)?;
        let raw = self.client.generated();
        let result = scope::docker_conflicts(raw, self.scope).await;
        let path = format!("{}/docker/conflicts", self.scope.path_prefix());
        finish(self.client, result, "GET", &path).await
    }
}

/// Restoring a deleted package; await it to send the request.
#[derive(Clone)]
#[must_use = "a restore does nothing until awaited"]
pub struct RestorePackage<'a> {
    packages: Packages<'a>,
    package_type: PackageType,
    name: &'a str,
    token: Option<String>,
}

impl std::fmt::Debug for RestorePackage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The restore token is a secret; show only whether there is one.
        f.debug_struct("RestorePackage")
            .field("packages", &self.packages)
            .field("package_type", &self.package_type)
            .field("name", &self.name)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl<'a> RestorePackage<'a> {
    /// The package token GitHub may ask for when restoring (the `token`
    /// query parameter). It is never shown in errors.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    async fn send(self) -> Result<()> {
        let Packages { client, scope } = self.packages;
        validate::scope(scope)?;
        validate::package_name(self.name)?;
        let raw = client.generated();
        let token = self.token.as_deref();
        let result = scope::restore_package(raw, scope, self.package_type, self.name, token).await;
        let path = format!(
            "{}/restore",
            package_path(scope, self.package_type, self.name)
        );
        finish(client, result, "POST", &path).await
    }
}

impl<'a> IntoFuture for RestorePackage<'a> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Result<()>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// One version of a package; from [`Packages::version`].
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    packages: Packages<'a>,
    package_type: PackageType,
    name: &'a str,
    id: i64,
}

impl Version<'_> {
    fn checked(&self) -> Result<i64> {
        validate::scope(self.packages.scope)?;
        validate::package_name(self.name)?;
        validate::version_id(self.id)
    }

    fn path(&self) -> String {
        format!(
            "{}/versions/{}",
            package_path(self.packages.scope, self.package_type, self.name),
            self.id
        )
    }

    /// Gets the version.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for id 0 or a blank name, [`Error::NotFound`](crate::Error::NotFound)
    /// when it does not exist, and transport or API failures.
    pub async fn get(&self) -> Result<PackageVersion> {
        let id = self.checked()?;
        let Packages { client, scope } = self.packages;
        let result =
            scope::get_version(client.generated(), scope, self.package_type, self.name, id).await;
        finish(client, result, "GET", &self.path()).await
    }

    /// Deletes the version; restorable for 30 days. GitHub refuses to delete
    /// the last tagged version of a container ([`Error::Rejected`](crate::Error::Rejected), "You must
    /// delete the package instead") and public versions with more than 5,000
    /// downloads.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get); [`Error::Forbidden`](crate::Error::Forbidden) names the missing scope.
    pub async fn delete(&self) -> Result<()> {
        let id = self.checked()?;
        let Packages { client, scope } = self.packages;
        let result =
            scope::delete_version(client.generated(), scope, self.package_type, self.name, id)
                .await;
        finish(client, result, "DELETE", &self.path()).await
    }

    /// Restores a version deleted in the last 30 days.
    ///
    /// # Errors
    ///
    /// As [`delete`](Self::delete); after the 30-day window GitHub answers
    /// with [`Error::NotFound`](crate::Error::NotFound) or [`Error::Rejected`](crate::Error::Rejected).
    pub async fn restore(&self) -> Result<()> {
        let id = self.checked()?;
        let Packages { client, scope } = self.packages;
        let result =
            scope::restore_version(client.generated(), scope, self.package_type, self.name, id)
                .await;
        finish(client, result, "POST", &format!("{}/restore", self.path())).await
    }
}

/// Knobs every listing has.
#[derive(Debug, Clone, Copy)]
struct ListOptions {
    per_page: u8,
    concurrency: usize,
    start_page: u64,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            per_page: MAX_PER_PAGE,
            concurrency: 1,
            start_page: 1,
        }
    }
}

impl ListOptions {
    fn checked(self) -> Result<Self> {
        Ok(ListOptions {
            per_page: validate::per_page(self.per_page)?,
            concurrency: validate::concurrency(self.concurrency)?,
            start_page: validate::page(self.start_page)?,
        })
    }
}

/// Implements the knobs and terminals shared by the list builders.
macro_rules! listing_methods {
    ($item:ty) => {
        /// Items per page, 1 to 100. Default 100, GitHub's maximum, which
        /// means the fewest requests.
        pub fn per_page(mut self, per_page: u8) -> Self {
            self.options.per_page = per_page;
            self
        }

        /// How many pages to fetch at once after the first. Once the first
        /// page's `rel="last"` link tells how many pages there are, pages are
        /// requested `n` at a time and still yielded in order. Default 1:
        /// GitHub asks integrations not to make concurrent requests, and
        /// every request counts against the shared rate-limit budget either
        /// way; raise it to hide latency on long listings.
        ///
        /// ```no_run
        /// # async fn run() -> Result<(), github_packages::Error> {
        /// use futures::TryStreamExt;
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let org = Scope::org("octo-org");
        /// // Up to 8 pages in flight; versions still arrive in GitHub's order.
        /// let all = gh.packages(&org).versions(PackageType::Container, "app").concurrency(8).collect().await?;
        /// # let _ = all;
        /// # Ok(()) }
        /// ```
        pub fn concurrency(mut self, n: usize) -> Self {
            self.options.concurrency = n;
            self
        }

        /// Starts at this page instead of the first (pages count from 1).
        pub fn start_page(mut self, page: u64) -> Self {
            self.options.start_page = page;
            self
        }

        /// The items, lazily: no request is made until the stream is polled,
        /// and only the pages in flight are held in memory. If the listing
        /// cannot be completed, its last item is the error that says why
        /// (see [`Error::PaginationLimit`](crate::Error::PaginationLimit)).
        ///
        /// ```no_run
        /// # async fn run() -> Result<(), github_packages::Error> {
        /// use futures::TryStreamExt;
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let org = Scope::org("octo-org");
        /// let mut versions = gh.packages(&org).versions(PackageType::Container, "app").stream();
        /// while let Some(v) = versions.try_next().await? {
        ///     println!("{} {}", v.id, v.name);
        /// }
        /// # Ok(()) }
        /// ```
        pub fn stream(self) -> impl Stream<Item = Result<$item>> + Send + 'static {
            pagination::item_stream(self)
        }

        /// The pages, lazily, each with its headers and links.
        ///
        /// ```no_run
        /// # async fn run() -> Result<(), github_packages::Error> {
        /// use futures::TryStreamExt;
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let org = Scope::org("octo-org");
        /// let mut pages = gh.packages(&org).list(PackageType::Npm).concurrency(4).pages();
        /// while let Some(page) = pages.try_next().await? {
        ///     let left = page.headers().get("x-ratelimit-remaining");
        ///     println!("page {} of {:?}: {} items, quota left {left:?}",
        ///         page.number(), page.last_page(), page.items().len());
        /// }
        /// # Ok(()) }
        /// ```
        pub fn pages(self) -> impl Stream<Item = Result<Page<$item>>> + Send + 'static {
            pagination::page_stream(self)
        }

        /// Every item of every page.
        ///
        /// # Errors
        ///
        /// The first error the listing met; nothing is returned partially.
        /// Use [`stream`](Self::stream) to keep what arrived before an error.
        ///
        /// ```no_run
        /// # async fn run() -> Result<(), github_packages::Error> {
        /// use futures::TryStreamExt;
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let org = Scope::org("octo-org");
        /// let packages = gh.packages(&org).list(PackageType::Npm).collect().await?;
        /// println!("{} npm packages", packages.len());
        /// # Ok(()) }
        /// ```
        pub async fn collect(self) -> Result<Vec<$item>> {
            // Whole pages are appended at once; moving each item through the
            // item stream's layers costs measurably more (BENCHMARKS.md).
            self.pages()
                .try_fold(Vec::new(), |mut all, page| {
                    all.extend(page.into_items());
                    std::future::ready(Ok(all))
                })
                .await
        }
    };
}

/// A listing of packages; from [`Packages::list`].
#[derive(Debug, Clone)]
#[must_use = "a listing does nothing until streamed or collected"]
pub struct ListPackages {
    client: Client,
    scope: Scope,
    package_type: PackageType,
    visibility: Option<Visibility>,
    options: ListOptions,
}

impl ListPackages {
    /// Only packages with this visibility.
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }

    listing_methods!(Package);
}

impl Listing for ListPackages {
    type Item = Package;

    fn into_pager(self) -> Result<Pager<Package>> {
        validate::scope(&self.scope)?;
        let options = self.options.checked()?;
        let ListPackages {
            client,
            scope,
            package_type,
            visibility,
            ..
        } = self;
        let path = format!("{}/packages", scope.path_prefix());
        let mut query = vec![("package_type", package_type.to_string())];
        query.extend(visibility.map(|v| ("visibility", v.to_string())));
        let url = listing_url(&client, &scope, &["packages"], query, options);
        let first: pagination::FirstPageFn<Package> = Box::new(move |client: Client| {
            Box::pin(async move {
                let raw = client.generated();
                let result = scope::list_packages(
                    raw,
                    &scope,
                    package_type,
                    visibility,
                    options.start_page,
                    options.per_page,
                )
                .await;
                first_page(&client, result, &path, &url, options).await
            })
        });
        Ok(Pager {
            client,
            first,
            per_page: options.per_page,
            concurrency: options.concurrency,
        })
    }
}

/// A listing of a package's versions; from [`Packages::versions`].
#[derive(Debug, Clone)]
#[must_use = "a listing does nothing until streamed or collected"]
pub struct ListVersions {
    client: Client,
    scope: Scope,
    package_type: PackageType,
    name: String,
    state: Option<VersionState>,
    options: ListOptions,
}

impl ListVersions {
    /// Only versions in this state (GitHub's default is active).
    pub fn state(mut self, state: VersionState) -> Self {
        self.state = Some(state);
        self
    }

    listing_methods!(PackageVersion);
}

impl Listing for ListVersions {
    type Item = PackageVersion;

    fn into_pager(self) -> Result<Pager<PackageVersion>> {
        validate::scope(&self.scope)?;
        validate::package_name(&self.name)?;
        let options = self.options.checked()?;
        let ListVersions {
            client,
            scope,
            package_type,
            name,
            state,
            ..
        } = self;
        let path = format!("{}/versions", package_path(&scope, package_type, &name));
        let kind = package_type.to_string();
        let query = state
            .map(|s| ("state", s.to_string()))
            .into_iter()
            .collect();
        let segments = ["packages", kind.as_str(), name.as_str(), "versions"];
        let url = listing_url(&client, &scope, &segments, query, options);
        let first: pagination::FirstPageFn<PackageVersion> = Box::new(move |client: Client| {
            Box::pin(async move {
                let raw = client.generated();
                let result = scope::list_versions(
                    raw,
                    &scope,
                    package_type,
                    &name,
                    state,
                    options.start_page,
                    options.per_page,
                )
                .await;
                first_page(&client, result, &path, &url, options).await
            })
        });
        Ok(Pager {
            client,
            first,
            per_page: options.per_page,
            concurrency: options.concurrency,
        })
    }
}

/// The URL the generated client requests for a listing's first page:
/// relative `Link` references resolve against it.
fn listing_url(
    client: &Client,
    scope: &Scope,
    rest: &[&str],
    mut query: Vec<(&'static str, String)>,
    options: ListOptions,
) -> Url {
    let prefix = scope.path_prefix();
    let segments: Vec<&str> = prefix
        .split('/')
        .filter(|s| !s.is_empty())
        .chain(rest.iter().copied())
        .collect();
    query.push(("page", options.start_page.to_string()));
    query.push(("per_page", options.per_page.to_string()));
    pagination::request_url(client.base_url(), &segments, &query)
}

/// Turns the generated first-page answer into a `Page`, or into the wall
/// error when the listing starts past GitHub's 10,000 items.
async fn first_page<T>(
    client: &Client,
    result: Gen<Vec<T>>,
    path: &str,
    url: &Url,
    options: ListOptions,
) -> Result<Page<T>> {
    match result {
        (Ok(value), _) => {
            let headers = value.headers().clone();
            page_from_parts(value.into_inner(), options.start_page, headers, url)
        }
        (Err(e), meta) => {
            let error = from_generated(e, meta, "GET", path, client.shared().has_token).await;
            Err(at_the_wall(
                error,
                options.start_page,
                u64::from(options.per_page),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_debug_hides_the_restore_token() {
        let client = Client::builder().build().unwrap();
        let org = Scope::org("o");
        let restore = client
            .packages(&org)
            .restore(PackageType::Npm, "app")
            .token("RESTORE-SECRET-1");
        let debug = format!("{restore:?}");
        assert!(!debug.contains("RESTORE-SECRET-1"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}
