//! Listings as lazy streams: RFC 8288 `Link` parsing, following `rel="next"`,
//! and ordered concurrent fetching once `rel="last"` says how many pages
//! there are.
//!
//! A listing ends in exactly one of two ways: every page was yielded, or the
//! last item of the stream is an error that says why it stopped (the 10,000
//! item wall, a malformed `Link`, a link to another origin, a failed page).

use std::future::Future;
use std::pin::Pin;

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
    /// unterminated `<...>` or quoted string, or a reference that is not a
    /// URL.
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
        let mut links = Links::default();
        let mut rest = value;
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                return Ok(links);
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
                let name = rest[..name_end].to_ascii_lowercase();
                if name.is_empty() {
                    return Err(format!("empty parameter name at `{}`", preview(rest)));
                }
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
                if name == "rel" {
                    rels.extend(param_value.split_whitespace().map(str::to_ascii_lowercase));
                }
            }
            rest = rest.trim_start_matches([' ', '\t']);
            if !rest.is_empty() && !rest.starts_with(',') {
                return Err(format!("expected `,` or `;` at `{}`", preview(rest)));
            }
            if rels.is_empty() {
                continue;
            }
            let url = base
                .join(target)
                .map_err(|e| format!("`{}` is not a URL: {e}", preview(target)))?;
            for rel in rels {
                let slot = match rel.as_str() {
                    "next" => &mut links.next,
                    "prev" | "previous" => &mut links.prev,
                    "first" => &mut links.first,
                    "last" => &mut links.last,
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = Some(url.clone());
                }
            }
        }
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

/// `url` with its `page` parameter set to `page`, other parameters kept in
/// order.
fn with_page(url: &Url, page: u64) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            if k == "page" {
                (k.into_owned(), page.to_string())
            } else {
                (k.into_owned(), v.into_owned())
            }
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

/// One page of a listing, with the answer's headers.
#[derive(Debug, Clone)]
pub struct Page<T> {
    items: Vec<T>,
    number: u64,
    headers: HeaderMap,
    links: Links,
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

    /// The answer's `Link` header, parsed.
    pub fn links(&self) -> &Links {
        &self.links
    }

    /// The number of the last page, when GitHub said (`rel="last"`).
    pub fn last_page(&self) -> Option<u64> {
        self.links
            .last
            .as_ref()
            .and_then(|u| query_number(u, "page"))
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
        first_page
            .flat_map(move |first| match first {
                Err(e) => stream::once(async { Err(e) }).boxed(),
                Ok(page) => {
                    let rest = rest_of_listing(&client, &page, per_page, concurrency);
                    stream::once(async { Ok(page) }).chain(rest).boxed()
                }
            })
            .scan(false, |failed, page| {
                // Stop right after the first error: it is the listing's last word.
                if *failed {
                    return futures::future::ready(None);
                }
                *failed = page.is_err();
                futures::future::ready(Some(page))
            })
            .boxed()
    }

    pub(crate) fn items(self) -> BoxStream<'static, Result<T>> {
        self.pages()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

/// Everything after the first page: fetched `concurrency` at a time from the
/// page numbers `rel="last"` reveals, or one `next` link at a time.
fn rest_of_listing<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    first: &Page<T>,
    per_page: u8,
    concurrency: usize,
) -> BoxStream<'static, Result<Page<T>>> {
    let Some(next) = first.links.next.clone() else {
        return stream::empty().boxed();
    };
    let next_number = query_number(&next, "page");
    let last_number = first.last_page();
    if let (true, Some(from), Some(to)) = (concurrency > 1, next_number, last_number) {
        let client = client.clone();
        // Same URL as GitHub's `next`, only the page number changes, so any
        // extra query parameters GitHub put there are kept.
        return stream::iter(from..=to)
            .map(move |number| {
                let client = client.clone();
                let url = with_page(&next, number);
                async move { fetch_page::<T>(&client, url, per_page, number).await }
            })
            .buffered(concurrency)
            .boxed();
    }
    let client = client.clone();
    let start = first.number;
    stream::try_unfold(Some((next, start)), move |state| {
        let client = client.clone();
        async move {
            let Some((url, previous)) = state else {
                return Ok(None);
            };
            let number = query_number(&url, "page").unwrap_or(previous + 1);
            let page = fetch_page::<T>(&client, url, per_page, number).await?;
            let following = page.links.next.clone().map(|u| (u, number));
            Ok(Some((page, following)))
        }
    })
    .boxed()
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
    let response = shared
        .execute(client.http(), request, "pagination")
        .await
        .map_err(Error::transport)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(Error::transport)?;
    if !status.is_success() {
        if status == StatusCode::BAD_REQUEST && number.saturating_mul(per_page) > PAGINATION_WALL
        {
            let api = classify(
                &Answer {
                    status,
                    headers: &headers,
                    method: "GET",
                    path: url.path(),
                    had_token: shared.has_token,
                },
                &body,
            );
            return Err(Error::PaginationLimit {
                api: api.api().cloned(),
                page: number,
                per_page,
            });
        }
        return Err(classify(
            &Answer {
                status,
                headers: &headers,
                method: "GET",
                path: url.path(),
                had_token: shared.has_token,
            },
            &body,
        ));
    }
    let items: Vec<T> = serde_json::from_slice(&body).map_err(|source| Error::Decode {
        status: Some(status),
        content_type: header_string(&headers, "content-type"),
        request_id: header_string(&headers, "x-github-request-id"),
        detail: source.to_string(),
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

/// Assembles a page, parsing its `Link` header against the request URL.
pub(crate) fn page_from_parts<T>(
    items: Vec<T>,
    number: u64,
    headers: HeaderMap,
    request_url: &Url,
) -> Result<Page<T>> {
    let links = match headers.get(reqwest::header::LINK) {
        None => Links::default(),
        Some(value) => {
            let text = value.to_str().map_err(|_| Error::MalformedLink {
                problem: "not visible ASCII".to_owned(),
                request_id: header_string(&headers, "x-github-request-id"),
            })?;
            Links::parse(text, request_url).map_err(|problem| Error::MalformedLink {
                problem,
                request_id: header_string(&headers, "x-github-request-id"),
            })?
        }
    };
    Ok(Page {
        items,
        number,
        headers,
        links,
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
        assert_eq!(links.first.unwrap().as_str(), "https://api.github.com/x?page=1");
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
        ] {
            assert!(Links::parse(bad, &base()).is_err(), "{bad}");
        }
    }

    #[test]
    fn with_page_keeps_other_parameters_in_order() {
        let url = Url::parse("https://h/x?state=active&page=2&per_page=100&extra=a%20b").unwrap();
        assert_eq!(
            with_page(&url, 7).query(),
            Some("state=active&page=7&per_page=100&extra=a+b")
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
            proptest::prop_assert_eq!(links.next.unwrap().as_str(), next.as_str());
        }
    }
}
