//! The one place a request goes out: headers GitHub requires, retries with
//! backoff, waiting out rate limits, and pacing shared by all clones of a
//! `Client`.
//!
//! Generated methods reach this through progenitor's `ClientHooks::exec`;
//! the pagination code calls [`Shared::execute`] directly for `next` links, so
//! both paths behave the same.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{ACCEPT, HeaderValue};
use reqwest::{Method, Request, Response, StatusCode};
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::error::{is_retryable_status, rate_limit_hit};
use crate::generated;

/// The media type GitHub documents for its REST API.
pub(crate) const ACCEPT_GITHUB: &str = "application/vnd.github+json";

/// How many rate-limit answers one request waits out before giving up: the
/// wait itself is bounded by `max_rate_limit_wait`, this bounds repeats.
const MAX_RATE_LIMIT_WAITS: u32 = 5;

/// Status and headers of an answer, kept for errors that would otherwise
/// lose them (the generated code's decode error keeps only the body).
#[derive(Debug, Clone)]
pub(crate) struct ResponseMeta {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<String>,
    pub(crate) request_id: Option<String>,
}

tokio::task_local! {
    static LAST_RESPONSE: RefCell<Option<ResponseMeta>>;
}

/// Runs `call` and returns, with its output, the status and headers of the
/// last answer it received. Scoped per future, so concurrent calls in one
/// task each see their own answer.
pub(crate) async fn with_response_meta<F: Future>(call: F) -> (F::Output, Option<ResponseMeta>) {
    LAST_RESPONSE
        .scope(RefCell::new(None), async move {
            let output = call.await;
            let meta = LAST_RESPONSE.with(|slot| slot.borrow_mut().take());
            (output, meta)
        })
        .await
}

fn remember(response: &Response) {
    // Outside `with_response_meta` (pages after the first, a direct call on
    // the generated client) there is nowhere to put it: skip the copies.
    let _ = LAST_RESPONSE.try_with(|slot| {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        *slot.borrow_mut() = Some(ResponseMeta {
            status: response.status(),
            content_type: header("content-type"),
            request_id: header("x-github-request-id"),
        });
    });
}

/// How the client retries, waits and paces. Set through `ClientBuilder`.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) max_retries: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_retry_time: Duration,
    pub(crate) max_rate_limit_wait: Duration,
    pub(crate) secondary_default_wait: Duration,
    pub(crate) min_write_interval: Duration,
    pub(crate) max_concurrent: usize,
    pub(crate) points_per_minute: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_time: Duration::from_secs(60),
            max_rate_limit_wait: Duration::from_secs(90),
            secondary_default_wait: Duration::from_secs(60),
            min_write_interval: Duration::from_secs(1),
            max_concurrent: 100,
            points_per_minute: 900,
        }
    }
}

/// State every clone of a `Client` shares; stored inside the generated client.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub(crate) base_url: Url,
    pub(crate) has_token: bool,
    pub(crate) policy: Arc<Policy>,
    pacer: Arc<Pacer>,
}

impl Shared {
    pub(crate) fn new(base_url: Url, has_token: bool, policy: Policy) -> Self {
        let pacer = Arc::new(Pacer::new(&policy));
        Shared {
            base_url,
            has_token,
            policy: Arc::new(policy),
            pacer,
        }
    }

    /// Whether `url` is on the configured API origin (scheme, host, port).
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.base_url.origin()
    }

    /// Sends `request`, retrying what is safe to retry and waiting out rate
    /// limits within the configured bounds. The final answer, success or not,
    /// is returned with its body already read, so a body cut short is retried
    /// here rather than surfacing later as a decode error.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        mut request: Request,
        operation: &'static str,
    ) -> reqwest::Result<Response> {
        prepare(&mut request);
        let span = tracing::debug_span!(
            "github_request",
            operation,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let result = self
            .execute_with_retries(http, request, &span)
            .instrument(span.clone())
            .await;
        if let Ok(response) = &result {
            remember(response);
        }
        result
    }

    async fn execute_with_retries(
        &self,
        http: &reqwest::Client,
        request: Request,
        span: &tracing::Span,
    ) -> reqwest::Result<Response> {
        let policy = &*self.policy;
        let idempotent = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::DELETE
        );
        let started = Instant::now();
        // Time spent waiting out rate limits is bounded separately and does
        // not eat into `max_retry_time`.
        let mut rate_limited_for = Duration::ZERO;
        let mut attempt: u32 = 0;
        let mut rate_limit_waits: u32 = 0;
        loop {
            attempt += 1;
            let this_try = match request.try_clone() {
                Some(r) => r,
                // Streaming bodies cannot be replayed; none of our requests
                // have one, but never send a half-copied request.
                None => return http.execute(request).await,
            };
            let _permit = self.pacer.acquire(this_try.method()).await;
            let outcome = send_and_read(http, this_try).await;
            drop(_permit);
            span.record("attempts", attempt);
            // Rate-limit waits have their own bound; only failures count
            // against the retry budget and drive the backoff.
            let failures = attempt - rate_limit_waits;
            let retries_left = failures <= policy.max_retries;
            let wait = match &outcome {
                Err(error) => {
                    // Never the error's Display: it carries the URL, and a
                    // restore token travels in the query string.
                    tracing::debug!(
                        attempt,
                        kind = crate::error::transport_kind(error),
                        "transport error"
                    );
                    // A refused redirect is a decision, not a glitch.
                    if error.is_redirect() || !(idempotent && retries_left) {
                        return Err(outcome.unwrap_err());
                    }
                    backoff(policy, failures)
                }
                Ok((status, headers, body)) => {
                    span.record("status", status.as_u16());
                    // Only a 403 or 429 can be a rate limit, and only then does
                    // the message matter; never parse a success body twice.
                    let message = match status.as_u16() {
                        403 | 429 => error_message(body),
                        _ => None,
                    };
                    if let Some(hit) =
                        rate_limit_hit(*status, headers, message.as_deref(), SystemTime::now())
                    {
                        let wait = match hit.kind {
                            crate::RateLimitKind::Secondary => {
                                hit.wait.unwrap_or(policy.secondary_default_wait)
                            }
                            // No reset time: there is nothing sound to wait for.
                            crate::RateLimitKind::Primary => match hit.wait {
                                Some(wait) => wait,
                                None => return outcome.map(rebuild),
                            },
                        };
                        // Waiting for a rate limit is bounded by its own
                        // ceiling, not by the retry count: GitHub told us
                        // exactly when to come back.
                        if wait > policy.max_rate_limit_wait
                            || rate_limit_waits >= MAX_RATE_LIMIT_WAITS
                        {
                            tracing::debug!(?wait, "rate limited beyond the configured ceiling");
                            return outcome.map(rebuild);
                        }
                        tracing::info!(?wait, kind = ?hit.kind, "rate limited; waiting");
                        rate_limit_waits += 1;
                        let wait = wait.max(Duration::from_millis(1));
                        rate_limited_for = rate_limited_for.saturating_add(wait);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    if !(idempotent && retries_left && is_retryable_status(*status)) {
                        return outcome.map(rebuild);
                    }
                    let after = headers
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    after.unwrap_or_else(|| backoff(policy, failures))
                }
            };
            let retrying_for = started.elapsed().saturating_sub(rate_limited_for);
            if retrying_for.saturating_add(wait) > policy.max_retry_time {
                tracing::debug!("retry time budget spent");
                return outcome.map(rebuild);
            }
            tracing::debug!(attempt, ?wait, "retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

type Answer = (StatusCode, reqwest::header::HeaderMap, Bytes);

/// Sends one request and reads the whole body, so a connection that drops
/// mid-body is a transport error of this attempt.
async fn send_and_read(http: &reqwest::Client, request: Request) -> reqwest::Result<Answer> {
    let mut response = http.execute(request).await?;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await?;
    Ok((status, headers, body))
}

/// Puts a fully read answer back into the `reqwest::Response` shape the
/// generated code expects.
fn rebuild((status, headers, body): Answer) -> Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Response::from(response)
}

fn error_message(body: &Bytes) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Body {
        message: Option<String>,
    }
    if body.len() > 64 * 1024 {
        return None;
    }
    serde_json::from_slice::<Body>(body).ok()?.message
}

/// Exponential backoff with jitter: a random wait in `[cap/2, cap)` where
/// `cap = min(max, initial * 2^(attempt-1))`, never below 1 ms. Half the cap
/// is kept so a retry never fires immediately; the other half spreads
/// clients that failed together.
fn backoff(policy: &Policy, attempt: u32) -> Duration {
    let exp = policy.initial_backoff.saturating_mul(
        1u32.checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX),
    );
    let cap = exp.min(policy.max_backoff);
    let jitter = jitter_fraction();
    cap.mul_f64(jitter).max(Duration::from_millis(1))
}

/// A cheap pseudo-random fraction in [0.5, 1.0): enough to spread retries
/// without a dependency on a random-number crate.
fn jitter_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    0.5 + (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64 / 2.0
}

/// Headers the generated code gets wrong for GitHub: it asks for plain
/// `application/json` and adds an `api-version` header taken from the spec's
/// `info.version`, which GitHub does not know.
fn prepare(request: &mut Request) {
    let headers = request.headers_mut();
    headers.remove("api-version");
    headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_GITHUB));
}

/// Client-side pacing, following GitHub's guidance for integrations: a cap
/// on concurrent requests, mutating requests spaced apart, and a points
/// budget per minute (GET 1 point, DELETE/POST 5 points).
#[derive(Debug)]
struct Pacer {
    concurrent: Arc<Semaphore>,
    min_write_interval: Duration,
    last_write: Mutex<Option<Instant>>,
    budget: crate::budget::Budget,
}

impl Pacer {
    fn new(policy: &Policy) -> Self {
        Pacer {
            concurrent: Arc::new(Semaphore::new(
                policy.max_concurrent.clamp(1, Semaphore::MAX_PERMITS),
            )),
            min_write_interval: policy.min_write_interval,
            last_write: Mutex::new(None),
            budget: crate::budget::Budget::new(policy.points_per_minute),
        }
    }

    async fn acquire(&self, method: &Method) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let write = !matches!(*method, Method::GET | Method::HEAD);
        let points = if write { 5 } else { 1 };
        self.budget.take(points).await;
        if write && !self.min_write_interval.is_zero() {
            let mut last = self.last_write.lock().await;
            if let Some(previous) = *last {
                // An interval too large for the clock means "wait as long as
                // the clock allows", never a panic.
                if let Some(ready) = previous.checked_add(self.min_write_interval) {
                    tokio::time::sleep_until(ready).await;
                } else {
                    tokio::time::sleep(self.min_write_interval).await;
                }
            }
            *last = Some(Instant::now());
        }
        self.concurrent.clone().acquire_owned().await.ok()
    }
}

impl progenitor_client::ClientHooks<Shared> for generated::Client {
    async fn exec(
        &self,
        request: Request,
        info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<Response> {
        use progenitor_client::ClientInfo;
        self.inner()
            .execute(self.client(), request, info.operation_id)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = Policy::default();
        for attempt in 1..40 {
            let wait = backoff(&policy, attempt);
            assert!(wait <= policy.max_backoff, "{attempt}: {wait:?}");
            assert!(wait >= Duration::from_millis(1));
        }
        assert!(backoff(&policy, 1) <= policy.initial_backoff);
        assert!(backoff(&policy, u32::MAX) <= policy.max_backoff);
    }

    #[test]
    fn backoff_doubles_per_failure_within_its_jitter() {
        let policy = Policy::default(); // 500 ms initial, 8 s cap
        for _ in 0..50 {
            // Jitter keeps each wait in [cap/2, cap): attempt 1 is under
            // 500 ms, attempt 3 at least 1 s, attempt 6 at least 4 s.
            assert!(backoff(&policy, 1) < Duration::from_millis(500));
            assert!(backoff(&policy, 3) >= Duration::from_secs(1));
            assert!(backoff(&policy, 6) >= Duration::from_secs(4));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_huge_write_interval_waits_instead_of_panicking() {
        let policy = Policy {
            min_write_interval: Duration::MAX,
            max_concurrent: usize::MAX,
            points_per_minute: 0,
            ..Policy::default()
        };
        let pacer = Pacer::new(&policy);
        drop(pacer.acquire(&Method::DELETE).await);
        let second =
            tokio::time::timeout(Duration::from_secs(3600), pacer.acquire(&Method::DELETE));
        assert!(
            second.await.is_err(),
            "the second write must still be waiting"
        );
        // Reads are not spaced.
        let read = tokio::time::timeout(Duration::from_secs(1), pacer.acquire(&Method::GET));
        assert!(read.await.is_ok());
    }

    #[test]
    fn prepare_fixes_generated_headers() {
        let mut request = Request::new(Method::GET, "http://127.0.0.1/x".parse().unwrap());
        request
            .headers_mut()
            .insert("api-version", HeaderValue::from_static("1.1.4"));
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        prepare(&mut request);
        assert!(request.headers().get("api-version").is_none());
        assert_eq!(request.headers()[ACCEPT], ACCEPT_GITHUB);
    }
}
