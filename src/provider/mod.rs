//! [`TokenProvider`]: resolves credentials, caches the token, and replaces it ahead of
//! its expiry around the pure [`crate::generate_token`].
//!
//! - `builder.rs`: configuration and its validation;
//! - `sources.rs`: region and credentials from the builder or the standard chains;
//! - `cache.rs`: the cache's rules as pure functions of time;
//! - `refresh.rs`: the refresh state machine (one load at a time, backoff);
//! - `background.rs`: the optional task that keeps the token fresh with no caller;
//! - `events.rs`: the `tracing` events (no secret in any field).

mod background;
mod builder;
mod cache;
mod events;
mod refresh;
mod sources;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;

pub use background::KeepFresh;
pub use builder::{
    Builder, DEFAULT_LOAD_TIMEOUT, DEFAULT_MIN_VALIDITY, DEFAULT_REFRESH_JITTER,
    DEFAULT_REFRESH_WINDOW,
};

use crate::{BedrockToken, Error, ErrorKind};

/// Mints a Bedrock API key from the default credential chain and the default region
/// chain, valid for 12 hours (or until the credentials expire, if sooner).
///
/// The Rust counterpart of the Python generator's `provide_token()`. Each call
/// resolves credentials and signs anew; to reuse a token until shortly before it expires,
/// keep a [`TokenProvider`] instead.
///
/// The region comes from `AWS_REGION` (or `AWS_DEFAULT_REGION`), then from the profile
/// selected by `AWS_PROFILE`; credentials from the standard chain (environment, profile
/// files, SSO, `credential_process`, web identity, container and instance metadata).
#[cfg(feature = "default-chain")]
pub async fn provide_token() -> Result<BedrockToken, Error> {
    TokenProvider::builder().build()?.token().await
}

/// [`provide_token`] for another service: mints a short-term key for `service` (for
/// example [`Service::ClaudePlatform`](crate::Service::ClaudePlatform)) from the default
/// credential and region chains, valid for 12 hours (or until the credentials expire).
/// A service without short-term keys is [`ErrorKind::UnsupportedService`].
#[cfg(feature = "default-chain")]
pub async fn provide_service_token(service: crate::Service) -> Result<BedrockToken, Error> {
    TokenProvider::builder()
        .service(service)
        .build()?
        .token()
        .await
}

/// A source of Bedrock API keys that resolves credentials and region, caches the token
/// and replaces it ahead of its expiry.
///
/// # Refresh model
///
/// - **Fresh.** Until its refresh point, `expires_at − refresh window − random jitter`
///   (defaults 5 min and up to 1 min), [`TokenProvider::token`] returns the cached token.
///   That hit takes no lock: an atomic load (`arc-swap`) and a reference-count increment.
/// - **Stale.** Past the refresh point, callers still get the cached token at once, and
///   one load of credentials and a new mint runs in the background.
/// - **Unusable.** Only with no token cached, or one with less than the minimum validity
///   left (default 15 s), or one minted more than [`crate::MAX_CLOCK_SKEW`] after the
///   current time (the clock went back), do callers wait, all for the same load.
///
/// Window, jitter and minimum validity are scaled down for short-lived tokens (to at most
/// 1/2, 1/4 and 1/4 of the lifetime), so a token is always served for at least a quarter
/// of its life.
///
/// # Loads and failures
///
/// - **One at a time, owned by nobody.** A load runs on its own (spawned on the Tokio
///   runtime): a caller that stops waiting (a request timeout dropping its future) does not
///   cancel it, and callers that arrive while it runs share it. It ends when credentials
///   arrive or after the load timeout (default 5 s, [`ErrorKind::CredentialsTimeout`](crate::ErrorKind::CredentialsTimeout)).
///   A credentials provider that panics counts as a failed load.
/// - **Static stability.** When a load fails while the cached token is still usable,
///   callers keep getting that token.
/// - **Bounded retries.** After a failed load, no new load starts for 1 s, doubling with
///   each consecutive failure up to 60 s. Meanwhile callers get the usable cached token, or,
///   if there is none, the last load's error at once. So an outage costs the credential
///   source (IMDS, STS, SSO) at most one load per backoff period, however many callers.
/// - **Clocks.** All times come from the time source (default: the system clock). A clock
///   that goes back past a failure ends its backoff; a token minted more than 5 minutes in
///   the "future" is replaced; no token is returned already expired.
/// - **Observability.** Loads, failures, a cached token served through a failure, backoff
///   and invalidations are `tracing` events (target `aws_bedrock_token_generator::provider`;
///   no token, credentials or access key id in any field); [`TokenProvider::status`] is a
///   snapshot of the cache and the failure count, for health checks and alerts.
///
/// Off Tokio (with a [`Builder::sleep_impl`] of another executor) there is nothing to spawn
/// a load on: the callers that wait for a load drive it, and a stale token is refreshed in
/// the caller before it is returned (and returned anyway if the refresh fails).
///
/// Clones share one cache. The provider implements
/// [`ProvideToken`](aws_credential_types::provider::token::ProvideToken), so it plugs
/// into `aws-sdk-bedrockruntime` (see [`crate::prefer_bearer_auth`] for how the SDK's own
/// identity cache is kept from holding a token longer than this provider would).
///
/// ```no_run
/// # async fn f() -> Result<(), aws_bedrock_token_generator::Error> {
/// use std::time::Duration;
/// use aws_bedrock_token_generator::{Region, TokenProvider};
///
/// let provider = TokenProvider::builder()
///     .region(Region::new("us-west-2"))
///     .expiry(Duration::from_secs(3600))
///     .build()?;
/// let token = provider.token().await?;
/// // send `Authorization: Bearer {token.as_str()}`
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenProvider {
    inner: Arc<Inner>,
}

struct Inner {
    config: builder::Config,
    sources: tokio::sync::OnceCell<sources::Sources>,
    /// The cached token. Read lock-free on every call; replaced whole.
    current: ArcSwapOption<cache::Entry>,
    /// Loads, failures and invalidations. A std mutex: never held across `.await`.
    state: Mutex<refresh::State>,
}

impl TokenProvider {
    /// Starts building a provider.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Returns a Bedrock API key with at least the minimum validity left: the cached one
    /// unless it is unusable, otherwise a newly minted one. See the type docs for the
    /// refresh model and failure rules.
    pub async fn token(&self) -> Result<BedrockToken, Error> {
        match self.fresh_token() {
            Some(token) => Ok(token),
            None => self.token_slow().await,
        }
    }

    /// The cached token if it may be handed out now (fresh, or stale while a refresh is
    /// due), without I/O, locks or waiting; `None` if there is none or it is too close to
    /// its expiry. It never starts a load: pair it with a keep-fresh task, or call
    /// [`TokenProvider::token`] when it returns `None`.
    pub fn cached(&self) -> Option<BedrockToken> {
        self.usable_token()
    }

    /// Loads credentials and mints a new token now, waits for it, caches it and returns
    /// it; or returns the load's error (the cached token, if any, stays in service).
    ///
    /// If a load is already running (a background refresh), this waits for that one
    /// instead of starting another. It ignores the refresh schedule and the backoff: use
    /// it to fail fast at start-up, or to replace a token on demand, not in a loop.
    pub async fn refresh(&self) -> Result<BedrockToken, Error> {
        self.load_now().await
    }

    /// Drops the cached token, so that the next [`TokenProvider::token`] mints a new one.
    ///
    /// Call it when Bedrock rejects a token (HTTP 403), for example after the underlying
    /// credentials were rotated or revoked. It cannot be undone by a refresh that was
    /// already running: a load that began before the call is not cached, and callers that
    /// arrive afterwards wait for a load that began after it.
    pub fn invalidate(&self) {
        self.invalidate_if("invalidate", |_| true);
    }

    /// Drops the cached token only if it is `rejected` (the token text a request was sent
    /// with), and says whether it did. A late rejection of an older token, after a new one
    /// was cached, costs nothing.
    pub fn invalidate_token(&self, rejected: &str) -> bool {
        self.invalidate_if("invalidate_token", |cached| {
            cached.is_some_and(|t| t.as_str() == rejected)
        })
    }

    /// A snapshot of the cache and of the loads, for health checks and metrics: the
    /// cached key's expiry, the last successful load, the last failure and whether a load
    /// is running. Synchronous and cheap (a short lock, no I/O), so a health endpoint or a
    /// metrics scrape can call it as often as it likes.
    ///
    /// To alert before the key runs out, compare [`ProviderStatus::expires_at`] with the
    /// current time, or alert on [`ProviderStatus::consecutive_failures`] above zero:
    ///
    /// ```no_run
    /// # fn f(provider: &aws_bedrock_token_generator::TokenProvider) {
    /// use std::time::{Duration, SystemTime};
    ///
    /// let status = provider.status();
    /// let left = status
    ///     .expires_at
    ///     .and_then(|t| t.duration_since(SystemTime::now()).ok())
    ///     .unwrap_or_default();
    /// if left < Duration::from_secs(15 * 60) || status.consecutive_failures > 0 {
    ///     eprintln!("Bedrock API key: {left:?} left, last error {:?}", status.last_error);
    /// }
    /// # }
    /// ```
    pub fn status(&self) -> ProviderStatus {
        self.snapshot()
    }

    fn now(&self) -> SystemTime {
        self.inner.config.time_source.now()
    }

    /// The configured load timeout.
    pub(crate) fn load_timeout(&self) -> Duration {
        self.inner.config.load_timeout
    }

    /// The provider's current time, for what it reports to the SDK.
    pub(crate) fn current_time(&self) -> SystemTime {
        self.now()
    }
}

/// What [`TokenProvider::status`] reports. More fields may be added in minor releases.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStatus {
    /// When the cached key expires; `None` with no key cached (none loaded yet, or
    /// invalidated). A key past its expiry may still be reported until it is replaced.
    pub expires_at: Option<SystemTime>,
    /// When the last successful load finished, on the provider's time source; `None`
    /// before the first.
    pub last_success: Option<SystemTime>,
    /// The kind of error of the last failed load; cleared by a successful one.
    pub last_error: Option<ErrorKind>,
    /// Failed loads since the last successful one (the count the backoff doubles with).
    pub consecutive_failures: u32,
    /// Whether a load is running now.
    pub loading: bool,
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner.config;
        let cached_expires_at = self
            .inner
            .current
            .load()
            .as_ref()
            .map(|e| e.token.expires_at());
        f.debug_struct("TokenProvider")
            .field("service", &config.service)
            .field("region", &config.region)
            .field("profile_name", &config.profile_name)
            .field(
                "credentials_provider",
                &if config.credentials.is_some() {
                    "explicit"
                } else {
                    "default chain"
                },
            )
            .field("expiry", &config.expiry)
            .field("refresh_window", &config.policy.refresh_window)
            .field("refresh_jitter", &config.policy.refresh_jitter)
            .field("min_validity", &config.policy.min_validity)
            .field("load_timeout", &config.load_timeout)
            .field("cached_expires_at", &cached_expires_at)
            .field("loading", &self.is_loading())
            .finish()
    }
}
