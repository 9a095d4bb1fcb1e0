//! The retention policy: which active versions a prune deletes and why every
//! other one is kept. Pure: versions, flags and a clock in, a plan out; the
//! registry lookups that protect multi-arch images are fed in by the caller
//! (see `prune.rs`) through [`Plan::protect_children`] and
//! [`Plan::hold_untagged`].
//!
//! Order of precedence, first match wins for the reason shown:
//! 1. protection: `--exclude-tag`, then `--keep-last`;
//! 2. multi-arch protection (containers): children of kept indexes, tagged
//!    or not, nested indexes included;
//! 3. selection: `--older-than`, then `--untagged` / `--tag`.
//!
//! A version is deleted only if nothing protects it and it meets every
//! selection criterion given.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use github_packages::PackageVersion;

use crate::duration;
use crate::pattern::{self, TagPattern};

/// The flags that make up a retention policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    pub(crate) keep_last: Option<usize>,
    pub(crate) older_than: Option<Duration>,
    pub(crate) untagged: bool,
    /// `--tag` and `--tag-regex`.
    pub(crate) tags: Vec<TagPattern>,
    /// `--exclude-tag` and `--exclude-tag-regex`.
    pub(crate) exclude_tags: Vec<TagPattern>,
}

impl Policy {
    /// Whether the policy selects anything narrower than "every version".
    /// `--exclude-tag` alone does not count: it only protects.
    pub(crate) fn has_criteria(&self) -> bool {
        self.keep_last.is_some()
            || self.older_than.is_some()
            || self.untagged
            || !self.tags.is_empty()
    }

    /// The exclusion patterns that match no tag of any version listed, as
    /// `--exclude-tag PATTERN`: a protection that protects nothing is most
    /// likely a typo.
    pub(crate) fn unmatched_excludes(&self, versions: &[PackageVersion]) -> Vec<String> {
        let all_tags: Vec<String> = versions.iter().flat_map(tags_of).collect();
        self.exclude_tags
            .iter()
            .filter(|p| !all_tags.iter().any(|t| p.matches(t)))
            .map(|p| p.described(true))
            .collect()
    }
}

/// The tags of a version, whichever metadata block GitHub put them in.
pub(crate) fn tags_of(version: &PackageVersion) -> Vec<String> {
    let Some(metadata) = &version.metadata else {
        return Vec::new();
    };
    let mut tags: Vec<String> = Vec::new();
    if let Some(container) = &metadata.container {
        tags.extend(container.tags.iter().cloned());
    }
    if let Some(docker) = &metadata.docker {
        tags.extend(docker.tags.iter().chain(&docker.tag).cloned());
    }
    let mut seen = HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    tags
}

/// What the plan does with a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    Delete,
    Keep,
}

/// How a child manifest relates to the image index that references it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChildKind {
    Platform,
    Attestation,
    /// An image index listed by another one.
    Index,
}

/// Why a version is deleted or kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    ExcludedTag {
        tag: String,
        /// The flag and pattern, e.g. `--exclude-tag v*`.
        pattern: String,
    },
    MostRecent {
        n: usize,
    },
    ChildOf {
        kind: ChildKind,
        parent: String,
        parent_tag: Option<String>,
    },
    Newer {
        older_than: Duration,
    },
    TaggedButUntaggedOnly,
    NoTagMatches {
        /// Each flag and pattern, e.g. `--tag pr-*`.
        patterns: Vec<String>,
    },
    UntaggedButTagOnly,
    RegistryUnreadable,
    Selected {
        criteria: Vec<String>,
    },
}

/// `sha256:0123456789ab…`: enough of a digest to recognise it. Only a
/// digest (`algorithm:` then ASCII hex) is shortened; any other version name
/// (a Maven `group:artifact` name, say) is shown whole.
pub(crate) fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algo, hex))
            if hex.len() > 12
                && !algo.is_empty()
                && algo.bytes().all(|b| b.is_ascii_alphanumeric())
                && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            format!("{algo}:{}…", &hex[..12])
        }
        _ => digest.to_owned(),
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ExcludedTag { tag, pattern } => {
                write!(f, "kept: tag {tag} matches {pattern}")
            }
            Reason::MostRecent { n } => write!(f, "kept: one of the {n} most recent"),
            Reason::ChildOf {
                kind,
                parent,
                parent_tag,
            } => {
                let what = match kind {
                    ChildKind::Platform => "platform image",
                    ChildKind::Attestation => "attestation",
                    ChildKind::Index => "nested image index",
                };
                write!(f, "kept: {what} of {}", short_digest(parent))?;
                match parent_tag {
                    Some(tag) => write!(f, " (tag {tag})"),
                    None => Ok(()),
                }
            }
            Reason::Newer { older_than } => {
                write!(f, "kept: newer than {}", duration::format(*older_than))
            }
            Reason::TaggedButUntaggedOnly => f.write_str("kept: tagged and --untagged given"),
            Reason::NoTagMatches { patterns } => {
                write!(f, "kept: no tag matches {}", patterns.join(", "))
            }
            Reason::UntaggedButTagOnly => {
                f.write_str("kept: untagged, and --tag given without --untagged")
            }
            Reason::RegistryUnreadable => f.write_str(
                "kept: untagged and the registry could not be read to rule out that it \
                 belongs to a multi-arch image",
            ),
            Reason::Selected { criteria } if criteria.is_empty() => f.write_str("delete"),
            Reason::Selected { criteria } => write!(f, "delete: {}", criteria.join(", ")),
        }
    }
}

/// One version and what the plan does with it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) action: Action,
    pub(crate) reason: Reason,
}

/// The decision for every active version, newest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub(crate) entries: Vec<Entry>,
}

/// Newest first: later `created_at`, then higher id.
fn newest_first(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))
}

/// Decides every version from the policy alone (before multi-arch
/// protection), as of `now`.
pub(crate) fn plan(versions: &[PackageVersion], policy: &Policy, now: DateTime<Utc>) -> Plan {
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
    let tag_filter = policy.untagged || !policy.tags.is_empty();

    for (rank, entry) in entries.iter_mut().enumerate() {
        let (action, reason) = decide(entry, rank, policy, cutoff, tag_filter);
        entry.action = action;
        entry.reason = reason;
    }
    Plan { entries }
}

fn decide(
    entry: &Entry,
    rank: usize,
    policy: &Policy,
    cutoff: Option<DateTime<Utc>>,
    tag_filter: bool,
) -> (Action, Reason) {
    if let Some((tag, pattern)) = pattern::first_match(&policy.exclude_tags, &entry.tags) {
        let reason = Reason::ExcludedTag {
            tag: tag.to_owned(),
            pattern: pattern.described(true),
        };
        return (Action::Keep, reason);
    }
    if let Some(n) = policy.keep_last
        && rank < n
    {
        return (Action::Keep, Reason::MostRecent { n });
    }

    let mut criteria = Vec::new();
    if let Some(n) = policy.keep_last {
        criteria.push(format!("not one of the {n} most recent"));
    }
    if let (Some(cutoff), Some(older_than)) = (cutoff, policy.older_than) {
        if entry.created_at >= cutoff {
            return (Action::Keep, Reason::Newer { older_than });
        }
        criteria.push(format!("older than {}", duration::format(older_than)));
    }
    if tag_filter {
        let untagged = entry.tags.is_empty();
        if policy.untagged && untagged {
            criteria.push("untagged".to_owned());
        } else if let Some((tag, pattern)) = pattern::first_match(&policy.tags, &entry.tags) {
            criteria.push(format!("tag {tag} matches {}", pattern.described(false)));
        } else {
            let reason = if untagged {
                Reason::UntaggedButTagOnly
            } else if policy.tags.is_empty() {
                Reason::TaggedButUntaggedOnly
            } else {
                Reason::NoTagMatches {
                    patterns: policy.tags.iter().map(|p| p.described(false)).collect(),
                }
            };
            return (Action::Keep, reason);
        }
    }
    (Action::Delete, Reason::Selected { criteria })
}

impl Plan {
    /// The versions to delete, oldest first: the order deletes are sent.
    pub(crate) fn deletions(&self) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.action == Action::Delete)
            .collect();
        out.sort_by(|a, b| newest_first(b, a));
        out
    }

    pub(crate) fn delete_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.action == Action::Delete)
            .count()
    }

    /// Kept versions, tagged or not, whose manifest may be an image index,
    /// by digest (each digest once), leaving out the ones already looked at.
    /// Tagged versions come first: they are the likeliest indexes.
    pub(crate) fn kept_unread(&self, looked_up: &HashSet<String>) -> Vec<(String, Option<String>)> {
        let mut kept: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.action == Action::Keep && !looked_up.contains(&e.name))
            .collect();
        kept.sort_by_key(|e| e.tags.is_empty());
        let mut seen = HashSet::new();
        kept.into_iter()
            .filter(|e| seen.insert(e.name.as_str()))
            .map(|e| (e.name.clone(), e.tags.first().cloned()))
            .collect()
    }

    /// Keeps every version an image index references. Returns how many
    /// versions this saved from deletion.
    pub(crate) fn protect_children(
        &mut self,
        parent: &str,
        parent_tag: Option<&str>,
        children: &[(String, ChildKind)],
    ) -> usize {
        let mut saved = 0;
        for entry in &mut self.entries {
            if entry.action != Action::Delete {
                continue;
            }
            if let Some((_, kind)) = children.iter().find(|(digest, _)| *digest == entry.name) {
                entry.action = Action::Keep;
                entry.reason = Reason::ChildOf {
                    kind: *kind,
                    parent: parent.to_owned(),
                    parent_tag: parent_tag.map(str::to_owned),
                };
                saved += 1;
            }
        }
        saved
    }

    /// Keeps every untagged version the plan would delete, because the
    /// registry could not say which belong to a kept image. Returns how many.
    pub(crate) fn hold_untagged(&mut self) -> usize {
        let mut held = 0;
        for entry in &mut self.entries {
            if entry.action == Action::Delete && entry.tags.is_empty() {
                entry.action = Action::Keep;
                entry.reason = Reason::RegistryUnreadable;
                held += 1;
            }
        }
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use github_packages::{ContainerMetadata, PackageType, PackageVersionMetadata};

    fn now() -> DateTime<Utc> {
        "2025-06-01T00:00:00Z".parse().unwrap()
    }

    fn version(id: i64, age_hours: i64, tags: &[&str]) -> PackageVersion {
        let created = now() - TimeDelta::hours(age_hours);
        PackageVersion {
            created_at: created,
            deleted_at: None,
            description: None,
            html_url: None,
            id,
            license: None,
            metadata: Some(PackageVersionMetadata {
                container: Some(ContainerMetadata {
                    tags: tags.iter().map(|t| t.to_string()).collect(),
                }),
                docker: None,
                package_type: PackageType::Container,
            }),
            name: format!("sha256:{id:064x}"),
            package_html_url: String::new(),
            updated_at: created,
            url: String::new(),
        }
    }

    fn deleted_ids(plan: &Plan) -> Vec<i64> {
        let mut ids: Vec<i64> = plan.deletions().iter().map(|e| e.id).collect();
        ids.sort();
        ids
    }

    fn globs(patterns: &[&str]) -> Vec<TagPattern> {
        patterns
            .iter()
            .map(|p| TagPattern::glob(p).unwrap())
            .collect()
    }

    /// Ten versions, id i created i days ago; even ids tagged `v{i}`, the
    /// rest untagged.
    fn ten() -> Vec<PackageVersion> {
        (1..=10)
            .map(|i| {
                let tag = format!("v{i}");
                let tags: Vec<&str> = if i % 2 == 0 { vec![&tag] } else { vec![] };
                version(i, i * 24, &tags)
            })
            .collect()
    }

    #[test]
    fn keep_last_keeps_the_newest_by_created_at_then_id() {
        let mut versions = ten();
        // Same instant as id 1: the higher id counts as newer.
        versions.push(version(11, 24, &[]));
        let policy = Policy {
            keep_last: Some(2),
            ..Policy::default()
        };
        let plan = plan(&versions, &policy, now());
        assert_eq!(deleted_ids(&plan), vec![2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(plan.entries[0].id, 11);
        assert_eq!(
            plan.entries[0].reason.to_string(),
            "kept: one of the 2 most recent"
        );
    }

    #[test]
    fn older_than_is_strict_and_says_why() {
        let policy = Policy {
            older_than: Some(Duration::from_secs(5 * 86_400)),
            ..Policy::default()
        };
        let plan = plan(&ten(), &policy, now());
        // Exactly five days old is not older than five days.
        assert_eq!(deleted_ids(&plan), vec![6, 7, 8, 9, 10]);
        let five = plan.entries.iter().find(|e| e.id == 5).unwrap();
        assert_eq!(five.reason.to_string(), "kept: newer than 5d");
    }

    #[test]
    fn untagged_and_tag_are_alternatives() {
        let untagged = Policy {
            untagged: true,
            ..Policy::default()
        };
        assert_eq!(
            deleted_ids(&plan(&ten(), &untagged, now())),
            vec![1, 3, 5, 7, 9]
        );

        let tag = Policy {
            tags: globs(&["v1?", "v4"]),
            ..Policy::default()
        };
        assert_eq!(deleted_ids(&plan(&ten(), &tag, now())), vec![4, 10]);

        let both = Policy {
            untagged: true,
            tags: globs(&["v4"]),
            ..Policy::default()
        };
        assert_eq!(
            deleted_ids(&plan(&ten(), &both, now())),
            vec![1, 3, 4, 5, 7, 9]
        );

        let plan = plan(&ten(), &untagged, now());
        let two = plan.entries.iter().find(|e| e.id == 2).unwrap();
        assert_eq!(two.reason.to_string(), "kept: tagged and --untagged given");
    }

    #[test]
    fn every_criterion_must_hold() {
        let policy = Policy {
            keep_last: Some(2),
            older_than: Some(Duration::from_secs(4 * 86_400)),
            untagged: true,
            ..Policy::default()
        };
        // Ids 1-2 are the most recent, 1-4 too new, evens tagged.
        assert_eq!(deleted_ids(&plan(&ten(), &policy, now())), vec![5, 7, 9]);
    }

    #[test]
    fn exclude_tag_wins_over_everything() {
        let policy = Policy {
            tags: globs(&["v*"]),
            exclude_tags: globs(&["v1*", "v6"]),
            ..Policy::default()
        };
        let plan = plan(&ten(), &policy, now());
        assert_eq!(deleted_ids(&plan), vec![2, 4, 8]);
        let ten = plan.entries.iter().find(|e| e.id == 10).unwrap();
        assert_eq!(
            ten.reason.to_string(),
            "kept: tag v10 matches --exclude-tag v1*"
        );
    }

    #[test]
    fn deletions_come_oldest_first() {
        let policy = Policy {
            untagged: true,
            ..Policy::default()
        };
        let plan = plan(&ten(), &policy, now());
        let order: Vec<i64> = plan.deletions().iter().map(|e| e.id).collect();
        assert_eq!(order, vec![9, 7, 5, 3, 1]);
    }

    #[test]
    fn children_of_kept_indexes_are_protected() {
        let policy = Policy {
            untagged: true,
            ..Policy::default()
        };
        let mut plan = plan(&ten(), &policy, now());
        let kept = plan.kept_unread(&HashSet::new());
        assert_eq!(kept.len(), 5);
        let parent = version(2, 0, &[]).name;
        let children = vec![
            (version(3, 0, &[]).name, ChildKind::Platform),
            (version(5, 0, &[]).name, ChildKind::Attestation),
            ("sha256:not-a-version-here".to_owned(), ChildKind::Platform),
        ];
        assert_eq!(plan.protect_children(&parent, Some("v2"), &children), 2);
        assert_eq!(deleted_ids(&plan), vec![1, 7, 9]);
        let three = plan.entries.iter().find(|e| e.id == 3).unwrap();
        assert_eq!(
            three.reason.to_string(),
            "kept: platform image of sha256:000000000000… (tag v2)"
        );
        let five = plan.entries.iter().find(|e| e.id == 5).unwrap();
        assert!(five.reason.to_string().starts_with("kept: attestation of"));
        // Protecting again changes nothing.
        assert_eq!(plan.protect_children(&parent, Some("v2"), &children), 0);
    }

    #[test]
    fn every_kept_version_is_read_tagged_first_and_each_digest_once() {
        // --keep-last keeps ids 11 and 1-3: 1 and 3 untagged, 2 tagged.
        let policy = Policy {
            keep_last: Some(4),
            ..Policy::default()
        };
        let mut versions = ten();
        // The newest version, with the digest of id 1.
        let mut twin = version(11, 0, &[]);
        twin.name = version(1, 0, &[]).name;
        versions.push(twin);
        let plan = plan(&versions, &policy, now());
        let kept = plan.kept_unread(&HashSet::new());
        let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
        let name = |id| version(id, 0, &[]).name;
        assert_eq!(names, vec![name(2), name(1), name(3)]);
        assert_eq!(kept[0].1.as_deref(), Some("v2"));
        assert_eq!(kept[1].1, None);

        let looked_up: HashSet<String> = [name(2)].into_iter().collect();
        assert_eq!(plan.kept_unread(&looked_up).len(), 2);
    }

    #[test]
    fn short_digest_shortens_only_hex_digests() {
        assert_eq!(
            short_digest(&version(1, 0, &[]).name),
            "sha256:000000000000…"
        );
        // A Maven-style name with a colon and multi-byte characters.
        assert_eq!(short_digest("x:aéééééééé5"), "x:aéééééééé5");
        assert_eq!(
            short_digest("com.example:lib-ééééééééééééé"),
            "com.example:lib-ééééééééééééé"
        );
        assert_eq!(short_digest("1.0.0"), "1.0.0");
        assert_eq!(short_digest("sha256:abc"), "sha256:abc");
    }

    #[test]
    fn an_unreadable_registry_holds_back_every_untagged_deletion() {
        let policy = Policy {
            older_than: Some(Duration::from_secs(43_200)),
            ..Policy::default()
        };
        let mut plan = plan(&ten(), &policy, now());
        assert_eq!(plan.hold_untagged(), 5);
        assert_eq!(deleted_ids(&plan), vec![2, 4, 6, 8, 10]);
    }

    #[test]
    fn release_tags_protected_by_a_character_class_are_kept() {
        // Issue 9, item 1: `v[0-9]*` must protect v2, v4, ... v10.
        let policy = Policy {
            keep_last: Some(1),
            exclude_tags: globs(&["v[0-9]*"]),
            ..Policy::default()
        };
        assert_eq!(deleted_ids(&plan(&ten(), &policy, now())), vec![3, 5, 7, 9]);
        let policy = Policy {
            keep_last: Some(1),
            exclude_tags: vec![TagPattern::regex("^v[0-9]+$").unwrap()],
            ..Policy::default()
        };
        let plan = plan(&ten(), &policy, now());
        assert_eq!(deleted_ids(&plan), vec![3, 5, 7, 9]);
        let four = plan.entries.iter().find(|e| e.id == 4).unwrap();
        assert_eq!(
            four.reason.to_string(),
            "kept: tag v4 matches --exclude-tag-regex ^v[0-9]+$"
        );
    }

    #[test]
    fn exclusions_that_match_no_tag_are_reported() {
        let policy = Policy {
            untagged: true,
            exclude_tags: vec![
                TagPattern::glob("v[0-9]*").unwrap(),
                TagPattern::glob("relase-*").unwrap(),
                TagPattern::regex("^stable$").unwrap(),
            ],
            ..Policy::default()
        };
        assert_eq!(
            policy.unmatched_excludes(&ten()),
            vec![
                "--exclude-tag relase-*".to_owned(),
                "--exclude-tag-regex ^stable$".to_owned()
            ]
        );
    }

    #[test]
    fn criteria_are_required_and_duplicates_decided_once() {
        assert!(
            !Policy {
                exclude_tags: globs(&["*"]),
                ..Policy::default()
            }
            .has_criteria()
        );
        assert!(
            Policy {
                untagged: true,
                ..Policy::default()
            }
            .has_criteria()
        );
        let mut versions = ten();
        versions.push(version(3, 72, &[]));
        let policy = Policy {
            untagged: true,
            ..Policy::default()
        };
        assert_eq!(plan(&versions, &policy, now()).entries.len(), 10);
    }

    #[test]
    fn docker_metadata_tags_count_too() {
        let mut v = version(1, 1, &[]);
        let metadata = v.metadata.as_mut().unwrap();
        metadata.container = None;
        metadata.docker = Some(github_packages::DockerMetadata {
            tag: vec!["a".into()],
            tags: vec!["b".into(), "a".into()],
        });
        assert_eq!(tags_of(&v), vec!["b".to_owned(), "a".to_owned()]);
    }
}
