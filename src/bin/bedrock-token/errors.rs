//! The library's errors in the command's terms: which flag or environment variable
//! supplied a bad value, and which ones fix a missing one. One line each; values are
//! quoted redacted and escaped (see `output::quoted`).

use std::error::Error as _;
use std::path::Path;
use std::sync::Arc;

use aws_bedrock_token_generator::{Error, ErrorKind, DEFAULT_LOAD_TIMEOUT};
use aws_credential_types::provider::error::CredentialsError;

use crate::clock::human;
use crate::output::quoted;
use crate::settings::Settings;
use crate::{Failure, Status};

const REGION_HINT: &str =
    "use a region name such as us-east-1 (lower-case letters, digits and single hyphens)";

/// The failure to report for `e`, from minting with settings `s`.
pub(crate) fn explain(e: &Error, s: &Settings) -> Failure {
    if e.kind() == ErrorKind::InvalidConfig {
        if let Some(failure) = empty_profile(s) {
            return failure;
        }
    }
    let flag_region = s.region.is_some();
    let may_come_from_files = match e.kind() {
        ErrorKind::InvalidRegion => !flag_region,
        // InvalidConfig: among others, the library's own check that a selected profile
        // exists, told here with the variable or flag that selected it.
        ErrorKind::NoRegion
        | ErrorKind::NoCredentials
        | ErrorKind::InvalidCredentials
        | ErrorKind::CredentialsProvider
        | ErrorKind::InvalidConfig => true,
        _ => false,
    };
    if may_come_from_files {
        if let Some(failure) = file_problem(s) {
            return failure;
        }
    }
    let profile = quoted(s.profile_name());
    let config = s.env.config_file.display();
    match e.kind() {
        ErrorKind::NoRegion => match s.region_source() {
            Some((value, source)) if value.trim().is_empty() => config_error(format!(
                "{source} is empty: set it to a region name such as us-east-1, or pass --region"
            )),
            _ => config_error(format!(
                "no AWS region: pass --region, set AWS_REGION, or add `region = ...` to \
                 profile {profile} in {config}"
            )),
        },
        ErrorKind::InvalidRegion => match s.region_source() {
            Some((value, "--region")) => Failure::new(
                Status::Usage,
                format!("invalid --region {}: {REGION_HINT}", quoted(value)),
            ),
            Some((value, source)) => config_error(format!(
                "invalid region {} in {source}: {REGION_HINT}",
                quoted(value)
            )),
            None => config_error(format!(
                "invalid region in profile {profile} of {config}: {REGION_HINT}"
            )),
        },
        ErrorKind::NoCredentials => config_error(no_credentials(s)),
        ErrorKind::InvalidCredentials => config_error(e.to_string()),
        ErrorKind::CredentialsExpired => credentials_expired(),
        ErrorKind::CredentialsTimeout => credentials_timeout(s),
        // STS's own failure: the library's message names the role and says what to do,
        // and never shows STS's answer (which may hold the session's keys).
        ErrorKind::CredentialsProvider if s.role.is_some() && sts_failed(e) => {
            Failure::new(Status::Unavailable, in_flag_terms(&e.to_string()))
        }
        ErrorKind::CredentialsProvider => {
            credentials_failed(s, is_invalid_configuration(e), &cause(e))
        }
        // Role and session policy problems: the library names its builder methods.
        ErrorKind::InvalidConfig if s.role.is_some() => {
            Failure::new(Status::Usage, in_flag_terms(&e.to_string()))
        }
        ErrorKind::InvalidConfig => config_error(e.to_string()),
        ErrorKind::AccessDenied => {
            Failure::new(Status::NoPermission, in_flag_terms(&e.to_string()))
        }
        ErrorKind::InvalidExpiry => Failure::new(Status::Usage, format!("--expiry: {e}")),
        _ => Failure::new(Status::Internal, e.to_string()),
    }
}

/// `--profile ""` (or blanks): a usage error, whatever else goes wrong with it.
pub(crate) fn empty_profile(s: &Settings) -> Option<Failure> {
    s.profile
        .as_deref()
        .is_some_and(|p| p.trim().is_empty())
        .then(|| {
            Failure::new(
                Status::Usage,
                "--profile is empty: pass the name of a profile, or leave the flag out",
            )
        })
}

/// The failure to report when loading credentials with settings `s` failed (for the
/// commands that load them without the library's token provider): the same messages
/// as [`explain`] gives for the library's credential errors.
pub(crate) fn explain_credentials(e: &CredentialsError, s: &Settings) -> Failure {
    if let Some(failure) = file_problem(s) {
        return failure;
    }
    match e {
        CredentialsError::CredentialsNotLoaded(_) => config_error(no_credentials(s)),
        CredentialsError::ProviderTimedOut(_) => credentials_timeout(s),
        _ => {
            let cause = causes(e.source()).unwrap_or_else(|| e.to_string());
            let misconfigured = matches!(e, CredentialsError::InvalidConfiguration(_));
            credentials_failed(s, misconfigured, &cause)
        }
    }
}

pub(crate) fn credentials_expired() -> Failure {
    Failure::new(
        Status::Unavailable,
        "the AWS credentials have expired: refresh them (for example `aws sso login`, or \
         new temporary credentials) and run again",
    )
}

pub(crate) fn credentials_timeout(s: &Settings) -> Failure {
    Failure::new(
        Status::Unavailable,
        format!(
            "loading AWS credentials timed out after {}: check the credential source \
             (SSO, credential_process, container or instance metadata, network), or raise \
             --timeout",
            human(s.timeout.unwrap_or(DEFAULT_LOAD_TIMEOUT))
        ),
    )
}

fn credentials_failed(s: &Settings, misconfigured: bool, cause: &str) -> Failure {
    if misconfigured {
        config_error(format!(
            "the credential source of profile {} is misconfigured: {cause}",
            quoted(s.profile_name())
        ))
    } else {
        Failure::new(
            Status::Unavailable,
            format!("loading AWS credentials failed: {cause}"),
        )
    }
}

/// A library message about the role settings, with builder methods named as flags.
fn in_flag_terms(message: &str) -> String {
    [
        ("assume_role()", "--role-arn"),
        ("role_session_name()", "--role-session-name"),
        ("session_policy()", "--session-policy / --allow-model"),
        ("role_session_duration() or expiry()", "--expiry"),
        ("expiry()", "--expiry"),
    ]
    .iter()
    .fold(message.to_owned(), |m, (method, flag)| {
        m.replace(method, flag)
    })
}

fn config_error(message: impl Into<String>) -> Failure {
    Failure::new(Status::Config, message)
}

fn no_credentials(s: &Settings) -> String {
    let secret_set = std::env::var_os("AWS_SECRET_ACCESS_KEY").is_some();
    match (&s.env.access_key_id, secret_set, s.selected_profile()) {
        (Some(_), false, _) => {
            "no AWS credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into()
        }
        (None, true, _) => {
            "no AWS credentials: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not".into()
        }
        (_, _, Some((name, source))) => format!(
            "no AWS credentials: profile {} (from {source}) has none in {}",
            quoted(name),
            s.files()
        ),
        _ => format!(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or select a \
             profile in {} with --profile or AWS_PROFILE",
            s.files()
        ),
    }
}

/// An unreadable AWS config file, or a selected profile that none of them defines. The
/// AWS SDK skips unreadable files silently and reports neither.
fn file_problem(s: &Settings) -> Option<Failure> {
    for (path, variable) in [
        (&s.env.config_file, "AWS_CONFIG_FILE"),
        (&s.env.credentials_file, "AWS_SHARED_CREDENTIALS_FILE"),
    ] {
        if let Some(problem) = unreadable(path) {
            return Some(config_error(format!(
                "cannot read {} ({problem}): fix it, or point {variable} at another file",
                path.display()
            )));
        }
    }
    let (name, source) = s.selected_profile()?;
    match profile_defined(name) {
        Ok(true) => None,
        Ok(false) => Some(config_error(format!(
            "profile {} (from {source}) not found in {}",
            quoted(name),
            s.files()
        ))),
        Err(problem) => Some(config_error(format!(
            "cannot parse the AWS config files: {problem}"
        ))),
    }
}

/// Why `path` cannot be read, if it exists and cannot.
fn unreadable(path: &Path) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) if std::str::from_utf8(&bytes).is_err() => Some("not UTF-8 text".into()),
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(e.to_string()),
    }
}

/// Whether the AWS config files define profile `name`, as the AWS SDK reads them.
fn profile_defined(name: &str) -> Result<bool, String> {
    use aws_types::os_shim_internal::{Env, Fs};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let profiles = runtime
        .block_on(aws_config::profile::load(
            &Fs::real(),
            &Env::real(),
            // The standard files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws).
            &Default::default(),
            Some(name.to_owned().into()),
        ))
        .map_err(|e| e.to_string())?;
    Ok(profiles.get_profile(name).is_some())
}

/// Whether the credential provider's error says it was misconfigured.
fn is_invalid_configuration(e: &Error) -> bool {
    matches!(
        credentials_error(e),
        Some(CredentialsError::InvalidConfiguration(_))
    )
}

/// Whether `e` is STS's failure to assume the role (an error of the AssumeRole call
/// itself), rather than a failure of the source credentials.
fn sts_failed(e: &Error) -> bool {
    use aws_sdk_sts::error::SdkError;
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    let Some(sdk) = credentials_error(e)
        .and_then(|c| c.source())
        .and_then(|s| s.downcast_ref::<SdkError<AssumeRoleError>>())
    else {
        return false;
    };
    let mut next = sdk.source();
    while let Some(cause) = next {
        if cause.downcast_ref::<CredentialsError>().is_some() {
            return false;
        }
        next = cause.source();
    }
    true
}

/// The credential provider's error under `e`, if any.
fn credentials_error(e: &Error) -> Option<&CredentialsError> {
    let source = e.source()?;
    // The library keeps its source behind an `Arc`.
    source
        .downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>()
        .and_then(|arc| arc.downcast_ref::<CredentialsError>())
        .or_else(|| source.downcast_ref::<CredentialsError>())
}

/// The causes below the library's own message, joined with `: ` (each told once). The
/// credential provider errors' own texts are generic ("an error occurred while loading
/// credentials") and left out; what they wrap is kept.
fn cause(e: &Error) -> String {
    let first = match credentials_error(e) {
        Some(credentials) => credentials.source(),
        None => e.source(),
    };
    causes(first).unwrap_or_else(|| e.to_string())
}

/// `first` and the errors below it, joined with `: ` (each told once, credential
/// provider errors left out); `None` if that leaves nothing.
fn causes(first: Option<&(dyn std::error::Error + 'static)>) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for source in std::iter::successors(first, |&s| s.source()) {
        if source.downcast_ref::<CredentialsError>().is_some() {
            continue;
        }
        let text = source.to_string();
        // A credential process that wrote nothing to stderr ends in an empty "Stderr:".
        let text = text
            .trim()
            .trim_end_matches("Stderr:")
            .trim_end_matches([' ', '.']);
        if !text.is_empty() && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_owned());
        }
    }
    (!parts.is_empty()).then(|| parts.join(": "))
}
