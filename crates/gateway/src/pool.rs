//! The upstream connections of a gateway (of one of its threads, with
//! `Builder::threads`): HTTP/1.1 connections kept for the next request, or one HTTP/2
//! connection that every request shares, whichever the upstream chose by ALPN.
//!
//! hyper's own connections do the protocol work; this only keeps them. It replaces
//! hyper-util's general-purpose pool, whose keyed map, checkout race and hand-backs cost
//! a fifth of the gateway's processor time per request: there is one upstream here, so
//! the pool is a list.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use http::{Request, Response, Uri, Version};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_service::Service as _;

use super::body::Paced;
use super::forward::Connector;

/// How often a request looks again for a connection while the gateway has as many
/// upstream connections open as it may.
const AT_THE_LIMIT: Duration = Duration::from_millis(10);
/// How often the sweeper looks at idle connections.
const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// Sweeps a connection may stay idle: it is closed after 80 to 90 s without a request.
const IDLE_SWEEPS: u8 = 9;
/// An HTTP/2 connection with nothing read for this long is pinged, and dropped if the
/// answer takes this long too: one that went dead without a word (sleep, network change)
/// is gone within 20 to 40 s, not at the response timeout, and a kept idle one is not
/// handed to a request once found dead.
const H2_PING: Duration = Duration::from_secs(20);

/// Why a request got no answer.
#[derive(Debug)]
pub(super) enum SendError {
    /// No connection to the upstream could be made (TCP or TLS).
    Connect,
    /// The connection failed before the answer's head, or the request's body did.
    Failed,
}

/// The upstream connections.
pub(super) struct Pool(Arc<Inner>);

struct Inner {
    connector: Connector,
    /// Upstream connections open, shared by the pools of one thread (the upstream's and
    /// the control plane's): a permit per connection, held until it closes.
    sockets: Arc<tokio::sync::Semaphore>,
    /// How long a new connection may take: DNS, TCP, TLS and the HTTP/2 handshake.
    connect_timeout: Duration,
    /// Whether the task that closes idle connections has been started.
    sweeping: AtomicBool,
    /// HTTP/1.1 connections, the most recently used last; some may still be busy with
    /// an answer's body (they are skipped until done).
    idle: Mutex<Vec<Idle>>,
    /// The HTTP/2 connection, once the upstream chose HTTP/2.
    h2: Mutex<Option<Kept2>>,
    /// Sweeps since the HTTP/2 connection last took a request.
    h2_sweeps: AtomicU8,
    /// Numbers HTTP/2 connections, so that a request forgets only the one that failed it.
    h2_made: AtomicU64,
}

struct Idle {
    sender: http1::SendRequest<Paced>,
    /// Sweeps seen idle (ready for a request) since it was last used: no clock is read
    /// per request.
    sweeps: u8,
}

#[derive(Clone)]
struct Kept2 {
    number: u64,
    sender: http2::SendRequest<Paced>,
}

/// A connection to send one request on.
enum Conn {
    Http1(http1::SendRequest<Paced>),
    Http2(Kept2),
}

impl Pool {
    /// A pool that opens connections with `connector`, each holding one of `sockets`
    /// while open (a new one waits for one, within the connect timeout).
    pub(super) fn new(
        connector: Connector,
        connect_timeout: Duration,
        sockets: Arc<tokio::sync::Semaphore>,
    ) -> Pool {
        Pool(Arc::new(Inner {
            connector,
            sockets,
            connect_timeout,
            sweeping: AtomicBool::new(false),
            idle: Mutex::new(Vec::new()),
            h2: Mutex::new(None),
            h2_sweeps: AtomicU8::new(0),
            h2_made: AtomicU64::new(0),
        }))
    }

    /// Sends `req` (its URI absolute) on a kept connection, or on a new one. A request
    /// that a kept connection could not take (it closed meanwhile: hyper hands it back
    /// unsent) goes on the next one; one that was sent is never sent again, and neither
    /// is one a new connection could not take.
    pub(super) async fn send(&self, req: Request<Paced>) -> Result<Response<Incoming>, SendError> {
        self.0.send(req, Arc::downgrade(&self.0)).await
    }
}

impl Inner {
    async fn send(
        &self,
        mut req: Request<Paced>,
        keeper: Weak<Inner>,
    ) -> Result<Response<Incoming>, SendError> {
        let absolute = req.uri().clone();
        let origin = origin_form(&absolute);
        loop {
            // `made`: this request made the connection (one that cannot take it is not
            // tried again).
            let (conn, made) = match self.kept() {
                Some(conn) => (conn, false),
                // Boxed: the rare path's large futures stay out of every request's.
                None => Box::pin(tokio::time::timeout(
                    self.connect_timeout,
                    self.connect(&absolute, keeper.clone()),
                ))
                .await
                .map_err(|_| SendError::Connect)??,
            };
            // Not taken: the error, and perhaps the request handed back unsent.
            let mut refused = match conn {
                Conn::Http2(mut kept) => {
                    *req.uri_mut() = absolute.clone();
                    *req.version_mut() = Version::HTTP_2;
                    match kept.sender.try_send_request(req).await {
                        Ok(response) => return Ok(response),
                        Err(e) => {
                            // A failure of this request alone (a reset stream, its body
                            // failing) leaves the connection to the others.
                            if e.message().is_some() || kept.sender.is_closed() {
                                self.forget_h2(kept.number);
                            }
                            e
                        }
                    }
                }
                Conn::Http1(mut sender) => {
                    *req.uri_mut() = origin.clone();
                    *req.version_mut() = Version::HTTP_11;
                    match sender.try_send_request(req).await {
                        Ok(response) => {
                            self.keep_h1(sender);
                            return Ok(response);
                        }
                        Err(e) => e,
                    }
                }
            };
            match refused.take_message() {
                Some(back) if !made => req = back,
                _ => return Err(SendError::Failed),
            }
        }
    }

    /// The HTTP/2 connection if there is one, else the most recently used HTTP/1.1
    /// connection that is ready for a request.
    fn kept(&self) -> Option<Conn> {
        if let Some(kept) = self.kept_h2() {
            return Some(Conn::Http2(kept));
        }
        self.kept_h1().map(Conn::Http1)
    }

    fn kept_h2(&self) -> Option<Kept2> {
        let mut h2 = self.h2.lock().unwrap_or_else(PoisonError::into_inner);
        if h2.as_ref().is_some_and(|k| k.sender.is_closed()) {
            *h2 = None;
        }
        let kept = h2.clone()?;
        self.h2_sweeps.store(0, Ordering::Relaxed);
        Some(kept)
    }

    /// Drops HTTP/2 connection `number` if it is still the kept one.
    fn forget_h2(&self, number: u64) {
        let mut h2 = self.h2.lock().unwrap_or_else(PoisonError::into_inner);
        if h2.as_ref().is_some_and(|k| k.number == number) {
            *h2 = None;
        }
    }

    /// The most recently used HTTP/1.1 connection that is ready for a request; closed
    /// ones met on the way are dropped, busy ones (an answer's body still coming) stay.
    fn kept_h1(&self) -> Option<http1::SendRequest<Paced>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let i = idle
                .iter()
                .rposition(|c| c.sender.is_ready() || c.sender.is_closed())?;
            let kept = idle.remove(i);
            if !kept.sender.is_closed() {
                return Some(kept.sender);
            }
        }
    }

    fn keep_h1(&self, sender: http1::SendRequest<Paced>) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.push(Idle { sender, sweeps: 0 });
    }

    /// Drops closed connections and those idle for [`IDLE_SWEEPS`] sweeps.
    fn sweep(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.retain_mut(|c| {
            if c.sender.is_ready() {
                c.sweeps += 1;
            }
            !c.sender.is_closed() && c.sweeps < IDLE_SWEEPS
        });
        drop(idle);
        let mut h2 = self.h2.lock().unwrap_or_else(PoisonError::into_inner);
        if h2.is_some() && self.h2_sweeps.fetch_add(1, Ordering::Relaxed) + 1 >= IDLE_SWEEPS {
            // Requests in flight on it finish; the next request makes a new one.
            *h2 = None;
        }
    }

    /// A new connection, HTTP/2 if the upstream chose it (then kept for every request),
    /// and whether this request made it: not if another request's HTTP/2 connection was
    /// made meanwhile (requests that connect at the same time share the first one, the
    /// others close unused). Its task runs on the current runtime. The first one also
    /// starts the sweeper of idle connections.
    async fn connect(&self, uri: &Uri, keeper: Weak<Inner>) -> Result<(Conn, bool), SendError> {
        self.start_sweeper(keeper);
        // At the thread's limit of upstream connections, one of this pool's may come free
        // meanwhile (its answer done): take that rather than wait for one to close.
        // Bounded by the connect timeout, like the rest of connecting.
        let socket = loop {
            if let Ok(socket) = self.sockets.clone().try_acquire_owned() {
                break socket;
            }
            if let Some(conn) = self.kept() {
                return Ok((conn, false));
            }
            tokio::time::sleep(AT_THE_LIMIT).await;
        };
        let io = self
            .connector
            .clone()
            .call(uri.clone())
            .await
            .map_err(|_| SendError::Connect)?;
        if io.connected().is_negotiated_h2() {
            let (sender, conn) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .keep_alive_interval(H2_PING)
                .keep_alive_timeout(H2_PING)
                .keep_alive_while_idle(true)
                .handshake(io)
                .await
                .map_err(|_| SendError::Failed)?;
            tokio::spawn(async move {
                let _ = conn.await;
                drop(socket);
            });
            let mut h2 = self.h2.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(kept) = h2.as_ref().filter(|k| !k.sender.is_closed()) {
                return Ok((Conn::Http2(kept.clone()), false));
            }
            let kept = Kept2 {
                number: self.h2_made.fetch_add(1, Ordering::Relaxed),
                sender,
            };
            *h2 = Some(kept.clone());
            self.h2_sweeps.store(0, Ordering::Relaxed);
            return Ok((Conn::Http2(kept), true));
        }
        let (sender, conn) = http1::Builder::new()
            .writev(false)
            .handshake(io)
            .await
            .map_err(|_| SendError::Failed)?;
        tokio::spawn(async move {
            let _ = conn.await;
            drop(socket);
        });
        Ok((Conn::Http1(sender), true))
    }

    /// Starts, once, the task that sweeps idle connections every [`SWEEP_EVERY`] (on
    /// the current runtime); it holds the pool weakly, so it ends with the pool.
    fn start_sweeper(&self, keeper: Weak<Inner>) {
        if self.sweeping.swap(true, Ordering::Relaxed) {
            return;
        }
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SWEEP_EVERY).await;
                match keeper.upgrade() {
                    Some(pool) => pool.sweep(),
                    None => return,
                }
            }
        });
    }
}

/// `uri` without its scheme and authority: what an HTTP/1.1 request line carries.
fn origin_form(uri: &Uri) -> Uri {
    match uri.path_and_query() {
        Some(path) => Uri::from(path.clone()),
        None => Uri::from_static("/"),
    }
}
