//! What a run was asked for: its flags and the environment variables the AWS chains read
//! (region, profile, credentials, endpoints, config files). Read once, for the token
//! provider, the cache key and the error messages.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_bedrock_token_generator::Service;

/// `--expiry`'s default: 12 hours, the longest a key lives (as the official generators).
pub(crate) const DEFAULT_EXPIRY: Duration = Duration::from_secs(12 * 3600);
/// `--timeout`'s default: how long loading credentials (or an IAM call) may take.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
use sha2::{Digest as _, Sha256};

use crate::output::quoted;
use crate::{Failure, SourceArgs, Status};

/// The largest `--session-policy` file read.
const MAX_POLICY_FILE: u64 = 64 * 1024;

/// A session policy file: a regular file of at most 64 KiB of UTF-8 (STS takes 2048
/// characters; the library says so precisely).
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
    let file = open_regular(path).map_err(|e| match e {
        OpenError::Io(e) => unreadable(e.to_string()),
        OpenError::NotRegular(what) => unreadable(format!(
            "it is {what}, not a regular file; write the policy to a regular file"
        )),
    })?;
    // Bounded: a regular file can still be huge (or grow while read).
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_POLICY_FILE {
        return Err(unreadable(
            "larger than 64 KiB; a session policy is at most 2048 characters".into(),
        ));
    }
    String::from_utf8(bytes).map_err(|_| unreadable("not UTF-8 text".into()))
}

/// Why [`open_regular`] gave no file.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// It could not be opened.
    Io(std::io::Error),
    /// It is something else (the words for a message: "a FIFO (named pipe)", ...).
    NotRegular(&'static str),
}

/// Opens `path` for reading without waiting on it, and refuses anything but a regular
/// file. Opening a FIFO with no writer (or some devices) blocks: the open is
/// non-blocking, and the type is checked on the opened file, so a file swapped in after
/// a check cannot make it wait either.
#[cfg(unix)]
pub(crate) fn open_regular(path: &Path) -> Result<File, OpenError> {
    use rustix::fs::{Mode, OFlags};
    use std::os::unix::fs::FileTypeExt as _;
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let file = File::from(
        rustix::fs::open(path, flags, Mode::empty())
            .map_err(|e| OpenError::Io(std::io::Error::from(e)))?,
    );
    let kind = file.metadata().map_err(OpenError::Io)?.file_type();
    let what = if kind.is_file() {
        return Ok(file);
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    };
    Err(OpenError::NotRegular(what))
}

/// Elsewhere: opening does not wait on the kinds of file that make it wait on Unix.
#[cfg(not(unix))]
pub(crate) fn open_regular(path: &Path) -> Result<File, OpenError> {
    let file = File::open(path).map_err(OpenError::Io)?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    if meta.is_file() {
        Ok(file)
    } else if meta.is_dir() {
        Err(OpenError::NotRegular("a directory"))
    } else {
        Err(OpenError::NotRegular("a special file"))
    }
}

/// The flags and the relevant AWS environment of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `--service` (Amazon Bedrock unless given).
    pub(crate) service: Service,
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
    /// Whether the AWS config files define the selected profile, once asked
    /// ([`Settings::profile_found`]): only to explain a failure, so that a run that
    /// succeeds (a cache hit above all) never reads them for it.
    pub(crate) profile_check: std::sync::OnceLock<Result<bool, String>>,
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

/// The environment as the AWS chains see it: the few variables the command itself looks
/// at, in the clear, and a digest of every variable that can change which token a run
/// mints (unset or not UTF-8 = `None`, as for the SDK).
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
    /// `AWS_CONFIG_FILE`, default `~/.aws/config`, with `~` expanded.
    pub(crate) config_file: PathBuf,
    /// `AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`, with `~` expanded.
    pub(crate) credentials_file: PathBuf,
    /// Every set variable that [`may_change_the_token`] admits, by name (sorted), each
    /// with the hex SHA-256 of its value: secrets (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, ...)
    /// tell runs apart without being kept, and so never show in `Debug`.
    pub(crate) digests: BTreeMap<String, String>,
}

/// Variables the AWS chains read under names that do not start with `AWS_`: the
/// fallback for `AWS_SECRET_ACCESS_KEY`, and the home directory (where the config files
/// and the SSO and login caches are).
const UNPREFIXED: [&str; 5] = [
    "SECRET_ACCESS_KEY",
    "HOME",
    "USERPROFILE",
    "HOMEDRIVE",
    "HOMEPATH",
];

/// Whether the variable `name` can change which credentials, region or endpoint a run
/// uses, and so goes into the `--cache` key: every `AWS_*` variable (whatever aws-config
/// reads now or in a later release, endpoints such as `AWS_ENDPOINT_URL_STS` included)
/// and [`UNPREFIXED`], except:
///
/// - `AWS_BEARER_TOKEN_*` (`AWS_BEARER_TOKEN_BEDROCK`): this command's own output. No
///   credential or region provider reads it (only a Bedrock client does, to call
///   Bedrock), so it cannot change the token minted; keyed, it would make every run of
///   `eval "$(bedrock-token --cache --format export)"` miss the entry the previous one
///   stored.
///
/// Other variables (`PATH`, `_X_AMZN_TRACE_ID`, a per-request trace id) select no
/// credentials and are left out.
pub(crate) fn may_change_the_token(name: &str) -> bool {
    (name.starts_with("AWS_") && !name.starts_with("AWS_BEARER_TOKEN_"))
        || UNPREFIXED.contains(&name)
}

impl Settings {
    /// The settings of this run; `Err` if the `--session-policy` file cannot be read.
    pub(crate) fn new(args: &SourceArgs) -> Result<Self, Failure> {
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
            service: args.service,
            region: args.region.clone(),
            profile: args.profile.clone(),
            expiry: args.expiry.unwrap_or(DEFAULT_EXPIRY),
            expiry_given: args.expiry.is_some(),
            role,
            timeout: args.timeout,
            env: AwsEnv::from_vars(std::env::vars_os()),
            profile_check: std::sync::OnceLock::new(),
        })
    }

    /// Whether the AWS config files define the selected profile: `None` with none
    /// selected; `Err` with why they could not be parsed. Read once, on a thread of its
    /// own, so that it works from anywhere, an async runtime's threads included (the
    /// SDK's parser is async, and a runtime may not be started inside another).
    pub(crate) fn profile_found(&self) -> Option<Result<bool, String>> {
        let (name, _) = self.selected_profile()?;
        let found = self.profile_check.get_or_init(|| {
            std::thread::scope(|scope| {
                scope
                    .spawn(|| profile_defined(name))
                    .join()
                    .unwrap_or_else(|_| Err("reading them failed".to_owned()))
            })
        });
        Some(found.clone())
    }

    /// For the `long-term` commands: `--profile` and `--timeout` only (IAM is global: the
    /// region comes from the environment or profile, if at all).
    pub(crate) fn for_iam(profile: Option<String>, timeout: Option<Duration>) -> Self {
        Self {
            service: Service::default(),
            region: None,
            profile,
            expiry: DEFAULT_EXPIRY,
            expiry_given: false,
            role: None,
            timeout,
            env: AwsEnv::from_vars(std::env::vars_os()),
            profile_check: std::sync::OnceLock::new(),
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
    /// The AWS environment in the variables `vars` (the process's: `std::env::vars_os()`).
    pub(crate) fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        let vars: BTreeMap<String, OsString> = vars
            .into_iter()
            .filter_map(|(name, value)| {
                // The SDK looks names up as UTF-8: it cannot read any other.
                let name = name.into_string().ok()?;
                // Windows looks them up in any case: one spelling per name.
                let name = if cfg!(windows) {
                    name.to_ascii_uppercase()
                } else {
                    name
                };
                Some((name, value))
            })
            .collect();
        let var = |name: &str| vars.get(name).and_then(|v| v.to_str()).map(String::from);
        let home = home_in(|name| vars.get(name).map(OsString::as_os_str));
        let file = |name, default| {
            let path = var(name).unwrap_or_else(|| String::from(default));
            expand_home(&path, home.as_deref())
        };
        Self {
            region: var("AWS_REGION"),
            default_region: var("AWS_DEFAULT_REGION"),
            profile: var("AWS_PROFILE"),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            config_file: file("AWS_CONFIG_FILE", "~/.aws/config"),
            credentials_file: file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
            digests: vars
                .iter()
                .filter(|(name, _)| may_change_the_token(name))
                .map(|(name, value)| {
                    let digest = Sha256::digest(value.as_encoded_bytes());
                    (name.clone(), hex::encode(digest))
                })
                .collect(),
        }
    }
}

/// The home directory, as the AWS SDK finds it.
pub(crate) fn home_dir() -> Option<PathBuf> {
    home_in(|name| std::env::var_os(name))
}

/// The home directory in the variables `var` looks up.
fn home_in<V: AsRef<OsStr>>(var: impl Fn(&str) -> Option<V>) -> Option<PathBuf> {
    let var = |name| var(name).filter(|v| !v.as_ref().is_empty());
    let home = var("HOME");
    let home = if cfg!(windows) {
        home.or_else(|| var("USERPROFILE"))
    } else {
        home
    };
    home.map(|v| PathBuf::from(v.as_ref()))
}

/// `~` or `~/…` with the home directory put in (left as it is without one).
fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home.to_path_buf(),
        (Some(rest), Some(home)) if rest.starts_with(['/', '\\']) => home.join(&rest[1..]),
        _ => PathBuf::from(path),
    }
}

/// Whether the AWS config files define profile `name`, as the AWS SDK reads them. Runs a
/// runtime of its own: call it only where none runs ([`Settings::profile_found`]).
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
