//! [`Builder`]: the provider's configuration, validated once by [`Builder::build`].

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_types::region::Region;
use aws_types::SdkConfig;

use super::cache::Policy;
use super::refresh::Cache;
use super::source::{self, TokenSource};
use super::TokenProvider;
use crate::mint::{validate_expiry, validate_region, DEFAULT_EXPIRY};
use crate::{Error, ErrorKind, Input};

// The defaults below are private and documented on their setters.

/// Default: refresh a token this long before it expires.
pub(crate) const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);
/// Default: refresh up to this much earlier still, chosen at random per token, so that
/// many processes started together do not all refresh at the same instant.
pub(crate) const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(60);
/// Default: give up on a credential load after this long.
pub(crate) const DEFAULT_LOAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Default: a cached token with less than this left is not handed out; callers wait for
/// a new one instead.
pub(crate) const DEFAULT_MIN_VALIDITY: Duration = Duration::from_secs(15);

/// Builds a [`TokenProvider`]. Later calls override earlier ones, including what
/// [`Builder::configure`] took from an `SdkConfig`.
///
/// Has no `Debug`: it may hold a credentials provider.
#[derive(Default)]
pub struct Builder {
    service: crate::Service,
    region: Option<Region>,
    credentials: Option<SharedCredentialsProvider>,
    profile_name: Option<String>,
    expiry: Option<Duration>,
    time_source: Option<SharedTimeSource>,
    sleep: Option<SharedAsyncSleep>,
    refresh_window: Option<Duration>,
    refresh_jitter: Option<Duration>,
    load_timeout: Option<Duration>,
    min_validity: Option<Duration>,
    #[cfg(feature = "default-chain")]
    role: RoleSettings,
}

/// What the assume-role methods were given, validated by [`Builder::build`].
#[cfg(feature = "default-chain")]
#[derive(Default)]
struct RoleSettings {
    role_arn: Option<String>,
    session_name: Option<String>,
    policy: Option<crate::SessionPolicy>,
    duration: Option<Duration>,
}

impl Builder {
    /// The service the provider mints keys for: [`Service::Bedrock`](crate::Service::Bedrock)
    /// (the default) or [`Service::ClaudePlatform`](crate::Service::ClaudePlatform). One
    /// provider mints for one service. A service without short-term keys is an
    /// [`ErrorKind::UnsupportedService`] error from [`Builder::build`].
    pub fn service(mut self, service: crate::Service) -> Self {
        self.service = service;
        self
    }

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

    /// Give up on resolving credentials after this long (default 5 seconds). The load
    /// runs on its own (spawned on the Tokio runtime), so a caller with a shorter deadline
    /// of its own does not cut it short.
    pub fn load_timeout(mut self, timeout: Duration) -> Self {
        self.load_timeout = Some(timeout);
        self
    }

    /// The least validity a cached token must have left to be handed out (default 15
    /// seconds; at most a quarter of a token's lifetime). Closer to its expiry, callers
    /// wait for a new token rather than receive one that may expire in flight. Between the
    /// refresh point and this, callers get the cached token at once while it is replaced
    /// in the background.
    pub fn min_validity(mut self, min_validity: Duration) -> Self {
        self.min_validity = Some(min_validity);
        self
    }

    /// Mints from a role session instead of the source credentials: each load calls STS
    /// `AssumeRole` for `role_arn` (e.g. `arn:aws:iam::123456789012:role/bedrock-sandbox`)
    /// with the source credentials (those of [`Builder::credentials_provider`], else of the
    /// profile or default chain), and signs the token with the role session's keys.
    ///
    /// - The token expires with the role session at the latest: its
    ///   [`expires_at`](crate::BedrockToken::expires_at) is the earlier of the expiry asked
    ///   for and the session's expiration, and the provider refreshes (assuming the role
    ///   anew) before then.
    /// - `DurationSeconds` is [`Builder::role_session_duration`] if given, else the
    ///   [`Builder::expiry`] if given (at least 900 seconds), else not sent (STS's default,
    ///   one hour). A role grants at most its maximum session duration (1 hour unless an
    ///   administrator raised it, up to 12 hours); asking for more fails with
    ///   [`ErrorKind::InvalidConfig`].
    /// - STS is called in the token's region, at the endpoint the AWS SDKs would use:
    ///   `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url` or
    ///   `services` section are honoured.
    /// - Errors: access denied ([`ErrorKind::AccessDenied`]), a policy STS rejects, a session
    ///   duration above the role's maximum ([`ErrorKind::InvalidConfig`]), and others, with
    ///   STS's code, message and request id. Neither the role's secret key nor its session
    ///   token ever appears in them.
    ///
    /// The ARN is checked by [`Builder::build`].
    #[cfg(feature = "default-chain")]
    #[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
    pub fn assume_role(mut self, role_arn: impl Into<String>) -> Self {
        self.role.role_arn = Some(role_arn.into());
        self
    }

    /// The role session name (2 to 64 characters of letters, digits and `+=,.@_-`),
    /// visible in CloudTrail and in the role session's ARN. Default:
    /// `bedrock-token-<Unix seconds when the provider was built>`. Needs
    /// [`Builder::assume_role`].
    #[cfg(feature = "default-chain")]
    #[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.role.session_name = Some(name.into());
        self
    }

    /// An inline session policy for the role session: the token can do only what both the
    /// role and this policy allow. Pass a [`ModelPolicy`](crate::ModelPolicy) to allow
    /// inference on named models only, or [`SessionPolicy::from_json`](crate::SessionPolicy::from_json)
    /// for a document of your own. Checked by [`Builder::build`]. Needs
    /// [`Builder::assume_role`].
    #[cfg(feature = "default-chain")]
    #[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
    pub fn session_policy(mut self, policy: impl Into<crate::SessionPolicy>) -> Self {
        self.role.policy = Some(policy.into());
        self
    }

    /// How long the role session lasts (`AssumeRole` `DurationSeconds`): 900 seconds to 12
    /// hours, and at most the role's maximum session duration. Default: see
    /// [`Builder::assume_role`]. Needs [`Builder::assume_role`].
    #[cfg(feature = "default-chain")]
    #[cfg_attr(docsrs, doc(cfg(feature = "default-chain")))]
    pub fn role_session_duration(mut self, duration: Duration) -> Self {
        self.role.duration = Some(duration);
        self
    }

    /// Validates the configuration and builds the provider. Synchronous and I/O free:
    /// whatever was not given is resolved from the default chains on first use.
    pub fn build(self) -> Result<TokenProvider, Error> {
        if !self.service.supports(crate::KeyKind::ShortTerm) {
            return Err(self
                .service
                .unsupported("short-term API keys to mint; create a long-term key instead")
                .about(Input::Service));
        }
        let expiry = validate_expiry(self.expiry.unwrap_or(DEFAULT_EXPIRY))
            .map_err(|e| e.about(Input::Expiry))?;
        if let Some(region) = &self.region {
            validate_region(region.as_ref()).map_err(|e| e.about(Input::Region))?;
        }
        if let Some(profile) = &self.profile_name {
            if profile.trim().is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidConfig,
                    "the profile name is empty: name a profile of ~/.aws/config, or leave the \
                     profile unset",
                )
                .about(Input::Profile));
            }
        }
        let load_timeout = self.load_timeout.unwrap_or(DEFAULT_LOAD_TIMEOUT);
        if load_timeout.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                "the load timeout is zero: pass a positive Duration to load_timeout()",
            )
            .about(Input::LoadTimeout));
        }
        #[cfg(not(feature = "default-chain"))]
        {
            if self.region.is_none() {
                return Err(source::no_region_error());
            }
            if self.credentials.is_none() {
                return Err(source::no_credentials_error());
            }
        }
        let time_source: SharedTimeSource = self.time_source.unwrap_or_default();
        #[cfg(feature = "default-chain")]
        let role = self
            .role
            .validate(self.expiry, self.region.as_ref(), &time_source)?;
        // The builder makes both layers: the source (what a token is minted from) and the
        // cache in front of it (when to load, and how failures are retried).
        let source = TokenSource::new(source::Settings {
            service: self.service,
            region: self.region,
            credentials: self.credentials,
            profile_name: self.profile_name,
            expiry,
            time_source: time_source.clone(),
            sleep: self.sleep.clone(),
            #[cfg(feature = "default-chain")]
            role,
        });
        let policy = Policy {
            refresh_window: self.refresh_window.unwrap_or(DEFAULT_REFRESH_WINDOW),
            refresh_jitter: self.refresh_jitter.unwrap_or(DEFAULT_REFRESH_JITTER),
            min_validity: self.min_validity.unwrap_or(DEFAULT_MIN_VALIDITY),
        };
        Ok(TokenProvider {
            cache: Arc::new(Cache::new(
                source,
                policy,
                load_timeout,
                time_source,
                self.sleep,
            )),
        })
    }
}

#[cfg(feature = "default-chain")]
impl RoleSettings {
    /// The assume-role step, or `None` without a role ARN (then no other role setting may
    /// be given).
    fn validate(
        self,
        expiry: Option<Duration>,
        region: Option<&Region>,
        time_source: &SharedTimeSource,
    ) -> Result<Option<crate::role::AssumeRole>, Error> {
        use crate::role::{self, MIN_ROLE_SESSION_DURATION};

        let Some(role_arn) = self.role_arn else {
            let given = [
                (
                    self.session_name.is_some(),
                    "a role session name",
                    Input::RoleSessionName,
                ),
                (
                    self.policy.is_some(),
                    "a session policy",
                    Input::SessionPolicy,
                ),
                (
                    self.duration.is_some(),
                    "a role session duration",
                    Input::RoleSessionDuration,
                ),
            ];
            if let Some((_, what, input)) = given.iter().find(|(set, ..)| *set) {
                return Err(Error::new(
                    ErrorKind::InvalidConfig,
                    format!(
                        "{what} applies to a role session, but no role is assumed: give the \
                         role's ARN, or leave out {what}"
                    ),
                )
                .about(*input));
            }
            return Ok(None);
        };
        role::validate_role_arn(&role_arn).map_err(|e| e.about(Input::RoleArn))?;
        let session_name = match self.session_name {
            Some(name) => {
                role::validate_session_name(&name).map_err(|e| e.about(Input::RoleSessionName))?;
                name
            }
            None => role::default_session_name(time_source.now()),
        };
        if let Some(policy) = &self.policy {
            policy.render(region.map(|r| r.as_ref()))?;
        }
        let duration = match (self.duration, expiry) {
            (Some(duration), _) => Some(
                role::validate_duration(duration)
                    .map_err(|e| e.about(Input::RoleSessionDuration))?,
            ),
            // The expiry was validated (1 s to 12 h) before.
            (None, Some(expiry)) => Some(Duration::from_secs(
                expiry.as_secs().max(MIN_ROLE_SESSION_DURATION.as_secs()),
            )),
            (None, None) => None,
        };
        Ok(Some(role::AssumeRole {
            role_arn,
            session_name,
            policy: self.policy,
            duration,
        }))
    }
}
