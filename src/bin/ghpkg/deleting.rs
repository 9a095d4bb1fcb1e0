//! Deleting planned versions of one package, the part `prune --yes` and
//! `apply --yes` share: each version is read again right before its DELETE
//! (after the write pacing) and skipped if it changed since the plan; an
//! `intent` record is on disk before each DELETE and its outcome after it.

use chrono::Utc;
use github_packages::{Error, PackagesHandler};

use crate::journal::{Record, Writer};
use crate::output;
use crate::planning::Target;
use crate::policy::tags_of;
use crate::progress::Progress;
use crate::report::{FailedRef, PackageReport, SkippedRef, VersionRef};
use crate::{Ctx, Failure, describe};

/// This many identical failures in a row stop a package: the cause is not
/// the versions but something every delete meets.
const MAX_SAME_FAILURES: usize = 5;

/// Errors about one version (it is gone, or GitHub refuses this one), after
/// which the deletes go on; anything else would hit every version alike.
pub(crate) fn is_version_specific(e: &Error) -> bool {
    e.is_not_found() || e.is_rejected()
}

/// Errors that no other package would escape either: the token, the
/// network, the rate limit.
fn stops_the_run(e: &Error) -> bool {
    e.is_rate_limited()
        || e.is_unauthorized()
        || e.is_forbidden()
        || matches!(e, Error::MissingScope { .. } | Error::Transport { .. })
}

/// Why deleting stopped before the end.
#[derive(Debug)]
pub(crate) enum Stopped {
    /// This package cannot go on; the others may.
    Package(String),
    /// Nothing can go on: the next package would meet the same error.
    Run(String),
}

/// How one planned delete ended, short of a failure.
enum Step {
    Deleted,
    /// The DELETE answered 404.
    Gone,
    /// Not sent: the version changed since the plan; why.
    Skipped(String),
}

/// Why a planned version must now be left alone, if it must: the plan was
/// made from a listing that may be minutes old, and a version may have been
/// tagged (or re-tagged to match --exclude-tag) or deleted since.
///
/// The write pacing is waited out first (and the slot booked), so the read
/// is one round trip before the DELETE rather than a pacing interval.
async fn changed_since_plan(
    ctx: &Ctx,
    packages: &PackagesHandler,
    target: &Target<'_>,
    version: &VersionRef,
) -> Result<Option<String>, Error> {
    ctx.client.reserve_write().await;
    let current = match packages
        .version(target.kind, target.name, version.id)
        .get()
        .await
    {
        Ok(current) => current,
        Err(error) if error.is_not_found() => {
            return Ok(Some(
                "no longer exists (404 when checked before the delete)".into(),
            ));
        }
        Err(error) => return Err(error),
    };
    if current.deleted_at.is_some() {
        return Ok(Some("already deleted".into()));
    }
    let now = tags_of(&current);
    let sorted = |tags: &[String]| {
        let mut tags = tags.to_vec();
        tags.sort();
        tags
    };
    if sorted(&version.tags) != sorted(&now) {
        return Ok(Some(format!(
            "tags changed since the plan: {} then, {} now",
            output::tags(&version.tags),
            output::tags(&now)
        )));
    }
    Ok(None)
}

/// Deletes `versions` of `target` in the order given (oldest first), except
/// that a referrer planned to go with its subject comes after the rest and
/// goes only if its subject was deleted (or found gone) in this run: a
/// subject skipped or refused keeps its signatures and attestations.
/// Everything is recorded in `journal` (each record naming its package, so
/// a journal continued by a run over other packages stays exact) and in
/// `report`.
///
/// # Errors
///
/// Only a journal that cannot be written: without it there is no undo.
pub(crate) async fn delete_versions(
    ctx: &Ctx,
    target: &Target<'_>,
    versions: &[VersionRef],
    journal: &mut Writer,
    report: &mut PackageReport,
) -> Result<Option<Stopped>, Failure> {
    let progress = Progress::bar("deleting", versions.len());
    let packages = ctx.client.packages(target.scope);
    let package = Some(target.name.to_owned());
    let mut versions: Vec<&VersionRef> = versions.iter().collect();
    versions.sort_by_key(|v| v.subject.is_some());
    // Digests deleted or found gone in this run.
    let mut removed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut append = |record: Record| journal.append(&record).map_err(Failure::Failed);
    // The last failure (status and GitHub's message) and how many times in a
    // row it came.
    let mut last_failure: Option<(Option<u16>, Option<String>)> = None;
    let mut same_failures = 0;
    let mut stopped = None;
    for (index, version) in versions.iter().copied().enumerate() {
        let subject_stays = version
            .subject
            .as_deref()
            .is_some_and(|subject| !removed.contains(subject));
        let checked = if subject_stays {
            Ok(Some(format!(
                "its subject {} was not deleted in this run, so it stays with it",
                crate::policy::short_digest(version.subject.as_deref().unwrap_or_default())
            )))
        } else {
            changed_since_plan(ctx, &packages, target, version).await
        };
        let step = match checked {
            Err(error) => Err(error),
            Ok(Some(reason)) => Ok(Step::Skipped(reason)),
            Ok(None) => {
                append(Record::Intent {
                    id: version.id,
                    name: version.name.clone(),
                    tags: version.tags.clone(),
                    package: package.clone(),
                    at: Utc::now(),
                })?;
                match packages
                    .version(target.kind, target.name, version.id)
                    .delete()
                    .await
                {
                    Ok(()) => Ok(Step::Deleted),
                    // A retried DELETE whose first answer was lost meets a
                    // 404: the version is gone, maybe by our own hand.
                    Err(error) if error.is_not_found() => Ok(Step::Gone),
                    Err(error) => Err(error),
                }
            }
        };
        progress.inc(1);
        match step {
            Ok(Step::Deleted) => {
                append(Record::Deleted {
                    id: version.id,
                    at: Utc::now(),
                })?;
                removed.insert(&version.name);
                report.deleted.push(version.clone());
                last_failure = None;
                same_failures = 0;
            }
            Ok(Step::Gone) => {
                append(Record::Gone {
                    id: version.id,
                    note: "the DELETE answered 404: already deleted, or not visible to the token"
                        .into(),
                    at: Utc::now(),
                })?;
                removed.insert(&version.name);
                report.gone.push(version.clone());
            }
            Ok(Step::Skipped(reason)) => {
                append(Record::Skipped {
                    id: version.id,
                    name: version.name.clone(),
                    tags: version.tags.clone(),
                    reason: reason.clone(),
                    package: package.clone(),
                    at: Utc::now(),
                })?;
                report.skipped.push(SkippedRef {
                    id: version.id,
                    name: version.name.clone(),
                    tags: version.tags.clone(),
                    reason,
                });
            }
            Err(error) => {
                let message = describe(&error);
                append(Record::Failed {
                    id: version.id,
                    error: message.clone(),
                    at: Utc::now(),
                })?;
                report.failed.push(FailedRef {
                    id: version.id,
                    name: version.name.clone(),
                    tags: version.tags.clone(),
                    error: message.clone(),
                });
                let key = (
                    error.status().map(|s| s.as_u16()),
                    error.message().map(str::to_owned),
                );
                if last_failure.as_ref() == Some(&key) {
                    same_failures += 1;
                } else {
                    last_failure = Some(key);
                    same_failures = 1;
                }
                stopped = if stops_the_run(&error) {
                    Some(Stopped::Run(message))
                } else if !is_version_specific(&error) {
                    Some(Stopped::Package(message))
                } else if same_failures >= MAX_SAME_FAILURES {
                    Some(Stopped::Package(format!(
                        "{same_failures} deletes in a row failed the same way ({message}), so \
                         the cause is not the versions"
                    )))
                } else {
                    None
                };
                if stopped.is_some() {
                    report.not_attempted =
                        versions[index + 1..].iter().map(|v| (*v).clone()).collect();
                    break;
                }
            }
        }
    }
    progress.finish();
    Ok(stopped)
}

/// The deletes of a whole run: several packages, one journal.
#[derive(Debug)]
pub(crate) struct Run<'a> {
    pub(crate) scope: &'a github_packages::Scope,
    pub(crate) kind: github_packages::PackageType,
    /// The owner's login, when known (for `--me`, learned from GitHub).
    pub(crate) login: Option<&'a str>,
    pub(crate) journal: &'a std::path::Path,
    /// The command that continues the run, to name in advice
    /// (`the same command`, `ghpkg apply PLAN --yes`).
    pub(crate) again: &'a str,
}

/// Deletes `work` (an index into `report.packages` and that package's
/// versions, oldest first) package by package into one journal. A package
/// that fails does not stop the others, unless its error would stop them
/// too (token, network, rate limit). Returns the problems of the run as a
/// whole; each package's own go into its report.
///
/// # Errors
///
/// The journal cannot be opened or written.
pub(crate) async fn delete_all(
    ctx: &Ctx,
    run: &Run<'_>,
    work: Vec<(usize, Vec<VersionRef>)>,
    report: &mut crate::report::Report,
    mut print: bool,
) -> Result<Vec<String>, Failure> {
    use crate::journal::Header;
    use crate::output::plural;
    let names: Vec<String> = work
        .iter()
        .map(|(i, _)| report.packages[*i].package.name.clone())
        .collect();
    let several = names.len() > 1;
    let Some(first) = names.first() else {
        return Ok(Vec::new());
    };
    let mut header = Header::new(run.scope, run.login, run.kind, first, &ctx.api_url());
    if several {
        header.packages = names.clone();
    }
    let mut journal = Writer::open_for_prune(run.journal, &header).map_err(Failure::Failed)?;
    report.journal = Some(journal.path().display().to_string());
    eprintln!("journal: {}", journal.path().display());
    let undo = crate::undo::command(run.journal);
    let mut problems: Vec<String> = Vec::new();
    let mut stopped_run = false;
    for (index, versions) in work {
        let package = &mut report.packages[index];
        if stopped_run {
            package.not_attempted = versions;
            package.fail("not attempted: the run stopped earlier".to_owned());
            continue;
        }
        let name = package.package.name.clone();
        let target = Target {
            scope: run.scope,
            kind: run.kind,
            name: &name,
        };
        let stopped = delete_versions(ctx, &target, &versions, &mut journal, package).await?;
        let done = package.deleted.len();
        let of = plural(versions.len(), "delete");
        match stopped {
            Some(Stopped::Run(why)) => {
                stopped_run = true;
                package.fail(format!("stopped after {done} of {of}: {why}"));
            }
            Some(Stopped::Package(why)) => {
                package.fail(format!("stopped after {done} of {of}: {why}"));
            }
            None if !package.failed.is_empty() => {
                let failed = package.failed.len();
                package.fail(format!("{failed} of {of} failed"));
            }
            None => {}
        }
        // A reader gone from stdout must not end the deletes half way: stop
        // printing, go on, and let the exit code tell.
        if print && several && crate::report::print_outcome(package).is_err() {
            print = false;
        }
    }
    let unfinished = report
        .packages
        .iter()
        .any(|p| !p.not_attempted.is_empty() || !p.failed.is_empty());
    if unfinished {
        problems.push(format!(
            "run {} again with --journal {} to continue, or `{undo}` to restore what was \
             deleted",
            run.again,
            run.journal.display()
        ));
    }
    Ok(problems)
}
