//! `bedrock-token`: mint and inspect short-term Amazon Bedrock API keys, and manage
//! long-term ones.
//! Build with `cargo install --path crates/bedrock-token` (package `bedrock-token`).
//!
//! `main.rs` holds the command line (clap) and the dispatch; `report` the exit statuses
//! and usage errors; each subcommand family and each concern has its own module.
#![forbid(unsafe_code)]

mod cache;
mod clock;
mod errors;
mod gateway;
mod inspect;
mod long_term;
mod mint;
mod output;
mod redact;
mod report;
mod settings;

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use aws_bedrock_token_generator::{KeyKind, Service};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
pub(crate) use report::{Failure, Status};

const EXAMPLES: &str = "\
Examples:
  bedrock-token                                   print a 12-hour token
  bedrock-token --region us-west-2 --expiry 1h    a 1-hour token for us-west-2
  bedrock-token --cache                           reuse the token of an earlier run
  bedrock-token --role-arn ARN --allow-model ID   a key scoped to one model (assumed role)
  bedrock-token --profile dev --format json       token, expires_at, region and service as JSON
  bedrock-token --service claude-platform         a key for Claude Platform on AWS
  bedrock-token --service sagemaker               a key for Amazon SageMaker AI endpoints
  eval \"$(bedrock-token --format export)\"         set AWS_BEARER_TOKEN_BEDROCK in this shell
  bedrock-token inspect                           check $AWS_BEARER_TOKEN_BEDROCK
  pbpaste | bedrock-token inspect -               check a token read from stdin
  bedrock-token long-term list --user-name NAME   long-term keys (see long-term --help)
  bedrock-token long-term audit                   what is wrong with every long-term key
  pbpaste | bedrock-token long-term revoke -      cut off a leaked key from its text

Credentials and region come from the standard AWS chains (environment variables,
~/.aws/config and ~/.aws/credentials, SSO, credential_process, container and instance
metadata). The token is a bearer credential: do not share or log it.";

/// Mint and inspect short-term Amazon Bedrock API keys; manage long-term ones.
#[derive(Parser, Debug)]
#[command(name = "bedrock-token", version, after_help = report::after_help(EXAMPLES), args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    mint: MintArgs,
    /// Print a shell completion script or the man page, and exit
    #[arg(long, value_name = "KIND", value_enum, exclusive = true)]
    generate: Option<Generate>,
}

/// What `--generate` prints.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Generate {
    /// Completions for bash (source it, or put it in bash-completion's directory)
    CompleteBash,
    /// Completions for zsh (put it in a directory on $fpath as `_bedrock-token`)
    CompleteZsh,
    /// Completions for fish (put it in ~/.config/fish/completions/bedrock-token.fish)
    CompleteFish,
    /// Completions for PowerShell (dot-source it from your profile)
    CompletePowershell,
    /// The man page, roff (`bedrock-token --generate man | man -l -`)
    Man,
}

/// The flags of the default command, which prints a token.
#[derive(clap::Args, Debug)]
pub(crate) struct MintArgs {
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Token)]
    pub(crate) format: Format,
    /// Reuse the token an earlier run minted with the same settings
    ///
    /// Reused while at least half its lifetime and at least 5 minutes are left; otherwise a
    /// new token is minted and stored, in $XDG_CACHE_HOME/bedrock-token (default
    /// ~/.cache/bedrock-token), private to the user.
    #[arg(long)]
    pub(crate) cache: bool,
}

/// What a key is minted from, and how: the flags shared by every command that mints
/// (the default command, `proxy`, `exec`).
#[derive(clap::Args, Debug)]
pub(crate) struct SourceArgs {
    /// The service the key is for: bedrock, claude-platform (Claude Platform on AWS; also
    /// accepted: aws-external-anthropic) or sagemaker (Amazon SageMaker AI)
    #[arg(long, value_name = "NAME", default_value = "bedrock", value_parser = parse_short_term_service)]
    pub(crate) service: Service,
    /// AWS region for the token [default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region]
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// Named profile from ~/.aws/config [default: AWS_PROFILE, then `default`]
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// How long the token is valid, up to 12h: seconds, or with a unit (90s, 15m, 1h, 12h)
    /// [default: 12h; with --role-arn, the role session's length]
    #[arg(long, value_name = "DURATION", value_parser = clock::parse_expiry)]
    pub(crate) expiry: Option<Duration>,
    /// Assume this IAM role and mint from the role session (a scoped key)
    #[arg(long, value_name = "ARN")]
    pub(crate) role_arn: Option<String>,
    /// Session name for --role-arn [default: bedrock-token-UNIXTIME, the current Unix time]
    #[arg(long, value_name = "NAME", requires = "role_arn")]
    pub(crate) role_session_name: Option<String>,
    /// With --role-arn: allow inference on this model or inference profile only (repeatable)
    #[arg(
        long,
        value_name = "ID",
        requires = "role_arn",
        conflicts_with = "session_policy"
    )]
    pub(crate) allow_model: Vec<String>,
    /// With --role-arn: a session policy document (JSON) read from FILE
    #[arg(long, value_name = "FILE", requires = "role_arn")]
    pub(crate) session_policy: Option<std::path::PathBuf>,
    /// Give up loading credentials after this long, 1s to 1h (same syntax as --expiry) [default: 5s]
    #[arg(long, value_name = "DURATION", value_parser = clock::parse_timeout)]
    pub(crate) timeout: Option<Duration>,
}

/// A `--service` that has short-term keys.
fn parse_short_term_service(name: &str) -> Result<Service, String> {
    let service: Service = name
        .parse()
        .map_err(|e: aws_bedrock_token_generator::Error| e.to_string())?;
    if service.supports(KeyKind::ShortTerm) {
        Ok(service)
    } else {
        Err(format!(
            "{service} has no short-term API keys; use `bedrock-token long-term create --service {}`",
            service.name()
        ))
    }
}

/// How the token is printed.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Format {
    /// The token alone
    Token,
    /// `export AWS_BEARER_TOKEN_BEDROCK='…'` (for Claude Platform on AWS,
    /// `ANTHROPIC_AWS_API_KEY`; for SageMaker AI, `AWS_BEARER_TOKEN_SAGEMAKER`), for eval
    /// in a POSIX shell
    Export,
    /// `{"token", "expires_at", "region", "service"}`
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show a token's region, access key id, signing time and time left.
    /// Exit status: 0 valid, 1 expired or not yet valid, 2 not a valid Bedrock API key.
    Inspect {
        /// The token, or `-` to read it from stdin [default: $AWS_BEARER_TOKEN_BEDROCK]
        #[arg(value_name = "TOKEN|-")]
        token: Option<String>,
    },
    /// Create, list, activate, deactivate, reset and delete long-term keys (IAM); audit
    /// them, and revoke a leaked key from its text.
    #[command(after_help = long_term::AFTER_HELP, arg_required_else_help = false)]
    LongTerm(long_term::LongTermArgs),
    /// Serve a local gateway that forwards requests with a key it keeps fresh.
    /// Prints the URL it serves; stops on SIGTERM or SIGINT.
    #[command(after_help = PROXY_HELP)]
    Proxy(gateway::ProxyArgs),
    /// Run a command with a fresh key in its environment, or (--proxy) with a gateway of
    /// its own; exits with the command's status.
    #[command(after_help = EXEC_HELP)]
    Exec(gateway::ExecArgs),
}

const PROXY_HELP: &str = "\
Examples:
  bedrock-token proxy --listen 127.0.0.1:8787 --client-key-file ~/.config/bedrock-token/client-key
  bedrock-token proxy --client-key-file key --tls --tls-cert-out gateway.pem --role-arn ARN

Clients send the client key (Authorization: Bearer KEY, or x-api-key: KEY); the gateway
replaces it with a real key before forwarding. It listens on loopback only, refuses
requests with a foreign Host or an Origin, and never logs keys. GET
/.bedrock-token/health tells whether it holds a valid key (no client key needed).
Logging: RUST_LOG (default info), on stderr.

Exit status: 0 once stopped by SIGTERM or SIGINT (requests in flight finish first);
128+N if a second signal N stopped it at once; otherwise bedrock-token's own statuses.";

const EXEC_HELP: &str = "\
Examples:
  bedrock-token exec -- python agent.py             AWS_BEARER_TOKEN_BEDROCK set
  bedrock-token exec --proxy -- claude              a gateway; the command holds no real key

With --proxy the command's environment has AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
ANTHROPIC_BEDROCK_BASE_URL and BEDROCK_TOKEN_PROXY_URL set to the gateway (HTTPS on
loopback), AWS_BEARER_TOKEN_BEDROCK set to a client key valid for this run only, and
AWS_CA_BUNDLE, SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE (and
NODE_EXTRA_CA_CERTS) set so that clients trust the gateway's per-run certificate
authority. The gateway writes no log unless --log FILE (or --log - for standard error).

AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (and every other variable
of the AWS credential chains: the container, web-identity and role ones) are removed
unless --keep-credentials; every other service's key variable (and AWS_BEARER_TOKEN) is
removed always. The command, running as you, can still read ~/.aws.

Exit status: the command's; 128+N if signal N ended it; 126 cannot run it; 127 not
found; otherwise bedrock-token's own statuses.";

/// The async runtime for one command's network calls: one thread is plenty for one call
/// at a time; the I/O driver serves HTTP, the time driver the timeouts.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                Status::Internal,
                format!("cannot start the async runtime: {e}"),
            )
        })
}

fn main() -> ExitCode {
    // A panic's message may quote what a dependency held (a request, an answer): never
    // printed. The panic is caught below and told as an internal error.
    std::panic::set_hook(Box::new(|_| {}));
    let args = std::env::args_os().collect();
    let outcome = std::panic::catch_unwind(|| run(args)).unwrap_or_else(|_| {
        Err(Failure::new(
            Status::Internal,
            "internal error: bedrock-token or one of its dependencies panicked; please report \
             it with the command line you used (no detail is shown: it may hold credentials)",
        ))
    });
    let status = outcome.unwrap_or_else(|failure| {
        output::error(&failure.message);
        failure.status
    });
    ExitCode::from(status.code())
}

fn run(args: Vec<OsString>) -> Result<Status, Failure> {
    let cli = match parse(&args) {
        Ok(cli) => cli,
        Err(outcome) => return outcome,
    };
    if let Some(kind) = cli.generate {
        return generate(kind);
    }
    let now = clock::now();
    match cli.command {
        Some(Command::Inspect { token }) => inspect::run(token, now),
        Some(Command::LongTerm(args)) => long_term::run(args, now),
        Some(Command::Proxy(args)) => gateway::proxy(args),
        Some(Command::Exec(args)) => gateway::exec(args),
        None => mint::run(&cli.mint, now),
    }
}

/// The command line, parsed by clap, then screened for keys on what clap parsed; or how
/// the run ends instead (help, version, a usage error).
fn parse(args: &[OsString]) -> Result<Cli, Result<Status, Failure>> {
    let mut command = Cli::command();
    // With the global flags of subcommand families in place in their subcommands.
    command.build();
    let matches = command
        .clone()
        .try_get_matches_from(args)
        .map_err(|e| report::clap_outcome(&e, args, &command))?;
    redact::screen(&matches, &command).map_err(Err)?;
    Cli::from_arg_matches(&matches).map_err(|e| report::clap_outcome(&e, args, &command))
}

/// `--generate KIND`: completions or the man page, from the same definitions as the
/// parser, on standard output.
fn generate(kind: Generate) -> Result<Status, Failure> {
    let mut text = Vec::new();
    render(kind, &mut text).map_err(|e| {
        Failure::new(
            Status::Internal,
            format!("--generate: rendering failed: {}", e.kind()),
        )
    })?;
    output::print(&String::from_utf8_lossy(&text))?;
    Ok(Status::Ok)
}

/// Writes what `kind` generates to `out`.
fn render(kind: Generate, out: &mut Vec<u8>) -> std::io::Result<()> {
    use clap_complete::Shell;
    let mut command = Cli::command();
    let shell = match kind {
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::CompletePowershell => Shell::PowerShell,
        Generate::Man => return man_page(&command, out),
    };
    clap_complete::generate(shell, &mut command, "bedrock-token", out);
    Ok(())
}

/// The man page: the command's own page, then a section per subcommand (at every
/// level: `long-term create` too) with its synopsis, description and options.
fn man_page(command: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    fn subcommands(parent: &clap::Command, path: &str, out: &mut Vec<u8>) -> std::io::Result<()> {
        for sub in parent.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = format!("{path} {}", sub.get_name());
            let page = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
            out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
            page.render_synopsis_section(out)?;
            page.render_description_section(out)?;
            page.render_options_section(out)?;
            subcommands(sub, &name, out)?;
        }
        Ok(())
    }
    let mut command = command.clone();
    command.build();
    clap_mangen::Man::new(command.clone()).render(out)?;
    subcommands(&command, "bedrock-token", out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every subcommand (at every level) and every long flag is in each completion
    /// script and in the man page.
    #[test]
    fn generated_files_cover_every_subcommand_and_flag() {
        fn walk(command: &clap::Command, path: &str, names: &mut Vec<(String, Vec<String>)>) {
            let flags = command
                .get_arguments()
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect();
            names.push((path.to_owned(), flags));
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, &format!("{path} {}", sub.get_name()), names);
            }
        }
        let mut command = Cli::command();
        command.build();
        let mut names = Vec::new();
        walk(&command, "bedrock-token", &mut names);
        assert!(names.len() > 10, "{names:?}");
        for kind in [
            Generate::CompleteBash,
            Generate::CompleteZsh,
            Generate::CompleteFish,
            Generate::CompletePowershell,
            Generate::Man,
        ] {
            let mut text = Vec::new();
            render(kind, &mut text).unwrap();
            let text = String::from_utf8(text).unwrap();
            // roff escapes hyphens in the man page.
            let plain = text.replace("\\-", "-");
            for (path, flags) in &names {
                let last = path.rsplit(' ').next().unwrap();
                assert!(plain.contains(last), "{kind:?}: no {path}");
                if matches!(kind, Generate::Man) {
                    assert!(
                        plain.contains(&path.to_uppercase()),
                        "{kind:?}: no section {path}"
                    );
                }
                for flag in flags {
                    // fish names long flags `-l NAME`.
                    let written = match kind {
                        Generate::CompleteFish => format!("-l {}", &flag[2..]),
                        _ => flag.clone(),
                    };
                    assert!(plain.contains(&written), "{kind:?}: {path} {flag}");
                }
            }
        }
    }
}
