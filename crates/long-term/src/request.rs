//! What to create, and the checks made before any IAM call.

use crate::names;
use crate::{Error, ErrorKind, Input};
use crate::{KeyKind, Service};

use super::{bedrock_limited_access_policy_arn, MAX_KEY_AGE_DAYS};

/// What [`LongTermKeys::create`](super::LongTermKeys::create) should do.
///
/// Policies:
///
/// - With [`create_user(true)`](Self::create_user) the user is created first and the
///   policies are attached to it: the ones given with [`policy_arn`](Self::policy_arn),
///   or, if none are given, the service's AWS managed policy, `AmazonBedrockLimitedAccess` for Bedrock (what the Bedrock console
///   does). Giving policies replaces that default; add it yourself to keep it.
/// - Without it the user must exist; the policies given with
///   [`policy_arn`](Self::policy_arn) are attached to it (attaching one it already has
///   changes nothing), and none is attached by default: the user keeps the permissions
///   it has.
///
/// The key always gets an age: this crate does not create keys that never expire.
///
/// ```
/// use aws_bedrock_token_long_term::CreateKeyRequest;
///
/// let request = CreateKeyRequest::new("bedrock-explorer", 30).create_user(true);
/// assert_eq!(
///     request.effective_policy_arns(),
///     ["arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess"]
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateKeyRequest {
    service: Service,
    user_name: String,
    age_days: u32,
    create_user: bool,
    policy_arns: Vec<String>,
}

impl CreateKeyRequest {
    /// A key for IAM user `user_name` that expires `age_days` days after creation
    /// (1 to [`MAX_KEY_AGE_DAYS`]; checked by [`LongTermKeys::create`](super::LongTermKeys::create)
    /// before any IAM call).
    pub fn new(user_name: impl Into<String>, age_days: u32) -> Self {
        Self {
            service: Service::Bedrock,
            user_name: user_name.into(),
            age_days,
            create_user: false,
            policy_arns: Vec::new(),
        }
    }

    /// The service the key is for (default [`Service::Bedrock`]). With
    /// [`create_user`](Self::create_user) and no policy given, the user gets that
    /// service's managed policy ([`Service::managed_policy_arn`]). A service whose IAM
    /// service name AWS does not document is an [`ErrorKind::UnsupportedService`] error
    /// from [`LongTermKeys::create`](super::LongTermKeys::create), before any IAM call.
    pub fn service(mut self, service: Service) -> Self {
        self.service = service;
        self
    }

    /// The service the key is for.
    pub fn key_service(&self) -> Service {
        self.service
    }

    /// Create the IAM user first (default `false`: the user must exist).
    pub fn create_user(mut self, create: bool) -> Self {
        self.create_user = create;
        self
    }

    /// Attach this managed policy to the user (repeatable; see the type's docs).
    pub fn policy_arn(mut self, arn: impl Into<String>) -> Self {
        let arn = arn.into();
        if !self.policy_arns.contains(&arn) {
            self.policy_arns.push(arn);
        }
        self
    }

    /// The IAM user name.
    pub fn user_name(&self) -> &str {
        &self.user_name
    }

    /// The key's age in days.
    pub fn age_days(&self) -> u32 {
        self.age_days
    }

    /// Whether the user is to be created.
    pub fn creates_user(&self) -> bool {
        self.create_user
    }

    /// The policies that will be attached, in order: the given ones, or the service's
    /// managed policy (`AmazonBedrockLimitedAccess` for Bedrock, from
    /// [`Service::managed_policy_arn`]) when creating
    /// the user with none given.
    pub fn effective_policy_arns(&self) -> Vec<&str> {
        if self.policy_arns.is_empty() && self.create_user {
            self.service.managed_policy_arn().into_iter().collect()
        } else {
            self.policy_arns.iter().map(String::as_str).collect()
        }
    }

    /// Checks everything that can be checked without calling IAM.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        iam_service_name(self.service)?;
        if !(1..=MAX_KEY_AGE_DAYS).contains(&self.age_days) {
            return Err(Error::new(
                ErrorKind::InvalidKeyAge,
                format!(
                    "a long-term key's age must be 1 to {MAX_KEY_AGE_DAYS} days, not {}; pick \
                     the shortest age that works (short-term keys are safer still)",
                    self.age_days
                ),
            )
            .about(Input::KeyAge));
        }
        validate_user_name(&self.user_name)?;
        self.policy_arns
            .iter()
            .try_for_each(|a| validate_policy_arn(a))
    }
}

/// The IAM service name of `service`'s long-term keys, or a typed error where AWS does
/// not document it.
pub(crate) fn iam_service_name(service: Service) -> Result<&'static str, Error> {
    if !service.supports(KeyKind::LongTerm) {
        return Err(unsupported(
            service,
            "long-term API keys (AWS documents only short-term ones)",
        ));
    }
    service.iam_service_name().ok_or_else(|| {
        unsupported(
            service,
            "IAM service name documented by AWS for its long-term keys, so this crate \
             cannot create or list them; use the AWS console or CLI",
        )
    })
}

/// IAM's user name rule ([`names::is_iam_user_name`]): 1 to 64 of `[A-Za-z0-9_+=,.@-]`.
/// The name is not echoed.
pub(crate) fn validate_user_name(name: &str) -> Result<(), Error> {
    if names::is_iam_user_name(name) {
        return Ok(());
    }
    let len = name.chars().count();
    let why = if len == 0 {
        "it is empty".to_owned()
    } else if len > names::MAX_IAM_NAME_LEN {
        format!("it has {len} characters")
    } else {
        let pos = name.chars().position(|c| !names::is_iam_name_char(c));
        format!("character {} is not allowed", pos.map_or(0, |p| p + 1))
    };
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "invalid IAM user name: {why}; a user name is 1 to {} letters, digits and \
             _+=,.@- characters",
            names::MAX_IAM_NAME_LEN
        ),
    )
    .about(Input::UserName))
}

/// A user name or key id from IAM's own answer, checked by the rule for it: a value that
/// fails is IAM's fault, not the caller's, so the error is [`ErrorKind::Iam`] about no
/// input.
pub(crate) fn from_iam(checked: Result<(), Error>) -> Result<(), Error> {
    checked.map_err(|e| {
        Error::new(
            ErrorKind::Iam,
            format!("IAM answered with a value its own rules refuse ({e}); nothing was changed"),
        )
    })
}

/// A typed error for asking `service` for what it does not have.
fn unsupported(service: Service, what: &str) -> Error {
    Error::new(
        ErrorKind::UnsupportedService,
        format!("{} has no {what}", service.display_name()),
    )
    .about(Input::Service)
}

/// IAM's key id rule: 20 to 128 of `[A-Za-z0-9_]`. The id is not echoed: a caller may
/// pass the key itself by mistake.
pub(crate) fn validate_key_id(id: &str) -> Result<(), Error> {
    let hint = "pass the key's id (`ACCA...`), as IAM lists it";
    if Service::from_long_term_key(id).is_some() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("this looks like a long-term key itself, not its id; {hint}"),
        )
        .about(Input::KeyId));
    }
    let len = id.chars().count();
    if !names::is_key_id(id) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "invalid key id: a key id is 20 to 128 letters, digits or underscores (got \
                 {len} characters); {hint}"
            ),
        )
        .about(Input::KeyId));
    }
    Ok(())
}

fn validate_policy_arn(arn: &str) -> Result<(), Error> {
    let well_formed = names::parse_arn(arn).is_some()
        && !arn.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(())
    } else {
        // Not echoed unless it is recognisably an ARN (it could be anything pasted).
        let shown = if arn.starts_with("arn:") && arn.len() <= names::MAX_ARN_LEN {
            format!(" `{}`", arn.escape_debug())
        } else {
            String::new()
        };
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "invalid policy ARN{shown}: expected a managed policy ARN such as \
                 `{}`",
                bedrock_limited_access_policy_arn()
            ),
        )
        .about(Input::PolicyArn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bounds() {
        for ok in [1, 30, MAX_KEY_AGE_DAYS] {
            CreateKeyRequest::new("alice", ok).validate().unwrap();
        }
        for bad in [0, MAX_KEY_AGE_DAYS + 1, u32::MAX] {
            let e = CreateKeyRequest::new("alice", bad).validate().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidKeyAge);
            assert_eq!(e.input(), Some(Input::KeyAge));
            assert!(e.to_string().contains("1 to 36600 days"), "{e}");
            assert!(e.to_string().contains(&bad.to_string()), "{e}");
        }
    }

    #[test]
    fn user_names() {
        for ok in ["a", "alice", "Bedrock_API+Key=1,2.3@x-y", &"x".repeat(64)] {
            validate_user_name(ok).unwrap();
        }
        let msg = |n: &str| validate_user_name(n).unwrap_err().to_string();
        assert!(msg("").contains("empty"));
        assert!(msg(&"x".repeat(65)).contains("65 characters"));
        let m = msg("alice/SECRETISH");
        assert!(m.contains("character 6"), "{m}");
        assert!(!m.contains("SECRETISH"), "{m}");
        let e = validate_user_name("a/b").unwrap_err();
        assert_eq!(
            (e.kind(), e.input()),
            (ErrorKind::InvalidArgument, Some(Input::UserName))
        );
    }

    #[test]
    fn key_ids() {
        validate_key_id("ACCAEXAMPLEEXAMPLE01").unwrap();
        let e = validate_key_id("ABSKQmVkcm9ja0FQSUtleS1TRUNSRVQ=").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("key itself"), "{e}");
        assert!(!e.to_string().contains("QmVk"), "{e}");
        let e = validate_key_id("short").unwrap_err();
        assert!(e.to_string().contains("got 5 characters"), "{e}");
        assert_eq!(e.input(), Some(Input::KeyId));
        assert!(validate_key_id("ACCA-EXAMPLE-EXAMPLE-01").is_err());
    }

    #[test]
    fn policy_arns() {
        validate_policy_arn(bedrock_limited_access_policy_arn()).unwrap();
        validate_policy_arn("arn:aws-cn:iam::aws:policy/AmazonBedrockLimitedAccess").unwrap();
        let e = validate_policy_arn("AmazonBedrockLimitedAccess").unwrap_err();
        assert!(!e.to_string().contains("invalid policy ARN `"), "{e}");
        let e = validate_policy_arn("arn:aws:iam::aws:policy/a b").unwrap_err();
        assert!(
            e.to_string().contains("`arn:aws:iam::aws:policy/a b`"),
            "{e}"
        );
        assert_eq!(e.input(), Some(Input::PolicyArn));
    }

    #[test]
    fn policy_defaults_only_for_new_users() {
        let new_user = CreateKeyRequest::new("alice", 1).create_user(true);
        assert_eq!(
            new_user.effective_policy_arns(),
            [bedrock_limited_access_policy_arn()]
        );
        let custom = new_user
            .clone()
            .policy_arn("arn:aws:iam::aws:policy/A")
            .policy_arn("arn:aws:iam::aws:policy/A");
        assert_eq!(
            custom.effective_policy_arns(),
            ["arn:aws:iam::aws:policy/A"]
        );
        let existing = CreateKeyRequest::new("alice", 1);
        assert!(existing.effective_policy_arns().is_empty());
    }
}
