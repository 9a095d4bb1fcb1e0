//! Progress of bulk deletes and restores: a bar with count, rate and ETA on
//! a terminal, one plain line per version otherwise (logs, CI).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug)]
pub(crate) enum Progress {
    Bar(ProgressBar),
    Lines {
        verb: &'static str,
        total: usize,
        done: usize,
    },
}

impl Progress {
    /// `verb` is the past tense shown per version, e.g. `deleted`.
    pub(crate) fn new(verb: &'static str, total: usize) -> Progress {
        if std::io::stderr().is_terminal() && total > 0 {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template(
                "{msg:>9} [{bar:30}] {pos}/{len}  {per_sec}  ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(verb);
            bar.enable_steady_tick(Duration::from_millis(200));
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                verb,
                total,
                done: 0,
            }
        }
    }

    /// One version done.
    pub(crate) fn succeeded(&mut self, id: i64, name: &str) {
        match self {
            Progress::Bar(bar) => bar.inc(1),
            Progress::Lines { verb, total, done } => {
                *done += 1;
                eprintln!("{verb} {done}/{total} id={id} name={name}");
            }
        }
    }

    /// One version failed; the message goes above the bar.
    pub(crate) fn failed(&mut self, id: i64, name: &str, error: &str) {
        self.settled(format!("failed id={id} name={name}: {error}"));
    }

    /// One version left alone or found gone; `what` says which and why.
    pub(crate) fn noted(&mut self, id: i64, name: &str, what: &str) {
        self.settled(format!("{what} id={id} name={name}"));
    }

    /// Counts one version as done and prints `line` (above the bar, if any).
    fn settled(&mut self, line: String) {
        match self {
            Progress::Bar(bar) => {
                bar.inc(1);
                bar.println(line);
            }
            Progress::Lines { done, .. } => {
                *done += 1;
                eprintln!("{line}");
            }
        }
    }

    pub(crate) fn finish(self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
