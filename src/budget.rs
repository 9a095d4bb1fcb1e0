//! The points budget GitHub publishes for its secondary rate limits: at most
//! a fixed number of points per minute (GET costs 1, writes cost 5).
//!
//! A token bucket that refills continuously; every clone of a `Client` draws
//! from the same one, so parallel tasks cannot jointly overrun the budget.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Budget {
    per_minute: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    points: f64,
    updated: Option<Instant>,
}

impl Budget {
    /// A budget of `per_minute` points; 0 disables it.
    pub(crate) fn new(per_minute: u32) -> Self {
        Budget {
            per_minute: f64::from(per_minute),
            state: Mutex::new(Bucket {
                points: f64::from(per_minute),
                updated: None,
            }),
        }
    }

    /// Waits until `points` are available and spends them.
    pub(crate) async fn take(&self, points: u32) {
        if self.per_minute <= 0.0 {
            return;
        }
        // A request costing more than the whole budget could never run;
        // charge it the full bucket instead of waiting forever.
        let cost = f64::from(points).min(self.per_minute);
        loop {
            let wait = {
                let mut bucket = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                if let Some(then) = bucket.updated {
                    let refill = now.duration_since(then).as_secs_f64() * self.per_minute / 60.0;
                    bucket.points = (bucket.points + refill).min(self.per_minute);
                }
                bucket.updated = Some(now);
                if bucket.points >= cost {
                    bucket.points -= cost;
                    return;
                }
                Duration::from_secs_f64((cost - bucket.points) * 60.0 / self.per_minute)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spending_past_the_budget_waits_for_refill() {
        let budget = Budget::new(60); // one point per second
        let start = Instant::now();
        for _ in 0..60 {
            budget.take(1).await;
        }
        assert!(start.elapsed() < Duration::from_millis(10));
        budget.take(5).await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
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
            .expect("a cost above the whole budget is charged the bucket, not awaited forever");
        assert_eq!(start.elapsed(), Duration::ZERO);
        tokio::time::timeout(limit, budget.take(1)).await.unwrap();
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(20) && waited < Duration::from_secs(21),
            "{waited:?}"
        );
    }
}
