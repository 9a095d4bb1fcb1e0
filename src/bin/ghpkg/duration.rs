//! Durations as people type them on the command line: a number and a unit,
//! optionally repeated (`30d`, `12h`, `2w`, `90m`, `45s`, `1d12h`).

use std::time::Duration;

const UNITS: &str = "s (seconds), m (minutes), h (hours), d (days) or w (weeks)";

/// Parses `30d`, `2w`, `1d12h`... `0` alone means no time at all.
pub(crate) fn parse(input: &str) -> Result<Duration, String> {
    let text = input.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(format!("empty duration; write e.g. 30d, using {UNITS}"));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "`{input}`: expected a number before `{rest}`; write e.g. 30d"
            ));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{input}`: the number is too large"))?;
        let mut chars = rest[digits..].chars();
        let seconds_per_unit = match chars.next() {
            Some('s') => 1,
            Some('m') => 60,
            Some('h') => 3_600,
            Some('d') => 86_400,
            Some('w') => 604_800,
            Some(other) => {
                return Err(format!("`{input}`: unknown unit `{other}`; use {UNITS}"));
            }
            None => return Err(format!("`{input}`: the number needs a unit: {UNITS}")),
        };
        total = number
            .checked_mul(seconds_per_unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("`{input}`: the duration is too large"))?;
        rest = chars.as_str();
    }
    Ok(Duration::from_secs(total))
}

/// The shortest exact rendering of `d` in the units [`parse`] reads.
pub(crate) fn format(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return "0".to_owned();
    }
    for (unit, size) in [('w', 604_800), ('d', 86_400), ('h', 3_600), ('m', 60)] {
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
    fn reads_each_unit() {
        assert_eq!(parse("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse("90m"), Ok(Duration::from_secs(90 * 60)));
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
            ("30", "needs a unit"),
            ("d", "expected a number"),
            ("30x", "unknown unit `x`"),
            ("-1d", "expected a number"),
            ("1.5d", "unknown unit `.`"),
            ("99999999999999999999d", "too large"),
            ("999999999999999w", "too large"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(hint), "{bad}: {err}");
        }
    }

    #[test]
    fn formats_in_the_largest_exact_unit() {
        assert_eq!(format(Duration::from_secs(30 * 86_400)), "30d");
        assert_eq!(format(Duration::from_secs(14 * 86_400)), "2w");
        assert_eq!(format(Duration::from_secs(90 * 60)), "90m");
        assert_eq!(format(Duration::from_secs(61)), "61s");
        assert_eq!(format(Duration::ZERO), "0");
        for s in ["1s", "2w", "36h", "90m"] {
            assert_eq!(format(parse(s).unwrap()), s);
        }
    }
}
