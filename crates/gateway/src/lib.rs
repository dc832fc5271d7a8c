//! A local gateway that forwards HTTP requests to Bedrock (or another endpoint that takes
//! these keys) with a fresh key from a [`TokenProvider`], for programs that read a key
//! once and never refresh it.
//!
//! Clients talk to the gateway on loopback with a [`ClientKey`] where they would send a
//! Bedrock API key; the gateway checks it, replaces it with the provider's current key
//! and streams the request to the configured upstream and the answer back. The clients
//! never hold an AWS credential or a real key.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_bedrock_token_gateway::{ClientKey, Gateway};
//! use aws_bedrock_token_generator::{Region, TokenProvider};
//!
//! let provider = TokenProvider::builder().region(Region::new("us-west-2")).build()?;
//! let _refresher = provider.keep_fresh()?; // optional: requests never wait for a key
//! let client_key = ClientKey::generate();
//! let gateway = Gateway::builder(provider, client_key.clone())
//!     .upstream("https://bedrock-runtime.us-west-2.amazonaws.com")
//!     .bind("127.0.0.1:0".parse().unwrap())
//!     .await?;
//! println!("{}", gateway.url()); // give clients this URL and the client key
//! // Serves until the future resolves (a signal, in a real program), then shuts down.
//! gateway.serve(std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! # What each request goes through
//!
//! In this order; a refused request is answered by the gateway with a JSON body
//! `{"error":{"type":"…","message":"…"}}` and `Connection: close`, and nothing of it is
//! forwarded:
//!
//! 1. **Framing** (HTTP/1): a request head with both `Content-Length` and
//!    `Transfer-Encoding`, more than one `Content-Length` (or a list in one), a
//!    `Transfer-Encoding` other than exactly `chunked`, or more than one
//!    `Transfer-Encoding` is refused with `400` (hyper itself would quietly resolve the
//!    first two). Heads over the size limit get `431`, heads that take longer than the
//!    header read timeout a closed connection.
//!    Chunked and `Content-Length` bodies alike, a connection serves request after
//!    request; a chunked body the gateway cannot follow exactly (a space after a chunk
//!    size, a bare line feed) ends it: what follows on it is refused with `400`.
//! 2. **Target**: `CONNECT` is refused with `405`; a target that is not a path
//!    (absolute-form `http://host/…`, authority-form, `*`) with `400`: the gateway is not
//!    an open proxy.
//! 3. **Host**: `Host` (HTTP/2: `:authority`) must name a loopback address
//!    (`127.0.0.1` or any address in `127.0.0.0/8`, `[::1]`) or `localhost`, with the
//!    gateway's port (omitted only if the port is the scheme's default). A missing,
//!    repeated or malformed one is `400`; any other name or port is `421 Misdirected
//!    Request`. This defeats DNS rebinding: a web page cannot reach the gateway under a
//!    name of its own.
//! 4. **Browsers**: a request with an `Origin` header is refused with `403`; the gateway
//!    never sends CORS headers, so a page can neither read its answers nor preflight.
//! 5. **Health**: `GET /.bedrock-token/health` needs no client key and answers `200`
//!    `{"status":"ok","expires_at":"<RFC 3339>"}` while a key is cached and usable, else
//!    `503` `{"status":"unavailable","error":"<ErrorKind>"}` with the kind of the last
//!    failed load (before any load failed, the health check waits for one, as requests
//!    do); never the key. Other paths under `/.bedrock-token/` are `404`, never
//!    forwarded. It is for probes on the same host: the `Host` rule applies to it too.
//! 6. **Client key**: the request must carry the client key as `Authorization: Bearer
//!    <key>` or `x-api-key: <key>` (compared in constant time); every such header present
//!    must hold it. Otherwise `401` with `type` `unauthorized`.
//! 7. **Key**: the provider's cached key ([`TokenProvider::cached`]) or, if it has none
//!    usable, the one [`TokenProvider::token`] loads within the token wait (default
//!    10 s). Without one: `503` with `type` `key_unavailable`, the failure's
//!    [`ErrorKind`] as `kind`, and the library's message (which never
//!    holds a secret).
//! 8. **Forwarding**: to the upstream only (Bedrock control-plane reads to the control
//!    plane, if one is set: [`Builder::control_plane`]), at its path prefix followed by
//!    the request's path and query. `Host` becomes the upstream's authority; the client key is
//!    replaced by the real key in the same header (`Authorization: Bearer` stays a bearer
//!    header, `x-api-key` stays `x-api-key`); hop-by-hop headers (`Connection` and those
//!    it names, `Keep-Alive`, `Proxy-Authorization`, `Proxy-Connection`, `TE`, `Trailer`,
//!    `Transfer-Encoding`, `Upgrade`) and `Expect` are dropped both ways, and so are any
//!    `Forwarded`/`X-Forwarded-*` headers: the gateway adds none. Bodies stream both ways
//!    as they come (event streams, server-sent events), never buffered whole.
//! 9. **Rejected key**: an upstream `401` or `403` answer makes the gateway load a new key
//!    in the background, at most once every 30 s (a burst of refusals costs one load). The
//!    refused key is not dropped: until the new one is loaded, or if none can be made (a
//!    credential outage), it stays in service while it is valid, since a `403` is as
//!    often about the request (a model the principal may not use) as about the key. The
//!    answer is passed on and the request is not replayed.
//!
//! Upstream failures are the gateway's own `502` (could not connect) or `504` (no answer
//! head within the upstream response timeout) JSON answers, without the underlying error
//! text.
//!
//! # Limits
//!
//! Defaults: header read timeout 10 s (a new connection's first bytes, its HTTP/2
//! preface and its TLS handshake together; then each HTTP/1 head, including the wait for
//! the next request on a kept-alive connection; each pause in a request body, after which
//! the upstream request is abandoned and the client gets `408`; HTTP/2 connections with
//! no request running and no new keyed one, which then get a `GOAWAY`), request head
//! 64 KiB (HTTP/1: start line and headers, at most 100 headers; HTTP/2: the header
//! list), 1024 connections with the client key (beyond it a keyed request on a new
//! connection waits for one to close: it is not refused) and 256 without it yet (a new
//! one closes the oldest of them: connections without the key cannot keep keyed clients
//! out), 100 requests at once per HTTP/2 connection, upstream connect (DNS, TCP and TLS)
//! 10 s, upstream answer head 5 min (counted from sending; bodies may stream for longer,
//! with pauses of at most as long), grace period 10 s at shutdown. Upstream connections
//! are kept for reuse (idle ones closed after 80 to 90 s), at most as many open at once
//! per thread as the connection limit (a request at the limit takes the next one of its
//! thread that comes free).
//!
//! Over TLS, HTTP/2 or HTTP/1.1 by ALPN. On plain HTTP, a connection that begins with
//! HTTP/2's preface (prior knowledge, as the AWS SDK for JavaScript sends also to
//! `http://` endpoints) is served HTTP/2, any other HTTP/1.1; there is no `Upgrade: h2c`.
//! The same rules and limits apply to every mode.
//!
//! # Logging
//!
//! One `tracing` event per request at `INFO`, target `bedrock_token::gateway`, with the
//! `method`, the `path` without the query (at most 200 characters), the `status` and
//! `latency_ms` (to the answer's head). Never headers, keys or bodies. A request head
//! hyper refuses itself gets a line with the client's address and the status; a failed
//! TLS handshake one with the client's address, the reason and the alert the client
//! sent, if any (`UnknownCA` or `BadCertificate`: it does not trust the certificate).

mod admission;
mod body;
mod error;
mod forward;
mod framing;
mod key;
mod pool;
mod server;
mod tls;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use key::{ClientKey, CLIENT_KEY_PREFIX, MAX_CLIENT_KEY_CHARS, MIN_CLIENT_KEY_CHARS};
pub use tls::TlsIdentity;

use aws_bedrock_token_generator::TokenProvider;

pub use error::{Error, ErrorKind, Input};

/// The path of the health check.
pub const HEALTH_PATH: &str = "/.bedrock-token/health";
/// The target of the per-request `tracing` events.
pub const LOG_TARGET: &str = "bedrock_token::gateway";
/// Default: a client must send a whole request head within this time.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default: connecting to the upstream (DNS, TCP and TLS) may take this long.
pub const DEFAULT_UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default: the upstream must send its answer's head within this time.
pub const DEFAULT_UPSTREAM_RESPONSE_TIMEOUT: Duration = Duration::from_secs(300);
/// Default: the most bytes of one request head.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;
/// Default: the most connections served at once that have presented the client key.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default: the most connections open at once that have not (yet) presented the client
/// key.
pub const DEFAULT_MAX_UNPROVEN_CONNECTIONS: usize = 256;
/// Default: how long in-flight requests may go on after shutdown starts.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(10);
/// Default: how long a request may wait for a key when none is cached.
pub const DEFAULT_TOKEN_WAIT: Duration = Duration::from_secs(10);

/// The smallest request head limit (hyper reads HTTP/1 in buffers of at least 8 KiB).
const MIN_HEADER_BYTES: usize = 1024;

/// Configures a [`Gateway`]; [`Builder::bind`] checks everything and binds.
///
/// Its `Debug` shows the settings, never the client key.
pub struct Builder {
    provider: TokenProvider,
    client_key: ClientKey,
    upstream: Option<String>,
    control_plane: Option<String>,
    tls: Option<TlsIdentity>,
    limits: Limits,
}

/// The settings that are not identities.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub header_read_timeout: Duration,
    pub upstream_connect_timeout: Duration,
    pub upstream_response_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_connections: usize,
    /// Connections that have not presented the client key.
    pub max_unproven: usize,
    pub grace_period: Duration,
    pub token_wait: Duration,
    /// Worker threads of the gateway's own; 0 for the caller's runtime.
    pub threads: usize,
}

/// A gateway bound to its loopback address, not yet serving: [`Gateway::serve`] runs it.
pub struct Gateway {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    shared: Arc<forward::Shared>,
    /// For the upstream connection pools of worker threads.
    connector: forward::Connector,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
}

impl Gateway {
    /// Starts configuring a gateway that forwards with keys from `provider` to clients
    /// that present `client_key`.
    ///
    /// The gateway asks `provider` for its cached key on each request; call
    /// [`TokenProvider::keep_fresh`] on it (and keep the handle) so that requests never
    /// wait for a load.
    pub fn builder(provider: TokenProvider, client_key: ClientKey) -> Builder {
        Builder {
            provider,
            client_key,
            upstream: None,
            control_plane: None,
            tls: None,
            limits: Limits {
                header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
                upstream_connect_timeout: DEFAULT_UPSTREAM_CONNECT_TIMEOUT,
                upstream_response_timeout: DEFAULT_UPSTREAM_RESPONSE_TIMEOUT,
                max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
                max_connections: DEFAULT_MAX_CONNECTIONS,
                max_unproven: DEFAULT_MAX_UNPROVEN_CONNECTIONS,
                grace_period: DEFAULT_GRACE_PERIOD,
                token_wait: DEFAULT_TOKEN_WAIT,
                threads: 0,
            },
        }
    }

    /// The address the gateway listens on (with the actual port if it bound port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL clients use: `http://` or (with TLS) `https://`, then the address it
    /// listens on, e.g. `http://127.0.0.1:8080`, `https://127.0.0.1:8443` or
    /// `https://[::1]:8443`. The address rather than `localhost`, because `localhost` may
    /// resolve to the other address family first; a TLS gateway's certificate names both
    /// loopback addresses and `localhost`, so clients can use either form.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// Serves until `shutdown` resolves, then stops accepting connections, lets requests
    /// in flight finish within the grace period (kept-alive idle connections are closed
    /// at once) and cuts off whatever is left.
    ///
    /// A failed `accept` (for example too many open files) is retried after a short
    /// pause rather than ending the gateway, so this returns `Ok` once shut down. With
    /// [`Builder::threads`], it fails with [`ErrorKind::Io`] if a thread or its
    /// runtime cannot be started.
    ///
    /// Dropping this future instead of resolving `shutdown` stops the gateway too:
    /// without threads of its own, at once (connections are cut); with them, the threads
    /// stop accepting (the listening port closes) and shut down as for `shutdown`, grace
    /// period included, after this future is gone.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        server::serve(self, shutdown).await
    }
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("url", &self.url())
            .field("upstream", &self.shared.upstream)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Where requests go: an `https://` URL, or `http://` for a loopback host only
    /// (`localhost`, `127.0.0.0/8`, `[::1]`; for local stand-ins). No user info, query or
    /// fragment; a path is a prefix put before every request's path. Required; checked by
    /// [`Builder::bind`] ([`ErrorKind::InvalidConfig`], or [`ErrorKind::NotLoopback`] for
    /// plain HTTP elsewhere, both about [`Input::Upstream`]).
    pub fn upstream(mut self, url: &str) -> Self {
        self.upstream = Some(url.to_owned());
        self
    }

    /// Where Amazon Bedrock control-plane reads go instead of the upstream, with the same
    /// key: `GET /inference-profiles…` and `GET /foundation-models…`, which Claude Code
    /// and SDK helpers send to the runtime base URL they were given (for Bedrock, the
    /// region's `https://bedrock.REGION.amazonaws.com`: API keys are accepted by Amazon
    /// Bedrock and Amazon Bedrock Runtime actions). The same rules as
    /// [`Builder::upstream`]. Without it they go to the upstream like every other path.
    /// Either way, an upstream `401` or `403` to one of them does not make the gateway
    /// load a new key: it is about that call (or an endpoint without that operation).
    pub fn control_plane(mut self, url: &str) -> Self {
        self.control_plane = Some(url.to_owned());
        self
    }

    /// Serves HTTPS with `identity` (ALPN `h2` and `http/1.1`) instead of plain HTTP.
    /// The gateway must then listen on `127.0.0.1` or `::1`, the addresses the
    /// certificate names.
    pub fn tls(mut self, identity: TlsIdentity) -> Self {
        self.tls = Some(identity);
        self
    }

    /// How long a client may take to send a request head (or, on a kept-alive
    /// connection, to start the next one), a TLS handshake, or the next part of a request
    /// body; and how long an HTTP/2 connection may go without a new request before it is
    /// closed (gracefully: requests in flight finish). Default 10 s.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// How long connecting to the upstream may take: name resolution, TCP and, for
    /// `https`, the TLS handshake (a request that cannot connect in time gets `502`).
    /// Default 10 s.
    pub fn upstream_connect_timeout(mut self, timeout: Duration) -> Self {
        self.limits.upstream_connect_timeout = timeout;
        self
    }

    /// How long the upstream may take to send its answer's head; the body may stream for
    /// longer. Default 5 minutes.
    pub fn upstream_response_timeout(mut self, timeout: Duration) -> Self {
        self.limits.upstream_response_timeout = timeout;
        self
    }

    /// The most bytes of one request head: the start line and headers of HTTP/1 (larger
    /// ones get `431`), the header list of HTTP/2. At least 1 KiB; default 64 KiB.
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_header_bytes = bytes;
        self
    }

    /// The most connections served at once that have presented the client key (at
    /// least 1; default 1024). Beyond it, a keyed request on a new connection waits
    /// until one closes; it is not refused.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections;
        self
    }

    /// The most connections open at once that have not yet presented the client key
    /// (at least 1; default 256): a new one closes the oldest of them. Any local process
    /// can open connections without the key; so limited, they cannot keep out a client
    /// with it, which presents it with its first request.
    pub fn max_unproven_connections(mut self, connections: usize) -> Self {
        self.limits.max_unproven = connections;
        self
    }

    /// How long requests in flight may go on once shutdown starts. Default 10 s.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.limits.grace_period = grace;
        self
    }

    /// How long a request may wait for a key when the provider has none usable cached
    /// (only without a keep-fresh task, or while the first key loads). Default 10 s.
    pub fn token_wait(mut self, wait: Duration) -> Self {
        self.limits.token_wait = wait;
        self
    }

    /// Serves on `threads` threads of the gateway's own, each running a single-threaded
    /// Tokio runtime with its own pool of upstream connections, as nginx's workers do:
    /// a request and the upstream connection it uses are then handled on one thread,
    /// which saves the hand-offs between threads of a shared runtime (a third less
    /// processor time per request, measured). The threads share the listener, the
    /// connection limit and the provider; keys are loaded on the runtime that calls
    /// [`Gateway::serve`], which must keep running while the gateway serves; [`Gateway::serve`] starts them and returns once
    /// all have shut down. Default 0: serve on the runtime that calls
    /// [`Gateway::serve`].
    pub fn threads(mut self, threads: usize) -> Self {
        self.limits.threads = threads;
        self
    }

    /// Checks the configuration and binds `addr`, which must be a loopback address
    /// (`127.0.0.0/8` or `::1`; [`ErrorKind::NotLoopback`] otherwise, about
    /// [`Input::ListenAddress`]). Port 0 picks a free port ([`Gateway::local_addr`]).
    ///
    /// Fails with [`ErrorKind::Io`] if the address cannot be bound (in use, not
    /// permitted), or if an `https://` upstream is configured and the system has no root
    /// certificates to verify it with.
    pub async fn bind(self, addr: SocketAddr) -> Result<Gateway, Error> {
        if !addr.ip().is_loopback() {
            return Err(Error::new(
                ErrorKind::NotLoopback,
                format!(
                    "the gateway listens only on a loopback address (127.0.0.1 or ::1), not \
                     {}: anyone who can reach it can spend its keys",
                    addr.ip()
                ),
            )
            .about(Input::ListenAddress));
        }
        if self.tls.is_some() && !tls::CERT_IPS.contains(&addr.ip()) {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "a gateway serving HTTPS listens on 127.0.0.1 or ::1, the addresses its \
                     certificate names, not {}",
                    addr.ip()
                ),
            )
            .about(Input::ListenAddress));
        }
        self.limits.check()?;
        let upstream = match &self.upstream {
            Some(url) => forward::Upstream::parse(url, "upstream URL")?,
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidConfig,
                    "the gateway has no upstream URL to forward to (for example \
                     https://bedrock-runtime.us-east-1.amazonaws.com)",
                )
                .about(Input::Upstream))
            }
        };
        let control_plane = self
            .control_plane
            .as_deref()
            .map(|url| forward::Upstream::parse(url, "control-plane URL"))
            .transpose()?;
        let https = upstream.is_https() || control_plane.as_ref().is_some_and(|c| c.is_https());
        let connector = forward::upstream_connector(https, &self.limits)?;
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            Error::io(&format!("could not listen on {addr}"), e).about(Input::ListenAddress)
        })?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::io(&format!("could not listen on {addr}"), e))?;
        // The upstream connections of the thread that serves (each worker thread, with
        // `threads`, has its own).
        let sockets = Arc::new(tokio::sync::Semaphore::new(self.limits.max_connections));
        let shared = Arc::new(forward::Shared {
            provider: self.provider,
            refused: Arc::new(std::sync::Mutex::new(None)),
            client_key: self.client_key,
            key_headers: std::sync::Mutex::new(None),
            upstream,
            pool: pool::Pool::new(
                connector.clone(),
                self.limits.upstream_connect_timeout,
                sockets.clone(),
            ),
            control_plane: control_plane.map(|upstream| forward::Route {
                upstream,
                pool: pool::Pool::new(
                    connector.clone(),
                    self.limits.upstream_connect_timeout,
                    sockets.clone(),
                ),
            }),
            port: local_addr.port(),
            tls: self.tls.is_some(),
            limits: self.limits,
            loads: None,
        });
        Ok(Gateway {
            listener,
            local_addr,
            shared,
            connector,
            tls: self
                .tls
                .map(|id| tokio_rustls::TlsAcceptor::from(id.server_config)),
            limits: self.limits,
        })
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("client_key", &self.client_key)
            .field("upstream", &self.upstream)
            .field("control_plane", &self.control_plane)
            .field("tls", &self.tls.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Limits {
    fn check(&self) -> Result<(), Error> {
        let problem = if self.max_connections == 0 || self.max_unproven == 0 {
            "the gateway's connection limits must be at least 1"
        } else if self.max_header_bytes < MIN_HEADER_BYTES {
            "the gateway's request head limit must be at least 1 KiB"
        } else if self.header_read_timeout.is_zero()
            || self.upstream_connect_timeout.is_zero()
            || self.upstream_response_timeout.is_zero()
            || self.token_wait.is_zero()
        {
            "the gateway's timeouts must be longer than zero"
        } else {
            return Ok(());
        };
        Err(Error::new(ErrorKind::InvalidConfig, problem))
    }
}

/// Whether `host` (a URL or `Host` header host, IPv6 in brackets) is a loopback name or
/// address.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let ip = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().map(IpAddr::V6),
        None => host.parse::<std::net::Ipv4Addr>().map(IpAddr::V4),
    };
    ip.is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "localhost.",
            "evil.localhost",
            "example.com",
            "10.0.0.1",
            "0.0.0.0",
            "::1",
            "[::ffff:127.0.0.1]",
            "[::]",
            "127.0.0.1.nip.io",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
