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
    /// Kept: the image index `index`, which is kept, lists this version.
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
    /// A referrer of `subject` (a signature, attestation or SBOM), which is
    /// in the package: kept while its subject is kept, deleted with it (and
    /// only once the subject's own delete succeeded).
    ReferrerOf {
        /// The digest of the subject.
        subject: String,
        /// What the referrer is.
        kind: ReferrerKind,
    },
    /// Deleted: a referrer whose subject is not in the package, which the
    /// rules select like any other version.
    ReferrerOfGone {
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
    /// Kept: only a keep count of the other kind selects versions (tagged
    /// when `tagged`).
    OtherKindOnly {
        /// Whether this version is tagged.
        tagged: bool,
    },
    /// Kept: created less than `older_than_seconds` before the plan.
    Newer {
        /// The policy's age, in seconds.
        older_than_seconds: u64,
    },
    /// Kept: tagged, and only untagged versions are selected.
    TaggedNotSelected,
    /// Kept: untagged, and only tag patterns select.
    UntaggedNotSelected,
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
}

impl Reason {
    /// Every reason code, in the order of the enum.
    pub const CODES: &'static [&'static str] = &[
        "excluded",
        "part_of",
        "referrer_of",
        "referrer_of_gone",
        "keep_last",
        "keep_tagged",
        "keep_untagged",
        "other_kind_only",
        "newer",
        "tagged_not_selected",
        "untagged_not_selected",
        "no_tag_matches",
        "unmatched_tag",
        "registry_unreadable",
        "selected",
    ];

    /// The code this reason serialises with.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Excluded { .. } => "excluded",
            Reason::PartOf { .. } => "part_of",
            Reason::ReferrerOf { .. } => "referrer_of",
            Reason::ReferrerOfGone { .. } => "referrer_of_gone",
            Reason::KeepLast { .. } => "keep_last",
            Reason::KeepTagged { .. } => "keep_tagged",
            Reason::KeepUntagged { .. } => "keep_untagged",
            Reason::OtherKindOnly { .. } => "other_kind_only",
            Reason::Newer { .. } => "newer",
            Reason::TaggedNotSelected => "tagged_not_selected",
            Reason::UntaggedNotSelected => "untagged_not_selected",
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
