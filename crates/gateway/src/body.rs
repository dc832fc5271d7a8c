//! A body that may not stall: it goes on as it arrives, but a pause longer than the limit
//! ends it with an error. A client's request body (the upstream request is then
//! abandoned and the client gets `408`, rather than the connection being held until the
//! upstream's own timeout), and an upstream's answer (the client's answer is then cut
//! off).

use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use tokio::time::Sleep;

/// A body with a limit on each pause in it.
#[derive(Debug)]
pub(super) struct Paced {
    inner: Incoming,
    pause: Duration,
    /// Armed while the client is waited for; none while bytes flow (so a body that
    /// arrives with its head never sets a timer).
    deadline: Option<Pin<Box<Sleep>>>,
    /// How the body ended, if it failed. Shared rather than the error itself: hyper's
    /// HTTP/2 client does not pass a body's error on in the request's.
    fate: Arc<Fate>,
}

/// Why a paced body failed, as the request's caller sees it afterwards.
#[derive(Debug, Default)]
pub(super) struct Fate(AtomicU8);

const STALLED: u8 = 1;
const BROKEN: u8 = 2;

impl Fate {
    /// The pause limit ended the body.
    pub(super) fn stalled(&self) -> bool {
        self.0.load(Ordering::Relaxed) == STALLED
    }

    /// The client's body itself failed: malformed (a bad chunk), or cut off.
    pub(super) fn broken(&self) -> bool {
        self.0.load(Ordering::Relaxed) == BROKEN
    }
}

impl Paced {
    /// The paced body, and how it failed, if it does.
    pub(super) fn new(inner: Incoming, pause: Duration) -> (Self, Arc<Fate>) {
        let fate = Arc::new(Fate::default());
        let body = Paced {
            inner,
            pause,
            deadline: None,
            fate: fate.clone(),
        };
        (body, fate)
    }
}

/// The client paused its body for longer than allowed.
#[derive(Debug, thiserror::Error)]
#[error("the client sent no part of its request body for too long")]
pub(super) struct Stalled;

impl Body for Paced {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.deadline = None;
                if matches!(frame, Some(Err(_))) {
                    this.fate.0.store(BROKEN, Ordering::Relaxed);
                }
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let pause = this.pause;
                let deadline = this
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(pause)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.fate.0.store(STALLED, Ordering::Relaxed);
                        Poll::Ready(Some(Err(Stalled.into())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
