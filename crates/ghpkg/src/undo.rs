//! `ghpkg undo <journal>`: restore what a prune deleted, at the API the
//! journal names. The engine restores and records (`undo::restore`); this
//! file decides where the token may go, and renders.

use std::path::Path;

use clap::parser::ValueSource;
use github_packages_retention::journal::{Journal, Pending};
use github_packages_retention::normalized;
use github_packages_retention::undo::{self, Settled, UndoReport};
use serde::Serialize;

use crate::context::{Ctx, Failure, Outcome, advice};
use crate::output::out;
use crate::output::{self, Table, plural};
use crate::progress::{Bars, warn_about_fragments};
use crate::report::{FailedRef, VersionRef};

/// The `--json` document of an undo.
#[derive(Debug, Default, Serialize)]
struct Report {
    dry_run: bool,
    restored: Vec<VersionRef>,
    already_active: Vec<VersionRef>,
    not_deleted: Vec<VersionRef>,
    failed: Vec<FailedRef>,
    would_restore: Vec<VersionRef>,
}

fn version_ref(p: &Pending) -> VersionRef {
    VersionRef {
        id: p.id,
        name: p.name.clone(),
        tags: p.tags.clone(),
        package: p.package.clone(),
    }
}

/// The API URL an undo of `path` must use: the one in the journal's header.
/// `given` is the `--api-url` value and `source` where it came from. Given
/// on the command line, or in GITHUB_API_URL (which says where the token in
/// the environment belongs; GitHub Actions always sets it), it must match
/// the header, so a journal cannot take a token meant for one API to
/// another. With neither (clap's default, or an empty GITHUB_API_URL) the
/// header decides, and the URL is named on stderr when it is not the
/// default.
pub(crate) fn api_url(
    path: &Path,
    given: &str,
    source: Option<ValueSource>,
) -> Result<String, Failure> {
    let journal = read_journal(path)?;
    let Some(header) = journal.header else {
        // Nothing to restore, so nothing is sent anywhere.
        return Ok(given.to_owned());
    };
    let theirs = normalized(&header.api_url);
    let ours = normalized(given);
    let flag = match source {
        Some(ValueSource::CommandLine) => "--api-url",
        Some(ValueSource::EnvVariable) if !given.trim().is_empty() => "GITHUB_API_URL",
        _ => {
            if theirs != ours {
                eprintln!("using the journal's API, {theirs}");
            }
            return Ok(theirs);
        }
    };
    if theirs != ours {
        return Err(Failure::Usage(format!(
            "{} was written against {theirs}, but {flag} is {ours}; if you trust the journal \
             with your token, pass --api-url {theirs}",
            path.display()
        )));
    }
    Ok(theirs)
}

/// The journal at `path`; a plan given instead is named as such.
fn read_journal(path: &Path) -> Result<Journal, Failure> {
    Journal::read(path).map_err(|e| match crate::files::not_a_journal(path) {
        Some(instead) => Failure::Usage(instead),
        None => Failure::Failed(e),
    })
}

/// The command that undoes `path`, quoted for a POSIX shell if it must be,
/// so it works when pasted as printed.
pub(crate) fn command(path: &Path) -> String {
    format!(
        "ghpkg undo {}",
        crate::shell::quote(&path.display().to_string())
    )
}

pub(crate) async fn run(ctx: &Ctx, path: &Path, dry_run: bool) -> Outcome {
    let journal = read_journal(path)?;
    warn_about_fragments(path, &journal.fragments);
    let Some(header) = &journal.header else {
        return nothing_recorded(ctx, path, dry_run);
    };
    let what = match header.packages.len() {
        0 | 1 => format!("{} package {}", header.package_type, header.package),
        n => format!("{n} {} packages", header.package_type),
    };
    if dry_run {
        return show_pending(ctx, &journal, &what);
    }
    let observer = Bars::new();
    let outcome = undo::restore(&ctx.client, path, &journal, &observer, &ctx.stop).await?;
    let report = report_of(&outcome);
    let pending = outcome.versions.len() + outcome.not_attempted.len();
    let line = match pending {
        0 => "nothing to restore: every version the journal records is settled".to_owned(),
        n => format!(
            "restored {} of {} of {what}",
            report.restored.len(),
            plural(n, "version")
        ),
    };
    if ctx.json {
        output::json(&report)?;
        // The document went nowhere; the outcome still goes somewhere.
        if output::stdout_closed() {
            eprintln!("{line}");
        }
    } else {
        output::outcome(&line)?;
        show_outcome(&report)?;
    }
    verdict(path, &outcome)
}

/// A journal without a complete record: the prune stopped before its first
/// delete.
fn nothing_recorded(ctx: &Ctx, path: &Path, dry_run: bool) -> Outcome {
    if ctx.json {
        output::json(&Report {
            dry_run,
            ..Report::default()
        })?;
    } else {
        out!(
            "nothing to restore: {} holds no complete record, so the prune stopped before its \
             first delete",
            path.display()
        )?;
    }
    Ok(())
}

/// `undo --dry-run`: what would be restored.
fn show_pending(ctx: &Ctx, journal: &Journal, what: &str) -> Outcome {
    let pending = journal.pending();
    let report = Report {
        dry_run: true,
        would_restore: pending.iter().map(version_ref).collect(),
        ..Report::default()
    };
    if ctx.json {
        return Ok(output::json(&report)?);
    }
    let scope = journal
        .header
        .as_ref()
        .and_then(|h| h.scope().ok())
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    if pending.is_empty() {
        out!("nothing to restore: every version the journal records is settled")?;
        return Ok(());
    }
    out!(
        "would restore {} of {what}{scope}",
        plural(pending.len(), "version")
    )?;
    let default = journal
        .header
        .as_ref()
        .map(|h| h.package.clone())
        .unwrap_or_default();
    let mut table = Table::new(&["PACKAGE", "ID", "TAGS", "STATE", "NAME"]);
    for p in &pending {
        let state = if p.confirmed {
            "deleted"
        } else if p.gone {
            "DELETE answered 404"
        } else {
            "delete may not have run"
        };
        table.row(vec![
            p.package.clone().unwrap_or_else(|| default.clone()),
            p.id.to_string(),
            output::tags(&p.tags),
            state.into(),
            p.name.clone(),
        ]);
    }
    Ok(table.print()?)
}

fn report_of(outcome: &UndoReport) -> Report {
    let mut report = Report::default();
    for (p, settled) in &outcome.versions {
        match settled {
            Settled::Restored => report.restored.push(version_ref(p)),
            Settled::AlreadyActive => report.already_active.push(version_ref(p)),
            Settled::NotDeleted { .. } => report.not_deleted.push(version_ref(p)),
            Settled::Failed { message, error, .. } => report.failed.push(FailedRef {
                id: p.id,
                name: p.name.clone(),
                tags: p.tags.clone(),
                error: format!("{message}{}", advice(error)),
            }),
            _ => {}
        }
    }
    report
}

/// A row per version that was not simply restored.
fn show_outcome(report: &Report) -> Outcome {
    let mut table = Table::new(&["OUTCOME", "ID", "NAME", "DETAIL"]);
    let mut rows = 0;
    let mut row = |outcome: &str, id: i64, name: &str, detail: &str| {
        table.row(vec![
            outcome.to_owned(),
            id.to_string(),
            name.to_owned(),
            detail.to_owned(),
        ]);
        rows += 1;
    };
    for v in &report.already_active {
        row("already active", v.id, &v.name, "GitHub shows it active");
    }
    for v in &report.not_deleted {
        row("not deleted", v.id, &v.name, "its delete never happened");
    }
    for f in &report.failed {
        row("failed", f.id, &f.name, &f.error);
    }
    if rows > 0 {
        table.print()?;
    }
    Ok(())
}

/// The exit status of an undo, with what to do when it is not whole.
fn verdict(path: &Path, outcome: &UndoReport) -> Outcome {
    let total = plural(
        outcome.versions.len() + outcome.not_attempted.len(),
        "restore",
    );
    if outcome.interrupted && !outcome.not_attempted.is_empty() {
        return Err(Failure::Interrupted(format!(
            "interrupted: settled {} of {total}, then sent nothing more\n  journal:      {}\n  \
             to continue:  {}",
            outcome.versions.len(),
            path.display(),
            command(path)
        )));
    }
    let failed = outcome.count(|s| matches!(s, Settled::Failed { .. }));
    if let Some((_, Settled::Failed { message, .. })) = outcome
        .versions
        .last()
        .filter(|_| !outcome.not_attempted.is_empty())
    {
        return Err(Failure::Failed(format!(
            "stopped after {} of {total}: {message}. Run `{}` again to retry the rest",
            outcome.versions.len(),
            command(path)
        )));
    }
    if failed > 0 {
        return Err(Failure::Failed(format!(
            "{failed} of {total} failed; run `{}` again to retry them",
            command(path)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_command_survives_a_shell() {
        assert_eq!(
            command(Path::new("ghpkg-journal-acme-app-20250601T120000Z.jsonl")),
            "ghpkg undo ghpkg-journal-acme-app-20250601T120000Z.jsonl"
        );
        assert_eq!(
            command(Path::new("/tmp/my journal's.jsonl")),
            r"ghpkg undo '/tmp/my journal'\''s.jsonl'"
        );
    }
}
