//! GitHub's rate limits as its documentation describes them: a primary quota
//! per account and hour, a secondary budget of points per minute (GET 1,
//! writes 5), and a cap on requests in flight at once.
//!
//! Windows are measured on the fake's [`Clock`](super::Clock), so a frozen
//! clock makes them deterministic.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

/// GitHub's hourly quota for a personal access token.
pub(crate) const GITHUB_PRIMARY_PER_HOUR: u32 = 5_000;
/// GitHub's hourly quota for unauthenticated requests (per IP address).
pub(crate) const GITHUB_ANONYMOUS_PER_HOUR: u32 = 60;
/// GitHub's secondary budget for REST endpoints.
pub(crate) const GITHUB_POINTS_PER_MINUTE: u32 = 900;
/// GitHub's cap on concurrent requests.
pub(crate) const GITHUB_MAX_CONCURRENT: usize = 100;

pub(crate) const PRIMARY_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit";
pub(crate) const SECONDARY_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";

/// The limits in force; `None` switches one off.
#[derive(Debug, Clone)]
pub(crate) struct LimitSettings {
    pub(crate) primary_per_hour: Option<u32>,
    pub(crate) anonymous_per_hour: Option<u32>,
    /// 403 or 429: GitHub documents both for an exhausted quota.
    pub(crate) primary_status: u16,
    pub(crate) points_per_minute: Option<u32>,
    /// How long spent points count against the budget (GitHub: a minute).
    pub(crate) points_window: TimeDelta,
    pub(crate) max_concurrent: Option<usize>,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            primary_per_hour: Some(GITHUB_PRIMARY_PER_HOUR),
            anonymous_per_hour: Some(GITHUB_ANONYMOUS_PER_HOUR),
            primary_status: 403,
            points_per_minute: Some(GITHUB_POINTS_PER_MINUTE),
            points_window: MINUTE,
            max_concurrent: Some(GITHUB_MAX_CONCURRENT),
        }
    }
}

/// What the primary quota says about one request: the `x-ratelimit-*`
/// values, and whether it may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quota {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) used: u32,
    pub(crate) reset: DateTime<Utc>,
    pub(crate) exceeded: bool,
}

impl Quota {
    pub(crate) fn headers(&self) -> [(&'static str, String); 5] {
        [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-used", self.used.to_string()),
            ("x-ratelimit-reset", self.reset.timestamp().to_string()),
            ("x-ratelimit-resource", "core".to_owned()),
        ]
    }
}

#[derive(Debug, Clone)]
struct Window {
    start: DateTime<Utc>,
    used: u32,
}

/// Quota and point counters per account.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    primary: HashMap<String, Window>,
    points: HashMap<String, VecDeque<(DateTime<Utc>, u32)>>,
}

const HOUR: TimeDelta = TimeDelta::hours(1);
const MINUTE: TimeDelta = TimeDelta::minutes(1);

impl Counters {
    /// Charges one request to `who`'s hourly quota of `limit`. A request
    /// over the quota is refused and not counted.
    pub(crate) fn charge_primary(&mut self, who: &str, limit: u32, now: DateTime<Utc>) -> Quota {
        let window = self
            .primary
            .entry(who.to_ascii_lowercase())
            .or_insert(Window {
                start: now,
                used: 0,
            });
        if now >= window.start + HOUR || now < window.start {
            *window = Window {
                start: now,
                used: 0,
            };
        }
        let exceeded = window.used >= limit;
        if !exceeded {
            window.used += 1;
        }
        Quota {
            limit,
            remaining: limit - window.used.min(limit),
            used: window.used.min(limit),
            reset: window.start + HOUR,
            exceeded,
        }
    }

    /// Spends `cost` points of `who`'s budget of `per_minute`, or says after
    /// how many whole seconds enough points will have come back.
    pub(crate) fn spend_points(
        &mut self,
        who: &str,
        cost: u32,
        per_minute: u32,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<(), u64> {
        let spent = self.points.entry(who.to_ascii_lowercase()).or_default();
        while spent
            .front()
            .is_some_and(|(at, _)| *at + window <= now || *at > now)
        {
            spent.pop_front();
        }
        let total: u64 = spent.iter().map(|(_, p)| u64::from(*p)).sum();
        let budget = u64::from(per_minute);
        let cost64 = u64::from(cost);
        if total + cost64 <= budget {
            spent.push_back((now, cost));
            return Ok(());
        }
        let whole_window = window.num_seconds().max(1) as u64;
        if cost64 > budget {
            return Err(whole_window);
        }
        // Points come back a window after they were spent: find the oldest
        // spending whose return makes room.
        let mut freed = 0;
        for (at, points) in spent.iter() {
            freed += u64::from(*points);
            if total - freed + cost64 <= budget {
                let wait = (*at + window - now).num_milliseconds().max(0) as u64;
                return Err(wait.div_ceil(1000).max(1));
            }
        }
        Err(whole_window)
    }
}

/// GitHub's cost of a request in secondary-limit points.
pub(crate) fn points_for(method: &http::Method) -> u32 {
    match *method {
        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS => 1,
        _ => 5,
    }
}

/// Requests being answered right now.
#[derive(Debug, Default, Clone)]
pub(crate) struct InFlight(Arc<AtomicUsize>);

/// Holds one place among the requests in flight until dropped.
#[derive(Debug)]
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl InFlight {
    /// Takes a place, or `None` when `cap` requests are already in flight.
    pub(crate) fn enter(&self, cap: Option<usize>) -> Option<Slot> {
        let before = self.0.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(self.0.clone());
        match cap {
            Some(cap) if before >= cap => None,
            _ => Some(slot),
        }
    }

    pub(crate) fn current(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_hourly_quota_runs_out_and_resets() {
        let mut counters = Counters::default();
        let t = at("2025-01-01T10:00:00Z");
        assert_eq!(counters.charge_primary("a", 2, t).remaining, 1);
        assert_eq!(counters.charge_primary("A", 2, t).remaining, 0);
        let refused = counters.charge_primary("a", 2, t + TimeDelta::minutes(5));
        assert!(refused.exceeded);
        assert_eq!((refused.remaining, refused.used), (0, 2));
        assert_eq!(refused.reset, t + HOUR);
        let next = counters.charge_primary("a", 2, t + HOUR);
        assert!(!next.exceeded);
        assert_eq!(next.remaining, 1);
        assert!(counters.charge_primary("b", 0, t).exceeded);
    }

    #[test]
    fn points_come_back_a_minute_later() {
        let mut counters = Counters::default();
        let t = at("2025-01-01T10:00:00Z");
        assert_eq!(counters.spend_points("a", 5, 10, MINUTE, t), Ok(()));
        assert_eq!(
            counters.spend_points("a", 5, 10, MINUTE, t + TimeDelta::seconds(20)),
            Ok(())
        );
        assert_eq!(
            counters.spend_points("a", 5, 10, MINUTE, t + TimeDelta::seconds(30)),
            Err(30)
        );
        assert_eq!(
            counters.spend_points("a", 1, 10, MINUTE, t + TimeDelta::seconds(60)),
            Ok(())
        );
        assert_eq!(counters.spend_points("a", 11, 10, MINUTE, t), Err(60));
    }

    #[test]
    fn the_concurrency_cap_counts_places() {
        let flight = InFlight::default();
        let a = flight.enter(Some(2)).unwrap();
        let _b = flight.enter(Some(2)).unwrap();
        assert!(flight.enter(Some(2)).is_none());
        drop(a);
        assert!(flight.enter(Some(2)).is_some());
        assert_eq!(flight.current(), 1);
        assert!(flight.enter(None).is_some());
    }
}
