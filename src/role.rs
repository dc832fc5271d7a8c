//! The assume-role step of a provider: its validated settings, the credentials provider
//! that assumes the role (aws-config's `AssumeRoleProvider`), and STS's errors mapped to
//! messages that say what to do.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::sts::AssumeRoleProvider;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_async::time::SharedTimeSource;
use aws_types::region::Region;

use crate::aws_error::Failure;
use crate::names;
use crate::{Error, ErrorKind, Input, SessionPolicy};

/// The shortest role session STS grants (`DurationSeconds` 900).
pub const MIN_ROLE_SESSION_DURATION: Duration = Duration::from_secs(900);
/// The longest role session STS grants (`DurationSeconds` 43 200), if the role's maximum
/// session duration allows it.
pub const MAX_ROLE_SESSION_DURATION: Duration = Duration::from_secs(12 * 3600);
/// The role session name used when none is given is this followed by the Unix time in
/// seconds when the provider was built, e.g. `bedrock-token-1718452800`.
pub(crate) const DEFAULT_ROLE_SESSION_NAME_PREFIX: &str = "bedrock-token-";

/// The STS operation of the assume-role step, for [`Error::operation`].
const ASSUME_ROLE: &str = "AssumeRole";

/// The assume-role step, validated by the builder.
#[derive(Clone, Debug)]
pub(crate) struct AssumeRole {
    pub role_arn: String,
    pub session_name: String,
    pub policy: Option<SessionPolicy>,
    /// `DurationSeconds`; `None`: STS's default (one hour).
    pub duration: Option<Duration>,
}

impl AssumeRole {
    /// Wraps `source` (the credentials that assume the role) in a provider that calls
    /// STS `AssumeRole` on every load. STS region and endpoint come from the standard
    /// configuration (`region`; `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the profile's
    /// `endpoint_url` or `services` section, `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), as
    /// the AWS SDKs read it.
    pub async fn provider(
        &self,
        source: SharedCredentialsProvider,
        region: &Region,
        profile_name: Option<&str>,
        time_source: SharedTimeSource,
        sleep: Option<SharedAsyncSleep>,
    ) -> Result<SharedCredentialsProvider, Error> {
        let policy = self
            .policy
            .as_ref()
            .map(|p| p.render(Some(region.as_ref())))
            .transpose()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region.clone())
            .credentials_provider(source)
            .time_source(time_source);
        if let Some(sleep) = sleep {
            loader = loader.sleep_impl(sleep);
        }
        if let Some(profile) = profile_name {
            loader = loader.profile_name(profile);
        }
        let sdk_config = loader.load().await;
        let mut builder = AssumeRoleProvider::builder(self.role_arn.clone())
            .session_name(self.session_name.clone())
            .configure(&sdk_config);
        if let Some(policy) = policy {
            builder = builder.policy(policy);
        }
        if let Some(duration) = self.duration {
            builder = builder.session_length(duration);
        }
        Ok(SharedCredentialsProvider::new(Checked {
            inner: builder.build().await,
            time_source: sdk_config.time_source().unwrap_or_default(),
        }))
    }

    /// Maps the assume-role provider's error. `source_error` describes a failure of the
    /// source credentials (found in the error's chain) as the provider would without a
    /// role. Nothing of the SDK's error text is kept (see `aws_error`).
    pub fn error(
        &self,
        e: CredentialsError,
        source_error: impl FnOnce(&CredentialsError) -> Error,
    ) -> Error {
        let arn = &self.role_arn;
        let Some(sdk) = e
            .source()
            .and_then(|s| s.downcast_ref::<SdkError<AssumeRoleError>>())
        else {
            // The call succeeded but its answer is not a role session.
            let lacks = e
                .source()
                .and_then(|s| s.downcast_ref::<Unusable>())
                .map_or("the session's credentials", |u| u.0);
            return Error::new(
                ErrorKind::CredentialsProvider,
                format!(
                    "STS's answer to AssumeRole for role `{arn}` is unusable: it lacks {lacks}; \
                     check that the STS endpoint (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL) is \
                     STS"
                ),
            )
            .during(ASSUME_ROLE);
        };
        if let Some(inner) = find_in_chain::<CredentialsError>(sdk) {
            let inner = source_error(inner);
            return Error::new(
                inner.kind(),
                format!("cannot assume role `{arn}`: the source credentials failed: {inner}"),
            );
        }
        let error = match Failure::of("STS", sdk) {
            Failure::Service(said) => {
                let (kind, what, input) = self.service_error(&said.code);
                let error = Error::new(kind, format!("{what} ({said})")).with_source(said);
                match input {
                    Some(input) => error.about(input),
                    None => error,
                }
            }
            Failure::Construction => Error::new(
                ErrorKind::InvalidEndpoint,
                format!(
                    "the STS AssumeRole request for role `{arn}` could not be built; check the \
                     STS endpoint settings (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's \
                     endpoint_url)"
                ),
            ),
            Failure::Timeout => Error::new(
                ErrorKind::CredentialsTimeout,
                format!(
                    "STS AssumeRole for role `{arn}` timed out; check the network path to STS \
                     (and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL if set)"
                ),
            ),
            Failure::Connect => Error::new(
                ErrorKind::CredentialsProvider,
                format!(
                    "cannot reach STS to assume role `{arn}`; check the network path to STS \
                     (and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL if set)"
                ),
            ),
            // The answer holds the role's secret key and session token: say nothing of
            // its content.
            Failure::Unreadable => Error::new(
                ErrorKind::CredentialsProvider,
                format!(
                    "STS's answer to AssumeRole for role `{arn}` could not be read; check that \
                     the STS endpoint (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL) is STS"
                ),
            ),
        };
        error.during(ASSUME_ROLE)
    }

    /// The kind, message and input of STS error `code`.
    fn service_error(&self, code: &str) -> (ErrorKind, String, Option<Input>) {
        let arn = &self.role_arn;
        let (kind, message) = match code {
            "AccessDenied" | "AccessDeniedException" => (
                ErrorKind::AccessDenied,
                format!(
                    "access denied assuming role `{arn}`: the role's trust policy must allow the \
                     source credentials' principal sts:AssumeRole, and the caller's own policies \
                     must allow sts:AssumeRole on the role"
                ),
            ),
            "MalformedPolicyDocument" | "MalformedPolicyDocumentException" => {
                return (
                    ErrorKind::InvalidConfig,
                    "STS rejected the session policy as malformed: fix the document (an IAM \
                     policy with \"Version\": \"2012-10-17\" and a \"Statement\" list)"
                        .to_owned(),
                    Some(Input::SessionPolicy),
                )
            }
            "PackedPolicyTooLarge" | "PackedPolicyTooLargeException" => {
                return (
                    ErrorKind::InvalidConfig,
                    "the session policy is too large once packed by AWS: allow fewer models, \
                     or shorten the policy"
                        .to_owned(),
                    Some(Input::SessionPolicy),
                )
            }
            "ValidationError" => {
                let requested = match self.duration {
                    Some(d) => format!("{} seconds", d.as_secs()),
                    None => "STS's default of 3600 seconds".to_owned(),
                };
                return (
                    ErrorKind::InvalidConfig,
                    format!(
                        "STS rejected the AssumeRole request for role `{arn}` as invalid; if it \
                         is about DurationSeconds: the role session requested ({requested}, from \
                         the role session duration or the expiry) must be at most the role's \
                         maximum session duration (1 hour unless an administrator raised it): \
                         ask for less, or have the role's MaxSessionDuration raised"
                    ),
                    Some(Input::RoleSessionDuration),
                );
            }
            "RegionDisabledException" => (
                ErrorKind::CredentialsProvider,
                "STS is not activated in this region for the account: activate the region in \
                 the IAM console (Account settings), or use another region"
                    .to_owned(),
            ),
            "ExpiredToken" | "ExpiredTokenException" => (
                ErrorKind::CredentialsExpired,
                format!(
                    "cannot assume role `{arn}`: the source credentials have expired; refresh \
                     them (for SSO, `aws sso login`) and retry"
                ),
            ),
            "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "UnrecognizedClientException"
            | "IncompleteSignature" => (
                ErrorKind::InvalidCredentials,
                format!(
                    "cannot assume role `{arn}`: STS does not accept the source credentials; \
                     check the access key id and secret access key (and the session token)"
                ),
            ),
            _ => (
                ErrorKind::CredentialsProvider,
                format!("STS refused to assume role `{arn}`"),
            ),
        };
        (kind, message, None)
    }
}

/// aws-config's assume-role provider, with its answer checked: STS's SDK fills fields
/// missing from the answer with empty strings and an expiration of 1970, which would
/// otherwise be reported as unset variables or expired credentials.
#[derive(Debug)]
struct Checked {
    inner: AssumeRoleProvider,
    time_source: SharedTimeSource,
}

/// What an STS answer lacks.
#[derive(Debug)]
struct Unusable(&'static str);

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "STS's answer lacks {}", self.0)
    }
}

impl StdError for Unusable {}

impl ProvideCredentials for Checked {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let credentials = self.inner.provide_credentials().await?;
            let lacks = if credentials.access_key_id().is_empty() {
                Some("an access key id")
            } else if credentials.secret_access_key().is_empty() {
                Some("a secret access key")
            } else if credentials.session_token().is_none_or(str::is_empty) {
                Some("a session token")
            } else if credentials.expiry().is_none_or(|at| at <= UNIX_EPOCH) {
                Some("an expiration")
            } else if credentials
                .expiry()
                .is_some_and(|at| at <= self.time_source.now())
            {
                Some("an expiration in the future (it says the session has already ended: check the STS endpoint, and this machine's clock)")
            } else {
                None
            };
            match lacks {
                Some(what) => Err(CredentialsError::provider_error(Unusable(what))),
                None => Ok(credentials),
            }
        })
    }
}

/// The first error of type `T` in `error`'s source chain (itself excluded).
fn find_in_chain<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut next = error.source();
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// `bedrock-token-<Unix seconds>` (0 for a clock before 1970).
pub(crate) fn default_session_name(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!("{DEFAULT_ROLE_SESSION_NAME_PREFIX}{secs}")
}

/// `arn:<partition>:iam::<12 digits>:role/<optional path/><name>`.
pub(crate) fn validate_role_arn(arn: &str) -> Result<(), Error> {
    let problem = role_arn_problem(arn);
    match problem {
        None => Ok(()),
        Some(problem) => {
            let mut shown: String = arn.chars().take(120).collect();
            if shown.len() < arn.len() {
                shown.push_str("...");
            }
            Err(Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "invalid role ARN {:?}: {problem}; a role ARN looks like \
                     `arn:aws:iam::123456789012:role/bedrock-sandbox`",
                    shown
                ),
            ))
        }
    }
}

fn role_arn_problem(arn: &str) -> Option<&'static str> {
    if arn.len() > names::MAX_ARN_LEN {
        return Some("it is longer than 2048 characters");
    }
    let Some(names::Arn {
        partition,
        service: "iam",
        region: "",
        account,
        resource,
    }) = names::parse_arn(arn)
    else {
        return Some("it is not of the form `arn:<partition>:iam::<account>:role/<name>`");
    };
    if !names::is_partition(partition) {
        return Some("the partition is not `aws` or `aws-...`");
    }
    if !names::is_account_id(account) {
        return Some("the account id is not 12 digits");
    }
    let Some(path_and_name) = resource.strip_prefix("role/") else {
        return Some("it does not name a role (`:role/<name>`)");
    };
    let (path, name) = match path_and_name.rsplit_once('/') {
        Some((path, name)) => (path, name),
        None => ("", path_and_name),
    };
    if !names::is_iam_role_name(name) {
        return Some("the role name must be 1 to 64 characters of letters, digits and `+=,.@_-`");
    }
    let bad_segment =
        path_and_name.starts_with('/') || (!path.is_empty() && path.split('/').any(str::is_empty));
    if !path.bytes().all(|b| (0x21..=0x7e).contains(&b)) || bad_segment {
        return Some("the role path must be printable ASCII without spaces or empty segments");
    }
    None
}

/// 2 to 64 characters of `[\w+=,.@-]`.
pub(crate) fn validate_session_name(name: &str) -> Result<(), Error> {
    if names::is_role_session_name(name) {
        return Ok(());
    }
    let mut shown: String = name.chars().take(80).collect();
    if shown.len() < name.len() {
        shown.push_str("...");
    }
    Err(Error::new(
        ErrorKind::InvalidConfig,
        format!(
            "invalid role session name {:?}: use 2 to 64 characters of letters, digits and \
             `+=,.@_-` (e.g. `sandbox-42`)",
            shown
        ),
    ))
}

/// 900 seconds to 12 hours, whole seconds.
pub(crate) fn validate_duration(duration: Duration) -> Result<Duration, Error> {
    if duration < MIN_ROLE_SESSION_DURATION || duration > MAX_ROLE_SESSION_DURATION {
        return Err(Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "invalid role session duration {duration:?}: STS grants 900 seconds (15 minutes) \
                 to 43200 seconds (12 hours), and at most the role's maximum session duration \
                 (1 hour unless raised)"
            ),
        ));
    }
    Ok(Duration::from_secs(duration.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        for good in [
            "arn:aws:iam::123456789012:role/bedrock-sandbox",
            "arn:aws-cn:iam::123456789012:role/a",
            "arn:aws-us-gov:iam::123456789012:role/service-role/team/x+=,.@_-y",
        ] {
            validate_role_arn(good).unwrap();
        }
        for (bad, why) in [
            ("", "not of the form"),
            (
                "arn:aws:iam::123456789012:user/alice",
                "does not name a role",
            ),
            ("arn:aws:iam::12345:role/x", "12 digits"),
            ("arn:aws:sts::123456789012:role/x", "not of the form"),
            (
                "arn:aws:iam:us-east-1:123456789012:role/x",
                "not of the form",
            ),
            ("arn:gcp:iam::123456789012:role/x", "partition"),
            ("arn:aws--:iam::123456789012:role/x", "partition"),
            ("arn:aws-cn-:iam::123456789012:role/x", "partition"),
            ("arn:aws:iam::123456789012:role/", "role name"),
            ("arn:aws:iam::123456789012:role/a b", "role name"),
            ("arn:aws:iam::123456789012:role/p//x", "role path"),
            ("arn:aws:iam::123456789012:role//x", "role path"),
        ] {
            let e = validate_role_arn(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            assert!(e.to_string().contains(why), "{bad}: {e}");
            assert!(e
                .to_string()
                .contains("arn:aws:iam::123456789012:role/bedrock-sandbox"));
        }
        let long = format!("arn:aws:iam::123456789012:role/{}", "a".repeat(65));
        assert!(validate_role_arn(&long).is_err());
    }

    #[test]
    fn session_names() {
        validate_session_name("ab").unwrap();
        validate_session_name(&"a".repeat(64)).unwrap();
        validate_session_name("agent+42=x,y.z@w_v-u").unwrap();
        for bad in ["a", "", "has space", "tab\t", "é-accent", &"a".repeat(65)] {
            let e = validate_session_name(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        }
        assert_eq!(
            default_session_name(UNIX_EPOCH + Duration::from_secs(1_718_452_800)),
            "bedrock-token-1718452800"
        );
        assert_eq!(
            default_session_name(UNIX_EPOCH - Duration::from_secs(5)),
            "bedrock-token-0"
        );
        validate_session_name(&default_session_name(SystemTime::UNIX_EPOCH)).unwrap();
    }

    #[test]
    fn durations() {
        assert_eq!(
            validate_duration(Duration::from_millis(900_500))
                .unwrap()
                .as_secs(),
            900
        );
        validate_duration(MAX_ROLE_SESSION_DURATION).unwrap();
        for bad in [
            Duration::from_secs(899),
            MAX_ROLE_SESSION_DURATION + Duration::from_secs(1),
        ] {
            assert_eq!(
                validate_duration(bad).unwrap_err().kind(),
                ErrorKind::InvalidConfig
            );
        }
    }
}
