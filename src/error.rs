//! The crate's one error type and the code that classifies GitHub's answers.
//!
//! Every failure says what went wrong and, where there is one, what to do next:
//! which token scope is missing, when a rate limit resets, which input field is
//! wrong. No variant ever holds the token, and URLs are shown without their
//! query string (a restore token travels there).

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::generated;
use crate::transport::ResponseMeta;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What GitHub said in an error answer, plus where and when it said it.
///
/// Kept whole so nothing GitHub explained is lost: its `message`, the
/// `documentation_url` it points to, and the `x-github-request-id` that GitHub
/// support asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// HTTP method of the request (`GET`, `DELETE`, `POST`).
    pub method: String,
    /// Path of the request, without the query string.
    pub path: String,
    /// GitHub's `message`, when the body had one.
    pub message: Option<String>,
    /// GitHub's `documentation_url`, when the body had one.
    pub documentation_url: Option<String>,
    /// The `x-github-request-id` header, for GitHub support.
    pub request_id: Option<String>,
}

/// Which of GitHub's rate limits stopped a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateLimitKind {
    /// The hourly request quota (`x-ratelimit-remaining: 0`).
    Primary,
    /// An abuse-protection limit ("secondary rate limit", 403 or 429).
    Secondary,
}

/// Everything that can go wrong, each variant saying what to do about it.
///
/// The `Display` text is meant for people: it names the problem and the fix.
/// Programs should match on the variant or use the accessors
/// ([`status`](Error::status), [`is_retryable`](Error::is_retryable),
/// [`message`](Error::message), ...).
///
/// ```no_run
/// # async fn run() -> Result<(), github_packages::Error> {
/// use github_packages::{Client, Error, PackageType, Scope};
///
/// let gh = Client::builder().token_from_env().build()?;
/// let org = Scope::org("octo-org");
/// match gh.packages(&org).version(PackageType::Container, "app", 42).delete().await {
///     Ok(()) => println!("deleted"),
///     Err(Error::Forbidden { needed_scopes, .. }) => eprintln!("token needs {needed_scopes:?}"),
///     Err(Error::Rejected { api }) => eprintln!("GitHub refused: {:?}", api.message),
///     Err(e) if e.is_retryable() => eprintln!("try again later: {e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before any request was sent.
    InvalidInput {
        /// The argument, e.g. `package_name` or `base_url`.
        field: &'static str,
        /// The rule it broke and how to fix it.
        problem: String,
    },
    /// 401: no token, or GitHub did not accept the token.
    Unauthorized {
        /// GitHub's answer.
        api: Box<ApiError>,
        /// Whether the client had a token at all.
        had_token: bool,
    },
    /// 403 that is not a rate limit: the token lacks a scope or a permission.
    Forbidden {
        /// GitHub's answer.
        api: Box<ApiError>,
        /// Scopes GitHub says the call needs (`x-accepted-oauth-scopes`).
        needed_scopes: Vec<String>,
        /// Scopes the token has (`x-oauth-scopes`), when GitHub reports them.
        token_scopes: Option<Vec<String>>,
    },
    /// 404: the owner, package or version does not exist, or the token cannot
    /// see it (GitHub answers 404 rather than 403 for private resources).
    NotFound {
        /// GitHub's answer.
        api: Box<ApiError>,
    },
    /// A rate limit stopped the request and waiting for it was not allowed or
    /// did not help.
    RateLimited {
        /// GitHub's answer.
        api: Box<ApiError>,
        /// Primary (hourly quota) or secondary (abuse protection).
        kind: RateLimitKind,
        /// When GitHub says a retry may succeed, if it said.
        retry_at: Option<SystemTime>,
    },
    /// GitHub understood the request and refused it: 400, 409, 410, 422 or
    /// any other 4xx not listed above, for example deleting the last tagged version of a container, deleting a
    /// public package with more than 5,000 downloads, or restoring after the
    /// 30-day window. GitHub's message is kept whole in `api.message`.
    Rejected {
        /// GitHub's answer.
        api: Box<ApiError>,
    },
    /// A listing reached GitHub's pagination wall: `page * per_page` may not
    /// exceed 10,000. Every item up to the wall was yielded before this error.
    PaginationLimit {
        /// GitHub's answer to the refused page, if one was requested.
        api: Option<Box<ApiError>>,
        /// The page that was refused.
        page: u64,
        /// Items per page.
        per_page: u64,
    },
    /// GitHub answered 5xx (after the configured retries), or a status
    /// outside the 4xx/5xx ranges that the API description does not list.
    Server {
        /// GitHub's answer.
        api: Box<ApiError>,
    },
    /// A `Link` header or redirect pointed away from the configured API
    /// origin. It was not followed, so the token was not sent there.
    CrossOrigin {
        /// The origin the client is configured for.
        expected: String,
        /// The origin the link pointed to.
        found: String,
    },
    /// A `Link` header could not be parsed, so the listing cannot continue.
    MalformedLink {
        /// Why the header was rejected.
        problem: String,
        /// The `x-github-request-id` of the answer that carried it.
        request_id: Option<String>,
    },
    /// The request did not complete: connect failure, timeout, reset, or a
    /// body cut short.
    Transport {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// An answer arrived but its body was not what the API describes
    /// (truncated, not JSON, HTML, missing fields).
    Decode {
        /// Status of the answer, when known.
        status: Option<StatusCode>,
        /// `content-type` of the answer, when known.
        content_type: Option<String>,
        /// The `x-github-request-id` header, when known.
        request_id: Option<String>,
        /// What failed, in words; the parser's own message is in `source`.
        detail: String,
        /// The parse error, when there was one.
        source: Option<serde_json::Error>,
    },
}

const _: () = {
    const fn assert_send_sync_static<T: Send + Sync + 'static>() {}
    assert_send_sync_static::<Error>();
};

impl Error {
    /// Wraps a transport failure. The URL is dropped from it: a restore
    /// token can travel in the query string and must not reach a log.
    pub(crate) fn transport(source: reqwest::Error) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&source);
        while let Some(error) = cause {
            if let Some(refused) = error.downcast_ref::<crate::client::RedirectRefused>() {
                return Error::CrossOrigin {
                    expected: refused.expected.clone(),
                    found: refused.found.clone(),
                };
            }
            cause = error.source();
        }
        Error::Transport {
            source: source.without_url(),
        }
    }

    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            problem: problem.into(),
        }
    }

    /// The HTTP status GitHub answered with, if the error came from an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Decode { status, .. } => *status,
            Error::Transport { source } => source.status(),
            Error::PaginationLimit { api, .. } => api.as_deref().map(|a| a.status),
            _ => self.api().map(|a| a.status),
        }
    }

    /// GitHub's answer, for the variants that have one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized { api, .. }
            | Error::Forbidden { api, .. }
            | Error::NotFound { api }
            | Error::RateLimited { api, .. }
            | Error::Rejected { api }
            | Error::Server { api } => Some(api.as_ref()),
            Error::PaginationLimit { api, .. } => api.as_deref(),
            _ => None,
        }
    }

    /// GitHub's `message`, when it sent one.
    pub fn message(&self) -> Option<&str> {
        self.api().and_then(|a| a.message.as_deref())
    }

    /// GitHub's `documentation_url`, when it sent one.
    pub fn documentation_url(&self) -> Option<&str> {
        self.api().and_then(|a| a.documentation_url.as_deref())
    }

    /// GitHub's `x-github-request-id`, to quote when contacting GitHub support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Decode { request_id, .. } | Error::MalformedLink { request_id, .. } => {
                request_id.as_deref()
            }
            _ => self.api().and_then(|a| a.request_id.as_deref()),
        }
    }

    /// Whether trying the same request again later may succeed: transport
    /// failures, 5xx answers and rate limits. Client mistakes (4xx), bad input
    /// and decode failures are not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::RateLimited { .. } => true,
            Error::Server { api } => is_retryable_status(api.status),
            _ => false,
        }
    }

    /// Whether this is GitHub's 10,000-item pagination wall.
    pub fn is_pagination_limit(&self) -> bool {
        matches!(self, Error::PaginationLimit { .. })
    }

    /// Whether GitHub answered 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether GitHub understood the request and refused it (a 4xx other
    /// than 401, 403, 404 and rate limits): retrying will not help, but other
    /// items of a bulk job may still succeed.
    pub fn is_rejected(&self) -> bool {
        matches!(self, Error::Rejected { .. })
    }

    /// When a rate-limited request may be retried, if GitHub said.
    pub fn retry_at(&self) -> Option<SystemTime> {
        match self {
            Error::RateLimited { retry_at, .. } => *retry_at,
            _ => None,
        }
    }
}

pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

fn scopes_list(scopes: &[String]) -> String {
    if scopes.is_empty() {
        return "no scopes".to_owned();
    }
    scopes
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} answered {}", self.method, self.path, self.status)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    fn write_tail(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(url) = &self.documentation_url {
            write!(f, " (see {url})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { field, problem } => write!(f, "invalid {field}: {problem}"),
            Error::Unauthorized { api, had_token } => {
                write!(f, "{api}. ")?;
                if *had_token {
                    f.write_str(
                        "GitHub did not accept the token: it may be expired, revoked or mistyped; \
                         create a new one",
                    )?;
                } else {
                    f.write_str(
                        "This call needs a token: set GITHUB_TOKEN (or call \
                         ClientBuilder::token) with a token that has the `read:packages` scope \
                         (plus `delete:packages` to delete or restore)",
                    )?;
                }
                api.write_tail(f)
            }
            Error::Forbidden {
                api,
                needed_scopes,
                token_scopes,
            } => {
                write!(f, "{api}. ")?;
                match (needed_scopes.is_empty(), token_scopes) {
                    (false, Some(has)) => write!(
                        f,
                        "This call needs a token with {}; your token has {}. Add the missing \
                         scope to the token (or use one that has it)",
                        scopes_list(needed_scopes),
                        scopes_list(has)
                    )?,
                    (false, None) => write!(
                        f,
                        "This call needs a token with {}",
                        scopes_list(needed_scopes)
                    )?,
                    (true, _) => f.write_str(
                        "The token is valid but lacks permission: packages calls need \
                         `read:packages` (and `delete:packages` to delete or restore), and an \
                         admin role on the package to delete it",
                    )?,
                }
                api.write_tail(f)
            }
            Error::NotFound { api } => {
                write!(
                    f,
                    "{api}. Check the owner, the package type and name, and the version id; \
                     GitHub also answers 404 when the token cannot see a private package"
                )?;
                api.write_tail(f)
            }
            Error::RateLimited {
                api,
                kind,
                retry_at,
            } => {
                let which = match kind {
                    RateLimitKind::Primary => "primary rate limit (hourly quota) exhausted",
                    RateLimitKind::Secondary => "secondary rate limit hit",
                };
                write!(f, "{api}. GitHub {which}; ")?;
                match retry_at.and_then(|t| t.duration_since(SystemTime::now()).ok()) {
                    Some(wait) => write!(f, "retry in {}", human_duration(wait))?,
                    None => f.write_str("retry later")?,
                }
                f.write_str(", or allow a longer wait (max_rate_limit_wait) to wait it out")?;
                api.write_tail(f)
            }
            Error::Rejected { api } => {
                write!(f, "{api}")?;
                api.write_tail(f)
            }
            Error::PaginationLimit {
                api,
                page,
                per_page,
            } => {
                write!(
                    f,
                    "GitHub refuses page {page} at {per_page} per page: a listing cannot go past \
                     10,000 items (page * per_page); the items before it were returned. Narrow \
                     the listing (e.g. filter by state or visibility)"
                )?;
                if let Some(api) = api {
                    api.write_tail(f)?;
                }
                Ok(())
            }
            Error::Server { api } => {
                write!(f, "{api}. GitHub had a problem; try again later")?;
                api.write_tail(f)
            }
            Error::CrossOrigin { expected, found } => write!(
                f,
                "refused to follow a link to {found}: the client only talks to {expected}, so \
                 the token is never sent elsewhere"
            ),
            Error::MalformedLink {
                problem,
                request_id,
            } => {
                write!(
                    f,
                    "cannot continue the listing: GitHub's Link header is malformed ({problem})"
                )?;
                if let Some(id) = request_id {
                    write!(f, " [request id {id}]")?;
                }
                Ok(())
            }
            Error::Transport { source } => {
                // The detail (DNS, TLS, reset...) is in `source()`; repeating
                // it here would print it twice in an error chain.
                write!(
                    f,
                    "request failed before an answer arrived ({} error); check the network and \
                     the base URL, then retry",
                    transport_kind(source)
                )
            }
            Error::Decode {
                status,
                content_type,
                request_id,
                detail,
                ..
            } => {
                f.write_str("GitHub's answer could not be read")?;
                if let Some(status) = status {
                    write!(f, " (status {status}")?;
                    if let Some(ct) = content_type {
                        write!(f, ", content-type {ct}")?;
                    }
                    f.write_str(")")?;
                }
                write!(f, ": {detail}")?;
                if let Some(id) = request_id {
                    write!(f, " [request id {id}]")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source } => Some(source),
            Error::Decode {
                source: Some(source),
                ..
            } => Some(source),
            _ => None,
        }
    }
}

/// What kind of transport failure `error` is, without its URL.
pub(crate) fn transport_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else if error.is_body() || error.is_decode() {
        "body"
    } else if error.is_redirect() {
        "redirect"
    } else if error.is_request() {
        "request"
    } else {
        "other"
    }
}

pub(crate) fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}s", secs.max(1))
    }
}

/// Facts about a response that the classifier needs, whichever path read it.
pub(crate) struct Answer<'a> {
    pub(crate) status: StatusCode,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) had_token: bool,
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn split_scopes(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The rate-limit facts of an answer, if it is a rate-limit answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateLimitHit {
    pub(crate) kind: RateLimitKind,
    /// How long GitHub asks us to wait, when it says.
    pub(crate) wait: Option<Duration>,
}

/// Reads GitHub's rate-limit signals. Clock arithmetic saturates: a reset time
/// in the past means "now", garbage means "not said".
pub(crate) fn rate_limit_hit(
    status: StatusCode,
    headers: &HeaderMap,
    message: Option<&str>,
    now: SystemTime,
) -> Option<RateLimitHit> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let retry_after = header_str(headers, "retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs);
    // GitHub's secondary limits say so in the message, and only rate limits
    // come with `retry-after`.
    let secondary = message
        .is_some_and(|m| m.to_ascii_lowercase().contains("secondary rate limit"))
        || retry_after.is_some();
    if !secondary && header_str(headers, "x-ratelimit-remaining") == Some("0") {
        let wait = retry_after.or_else(|| {
            let reset = header_str(headers, "x-ratelimit-reset")?
                .parse::<u64>()
                .ok()?;
            let reset = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(reset))?;
            Some(reset.duration_since(now).unwrap_or(Duration::ZERO))
        });
        return Some(RateLimitHit {
            kind: RateLimitKind::Primary,
            wait,
        });
    }
    if secondary || status == StatusCode::TOO_MANY_REQUESTS {
        return Some(RateLimitHit {
            kind: RateLimitKind::Secondary,
            wait: retry_after,
        });
    }
    None
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    message: Option<String>,
    documentation_url: Option<String>,
}

/// Turns a non-success answer into the variant that says what to do.
pub(crate) fn classify(answer: &Answer<'_>, body: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => classify_parts(answer, b.message, b.documentation_url),
        Err(_) => {
            // Keep a short, printable hint of a non-JSON body (an HTML error
            // page from a proxy, say) rather than dropping it.
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let hint = (!text.is_empty()).then(|| {
                let short: String = text.chars().take(200).collect();
                format!("non-JSON body: {short}")
            });
            classify_parts(answer, hint, None)
        }
    }
}

fn classify_parts(
    answer: &Answer<'_>,
    message: Option<String>,
    documentation_url: Option<String>,
) -> Error {
    let api = Box::new(ApiError {
        status: answer.status,
        method: answer.method.to_owned(),
        path: answer.path.to_owned(),
        message,
        documentation_url,
        request_id: header_str(answer.headers, "x-github-request-id").map(str::to_owned),
    });
    let now = SystemTime::now();
    if let Some(hit) = rate_limit_hit(answer.status, answer.headers, api.message.as_deref(), now) {
        return Error::RateLimited {
            api,
            kind: hit.kind,
            retry_at: hit.wait.and_then(|w| now.checked_add(w)),
        };
    }
    match answer.status.as_u16() {
        401 => Error::Unauthorized {
            api,
            had_token: answer.had_token,
        },
        403 => Error::Forbidden {
            needed_scopes: header_str(answer.headers, "x-accepted-oauth-scopes")
                .map(split_scopes)
                .unwrap_or_default(),
            token_scopes: header_str(answer.headers, "x-oauth-scopes").map(split_scopes),
            api,
        },
        404 => Error::NotFound { api },
        // Any other 4xx is also GitHub refusing this request; only 5xx and
        // statuses outside the error ranges are "GitHub had a problem".
        400..=499 => Error::Rejected { api },
        _ => Error::Server { api },
    }
}

/// Converts what a generated method returned into this crate's error.
pub(crate) async fn from_generated(
    err: progenitor_client::Error<generated::types::BasicError>,
    meta: Option<ResponseMeta>,
    method: &str,
    path: &str,
    had_token: bool,
) -> Error {
    use progenitor_client::Error as G;
    match err {
        G::InvalidRequest(problem) => Error::invalid("request", problem),
        G::CommunicationError(source) | G::InvalidUpgrade(source) => Error::transport(source),
        G::ResponseBodyError(source) => Error::transport(source),
        G::ErrorResponse(rv) => {
            let status = rv.status();
            let headers = rv.headers().clone();
            let body = rv.into_inner();
            let answer = Answer {
                status,
                headers: &headers,
                method,
                path,
                had_token,
            };
            classify_parts(&answer, body.message, body.documentation_url)
        }
        G::InvalidResponsePayload(bytes, source) => Error::Decode {
            status: meta.as_ref().map(|m| m.status),
            content_type: meta.as_ref().and_then(|m| m.content_type.clone()),
            request_id: meta.and_then(|m| m.request_id),
            detail: format!(
                "the {} byte body does not match the API description",
                bytes.len()
            ),
            source: Some(source),
        },
        G::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let body = match response.bytes().await {
                Ok(b) => b,
                Err(source) => return Error::transport(source),
            };
            if status.is_success() {
                return Error::Decode {
                    status: Some(status),
                    content_type: header_str(&headers, "content-type").map(str::to_owned),
                    request_id: header_str(&headers, "x-github-request-id").map(str::to_owned),
                    detail: "a success status the API description does not list".to_owned(),
                    source: None,
                };
            }
            classify(
                &Answer {
                    status,
                    headers: &headers,
                    method,
                    path,
                    had_token,
                },
                &body,
            )
        }
        G::Custom(problem) => Error::invalid("request", problem),
    }
}
