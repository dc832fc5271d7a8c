//! Plugging [`TokenProvider`] into the AWS SDK for Rust (`aws-sdk-bedrockruntime`).

use aws_credential_types::provider::error::TokenError;
use aws_credential_types::provider::future;
use aws_credential_types::provider::token::ProvideToken;
use aws_smithy_runtime_api::client::auth::http::HTTP_BEARER_AUTH_SCHEME_ID;
use aws_smithy_runtime_api::client::auth::AuthSchemePreference;

use crate::{ErrorKind, TokenProvider};

/// The SDK's identity cache sits between its requests and this provider, and keeps a
/// token until about 10 s before the expiration the provider reports. Reporting the real
/// expiry would let the SDK bypass the provider's refresh window, its static stability
/// and [`TokenProvider::invalidate`] for the token's whole life. So the provider reports
/// the moment it hands the token out as its "expiration": the SDK's cache then asks the
/// provider again on every request, which is a lock-free hit in the provider's own cache
/// (tens of nanoseconds), and every request carries the token the provider would serve
/// at that moment. This relies on the SDK's clock not running more than a few seconds
/// behind the provider's (they are the same clock unless you inject different ones).
impl ProvideToken for TokenProvider {
    fn provide_token<'a>(&'a self) -> future::ProvideToken<'a>
    where
        Self: 'a,
    {
        future::ProvideToken::new(async move {
            let token = self.token().await.map_err(|e| {
                if e.kind() == ErrorKind::CredentialsTimeout {
                    TokenError::provider_timed_out(self.load_timeout())
                } else {
                    TokenError::provider_error(e)
                }
            })?;
            Ok(aws_credential_types::Token::new(
                token.as_str(),
                Some(self.current_time()),
            ))
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
