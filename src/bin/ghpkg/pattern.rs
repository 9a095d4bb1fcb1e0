//! Tag patterns for `--tag`, `--exclude-tag` and their `-regex` twins.
//!
//! Globs are compiled by `globset` (full syntax: `*`, `?`, `[0-9]`, `[!a]`,
//! `{a,b}`, `\` escapes) and must match the whole tag. Regexes are compiled by
//! `regex` and match anywhere in the tag, as in the clean-up actions users
//! come from; anchor them (`^v[0-9]+$`) to match the whole tag. Both are
//! case-sensitive, like tags. Every pattern is checked when the command line
//! is parsed, so a typo is a usage error (exit 2), never a pattern that
//! silently matches nothing.

use std::fmt;

use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;

/// One compiled tag pattern, remembering how the user wrote it.
#[derive(Debug, Clone)]
pub(crate) struct TagPattern {
    source: String,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Glob(GlobMatcher),
    Regex(Regex),
}

/// Tags never hold more than this many characters (the OCI distribution
/// spec caps them at 128); a longer pattern is almost surely pasted wrong.
const MAX_PATTERN_LEN: usize = 1024;

fn check_source(source: &str) -> Result<(), String> {
    if source.is_empty() {
        return Err(
            "the pattern is empty, so it would match no tag; give a tag or a pattern \
                    such as 'v*'"
                .to_owned(),
        );
    }
    if source.trim() != source {
        return Err(format!(
            "`{source}` starts or ends with white space, which no tag contains; remove it"
        ));
    }
    if source.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "the pattern is {} bytes long; tags are at most 128 characters",
            source.len()
        ));
    }
    Ok(())
}

impl TagPattern {
    /// A glob that must match the whole tag.
    pub(crate) fn glob(source: &str) -> Result<TagPattern, String> {
        check_source(source)?;
        let glob = GlobBuilder::new(source)
            .backslash_escape(true)
            .empty_alternates(false)
            .literal_separator(false)
            .build()
            .map_err(|e| format!("`{source}` is not a valid glob: {}", glob_problem(&e)))?;
        Ok(TagPattern {
            source: source.to_owned(),
            matcher: Matcher::Glob(glob.compile_matcher()),
        })
    }

    /// A regular expression that may match anywhere in the tag.
    pub(crate) fn regex(source: &str) -> Result<TagPattern, String> {
        check_source(source)?;
        let regex = regex::RegexBuilder::new(source)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("`{source}` is not a valid regular expression: {e}"))?;
        // A regex that matches the empty string matches every tag; that is
        // never what a tag filter means.
        if regex.is_match("") {
            return Err(format!(
                "`{source}` matches the empty string, so it would match every tag; anchor it \
                 or make it more specific (e.g. ^v[0-9]+)"
            ));
        }
        Ok(TagPattern {
            source: source.to_owned(),
            matcher: Matcher::Regex(regex),
        })
    }

    /// Whether `tag` matches.
    pub(crate) fn matches(&self, tag: &str) -> bool {
        match &self.matcher {
            Matcher::Glob(glob) => glob.is_match(tag),
            Matcher::Regex(regex) => regex.is_match(tag),
        }
    }

    /// The flag that gave this pattern and the pattern, as reasons show it:
    /// `--exclude-tag v*`, `--tag-regex ^pr-`.
    pub(crate) fn described(&self, exclude: bool) -> String {
        let flag = match (exclude, &self.matcher) {
            (false, Matcher::Glob(_)) => "--tag",
            (false, Matcher::Regex(_)) => "--tag-regex",
            (true, Matcher::Glob(_)) => "--exclude-tag",
            (true, Matcher::Regex(_)) => "--exclude-tag-regex",
        };
        format!("{flag} {}", self.source)
    }
}

/// `globset`'s error names the glob again; keep only the reason.
fn glob_problem(error: &globset::Error) -> String {
    error.kind().to_string()
}

impl fmt::Display for TagPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
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
            let err = TagPattern::glob(bad).unwrap_err();
            assert!(err.contains(hint), "{bad:?}: {err}");
        }
        for (bad, hint) in [
            ("(", "not a valid regular expression"),
            ("", "empty"),
            (".*", "matches the empty string"),
            ("v?", "matches the empty string"),
        ] {
            let err = TagPattern::regex(bad).unwrap_err();
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
    fn pathological_patterns_stay_fast() {
        let text = "a".repeat(128);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!g(&pattern, &text));
        assert!(!r("(a+)+b", &text));
    }
}
