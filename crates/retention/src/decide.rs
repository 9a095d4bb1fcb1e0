//! Deciding: the active versions of one package, a policy, a clock and what
//! the registry said about images in; a [`Plan`] out. Pure: no I/O, so the
//! planner can decide again each time the registry teaches it something.
//!
//! Order of precedence, first match wins for the reason given:
//! 1. exclusions: kept, whatever else;
//! 2. referrers (tags `sha256-<hex>`, `.sig`, `.att`, `.sbom`): follow their
//!    subject when it is in the package: kept while it is kept, deleted with it;
//! 3. parts of a kept image (platform images, attestations, nested indexes
//!    an image index lists): kept;
//! 4. keep counts: `keep_last` (newest N), `keep_tagged`, `keep_untagged`
//!    (newest N of that kind). Versions kept by 1-3 do not use up a slot:
//!    the counts are of images, not of their parts;
//! 5. selection, every given criterion must hold: beyond the keep counts,
//!    older than the age, untagged or every tag matching a selecting pattern.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use github_packages::PackageVersion;

use crate::images::{Images, PartRole, ReferrerKind, referrer_of};
use crate::pattern;
use crate::plan::{Action, Entry, Plan, Warning, newest_first};
use crate::policy::Policy;
use crate::reason::{Criterion, Reason};

/// The tags of a version, whichever metadata block GitHub put them in,
/// owned.
pub(crate) fn tags_of(version: &PackageVersion) -> Vec<String> {
    version.tags().into_iter().map(str::to_owned).collect()
}

/// What keeps a part: the index that lists it.
#[derive(Debug, Clone)]
struct Keeper {
    index: String,
    index_tag: Option<String>,
    role: PartRole,
    platform: Option<String>,
}

/// Decides every version from the policy and what is known of the images,
/// as of `now`. Deciding again with more [`Images`] only ever keeps more.
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
            action: Action::Keep,
            reason: Reason::Selected {
                criteria: Vec::new(),
            },
        })
        .collect();
    entries.sort_by(newest_first);
    // The same version listed twice (a page boundary shifting while listing)
    // is decided once.
    let mut seen = HashSet::new();
    entries.retain(|e| seen.insert(e.id));

    // A cutoff too far back to represent means nothing is that old.
    let cutoff = policy.older_than.map(|d| {
        TimeDelta::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    });

    // Parts of kept indexes, learned a level at a time: keeping a part may
    // keep a nested index whose parts are then kept too.
    let mut keepers: HashMap<String, Keeper> = HashMap::new();
    // The digests in the package, for referrers' subjects and ghost images.
    let present: HashSet<String> = entries.iter().map(|e| e.name.clone()).collect();
    loop {
        decide_all(
            &mut entries,
            policy,
            cutoff,
            &keepers,
            &present,
            images.is_unreadable(),
        );
        let mut learned = false;
        for entry in entries.iter().filter(|e| e.action == Action::Keep) {
            for part in images.parts(&entry.name) {
                if !keepers.contains_key(&part.digest) {
                    keepers.insert(
                        part.digest.clone(),
                        Keeper {
                            index: entry.name.clone(),
                            index_tag: entry.tags.first().cloned(),
                            role: part.role,
                            platform: part.platform.clone(),
                        },
                    );
                    learned = true;
                }
            }
        }
        if !learned {
            break;
        }
    }
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

/// Running counts of the versions the keep rules have seen, newest first.
#[derive(Default)]
struct Ranks {
    all: usize,
    tagged: usize,
    untagged: usize,
}

fn decide_all(
    entries: &mut [Entry],
    policy: &Policy,
    cutoff: Option<DateTime<Utc>>,
    keepers: &HashMap<String, Keeper>,
    present: &HashSet<String>,
    hold: bool,
) {
    let mut ranks = Ranks::default();
    // Referrers whose subject is in the package, decided once it is.
    let mut referrers: Vec<(usize, String, ReferrerKind)> = Vec::new();
    for (index, entry) in entries.iter_mut().enumerate() {
        if let Some((tag, pattern)) = pattern::first_match(&policy.exclude_tags, &entry.tags) {
            entry.action = Action::Keep;
            entry.reason = Reason::Excluded {
                tag: tag.to_owned(),
                pattern: pattern.clone(),
            };
            continue;
        }
        let referrer = referrer_of(&entry.tags);
        if let Some((subject, kind)) = &referrer
            && present.contains(subject)
            && *subject != entry.name
        {
            referrers.push((index, subject.clone(), kind.clone()));
            continue;
        }
        if let Some(keeper) = keepers.get(&entry.name) {
            entry.action = Action::Keep;
            entry.reason = Reason::PartOf {
                index: keeper.index.clone(),
                index_tag: keeper.index_tag.clone(),
                role: keeper.role,
                platform: keeper.platform.clone(),
            };
            continue;
        }
        // Everything else, a referrer whose subject is not in the package
        // included (signatures kept in a package of their own, say), goes
        // by the keep and selection rules.
        let (mut action, mut reason) = decide_one(entry, &mut ranks, policy, cutoff);
        if action == Action::Delete
            && let Some((subject, kind)) = referrer
        {
            reason = Reason::ReferrerOfGone { subject, kind };
        }
        if hold && action == Action::Delete {
            action = Action::Keep;
            reason = Reason::RegistryUnreadable;
        }
        entry.action = action;
        entry.reason = reason;
    }
    // Referrers follow their subject, which may itself be a referrer (the
    // signature of an SBOM): resolve until nothing changes.
    let waiting: HashSet<usize> = referrers.iter().map(|(i, _, _)| *i).collect();
    let mut decided: HashMap<String, Action> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| !waiting.contains(i))
        .map(|(_, e)| (e.name.clone(), e.action))
        .collect();
    while !referrers.is_empty() {
        let before = referrers.len();
        referrers.retain(|(index, subject, kind)| {
            let Some(&action) = decided.get(subject) else {
                return true;
            };
            let entry = &mut entries[*index];
            entry.action = action;
            entry.reason = Reason::ReferrerOf {
                subject: subject.clone(),
                kind: kind.clone(),
            };
            decided.insert(entry.name.clone(), action);
            false
        });
        if referrers.len() == before {
            // Referrers of each other only: keep them.
            for (index, subject, kind) in referrers.drain(..) {
                let entry = &mut entries[index];
                entry.action = Action::Keep;
                entry.reason = Reason::ReferrerOf { subject, kind };
            }
        }
    }
}

/// The keep rules and selection for one version that nothing else protects.
fn decide_one(
    entry: &Entry,
    ranks: &mut Ranks,
    policy: &Policy,
    cutoff: Option<DateTime<Utc>>,
) -> (Action, Reason) {
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
    if policy.keep_tagged.is_some() || policy.keep_untagged.is_some() {
        match keep_kind {
            Some(n) if tagged => criteria.push(Criterion::BeyondKeepTagged { n }),
            Some(n) => criteria.push(Criterion::BeyondKeepUntagged { n }),
            None => return (Action::Keep, Reason::OtherKindOnly { tagged }),
        }
    }
    if let (Some(cutoff), Some(older_than)) = (cutoff, policy.older_than) {
        if entry.created_at >= cutoff {
            return (
                Action::Keep,
                Reason::Newer {
                    older_than_seconds: older_than.as_secs(),
                },
            );
        }
        criteria.push(Criterion::OlderThan {
            seconds: older_than.as_secs(),
        });
    }
    if policy.untagged || !policy.tags.is_empty() {
        if !tagged {
            if !policy.untagged {
                return (Action::Keep, Reason::UntaggedNotSelected);
            }
            criteria.push(Criterion::Untagged);
        } else if policy.tags.is_empty() {
            return (Action::Keep, Reason::TaggedNotSelected);
        } else {
            // Deleting a version deletes every tag it carries, so every tag
            // must be one the user asked to delete.
            let mut matched = None;
            let mut unmatched = None;
            for tag in &entry.tags {
                match policy.tags.iter().find(|p| p.matches(tag)) {
                    Some(p) => {
                        matched.get_or_insert((tag, p));
                    }
                    None => {
                        unmatched.get_or_insert(tag);
                    }
                }
            }
            match (matched, unmatched) {
                (None, _) => {
                    let patterns = policy.tags.clone();
                    return (Action::Keep, Reason::NoTagMatches { patterns });
                }
                (Some(_), Some(tag)) => {
                    return (Action::Keep, Reason::UnmatchedTag { tag: tag.clone() });
                }
                (Some((tag, pattern)), None) => criteria.push(Criterion::TagMatches {
                    tag: tag.clone(),
                    pattern: pattern.clone(),
                }),
            }
        }
    }
    (Action::Delete, Reason::Selected { criteria })
}

#[cfg(test)]
mod tests;
