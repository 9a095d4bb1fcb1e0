//! A retention policy as data: the keep counts, the age, the tag
//! selections and exclusions. Deciding with it is `decide.rs`'s job; this
//! file says what a policy is and which ones make no sense.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::pattern::TagPattern;

/// Which versions a prune deletes, and which it must keep whatever else.
///
/// Build one with its methods (or set the public fields on
/// `Policy::default()`), then [`check`](Policy::check) it:
///
/// ```
/// use std::time::Duration;
/// use github_packages_retention::{Policy, TagPattern};
///
/// let policy = Policy::default()
///     .untagged()
///     .older_than(Duration::from_secs(30 * 86_400))
///     .exclude_tag(TagPattern::glob("v*")?);
/// policy.check()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Policy {
    /// Keep the N newest images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_last: Option<usize>,
    /// Keep the N newest tagged images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_tagged: Option<usize>,
    /// Keep the N newest untagged images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_untagged: Option<usize>,
    /// Delete only versions older than this.
    #[serde(
        default,
        rename = "older_than_seconds",
        with = "seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub older_than: Option<Duration>,
    /// Select untagged versions.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untagged: bool,
    /// Select versions every tag of which matches one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagPattern>,
    /// Keep every version with a tag that matches one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_tags: Vec<TagPattern>,
    /// Select only versions whose name (a digest for containers, the
    /// version for npm, Maven, ...) matches one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<TagPattern>,
    /// Keep every version whose name matches one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_names: Vec<TagPattern>,
    /// Delete the images with these digests (with their parts), whatever
    /// the keep counts say; exclusions still protect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub digests: Vec<String>,
    /// Keep the versions with these digests, and so their parts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_digests: Vec<String>,
    /// Which timestamp ages and "newest" are counted from.
    #[serde(default, skip_serializing_if = "AgeFrom::is_created")]
    pub age_from: AgeFrom,
    /// Delete image indexes none of whose manifests are in the package.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_ghost_images: bool,
    /// Delete image indexes some of whose manifests are missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_partial_images: bool,
    /// Delete referrers (signatures, attestations, SBOMs) whose subject is
    /// not in the package.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_orphaned_referrers: bool,
}

/// The timestamp a version's age and recency are read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeFrom {
    /// `created_at`, as GitHub lists it (the default).
    #[default]
    Created,
    /// `updated_at`: a version re-tagged recently counts as new.
    Updated,
}

impl AgeFrom {
    fn is_created(&self) -> bool {
        *self == AgeFrom::Created
    }
}

/// A policy that cannot be used as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// Nothing narrower than "every version" is given: no keep count, age
    /// or selection (exclusions only protect).
    NoCriteria,
    /// A digest that is not `algorithm:hex`.
    InvalidDigest(String),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::NoCriteria => f.write_str(
                "the policy has no keep count, age or selection, so it would delete every \
                 version (exclusions only protect)",
            ),
            PolicyError::InvalidDigest(digest) => write!(
                f,
                "`{digest}` is not a digest; write one as sha256: and 64 hex digits"
            ),
        }
    }
}

/// Whether `digest` reads as `algorithm:hex` (`sha256:` and 64 hex digits,
/// or another algorithm's).
pub(crate) fn is_digest(digest: &str) -> bool {
    match digest.split_once(':') {
        Some((algorithm, hex)) => {
            !algorithm.is_empty()
                && algorithm
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && hex.len() >= 32
                && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                && (algorithm != "sha256" || hex.len() == 64)
        }
        None => false,
    }
}

impl std::error::Error for PolicyError {}

impl Policy {
    /// Keeps the `n` newest images.
    #[must_use]
    pub fn keep_last(mut self, n: usize) -> Self {
        self.keep_last = Some(n);
        self
    }

    /// Keeps the `n` newest tagged images.
    #[must_use]
    pub fn keep_tagged(mut self, n: usize) -> Self {
        self.keep_tagged = Some(n);
        self
    }

    /// Keeps the `n` newest untagged images.
    #[must_use]
    pub fn keep_untagged(mut self, n: usize) -> Self {
        self.keep_untagged = Some(n);
        self
    }

    /// Deletes only versions older than `age`.
    #[must_use]
    pub fn older_than(mut self, age: Duration) -> Self {
        self.older_than = Some(age);
        self
    }

    /// Selects untagged versions.
    #[must_use]
    pub fn untagged(mut self) -> Self {
        self.untagged = true;
        self
    }

    /// Selects versions every tag of which matches `pattern` (or another
    /// selecting pattern).
    #[must_use]
    pub fn tag(mut self, pattern: TagPattern) -> Self {
        self.tags.push(pattern);
        self
    }

    /// Keeps every version with a tag matching `pattern`.
    #[must_use]
    pub fn exclude_tag(mut self, pattern: TagPattern) -> Self {
        self.exclude_tags.push(pattern);
        self
    }

    /// Selects versions by name (see [`Policy::names`]).
    #[must_use]
    pub fn name(mut self, pattern: TagPattern) -> Self {
        self.names.push(pattern);
        self
    }

    /// Keeps every version whose name matches `pattern`.
    #[must_use]
    pub fn exclude_name(mut self, pattern: TagPattern) -> Self {
        self.exclude_names.push(pattern);
        self
    }

    /// Deletes the image with this digest (see [`Policy::digests`]).
    #[must_use]
    pub fn digest(mut self, digest: impl Into<String>) -> Self {
        self.digests.push(digest.into());
        self
    }

    /// Keeps the version with this digest, and its parts.
    #[must_use]
    pub fn exclude_digest(mut self, digest: impl Into<String>) -> Self {
        self.exclude_digests.push(digest.into());
        self
    }

    /// Counts ages and recency from `from`.
    #[must_use]
    pub fn age_from(mut self, from: AgeFrom) -> Self {
        self.age_from = from;
        self
    }

    /// Deletes ghost images: indexes none of whose manifests are here.
    #[must_use]
    pub fn delete_ghost_images(mut self) -> Self {
        self.delete_ghost_images = true;
        self
    }

    /// Deletes partial images: indexes some of whose manifests are missing.
    #[must_use]
    pub fn delete_partial_images(mut self) -> Self {
        self.delete_partial_images = true;
        self
    }

    /// Deletes referrers whose subject is not in the package.
    #[must_use]
    pub fn delete_orphaned_referrers(mut self) -> Self {
        self.delete_orphaned_referrers = true;
        self
    }

    /// Whether the policy selects anything narrower than "every version".
    /// Exclusions alone do not count: they only protect.
    pub fn has_criteria(&self) -> bool {
        self.has_rules()
            || !self.digests.is_empty()
            || self.delete_ghost_images
            || self.delete_partial_images
            || self.delete_orphaned_referrers
    }

    /// Whether the rules (keep counts, ages, selections) say anything
    /// besides the explicit deletions (digests, ghost and partial images,
    /// orphaned referrers); without them the rules delete nothing.
    pub(crate) fn has_rules(&self) -> bool {
        let (tagged, untagged) = self.kinds_named();
        tagged
            || untagged
            || self.keep_last.is_some()
            || self.older_than.is_some()
            || !self.names.is_empty()
    }

    /// Whether a rule names tagged images (`keep_tagged`, tag patterns),
    /// and whether one names untagged images (`keep_untagged`, `untagged`).
    fn kinds_named(&self) -> (bool, bool) {
        (
            self.keep_tagged.is_some() || !self.tags.is_empty(),
            self.keep_untagged.is_some() || self.untagged,
        )
    }

    /// Whether the rules select tagged images: a tagged rule (`keep_tagged`,
    /// tag patterns) is given, or no rule of either kind is (then keep_last,
    /// the age and the names decide for both kinds). Each kind follows its
    /// own rules and a policy with rules of both deletes the union.
    pub fn selects_tagged(&self) -> bool {
        let (tagged, untagged) = self.kinds_named();
        self.has_rules() && (tagged || !untagged)
    }

    /// Whether the rules select untagged images; see
    /// [`Policy::selects_tagged`].
    pub fn selects_untagged(&self) -> bool {
        let (tagged, untagged) = self.kinds_named();
        self.has_rules() && (untagged || !tagged)
    }

    /// Refuses a policy that would delete every version, or names a digest
    /// that is not one.
    ///
    /// # Errors
    ///
    /// The [`PolicyError`] that says which.
    pub fn check(&self) -> Result<(), PolicyError> {
        if let Some(bad) = self
            .digests
            .iter()
            .chain(&self.exclude_digests)
            .find(|d| !is_digest(d))
        {
            return Err(PolicyError::InvalidDigest(bad.clone()));
        }
        if self.has_criteria() {
            Ok(())
        } else {
            Err(PolicyError::NoCriteria)
        }
    }

    /// The exclusions that match none of `tags`: a protection that protects
    /// nothing is most likely a typo.
    pub fn unmatched_exclusions<'t>(
        &self,
        tags: impl IntoIterator<Item = &'t String> + Clone,
    ) -> Vec<TagPattern> {
        self.exclude_tags
            .iter()
            .filter(|p| !tags.clone().into_iter().any(|t| p.matches(t)))
            .cloned()
            .collect()
    }
}

/// `Option<Duration>` as whole seconds.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => serializer.serialize_some(&d.as_secs()),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(deserializer)?.map(Duration::from_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(patterns: &[&str]) -> Vec<TagPattern> {
        patterns
            .iter()
            .map(|p| TagPattern::glob(p).unwrap())
            .collect()
    }

    #[test]
    fn each_kind_follows_its_own_rules_and_both_make_a_union() {
        let both = Policy::default().keep_tagged(10).untagged();
        assert!(both.check().is_ok());
        assert!(both.selects_tagged() && both.selects_untagged());
        let tagged = Policy::default().keep_tagged(10);
        assert!(tagged.selects_tagged() && !tagged.selects_untagged());
        let untagged = Policy::default()
            .keep_untagged(1)
            .older_than(Duration::from_secs(60));
        assert!(!untagged.selects_tagged() && untagged.selects_untagged());
        let neither = Policy::default().keep_last(3);
        assert!(neither.selects_tagged() && neither.selects_untagged());
        let tags_and_untagged_count = Policy {
            keep_untagged: Some(3),
            tags: globs(&["pr-*"]),
            ..Policy::default()
        };
        assert!(tags_and_untagged_count.check().is_ok());
        assert!(tags_and_untagged_count.selects_tagged());
        // Explicit deletions alone select no kind by the rules.
        let ghosts = Policy::default().delete_ghost_images();
        assert!(ghosts.check().is_ok());
        assert!(!ghosts.selects_tagged() && !ghosts.selects_untagged());
    }

    #[test]
    fn digests_must_be_digests() {
        let hex = "a".repeat(64);
        assert!(
            Policy::default()
                .digest(format!("sha256:{hex}"))
                .check()
                .is_ok()
        );
        for bad in [
            "latest".to_owned(),
            "sha256:abc".to_owned(),
            format!("SHA256:{hex}"),
            format!("sha256:{}", "g".repeat(64)),
        ] {
            assert_eq!(
                Policy::default()
                    .exclude_digest(bad.clone())
                    .keep_last(1)
                    .check(),
                Err(PolicyError::InvalidDigest(bad.clone())),
                "{bad}"
            );
        }
    }

    #[test]
    fn criteria_are_required() {
        let only_exclusions = Policy {
            exclude_tags: globs(&["*"]),
            ..Policy::default()
        };
        assert_eq!(only_exclusions.check(), Err(PolicyError::NoCriteria));
        assert!(Policy::default().untagged().check().is_ok());
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
        let tags = ["v2".to_owned(), "latest".to_owned()];
        let unmatched: Vec<String> = policy
            .unmatched_exclusions(&tags)
            .iter()
            .map(|p| p.source().to_owned())
            .collect();
        assert_eq!(unmatched, ["relase-*", "^stable$"]);
    }

    #[test]
    fn a_policy_round_trips_through_json() {
        let policy = Policy {
            keep_tagged: Some(10),
            older_than: Some(Duration::from_secs(1_209_600)),
            untagged: true,
            exclude_tags: globs(&["v*"]),
            ..Policy::default()
        };
        let json = serde_json::to_value(&policy).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"keep_tagged": 10, "older_than_seconds": 1_209_600,
                               "untagged": true, "exclude_tags": [{"glob": "v*"}]})
        );
        assert_eq!(serde_json::from_value::<Policy>(json).unwrap(), policy);
    }
}
