//! HTTP/1 request framing, read from the raw bytes.
//!
//! hyper parses each request head itself, but resolves some ambiguous framings quietly
//! (it drops `Content-Length` when `Transfer-Encoding` is present, and keeps one of
//! several equal lengths), so the request that reaches the gateway no longer shows them.
//! [`Sniffed`] wraps the connection and reads every request head with the same parser
//! (`httparse`) as the bytes pass by, queueing one [`Framing`] verdict per head for the
//! service to take, in order.
//!
//! To stay in step with hyper it follows `Content-Length` bodies; after a chunked body it
//! stops reading (the gateway closes such a connection after its answer), and after
//! anything hyper would refuse itself (a malformed or oversized head) too. The service
//! refuses any request it finds no verdict for, so getting out of step can only refuse
//! requests, never let one through unchecked.

use std::collections::VecDeque;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most headers in one request head (hyper's default limit, past which it answers 431).
const MAX_HEADERS: usize = 100;

/// What the framing of one request head allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// Unambiguous; `chunked` if its body is chunked (the connection closes afterwards).
    Ok { chunked: bool },
    /// Ambiguous: refuse the request and close the connection.
    Refused(&'static str),
}

/// The verdicts of one connection, shared between its reader and its service.
#[derive(Debug, Clone, Default)]
pub(super) struct Verdicts(Arc<Mutex<VecDeque<Framing>>>);

impl Verdicts {
    /// The verdict on the oldest head not yet taken; `None` if the reader has none.
    pub(super) fn take(&self) -> Option<Framing> {
        self.0.lock().ok()?.pop_front()
    }

    fn push(&self, framing: Framing) {
        if let Ok(mut queue) = self.0.lock() {
            queue.push_back(framing);
        }
    }
}

/// Where the reader is in the byte stream.
#[derive(Debug)]
enum State {
    /// In a request head; the bytes so far.
    Head(Vec<u8>),
    /// In a body with this many bytes left.
    Body(u64),
    /// No longer reading (after a chunked body, a refusal, or a head hyper refuses).
    Stopped,
}

/// Reads request heads from the bytes of one connection.
#[derive(Debug)]
pub(super) struct Scanner {
    state: State,
    max_head: usize,
    verdicts: Verdicts,
}

impl Scanner {
    pub(super) fn new(max_head: usize, verdicts: Verdicts) -> Self {
        Scanner {
            state: State::Head(Vec::new()),
            max_head,
            verdicts,
        }
    }

    /// Takes in the next bytes read from the client.
    pub(super) fn feed(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            match &mut self.state {
                State::Stopped => return,
                State::Body(left) => {
                    let n = input
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= n as u64;
                    input = &input[n..];
                    if *left == 0 {
                        self.state = State::Head(Vec::new());
                    }
                }
                State::Head(buf) => {
                    let room = (self.max_head + 1).saturating_sub(buf.len());
                    let taken = &input[..input.len().min(room)];
                    // Most heads arrive whole: they are parsed where they lie, and only an
                    // unfinished one is kept for the next bytes.
                    let before = buf.len();
                    let head: &[u8] = if before == 0 {
                        taken
                    } else {
                        buf.extend_from_slice(taken);
                        // Parsed again only once the blank line may be there, so that a
                        // head sent a byte at a time is not parsed once per byte.
                        if !may_end_head(&buf[before.saturating_sub(2)..]) {
                            if buf.len() > self.max_head {
                                self.state = State::Stopped;
                            }
                            return;
                        }
                        buf
                    };
                    let mut headers = [const { MaybeUninit::uninit() }; MAX_HEADERS];
                    let mut req = httparse::Request::new(&mut []);
                    match req.parse_with_uninit_headers(head, &mut headers) {
                        Ok(httparse::Status::Complete(len)) if len <= self.max_head => {
                            // The head was incomplete before these bytes: it ends in them.
                            // (Were it not so, the scanner would be out of step: it stops.)
                            let Some(rest) = len.checked_sub(before).and_then(|n| input.get(n..))
                            else {
                                self.state = State::Stopped;
                                return;
                            };
                            input = rest;
                            let (framing, next) = judge(req.headers);
                            self.verdicts.push(framing);
                            self.state = next;
                        }
                        Ok(httparse::Status::Partial) if head.len() <= self.max_head => {
                            if before == 0 {
                                buf.extend_from_slice(taken);
                            }
                            return;
                        }
                        // Too large, or malformed: hyper refuses it and closes.
                        _ => self.state = State::Stopped,
                    }
                }
            }
        }
    }
}

/// Whether `bytes` hold the end of a head: a line break followed by an empty line (`\n\n`
/// or `\n\r\n`, the forms httparse accepts).
fn may_end_head(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .enumerate()
        .any(|(i, w)| w == b"\n\n" || (w == b"\n\r" && bytes.get(i + 2) == Some(&b'\n')))
}

/// The verdict on a complete head, and what follows it.
fn judge(headers: &[httparse::Header<'_>]) -> (Framing, State) {
    // The first value of a header and how many times it is there.
    let named = |name: &str| {
        let mut all = headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name));
        let first = all.next().map(|h| h.value);
        (first, first.map_or(0, |_| 1 + all.count()))
    };
    let lengths = named("content-length");
    let encodings = named("transfer-encoding");
    let refused = |why| (Framing::Refused(why), State::Stopped);
    match (lengths, encodings) {
        ((None, _), (None, _)) => (Framing::Ok { chunked: false }, State::Head(Vec::new())),
        ((Some(_), _), (Some(_), _)) => refused("both Content-Length and Transfer-Encoding"),
        ((Some(_), 2..), _) => refused("more than one Content-Length"),
        (_, (Some(_), 2..)) => refused("more than one Transfer-Encoding"),
        ((None, _), (Some(te), _)) => {
            if trim(te).eq_ignore_ascii_case(b"chunked") {
                (Framing::Ok { chunked: true }, State::Stopped)
            } else {
                refused("a Transfer-Encoding other than chunked")
            }
        }
        ((Some(cl), _), (None, _)) => match parse_length(trim(cl)) {
            Some(0) => (Framing::Ok { chunked: false }, State::Head(Vec::new())),
            Some(n) => (Framing::Ok { chunked: false }, State::Body(n)),
            None => refused("a Content-Length that is not one number"),
        },
    }
}

fn trim(value: &[u8]) -> &[u8] {
    value.trim_ascii()
}

/// A length of 1 to 19 digits (so it fits in a u64); nothing else, not even a list.
fn parse_length(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A connection whose incoming bytes pass through a [`Scanner`].
#[derive(Debug)]
pub(super) struct Sniffed<S> {
    inner: S,
    scanner: Scanner,
}

impl<S> Sniffed<S> {
    pub(super) fn new(inner: S, scanner: Scanner) -> Self {
        Sniffed { inner, scanner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniffed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.scanner.feed(&buf.filled()[before..]);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniffed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts_of(chunks: &[&[u8]]) -> Vec<Framing> {
        let verdicts = Verdicts::default();
        let mut scanner = Scanner::new(1024, verdicts.clone());
        for chunk in chunks {
            scanner.feed(chunk);
        }
        std::iter::from_fn(|| verdicts.take()).collect()
    }

    const OK: Framing = Framing::Ok { chunked: false };

    #[test]
    fn plain_heads_and_bodies_keep_in_step() {
        let two = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
        assert_eq!(verdicts_of(&[two]), [OK, OK]);
        // The same bytes one at a time.
        let bytes: Vec<&[u8]> = two.chunks(1).collect();
        assert_eq!(verdicts_of(&bytes), [OK, OK]);
        // A body that looks like a head is not read as one.
        let inner = "GET /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n";
        let body = format!(
            "POST /a HTTP/1.1\r\nContent-Length: {}\r\n\r\n{inner}",
            inner.len()
        );
        assert_eq!(verdicts_of(&[body.as_bytes()]), [OK]);
    }

    proptest::proptest! {
        /// However the bytes of a stream of requests are split into reads, the verdicts
        /// are those of the whole stream.
        #[test]
        fn verdicts_do_not_depend_on_how_bytes_arrive(
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let stream: &[u8] = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello\
                GET /b HTTP/1.1\r\nHost: h\r\n\r\n\
                POST /c HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nhi";
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % stream.len()).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut at = 0;
            for cut in cuts.into_iter().chain([stream.len()]) {
                chunks.push(&stream[at..cut]);
                at = cut;
            }
            let refused = Framing::Refused("more than one Content-Length");
            proptest::prop_assert_eq!(verdicts_of(&chunks), [OK, OK, refused]);
        }
    }

    #[test]
    fn heads_with_bare_line_feeds_end_where_httparse_ends_them() {
        for head in [
            &b"GET /a HTTP/1.1\nHost: h\n\n"[..],
            b"GET /a HTTP/1.1\nHost: h\n\r\n",
            b"GET /a HTTP/1.1\r\nHost: h\r\n\n",
        ] {
            let stream = [head, b"GET /b HTTP/1.1\r\n\r\n"].concat();
            let bytes: Vec<&[u8]> = stream.chunks(1).collect();
            assert_eq!(
                verdicts_of(&bytes),
                [OK, OK],
                "{:?}",
                String::from_utf8_lossy(head)
            );
            assert_eq!(verdicts_of(&[&stream]), [OK, OK]);
        }
    }

    #[test]
    fn ambiguous_framings_are_refused() {
        let cases: [(&[u8], &str); 6] = [
            (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "both"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "both"),
            (b"POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n", "more than one Content-Length"),
            (b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", "not one number"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "other than chunked"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "more than one Transfer"),
        ];
        for (head, why) in cases {
            match verdicts_of(&[head]).as_slice() {
                [Framing::Refused(reason)] => assert!(reason.contains(why), "{reason}"),
                other => panic!("{other:?} for {}", String::from_utf8_lossy(head)),
            }
        }
    }

    #[test]
    fn reading_stops_after_chunked_bodies_and_oversized_heads() {
        let chunked =
            b"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        assert_eq!(verdicts_of(&[chunked]), [Framing::Ok { chunked: true }]);
        let big = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(2000));
        assert_eq!(verdicts_of(&[big.as_bytes()]), []);
        assert_eq!(verdicts_of(&[b"NOT HTTP AT ALL\r\n\r\n"]), []);
        let partial = b"GET / HTTP/1.1\r\nHost: h\r\n";
        assert_eq!(verdicts_of(&[partial]), []);
    }
}
