//! Deciding: the active versions of one package, a policy, a clock and what
//! the registry said about images in; a [`Plan`] out. Pure: no I/O, so the
//! planner can decide again each time the registry teaches it something.
//!
//! The versions form one graph. An image index lists its parts (platform
//! images, attestations, nested indexes); a referrer (a signature,
//! attestation or SBOM, named by a referrer tag `sha256-<hex>[.sig|.att|.sbom]`
//! or by its manifest's `subject` field) belongs to its subject. A version
//! that belongs to another version of the package is a *dependent*; every
//! other version is an *image*, and only images are decided by the rules:
//!
//! 1. exclusions (tags, names, digests) keep, whatever else;
//! 2. explicit deletions: digests named for deletion, ghost and partial
//!    images, orphaned referrers (each on request);
//! 3. keep counts, counting images only, newest first: `keep_last` over all
//!    images, `keep_tagged` and `keep_untagged` per kind;
//! 4. selection: tagged and untagged images each follow their own rules
//!    (see [`Policy::selects_tagged`]); within a kind every criterion given
//!    must hold (beyond the keep counts, older than the age, every tag
//!    matching a tag pattern, the name matching a name pattern).
//!
//! Dependents follow what they belong to, by reference counting: kept while
//! anything that references them is kept, deleted once all of it is deleted
//! (and only after those deletes succeeded). An excluded dependent is kept.
//! A registry that could not be read holds every delete.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use github_packages::PackageVersion;

use crate::images::{Images, PartRole, ReferrerKind, referrer_of};
use crate::pattern::{self, TagPattern};
use crate::plan::{Action, Entry, Plan, Warning, newest_first};
use crate::policy::{AgeFrom, Policy};
use crate::reason::{Criterion, Reason};

/// The tags of a version, whichever metadata block GitHub put them in,
/// owned.
pub(crate) fn tags_of(version: &PackageVersion) -> Vec<String> {
    version.tags().into_iter().map(str::to_owned).collect()
}

/// An index that lists a version: its digest, and the version's role and
/// platform in it.
type Parent = (String, PartRole, Option<String>);

/// What a version belongs to, as the graph says.
#[derive(Debug, Clone, Default)]
struct Links {
    /// Indexes in the package that list it.
    parents: Vec<Parent>,
    /// The subject it refers to and what it is, if it is a referrer.
    subject: Option<(String, ReferrerKind)>,
    /// Whether the subject is in the package.
    subject_present: bool,
}

impl Links {
    /// Whether the version belongs to another version of the package.
    fn is_dependent(&self) -> bool {
        !self.parents.is_empty() || self.subject_present
    }

    /// The digests it belongs to, in the package.
    fn owners(&self) -> impl Iterator<Item = &str> {
        self.parents.iter().map(|(d, _, _)| d.as_str()).chain(
            self.subject
                .iter()
                .filter(|_| self.subject_present)
                .map(|(s, _)| s.as_str()),
        )
    }
}

/// Decides every version from the policy and what is known of the images,
/// as of `now`. Versions whose manifest is unknown count as plain images.
///
/// ```
/// use chrono::Utc;
/// use github_packages_retention::{Action, Images, Policy, decide};
///
/// let plan = decide(&[], &Policy::default().untagged(), Utc::now(), &Images::default());
/// assert!(plan.entries.iter().all(|e| e.action == Action::Keep));
/// ```
pub fn decide(
    versions: &[PackageVersion],
    policy: &Policy,
    now: DateTime<Utc>,
    images: &Images,
) -> Plan {
    let mut entries: Vec<Entry> = versions
        .iter()
        .map(|v| Entry {
            id: v.id,
            name: v.name.clone(),
            tags: tags_of(v),
            created_at: v.created_at,
            updated_at: v.updated_at,
            action: Action::Keep,
            reason: Reason::Selected {
                criteria: Vec::new(),
            },
            after: Vec::new(),
        })
        .collect();
    entries.sort_by(newest_first);
    // The same version listed twice (a page boundary shifting while listing)
    // is decided once.
    let mut seen = HashSet::new();
    entries.retain(|e| seen.insert(e.id));

    let present: HashSet<String> = entries.iter().map(|e| e.name.clone()).collect();
    let links = link(&entries, images, &present);
    let mut decided = Decided::default();

    // The images, newest first by the policy's timestamp.
    let mut order: Vec<usize> = (0..entries.len())
        .filter(|&i| !links[i].is_dependent())
        .collect();
    order.sort_by(|&a, &b| newer(&entries[b], &entries[a], policy.age_from));
    let rules = Rules::new(policy, now);
    let mut ranks = Ranks::default();
    for i in order {
        let (mut action, mut reason) =
            rules.decide_image(&entries[i], &links[i], images, &present, &mut ranks);
        if images.is_unreadable() && action == Action::Delete {
            action = Action::Keep;
            reason = Reason::RegistryUnreadable;
        }
        decided.set(&mut entries[i], action, reason);
    }
    let first_tags: HashMap<String, String> = entries
        .iter()
        .filter_map(|e| Some((e.name.clone(), e.tags.first()?.clone())))
        .collect();
    follow_owners(&mut entries, &links, policy, &first_tags, &mut decided);

    let warnings = entries
        .iter()
        .filter(|e| e.action == Action::Keep)
        .filter_map(|e| {
            let listed = images.parts(&e.name);
            let missing = listed
                .iter()
                .filter(|p| !present.contains(&p.digest))
                .count();
            (missing > 0).then(|| Warning::IncompleteImage {
                id: e.id,
                name: e.name.clone(),
                tags: e.tags.clone(),
                listed: listed.len(),
                missing,
            })
        })
        .collect();
    Plan { entries, warnings }
}

/// Orders `a` before `b` when `a` is newer by `from`, then by id.
fn newer(a: &Entry, b: &Entry, from: AgeFrom) -> std::cmp::Ordering {
    let at = |e: &Entry| match from {
        AgeFrom::Updated => e.updated_at,
        _ => e.created_at,
    };
    at(a).cmp(&at(b)).then(a.id.cmp(&b.id))
}

/// What every version belongs to.
fn link(entries: &[Entry], images: &Images, present: &HashSet<String>) -> Vec<Links> {
    let mut parents: HashMap<&str, Vec<Parent>> = HashMap::new();
    for entry in entries {
        for part in images.parts(&entry.name) {
            if part.digest != entry.name && present.contains(&part.digest) {
                let list = parents.entry(part.digest.as_str()).or_default();
                if !list.iter().any(|(d, _, _)| *d == entry.name) {
                    list.push((entry.name.clone(), part.role, part.platform.clone()));
                }
            }
        }
    }
    entries
        .iter()
        .map(|entry| {
            let by_manifest = images.manifest(&entry.name).and_then(|m| {
                let subject = m.subject.clone()?;
                Some((
                    subject,
                    m.referrer.clone().unwrap_or(ReferrerKind::Attestation),
                ))
            });
            let subject = by_manifest
                .or_else(|| referrer_of(&entry.tags))
                .filter(|(s, _)| *s != entry.name);
            let subject_present = subject.as_ref().is_some_and(|(s, _)| present.contains(s));
            Links {
                parents: parents
                    .get(entry.name.as_str())
                    .cloned()
                    .unwrap_or_default(),
                subject,
                subject_present,
            }
        })
        .collect()
}

/// The action decided for each digest so far (several versions may share
/// one: any kept version keeps the digest).
#[derive(Default)]
struct Decided {
    by_digest: HashMap<String, Action>,
}

impl Decided {
    fn set(&mut self, entry: &mut Entry, action: Action, reason: Reason) {
        entry.action = action;
        entry.reason = reason;
        let slot = self.by_digest.entry(entry.name.clone()).or_insert(action);
        if action == Action::Keep {
            *slot = Action::Keep;
        }
    }

    fn get(&self, digest: &str) -> Option<Action> {
        self.by_digest.get(digest).copied()
    }
}

/// Decides the dependents from what they belong to, until nothing changes;
/// what is left (a loop of versions listing each other, which content
/// addressing rules out but a registry could claim) is kept.
fn follow_owners(
    entries: &mut [Entry],
    links: &[Links],
    policy: &Policy,
    first_tags: &HashMap<String, String>,
    decided: &mut Decided,
) {
    let reason_for = |i: usize, owner: &str, kept: bool| {
        let mut reason = owned_reason(&links[i], owner, kept);
        if let Reason::PartOf {
            index, index_tag, ..
        } = &mut reason
        {
            *index_tag = first_tags.get(index.as_str()).cloned();
        }
        reason
    };
    let mut pending: Vec<usize> = (0..entries.len())
        .filter(|&i| links[i].is_dependent())
        .collect();
    // An excluded dependent stays whatever its owners do.
    pending.retain(|&i| match exclusion(&entries[i], policy) {
        Some(reason) => {
            decided.set(&mut entries[i], Action::Keep, reason);
            false
        }
        None => true,
    });
    loop {
        let before = pending.len();
        pending.retain(|&i| {
            let owners: Vec<(&str, Option<Action>)> =
                links[i].owners().map(|o| (o, decided.get(o))).collect();
            let kept = owners.iter().find(|(_, a)| *a == Some(Action::Keep));
            let decision = match kept {
                Some((owner, _)) => Some((Action::Keep, reason_for(i, owner, true))),
                None if owners.iter().all(|(_, a)| *a == Some(Action::Delete)) => {
                    let first = owners.first().map_or("", |(o, _)| o);
                    Some((Action::Delete, reason_for(i, first, false)))
                }
                None => None,
            };
            let Some((action, reason)) = decision else {
                return true;
            };
            if action == Action::Delete {
                entries[i].after = owners.iter().map(|(o, _)| (*o).to_owned()).collect();
            }
            decided.set(&mut entries[i], action, reason);
            false
        });
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    for i in pending {
        let first = links[i].owners().next().unwrap_or_default().to_owned();
        let reason = reason_for(i, &first, true);
        decided.set(&mut entries[i], Action::Keep, reason);
    }
}

/// The reason a dependent follows `owner` with: a part of an index, or a
/// referrer of a subject.
fn owned_reason(links: &Links, owner: &str, kept: bool) -> Reason {
    if let Some((index, role, platform)) = links.parents.iter().find(|(d, _, _)| d == owner) {
        return if kept {
            Reason::PartOf {
                index: index.clone(),
                index_tag: None,
                role: *role,
                platform: platform.clone(),
            }
        } else {
            Reason::PartOfDeleted {
                index: index.clone(),
                role: *role,
                platform: platform.clone(),
            }
        };
    }
    let (subject, kind) = links
        .subject
        .clone()
        .unwrap_or_else(|| (owner.to_owned(), ReferrerKind::Attestation));
    Reason::ReferrerOf { subject, kind }
}

/// The exclusion that protects `entry`, if one does.
fn exclusion(entry: &Entry, policy: &Policy) -> Option<Reason> {
    if let Some((tag, pattern)) = pattern::first_match(&policy.exclude_tags, &entry.tags) {
        return Some(Reason::Excluded {
            tag: tag.to_owned(),
            pattern: pattern.clone(),
        });
    }
    if let Some(pattern) = policy.exclude_names.iter().find(|p| p.matches(&entry.name)) {
        return Some(Reason::ExcludedName {
            name: entry.name.clone(),
            pattern: pattern.clone(),
        });
    }
    policy
        .exclude_digests
        .contains(&entry.name)
        .then(|| Reason::ExcludedDigest {
            digest: entry.name.clone(),
        })
}

/// Running counts of the images the keep counts have seen, newest first.
#[derive(Default)]
struct Ranks {
    all: usize,
    tagged: usize,
    untagged: usize,
}

/// The policy, ready to decide images.
struct Rules<'p> {
    policy: &'p Policy,
    cutoff: Option<DateTime<Utc>>,
}

impl<'p> Rules<'p> {
    fn new(policy: &'p Policy, now: DateTime<Utc>) -> Rules<'p> {
        // A cutoff too far back to represent means nothing is that old.
        let cutoff = policy.older_than.map(|d| {
            TimeDelta::from_std(d)
                .ok()
                .and_then(|d| now.checked_sub_signed(d))
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        });
        Rules { policy, cutoff }
    }

    /// Exclusions, explicit deletions, then keep counts and selection.
    fn decide_image(
        &self,
        entry: &Entry,
        links: &Links,
        images: &Images,
        present: &HashSet<String>,
        ranks: &mut Ranks,
    ) -> (Action, Reason) {
        let policy = self.policy;
        if let Some(reason) = exclusion(entry, policy) {
            return (Action::Keep, reason);
        }
        if let Some(criterion) = self.explicit(entry, links, images, present) {
            return (
                Action::Delete,
                Reason::Selected {
                    criteria: vec![criterion],
                },
            );
        }
        self.by_rules(entry, ranks)
    }

    /// A deletion the policy names outright, ahead of the keep counts.
    fn explicit(
        &self,
        entry: &Entry,
        links: &Links,
        images: &Images,
        present: &HashSet<String>,
    ) -> Option<Criterion> {
        let policy = self.policy;
        if policy.digests.contains(&entry.name) {
            return Some(Criterion::Digest {
                digest: entry.name.clone(),
            });
        }
        let listed = images.parts(&entry.name);
        let missing = listed
            .iter()
            .filter(|p| !present.contains(&p.digest))
            .count();
        if policy.delete_ghost_images && !listed.is_empty() && missing == listed.len() {
            return Some(Criterion::GhostImage {
                listed: listed.len(),
            });
        }
        if policy.delete_partial_images && missing > 0 && missing < listed.len() {
            return Some(Criterion::PartialImage {
                listed: listed.len(),
                missing,
            });
        }
        match &links.subject {
            Some((subject, kind)) if policy.delete_orphaned_referrers && !links.subject_present => {
                Some(Criterion::OrphanedReferrer {
                    subject: subject.clone(),
                    kind: kind.clone(),
                })
            }
            _ => None,
        }
    }

    /// The keep counts and selection for one image.
    fn by_rules(&self, entry: &Entry, ranks: &mut Ranks) -> (Action, Reason) {
        let policy = self.policy;
        let tagged = !entry.tags.is_empty();
        let rank_all = ranks.all;
        ranks.all += 1;
        let rank_kind = if tagged {
            ranks.tagged += 1;
            ranks.tagged - 1
        } else {
            ranks.untagged += 1;
            ranks.untagged - 1
        };
        if let Some(n) = policy.keep_last
            && rank_all < n
        {
            return (Action::Keep, Reason::KeepLast { n });
        }
        let selected = if tagged {
            policy.selects_tagged()
        } else {
            policy.selects_untagged()
        };
        if !selected {
            let reason = if tagged {
                Reason::TaggedNotSelected
            } else {
                Reason::UntaggedNotSelected
            };
            return (Action::Keep, reason);
        }
        let keep_kind = if tagged {
            policy.keep_tagged
        } else {
            policy.keep_untagged
        };
        if let Some(n) = keep_kind
            && rank_kind < n
        {
            let reason = if tagged {
                Reason::KeepTagged { n }
            } else {
                Reason::KeepUntagged { n }
            };
            return (Action::Keep, reason);
        }
        let mut criteria = Vec::new();
        if let Some(n) = policy.keep_last {
            criteria.push(Criterion::BeyondKeepLast { n });
        }
        match keep_kind {
            Some(n) if tagged => criteria.push(Criterion::BeyondKeepTagged { n }),
            Some(n) => criteria.push(Criterion::BeyondKeepUntagged { n }),
            None => {}
        }
        if let (Some(cutoff), Some(older_than)) = (self.cutoff, policy.older_than) {
            let at = match policy.age_from {
                AgeFrom::Updated => entry.updated_at,
                _ => entry.created_at,
            };
            if at >= cutoff {
                let older_than_seconds = older_than.as_secs();
                return (Action::Keep, Reason::Newer { older_than_seconds });
            }
            criteria.push(Criterion::OlderThan {
                seconds: older_than.as_secs(),
            });
        }
        if !policy.names.is_empty() {
            match policy.names.iter().find(|p| p.matches(&entry.name)) {
                Some(pattern) => criteria.push(Criterion::NameMatches {
                    name: entry.name.clone(),
                    pattern: pattern.clone(),
                }),
                None => {
                    let patterns = policy.names.clone();
                    return (Action::Keep, Reason::NoNameMatches { patterns });
                }
            }
        }
        if !tagged {
            if policy.untagged {
                criteria.push(Criterion::Untagged);
            }
        } else if !policy.tags.is_empty() {
            match every_tag_matches(&entry.tags, &policy.tags) {
                Ok(criterion) => criteria.push(criterion),
                Err(reason) => return (Action::Keep, *reason),
            }
        }
        (Action::Delete, Reason::Selected { criteria })
    }
}

/// Deleting a version deletes every tag it carries, so every tag must be
/// one the user asked to delete: the criterion, or why the version stays.
fn every_tag_matches(tags: &[String], patterns: &[TagPattern]) -> Result<Criterion, Box<Reason>> {
    let mut matched = None;
    let mut unmatched = None;
    for tag in tags {
        match patterns.iter().find(|p| p.matches(tag)) {
            Some(p) => {
                matched.get_or_insert((tag, p));
            }
            None => {
                unmatched.get_or_insert(tag);
            }
        }
    }
    match (matched, unmatched) {
        (None, _) => Err(Box::new(Reason::NoTagMatches {
            patterns: patterns.to_vec(),
        })),
        (Some(_), Some(tag)) => Err(Box::new(Reason::UnmatchedTag { tag: tag.clone() })),
        (Some((tag, pattern)), None) => Ok(Criterion::TagMatches {
            tag: tag.clone(),
            pattern: pattern.clone(),
        }),
    }
}

#[cfg(test)]
mod tests;
