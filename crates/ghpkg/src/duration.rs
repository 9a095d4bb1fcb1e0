//! Durations as people type them on the command line, parsed by `humantime`:
//! `500ms`, `90s`, `1h30m`, `1.5s`, `30d`, `2w` (and the long unit names it
//! knows: `30days`, `2 weeks`). A lone `0` means no time at all.

use std::time::Duration;

const UNITS: &str = "ms, s, m (minutes), h, d, w, e.g. 500ms, 90s, 1h30m, 30d";

/// Parses a duration; zero is allowed (`--write-interval 0` disables pacing).
pub(crate) fn parse(input: &str) -> Result<Duration, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(format!("empty duration; write one with a unit: {UNITS}"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if text.bytes().all(|b| b == b'0') {
            return Ok(Duration::ZERO);
        }
        return Err(format!(
            "`{text}` needs a unit: write {text}s for seconds, or use another unit: {UNITS}"
        ));
    }
    if text.starts_with('-') {
        return Err(format!("`{text}` is negative; a duration is 0 or more"));
    }
    humantime::parse_duration(text).map_err(|e| {
        let why = match e {
            humantime::DurationError::UnknownUnit { unit, .. } => {
                format!("unknown unit `{unit}`")
            }
            humantime::DurationError::NumberOverflow => "too large".to_owned(),
            other => other.to_string(),
        };
        format!("`{text}`: {why}; use {UNITS}")
    })
}

/// Parses a retention age (`--older-than`): more than zero, and a bare
/// number is taken for a count of days in the hint, never for seconds.
pub(crate) fn parse_age(input: &str) -> Result<Duration, String> {
    let text = input.trim();
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.bytes().any(|b| b != b'0')
    {
        return Err(format!(
            "`{text}` needs a unit: write {text}d for {text} days, or use another unit: {UNITS}"
        ));
    }
    parse_positive(input)
}

/// Parses a duration that must be more than zero (`--older-than`: zero would
/// select every version).
pub(crate) fn parse_positive(input: &str) -> Result<Duration, String> {
    let d = parse(input)?;
    if d.is_zero() {
        return Err(format!(
            "`{}` is zero, which would select every version; give a positive age such as 30d",
            input.trim()
        ));
    }
    Ok(d)
}

/// The shortest exact rendering of `d` in units [`parse`] reads.
pub(crate) fn format(d: Duration) -> String {
    if d.is_zero() {
        return "0".to_owned();
    }
    if d.subsec_nanos() != 0 {
        let ms = d.as_millis();
        if Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)) == d {
            return format!("{ms}ms");
        }
        return format!("{}ns", d.as_nanos());
    }
    let secs = d.as_secs();
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_unit_including_sub_second_and_compound() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse("90m"), Ok(Duration::from_secs(90 * 60)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(90 * 60)));
        assert_eq!(parse("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse(" 1d12h "), Ok(Duration::from_secs(36 * 3600)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_what_it_cannot_read_and_says_why() {
        for (bad, hint) in [
            ("", "empty"),
            ("2", "needs a unit: write 2s"),
            ("30", "needs a unit"),
            ("d", "`d`"),
            ("30x", "unknown unit `x`"),
            ("-1d", "negative"),
            ("99999999999999999999d", "too large"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(hint), "{bad}: {err}");
        }
    }

    #[test]
    fn an_age_of_zero_is_refused() {
        for zero in ["0", "0d", "0s", "0ms"] {
            let err = parse_positive(zero).unwrap_err();
            assert!(err.contains("every version"), "{zero}: {err}");
        }
        assert_eq!(parse_positive("1d"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn formats_in_the_largest_exact_unit() {
        assert_eq!(format(Duration::from_secs(30 * 86_400)), "30d");
        assert_eq!(format(Duration::from_secs(14 * 86_400)), "2w");
        assert_eq!(format(Duration::from_secs(90 * 60)), "90m");
        assert_eq!(format(Duration::from_secs(61)), "61s");
        assert_eq!(format(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format(Duration::ZERO), "0");
        for s in ["1s", "2w", "36h", "90m", "500ms"] {
            assert_eq!(format(parse(s).unwrap()), s);
        }
    }
}
