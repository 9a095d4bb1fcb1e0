//! Tag patterns: the globs and regular expressions a policy selects and
//! protects versions by.
//!
//! Globs are compiled by `globset` (full syntax: `*`, `?`, `[0-9]`, `[!a]`,
//! `{a,b}`, `\\` escapes) and must match the whole tag. Regexes are compiled
//! by `regex` and match anywhere in the tag, as in the clean-up actions users
//! come from; anchor them (`^v[0-9]+$`) to match the whole tag. Both are
//! case-sensitive, like tags. A pattern is checked when it is made, so a
//! typo is an error, never a pattern that silently matches nothing.

use std::fmt;

use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One compiled tag pattern, remembering how it was written.
///
/// It serialises as `{"glob": "v*"}` or `{"regex": "^v[0-9]+$"}`.
///
/// ```
/// use github_packages_retention::TagPattern;
///
/// let releases = TagPattern::glob("v[0-9]*")?;
/// assert!(releases.matches("v2.1.0"));
/// assert!(!releases.matches("vnext"));
/// let pr = TagPattern::regex("^pr-[0-9]+$")?;
/// assert!(pr.matches("pr-42"));
/// # Ok::<(), github_packages_retention::PatternError>(())
/// ```
#[derive(Clone)]
pub struct TagPattern {
    source: String,
    matcher: Matcher,
}

/// The kind and the pattern as written, not the compiled automaton.
impl fmt::Debug for TagPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}({:?})", self.kind(), self.source)
    }
}

#[derive(Clone)]
enum Matcher {
    Glob(GlobMatcher),
    Regex(Regex),
}

/// Whether a [`TagPattern`] is a glob or a regular expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternKind {
    /// A `globset` glob matching the whole tag.
    Glob,
    /// A `regex` regular expression matching anywhere in the tag.
    Regex,
}

/// Why a pattern was refused; its `Display` names the pattern and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    problem: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem)
    }
}

impl std::error::Error for PatternError {}

impl PatternError {
    pub(crate) fn new(problem: String) -> PatternError {
        PatternError { problem }
    }
}

fn refuse(problem: String) -> PatternError {
    PatternError::new(problem)
}

/// Tags never hold more than this many characters (the OCI distribution
/// spec caps them at 128); a longer pattern is almost surely pasted wrong.
const MAX_PATTERN_LEN: usize = 1024;

fn check_source(source: &str) -> Result<(), PatternError> {
    if source.is_empty() {
        return Err(refuse(
            "the pattern is empty, so it would match no tag; give a tag or a pattern such as \
             'v*'"
                .to_owned(),
        ));
    }
    if source.trim() != source {
        return Err(refuse(format!(
            "`{source}` starts or ends with white space, which no tag contains; remove it"
        )));
    }
    if source.len() > MAX_PATTERN_LEN {
        return Err(refuse(format!(
            "the pattern is {} bytes long; tags are at most 128 characters",
            source.len()
        )));
    }
    Ok(())
}

impl TagPattern {
    /// A glob that must match the whole tag.
    ///
    /// # Errors
    ///
    /// The glob is empty, has white space at either end, is longer than any
    /// tag could be, or is not valid glob syntax.
    pub fn glob(source: &str) -> Result<TagPattern, PatternError> {
        check_source(source)?;
        let glob = GlobBuilder::new(source)
            .backslash_escape(true)
            .empty_alternates(false)
            .literal_separator(false)
            .build()
            .map_err(|e| refuse(format!("`{source}` is not a valid glob: {}", e.kind())))?;
        Ok(TagPattern {
            source: source.to_owned(),
            matcher: Matcher::Glob(glob.compile_matcher()),
        })
    }

    /// A regular expression that may match anywhere in the tag.
    ///
    /// # Errors
    ///
    /// As [`TagPattern::glob`], or the expression is not valid, or it
    /// matches the empty string (and so every tag).
    pub fn regex(source: &str) -> Result<TagPattern, PatternError> {
        check_source(source)?;
        let regex = regex::RegexBuilder::new(source)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| refuse(format!("`{source}` is not a valid regular expression: {e}")))?;
        // A regex that matches the empty string matches every tag; that is
        // never what a tag filter means.
        if regex.is_match("") {
            return Err(refuse(format!(
                "`{source}` matches the empty string, so it would match every tag; anchor it \
                 or make it more specific (e.g. ^v[0-9]+)"
            )));
        }
        Ok(TagPattern {
            source: source.to_owned(),
            matcher: Matcher::Regex(regex),
        })
    }

    /// Whether `tag` matches.
    pub fn matches(&self, tag: &str) -> bool {
        match &self.matcher {
            Matcher::Glob(glob) => glob.is_match(tag),
            Matcher::Regex(regex) => regex.is_match(tag),
        }
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Glob or regular expression.
    pub fn kind(&self) -> PatternKind {
        match self.matcher {
            Matcher::Glob(_) => PatternKind::Glob,
            Matcher::Regex(_) => PatternKind::Regex,
        }
    }
}

/// Two patterns are equal when they are written the same way and are of
/// the same kind.
impl PartialEq for TagPattern {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.source == other.source
    }
}

impl Eq for TagPattern {}

impl fmt::Display for TagPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// The serialised form: one key naming the kind.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Written {
    Glob(String),
    Regex(String),
}

impl Serialize for TagPattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.kind() {
            PatternKind::Glob => Written::Glob(self.source.clone()),
            PatternKind::Regex => Written::Regex(self.source.clone()),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TagPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Written::deserialize(deserializer)? {
            Written::Glob(source) => TagPattern::glob(&source),
            Written::Regex(source) => TagPattern::regex(&source),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// The first pattern one of `tags` matches, with that tag.
pub(crate) fn first_match<'a>(
    patterns: &'a [TagPattern],
    tags: &'a [String],
) -> Option<(&'a str, &'a TagPattern)> {
    tags.iter().find_map(|tag| {
        patterns
            .iter()
            .find(|p| p.matches(tag))
            .map(|p| (tag.as_str(), p))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(pattern: &str, tag: &str) -> bool {
        TagPattern::glob(pattern).unwrap().matches(tag)
    }

    fn r(pattern: &str, tag: &str) -> bool {
        TagPattern::regex(pattern).unwrap().matches(tag)
    }

    #[test]
    fn character_classes_are_classes_not_literals() {
        // Issue 9, item 1: `v[0-9]*` protected nothing because `[` was taken
        // literally.
        assert!(g("v[0-9]*", "v53"));
        assert!(g("v[0-9]*", "v2.1.0"));
        assert!(!g("v[0-9]*", "vnext"));
        assert!(g("[!a]*", "b1"));
        assert!(!g("[!a]*", "a1"));
        assert!(g("{latest,stable}", "stable"));
        assert!(!g("{latest,stable}", "nightly"));
        assert!(g(r"v\*", "v*"));
        assert!(!g(r"v\*", "v1"));
    }

    #[test]
    fn globs_cover_the_whole_tag_and_respect_case() {
        assert!(g("v*", "v1.2.3"));
        assert!(!g("v*", "release-v1"));
        assert!(!g("latest", "Latest"));
        assert!(g("v?", "v1"));
        assert!(!g("v?", "v12"));
        assert!(g("*-rc*", "1.0-rc2"));
    }

    #[test]
    fn regexes_search_unless_anchored() {
        assert!(r("v[0-9]+", "release-v1"));
        assert!(!r("^v[0-9]+$", "release-v1"));
        assert!(r("^v[0-9]+$", "v12"));
        assert!(r("^pr-\\d+$", "pr-42"));
    }

    #[test]
    fn bad_and_empty_patterns_are_refused_with_the_reason() {
        for (bad, hint) in [
            ("[", "not a valid glob"),
            ("v[0-9", "not a valid glob"),
            ("{a,b", "not a valid glob"),
            ("", "empty"),
            (" v1", "white space"),
        ] {
            let err = TagPattern::glob(bad).unwrap_err().to_string();
            assert!(err.contains(hint), "{bad:?}: {err}");
        }
        for (bad, hint) in [
            ("(", "not a valid regular expression"),
            ("", "empty"),
            (".*", "matches the empty string"),
            ("v?", "matches the empty string"),
        ] {
            let err = TagPattern::regex(bad).unwrap_err().to_string();
            assert!(err.contains(hint), "{bad:?}: {err}");
        }
    }

    #[test]
    fn first_match_reports_the_tag_and_the_pattern() {
        let patterns = [
            TagPattern::glob("v*").unwrap(),
            TagPattern::glob("latest").unwrap(),
        ];
        let tags = vec!["sha-1".to_owned(), "latest".to_owned()];
        let (tag, pattern) = first_match(&patterns, &tags).unwrap();
        assert_eq!((tag, pattern.to_string().as_str()), ("latest", "latest"));
        assert!(first_match(&patterns, &["x".to_owned()]).is_none());
        assert!(first_match(&patterns, &[]).is_none());
    }

    #[test]
    fn patterns_round_trip_through_json_and_bad_ones_are_refused() {
        let glob = TagPattern::glob("v[0-9]*").unwrap();
        let json = serde_json::to_string(&glob).unwrap();
        assert_eq!(json, r#"{"glob":"v[0-9]*"}"#);
        assert_eq!(serde_json::from_str::<TagPattern>(&json).unwrap(), glob);
        let regex: TagPattern = serde_json::from_str(r#"{"regex":"^pr-"}"#).unwrap();
        assert_eq!(regex.kind(), PatternKind::Regex);
        for bad in [
            r#"{"regex":".*"}"#,
            r#"{"glob":"["}"#,
            r#"{"other":"x"}"#,
            r#""v*""#,
        ] {
            assert!(serde_json::from_str::<TagPattern>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_shows_the_pattern_not_the_automaton() {
        assert_eq!(
            format!("{:?}", TagPattern::regex("^v").unwrap()),
            r#"Regex("^v")"#
        );
        assert_eq!(
            format!("{:?}", TagPattern::glob("v*").unwrap()),
            r#"Glob("v*")"#
        );
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let text = "a".repeat(128);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!g(&pattern, &text));
        assert!(!r("(a+)+b", &text));
    }
}
