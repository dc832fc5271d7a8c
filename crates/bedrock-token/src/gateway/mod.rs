//! `bedrock-token proxy` and `bedrock-token exec`: keys that never expire under tools
//! that read a key once, through the library's refreshing gateway (`gateway` feature).
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | the flags of both commands, and what they share: the provider kept fresh, the upstream, logging |
//! | `proxy.rs` | `proxy`: serve until SIGTERM/SIGINT |
//! | `exec.rs` | `exec`: run a command with a key, or with a gateway of its own |

mod exec;
mod proxy;
mod reaper;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use aws_bedrock_token_generator::{BedrockToken, KeepFresh, TokenProvider};

use crate::settings::Settings;
use crate::{errors, mint, Failure, SourceArgs, Status};

pub(crate) use exec::run as exec;
pub(crate) use proxy::run as proxy;

/// `bedrock-token proxy`.
#[derive(clap::Args, Debug)]
pub(crate) struct ProxyArgs {
    /// Where to listen: a loopback address and port (port 0: any free port)
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    // The help names URLs, which rustdoc would want as links in a doc comment.
    #[arg(
        long,
        value_name = "URL",
        help = "Where to forward [default: https://bedrock-runtime.REGION.amazonaws.com]; \
                http:// only for a loopback host"
    )]
    upstream: Option<String>,
    #[arg(
        long,
        value_name = "URL",
        help = "Where Bedrock control-plane reads go (GET /inference-profiles…, \
                /foundation-models…, which Claude Code sends first) [default: \
                https://bedrock.REGION.amazonaws.com for --service bedrock without \
                --upstream; else the upstream]"
    )]
    control_plane: Option<String>,
    /// The client key local programs must present (Authorization: Bearer, or x-api-key);
    /// created with a random key if missing; must be private to the user (0600)
    #[arg(long, value_name = "FILE")]
    client_key_file: PathBuf,
    /// Serve HTTPS with a certificate made for this run (localhost, 127.0.0.1, ::1)
    #[arg(long)]
    tls: bool,
    /// With --tls: write the run's certificate authority (PEM, no private key) to FILE,
    /// for clients to trust (replaced if it exists; never through a symbolic link)
    #[arg(long, value_name = "FILE", requires = "tls")]
    tls_cert_out: Option<PathBuf>,
    /// Serve on N threads, each with its own upstream connections [default: one per
    /// processor, at most 4]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
    #[command(flatten)]
    source: SourceArgs,
}

/// `bedrock-token exec`.
#[derive(clap::Args, Debug)]
pub(crate) struct ExecArgs {
    /// Give the command a gateway of its own (HTTPS on loopback, a client key for this run)
    /// instead of a key: the command never holds a real key
    #[arg(long)]
    proxy: bool,
    /// With --proxy: where the gateway forwards [default: the region's Bedrock Runtime]
    #[arg(long, value_name = "URL", requires = "proxy")]
    upstream: Option<String>,
    /// With --proxy: where Bedrock control-plane reads go (GET /inference-profiles…,
    /// /foundation-models…) [default: the region's Bedrock endpoint without --upstream;
    /// else the upstream]
    #[arg(long, value_name = "URL", requires = "proxy")]
    control_plane: Option<String>,
    /// With --proxy: write the gateway's log (one line per request, key loads, refused
    /// connections; never a key) to FILE, or to standard error with `-`; its level from
    /// RUST_LOG [default: no log, so nothing mixes into the command's output]
    #[arg(long, value_name = "FILE", requires = "proxy")]
    log: Option<PathBuf>,
    /// Leave the AWS credential variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_SESSION_TOKEN, the container and web-identity ones) in the command's
    /// environment [default: removed; other services' key variables are removed always]
    #[arg(long)]
    keep_credentials: bool,
    #[command(flatten)]
    source: SourceArgs,
    /// The command to run and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

/// A provider for `source`, with its first key loaded (so that broken credentials fail
/// the command at once, with the usual message and status) and kept fresh in the
/// background on the current runtime.
async fn fresh_provider(
    settings: &Settings,
) -> Result<(TokenProvider, KeepFresh, BedrockToken), Failure> {
    let provider = mint::provider(settings)?;
    let token = provider
        .token()
        .await
        .map_err(|e| errors::explain(&e, settings))?;
    let keep = provider
        .keep_fresh()
        .map_err(|e| errors::explain(&e, settings))?;
    Ok((provider, keep, token))
}

/// The upstream: `--upstream`, else the token's region's Bedrock Runtime endpoint.
fn upstream(given: Option<&str>, key: &BedrockToken) -> String {
    given.map_or_else(
        || {
            // Every service with short-term keys has its runtime endpoint in the table.
            key.service()
                .runtime_url(key.region().as_ref())
                .unwrap_or_default()
        },
        str::to_owned,
    )
}

/// Where Bedrock control-plane reads go: `--control-plane`; else, for Bedrock without
/// `--upstream`, the key's region's control-plane endpoint (from the service table; only
/// Bedrock has one); else nowhere apart
/// (the upstream takes them, as every other path).
fn control_plane(
    given: Option<&str>,
    upstream: Option<&str>,
    key: &BedrockToken,
) -> Option<String> {
    match (given, upstream, key.service()) {
        (Some(url), _, _) => Some(url.to_owned()),
        (None, None, service) => service.control_plane_url(key.region().as_ref()),
        _ => None,
    }
}

/// Descriptors kept apart from connections: the listener, logs, files, the runtime's.
const RESERVED_DESCRIPTORS: u64 = 64;
/// The open files the library's default limits need on [`MAX_GATEWAY_THREADS`] threads
/// (per keyed connection its own and an upstream connection per thread, one per keyless
/// one, the reserve), asked for when raising the soft limit.
const WANTED_DESCRIPTORS: u64 =
    (1 + MAX_GATEWAY_THREADS as u64) * 1024 + 256 + RESERVED_DESCRIPTORS;

/// How many files the gateway may keep open. `raise` (for `proxy`) lifts the soft limit
/// towards [`WANTED_DESCRIPTORS`] (at most the hard limit; where the system refuses that,
/// as macOS does above its `OPEN_MAX` with an unlimited hard limit, to 10240); `exec` keeps
/// it, since its command would inherit a raised one. `None` where the limit cannot be read
/// (not Unix).
fn descriptor_limit(raise: bool) -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let limit = getrlimit(Resource::Nofile);
        let current = limit.current.unwrap_or(u64::MAX);
        if raise && current < WANTED_DESCRIPTORS {
            let hard = limit.maximum.unwrap_or(u64::MAX);
            for wanted in [WANTED_DESCRIPTORS.min(hard), 10_240.min(hard)] {
                let raised = Rlimit {
                    current: Some(wanted),
                    maximum: limit.maximum,
                };
                if wanted > current && setrlimit(Resource::Nofile, raised).is_ok() {
                    return Some(wanted);
                }
            }
        }
        Some(current)
    }
    #[cfg(not(unix))]
    {
        let _ = raise;
        None
    }
}

/// The gateway's connection limits (with the client key, without it) that fit in
/// `descriptors` open files on `threads` threads: a keyed connection may take its socket
/// and, on each thread, an upstream connection (each thread keeps its own, up to the
/// keyed limit), a keyless one one, and [`RESERVED_DESCRIPTORS`] are kept apart. Never
/// above the library's defaults.
fn connection_limits(descriptors: u64, threads: usize) -> (usize, usize) {
    use aws_bedrock_token_gateway::{DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_UNPROVEN_CONNECTIONS};
    let free =
        usize::try_from(descriptors.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
    let keyless = (free / 8).clamp(1, DEFAULT_MAX_UNPROVEN_CONNECTIONS);
    let keyed =
        (free.saturating_sub(keyless) / (1 + threads.max(1))).clamp(1, DEFAULT_MAX_CONNECTIONS);
    (keyed, keyless)
}

/// `builder` with connection limits that fit the process's open-file limit.
fn sized(
    builder: aws_bedrock_token_gateway::Builder,
    raise: bool,
    threads: usize,
) -> aws_bedrock_token_gateway::Builder {
    let builder = builder.threads(threads);
    match descriptor_limit(raise) {
        Some(descriptors) => {
            let (keyed, keyless) = connection_limits(descriptors, threads);
            builder
                .max_connections(keyed)
                .max_unproven_connections(keyless)
        }
        None => builder,
    }
}

/// Ends abandoned `credential_process` commands for the rest of the run (see
/// [`reaper`]).
fn reaping(settings: &Settings) -> reaper::Reaping {
    reaper::Reaping::start(settings.timeout.unwrap_or(crate::settings::DEFAULT_TIMEOUT))
}

/// The most threads a gateway serves on: it is a local proxy for one user's tools.
const MAX_GATEWAY_THREADS: usize = 4;

/// The gateway's threads: one per processor, at most [`MAX_GATEWAY_THREADS`].
fn gateway_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_GATEWAY_THREADS))
}

/// The runtime for the signals, the child of `exec` and the provider's refreshes (the
/// command's one-thread runtime); the gateway serves on threads of its own
/// ([`gateway_threads`]).
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    crate::runtime()
}

/// Request lines and provider events to stderr, filtered by `RUST_LOG` (default
/// `info`), without colours. Neither ever holds a key. Other crates' events (aws-config's,
/// the AWS SDK's, hyper's) are never written, whatever `RUST_LOG` says: they carry
/// foreign error text and, at the finer levels, requests with their headers.
fn init_logging() {
    init_logging_to(tracing_subscriber::fmt::writer::BoxMakeWriter::new(
        std::io::stderr,
    ));
}

/// [`init_logging`] to `writer`.
fn init_logging_to(writer: tracing_subscriber::fmt::writer::BoxMakeWriter) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .with_target(false)
        .finish()
        .with(tracing_subscriber::filter::filter_fn(|meta| {
            is_ours(meta.target())
        }))
        .try_init();
}

/// `exec --log`: the gateway's log to `path` (appended to; created private to the user;
/// a symbolic link as its last component is refused), or to standard error for `-`.
fn log_to(path: &std::path::Path) -> Result<(), Failure> {
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    if path.as_os_str() == "-" {
        init_logging();
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let file = options
        .open(path)
        .map_err(|e| cannot_write("--log", path, &e))?;
    init_logging_to(BoxMakeWriter::new(std::sync::Mutex::new(file)));
    Ok(())
}

/// A file a flag names could not be written.
fn cannot_write(flag: &str, path: &std::path::Path, e: &std::io::Error) -> Failure {
    // ELOOP: O_NOFOLLOW met a symbolic link.
    #[cfg(unix)]
    let link = e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error());
    #[cfg(not(unix))]
    let link = false;
    let why = if link {
        "it is a symbolic link".to_owned()
    } else {
        e.kind().to_string()
    };
    Failure::new(
        Status::Io,
        format!(
            "{flag}: cannot write {}: {why}",
            crate::output::quoted(&path.to_string_lossy())
        ),
    )
}

/// Writes `text` to `path`, replacing what it held; a symbolic link there is refused
/// rather than followed (`--tls-cert-out`).
fn write_no_follow(flag: &str, path: &std::path::Path, text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options
            .mode(0o644)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    options
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| cannot_write(flag, path, &e))
}

/// Whether an event's target is this crate's: the library's modules or the gateway's and
/// the command's own (`bedrock_token::…`).
fn is_ours(target: &str) -> bool {
    ["aws_bedrock_token_generator", "bedrock_token"]
        .iter()
        .any(|ours| {
            target
                .strip_prefix(ours)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

/// Keeps other unprivileged processes of this user (the command `exec` runs, above all)
/// from reading this one's memory or `/proc/PID/environ`, where the AWS credentials and
/// the real key are. Best effort: where the system does not allow it, nothing changes;
/// and a process running as root or with `CAP_SYS_PTRACE` can read them regardless.
fn not_dumpable() {
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

/// The flag a bind error is about (`--listen` when the library names no input).
fn bind_flag(e: &aws_bedrock_token_gateway::Error) -> &'static str {
    use aws_bedrock_token_gateway::Input;
    match e.input() {
        Some(Input::Upstream) => "--upstream",
        Some(Input::ClientKey) => "--client-key-file",
        _ => "--listen",
    }
}

/// A gateway error (bind, serve, TLS, client key file) in the command's terms.
fn explain(e: &aws_bedrock_token_gateway::Error, what: &str) -> Failure {
    Failure::new(Status::from(e.kind()), format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_bedrock_token_generator::{generate_service_token, Service};
    use aws_credential_types::Credentials;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn only_this_crates_events_are_written() {
        for ours in [
            "bedrock_token",
            "bedrock_token::gateway",
            "aws_bedrock_token_generator::provider",
        ] {
            assert!(is_ours(ours), "{ours}");
        }
        for foreign in [
            "aws_config::profile",
            "aws_smithy_runtime::client::orchestrator",
            "hyper_util::client::legacy::pool",
            "h2::codec",
            "bedrock_tokenizer",
            "aws_bedrock_token_generator_extra",
        ] {
            assert!(!is_ours(foreign), "{foreign}");
        }
    }

    fn info(service: Service) -> BedrockToken {
        let creds = Credentials::new("AKIDEXAMPLE", "SECRET", None, None, "test");
        let now = UNIX_EPOCH + Duration::from_secs(1_718_452_800);
        generate_service_token(service, &creds, "eu-west-1", Duration::from_secs(60), now).unwrap()
    }

    #[test]
    fn the_default_upstream_is_the_services_endpoint_in_the_keys_region() {
        assert_eq!(
            upstream(None, &info(Service::Bedrock)),
            "https://bedrock-runtime.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            upstream(None, &info(Service::ClaudePlatform)),
            "https://aws-external-anthropic.eu-west-1.api.aws"
        );
        assert_eq!(
            upstream(None, &info(Service::SageMaker)),
            "https://runtime.sagemaker.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            upstream(Some("https://example.test"), &info(Service::ClaudePlatform)),
            "https://example.test"
        );
    }

    #[test]
    fn connection_limits_fit_the_descriptors() {
        // The usual soft limit on two threads: both kinds fit, a keyed connection's own
        // descriptor and an upstream one per thread.
        let (keyed, keyless) = connection_limits(1024, 2);
        assert_eq!((keyed, keyless), (280, 120));
        assert!(3 * keyed + keyless + 64 <= 1024);
        // Enough, on the most threads: the library's defaults.
        assert_eq!(
            connection_limits(WANTED_DESCRIPTORS, MAX_GATEWAY_THREADS),
            (1024, 256)
        );
        assert_eq!(connection_limits(1 << 20, 1), (1024, 256));
        // Next to nothing: still one of each.
        assert_eq!(connection_limits(10, 4), (1, 1));
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_raised_towards_the_hard_one() {
        let before = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        let raised = descriptor_limit(true).unwrap();
        let after = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(after.current.unwrap_or(u64::MAX), raised);
        assert_eq!(after.maximum, before.maximum);
        let (current, hard) = (
            before.current.unwrap_or(u64::MAX),
            before.maximum.unwrap_or(u64::MAX),
        );
        // Enough for the default limits where the hard limit allows, never lowered.
        assert!(raised >= current);
        assert!(raised >= WANTED_DESCRIPTORS.min(hard));
    }

    #[test]
    fn the_control_plane_is_bedrocks_own_without_an_upstream() {
        assert_eq!(
            control_plane(None, None, &info(Service::Bedrock)).as_deref(),
            Some("https://bedrock.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            control_plane(None, Some("http://127.0.0.1:9"), &info(Service::Bedrock)),
            None
        );
        assert_eq!(
            control_plane(None, None, &info(Service::ClaudePlatform)),
            None
        );
        assert_eq!(
            control_plane(
                Some("http://127.0.0.1:8"),
                Some("http://127.0.0.1:9"),
                &info(Service::Bedrock)
            )
            .as_deref(),
            Some("http://127.0.0.1:8")
        );
    }
}
