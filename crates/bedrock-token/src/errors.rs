//! The library's errors in the command's terms: which flag or environment variable
//! supplied a bad value, and which ones fix a missing one. One line each; values are
//! quoted redacted and escaped (see `output::quoted`).
//!
//! The library's messages speak its own terms; what it knows about an error is in the
//! error's fields ([`Error::kind`], [`Error::input`], [`Error::operation`],
//! [`Error::aws_error_code`]). Everything here is chosen from those fields and from the
//! command's settings, never by reading a message; [`flag`] is the one mapping from the
//! library's inputs to flags.

use std::path::Path;

use aws_bedrock_token_generator::{Error, ErrorKind, Input};

use crate::settings::DEFAULT_TIMEOUT;
use aws_credential_types::provider::error::CredentialsError;

use crate::clock::human;
use crate::output::quoted;
use crate::settings::Settings;
use crate::{Failure, Status};

const REGION_HINT: &str =
    "use a region name such as us-east-1 (lower-case letters, digits and single hyphens)";

/// The failure to report for `e`, from minting with settings `s`.
///
/// The library's messages are its own words (it keeps no SDK or provider text); here
/// they get the flag or variable that supplied the value, and an exit status.
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
        | ErrorKind::InvalidCredentialSource
        | ErrorKind::CredentialsProvider => true,
        ErrorKind::InvalidConfig => e.input().is_none(),
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
        ErrorKind::CredentialsTimeout => credentials_timeout(s),
        ErrorKind::InvalidCredentialSource => config_error(format!(
            "the credential source of profile {profile} is misconfigured: check its \
             credential settings (credential_process, sso_*, role_arn with source_profile or \
             credential_source, web_identity_token_file) in {} and the AWS_* environment \
             variables",
            s.files()
        )),
        // A setting from the command line: a usage error, named by its flag.
        ErrorKind::InvalidConfig if e.input().is_some() => usage(e, s, "bedrock-token"),
        ErrorKind::InvalidExpiry => usage(e, s, "--expiry"),
        ErrorKind::UnsupportedService => usage(e, s, "--service"),
        kind => match Status::from(kind) {
            Status::Internal => internal(e),
            // The library's message as it is, with the kind's status: refused or expired
            // credentials (fixed by changing them, not by trying again), endpoint and
            // configuration errors, a failed credential source, a denied role.
            status => Failure::new(status, e.to_string()),
        },
    }
}

/// The flag that supplies `input`: the one place where the library's [`Input`] (which
/// setting an error is about) becomes a flag name. Library messages never name flags.
pub(crate) fn flag(input: Input, s: &Settings) -> &'static str {
    match input {
        Input::Region => "--region",
        Input::Profile => "--profile",
        Input::Expiry | Input::RoleSessionDuration => "--expiry",
        Input::LoadTimeout => "--timeout",
        Input::RoleArn => "--role-arn",
        Input::RoleSessionName => "--role-session-name",
        Input::SessionPolicy if s.role.as_ref().is_some_and(|r| r.policy_document.is_none()) => {
            "--allow-model"
        }
        Input::SessionPolicy => "--session-policy",
        Input::Service => "--service",
        _ => "bedrock-token",
    }
}

/// A usage error about `e`'s input, or `default` when the library names none: the flag,
/// then the library's message.
pub(crate) fn usage(e: &Error, s: &Settings, default: &'static str) -> Failure {
    let flag = e.input().map_or(default, |input| flag(input, s));
    Failure::new(Status::Usage, format!("{flag}: {e}"))
}

/// A bug or a caught panic: one line, no detail from where it happened.
pub(crate) fn internal(e: &Error) -> Failure {
    Failure::new(
        Status::Internal,
        format!("internal error: {e}; please report it (no credentials are in this message)"),
    )
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
pub(crate) fn explain_credentials(e: CredentialsError, s: &Settings) -> Failure {
    explain(&Error::from(e), s)
}

pub(crate) fn credentials_expired() -> Failure {
    Failure::new(
        Status::Config,
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
            human(s.timeout.unwrap_or(DEFAULT_TIMEOUT))
        ),
    )
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
    match s.profile_found()? {
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
    // Not opened unless a regular file: opening a FIFO would wait for a writer.
    match std::fs::metadata(path) {
        Ok(meta) if crate::output::is_null_device(&meta) => return None,
        Ok(meta) if !meta.is_file() => return Some("not a regular file".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(e.to_string()),
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Ok(bytes) if std::str::from_utf8(&bytes).is_err() => Some("not UTF-8 text".into()),
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(e.to_string()),
    }
}
