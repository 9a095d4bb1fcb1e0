//! The two listings, packages and versions: their knobs, the generated
//! operation that fetches each of their pages, and the three ways to read
//! them (`.stream()`, `.pages()`, `.send()` or `.await`).

use std::future::{Future, IntoFuture};
use std::sync::Arc;

use futures::TryStreamExt;

use crate::classify::check;
use crate::client::Client;
use crate::error::Result;
use crate::generated::types::{Package, PackageType, PackageVersion, VersionState, Visibility};
use crate::operations::ResponseFuture;
use crate::pagination::{
    FetchPage, Fetched, ItemStream, MAX_PER_PAGE, PageStream, Pager, PagerOptions,
};
use crate::scope::{self, Called, PageArgs, Scope};
use crate::validate;

/// Knobs every listing has, as set.
#[derive(Debug, Clone, Copy)]
struct ListOptions {
    per_page: u8,
    concurrency: usize,
    start_page: u64,
    max_items: Option<u64>,
    max_pages: Option<u64>,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            per_page: MAX_PER_PAGE,
            concurrency: 1,
            start_page: 1,
            max_items: None,
            max_pages: None,
        }
    }
}

impl ListOptions {
    fn checked(self) -> Result<PagerOptions> {
        Ok(PagerOptions {
            per_page: validate::per_page(self.per_page)?,
            concurrency: validate::concurrency(self.concurrency)?,
            start_page: validate::page(self.start_page)?,
            max_items: self.max_items,
            max_pages: self.max_pages,
        })
    }
}

/// A page as the generated operation returned it, or this crate's error.
async fn fetched<T>(called: Called<Vec<T>>, client: &Client) -> Result<Fetched<T>> {
    let (value, meta) = check(called, client.shared()).await?;
    // Inside a tracked call the answer's headers were moved to its facts.
    let (headers, url) = match meta {
        Some(meta) => (meta.headers, meta.url),
        None => (value.headers().clone(), client.base_url().clone()),
    };
    Ok(Fetched {
        items: value.into_inner(),
        headers,
        url,
    })
}

/// A pager whose every page is `call(client, page)`: the listing's generated
/// operation, asked for that page.
fn pager<T, F, Fut>(client: Client, options: PagerOptions, call: F) -> Pager<T>
where
    T: Send + 'static,
    F: Fn(Client, PageArgs) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Called<Vec<T>>> + Send + 'static,
{
    let base = client.base_url().clone();
    let per_page = options.per_page;
    let call = Arc::new(call);
    let fetch: FetchPage<T> = Arc::new(move |request| {
        let page = PageArgs {
            page: request.page,
            per_page,
            follow: request.follow,
        };
        let (client, call) = (client.clone(), Arc::clone(&call));
        // The operation's future is made inside the box, not moved into it:
        // it is large, and copying it is a measurable part of a page.
        Box::pin(async move {
            let called = call(client.clone(), page).await;
            fetched(called, &client).await
        })
    });
    Pager {
        fetch,
        options,
        base,
    }
}

/// Turns a listing into its pager.
trait Listing: Sized {
    type Item: Send + 'static;
    fn into_pager(self) -> Result<Pager<Self::Item>>;
}

fn page_stream<L: Listing>(listing: L) -> PageStream<L::Item> {
    match listing.into_pager() {
        Ok(pager) => pager.pages(),
        Err(error) => PageStream::failed(error),
    }
}

/// Most items a listing reserves room for up front.
const MAX_RESERVED_ITEMS: u64 = 20_000;

/// How many items a listing will hold, judged from its first page and its
/// `rel="last"`: reserved once, the `Vec` is not grown (and copied) page
/// after page. Bounded, so a wild `last` cannot reserve much.
fn expected_items<T>(first: &crate::Page<T>, max_items: Option<u64>) -> usize {
    let per_page = first.items().len() as u64;
    let pages = first.last_page().map_or(1, |last| {
        last.saturating_sub(first.number()).saturating_add(1)
    });
    let expected = pages
        .saturating_mul(per_page)
        .min(max_items.unwrap_or(u64::MAX))
        .min(MAX_RESERVED_ITEMS);
    usize::try_from(expected).unwrap_or(0)
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
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let org = gh.packages(Scope::org("octo-org"));
        /// // Up to 8 pages in flight; versions still arrive in GitHub's order.
        /// let all = org.versions(PackageType::Container, "app").concurrency(8).await?;
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

        /// Ends the listing after `n` items, without an error: no page past
        /// the one holding the `n`th item is requested. Zero requests
        /// nothing.
        ///
        /// ```no_run
        /// # async fn run() -> Result<(), github_packages::Error> {
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let newest = gh
        ///     .packages(Scope::org("octo-org"))
        ///     .versions(PackageType::Container, "app")
        ///     .max_items(10)
        ///     .await?;
        /// assert!(newest.len() <= 10);
        /// # Ok(()) }
        /// ```
        pub fn max_items(mut self, n: u64) -> Self {
            self.options.max_items = Some(n);
            self
        }

        /// Ends the listing after `n` pages, without an error. Zero requests
        /// nothing.
        pub fn max_pages(mut self, n: u64) -> Self {
            self.options.max_pages = Some(n);
            self
        }

        /// The items, lazily: no request is made until the stream is polled,
        /// and only the pages in flight are held in memory. If the listing
        /// cannot be completed, its last item is the error that says why
        /// (see [`Error::PaginationLimit`](crate::Error::PaginationLimit)).
        /// The stream is `Unpin`: no pinning is needed to poll it.
        ///
        /// ```no_run
        /// # async fn run() -> Result<(), github_packages::Error> {
        /// use futures::TryStreamExt;
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let org = gh.packages(Scope::org("octo-org"));
        /// let mut versions = org.versions(PackageType::Container, "app").stream();
        /// while let Some(v) = versions.try_next().await? {
        ///     println!("{} {}", v.id, v.name);
        /// }
        /// # Ok(()) }
        /// ```
        pub fn stream(self) -> ItemStream<$item> {
            ItemStream::new(page_stream(self))
        }

        /// The pages, lazily, each with its headers and links.
        ///
        /// ```no_run
        /// # async fn run() -> Result<(), github_packages::Error> {
        /// use futures::TryStreamExt;
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let org = gh.packages(Scope::org("octo-org"));
        /// let mut pages = org.list(PackageType::Npm).concurrency(4).pages();
        /// while let Some(page) = pages.try_next().await? {
        ///     let left = page.headers().get("x-ratelimit-remaining");
        ///     println!("page {} of {:?}: {} items, quota left {left:?}",
        ///         page.number(), page.last_page(), page.items().len());
        /// }
        /// # Ok(()) }
        /// ```
        pub fn pages(self) -> PageStream<$item> {
            page_stream(self)
        }

        /// Every item of every page; the same as awaiting the listing.
        ///
        /// # Errors
        ///
        /// The first error the listing met; nothing is returned partially.
        /// Use [`stream`](Self::stream) to keep what arrived before an error.
        ///
        /// ```no_run
        /// # async fn run() -> Result<(), github_packages::Error> {
        /// use github_packages::{Client, PackageType, Scope};
        ///
        /// let gh = Client::builder().token_from_env().build()?;
        /// let org = gh.packages(Scope::org("octo-org"));
        /// let packages = org.list(PackageType::Npm).send().await?;
        /// println!("{} npm packages", packages.len());
        /// # Ok(()) }
        /// ```
        pub async fn send(self) -> Result<Vec<$item>> {
            let cap = self.options.max_items;
            // Whole pages are appended at once; moving each item through the
            // item stream costs measurably more (BENCHMARKS.md).
            self.pages()
                .try_fold(Vec::new(), move |mut all, page| {
                    if all.capacity() == 0 {
                        all.reserve(expected_items(&page, cap));
                    }
                    all.extend(page.into_items());
                    std::future::ready(Ok(all))
                })
                .await
        }
    };
}

/// A listing of packages; from
/// [`PackagesHandler::list`](crate::PackagesHandler::list). Read it with
/// [`stream`](Self::stream), [`pages`](Self::pages), or
/// [`send`](Self::send) / `.await` for every item.
#[derive(Debug, Clone)]
#[must_use = "a listing does nothing until streamed or awaited"]
pub struct ListPackages {
    pub(crate) client: Client,
    pub(crate) scope: Scope,
    pub(crate) package_type: PackageType,
    pub(crate) visibility: Option<Visibility>,
    options: ListOptions,
}

impl ListPackages {
    pub(crate) fn new(client: Client, scope: Scope, package_type: PackageType) -> Self {
        ListPackages {
            client,
            scope,
            package_type,
            visibility: None,
            options: ListOptions::default(),
        }
    }

    /// Only packages with this visibility.
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }

    listing_methods!(Package);
}

impl IntoFuture for ListPackages {
    type Output = Result<Vec<Package>>;
    type IntoFuture = ResponseFuture<Vec<Package>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
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
        let scope = Arc::new(scope);
        Ok(pager(client, options, move |client, page| {
            let scope = Arc::clone(&scope);
            async move {
                let raw = client.generated();
                scope::list_packages(raw, &scope, package_type, visibility, page).await
            }
        }))
    }
}

/// A listing of a package's versions; from
/// [`PackagesHandler::versions`](crate::PackagesHandler::versions). Read it
/// with [`stream`](Self::stream), [`pages`](Self::pages), or
/// [`send`](Self::send) / `.await` for every item.
#[derive(Debug, Clone)]
#[must_use = "a listing does nothing until streamed or awaited"]
pub struct ListVersions {
    pub(crate) client: Client,
    pub(crate) scope: Scope,
    pub(crate) package_type: PackageType,
    pub(crate) name: String,
    pub(crate) state: Option<VersionState>,
    options: ListOptions,
}

impl ListVersions {
    pub(crate) fn new(
        client: Client,
        scope: Scope,
        package_type: PackageType,
        name: String,
    ) -> Self {
        ListVersions {
            client,
            scope,
            package_type,
            name,
            state: None,
            options: ListOptions::default(),
        }
    }

    /// Only versions in this state (GitHub's default is active).
    pub fn state(mut self, state: VersionState) -> Self {
        self.state = Some(state);
        self
    }

    listing_methods!(PackageVersion);
}

impl IntoFuture for ListVersions {
    type Output = Result<Vec<PackageVersion>>;
    type IntoFuture = ResponseFuture<Vec<PackageVersion>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
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
        let (scope, name): (Arc<Scope>, Arc<str>) = (Arc::new(scope), name.into());
        Ok(pager(client, options, move |client, page| {
            let (scope, name) = (Arc::clone(&scope), Arc::clone(&name));
            async move {
                let raw = client.generated();
                scope::list_versions(raw, &scope, package_type, &name, state, page).await
            }
        }))
    }
}
