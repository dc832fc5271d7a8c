//! [`TokenProvider`]: resolves credentials, caches the token, and replaces it ahead of
//! its expiry around the pure [`crate::generate_token`].
//!
//! Two layers, shaped as smithy-rs's lazy identity cache is: a cache that knows nothing
//! of where tokens come from, and a token source it calls through one narrow interface
//! (`Source::load`). The builder makes both; this file is the public API over them.
//!
//! - `builder.rs`: configuration and its validation; builds the source and the cache;
//! - `source.rs`: the token source (region and credentials from the builder or the
//!   standard chains, the assume-role step, the mint): the only I/O;
//! - `cache.rs`: the cache's rules as pure functions of time, and the one backoff state;
//! - `refresh.rs`: the cache itself, the refresh state machine (one load at a time);
//! - `background.rs`: the optional task that keeps the token fresh with no caller;
//! - `events.rs`: the `tracing` events (no secret in any field).

mod background;
mod builder;
mod cache;
mod events;
mod refresh;
mod source;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use background::KeepFresh;
pub use builder::Builder;

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
    /// The cache in front of the token source; shared by clones and the keep-fresh task.
    cache: Arc<refresh::Cache<source::TokenSource>>,
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
        self.cache.token().await
    }

    /// The cached token if it may be handed out now (fresh, or stale while a refresh is
    /// due), without I/O, locks or waiting; `None` if there is none or it is too close to
    /// its expiry. It never starts a load: pair it with a keep-fresh task, or call
    /// [`TokenProvider::token`] when it returns `None`.
    pub fn cached(&self) -> Option<BedrockToken> {
        self.cache.usable_token()
    }

    /// Loads credentials and mints a new token now, waits for it, caches it and returns
    /// it; or returns the load's error (the cached token, if any, stays in service).
    ///
    /// If a load is already running (a background refresh), this waits for that one
    /// instead of starting another. It ignores the refresh schedule and the backoff: use
    /// it to fail fast at start-up, or to replace a token on demand, not in a loop.
    pub async fn refresh(&self) -> Result<BedrockToken, Error> {
        self.cache.load_now().await
    }

    /// Drops the cached token, so that the next [`TokenProvider::token`] mints a new one.
    ///
    /// Call it when Bedrock rejects a token (HTTP 403), for example after the underlying
    /// credentials were rotated or revoked. It cannot be undone by a refresh that was
    /// already running: a load that began before the call is not cached, and callers that
    /// arrive afterwards wait for a load that began after it.
    pub fn invalidate(&self) {
        self.cache.invalidate_if("invalidate", |_| true);
    }

    /// Drops the cached token only if it is `rejected` (the token text a request was sent
    /// with), and says whether it did. A late rejection of an older token, after a new one
    /// was cached, costs nothing.
    pub fn invalidate_token(&self, rejected: &str) -> bool {
        self.cache.invalidate_if("invalidate_token", |cached| {
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
        self.cache.snapshot()
    }

    /// Starts a Tokio task that keeps this provider's token fresh with no caller: it loads
    /// a token at once, then a new one at each refresh point, and after a failure retries
    /// with the provider's backoff (1 s doubling to 60 s). Read the token synchronously
    /// with [`TokenProvider::cached`], for example in an HTTP header callback or a gRPC
    /// interceptor that cannot `.await`.
    ///
    /// The task runs on the current Tokio runtime until the returned handle is dropped or
    /// stopped. It uses the provider's own refresh machinery (one load at a time, shared
    /// with `token()` callers), so running it next to `token()` callers costs no extra
    /// loads.
    ///
    /// Fails with [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) outside a
    /// Tokio runtime with the time driver.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), aws_bedrock_token_generator::Error> {
    /// use aws_bedrock_token_generator::TokenProvider;
    ///
    /// let provider = TokenProvider::builder().build()?;
    /// let _refresher = provider.keep_fresh()?;
    /// provider.token().await?; // optional: wait for the first token, fail fast
    /// // Later, in synchronous code:
    /// if let Some(token) = provider.cached() {
    ///     // set `Authorization: Bearer {token.as_str()}`
    /// }
    /// # Ok(()) }
    /// ```
    pub fn keep_fresh(&self) -> Result<KeepFresh, Error> {
        background::keep_fresh(&self.cache)
    }

    /// The configured load timeout.
    pub(crate) fn load_timeout(&self) -> Duration {
        self.cache.load_timeout
    }

    /// The provider's current time, for what it reports to the SDK.
    pub(crate) fn current_time(&self) -> SystemTime {
        self.cache.now()
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
        let config = &self.cache.source.settings;
        let policy = &self.cache.policy;
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
            .field("refresh_window", &policy.refresh_window)
            .field("refresh_jitter", &policy.refresh_jitter)
            .field("min_validity", &policy.min_validity)
            .field("load_timeout", &self.cache.load_timeout)
            .field("cached_expires_at", &self.cache.cached_expires_at())
            .field("loading", &self.cache.is_loading())
            .finish()
    }
}
