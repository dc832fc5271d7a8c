//! The error of long-term key calls: what IAM refused or why a call could not be made.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use aws_bedrock_token_generator::aws_error::AwsSaid;

type Source = Arc<dyn StdError + Send + Sync + 'static>;

/// What went wrong, for callers that want to react to a particular failure.
///
/// New kinds may be added in minor releases, so `match` on it with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A long-term key's age in days is not between 1 and 36 600.
    InvalidKeyAge,
    /// An IAM user name, key id or policy ARN is malformed, or IAM rejected a parameter
    /// as invalid.
    InvalidArgument,
    /// IAM has no such user, key or policy (`NoSuchEntity`).
    NotFound,
    /// The IAM user to create already exists (`EntityAlreadyExists`).
    AlreadyExists,
    /// An IAM quota was hit, typically the two long-term keys per user (`LimitExceeded`).
    LimitExceeded,
    /// The caller's credentials may not perform the IAM action.
    AccessDenied,
    /// IAM refused the caller's credentials as malformed or unknown
    /// (`InvalidClientTokenId`, `SignatureDoesNotMatch`).
    InvalidCredentials,
    /// The caller's credentials had expired (`ExpiredToken`).
    CredentialsExpired,
    /// The IAM endpoint setting is unusable, so no request could be built.
    InvalidEndpoint,
    /// Any other IAM failure: another service error, a network failure or an unreadable
    /// response.
    Iam,
    /// An IAM call took longer than its timeout. A call that creates or changes something
    /// may still have been carried out (see [`Error::may_have_issued_key`]).
    IamTimeout,
    /// The service has no long-term keys, or AWS does not document the fact needed (its
    /// IAM service name). See [`aws_bedrock_token_generator::Service`].
    UnsupportedService,
    /// A string is not a well-formed long-term API key.
    InvalidToken,
    /// A bug: the crate met a state it does not expect.
    Internal,
}

/// Which of the caller's inputs an [`Error`] is about, so that a program can name it in its
/// own terms (a command-line flag, a form field).
///
/// New inputs may be added in minor releases, so `match` on it with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// The IAM user name.
    UserName,
    /// The id of a long-term key (`ACCA…`).
    KeyId,
    /// The age in days of a key to create.
    KeyAge,
    /// The ARN of a managed policy to attach.
    PolicyArn,
    /// The service the keys are for.
    Service,
    /// The key text (of a key to revoke).
    Key,
}

/// The error returned by every fallible function in this crate.
///
/// Its message says what was wrong and how to fix it, in this library's terms; the same
/// facts are there for programs through [`Error::kind`], [`Error::input`],
/// [`Error::operation`] (the IAM action), [`Error::aws_error_code`] and
/// [`Error::aws_request_id`], so that nobody needs to read the message. Neither `Display`
/// nor `Debug` ever holds key text or the AWS SDK's own error text (which can quote a
/// request or an answer): IAM's answer is kept only as its vetted code, message and
/// request id.
#[derive(Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    input: Option<Input>,
    operation: Option<&'static str>,
    message: Cow<'static, str>,
    #[source]
    source: Option<Source>,
    issued_key: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            input: None,
            operation: None,
            message: message.into(),
            source: None,
            issued_key: false,
        }
    }

    pub(crate) fn about(mut self, input: Input) -> Self {
        self.input = Some(input);
        self
    }

    pub(crate) fn during(mut self, operation: &'static str) -> Self {
        self.operation = Some(operation);
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Appends `more` to the message (for context learned after the error was made).
    pub(crate) fn append(mut self, more: &str) -> Self {
        self.message.to_mut().push_str(more);
        self
    }

    /// Marks that IAM may have made key text nobody has seen.
    pub(crate) fn key_may_be_issued(mut self) -> Self {
        self.issued_key = true;
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

    /// The IAM action that failed (`CreateServiceSpecificCredential`, `CreateUser`,
    /// `ListServiceSpecificCredentials`, ...). `None` for failures before any IAM call.
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }

    /// The error code IAM answered with (`AccessDenied`, `NoSuchEntity`, ...), where it
    /// refused the call. Only a code of the usual shape is kept: `None` for any other.
    pub fn aws_error_code(&self) -> Option<&str> {
        AwsSaid::in_source(self.source.as_deref())?.error_code()
    }

    /// The request id of IAM's answer, for AWS support, where IAM refused the call.
    pub fn aws_request_id(&self) -> Option<&str> {
        AwsSaid::in_source(self.source.as_deref())?
            .request_id
            .as_deref()
    }

    /// Whether IAM may nonetheless have created or reset a key, making key text that this
    /// error does not carry: the create or reset call timed out, lost its connection, got
    /// an answer that could not be read or a server error. After a failed
    /// [`LongTermKeys::create`](crate::LongTermKeys::create), list the user's keys before
    /// creating another; after a failed [`LongTermKeys::reset`](crate::LongTermKeys::reset),
    /// the key's old text may no longer work. `false` when IAM certainly did nothing, or
    /// for other failures.
    pub fn may_have_issued_key(&self) -> bool {
        self.issued_key
    }
}

/// A core failure (parsing a key, a service without long-term keys), told in the same
/// words; the core error is kept as the source.
impl From<aws_bedrock_token_generator::Error> for Error {
    fn from(err: aws_bedrock_token_generator::Error) -> Self {
        use aws_bedrock_token_generator::ErrorKind as Core;
        let kind = match err.kind() {
            Core::InvalidToken => ErrorKind::InvalidToken,
            Core::UnsupportedService => ErrorKind::UnsupportedService,
            Core::InvalidCredentials => ErrorKind::InvalidCredentials,
            Core::CredentialsExpired => ErrorKind::CredentialsExpired,
            Core::InvalidEndpoint => ErrorKind::InvalidEndpoint,
            Core::AccessDenied => ErrorKind::AccessDenied,
            _ => ErrorKind::Internal,
        };
        let input = match err.input() {
            Some(aws_bedrock_token_generator::Input::Service) => Some(Input::Service),
            _ => None,
        };
        let mut out = Error::new(kind, err.to_string()).with_source(err);
        out.input = input;
        out
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The source is only ever vetted (what IAM said, or a core error).
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
        if self.issued_key {
            d.field("may_have_issued_key", &true);
        }
        d.finish()
    }
}
