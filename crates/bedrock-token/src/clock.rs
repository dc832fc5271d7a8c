//! Reading the clock, and reading and writing times and durations.

use std::time::{Duration, SystemTime};

use aws_smithy_async::time::{SystemTimeSource, TimeSource};

/// The current time (through the time source, as everywhere in the crate).
pub(crate) fn now() -> SystemTime {
    SystemTimeSource::new().now()
}

/// `--expiry`: 1 s to 12 h.
pub(crate) fn parse_expiry(s: &str) -> Result<Duration, String> {
    parse_duration(s, aws_bedrock_token_generator::MAX_EXPIRY, "12h")
}

/// `--timeout`: 1 s to 1 h.
pub(crate) fn parse_timeout(s: &str) -> Result<Duration, String> {
    parse_duration(s, Duration::from_secs(3600), "1h")
}

/// `900`, `900s`, `15m`, `1h`: whole seconds, minutes or hours, from 1 s to `max`
/// (`max_text` is how the message writes it). The messages never repeat the input.
fn parse_duration(s: &str, max: Duration, max_text: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let unit_secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "expected a whole number of seconds (900) or one with a unit: 90s, 15m, {max_text}"
            ))
        }
    };
    let n: u64 = digits.parse().map_err(|_| {
        format!("expected a whole number with an optional unit, such as 900, 15m or {max_text}")
    })?;
    let secs = n.saturating_mul(unit_secs);
    if !(1..=max.as_secs()).contains(&secs) {
        return Err(format!("must be from 1s to {max_text}"));
    }
    Ok(Duration::from_secs(secs))
}

/// `1h 2m 3s`, leaving out zero parts.
pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

/// The latest time RFC 3339's four-digit years can write.
const LAST_RFC3339: &str = "9999-12-31T23:59:59Z";

/// `t` as RFC 3339 in UTC, whole seconds (`2024-06-15T12:00:00Z`); `None` before 1970
/// or after the year 9999.
pub(crate) fn rfc3339(t: SystemTime) -> Option<String> {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    let dt = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()?;
    (dt.year() <= 9999).then(|| {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        )
    })
}

/// [`rfc3339`], clamped to the representable range (for `--format json`, which must
/// stay a valid RFC 3339 time; a token only reaches the clamp if the clock is in 9999).
pub(crate) fn rfc3339_clamped(t: SystemTime) -> String {
    rfc3339(t).unwrap_or_else(|| {
        if t < SystemTime::UNIX_EPOCH {
            "1970-01-01T00:00:00Z".to_owned()
        } else {
            LAST_RFC3339.to_owned()
        }
    })
}

/// [`rfc3339`], or words for a time it cannot write (for `inspect`).
pub(crate) fn rfc3339_or_words(t: SystemTime) -> String {
    rfc3339(t).unwrap_or_else(|| format!("after {LAST_RFC3339}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_forms() {
        let d = |s| parse_expiry(s).unwrap().as_secs();
        assert_eq!(
            (d("900"), d("900s"), d("15m"), d("1h"), d("12h")),
            (900, 900, 900, 3600, 43200)
        );
        for bad in [
            "0",
            "0s",
            "13h",
            "43201",
            "1d",
            "-5",
            "1.5h",
            "",
            "h",
            "99999999999999999999h",
        ] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_timeout("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_timeout("1h").unwrap().as_secs(), 3600);
        for bad in ["0", "61m", "3601", "2h"] {
            assert_eq!(parse_timeout(bad).unwrap_err(), "must be from 1s to 1h");
        }
        assert!(!parse_expiry("1dXYZ").unwrap_err().contains("XYZ"));
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_secs(0)), "0s");
        assert_eq!(human(Duration::from_secs(3725)), "1h 2m 5s");
        assert_eq!(human(Duration::from_secs(43200)), "12h");
    }

    #[test]
    fn rfc3339_up_to_the_year_9999() {
        let at = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(rfc3339(at(1_718_452_800)).unwrap(), "2024-06-15T12:00:00Z");
        assert_eq!(rfc3339(at(253_402_300_799)).unwrap(), LAST_RFC3339);
        assert_eq!(rfc3339(at(253_402_300_800)), None);
        assert_eq!(rfc3339_clamped(at(253_402_343_999)), LAST_RFC3339);
        assert_eq!(
            rfc3339_or_words(at(300_000_000_000)),
            "after 9999-12-31T23:59:59Z"
        );
        assert_eq!(
            rfc3339_clamped(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
            "1970-01-01T00:00:00Z"
        );
    }
}
