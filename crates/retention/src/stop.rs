//! Stopping on request: a tool asks (on Ctrl-C, say) and the engine ends
//! its current step, records it, and sends nothing new.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A request to stop, shared between whoever asks and the work that obeys.
/// Cheap to clone; clones share the request.
///
/// ```
/// use github_packages_retention::Stop;
///
/// let stop = Stop::new();
/// let handle = stop.clone();
/// assert!(!stop.is_requested());
/// handle.request();
/// assert!(stop.is_requested());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requested: AtomicBool,
    notify: Notify,
}

impl Stop {
    /// A stop nobody has requested yet.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Asks the work to stop after the request in flight.
    pub fn request(&self) {
        self.inner.requested.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Resolves once a stop is requested (at once if it already was).
    pub async fn requested(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_requested() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_wakes_when_a_clone_requests() {
        let stop = Stop::new();
        let waiter = tokio::spawn({
            let stop = stop.clone();
            async move { stop.requested().await }
        });
        tokio::task::yield_now().await;
        stop.request();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
        // Already requested: resolves at once.
        stop.requested().await;
    }
}
