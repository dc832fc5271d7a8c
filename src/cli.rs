//! The `bedrock-token` command (feature `cli`).
//!
//! Not a stable library API: it exists so the binary in `src/bin` stays a one-liner
//! and the command's pieces can be unit-tested.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::{SystemTimeSource, TimeSource};
use clap::{Parser, Subcommand, ValueEnum};

use crate::inspect::rfc3339;
use crate::{Region, TokenInfo, TokenProvider};

const EXAMPLES: &str = "\
Examples:
  bedrock-token                                   print a 12-hour token
  bedrock-token --region us-west-2 --expiry 1h    a 1-hour token for us-west-2
  bedrock-token --profile dev --format json       token, expires_at and region as JSON
  eval \"$(bedrock-token --format export)\"         set AWS_BEARER_TOKEN_BEDROCK in this shell
  bedrock-token inspect                           check $AWS_BEARER_TOKEN_BEDROCK
  pbpaste | bedrock-token inspect -               check a token read from stdin

Credentials and region come from the standard AWS chains (environment variables,
~/.aws/config and ~/.aws/credentials, SSO, credential_process, container and instance
metadata). The token is a bearer credential: do not share or log it.";

/// Mint and inspect short-term Amazon Bedrock API keys.
#[derive(Parser, Debug)]
#[command(name = "bedrock-token", version, after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    mint: MintArgs,
}

#[derive(clap::Args, Debug)]
struct MintArgs {
    /// AWS region for the token [default: AWS_REGION, then the profile's region]
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Named profile from ~/.aws/config [default: AWS_PROFILE, then `default`]
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// How long the token is valid, up to 12h: seconds, or with a unit (90s, 15m, 1h, 12h)
    #[arg(long, value_name = "DURATION", default_value = "12h", value_parser = parse_expiry)]
    expiry: Duration,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Token)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// The token alone
    Token,
    /// `export AWS_BEARER_TOKEN_BEDROCK='…'`, for eval in a POSIX shell
    Export,
    /// `{"token", "expires_at", "region"}`
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show a token's region, access key id, signing time and time left.
    /// Exit status: 0 valid, 1 expired, 2 not a valid token.
    Inspect {
        /// The token, or `-` to read it from stdin [default: $AWS_BEARER_TOKEN_BEDROCK]
        #[arg(value_name = "TOKEN|-")]
        token: Option<String>,
    },
}

/// Runs the command with the process's arguments and environment.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let now = SystemTimeSource::new().now();
    match cli.command {
        Some(Command::Inspect { token }) => inspect(token, now),
        None => mint(cli.mint),
    }
}

fn mint(args: MintArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let mut builder = TokenProvider::builder().expiry(args.expiry);
    if let Some(region) = args.region {
        builder = builder.region(Region::new(region));
    }
    if let Some(profile) = args.profile {
        builder = builder.profile_name(profile);
    }
    let token = match builder.build() {
        Ok(provider) => runtime.block_on(provider.token()),
        Err(e) => Err(e),
    };
    let token = match token {
        Ok(token) => token,
        Err(e) => return fail(&error_chain(&e)),
    };
    let text = token.as_str();
    let line = match args.format {
        Format::Token => text.to_owned(),
        Format::Export => format!("export AWS_BEARER_TOKEN_BEDROCK={}", shell_quote(text)),
        Format::Json => {
            let region = TokenInfo::parse(text)
                .map(|i| i.region().to_owned())
                .unwrap_or_default();
            // Every value is from a JSON-safe alphabet: base64, an RFC 3339 time, a region name.
            format!(
                r#"{{"token":"{text}","expires_at":"{}","region":"{region}"}}"#,
                rfc3339(token.expires_at())
            )
        }
    };
    print_line(&line)
}

fn inspect(token: Option<String>, now: SystemTime) -> ExitCode {
    let token = match token.as_deref() {
        Some("-") => {
            let mut input = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut input) {
                return invalid(&format!("cannot read the token from stdin: {e}"));
            }
            input
        }
        Some(token) => token.to_owned(),
        None => match std::env::var("AWS_BEARER_TOKEN_BEDROCK") {
            Ok(token) => token,
            Err(_) => {
                return invalid(
                    "no token given: pass it as an argument, `-` to read stdin, \
                     or set AWS_BEARER_TOKEN_BEDROCK",
                )
            }
        },
    };
    let info = match TokenInfo::parse(&token) {
        Ok(info) => info,
        Err(e) => return invalid(&e.to_string()),
    };
    let expired = info.is_expired_at(now);
    let out = describe(&info, now);
    match print_line(out.trim_end()) {
        code if code != ExitCode::SUCCESS => code,
        _ if expired => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// The human-readable report of `inspect`. Never contains the signature or session token.
fn describe(info: &TokenInfo, now: SystemTime) -> String {
    let status = match info.expires_at().duration_since(now) {
        Ok(left) if !left.is_zero() => format!("valid, expires in {}", human(left)),
        _ => format!(
            "EXPIRED {} ago",
            human(now.duration_since(info.expires_at()).unwrap_or_default())
        ),
    };
    let mut out = format!("Bedrock API key: {status}\n");
    let _ = writeln!(out, "  region:         {}", info.region());
    let _ = writeln!(out, "  access key id:  {}", info.access_key_id());
    let _ = writeln!(out, "  signed at:      {}", rfc3339(info.signed_at()));
    let _ = writeln!(
        out,
        "  expires at:     {} (requested expiry {})",
        rfc3339(info.expires_at()),
        human(info.expiry())
    );
    let _ = writeln!(
        out,
        "  session token:  {}",
        if info.has_session_token() {
            "yes (temporary credentials: the key stops working when they expire, which may be sooner)"
        } else {
            "no (long-term access key)"
        }
    );
    out
}

/// `1h 2m 3s`, leaving out zero parts.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

/// `900`, `900s`, `15m`, `1h`, `12h`. The range (1 s to 12 h) is checked here too, so the
/// message names the flag.
fn parse_expiry(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let unit_secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "unknown unit {unit:?}: use seconds (900), or 90s, 15m, 1h, 12h"
            ))
        }
    };
    let n: u64 = digits.parse().map_err(|_| {
        "expected a whole number with an optional unit, such as 900, 15m or 1h".to_owned()
    })?;
    let secs = n.saturating_mul(unit_secs);
    if !(1..=43_200).contains(&secs) {
        return Err("the expiry must be from 1s to 12h".to_owned());
    }
    Ok(Duration::from_secs(secs))
}

/// Single-quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The error and its causes on one line (multi-line causes are joined with `; `).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_line(line: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write to stdout: {e}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("bedrock-token: error: {message}");
    ExitCode::from(1)
}

fn invalid(message: &str) -> ExitCode {
    eprintln!("bedrock-token: error: {message}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_forms() {
        let d = |s| parse_expiry(s).unwrap().as_secs();
        assert_eq!(
            (d("900"), d("900s"), d("15m"), d("1h"), d("12h")),
            (900, 900, 900, 3600, 43200)
        );
        for bad in [
            "0",
            "0s",
            "13h",
            "43201",
            "1d",
            "-5",
            "1.5h",
            "",
            "h",
            "99999999999999999999h",
        ] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_secs(0)), "0s");
        assert_eq!(human(Duration::from_secs(3725)), "1h 2m 5s");
        assert_eq!(human(Duration::from_secs(43200)), "12h");
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(
            shell_quote("bedrock-api-key-YQ=="),
            "'bedrock-api-key-YQ=='"
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
