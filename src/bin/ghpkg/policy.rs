//! The retention policy: which active versions a prune deletes and why every
//! other one is kept. Pure: versions, flags, a clock and what the registry
//! said about images in; a plan out. `prune.rs` reads manifests of the kept
//! versions, records them in [`Images`], and plans again until nothing new is
//! learned.
//!
//! Order of precedence, first match wins for the reason shown:
//! 1. `--exclude-tag` / `--exclude-tag-regex`: kept, whatever else;
//! 2. referrers (tags `sha256-<hex>`, `.sig`, `.att`, `.sbom`: cosign
//!    signatures, attestations, SBOMs): follow their subject, kept while it
//!    is kept, deleted with it or when it is gone;
//! 3. parts of a kept image (platform images, attestations, nested indexes
//!    an image index lists): kept;
//! 4. keep rules: `--keep-last N` (newest N), `--keep-tagged N`,
//!    `--keep-untagged N` (newest N of that kind). Versions kept by 1-3 do not
//!    use up a slot: the counts are of images, not of their parts;
//! 5. selection, every given criterion must hold: beyond the keep counts,
//!    `--older-than`, `--untagged` or every tag matching a `--tag` pattern.

use std::collections::{HashMap, HashSet};
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
    pub(crate) keep_tagged: Option<usize>,
    pub(crate) keep_untagged: Option<usize>,
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
            || self.keep_tagged.is_some()
            || self.keep_untagged.is_some()
            || self.older_than.is_some()
            || self.untagged
            || !self.tags.is_empty()
    }

    /// Flags that cannot both hold for any version, so the prune could
    /// never delete anything: a mistake worth a usage error.
    pub(crate) fn contradiction(&self) -> Option<String> {
        let kinds = (self.keep_tagged.is_some(), self.keep_untagged.is_some());
        match kinds {
            (true, false) if self.untagged && self.tags.is_empty() => Some(
                "--keep-tagged selects only tagged versions and --untagged only untagged ones, \
                 so nothing could be deleted; for untagged versions use --keep-untagged"
                    .to_owned(),
            ),
            (false, true) if !self.untagged && !self.tags.is_empty() => Some(
                "--keep-untagged selects only untagged versions and --tag only tagged ones, so \
                 nothing could be deleted; for tagged versions use --keep-tagged"
                    .to_owned(),
            ),
            _ => None,
        }
    }

    /// The exclusion patterns that match no tag of any version listed, as
    /// `--exclude-tag PATTERN`: a protection that protects nothing is most
    /// likely a typo.
    pub(crate) fn unmatched_excludes<'t>(
        &self,
        tags: impl IntoIterator<Item = &'t String> + Clone,
    ) -> Vec<String> {
        self.exclude_tags
            .iter()
            .filter(|p| !tags.clone().into_iter().any(|t| p.matches(t)))
            .map(|p| p.described(true))
            .collect()
    }
}

/// The tags of a version, whichever metadata block GitHub put them in
/// ([`PackageVersion::tags`]), owned.
pub(crate) fn tags_of(version: &PackageVersion) -> Vec<String> {
    version.tags().into_iter().map(str::to_owned).collect()
}

/// What the plan does with a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// What a referrer tag says its version is, by its suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReferrerKind {
    /// `.sig`: a cosign signature.
    Signature,
    /// `.att`, or no suffix (the index GitHub's attestations are pushed as).
    Attestation,
    /// `.sbom`.
    Sbom,
    /// Another suffix.
    Other(String),
}

impl fmt::Display for ReferrerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferrerKind::Signature => f.write_str("signature"),
            ReferrerKind::Attestation => f.write_str("attestation"),
            ReferrerKind::Sbom => f.write_str("SBOM"),
            ReferrerKind::Other(suffix) => write!(f, ".{suffix} referrer"),
        }
    }
}

/// The subject and kind a referrer tag names: `sha256-<64 hex>` with an
/// optional `.suffix`, the scheme cosign and GitHub's attestations use on
/// registries without the OCI referrers API (GHCR).
pub(crate) fn referrer_tag(tag: &str) -> Option<(String, ReferrerKind)> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, suffix) = match rest.split_once('.') {
        Some((hex, suffix)) => (hex, Some(suffix)),
        None => (rest, None),
    };
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let kind = match suffix {
        None | Some("att") => ReferrerKind::Attestation,
        Some("sig") => ReferrerKind::Signature,
        Some("sbom") => ReferrerKind::Sbom,
        Some(other) if !other.is_empty() => ReferrerKind::Other(other.to_owned()),
        Some(_) => return None,
    };
    Some((format!("sha256:{hex}"), kind))
}

/// What became of a referrer's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    Kept,
    Deleted,
    /// Not among the package's active versions.
    Gone,
}

/// Why a version is deleted or kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    ExcludedTag {
        tag: String,
        /// The flag and pattern, e.g. `--exclude-tag v*`.
        pattern: String,
    },
    Referrer {
        kind: ReferrerKind,
        subject: String,
        state: Subject,
    },
    ChildOf {
        kind: ChildKind,
        parent: String,
        parent_tag: Option<String>,
    },
    MostRecent {
        n: usize,
    },
    MostRecentTagged {
        n: usize,
    },
    MostRecentUntagged {
        n: usize,
    },
    /// Only the keep rule of the other kind selects versions.
    OtherKind {
        tagged: bool,
    },
    Newer {
        older_than: Duration,
    },
    TaggedButUntaggedOnly,
    NoTagMatches {
        /// Each flag and pattern, e.g. `--tag pr-*`.
        patterns: Vec<String>,
    },
    /// Some tags match `--tag`, this one does not: deleting the version
    /// would delete this tag too.
    UnmatchedTag {
        tag: String,
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
            Reason::Referrer {
                kind,
                subject,
                state,
            } => {
                let subject = short_digest(subject);
                match state {
                    Subject::Kept => write!(f, "kept: {kind} of {subject}, which is kept"),
                    Subject::Deleted => write!(f, "delete: {kind} of {subject}, deleted with it"),
                    Subject::Gone => write!(f, "delete: {kind} of {subject}, which is gone"),
                }
            }
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
            Reason::MostRecent { n } => write!(f, "kept: one of the {n} most recent"),
            Reason::MostRecentTagged { n } => {
                write!(f, "kept: one of the {n} most recent tagged versions")
            }
            Reason::MostRecentUntagged { n } => {
                write!(f, "kept: one of the {n} most recent untagged versions")
            }
            Reason::OtherKind { tagged: true } => {
                f.write_str("kept: tagged, and only --keep-untagged selects")
            }
            Reason::OtherKind { tagged: false } => {
                f.write_str("kept: untagged, and only --keep-tagged selects")
            }
            Reason::Newer { older_than } => {
                write!(f, "kept: newer than {}", duration::format(*older_than))
            }
            Reason::TaggedButUntaggedOnly => f.write_str("kept: tagged and --untagged given"),
            Reason::NoTagMatches { patterns } => {
                write!(f, "kept: no tag matches {}", patterns.join(", "))
            }
            Reason::UnmatchedTag { tag } => {
                write!(f, "kept: also tagged {tag}, which no --tag matches")
            }
            Reason::UntaggedButTagOnly => {
                f.write_str("kept: untagged, and --tag given without --untagged")
            }
            Reason::RegistryUnreadable => f.write_str(
                "kept: the registry could not be read to rule out that it belongs to a kept \
                 multi-arch image",
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

/// An image index whose listed manifests are not all among the package's
/// versions: a "ghost" when none is, a partial image otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ghost {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) missing: usize,
    pub(crate) listed: usize,
}

impl fmt::Display for Ghost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.missing == self.listed {
            "ghost image"
        } else {
            "partial image"
        };
        write!(
            f,
            "{what}: version {} ({}{}) lists {} manifests, {} of them not in the package; \
             pulling it may fail. If a prune deleted them in the last 30 days, `ghpkg undo` \
             with its journal restores them",
            self.id,
            short_digest(&self.name),
            if self.tags.is_empty() {
                String::new()
            } else {
                format!(", tags {}", self.tags.join(","))
            },
            self.listed,
            self.missing
        )
    }
}

/// What the registry said about the manifests read so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Images {
    /// Each digest read (or known to be a single image), with the manifests
    /// it lists; empty for a single image.
    read: HashMap<String, Vec<(String, ChildKind)>>,
    /// The registry could not be read: any version may be part of a kept
    /// image, so nothing is deleted but what follows a deleted subject.
    unreadable: bool,
}

impl Images {
    /// Records what the manifest `digest` lists.
    pub(crate) fn record(&mut self, digest: String, children: Vec<(String, ChildKind)>) {
        self.read.insert(digest, children);
    }

    /// Records that the registry could not be read: planning again holds
    /// every delete (a referrer of a held subject is held with it).
    pub(crate) fn mark_unreadable(&mut self) {
        self.unreadable = true;
    }

    /// Whether `digest` was read (or needs no read).
    pub(crate) fn is_known(&self, digest: &str) -> bool {
        self.read.contains_key(digest)
    }

    fn children(&self, digest: &str) -> &[(String, ChildKind)] {
        self.read.get(digest).map_or(&[], Vec::as_slice)
    }
}

/// The decision for every active version, newest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub(crate) entries: Vec<Entry>,
    /// Kept image indexes whose children are missing from the package.
    pub(crate) ghosts: Vec<Ghost>,
}

/// Newest first: later `created_at`, then higher id.
fn newest_first(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))
}

/// The subject of a version whose tags are all referrer tags.
fn referrer_of(tags: &[String]) -> Option<(String, ReferrerKind)> {
    let mut found = None;
    for tag in tags {
        let (subject, kind) = referrer_tag(tag)?;
        if found.is_none() {
            found = Some((subject, kind));
        }
    }
    found
}

/// Decides every version from the policy and what is known of the images,
/// as of `now`. Planning again with more [`Images`] only ever keeps more.
pub(crate) fn plan(
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

    // Children of kept indexes, learned a level at a time: keeping a child
    // may keep a nested index whose children are then kept too.
    let mut children: HashMap<String, (String, ChildKind, Option<String>)> = HashMap::new();
    // The digests in the package, for referrers' subjects and ghost images.
    let present: HashSet<String> = entries.iter().map(|e| e.name.clone()).collect();
    loop {
        decide_all(
            &mut entries,
            policy,
            cutoff,
            &children,
            &present,
            images.unreadable,
        );
        let mut learned = false;
        for entry in entries.iter().filter(|e| e.action == Action::Keep) {
            for (child, kind) in images.children(&entry.name) {
                if !children.contains_key(child) {
                    let parent_tag = entry.tags.first().cloned();
                    children.insert(child.clone(), (entry.name.clone(), *kind, parent_tag));
                    learned = true;
                }
            }
        }
        if !learned {
            break;
        }
    }
    let ghosts = entries
        .iter()
        .filter(|e| e.action == Action::Keep)
        .filter_map(|e| {
            let listed = images.children(&e.name);
            let missing = listed.iter().filter(|(c, _)| !present.contains(c)).count();
            (missing > 0).then(|| Ghost {
                id: e.id,
                name: e.name.clone(),
                tags: e.tags.clone(),
                missing,
                listed: listed.len(),
            })
        })
        .collect();
    Plan { entries, ghosts }
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
    children: &HashMap<String, (String, ChildKind, Option<String>)>,
    present: &HashSet<String>,
    hold: bool,
) {
    let mut ranks = Ranks::default();
    // Referrers whose subject is in the package, decided once it is.
    let mut referrers: Vec<(usize, String, ReferrerKind)> = Vec::new();
    for (index, entry) in entries.iter_mut().enumerate() {
        if let Some((tag, pattern)) = pattern::first_match(&policy.exclude_tags, &entry.tags) {
            entry.action = Action::Keep;
            entry.reason = Reason::ExcludedTag {
                tag: tag.to_owned(),
                pattern: pattern.described(true),
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
        if let Some((parent, kind, parent_tag)) = children.get(&entry.name) {
            entry.action = Action::Keep;
            entry.reason = Reason::ChildOf {
                kind: *kind,
                parent: parent.clone(),
                parent_tag: parent_tag.clone(),
            };
            continue;
        }
        // Everything else, a referrer whose subject is not in the package
        // included (signatures kept in a package of their own, say), goes
        // by the keep and selection rules.
        let (mut action, mut reason) = decide(entry, &mut ranks, policy, cutoff);
        if action == Action::Delete
            && let Some((subject, kind)) = referrer
        {
            reason = Reason::Referrer {
                kind,
                subject,
                state: Subject::Gone,
            };
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
            entry.reason = Reason::Referrer {
                kind: kind.clone(),
                subject: subject.clone(),
                state: match action {
                    Action::Keep => Subject::Kept,
                    Action::Delete => Subject::Deleted,
                },
            };
            decided.insert(entry.name.clone(), action);
            false
        });
        if referrers.len() == before {
            // Referrers of each other only: keep them.
            for (index, subject, kind) in referrers.drain(..) {
                let entry = &mut entries[index];
                entry.action = Action::Keep;
                entry.reason = Reason::Referrer {
                    kind,
                    subject,
                    state: Subject::Kept,
                };
            }
        }
    }
}

/// The keep rules and selection for one version that nothing else protects.
fn decide(
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
        return (Action::Keep, Reason::MostRecent { n });
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
            Reason::MostRecentTagged { n }
        } else {
            Reason::MostRecentUntagged { n }
        };
        return (Action::Keep, reason);
    }

    let mut criteria = Vec::new();
    if let Some(n) = policy.keep_last {
        criteria.push(format!("not one of the {n} most recent"));
    }
    if policy.keep_tagged.is_some() || policy.keep_untagged.is_some() {
        match keep_kind {
            Some(n) if tagged => criteria.push(format!("not one of the {n} most recent tagged")),
            Some(n) => criteria.push(format!("not one of the {n} most recent untagged")),
            None => return (Action::Keep, Reason::OtherKind { tagged }),
        }
    }
    if let (Some(cutoff), Some(older_than)) = (cutoff, policy.older_than) {
        if entry.created_at >= cutoff {
            return (Action::Keep, Reason::Newer { older_than });
        }
        criteria.push(format!("older than {}", duration::format(older_than)));
    }
    if policy.untagged || !policy.tags.is_empty() {
        if !tagged {
            if !policy.untagged {
                return (Action::Keep, Reason::UntaggedButTagOnly);
            }
            criteria.push("untagged".to_owned());
        } else if policy.tags.is_empty() {
            return (Action::Keep, Reason::TaggedButUntaggedOnly);
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
                    let patterns = policy.tags.iter().map(|p| p.described(false)).collect();
                    return (Action::Keep, Reason::NoTagMatches { patterns });
                }
                (Some(_), Some(tag)) => {
                    return (Action::Keep, Reason::UnmatchedTag { tag: tag.clone() });
                }
                (Some(_), None) => {}
            }
            if let Some((tag, p)) = matched {
                criteria.push(format!("tag {tag} matches {}", p.described(false)));
            }
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

    /// How many versions are kept as parts of a kept image.
    pub(crate) fn children_kept(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.reason, Reason::ChildOf { .. }))
            .count()
    }

    /// Kept versions, tagged or not, whose manifest may be an image index and
    /// has not been read, by digest (each digest once), with a tag to name
    /// it by. Tagged versions come first: they are the likeliest indexes.
    pub(crate) fn kept_unread(&self, images: &Images) -> Vec<(String, Option<String>)> {
        let mut kept: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.action == Action::Keep && !images.is_known(&e.name))
            .collect();
        kept.sort_by_key(|e| e.tags.is_empty());
        let mut seen = HashSet::new();
        kept.into_iter()
            .filter(|e| seen.insert(e.name.as_str()))
            .map(|e| (e.name.clone(), e.tags.first().cloned()))
            .collect()
    }

    /// How many versions are kept because the registry could not be read.
    pub(crate) fn held(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.reason == Reason::RegistryUnreadable)
            .count()
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
        let plan = super::plan(&versions, &policy, now(), &Images::default());
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
        let plan = super::plan(&ten(), &policy, now(), &Images::default());
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
            deleted_ids(&super::plan(&ten(), &untagged, now(), &Images::default())),
            vec![1, 3, 5, 7, 9]
        );

        let tag = Policy {
            tags: globs(&["v1?", "v4"]),
            ..Policy::default()
        };
        assert_eq!(
            deleted_ids(&super::plan(&ten(), &tag, now(), &Images::default())),
            vec![4, 10]
        );

        let both = Policy {
            untagged: true,
            tags: globs(&["v4"]),
            ..Policy::default()
        };
        assert_eq!(
            deleted_ids(&super::plan(&ten(), &both, now(), &Images::default())),
            vec![1, 3, 4, 5, 7, 9]
        );

        let plan = super::plan(&ten(), &untagged, now(), &Images::default());
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
        assert_eq!(
            deleted_ids(&super::plan(&ten(), &policy, now(), &Images::default())),
            vec![5, 7, 9]
        );
    }

    #[test]
    fn exclude_tag_wins_over_everything() {
        let policy = Policy {
            tags: globs(&["v*"]),
            exclude_tags: globs(&["v1*", "v6"]),
            ..Policy::default()
        };
        let plan = super::plan(&ten(), &policy, now(), &Images::default());
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
        let plan = super::plan(&ten(), &policy, now(), &Images::default());
        let order: Vec<i64> = plan.deletions().iter().map(|e| e.id).collect();
        assert_eq!(order, vec![9, 7, 5, 3, 1]);
    }

    #[test]
    fn children_of_kept_indexes_are_protected() {
        let policy = Policy {
            untagged: true,
            ..Policy::default()
        };
        let mut images = Images::default();
        let plan0 = super::plan(&ten(), &policy, now(), &images);
        assert_eq!(plan0.kept_unread(&images).len(), 5);
        let parent = version(2, 0, &[]).name;
        images.record(
            parent.clone(),
            vec![
                (version(3, 0, &[]).name, ChildKind::Platform),
                (version(5, 0, &[]).name, ChildKind::Attestation),
                ("sha256:not-a-version-here".to_owned(), ChildKind::Platform),
            ],
        );
        let plan = super::plan(&ten(), &policy, now(), &images);
        assert_eq!(deleted_ids(&plan), vec![1, 7, 9]);
        assert_eq!(plan.children_kept(), 2);
        let three = plan.entries.iter().find(|e| e.id == 3).unwrap();
        assert_eq!(
            three.reason.to_string(),
            "kept: platform image of sha256:000000000000… (tag v2)"
        );
        let five = plan.entries.iter().find(|e| e.id == 5).unwrap();
        assert!(five.reason.to_string().starts_with("kept: attestation of"));
        // One of the three listed manifests is not in the package.
        assert_eq!(plan.ghosts.len(), 1);
        assert_eq!((plan.ghosts[0].missing, plan.ghosts[0].listed), (1, 3));
        assert!(
            plan.ghosts[0]
                .to_string()
                .starts_with("partial image: version 2")
        );
        // The read index is not read again.
        assert!(plan.kept_unread(&images).iter().all(|(d, _)| *d != parent));
    }

    #[test]
    fn nested_indexes_keep_their_children_too() {
        let policy = Policy {
            untagged: true,
            ..Policy::default()
        };
        let mut images = Images::default();
        let name = |id| version(id, 0, &[]).name;
        images.record(name(2), vec![(name(3), ChildKind::Index)]);
        images.record(name(3), vec![(name(5), ChildKind::Platform)]);
        let plan = super::plan(&ten(), &policy, now(), &images);
        assert_eq!(deleted_ids(&plan), vec![1, 7, 9]);
        let five = plan.entries.iter().find(|e| e.id == 5).unwrap();
        assert!(
            five.reason
                .to_string()
                .starts_with("kept: platform image of")
        );
        assert!(plan.ghosts.is_empty());
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
        let mut images = Images::default();
        let plan = super::plan(&versions, &policy, now(), &images);
        let kept = plan.kept_unread(&images);
        let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
        let name = |id| version(id, 0, &[]).name;
        assert_eq!(names, vec![name(2), name(1), name(3)]);
        assert_eq!(kept[0].1.as_deref(), Some("v2"));
        assert_eq!(kept[1].1, None);

        images.record(name(2), Vec::new());
        assert_eq!(plan.kept_unread(&images).len(), 2);
    }

    #[test]
    fn keep_counts_skip_excluded_versions_and_parts_of_kept_images() {
        // Ten versions: evens tagged v{i}; with v2 excluded, the two newest
        // tagged versions that count are v4 and v6.
        let policy = Policy {
            keep_tagged: Some(2),
            exclude_tags: globs(&["v2"]),
            ..Policy::default()
        };
        let plan = super::plan(&ten(), &policy, now(), &Images::default());
        assert_eq!(deleted_ids(&plan), vec![8, 10]);
        let four = plan.entries.iter().find(|e| e.id == 4).unwrap();
        assert_eq!(
            four.reason.to_string(),
            "kept: one of the 2 most recent tagged versions"
        );
        let one = plan.entries.iter().find(|e| e.id == 1).unwrap();
        assert_eq!(
            one.reason.to_string(),
            "kept: untagged, and only --keep-tagged selects"
        );

        // --keep-last 3 counts images: once v2's index is known to list 1
        // and 3, the three kept are 2 (with its parts), 4 and 5.
        let policy = Policy {
            keep_last: Some(3),
            ..Policy::default()
        };
        let name = |id| version(id, 0, &[]).name;
        let mut images = Images::default();
        images.record(
            name(2),
            vec![
                (name(1), ChildKind::Platform),
                (name(3), ChildKind::Platform),
            ],
        );
        let plan = super::plan(&ten(), &policy, now(), &images);
        assert_eq!(deleted_ids(&plan), vec![6, 7, 8, 9, 10]);
    }

    #[test]
    fn keep_untagged_and_keep_tagged_each_select_their_own_kind() {
        let policy = Policy {
            keep_tagged: Some(1),
            keep_untagged: Some(2),
            ..Policy::default()
        };
        let plan = super::plan(&ten(), &policy, now(), &Images::default());
        // Tagged 2,4,6,8,10 keep 2; untagged 1,3,5,7,9 keep 1 and 3.
        assert_eq!(deleted_ids(&plan), vec![4, 5, 6, 7, 8, 9, 10]);
        let policy = Policy {
            keep_untagged: Some(0),
            ..Policy::default()
        };
        let plan = super::plan(&ten(), &policy, now(), &Images::default());
        assert_eq!(deleted_ids(&plan), vec![1, 3, 5, 7, 9]);
        // Keep counts are not shrunk by age: the newest N stay whatever their
        // age, the age selects among the rest.
        let policy = Policy {
            keep_untagged: Some(1),
            older_than: Some(Duration::from_secs(4 * 86_400)),
            ..Policy::default()
        };
        let plan = super::plan(&ten(), &policy, now(), &Images::default());
        assert_eq!(deleted_ids(&plan), vec![5, 7, 9]);
    }

    #[test]
    fn contradictory_keep_and_tag_flags_are_named() {
        let only_tagged = Policy {
            keep_tagged: Some(3),
            untagged: true,
            ..Policy::default()
        };
        assert!(
            only_tagged
                .contradiction()
                .unwrap()
                .contains("--keep-untagged")
        );
        let only_untagged = Policy {
            keep_untagged: Some(3),
            tags: globs(&["pr-*"]),
            ..Policy::default()
        };
        assert!(
            only_untagged
                .contradiction()
                .unwrap()
                .contains("--keep-tagged")
        );
        let fine = Policy {
            keep_untagged: Some(3),
            untagged: true,
            ..Policy::default()
        };
        assert!(fine.contradiction().is_none());
    }

    #[test]
    fn a_version_is_deleted_by_tag_only_if_every_tag_matches() {
        let mut versions = ten();
        versions.push(version(11, 1, &["pr-7", "latest"]));
        versions.push(version(12, 1, &["pr-8"]));
        let policy = Policy {
            tags: globs(&["pr-*"]),
            ..Policy::default()
        };
        let plan = super::plan(&versions, &policy, now(), &Images::default());
        assert_eq!(deleted_ids(&plan), vec![12]);
        let both = plan.entries.iter().find(|e| e.id == 11).unwrap();
        assert_eq!(
            both.reason.to_string(),
            "kept: also tagged latest, which no --tag matches"
        );
    }

    #[test]
    fn referrers_follow_their_subject() {
        let hex = |id: i64| format!("{id:064x}");
        let mut versions = ten();
        // Signature of 2 (tagged v2, kept by --untagged), attestation of 1
        // (untagged, deleted), SBOM of a digest no longer in the package.
        versions.push(version(21, 0, &[&format!("sha256-{}.sig", hex(2))]));
        versions.push(version(22, 0, &[&format!("sha256-{}", hex(1))]));
        versions.push(version(23, 0, &[&format!("sha256-{}.sbom", hex(99))]));
        let policy = Policy {
            untagged: true,
            ..Policy::default()
        };
        let plan = super::plan(&versions, &policy, now(), &Images::default());
        assert_eq!(deleted_ids(&plan), vec![1, 3, 5, 7, 9, 22]);
        let reason = |id| {
            plan.entries
                .iter()
                .find(|e| e.id == id)
                .unwrap()
                .reason
                .to_string()
        };
        assert_eq!(
            reason(21),
            "kept: signature of sha256:000000000000…, which is kept"
        );
        assert_eq!(
            reason(22),
            "delete: attestation of sha256:000000000000…, deleted with it"
        );
        // Its subject is not in the package: the rules decide, and a tagged
        // version stays under --untagged.
        assert_eq!(reason(23), "kept: tagged and --untagged given");
        let policy = Policy {
            tags: globs(&["sha256-*"]),
            ..Policy::default()
        };
        let plan = super::plan(&versions, &policy, now(), &Images::default());
        let gone = plan.entries.iter().find(|e| e.id == 23).unwrap();
        assert_eq!(
            gone.reason.to_string(),
            "delete: SBOM of sha256:000000000000…, which is gone"
        );
        // An exclusion still protects a referrer, and referrers never use up
        // a keep slot.
        let policy = Policy {
            keep_last: Some(1),
            exclude_tags: globs(&["*.sbom"]),
            ..Policy::default()
        };
        let plan = super::plan(&versions, &policy, now(), &Images::default());
        let kept: Vec<i64> = plan
            .entries
            .iter()
            .filter(|e| e.action == Action::Keep)
            .map(|e| e.id)
            .collect();
        // 22 attests version 1, which keep-last keeps; 21 signs 2, which goes.
        assert_eq!(kept, vec![23, 22, 1]);
    }

    #[test]
    fn referrer_tags_are_recognised_strictly() {
        let hex = "a".repeat(64);
        assert_eq!(
            referrer_tag(&format!("sha256-{hex}.sig")),
            Some((format!("sha256:{hex}"), ReferrerKind::Signature))
        );
        assert_eq!(
            referrer_tag(&format!("sha256-{hex}")).unwrap().1,
            ReferrerKind::Attestation
        );
        assert_eq!(
            referrer_tag(&format!("sha256-{hex}.att")).unwrap().1,
            ReferrerKind::Attestation
        );
        assert_eq!(
            referrer_tag(&format!("sha256-{hex}.intoto")).unwrap().1,
            ReferrerKind::Other("intoto".into())
        );
        for not in [
            "sha256-abc.sig".to_owned(),
            format!("sha256-{}.sig", "A".repeat(64)),
            format!("sha256-{hex}."),
            format!("sha512-{hex}.sig"),
            "latest".to_owned(),
        ] {
            assert_eq!(referrer_tag(&not), None, "{not}");
        }
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
    fn an_unreadable_registry_holds_back_every_deletion_and_its_referrers() {
        // Tagged versions may be platform images too (`app:v1-amd64` joined
        // into `app:v1`), and a signature follows its held subject.
        let policy = Policy {
            older_than: Some(Duration::from_secs(43_200)),
            ..Policy::default()
        };
        let mut versions = ten();
        versions.push(version(21, 100, &[&format!("sha256-{:064x}.sig", 3)]));
        let mut images = Images::default();
        assert_eq!(
            deleted_ids(&super::plan(&versions, &policy, now(), &images)).len(),
            11
        );
        images.mark_unreadable();
        let plan = super::plan(&versions, &policy, now(), &images);
        assert!(deleted_ids(&plan).is_empty(), "{:?}", deleted_ids(&plan));
        assert_eq!(plan.held(), 10);
        let sig = plan.entries.iter().find(|e| e.id == 21).unwrap();
        assert_eq!(
            sig.reason.to_string(),
            "kept: signature of sha256:000000000000…, which is kept"
        );
    }

    #[test]
    fn referrers_of_referrers_and_of_other_packages() {
        let hex = |id: i64| format!("{id:064x}");
        let mut versions = ten();
        // An SBOM of version 2 (kept: tagged, --untagged), and the signature
        // of that SBOM; a signature whose subject lives in another package.
        let mut sbom = version(31, 0, &[&format!("sha256-{}.sbom", hex(2))]);
        sbom.name = format!("sha256:{}", hex(77));
        versions.push(sbom);
        versions.push(version(32, 0, &[&format!("sha256-{}.sig", hex(77))]));
        versions.push(version(33, 0, &[&format!("sha256-{}.sig", hex(999))]));
        let policy = Policy {
            untagged: true,
            ..Policy::default()
        };
        let plan = super::plan(&versions, &policy, now(), &Images::default());
        let reason = |id| {
            plan.entries
                .iter()
                .find(|e| e.id == id)
                .unwrap()
                .reason
                .to_string()
        };
        assert!(reason(31).ends_with("which is kept"), "{}", reason(31));
        assert!(reason(32).ends_with("which is kept"), "{}", reason(32));
        // Its subject is not here: the normal rules decide (tagged, kept).
        assert_eq!(reason(33), "kept: tagged and --untagged given");
        let policy = Policy {
            keep_last: Some(2),
            ..Policy::default()
        };
        let plan = super::plan(&versions, &policy, now(), &Images::default());
        let gone = plan.entries.iter().find(|e| e.id == 33).unwrap();
        assert_eq!(
            gone.action,
            Action::Keep,
            "it uses a keep slot: {}",
            gone.reason
        );
    }

    #[test]
    fn release_tags_protected_by_a_character_class_are_kept() {
        // Issue 9, item 1: `v[0-9]*` must protect v2, v4, ... v10.
        let policy = Policy {
            keep_last: Some(1),
            exclude_tags: globs(&["v[0-9]*"]),
            ..Policy::default()
        };
        assert_eq!(
            deleted_ids(&super::plan(&ten(), &policy, now(), &Images::default())),
            vec![3, 5, 7, 9]
        );
        let policy = Policy {
            keep_last: Some(1),
            exclude_tags: vec![TagPattern::regex("^v[0-9]+$").unwrap()],
            ..Policy::default()
        };
        let plan = super::plan(&ten(), &policy, now(), &Images::default());
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
            policy.unmatched_excludes(&ten().iter().flat_map(tags_of).collect::<Vec<_>>()),
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
        assert_eq!(
            super::plan(&versions, &policy, now(), &Images::default())
                .entries
                .len(),
            10
        );
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
