//! Progress on stderr, only when stderr is a terminal: a bar with count, rate
//! and ETA for work of known size (manifest reads, deletes, restores), a
//! counter for work whose end is not known yet (listing pages). Elsewhere
//! (CI logs, pipes) it prints nothing; results and failures are reported once,
//! at the end, by the command itself.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress display that is a no-op when stderr is not a terminal.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

fn enabled() -> bool {
    std::io::stderr().is_terminal()
}

impl Progress {
    /// A bar for `total` steps, labelled `what` (e.g. `deleting`).
    pub(crate) fn bar(what: &'static str, total: usize) -> Progress {
        if !enabled() || total == 0 {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new(total as u64);
        let style =
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len}  {per_sec}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what);
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar: Some(bar) }
    }

    /// A counter of steps whose total is not known, e.g. pages listed.
    pub(crate) fn counter(what: &'static str, unit: &'static str) -> Progress {
        if !enabled() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        let template = format!("{{spinner}} {{msg}} {{pos}} {unit}  {{per_sec}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(what);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// `n` more steps done.
    pub(crate) fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// The work grew by `n` steps (a bar whose total is learned in rounds).
    pub(crate) fn grow(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(n);
        }
    }

    /// Removes the display.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
