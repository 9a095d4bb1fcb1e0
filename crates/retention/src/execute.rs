//! Deleting planned versions, package by package, into one journal: each
//! version is read again right before its DELETE (after the write pacing)
//! and skipped if it changed since the plan; an `intent` record is on disk
//! before each DELETE and its outcome after it. A stop request ends the run
//! after the request in flight.

use std::collections::HashSet;
use std::path::Path;

use chrono::Utc;
use github_packages::{Client, Error as ApiError};

use crate::decide::tags_of;
use crate::error::{Error, Result};
use crate::journal::{Header, Record, Writer};
use crate::observe::{Observer, Phase};
use crate::outcome::{Doomed, Failed, Halt, PackageOutcome, RunOutcome, SkipReason, Skipped};
use crate::planner::PackagePlan;
use crate::stop::Stop;
use crate::target::Target;

/// This many identical failures in a row stop a package: the cause is not
/// the versions but something every delete meets.
pub const MAX_SAME_FAILURES: usize = 5;

/// The deletes of one package, oldest first.
#[derive(Debug, Clone)]
pub struct Work {
    /// The package.
    pub target: Target,
    /// Its versions to delete, in the order to send them.
    pub versions: Vec<Doomed>,
}

impl Work {
    /// The deletes `planned` plans, oldest first.
    pub fn of(planned: &PackagePlan) -> Work {
        Work {
            target: planned.target.clone(),
            versions: planned
                .plan
                .deletions()
                .into_iter()
                .map(Doomed::from)
                .collect(),
        }
    }
}

/// Orders deletes so that each comes after everything it belongs to (its
/// `after` digests that are deleted in the same run), keeping the given
/// order otherwise: by depth in the graph, a stable sort.
fn order(versions: &mut [Doomed]) {
    let doomed: HashSet<&str> = versions.iter().map(|v| v.name.as_str()).collect();
    let mut depth: std::collections::HashMap<&str, usize> =
        versions.iter().map(|v| (v.name.as_str(), 0)).collect();
    // A chain is at most as long as the list; a loop stops growing there.
    for _ in 0..versions.len() {
        let mut changed = false;
        for v in versions.iter() {
            let below = v
                .after
                .iter()
                .filter(|a| doomed.contains(a.as_str()))
                .filter_map(|a| depth.get(a.as_str()))
                .max()
                .map_or(0, |d| d + 1);
            let here = depth.entry(v.name.as_str()).or_insert(0);
            if below > *here && below <= versions.len() {
                *here = below;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let depth: std::collections::HashMap<String, usize> =
        depth.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    versions.sort_by_key(|v| depth.get(&v.name).copied().unwrap_or(0));
}

/// Errors about one version (it is gone, or GitHub refuses this one), after
/// which the deletes go on; anything else would hit every version alike.
pub(crate) fn is_version_specific(e: &ApiError) -> bool {
    e.is_not_found() || e.is_rejected()
}

/// Errors that no other package would escape either: the token, the
/// network, the rate limit.
fn stops_the_run(e: &ApiError) -> bool {
    e.is_rate_limited()
        || e.is_unauthorized()
        || e.is_forbidden()
        || matches!(
            e,
            ApiError::MissingScope { .. } | ApiError::Transport { .. }
        )
}

/// Deletes planned versions with one client into one journal.
#[derive(Debug, Clone)]
pub struct Executor {
    client: Client,
    stop: Stop,
}

/// How one planned delete ended, short of a failure.
enum Step {
    Deleted,
    /// The DELETE answered 404.
    Gone,
    Skipped(SkipReason),
    /// A stop was requested before anything was sent for it.
    Interrupted,
}

impl Executor {
    /// An executor on `client` that obeys `stop`.
    pub fn new(client: &Client, stop: Stop) -> Executor {
        Executor {
            client: client.clone(),
            stop,
        }
    }

    /// Deletes `work` package by package into the journal at `journal`
    /// (created with `header`, or continued if it is the journal of the same
    /// run). A package that fails does not stop the others, unless its error
    /// would stop them too (token, network, rate limit) or a stop is
    /// requested.
    ///
    /// # Errors
    ///
    /// [`Error::Journal`] when the journal cannot be opened or written:
    /// without it there is no undo, so nothing more is deleted.
    pub async fn run(
        &self,
        header: &Header,
        journal: &Path,
        work: Vec<Work>,
        observer: &dyn Observer,
    ) -> Result<RunOutcome> {
        let journal_error = |problem: String| Error::Journal {
            path: journal.to_owned(),
            problem,
        };
        let (mut writer, fragments) =
            Writer::open_for_prune(journal, header).map_err(journal_error)?;
        observer.journal_opened(journal, &fragments);
        let mut packages = Vec::new();
        let mut run_stopped = false;
        for Work { target, versions } in work {
            let mut outcome = PackageOutcome::new(target.clone(), versions.len());
            if run_stopped {
                outcome.not_attempted = versions;
                outcome.halt = Some(Halt::NotStarted);
            } else {
                self.delete_versions(&target, versions, &mut writer, &mut outcome, observer)
                    .await
                    .map_err(journal_error)?;
                run_stopped = matches!(outcome.halt, Some(Halt::Run | Halt::Interrupted));
            }
            observer.package_finished(&outcome);
            packages.push(outcome);
        }
        Ok(RunOutcome {
            journal: journal.to_owned(),
            packages,
        })
    }

    /// Deletes what `plans` plan, package by package, into a new journal
    /// at `journal` (or continues it, if it is the journal of the same
    /// packages): the header is made from the plans and the client's API.
    ///
    /// # Errors
    ///
    /// As [`Executor::run`].
    pub async fn delete_planned(
        &self,
        plans: &[PackagePlan],
        journal: &Path,
        observer: &dyn Observer,
    ) -> Result<RunOutcome> {
        let Some(first) = plans.first() else {
            return Ok(RunOutcome {
                journal: journal.to_owned(),
                packages: Vec::new(),
            });
        };
        let login = plans.iter().find_map(|p| p.login.as_deref());
        let mut header = Header::new(
            &first.target.scope,
            login,
            first.target.package_type,
            &first.target.name,
            self.client.base_url().as_str(),
        );
        if plans.len() > 1 {
            header.packages = plans.iter().map(|p| p.target.name.clone()).collect();
        }
        let work = plans.iter().map(Work::of).collect();
        self.run(&header, journal, work, observer).await
    }

    /// Why a planned version must now be left alone, if it must: the plan
    /// was made from a listing that may be minutes old, and a version may
    /// have been tagged (or re-tagged to match an exclusion) or deleted
    /// since. `None` in the outer option: a stop was requested while
    /// waiting.
    ///
    /// The write pacing is waited out first (and the slot booked), so the
    /// read is one round trip before the DELETE rather than a pacing
    /// interval.
    async fn changed_since_plan(
        &self,
        target: &Target,
        version: &Doomed,
    ) -> Option<Result<Option<SkipReason>, ApiError>> {
        tokio::select! {
            biased;
            () = self.stop.requested() => return None,
            () = self.client.reserve_write() => {}
        }
        let current = match target.version(&self.client, version.id).get().await {
            Ok(current) => current,
            Err(error) if error.is_not_found() => {
                return Some(Ok(Some(SkipReason::NoLongerExists)));
            }
            Err(error) => return Some(Err(error)),
        };
        if current.deleted_at.is_some() {
            return Some(Ok(Some(SkipReason::AlreadyDeleted)));
        }
        let now = tags_of(&current);
        let sorted = |tags: &[String]| {
            let mut tags = tags.to_vec();
            tags.sort();
            tags
        };
        if sorted(&version.tags) != sorted(&now) {
            return Some(Ok(Some(SkipReason::TagsChanged {
                then: version.tags.clone(),
                now,
            })));
        }
        Some(Ok(None))
    }

    /// One version: checked, announced in the journal, deleted.
    async fn step(
        &self,
        target: &Target,
        version: &Doomed,
        removed: &HashSet<String>,
        journal: &mut Writer,
    ) -> Result<Result<Step, ApiError>, String> {
        if let Some(owner) = version.after.iter().find(|o| !removed.contains(*o)) {
            return Ok(Ok(Step::Skipped(SkipReason::OwnerNotDeleted {
                owner: owner.clone(),
            })));
        }
        let checked = match self.changed_since_plan(target, version).await {
            None => return Ok(Ok(Step::Interrupted)),
            Some(checked) => checked,
        };
        match checked {
            Err(error) => return Ok(Err(error)),
            Ok(Some(reason)) => return Ok(Ok(Step::Skipped(reason))),
            Ok(None) => {}
        }
        // The last moment to stop without sending anything new.
        if self.stop.is_requested() {
            return Ok(Ok(Step::Interrupted));
        }
        journal.append(&Record::Intent {
            id: version.id,
            name: version.name.clone(),
            tags: version.tags.clone(),
            package: Some(target.name.clone()),
            at: Utc::now(),
        })?;
        Ok(
            match target.version(&self.client, version.id).delete().await {
                Ok(()) => Ok(Step::Deleted),
                // A retried DELETE whose first answer was lost meets a 404: the
                // version is gone, maybe by our own hand.
                Err(error) if error.is_not_found() => Ok(Step::Gone),
                Err(error) => Err(error),
            },
        )
    }

    /// Deletes `versions` of `target` in the order given (oldest first),
    /// except that a part or referrer planned to go with what it belongs to
    /// comes after it (an index before its images, an image before its
    /// signature) and goes only if that was deleted (or found gone) in this
    /// run: an image skipped or refused keeps its parts, signatures and
    /// attestations. Records name their package, so a journal continued by
    /// a run over other packages stays exact.
    async fn delete_versions(
        &self,
        target: &Target,
        mut versions: Vec<Doomed>,
        journal: &mut Writer,
        outcome: &mut PackageOutcome,
        observer: &dyn Observer,
    ) -> Result<(), String> {
        observer.started(Phase::Deleting, Some(versions.len()));
        order(&mut versions);
        let package = Some(target.name.clone());
        // Digests deleted or found gone in this run.
        let mut removed: HashSet<String> = HashSet::new();
        // The last failure (status and GitHub's message) and how many times
        // in a row it came.
        let mut last_failure: Option<(Option<u16>, Option<String>)> = None;
        let mut same_failures = 0;
        let mut rest = versions.into_iter();
        for version in rest.by_ref() {
            if self.stop.is_requested() {
                outcome.halt = Some(Halt::Interrupted);
                outcome.not_attempted.push(version);
                break;
            }
            let step = self.step(target, &version, &removed, journal).await?;
            observer.advanced(Phase::Deleting, 1);
            match step {
                Ok(Step::Interrupted) => {
                    outcome.halt = Some(Halt::Interrupted);
                    outcome.not_attempted.push(version);
                    break;
                }
                Ok(Step::Deleted) => {
                    journal.append(&Record::Deleted {
                        id: version.id,
                        at: Utc::now(),
                    })?;
                    removed.insert(version.name.clone());
                    outcome.deleted.push(version);
                    last_failure = None;
                    same_failures = 0;
                }
                Ok(Step::Gone) => {
                    journal.append(&Record::Gone {
                        id: version.id,
                        note: "the DELETE answered 404: already deleted, or not visible to the \
                               token"
                            .into(),
                        at: Utc::now(),
                    })?;
                    removed.insert(version.name.clone());
                    outcome.gone.push(version);
                }
                Ok(Step::Skipped(reason)) => {
                    journal.append(&Record::Skipped {
                        id: version.id,
                        name: version.name.clone(),
                        tags: version.tags.clone(),
                        reason: reason.to_string(),
                        package: package.clone(),
                        at: Utc::now(),
                    })?;
                    outcome.skipped.push(Skipped { version, reason });
                }
                Err(error) => {
                    journal.append(&Record::Failed {
                        id: version.id,
                        error: error.to_string(),
                        at: Utc::now(),
                    })?;
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
                    outcome.halt = if stops_the_run(&error) {
                        Some(Halt::Run)
                    } else if !is_version_specific(&error) {
                        Some(Halt::Package)
                    } else if same_failures >= MAX_SAME_FAILURES {
                        Some(Halt::Repeated {
                            count: same_failures,
                        })
                    } else {
                        None
                    };
                    outcome.failed.push(Failed { version, error });
                    if outcome.halt.is_some() {
                        break;
                    }
                }
            }
        }
        outcome.not_attempted.extend(rest);
        observer.finished(Phase::Deleting);
        Ok(())
    }
}
