//! The one place a request goes out: the headers GitHub requires, retries
//! with backoff, waiting out rate limits, pacing shared by all clones of a
//! `Client`, a cap on the size of an answer, and the tracing of each attempt.
//!
//! Every request, from the hand-written layer or from the generated client,
//! reaches [`Shared::execute`] through progenitor's `exec` hook (implemented
//! in `client.rs`). A call made inside [`in_call`] also gets the facts of its
//! final answer back, and may be sent to a URL given by GitHub (a `next`
//! link) instead of the one the generated operation built.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use reqwest::{Request, Response};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::error::{BodyTooLarge, is_retryable_status, transport_cause};
use crate::pacing::Pacer;
use crate::ratelimit::{RateLimitKind, header_str, rate_limit_hit, retry_after};

/// The media type GitHub documents for its REST API.
pub(crate) const ACCEPT_GITHUB: &str = "application/vnd.github+json";

/// Where the tracing events of this crate go, whatever module sends them.
const TARGET: &str = "github_packages";

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
    pub(crate) timeout: Duration,
    /// Whether `timeout` must be set on each request: only for a client
    /// given by the caller, since the one built here has it already (and a
    /// per-request timeout costs reqwest an extensions map per request).
    pub(crate) timeout_per_request: bool,
    pub(crate) max_response_bytes: u64,
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
            timeout: Duration::from_secs(30),
            timeout_per_request: false,
            max_response_bytes: 32 * 1024 * 1024,
        }
    }
}

/// The facts of a call's final answer, kept for the classifier (the
/// generated code's errors keep only part of them) and for the pager.
#[derive(Debug, Clone)]
pub(crate) struct AnswerMeta {
    pub(crate) method: Method,
    /// The URL the request went to (never shown: it may carry a token).
    pub(crate) url: Url,
    pub(crate) status: StatusCode,
    /// The answer's headers. Inside a tracked call they are moved here
    /// rather than copied: the generated code never reads them, so the
    /// response it decodes carries none.
    pub(crate) headers: HeaderMap,
    /// The body of an answer that is not a success.
    pub(crate) failure_body: Option<Bytes>,
    /// The origin a redirect ended on, when it left the API's origin.
    pub(crate) left_origin: Option<String>,
}

/// What a call made inside [`in_call`] asks of the transport, and where the
/// transport leaves the facts of its answer.
struct CallContext {
    follow: Option<Url>,
    answer: RefCell<Option<AnswerMeta>>,
}

tokio::task_local! {
    static CALL: CallContext;
}

/// Runs `call` (one generated operation) and returns, with its output, the
/// facts of the last answer it received. With `follow`, the request goes to
/// that URL as given instead of the one the operation built. Scoped per
/// future, so concurrent calls in one task each see their own answer.
pub(crate) async fn in_call<F: Future>(
    follow: Option<Url>,
    call: F,
) -> (F::Output, Option<AnswerMeta>) {
    let context = CallContext {
        follow,
        answer: RefCell::new(None),
    };
    CALL.scope(context, async move {
        let output = call.await;
        let meta = CALL.with(|c| c.answer.borrow_mut().take());
        (output, meta)
    })
    .await
}

/// State every clone of a `Client` shares; stored inside the generated client.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) base_url: Url,
    pub(crate) has_token: bool,
    pub(crate) policy: Arc<Policy>,
    /// User-Agent, API version and the (sensitive) Authorization header.
    headers: Arc<HeaderMap>,
    pacer: Arc<Pacer>,
    /// `x-oauth-scopes` of the latest answer that carried it.
    token_scopes: Arc<Mutex<Option<HeaderValue>>>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The headers hold the token: leave them out entirely.
        f.debug_struct("Shared")
            .field("base_url", &self.base_url.as_str())
            .field("has_token", &self.has_token)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(base_url: Url, headers: HeaderMap, has_token: bool, policy: Policy) -> Self {
        let pacer = Pacer::new(
            policy.max_concurrent,
            policy.min_write_interval,
            policy.points_per_minute,
        );
        Shared {
            base_url,
            has_token,
            policy: Arc::new(policy),
            headers: Arc::new(headers),
            pacer: Arc::new(pacer),
            token_scopes: Arc::default(),
        }
    }

    /// The host the client talks to, for errors that have no URL.
    pub(crate) fn host(&self) -> String {
        crate::error::host_of(&self.base_url).unwrap_or_default()
    }

    pub(crate) async fn reserve_write(&self) {
        self.pacer.reserve_write().await;
    }

    pub(crate) fn token_scopes(&self) -> Option<String> {
        let scopes = self.token_scopes.lock().unwrap_or_else(|p| p.into_inner());
        scopes
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
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
        self.prepare(&mut request);
        // The span names the operation only; each attempt's event carries the
        // method, path, status and timing, so nothing is said twice.
        let span = tracing::debug_span!(target: TARGET, "github_request", operation);
        let method = request.method().clone();
        let url = request.url().clone();
        let mut answer = self
            .execute_with_retries(http, request)
            .instrument(span)
            .await?;
        if let Some(scopes) = answer.headers.get("x-oauth-scopes") {
            *self.token_scopes.lock().unwrap_or_else(|p| p.into_inner()) = Some(scopes.clone());
        }
        let _ = CALL.try_with(|call| {
            *call.answer.borrow_mut() = Some(answer.take_meta(method, url));
        });
        Ok(answer.into_response(self.policy.max_response_bytes))
    }

    /// The headers GitHub requires (the generated code asks for plain
    /// `application/json` and adds an `api-version` header GitHub does not
    /// know), the per-request timeout, and the URL of a link to follow.
    fn prepare(&self, request: &mut Request) {
        if let Ok(Some(url)) = CALL.try_with(|call| call.follow.clone()) {
            *request.url_mut() = url;
        }
        let headers = request.headers_mut();
        headers.remove(HeaderName::from_static("api-version"));
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_GITHUB));
        for (name, value) in self.headers.iter() {
            headers.insert(name.clone(), value.clone());
        }
        if self.policy.timeout_per_request && request.timeout().is_none() {
            *request.timeout_mut() = Some(self.policy.timeout);
        }
    }

    async fn execute_with_retries(
        &self,
        http: &reqwest::Client,
        request: Request,
    ) -> reqwest::Result<Answer> {
        let policy = &*self.policy;
        let method = request.method().clone();
        let idempotent = matches!(method, Method::GET | Method::HEAD | Method::DELETE);
        let started = Instant::now();
        // Time slept for rate limits is bounded by `max_rate_limit_wait` and
        // does not eat into `max_retry_time`.
        let mut rate_limited_for = Duration::ZERO;
        let mut rate_limit_answers: u32 = 0;
        let mut failures: u32 = 0;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            // Every request this crate sends can be cloned (none streams a
            // body); one that cannot is sent once, never half-copied.
            let Some(this_try) = request.try_clone() else {
                let asked = request.url().clone();
                return send_and_read(http, request, policy.max_response_bytes, &asked).await;
            };
            let asked = request.url();
            let path = asked.path();
            let permit = self.pacer.acquire(&method).await;
            let sent_at = Instant::now();
            let outcome = send_and_read(http, this_try, policy.max_response_bytes, asked).await;
            drop(permit);
            let elapsed_ms = u64::try_from(sent_at.elapsed().as_millis()).unwrap_or(u64::MAX);
            let next = match &outcome {
                Err(error) => {
                    let cause = transport_cause(error);
                    // Never the error's Display: it carries the URL, and a
                    // restore token travels in the query string.
                    tracing::debug!(
                        target: TARGET,
                        %method,
                        path,
                        error = cause.as_str(),
                        elapsed_ms,
                        attempt,
                        "http request"
                    );
                    failures += 1;
                    if idempotent && cause.is_retryable() && failures <= policy.max_retries {
                        Next::Retry(
                            backoff(policy, failures),
                            format!("transport error: {}", cause.as_str()),
                        )
                    } else {
                        Next::Stop
                    }
                }
                Ok(answer) => {
                    tracing::debug!(
                        target: TARGET,
                        %method,
                        path,
                        status = answer.status.as_u16(),
                        elapsed_ms,
                        attempt,
                        "http request"
                    );
                    self.next_after_answer(answer, &mut rate_limit_answers, &mut failures)
                }
            };
            let wait = match next {
                Next::Stop => return outcome,
                Next::RateLimit(wait, kind) => {
                    let left = policy.max_rate_limit_wait.saturating_sub(rate_limited_for);
                    if wait > left {
                        tracing::debug!(
                            target: TARGET,
                            wait_ms = millis(wait),
                            left_ms = millis(left),
                            "rate limit wait longer than the time left to wait"
                        );
                        return outcome;
                    }
                    tracing::info!(
                        target: TARGET,
                        wait_ms = millis(wait),
                        reason = rate_limit_reason(kind),
                        "waiting"
                    );
                    rate_limited_for = rate_limited_for.saturating_add(wait);
                    tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
                    continue;
                }
                Next::Retry(wait, reason) => {
                    let retrying_for = started.elapsed().saturating_sub(rate_limited_for);
                    if retrying_for.saturating_add(wait) > policy.max_retry_time {
                        tracing::debug!(target: TARGET, "retry time budget spent");
                        return outcome;
                    }
                    tracing::debug!(target: TARGET, wait_ms = millis(wait), reason, "waiting");
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// What to do after an answer: return it, wait out a rate limit, or
    /// retry a server error.
    fn next_after_answer(
        &self,
        answer: &Answer,
        rate_limit_answers: &mut u32,
        failures: &mut u32,
    ) -> Next {
        let policy = &*self.policy;
        if answer.too_large {
            return Next::Stop;
        }
        let status = answer.status;
        // Only a 403 or 429 can be a rate limit, and only then does the
        // message matter; never parse a success body twice.
        let message = match status.as_u16() {
            403 | 429 => error_message(&answer.body),
            _ => None,
        };
        let now = SystemTime::now();
        if let Some(hit) = rate_limit_hit(status, &answer.headers, message.as_deref(), now) {
            *rate_limit_answers += 1;
            let wait = match (hit.kind, hit.wait) {
                (RateLimitKind::Secondary, wait) => wait.unwrap_or(policy.secondary_default_wait),
                (RateLimitKind::Primary, Some(wait)) => wait,
                // No reset time: there is nothing sound to wait for.
                (RateLimitKind::Primary, None) => return Next::Stop,
            };
            // "Now" is taken at its word once; a limit that answers again
            // gets a second between tries, so a server that keeps saying
            // `retry-after: 0` is not hammered and the time bound still ends it.
            let wait = if wait.is_zero() && *rate_limit_answers > 1 {
                Duration::from_secs(1)
            } else {
                wait
            };
            return Next::RateLimit(wait, hit.kind);
        }
        let idempotent = matches!(answer.method, Method::GET | Method::HEAD | Method::DELETE);
        if !(idempotent && is_retryable_status(status)) {
            return Next::Stop;
        }
        *failures += 1;
        if *failures > policy.max_retries {
            return Next::Stop;
        }
        let wait = retry_after(&answer.headers, SystemTime::now())
            .unwrap_or_else(|| backoff(policy, *failures));
        Next::Retry(wait, format!("server error {}", status.as_u16()))
    }
}

/// What the retry loop does after one attempt.
enum Next {
    Stop,
    RateLimit(Duration, RateLimitKind),
    Retry(Duration, String),
}

fn rate_limit_reason(kind: RateLimitKind) -> &'static str {
    match kind {
        RateLimitKind::Primary => "primary rate limit",
        RateLimitKind::Secondary => "secondary rate limit",
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One answer, read whole.
struct Answer {
    method: Method,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// Set when the body passed the size limit; `body` is then empty.
    too_large: bool,
    left_origin: Option<String>,
}

impl Answer {
    /// The facts of the answer, its headers moved out (no copy per page).
    fn take_meta(&mut self, method: Method, url: Url) -> AnswerMeta {
        AnswerMeta {
            method,
            url,
            status: self.status,
            headers: std::mem::take(&mut self.headers),
            failure_body: (!self.status.is_success()).then(|| self.body.clone()),
            left_origin: self.left_origin.clone(),
        }
    }

    /// Puts the answer back into the `reqwest::Response` shape the generated
    /// code expects. A body over the limit becomes one that fails to read, so
    /// the generated code reports it like any unreadable body.
    fn into_response(self, limit: u64) -> Response {
        let body = if self.too_large {
            reqwest::Body::wrap_stream(futures::stream::once(async move {
                Err::<Bytes, _>(BodyTooLarge { limit })
            }))
        } else {
            reqwest::Body::from(self.body)
        };
        let mut response = http::Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        Response::from(response)
    }
}

/// Sends one request and reads the whole body (up to `limit` bytes), so a
/// connection that drops mid-body is a transport error of this attempt.
async fn send_and_read(
    http: &reqwest::Client,
    request: Request,
    limit: u64,
    asked: &Url,
) -> reqwest::Result<Answer> {
    let method = request.method().clone();
    let mut response = http.execute(request).await?;
    let left_origin = (!same_origin(response.url(), asked))
        .then(|| response.url().origin().ascii_serialization());
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let mut answer = Answer {
        method,
        status,
        headers,
        body: Bytes::new(),
        too_large: false,
        left_origin,
    };
    match response.content_length() {
        Some(length) if length > limit => answer.too_large = true,
        Some(_) => answer.body = response.bytes().await?,
        None => {
            // No declared length: read chunk by chunk and stop at the limit.
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if (body.len() + chunk.len()) as u64 > limit {
                    answer.too_large = true;
                    return Ok(answer);
                }
                body.extend_from_slice(&chunk);
            }
            answer.body = Bytes::from(body);
        }
    }
    Ok(answer)
}

/// Whether two URLs share scheme, host and port, without building origins.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
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

/// The `x-github-request-id` of `headers`, owned.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    header_str(headers, "x-github-request-id").map(str::to_owned)
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

    fn shared(headers: HeaderMap) -> Shared {
        let base = Url::parse("http://127.0.0.1:1").unwrap();
        let policy = Policy {
            timeout_per_request: true,
            ..Policy::default()
        };
        Shared::new(base, headers, true, policy)
    }

    #[test]
    fn prepare_fixes_generated_headers_and_sets_a_timeout() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static("2022-11-28"),
        );
        let mut request = Request::new(Method::GET, "http://127.0.0.1/x".parse().unwrap());
        request
            .headers_mut()
            .insert("api-version", HeaderValue::from_static("1.1.4"));
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        shared(headers).prepare(&mut request);
        assert!(request.headers().get("api-version").is_none());
        assert_eq!(request.headers()[ACCEPT], ACCEPT_GITHUB);
        assert_eq!(request.headers()["x-github-api-version"], "2022-11-28");
        assert_eq!(request.timeout(), Some(&Duration::from_secs(30)));
    }

    #[test]
    fn debug_leaves_the_headers_out() {
        let mut headers = HeaderMap::new();
        let mut token = HeaderValue::from_static("Bearer ghp_secret");
        token.set_sensitive(true);
        headers.insert("authorization", token);
        let debug = format!("{:?}", shared(headers));
        assert!(
            !debug.contains("secret") && !debug.contains("authorization"),
            "{debug}"
        );
    }
}
