//! The token source: region and credentials (what the builder was given, else the
//! standard AWS chains, resolved once, on the first load), the assume-role step, and the
//! mint. The only I/O of a provider; the cache (`refresh.rs`) reaches it through
//! [`Source::load`] alone, and knows nothing of where tokens come from.

use std::future::Future;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_async::time::SharedTimeSource;
use aws_types::region::Region;

use crate::aws_error::Failure;
use crate::{BedrockToken, Error, ErrorKind};

/// Where the cache gets a new token: the one interface between the two. The cache owns
/// timeouts, panics, backoff and caching; a source only loads.
pub(super) trait Source: Send + Sync + 'static {
    /// Loads a new token (credentials, then the mint). May take long or fail; the cache
    /// bounds it with its load timeout, and calls it once at a time.
    fn load(&self) -> impl Future<Output = Result<BedrockToken, Error>> + Send;
}

/// What a token is minted with, validated by the builder.
pub(super) struct Settings {
    pub service: crate::Service,
    pub region: Option<Region>,
    pub credentials: Option<SharedCredentialsProvider>,
    #[cfg_attr(not(feature = "default-chain"), allow(dead_code))]
    pub profile_name: Option<String>,
    pub expiry: Duration,
    pub time_source: SharedTimeSource,
    #[cfg_attr(not(feature = "default-chain"), allow(dead_code))]
    pub sleep: Option<SharedAsyncSleep>,
    /// The assume-role step, if any.
    #[cfg(feature = "default-chain")]
    pub role: Option<crate::role::AssumeRole>,
}

/// Region and credentials provider, resolved once.
struct Sources {
    region: Region,
    credentials: SharedCredentialsProvider,
}

/// The provider's token source: its settings, and the region and credentials provider
/// resolved from them on the first load.
pub(super) struct TokenSource {
    pub settings: Settings,
    sources: tokio::sync::OnceCell<Sources>,
    /// Keeps the day's signing key: a refresh with the same credentials derives none.
    minter: crate::Minter,
}

impl TokenSource {
    pub fn new(settings: Settings) -> Self {
        Self {
            sources: tokio::sync::OnceCell::new_with(given(&settings)),
            settings,
            // The day's key of the current credentials and a few before (temporary
            // credentials come with a new access key id at each refresh).
            minter: crate::Minter::with_capacity(4),
        }
    }
}

impl Source for TokenSource {
    /// Resolves sources (once), loads credentials and mints.
    async fn load(&self) -> Result<BedrockToken, Error> {
        let config = &self.settings;
        let sources = self.sources.get_or_try_init(|| resolve(config)).await?;
        let explicit = config.credentials.is_some();
        let credentials = sources
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| {
                #[cfg(feature = "default-chain")]
                if let Some(role) = &config.role {
                    return role.error(e, |source| describe_credentials_error(source, explicit));
                }
                credentials_error(e, explicit)
            })?;
        self.minter.generate_service_token(
            config.service,
            &credentials,
            sources.region.as_ref(),
            config.expiry,
            config.time_source.now(),
        )
    }
}

/// Both given to the builder (and no role to assume): nothing to resolve.
fn given(config: &Settings) -> Option<Sources> {
    #[cfg(feature = "default-chain")]
    if config.role.is_some() {
        return None;
    }
    Some(Sources {
        region: config.region.clone()?,
        credentials: config.credentials.clone()?,
    })
}

/// Fills in what the builder was not given, as the AWS CLI does:
///
/// - region: the builder's, else `AWS_REGION` / `AWS_DEFAULT_REGION`, else the profile's
///   `region`, else instance metadata;
/// - credentials: the builder's, else the named profile's (when `profile_name` is set,
///   even if `AWS_ACCESS_KEY_ID` is set), else the default chain (environment, profiles,
///   SSO, `credential_process`, web identity, container and instance metadata);
/// - with a role to assume, those credentials are the source of an STS `AssumeRole`
///   provider, and the token is minted from the role session.
///
/// Built from the individual aws-config providers rather than `aws_config::defaults`, so
/// that when environment variables (or a profile with static keys) answer, no HTTPS client
/// is created.
#[cfg(feature = "default-chain")]
async fn resolve(config: &Settings) -> Result<Sources, Error> {
    use aws_config::default_provider::{credentials::DefaultCredentialsChain, region};
    use aws_config::profile::ProfileFileCredentialsProvider;
    use aws_config::provider_config::ProviderConfig;

    if let Some(profile) = &config.profile_name {
        check_profile_exists(profile).await?;
    }
    crate::check_endpoint_settings(config.profile_name.as_deref()).await?;
    let mut provider_config =
        ProviderConfig::default().with_time_source(config.time_source.clone());
    if let Some(sleep) = &config.sleep {
        provider_config = provider_config.with_sleep_impl(sleep.clone());
    }

    let region = match &config.region {
        Some(region) => Some(region.clone()),
        None => {
            let mut chain = region::DefaultRegionChain::builder();
            if let Some(profile) = &config.profile_name {
                chain = chain.profile_name(profile);
            }
            chain.build().region().await
        }
    };
    // An empty `AWS_REGION=` counts as unset, as in the official generators.
    let region = region
        .filter(|r| !r.as_ref().is_empty())
        .ok_or_else(no_region_error)?;
    crate::mint::validate_region(region.as_ref()).map_err(|e| name_region_source(e, config))?;
    let provider_config = provider_config.with_region(Some(region.clone()));

    let credentials = match (&config.credentials, &config.profile_name) {
        (Some(credentials), _) => credentials.clone(),
        (None, Some(profile)) => SharedCredentialsProvider::new(
            ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(profile)
                .build(),
        ),
        // The default chain's first link, taken directly: building the whole chain
        // creates HTTPS clients (root certificates) for links that would not be asked.
        (None, None) if environment_has_keys() => SharedCredentialsProvider::new(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        ),
        (None, None) => SharedCredentialsProvider::new(
            DefaultCredentialsChain::builder()
                .configure(provider_config)
                .build()
                .await,
        ),
    };
    let credentials = match &config.role {
        Some(role) => {
            role.provider(
                credentials,
                &region,
                config.profile_name.as_deref(),
                config.time_source.clone(),
                config.sleep.clone(),
            )
            .await?
        }
        None => credentials,
    };
    Ok(Sources {
        region,
        credentials,
    })
}

/// Whether the environment holds static keys, so that the default chain would stop at
/// its first link.
#[cfg(feature = "default-chain")]
fn environment_has_keys() -> bool {
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .iter()
        .all(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

#[cfg(not(feature = "default-chain"))]
async fn resolve(_config: &Settings) -> Result<Sources, Error> {
    // `build()` rejects a configuration without both, and seeds the cell with them.
    Err(no_region_error())
}

/// A named profile must exist in the config or credentials file: say which files were
/// searched rather than falling back to other credentials.
#[cfg(feature = "default-chain")]
async fn check_profile_exists(profile: &str) -> Result<(), Error> {
    use aws_types::os_shim_internal::{Env, Fs};

    let env = Env::real();
    let files = format!(
        "{} and {}",
        env.get("AWS_CONFIG_FILE")
            .unwrap_or_else(|_| "~/.aws/config".into()),
        env.get("AWS_SHARED_CREDENTIALS_FILE")
            .unwrap_or_else(|_| "~/.aws/credentials".into()),
    );
    let set = aws_config::profile::load(
        &Fs::real(),
        &env,
        // The standard files, honouring AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE.
        &Default::default(),
        Some(profile.to_owned().into()),
    )
    .await
    .map_err(|_| {
        Error::new(
            ErrorKind::InvalidConfig,
            format!("cannot read the AWS config files ({files}); check that they are readable and well-formed"),
        )
    })?;
    if set.get_profile(profile).is_none() {
        return Err(Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "the AWS profile `{}` was not found in {files}; check the name, or add \
                 `[profile {0}]` to the config file",
                profile.escape_debug()
            ),
        ));
    }
    Ok(())
}

/// An invalid region from the environment or a profile says where it came from.
#[cfg(feature = "default-chain")]
fn name_region_source(error: Error, config: &Settings) -> Error {
    let from_env = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
    let source = match (from_env, &config.profile_name) {
        (Some(var), _) => format!("the environment variable {var}"),
        (None, Some(profile)) => format!("the `region` of profile `{}`", profile.escape_debug()),
        (None, None) => "the profile's `region` (AWS_PROFILE or default)".to_owned(),
    };
    Error::new(
        error.kind(),
        format!("{error} (the region came from {source})"),
    )
}

pub(super) fn no_region_error() -> Error {
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

pub(super) fn no_credentials_error() -> Error {
    Error::new(
        ErrorKind::NoCredentials,
        if cfg!(feature = "default-chain") {
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
             configure a profile in ~/.aws/credentials or ~/.aws/config (select it with AWS_PROFILE \
             or profile_name()), or pass credentials_provider(..)"
        } else {
            "no AWS credentials given: call TokenProvider::builder().credentials_provider(..), \
             or enable the `default-chain` feature to use the standard credential chain"
        },
    )
}

/// Maps a credentials provider's error; `explicit` says whether the provider was given
/// to the builder (rather than being the default chain).
fn credentials_error(e: CredentialsError, explicit: bool) -> Error {
    describe_credentials_error(&e, explicit)
}

impl From<CredentialsError> for Error {
    /// Classifies a credentials provider's error (as from the default chain) into this
    /// crate's words: no credentials, timed out, misconfigured, unreachable, refused, or
    /// failed. Nothing of the provider's own text is kept: it can quote what the source
    /// holds (an SSO access token, a web-identity token, a process's output).
    fn from(e: CredentialsError) -> Self {
        describe_credentials_error(&e, false)
    }
}

/// [`credentials_error`], by reference.
pub(crate) fn describe_credentials_error(e: &CredentialsError, explicit: bool) -> Error {
    match e {
        CredentialsError::CredentialsNotLoaded(_) if explicit => Error::new(
            ErrorKind::NoCredentials,
            "the credentials provider given to credentials_provider(..) returned no credentials; \
             check its configuration, or leave it out to use the default credential chain",
        ),
        CredentialsError::CredentialsNotLoaded(_) => no_credentials_error(),
        CredentialsError::ProviderTimedOut(_) => credentials_timeout(),
        CredentialsError::InvalidConfiguration(_) => Error::new(
            ErrorKind::InvalidCredentialSource,
            "the credential source is misconfigured; check the profile's credential settings \
             (credential_process, sso_*, role_arn with source_profile or credential_source, \
             web_identity_token_file) and the AWS_* environment variables",
        ),
        _ => {
            #[cfg(feature = "default-chain")]
            if let Some(error) = web_identity_refused(e) {
                return error;
            }
            match Failure::in_chain(e) {
                Some(Failure::Timeout) => credentials_timeout(),
                Some(_) => Error::new(
                    ErrorKind::CredentialsProvider,
                    "cannot reach the credential source (the SSO portal, STS, or the container \
                     or instance metadata endpoint); check the network and the endpoint settings",
                ),
                None => Error::new(
                    ErrorKind::CredentialsProvider,
                    "loading AWS credentials failed; the credential source's own message is not \
                     shown, since it can quote credentials: check the source (run the profile's \
                     credential_process yourself, `aws sso login`, the web identity token file, \
                     the container credentials endpoint)",
                ),
            }
        }
    }
}

fn credentials_timeout() -> Error {
    Error::new(
        ErrorKind::CredentialsTimeout,
        "the credential source did not answer in time; check the network path to it",
    )
}

/// STS's refusal of a web identity token (`AssumeRoleWithWebIdentity`), told by its error
/// code and request id only: its message might quote the token.
#[cfg(feature = "default-chain")]
fn web_identity_refused(e: &CredentialsError) -> Option<Error> {
    use aws_sdk_sts::error::SdkError;
    use aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError;
    use std::error::Error as _;

    let mut next = e.source();
    while let Some(cause) = next {
        if let Some(sdk) = cause.downcast_ref::<SdkError<AssumeRoleWithWebIdentityError>>() {
            let Failure::Service(said) = Failure::of("STS", sdk) else {
                return None;
            };
            let kind = match said.code.as_str() {
                "ExpiredTokenException" | "ExpiredToken" => ErrorKind::CredentialsExpired,
                "AccessDenied" | "AccessDeniedException" => ErrorKind::AccessDenied,
                "InvalidIdentityToken" | "InvalidIdentityTokenException" | "IDPRejectedClaim" => {
                    ErrorKind::InvalidCredentialSource
                }
                _ => ErrorKind::CredentialsProvider,
            };
            let request = said
                .request_id
                .as_deref()
                .map(|id| format!("; request id {id}"))
                .unwrap_or_default();
            let message = format!(
                "STS refused the web identity token (AssumeRoleWithWebIdentity {}{request}); \
                 check the token file (AWS_WEB_IDENTITY_TOKEN_FILE), the role (AWS_ROLE_ARN) \
                 and the role's trust policy",
                said.code
            );
            // Code and request id as the source; not STS's message, which might quote the
            // token.
            let said = crate::aws_error::AwsSaid {
                message: None,
                ..said
            };
            return Some(
                Error::new(kind, message)
                    .during("AssumeRoleWithWebIdentity")
                    .with_source(said),
            );
        }
        next = cause.source();
    }
    None
}
