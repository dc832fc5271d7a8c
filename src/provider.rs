//! `TokenProvider`: credential resolution and a caching, self-refreshing token cache
//! around the pure [`generate_token`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::future::timeout::Timeout;
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_types::region::Region;
use aws_types::SdkConfig;

use crate::mint::{validate_expiry, validate_region, DEFAULT_EXPIRY};
use crate::{generate_token, BedrockToken, Error, ErrorKind};

/// Default: refresh a token this long before it expires.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);
/// Default: refresh up to this much earlier still, chosen at random per token, so that
/// many processes started together do not all refresh at the same instant.
pub const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(60);
/// Default: give up on a credential load after this long.
pub const DEFAULT_LOAD_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed refresh while a valid token is cached, wait this long before retrying,
/// doubling on each further failure up to [`MAX_RETRY_BACKOFF`].
const MIN_RETRY_BACKOFF: Duration = Duration::from_secs(1);
/// Upper bound of the retry backoff.
const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(60);

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

/// A source of Bedrock API keys that resolves credentials and region, caches the token
/// and replaces it ahead of its expiry.
///
/// - **Caching.** [`TokenProvider::token`] returns the cached token until its refresh
///   time: `expires_at − refresh window − random jitter` (defaults 5 min and up to 1 min,
///   both scaled down for short-lived tokens so that a token is used for at least a
///   quarter of its life). A cache hit takes no lock: an atomic load of the cached entry
///   (`arc-swap`) and a reference-count increment.
/// - **One refresh at a time.** Concurrent callers on a cold or stale cache wait for a
///   single credential resolution and mint, and all receive that token.
/// - **Static stability.** If a refresh fails or times out while the cached token is still
///   valid, the cached token is returned and the refresh is retried with backoff (1 s
///   doubling to 60 s). Only when no valid token remains does `token()` return the error;
///   then each new call tries again (still one load at a time, and callers that waited for
///   a failed load get its error rather than starting another).
/// - **Load timeout.** Resolving the default chain and loading credentials is limited to
///   [`DEFAULT_LOAD_TIMEOUT`] (configurable), reported as [`ErrorKind::CredentialsTimeout`].
///
/// Clones share one cache. The provider implements
/// [`ProvideToken`](aws_credential_types::provider::token::ProvideToken), so it plugs
/// into `aws-sdk-bedrockruntime`.
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
    config: Config,
    sources: tokio::sync::OnceCell<Sources>,
    /// The cached token. Read lock-free on every call; replaced whole by the refresher.
    current: ArcSwapOption<Entry>,
    /// Finished refresh attempts, so that a caller that waited for the gate can tell
    /// whether the attempt it waited for already happened.
    attempts: AtomicU64,
    /// Held (asynchronously) by the one caller that refreshes; guards the failure state.
    refresh_gate: tokio::sync::Mutex<Failures>,
}

struct Config {
    region: Option<Region>,
    credentials: Option<SharedCredentialsProvider>,
    #[cfg_attr(not(feature = "default-chain"), allow(dead_code))]
    profile_name: Option<String>,
    expiry: Duration,
    time_source: SharedTimeSource,
    sleep: Option<SharedAsyncSleep>,
    refresh_window: Duration,
    refresh_jitter: Duration,
    load_timeout: Duration,
}

/// Region and credentials provider, resolved once.
struct Sources {
    region: Region,
    credentials: SharedCredentialsProvider,
}

/// A cached token and when to replace it.
struct Entry {
    token: BedrockToken,
    refresh_at: SystemTime,
    /// Set after a failed refresh: until then, serve `token` without trying again.
    retry_at: Option<SystemTime>,
}

#[derive(Default)]
struct Failures {
    last_error: Option<Error>,
    backoff: Duration,
}

impl Entry {
    /// Serve without refreshing: fresh, or still valid while a failed refresh backs off.
    fn serves_without_refresh(&self, now: SystemTime) -> bool {
        now < self.refresh_at
            || (self.retry_at.is_some_and(|at| now < at) && !self.token.is_expired_at(now))
    }
}

impl TokenProvider {
    /// Starts building a provider.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Returns a valid Bedrock API key: the cached one while it is fresh, otherwise a
    /// newly minted one. See the type docs for the caching and failure rules.
    pub async fn token(&self) -> Result<BedrockToken, Error> {
        let seen_attempts = self.inner.attempts.load(Ordering::Acquire);
        if let Some(token) = self.cached(|e, now| e.serves_without_refresh(now)) {
            return Ok(token);
        }

        let mut failures = self.inner.refresh_gate.lock().await;
        if let Some(token) = self.cached(|e, now| now < e.refresh_at) {
            return Ok(token);
        }
        if self.inner.attempts.load(Ordering::Acquire) != seen_attempts {
            // Another caller tried while we waited: share its outcome rather than
            // asking the credential source again.
            if let Some(token) = self.cached(|e, now| !e.token.is_expired_at(now)) {
                return Ok(token);
            }
            if let Some(error) = &failures.last_error {
                return Err(error.clone());
            }
        }

        let result = self.load().await;
        let now = self.now();
        let outcome = match result {
            Ok(token) => {
                *failures = Failures::default();
                self.inner.current.store(Some(Arc::new(Entry {
                    refresh_at: self.refresh_at(&token, now),
                    retry_at: None,
                    token: token.clone(),
                })));
                Ok(token)
            }
            Err(error) => {
                failures.last_error = Some(error.clone());
                let still_valid = self
                    .inner
                    .current
                    .load_full()
                    .filter(|e| !e.token.is_expired_at(now));
                match still_valid {
                    Some(entry) => {
                        failures.backoff =
                            (failures.backoff * 2).clamp(MIN_RETRY_BACKOFF, MAX_RETRY_BACKOFF);
                        self.inner.current.store(Some(Arc::new(Entry {
                            token: entry.token.clone(),
                            refresh_at: entry.refresh_at,
                            retry_at: Some(now + failures.backoff),
                        })));
                        Ok(entry.token.clone())
                    }
                    None => {
                        self.inner.current.store(None);
                        Err(error)
                    }
                }
            }
        };
        self.inner.attempts.fetch_add(1, Ordering::Release);
        outcome
    }

    /// Drops the cached token, so that the next [`TokenProvider::token`] mints a new one.
    ///
    /// Call it when Bedrock rejects a token (HTTP 403), for example after the underlying
    /// credentials were rotated or revoked.
    pub fn invalidate(&self) {
        self.inner.current.store(None);
    }

    /// The cached token, if `usable` says so at the current time. Lock-free: an
    /// `ArcSwap` load and a reference-count increment.
    fn cached(&self, usable: impl Fn(&Entry, SystemTime) -> bool) -> Option<BedrockToken> {
        let guard = self.inner.current.load();
        let entry = guard.as_deref()?;
        usable(entry, self.now()).then(|| entry.token.clone())
    }

    fn now(&self) -> SystemTime {
        self.inner.config.time_source.now()
    }

    /// The configured load timeout.
    pub(crate) fn load_timeout(&self) -> Duration {
        self.inner.config.load_timeout
    }

    /// Resolves sources and credentials and mints, all under the load timeout.
    async fn load(&self) -> Result<BedrockToken, Error> {
        let config = &self.inner.config;
        let load = async {
            let sources = self
                .inner
                .sources
                .get_or_try_init(|| resolve_sources(config))
                .await?;
            let credentials = sources
                .credentials
                .provide_credentials()
                .await
                .map_err(|e| credentials_error(e, config.credentials.is_some()))?;
            generate_token(
                &credentials,
                sources.region.as_ref(),
                config.expiry,
                self.now(),
            )
        };
        let sleep = match &config.sleep {
            Some(sleep) => sleep.clone(),
            // Tokio's sleep panics outside a Tokio runtime: say so instead.
            None if tokio::runtime::Handle::try_current().is_ok() => {
                SharedAsyncSleep::new(TokioSleep::new())
            }
            None => return Err(no_sleep_error()),
        };
        Timeout::new(load, sleep.sleep(config.load_timeout))
            .await
            .unwrap_or_else(|_| Err(timeout_error(config.load_timeout)))
    }

    /// When to replace `token`, minted at `now`.
    fn refresh_at(&self, token: &BedrockToken, now: SystemTime) -> SystemTime {
        let config = &self.inner.config;
        let lifetime = token
            .expires_at()
            .duration_since(now)
            .unwrap_or(Duration::ZERO);
        let window = config.refresh_window.min(lifetime / 2);
        let max_jitter = config.refresh_jitter.min(lifetime / 4);
        let jitter = max_jitter.mul_f64(fastrand::f64());
        token.expires_at() - window - jitter
    }
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
            .field("refresh_window", &config.refresh_window)
            .field("refresh_jitter", &config.refresh_jitter)
            .field("load_timeout", &config.load_timeout)
            .field("cached_expires_at", &cached_expires_at)
            .finish()
    }
}

/// Builds a [`TokenProvider`]. Later calls override earlier ones, including what
/// [`Builder::configure`] took from an `SdkConfig`.
///
/// Has no `Debug`: it may hold a credentials provider.
#[derive(Default)]
pub struct Builder {
    region: Option<Region>,
    credentials: Option<SharedCredentialsProvider>,
    profile_name: Option<String>,
    expiry: Option<Duration>,
    time_source: Option<SharedTimeSource>,
    sleep: Option<SharedAsyncSleep>,
    refresh_window: Option<Duration>,
    refresh_jitter: Option<Duration>,
    load_timeout: Option<Duration>,
}

impl Builder {
    /// The region for the credential scope, e.g. `us-west-2`. Default: the region chain
    /// (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`).
    pub fn region(mut self, region: impl Into<Region>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Where credentials come from. Default: the standard AWS credential chain.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(SharedCredentialsProvider::new(provider));
        self
    }

    /// How long each token is valid: 1 s to 12 h (default 12 h). Fractional seconds are
    /// truncated; validated by [`Builder::build`].
    pub fn expiry(mut self, expiry: Duration) -> Self {
        self.expiry = Some(expiry);
        self
    }

    /// The clock used for signing times and cache freshness. Default: the system clock.
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.time_source = Some(SharedTimeSource::new(time_source));
        self
    }

    /// The sleep used for the load timeout. Default: Tokio's, which needs `token()` to run
    /// inside a Tokio runtime with the time driver enabled (as `#[tokio::main]` sets up);
    /// on another executor, pass its sleep here.
    pub fn sleep_impl(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep = Some(SharedAsyncSleep::new(sleep));
        self
    }

    /// The named profile from `~/.aws/config` / `~/.aws/credentials` to take region and
    /// credentials from (instead of `AWS_PROFILE` or `default`). Applies only to what is
    /// resolved from the default chains, not to an explicit region or credentials provider.
    pub fn profile_name(mut self, profile_name: impl Into<String>) -> Self {
        self.profile_name = Some(profile_name.into());
        self
    }

    /// Takes the region, credentials provider, time source and sleep from a loaded
    /// `SdkConfig` (for example `aws_config::load_defaults(..).await`), where it has them.
    pub fn configure(mut self, sdk_config: &SdkConfig) -> Self {
        if let Some(region) = sdk_config.region() {
            self.region = Some(region.clone());
        }
        if let Some(credentials) = sdk_config.credentials_provider() {
            self.credentials = Some(credentials);
        }
        if let Some(time_source) = sdk_config.time_source() {
            self.time_source = Some(time_source);
        }
        if let Some(sleep) = sdk_config.sleep_impl() {
            self.sleep = Some(sleep);
        }
        self
    }

    /// Refresh a token this long before it expires (default 5 minutes). For a short-lived
    /// token the window is at most half its lifetime.
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = Some(window);
        self
    }

    /// Refresh up to this much earlier than the window, at random per token (default 1
    /// minute; at most a quarter of a token's lifetime). `Duration::ZERO` turns jitter off.
    pub fn refresh_jitter(mut self, jitter: Duration) -> Self {
        self.refresh_jitter = Some(jitter);
        self
    }

    /// Give up on resolving credentials after this long (default 5 seconds).
    pub fn load_timeout(mut self, timeout: Duration) -> Self {
        self.load_timeout = Some(timeout);
        self
    }

    /// Validates the configuration and builds the provider. Synchronous and I/O free:
    /// whatever was not given is resolved from the default chains on first use.
    pub fn build(self) -> Result<TokenProvider, Error> {
        let expiry = validate_expiry(self.expiry.unwrap_or(DEFAULT_EXPIRY))?;
        if let Some(region) = &self.region {
            validate_region(region.as_ref())?;
        }
        if let Some(profile) = &self.profile_name {
            if profile.trim().is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidConfig,
                    "the profile name is empty: pass the name of a profile in ~/.aws/config, or do not call profile_name()",
                ));
            }
        }
        let load_timeout = self.load_timeout.unwrap_or(DEFAULT_LOAD_TIMEOUT);
        if load_timeout.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                "the load timeout is zero: pass a positive Duration to load_timeout()",
            ));
        }
        #[cfg(not(feature = "default-chain"))]
        {
            if self.region.is_none() {
                return Err(no_region_error());
            }
            if self.credentials.is_none() {
                return Err(no_credentials_error());
            }
        }
        let sources = tokio::sync::OnceCell::new_with(match (&self.region, &self.credentials) {
            (Some(region), Some(credentials)) => Some(Sources {
                region: region.clone(),
                credentials: credentials.clone(),
            }),
            _ => None,
        });
        Ok(TokenProvider {
            inner: Arc::new(Inner {
                config: Config {
                    region: self.region,
                    credentials: self.credentials,
                    profile_name: self.profile_name,
                    expiry,
                    time_source: self.time_source.unwrap_or_default(),
                    sleep: self.sleep,
                    refresh_window: self.refresh_window.unwrap_or(DEFAULT_REFRESH_WINDOW),
                    refresh_jitter: self.refresh_jitter.unwrap_or(DEFAULT_REFRESH_JITTER),
                    load_timeout,
                },
                sources,
                current: ArcSwapOption::empty(),
                attempts: AtomicU64::new(0),
                refresh_gate: tokio::sync::Mutex::new(Failures::default()),
            }),
        })
    }
}

/// Fills in region and credentials provider from the default chains where not given.
#[cfg(feature = "default-chain")]
async fn resolve_sources(config: &Config) -> Result<Sources, Error> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .time_source(config.time_source.clone());
    if let Some(profile) = &config.profile_name {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &config.region {
        loader = loader.region(region.clone());
    }
    if let Some(credentials) = &config.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    if let Some(sleep) = &config.sleep {
        loader = loader.sleep_impl(sleep.clone());
    }
    let sdk_config = loader.load().await;
    // An empty `AWS_REGION=` counts as unset, as in the official generators.
    let region = sdk_config
        .region()
        .filter(|r| !r.as_ref().is_empty())
        .cloned()
        .ok_or_else(no_region_error)?;
    validate_region(region.as_ref())?;
    let credentials = sdk_config
        .credentials_provider()
        .ok_or_else(no_credentials_error)?;
    Ok(Sources {
        region,
        credentials,
    })
}

#[cfg(not(feature = "default-chain"))]
async fn resolve_sources(_config: &Config) -> Result<Sources, Error> {
    // `build()` rejects a configuration without both, and seeds the cell with them.
    Err(no_region_error())
}

fn no_region_error() -> Error {
    Error::new(
        ErrorKind::NoRegion,
        if cfg!(feature = "default-chain") {
            "no AWS region found: set AWS_REGION (e.g. `export AWS_REGION=us-east-1`), \
             add `region = ...` to the profile in ~/.aws/config, or call TokenProvider::builder().region(..)"
        } else {
            "no AWS region given: call TokenProvider::builder().region(..), \
             or enable the `default-chain` feature to read AWS_REGION and profiles"
        },
    )
}

fn no_credentials_error() -> Error {
    Error::new(
        ErrorKind::NoCredentials,
        if cfg!(feature = "default-chain") {
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
             configure a profile in ~/.aws/credentials or ~/.aws/config (select it with AWS_PROFILE \
             or --profile / profile_name()), or pass credentials_provider(..)"
        } else {
            "no AWS credentials given: call TokenProvider::builder().credentials_provider(..), \
             or enable the `default-chain` feature to use the standard credential chain"
        },
    )
}

/// Maps a credentials provider's error; `explicit` says whether the provider was given
/// to the builder (rather than being the default chain).
fn credentials_error(e: CredentialsError, explicit: bool) -> Error {
    let error = match &e {
        CredentialsError::CredentialsNotLoaded(_) if explicit => Error::new(
            ErrorKind::NoCredentials,
            "the credentials provider given to credentials_provider(..) returned no credentials; \
             check its configuration, or leave it out to use the default credential chain",
        ),
        CredentialsError::CredentialsNotLoaded(_) => no_credentials_error(),
        CredentialsError::ProviderTimedOut(_) => Error::new(
            ErrorKind::CredentialsTimeout,
            "the credential provider timed out; check the network path to the credential source",
        ),
        CredentialsError::InvalidConfiguration(_) => Error::new(
            ErrorKind::CredentialsProvider,
            "the credential source is misconfigured; check the profile and AWS_* environment variables",
        ),
        _ => Error::new(
            ErrorKind::CredentialsProvider,
            "loading AWS credentials failed; see the cause below and check the credential source",
        ),
    };
    error.with_source(e)
}

fn no_sleep_error() -> Error {
    Error::new(
        ErrorKind::InvalidConfig,
        "token() ran outside a Tokio runtime, so the load timeout has no timer: run it inside \
         a Tokio runtime with the time driver enabled, or pass sleep_impl(..) (or configure(..) \
         with an SdkConfig that has one)",
    )
}

fn timeout_error(after: Duration) -> Error {
    Error::new(
        ErrorKind::CredentialsTimeout,
        format!(
            "loading AWS credentials timed out after {after:?}; check the credential source \
             (network, credential_process, container endpoint) or raise load_timeout()"
        ),
    )
}
