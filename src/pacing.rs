//! Client-side pacing, following GitHub's guidance for integrations: a cap on
//! concurrent requests, mutating requests spaced apart, and a points budget
//! per minute (GET 1 point, DELETE/POST 5 points). Shared by every clone of a
//! `Client`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::Method;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::budget::Budget;

/// What a DELETE or POST costs in the points budget.
pub(crate) const WRITE_POINTS: u32 = 5;

#[derive(Debug)]
pub(crate) struct Pacer {
    concurrent: Arc<Semaphore>,
    min_write_interval: Duration,
    /// When the last write went out (or was booked by `reserve_write`).
    last_write: Mutex<Option<Instant>>,
    budget: Budget,
    /// A write slot booked ahead by `reserve_write` and not used yet.
    prepaid_write: AtomicBool,
}

impl Pacer {
    pub(crate) fn new(max_concurrent: usize, min_write_interval: Duration, points: u32) -> Self {
        Pacer {
            concurrent: Arc::new(Semaphore::new(
                max_concurrent.clamp(1, Semaphore::MAX_PERMITS),
            )),
            min_write_interval,
            last_write: Mutex::new(None),
            budget: Budget::new(points),
            prepaid_write: AtomicBool::new(false),
        }
    }

    /// Waits until a request with `method` may go out and returns the
    /// concurrency permit to hold while it is in flight.
    pub(crate) async fn acquire(&self, method: &Method) -> Option<OwnedSemaphorePermit> {
        let write = is_write(method);
        let prepaid = write && self.prepaid_write.swap(false, Ordering::AcqRel);
        if !prepaid {
            self.budget
                .take(if write { WRITE_POINTS } else { 1 }, write)
                .await;
        }
        let permit = self.concurrent.clone().acquire_owned().await.ok();
        // Spacing is measured between writes that actually go out, so it is
        // stamped only once the permit is held: a write that then waited for
        // a permit cannot leave right behind another one.
        if write && !self.min_write_interval.is_zero() {
            if prepaid {
                // The reservation waited and stamped already; never queue
                // behind another task's spacing wait (it holds the lock while
                // it sleeps). Restamp when free, so spacing counts from now.
                if let Ok(mut last) = self.last_write.try_lock() {
                    *last = Some(Instant::now());
                }
            } else {
                let mut last = self.last_write.lock().await;
                self.wait_for_spacing(*last).await;
                *last = Some(Instant::now());
            }
        }
        permit
    }

    /// Books the next write now: waits for the spacing and the budget, spends
    /// them, and leaves one prepaid write that the next DELETE or POST uses
    /// without waiting. Reserving again replaces an unused reservation. The
    /// slot belongs to the client, not to a task: with several tasks writing
    /// through one client, another task's write may take it (spacing still
    /// holds; only the freshness of the reserving task's read is lost).
    pub(crate) async fn reserve_write(&self) {
        self.budget.take(WRITE_POINTS, true).await;
        if !self.min_write_interval.is_zero() {
            let mut last = self.last_write.lock().await;
            self.wait_for_spacing(*last).await;
            *last = Some(Instant::now());
        }
        self.prepaid_write.store(true, Ordering::Release);
    }

    async fn wait_for_spacing(&self, last: Option<Instant>) {
        let Some(previous) = last else { return };
        // An interval too large for the clock means "wait as long as the
        // clock allows", never a panic.
        match previous.checked_add(self.min_write_interval) {
            Some(ready) => tokio::time::sleep_until(ready).await,
            None => tokio::time::sleep(self.min_write_interval).await,
        }
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test(start_paused = true)]
    async fn a_huge_write_interval_waits_instead_of_panicking() {
        let pacer = Pacer::new(usize::MAX, Duration::MAX, 0);
        drop(pacer.acquire(&Method::DELETE).await);
        let second =
            tokio::time::timeout(Duration::from_secs(3600), pacer.acquire(&Method::DELETE));
        assert!(
            second.await.is_err(),
            "the second write must still be waiting"
        );
        // Reads are not spaced.
        let read = tokio::time::timeout(SECOND, pacer.acquire(&Method::GET));
        assert!(read.await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_reserved_write_goes_out_without_waiting_after_a_read() {
        let pacer = Pacer::new(10, SECOND, 900);
        let start = Instant::now();
        drop(pacer.acquire(&Method::DELETE).await);
        // The reservation waits out the spacing of the write before it...
        pacer.reserve_write().await;
        assert_eq!(start.elapsed(), SECOND);
        // ...so the read-then-delete that follows is back to back.
        drop(pacer.acquire(&Method::GET).await);
        let before_delete = start.elapsed();
        drop(pacer.acquire(&Method::DELETE).await);
        assert_eq!(start.elapsed(), before_delete, "the prepaid write waited");
        // The reservation is used up: the next write is spaced again, from
        // the moment the prepaid one went out.
        drop(pacer.acquire(&Method::DELETE).await);
        assert_eq!(start.elapsed(), before_delete + SECOND);
    }

    /// A prepaid write never queues behind another task's spacing wait.
    #[tokio::test(start_paused = true)]
    async fn a_prepaid_write_does_not_wait_for_another_reservation() {
        let pacer = Arc::new(Pacer::new(100, SECOND, 0));
        drop(pacer.acquire(&Method::DELETE).await);
        tokio::time::sleep(SECOND).await;
        pacer.reserve_write().await; // task A books at once
        let start = Instant::now();
        // Task B books too: it must wait a second, holding the spacing lock.
        let other = Arc::clone(&pacer);
        let b = tokio::spawn(async move { other.reserve_write().await });
        tokio::task::yield_now().await;
        // A's write goes out without waiting for B.
        drop(pacer.acquire(&Method::DELETE).await);
        assert!(
            start.elapsed() < Duration::from_millis(10),
            "{:?}",
            start.elapsed()
        );
        b.await.unwrap();
        assert!(start.elapsed() >= SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn reserving_spends_the_budget_of_one_write() {
        // 60 points a minute: a write refills in 5 s.
        let pacer = Pacer::new(10, Duration::ZERO, 60);
        let start = Instant::now();
        pacer.reserve_write().await;
        pacer.reserve_write().await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        drop(pacer.acquire(&Method::POST).await);
        assert_eq!(start.elapsed(), Duration::from_secs(5), "prepaid");
        drop(pacer.acquire(&Method::POST).await);
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn spacing_counts_from_when_a_write_gets_its_permit() {
        let pacer = Arc::new(Pacer::new(1, SECOND, 0));
        let start = Instant::now();
        // A read holds the only permit for 5 s.
        let read = pacer.acquire(&Method::GET).await;
        let writer = {
            let pacer = Arc::clone(&pacer);
            tokio::spawn(async move {
                let first = pacer.acquire(&Method::DELETE).await;
                let at_first = start.elapsed();
                drop(first);
                drop(pacer.acquire(&Method::DELETE).await);
                (at_first, start.elapsed())
            })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(read);
        let (first, second) = writer.await.unwrap();
        assert_eq!(first, Duration::from_secs(5));
        assert_eq!(
            second,
            Duration::from_secs(6),
            "the second write left less than the spacing after the first"
        );
    }
}
