//! Plugging [`TokenProvider`] into the AWS SDK for Rust (`aws-sdk-bedrockruntime`).

use aws_credential_types::provider::error::TokenError;
use aws_credential_types::provider::future;
use aws_credential_types::provider::token::ProvideToken;
use aws_smithy_runtime_api::client::auth::http::HTTP_BEARER_AUTH_SCHEME_ID;
use aws_smithy_runtime_api::client::auth::AuthSchemePreference;

use crate::{ErrorKind, TokenProvider};

/// The SDK asks the provider for a token and caches it until shortly before
/// [`crate::BedrockToken::expires_at`], which it is given as the token's expiration.
impl ProvideToken for TokenProvider {
    fn provide_token<'a>(&'a self) -> future::ProvideToken<'a>
    where
        Self: 'a,
    {
        future::ProvideToken::new(async move {
            self.token().await.map(Into::into).map_err(|e| {
                if e.kind() == ErrorKind::CredentialsTimeout {
                    TokenError::provider_timed_out(self.load_timeout())
                } else {
                    TokenError::provider_error(e)
                }
            })
        })
    }
}

/// The auth scheme preference that makes an AWS SDK client send the bearer token.
///
/// Bedrock Runtime lists SigV4 before bearer auth, so a client that has AWS credentials
/// (for example from `aws_config::load_defaults`) signs with SigV4 and never asks the
/// token provider. Pass this to the service config's `auth_scheme_preference(..)`:
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// # #[cfg(feature = "default-chain")] {
/// use aws_bedrock_token_generator::{prefer_bearer_auth, TokenProvider};
///
/// let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let provider = TokenProvider::builder().configure(&sdk_config).build()?;
/// let config = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config)
///     .token_provider(provider)
///     .auth_scheme_preference(prefer_bearer_auth())
///     .build();
/// let client = aws_sdk_bedrockruntime::Client::from_conf(config);
/// # let _ = client; }
/// # Ok(()) }
/// ```
pub fn prefer_bearer_auth() -> AuthSchemePreference {
    AuthSchemePreference::from([HTTP_BEARER_AUTH_SCHEME_ID])
}
