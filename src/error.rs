//! The core's error type: minting, parsing and the provider. The gateway and the
//! long-term key crates have their own, which wrap this one.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use crate::aws_error::AwsSaid;

type Source = Arc<dyn StdError + Send + Sync + 'static>;

/// What went wrong, for callers that want to react to a particular failure.
///
/// New kinds may be added in minor releases, so `match` on it with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The requested expiry is not between 1 second and 12 hours.
    InvalidExpiry,
    /// The region is not a syntactically valid AWS region name.
    InvalidRegion,
    /// No region was given and none was found in the environment or profile.
    NoRegion,
    /// The credentials are unusable (for example an empty access key id or secret key).
    InvalidCredentials,
    /// No credentials were given and the credential provider found none.
    NoCredentials,
    /// The credentials had already expired at the signing time.
    CredentialsExpired,
    /// The credential provider failed (network, malformed response, process error, ...).
    CredentialsProvider,
    /// Loading credentials took longer than the configured load timeout.
    CredentialsTimeout,
    /// The signing time cannot be expressed in a SigV4 date (before 1970 or after year 9999).
    InvalidSigningTime,
    /// The builder was given a contradictory or unusable configuration, including a
    /// session policy or role session duration that STS rejects when assuming the role.
    InvalidConfig,
    /// A string is not a well-formed Bedrock API key (see [`crate::TokenInfo::parse`]).
    InvalidToken,
    /// SigV4 signing failed unexpectedly.
    Signing,
    /// The caller's credentials may not assume the role of
    /// `TokenProviderBuilder::assume_role` (`sts:AssumeRole` denied).
    AccessDenied,
    /// An endpoint override the AWS SDK would read (`AWS_ENDPOINT_URL`,
    /// `AWS_ENDPOINT_URL_<SERVICE>`, a profile's `endpoint_url` or `services` section) is
    /// empty, blank or not an `http(s)://` URL. The message names where it came from.
    InvalidEndpoint,
    /// The credential source is misconfigured (for example a profile whose
    /// `credential_process`, SSO or role settings are incomplete).
    InvalidCredentialSource,
    /// A bug: a dependency panicked, or the crate met a state it does not expect.
    Internal,
    /// The service has no keys of the kind asked for (for example a short-term key for a
    /// service that has only long-term ones), AWS does not document the fact needed (such
    /// as its IAM service name), or a service name is unknown. See [`crate::Service`].
    UnsupportedService,
}

/// Which of the caller's inputs an [`Error`] is about, so that a program can name it in
/// its own terms (a command-line flag, a form field).
///
/// New inputs may be added in minor releases, so `match` on it with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// The region ([`TokenProviderBuilder::region`](crate::TokenProviderBuilder::region)).
    Region,
    /// The profile name.
    Profile,
    /// The token's expiry.
    Expiry,
    /// The credentials load timeout.
    LoadTimeout,
    /// The ARN of the role to assume.
    RoleArn,
    /// The role session name.
    RoleSessionName,
    /// The role session's duration.
    RoleSessionDuration,
    /// The session policy (a document, or the models of a model policy).
    SessionPolicy,
    /// The service keys are for ([`crate::Service`]).
    Service,
}

/// The error returned by every fallible function in this crate (the gateway and the
/// long-term key crates have their own `Error`, which can hold this one).
///
/// Its message says what was wrong and how to fix it, in this library's terms (its types,
/// settings and AWS's actions; never a command-line flag). The same facts are there for
/// programs, so that nobody needs to read the message:
///
/// - [`Error::kind`]: what kind of failure it is;
/// - [`Error::input`]: which of the caller's inputs was wrong, for a program to name in its
///   own terms (a flag, a form field);
/// - [`Error::operation`]: the AWS API operation that failed (`AssumeRole`, ...);
/// - [`Error::aws_error_code`] and [`Error::aws_request_id`]: what the AWS service said
///   when it refused the call; [`std::error::Error::source`] is that answer as a whole
///   (error code, message, request id).
///
/// Neither `Display` nor `Debug` ever contains a secret key, a session token or
/// token text. Nor do they, or the source, carry the AWS SDK's or a credential
/// provider's own error text: that text can quote a request or an answer (an SSO access
/// token, a web-identity token, a session policy, STS's session keys), so failures are
/// classified into this crate's own words instead. `Error` is `Clone` so that one failed refresh can be reported to
/// every caller that waited for it.
#[derive(Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    input: Option<Input>,
    operation: Option<&'static str>,
    message: Cow<'static, str>,
    #[source]
    source: Option<Source>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            input: None,
            operation: None,
            message: message.into(),
            source: None,
        }
    }

    /// Marks the error as being about `input`.
    pub(crate) fn about(mut self, input: Input) -> Self {
        self.input = Some(input);
        self
    }

    /// Marks the error as a failure of AWS API operation `operation` (e.g. `AssumeRole`).
    #[cfg_attr(not(feature = "default-chain"), allow(dead_code))]
    pub(crate) fn during(mut self, operation: &'static str) -> Self {
        self.operation = Some(operation);
        self
    }

    #[cfg_attr(not(feature = "default-chain"), allow(dead_code))]
    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Which of the caller's inputs was wrong, where the error is about one.
    pub fn input(&self) -> Option<Input> {
        self.input
    }

    /// The AWS API operation that failed, where the error is about one: `AssumeRole` or
    /// `AssumeRoleWithWebIdentity` (STS). `None` for failures before or outside an AWS
    /// call.
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }

    /// The error code the AWS service answered with (`AccessDenied`, `NoSuchEntity`,
    /// `ExpiredToken`, ...), where a service refused the call. Only a code of the usual
    /// shape (letters and `._:-`, at most 64) is kept: `None` for any other.
    pub fn aws_error_code(&self) -> Option<&str> {
        self.aws_said()?.error_code()
    }

    /// The request id of the AWS service's answer, for AWS support, where a service
    /// refused the call and its answer had one.
    pub fn aws_request_id(&self) -> Option<&str> {
        self.aws_said()?.request_id.as_deref()
    }

    fn aws_said(&self) -> Option<&AwsSaid> {
        AwsSaid::in_source(self.source.as_deref())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The source is only ever this crate's own (what a service said, vetted):
        // shown through its `Display`.
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(input) = &self.input {
            d.field("input", input);
        }
        if let Some(operation) = &self.operation {
            d.field("operation", operation);
        }
        d.field("message", &self.message);
        if let Some(source) = &self.source {
            d.field("source", &format_args!("{source}"));
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_kind_message_and_source_display() {
        let e = Error::new(ErrorKind::NoRegion, "no region")
            .with_source(std::io::Error::other("inner cause"));
        assert_eq!(
            format!("{e:?}"),
            r#"Error { kind: NoRegion, message: "no region", source: inner cause }"#
        );
        assert_eq!(e.to_string(), "no region");
        assert_eq!(e.source().unwrap().to_string(), "inner cause");
    }

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: StdError + Send + Sync + 'static + Clone>() {}
        check::<Error>();
    }
}
