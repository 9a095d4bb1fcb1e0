//! Listings as lazy streams: which page to ask for next, when to stop, and
//! the named stream types a listing returns.
//!
//! The pager never builds a request: it asks the listing's generated
//! operation for page N (see `listing.rs`), and GitHub's `rel="next"` decides
//! whether there is a page N. A `next` whose query says more than the
//! operation can express is followed as given instead (the same operation,
//! sent to that URL). Every listing ends: on the last page, on a `next` that
//! leads back to a page already read, on an empty page whose `next` lies past
//! the depth GitHub may refuse, at the caller's caps, or with an error that
//! says why it stopped.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream, FusedStream, Stream, StreamExt};
use http::HeaderMap;
use url::Url;

use crate::error::{Error, Result};
use crate::links::{LinkError, LinkErrorKind, Links, next_and_last};
use crate::transport::same_origin;

/// GitHub's maximum page size, used by default.
pub const MAX_PER_PAGE: u8 = 100;

/// How deep into a listing (`page * per_page` items) GitHub is known to
/// refuse some listings' pages ("pagination is limited for this resource").
/// Not documented for every endpoint, and not promised: the pager uses it
/// only to recognise a refusal and to stop following empty pages.
pub const PAGINATION_WALL: u64 = 10_000;

/// One page of a listing, with the answer's headers; from the `pages()`
/// of [`ListPackages`](crate::ListPackages) or
/// [`ListVersions`](crate::ListVersions).
#[derive(Debug, Clone)]
pub struct Page<T> {
    items: Vec<T>,
    number: u64,
    headers: HeaderMap,
    /// `rel="next"` and `rel="last"`, resolved when the page arrives: the
    /// listing needs them, and a bad one must stop it at once.
    next: Option<Url>,
    last: Option<Url>,
    /// The URL the page was requested from; all links resolve against it.
    request_url: Url,
    links: OnceLock<Links>,
}

impl<T> Page<T> {
    /// Assembles a page, checking its `Link` header.
    pub(crate) fn new(fetched: Fetched<T>, number: u64) -> Result<Page<T>> {
        let Fetched {
            items,
            headers,
            url,
        } = fetched;
        let (next, last) =
            next_and_last(&headers, &url).map_err(|problem| Error::MalformedLink {
                problem,
                request_id: crate::transport::request_id(&headers),
            })?;
        Ok(Page {
            items,
            number,
            headers,
            next,
            last,
            request_url: url,
            links: OnceLock::new(),
        })
    }

    /// The items of this page, in GitHub's order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Takes the items out of the page.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// The page number (1-based).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The answer's headers (rate-limit counters, request id, ...).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The answer's `Link` header, parsed. Its syntax and its `next` and
    /// `last` links were checked when the page arrived; a `prev` or `first`
    /// reference that is not a URL is left out.
    pub fn links(&self) -> &Links {
        self.links
            .get_or_init(|| Links::parse_lenient(&self.headers, &self.request_url))
    }

    /// The number of the last page, when GitHub said (`rel="last"`).
    pub fn last_page(&self) -> Option<u64> {
        self.last.as_ref().and_then(|u| query_number(u, "page"))
    }
}

/// The items of a listing, lazily: a [`Stream`] of `Result<T>` that is
/// `Send`, `Unpin` and `'static` (it owns everything it needs), so it can be
/// polled with `StreamExt::next` without pinning, stored in a struct, or
/// moved to another task. It is not `Sync`. After its last item (or the
/// error that ended it) it yields `None` forever ([`FusedStream`]).
///
/// From [`ListPackages::stream`](crate::ListPackages::stream) and
/// [`ListVersions::stream`](crate::ListVersions::stream).
///
/// ```no_run
/// # async fn run() -> Result<(), github_packages::Error> {
/// use futures::StreamExt;
/// use github_packages::{Client, ItemStream, PackageType, PackageVersion, Scope};
///
/// let gh = Client::builder().token_from_env().build()?;
/// let mut versions: ItemStream<PackageVersion> = gh
///     .packages(Scope::org("octo-org"))
///     .versions(PackageType::Container, "app")
///     .stream();
/// // `Unpin`: `next()` works on it as it is. The stream can also be moved
/// // into a spawned task (`Send + 'static`).
/// while let Some(version) = versions.next().await {
///     let version = version?;
///     println!("{}", version.id);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a stream does nothing until polled"]
pub struct ItemStream<T> {
    pages: PageStream<T>,
    current: std::vec::IntoIter<T>,
}

// The stream moves items out of a `Vec` it owns and never pins them, so it
// can promise `Unpin` whatever `T` is.
impl<T> Unpin for ItemStream<T> {}

impl<T> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream")
            .field("buffered", &self.current.len())
            .finish_non_exhaustive()
    }
}

impl<T> ItemStream<T> {
    pub(crate) fn new(pages: PageStream<T>) -> Self {
        ItemStream {
            pages,
            current: Vec::new().into_iter(),
        }
    }
}

impl<T> Stream for ItemStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match this.pages.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(page))) => this.current = page.into_items().into_iter(),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.current.len(), None)
    }
}

impl<T> FusedStream for ItemStream<T> {
    fn is_terminated(&self) -> bool {
        self.current.len() == 0 && self.pages.is_terminated()
    }
}

/// The pages of a listing, lazily: a [`Stream`] of `Result<Page<T>>` with the
/// same promises as [`ItemStream`] (`Send + Unpin + 'static`, not `Sync`,
/// fused).
///
/// From [`ListPackages::pages`](crate::ListPackages::pages) and
/// [`ListVersions::pages`](crate::ListVersions::pages).
#[must_use = "a stream does nothing until polled"]
pub struct PageStream<T> {
    inner: stream::Fuse<BoxStream<'static, Result<Page<T>>>>,
}

impl<T> fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageStream")
            .field("finished", &self.inner.is_done())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> PageStream<T> {
    /// A stream that yields `error` and ends: a listing refused before any
    /// request.
    pub(crate) fn failed(error: Error) -> Self {
        PageStream {
            inner: stream::once(async move { Err(error) }).boxed().fuse(),
        }
    }
}

impl<T> Stream for PageStream<T> {
    type Item = Result<Page<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> FusedStream for PageStream<T> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

/// A page as the listing's operation returned it, before its links are read.
#[derive(Debug)]
pub(crate) struct Fetched<T> {
    pub(crate) items: Vec<T>,
    pub(crate) headers: HeaderMap,
    /// The URL the request went to.
    pub(crate) url: Url,
}

/// Which page to ask the operation for, and the URL to send it to instead
/// of the one it builds, when following a `next` link as given.
#[derive(Debug, Clone)]
pub(crate) struct PageRequest {
    pub(crate) page: u64,
    pub(crate) follow: Option<Url>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Calls the listing's generated operation for one page.
pub(crate) type FetchPage<T> =
    Arc<dyn Fn(PageRequest) -> BoxFuture<Result<Fetched<T>>> + Send + Sync>;

/// The knobs of a listing, checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PagerOptions {
    pub(crate) start_page: u64,
    pub(crate) per_page: u8,
    pub(crate) concurrency: usize,
    pub(crate) max_items: Option<u64>,
    pub(crate) max_pages: Option<u64>,
}

/// A listing ready to run: the operation and the knobs.
pub(crate) struct Pager<T> {
    pub(crate) fetch: FetchPage<T>,
    pub(crate) options: PagerOptions,
    /// The API's base URL; `next` links to another origin are refused.
    pub(crate) base: Url,
}

impl<T: Send + 'static> Pager<T> {
    pub(crate) fn pages(self) -> PageStream<T> {
        let walk = Walk::new(self);
        let pages = stream::unfold(walk, |mut walk| async move {
            let page = walk.advance().await?;
            Some((page, walk))
        });
        PageStream {
            inner: pages.boxed().fuse(),
        }
    }
}

/// What the listing does on its next poll.
enum Step<T> {
    Fetch(PageRequest),
    /// Pages counted from `rel="last"`, fetched several at a time.
    Batch(BoxStream<'static, Result<Page<T>>>),
    Fail(Error),
    Done,
}

/// The state of a listing between pages.
struct Walk<T> {
    fetch: FetchPage<T>,
    options: PagerOptions,
    base: Url,
    step: Step<T>,
    /// What follows the batch once its last page is yielded.
    after_batch: Option<Step<T>>,
    /// The first page's URL and its query without `page` (each parameter
    /// once, as the operation sends them): a `next` that matches it can be
    /// asked of the operation by page number.
    template: Option<(Url, Vec<(String, String)>)>,
    /// Every link followed as given, to stop on one that leads back. Pages
    /// asked for by number need no record: their numbers must grow.
    seen: HashSet<String>,
    last_number: u64,
    pages: u64,
    items: u64,
}

impl<T: Send + 'static> Walk<T> {
    fn new(pager: Pager<T>) -> Self {
        let capped_at_zero =
            pager.options.max_items == Some(0) || pager.options.max_pages == Some(0);
        let first = PageRequest {
            page: pager.options.start_page,
            follow: None,
        };
        Walk {
            fetch: pager.fetch,
            options: pager.options,
            base: pager.base,
            step: if capped_at_zero {
                Step::Done
            } else {
                Step::Fetch(first)
            },
            after_batch: None,
            template: None,
            seen: HashSet::new(),
            last_number: 0,
            pages: 0,
            items: 0,
        }
    }

    async fn advance(&mut self) -> Option<Result<Page<T>>> {
        loop {
            match std::mem::replace(&mut self.step, Step::Done) {
                Step::Done => return None,
                Step::Fail(error) => return Some(Err(error)),
                Step::Fetch(request) => {
                    if let Some(url) = &request.follow {
                        self.seen.insert(url.as_str().to_owned());
                    }
                    let per_page = self.per_page_of(&request);
                    let page = match fetch_page(&self.fetch, request, per_page).await {
                        Ok(page) => page,
                        Err(error) => return Some(Err(error)),
                    };
                    self.step = self.after(&page, true);
                    return Some(Ok(self.count(page)));
                }
                Step::Batch(mut batch) => {
                    let page = match batch.next().await {
                        None => {
                            self.step = self.after_batch.take().unwrap_or(Step::Done);
                            continue;
                        }
                        // Dropping the batch cancels the pages in flight.
                        Some(Err(error)) => return Some(Err(error)),
                        Some(Ok(page)) => page,
                    };
                    self.after_batch = Some(self.after(&page, false));
                    if !self.reaches_a_cap(&page) {
                        self.step = Step::Batch(batch);
                    }
                    return Some(Ok(self.count(page)));
                }
            }
        }
    }

    /// Items per page of the page `request` asks for.
    fn per_page_of(&self, request: &PageRequest) -> u64 {
        request
            .follow
            .as_ref()
            .and_then(|url| query_number(url, "per_page"))
            .unwrap_or(u64::from(self.options.per_page))
            .max(1)
    }

    /// Counts `page` against the caps, cutting its items to `max_items`.
    fn count(&mut self, mut page: Page<T>) -> Page<T> {
        if self.reaches_a_cap(&page) {
            self.step = Step::Done;
            self.after_batch = None;
        }
        if let Some(max) = self.options.max_items {
            let room = usize::try_from(max.saturating_sub(self.items)).unwrap_or(usize::MAX);
            page.items.truncate(room);
        }
        self.pages += 1;
        self.items += page.items.len() as u64;
        page
    }

    fn reaches_a_cap(&self, page: &Page<T>) -> bool {
        let pages = self.pages + 1;
        let items = self.items + page.items.len() as u64;
        self.options.max_pages.is_some_and(|max| pages >= max)
            || self.options.max_items.is_some_and(|max| items >= max)
    }

    /// What follows `page`: its `next` asked of the operation by number,
    /// followed as given, a batch of counted pages, or the end.
    fn after(&mut self, page: &Page<T>, may_batch: bool) -> Step<T> {
        self.last_number = self.last_number.max(page.number);
        if self.template.is_none() {
            let rest = query_without_page(&page.request_url);
            self.template = Some((page.request_url.clone(), rest));
        }
        let Some(next) = page.next.clone() else {
            return Step::Done;
        };
        if !same_origin(&next, &self.base) {
            return Step::Fail(Error::CrossOrigin {
                expected: self.base.origin().ascii_serialization(),
                found: next.origin().ascii_serialization(),
            });
        }
        let endless = |detail: String| {
            Step::Fail(Error::MalformedLink {
                problem: LinkError::new(LinkErrorKind::Loop, detail),
                request_id: crate::transport::request_id(&page.headers),
            })
        };
        // Page numbers only grow: a `next` naming a page already read (or
        // one before it) is a loop whatever else its query carries, and is
        // refused before a single item of that page is yielded again.
        let named = query_number(&next, "page");
        if let Some(number) = named.filter(|n| *n <= self.last_number) {
            return endless(format!(
                "rel=\"next\" of page {} points back to page {number}",
                page.number
            ));
        }
        let request = match self.expressible(&next) {
            Some(number) => PageRequest {
                page: number,
                follow: None,
            },
            None if self.seen.contains(next.as_str()) => {
                return endless(format!(
                    "rel=\"next\" of page {} leads back to a page already read",
                    page.number
                ));
            }
            None => {
                let Some(number) = named.or_else(|| self.last_number.checked_add(1)) else {
                    return endless(format!(
                        "rel=\"next\" of page {} has no page number left to count",
                        page.number
                    ));
                };
                PageRequest {
                    page: number,
                    follow: Some(next),
                }
            }
        };
        let per_page = self.per_page_of(&request);
        if page.items.is_empty() && request.page.saturating_mul(per_page) > PAGINATION_WALL {
            // Nothing on this page and the next one lies where GitHub may
            // refuse to go: a listing that keeps linking to empty pages
            // would otherwise never end.
            tracing::debug!(
                target: "github_packages",
                page = page.number,
                next = request.page,
                "stopping at an empty page whose next page is past the pagination depth"
            );
            return Step::Done;
        }
        match (may_batch, page.last_page()) {
            (true, Some(last))
                if self.options.concurrency > 1
                    && request.follow.is_none()
                    && last > request.page =>
            {
                let held = self.items.saturating_add(page.items.len() as u64);
                self.batch(request.page, last, per_page, held)
            }
            _ => Step::Fetch(request),
        }
    }

    /// Pages `from..=last` (bounded by the first page past the depth GitHub
    /// may refuse, whose answer then says why the listing ends, and by the
    /// caps), `concurrency` in flight, yielded in order. `held` counts the
    /// items read so far, the page before `from` included. Whatever `next`
    /// the final one still has is then followed one page at a time, so a
    /// listing that grew meanwhile (or a page that came back short) is not
    /// cut short.
    fn batch(&self, from: u64, last: u64, per_page: u64, held: u64) -> Step<T> {
        let mut to = last.min(PAGINATION_WALL / per_page + 1).max(from);
        if let Some(max) = self.options.max_pages {
            let left = max.saturating_sub(self.pages + 1);
            to = to.min(from.saturating_add(left.saturating_sub(1)));
        }
        if let Some(max) = self.options.max_items {
            // Full pages hold the rest of the wanted items in this many.
            let left = max.saturating_sub(held).div_ceil(per_page);
            to = to.min(from.saturating_add(left.saturating_sub(1)));
        }
        let fetch = Arc::clone(&self.fetch);
        let pages = stream::iter(from..=to)
            .map(move |page| {
                let request = PageRequest { page, follow: None };
                let fetch = Arc::clone(&fetch);
                async move { fetch_page(&fetch, request, per_page).await }
            })
            .buffered(self.options.concurrency)
            .boxed();
        Step::Batch(pages)
    }

    /// The page number of `next` when it is the first page's request with
    /// only `page` changed, so the operation can ask for it by number.
    /// Compared without allocating: this runs for every page.
    fn expressible(&self, next: &Url) -> Option<u64> {
        let (template, rest) = self.template.as_ref()?;
        if !same_origin(next, template) || next.path() != template.path() {
            return None;
        }
        let mut number = None;
        let mut others = 0;
        for (key, value) in next.query_pairs() {
            if key == "page" {
                if number.is_some() {
                    return None;
                }
                number = Some(value.parse().ok()?);
            } else if rest.iter().any(|(k, v)| *k == key && *v == value) {
                others += 1;
            } else {
                return None;
            }
        }
        // `rest` holds each parameter once, so equal counts and every one of
        // its pairs present in `next` mean the same parameters.
        let all_there = rest.iter().all(|(k, v)| {
            next.query_pairs()
                .any(|(key, value)| key == *k && value == *v)
        });
        (others == rest.len() && all_there).then_some(number?)
    }
}

/// Fetches one page and reads its links; a refusal deep into the listing
/// becomes the pagination error.
async fn fetch_page<T>(
    fetch: &FetchPage<T>,
    request: PageRequest,
    per_page: u64,
) -> Result<Page<T>> {
    let number = request.page;
    match fetch(request).await {
        Ok(fetched) => Page::new(fetched, number),
        Err(error) => Err(at_the_wall(error, number, per_page)),
    }
}

/// The query of `url` without `page`, decoded and sorted, for comparison.
fn query_without_page(url: &Url) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// A query parameter of `url` parsed as a number, if present and numeric.
fn query_number(url: &Url, name: &str) -> Option<u64> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

/// GitHub refusing a page deep into a listing, as the distinct error that
/// says so: a 400 or 422 (with or without a body) for a page past item
/// 10,000, or any answer whose message says pagination is limited. Any other
/// error unchanged.
pub(crate) fn at_the_wall(error: Error, page: u64, per_page: u64) -> Error {
    let says_so = error
        .message()
        .is_some_and(|m| m.to_ascii_lowercase().contains("pagination is limited"));
    let deep = page.saturating_mul(per_page) > PAGINATION_WALL;
    let refused_deep = deep
        && matches!(&error, Error::Rejected { api } if matches!(api.status.as_u16(), 400 | 422));
    if !(says_so || refused_deep) {
        return error;
    }
    match error.into_api() {
        Ok(api) => Error::PaginationLimit {
            api: Some(api),
            page,
            per_page,
        },
        Err(error) => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(link: &str, url: &str) -> Fetched<u8> {
        let mut headers = HeaderMap::new();
        if !link.is_empty() {
            headers.insert(http::header::LINK, link.parse().unwrap());
        }
        Fetched {
            items: vec![1, 2],
            headers,
            url: Url::parse(url).unwrap(),
        }
    }

    #[test]
    fn pages_resolve_next_and_last_at_once_and_the_rest_on_demand() {
        let link = "</x?page=1>; rel=\"prev\", </x?page=3>; rel=\"next\", </x?page=9>; rel=\"last\", </x?page=1>; rel=\"first\"";
        let page = Page::new(fetched(link, "https://api.github.com/x?page=2"), 2).unwrap();
        assert_eq!(
            page.next.as_ref().unwrap().as_str(),
            "https://api.github.com/x?page=3"
        );
        assert_eq!(page.last_page(), Some(9));
        assert!(
            page.links.get().is_none(),
            "prev/first not resolved until asked"
        );
        let links = page.links();
        assert_eq!(links.prev.as_ref().unwrap().query(), Some("page=1"));
        assert_eq!(links.first, links.prev);
        assert_eq!(links.next, page.next);
    }

    #[test]
    fn a_bad_next_fails_the_page() {
        let page = Page::new(
            fetched("<http://[::1>; rel=next", "https://api.github.com/x"),
            1,
        );
        assert!(matches!(page, Err(Error::MalformedLink { .. })));
    }

    #[test]
    fn the_wall_is_a_deep_400_or_422_or_a_message_that_says_so() {
        use crate::error::ApiError;
        let refusal = |status: u16, message: Option<&str>| Error::Rejected {
            api: Box::new(ApiError {
                status: http::StatusCode::from_u16(status).unwrap(),
                method: http::Method::GET,
                path: "/x".into(),
                message: message.map(str::to_owned),
                documentation_url: None,
                body: None,
                request_id: None,
            }),
        };
        assert!(at_the_wall(refusal(400, None), 101, 100).is_pagination_limit());
        assert!(at_the_wall(refusal(422, None), 11, 1000).is_pagination_limit());
        assert!(!at_the_wall(refusal(422, None), 100, 100).is_pagination_limit());
        assert!(!at_the_wall(refusal(409, None), 101, 100).is_pagination_limit());
        let said = Some("Pagination is limited for this resource");
        assert!(at_the_wall(refusal(422, said), 3, 100).is_pagination_limit());
    }
}
