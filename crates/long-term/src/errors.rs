//! IAM failures as the crate's [`Error`], with messages that say what to do.
//!
//! Nothing of the SDK's error is kept but its classification ([`Failure`]): the stage that
//! failed and, for a service error, IAM's code, message and request id ([`AwsSaid`], the
//! source of service errors). The SDK's own error text is never formatted: its chain can
//! hold a dump of the request, and the raw answer to CreateServiceSpecificCredential or
//! ResetServiceSpecificCredential holds the key.
//!
//! Messages speak the library's terms (IAM's actions, users and keys), never a builder
//! method's or a command-line flag's name.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::aws_error::{AwsSaid, Failure};
use crate::{Error, ErrorKind, Input};

/// The settings that choose IAM's endpoint, for messages about an unusable one.
const ENDPOINT_SETTINGS: &str =
    "the IAM endpoint setting (AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL / profile endpoint_url)";

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

pub(crate) const CREATE_KEY: &str = "CreateServiceSpecificCredential";
pub(crate) const RESET_KEY: &str = "ResetServiceSpecificCredential";

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

    /// Maps the SDK's error for this call, keeping nothing of it but its classification.
    pub fn error<E>(&self, err: SdkError<E, HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata,
    {
        self.failed(Failure::of("IAM", &err))
    }

    /// The error for `failure` of this call.
    pub fn failed(&self, failure: Failure) -> Error {
        let action = self.action;
        let subject = self.subject();
        let unsure = !failure.certainly_not_done();
        let err = match failure {
            Failure::Construction => Error::new(
                ErrorKind::InvalidEndpoint,
                format!("the IAM {action} request could not be built: check {ENDPOINT_SETTINGS}"),
            ),
            Failure::Timeout => Error::new(
                ErrorKind::IamTimeout,
                format!("IAM {action} for {subject} timed out"),
            ),
            Failure::Connect => Error::new(
                ErrorKind::Iam,
                format!(
                    "IAM {action} for {subject} failed: IAM could not be reached, or the \
                     connection was lost; check the network and {ENDPOINT_SETTINGS}"
                ),
            ),
            Failure::Unreadable => Error::new(
                ErrorKind::Iam,
                format!(
                    "IAM's answer to {action} for {subject} could not be read (it does not \
                     follow IAM's protocol); check {ENDPOINT_SETTINGS}"
                ),
            ),
            Failure::Service(said) => self.service_error(said),
        };
        let err = err.during(action);
        if unsure {
            self.unsure(err)
        } else {
            err
        }
    }

    /// `err` with what the call may have done although it failed.
    pub fn unsure(&self, err: Error) -> Error {
        match self.action {
            CREATE_KEY => err
                .append(
                    "; a key may have been created: list the user's keys to check before \
                     creating another",
                )
                .key_may_be_issued(),
            RESET_KEY => err
                .append(
                    "; the key may have been reset, so its old text may no longer work: reset \
                     it again to get key text you can use",
                )
                .key_may_be_issued(),
            "CreateUser" => err.append(
                "; the user may have been created (without its policies): check whether it \
                 exists before creating it again",
            ),
            _ => err,
        }
    }

    /// What the call is about: `IAM user `alice``, `key `ACCA...` of IAM user `alice``, or
    /// `every user's keys`.
    pub fn subject(&self) -> String {
        match (self.user, self.key_id) {
            (Some(user), Some(id)) => format!("key `{id}` of IAM user `{user}`"),
            (Some(user), None) => format!("IAM user `{user}`"),
            (None, _) => "every user's keys".to_owned(),
        }
    }

    fn service_error(&self, said: AwsSaid) -> Error {
        let (kind, what) = self.service_message(&said.code);
        let err = Error::new(kind, format!("{what} ({said})")).with_source(said);
        match self.input_of(kind) {
            Some(input) => err.about(input),
            None => err,
        }
    }

    /// The caller's input a refusal of `kind` is about, where only one can be: the user
    /// name IAM found no entity for when no key id was given (with one, `NoSuchEntity`
    /// does not say which of the two is missing), the user that already exists.
    fn input_of(&self, kind: ErrorKind) -> Option<Input> {
        match (kind, self.user, self.key_id, self.policy) {
            (ErrorKind::NotFound, Some(_), None, None) => Some(Input::UserName),
            (ErrorKind::AlreadyExists, Some(_), _, _) => Some(Input::UserName),
            _ => None,
        }
    }

    fn service_message(&self, code: &str) -> (ErrorKind, String) {
        let action = self.action;
        let subject = self.subject();
        match (code, self.user) {
            ("NoSuchEntity", Some(user)) => (
                ErrorKind::NotFound,
                match (self.key_id, self.policy) {
                    (Some(id), _) => format!(
                        "IAM user `{user}` has no long-term Bedrock key `{id}`, or the user does \
                         not exist; list the user's keys to find the key's id"
                    ),
                    (None, Some(arn)) => format!(
                        "IAM user `{user}` or policy `{arn}` does not exist; check the policy \
                         ARN, and create the user first or have it created with the key"
                    ),
                    (None, None) if action == "ListServiceSpecificCredentials" => {
                        format!("IAM user `{user}` does not exist; check the user name")
                    }
                    (None, None) => format!(
                        "IAM user `{user}` does not exist; create it first, or have it created \
                         with the key"
                    ),
                },
            ),
            ("NoSuchEntity", None) => (
                ErrorKind::NotFound,
                format!("IAM {action} for {subject} failed: IAM says something does not exist"),
            ),
            ("LimitExceeded", _) if action == CREATE_KEY => (
                ErrorKind::LimitExceeded,
                format!(
                    "{subject} already has the most long-term Bedrock keys IAM allows ({max}); \
                     list the user's keys, then delete or reset one instead of creating another",
                    max = super::MAX_KEYS_PER_USER
                ),
            ),
            ("LimitExceeded", _) => (
                ErrorKind::LimitExceeded,
                format!("IAM {action} for {subject} hit an IAM quota"),
            ),
            ("EntityAlreadyExists", _) => (
                ErrorKind::AlreadyExists,
                format!(
                    "{subject} already exists; to add a key to it, create the key without \
                     creating the user"
                ),
            ),
            ("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation", _) => {
                let on = match self.user {
                    Some(u) => format!("user `{u}`"),
                    None => "all users".to_owned(),
                };
                let mut msg = format!(
                    "access denied: the AWS credentials in use may not call iam:{action} on \
                     {on}; use credentials allowed to, or ask an administrator to grant \
                     iam:{action}"
                );
                if action == CREATE_KEY {
                    msg.push_str(
                        " (a policy may also limit the key's age with the \
                         iam:ServiceSpecificCredentialAgeDays condition key)",
                    );
                }
                (ErrorKind::AccessDenied, msg)
            }
            (
                "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "IncompleteSignature"
                | "UnrecognizedClientException",
                _,
            ) => (
                ErrorKind::InvalidCredentials,
                format!(
                    "IAM rejected the AWS credentials as invalid when calling {action}: the \
                     access key id is unknown, or the secret key or session token does not \
                     belong to it; use valid credentials"
                ),
            ),
            ("ExpiredToken" | "ExpiredTokenException", _) => (
                ErrorKind::CredentialsExpired,
                format!(
                    "IAM says the AWS credentials have expired (calling {action}): refresh them \
                     (new temporary credentials, or sign in again) and try again"
                ),
            ),
            ("InvalidInput" | "ValidationError" | "MalformedPolicyDocument", _) => (
                ErrorKind::InvalidArgument,
                format!("IAM rejected a parameter of {action} for {subject}"),
            ),
            _ => (
                ErrorKind::Iam,
                format!("IAM {action} for {subject} failed with {code}"),
            ),
        }
    }
}

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
                ". The user exists now: to retry, create the key without creating the user, \
                 or delete the user",
            );
        }
        err.append(&more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST_ACTION: &str = "ListServiceSpecificCredentials";

    fn said(code: &str, status: u16) -> Failure {
        Failure::Service(AwsSaid {
            service: "IAM",
            code: code.into(),
            message: Some("IAM's words".into()),
            request_id: Some("r-1".into()),
            status: Some(status),
        })
    }

    #[test]
    fn messages_speak_library_terms() {
        let calls = [
            Call::new(CREATE_KEY, Some("alice")),
            Call::new("CreateUser", Some("alice")),
            Call::new("AttachUserPolicy", Some("alice")).policy("arn:aws:iam::aws:policy/P"),
            Call::new(RESET_KEY, Some("alice")).key("ACCAEXAMPLEKEY000001"),
            Call::new("ListServiceSpecificCredentials", None),
            Call::new("ListServiceSpecificCredentials", Some("alice")),
        ];
        let failures = [
            Failure::Construction,
            Failure::Timeout,
            Failure::Connect,
            Failure::Unreadable,
            said("NoSuchEntity", 404),
            said("LimitExceeded", 409),
            said("EntityAlreadyExists", 409),
            said("AccessDenied", 403),
            said("InvalidClientTokenId", 403),
            said("ExpiredToken", 400),
            said("InvalidInput", 400),
            said("ServiceFailure", 500),
        ];
        for call in calls {
            for failure in &failures {
                let m = call.failed(failure.clone()).to_string();
                for word in [
                    "--",
                    "create_user",
                    "bedrock-token",
                    "`list`",
                    "\u{2026}",
                    "``",
                ] {
                    assert!(!m.contains(word), "{word:?} in {m}");
                }
            }
        }
    }

    #[test]
    fn a_service_error_keeps_what_iam_said_as_its_source() {
        use std::error::Error as _;
        let e = Call::new(CREATE_KEY, Some("alice")).failed(said("NoSuchEntity", 404));
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(
            e.to_string()
                .ends_with("(IAM NoSuchEntity: IAM's words; request id r-1)"),
            "{e}"
        );
        assert!(!e.may_have_issued_key(), "a 4xx: certainly not done");
        let source = e.source().unwrap().to_string();
        assert_eq!(source, "IAM NoSuchEntity: IAM's words; request id r-1");
        assert_eq!(e.operation(), Some(CREATE_KEY));
        assert_eq!(e.aws_error_code(), Some("NoSuchEntity"));
        assert_eq!(e.aws_request_id(), Some("r-1"));
        assert_eq!(e.input(), Some(Input::UserName));
    }

    #[test]
    fn errors_name_the_action_and_the_input_they_are_about() {
        // User or key: IAM's NoSuchEntity does not say which is missing.
        let key = Call::new(RESET_KEY, Some("alice")).key("ACCAEXAMPLEKEY000001");
        let e = key.failed(said("NoSuchEntity", 404));
        assert_eq!((e.operation(), e.input()), (Some(RESET_KEY), None));
        let e = Call::new("CreateUser", Some("alice")).failed(said("EntityAlreadyExists", 409));
        assert_eq!(e.input(), Some(Input::UserName));
        // User or policy: IAM does not say which.
        let e = Call::new("AttachUserPolicy", Some("alice"))
            .policy("arn:aws:iam::aws:policy/P")
            .failed(said("NoSuchEntity", 404));
        assert_eq!(e.input(), None);
        for failure in [Failure::Timeout, Failure::Connect, Failure::Construction] {
            let e = Call::new(LIST_ACTION, None).failed(failure);
            assert_eq!(e.operation(), Some(LIST_ACTION));
            assert_eq!(
                (e.aws_error_code(), e.aws_request_id(), e.input()),
                (None, None, None)
            );
        }
        let mut odd = said("x", 400);
        if let Failure::Service(s) = &mut odd {
            s.code = crate::aws_error::UNRECOGNISED_CODE.into();
        }
        let e = Call::new(CREATE_KEY, Some("alice")).failed(odd);
        assert_eq!(e.aws_error_code(), None);
        assert_eq!(e.aws_request_id(), Some("r-1"));
    }

    #[test]
    fn an_unsure_create_or_reset_says_a_key_may_exist() {
        for failure in [
            Failure::Timeout,
            Failure::Connect,
            Failure::Unreadable,
            said("ServiceFailure", 500),
        ] {
            let e = Call::new(CREATE_KEY, Some("alice")).failed(failure.clone());
            assert!(e.may_have_issued_key(), "{e}");
            assert!(e.to_string().contains("a key may have been created"), "{e}");
            let e = Call::new(RESET_KEY, Some("alice"))
                .key("ACCAEXAMPLEKEY000001")
                .failed(failure.clone());
            assert!(e.may_have_issued_key(), "{e}");
            assert!(e.to_string().contains("may have been reset"), "{e}");
            let e = Call::new("ListServiceSpecificCredentials", None).failed(failure);
            assert!(!e.may_have_issued_key(), "{e}");
        }
        let e = Call::new(CREATE_KEY, Some("alice")).failed(Failure::Construction);
        assert!(!e.may_have_issued_key());
        assert!(!e.to_string().contains("may have been"), "{e}");
    }
}
