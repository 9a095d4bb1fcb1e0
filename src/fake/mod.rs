//! A stateful, in-process stand-in for GitHub's packages REST API and its
//! container registry, for testing code that lists, deletes and restores
//! packages without touching real ones.
//!
//! [`FakeGitHub::start`] serves on a free port of 127.0.0.1 (never another
//! interface) until the handle is dropped. It answers all 27 packages
//! operations for `/user`, `/users/{username}` and `/orgs/{org}` with the
//! statuses, bodies and headers GitHub sends, keeps state between calls, and
//! applies GitHub's rules:
//!
//! - tokens and scopes: no token is `401 Requires authentication`, an unknown
//!   one `401 Bad credentials`, a missing scope `403` with
//!   `X-OAuth-Scopes`/`X-Accepted-OAuth-Scopes` (reads need `read:packages`,
//!   deletes `delete:packages` and `read:packages`, restores `write:packages`
//!   and `read:packages`);
//! - pagination: `per_page` (at most 100) and `page`, newest first, `Link`
//!   with `prev`/`next`/`last`/`first`, and the 10,000-item wall of package
//!   listings;
//! - deletes and restores: deleted versions list under `state=deleted` and
//!   can be restored for 30 days (on the injectable [`Clock`]), with their
//!   tags; the last version (and a container's last tagged version) cannot be
//!   deleted; public packages downloaded more than 5,000 times cannot be
//!   deleted;
//! - rate limits: the hourly quota with `x-ratelimit-*` headers, the
//!   secondary budget of 900 points a minute (GET 1, DELETE/POST 5) answered
//!   with `retry-after`, at most 100 requests at once; each configurable;
//! - a registry at `/v2/` serving the manifests of container versions (image
//!   indexes list untagged child versions) and their tag lists (paged with
//!   `n` and `last`), taking manifest pushes (a pushed manifest becomes a
//!   version and takes its tag), behind the bearer-token flow whose tokens
//!   carry only the `pull`/`push` scope asked for and allowed;
//! - `GET /user` and `GET /users/{username}` for the accounts the fake
//!   knows, which tools call to learn whom a token acts as and whether an
//!   owner is a user or an organization. Other paths answer `404` with a
//!   message saying the fake does not model them.
//!
//! Faults ([`FakeGitHub::fault`]) inject statuses, dropped connections and
//! latency; [`FakeGitHub::requests`], [`FakeGitHub::deleted_ids`] and
//! [`FakeGitHub::manifest_reads`] tell a test what happened.
//!
//! Not modelled: permissions per package or repository (any valid token
//! with the scopes sees and manages every package), fine-grained and GitHub
//! App tokens, the `repository` of a package, conditional requests, request
//! bodies of the API, HTTP/2 and TLS, registry blobs, uploads, deletes and
//! the referrers API. The digests of fixture manifests are names, not
//! hashes of the bytes served (a pushed manifest's digest is its hash).
//! GitHub does not document its answer to restoring an active version;
//! [`ActiveRestore`] picks one. GitHub answers `internal` visibility that
//! its published description does not allow;
//! [`FakeBuilder::no_internal_visibility`] turns it into `private`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use github_packages::PackageType;
//! use github_packages::fake::{FakeGitHub, Owner};
//!
//! let gh = FakeGitHub::start().await;
//! let app = gh
//!     .package(Owner::org("acme"), PackageType::Container, "app")
//!     .image().tags(["v1"])
//!     .image()
//!     .create()?;
//! let untagged = app.versions[1].id;
//! let token = gh.token_with_scopes(&["read:packages", "delete:packages"]);
//!
//! # // reqwest is built without a TLS provider of its own (see the `rustls` feature).
//! # #[cfg(feature = "rustls")]
//! # #[allow(deprecated)]
//! # let _ = rustls::crypto::ring::default_provider().install_default();
//! let http = reqwest::Client::new();
//! let url = format!("{}/orgs/acme/packages/container/app/versions/{untagged}", gh.url());
//! let answer = http.delete(&url).bearer_auth(&token).send().await?;
//! assert_eq!(answer.status(), 204);
//! assert_eq!(gh.deleted_ids("acme", PackageType::Container, "app"), [untagged]);
//!
//! // GitHub keeps the last tagged version of a container.
//! let url = format!("{}/orgs/acme/packages/container/app/versions/{}", gh.url(), app.versions[0].id);
//! let answer = http.delete(&url).bearer_auth(&token).send().await?;
//! assert_eq!(answer.status(), 400);
//! # Ok(())
//! # }
//! ```

mod answer;
mod api;
mod auth;
mod bodies;
mod clock;
mod dataset;
mod error;
mod fault_rules;
mod faults;
mod fixtures;
mod limits;
mod log;
mod manifests;
mod push;
mod registry;
mod registry_auth;
mod routes;
mod seed;
mod server;
mod sha256;
mod shared;
mod state;
mod users;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::generated::types::{Package, PackageType, PackageVersion};

pub use auth::PackagesPermission;
pub use clock::Clock;
pub use error::FakeError;
pub use faults::{FaultBuilder, FaultHandle};
pub use fixtures::{CreatedPackage, CreatedVersion, Owner, PackageBuilder, Role, VersionBuilder};
pub use log::RecordedRequest;
pub use state::ActiveRestore;

use auth::TokenKind;
use limits::LimitSettings;
use shared::{Settings, Shared};
use state::{AccountKind, PackageKey, Rules};

/// The login [`FakeGitHub::token_with_scopes`] acts as unless
/// [`FakeBuilder::login`] picks another.
pub const DEFAULT_LOGIN: &str = "octocat";

/// A running fake. Dropping it stops the server and closes every
/// connection.
#[derive(Debug)]
pub struct FakeGitHub {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGitHub {
    /// Starts a fake with GitHub's limits and rules, no packages, the
    /// system clock and seed 0.
    ///
    /// Must be called within a Tokio runtime, which then runs the server.
    ///
    /// # Panics
    ///
    /// If the operating system refuses a port on 127.0.0.1; use
    /// [`FakeGitHub::builder`] to get that as an error instead.
    pub async fn start() -> FakeGitHub {
        match FakeGitHub::builder().start().await {
            Ok(fake) => fake,
            Err(e) => panic!("{e}"),
        }
    }

    /// Configures a fake: limits, rules, clock, seed, sample data.
    pub fn builder() -> FakeBuilder {
        FakeBuilder::default()
    }

    /// `http://127.0.0.1:<port>`: the API base URL for a client, and the
    /// registry's URL too.
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The address the fake listens on; always a loopback address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The clock the fake reads; advance it to age deletions or refill rate
    /// limits.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The login that [`token_with_scopes`](Self::token_with_scopes) acts as.
    pub fn login(&self) -> &str {
        &self.shared.settings.login
    }

    /// A new personal access token (classic) of the default user with these
    /// OAuth scopes (`read:packages`, `write:packages`, `delete:packages`,
    /// `repo`, ...). GitHub echoes them in `X-OAuth-Scopes`.
    pub fn token_with_scopes(&self, scopes: &[&str]) -> String {
        let login = self.shared.settings.login.clone();
        let mut inner = self.shared.lock();
        // The default login was checked when the fake started and is
        // created as a user then.
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        inner.tokens.issue(&login, TokenKind::Classic(scopes))
    }

    /// A personal access token (classic) of user `login`, created if new.
    ///
    /// # Errors
    ///
    /// `login` is not a GitHub login, or names an organization.
    pub fn token_for(&self, login: &str, scopes: &[&str]) -> Result<String, FakeError> {
        fixtures::check_login(login)?;
        let now = self.shared.clock.now();
        let mut inner = self.shared.lock();
        let login = inner
            .store
            .ensure_account(login, AccountKind::User, now)
            .map_err(|problem| FakeError::invalid("token owner", problem))?
            .login
            .clone();
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        Ok(inner.tokens.issue(&login, TokenKind::Classic(scopes)))
    }

    /// A token like Actions' `GITHUB_TOKEN` in a repository of `owner`: it
    /// acts on `owner`'s packages with the given `packages` permission,
    /// answers without scope headers (GitHub sends
    /// `X-Accepted-GitHub-Permissions` instead), and cannot use the `/user`
    /// endpoints ("Resource not accessible by integration").
    ///
    /// # Errors
    ///
    /// `owner` is not a GitHub login, or exists as the other kind of account.
    pub fn actions_token(
        &self,
        owner: impl Into<Owner>,
        permission: PackagesPermission,
    ) -> Result<String, FakeError> {
        let owner = owner.into();
        fixtures::check_login(owner.login())?;
        let now = self.shared.clock.now();
        let mut inner = self.shared.lock();
        let login = inner
            .store
            .ensure_account(owner.login(), owner.kind(), now)
            .map_err(|problem| FakeError::invalid("token owner", problem))?
            .login
            .clone();
        Ok(inner.tokens.issue(&login, TokenKind::Actions(permission)))
    }

    /// Revokes a token: it answers `401 Bad credentials` from now on.
    /// `false` if the fake did not know it.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.shared.lock().tokens.revoke(token)
    }

    /// Sets up a package of `owner` (created with the package if new); see
    /// [`PackageBuilder`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use chrono::{TimeDelta, Utc};
    /// use github_packages::fake::{FakeGitHub, Owner, Role};
    /// use github_packages::{PackageType, Visibility};
    ///
    /// let gh = FakeGitHub::start().await;
    /// let app = gh
    ///     .package(Owner::org("acme"), PackageType::Container, "app")
    ///     .visibility(Visibility::Public)
    ///     .image()
    ///     .tags(["v1.0.0", "latest"])
    ///     .platforms(["linux/amd64", "linux/arm64"])
    ///     .attestations()
    ///     .cosign_signature()
    ///     .image()
    ///     .created_at(Utc::now() - TimeDelta::days(40))
    ///     .create()?;
    /// let index = app.tagged("latest").unwrap();
    /// assert!(matches!(&index.role, Role::Index { children } if children.len() == 4));
    /// assert_eq!(app.versions.len(), 7); // 2 images, 2 attestations, index, signature, old image
    ///
    /// let npm = gh.package(Owner::user("octocat"), PackageType::Npm, "tool")
    ///     .version("1.0.0")
    ///     .version("1.1.0")
    ///     .create()?;
    /// assert_eq!(npm.versions.len(), 2);
    ///
    /// let err = gh.package(Owner::user("octocat"), PackageType::Npm, "tool")
    ///     .version("2.0.0").tags(["latest"])
    ///     .create()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("only container versions have tags"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn package(
        &self,
        owner: impl Into<Owner>,
        package_type: PackageType,
        name: impl Into<String>,
    ) -> PackageBuilder<'_> {
        PackageBuilder::new(&self.shared, owner.into(), package_type, name.into())
    }

    /// Sets up a fault for requests with `method` (`"GET"`, `"DELETE"`, or
    /// `"*"` for any) whose path matches `path` (`*` matches within one
    /// segment, `**` any number of segments); see [`FaultBuilder`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use github_packages::fake::FakeGitHub;
    ///
    /// let gh = FakeGitHub::start().await;
    /// // The second DELETE of any version of acme's packages fails with 502.
    /// let fault = gh.fault("DELETE", "/orgs/acme/packages/*/*/versions/*").nth(2).status(502)?;
    /// // Every registry request drops its connection.
    /// gh.fault("*", "/v2/**").drop_connection()?;
    /// // Each listing waits 50 ms.
    /// gh.fault("GET", "/**/versions").latency(Duration::from_millis(50))?;
    /// assert_eq!(fault.hits(), 0);
    /// assert!(gh.fault("GET", "no-slash").status(500).is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn fault(&self, method: &str, path: &str) -> FaultBuilder<'_> {
        FaultBuilder::new(&self.shared, method, path)
    }

    /// Takes every fault out of force.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.requests.clone()
    }

    /// Forgets the request log and every counter.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Ids of the versions of a package deleted through the API, in order.
    pub fn deleted_ids(
        &self,
        owner: impl AsRef<str>,
        package_type: PackageType,
        name: &str,
    ) -> Vec<i64> {
        let key = PackageKey::new(owner.as_ref(), package_type, name);
        self.shared.lock().log.deleted_ids(key)
    }

    /// Ids of the versions of a package restored through the API, in order.
    pub fn restored_ids(
        &self,
        owner: impl AsRef<str>,
        package_type: PackageType,
        name: &str,
    ) -> Vec<i64> {
        let key = PackageKey::new(owner.as_ref(), package_type, name);
        self.shared.lock().log.restored_ids(key)
    }

    /// How often the registry served the manifest `digest` (GET only).
    pub fn manifest_reads(&self, digest: &str) -> u64 {
        self.shared.lock().log.manifest_reads(digest)
    }

    /// Requests being answered right now (latency faults hold theirs).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.current()
    }

    /// The package as GitHub would answer it, if it exists and is not
    /// deleted.
    pub fn find_package(
        &self,
        owner: impl AsRef<str>,
        package_type: PackageType,
        name: &str,
    ) -> Option<Package> {
        let inner = self.shared.lock_at(self.shared.clock.now());
        let key = PackageKey::new(owner.as_ref(), package_type, name);
        let package = inner.store.active_package(key)?;
        let account = inner.store.account(&package.owner)?;
        Some(self.shared.bodies().package(account, package))
    }

    /// Every version of a package, active and deleted (restorable) alike,
    /// newest first, as GitHub would answer them; empty if there is no
    /// such package.
    pub fn versions(
        &self,
        owner: impl AsRef<str>,
        package_type: PackageType,
        name: &str,
    ) -> Vec<PackageVersion> {
        let inner = self.shared.lock_at(self.shared.clock.now());
        let key = PackageKey::new(owner.as_ref(), package_type, name);
        let Some(package) = inner.store.active_package(key) else {
            return Vec::new();
        };
        let Some(account) = inner.store.account(&package.owner) else {
            return Vec::new();
        };
        package
            .sorted_versions(|_| true)
            .into_iter()
            .map(|v| self.shared.bodies().version(account, package, v))
            .collect()
    }

    /// Sets the tags of an active version, as a push of a tag (or moving
    /// one) would: other versions of the package lose any tag it takes, and
    /// its `updated_at` becomes now.
    ///
    /// # Errors
    ///
    /// [`FakeError::Invalid`] when the package or the active version does
    /// not exist, or the package is not a container or docker package.
    pub fn set_tags<I, S>(
        &self,
        owner: impl AsRef<str>,
        package_type: PackageType,
        name: &str,
        id: i64,
        tags: I,
    ) -> Result<(), FakeError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tags: Vec<String> = tags.into_iter().map(Into::into).collect();
        let invalid = |problem: String| FakeError::Invalid {
            what: "set_tags".to_owned(),
            problem,
        };
        if !matches!(package_type, PackageType::Container | PackageType::Docker) {
            return Err(invalid(format!("{package_type} versions carry no tags")));
        }
        let now = self.shared.clock.now();
        let mut inner = self.shared.lock_at(now);
        let key = PackageKey::new(owner.as_ref(), package_type, name);
        let package = inner
            .store
            .active_package_mut(key)
            .ok_or_else(|| invalid(format!("no active {package_type} package {name}")))?;
        if !package.versions.iter().any(|v| v.id == id && v.is_active()) {
            return Err(invalid(format!("no active version {id} in {name}")));
        }
        for version in &mut package.versions {
            if version.id == id {
                version.tags = tags.clone();
                version.updated_at = now;
            } else {
                version.tags.retain(|t| !tags.contains(t));
            }
        }
        Ok(())
    }

    /// The `token` query parameter that restores the most recently deleted
    /// package of that name (GitHub shows it to the owner); `None` if none
    /// is deleted.
    pub fn restore_token(
        &self,
        owner: impl AsRef<str>,
        package_type: PackageType,
        name: &str,
    ) -> Option<String> {
        let inner = self.shared.lock();
        inner
            .store
            .packages
            .iter()
            .filter(|p| {
                !p.is_active()
                    && p.package_type == package_type
                    && state::same_login(&p.owner, owner.as_ref())
                    && p.name.eq_ignore_ascii_case(name)
            })
            .max_by_key(|p| p.deleted_at)
            .and_then(|p| p.restore_token.clone())
    }
}

impl AsRef<str> for Owner {
    fn as_ref(&self) -> &str {
        self.login()
    }
}

/// Settings for [`FakeGitHub::builder`]; every limit and rule starts as
/// GitHub's.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use github_packages::fake::{Clock, FakeGitHub};
///
/// let clock = Clock::frozen("2025-06-01T00:00:00Z".parse()?);
/// let gh = FakeGitHub::builder()
///     .clock(clock.clone())
///     .seed(7)
///     .primary_limit(100)
///     .no_secondary_limit()
///     .start()
///     .await?;
/// assert!(gh.addr().ip().is_loopback());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing starts until `start()`"]
pub struct FakeBuilder {
    login: String,
    clock: Clock,
    seed: u64,
    port: u16,
    sample_data: bool,
    internal_visibility: bool,
    limits: LimitSettings,
    rules: Rules,
}

impl Default for FakeBuilder {
    fn default() -> Self {
        FakeBuilder {
            login: DEFAULT_LOGIN.to_owned(),
            clock: Clock::system(),
            seed: 0,
            port: 0,
            sample_data: false,
            internal_visibility: true,
            limits: LimitSettings::default(),
            rules: Rules::default(),
        }
    }
}

impl FakeBuilder {
    /// The user that [`FakeGitHub::token_with_scopes`] acts as (and that
    /// `/user/...` means for it); default [`DEFAULT_LOGIN`].
    pub fn login(mut self, login: impl Into<String>) -> Self {
        self.login = login.into();
        self
    }

    /// The clock to read (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The seed of every generated token, digest and sample package: the
    /// same seed (and clock) gives the same fake.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The port to listen on, always on 127.0.0.1 (default 0: a free port
    /// the operating system picks; [`FakeGitHub::addr`] tells which). A
    /// fixed port lets tools that cannot be told a URL at run time find
    /// the fake; [`start`](Self::start) fails if the port is taken.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts with realistic sample packages: for the default user a
    /// container and an npm package; for the organization `acme` a
    /// container `app` of about 300 versions over 90 days (multi-arch
    /// releases with attestations and signatures, `latest`, PR builds,
    /// untagged builds), a smaller container, and maven, nuget, rubygems
    /// and docker packages. The seed decides the details.
    pub fn sample_data(mut self) -> Self {
        self.sample_data = true;
        self
    }

    /// Never answers `"visibility": "internal"`: an internal package reads
    /// as `private` in every body, though it still lists under
    /// `visibility=internal`.
    ///
    /// GitHub answers `internal` for packages of organizations on GitHub
    /// Enterprise Cloud, but its published OpenAPI description allows only
    /// `public` and `private` (this crate patches its copy). Typed clients
    /// generated strictly from that description, octokit's types among
    /// them, reject the value; this setting lets them read every body.
    pub fn no_internal_visibility(mut self) -> Self {
        self.internal_visibility = false;
        self
    }

    /// The hourly quota of each account (GitHub: 5,000).
    pub fn primary_limit(mut self, per_hour: u32) -> Self {
        self.limits.primary_per_hour = Some(per_hour);
        self
    }

    /// Answers an exhausted quota with `status`: 403 (the default) or 429,
    /// both of which GitHub documents.
    pub fn primary_limit_status(mut self, status: u16) -> Self {
        self.limits.primary_status = status;
        self
    }

    /// No hourly quota, and no `x-ratelimit-*` headers.
    pub fn no_primary_limit(mut self) -> Self {
        self.limits.primary_per_hour = None;
        self.limits.anonymous_per_hour = None;
        self
    }

    /// The secondary budget in points per minute per account (GitHub: 900;
    /// GET costs 1, DELETE and POST 5).
    pub fn secondary_limit(mut self, points_per_minute: u32) -> Self {
        self.limits.points_per_minute = Some(points_per_minute);
        self
    }

    /// How long spent points count against the secondary budget (GitHub:
    /// a minute). A shorter window lets a test trip the limit and see it
    /// lift within seconds; `retry-after` follows it.
    pub fn secondary_window(mut self, window: Duration) -> Self {
        self.limits.points_window = chrono::TimeDelta::from_std(window)
            .unwrap_or(chrono::TimeDelta::MAX)
            .max(chrono::TimeDelta::milliseconds(1));
        self
    }

    /// No secondary budget.
    pub fn no_secondary_limit(mut self) -> Self {
        self.limits.points_per_minute = None;
        self
    }

    /// At most `max` API requests in flight at once (GitHub: 100); more are
    /// refused with a secondary-limit 403.
    pub fn max_concurrent_requests(mut self, max: usize) -> Self {
        self.limits.max_concurrent = Some(max);
        self
    }

    /// No cap on concurrent requests.
    pub fn no_concurrency_limit(mut self) -> Self {
        self.limits.max_concurrent = None;
        self
    }

    /// No rate limit of any kind.
    pub fn without_rate_limits(self) -> Self {
        self.no_primary_limit()
            .no_secondary_limit()
            .no_concurrency_limit()
    }

    /// How long deleted packages and versions stay restorable (GitHub: 30
    /// days).
    pub fn restore_window(mut self, window: Duration) -> Self {
        self.rules.restore_window = window;
        self
    }

    /// Whether deleting a package's last version is refused, as GitHub does
    /// (default `true`).
    pub fn keep_last_version(mut self, refuse: bool) -> Self {
        self.rules.last_version = refuse;
        self
    }

    /// Whether deleting a container's last tagged version is refused, as
    /// GitHub does (default `true`).
    pub fn keep_last_tagged_version(mut self, refuse: bool) -> Self {
        self.rules.last_tagged_version = refuse;
        self
    }

    /// Above how many downloads a public package or version cannot be
    /// deleted (GitHub: 5,000); `None` lifts the rule.
    pub fn public_download_limit(mut self, limit: Option<u64>) -> Self {
        self.rules.public_download_limit = limit;
        self
    }

    /// What restoring a version that is not deleted answers.
    pub fn active_restore(mut self, answer: ActiveRestore) -> Self {
        self.rules.active_restore = answer;
        self
    }

    /// Starts serving on 127.0.0.1, on a free port unless
    /// [`port`](Self::port) chose one.
    ///
    /// # Errors
    ///
    /// An invalid login or primary-limit status, or the port cannot be
    /// listened on (taken, or reserved for the superuser).
    pub async fn start(self) -> Result<FakeGitHub, FakeError> {
        fixtures::check_login(&self.login)?;
        if !matches!(self.limits.primary_status, 403 | 429) {
            return Err(FakeError::invalid(
                "primary limit status",
                format!(
                    "{}: GitHub answers an exhausted quota with 403 or 429",
                    self.limits.primary_status
                ),
            ));
        }
        let (listener, addr) = server::bind(self.port).await?;
        let settings = Settings {
            login: self.login.clone(),
            limits: self.limits,
            rules: self.rules,
            seed: self.seed,
            internal_visibility: self.internal_visibility,
        };
        let shared = Arc::new(Shared::new(format!("http://{addr}"), self.clock, settings));
        let now = shared.clock.now();
        shared
            .lock()
            .store
            .ensure_account(&self.login, AccountKind::User, now)
            .map_err(|problem| FakeError::invalid("login", problem))?;
        let server = server::spawn(listener, shared.clone());
        let fake = FakeGitHub {
            shared,
            addr,
            server,
        };
        if self.sample_data {
            dataset::populate(&fake.shared)?;
        }
        Ok(fake)
    }
}
