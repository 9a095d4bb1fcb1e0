//! The points budget GitHub publishes for its secondary rate limits: at most
//! a fixed number of points per minute (GET costs 1, writes cost 5).
//!
//! Points refill continuously. Reads may run ahead of the refill by
//! [`READ_BURST_POINTS`] (a listing of 100 pages goes at the speed of the
//! network, well inside GitHub's minute), writes only by
//! [`WRITE_BURST_POINTS`], so deletes are spread evenly over the minute: at
//! 900 points a minute, one every 333 ms, never a minute's worth at once.
//! Reads and writes pay into one debt, so together they never outrun the
//! budget. Each caller books its slot when it asks (a virtual schedule), so
//! waiters are served in order and none wakes up only to wait again. Every
//! clone of a `Client` draws from the same budget.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How far ahead of the refill reads may run: 150 GETs at once after an idle
/// spell. Documented on `ClientBuilder::points_per_minute`.
pub(crate) const READ_BURST_POINTS: u32 = 150;
/// How far ahead of the refill a write may run: one write (5 points).
pub(crate) const WRITE_BURST_POINTS: u32 = 5;

#[derive(Debug)]
pub(crate) struct Budget {
    /// How long one point takes to refill; `None` when the budget is off.
    per_point: Option<Duration>,
    /// The instant at which everything booked so far has been paid back.
    paid_until: Mutex<Option<Instant>>,
}

impl Budget {
    /// A budget of `per_minute` points; 0 disables it.
    pub(crate) fn new(per_minute: u32) -> Self {
        let per_point = (per_minute > 0).then(|| Duration::from_secs(60) / per_minute);
        Budget {
            per_point,
            paid_until: Mutex::new(None),
        }
    }

    /// Waits until `points` are available and spends them; `write` says
    /// whether they pay for a DELETE or POST, which may not run ahead.
    pub(crate) async fn take(&self, points: u32, write: bool) {
        let burst = if write {
            WRITE_BURST_POINTS
        } else {
            READ_BURST_POINTS
        };
        if let Some(ready) = self.book(points, burst) {
            tokio::time::sleep_until(ready).await;
        }
    }

    /// Books `points` and returns when they may be spent (`None`: now).
    ///
    /// A cost above the burst is not refused: it is paid back over time
    /// like any other, so it waits only for what came before it.
    fn book(&self, points: u32, burst: u32) -> Option<Instant> {
        let per_point = self.per_point?;
        let now = Instant::now();
        let mut paid_until = self.paid_until.lock().unwrap_or_else(|p| p.into_inner());
        let debt_start = paid_until.map_or(now, |t| t.max(now));
        let cost = per_point.saturating_mul(points);
        let burst = per_point.saturating_mul(burst);
        // May go once the debt left after paying is within the burst.
        let ready = debt_start
            .checked_add(cost)
            .and_then(|end| end.checked_sub(burst))
            .unwrap_or(debt_start)
            .max(now);
        *paid_until = Some(debt_start.checked_add(cost).unwrap_or(debt_start));
        (ready > now).then_some(ready)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn reads_run_ahead_by_their_burst_then_follow_the_refill() {
        let budget = Budget::new(60); // one point per second
        let start = Instant::now();
        for _ in 0..READ_BURST_POINTS {
            budget.take(1, false).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst goes at once");
        budget.take(1, false).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        // A write waits until the reads' debt is within one write.
        budget.take(5, true).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(u64::from(READ_BURST_POINTS) + 1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn writes_go_out_evenly_from_the_first_one() {
        // GitHub's 900 points a minute: a 5-point write every 333 ms.
        let budget = Budget::new(900);
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..200 {
            budget.take(5, true).await;
            sent.push(start.elapsed());
        }
        assert_eq!(sent[0], Duration::ZERO);
        for pair in sent.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_millis(333) && gap <= Duration::from_millis(334),
                "{gap:?}"
            );
        }
        // 180 writes take a minute, not 32 ms.
        assert!(
            sent[179] >= Duration::from_millis(59_600),
            "{:?}",
            sent[179]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_budget_refills_only_up_to_the_burst() {
        let budget = Budget::new(900);
        tokio::time::sleep(Duration::from_secs(600)).await;
        let start = Instant::now();
        budget.take(5, true).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        budget.take(5, true).await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(333) && waited <= Duration::from_millis(334),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn zero_disables_and_oversized_costs_do_not_hang() {
        let start = Instant::now();
        let limit = Duration::from_secs(3600);
        tokio::time::timeout(limit, Budget::new(0).take(1_000, true))
            .await
            .expect("a disabled budget never waits");
        assert_eq!(start.elapsed(), Duration::ZERO);

        let budget = Budget::new(3); // one point every 20 s
        tokio::time::timeout(limit, budget.take(5, true))
            .await
            .expect("a cost within the burst goes at once");
        assert_eq!(start.elapsed(), Duration::ZERO);
        tokio::time::timeout(limit, budget.take(1, true))
            .await
            .unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_takers_are_served_in_order_without_overrunning() {
        let budget = std::sync::Arc::new(Budget::new(60));
        let start = Instant::now();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let budget = budget.clone();
                tokio::spawn(async move {
                    budget.take(5, true).await;
                    start.elapsed()
                })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        // Ten writes at a point a second: one at once, then one every 5 s.
        let expected: Vec<Duration> = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45]
            .into_iter()
            .map(Duration::from_secs)
            .collect();
        assert_eq!(times, expected);
    }
}
