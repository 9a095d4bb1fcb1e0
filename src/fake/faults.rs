//! Fault injection, as a test sets it up: answer some requests with a
//! chosen status, drop their connection, or delay them, picked by method
//! and path pattern and by their place among the requests that match.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::bodies;
use super::error::FakeError;
use super::fault_rules::{Action, Pattern, When};
use super::shared::Shared;

/// Sets up one fault; see [`FakeGitHub::fault`](super::FakeGitHub::fault).
/// Nothing happens until a finishing method ([`status`](Self::status), [`respond`](Self::respond),
/// [`drop_connection`](Self::drop_connection), [`latency`](Self::latency))
/// adds it.
#[derive(Debug)]
#[must_use = "a fault does nothing until `status`, `respond`, `drop_connection` or `latency` adds it"]
pub struct FaultBuilder<'a> {
    shared: &'a Arc<Shared>,
    pattern: Result<Pattern, FakeError>,
    when: Result<When, FakeError>,
    headers: Vec<(String, String)>,
}

impl<'a> FaultBuilder<'a> {
    pub(crate) fn new(shared: &'a Arc<Shared>, method: &str, path: &str) -> FaultBuilder<'a> {
        FaultBuilder {
            shared,
            pattern: Pattern::parse(method, path),
            when: Ok(When::Every),
            headers: Vec::new(),
        }
    }

    /// Every matching request (the default).
    pub fn every(mut self) -> Self {
        self.when = Ok(When::Every);
        self
    }

    /// Only the `n`th matching request, counting from 1.
    pub fn nth(mut self, n: u64) -> Self {
        self.when = if n == 0 {
            Err(FakeError::invalid(
                "fault nth",
                "counts from 1; 0 never matches",
            ))
        } else {
            Ok(When::Nth(n))
        };
        self
    }

    /// The first `n` matching requests.
    pub fn times(mut self, n: u64) -> Self {
        self.when = if n == 0 {
            Err(FakeError::invalid("fault times", "0 would never fire"))
        } else {
            Ok(When::Times(n))
        };
        self
    }

    /// Adds a header to the canned answer of [`status`](Self::status) or
    /// [`respond`](Self::respond) (`retry-after`, `x-ratelimit-remaining`, ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Answers with `status` and a GitHub error body naming it.
    ///
    /// # Errors
    ///
    /// An invalid pattern, count, header or a status outside 100..=599.
    pub fn status(self, status: u16) -> Result<FaultHandle, FakeError> {
        let body = bodies::error_json(
            &format!("Injected fault: status {status}"),
            "https://docs.github.com/rest",
            status,
        );
        self.respond(status, body)
    }

    /// Answers with `status` and exactly `body` (sent as JSON). A canned
    /// answer carries only `content-type` and the headers given with
    /// [`header`](Self::header): no rate-limit or scope headers.
    ///
    /// # Errors
    ///
    /// As [`status`](Self::status).
    pub fn respond(self, status: u16, body: impl Into<String>) -> Result<FaultHandle, FakeError> {
        if !(100..=599).contains(&status) {
            return Err(FakeError::invalid(
                "fault status",
                format!("{status} is not an HTTP status (100 to 599)"),
            ));
        }
        for (name, value) in &self.headers {
            if http::HeaderName::from_bytes(name.as_bytes()).is_err()
                || http::HeaderValue::from_str(value).is_err()
            {
                return Err(FakeError::invalid(
                    "fault header",
                    format!("`{name}: {value}` is not a valid HTTP header"),
                ));
            }
        }
        let headers = self.headers.clone();
        self.finish(Action::Respond {
            status,
            body: body.into(),
            headers,
        })
    }

    /// Closes the connection without answering.
    ///
    /// # Errors
    ///
    /// An invalid pattern or count.
    pub fn drop_connection(self) -> Result<FaultHandle, FakeError> {
        self.finish(Action::Drop)
    }

    /// Waits `delay` before answering as usual (delays of several firing
    /// faults add up). The request holds its place among the requests in
    /// flight meanwhile.
    ///
    /// # Errors
    ///
    /// An invalid pattern or count.
    pub fn latency(self, delay: Duration) -> Result<FaultHandle, FakeError> {
        self.finish(Action::Latency(delay))
    }

    fn finish(self, action: Action) -> Result<FaultHandle, FakeError> {
        let pattern = self.pattern?;
        let when = self.when?;
        let id = self.shared.lock().faults.add(pattern, when, action);
        Ok(FaultHandle {
            id,
            shared: Arc::downgrade(self.shared),
        })
    }
}

/// A fault in force; dropping the handle leaves it in force.
#[derive(Debug, Clone)]
pub struct FaultHandle {
    id: u64,
    shared: Weak<Shared>,
}

impl FaultHandle {
    /// How many requests the fault has acted on.
    pub fn hits(&self) -> u64 {
        self.shared
            .upgrade()
            .and_then(|s| s.lock().faults.hits(self.id))
            .unwrap_or(0)
    }

    /// Takes the fault out of force; `false` if it already was.
    pub fn remove(&self) -> bool {
        self.shared
            .upgrade()
            .is_some_and(|s| s.lock().faults.remove(self.id))
    }
}
