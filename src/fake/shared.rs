//! The state the server task and the test's handle share: settings fixed at
//! start, and everything that changes behind one lock. Every layer that
//! reads or changes the fake takes it from here.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::auth::{RegistryGrant, Tokens};
use super::bodies::Bodies;
use super::clock::Clock;
use super::fault_rules::Faults;
use super::limits::{Counters, InFlight, LimitSettings};
use super::log::Log;
use super::seed::Rng;
use super::state::{Rules, Store};

/// How the fake behaves, fixed when it starts.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The user that [`FakeGitHub::token_with_scopes`](super::FakeGitHub::token_with_scopes) acts as.
    pub(crate) login: String,
    pub(crate) limits: LimitSettings,
    pub(crate) rules: Rules,
    pub(crate) seed: u64,
    /// Whether bodies may say `internal` (see [`Bodies`]).
    pub(crate) internal_visibility: bool,
}

/// Everything that changes while the fake runs, behind one lock that is
/// never held across an `await`.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) tokens: Tokens,
    pub(crate) counters: Counters,
    pub(crate) faults: Faults,
    pub(crate) log: Log,
    pub(crate) registry_tokens: HashMap<String, RegistryGrant>,
    /// Digests of generated manifests and names of seeded data.
    pub(crate) rng: Rng,
    pub(crate) requests_answered: u64,
}

/// What the server task and the test's handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub(crate) base_url: String,
    pub(crate) clock: Clock,
    pub(crate) settings: Settings,
    pub(crate) in_flight: InFlight,
    inner: Mutex<Inner>,
}

impl Shared {
    /// The fake's origin as this request addressed it: `http://localhost:<port>`
    /// (or `[::1]`) when the client used that name for the fake's own port,
    /// so the `Link` headers and token realms it follows stay on the origin
    /// it trusts; `base_url` otherwise.
    pub(crate) fn base_for(&self, headers: &http::HeaderMap) -> String {
        let port = self.base_url.rsplit(':').next().unwrap_or_default();
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        match host.rsplit_once(':') {
            Some((name, p)) if p == port && matches!(name, "localhost" | "[::1]") => {
                format!("http://{host}")
            }
            _ => self.base_url.clone(),
        }
    }

    pub(crate) fn new(base_url: String, clock: Clock, settings: Settings) -> Shared {
        let seed = settings.seed;
        Shared {
            base_url,
            clock,
            inner: Mutex::new(Inner {
                store: Store::new(),
                tokens: Tokens::new(seed),
                counters: Counters::default(),
                faults: Faults::default(),
                log: Log::default(),
                registry_tokens: HashMap::new(),
                rng: Rng::new(seed),
                requests_answered: 0,
            }),
            settings,
            in_flight: InFlight::default(),
        }
    }

    /// The state. A panic while it was held (only a bug in the fake could
    /// cause one) leaves data that is still consistent enough for a test to
    /// report on, so a poisoned lock is taken as is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The body writer for this fake's URL and settings.
    pub(crate) fn bodies(&self) -> Bodies<'_> {
        Bodies {
            api: &self.base_url,
            internal_visibility: self.settings.internal_visibility,
        }
    }

    /// The state as of `now`: what left the restore window is purged first.
    pub(crate) fn lock_at(&self, now: chrono::DateTime<chrono::Utc>) -> MutexGuard<'_, Inner> {
        let mut inner = self.lock();
        inner.store.purge(now, self.settings.rules.restore_window);
        inner
    }
}
