//! What the listing benchmark reads off the process: CPU time (all threads,
//! nanosecond resolution), peak resident memory, and summary statistics.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::server::VERSIONS;

/// Wall-clock and CPU time of one sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
}

/// One complete listing, timed: wall clock and the process's CPU time
/// (every thread; the server is another process). Panics if the listing
/// did not return every version, so an incomplete run is never timed.
pub(crate) fn timed<T, F: Future<Output = Vec<T>>>(rt: &Runtime, listing: F) -> Sample {
    let cpu = cpu_time();
    let start = Instant::now();
    let versions = rt.block_on(listing);
    assert_eq!(versions.len(), VERSIONS, "incomplete listing");
    drop(black_box(versions));
    Sample {
        wall: start.elapsed(),
        cpu: cpu_time() - cpu,
    }
}

pub(crate) fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub(crate) fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// CPU time (user + system) of this process so far, all threads included.
pub(crate) fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// A `/proc/self/status` field in KiB (`VmHWM`, `VmRSS`).
pub(crate) fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Resets the peak resident set (`VmHWM`) to the current one (Linux >= 4.0),
/// so start-up transients do not hide the growth being measured. Returns
/// whether the kernel allowed it.
pub(crate) fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Median of `values` (the mean of the middle two for an even count).
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    assert!(n > 0, "median of nothing");
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Smallest of `values`.
pub(crate) fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}
