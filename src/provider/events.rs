//! The provider's `tracing` events, all in one place so that what they carry is easy to
//! check: times, counts, error kinds and this crate's own error messages (which never
//! hold a secret). Never a token, credentials or an access key id.
//!
//! | event | level | fields |
//! |---|---|---|
//! | load started | debug | – |
//! | load succeeded | debug | `expires_at`, `cached` |
//! | load failed | warn | `kind`, `error`, `consecutive_failures` |
//! | serving the cached key during a failure | warn | `expires_at` |
//! | backing off | warn | `until`, `backoff` |
//! | invalidation | info | `call`, `dropped`, `expires_at` (of the dropped key) |

use std::time::{Duration, SystemTime};

use crate::inspect::rfc3339;
use crate::Error;

/// The target of every event, whichever file emits it (filter with
/// `RUST_LOG=aws_bedrock_token_generator::provider=debug`).
const TARGET: &str = "aws_bedrock_token_generator::provider";

pub(super) fn load_started() {
    tracing::debug!(target: TARGET, "loading credentials to mint a new Bedrock API key");
}

/// `cached` is false when an invalidation came while the load ran (its key is dropped).
pub(super) fn load_succeeded(expires_at: SystemTime, cached: bool) {
    tracing::debug!(
        target: TARGET,
        expires_at = %rfc3339(expires_at),
        cached,
        "minted a new Bedrock API key"
    );
}

pub(super) fn load_failed(error: &Error, consecutive_failures: u32) {
    tracing::warn!(
        target: TARGET,
        kind = ?error.kind(),
        error = %error,
        consecutive_failures,
        "loading credentials for a new Bedrock API key failed"
    );
}

pub(super) fn serving_cached(expires_at: SystemTime) {
    tracing::warn!(
        target: TARGET,
        expires_at = %rfc3339(expires_at),
        "still serving the cached Bedrock API key, which is valid until it expires"
    );
}

pub(super) fn backing_off(until: SystemTime, backoff: Duration) {
    tracing::warn!(
        target: TARGET,
        until = %rfc3339(until),
        ?backoff,
        "no new load starts before the backoff ends, except on demand"
    );
}

/// `call` is the method (`invalidate` or `invalidate_token`); `dropped` the expiry of the
/// key it dropped, if it dropped one.
pub(super) fn invalidated(call: &'static str, dropped: Option<SystemTime>) {
    match dropped {
        Some(expires_at) => tracing::info!(
            target: TARGET,
            call,
            dropped = true,
            expires_at = %rfc3339(expires_at),
            "dropped the cached Bedrock API key"
        ),
        None => tracing::info!(
            target: TARGET,
            call,
            dropped = false,
            "dropped no Bedrock API key (none cached, or not the rejected one)"
        ),
    }
}
