//! What a run was asked for: its flags and the AWS environment variables that select
//! region, profile, credentials and config files. Read once, for the token provider, the
//! cache key and the error messages.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_bedrock_token_generator::DEFAULT_EXPIRY;

use crate::output::quoted;
use crate::{Failure, MintArgs, Status};

/// The largest `--session-policy` file read.
const MAX_POLICY_FILE: u64 = 64 * 1024;

/// A session policy file: at most 64 KiB of UTF-8 (STS takes 2048 characters; the
/// library says so precisely).
fn read_policy(path: &Path) -> Result<String, Failure> {
    let unreadable = |why: String| {
        Failure::new(
            Status::Io,
            format!(
                "cannot read --session-policy {}: {why}",
                quoted(&path.display().to_string())
            ),
        )
    };
    // Bounded: the path may name an endless stream (`/dev/zero`, a pipe).
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_POLICY_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_POLICY_FILE {
        return Err(unreadable(
            "larger than 64 KiB; a session policy is at most 2048 characters".into(),
        ));
    }
    String::from_utf8(bytes).map_err(|_| unreadable("not UTF-8 text".into()))
}

/// The flags and the relevant AWS environment of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `--region`.
    pub(crate) region: Option<String>,
    /// `--profile`.
    pub(crate) profile: Option<String>,
    /// `--expiry`, or the default (12 h).
    pub(crate) expiry: Duration,
    /// Whether `--expiry` was given (with a role, its absence leaves the session length
    /// to STS).
    pub(crate) expiry_given: bool,
    /// `--role-arn`, `--role-session-name` and the session policy, if any.
    pub(crate) role: Option<Role>,
    /// `--timeout`.
    pub(crate) timeout: Option<Duration>,
    /// The environment.
    pub(crate) env: AwsEnv,
}

/// The role to assume, from `--role-arn` and its companion flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Role {
    pub(crate) arn: String,
    pub(crate) session_name: Option<String>,
    /// `--allow-model` ids, in order.
    pub(crate) allow_models: Vec<String>,
    /// The text of the `--session-policy` file.
    pub(crate) policy_document: Option<String>,
}

/// The environment variables that change which token a run mints, as the AWS SDK reads
/// them (unset or not UTF-8 = `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsEnv {
    /// `AWS_REGION`.
    pub(crate) region: Option<String>,
    /// `AWS_DEFAULT_REGION`.
    pub(crate) default_region: Option<String>,
    /// `AWS_PROFILE`.
    pub(crate) profile: Option<String>,
    /// `AWS_ACCESS_KEY_ID`.
    pub(crate) access_key_id: Option<String>,
    /// The other variables that select an identity in the default credential chain
    /// ([`IDENTITY_VARS`]), in that order.
    pub(crate) identity: Vec<(&'static str, Option<String>)>,
    /// `AWS_CONFIG_FILE`, default `~/.aws/config`, with `~` expanded.
    pub(crate) config_file: PathBuf,
    /// `AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`, with `~` expanded.
    pub(crate) credentials_file: PathBuf,
}

/// Variables (none of them secret) that make the default credential chain load another
/// identity: web identity (assume-role) and container credentials, and whether instance
/// metadata may answer.
pub(crate) const IDENTITY_VARS: [&str; 6] = [
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_EC2_METADATA_DISABLED",
];

impl Settings {
    /// The settings of this run; `Err` if the `--session-policy` file cannot be read.
    pub(crate) fn new(args: &MintArgs) -> Result<Self, Failure> {
        let role = match &args.role_arn {
            None => None,
            Some(arn) => Some(Role {
                arn: arn.clone(),
                session_name: args.role_session_name.clone(),
                allow_models: args.allow_model.clone(),
                policy_document: args
                    .session_policy
                    .as_deref()
                    .map(read_policy)
                    .transpose()?,
            }),
        };
        Ok(Self {
            region: args.region.clone(),
            profile: args.profile.clone(),
            expiry: args.expiry.unwrap_or(DEFAULT_EXPIRY),
            expiry_given: args.expiry.is_some(),
            role,
            timeout: args.timeout,
            env: AwsEnv::from_process(),
        })
    }

    /// For the `long-term` commands: `--profile` and `--timeout` only (IAM is global: the
    /// region comes from the environment or profile, if at all).
    pub(crate) fn for_iam(profile: Option<String>, timeout: Option<Duration>) -> Self {
        Self {
            region: None,
            profile,
            expiry: DEFAULT_EXPIRY,
            expiry_given: false,
            role: None,
            timeout,
            env: AwsEnv::from_process(),
        }
    }

    /// The profile explicitly selected and where: `--profile` or `AWS_PROFILE`.
    pub(crate) fn selected_profile(&self) -> Option<(&str, &'static str)> {
        match (&self.profile, &self.env.profile) {
            (Some(p), _) => Some((p, "--profile")),
            (None, Some(p)) => Some((p, "AWS_PROFILE")),
            (None, None) => None,
        }
    }

    /// The profile whose settings apply (`default` unless one is selected).
    pub(crate) fn profile_name(&self) -> &str {
        self.selected_profile().map_or("default", |(p, _)| p)
    }

    /// Where the region comes from, if not from the profile: `--region`, then
    /// `AWS_REGION`, then `AWS_DEFAULT_REGION` (set counts, even empty, as for the SDK).
    pub(crate) fn region_source(&self) -> Option<(&str, &'static str)> {
        if let Some(r) = &self.region {
            Some((r, "--region"))
        } else if let Some(r) = &self.env.region {
            Some((r, "AWS_REGION"))
        } else {
            self.env
                .default_region
                .as_deref()
                .map(|r| (r, "AWS_DEFAULT_REGION"))
        }
    }

    /// The two AWS config files, for messages: `A or B`.
    pub(crate) fn files(&self) -> String {
        format!(
            "{} or {}",
            self.env.config_file.display(),
            self.env.credentials_file.display()
        )
    }
}

impl AwsEnv {
    fn from_process() -> Self {
        let var = |name| std::env::var(name).ok();
        let home = home_dir();
        let file = |name, default| {
            let path = var(name).unwrap_or_else(|| String::from(default));
            expand_home(&path, home.as_deref())
        };
        Self {
            region: var("AWS_REGION"),
            default_region: var("AWS_DEFAULT_REGION"),
            profile: var("AWS_PROFILE"),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            identity: IDENTITY_VARS
                .iter()
                .map(|&name| (name, var(name)))
                .collect(),
            config_file: file("AWS_CONFIG_FILE", "~/.aws/config"),
            credentials_file: file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
        }
    }
}

/// The home directory, as the AWS SDK finds it.
pub(crate) fn home_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if cfg!(windows) {
        var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from)
    } else {
        var("HOME").map(PathBuf::from)
    }
}

/// `~` or `~/…` with the home directory put in (left as it is without one).
fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home.to_path_buf(),
        (Some(rest), Some(home)) if rest.starts_with(['/', '\\']) => home.join(&rest[1..]),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_expansion() {
        let home = Some(Path::new("/home/u"));
        assert_eq!(
            expand_home("~/.aws/config", home),
            Path::new("/home/u/.aws/config")
        );
        assert_eq!(expand_home("~", home), Path::new("/home/u"));
        assert_eq!(expand_home("~x/config", home), Path::new("~x/config"));
        assert_eq!(expand_home("/etc/aws", home), Path::new("/etc/aws"));
        assert_eq!(
            expand_home("~/.aws/config", None),
            Path::new("~/.aws/config")
        );
    }
}
