//! Ctrl-C and SIGTERM while ghpkg writes (`prune --yes`, `apply --yes`,
//! `undo`): the first asks the engine to stop after the request in flight,
//! so the command ends by saying what was done and how to go on; a second
//! ends ghpkg at once. The journal is safe either way: each `intent` is on
//! disk before its request is sent.

use std::future::Future;
use std::path::Path;

use github_packages_retention::Stop;

use crate::context::Failure;

/// The exit code of an interrupted command, as shells report a SIGINT.
pub(crate) const EXIT_CODE: u8 = 130;

/// From now on, a first Ctrl-C or SIGTERM requests `stop`; a second exits
/// with [`EXIT_CODE`] at once. The handlers stay for the life of the
/// process, so a signal is never lost between two commands of a demo.
///
/// # Errors
///
/// The signal handlers cannot be installed.
pub(crate) fn watch(stop: &Stop) -> Result<(), Failure> {
    let mut signals =
        Signals::new().map_err(|e| Failure::Failed(format!("cannot watch for Ctrl-C: {e}")))?;
    let stop = stop.clone();
    tokio::spawn(async move {
        signals.next().await;
        stop.request();
        eprintln!(
            "\ninterrupted: finishing the request in flight and sending nothing new \
             (press Ctrl-C again to stop at once)"
        );
        signals.next().await;
        eprintln!(
            "interrupted again: stopping at once. The journal holds an `intent` for any \
             request that was in flight, so `ghpkg undo` with it still restores everything"
        );
        std::process::exit(i32::from(EXIT_CODE));
    });
    Ok(())
}

/// `work`, unless a stop is requested first: then [`Failure::Interrupted`]
/// saying that nothing was `changed` (`deleted`, `restored`).
pub(crate) async fn before_any_write<T>(
    stop: &Stop,
    changed: &str,
    work: impl Future<Output = T>,
) -> Result<T, Failure> {
    tokio::select! {
        biased;
        () = stop.requested() => Err(Failure::Interrupted(format!(
            "interrupted before anything was {changed}"
        ))),
        out = work => Ok(out),
    }
}

/// The command line that continues an interrupted or unfinished run with
/// `journal`: the one given (`ghpkg` for the program's path), with
/// `--journal` added unless it was there, each word quoted as a POSIX shell
/// needs it.
pub(crate) fn resume_command(command_line: &[String], journal: &Path) -> String {
    let mut words: Vec<String> = vec!["ghpkg".to_owned()];
    words.extend(command_line.iter().skip(1).cloned());
    let has_journal = words
        .iter()
        .any(|w| w == "--journal" || w.starts_with("--journal="));
    if !has_journal {
        words.push("--journal".to_owned());
        words.push(journal.display().to_string());
    }
    crate::shell::command_line(&words)
}

/// SIGINT and SIGTERM (Ctrl-C alone where there is no SIGTERM), registered
/// when made, so a signal that comes before the first wait is not missed.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_command_adds_the_journal_once_and_quotes() {
        let given = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
        let journal = Path::new("my journal.jsonl");
        assert_eq!(
            resume_command(
                &given(&[
                    "/x/target/debug/ghpkg",
                    "prune",
                    "container",
                    "app",
                    "--tag",
                    "pr-*",
                    "--yes"
                ]),
                journal
            ),
            "ghpkg prune container app --tag 'pr-*' --yes --journal 'my journal.jsonl'"
        );
        assert_eq!(
            resume_command(
                &given(&["ghpkg", "apply", "p.json", "--yes", "--journal", "j"]),
                journal
            ),
            "ghpkg apply p.json --yes --journal j"
        );
        assert_eq!(
            resume_command(
                &given(&["ghpkg", "apply", "p.json", "--journal=j", "-y"]),
                journal
            ),
            "ghpkg apply p.json --journal=j -y"
        );
    }
}
