//! Undo: restore what a run deleted, from its journal, recording each
//! version settled in the same journal, so a second undo only retries what
//! is left and an interrupted one converges.

use std::path::Path;

use chrono::Utc;
use github_packages::{Client, Error as ApiError, PackageType, Scope};

use crate::error::{Error, Result};
use crate::execute::is_version_specific;
use crate::journal::{Journal, Pending, Record, UndoOutcome, Writer};
use crate::observe::{Observer, Phase};
use crate::stop::Stop;
use crate::target::Target;

/// How one version of an undo ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum Settled {
    /// Restored.
    Restored,
    /// GitHub would not restore it because it is active, after a confirmed
    /// delete (an earlier undo restored it and was stopped before recording
    /// so, or someone restored it by hand).
    AlreadyActive,
    /// Its delete was never confirmed and GitHub would not restore it.
    /// `certain` when GitHub said so (422) or showed it active, not just a
    /// 404, which may only mean the token cannot see it (then nothing is
    /// recorded, so a later undo with another token tries again).
    NotDeleted {
        /// Whether GitHub's answer leaves no doubt.
        certain: bool,
    },
    /// It could not be restored.
    Failed {
        /// What went wrong, with what reading the version showed.
        message: String,
        /// The library's error from the restore or the read.
        error: ApiError,
        /// Whether the cause would meet every other version too, so the
        /// undo stopped.
        stops: bool,
    },
}

/// What an undo did, version by version in journal order.
#[derive(Debug, Default)]
pub struct UndoReport {
    /// Each version settled or tried, with how it ended.
    pub versions: Vec<(Pending, Settled)>,
    /// Versions not tried, because the undo stopped first.
    pub not_attempted: Vec<Pending>,
    /// Whether a stop was requested.
    pub interrupted: bool,
}

impl UndoReport {
    /// The versions that ended `which` way.
    pub fn count(&self, which: impl Fn(&Settled) -> bool) -> usize {
        self.versions.iter().filter(|(_, s)| which(s)).count()
    }

    /// Whether a version failed or was not tried.
    pub fn is_unfinished(&self) -> bool {
        !self.not_attempted.is_empty()
            || self
                .versions
                .iter()
                .any(|(_, s)| matches!(s, Settled::Failed { .. }))
    }
}

/// The package of `pending` in the journal whose header names `default`.
fn target_of(scope: &Scope, package_type: PackageType, default: &str, pending: &Pending) -> Target {
    Target::new(
        scope.clone(),
        package_type,
        pending.package.as_deref().unwrap_or(default),
    )
}

/// Restores one version. When GitHub will not (404 or 422), the version is
/// read: one that is active is settled, since that is all a restore could
/// achieve.
async fn settle(client: &Client, target: &Target, p: &Pending) -> Settled {
    let version = target.version(client, p.id);
    let refusal = match version.restore().await {
        Ok(()) => return Settled::Restored,
        Err(error) if is_version_specific(&error) => error,
        Err(error) => {
            return Settled::Failed {
                message: error.to_string(),
                error,
                stops: true,
            };
        }
    };
    match version.get().await {
        Ok(now) if now.deleted_at.is_none() => {
            if p.confirmed {
                Settled::AlreadyActive
            } else {
                Settled::NotDeleted { certain: true }
            }
        }
        Ok(_) => Settled::Failed {
            message: format!("{refusal}; reading the version shows it still deleted"),
            error: refusal,
            stops: false,
        },
        Err(error) if error.is_not_found() => {
            if p.confirmed {
                Settled::Failed {
                    message: format!(
                        "{refusal}; reading the version answered 404 too: it was deleted more \
                         than 30 days ago, its package is gone, or this token cannot see it"
                    ),
                    error: refusal,
                    stops: false,
                }
            } else {
                Settled::NotDeleted {
                    certain: !refusal.is_not_found(),
                }
            }
        }
        Err(error) => Settled::Failed {
            message: format!("{refusal}; reading the version failed: {error}"),
            stops: !is_version_specific(&error),
            error,
        },
    }
}

/// Restores every version `journal` (read from `path`) has pending, at the
/// client's API, recording each one settled in the journal.
///
/// # Errors
///
/// [`Error::OtherApi`] when the journal was written against another API
/// than the client's (nothing is sent); [`Error::Journal`] when the journal
/// has no header to say whose packages, or cannot be written.
pub async fn restore(
    client: &Client,
    path: &Path,
    journal: &Journal,
    observer: &dyn Observer,
    stop: &Stop,
) -> Result<UndoReport> {
    let mut report = UndoReport::default();
    let Some(header) = &journal.header else {
        return Ok(report);
    };
    let ours = client.base_url().as_str().trim_end_matches('/');
    if normalized(&header.api_url) != normalized(ours) {
        return Err(Error::OtherApi {
            recorded: header.api_url.clone(),
            client: ours.to_owned(),
        });
    }
    let journal_error = |problem: String| Error::Journal {
        path: path.to_owned(),
        problem,
    };
    let scope = header
        .scope()
        .map_err(|e| journal_error(format!("{}: {e}", path.display())))?;
    let pending = journal.pending();
    let mut writer = Writer::append_to(path).map_err(journal_error)?;
    observer.started(Phase::Restoring, Some(pending.len()));
    let mut rest = pending.into_iter();
    for p in rest.by_ref() {
        if stop.is_requested() {
            report.interrupted = true;
            report.not_attempted.push(p);
            break;
        }
        let target = target_of(&scope, header.package_type, &header.package, &p);
        let settled = settle(client, &target, &p).await;
        let outcome = match &settled {
            Settled::Restored => Some(UndoOutcome::Restored),
            Settled::AlreadyActive => Some(UndoOutcome::AlreadyActive),
            Settled::NotDeleted { certain: true } => Some(UndoOutcome::NotDeleted),
            Settled::NotDeleted { certain: false } | Settled::Failed { .. } => None,
        };
        if let Some(outcome) = outcome {
            writer
                .append(&Record::Undone {
                    id: p.id,
                    outcome,
                    at: Utc::now(),
                })
                .map_err(journal_error)?;
        }
        observer.advanced(Phase::Restoring, 1);
        let stops = matches!(settled, Settled::Failed { stops: true, .. });
        report.versions.push((p, settled));
        if stops {
            break;
        }
    }
    report.not_attempted.extend(rest);
    observer.finished(Phase::Restoring);
    Ok(report)
}

/// An API URL as journal headers and plan files write it: parsed (so the
/// host's case and a trailing slash do not matter), without the trailing
/// slash.
///
/// ```
/// use github_packages_retention::normalized;
///
/// assert_eq!(normalized("https://API.github.com/"), "https://api.github.com");
/// assert_eq!(normalized(" https://ghe.example/api/v3/ "), "https://ghe.example/api/v3");
/// ```
pub fn normalized(url: &str) -> String {
    let url = url.trim();
    url::Url::parse(url)
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| url.trim_end_matches('/').to_owned())
}
