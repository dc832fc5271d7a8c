//! The minted token.

use std::fmt;
use std::time::SystemTime;

use aws_types::region::Region;

use crate::Service;

/// A short-term Amazon Bedrock API key: `bedrock-api-key-<base64>`.
///
/// Send it as `Authorization: Bearer <token>`, or hand it to
/// `aws-sdk-bedrockruntime` (it converts into [`aws_credential_types::Token`]).
///
/// The text lives in zeroize-on-drop memory (inside [`aws_credential_types::Token`]),
/// cloning is cheap (reference counted), and `Debug` prints `** redacted **`
/// instead of the text. There is deliberately no `Display`: read the text with
/// [`BedrockToken::as_str`] only where you send it.
#[derive(Clone)]
pub struct BedrockToken {
    inner: aws_credential_types::Token,
    expires_at: SystemTime,
    service: Service,
    region: Region,
}

impl BedrockToken {
    pub(crate) fn new(
        text: String,
        expires_at: SystemTime,
        service: Service,
        region: Region,
    ) -> Self {
        Self {
            inner: aws_credential_types::Token::new(text, Some(expires_at)),
            expires_at,
            service,
            region,
        }
    }

    /// The service the key is for (its prefix: `bedrock-api-key-` for
    /// [`Service::Bedrock`]).
    pub fn service(&self) -> Service {
        self.service
    }

    /// The region the key was signed for, the only one where the service accepts it.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The token text, `bedrock-api-key-…`.
    ///
    /// **Security warning:** this is a bearer credential. Anyone holding it can call
    /// Bedrock as you until it expires. Do not log it, print it, or put it in error
    /// messages or URLs.
    pub fn as_str(&self) -> &str {
        self.inner.token()
    }

    /// When the token stops being accepted: the signing time plus the requested
    /// expiry, or the credentials' expiry if that comes first.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Whether the token has expired at `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        now >= self.expires_at
    }
}

impl fmt::Debug for BedrockToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BedrockToken")
            .field("token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .field("service", &self.service)
            .field("region", &self.region.as_ref())
            .finish()
    }
}

impl From<BedrockToken> for aws_credential_types::Token {
    fn from(token: BedrockToken) -> Self {
        token.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn debug_is_redacted_and_pinned() {
        let t = BedrockToken::new(
            "bedrock-api-key-SECRETTEXT".into(),
            UNIX_EPOCH + Duration::from_secs(10),
            Service::SageMaker,
            Region::from_static("eu-west-1"),
        );
        assert_eq!(
            format!("{t:?}"),
            "BedrockToken { token: \"** redacted **\", expires_at: SystemTime { tv_sec: 10, tv_nsec: 0 }, service: SageMaker, region: \"eu-west-1\" }"
        );
        assert_eq!(t.service(), Service::SageMaker);
        assert_eq!(t.region().as_ref(), "eu-west-1");
        assert!(!format!("{t:#?}").contains("SECRETTEXT"));
    }

    #[test]
    fn converts_into_sdk_token_with_expiry() {
        let at = UNIX_EPOCH + Duration::from_secs(99);
        let t = BedrockToken::new(
            "bedrock-api-key-x".into(),
            at,
            Service::Bedrock,
            Region::from_static("us-east-1"),
        );
        let sdk: aws_credential_types::Token = t.clone().into();
        assert_eq!(sdk.token(), t.as_str());
        assert_eq!(sdk.expiration(), Some(at));
        assert!(!t.is_expired_at(at - Duration::from_secs(1)));
        assert!(t.is_expired_at(at));
    }
}
