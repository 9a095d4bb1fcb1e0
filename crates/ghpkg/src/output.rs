//! Printing results: aligned tables for people, one JSON document for
//! programs (`--json`). Results go to stdout; progress, warnings and errors
//! go to stderr so `--json` output stays parseable.
//!
//! Nothing here panics when stdout is closed early (`ghpkg ... | head`): every
//! write returns the error, which `main` turns into a quiet exit; except in
//! a run that deletes or restores ([`finish_despite_closed_stdout`]), which
//! goes on without stdout and reports its outcome on stderr.
//!
//! Every result goes through [`write_out`], so `ghpkg demo` can run a command
//! inside [`capture`] and show a summary of a long result instead.

use std::cell::RefCell;
use std::future::Future;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// `2025-06-01T12:00:00Z`.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Tags for a table cell: comma-separated, `-` for none.
pub(crate) fn tags(tags: &[String]) -> String {
    if tags.is_empty() {
        "-".to_owned()
    } else {
        tags.iter()
            .map(|t| short_tag(t))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A referrer tag (`sha256-<64 hex>.sig`) with its digest shortened, as
/// digests are in tables; any other tag whole.
fn short_tag(tag: &str) -> String {
    match github_packages_retention::referrer_tag(tag) {
        Some(_) => {
            let rest = &tag["sha256-".len() + 64..];
            format!(
                "sha256-{}…{rest}",
                &tag["sha256-".len().."sha256-".len() + 12]
            )
        }
        None => tag.to_owned(),
    }
}

tokio::task_local! {
    /// What a command run inside [`capture`] printed on stdout.
    static CAPTURED: RefCell<Vec<u8>>;
}

/// Whether a closed stdout is ignored rather than ending the command.
static FINISH_DESPITE_CLOSED: AtomicBool = AtomicBool::new(false);
/// Whether stdout's reader has gone away.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// From now on a closed stdout does not end the command: what would go
/// there is dropped. For runs that delete or restore, which finish what the
/// user confirmed (the reader leaving is no request to stop; Ctrl-C is) and
/// then report through [`outcome`].
pub(crate) fn finish_despite_closed_stdout() {
    FINISH_DESPITE_CLOSED.store(true, Ordering::Relaxed);
}

/// Whether stdout's reader has gone away.
pub(crate) fn stdout_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// The closing line of a run that deleted or restored: on stdout, and on
/// stderr too once stdout's reader has gone, so the outcome is never lost.
pub(crate) fn outcome(line: &str) -> io::Result<()> {
    write_line(format_args!("{line}"))?;
    if stdout_closed() {
        eprintln!("{line}");
    }
    Ok(())
}

/// Writes `bytes` to stdout, or to the capture if the task runs inside
/// [`capture`].
fn write_out(bytes: &[u8]) -> io::Result<()> {
    let written = match CAPTURED.try_with(|captured| captured.borrow_mut().extend_from_slice(bytes))
    {
        Ok(()) => return Ok(()),
        Err(_not_captured) if stdout_closed() => Err(io::ErrorKind::BrokenPipe.into()),
        Err(_not_captured) => io::stdout().lock().write_all(bytes),
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            if FINISH_DESPITE_CLOSED.load(Ordering::Relaxed) {
                Ok(())
            } else {
                Err(e)
            }
        }
        other => other,
    }
}

/// Runs `command`, keeping what it prints on stdout (stderr is left alone);
/// returns its outcome and that output.
pub(crate) async fn capture<F: Future>(command: F) -> (F::Output, String) {
    let (outcome, bytes) = CAPTURED
        .scope(RefCell::new(Vec::new()), async {
            let outcome = command.await;
            (outcome, CAPTURED.with(RefCell::take))
        })
        .await;
    (outcome, String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes one line to stdout, returning (not panicking on) a closed pipe.
/// Use through [`out!`].
pub(crate) fn write_line(args: std::fmt::Arguments<'_>) -> io::Result<()> {
    let mut line = args.to_string();
    line.push('\n');
    write_out(line.as_bytes())
}

/// `println!` that returns an `io::Result` instead of panicking when stdout
/// is closed.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// `1 version`, `0 versions`, `12 versions`.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Writes `value` as pretty JSON followed by a newline, in one write:
/// stdout is line-buffered, and a large report would otherwise be a write
/// per line.
pub(crate) fn json(value: &impl Serialize) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(64 * 1024);
    serde_json::to_writer_pretty(&mut buffer, value)?;
    buffer.push(b'\n');
    write_out(&buffer)
}

/// Writes `value` as JSON on a single line, for a program that reads the
/// output of a process that keeps running (`ghpkg fake serve --json`).
pub(crate) fn json_line(value: &impl Serialize) -> io::Result<()> {
    let mut buffer = serde_json::to_vec(value)?;
    buffer.push(b'\n');
    write_out(&buffer)
}

/// Columns padded to their widest cell; the last column is not padded.
#[derive(Debug)]
pub(crate) struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|s| (*s).to_owned()).collect()],
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let pad = widths[c] - cell.chars().count();
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad + 2));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    pub(crate) fn print(&self) -> io::Result<()> {
        write_out(self.render().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let mut t = Table::new(&["ID", "NAME"]);
        t.row(vec!["1".into(), "app".into()]);
        t.row(vec!["12345".into(), "é".into()]);
        assert_eq!(t.render(), "ID     NAME\n1      app\n12345  é\n");
    }

    #[test]
    fn referrer_tags_are_shortened_in_tables() {
        let sig = format!("sha256-{}.sig", "ab".repeat(32));
        assert_eq!(tags(&[sig, "v1".to_owned()]), "sha256-abababababab….sig,v1");
        assert_eq!(tags(&[]), "-");
        assert_eq!(tags(&["sha256-abc.sig".to_owned()]), "sha256-abc.sig");
    }

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(plural(0, "version"), "0 versions");
        assert_eq!(plural(1, "version"), "1 version");
        assert_eq!(plural(2, "version"), "2 versions");
    }
}
