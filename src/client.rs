//! `Client` and its builder: the token, the API origin and the headers GitHub
//! requires, wired into the generated client.
//!
//! The token lives only inside `reqwest`'s default headers, marked sensitive,
//! so it never shows up in `Debug` output; redirects and `Link` headers that
//! leave the configured origin are refused so it is never sent elsewhere.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

use crate::error::{Error, Result};
use crate::generated;
use crate::scope::Scope;
use crate::transport::{Policy, Shared};

/// GitHub.com's REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com";
/// The REST API version this crate is written against.
pub const DEFAULT_API_VERSION: &str = "2022-11-28";
const DEFAULT_USER_AGENT: &str = concat!("github-packages/", env!("CARGO_PKG_VERSION"));

/// A GitHub Packages API client.
///
/// Cheap to clone (one reference count); clones share the connection pool and
/// the rate-limit budget. Build one with [`Client::builder`].
///
/// ```no_run
/// # async fn run() -> Result<(), github_packages::Error> {
/// use github_packages::{Client, PackageType, Scope};
///
/// let gh = Client::builder().token_from_env().build()?;
/// let pkg = gh
///     .packages(&Scope::org("octo-org"))
///     .get(PackageType::Container, "team/app")
///     .await?;
/// println!("{} has {} versions", pkg.name, pkg.version_count);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    raw: Arc<generated::Client>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared();
        f.debug_struct("Client")
            .field("base_url", &shared.base_url.as_str())
            .field("has_token", &shared.has_token)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client. Defaults: GitHub.com, no token.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The packages API for one owner: the authenticated user, a named user,
    /// or an organization.
    pub fn packages<'a>(&'a self, scope: &'a Scope) -> crate::Packages<'a> {
        crate::Packages::new(self, scope)
    }

    /// The generated client, for anything the hand-written layer does not
    /// wrap. Its requests carry this client's headers and go through its
    /// retries and rate limiting.
    ///
    /// It does not validate input: a package name of `.` or `..`, or one
    /// containing `\`, is turned into a URL whose path the URL parser
    /// rewrites, so the request addresses a different resource. Pass names
    /// from users through [`Client::packages`], which refuses them.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use github_packages::{Client, PackageType};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let conflicts = gh
    ///     .generated()
    ///     .packages_list_docker_migration_conflicting_packages_for_organization()
    ///     .org("octo-org")
    ///     .send()
    ///     .await?;
    /// println!("{} conflicting packages", conflicts.len());
    /// # Ok(()) }
    /// ```
    pub fn generated(&self) -> &generated::Client {
        &self.raw
    }

    /// The API base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &Url {
        &self.shared().base_url
    }

    pub(crate) fn shared(&self) -> &Shared {
        progenitor_client::ClientInfo::inner(&*self.raw)
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        use progenitor_client::ClientInfo;
        self.raw.client()
    }
}

/// A token that never prints itself.
#[derive(Clone)]
struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Configures a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use github_packages::Client;
///
/// let gh = Client::builder()
///     .base_url("https://ghe.example.com/api/v3")
///     .token("ghp_example")
///     .timeout(Duration::from_secs(60))
///     .build()?;
/// assert_eq!(gh.base_url().as_str(), "https://ghe.example.com/api/v3");
/// # Ok::<(), github_packages::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    token: Option<Token>,
    base_url: String,
    user_agent: String,
    api_version: String,
    allow_insecure_http: bool,
    connect_timeout: Duration,
    timeout: Duration,
    policy: Policy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            token: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            allow_insecure_http: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            policy: Policy::default(),
        }
    }
}

impl ClientBuilder {
    /// Sends `Authorization: Bearer <token>` with every request. Classic
    /// tokens need `read:packages` (and `delete:packages` to delete or
    /// restore); `GITHUB_TOKEN` in Actions works for packages the workflow's
    /// repository can access. An empty token means "no token".
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token = (!token.trim().is_empty()).then(|| Token(token.trim().to_owned()));
        self
    }

    /// Takes the token from `GITHUB_TOKEN`, else `GH_TOKEN`, as the GitHub
    /// CLI and Actions do. Leaves the client without a token when neither
    /// is set, which still works for public packages.
    ///
    /// ```
    /// use github_packages::Client;
    ///
    /// // In CI: GITHUB_TOKEN from Actions; locally: whatever `gh` exported.
    /// let gh = Client::builder().token_from_env().build()?;
    /// # let _ = gh;
    /// # Ok::<(), github_packages::Error>(())
    /// ```
    pub fn token_from_env(self) -> Self {
        match ["GITHUB_TOKEN", "GH_TOKEN"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.trim().is_empty())
        {
            Some(token) => self.token(token),
            None => self,
        }
    }

    /// The API root: `https://api.github.com` (the default) or a GitHub
    /// Enterprise Server's `https://HOST/api/v3`. A trailing slash is fine.
    /// Plain `http://` is accepted only for loopback addresses unless
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Permits a plain `http://` base URL that is not a loopback address.
    /// The token then crosses the network unencrypted; only for test rigs.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The `User-Agent` header (GitHub rejects requests without one).
    /// Default `github-packages/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The `X-GitHub-Api-Version` header. Default `2022-11-28`.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// How long to wait for a connection. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one request may take, connection to last byte. Default 30 s.
    /// Retries get a fresh timeout each.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a failed idempotent request (GET, DELETE) is retried
    /// after a transport error or a 500/502/503/504. Default 3; 0 disables
    /// retries. POST (restore) is never retried after a transport error or
    /// 5xx: GitHub may have acted on it, and a restore is cheap to re-run by
    /// hand once you have checked.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.policy.max_retries = retries;
        self
    }

    /// Exponential backoff between retries: the first wait is at most
    /// `initial`, doubling up to `max`, each randomised (jitter) so parallel
    /// clients do not retry in lockstep. Defaults 500 ms and 8 s. A
    /// `retry-after` header from GitHub takes precedence.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.policy.initial_backoff = initial;
        self.policy.max_backoff = max.max(initial);
        self
    }

    /// Upper bound on the time spent retrying one request (not counting rate
    /// limit waits). Default 60 s.
    pub fn max_retry_time(mut self, limit: Duration) -> Self {
        self.policy.max_retry_time = limit;
        self
    }

    /// The longest the client waits out a rate limit before failing with
    /// [`Error::RateLimited`](crate::Error::RateLimited). A secondary limit
    /// is waited for `retry-after` seconds (or the
    /// [secondary default](Self::secondary_rate_limit_wait)); an exhausted
    /// primary quota until `x-ratelimit-reset`. Default 90 s; zero fails at
    /// once.
    pub fn max_rate_limit_wait(mut self, limit: Duration) -> Self {
        self.policy.max_rate_limit_wait = limit;
        self
    }

    /// How long to wait after a secondary rate limit that gave no
    /// `retry-after`. GitHub asks for at least a minute; default 60 s.
    pub fn secondary_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.policy.secondary_default_wait = wait;
        self
    }

    /// Minimum spacing between mutating requests (DELETE, POST) across all
    /// clones of the client, per GitHub's guidance. Default 1 s; zero
    /// disables.
    pub fn min_write_interval(mut self, interval: Duration) -> Self {
        self.policy.min_write_interval = interval;
        self
    }

    /// Maximum requests in flight at once across all clones. Default 100,
    /// GitHub's documented ceiling.
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.policy.max_concurrent = n.max(1);
        self
    }

    /// The points budget per minute shared by all clones (a GET costs 1
    /// point, a DELETE or POST 5), per GitHub's secondary rate limit
    /// guidance. Default 900; zero disables.
    pub fn points_per_minute(mut self, points: u32) -> Self {
        self.policy.points_per_minute = points;
        self
    }

    /// Builds the client.
    ///
    /// With the default `rustls` feature, the first `build()` installs
    /// rustls's `ring` provider as the process-wide default `CryptoProvider`
    /// if none is installed yet (reqwest is compiled without a provider of its
    /// own, which keeps aws-lc's C build out of the tree). An application that
    /// wants a different provider should install it before building a
    /// `Client`; this crate then uses that one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the base URL does not parse, is not
    /// `https` (or `http` on loopback), carries credentials, a query or a
    /// fragment, or when the token, user agent or API version cannot be sent
    /// as a header.
    pub fn build(self) -> Result<Client> {
        let base_url = parse_base_url(&self.base_url, self.allow_insecure_http)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_str(&self.user_agent)
                .map_err(|_| Error::invalid("user_agent", "must be visible ASCII"))?,
        );
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(crate::transport::ACCEPT_GITHUB),
        );
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_str(&self.api_version).map_err(|_| {
                Error::invalid("api_version", "must be visible ASCII, e.g. 2022-11-28")
            })?,
        );
        if let Some(Token(token)) = &self.token {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                Error::invalid(
                    "token",
                    "contains characters that cannot be sent in a header; copy it again",
                )
            })?;
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }

        install_crypto_provider();
        let origin = base_url.origin();
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            // Follow a redirect only within the API origin: anything else would
            // carry the Authorization header to a host we were not pointed at.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else if attempt.url().origin() == origin {
                    attempt.follow()
                } else {
                    let refused = RedirectRefused {
                        expected: origin.ascii_serialization(),
                        found: attempt.url().origin().ascii_serialization(),
                    };
                    attempt.error(refused)
                }
            }))
            .build()
            .map_err(|e| Error::invalid("tls", format!("cannot set up HTTPS: {e}")))?;

        let shared = Shared::new(base_url.clone(), self.token.is_some(), self.policy);
        // The generated client appends paths such as `/orgs/...` to this string.
        let stem = base_url.as_str().trim_end_matches('/').to_owned();
        let raw = generated::Client::new_with_client(&stem, http, shared);
        Ok(Client { raw: Arc::new(raw) })
    }
}

/// Why a redirect was not followed; turned into `Error::CrossOrigin`.
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

impl std::error::Error for RedirectRefused {}

#[cfg(feature = "rustls")]
fn install_crypto_provider() {
    // reqwest is built without a provider of its own (the default one is slow
    // to compile); supply ring unless the application already chose one.
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(not(feature = "rustls"))]
fn install_crypto_provider() {}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Validates and normalises the API root: no trailing slash, no query.
pub(crate) fn parse_base_url(input: &str, allow_insecure_http: bool) -> Result<Url> {
    let input = input.trim();
    let mut url = Url::parse(input).map_err(|e| {
        Error::invalid(
            "base_url",
            format!(
                "`{input}` is not a URL ({e}); use https://api.github.com or \
                 https://HOST/api/v3 for GitHub Enterprise Server"
            ),
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(Error::invalid(
                "base_url",
                format!(
                    "`{input}` is plain http, which would send the token unencrypted; use \
                     https, or call allow_insecure_http(true) if you really mean it"
                ),
            ));
        }
        other => {
            return Err(Error::invalid(
                "base_url",
                format!("scheme `{other}` is not supported; use https"),
            ));
        }
    }
    if url.host().is_none() {
        return Err(Error::invalid("base_url", format!("`{input}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "base_url",
            "must not contain credentials; pass the token with ClientBuilder::token",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "base_url",
            format!("`{input}` must not have a query or fragment"),
        ));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_normalises_trailing_slashes_and_keeps_paths() {
        let url = parse_base_url("https://ghe.example.com/api/v3//", false).unwrap();
        assert_eq!(url.as_str(), "https://ghe.example.com/api/v3");
        let url = parse_base_url("https://api.github.com/", false).unwrap();
        assert_eq!(url.as_str(), "https://api.github.com/");
        assert_eq!(url.path(), "/");
    }

    #[test]
    fn plain_http_only_on_loopback_or_opt_in() {
        assert!(parse_base_url("http://127.0.0.1:8080", false).is_ok());
        assert!(parse_base_url("http://[::1]:8080", false).is_ok());
        assert!(parse_base_url("http://localhost:1", false).is_ok());
        let err = parse_base_url("http://ghe.example.com/api/v3", false).unwrap_err();
        assert!(err.to_string().contains("allow_insecure_http"), "{err}");
        assert!(parse_base_url("http://ghe.example.com/api/v3", true).is_ok());
    }

    #[test]
    fn base_url_rejects_garbage_credentials_and_queries() {
        for bad in [
            "",
            "api.github.com",
            "ftp://x.example",
            "https://user:pw@x.example",
            "https://x.example/?a=1",
            "https://x.example/#f",
        ] {
            let err = parse_base_url(bad, false).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidInput {
                        field: "base_url",
                        ..
                    }
                ),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let secret = "ghp_supersecret_value_123";
        let builder = Client::builder().token(secret);
        assert!(!format!("{builder:?}").contains(secret));
        let client = builder.build().unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(debug.contains("has_token: true"), "{debug}");
        let raw = format!("{:?}", client.generated());
        assert!(!raw.contains(secret), "{raw}");
    }

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync::<Client>();
    }
}
