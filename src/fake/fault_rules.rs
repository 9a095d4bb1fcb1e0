//! The faults in force and which requests they hit: method and path
//! patterns, counts of matching requests, and what a firing fault does.
//! [`FaultBuilder`](super::FaultBuilder) adds them; the server asks here.

use std::time::Duration;

use super::error::FakeError;

/// Which of the matching requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    Every,
    /// Only the nth (1-based).
    Nth(u64),
    /// The first n.
    Times(u64),
}

/// What a fault does.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Respond {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    Drop,
    Latency(Duration),
}

/// A method and path pattern. The path pattern is matched segment by
/// segment against the path as sent: `*` in a segment matches any run of
/// characters within it, a segment `**` matches any number of segments
/// (none included). A literal segment matches the raw or the decoded form,
/// so `team%2Fapp` and `team/app`'s encoded segment both work.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    method: Option<http::Method>,
    segments: Vec<String>,
}

impl Pattern {
    pub(crate) fn parse(method: &str, path: &str) -> Result<Pattern, FakeError> {
        let method = match method.trim() {
            "*" | "" => None,
            m => Some(
                http::Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
                    FakeError::invalid(
                        "fault method",
                        format!("`{m}` is not an HTTP method; use `*` for any"),
                    )
                })?,
            ),
        };
        let Some(rest) = path.strip_prefix('/') else {
            return Err(FakeError::invalid(
                "fault path",
                format!("`{path}` must start with `/` (`/**` matches every path)"),
            ));
        };
        if rest.contains('?') {
            return Err(FakeError::invalid(
                "fault path",
                format!("`{path}` has a query; patterns match the path only"),
            ));
        }
        Ok(Pattern {
            method,
            segments: rest.split('/').map(str::to_owned).collect(),
        })
    }

    fn matches(&self, method: &http::Method, path: &str) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        match_segments(&self.segments, &segments)
    }
}

/// Whether the path's segments match the pattern's. Dynamic programming
/// over (pattern, path) positions keeps this linear in each for any number
/// of `**`, however long a request's path is.
fn match_segments(pattern: &[String], path: &[&str]) -> bool {
    // matches[j]: pattern[i..] matches path[j..], for the current i (going
    // backwards from the end of the pattern).
    let mut matches = vec![false; path.len() + 1];
    matches[path.len()] = true;
    for segment in pattern.iter().rev() {
        let mut next = vec![false; path.len() + 1];
        if segment == "**" {
            // `**` then the rest: the rest may start at j or anywhere later.
            let mut later = false;
            for j in (0..=path.len()).rev() {
                later = later || matches[j];
                next[j] = later;
            }
        } else {
            for j in 0..path.len() {
                next[j] = matches[j + 1] && segment_matches(segment, path[j]);
            }
        }
        matches = next;
    }
    matches[0]
}

fn segment_matches(pattern: &str, raw: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    glob(pattern, raw) || glob(pattern, &decoded)
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return text.is_empty();
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[derive(Debug, Clone)]
struct Rule {
    id: u64,
    pattern: Pattern,
    when: When,
    action: Action,
    /// Matching requests seen so far.
    seen: u64,
    /// Times the fault fired.
    hits: u64,
}

/// What the faults decided for one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    /// A canned answer or a dropped connection (`Action::Drop`).
    pub(crate) outcome: Option<Action>,
}

/// The faults in force.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<Rule>,
    next_id: u64,
}

impl Faults {
    pub(crate) fn add(&mut self, pattern: Pattern, when: When, action: Action) -> u64 {
        self.next_id += 1;
        self.rules.push(Rule {
            id: self.next_id,
            pattern,
            when,
            action,
            seen: 0,
            hits: 0,
        });
        self.next_id
    }

    /// Counts the request against every matching rule and collects what the
    /// firing ones do: latencies add up, the first answer or drop wins.
    pub(crate) fn decide(&mut self, method: &http::Method, path: &str) -> Decision {
        let mut decision = Decision::default();
        for rule in &mut self.rules {
            if !rule.pattern.matches(method, path) {
                continue;
            }
            rule.seen += 1;
            let fires = match rule.when {
                When::Every => true,
                When::Nth(n) => rule.seen == n,
                When::Times(n) => rule.seen <= n,
            };
            if !fires {
                continue;
            }
            match &rule.action {
                Action::Latency(d) => {
                    rule.hits += 1;
                    decision.latency = decision.latency.saturating_add(*d);
                }
                action if decision.outcome.is_none() => {
                    rule.hits += 1;
                    decision.outcome = Some(action.clone());
                }
                // Another fault already answers this request.
                _ => {}
            }
        }
        decision
    }

    pub(crate) fn hits(&self, id: u64) -> Option<u64> {
        self.rules.iter().find(|r| r.id == id).map(|r| r.hits)
    }

    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(method: &str, pattern: &str, request: (&str, &str)) -> bool {
        let method_of_request = http::Method::from_bytes(request.0.as_bytes()).unwrap();
        Pattern::parse(method, pattern)
            .unwrap()
            .matches(&method_of_request, request.1)
    }

    #[test]
    fn patterns_match_by_segment() {
        let path = "/orgs/acme/packages/container/team%2Fapp/versions/7";
        assert!(matches("*", "/**", ("GET", path)));
        assert!(matches("GET", "/orgs/*/packages/**", ("GET", path)));
        assert!(!matches("DELETE", "/orgs/*/packages/**", ("GET", path)));
        assert!(matches(
            "get",
            "/orgs/acme/packages/container/team%2Fapp/versions/*",
            ("GET", path)
        ));
        assert!(!matches(
            "GET",
            "/orgs/acme/packages/container/team/app/versions/*",
            ("GET", path)
        ));
        assert!(matches("GET", "/**/versions/7", ("GET", path)));
        assert!(matches(
            "GET",
            "/v2/**/manifests/sha256:*",
            ("GET", "/v2/acme/app/manifests/sha256:ab")
        ));
        assert!(!matches("GET", "/user/*", ("GET", "/user/packages/npm")));
        assert!(glob("a*c*e", "abcde") && !glob("a*c*e", "abcd") && glob("*", ""));
        assert!(matches("*", "/**/**", ("GET", "/")));
        assert!(matches("*", "/a/**", ("GET", "/a")));
        assert!(!matches("*", "/a/**/b", ("GET", "/a/c")));
        assert!(matches("*", "/a/**/b/**", ("GET", "/a/x/y/b")));
    }

    #[test]
    fn many_wildcards_stay_fast_on_long_paths() {
        let path = format!("/{}", vec!["a"; 5_000].join("/"));
        let start = std::time::Instant::now();
        assert!(!matches("*", "/**/**/**/**/**/b", ("GET", &path)));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(Pattern::parse("GET", "orgs").is_err());
        assert!(Pattern::parse("GET", "/orgs?x=1").is_err());
        assert!(Pattern::parse("GE T", "/orgs").is_err());
    }

    #[test]
    fn counts_pick_requests() {
        let mut faults = Faults::default();
        let get = http::Method::GET;
        let nth = faults.add(
            Pattern::parse("GET", "/a").unwrap(),
            When::Nth(2),
            Action::Drop,
        );
        let first = faults.add(
            Pattern::parse("*", "/a").unwrap(),
            When::Times(1),
            Action::Respond {
                status: 500,
                body: String::new(),
                headers: vec![],
            },
        );
        faults.add(
            Pattern::parse("*", "/**").unwrap(),
            When::Every,
            Action::Latency(Duration::from_millis(5)),
        );
        let one = faults.decide(&get, "/a");
        assert!(matches!(
            one.outcome,
            Some(Action::Respond { status: 500, .. })
        ));
        assert_eq!(one.latency, Duration::from_millis(5));
        assert!(matches!(
            faults.decide(&get, "/a").outcome,
            Some(Action::Drop)
        ));
        assert!(faults.decide(&get, "/a").outcome.is_none());
        assert_eq!((faults.hits(nth), faults.hits(first)), (Some(1), Some(1)));
        assert!(faults.remove(nth) && !faults.remove(nth));
    }
}
