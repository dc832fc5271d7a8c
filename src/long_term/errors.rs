//! IAM failures as the crate's [`Error`], with messages that say what to do.
//!
//! The source kept is IAM's error metadata (code, message, request id) for service
//! errors, and the SDK's error chain as text otherwise; never the raw response, which for
//! CreateServiceSpecificCredential and ResetServiceSpecificCredential may hold the key.

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::error::{Error, ErrorKind};

/// One IAM call, described for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Call<'a> {
    /// The IAM action name, e.g. `CreateUser`.
    pub action: &'static str,
    /// The user the call is about (`None`: all users).
    pub user: Option<&'a str>,
    /// The key id the call is about.
    pub key_id: Option<&'a str>,
    /// The policy being attached.
    pub policy: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn new(action: &'static str, user: Option<&'a str>) -> Self {
        Self {
            action,
            user,
            key_id: None,
            policy: None,
        }
    }

    pub fn key(mut self, id: &'a str) -> Self {
        self.key_id = Some(id);
        self
    }

    pub fn policy(mut self, arn: &'a str) -> Self {
        self.policy = Some(arn);
        self
    }

    /// Whether a successful answer carries the key (so its raw text must not leak).
    fn answer_holds_key(&self) -> bool {
        matches!(
            self.action,
            "CreateServiceSpecificCredential" | "ResetServiceSpecificCredential"
        )
    }

    /// Maps the SDK's error for this call.
    pub fn error<E, R>(&self, err: SdkError<E, R>) -> Error
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let action = self.action;
        let meta = err.as_service_error().map(ProvideErrorMetadata::meta);
        if let Some(code) = meta.and_then(|m| m.code()) {
            let said = IamSaid {
                code: code.to_owned(),
                message: meta.and_then(|m| m.message()).map(str::to_owned),
                request_id: meta
                    .and_then(|m| m.extra("aws_request_id"))
                    .map(str::to_owned),
            };
            let (kind, what) = self.service_error(code);
            return Error::new(kind, format!("{what} (IAM {said})")).with_source(said);
        }
        // A service error without a code is an answer the SDK could not read (as is a
        // response error).
        let unreadable = meta.is_some() || matches!(err, SdkError::ResponseError(_));
        if unreadable && self.answer_holds_key() {
            // The answer may contain the key: say nothing of its content.
            return Error::new(
                ErrorKind::Iam,
                format!(
                    "IAM's answer to {action} could not be read; a key may have been created \
                     or reset: check with `list`"
                ),
            );
        }
        let detail = Detail(chain(&err));
        Error::new(ErrorKind::Iam, format!("IAM {action} failed: {detail}")).with_source(detail)
    }

    fn service_error(&self, code: &str) -> (ErrorKind, String) {
        let action = self.action;
        let user = self.user.unwrap_or("");
        let list_hint =
            format!("list them with `list` (`bedrock-token long-term list --user-name {user}`)");
        match code {
            "NoSuchEntity" => (
                ErrorKind::NotFound,
                match (self.key_id, self.policy) {
                    (Some(id), _) => format!(
                        "IAM user `{user}` has no long-term Bedrock key `{id}`, or the user does \
                         not exist; {list_hint}"
                    ),
                    (None, Some(arn)) => format!(
                        "IAM user `{user}` or policy `{arn}` does not exist; create the user with \
                         create_user(true) (--create-user), and check the policy ARN"
                    ),
                    _ => format!(
                        "IAM user `{user}` does not exist; create it first, or let `create` \
                         create it with create_user(true) (--create-user)"
                    ),
                },
            ),
            "LimitExceeded" if action == "CreateServiceSpecificCredential" => (
                ErrorKind::LimitExceeded,
                format!(
                    "IAM user `{user}` already has the most long-term Bedrock keys IAM allows \
                     ({max}); {list_hint}, then delete one (`delete`) or reset one \
                     (`reset`) instead of creating another",
                    max = super::MAX_KEYS_PER_USER
                ),
            ),
            "LimitExceeded" => (
                ErrorKind::LimitExceeded,
                format!("IAM {action} for user `{user}` hit an IAM quota"),
            ),
            "EntityAlreadyExists" => (
                ErrorKind::AlreadyExists,
                format!(
                    "IAM user `{user}` already exists; to add a key to it, leave out \
                     create_user(true) (--create-user)"
                ),
            ),
            "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                let on = match self.user {
                    Some(u) => format!("user `{u}`"),
                    None => "all users".to_owned(),
                };
                let mut msg = format!(
                    "access denied: the AWS credentials in use may not call iam:{action} on \
                     {on}; use credentials allowed to, or ask an administrator to grant \
                     iam:{action}"
                );
                if action == "CreateServiceSpecificCredential" {
                    msg.push_str(
                        " (a policy may also limit the key's age with the \
                         iam:ServiceSpecificCredentialAgeDays condition key)",
                    );
                }
                (ErrorKind::AccessDenied, msg)
            }
            "InvalidInput" | "ValidationError" | "MalformedPolicyDocument" => (
                ErrorKind::InvalidArgument,
                format!("IAM rejected a parameter of {action}"),
            ),
            _ => (ErrorKind::Iam, format!("IAM {action} failed with {code}")),
        }
    }
}

/// IAM's own error: the source of service errors.
#[derive(Debug)]
struct IamSaid {
    code: String,
    message: Option<String>,
    request_id: Option<String>,
}

impl fmt::Display for IamSaid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, "; request id {id}")?;
        }
        Ok(())
    }
}

impl StdError for IamSaid {}

/// An error and its causes, through their `Display` only (`Debug` may hold the raw
/// response), each cause once.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

/// The SDK's error chain as text: the source of non-service failures.
#[derive(Debug)]
struct Detail(String);

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Detail {}

/// What `create` had already done when a later step failed.
#[derive(Debug, Default)]
pub(crate) struct Done<'a> {
    pub user_created: Option<&'a str>,
    pub attached: Vec<&'a str>,
}

impl Done<'_> {
    /// Adds to `err` what was created, so the caller can clean up or retry.
    pub fn annotate(&self, err: Error) -> Error {
        if self.user_created.is_none() && self.attached.is_empty() {
            return err;
        }
        let mut steps = Vec::new();
        if let Some(user) = self.user_created {
            steps.push(format!("created IAM user `{user}`"));
        }
        if !self.attached.is_empty() {
            let arns: Vec<String> = self.attached.iter().map(|a| format!("`{a}`")).collect();
            steps.push(format!("attached {}", arns.join(", ")));
        }
        let mut more = format!(". Already done: {}; nothing was undone", steps.join("; "));
        if self.user_created.is_some() {
            more.push_str(
                ". To retry, leave out create_user(true) (--create-user) since the user now \
                 exists, or delete the user",
            );
        }
        err.append(&more)
    }
}
