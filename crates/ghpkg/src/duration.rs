//! Durations as people type them on the command line, parsed by `humantime`:
//! `500ms`, `90s`, `1h30m`, `1.5s`, `30d`, `2w` (and the long unit names it
//! knows: `30days`, `2 weeks`, `1month`). A lone `0` means no time at all.
//! Printed back three ways: as a flag's value ([`format()`]), as words for a
//! rule (exact: [`words`]) and for a measured time (rounded: [`about`]).

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

/// humantime's month and year (30.44 and 365.25 days), which `1month` and
/// `1y` mean on the command line.
const MONTH: u64 = 2_630_016;
const YEAR: u64 = 31_557_600;

/// Whole units, largest first, with their names for people.
const NAMED: [(u64, &str); 7] = [
    (YEAR, "year"),
    (MONTH, "month"),
    (604_800, "week"),
    (86_400, "day"),
    (3_600, "hour"),
    (60, "minute"),
    (1, "second"),
];

/// `1 day`, `3 days`.
fn count(n: u64, unit: &str) -> String {
    match n {
        1 => format!("1 {unit}"),
        n => format!("{n} {unit}s"),
    }
}

/// A duration someone chose (a rule's age, a limit) in words, exactly, in
/// its largest whole unit: `30 days`, `2 weeks`, `1 month` (`--older-than
/// 1month`), `90 minutes`, `1.5 seconds`.
pub(crate) fn words(d: Duration) -> String {
    if d.subsec_nanos() != 0 {
        let seconds = d.as_secs_f64();
        return match d.as_secs() {
            0 if d.subsec_nanos().is_multiple_of(1_000_000) => {
                count(u64::from(d.subsec_millis()), "millisecond")
            }
            _ => format!("{} seconds", trim_decimals(seconds)),
        };
    }
    let secs = d.as_secs();
    if secs == 0 {
        return "0 seconds".to_owned();
    }
    let (size, unit) = NAMED
        .iter()
        .find(|(size, _)| secs.is_multiple_of(*size))
        .copied()
        .unwrap_or((1, "second"));
    count(secs / size, unit)
}

/// `1.5` for 1.5, `0.001` for a millisecond: up to three decimals, no
/// trailing zeros.
fn trim_decimals(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A measured duration (how long ago a plan was made) in words, rounded
/// down to at most two units: `3 seconds`, `2 minutes 5 seconds`, `4 hours
/// 12 minutes`, `45 days 3 hours`; under a second, `less than a second`.
pub(crate) fn about(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return "less than a second".to_owned();
    }
    let units = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let Some(at) = units.iter().position(|(size, _)| secs >= *size) else {
        return count(secs, "second");
    };
    let (size, unit) = units[at];
    let mut text = count(secs / size, unit);
    if let Some((next, next_unit)) = units.get(at + 1) {
        let rest = (secs % size) / next;
        if rest > 0 {
            text.push(' ');
            text.push_str(&count(rest, next_unit));
        }
    }
    text
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
    let units = [
        ("y", YEAR),
        ("month", MONTH),
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3_600),
        ("m", 60),
    ];
    for (unit, size) in units {
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
        for s in ["1s", "2w", "36h", "90m", "500ms", "1month", "2y"] {
            assert_eq!(format(parse(s).unwrap()), s);
        }
    }

    #[test]
    fn a_chosen_duration_reads_back_in_words() {
        for (typed, read) in [
            ("30d", "30 days"),
            ("2w", "2 weeks"),
            ("1month", "1 month"),
            ("3months", "3 months"),
            ("1y", "1 year"),
            ("1d", "1 day"),
            ("36h", "36 hours"),
            ("90m", "90 minutes"),
            ("1h", "1 hour"),
            ("45s", "45 seconds"),
            ("1.5s", "1.5 seconds"),
            ("500ms", "500 milliseconds"),
            ("0", "0 seconds"),
        ] {
            assert_eq!(words(parse(typed).unwrap()), read, "{typed}");
        }
    }

    #[test]
    fn a_measured_duration_is_rounded_to_two_units() {
        let secs = Duration::from_secs;
        assert_eq!(about(Duration::from_nanos(3_069_621_362)), "3 seconds");
        assert_eq!(about(Duration::from_millis(400)), "less than a second");
        assert_eq!(about(secs(125)), "2 minutes 5 seconds");
        assert_eq!(about(secs(3 * 3600 + 60 * 12 + 7)), "3 hours 12 minutes");
        assert_eq!(about(secs(86_400)), "1 day");
        assert_eq!(about(secs(45 * 86_400 + 3 * 3600 + 59)), "45 days 3 hours");
        assert_eq!(about(secs(3600 + 5)), "1 hour");
    }

    #[test]
    fn a_bare_number_for_an_age_suggests_days() {
        let err = parse_age("30").unwrap_err();
        assert!(err.contains("30d for 30 days"), "{err}");
        assert!(!err.contains("30s"), "{err}");
        assert!(parse_age("0").unwrap_err().contains("every version"));
        assert_eq!(parse_age("30d"), Ok(Duration::from_secs(30 * 86_400)));
    }
}
