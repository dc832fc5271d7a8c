//! Reading API keys back into their facts: short-term tokens (`bedrock-api-key-…`,
//! `aws-external-anthropic-api-key-…`; [`TokenInfo`] in `short_term`), long-term keys
//! (`ABSK…`, `AEAA…`; [`LongTermKeyInfo`] in `long_term`), and [`KeyInfo`] for either.
//! Each reports its [`Service`](crate::Service), told by the prefix.
//!
//! The guarantee every parser here keeps: no panic on any input, and every text field of a
//! parsed key is printable ASCII, so callers may print fields as they are.

use std::fmt;
use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;

use crate::{Error, ErrorKind, Service};

mod long_term;
mod short_term;

pub use long_term::LongTermKeyInfo;
pub(crate) use long_term::LONG_TERM_PREFIX_LEN;
pub use short_term::TokenInfo;

/// The facts of a Bedrock API key of either kind: a short-term key (`bedrock-api-key-…`)
/// or a long-term one (`ABSK…`).
///
/// Use [`KeyInfo::parse`] when you do not know which kind a key is (for example a value
/// of `AWS_BEARER_TOKEN_BEDROCK`). New kinds may be added in minor releases, so `match`
/// on it with a wildcard arm.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aws_bedrock_token_generator::{generate_token, KeyInfo};
/// use aws_credential_types::Credentials;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "example");
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_718_452_800);
/// let token = generate_token(&creds, "eu-west-1", Duration::from_secs(900), now)?;
/// match KeyInfo::parse(token.as_str())? {
///     KeyInfo::ShortTerm(info) => assert_eq!(info.region(), "eu-west-1"),
///     KeyInfo::LongTerm(info) => println!("long-term key {}", info.alias()),
///     _ => println!("another kind of key"),
/// }
/// # Ok::<(), aws_bedrock_token_generator::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyInfo {
    /// A short-term key, `bedrock-api-key-…`: a presigned SigV4 URL.
    ShortTerm(TokenInfo),
    /// A long-term key, `ABSK…`: an IAM service-specific credential.
    LongTerm(LongTermKeyInfo),
}

impl KeyInfo {
    /// Parses an API key of either kind, by its prefix (surrounding whitespace is
    /// ignored): a short-term prefix (`bedrock-api-key-`, `aws-external-anthropic-api-key-`,
    /// `sagemaker-api-key-`) with [`TokenInfo::parse`], a long-term one (`ABSK`, `AEAA`)
    /// with [`LongTermKeyInfo::parse`]. Never panics; anything else is an
    /// [`ErrorKind::InvalidToken`] error saying what is wrong (naming what it looks like:
    /// another service's `…-api-key-` or long-term prefix), without echoing the key.
    pub fn parse(key: &str) -> Result<Self, Error> {
        let key = key.trim();
        if Service::from_long_term_key(key).is_some() {
            LongTermKeyInfo::parse(key).map(Self::LongTerm)
        } else if Service::from_short_term_key(key).is_some() {
            TokenInfo::parse(key).map(Self::ShortTerm)
        } else {
            Err(unknown_key(key).unwrap_or_else(|| {
                Error::new(
                    ErrorKind::InvalidToken,
                    format!(
                        "not an AWS API key: it starts with none of {} (short-term keys) \
                         and {} (long-term keys)",
                        known(Service::token_prefix),
                        known(Service::long_term_prefix)
                    ),
                )
            }))
        }
    }

    /// The service the key is for.
    pub fn service(&self) -> Service {
        match self {
            Self::ShortTerm(info) => info.service(),
            Self::LongTerm(info) => info.service(),
        }
    }
}

/// The known prefixes of one kind, as "`a`, `b`".
fn known(prefix: fn(Service) -> Option<&'static str>) -> String {
    Service::ALL
        .into_iter()
        .filter_map(prefix)
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The longest unknown `…-api-key-` service part that is named back in a message.
const MAX_NAMED_PREFIX: usize = 40;

/// An error naming what `key` looks like when it has the shape of an AWS API key of a
/// service this crate does not know: `<name>-api-key-…` (a short-term key), or four
/// upper-case letters and base64 of `<alias>:<secret>` (a long-term key). Only the
/// prefix, never more of the key, is named. `None` when it has neither shape.
pub(crate) fn unknown_key(key: &str) -> Option<Error> {
    if let Some((name, _)) = key.split_once("-api-key-") {
        let printable = !name.is_empty()
            && name.len() <= MAX_NAMED_PREFIX
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if printable {
            return Some(Error::new(
                ErrorKind::InvalidToken,
                format!(
                    "this looks like a short-term API key of another service (`{name}-api-key-...`), \
                     which this crate does not know; known: {}",
                    known(Service::token_prefix)
                ),
            ));
        }
    }
    let prefix = key.get(..LONG_TERM_PREFIX_LEN)?;
    if !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let decoded = zeroize::Zeroizing::new(
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            &key[LONG_TERM_PREFIX_LEN..],
        )
        .ok()?,
    );
    let colon = decoded.iter().position(|&b| b == b':')?;
    (colon > 0).then(|| {
        Error::new(
            ErrorKind::InvalidToken,
            format!(
                "this looks like a long-term API key of another service (`{prefix}...`), \
                 which this crate does not know; known: {}",
                known(Service::long_term_prefix)
            ),
        )
    })
}

impl fmt::Display for KeyInfo {
    /// The kind of key, then its own summary. No secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShortTerm(info) => write!(f, "short-term key: {info}"),
            Self::LongTerm(info) => write!(f, "long-term key: {info}"),
        }
    }
}

/// Renders a time as RFC 3339 in UTC, in whole seconds (any fraction is dropped, rounding
/// towards the past), e.g. `2024-06-15T12:00:00Z`. Never panics.
///
/// RFC 3339 has four-digit years, so every time from `0000-01-01T00:00:00Z` to
/// `9999-12-31T23:59:59Z` is rendered exactly; earlier times are shown as
/// `before 0000-01-01T00:00:00Z` and later ones as `after 9999-12-31T23:59:59Z`.
/// The text is always printable ASCII.
pub fn rfc3339(t: SystemTime) -> String {
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
