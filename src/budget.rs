//! The points budget GitHub publishes for its secondary rate limits: at most
//! a fixed number of points per minute (GET costs 1, writes cost 5).
//!
//! Points refill continuously and the bucket holds only [`BURST_POINTS`], so
//! spending is spread evenly over the minute: at 900 points a minute, writes
//! go out one every 333 ms, never a minute's worth at once. Each caller books
//! its slot when it asks (a virtual schedule), so waiters are served in order
//! and none wakes up only to wait again. Every clone of a `Client` draws from
//! the same budget.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Points the budget lets through at once after an idle spell: one write, or
/// five reads. Documented on `ClientBuilder::points_per_minute`.
pub(crate) const BURST_POINTS: u32 = 5;

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

    /// Waits until `points` are available and spends them.
    pub(crate) async fn take(&self, points: u32) {
        if let Some(ready) = self.book(points) {
            tokio::time::sleep_until(ready).await;
        }
    }

    /// Books `points` and returns when they may be spent (`None`: now).
    ///
    /// A cost above the burst is not refused: it is paid back over time
    /// like any other, so it waits only for what came before it.
    fn book(&self, points: u32) -> Option<Instant> {
        let per_point = self.per_point?;
        let now = Instant::now();
        let mut paid_until = self.paid_until.lock().unwrap_or_else(|p| p.into_inner());
        let debt_start = paid_until.map_or(now, |t| t.max(now));
        let cost = per_point.saturating_mul(points);
        let burst = per_point.saturating_mul(BURST_POINTS);
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
    async fn reads_burst_a_little_then_follow_the_refill() {
        let budget = Budget::new(60); // one point per second
        let start = Instant::now();
        for _ in 0..BURST_POINTS {
            budget.take(1).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst goes at once");
        budget.take(1).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        budget.take(5).await;
        assert_eq!(start.elapsed(), Duration::from_secs(6));
    }

    #[tokio::test(start_paused = true)]
    async fn writes_go_out_evenly_from_the_first_one() {
        // GitHub's 900 points a minute: a 5-point write every 333 ms.
        let budget = Budget::new(900);
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..200 {
            budget.take(5).await;
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
        budget.take(5).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        budget.take(5).await;
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
        tokio::time::timeout(limit, Budget::new(0).take(1_000))
            .await
            .expect("a disabled budget never waits");
        assert_eq!(start.elapsed(), Duration::ZERO);

        let budget = Budget::new(3); // one point every 20 s
        tokio::time::timeout(limit, budget.take(5))
            .await
            .expect("a cost within the burst goes at once");
        assert_eq!(start.elapsed(), Duration::ZERO);
        tokio::time::timeout(limit, budget.take(1)).await.unwrap();
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
                    budget.take(1).await;
                    start.elapsed()
                })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        // Five at once, then one a second.
        let expected: Vec<Duration> = [0, 0, 0, 0, 0, 1, 2, 3, 4, 5]
            .into_iter()
            .map(Duration::from_secs)
            .collect();
        assert_eq!(times, expected);
    }
}
