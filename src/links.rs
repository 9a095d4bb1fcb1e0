//! RFC 8288 `Link` headers: the parser, the links a listing follows, and the
//! typed error a header that cannot be read turns into.
//!
//! Nothing here knows about requests or pages; the pager asks it for `next`
//! and `last` and decides what to do with them.

use std::fmt;

use http::HeaderMap;
use url::Url;

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

/// What kind of problem a [`LinkError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkErrorKind {
    /// The header does not follow RFC 8288's syntax (a missing `<`, an
    /// unterminated quoted string, a stray character).
    Syntax,
    /// A link has no `rel` parameter, so it cannot be told apart.
    MissingRel,
    /// A link's target is not a URL.
    NotAUrl,
    /// The header is not visible ASCII.
    NotAscii,
    /// `rel="next"` leads back to a page the listing already read, or has no
    /// page number left to count: following it would never end.
    Loop,
}

/// Why a `Link` header could not be used.
///
/// ```
/// use github_packages::{LinkErrorKind, Links};
///
/// let base = url::Url::parse("https://api.github.com/user/packages")?;
/// let error = Links::parse("https://x; rel=next", &base).unwrap_err();
/// assert_eq!(error.kind(), LinkErrorKind::Syntax);
/// assert!(error.to_string().contains("expected `<`"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError {
    kind: LinkErrorKind,
    detail: String,
}

impl LinkError {
    pub(crate) fn new(kind: LinkErrorKind, detail: impl Into<String>) -> Self {
        LinkError {
            kind,
            detail: detail.into(),
        }
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> LinkErrorKind {
        self.kind
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for LinkError {}

impl Links {
    /// Parses a `Link` header value, resolving relative references against
    /// `base` (the URL of the request that returned it). Unknown relations
    /// and parameters are ignored; the first link of each known relation
    /// wins.
    ///
    /// # Errors
    ///
    /// A [`LinkError`] for the first problem: a missing `<`, an unterminated
    /// `<...>` or quoted string, a link without `rel`, or a reference that is
    /// not a URL.
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
    pub fn parse(value: &str, base: &Url) -> Result<Links, LinkError> {
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

    /// Like [`parse`](Self::parse), but a `prev` or `first` link that is not
    /// a URL is left out rather than failing the whole header.
    pub(crate) fn parse_lenient(headers: &HeaderMap, base: &Url) -> Links {
        let mut links = Links::default();
        let header = joined_link_header(headers).unwrap_or_default();
        for entry in split_link_header(&header).unwrap_or_default() {
            for rel in &entry.rels {
                if let Some(slot) = links.slot(rel)
                    && slot.is_none()
                {
                    *slot = entry.resolve(base).ok();
                }
            }
        }
        links
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

/// The `next` and `last` links of an answer, resolved against the request's
/// URL: all a listing needs, checked strictly because a bad one must stop it.
pub(crate) fn next_and_last(
    headers: &HeaderMap,
    base: &Url,
) -> Result<(Option<Url>, Option<Url>), LinkError> {
    let header = joined_link_header(headers)
        .ok_or_else(|| LinkError::new(LinkErrorKind::NotAscii, "not visible ASCII"))?;
    let entries = split_link_header(&header)?;
    let find = |wanted: &str| -> Result<Option<Url>, LinkError> {
        match entries.iter().find(|e| e.rels.iter().any(|r| r == wanted)) {
            Some(entry) => entry.resolve(base).map(Some),
            None => Ok(None),
        }
    };
    Ok((find("next")?, find("last")?))
}

/// One `<target>; rel="..."` entry of a `Link` header, not yet resolved:
/// resolving a URL is the costly part, and a listing only needs two of the
/// four links GitHub sends on every page.
struct LinkEntry<'a> {
    target: &'a str,
    rels: Vec<String>,
}

impl LinkEntry<'_> {
    fn resolve(&self, base: &Url) -> Result<Url, LinkError> {
        base.join(self.target).map_err(|e| {
            LinkError::new(
                LinkErrorKind::NotAUrl,
                format!("`{}` is not a URL: {e}", preview(self.target)),
            )
        })
    }
}

fn syntax(detail: impl Into<String>) -> LinkError {
    LinkError::new(LinkErrorKind::Syntax, detail)
}

/// The syntax pass: every entry with its relations, or the first error.
fn split_link_header(value: &str) -> Result<Vec<LinkEntry<'_>>, LinkError> {
    let mut entries = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Ok(entries);
        }
        let Some(after_open) = rest.strip_prefix('<') else {
            return Err(syntax(format!("expected `<` at `{}`", preview(rest))));
        };
        let Some(close) = after_open.find('>') else {
            return Err(syntax("unterminated `<...>`"));
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
                return Err(syntax(format!(
                    "empty parameter name at `{}`",
                    preview(rest)
                )));
            }
            let is_rel = name.eq_ignore_ascii_case("rel");
            rest = rest[name_end..].trim_start_matches([' ', '\t']);
            let mut param_value = String::new();
            if let Some(after_eq) = rest.strip_prefix('=') {
                rest = after_eq.trim_start_matches([' ', '\t']);
                if let Some(quoted) = rest.strip_prefix('"') {
                    let (value, after) = quoted_string(quoted)?;
                    param_value = value;
                    rest = after;
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
            return Err(syntax(format!(
                "expected `,` or `;` at `{}`",
                preview(rest)
            )));
        }
        // RFC 8288 requires `rel`; a link without one cannot be `next`, and
        // skipping it could end a listing early without a word.
        if rels.is_empty() {
            return Err(LinkError::new(
                LinkErrorKind::MissingRel,
                format!("link `{}` has no `rel`", preview(target)),
            ));
        }
        entries.push(LinkEntry { target, rels });
    }
}

/// The value of a quoted string whose opening quote is already consumed,
/// and what follows its closing quote.
fn quoted_string(input: &str) -> Result<(String, &str), LinkError> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            '"' => return Ok((value, &input[i + 1..])),
            c => value.push(c),
        }
    }
    Err(syntax("unterminated quoted string"))
}

fn preview(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Every `Link` field of `headers` as one value: several fields mean the same
/// as one field listing them all (RFC 9110 field lines), which a proxy is
/// free to produce. `None` if a field is not visible ASCII.
fn joined_link_header(headers: &HeaderMap) -> Option<String> {
    let mut values = Vec::new();
    for value in headers.get_all(http::header::LINK) {
        values.push(value.to_str().ok()?);
    }
    Some(values.join(", "))
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
        assert_eq!(
            links.last.as_ref().unwrap().query(),
            Some("package_type=npm&per_page=100&page=3")
        );
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
    fn malformed_headers_are_typed_errors() {
        use LinkErrorKind::*;
        for (bad, kind) in [
            ("https://x; rel=next", Syntax),
            ("<https://x; rel=next", Syntax),
            ("<https://x>; rel=\"next", Syntax),
            ("<https://x> rel=next", Syntax),
            ("<https://x>; =next", Syntax),
            ("<http://[::1>; rel=next", NotAUrl),
            ("<https://x>", MissingRel),
            ("<https://x>; title=\"no rel\"", MissingRel),
            ("<https://x>; rel=\"\"", MissingRel),
        ] {
            let error = Links::parse(bad, &base()).unwrap_err();
            assert_eq!(error.kind(), kind, "{bad}: {error}");
        }
    }

    fn headers(link: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::LINK, link.parse().unwrap());
        headers
    }

    #[test]
    fn next_and_last_are_strict_the_rest_lenient() {
        let ok = headers("</x?page=2>; rel=next, <http://[::1>; rel=prev");
        let (next, last) = next_and_last(&ok, &base()).unwrap();
        assert_eq!(next.unwrap().as_str(), "https://api.github.com/x?page=2");
        assert!(last.is_none());
        assert!(Links::parse_lenient(&ok, &base()).prev.is_none());
        for bad in [
            "<http://[::1>; rel=next",
            "</x?page=2>; rel=next, <http://[::1>; rel=last",
            "</x?page=2>; rel=next, <oops",
        ] {
            assert!(next_and_last(&headers(bad), &base()).is_err(), "{bad}");
        }
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
