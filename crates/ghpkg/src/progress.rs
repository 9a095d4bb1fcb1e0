//! Progress on stderr, only when stderr is a terminal: the engine's events
//! ([`Observer`]) shown as a bar with count, rate and ETA for work of known
//! size (manifest reads, deletes, restores), a counter for work whose end is
//! not known yet (listing pages). Elsewhere (CI logs, pipes) it prints
//! nothing; results and failures are reported once, at the end, by the
//! command itself. It also says where the journal is, and prints each
//! package's outcome as it ends when a run covers several.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use github_packages_retention::journal::Fragment;
use github_packages_retention::{Observer, PackageOutcome, Phase};
use indicatif::{ProgressBar, ProgressStyle};

use crate::report::{PackageRef, PackageReport};

/// The engine's progress, shown on a terminal.
#[derive(Debug)]
pub(crate) struct Bars {
    enabled: bool,
    bars: Mutex<HashMap<Phase, ProgressBar>>,
    /// Print each package's outcome when its deletes end; cleared when
    /// stdout's reader goes away, so the deletes go on without it.
    print_outcomes: AtomicBool,
}

fn label(phase: Phase) -> &'static str {
    match phase {
        Phase::Planning => "packages",
        Phase::Listing => "listing versions",
        Phase::ReadingManifests => "manifests",
        Phase::Deleting => "deleting",
        Phase::Restoring => "restoring",
        _ => "working",
    }
}

impl Bars {
    /// Bars on stderr if it is a terminal, else nothing.
    pub(crate) fn new() -> Bars {
        Bars {
            enabled: std::io::stderr().is_terminal(),
            bars: Mutex::new(HashMap::new()),
            print_outcomes: AtomicBool::new(false),
        }
    }

    /// Also prints each package's outcome on stdout as its deletes end.
    pub(crate) fn printing_outcomes(self, print: bool) -> Bars {
        self.print_outcomes.store(print, Ordering::Relaxed);
        self
    }

    fn with_bar(&self, phase: Phase, f: impl FnOnce(&ProgressBar)) {
        if let Ok(bars) = self.bars.lock()
            && let Some(bar) = bars.get(&phase)
        {
            f(bar);
        }
    }
}

/// Tells on stderr which fragments were skipped, so a damaged journal never
/// passes silently.
pub(crate) fn warn_about_fragments(path: &Path, fragments: &[Fragment]) {
    for f in fragments {
        eprintln!(
            "warning: {} line {}: skipped {} bytes of a record cut short when ghpkg was \
             interrupted while writing it",
            path.display(),
            f.line,
            f.bytes
        );
    }
}

impl Observer for Bars {
    fn started(&self, phase: Phase, total: Option<usize>) {
        if !self.enabled || total == Some(0) {
            return;
        }
        let bar = match total {
            Some(total) => {
                let bar = ProgressBar::new(total as u64);
                let style = ProgressStyle::with_template(
                    "{msg:>10} [{bar:30}] {pos}/{len}  {per_sec}  ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar
            }
            None => {
                let bar = ProgressBar::new_spinner();
                let style = ProgressStyle::with_template("{spinner} {msg} {pos} pages  {per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                bar.set_style(style);
                bar
            }
        };
        bar.set_message(label(phase));
        bar.enable_steady_tick(Duration::from_millis(150));
        if let Ok(mut bars) = self.bars.lock()
            && let Some(old) = bars.insert(phase, bar)
        {
            old.finish_and_clear();
        }
    }

    fn grew(&self, phase: Phase, more: usize) {
        self.with_bar(phase, |bar| bar.inc_length(more as u64));
    }

    fn advanced(&self, phase: Phase, n: usize) {
        self.with_bar(phase, |bar| bar.inc(n as u64));
    }

    fn finished(&self, phase: Phase) {
        if let Ok(mut bars) = self.bars.lock()
            && let Some(bar) = bars.remove(&phase)
        {
            bar.finish_and_clear();
        }
    }

    fn journal_opened(&self, path: &Path, fragments: &[Fragment]) {
        warn_about_fragments(path, fragments);
        eprintln!("journal: {}", path.display());
    }

    fn package_finished(&self, outcome: &PackageOutcome) {
        if !self.print_outcomes.load(Ordering::Relaxed) {
            return;
        }
        let mut report = PackageReport::new(PackageRef {
            owner: outcome.target.scope.owner().map(str::to_owned),
            package_type: outcome.target.package_type,
            name: outcome.target.name.clone(),
        });
        report.record(outcome);
        // Planned count comes from the plan; the outcome knows it.
        report.plan.clear();
        if crate::report::print_outcome_of(&report, outcome.planned).is_err() {
            self.print_outcomes.store(false, Ordering::Relaxed);
        }
    }
}
