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
}

/// A policy that cannot be used as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// Nothing narrower than "every version" is given: no keep count, age
    /// or selection (exclusions only protect).
    NoCriteria,
    /// `keep_tagged` selects only tagged versions and `untagged` only
    /// untagged ones, so no version could ever be deleted.
    KeepTaggedWithUntaggedOnly,
    /// `keep_untagged` selects only untagged versions and tag patterns only
    /// tagged ones, so no version could ever be deleted.
    KeepUntaggedWithTagsOnly,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyError::NoCriteria => {
                "the policy has no keep count, age or selection, so it would delete every \
                 version (exclusions only protect)"
            }
            PolicyError::KeepTaggedWithUntaggedOnly => {
                "keep_tagged selects only tagged versions and untagged only untagged ones, so \
                 nothing could be deleted"
            }
            PolicyError::KeepUntaggedWithTagsOnly => {
                "keep_untagged selects only untagged versions and tag patterns only tagged \
                 ones, so nothing could be deleted"
            }
        })
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

    /// Whether the policy selects anything narrower than "every version".
    /// Exclusions alone do not count: they only protect.
    pub fn has_criteria(&self) -> bool {
        self.keep_last.is_some()
            || self.keep_tagged.is_some()
            || self.keep_untagged.is_some()
            || self.older_than.is_some()
            || self.untagged
            || !self.tags.is_empty()
    }

    /// Refuses a policy that would delete every version, or none whatever
    /// the package holds.
    ///
    /// # Errors
    ///
    /// The [`PolicyError`] that says which.
    pub fn check(&self) -> Result<(), PolicyError> {
        let kinds = (self.keep_tagged.is_some(), self.keep_untagged.is_some());
        match kinds {
            (true, false) if self.untagged && self.tags.is_empty() => {
                return Err(PolicyError::KeepTaggedWithUntaggedOnly);
            }
            (false, true) if !self.untagged && !self.tags.is_empty() => {
                return Err(PolicyError::KeepUntaggedWithTagsOnly);
            }
            _ => {}
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
    fn contradictory_keep_and_tag_rules_are_named() {
        let only_tagged = Policy::default().keep_tagged(3).untagged();
        assert_eq!(
            only_tagged.check(),
            Err(PolicyError::KeepTaggedWithUntaggedOnly)
        );
        let only_untagged = Policy {
            keep_untagged: Some(3),
            tags: globs(&["pr-*"]),
            ..Policy::default()
        };
        assert_eq!(
            only_untagged.check(),
            Err(PolicyError::KeepUntaggedWithTagsOnly)
        );
        assert!(
            Policy::default()
                .keep_untagged(3)
                .untagged()
                .check()
                .is_ok()
        );
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
