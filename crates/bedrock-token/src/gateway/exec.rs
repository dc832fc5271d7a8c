//! `bedrock-token exec [--proxy] … -- CMD [ARGS…]`: runs a command with a key, or with a
//! gateway of its own, and exits with the command's status.
//!
//! - Without `--proxy`: the command gets a fresh key in `AWS_BEARER_TOKEN_BEDROCK`.
//! - With `--proxy`: a gateway serves HTTPS on an ephemeral loopback port, with a
//!   certificate made for this run and a random client key; the command's environment
//!   points the common clients at it (see [`GATEWAY_URL_VARS`]) and trusts the certificate
//!   through a CA bundle (the system roots plus it) in a private temporary directory,
//!   removed when the run ends. The command never receives a real key.
//!
//! Either way every service's key variable other than the one set is removed from the
//! command's environment, and so are the AWS credentials and what leads to them
//! ([`CREDENTIAL_VARS`]) unless `--keep-credentials`. SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to
//! `bedrock-token` are passed on to the command; SIGINT and SIGQUIT are not (the terminal
//! sends them to the command itself), and do not end `bedrock-token` before it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use aws_bedrock_token_gateway::{ClientKey, Gateway, TlsIdentity};

use super::{control_plane, explain, fresh_provider, runtime, upstream, ExecArgs};
use crate::settings::Settings;
use crate::{errors, mint, Failure, Status};

/// The credential variables removed from the command's environment unless
/// `--keep-credentials`: every variable the AWS SDKs' default credential chains read a
/// credential, or the way to one, from (environment, container, web identity).
const CREDENTIAL_VARS: [&str; 12] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
];

/// The generic bearer key variable the AWS SDKs read besides each service's own.
const GENERIC_KEY_VAR: &str = "AWS_BEARER_TOKEN";

/// The key variables of every service (and the SDKs' generic one), removed from the
/// command's environment always: the command gets its key (or client key) in the
/// selected service's variable, set after, and no other, so that an exported real key
/// never reaches it.
fn key_vars() -> impl Iterator<Item = &'static str> {
    aws_bedrock_token_generator::Service::ALL
        .iter()
        .filter_map(|service| service.key_variable())
        .chain([GENERIC_KEY_VAR])
}

/// Set to the gateway's URL with `--proxy`: what the AWS SDKs (boto3 included) and the
/// Anthropic SDK's Bedrock client (and Claude Code) read, and one for everything else.
const GATEWAY_URL_VARS: [&str; 3] = [
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "ANTHROPIC_BEDROCK_BASE_URL",
    "BEDROCK_TOKEN_PROXY_URL",
];

/// Set to the CA bundle (system roots and the run's certificate authority) with
/// `--proxy`: the AWS SDKs and CLI, OpenSSL (Python's `ssl`, so httpx and the Anthropic
/// and OpenAI SDKs), requests, and curl.
const CA_BUNDLE_VARS: [&str; 4] = [
    "AWS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
];

/// Set to the gateway's URL with `--proxy --service claude-platform`: what the Anthropic
/// SDK's Claude Platform on AWS client reads, and one for everything else.
const CLAUDE_PLATFORM_URL_VARS: [&str; 2] = ["ANTHROPIC_AWS_BASE_URL", "BEDROCK_TOKEN_PROXY_URL"];

/// The key variable: what the service's clients read (`AWS_BEARER_TOKEN_BEDROCK` for
/// Bedrock, `ANTHROPIC_AWS_API_KEY` for Claude Platform on AWS).
fn key_var(settings: &Settings) -> &'static str {
    settings
        .service
        .key_variable()
        .unwrap_or("AWS_BEARER_TOKEN_BEDROCK")
}

/// The variables that get the gateway's URL.
fn url_vars(settings: &Settings) -> &'static [&'static str] {
    match settings.service {
        aws_bedrock_token_generator::Service::ClaudePlatform => &CLAUDE_PLATFORM_URL_VARS,
        aws_bedrock_token_generator::Service::SageMaker => &["BEDROCK_TOKEN_PROXY_URL"],
        _ => &GATEWAY_URL_VARS,
    }
}

/// With `--proxy --service sagemaker --upstream URL` (one endpoint's runtime URL,
/// `…/endpoints/NAME`): what the OpenAI SDKs read their base URL from, the gateway's
/// OpenAI-compatible path. Without `--upstream` the gateway serves every endpoint of the
/// region, and clients name theirs in the path (`$BEDROCK_TOKEN_PROXY_URL/endpoints/NAME/
/// openai/v1`): no base URL fits them all.
const SAGEMAKER_OPENAI_BASE_VAR: &str = "OPENAI_BASE_URL";
/// With `--proxy --service sagemaker`: where the OpenAI SDKs read their key, set to the
/// client key (harmless anywhere else). Never a real key: with no base URL, they send it
/// to OpenAI.
const SAGEMAKER_OPENAI_KEY_VAR: &str = "OPENAI_API_KEY";

/// Runs `exec`.
pub(crate) fn run(args: ExecArgs) -> Result<Status, Failure> {
    let settings = Settings::new(&args.source)?;
    super::not_dumpable();
    if let Some(path) = &args.log {
        super::log_to(path)?;
    }
    let runtime = runtime()?;
    runtime.block_on(async {
        let reaping = super::reaping(&settings);
        let mut env: Vec<(&str, OsString)> = Vec::new();
        let mut removed: Vec<&str> = key_vars().collect();
        if !args.keep_credentials {
            removed.extend(CREDENTIAL_VARS);
        }
        if !args.proxy {
            let provider = mint::provider(&settings)?;
            let token = provider
                .token()
                .await
                .map_err(|e| errors::explain(&e, &settings))?;
            env.push((key_var(&settings), token.as_str().into()));
            return spawn_and_wait(&args.command, &env, &removed, &reaping).await;
        }
        let (provider, _keep_fresh, info) = fresh_provider(&settings).await?;
        let client_key = ClientKey::generate();
        let identity = TlsIdentity::generate_localhost().map_err(|e| explain(&e, "--proxy"))?;
        let files = PrivateDir::create()?;
        let bundle = files.write(
            "ca-bundle.pem",
            &identity
                .ca_bundle_pem()
                .map_err(|e| explain(&e, "--proxy"))?,
        )?;
        let cert = files.write("gateway-ca.pem", identity.cert_pem())?;
        let client_key_text = OsString::from(client_key.as_str());
        env.push((key_var(&settings), client_key_text.clone()));
        let threads = super::gateway_threads();
        let mut builder = super::sized(Gateway::builder(provider, client_key), false, threads)
            .upstream(&upstream(args.upstream.as_deref(), &info));
        if let Some(url) = control_plane(
            args.control_plane.as_deref(),
            args.upstream.as_deref(),
            &info,
        ) {
            builder = builder.control_plane(&url);
        }
        let gateway = builder
            .tls(identity)
            .bind(([127, 0, 0, 1], 0).into())
            .await
            .map_err(|e| explain(&e, super::bind_flag(&e)))?;
        let url = gateway.url();
        env.extend(
            url_vars(&settings)
                .iter()
                .map(|&var| (var, OsString::from(&url))),
        );
        if settings.service == aws_bedrock_token_generator::Service::SageMaker {
            // The client key alone, never a real one, goes where the OpenAI SDKs look.
            env.push((SAGEMAKER_OPENAI_KEY_VAR, client_key_text.clone()));
            if args.upstream.is_some() {
                env.push((SAGEMAKER_OPENAI_BASE_VAR, format!("{url}/openai/v1").into()));
            }
        }
        env.extend(CA_BUNDLE_VARS.map(|var| (var, bundle.clone().into_os_string())));
        env.push(("NODE_EXTRA_CA_CERTS", cert.into_os_string()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(gateway.serve(async {
            let _ = stopped.await;
        }));
        let status = spawn_and_wait(&args.command, &env, &removed, &reaping).await;
        let _ = stop.send(());
        let _ = serving.await;
        drop(files);
        status
    })
}

/// Runs `command` with `env` set and `removed` unset, passing signals on; its exit
/// status, or 128 + the signal that ended it; 127 if it cannot be found, 126 if it
/// cannot be run.
async fn spawn_and_wait(
    command: &[OsString],
    env: &[(&str, OsString)],
    removed: &[&str],
    reaping: &super::reaper::Reaping,
) -> Result<Status, Failure> {
    let (program, rest) = command
        .split_first()
        .ok_or_else(|| Failure::new(Status::Usage, "exec: no command given after `--`"))?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest);
    for var in removed {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    let shown = crate::output::quoted(&program.to_string_lossy());
    // Listening before the command starts: a signal sent as soon as it runs is passed on,
    // rather than ending this process (and leaving the command behind).
    let forwarder = signals::Forwarder::install().map_err(|e| {
        Failure::new(
            Status::Internal,
            format!("exec: cannot listen for signals: {}", e.kind()),
        )
    })?;
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failure::new(
            Status::Exited(127),
            format!("exec: command {shown} not found"),
        ),
        _ => Failure::new(
            Status::Exited(126),
            format!("exec: cannot run {shown}: {}", spawn_problem(&e)),
        ),
    })?;
    reaping.spare(child.id());
    let status = forwarder.until_exit(&mut child).await.map_err(|e| {
        Failure::new(
            Status::Internal,
            format!("exec: waiting for the command failed: {}", e.kind()),
        )
    })?;
    Ok(Status::Exited(exit_code(status)))
}

/// Why a command could not be started, in words (the kind alone says "uncategorized
/// error" for a file that is not a program).
fn spawn_problem(e: &std::io::Error) -> String {
    #[cfg(unix)]
    if e.raw_os_error() == Some(rustix::io::Errno::NOEXEC.raw_os_error()) {
        return "it is not a program this system can run (a script without a #! line, or \
                built for another system)"
            .to_owned();
    }
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        return "permission denied (is it executable?)".to_owned();
    }
    e.kind().to_string()
}

/// The status a shell would report for `status`.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return 128u8.saturating_add(u8::try_from(signal).unwrap_or(127));
        }
    }
    status
        .code()
        .map_or(1, |code| u8::try_from(code & 0xff).unwrap_or(1))
}

#[cfg(unix)]
mod signals {
    use rustix::process::{kill_process, Pid, Signal};
    use tokio::signal::unix::{signal, SignalKind};
    use tokio::sync::mpsc::UnboundedReceiver;

    /// The signals this process listens for, and which of them it passes on.
    pub(super) struct Forwarder {
        rx: UnboundedReceiver<Option<Signal>>,
        listeners: Vec<tokio::task::JoinHandle<()>>,
    }

    impl Forwarder {
        /// Starts listening. SIGINT and SIGQUIT come from the terminal to the whole
        /// process group, the command included: passed on again, one Ctrl-C would reach
        /// it twice. Listening for them keeps them from ending this process first.
        pub(super) fn install() -> std::io::Result<Self> {
            let kinds = [
                (SignalKind::interrupt(), None),
                (SignalKind::quit(), None),
                (SignalKind::terminate(), Some(Signal::TERM)),
                (SignalKind::hangup(), Some(Signal::HUP)),
                (SignalKind::user_defined1(), Some(Signal::USR1)),
                (SignalKind::user_defined2(), Some(Signal::USR2)),
            ];
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let mut listeners = Vec::new();
            for (kind, sig) in kinds {
                let mut stream = signal(kind)?;
                let tx = tx.clone();
                listeners.push(tokio::spawn(async move {
                    while stream.recv().await.is_some() {
                        if tx.send(sig).is_err() {
                            return;
                        }
                    }
                }));
            }
            Ok(Self { rx, listeners })
        }

        /// Waits for `child`, sending it every signal to pass on.
        pub(super) async fn until_exit(
            mut self,
            child: &mut tokio::process::Child,
        ) -> std::io::Result<std::process::ExitStatus> {
            let pid = child.id().and_then(|id| Pid::from_raw(id as i32));
            let status = loop {
                tokio::select! {
                    status = child.wait() => break status,
                    Some(sig) = self.rx.recv() => {
                        if let (Some(pid), Some(sig)) = (pid, sig) {
                            let _ = kill_process(pid, sig);
                        }
                    }
                }
            };
            for listener in self.listeners {
                listener.abort();
            }
            status
        }
    }
}

#[cfg(not(unix))]
mod signals {
    pub(super) struct Forwarder;

    impl Forwarder {
        pub(super) fn install() -> std::io::Result<Self> {
            Ok(Self)
        }

        pub(super) async fn until_exit(
            self,
            child: &mut tokio::process::Child,
        ) -> std::io::Result<std::process::ExitStatus> {
            child.wait().await
        }
    }
}

/// A directory only this user can enter, removed (with its files) when dropped. It holds
/// a lock on its `lock` file while the run lasts (the system releases it however the
/// process ends): a later run removes the directory of one killed without a chance to
/// clean up once it can take that lock.
struct PrivateDir(PathBuf, #[allow(dead_code)] Option<std::fs::File>);

/// The start of a [`PrivateDir`]'s name, before the process id and a random part.
const PRIVATE_DIR_PREFIX: &str = "bedrock-token-";
/// The file a [`PrivateDir`]'s run keeps locked.
const LOCK_FILE: &str = "lock";

impl PrivateDir {
    fn create() -> Result<Self, Failure> {
        remove_abandoned(&std::env::temp_dir());
        let dir = std::env::temp_dir().join(format!(
            "{PRIVATE_DIR_PREFIX}{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(|e| io_failure(&dir, &e))?;
        let lock = lock_file(&dir.join(LOCK_FILE), true);
        Ok(Self(dir, lock))
    }

    /// Writes `name` in the directory; its path.
    fn write(&self, name: &str, contents: &str) -> Result<PathBuf, Failure> {
        let path = self.0.join(name);
        std::fs::write(&path, contents).map_err(|e| io_failure(&path, &e))?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `path` opened (created if `create`; never through a symbolic link) with an exclusive
/// lock taken at once, or `None` if it is locked (or cannot be opened or locked).
fn lock_file(path: &Path, create: bool) -> Option<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(create)
            .create(create)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(path)
            .ok()?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).ok()?;
        Some(file)
    }
    #[cfg(not(unix))]
    {
        let _ = (path, create);
        None
    }
}

/// Removes the directories that earlier runs of this user left in `temp` when they were
/// killed (SIGKILL leaves no chance to clean up): named like a [`PrivateDir`], owned by
/// this user, with a lock file nobody holds any more. They hold only certificates,
/// nothing secret; this keeps them from piling up. Best effort.
fn remove_abandoned(temp: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let Ok(entries) = std::fs::read_dir(temp) else {
            return;
        };
        let me = rustix::process::geteuid().as_raw();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let named = name
                .to_str()
                .and_then(|n| n.strip_prefix(PRIVATE_DIR_PREFIX))
                .and_then(|rest| rest.split_once('-'))
                .is_some_and(|(pid, random)| {
                    pid.bytes().all(|b| b.is_ascii_digit())
                        && random.len() == 16
                        && random.bytes().all(|b| b.is_ascii_hexdigit())
                });
            // Not following a link: the entry itself.
            let ours = entry.metadata().is_ok_and(|m| m.is_dir() && m.uid() == me);
            if named && ours && lock_file(&entry.path().join(LOCK_FILE), false).is_some() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    #[cfg(not(unix))]
    let _ = temp;
}

fn io_failure(path: &Path, e: &std::io::Error) -> Failure {
    Failure::new(
        Status::Io,
        format!("exec --proxy: cannot write {}: {e}", path.display()),
    )
}
