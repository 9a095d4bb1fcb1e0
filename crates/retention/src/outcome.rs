//! What deleting did, version by version and package by package: data for
//! reports, job summaries and a tool's own rendering.

use std::fmt;
use std::path::PathBuf;

use github_packages::Error as ApiError;
use serde::Serialize;

use crate::plan::Entry;
use crate::target::Target;

/// A version to delete, as the plan had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doomed {
    /// The version id.
    pub id: i64,
    /// Its name (a digest for container versions).
    pub name: String,
    /// Its tags when planned: a version whose tags changed since is skipped.
    pub tags: Vec<String>,
    /// For a part or referrer deleted with what it belongs to: the digests
    /// of those. It is deleted only once each of their own DELETEs
    /// succeeded in this run.
    pub after: Vec<String>,
}

impl From<&Entry> for Doomed {
    fn from(e: &Entry) -> Doomed {
        Doomed {
            id: e.id,
            name: e.name.clone(),
            tags: e.tags.clone(),
            after: e.after.clone(),
        }
    }
}

/// Why a planned version was left alone. Serialised with a `code`, like
/// [`Reason`](crate::Reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// Reading it before the delete answered 404.
    NoLongerExists,
    /// Reading it before the delete showed it deleted.
    AlreadyDeleted,
    /// Its tags changed since the plan.
    TagsChanged {
        /// The tags the plan saw.
        then: Vec<String>,
        /// The tags it has now.
        now: Vec<String>,
    },
    /// A part or referrer of a version not deleted in this run stays with
    /// it.
    OwnerNotDeleted {
        /// The digest of what it belongs to.
        owner: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |tags: &[String]| match tags {
            [] => "no tags".to_owned(),
            tags => tags.join(","),
        };
        match self {
            SkipReason::NoLongerExists => {
                f.write_str("no longer exists (404 when checked before the delete)")
            }
            SkipReason::AlreadyDeleted => f.write_str("already deleted"),
            SkipReason::TagsChanged { then, now } => write!(
                f,
                "tags changed since the plan: {} then, {} now",
                list(then),
                list(now)
            ),
            SkipReason::OwnerNotDeleted { owner } => write!(
                f,
                "{owner}, which it belongs to, was not deleted in this run, so it stays with it"
            ),
        }
    }
}

/// A version left alone, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The version.
    pub version: Doomed,
    /// Why.
    pub reason: SkipReason,
}

/// A version whose delete failed.
#[derive(Debug)]
pub struct Failed {
    /// The version.
    pub version: Doomed,
    /// The library's error.
    pub error: ApiError,
}

/// Why a package's deletes ended before its last version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Halt {
    /// Its last failure would meet every package alike (the token, the
    /// network, a rate limit that outlasted the client's wait): the run
    /// stopped.
    Run,
    /// Its last failure would meet every version of it (a server error
    /// after retries): this package stopped, the others go on.
    Package,
    /// `count` deletes in a row failed the same way, so the cause is not the
    /// versions: this package stopped.
    Repeated {
        /// How many.
        count: usize,
    },
    /// A stop was requested: nothing new was sent.
    Interrupted,
    /// An earlier package stopped the run before this one started.
    NotStarted,
}

/// What happened to one package's deletes.
#[derive(Debug)]
pub struct PackageOutcome {
    /// The package.
    pub target: Target,
    /// How many deletes were planned.
    pub planned: usize,
    /// Deleted.
    pub deleted: Vec<Doomed>,
    /// The DELETE answered 404: already deleted (perhaps by a retry whose
    /// first answer was lost) or not visible to the token.
    pub gone: Vec<Doomed>,
    /// Left alone (see [`SkipReason`]).
    pub skipped: Vec<Skipped>,
    /// Failed.
    pub failed: Vec<Failed>,
    /// Never attempted, because the deletes stopped first.
    pub not_attempted: Vec<Doomed>,
    /// Why the deletes stopped early, if they did.
    pub halt: Option<Halt>,
}

impl PackageOutcome {
    pub(crate) fn new(target: Target, planned: usize) -> PackageOutcome {
        PackageOutcome {
            target,
            planned,
            deleted: Vec::new(),
            gone: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
            not_attempted: Vec::new(),
            halt: None,
        }
    }

    /// Whether anything was left undone: failures, or versions not
    /// attempted.
    pub fn is_unfinished(&self) -> bool {
        !self.failed.is_empty() || !self.not_attempted.is_empty()
    }
}

/// What a run of deletes did.
#[derive(Debug)]
pub struct RunOutcome {
    /// The journal every delete was recorded in.
    pub journal: PathBuf,
    /// Each package's outcome, in the order worked on.
    pub packages: Vec<PackageOutcome>,
}

impl RunOutcome {
    /// Versions deleted, over every package.
    pub fn deleted(&self) -> usize {
        self.packages.iter().map(|p| p.deleted.len()).sum()
    }

    /// Whether anything was left undone in any package.
    pub fn is_unfinished(&self) -> bool {
        self.packages.iter().any(PackageOutcome::is_unfinished)
    }

    /// Whether the run stopped because a stop was requested.
    pub fn was_interrupted(&self) -> bool {
        self.packages
            .iter()
            .any(|p| p.halt == Some(Halt::Interrupted))
    }
}
