//! The crate's one error type: what went wrong, in words that say what to do,
//! and the fields a program branches on.
//!
//! No variant ever holds the token, and URLs are shown without their query
//! string (a restore token travels there). Foreign errors are kept only
//! behind `source()`, so this crate's major version is its own. Turning an
//! answer into one of these lives in `classify.rs`.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};

use crate::links::LinkError;
use crate::ratelimit::RateLimitKind;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a dependency, kept for [`std::error::Error::source`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What GitHub said in an error answer, plus where and when it said it.
///
/// Kept whole so nothing GitHub explained is lost: its `message`, the
/// `documentation_url` it points to, and the `x-github-request-id` that GitHub
/// support asks for. An answer whose body is not JSON (an HTML page from a
/// proxy, plain text, nothing) keeps its status, and the start of its text in
/// [`body`](Self::body).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// HTTP method of the request.
    pub method: Method,
    /// Path of the request, without the query string.
    pub path: String,
    /// GitHub's `message`, when the body was JSON and had one.
    pub message: Option<String>,
    /// GitHub's `documentation_url`, when the body was JSON and had one.
    pub documentation_url: Option<String>,
    /// The start of the body (at most 200 characters, on one line) when it
    /// was not JSON.
    pub body: Option<String>,
    /// The `x-github-request-id` header, for GitHub support.
    pub request_id: Option<String>,
}

/// Why a request got no complete answer; the detail is in
/// [`source()`](std::error::Error::source).
///
/// ```no_run
/// # async fn run() -> Result<(), github_packages::Error> {
/// use github_packages::{Client, Error, PackageType, Scope, TransportCause};
///
/// let gh = Client::builder().token_from_env().build()?;
/// match gh.packages(Scope::org("octo-org")).get(PackageType::Npm, "app").await {
///     Err(Error::Transport { host, cause: TransportCause::Tls, .. }) => {
///         eprintln!("{host} presented a certificate this machine does not trust");
///     }
///     Err(Error::Transport { cause, .. }) if cause.is_retryable() => {
///         eprintln!("network trouble ({}); try again", cause.as_str());
///     }
///     other => println!("{:?}", other.map(|p| p.name)),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportCause {
    /// The host name did not resolve.
    Dns,
    /// Nothing accepted the connection: a wrong port, a service that is
    /// down, a firewall.
    ConnectionRefused,
    /// Connecting failed for another reason (an unreachable network).
    Connect,
    /// The TLS handshake failed: a certificate that is not trusted, a host
    /// name that does not match, or a server that does not speak HTTPS.
    Tls,
    /// No answer within the configured time.
    Timeout,
    /// The connection was reset or closed before the answer was complete.
    ConnectionClosed,
    /// The answer's body was cut short.
    Body,
    /// The answer is larger than the client accepts (see
    /// [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    BodyTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The server redirected too many times.
    Redirects,
    /// The request could not be built (a header or URL that HTTP cannot
    /// carry).
    InvalidRequest,
    /// Anything else.
    Other,
}

impl TransportCause {
    /// Whether sending the same request again may get through: a network
    /// glitch may, a certificate or a size limit will not.
    pub fn is_retryable(self) -> bool {
        !matches!(
            self,
            TransportCause::Tls
                | TransportCause::BodyTooLarge { .. }
                | TransportCause::Redirects
                | TransportCause::InvalidRequest
        )
    }

    /// A short name for logs: `dns`, `refused`, `tls`, `timeout`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            TransportCause::Dns => "dns",
            TransportCause::ConnectionRefused => "refused",
            TransportCause::Connect => "connect",
            TransportCause::Tls => "tls",
            TransportCause::Timeout => "timeout",
            TransportCause::ConnectionClosed => "closed",
            TransportCause::Body => "body",
            TransportCause::BodyTooLarge { .. } => "too-large",
            TransportCause::Redirects => "redirects",
            TransportCause::InvalidRequest => "invalid-request",
            TransportCause::Other => "other",
        }
    }
}

/// Everything that can go wrong, each variant saying what to do about it.
///
/// The `Display` text is meant for people: it names the problem and, where
/// there is one, the fix. It speaks of the situation, never of this crate's
/// builder methods, so an application can add advice of its own. Programs
/// should match on the variant or use the accessors ([`status`](Error::status),
/// [`is_retryable`](Error::is_retryable), [`message`](Error::message), ...).
/// The enum and every variant are `#[non_exhaustive]`: match with `..`.
///
/// ```no_run
/// # async fn run() -> Result<(), github_packages::Error> {
/// use github_packages::{Client, Error, PackageType, Scope};
///
/// let gh = Client::builder().token_from_env().build()?;
/// let org = gh.packages(Scope::org("octo-org"));
/// match org.version(PackageType::Container, "app", 42).delete().await {
///     Ok(()) => println!("deleted"),
///     Err(Error::Forbidden { needed_scopes, .. }) => eprintln!("token needs {needed_scopes:?}"),
///     Err(Error::Rejected { api, .. }) => eprintln!("GitHub refused: {:?}", api.message),
///     Err(e) if e.is_retryable() => eprintln!("try again later: {e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before any request was sent.
    #[non_exhaustive]
    InvalidInput {
        /// The argument, e.g. `package_name` or `base_url`.
        field: &'static str,
        /// The rule it broke and how to fix it.
        problem: String,
    },
    /// 401: no token, or GitHub did not accept the token.
    #[non_exhaustive]
    Unauthorized {
        /// GitHub's answer.
        api: Box<ApiError>,
        /// Whether the client had a token at all.
        had_token: bool,
    },
    /// 403 that is not a rate limit: the token lacks a scope or a permission.
    #[non_exhaustive]
    Forbidden {
        /// GitHub's answer.
        api: Box<ApiError>,
        /// Scopes GitHub says the call needs (`x-accepted-oauth-scopes`).
        needed_scopes: Vec<String>,
        /// Scopes the token has (`x-oauth-scopes`), when GitHub reports them.
        token_scopes: Option<Vec<String>>,
    },
    /// [`Client::check_scopes`](crate::Client::check_scopes) found that the
    /// token lacks a scope a call needs; nothing was sent.
    #[non_exhaustive]
    MissingScope {
        /// The scopes that were asked for.
        needed: Vec<String>,
        /// The scopes GitHub reported for the token (`x-oauth-scopes`).
        token_scopes: Vec<String>,
    },
    /// 404: the owner, package or version does not exist, or the token cannot
    /// see it (GitHub answers 404 rather than 403 for private resources).
    #[non_exhaustive]
    NotFound {
        /// GitHub's answer.
        api: Box<ApiError>,
    },
    /// A rate limit stopped the request and waiting for it was not allowed or
    /// did not help.
    #[non_exhaustive]
    RateLimited {
        /// GitHub's answer.
        api: Box<ApiError>,
        /// Primary (hourly quota) or secondary (abuse protection).
        kind: RateLimitKind,
        /// When GitHub says a retry may succeed, if it said.
        retry_at: Option<SystemTime>,
    },
    /// GitHub understood the request and refused it: 400, 409, 410, 422 or
    /// any other 4xx not listed above, for example deleting the last tagged
    /// version of a container, deleting a public package with more than
    /// 5,000 downloads, or restoring after the 30-day window. GitHub's
    /// message is kept whole in `api.message`.
    #[non_exhaustive]
    Rejected {
        /// GitHub's answer.
        api: Box<ApiError>,
    },
    /// GitHub refused a page deep into a listing (a 400 or 422 for a page
    /// past item 10,000, or an answer saying pagination is limited). Every
    /// item before it was yielded.
    #[non_exhaustive]
    PaginationLimit {
        /// GitHub's answer to the refused page.
        api: Option<Box<ApiError>>,
        /// The page that was refused.
        page: u64,
        /// Items per page.
        per_page: u64,
    },
    /// GitHub answered 5xx (after the configured retries), or a status
    /// outside the 4xx/5xx ranges that the API description does not list.
    #[non_exhaustive]
    Server {
        /// GitHub's answer.
        api: Box<ApiError>,
    },
    /// A `Link` header or redirect pointed away from the configured API
    /// origin. It was not followed, so the token was not sent there.
    #[non_exhaustive]
    CrossOrigin {
        /// The origin the client is configured for.
        expected: String,
        /// The origin the link pointed to.
        found: String,
    },
    /// A `Link` header could not be used, so the listing cannot continue:
    /// it is malformed, or its `next` link leads back to a page already read.
    #[non_exhaustive]
    MalformedLink {
        /// What is wrong with it.
        problem: LinkError,
        /// The `x-github-request-id` of the answer that carried it.
        request_id: Option<String>,
    },
    /// The request did not get a complete answer: the host did not resolve,
    /// refused the connection, failed the TLS handshake, took too long,
    /// closed the connection, or cut the body short.
    #[non_exhaustive]
    Transport {
        /// The host (and port, if not the scheme's default) the request was
        /// for.
        host: String,
        /// What happened.
        cause: TransportCause,
        /// The underlying error, without the request's URL.
        source: BoxError,
    },
    /// An answer arrived but its body was not what the API describes
    /// (truncated, not JSON, HTML, missing fields).
    #[non_exhaustive]
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
        source: Option<BoxError>,
    },
}

const _: () = {
    const fn assert_send_sync_static<T: Send + Sync + 'static>() {}
    assert_send_sync_static::<Error>();
};

/// Why a redirect was not followed; found in a transport error's chain and
/// turned into `Error::CrossOrigin`.
#[derive(Debug)]
pub(crate) struct RedirectRefused {
    pub(crate) expected: String,
    pub(crate) found: String,
}

impl fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "redirect from {} to {} refused",
            self.expected, self.found
        )
    }
}

impl StdError for RedirectRefused {}

/// An answer whose body passed the size limit; found in a transport error's
/// chain.
#[derive(Debug)]
pub(crate) struct BodyTooLarge {
    pub(crate) limit: u64,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the body is larger than {} bytes", self.limit)
    }
}

impl StdError for BodyTooLarge {}

impl Error {
    /// Wraps a failure from reqwest, naming the host and the cause. The URL is
    /// dropped: a restore token can travel in the query string and must not
    /// reach a log.
    pub(crate) fn from_reqwest(error: reqwest::Error, fallback_host: &str) -> Self {
        if let Some(refused) = find_in_chain::<RedirectRefused>(&error) {
            return Error::CrossOrigin {
                expected: refused.expected.clone(),
                found: refused.found.clone(),
            };
        }
        let host = error
            .url()
            .and_then(host_of)
            .unwrap_or_else(|| fallback_host.to_owned());
        Error::Transport {
            cause: transport_cause(&error),
            host,
            source: Box::new(error.without_url()),
        }
    }

    /// GitHub's answer taken out of the error, or the error back when it
    /// has none.
    pub(crate) fn into_api(self) -> Result<Box<ApiError>, Error> {
        match self {
            Error::Unauthorized { api, .. }
            | Error::Forbidden { api, .. }
            | Error::NotFound { api, .. }
            | Error::RateLimited { api, .. }
            | Error::Rejected { api, .. }
            | Error::Server { api, .. } => Ok(api),
            Error::PaginationLimit { api: Some(api), .. } => Ok(api),
            other => Err(other),
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
            _ => self.api().map(|a| a.status),
        }
    }

    /// GitHub's answer, for the variants that have one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized { api, .. }
            | Error::Forbidden { api, .. }
            | Error::NotFound { api, .. }
            | Error::RateLimited { api, .. }
            | Error::Rejected { api, .. }
            | Error::Server { api, .. } => Some(api.as_ref()),
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

    /// Whether trying the same request again later may succeed: a network
    /// failure other than TLS, a size limit or a bad request; a 500, 502, 503
    /// or 504; a rate limit. The client's own retries use exactly this rule,
    /// so an error that is retryable was already retried as configured.
    /// Client mistakes (4xx), bad input and decode failures are not
    /// retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { cause, .. } => cause.is_retryable(),
            Error::RateLimited { .. } => true,
            Error::Server { api, .. } => is_retryable_status(api.status),
            _ => false,
        }
    }

    /// Whether GitHub refused a page deep into a listing.
    pub fn is_pagination_limit(&self) -> bool {
        matches!(self, Error::PaginationLimit { .. })
    }

    /// Whether GitHub answered 404, whatever the body.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether GitHub answered 401: no token, or one it does not accept.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Unauthorized { .. })
    }

    /// Whether GitHub answered 403 for a reason other than a rate limit.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Error::Forbidden { .. })
    }

    /// Whether a rate limit stopped the request (see
    /// [`retry_at`](Self::retry_at)).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::RateLimited { .. })
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

/// The 5xx statuses worth sending an idempotent request again for.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// `host` or `host:port` of `url`, as a person would write it.
pub(crate) fn host_of(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Every error in `error`'s chain, including the ones an `io::Error` wraps
/// (its `source()` skips the wrapped error itself).
fn chain<'a>(error: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut found = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        found.push(current);
        if found.len() > 32 {
            break;
        }
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn StdError + 'static))
                .or_else(|| current.source()),
            None => current.source(),
        };
    }
    found
}

fn find_in_chain<T: StdError + 'static>(error: &reqwest::Error) -> Option<&T> {
    chain(error).into_iter().find_map(|e| e.downcast_ref::<T>())
}

/// What kind of transport failure `error` is: reqwest's own flags first,
/// then the kinds of the I/O, hyper and TLS errors in its chain, and the
/// words of their messages as a last resort.
pub(crate) fn transport_cause(error: &reqwest::Error) -> TransportCause {
    if let Some(too_large) = find_in_chain::<BodyTooLarge>(error) {
        return TransportCause::BodyTooLarge {
            limit: too_large.limit,
        };
    }
    if error.is_builder() {
        return TransportCause::InvalidRequest;
    }
    if error.is_timeout() {
        return TransportCause::Timeout;
    }
    if error.is_redirect() {
        return TransportCause::Redirects;
    }
    if error.is_dns() {
        return TransportCause::Dns;
    }
    if error.is_body() || error.is_decode() {
        return TransportCause::Body;
    }
    let links = chain(error);
    if let Some(cause) = links.iter().find_map(|e| cause_of(*e)) {
        return cause;
    }
    let text = links
        .iter()
        .map(|e| e.to_string().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(": ");
    cause_from_words(&text).unwrap_or(if error.is_connect() {
        TransportCause::Connect
    } else {
        TransportCause::Other
    })
}

/// The cause one error of a chain shows by its type, if it shows one.
fn cause_of(error: &(dyn StdError + 'static)) -> Option<TransportCause> {
    use std::io::ErrorKind;
    #[cfg(feature = "rustls")]
    if error.is::<rustls::Error>() {
        return Some(TransportCause::Tls);
    }
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            ErrorKind::ConnectionRefused => Some(TransportCause::ConnectionRefused),
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof => Some(TransportCause::ConnectionClosed),
            ErrorKind::TimedOut => Some(TransportCause::Timeout),
            _ => None,
        };
    }
    if let Some(hyper) = error.downcast_ref::<hyper::Error>() {
        if hyper.is_timeout() {
            return Some(TransportCause::Timeout);
        }
        if hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled() {
            return Some(TransportCause::ConnectionClosed);
        }
    }
    None
}

fn cause_from_words(text: &str) -> Option<TransportCause> {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
    ]) {
        Some(TransportCause::Dns)
    } else if has(&["certificate", "handshake", "tls", "ssl"]) {
        Some(TransportCause::Tls)
    } else if has(&["connection refused"]) {
        Some(TransportCause::ConnectionRefused)
    } else if has(&["timed out"]) {
        Some(TransportCause::Timeout)
    } else if has(&["reset", "closed", "broken pipe"]) {
        Some(TransportCause::ConnectionClosed)
    } else {
        None
    }
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

/// The classic-token scopes GitHub documents for a packages call, by method.
fn scopes_for(method: &Method) -> &'static str {
    match *method {
        Method::DELETE => "`read:packages` and `delete:packages`",
        Method::POST => "`read:packages` and `write:packages`",
        _ => "`read:packages`",
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} answered {}", self.method, self.path, self.status)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        } else if let Some(body) = &self.body {
            write!(f, " (body: {body})")?;
        }
        Ok(())
    }
}

impl StdError for ApiError {}

/// An [`ApiError`] as a sentence: with GitHub's message whole, and a period
/// only where the message does not end with one ("Package not found.", not
/// "Package not found..").
struct Sentence<'a>(&'a ApiError);

impl fmt::Display for Sentence<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        f.write_str(&text)?;
        if !text.ends_with(['.', '!', '?']) {
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// Whether the request named a version: its path ends in
    /// `/versions/{id}` (or `/versions/{id}/restore`). A 404 of such a
    /// request may be about the version rather than the package.
    ///
    /// ```
    /// # use github_packages::ApiError;
    /// # fn check(api: &ApiError) {
    /// if api.is_about_a_version() {
    ///     eprintln!("check the version id too");
    /// }
    /// # }
    /// ```
    pub fn is_about_a_version(&self) -> bool {
        let mut segments = self.path.rsplit('/').peekable();
        segments.next_if_eq(&"restore");
        let id = segments.next().unwrap_or_default();
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && segments.next() == Some("versions")
    }

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

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportCause::Dns => "the host name does not resolve (DNS)",
            TransportCause::ConnectionRefused => "connection refused",
            TransportCause::Connect => "the connection failed",
            TransportCause::Tls => "the TLS handshake failed",
            TransportCause::Timeout => "no answer in time",
            TransportCause::ConnectionClosed => {
                "the connection was reset or closed before the answer was complete"
            }
            TransportCause::Body => "the answer's body was cut short",
            TransportCause::BodyTooLarge { .. } => "the answer is too large",
            TransportCause::Redirects => "too many redirects",
            TransportCause::InvalidRequest => "the request could not be built",
            TransportCause::Other => "the request failed before an answer arrived",
        })
    }
}

fn write_transport(f: &mut fmt::Formatter<'_>, host: &str, cause: TransportCause) -> fmt::Result {
    // The detail (the resolver's words, the certificate problem) is in
    // `source()`; repeating it here would print it twice in an error chain.
    match cause {
        TransportCause::Dns | TransportCause::ConnectionRefused | TransportCause::Connect => {
            write!(
                f,
                "cannot reach {host}: {cause}; check the URL and the network"
            )
        }
        TransportCause::Tls => write!(
            f,
            "cannot reach {host}: {cause}; the certificate may not be trusted, may not match \
             the host name, or the server may not speak HTTPS"
        ),
        TransportCause::Timeout => write!(
            f,
            "no answer from {host} in time; the network or the server is slow, try again later"
        ),
        TransportCause::ConnectionClosed | TransportCause::Body => {
            write!(
                f,
                "the answer from {host} was incomplete: {cause}; try again"
            )
        }
        TransportCause::BodyTooLarge { limit } => write!(
            f,
            "the answer from {host} is larger than the {limit} bytes this client accepts"
        ),
        TransportCause::Redirects => write!(f, "{host} redirected too many times"),
        TransportCause::InvalidRequest => write!(
            f,
            "the request to {host} could not be built: an argument holds something HTTP \
             cannot carry"
        ),
        _ => write!(
            f,
            "the request to {host} failed before an answer arrived; check the network and \
             try again"
        ),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { field, problem } => write!(f, "invalid {field}: {problem}"),
            Error::Unauthorized { api, had_token } => {
                write!(f, "{} ", Sentence(api))?;
                if *had_token {
                    f.write_str(
                        "GitHub did not accept the token: it may be expired, revoked or mistyped; \
                         create a new one",
                    )?;
                } else {
                    write!(
                        f,
                        "This call needs a token and none was sent: set GITHUB_TOKEN (or GH_TOKEN) \
                         to a token with {}",
                        scopes_for(&api.method)
                    )?;
                }
                api.write_tail(f)
            }
            Error::Forbidden {
                api,
                needed_scopes,
                token_scopes,
            } => {
                write!(f, "{} ", Sentence(api))?;
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
                    (true, _) => write!(
                        f,
                        "The token is valid but lacks permission: this call needs {} (for a \
                         classic token), and deleting or restoring needs an admin role on the \
                         package",
                        scopes_for(&api.method)
                    )?,
                }
                api.write_tail(f)
            }
            Error::MissingScope {
                needed,
                token_scopes,
            } => {
                let missing: Vec<String> = needed
                    .iter()
                    .filter(|s| !crate::scopes::covers(token_scopes, s))
                    .cloned()
                    .collect();
                write!(
                    f,
                    "this needs a token with {}; your token has {}. Add {} to the token (or use \
                     one that has it)",
                    scopes_list(needed),
                    scopes_list(token_scopes),
                    scopes_list(&missing)
                )
            }
            Error::NotFound { api } => {
                let version = if api.is_about_a_version() {
                    ", and the version id"
                } else {
                    ""
                };
                write!(
                    f,
                    "{} Check the owner, the package type and name{version}; GitHub also \
                     answers 404 when the token cannot see a private package",
                    Sentence(api)
                )?;
                api.write_tail(f)
            }
            Error::RateLimited {
                api,
                kind,
                retry_at,
            } => {
                let which = match kind {
                    RateLimitKind::Primary => "primary rate limit (hourly quota) is exhausted",
                    RateLimitKind::Secondary => "secondary rate limit was hit",
                };
                write!(f, "{} GitHub's {which}; ", Sentence(api))?;
                match retry_at.and_then(|t| t.duration_since(SystemTime::now()).ok()) {
                    Some(wait) => write!(
                        f,
                        "retry in {} (longer than this client was allowed to wait)",
                        human_duration(wait)
                    )?,
                    None => f.write_str("retry later")?,
                }
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
                    "GitHub refused page {page} at {per_page} per page: it may refuse pages this \
                     deep into a listing. The items before it were returned; narrow the listing \
                     (filter by state or visibility) to see the rest"
                )?;
                if let Some(api) = api {
                    api.write_tail(f)?;
                }
                Ok(())
            }
            Error::Server { api } => {
                write!(f, "{} GitHub had a problem; try again later", Sentence(api))?;
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
                    "cannot continue the listing: GitHub's Link header is unusable ({problem})"
                )?;
                if let Some(id) = request_id {
                    write!(f, " [request id {id}]")?;
                }
                Ok(())
            }
            Error::Transport { host, cause, .. } => write_transport(f, host, *cause),
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

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Transport { source, .. } => Some(source.as_ref()),
            Error::Decode {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            _ => None,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, method: Method) -> Box<ApiError> {
        Box::new(ApiError {
            status: StatusCode::from_u16(status).unwrap(),
            method,
            path: "/orgs/o/packages/npm/app".to_owned(),
            message: None,
            documentation_url: None,
            body: None,
            request_id: None,
        })
    }

    #[test]
    fn display_never_names_builder_methods() {
        let errors = [
            Error::RateLimited {
                api: api(403, Method::GET),
                kind: RateLimitKind::Secondary,
                retry_at: Some(SystemTime::now() + Duration::from_secs(600)),
            },
            Error::Unauthorized {
                api: api(401, Method::GET),
                had_token: false,
            },
        ];
        for error in errors {
            let text = error.to_string();
            for builder_word in [
                "max_rate_limit_wait",
                "ClientBuilder",
                "allow_insecure_http",
            ] {
                assert!(!text.contains(builder_word), "{text}");
            }
        }
    }

    #[test]
    fn a_404_reads_as_one_sentence_and_names_a_version_only_when_one_was_asked_for() {
        let not_found = |path: &str| {
            let mut api = api(404, Method::GET);
            api.path = path.to_owned();
            api.message = Some("Package not found.".to_owned());
            Error::NotFound { api }.to_string()
        };
        let package = not_found("/orgs/o/packages/npm/app");
        assert!(package.contains(": Package not found. Check"), "{package}");
        assert!(!package.contains(".."), "{package}");
        assert!(!package.contains("version id"), "{package}");
        let version = not_found("/orgs/o/packages/npm/app/versions/7");
        assert!(version.contains("and the version id"), "{version}");
        let restore = not_found("/orgs/o/packages/npm/app/versions/7/restore");
        assert!(restore.contains("and the version id"), "{restore}");
        for not_a_version in [
            "/orgs/o/packages/npm/app/versions",
            "/orgs/o/packages/npm/app/restore",
            "/orgs/o/packages/npm/123",
        ] {
            assert!(
                !not_found(not_a_version).contains("version id"),
                "{not_a_version}"
            );
        }
    }

    #[test]
    fn restore_needs_write_packages_and_delete_needs_delete_packages() {
        let forbidden = |method| Error::Forbidden {
            api: api(403, method),
            needed_scopes: Vec::new(),
            token_scopes: None,
        };
        let restore = forbidden(Method::POST).to_string();
        assert!(restore.contains("`write:packages`"), "{restore}");
        assert!(!restore.contains("delete:packages"), "{restore}");
        let delete = forbidden(Method::DELETE).to_string();
        assert!(delete.contains("`delete:packages`"), "{delete}");
        let anonymous = Error::Unauthorized {
            api: api(401, Method::POST),
            had_token: false,
        };
        assert!(anonymous.to_string().contains("`write:packages`"));
    }

    #[test]
    fn retryable_transport_causes_are_the_passing_ones() {
        use TransportCause::*;
        for cause in [
            Dns,
            ConnectionRefused,
            Connect,
            Timeout,
            ConnectionClosed,
            Body,
            Other,
        ] {
            assert!(cause.is_retryable(), "{cause:?}");
        }
        for cause in [Tls, BodyTooLarge { limit: 1 }, Redirects, InvalidRequest] {
            assert!(!cause.is_retryable(), "{cause:?}");
        }
    }

    #[test]
    fn transport_display_names_host_and_cause() {
        let error = Error::Transport {
            host: "api.github.com".to_owned(),
            cause: TransportCause::ConnectionRefused,
            source: "refused".into(),
        };
        assert_eq!(
            error.to_string(),
            "cannot reach api.github.com: connection refused; check the URL and the network"
        );
        assert!(error.is_retryable());
    }

    #[test]
    fn a_request_that_cannot_be_built_is_not_retryable() {
        let http = crate::tls::configure(reqwest::Client::builder())
            .unwrap()
            .build()
            .unwrap();
        let error = http
            .get("https://api.github.com/x")
            .header("x-bad", "line\nbreak")
            .build()
            .unwrap_err();
        assert_eq!(transport_cause(&error), TransportCause::InvalidRequest);
        let error = Error::from_reqwest(error, "api.github.com");
        assert!(!error.is_retryable(), "{error:?}");
        assert!(error.to_string().contains("could not be built"), "{error}");
    }

    #[test]
    fn words_name_a_cause_when_types_do_not() {
        let cases = [
            (
                "dns error: failed to lookup address information",
                TransportCause::Dns,
            ),
            (
                "invalid peer certificate: UnknownIssuer",
                TransportCause::Tls,
            ),
            (
                "tcp connect error: connection refused",
                TransportCause::ConnectionRefused,
            ),
            ("operation timed out", TransportCause::Timeout),
            ("connection reset by peer", TransportCause::ConnectionClosed),
        ];
        for (text, cause) in cases {
            assert_eq!(cause_from_words(text), Some(cause), "{text}");
        }
        assert_eq!(cause_from_words("something odd"), None);
    }
}
