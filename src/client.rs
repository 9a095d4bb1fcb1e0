//! `Client` and its builder: the token, the API origin, the headers GitHub
//! requires and the HTTP client, wired into the generated client through
//! progenitor's hooks.
//!
//! The token lives only in a header value marked sensitive, added to each
//! request by the transport, so it never shows up in `Debug` output;
//! redirects and `Link` headers that leave the configured origin are refused
//! so it is never sent elsewhere.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use url::Url;

use crate::api_version::ApiVersion;
use crate::error::{Error, Result};
use crate::generated;
use crate::transport::{Policy, Shared};

/// GitHub.com's REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com";
/// The REST API version this crate is written against and sends unless told
/// otherwise: [`ApiVersion::V2022_11_28`].
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
///     .packages(Scope::org("octo-org"))
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

    /// The generated client, for anything the hand-written layer does not
    /// wrap. Its requests carry this client's headers and go through its
    /// retries and rate limiting.
    ///
    /// It does not validate input: a package name of `.` or `..`, or one
    /// containing `\`, is turned into a URL whose path the URL parser
    /// rewrites, so the request addresses a different resource. Pass names
    /// from users through [`Client::packages`](crate::Client::packages),
    /// which refuses them.
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

    /// Waits until the pacing would let a DELETE or POST go out now, books
    /// that slot (the write spacing and the 5 points of the budget), and
    /// leaves it prepaid: the next DELETE or POST by this client (or a clone)
    /// goes out without waiting.
    ///
    /// For a read-then-write step: with the default 1 s write spacing, a
    /// version read just before its delete would otherwise be a second old
    /// when the delete leaves. Reserve first, then read, then write, and the
    /// read is one round trip from the write. At most one write is prepaid;
    /// reserving again books a new slot (waiting for it) in place of the old.
    /// The slot belongs to the client, not to the task that booked it: when
    /// several tasks write through one client, another task's write may use
    /// it. Spacing and the budget still hold then; only the booking task's
    /// read may be older than one round trip.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let version = gh.packages(Scope::org("octo-org")).version(PackageType::Container, "app", 42);
    /// gh.reserve_write().await;
    /// let current = version.get().await?; // fresh: the delete leaves right after
    /// if current.tags().is_empty() {
    ///     version.delete().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn reserve_write(&self) -> impl Future<Output = ()> + Send + 'static {
        let shared = self.shared().clone();
        async move { shared.reserve_write().await }
    }

    /// The OAuth scopes of the token, as GitHub reported them in the
    /// `x-oauth-scopes` header of the latest answer that carried it; `None`
    /// before any such answer. Classic tokens get the header on every answer;
    /// fine-grained tokens and Actions' `GITHUB_TOKEN` never do.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// gh.packages(Scope::AuthenticatedUser).list(PackageType::Npm).max_pages(1).await?;
    /// println!("token scopes: {:?}", gh.token_scopes());
    /// # Ok(()) }
    /// ```
    pub fn token_scopes(&self) -> Option<Vec<String>> {
        self.shared()
            .token_scopes()
            .map(|value| crate::scopes::split(&value))
    }

    /// Checks that the token has every scope in `needed`, as far as GitHub
    /// has said ([`token_scopes`](Self::token_scopes)); `write:packages`
    /// counts as `read:packages` too. Sends nothing. GitHub documents, for
    /// classic tokens: reading needs `read:packages`; deleting needs
    /// `read:packages` and `delete:packages`; restoring needs `read:packages`
    /// and `write:packages`.
    ///
    /// # Errors
    ///
    /// [`Error::MissingScope`] when the scopes are known and one is missing.
    /// When they are not known (no answer yet, a fine-grained token, Actions'
    /// `GITHUB_TOKEN`), this is `Ok`: GitHub will decide.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), github_packages::Error> {
    /// use github_packages::{Client, PackageType, Scope};
    ///
    /// let gh = Client::builder().token_from_env().build()?;
    /// let versions = gh.packages(Scope::org("octo-org")).versions(PackageType::Npm, "app").await?;
    /// // Before deleting a hundred versions, fail early if the token cannot.
    /// gh.check_scopes(&["read:packages", "delete:packages"])?;
    /// # let _ = versions;
    /// # Ok(()) }
    /// ```
    pub fn check_scopes(&self, needed: &[&str]) -> Result<()> {
        let Some(have) = self.token_scopes() else {
            return Ok(());
        };
        if needed
            .iter()
            .all(|scope| crate::scopes::covers(&have, scope))
        {
            return Ok(());
        }
        Err(Error::MissingScope {
            needed: needed.iter().map(|s| (*s).to_owned()).collect(),
            token_scopes: have,
        })
    }
}

impl progenitor_client::ClientHooks<Shared> for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        use progenitor_client::ClientInfo;
        // Boxed: the transport's future (retries, pacing, reqwest's own) is
        // large, and every generated operation's future would otherwise
        // carry it inline and be copied whole when moved.
        Box::pin(
            self.inner()
                .execute(self.client(), request, info.operation_id),
        )
        .await
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
    policy: Policy,
    http: Option<reqwest::Client>,
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
            policy: Policy::default(),
            http: None,
        }
    }
}

impl ClientBuilder {
    /// Sends `Authorization: Bearer <token>` with every request. Classic
    /// tokens need `read:packages`, plus `delete:packages` to delete and
    /// `write:packages` to restore; `GITHUB_TOKEN` in Actions works for
    /// packages the workflow's repository can access. An empty token means
    /// "no token".
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token = (!token.trim().is_empty()).then(|| Token(token.trim().to_owned()));
        self
    }

    /// Takes the token from `GITHUB_TOKEN`, else `GH_TOKEN`, as the GitHub
    /// CLI and Actions do. Leaves the client without a token when neither
    /// is set, for servers that need none: GitHub's packages API requires
    /// a token with `read:packages` for every call, public packages
    /// included.
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

    /// The REST API version, sent as `X-GitHub-Api-Version` with every
    /// request: one of the [`ApiVersion`] constants, or the date of a version
    /// newer than this crate (`"2027-01-15"`), which [`build`](Self::build)
    /// checks. Default [`ApiVersion::V2022_11_28`]. [`ApiVersion`] says what
    /// `2026-03-10` changes for the packages operations.
    pub fn api_version(mut self, version: impl AsRef<str>) -> Self {
        self.api_version = version.as_ref().to_owned();
        self
    }

    /// How long to wait for a connection. Default 10 s. Not applied to a
    /// client given with [`http_client`](Self::http_client), which keeps its
    /// own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one request may take, connection to last byte. Default 30 s.
    /// Retries get a fresh timeout each. Applies to every request, also
    /// through a client given with [`http_client`](Self::http_client).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.policy.timeout = timeout;
        self
    }

    /// The largest answer the client reads, in bytes; a larger one fails
    /// with [`Error::Transport`] whose cause is
    /// [`TransportCause::BodyTooLarge`](crate::TransportCause::BodyTooLarge),
    /// and is not retried. Default 32 MiB, far above any page GitHub sends
    /// (a page of 100 versions is tens of kilobytes); it only stops a broken
    /// proxy or server from filling memory.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.policy.max_response_bytes = limit;
        self
    }

    /// Sends requests through this `reqwest::Client` instead of one built
    /// here: for a proxy, extra root certificates (a GitHub Enterprise
    /// Server with an internal CA), or any other transport setting reqwest
    /// offers.
    ///
    /// The client is used as it is: its TLS setup, connect timeout and
    /// redirect policy apply instead of this builder's
    /// [`connect_timeout`](Self::connect_timeout) and same-origin redirects.
    /// Headers (token, User-Agent, API version), [`timeout`](Self::timeout),
    /// retries, rate limits and pacing still come from this builder.
    /// reqwest drops the `Authorization` header on a redirect to another
    /// host, and an answer that arrives from another origin is refused with
    /// [`Error::CrossOrigin`].
    ///
    /// With this crate's default `rustls` feature reqwest has no crypto
    /// provider of its own, so a client built with reqwest's builder needs
    /// one: enable reqwest's `rustls` feature in your application, install a
    /// rustls `CryptoProvider` as the process default, or enable
    /// `native-tls`.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use github_packages::Client;
    ///
    /// // A GitHub Enterprise Server behind a proxy, with a certificate from
    /// // the company's own CA.
    /// let ca = reqwest::Certificate::from_pem(&std::fs::read("corp-root-ca.pem")?)?;
    /// let http = reqwest::Client::builder()
    ///     .add_root_certificate(ca)
    ///     .proxy(reqwest::Proxy::https("http://proxy.corp.example:3128")?)
    ///     .build()?;
    /// let gh = Client::builder()
    ///     .base_url("https://github.corp.example/api/v3")
    ///     .token_from_env()
    ///     .http_client(http)
    ///     .build()?;
    /// # let _ = gh;
    /// # Ok(()) }
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
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

    /// The longest one request waits out rate limits, in total, before
    /// failing with [`Error::RateLimited`](crate::Error::RateLimited),
    /// however many rate-limit answers it gets. A secondary limit is waited
    /// for `retry-after` (seconds or an HTTP date; else the
    /// [secondary default](Self::secondary_rate_limit_wait)); an exhausted
    /// primary quota until `x-ratelimit-reset`. A wait longer than what is
    /// left of this bound is not started: the request fails at once, with
    /// the time GitHub gave. A limit that says "retry now" a second time is
    /// retried a second later. Default 90 s; zero fails at the first limit.
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
    /// guidance. Points refill continuously; reads and writes pay into one
    /// debt, so together they never outrun the budget. Reads may run up to
    /// 150 points ahead of the refill (a 100-page listing goes at the
    /// network's speed, well inside GitHub's minute); writes only 5 (one
    /// write), so they leave evenly: at 900 points, with no write spacing,
    /// one every 333 ms (180 a minute), never a burst. Default 900; zero
    /// disables.
    pub fn points_per_minute(mut self, points: u32) -> Self {
        self.policy.points_per_minute = points;
        self
    }

    /// Builds the client.
    ///
    /// With the default `rustls` feature, TLS uses rustls with the `ring`
    /// provider and the platform's certificate verifier, configured for this
    /// client only: nothing is installed process-wide, so an application may
    /// install its own default `CryptoProvider` before or after. With only
    /// `native-tls`, the platform's TLS library is used.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the base URL does not parse, is not
    /// `https` (or `http` on loopback), carries credentials, a query or a
    /// fragment, when the API version is not a date `YYYY-MM-DD`, when the
    /// token or user agent cannot be sent as a header, or when TLS cannot be
    /// set up.
    pub fn build(self) -> Result<Client> {
        let base_url = parse_base_url(&self.base_url, self.allow_insecure_http)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_str(&self.user_agent)
                .map_err(|_| Error::invalid("user_agent", "must be visible ASCII"))?,
        );
        let api_version = ApiVersion::new(&self.api_version)?;
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_str(api_version.as_str())
                .map_err(|_| Error::invalid("api_version", "must be visible ASCII"))?,
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
        let mut policy = self.policy;
        let http = match self.http {
            Some(http) => {
                policy.timeout_per_request = true;
                http
            }
            None => build_http(&base_url, self.connect_timeout, policy.timeout)?,
        };
        let shared = Shared::new(base_url.clone(), headers, self.token.is_some(), policy);
        // The generated client appends paths such as `/orgs/...` to this string.
        let stem = base_url.as_str().trim_end_matches('/').to_owned();
        let raw = generated::Client::new_with_client(&stem, http, shared);
        Ok(Client { raw: Arc::new(raw) })
    }
}

/// The HTTP client this crate builds when none is given: per-client TLS,
/// the timeouts, and redirects followed only within the API origin (see
/// [`crate::origin`]).
fn build_http(
    base_url: &Url,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<reqwest::Client> {
    crate::origin::http_client_builder(base_url)?
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| Error::invalid("tls", format!("cannot set up HTTPS: {e}")))
}

/// Validates and normalises the API root: the rule of [`crate::origin`],
/// then no trailing slash.
pub(crate) fn parse_base_url(input: &str, allow_insecure_http: bool) -> Result<Url> {
    let mut url =
        crate::origin::token_url(input, "base_url", allow_insecure_http).map_err(|e| match e {
            Error::InvalidInput { field, problem, .. } if problem.contains("is not a URL") => {
                Error::invalid(
                    field,
                    format!(
                        "{problem}; use https://api.github.com or https://HOST/api/v3 for \
                         GitHub Enterprise Server"
                    ),
                )
            }
            other => other,
        })?;
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
        assert!(err.to_string().contains("unencrypted"), "{err}");
        assert!(!err.to_string().contains("allow_insecure_http"), "{err}");
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
            assert!(!err.to_string().contains("ClientBuilder"), "{err}");
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
