//! A plan: the decision for every active version of one package, with its
//! reason, and the warnings planning found. Data only: it is serialised into
//! plan files and reports and rendered by whoever shows it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::images::Images;
use crate::pattern::TagPattern;
use crate::reason::Reason;

/// What the plan does with a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Delete it.
    Delete,
    /// Leave it.
    Keep,
}

/// One version and what the plan does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The version id.
    pub id: i64,
    /// The version name: a digest for container versions.
    pub name: String,
    /// Its tags (container and docker versions only).
    pub tags: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last updated (a tag added or moved, say).
    pub updated_at: DateTime<Utc>,
    /// Delete or keep.
    pub action: Action,
    /// Why.
    pub reason: Reason,
    /// For a part or referrer deleted with what it belongs to: the digests
    /// of those (its indexes, its subject). It is deleted only once each of
    /// their own deletes succeeded in the same run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

/// Something planning found that a person should know; it changes nothing
/// in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// A kept image index lists manifests that are not in the package:
    /// none of them (a ghost image) or some (a partial image). Pulling it
    /// may fail.
    IncompleteImage {
        /// The version id of the index.
        id: i64,
        /// Its digest.
        name: String,
        /// Its tags.
        tags: Vec<String>,
        /// How many manifests it lists.
        listed: usize,
        /// How many of them are not in the package.
        missing: usize,
    },
    /// A version was deleted by someone else while the plan was made; it
    /// is left out of the plan.
    VanishedWhilePlanning {
        /// The version id.
        id: i64,
        /// Its name.
        name: String,
    },
    /// The registry was not read, so the parts of multi-arch images are not
    /// protected.
    RegistryNotChecked,
    /// Exclusions that match no tag of any version planned: a protection
    /// that protects nothing is most likely a typo.
    UnmatchedExclusions {
        /// The exclusions.
        patterns: Vec<TagPattern>,
    },
}

impl Warning {
    /// Whether an [`Warning::IncompleteImage`] lists none of its manifests.
    pub fn is_ghost(&self) -> bool {
        matches!(self, Warning::IncompleteImage { listed, missing, .. } if listed == missing)
    }
}

/// The decision for every active version of a package, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Every version, newest first (by `created_at`, then id).
    pub entries: Vec<Entry>,
    /// What deciding noticed (ghost and partial images).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// Newest first: later `created_at`, then higher id.
pub(crate) fn newest_first(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))
}

impl Plan {
    /// The versions to delete, oldest first: the order deletes are sent.
    pub fn deletions(&self) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.action == Action::Delete)
            .collect();
        out.sort_by(|a, b| newest_first(b, a));
        out
    }

    /// How many versions the plan deletes.
    pub fn delete_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.action == Action::Delete)
            .count()
    }

    /// How many versions are kept as parts of a kept image.
    pub fn parts_kept(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.reason, Reason::PartOf { .. }))
            .count()
    }

    /// How many versions are kept because the registry could not be read.
    pub fn held(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.reason == Reason::RegistryUnreadable)
            .count()
    }

    /// The digests whose manifests are not known yet, each once, tagged
    /// versions first (they are the likeliest indexes, and the images an
    /// index lists need no read of their own).
    pub fn unread(&self, images: &Images) -> Vec<(String, bool)> {
        let mut unread: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| !images.is_known(&e.name))
            .collect();
        unread.sort_by_key(|e| e.tags.is_empty());
        let mut seen = HashSet::new();
        unread
            .into_iter()
            .filter(|e| seen.insert(e.name.as_str()))
            .map(|e| (e.name.clone(), !e.tags.is_empty()))
            .collect()
    }

    /// Whether reading the registry could change this plan: it deletes
    /// something (a kept version may own a deleted one, a kept one may be a
    /// part of a deleted index, a part may hold a keep slot, and the parts
    /// of a deleted index must go after it), or the policy deletes by what
    /// images are. A plan that deletes nothing stays as it is whatever the
    /// graph (its reasons may then count a part as an image).
    pub fn may_depend_on_images(&self, policy: &crate::Policy) -> bool {
        policy.delete_ghost_images
            || policy.delete_partial_images
            || policy.delete_orphaned_referrers
            || self.delete_count() > 0
    }
}
