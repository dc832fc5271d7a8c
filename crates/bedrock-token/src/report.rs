//! How a run ends: the exit statuses (one table, from which `--help` is rendered and which
//! a test compares with docs/cli.md), the one-line failure for stderr, and usage errors
//! built from what clap parsed ([`clap::Error::kind`] and its context), never from its
//! rendered text.

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::output;
use crate::redact::{self, looks_like_key};

/// The exit statuses: the status as shown and what it means, in the order `--help` and
/// docs/cli.md list them. [`Status::code`] gives every status here.
pub(crate) const EXIT_STATUSES: &[(&str, &str)] = &[
    (
        "0",
        "success; inspect: the token is valid (or is a long-term key)",
    ),
    (
        "1",
        "inspect: the token has expired or is not yet valid; long-term audit: findings",
    ),
    ("2", "inspect, long-term revoke: not a valid API key"),
    (
        "64",
        "usage: unknown flag, bad flag value, no token to inspect",
    ),
    (
        "65",
        "long-term revoke: the key's alias matches more than one credential",
    ),
    (
        "67",
        "long-term: the IAM user or key does not exist; revoke: no matching credential",
    ),
    (
        "69",
        "the credential source failed or timed out, or STS gave an unusable answer; long-term: \
         IAM failed or timed out",
    ),
    (
        "70",
        "internal error (a bug, or a dependency that panicked)",
    ),
    (
        "73",
        "long-term: not created: the user already has two keys, or already exists",
    ),
    (
        "74",
        "I/O error reading stdin, a --session-policy file, or writing stdout (a closed pipe is \
         not an error)",
    ),
    (
        "77",
        "access denied (IAM for long-term, STS for --role-arn)",
    ),
    (
        "78",
        "AWS configuration: no region, no credentials, bad region, unknown profile, unreadable \
         config file, malformed endpoint setting (AWS_ENDPOINT_URL*), expired or refused \
         credentials",
    ),
    (
        "N",
        "exec: the command's status; 128+N if signal N ended it; 126 cannot run it; 127 not \
         found; proxy: 128+N if a second signal N stopped it",
    ),
];

/// The width `--help`'s exit-status lines are wrapped to.
const HELP_WIDTH: usize = 88;

/// The top-level `--help` epilogue: `examples`, then the exit statuses from
/// [`EXIT_STATUSES`], then where credentials come from.
pub(crate) fn after_help(examples: &str) -> String {
    format!(
        "{examples}\n\nExit status:\n{}\n{CREDENTIALS}",
        exit_status_lines()
    )
}

const CREDENTIALS: &str = "\
Credentials and region come from the standard AWS chains (environment variables,
~/.aws/config and ~/.aws/credentials, SSO, credential_process, container and instance
metadata). The token is a bearer credential: do not share or log it.";

/// [`EXIT_STATUSES`] as `--help` shows them: the status in a column of its own, the
/// meaning wrapped under itself.
fn exit_status_lines() -> String {
    const INDENT: &str = "      ";
    let mut out = String::new();
    for (code, meaning) in EXIT_STATUSES {
        let mut line = format!("  {code:<4}");
        for word in meaning.split(' ') {
            if line.len() + 1 + word.len() > HELP_WIDTH && line.trim().len() > code.len() {
                out.push_str(line.trim_end());
                out.push('\n');
                line = INDENT.to_owned();
            } else if !line.ends_with(' ') {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Success; `inspect`: the key is valid.
    Ok,
    /// `inspect`: the token has expired or is not yet valid.
    NotValidNow,
    /// `long-term audit`: at least one key has a finding.
    Findings,
    /// `long-term revoke`: the key's alias matches more than one credential
    /// (`EX_DATAERR`).
    Ambiguous,
    /// `inspect`: not a valid Bedrock API key.
    InvalidKey,
    /// Bad command line (sysexits `EX_USAGE`).
    Usage,
    /// `long-term`: the IAM user or key does not exist (`EX_NOUSER`).
    NotFound,
    /// The credential source failed or timed out (`EX_UNAVAILABLE`).
    Unavailable,
    /// A bug or an unexpected failure (`EX_SOFTWARE`).
    Internal,
    /// `long-term`: IAM would not create it: two keys already, or the user exists
    /// (`EX_CANTCREAT`).
    CannotCreate,
    /// Reading stdin or writing stdout failed (`EX_IOERR`).
    Io,
    /// `long-term`: IAM denied the call (`EX_NOPERM`).
    NoPermission,
    /// Missing or invalid AWS configuration (`EX_CONFIG`).
    Config,
    /// `exec`: the command's own status (or 128 + the signal that ended it).
    Exited(u8),
}

impl Status {
    /// The process exit status.
    pub(crate) fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::NotValidNow | Status::Findings => 1,
            Status::InvalidKey => 2,
            Status::Usage => 64,
            Status::Ambiguous => 65,
            Status::NotFound => 67,
            Status::Unavailable => 69,
            Status::Internal => 70,
            Status::CannotCreate => 73,
            Status::Io => 74,
            Status::NoPermission => 77,
            Status::Config => 78,
            Status::Exited(code) => code,
        }
    }
}

/// A failed run: its exit status and the one-line message for stderr.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: Status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

/// The one mapping from a core error's kind to its exit status. A bad value the command
/// line gave is a usage error instead (the callers know where a value came from).
impl From<aws_bedrock_token_generator::ErrorKind> for Status {
    fn from(kind: aws_bedrock_token_generator::ErrorKind) -> Self {
        use aws_bedrock_token_generator::ErrorKind as K;
        match kind {
            K::InvalidExpiry | K::UnsupportedService => Status::Usage,
            K::NoRegion
            | K::InvalidRegion
            | K::NoCredentials
            | K::InvalidCredentials
            | K::CredentialsExpired
            | K::InvalidCredentialSource
            | K::InvalidEndpoint
            | K::InvalidConfig => Status::Config,
            K::CredentialsProvider | K::CredentialsTimeout => Status::Unavailable,
            K::AccessDenied => Status::NoPermission,
            K::InvalidToken => Status::InvalidKey,
            _ => Status::Internal,
        }
    }
}

/// The one mapping from a long-term key error's kind to its exit status.
impl From<aws_bedrock_token_long_term::ErrorKind> for Status {
    fn from(kind: aws_bedrock_token_long_term::ErrorKind) -> Self {
        use aws_bedrock_token_long_term::ErrorKind as K;
        match kind {
            K::InvalidKeyAge | K::InvalidArgument | K::UnsupportedService => Status::Usage,
            K::NotFound => Status::NotFound,
            K::AlreadyExists | K::LimitExceeded => Status::CannotCreate,
            K::AccessDenied => Status::NoPermission,
            K::InvalidCredentials | K::CredentialsExpired | K::InvalidEndpoint => Status::Config,
            K::Iam | K::IamTimeout => Status::Unavailable,
            K::InvalidToken => Status::InvalidKey,
            _ => Status::Internal,
        }
    }
}

/// The one mapping from a gateway error's kind to its exit status.
impl From<aws_bedrock_token_gateway::ErrorKind> for Status {
    fn from(kind: aws_bedrock_token_gateway::ErrorKind) -> Self {
        use aws_bedrock_token_gateway::ErrorKind as K;
        match kind {
            K::InvalidConfig | K::NotLoopback => Status::Usage,
            K::InvalidClientKey => Status::Config,
            K::Io => Status::Io,
            _ => Status::Internal,
        }
    }
}

/// `--help` and `--version` go to stdout; anything else clap rejects is a usage error,
/// told in one line built from the error's kind and context, with the (sub)command whose
/// help to see. Either way an argument that looks like a key is refused first, unseen
/// (`redact::screen_refused`). `command` is the built command `args` were parsed with.
pub(crate) fn clap_outcome(
    e: &clap::Error,
    args: &[std::ffi::OsString],
    command: &clap::Command,
) -> Result<Status, Failure> {
    // What clap can make of the arguments despite the error: the subcommands named, and
    // the values it placed (for screening).
    let mut lenient_command = lenient(command.clone());
    lenient_command.build();
    let lenient = lenient_command.try_get_matches_from(args).ok();
    redact::screen_refused(e, args, lenient.as_ref(), command)?;
    if !e.use_stderr() {
        output::print(&e.render().to_string())?;
        return Ok(Status::Ok);
    }
    let path = lenient
        .as_ref()
        .map(redact::subcommand_path)
        .unwrap_or_default();
    let command = std::iter::once("bedrock-token")
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    Err(Failure::new(
        Status::Usage,
        format!("{} (see {command} --help)", usage_message(e)),
    ))
}

/// `command` with clap's `ignore_errors` set at every level (it does not propagate), so
/// that it parses what it can of a command line it would refuse.
fn lenient(command: clap::Command) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    names
        .into_iter()
        .fold(command.ignore_errors(true), |c, name| {
            c.mut_subcommand(name, lenient)
        })
}

/// One value of `e`'s context, redacted if it looks like a key.
fn shown(e: &clap::Error, kind: ContextKind) -> Option<String> {
    let value = match e.get(kind)? {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.join(", "),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        ContextValue::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(if looks_like_key(&value) {
        "(a value that looks like an AWS API key, not shown)".to_owned()
    } else {
        output::printable(&value)
    })
}

/// What was wrong with the command line, from the kind of `e` and its context.
fn usage_message(e: &clap::Error) -> String {
    let arg = shown(e, ContextKind::InvalidArg);
    let value = shown(e, ContextKind::InvalidValue);
    let mut message = match (e.kind(), &arg, &value) {
        (ErrorKind::UnknownArgument, Some(arg), _) => format!("unexpected argument '{arg}' found"),
        (ErrorKind::InvalidSubcommand, _, _) => format!(
            "unrecognized subcommand '{}'",
            shown(e, ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        (ErrorKind::InvalidValue | ErrorKind::ValueValidation, Some(arg), Some(value)) => {
            let mut m = if value.is_empty() {
                format!("a value is required for '{arg}' but none was supplied")
            } else {
                format!("invalid value '{value}' for '{arg}'")
            };
            // A value parser's own reason, in this command's words (it may name the value;
            // every line on stderr is redacted before it is written).
            if let Some(reason) = std::error::Error::source(e) {
                m.push_str(&format!(": {}", output::printable(&reason.to_string())));
            }
            m
        }
        (ErrorKind::MissingRequiredArgument, Some(arg), _) => format!(
            "the following required arguments were not provided: {}",
            arg.replace(", ", " ")
        ),
        (ErrorKind::ArgumentConflict, Some(arg), _) => match shown(e, ContextKind::PriorArg) {
            Some(prior) => format!("the argument '{arg}' cannot be used with '{prior}'"),
            None => format!("the argument '{arg}' cannot be used here"),
        },
        (ErrorKind::NoEquals, Some(arg), _) => {
            format!("equal sign is needed when assigning values to '{arg}'")
        }
        (
            ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues,
            Some(arg),
            _,
        ) => format!("wrong number of values for '{arg}'"),
        (
            ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand,
            ..,
        ) => "a subcommand is required".to_owned(),
        (ErrorKind::InvalidUtf8, ..) => {
            "invalid UTF-8 was detected in one or more arguments".to_owned()
        }
        _ => "invalid command line".to_owned(),
    };
    if let Some(valid) = shown(e, ContextKind::ValidValue).filter(|v| !v.is_empty()) {
        message.push_str(&format!("; possible values: {valid}"));
    }
    for (kind, what) in [
        (ContextKind::SuggestedArg, "a similar argument exists"),
        (
            ContextKind::SuggestedSubcommand,
            "a similar subcommand exists",
        ),
        (ContextKind::SuggestedValue, "a similar value exists"),
    ] {
        if let Some(tip) = shown(e, kind) {
            message.push_str(&format!("; tip: {what}: '{tip}'"));
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    fn usage(args: &[&str]) -> Failure {
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        match crate::parse(&args) {
            Err(Err(failure)) => failure,
            _ => panic!("{args:?} parsed"),
        }
    }

    #[test]
    fn clap_errors_are_one_line_from_their_kind() {
        let f = usage(&["bedrock-token", "--regoin", "x"]);
        assert_eq!(f.status, Status::Usage);
        assert_eq!(
            f.message,
            "unexpected argument '--regoin' found; tip: a similar argument exists: '--region' \
             (see bedrock-token --help)"
        );
        assert_eq!(
            usage(&["bedrock-token", "long-term", "reset", "--user-name", "a"]).message,
            "the following required arguments were not provided: --id <ID> \
             (see bedrock-token long-term reset --help)"
        );
        let f = usage(&["bedrock-token", "--format", "yaml"]);
        assert!(
            f.message
                .starts_with("invalid value 'yaml' for '--format <FORMAT>'; possible values: "),
            "{}",
            f.message
        );
        assert!(
            f.message.ends_with("(see bedrock-token --help)"),
            "{}",
            f.message
        );
        let f = usage(&[
            "bedrock-token",
            "long-term",
            "create",
            "--days",
            "0",
            "--user-name",
            "a",
        ]);
        assert!(f.message.contains("'--days <N>'"), "{}", f.message);
        assert!(
            f.message
                .ends_with("(see bedrock-token long-term create --help)"),
            "{}",
            f.message
        );
        assert!(!f.message.contains('\n'));
    }

    #[test]
    fn every_status_is_in_the_table_and_help_shows_the_table() {
        let codes: Vec<&str> = EXIT_STATUSES.iter().map(|(c, _)| *c).collect();
        for status in [
            Status::Ok,
            Status::NotValidNow,
            Status::Findings,
            Status::InvalidKey,
            Status::Usage,
            Status::Ambiguous,
            Status::NotFound,
            Status::Unavailable,
            Status::Internal,
            Status::CannotCreate,
            Status::Io,
            Status::NoPermission,
            Status::Config,
        ] {
            assert!(
                codes.contains(&status.code().to_string().as_str()),
                "{status:?}"
            );
        }
        assert!(codes.contains(&"N"), "exec's own statuses");
        let help = crate::Cli::command().render_long_help().to_string();
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let help = words(&help);
        for (code, meaning) in EXIT_STATUSES {
            let row = words(&format!("{code} {meaning}"));
            assert!(help.contains(&row), "--help lacks the row {row:?}");
        }
    }

    /// The exit statuses a subcommand's own `--help` lists (in its words) are statuses of
    /// the one table: no subcommand documents a status the command does not have.
    #[test]
    fn subcommand_help_lists_only_statuses_of_the_table() {
        fn walk(command: &clap::Command, path: &str, seen: &mut usize) {
            if let Some(help) = command.get_after_help() {
                let help = help.to_string();
                if let Some((_, table)) = help.split_once("Exit status:\n") {
                    for line in table.lines().take_while(|l| l.starts_with("  ")) {
                        let code = line.split_whitespace().next().unwrap_or_default();
                        if code.chars().all(|c| c.is_ascii_digit()) {
                            *seen += 1;
                            assert!(
                                EXIT_STATUSES.iter().any(|(c, _)| *c == code),
                                "{path}: status {code} is not in the table"
                            );
                        }
                    }
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), seen);
            }
        }
        let mut seen = 0;
        walk(&crate::Cli::command(), "bedrock-token", &mut seen);
        assert!(seen > 20, "only {seen} statuses found in subcommand help");
    }

    /// docs/cli.md's exit-status table holds exactly the rows of [`EXIT_STATUSES`], in
    /// order (backticks aside).
    #[test]
    fn the_docs_table_is_the_same_table() {
        let docs = include_str!("../../../docs/cli.md");
        let start = docs
            .find("<!-- exit-status table")
            .expect("docs/cli.md has the marked exit-status table");
        let end = docs[start..]
            .find("<!-- /exit-status table -->")
            .expect("the table's end marker")
            + start;
        let rows: Vec<(String, String)> = docs[start..end]
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| status"))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split(" | ").collect();
                (cells[0].trim().to_owned(), cells[1].trim().replace('`', ""))
            })
            .collect();
        let expected: Vec<(String, String)> = EXIT_STATUSES
            .iter()
            .map(|(c, m)| ((*c).to_owned(), (*m).to_owned()))
            .collect();
        assert_eq!(rows, expected);
    }
}
