//! The fake's sense of time: the system clock, optionally shifted, or a
//! frozen instant that only moves when a test moves it.
//!
//! Everything time-dependent in the fake reads this clock: `created_at` of new
//! fixtures, `deleted_at`, the 30-day restore window and the rate-limit
//! windows. Latency faults are real waits and do not read it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// A clock shared by the fake and the test that drives it; clones share the
/// same time.
///
/// ```
/// use std::time::Duration;
/// use github_packages::fake::Clock;
///
/// let clock = Clock::frozen("2025-06-01T12:00:00Z".parse().unwrap());
/// clock.advance(Duration::from_secs(31 * 24 * 3600));
/// assert_eq!(clock.now().to_rfc3339(), "2025-07-02T12:00:00+00:00");
/// ```
#[derive(Clone, Debug)]
pub struct Clock {
    mode: Arc<Mutex<Mode>>,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// The system clock plus an offset that `advance` grows.
    Running(TimeDelta),
    /// A fixed instant.
    Frozen(DateTime<Utc>),
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock {
            mode: Arc::new(Mutex::new(Mode::Running(TimeDelta::zero()))),
        }
    }

    /// A clock that stands still at `at` until [`advance`](Self::advance) or
    /// [`set`](Self::set) moves it: rate-limit windows and the restore window
    /// then depend only on what the test does.
    pub fn frozen(at: DateTime<Utc>) -> Clock {
        Clock {
            mode: Arc::new(Mutex::new(Mode::Frozen(at))),
        }
    }

    /// The current time, to the second (GitHub's timestamps have no
    /// fractions).
    pub fn now(&self) -> DateTime<Utc> {
        let mode = *self.lock();
        let now = match mode {
            Mode::Running(offset) => Utc::now()
                .checked_add_signed(offset)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Mode::Frozen(at) => at,
        };
        now.trunc_subsecs(0)
    }

    /// Moves the clock forward by `by` (a frozen clock stays frozen, a
    /// running one keeps running from the later time). Saturates at the
    /// largest representable time.
    pub fn advance(&self, by: Duration) {
        let by = TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX);
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Running(offset) => {
                Mode::Running(offset.checked_add(&by).unwrap_or(TimeDelta::MAX))
            }
            Mode::Frozen(at) => Mode::Frozen(
                at.checked_add_signed(by)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
            ),
        };
    }

    /// Sets the time; a frozen clock stays frozen there, a running one runs
    /// on from there.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Running(_) => Mode::Running(at.signed_duration_since(Utc::now())),
            Mode::Frozen(_) => Mode::Frozen(at),
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        // The guarded value is a plain Copy enum: a panic elsewhere cannot
        // leave it half-written, so a poisoned lock is still good.
        self.mode.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clocks_move_only_when_told() {
        let start: DateTime<Utc> = "2025-01-01T00:00:00Z".parse().unwrap();
        let clock = Clock::frozen(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start + TimeDelta::seconds(90));
        let shared = clock.clone();
        shared.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn running_clocks_can_be_shifted() {
        let clock = Clock::system();
        clock.advance(Duration::from_secs(3600 * 24 * 40));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > TimeDelta::days(39), "{ahead}");
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC.trunc_subsecs(0));
    }
}
