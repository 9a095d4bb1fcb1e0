//! GitHub's rate-limit signals, read from an answer's status, headers and
//! message: which limit was hit and how long GitHub asks the client to wait.
//!
//! Used by the transport (to wait) and by the error classifier (to report);
//! it depends on neither.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

/// Which of GitHub's rate limits stopped a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateLimitKind {
    /// The hourly request quota (`x-ratelimit-remaining: 0`).
    Primary,
    /// An abuse-protection limit ("secondary rate limit", 403 or 429).
    Secondary,
}

/// The rate-limit facts of an answer, if it is a rate-limit answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateLimitHit {
    pub(crate) kind: RateLimitKind,
    /// How long GitHub asks us to wait, when it says.
    pub(crate) wait: Option<Duration>,
}

pub(crate) fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `retry-after` as a wait from `now`: either delay-seconds or an HTTP-date
/// (RFC 9110 section 10.2.3). A date in the past means "now"; anything else
/// unreadable means "not said".
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = header_str(headers, "retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses the three HTTP-date forms: IMF-fixdate (`Sun, 06 Nov 1994
/// 08:49:37 GMT`), the obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37
/// GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
fn http_date(value: &str) -> Option<SystemTime> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    let parsed = DateTime::parse_from_rfc2822(value)
        .map(|d| d.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(value, "%A, %d-%b-%y %H:%M:%S GMT").map(|d| d.and_utc())
        })
        .or_else(|_| {
            let spaced = value.split_whitespace().collect::<Vec<_>>().join(" ");
            NaiveDateTime::parse_from_str(&spaced, "%a %b %d %H:%M:%S %Y").map(|d| d.and_utc())
        })
        .ok()?;
    let seconds = u64::try_from(parsed.timestamp()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Reads GitHub's rate-limit signals. Clock arithmetic saturates: a reset time
/// in the past means "now", garbage means "not said".
pub(crate) fn rate_limit_hit(
    status: StatusCode,
    headers: &HeaderMap,
    message: Option<&str>,
    now: SystemTime,
) -> Option<RateLimitHit> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let retry_after = retry_after(headers, now);
    // GitHub's secondary limits say so in the message, and only rate limits
    // come with `retry-after`.
    let secondary = message
        .is_some_and(|m| m.to_ascii_lowercase().contains("secondary rate limit"))
        || retry_after.is_some();
    if !secondary && header_str(headers, "x-ratelimit-remaining") == Some("0") {
        let wait = header_str(headers, "x-ratelimit-reset")
            .and_then(|reset| reset.parse::<u64>().ok())
            .and_then(|reset| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(reset)))
            .map(|reset| reset.duration_since(now).unwrap_or(Duration::ZERO));
        return Some(RateLimitHit {
            kind: RateLimitKind::Primary,
            wait,
        });
    }
    if secondary || status == StatusCode::TOO_MANY_REQUESTS {
        return Some(RateLimitHit {
            kind: RateLimitKind::Secondary,
            wait: retry_after,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_reads_seconds_and_all_three_http_date_forms() {
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        let now = at(784_111_777 - 90);
        for value in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            let wait = retry_after(&headers(&[("retry-after", value)]), now);
            assert_eq!(wait, Some(Duration::from_secs(90)), "{value}");
        }
        let wait = retry_after(&headers(&[("retry-after", " 7 ")]), now);
        assert_eq!(wait, Some(Duration::from_secs(7)));
    }

    #[test]
    fn a_past_date_means_now_and_garbage_means_not_said() {
        let now = at(784_111_777 + 3600);
        let past = headers(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        for garbage in ["soon", "-5", "Sun, 99 Nov 1994 08:49:37 GMT", ""] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", garbage)]), now),
                None,
                "{garbage}"
            );
        }
    }

    #[test]
    fn an_http_date_retry_after_marks_a_secondary_limit() {
        let now = at(784_111_777 - 30);
        let hit = rate_limit_hit(
            StatusCode::FORBIDDEN,
            &headers(&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")]),
            Some("Forbidden"),
            now,
        )
        .unwrap();
        assert_eq!(hit.kind, RateLimitKind::Secondary);
        assert_eq!(hit.wait, Some(Duration::from_secs(30)));
    }

    #[test]
    fn primary_limit_waits_until_the_reset() {
        let map = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000"),
        ]);
        let hit = rate_limit_hit(StatusCode::FORBIDDEN, &map, None, at(940)).unwrap();
        assert_eq!(hit.kind, RateLimitKind::Primary);
        assert_eq!(hit.wait, Some(Duration::from_secs(60)));
        assert!(rate_limit_hit(StatusCode::NOT_FOUND, &map, None, at(940)).is_none());
        assert!(rate_limit_hit(StatusCode::FORBIDDEN, &HeaderMap::new(), None, at(0)).is_none());
    }
}
