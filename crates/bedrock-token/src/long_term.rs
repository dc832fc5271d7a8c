//! `bedrock-token long-term …`: create and manage long-term Amazon Bedrock API keys (IAM
//! service-specific credentials) with the library's `LongTermKeys`.
//!
//! The key text goes to stdout, from `create` and `reset` only; `list` and every message
//! carry metadata alone. Credentials, region and endpoint overrides
//! (`AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL`) come from the standard AWS chains; IAM is
//! global, so without a region `us-east-1` is used.

use std::time::{Duration, SystemTime};

use aws_bedrock_token_generator::{check_endpoint_settings, Service};
use aws_bedrock_token_long_term::{
    CreateKeyRequest, CreatedKey, Error, ErrorKind, Input, KeyMetadata, KeyStatus, LongTermKeys,
    MAX_KEY_AGE_DAYS,
};
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_types::SdkConfig;
use clap::{Subcommand, ValueEnum};
use tokio::runtime::Runtime;

use crate::clock::{self, human, rfc3339_clamped};
use crate::output::{self, printable, quoted};
use crate::redact::redact;
use crate::settings::Settings;
use crate::{errors, Failure, Status};

mod audit;
mod revoke;

/// How long one IAM call may take without `--timeout`.
const IAM_CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) const AFTER_HELP: &str = "\
Examples:
  bedrock-token long-term create --user-name explorer --days 30 --create-user
  bedrock-token long-term create --user-name alice --days 7 --format json
  bedrock-token long-term list --user-name alice
  bedrock-token long-term list --format json            every user's keys, as JSON
  bedrock-token long-term deactivate --user-name alice --id ACCA...
  bedrock-token long-term reset --user-name alice --id ACCA...
  bedrock-token long-term audit                         findings about every key (exit 1 if any)
  pbpaste | bedrock-token long-term revoke -            deactivate a leaked key from its text

Prefer short-term keys (plain `bedrock-token`) where you can. A long-term key is printed
on stdout by create and reset only, and IAM never shows it again: store it in a secret
manager. list, inspect and messages never show key text.

Exit status:
  0   success
  1   audit: at least one key has a finding
  2   revoke: not an API key
  64  usage: bad flag value (--days, user name, key id, policy ARN)
  65  revoke: the key's alias matches more than one credential (nothing changed)
  67  the IAM user or key does not exist; revoke: no credential matches the key
  69  IAM or the credential source failed or timed out; IAM's answer was unusable
  73  not created: the user already has two keys, or the user already exists
  74  create, reset: the key could not be written to stdout (it exists: delete it)
  77  access denied: the credentials may not make the IAM call
  78  AWS configuration: no credentials, unknown profile, unreadable config file,
      credentials IAM rejects as invalid or expired, an unusable IAM endpoint

A failed create or reset never retries on its own: after a timeout or an IAM server
error IAM may have made the key anyway, and the message says how to check.

Credentials, region and endpoint (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL) come from the
standard AWS chains; IAM is global, so no region is needed (us-east-1 by default).";

/// `bedrock-token long-term`: its subcommand and the flags they share.
#[derive(clap::Args, Debug)]
pub(crate) struct LongTermArgs {
    #[command(subcommand)]
    command: LongTermCommand,
    /// Named profile whose credentials to use [default: AWS_PROFILE, then the default chain]
    #[arg(long, value_name = "NAME", global = true)]
    profile: Option<String>,
    /// Give up loading credentials, and each IAM call, after this long, 1s to 1h (90s, 15m,
    /// 1h) [default: 5s for credentials, 30s per IAM call]
    #[arg(long, value_name = "DURATION", value_parser = clock::parse_timeout, global = true)]
    timeout: Option<Duration>,
}

#[derive(Subcommand, Debug)]
enum LongTermCommand {
    /// Create a key for an IAM user and print it (IAM shows it only this once)
    Create(CreateArgs),
    /// List keys (never their text): of one IAM user, or of every user in the account
    List(ListArgs),
    /// Make a deactivated key usable again
    Activate(KeyRef),
    /// Stop a key from working until it is activated again
    Deactivate(KeyRef),
    /// Give a key a new secret and print it; the old key text stops working
    Reset(ResetArgs),
    /// Delete a key for good
    Delete(KeyRef),
    /// Report every key of the account with its findings (read-only; exit status 1 if any)
    ///
    /// Findings: never expires, expires soon, expired, old, inactive, broad permissions,
    /// console user.
    #[command(after_help = audit::AFTER_HELP)]
    Audit(audit::AuditArgs),
    /// Deactivate (or delete) a leaked key found from its text, read from stdin with `-`
    ///
    /// For a short-term key: say what revoking it means, and with --apply deactivate the
    /// IAM user access key that signed it.
    #[command(after_help = revoke::AFTER_HELP)]
    Revoke(revoke::RevokeArgs),
}

#[derive(clap::Args, Debug)]
struct CreateArgs {
    /// The IAM user the key belongs to
    #[arg(long, value_name = "NAME")]
    user_name: String,
    /// Days until the key expires, 1 to 36600 (required: keys that never expire are not made)
    #[arg(long, value_name = "N", value_parser = parse_days, allow_negative_numbers = true)]
    days: u32,
    /// The service the key is for: bedrock, claude-platform, cloudwatch, cloudwatch-logs
    /// or xray
    #[arg(long, value_name = "NAME", default_value = "bedrock", value_parser = parse_service)]
    service: Service,
    /// Create the IAM user first, and attach the --policy-arn policies to it
    /// [default policy: the service's, AmazonBedrockLimitedAccess for bedrock]
    #[arg(long)]
    create_user: bool,
    /// Attach this managed policy to the user (repeatable); with --create-user it replaces
    /// the default
    #[arg(long = "policy-arn", value_name = "ARN")]
    policy_arns: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = KeyFormat::Token)]
    format: KeyFormat,
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    /// Only this IAM user's keys [default: every user's]
    #[arg(long, value_name = "NAME")]
    user_name: Option<String>,
    /// Only this service's keys (bedrock, claude-platform, cloudwatch, cloudwatch-logs,
    /// xray) [default: every service's]
    #[arg(long, value_name = "NAME", value_parser = parse_service)]
    service: Option<Service>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

/// Which key: its user and id.
#[derive(clap::Args, Debug)]
struct KeyRef {
    /// The IAM user the key belongs to
    #[arg(long, value_name = "NAME")]
    user_name: String,
    /// The key's id (ACCA…), as `list` shows it
    #[arg(long, value_name = "ID")]
    id: String,
}

#[derive(clap::Args, Debug)]
struct ResetArgs {
    #[command(flatten)]
    key: KeyRef,
    /// Output format
    #[arg(long, value_enum, default_value_t = KeyFormat::Token)]
    format: KeyFormat,
}

/// How `create` and `reset` print the key.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum KeyFormat {
    /// The key alone
    Token,
    /// `{"key", "id", "service", "user_name", "alias", "status", "created_at", "expires_at"}`
    Json,
}

/// How `list` prints the keys.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum ListFormat {
    /// Aligned columns with a header
    Table,
    /// An array of `{"id", "service", "user_name", "alias", "status", "created_at", "expires_at"}`
    Json,
}

/// `--service`: a service name or alias (`Service`'s `FromStr`).
fn parse_service(name: &str) -> Result<Service, String> {
    name.parse()
        .map_err(|e: aws_bedrock_token_generator::Error| e.to_string())
}

/// `--days`: 1 to 36 600. The message does not repeat the input.
fn parse_days(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(days) if (1..=MAX_KEY_AGE_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "expected a whole number of days from 1 to {MAX_KEY_AGE_DAYS}: a long-term key \
             always expires (pick the shortest age that works)"
        )),
    }
}

/// Runs `bedrock-token long-term …`.
pub(crate) fn run(args: LongTermArgs, now: SystemTime) -> Result<Status, Failure> {
    let settings = Settings::for_iam(args.profile, args.timeout);
    if let Some(failure) = errors::empty_profile(&settings) {
        return Err(failure);
    }
    // These take the clock, and revoke reads its key before deciding whether to call IAM.
    let command = match args.command {
        LongTermCommand::Audit(a) => return audit::run(a, &settings, now),
        LongTermCommand::Revoke(a) => return revoke::run(a, &settings, now),
        other => other,
    };
    // Key text exists once: refuse before asking IAM for a key nobody would see.
    let makes_key = matches!(
        command,
        LongTermCommand::Create(_) | LongTermCommand::Reset(_)
    );
    if makes_key && output::stdout_is_discarded() {
        return Err(Failure::new(
            Status::Io,
            "stdout is closed or /dev/null, so the new key would be lost (IAM shows it only \
             once): send stdout to a file or to the program that stores the key",
        ));
    }
    let runtime = crate::runtime()?;
    let keys = connect(&runtime, &settings, now)?;
    runtime.block_on(execute(&keys, command, &settings))
}

/// The IAM client: the standard chains' configuration, with credentials loaded once here
/// (so that their failures are told as for minting) and the IAM call timeout.
///
/// Failures are mapped outside `block_on`: the messages about config files read them
/// with a runtime of their own.
fn connect(runtime: &Runtime, s: &Settings, now: SystemTime) -> Result<LongTermKeys, Failure> {
    runtime
        .block_on(check_endpoint_settings(s.profile.as_deref()))
        .map_err(|e| errors::explain(&e, s))?;
    let config = runtime.block_on(load_config(s));
    let Some(provider) = credentials_provider(&config, s) else {
        let none = CredentialsError::not_loaded("no credentials provider is configured");
        return Err(errors::explain_credentials(none, s));
    };
    let load_timeout = s.timeout.unwrap_or(crate::settings::DEFAULT_TIMEOUT);
    let loaded = runtime.block_on(async {
        tokio::time::timeout(load_timeout, provider.provide_credentials()).await
    });
    let credentials = match loaded {
        Err(_elapsed) => return Err(errors::credentials_timeout(s)),
        Ok(Err(e)) => return Err(errors::explain_credentials(e, s)),
        Ok(Ok(credentials)) => credentials,
    };
    if credentials.expiry().is_some_and(|at| at <= now) {
        return Err(errors::credentials_expired());
    }
    let mut timeouts = config
        .timeout_config()
        .cloned()
        .unwrap_or_else(TimeoutConfig::disabled)
        .to_builder();
    timeouts.set_operation_timeout(Some(s.timeout.unwrap_or(IAM_CALL_TIMEOUT)));
    let config = config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .timeout_config(timeouts.build())
        .build();
    Ok(LongTermKeys::from_conf(&config))
}

/// Region, endpoint overrides, retries and timeouts, and the default credential chain,
/// as every AWS SDK reads them (with `--profile`: that profile's).
async fn load_config(s: &Settings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &s.profile {
        loader = loader.profile_name(profile);
    }
    loader.load().await
}

/// With `--profile`, that profile's credentials even if `AWS_ACCESS_KEY_ID` is set (the
/// default chain would take the environment's first); otherwise the default chain.
fn credentials_provider(config: &SdkConfig, s: &Settings) -> Option<SharedCredentialsProvider> {
    match &s.profile {
        Some(profile) => Some(SharedCredentialsProvider::new(
            ProfileFileCredentialsProvider::builder()
                .configure(&ProviderConfig::default().with_region(config.region().cloned()))
                .profile_name(profile)
                .build(),
        )),
        None => config.credentials_provider(),
    }
}

/// What a command was about, for the additions to the library's messages.
#[derive(Clone, Copy, Debug)]
struct About<'a> {
    command: &'static str,
    user: Option<&'a str>,
    id: Option<&'a str>,
    create_user: bool,
}

impl<'a> About<'a> {
    fn new(command: &'static str, user: Option<&'a str>) -> Self {
        Self {
            command,
            user,
            id: None,
            create_user: false,
        }
    }

    fn key(command: &'static str, key: &'a KeyRef) -> Self {
        Self {
            id: Some(&key.id),
            ..Self::new(command, Some(&key.user_name))
        }
    }
}

async fn execute(
    keys: &LongTermKeys,
    command: LongTermCommand,
    s: &Settings,
) -> Result<Status, Failure> {
    match command {
        LongTermCommand::Create(args) => {
            let about = About {
                create_user: args.create_user,
                ..About::new("create", Some(&args.user_name))
            };
            let mut request = CreateKeyRequest::new(&args.user_name, args.days)
                .service(args.service)
                .create_user(args.create_user);
            for arn in &args.policy_arns {
                request = request.policy_arn(arn);
            }
            let created = keys
                .create(&request)
                .await
                .map_err(|e| explain(&e, s, about))?;
            print_created(&created, args.format, &args.user_name, None)?;
        }
        LongTermCommand::List(args) => {
            let about = About::new("list", args.user_name.as_deref());
            let listed = keys
                .list_service(args.service, args.user_name.as_deref())
                .await
                .map_err(|e| explain(&e, s, about))?;
            output::print(&match args.format {
                ListFormat::Table => table(&listed),
                ListFormat::Json => {
                    let array: Vec<_> = listed.iter().map(|m| key_json(m, None)).collect();
                    format!("{}\n", serde_json::Value::from(array))
                }
            })?;
        }
        LongTermCommand::Activate(key) => {
            keys.activate(&key.user_name, &key.id)
                .await
                .map_err(|e| explain(&e, s, About::key("activate", &key)))?;
            confirm("activated", &key);
        }
        LongTermCommand::Deactivate(key) => {
            keys.deactivate(&key.user_name, &key.id)
                .await
                .map_err(|e| explain(&e, s, About::key("deactivate", &key)))?;
            confirm("deactivated", &key);
        }
        LongTermCommand::Reset(args) => {
            let key = &args.key;
            let created = keys
                .reset(&key.user_name, &key.id)
                .await
                .map_err(|e| explain(&e, s, About::key("reset", key)))?;
            print_created(&created, args.format, &key.user_name, Some(&key.id))?;
        }
        LongTermCommand::Delete(key) => {
            keys.delete(&key.user_name, &key.id)
                .await
                .map_err(|e| explain(&e, s, About::key("delete", &key)))?;
            confirm("deleted", &key);
        }
        LongTermCommand::Audit(_) | LongTermCommand::Revoke(_) => {
            unreachable!("run handles audit and revoke")
        }
    }
    Ok(Status::Ok)
}

/// `bedrock-token: deactivated long-term key ACCA... of IAM user alice` on stderr.
fn confirm(done: &str, key: &KeyRef) {
    output::note(&format!(
        "{done} long-term key {} of IAM user {}",
        key.id, key.user_name
    ));
}

/// The one place key text is printed: stdout, alone or in its JSON object. `reset_id`:
/// the key reset (`None` for one just created).
///
/// IAM never shows the key again, so a failed write (a closed pipe included) is an I/O
/// error that names the key and says how to get rid of it: it exists, and nobody has it.
fn print_created(
    created: &CreatedKey,
    format: KeyFormat,
    user: &str,
    reset_id: Option<&str>,
) -> Result<(), Failure> {
    let key = created.key.as_str();
    let written = match format {
        KeyFormat::Token => output::print_line_strict(key),
        KeyFormat::Json => {
            output::print_line_strict(&key_json(&created.metadata, Some(key)).to_string())
        }
    };
    let Err(e) = written else {
        return Ok(());
    };
    // IAM's id goes into a command to copy: only if it has a key id's shape.
    let id = reset_id.or(created.metadata.id.as_deref()).filter(|id| {
        (16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    let (named, key_ref) = match id {
        Some(id) => (format!(" {id}"), id),
        None => (String::new(), "ID"),
    };
    let delete = format!(
        "deactivate or delete it (`bedrock-token long-term delete --user-name {user} --id \
         {key_ref}`)"
    );
    let mut message = match reset_id {
        None => format!(
            "the long-term key{named} of IAM user {user} was created, but writing it to stdout \
             failed ({e}): nobody has seen it, and IAM will not show it again; {delete}, then \
             create another"
        ),
        Some(_) => format!(
            "the long-term key{named} of IAM user {user} was reset, but writing its new text to \
             stdout failed ({e}): its old text no longer works and nobody has seen the new one; \
             reset it again (`bedrock-token long-term reset --user-name {user} --id {key_ref}`), \
             or {delete}"
        ),
    };
    if id.is_none() {
        message.push_str(&format!(
            " (IAM's answer had no usable key id: find it with `bedrock-token long-term list \
             --user-name {user}`)"
        ));
    }
    Err(Failure::new(Status::Io, message))
}

/// A key's JSON object, in the documented key order; `key` only for `create` and `reset`.
/// A field IAM's answer did not have is `null`.
fn key_json(m: &KeyMetadata, key: Option<&str>) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    if let Some(key) = key {
        object.insert("key".into(), key.into());
    }
    object.insert("id".into(), m.id.as_deref().into());
    object.insert("service".into(), m.service.map(|s| s.name()).into());
    object.insert("user_name".into(), m.user_name.as_deref().into());
    object.insert("alias".into(), m.alias.as_deref().into());
    object.insert(
        "status".into(),
        m.status.as_ref().map(KeyStatus::as_str).into(),
    );
    object.insert(
        "created_at".into(),
        m.created_at.map(rfc3339_clamped).into(),
    );
    object.insert(
        "expires_at".into(),
        m.expires_at.map(rfc3339_clamped).into(),
    );
    object.into()
}

/// The keys as aligned columns under a header (the header alone if there are none).
/// Every cell is printable ASCII, with no key text; a field IAM's answer did not have is
/// `-`.
fn table(keys: &[KeyMetadata]) -> String {
    let header = [
        "ID",
        "SERVICE",
        "USER NAME",
        "ALIAS",
        "STATUS",
        "CREATED AT",
        "EXPIRES AT",
    ]
    .map(String::from);
    let missing = || "-".to_owned();
    let rows: Vec<[String; 7]> = std::iter::once(header)
        .chain(keys.iter().map(|m| {
            [
                m.id.as_deref().map_or_else(missing, cell),
                m.service.map_or_else(missing, |s| s.name().to_owned()),
                m.user_name.as_deref().map_or_else(missing, cell),
                m.alias.as_deref().map_or_else(missing, cell),
                m.status
                    .as_ref()
                    .map_or_else(missing, |status| cell(status.as_str())),
                m.created_at.map_or_else(missing, rfc3339_clamped),
                m.expires_at.map_or_else(|| "never".into(), rfc3339_clamped),
            ]
        }))
        .collect();
    aligned(&rows)
}

/// Rows as text in aligned columns two spaces apart (header first), each line without
/// trailing blanks.
fn aligned<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A table cell from IAM's answer: printable ASCII, and key-like text (which a list
/// answer should never hold) redacted as on stderr.
fn cell(s: &str) -> String {
    printable(&redact(s))
}

/// An IAM failure in the command's terms, with its exit status: the library's message,
/// and what the command line adds, chosen by the error's kind and fields and by what the
/// command was about (never by reading the message).
fn explain(e: &Error, s: &Settings, about: About<'_>) -> Failure {
    let usage = matches!(
        e.kind(),
        ErrorKind::InvalidKeyAge | ErrorKind::InvalidArgument | ErrorKind::UnsupportedService
    );
    // A bad value: the flag that gave it first (`--user-name: invalid IAM user name ...`).
    let mut message = match e.input() {
        Some(input) if usage => format!("{}: {e}", flag(input)),
        _ => e.to_string(),
    };
    let mut add = |more: &str| {
        message.push_str("; ");
        message.push_str(more);
    };
    let list = about
        .user
        .map(|user| format!("`bedrock-token long-term list --user-name {user}`"));
    // What the command line adds; the status is the kind's (report.rs).
    match e.kind() {
        ErrorKind::UnsupportedService => add("pick another service"),
        ErrorKind::NotFound => {
            if about.command == "create" && !about.create_user {
                add("pass --create-user to create the user along with the key");
            } else if let (Some(_), Some(list)) = (about.id, &list) {
                add(&format!("see {list}"));
            }
        }
        ErrorKind::AlreadyExists => {
            add("leave out --create-user to add a key to the existing user")
        }
        ErrorKind::LimitExceeded => {
            if let (Some(user), Some(list)) = (about.user, &list) {
                add(&format!(
                    "see {list}, then `bedrock-token long-term delete --user-name {user} --id ID` \
                     (or `reset` instead of `delete`)"
                ));
            }
        }
        ErrorKind::InvalidCredentials | ErrorKind::CredentialsExpired => {
            add(&format!(
                "the credentials came from {}",
                credential_source(s)
            ));
            if e.kind() == ErrorKind::CredentialsExpired {
                add("for SSO run `aws sso login`, for a role get new temporary credentials");
            }
        }
        ErrorKind::IamTimeout => add(&format!(
            "each IAM call may take {}: check the network and the IAM endpoint, or raise \
             --timeout",
            human(s.timeout.unwrap_or(IAM_CALL_TIMEOUT))
        )),
        _ => {}
    }
    let status = Status::from(e.kind());
    if e.may_have_issued_key() {
        match (about.command, about.user, about.id) {
            ("reset", Some(user), Some(id)) => add(&format!(
                "to get key text you can use, run `bedrock-token long-term reset --user-name \
                 {user} --id {id}` again"
            )),
            _ => {
                if let Some(list) = &list {
                    add(&format!("to list them: {list}"));
                }
            }
        }
    }
    Failure::new(status, message)
}

/// The flag that supplies `input` of a long-term key call.
fn flag(input: Input) -> &'static str {
    match input {
        Input::UserName => "--user-name",
        Input::KeyId => "--id",
        Input::KeyAge => "--days",
        Input::PolicyArn => "--policy-arn",
        Input::Service => "--service",
        _ => "bedrock-token long-term",
    }
}

/// Where the credentials in use came from, for messages about rejected ones.
fn credential_source(s: &Settings) -> String {
    match (s.selected_profile(), &s.env.access_key_id) {
        (Some((name, "--profile")), _) => format!("profile {} (--profile)", quoted(name)),
        (_, Some(_)) => "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".to_owned(),
        (Some((name, source)), None) => format!("profile {} ({source})", quoted(name)),
        (None, None) => format!(
            "the default credential chain (profile \"default\" in {})",
            s.files()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_checked_without_echoing() {
        assert_eq!(parse_days("1"), Ok(1));
        assert_eq!(parse_days("36600"), Ok(36_600));
        for bad in ["0", "36601", "-1", "", "7d", "1.5", "99999999999"] {
            let e = parse_days(bad).unwrap_err();
            assert!(e.contains("1 to 36600"), "{bad}: {e}");
        }
        assert!(!parse_days("12345678901234")
            .unwrap_err()
            .contains("1234567890"));
    }
}
