//! The upstream connections of a gateway (of one of its threads, with
//! `Builder::threads`): HTTP/1.1 connections kept for the next request, or one HTTP/2
//! connection that every request shares, whichever the upstream chose by ALPN.
//!
//! hyper's own connections do the protocol work; this only keeps them. It replaces
//! hyper-util's general-purpose pool, whose keyed map, checkout race and hand-backs cost
//! a fifth of the gateway's processor time per request: there is one upstream here, so
//! the pool is a list.

use std::sync::atomic::{AtomicBool, Ordering};
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

/// How often the sweeper looks at idle HTTP/1.1 connections.
const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// Sweeps an HTTP/1.1 connection may stay idle: it is closed after 80 to 90 s without a
/// request.
const IDLE_SWEEPS: u8 = 9;

/// Why a request got no answer.
#[derive(Debug)]
pub(super) enum SendError {
    /// No connection to the upstream could be made (TCP or TLS).
    Connect,
    /// The connection failed before the answer's head (the error may be the body's).
    Failed(hyper::Error),
}

/// The upstream connections.
pub(super) struct Pool(Arc<Inner>);

struct Inner {
    connector: Connector,
    /// Whether the task that closes idle connections has been started.
    sweeping: AtomicBool,
    /// HTTP/1.1 connections, the most recently used last; some may still be busy with
    /// an answer's body (they are skipped until done).
    idle: Mutex<Vec<Idle>>,
    /// The HTTP/2 connection, once the upstream chose HTTP/2.
    h2: Mutex<Option<http2::SendRequest<Paced>>>,
}

struct Idle {
    sender: http1::SendRequest<Paced>,
    /// Sweeps seen idle (ready for a request) since it was last used: no clock is read
    /// per request.
    sweeps: u8,
}

impl Pool {
    pub(super) fn new(connector: Connector) -> Pool {
        Pool(Arc::new(Inner {
            connector,
            sweeping: AtomicBool::new(false),
            idle: Mutex::new(Vec::new()),
            h2: Mutex::new(None),
        }))
    }

    /// Sends `req` (its URI absolute) on a kept connection, or on a new one. A request
    /// that a kept connection could not take (it closed meanwhile) goes on the next
    /// one; one that was sent is never sent again.
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
        while let Some(mut sender) = self.kept_h2() {
            *req.version_mut() = Version::HTTP_2;
            match sender.try_send_request(req).await {
                Ok(response) => return Ok(response),
                Err(mut e) => match e.take_message() {
                    Some(back) => {
                        self.forget_h2(&sender);
                        req = back;
                    }
                    None => return Err(SendError::Failed(e.into_error())),
                },
            }
        }
        let absolute = req.uri().clone();
        *req.version_mut() = Version::HTTP_11;
        *req.uri_mut() = origin_form(&absolute);
        while let Some(mut sender) = self.kept_h1() {
            match sender.try_send_request(req).await {
                Ok(response) => {
                    self.keep_h1(sender);
                    return Ok(response);
                }
                Err(mut e) => match e.take_message() {
                    Some(back) => req = back,
                    None => return Err(SendError::Failed(e.into_error())),
                },
            }
        }
        // Boxed: the rare path's large futures stay out of every request's.
        match Box::pin(self.connect(&absolute, keeper)).await? {
            Fresh::Http1(mut sender) => {
                let response = sender.send_request(req).await.map_err(SendError::Failed)?;
                self.keep_h1(sender);
                Ok(response)
            }
            Fresh::Http2(mut sender) => {
                *req.uri_mut() = absolute;
                *req.version_mut() = Version::HTTP_2;
                sender.send_request(req).await.map_err(SendError::Failed)
            }
        }
    }

    fn kept_h2(&self) -> Option<http2::SendRequest<Paced>> {
        let mut h2 = self.h2.lock().unwrap_or_else(PoisonError::into_inner);
        if h2.as_ref().is_some_and(http2::SendRequest::is_closed) {
            *h2 = None;
        }
        h2.clone()
    }

    /// Drops the HTTP/2 connection `closed` if it is still the kept one.
    fn forget_h2(&self, closed: &http2::SendRequest<Paced>) {
        let mut h2 = self.h2.lock().unwrap_or_else(PoisonError::into_inner);
        if h2
            .as_ref()
            .is_some_and(|kept| kept.is_closed() || closed.is_closed())
        {
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
    }

    /// A new connection, HTTP/2 if the upstream chose it; its task runs on the current
    /// runtime. The first one also starts the sweeper of idle connections.
    async fn connect(&self, uri: &Uri, keeper: Weak<Inner>) -> Result<Fresh, SendError> {
        let io = self
            .connector
            .clone()
            .call(uri.clone())
            .await
            .map_err(|_| SendError::Connect)?;
        if io.connected().is_negotiated_h2() {
            let (sender, conn) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .handshake(io)
                .await
                .map_err(SendError::Failed)?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            *self.h2.lock().unwrap_or_else(PoisonError::into_inner) = Some(sender.clone());
            return Ok(Fresh::Http2(sender));
        }
        let (sender, conn) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(SendError::Failed)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.start_sweeper(keeper);
        Ok(Fresh::Http1(sender))
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

enum Fresh {
    Http1(http1::SendRequest<Paced>),
    Http2(http2::SendRequest<Paced>),
}

/// `uri` without its scheme and authority: what an HTTP/1.1 request line carries.
fn origin_form(uri: &Uri) -> Uri {
    match uri.path_and_query() {
        Some(path) => Uri::from(path.clone()),
        None => Uri::from_static("/"),
    }
}
