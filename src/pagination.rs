//! Listings as lazy streams: RFC 8288 `Link` parsing, following `rel="next"`,
//! and ordered concurrent fetching once `rel="last"` says how many pages
//! there are.
//!
//! A listing ends in exactly one of two ways: every page was yielded, or the
//! last item of the stream is an error that says why it stopped (the 10,000
//! item wall, a malformed `Link`, a link to another origin, a failed page).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::Client;
use crate::error::{Answer, Error, Result, classify};

/// GitHub's maximum page size, used by default.
pub const MAX_PER_PAGE: u8 = 100;
/// GitHub refuses pages whose `page * per_page` exceeds this.
pub const PAGINATION_WALL: u64 = 10_000;

/// The links of a page, from its `Link` header (RFC 8288).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Links {
    /// `rel="next"`: the following page; absent on the last page.
    pub next: Option<Url>,
    /// `rel="prev"`.
    pub prev: Option<Url>,
    /// `rel="first"`.
    pub first: Option<Url>,
    /// `rel="last"`: tells how many pages there are.
    pub last: Option<Url>,
}

impl Links {
    /// Parses a `Link` header value, resolving relative references against
    /// `base` (the URL of the request that returned it). Unknown relations
    /// and parameters are ignored; the first link of each known relation
    /// wins.
    ///
    /// # Errors
    ///
    /// A description of the first syntax error: a missing `<`, an
    /// unterminated `<...>` or quoted string, a link without `rel`, or a
    /// reference that is not a URL.
    ///
    /// ```
    /// use github_packages::Links;
    ///
    /// let base = url::Url::parse("https://api.github.com/user/packages?package_type=npm")?;
    /// let links = Links::parse(
    ///     r#"<https://api.github.com/user/packages?package_type=npm&page=2>; rel="next", <https://api.github.com/user/packages?package_type=npm&page=5>; rel="last""#,
    ///     &base,
    /// )?;
    /// assert_eq!(links.next.unwrap().query(), Some("package_type=npm&page=2"));
    /// assert_eq!(links.last.unwrap().query(), Some("package_type=npm&page=5"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(value: &str, base: &Url) -> std::result::Result<Links, String> {
        let entries = split_link_header(value)?;
        let mut links = Links::default();
        for entry in &entries {
            for rel in &entry.rels {
                let Some(slot) = links.slot(rel) else {
                    continue;
                };
                if slot.is_none() {
                    *slot = Some(entry.resolve(base)?);
                }
            }
        }
        Ok(links)
    }

    fn slot(&mut self, rel: &str) -> Option<&mut Option<Url>> {
        match rel {
            "next" => Some(&mut self.next),
            "prev" | "previous" => Some(&mut self.prev),
            "first" => Some(&mut self.first),
            "last" => Some(&mut self.last),
            _ => None,
        }
    }
}

/// One `<target>; rel="..."` entry of a `Link` header, not yet resolved:
/// resolving a URL is the costly part, and a listing only needs two of the
/// four links GitHub sends on every page.
struct LinkEntry<'a> {
    target: &'a str,
    rels: Vec<String>,
}

impl LinkEntry<'_> {
    fn resolve(&self, base: &Url) -> std::result::Result<Url, String> {
        base.join(self.target)
            .map_err(|e| format!("`{}` is not a URL: {e}", preview(self.target)))
    }
}

/// The syntax pass of [`Links::parse`]: every entry with its relations, or
/// the first syntax error.
fn split_link_header(value: &str) -> std::result::Result<Vec<LinkEntry<'_>>, String> {
    let mut entries = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Ok(entries);
        }
        let Some(after_open) = rest.strip_prefix('<') else {
            return Err(format!("expected `<` at `{}`", preview(rest)));
        };
        let Some(close) = after_open.find('>') else {
            return Err("unterminated `<...>`".to_owned());
        };
        let target = after_open[..close].trim();
        rest = &after_open[close + 1..];
        let mut rels: Vec<String> = Vec::new();
        // Parameters: `; name=value` or `; name="quoted, value"`.
        loop {
            rest = rest.trim_start_matches([' ', '\t']);
            let Some(after_semi) = rest.strip_prefix(';') else {
                break;
            };
            rest = after_semi.trim_start_matches([' ', '\t']);
            let name_end = rest
                .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            let name = &rest[..name_end];
            if name.is_empty() {
                return Err(format!("empty parameter name at `{}`", preview(rest)));
            }
            let is_rel = name.eq_ignore_ascii_case("rel");
            rest = rest[name_end..].trim_start_matches([' ', '\t']);
            let mut param_value = String::new();
            if let Some(after_eq) = rest.strip_prefix('=') {
                rest = after_eq.trim_start_matches([' ', '\t']);
                if let Some(quoted) = rest.strip_prefix('"') {
                    let mut chars = quoted.char_indices();
                    let mut end = None;
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => match chars.next() {
                                Some((_, escaped)) => param_value.push(escaped),
                                None => break,
                            },
                            '"' => {
                                end = Some(i);
                                break;
                            }
                            c => param_value.push(c),
                        }
                    }
                    let Some(end) = end else {
                        return Err("unterminated quoted string".to_owned());
                    };
                    rest = &quoted[end + 1..];
                } else {
                    let end = rest.find([';', ',']).unwrap_or(rest.len());
                    param_value = rest[..end].trim().to_owned();
                    rest = &rest[end..];
                }
            }
            if is_rel {
                rels.extend(param_value.split_whitespace().map(str::to_ascii_lowercase));
            }
        }
        rest = rest.trim_start_matches([' ', '\t']);
        if !rest.is_empty() && !rest.starts_with(',') {
            return Err(format!("expected `,` or `;` at `{}`", preview(rest)));
        }
        // RFC 8288 requires `rel`; a link without one cannot be `next`, and
        // skipping it could end a listing early without a word.
        if rels.is_empty() {
            return Err(format!("link `{}` has no `rel`", preview(target)));
        }
        entries.push(LinkEntry { target, rels });
    }
}

fn preview(s: &str) -> String {
    s.chars().take(40).collect()
}

/// A query parameter of `url` parsed as a number, if present and numeric.
fn query_number(url: &Url, name: &str) -> Option<u64> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

/// `url` with its `page` parameter set to `page`. Every other byte of the
/// query stays as GitHub wrote it: re-encoding would turn `%20` into `+` or
/// `bare` into `bare=`, and the link must be followed as given.
fn with_page(url: &Url, page: u64) -> Url {
    let Some(query) = url.query() else {
        let mut out = url.clone();
        out.set_query(Some(&format!("page={page}")));
        return out;
    };
    let is_page = |pair: &str| {
        url::form_urlencoded::parse(pair.as_bytes())
            .next()
            .is_some_and(|(key, _)| key == "page")
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            if is_page(pair) {
                format!("page={page}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    let mut out = url.clone();
    out.set_query(Some(&query.join("&")));
    out
}

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
    /// All links, resolved on first use of [`Page::links`].
    request_url: Url,
    links: OnceLock<Links>,
}

impl<T> Page<T> {
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
        self.links.get_or_init(|| {
            let mut links = Links::default();
            let header = joined_link_header(&self.headers).unwrap_or_default();
            for entry in split_link_header(&header).unwrap_or_default() {
                for rel in &entry.rels {
                    if let Some(slot) = links.slot(rel)
                        && slot.is_none()
                    {
                        *slot = entry.resolve(&self.request_url).ok();
                    }
                }
            }
            links
        })
    }

    /// The number of the last page, when GitHub said (`rel="last"`).
    pub fn last_page(&self) -> Option<u64> {
        self.last.as_ref().and_then(|u| query_number(u, "page"))
    }
}

type FirstPage<T> = Pin<Box<dyn Future<Output = Result<Page<T>>> + Send>>;

/// Builds a listing's first page; the rest follow from its links.
pub(crate) type FirstPageFn<T> = Box<dyn FnOnce(Client) -> FirstPage<T> + Send>;

/// The shared machinery behind `ListPackages` and `ListVersions`.
pub(crate) struct Pager<T> {
    pub(crate) client: Client,
    pub(crate) first: FirstPageFn<T>,
    pub(crate) per_page: u8,
    pub(crate) concurrency: usize,
}

impl<T: DeserializeOwned + Send + 'static> Pager<T> {
    pub(crate) fn pages(self) -> BoxStream<'static, Result<Page<T>>> {
        let Pager {
            client,
            first,
            per_page,
            concurrency,
        } = self;
        let first_page = stream::once(first(client.clone()));
        let pages = first_page
            .flat_map(move |first| match first {
                Err(e) => stream::once(async { Err(e) }).boxed(),
                Ok(page) => {
                    let rest = rest_of_listing(&client, &page, per_page, concurrency);
                    stream::once(async { Ok(page) }).chain(rest).boxed()
                }
            })
            .boxed();
        until_first_error(pages)
    }

    pub(crate) fn items(self) -> BoxStream<'static, Result<T>> {
        self.pages()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

/// Ends `pages` with its first error. The inner stream is dropped at once,
/// not polled again, so no page after a failure is requested and requests
/// still in flight are cancelled.
fn until_first_error<T: Send + 'static>(
    pages: BoxStream<'static, Result<T>>,
) -> BoxStream<'static, Result<T>> {
    stream::unfold(Some(pages), |pages| async move {
        let mut pages = pages?;
        let item = pages.next().await?;
        let rest = item.is_ok().then_some(pages);
        Some((item, rest))
    })
    .boxed()
}

/// Everything after the first page. With `concurrency > 1` and a `rel="last"`
/// to count from, the pages up to the last one (or up to the first page past
/// the 10,000-item wall, whose refusal says why the listing ends) are fetched
/// `concurrency` at a time; whatever `next` the final page of that batch
/// still has is then followed one page at a time, so a listing that grew
/// meanwhile is not cut short.
fn rest_of_listing<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    first: &Page<T>,
    per_page: u8,
    concurrency: usize,
) -> BoxStream<'static, Result<Page<T>>> {
    let Some(pending) = Pending::after(first, None) else {
        return stream::empty().boxed();
    };
    let next = pending.url.clone();
    let counted = match (
        concurrency > 1,
        query_number(&next, "page"),
        first.last_page(),
    ) {
        (true, Some(from), Some(last)) if from > first.number => Some((from, last)),
        _ => None,
    };
    let Some((from, last)) = counted else {
        return follow_next(client.clone(), pending, per_page);
    };
    let page_size = query_number(&next, "per_page")
        .unwrap_or(u64::from(per_page))
        .max(1);
    let to = last.min(PAGINATION_WALL / page_size + 1).max(from);

    let tail: Arc<Mutex<Option<Pending>>> = Arc::default();
    let batch = {
        let client = client.clone();
        let tail = Arc::clone(&tail);
        stream::iter(from..=to)
            .map(move |number| {
                let client = client.clone();
                // GitHub's `next` with only the page number changed, so any
                // other query parameters it carries are sent as given.
                let url = with_page(&next, number);
                async move { fetch_page::<T>(&client, url, per_page, number).await }
            })
            .buffered(concurrency)
            .inspect(move |page| {
                if let Ok(page) = page {
                    *tail.lock().unwrap_or_else(|e| e.into_inner()) = Pending::after(page, None);
                }
            })
    };
    let client = client.clone();
    let continuation = stream::once(async move {
        let following = tail.lock().unwrap_or_else(|e| e.into_inner()).take();
        match following {
            Some(pending) => follow_next(client, pending, per_page),
            None => stream::empty().boxed(),
        }
    })
    .flatten();
    batch.chain(continuation).boxed()
}

/// A `next` link still to follow, and the page it came from.
struct Pending {
    url: Url,
    from_page: u64,
    from_url: Option<Url>,
    request_id: Option<String>,
}

impl Pending {
    fn after<T>(page: &Page<T>, page_url: Option<Url>) -> Option<Pending> {
        Some(Pending {
            url: page.next.clone()?,
            from_page: page.number,
            from_url: page_url,
            request_id: header_string(&page.headers, "x-github-request-id"),
        })
    }

    /// The number of the page `url` asks for. Page numbers must grow, and a
    /// page must not link to itself: either would make the listing endless.
    fn page_number(&self) -> Result<u64> {
        let back = |problem: String| Error::MalformedLink {
            problem,
            request_id: self.request_id.clone(),
        };
        if self.from_url.as_ref() == Some(&self.url) {
            return Err(back(format!(
                "rel=\"next\" of page {} points to the page itself",
                self.from_page
            )));
        }
        match query_number(&self.url, "page") {
            Some(number) if number <= self.from_page => Err(back(format!(
                "rel=\"next\" of page {} points back to page {number}",
                self.from_page
            ))),
            Some(number) => Ok(number),
            None => self.from_page.checked_add(1).ok_or_else(|| {
                back(format!(
                    "rel=\"next\" of page {} has no page number to follow",
                    self.from_page
                ))
            }),
        }
    }
}

/// Follows `next` links one page at a time, starting with `first`.
fn follow_next<T: DeserializeOwned + Send + 'static>(
    client: Client,
    first: Pending,
    per_page: u8,
) -> BoxStream<'static, Result<Page<T>>> {
    stream::try_unfold(Some(first), move |pending| {
        let client = client.clone();
        async move {
            let Some(pending) = pending else {
                return Ok(None);
            };
            let number = pending.page_number()?;
            let url = pending.url;
            let page = fetch_page::<T>(&client, url.clone(), per_page, number).await?;
            let following = Pending::after(&page, Some(url));
            Ok(Some((page, following)))
        }
    })
    .boxed()
}

/// GitHub's 400 for a page past the 10,000-item wall, as the distinct error
/// that says so; any other error unchanged.
pub(crate) fn at_the_wall(error: Error, page: u64, per_page: u64) -> Error {
    match error {
        Error::Rejected { api }
            if api.status == StatusCode::BAD_REQUEST
                && page.saturating_mul(per_page) > PAGINATION_WALL =>
        {
            Error::PaginationLimit {
                api: Some(api),
                page,
                per_page,
            }
        }
        other => other,
    }
}

/// Fetches one page from a URL GitHub gave us (or derived from one).
async fn fetch_page<T: DeserializeOwned>(
    client: &Client,
    url: Url,
    default_per_page: u8,
    number: u64,
) -> Result<Page<T>> {
    let shared = client.shared();
    if !shared.same_origin(&url) {
        return Err(Error::CrossOrigin {
            expected: shared.base_url.origin().ascii_serialization(),
            found: url.origin().ascii_serialization(),
        });
    }
    let per_page = query_number(&url, "per_page").unwrap_or(u64::from(default_per_page));
    let request = client
        .http()
        .get(url.clone())
        .build()
        .map_err(Error::transport)?;
    let mut response = shared
        .execute(client.http(), request, "pagination")
        .await
        .map_err(Error::transport)?;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await.map_err(Error::transport)?;
    if !status.is_success() {
        let answer = Answer {
            status,
            headers: &headers,
            method: "GET",
            path: url.path(),
            had_token: shared.has_token,
        };
        return Err(at_the_wall(classify(&answer, &body), number, per_page));
    }
    let items: Vec<T> = serde_json::from_slice(&body).map_err(|source| Error::Decode {
        status: Some(status),
        content_type: header_string(&headers, "content-type"),
        request_id: header_string(&headers, "x-github-request-id"),
        detail: format!(
            "the {} byte body is not a JSON list of the expected items",
            body.len()
        ),
        source: Some(source),
    })?;
    page_from_parts(items, number, headers, &url)
}

fn header_string(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The URL a listing's first page is requested from (`base`, then the path
/// `segments`, each percent-encoded as one segment, then `query`), which
/// relative `Link` references resolve against.
pub(crate) fn request_url(base: &Url, segments: &[&str], query: &[(&str, String)]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

/// Every `Link` field of `headers` as one value: several fields mean the same
/// as one field listing them all (RFC 9110 field lines), which a proxy is
/// free to produce. `None` if a field is not visible ASCII.
fn joined_link_header(headers: &HeaderMap) -> Option<String> {
    let mut values = Vec::new();
    for value in headers.get_all(reqwest::header::LINK) {
        values.push(value.to_str().ok()?);
    }
    Some(values.join(", "))
}

/// Assembles a page, checking its `Link` header and resolving the `next`
/// and `last` links against the request URL.
pub(crate) fn page_from_parts<T>(
    items: Vec<T>,
    number: u64,
    headers: HeaderMap,
    request_url: &Url,
) -> Result<Page<T>> {
    let malformed = |problem: String| Error::MalformedLink {
        problem,
        request_id: header_string(&headers, "x-github-request-id"),
    };
    let header =
        joined_link_header(&headers).ok_or_else(|| malformed("not visible ASCII".to_owned()))?;
    let entries = split_link_header(&header).map_err(malformed)?;
    let find = |wanted: &str| -> Result<Option<Url>> {
        match entries.iter().find(|e| e.rels.iter().any(|r| r == wanted)) {
            Some(entry) => entry.resolve(request_url).map(Some).map_err(malformed),
            None => Ok(None),
        }
    };
    let next = find("next")?;
    let last = find("last")?;
    Ok(Page {
        items,
        number,
        next,
        last,
        request_url: request_url.clone(),
        links: OnceLock::new(),
        headers,
    })
}

/// Adds the listing terminals (`stream`, `pages`, `collect`) and the common
/// knobs to a list builder.
pub(crate) trait Listing: Sized {
    type Item: DeserializeOwned + Send + 'static;
    fn into_pager(self) -> Result<Pager<Self::Item>>;
}

/// A stream that yields one error and ends; used when a listing is rejected
/// before any request.
pub(crate) fn failed<T: Send + 'static>(error: Error) -> BoxStream<'static, Result<T>> {
    stream::once(async move { Err(error) }).boxed()
}

/// The item stream of a listing.
pub(crate) fn item_stream<L: Listing>(listing: L) -> impl Stream<Item = Result<L::Item>> + Send {
    match listing.into_pager() {
        Ok(pager) => pager.items(),
        Err(e) => failed(e),
    }
}

/// The page stream of a listing.
pub(crate) fn page_stream<L: Listing>(
    listing: L,
) -> impl Stream<Item = Result<Page<L::Item>>> + Send {
    match listing.into_pager() {
        Ok(pager) => pager.pages(),
        Err(e) => failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://api.github.com/orgs/o/packages?package_type=npm").unwrap()
    }

    #[test]
    fn parses_githubs_link_header() {
        let header = "<https://api.github.com/orgs/o/packages?package_type=npm&per_page=100&page=2>; rel=\"next\", <https://api.github.com/orgs/o/packages?package_type=npm&per_page=100&page=3>; rel=\"last\"";
        let links = Links::parse(header, &base()).unwrap();
        assert_eq!(
            links.next.as_ref().unwrap().as_str(),
            "https://api.github.com/orgs/o/packages?package_type=npm&per_page=100&page=2"
        );
        assert_eq!(query_number(links.last.as_ref().unwrap(), "page"), Some(3));
        assert!(links.prev.is_none() && links.first.is_none());
    }

    #[test]
    fn handles_commas_in_urls_quotes_and_multiple_rels() {
        let header = "<https://api.github.com/x?a=1,2&page=2>; title=\"a, b; c\"; rel=\"next last\" , </x?page=1>;rel=first";
        let links = Links::parse(header, &base()).unwrap();
        assert_eq!(links.next.as_ref().unwrap().query(), Some("a=1,2&page=2"));
        assert_eq!(links.next, links.last);
        assert_eq!(
            links.first.unwrap().as_str(),
            "https://api.github.com/x?page=1"
        );
    }

    #[test]
    fn empty_header_means_no_links() {
        assert_eq!(Links::parse("", &base()).unwrap(), Links::default());
        assert_eq!(Links::parse(" , ", &base()).unwrap(), Links::default());
    }

    #[test]
    fn malformed_headers_are_errors() {
        for bad in [
            "https://x; rel=next",
            "<https://x; rel=next",
            "<https://x>; rel=\"next",
            "<https://x> rel=next",
            "<https://x>; =next",
            "<http://[::1>; rel=next",
            "<https://x>",
            "<https://x>; title=\"no rel\"",
            "<https://x>; rel=\"\"",
        ] {
            assert!(Links::parse(bad, &base()).is_err(), "{bad}");
        }
    }

    fn page_with_link(link: &str) -> Result<Page<u8>> {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::LINK, link.parse().unwrap());
        page_from_parts(vec![1, 2], 2, headers, &base())
    }

    #[test]
    fn pages_resolve_next_and_last_at_once_and_the_rest_on_demand() {
        let page = page_with_link(
            "</x?page=1>; rel=\"prev\", </x?page=3>; rel=\"next\", </x?page=9>; rel=\"last\", </x?page=1>; rel=\"first\"",
        )
        .unwrap();
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
        assert_eq!(links.last, page.last);
    }

    #[test]
    fn a_bad_next_or_last_fails_the_page_a_bad_prev_is_left_out() {
        assert!(matches!(
            page_with_link("<http://[::1>; rel=next"),
            Err(Error::MalformedLink { .. })
        ));
        assert!(matches!(
            page_with_link("</x?page=2>; rel=next, <http://[::1>; rel=last"),
            Err(Error::MalformedLink { .. })
        ));
        assert!(matches!(
            page_with_link("</x?page=2>; rel=next, <oops"),
            Err(Error::MalformedLink { .. })
        ));
        let page = page_with_link("</x?page=2>; rel=next, <http://[::1>; rel=prev").unwrap();
        assert!(page.links().prev.is_none());
        assert!(page.links().next.is_some());
    }

    #[test]
    fn a_next_link_past_the_last_page_number_is_malformed_not_an_overflow() {
        let pending = Pending {
            url: Url::parse("https://api.github.com/x?cursor=abc").unwrap(),
            from_page: u64::MAX,
            from_url: None,
            request_id: None,
        };
        assert!(matches!(
            pending.page_number(),
            Err(Error::MalformedLink { .. })
        ));
    }

    #[test]
    fn with_page_keeps_other_parameters_in_order() {
        let url = Url::parse("https://h/x?state=active&page=2&per_page=100&extra=a%20b").unwrap();
        assert_eq!(
            with_page(&url, 7).query(),
            Some("state=active&page=7&per_page=100&extra=a%20b")
        );
    }

    #[test]
    fn with_page_changes_only_the_page_bytes() {
        let url = Url::parse("https://h/x?tag=v1~rc&bare&pa%67e=3&a=%2F").unwrap();
        assert_eq!(
            with_page(&url, 4).query(),
            Some("tag=v1~rc&bare&page=4&a=%2F")
        );
        let url = Url::parse("https://h/x").unwrap();
        assert_eq!(with_page(&url, 2).query(), Some("page=2"));
    }

    #[test]
    fn request_url_encodes_each_segment_once() {
        let base = Url::parse("https://ghe.example.com/api/v3").unwrap();
        let url = request_url(
            &base,
            &["orgs", "o", "packages", "container", "team/app"],
            &[("page", "1".to_owned())],
        );
        assert_eq!(
            url.as_str(),
            "https://ghe.example.com/api/v3/orgs/o/packages/container/team%2Fapp?page=1"
        );
        let root = Url::parse("https://api.github.com/").unwrap();
        assert_eq!(
            request_url(&root, &["user", "packages"], &[]).as_str(),
            "https://api.github.com/user/packages"
        );
    }

    proptest::proptest! {
        #[test]
        fn link_parser_never_panics(s in "\\PC*") {
            let _ = Links::parse(&s, &base());
        }

        #[test]
        fn link_parser_never_panics_on_link_like_input(
            s in "[<>;,=\" a-z:/?&.0-9\\\\]{0,80}"
        ) {
            let _ = Links::parse(&s, &base());
        }

        #[test]
        fn well_formed_next_links_round_trip(page in 1u64..100_000, per_page in 1u8..=100) {
            let next = format!("https://api.github.com/x?per_page={per_page}&page={page}");
            let header = format!("<{next}>; rel=\"next\"");
            let links = Links::parse(&header, &base()).unwrap();
            let parsed = links.next.unwrap();
            proptest::prop_assert_eq!(parsed.as_str(), next.as_str());
        }
    }
}
