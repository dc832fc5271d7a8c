//! Reading Bedrock API keys back into their facts: short-term tokens
//! (`bedrock-api-key-…`, [`TokenInfo`]).

use std::time::SystemTime;

mod short_term;

pub use short_term::TokenInfo;

/// RFC 3339 UTC rendering of a time, e.g. `2024-06-15T12:00:00Z` (whole seconds).
/// Times outside years 1970 to 9999 are shown as seconds relative to the Unix epoch.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let Some(dt) = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .and_then(|d| time::OffsetDateTime::UNIX_EPOCH.checked_add(d.try_into().ok()?))
        .filter(|dt| dt.year() <= 9999)
    else {
        return format!("{t:?}");
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}
