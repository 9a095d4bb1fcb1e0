//! The deletes `prune --yes` and `apply --yes` share: one journal for the
//! run, the engine's executor, each package's outcome into the report, and
//! the advice to continue or undo when something was left undone.

use std::path::Path;

use github_packages::{PackageType, Scope};
use github_packages_retention::journal::{self, Header};
use github_packages_retention::{Executor, Work};

use crate::context::{Ctx, Failure};
use crate::output::plural;
use crate::progress::Bars;
use crate::report::Report;

/// The deletes of a whole run: several packages, one journal.
#[derive(Debug)]
pub(crate) struct Run<'a> {
    pub(crate) scope: &'a Scope,
    pub(crate) kind: PackageType,
    /// The owner's login, when known (for `--me`, learned from GitHub).
    pub(crate) login: Option<&'a str>,
    /// `--journal`, if given.
    pub(crate) journal: Option<&'a Path>,
}

/// Deletes `work` into one journal and records each package's outcome in
/// `report`. Returns the problems of the run as a whole; each package's
/// own are in its report. A run stopped by Ctrl-C sets `report.interrupted`.
///
/// # Errors
///
/// The token lacks `delete:packages` (known from GitHub's answers so far),
/// or the journal cannot be opened or written.
pub(crate) async fn delete(
    ctx: &Ctx,
    run: &Run<'_>,
    mut work: Vec<Work>,
    report: &mut Report,
) -> Result<Vec<String>, Failure> {
    work.retain(|w| !w.versions.is_empty());
    let names: Vec<String> = work.iter().map(|w| w.target.name.clone()).collect();
    let Some(first) = names.first() else {
        return Ok(Vec::new());
    };
    // A classic token names its scopes on every answer: a prune that would
    // fail at its first DELETE stops here instead.
    ctx.client.check_scopes(crate::context::DELETE)?;
    let path = journal::path_for(run.journal, run.login, &names);
    let mut header = Header::new(run.scope, run.login, run.kind, first, &ctx.api_url());
    if names.len() > 1 {
        header.packages = names.clone();
    }
    let planned = report.planned();
    let observer = Bars::new().printing_outcomes(!ctx.json && names.len() > 1);
    let outcome = Executor::new(&ctx.client, ctx.stop.clone())
        .run(&header, &path, work, &observer)
        .await?;
    report.journal = Some(path.display().to_string());
    for package in &outcome.packages {
        if let Some(entry) = report.package_mut(&package.target.name) {
            entry.record(package);
        }
    }
    if !ctx.json {
        // The deletes are done, so a reader gone from stdout changes
        // nothing: the exit code still tells.
        let _ = crate::report::print_run_outcome(report, planned, &path);
    }
    let mut problems = Vec::new();
    if !outcome.is_unfinished() {
        return Ok(problems);
    }
    let resume = crate::interrupt::resume_command(&ctx.command_line, &path);
    let undo = crate::undo::command(&path);
    if ctx.stop.is_requested() {
        let done = format!(
            "interrupted: deleted {} of {}, then sent nothing more",
            report.deleted(),
            plural(planned, "version")
        );
        problems.push(format!(
            "{done}; journal {}; to continue: `{resume}`; to undo: `{undo}`",
            path.display()
        ));
        report.interrupted = Some(format!(
            "{done}\n  journal:      {}\n  to continue:  {resume}\n  to undo:      {undo}",
            path.display()
        ));
    } else {
        problems.push(format!(
            "to continue, run `{resume}`; to restore what was deleted, `{undo}`"
        ));
    }
    Ok(problems)
}
