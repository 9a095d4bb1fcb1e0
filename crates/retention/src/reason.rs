//! Why the plan deletes or keeps a version, as data: every reason has a
//! code and the facts behind it, so a program reads a plan without parsing
//! prose and a tool renders it in its own words (`ghpkg` names its flags).
//!
//! Serialised with the code inside the object:
//! `{"code": "part_of", "index": "sha256:…", "role": "platform", "platform": "linux/arm64"}`.

use serde::{Deserialize, Serialize};

use crate::images::{PartRole, ReferrerKind};
use crate::pattern::TagPattern;

/// Why a version is kept or deleted. The first rule that applies is the
/// one given; the [`Action`](crate::Action) beside it says which way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Kept: `tag` matches the exclusion `pattern`.
    Excluded {
        /// The tag that matched.
        tag: String,
        /// The exclusion it matched.
        pattern: TagPattern,
    },
    /// Kept: the name matches the exclusion `pattern`.
    ExcludedName {
        /// The version's name.
        name: String,
        /// The exclusion it matched.
        pattern: TagPattern,
    },
    /// Kept: the digest is excluded.
    ExcludedDigest {
        /// The digest.
        digest: String,
    },
    /// Kept: the image index `index`, which is kept, lists this version (a
    /// part shared by several indexes stays while any of them does).
    PartOf {
        /// The digest of the index.
        index: String,
        /// A tag of the index, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index_tag: Option<String>,
        /// What this version is to the index.
        role: PartRole,
        /// `os/architecture[/variant]`, when the index says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        platform: Option<String>,
    },
    /// Deleted: every image index that lists this version is deleted; it
    /// goes after them (only once their own deletes succeeded).
    PartOfDeleted {
        /// The digest of one of those indexes.
        index: String,
        /// What this version is to it.
        role: PartRole,
        /// `os/architecture[/variant]`, when the index says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        platform: Option<String>,
    },
    /// A referrer of `subject` (a signature, attestation or SBOM, named by a
    /// referrer tag or by its manifest's `subject` field), which is in the
    /// package: kept while its subject is kept, deleted with it (and only
    /// once the subject's own delete succeeded).
    ReferrerOf {
        /// The digest of the subject.
        subject: String,
        /// What the referrer is.
        kind: ReferrerKind,
    },
    /// Kept: one of the `n` newest images (`keep_last`).
    KeepLast {
        /// The count.
        n: usize,
    },
    /// Kept: one of the `n` newest tagged images (`keep_tagged`).
    KeepTagged {
        /// The count.
        n: usize,
    },
    /// Kept: one of the `n` newest untagged images (`keep_untagged`).
    KeepUntagged {
        /// The count.
        n: usize,
    },
    /// Kept: less than `older_than_seconds` old (counted from its
    /// `created_at`, or its `updated_at` when the policy says).
    Newer {
        /// The policy's age, in seconds.
        older_than_seconds: u64,
    },
    /// Kept: tagged, and the policy's rules select only untagged images.
    TaggedNotSelected,
    /// Kept: untagged, and the policy's rules select only tagged images.
    UntaggedNotSelected,
    /// Kept: the name matches none of the selecting name `patterns`.
    NoNameMatches {
        /// The selecting patterns.
        patterns: Vec<TagPattern>,
    },
    /// Kept: no tag matches any of the selecting `patterns`.
    NoTagMatches {
        /// The selecting patterns.
        patterns: Vec<TagPattern>,
    },
    /// Kept: some tags match a selecting pattern but `tag` does not, and
    /// deleting the version would delete that tag too.
    UnmatchedTag {
        /// The tag no selecting pattern matches.
        tag: String,
    },
    /// Kept: the registry could not be read, so it cannot be ruled out that
    /// this version is part of a kept multi-arch image.
    RegistryUnreadable,
    /// Deleted: every criterion of the policy holds.
    Selected {
        /// Each criterion that holds, in the policy's order.
        criteria: Vec<Criterion>,
    },
}

/// One criterion a deleted version meets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Criterion {
    /// Not one of the `n` newest images.
    BeyondKeepLast {
        /// The count.
        n: usize,
    },
    /// Not one of the `n` newest tagged images.
    BeyondKeepTagged {
        /// The count.
        n: usize,
    },
    /// Not one of the `n` newest untagged images.
    BeyondKeepUntagged {
        /// The count.
        n: usize,
    },
    /// Created more than `seconds` before the plan.
    OlderThan {
        /// The policy's age, in seconds.
        seconds: u64,
    },
    /// Untagged, and untagged versions are selected.
    Untagged,
    /// Every tag matches a selecting pattern; `tag` matched `pattern` first.
    TagMatches {
        /// The first tag that matched.
        tag: String,
        /// The pattern it matched.
        pattern: TagPattern,
    },
    /// The name matches a selecting name pattern.
    NameMatches {
        /// The version's name.
        name: String,
        /// The pattern it matched.
        pattern: TagPattern,
    },
    /// The digest is one the policy names for deletion.
    Digest {
        /// The digest.
        digest: String,
    },
    /// An image index none of whose `listed` manifests are in the package.
    GhostImage {
        /// How many manifests it lists.
        listed: usize,
    },
    /// An image index some of whose manifests are missing.
    PartialImage {
        /// How many manifests it lists.
        listed: usize,
        /// How many of them are not in the package.
        missing: usize,
    },
    /// A referrer whose subject is not in the package.
    OrphanedReferrer {
        /// The digest of the subject.
        subject: String,
        /// What the referrer is.
        kind: ReferrerKind,
    },
}

impl Reason {
    /// Every reason code, in the order of the enum.
    pub const CODES: &'static [&'static str] = &[
        "excluded",
        "excluded_name",
        "excluded_digest",
        "part_of",
        "part_of_deleted",
        "referrer_of",
        "keep_last",
        "keep_tagged",
        "keep_untagged",
        "newer",
        "tagged_not_selected",
        "untagged_not_selected",
        "no_name_matches",
        "no_tag_matches",
        "unmatched_tag",
        "registry_unreadable",
        "selected",
    ];

    /// The code this reason serialises with.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Excluded { .. } => "excluded",
            Reason::ExcludedName { .. } => "excluded_name",
            Reason::ExcludedDigest { .. } => "excluded_digest",
            Reason::PartOf { .. } => "part_of",
            Reason::PartOfDeleted { .. } => "part_of_deleted",
            Reason::ReferrerOf { .. } => "referrer_of",
            Reason::KeepLast { .. } => "keep_last",
            Reason::KeepTagged { .. } => "keep_tagged",
            Reason::KeepUntagged { .. } => "keep_untagged",
            Reason::Newer { .. } => "newer",
            Reason::TaggedNotSelected => "tagged_not_selected",
            Reason::UntaggedNotSelected => "untagged_not_selected",
            Reason::NoNameMatches { .. } => "no_name_matches",
            Reason::NoTagMatches { .. } => "no_tag_matches",
            Reason::UnmatchedTag { .. } => "unmatched_tag",
            Reason::RegistryUnreadable => "registry_unreadable",
            Reason::Selected { .. } => "selected",
        }
    }
}

impl Criterion {
    /// Every criterion code, in the order of the enum.
    pub const CODES: &'static [&'static str] = &[
        "beyond_keep_last",
        "beyond_keep_tagged",
        "beyond_keep_untagged",
        "older_than",
        "untagged",
        "tag_matches",
        "name_matches",
        "digest",
        "ghost_image",
        "partial_image",
        "orphaned_referrer",
    ];

    /// The code this criterion serialises with.
    pub fn code(&self) -> &'static str {
        match self {
            Criterion::BeyondKeepLast { .. } => "beyond_keep_last",
            Criterion::BeyondKeepTagged { .. } => "beyond_keep_tagged",
            Criterion::BeyondKeepUntagged { .. } => "beyond_keep_untagged",
            Criterion::OlderThan { .. } => "older_than",
            Criterion::Untagged => "untagged",
            Criterion::TagMatches { .. } => "tag_matches",
            Criterion::NameMatches { .. } => "name_matches",
            Criterion::Digest { .. } => "digest",
            Criterion::GhostImage { .. } => "ghost_image",
            Criterion::PartialImage { .. } => "partial_image",
            Criterion::OrphanedReferrer { .. } => "orphaned_referrer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_serialise_with_their_code() {
        let reason = Reason::PartOf {
            index: "sha256:1".into(),
            index_tag: None,
            role: PartRole::Platform,
            platform: Some("linux/arm64".into()),
        };
        let json = serde_json::to_value(&reason).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "part_of", "index": "sha256:1", "role": "platform",
                               "platform": "linux/arm64"})
        );
        assert_eq!(serde_json::from_value::<Reason>(json).unwrap(), reason);
        let selected = Reason::Selected {
            criteria: vec![Criterion::OlderThan { seconds: 60 }, Criterion::Untagged],
        };
        let json = serde_json::to_value(&selected).unwrap();
        assert_eq!(json["criteria"][1]["code"], "untagged");
        assert_eq!(serde_json::from_value::<Reason>(json).unwrap(), selected);
    }

    #[test]
    fn every_code_is_listed_and_matches_serde() {
        let samples = [
            Reason::TaggedNotSelected,
            Reason::UntaggedNotSelected,
            Reason::RegistryUnreadable,
            Reason::KeepLast { n: 1 },
            Reason::Newer {
                older_than_seconds: 1,
            },
        ];
        for reason in samples {
            let json = serde_json::to_value(&reason).unwrap();
            assert_eq!(json["code"], reason.code());
            assert!(Reason::CODES.contains(&reason.code()));
        }
        let mut codes = Reason::CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Reason::CODES.len());
    }
}
