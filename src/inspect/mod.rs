//! Reading Bedrock API keys back into their facts: short-term tokens
//! (`bedrock-api-key-…`, [`TokenInfo`]).

use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;

mod short_term;

pub use short_term::TokenInfo;

/// Renders a time as RFC 3339 in UTC, in whole seconds (any fraction is dropped, rounding
/// towards the past), e.g. `2024-06-15T12:00:00Z`. Never panics.
///
/// RFC 3339 has four-digit years, so every time from `0000-01-01T00:00:00Z` to
/// `9999-12-31T23:59:59Z` is rendered exactly; earlier times are shown as
/// `before 0000-01-01T00:00:00Z` and later ones as `after 9999-12-31T23:59:59Z`.
/// The text is always printable ASCII.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let after_epoch = t >= SystemTime::UNIX_EPOCH;
    let since_epoch = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => time::Duration::try_from(d).ok(),
        Err(e) => time::Duration::try_from(e.duration())
            .ok()
            .and_then(|d| d.checked_neg()),
    };
    since_epoch
        .and_then(|d| time::OffsetDateTime::UNIX_EPOCH.checked_add(d))
        .and_then(|dt| dt.replace_nanosecond(0).ok())
        // Fails for years before 0000 (the only ones `time` has outside RFC 3339's range).
        .and_then(|dt| dt.format(&Rfc3339).ok())
        .unwrap_or_else(|| {
            if after_epoch {
                "after 9999-12-31T23:59:59Z".to_owned()
            } else {
                "before 0000-01-01T00:00:00Z".to_owned()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const LAST_SECOND: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    const YEAR_0: u64 = 62_167_219_200; // seconds from 0000-01-01 to 1970-01-01

    #[test]
    fn rfc3339_renders_every_time_from_year_0_to_9999() {
        let after = |secs: u64, nanos: u32| rfc3339(UNIX_EPOCH + Duration::new(secs, nanos));
        let before = |secs: u64, nanos: u32| rfc3339(UNIX_EPOCH - Duration::new(secs, nanos));
        assert_eq!(after(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(after(1_718_452_800, 999_999_999), "2024-06-15T12:00:00Z");
        assert_eq!(after(LAST_SECOND, 0), "9999-12-31T23:59:59Z");
        assert_eq!(after(LAST_SECOND, 999_999_999), "9999-12-31T23:59:59Z");
        assert_eq!(after(LAST_SECOND + 1, 0), "after 9999-12-31T23:59:59Z");
        // Sub-second times before the epoch round towards the past, like after it.
        assert_eq!(before(0, 1), "1969-12-31T23:59:59Z");
        assert_eq!(before(1, 0), "1969-12-31T23:59:59Z");
        assert_eq!(before(1, 1), "1969-12-31T23:59:58Z");
        assert_eq!(before(YEAR_0, 0), "0000-01-01T00:00:00Z");
        assert_eq!(before(YEAR_0, 1), "before 0000-01-01T00:00:00Z");
        assert_eq!(before(YEAR_0 + 1, 0), "before 0000-01-01T00:00:00Z");
    }

    #[test]
    fn rfc3339_never_panics_or_falls_back_to_debug() {
        // The extremes a SystemTime can hold on this platform, and far beyond `time`'s range.
        let mut times = vec![UNIX_EPOCH];
        for secs in [
            1,
            LAST_SECOND + 1,
            YEAR_0 + 1,
            u64::MAX / 4,
            i64::MAX as u64,
        ] {
            let d = Duration::from_secs(secs);
            times.extend(UNIX_EPOCH.checked_add(d));
            times.extend(UNIX_EPOCH.checked_sub(d));
            times.extend(UNIX_EPOCH.checked_add(d + Duration::from_nanos(999_999_999)));
        }
        for t in times {
            let text = rfc3339(t);
            assert!(text.bytes().all(|b| (b' '..=b'~').contains(&b)), "{text}");
            assert!(!text.contains("SystemTime"), "{text}");
            assert!(text.ends_with('Z'), "{text}");
        }
    }
}
