//! Which of ghpkg's two files a path holds, a plan (`prune --plan-out`) or
//! a journal (`prune --yes`), so that giving one to the command that takes
//! the other is answered with the command that takes it.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// A file ghpkg writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Plan,
    Journal,
}

/// What `path` holds, if it is recognisably one of ghpkg's files: a
/// journal's first line is its header record; a plan is one JSON document
/// of format `ghpkg-plan`.
pub(crate) fn kind_of(path: &Path) -> Option<Kind> {
    let file = std::fs::File::open(path).ok()?;
    let mut first = String::new();
    BufReader::new(file.take(64 * 1024))
        .read_line(&mut first)
        .ok()?;
    let header: Option<serde_json::Value> = serde_json::from_str(first.trim()).ok();
    if header.is_some_and(|h| h["record"] == "header") {
        return Some(Kind::Journal);
    }
    let text = std::fs::read_to_string(path).ok()?;
    let plan: serde_json::Value = serde_json::from_str(&text).ok()?;
    (plan["format"] == github_packages_retention::PLAN_FORMAT).then_some(Kind::Plan)
}

/// For `apply PATH` that failed to read a plan: what to run instead when
/// the file is a journal.
pub(crate) fn not_a_plan(path: &Path) -> Option<String> {
    (kind_of(path)? == Kind::Journal).then(|| {
        let quoted = crate::shell::quote(&path.display().to_string());
        format!(
            "{} is a prune journal, not a plan: `ghpkg undo {quoted}` restores what it \
             records, and the prune that wrote it continues with `--journal {quoted}`; apply \
             takes the file `ghpkg prune ... --plan-out FILE` writes",
            path.display()
        )
    })
}

/// For `undo PATH` that failed to read a journal: what to run instead when
/// the file is a plan.
pub(crate) fn not_a_journal(path: &Path) -> Option<String> {
    (kind_of(path)? == Kind::Plan).then(|| {
        let quoted = crate::shell::quote(&path.display().to_string());
        format!(
            "{} is a plan, not a journal: `ghpkg apply {quoted}` shows what it deletes (add \
             --yes to delete); undo takes the journal a prune or an apply with --yes wrote",
            path.display()
        )
    })
}
