//! `bedrock-token proxy`: a refreshing gateway on loopback until SIGTERM or SIGINT.

use aws_bedrock_token_gateway::{ClientKey, Gateway, TlsIdentity};

use super::{control_plane, explain, fresh_provider, init_logging, runtime, upstream, ProxyArgs};
use crate::settings::Settings;
use crate::{output, Failure, Status};

/// Runs `proxy`: prints the URL it serves once it accepts connections, then serves until
/// a signal asks it to stop (in-flight requests finish within the grace period).
pub(crate) fn run(args: ProxyArgs) -> Result<Status, Failure> {
    let settings = Settings::new(&args.source)?;
    super::not_dumpable();
    init_logging();
    if !args.listen.ip().is_loopback() {
        // Checked again when binding; here so that a refused --listen creates no key file.
        return Err(Failure::new(
            Status::Usage,
            format!(
                "--listen: the gateway listens only on a loopback address (127.0.0.1 or \
                 ::1), not {}: anyone who can reach it can spend its keys",
                args.listen.ip()
            ),
        ));
    }
    let client_key = ClientKey::load_or_create(&args.client_key_file)
        .map_err(|e| explain(&e, "--client-key-file"))?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let _reaping = super::reaping(&settings);
        let (provider, _keep_fresh, info) = fresh_provider(&settings).await?;
        let threads = args
            .threads
            .map_or_else(super::gateway_threads, usize::from);
        let mut builder = super::sized(Gateway::builder(provider, client_key), true, threads)
            .upstream(&upstream(args.upstream.as_deref(), &info));
        if let Some(url) = control_plane(
            args.control_plane.as_deref(),
            args.upstream.as_deref(),
            &info,
        ) {
            builder = builder.control_plane(&url);
        }
        if args.tls {
            let identity = TlsIdentity::generate_localhost().map_err(|e| explain(&e, "--tls"))?;
            if let Some(path) = &args.tls_cert_out {
                super::write_no_follow("--tls-cert-out", path, identity.cert_pem())?;
            }
            builder = builder.tls(identity);
        }
        let gateway = builder
            .bind(args.listen)
            .await
            .map_err(|e| explain(&e, super::bind_flag(&e)))?;
        output::print_line(&gateway.url())?;
        // The first signal starts a graceful shutdown; a second one ends it at once.
        let mut signals = StopSignals::new();
        let (first, first_seen) = tokio::sync::oneshot::channel::<()>();
        let serving = gateway.serve(async {
            let _ = first_seen.await;
        });
        tokio::select! {
            served = serving => {
                served.map_err(|e| explain(&e, "serving"))?;
                Ok(Status::Ok)
            }
            signal = async {
                signals.next().await;
                let _ = first.send(());
                signals.next().await
            } => {
                tracing::info!(
                    target: aws_bedrock_token_gateway::LOG_TARGET,
                    "second signal: stopping without waiting for requests in flight"
                );
                // As if the signal had ended it: a supervisor can tell that requests in
                // flight may have been cut.
                Ok(Status::Exited(128 + signal))
            }
        }
    })
}

const SIGINT: u8 = 2;
#[cfg(unix)]
const SIGTERM: u8 = 15;

/// SIGTERM and SIGINT (Ctrl-C), listened for from creation on.
struct StopSignals {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                (Ok(term), Ok(int)) => Some((term, int)),
                _ => None,
            };
            StopSignals { signals }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Resolves on the next SIGTERM or SIGINT (never, if they cannot be listened for),
    /// with its number.
    async fn next(&mut self) -> u8 {
        #[cfg(unix)]
        {
            let Some((term, int)) = &mut self.signals else {
                return std::future::pending().await;
            };
            tokio::select! {
                _ = term.recv() => SIGTERM,
                _ = int.recv() => SIGINT,
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                return std::future::pending().await;
            }
            SIGINT
        }
    }
}
