//! The accept loop: connection limit, TLS handshake, HTTP/1 or HTTP/2 by ALPN, and
//! graceful shutdown.
//!
//! hyper serves each connection (its HTTP/1 and HTTP/2 connection builders, with
//! `hyper_util`'s graceful shutdown). What is kept by hand is how the work is spread:
//! each gateway thread accepts and serves on a current-thread runtime of its own, with
//! its own upstream connections (`pool.rs`), instead of one multi-threaded runtime.
//! Counted with callgrind, that cut the processor time per proxied request by about a
//! third (docs/benchmarks.md). Key loads stay on the caller's runtime, shared by all
//! threads.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::admission::{Admission, Slots};
use super::forward::{self, Shared};
use super::framing::{Scanner, Sniffed, Verdicts};
use super::{Gateway, Limits, LOG_TARGET};
use crate::Error;

/// hyper's smallest HTTP/1 read buffer.
const MIN_BUF_SIZE: usize = 8192;
/// The shortest head whose URI hyper's HTTP/1 server answers with `414`: a one-letter
/// method, a URI one byte over hyper's `u16::MAX - 1`, ` HTTP/1.1` and two bare line
/// feeds. Under a head limit below this, a head hyper finds too large gets `431`.
const SHORTEST_414_HEAD: usize = 1 + 1 + 65_535 + 1 + 8 + 1 + 1;
/// The most requests an HTTP/2 client connection may have open at once (the least the
/// HTTP/2 specification recommends; hyper's default is 200).
const MAX_STREAMS: u32 = 100;
/// What an HTTP/2 connection begins with (RFC 9113, section 3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The pause after an `accept` that failed for want of resources (file descriptors).
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// The most often such failures are logged.
const ACCEPT_WARN_EVERY: Duration = Duration::from_secs(10);

pub(super) async fn serve(
    gateway: Gateway,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let Gateway {
        listener,
        shared,
        connector,
        tls,
        limits,
        ..
    } = gateway;
    // Every connection holds a place at the gate (which bounds the sockets open), and an
    // admission: unproven until it presents the client key (see `admission`).
    let permits = Gates {
        open: Arc::new(Semaphore::new(
            limits.max_connections.saturating_add(limits.max_unproven),
        )),
        slots: Slots::new(limits.max_connections, limits.max_unproven),
    };
    if limits.threads == 0 {
        accept_loop(listener, shared, tls, limits, permits, shutdown).await;
        return Ok(());
    }
    let listener = listener
        .into_std()
        .map_err(|e| Error::io("could not hand the listener to the gateway's threads", e))?;
    // Dropped when serving ends, or when this future is dropped: every worker then
    // shuts down.
    let (stopping, stop) = watch::channel(());
    let (ended, mut endings) = mpsc::unbounded_channel();
    // Key loads run on the caller's runtime (none if `serve` runs on another executor:
    // then on the worker that needs the key).
    let loads = tokio::runtime::Handle::try_current().ok();
    for i in 0..limits.threads {
        let worker = Worker {
            listener: listener
                .try_clone()
                .map_err(|e| Error::io("could not share the listener with a gateway thread", e))?,
            shared: Arc::new(shared.for_worker(connector.clone(), loads.clone())),
            tls: tls.clone(),
            limits,
            permits: permits.clone(),
            stop: stop.clone(),
        };
        let ended = ended.clone();
        std::thread::Builder::new()
            .name(format!("gateway-{i}"))
            .spawn(move || {
                let _ = ended.send(worker.run());
            })
            .map_err(|e| Error::io("could not start a gateway thread", e))?;
    }
    drop((listener, shared, stop, ended));
    // A worker ends early only if it could not start.
    let early = tokio::select! {
        () = shutdown => None,
        result = endings.recv() => result,
    };
    drop(stopping);
    let mut outcome = early.unwrap_or(Ok(()));
    while let Some(result) = endings.recv().await {
        outcome = outcome.and(result);
    }
    outcome
}

/// One thread of a gateway with threads of its own.
struct Worker {
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    permits: Gates,
    stop: watch::Receiver<()>,
}

impl Worker {
    /// Serves on a single-threaded runtime of its own until the gateway stops.
    fn run(self) -> Result<(), Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("could not start a gateway thread's runtime", e))?;
        let Worker {
            listener,
            shared,
            tls,
            limits,
            permits,
            mut stop,
        } = self;
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener)
                .map_err(|e| Error::io("could not listen on a gateway thread", e))?;
            let stopped = async move {
                let _ = stop.changed().await;
            };
            accept_loop(listener, shared, tls, limits, permits, stopped).await;
            Ok(())
        })
    }
}

/// Accepts and serves connections until `shutdown` resolves, then lets them finish
/// within the grace period.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    permits: Gates,
    shutdown: impl Future<Output = ()>,
) {
    // Dropped at shutdown: every connection sees it close and finishes up.
    let (stopping, stop) = watch::channel(());
    let mut tasks = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let (mut last_warned, mut failed_accepts) = (None::<tokio::time::Instant>, 0u64);
    loop {
        while tasks.try_join_next().is_some() {}
        // At the limit, wait for a connection to close before accepting another.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    if !is_per_connection(&e) {
                        // Out of descriptors, say: a line now and then, not every pause.
                        let now = tokio::time::Instant::now();
                        if last_warned.is_none_or(|at| now.duration_since(at) >= ACCEPT_WARN_EVERY) {
                            tracing::warn!(
                                target: LOG_TARGET,
                                error = ?e.kind(),
                                failed_since_last = failed_accepts,
                                "accepting a connection failed; trying again shortly"
                            );
                            last_warned = Some(now);
                            failed_accepts = 0;
                        }
                        failed_accepts += 1;
                        tokio::time::sleep(ACCEPT_PAUSE).await;
                    }
                    continue;
                }
            },
        };
        let admission = permits.slots.admit();
        tasks.spawn(connection(
            stream,
            peer,
            shared.clone(),
            tls.clone(),
            limits,
            stop.clone(),
            (permit, admission),
        ));
    }
    drop(listener);
    drop(stopping);
    let drained = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.grace_period, drained)
        .await
        .is_err()
    {
        tracing::info!(
            target: LOG_TARGET,
            "grace period over: closing the connections still busy"
        );
    }
    tasks.shutdown().await;
}

/// Accept errors that concern only the connection being accepted.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// The places a connection takes: one at the gate, and its admission.
#[derive(Clone)]
struct Gates {
    open: Arc<Semaphore>,
    slots: Arc<Slots>,
}

/// Serves one connection until it ends, or until it is evicted while unproven (closed
/// at once: it never presented the client key).
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    stop: watch::Receiver<()>,
    (_permit, admission): (OwnedSemaphorePermit, Arc<Admission>),
) {
    let served = serve_connection(stream, peer, shared, tls, limits, stop, admission.clone());
    tokio::select! {
        () = served => {}
        () = admission.evicted() => {}
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    mut stop: watch::Receiver<()>,
    admission: Arc<Admission>,
) {
    let _ = stream.set_nodelay(true);
    // An idle connection costs only its socket until the client sends something: the
    // buffers of TLS and HTTP, and their (large) futures, are made when there is
    // something to read. A peek rather than `readable()`, which Tokio answers at once
    // for an accepted stream (it assumes those ready).
    // One deadline for everything before the first request head: the first bytes, the
    // preface check, the TLS handshake and the first bytes inside TLS.
    let deadline = tokio::time::Instant::now() + limits.header_read_timeout;
    let mut first = [0u8; H2_PREFACE.len()];
    let peeked = tokio::select! {
        peeked = tokio::time::timeout_at(deadline, stream.peek(&mut first)) => {
            match peeked {
                Ok(Ok(n @ 1..)) => n,
                _ => return,
            }
        }
        _ = stop.changed() => return,
    };
    admission.activate();
    let Some(acceptor) = tls else {
        // Plain HTTP: HTTP/2 with prior knowledge (the AWS SDK for JavaScript's default,
        // also for http:// endpoints) begins with the preface; anything else is HTTP/1.
        let client = Client { tls: false, peer };
        let (h2, stream) = tokio::select! {
            sniffed = sniff_preface(stream, &first[..peeked], deadline) => {
                match sniffed {
                    Some(sniffed) => sniffed,
                    None => return,
                }
            }
            _ = stop.changed() => return,
        };
        return if h2 {
            Box::pin(http2(stream, shared, limits, stop, admission)).await
        } else {
            Box::pin(http1(stream, client, shared, limits, stop, admission)).await
        };
    };
    let handshake = Box::pin(tokio::time::timeout_at(deadline, acceptor.accept(stream)));
    let mut stream = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return log_failed_handshake(peer, Some(&e)),
            Err(_) => return log_failed_handshake(peer, None),
        },
        _ = stop.changed() => return,
    };
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    // Node and Bun finish the handshake, then check the certificate and, if they do not
    // trust it, close without a word: that gets a line too.
    let first = tokio::select! {
        read = tokio::time::timeout_at(deadline, first_bytes(&mut stream)) => match read {
            Ok(Some(first)) => first,
            Ok(None) => return log_closed_after_handshake(peer),
            Err(_) => return,
        },
        _ = stop.changed() => return,
    };
    let stream = Replay::new(stream, first);
    if h2 {
        Box::pin(http2(stream, shared, limits, stop, admission)).await;
    } else {
        Box::pin(http1(
            stream,
            Client { tls: true, peer },
            shared,
            limits,
            stop,
            admission,
        ))
        .await;
    }
}

/// Who is at the other end of a connection, for its log lines.
#[derive(Clone, Copy)]
struct Client {
    /// Whether the connection is over TLS.
    tls: bool,
    /// The client's address and port (which local process sent what).
    peer: SocketAddr,
}

/// Serves HTTP/1.1 on `stream`.
async fn http1<S>(
    stream: S,
    client: Client,
    shared: Arc<Shared>,
    limits: Limits,
    stop: watch::Receiver<()>,
    admission: Arc<Admission>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let verdicts = Verdicts::default();
    let scanner = Scanner::new(limits.max_header_bytes, verdicts.clone());
    let io = TokioIo::new(Sniffed::new(stream, scanner));
    let service = service_fn(move |req| {
        // hyper calls this once per request head, in order: take that head's verdict.
        let framing = verdicts.take();
        let shared = shared.clone();
        let admission = admission.clone();
        async move { Ok::<_, Infallible>(forward::handle(shared, framing, req, &admission).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(MIN_BUF_SIZE))
        .writev(false);
    if let Err(e) = drive(builder.serve_connection(io, service), stop, None).await {
        log_refused_head(&e, client, limits.max_header_bytes);
    }
}

async fn http2<S>(
    stream: S,
    shared: Arc<Shared>,
    limits: Limits,
    stop: watch::Receiver<()>,
    admission: Arc<Admission>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::default());
    let counted = activity.clone();
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let shared = shared.clone();
        let counted = counted.clone();
        let admission = admission.clone();
        async move {
            // A request keeps its connection from being idle while it runs (a long
            // upload waits for its answer's head the whole time).
            let _running = counted.running();
            let response = forward::handle(shared, None, req, &admission).await;
            // Only requests with the client key keep a connection open afterwards:
            // refusals of every kind and health checks cost a client without the key
            // nothing, so they must not buy it time.
            if response.extensions().get::<forward::Keyed>().is_some() {
                counted.keyed.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        // A peer that stops answering PINGs is dropped: it cannot hold the connection
        // (or the final GOAWAY of a graceful close, which waits for one) for ever.
        .keep_alive_interval(Some(limits.header_read_timeout))
        .keep_alive_timeout(limits.header_read_timeout)
        // Each stream may need an upstream connection of its own (an HTTP/1.1 upstream):
        // a client connection's share of them is bounded here, all of them by the
        // gateway's upstream connection limit.
        .max_concurrent_streams(MAX_STREAMS)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    // hyper has no idle timeout for HTTP/2: without one, a client that opens connections
    // and sends nothing would hold the connection slots for ever.
    let idle = Idle {
        after: limits.header_read_timeout,
        activity,
    };
    let _ = drive(conn, stop, Some(idle)).await;
}

/// An HTTP/2 connection's idle rule: no request running, and no new request with the
/// client key, within `after`.
struct Idle {
    after: Duration,
    activity: Arc<Activity>,
}

/// What keeps an HTTP/2 connection from being idle.
#[derive(Default)]
struct Activity {
    /// Requests with the client key answered so far.
    keyed: AtomicU64,
    /// Requests being handled now.
    running: std::sync::atomic::AtomicUsize,
}

impl Activity {
    /// Counts a request as running until the guard is dropped.
    fn running(self: &Arc<Self>) -> impl Drop {
        struct Running(Arc<Activity>);
        impl Drop for Running {
            fn drop(&mut self) {
                self.0.running.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.running.fetch_add(1, Ordering::Relaxed);
        Running(self.clone())
    }
}

/// Runs a connection to its end, and tells how it ended. At shutdown, or once it is idle,
/// it is asked to finish: requests in flight complete (HTTP/2: after a `GOAWAY`), then it
/// closes.
async fn drive<C>(
    conn: C,
    mut stop: watch::Receiver<()>,
    idle: Option<Idle>,
) -> Result<(), hyper::Error>
where
    C: GracefulConnection<Error = hyper::Error>,
{
    let mut conn = std::pin::pin!(conn);
    let mut finishing = false;
    let mut seen = 0;
    loop {
        let tick = async {
            match &idle {
                Some(idle) if !finishing => tokio::time::sleep(idle.after).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            ended = conn.as_mut() => return ended,
            // The sender is dropped at shutdown.
            _ = stop.changed(), if !finishing => {
                conn.as_mut().graceful_shutdown();
                finishing = true;
            }
            () = tick => {
                let (count, running) = idle.as_ref().map_or((0, 0), |i| {
                    (
                        i.activity.keyed.load(Ordering::Relaxed),
                        i.activity.running.load(Ordering::Relaxed),
                    )
                });
                if count == seen && running == 0 {
                    conn.as_mut().graceful_shutdown();
                    finishing = true;
                }
                seen = count;
            }
        }
    }
}

/// A TLS handshake that failed gets a log line with the client's address and the reason
/// in the gateway's words (the alert a client sent names only a TLS condition, such as
/// `UnknownCA` for a certificate it does not trust); `None` for a handshake that did not
/// finish within the header read timeout.
fn log_failed_handshake(peer: SocketAddr, e: Option<&io::Error>) {
    use rustls::{AlertDescription, Error as Tls};
    let tls = e
        .and_then(|e| e.get_ref())
        .and_then(|e| e.downcast_ref::<Tls>());
    let alert = match tls {
        Some(Tls::AlertReceived(alert)) => Some(format!("{alert:?}")),
        _ => None,
    };
    let reason = match (e, tls) {
        (None, _) => "the client did not finish it within the header read timeout",
        (
            _,
            Some(Tls::AlertReceived(
                AlertDescription::UnknownCA
                | AlertDescription::BadCertificate
                | AlertDescription::CertificateUnknown
                | AlertDescription::CertificateExpired,
            )),
        ) => "the client does not trust the gateway's certificate authority",
        (_, Some(Tls::AlertReceived(_))) => "the client ended it with an alert",
        (_, Some(Tls::PeerIncompatible(_))) => {
            "the client offered no TLS version or cipher suite the gateway supports"
        }
        (_, Some(Tls::InvalidMessage(_) | Tls::PeerMisbehaved(_))) => {
            "the client did not speak TLS (plain HTTP to an HTTPS gateway?)"
        }
        (Some(e), _) if e.kind() == io::ErrorKind::UnexpectedEof => {
            "the client closed the connection during the handshake"
        }
        _ => "the handshake failed",
    };
    tracing::info!(
        target: LOG_TARGET,
        client = peer.to_string(),
        alert = alert.as_deref(),
        "TLS handshake failed: {reason}"
    );
}

/// The first bytes a client sends (at most a preface's worth); `None` if it closes (or
/// its connection fails) first.
async fn first_bytes<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let mut first = [0u8; H2_PREFACE.len()];
    match stream.read(&mut first).await {
        Ok(n @ 1..) => Some(first[..n].to_vec()),
        _ => None,
    }
}

/// A TLS connection closed before its first request.
fn log_closed_after_handshake(peer: SocketAddr) {
    tracing::info!(
        target: LOG_TARGET,
        client = peer.to_string(),
        "TLS connection closed before any request: a client that does not trust the \
         gateway's certificate authority (Node, Bun) closes so after the handshake"
    );
}

/// Whether a plain-HTTP connection begins with HTTP/2's preface, and the connection with
/// whatever had to be read to tell. `peeked` is what a peek saw: nearly always enough (a
/// client sends the preface in one write); only a connection whose first bytes are a
/// proper beginning of the preface is read from until they are the whole preface or
/// not, by `deadline`. `None` if the client closed or stalled first.
async fn sniff_preface(
    mut stream: TcpStream,
    peeked: &[u8],
    deadline: tokio::time::Instant,
) -> Option<(bool, Replay<TcpStream>)> {
    use tokio::io::AsyncReadExt as _;
    if !H2_PREFACE.starts_with(peeked) {
        return Some((false, Replay::new(stream, Vec::new())));
    }
    if peeked.len() == H2_PREFACE.len() {
        return Some((true, Replay::new(stream, Vec::new())));
    }
    let mut read = Vec::with_capacity(H2_PREFACE.len());
    let reading = async {
        while read.len() < H2_PREFACE.len() && H2_PREFACE.starts_with(&read) {
            let mut chunk = [0u8; H2_PREFACE.len()];
            let wanted = H2_PREFACE.len() - read.len();
            match stream.read(&mut chunk[..wanted]).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => read.extend_from_slice(&chunk[..n]),
            }
        }
        true
    };
    if !matches!(tokio::time::timeout_at(deadline, reading).await, Ok(true)) {
        return None;
    }
    Some((read == H2_PREFACE, Replay::new(stream, read)))
}

/// A connection whose first bytes, already read, are read again before the rest.
struct Replay<S> {
    read: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S> Replay<S> {
    fn new(inner: S, read: Vec<u8>) -> Self {
        Replay { read, at: 0, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.at < this.read.len() {
            let n = (this.read.len() - this.at).min(buf.remaining());
            buf.put_slice(&this.read[this.at..this.at + n]);
            this.at += n;
            if this.at == this.read.len() {
                this.read = Vec::new();
                this.at = 0;
            }
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> std::task::Poll<io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// hyper answers a malformed or oversized HTTP/1 request head itself (`400`, `431`) and
/// closes the connection, before the gateway sees a request: such a refusal gets its log
/// line here, with the client's address but without method or path (there are none to
/// trust) and without hyper's text.
fn log_refused_head(e: &hyper::Error, client: Client, max_header_bytes: usize) {
    if !e.is_parse() {
        return;
    }
    let peer = client.peer.to_string();
    if e.is_parse_version_h2() {
        if client.tls {
            tracing::info!(
                target: LOG_TARGET,
                client = peer,
                "connection refused: it sent HTTP/2's preface after choosing HTTP/1.1 by \
                 ALPN; offer h2 in the TLS handshake to speak HTTP/2"
            );
        } else {
            tracing::info!(
                target: LOG_TARGET,
                client = peer,
                "connection refused: it sent HTTP/2's preface after an HTTP/1.1 request; \
                 begin a connection with the preface to speak HTTP/2"
            );
        }
    } else if e.is_parse_too_large() {
        // hyper answers 414 for a URI over its own limit, which only a head limit above
        // it lets through; otherwise the head was too large (or had over 100 headers).
        if max_header_bytes < SHORTEST_414_HEAD {
            tracing::info!(
                target: LOG_TARGET,
                client = peer,
                status = 431u16,
                "request refused: its head is larger than the gateway's limit, or has more \
                 than 100 headers"
            );
        } else {
            tracing::info!(
                target: LOG_TARGET,
                client = peer,
                "request refused (431 or 414): its head or its URI is too long, or it has \
                 more than 100 headers"
            );
        }
    } else {
        tracing::info!(
            target: LOG_TARGET,
            client = peer,
            status = 400u16,
            "request refused: its head is not valid HTTP/1.1"
        );
    }
}
