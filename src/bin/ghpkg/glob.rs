//! Tag patterns for `--tag` and `--exclude-tag`: `*` matches any run of
//! characters (also none), `?` exactly one, everything else itself. Matching
//! is case-sensitive, like tags are, and always covers the whole tag.

/// A compiled tag pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    source: String,
    pattern: Vec<char>,
}

impl Glob {
    pub(crate) fn new(source: &str) -> Self {
        Glob {
            source: source.to_owned(),
            pattern: source.chars().collect(),
        }
    }

    /// The pattern as the user wrote it.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `text` matches the whole pattern.
    ///
    /// Iterative matching with one backtrack point (the last `*`): linear in
    /// practice and never exponential, whatever the pattern.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let pattern = &self.pattern;
        let (mut p, mut t) = (0, 0);
        // Where the last `*` was, and the text position it is tried against.
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some('*') => {
                    star = Some((p, t));
                    p += 1;
                }
                Some('?') => {
                    p += 1;
                    t += 1;
                }
                Some(&c) if c == text[t] => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    // Let the last `*` swallow one more character and retry.
                    Some((star_p, star_t)) => {
                        p = star_p + 1;
                        t = star_t + 1;
                        star = Some((star_p, star_t + 1));
                    }
                    None => return false,
                },
            }
        }
        pattern[p..].iter().all(|&c| c == '*')
    }
}

/// The first pattern in `globs` that one of `tags` matches, with that tag.
pub(crate) fn first_match<'a>(
    globs: &'a [Glob],
    tags: &'a [String],
) -> Option<(&'a str, &'a Glob)> {
    tags.iter().find_map(|tag| {
        globs
            .iter()
            .find(|g| g.matches(tag))
            .map(|g| (tag.as_str(), g))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Glob::new(pattern).matches(text)
    }

    #[test]
    fn literals_match_only_themselves() {
        assert!(m("latest", "latest"));
        assert!(!m("latest", "latest2"));
        assert!(!m("latest", "Latest"));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn star_matches_any_run_including_empty() {
        assert!(m("v*", "v"));
        assert!(m("v*", "v1.2.3"));
        assert!(!m("v*", "release-v1"));
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("*-rc*", "1.0-rc2"));
        assert!(m("pr-*-*", "pr-12-abc"));
        assert!(!m("pr-*-*", "pr-12"));
        assert!(m("**a", "bbba"));
        assert!(m("a*b*c", "aXXbYYbZc"));
        assert!(!m("a*b*c", "aXXbYYbZ"));
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        assert!(m("v?", "v1"));
        assert!(!m("v?", "v"));
        assert!(!m("v?", "v12"));
        assert!(m("v?.?", "v1.2"));
        assert!(m("??*", "ab"));
        assert!(!m("??*", "a"));
        // One character, not one byte.
        assert!(m("caf?", "café"));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let text = "a".repeat(5_000);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!m(&pattern, &text));
    }

    #[test]
    fn first_match_reports_the_tag_and_the_pattern() {
        let globs = [Glob::new("v*"), Glob::new("latest")];
        let tags = vec!["sha-1".to_owned(), "latest".to_owned()];
        let (tag, glob) = first_match(&globs, &tags).unwrap();
        assert_eq!((tag, glob.as_str()), ("latest", "latest"));
        assert!(first_match(&globs, &["x".to_owned()]).is_none());
        assert!(first_match(&globs, &[]).is_none());
    }
}
