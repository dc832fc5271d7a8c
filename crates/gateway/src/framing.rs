//! HTTP/1 request framing, read from the raw bytes.
//!
//! hyper parses each request head itself, but resolves some ambiguous framings quietly
//! (it drops `Content-Length` when `Transfer-Encoding` is present, and keeps one of
//! several equal lengths), so the request that reaches the gateway no longer shows them.
//! [`Sniffed`] wraps the connection and reads every request head with the same parser
//! (`httparse`) as the bytes pass by, queueing one [`Framing`] verdict per head for the
//! service to take, in order.
//!
//! To stay in step with hyper it follows `Content-Length` bodies and chunked bodies (chunk
//! sizes, data, trailers), so a connection serves request after request whatever their
//! framing. It stops reading at anything it does not follow exactly as written (a chunk
//! size with spaces, a bare line feed), and after anything hyper would refuse itself (a
//! malformed or oversized head). The service refuses any request it finds no verdict for,
//! so getting out of step can only refuse requests, never let one through unchecked.
//!
//! Why not hyper alone: the probes in `tests/gateway` (`ambiguous_framing_is_refused`,
//! `a_smuggled_request_is_never_forwarded`) send `Transfer-Encoding: chunked` followed by
//! `Content-Length`, and `Content-Length` twice. hyper 1 drops the later header of each
//! before the service sees the request, so only the bytes show that the head was
//! ambiguous; pingora likewise judges the raw head. Everything else (parsing the request
//! the service gets, decoding the body) is hyper's.

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
    /// Unambiguous.
    Ok,
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
    /// In a chunked body.
    Chunked(Chunk),
    /// No longer reading (after a refusal, a head hyper refuses, or what it cannot follow).
    Stopped,
}

/// Where the reader is in a chunked body (RFC 9112, section 7.1).
#[derive(Debug)]
enum Chunk {
    /// In a chunk-size line; the bytes so far.
    Size(Vec<u8>),
    /// In a chunk's data with this many bytes left.
    Data(u64),
    /// After a chunk's data: how many bytes of its `\r\n` have been seen.
    DataEnd(u8),
    /// In the trailer section: the bytes of it so far, and where the current line starts.
    Trailer(Vec<u8>, usize),
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
                State::Chunked(chunk) => {
                    let (used, next) = follow(chunk, input, self.max_head);
                    input = &input[used..];
                    if let Some(next) = next {
                        self.state = next;
                    }
                }
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
        ((None, _), (None, _)) => (Framing::Ok, State::Head(Vec::new())),
        ((Some(_), _), (Some(_), _)) => refused("both Content-Length and Transfer-Encoding"),
        ((Some(_), 2..), _) => refused("more than one Content-Length"),
        (_, (Some(_), 2..)) => refused("more than one Transfer-Encoding"),
        ((None, _), (Some(te), _)) => {
            if trim(te).eq_ignore_ascii_case(b"chunked") {
                (Framing::Ok, State::Chunked(Chunk::Size(Vec::new())))
            } else {
                refused("a Transfer-Encoding other than chunked")
            }
        }
        ((Some(cl), _), (None, _)) => match parse_length(trim(cl)) {
            Some(0) => (Framing::Ok, State::Head(Vec::new())),
            Some(n) => (Framing::Ok, State::Body(n)),
            None => refused("a Content-Length that is not one number"),
        },
    }
}

/// Follows a chunked body through `input`: how many bytes it took, and the state to go to
/// when the body ended (the next head) or cannot be followed (stopped). Only the form
/// hyper reads is followed: a size of 1 to 16 hex digits, then an optional `;`
/// extension, then `\r\n`; data and its `\r\n`; trailer lines ending in `\r\n`, then an
/// empty line. Anything else stops the reader. `max` bounds a size line and the trailers.
fn follow(chunk: &mut Chunk, input: &[u8], max: usize) -> (usize, Option<State>) {
    let mut used = 0;
    while used < input.len() {
        match chunk {
            Chunk::Data(left) => {
                let n = (input.len() - used).min(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= n as u64;
                used += n;
                if *left == 0 {
                    *chunk = Chunk::DataEnd(0);
                }
            }
            Chunk::DataEnd(seen) => {
                let want = b"\r\n"[usize::from(*seen)];
                if input[used] != want {
                    return (used, Some(State::Stopped));
                }
                used += 1;
                *seen += 1;
                if *seen == 2 {
                    *chunk = Chunk::Size(Vec::new());
                }
            }
            Chunk::Size(line) => {
                let byte = input[used];
                used += 1;
                line.push(byte);
                if byte != b'\n' {
                    if line.len() > max {
                        return (used, Some(State::Stopped));
                    }
                    continue;
                }
                match chunk_size(line) {
                    Some(0) => *chunk = Chunk::Trailer(Vec::new(), 0),
                    Some(size) => *chunk = Chunk::Data(size),
                    None => return (used, Some(State::Stopped)),
                }
            }
            Chunk::Trailer(bytes, line_start) => {
                let byte = input[used];
                used += 1;
                bytes.push(byte);
                if bytes.len() > max {
                    return (used, Some(State::Stopped));
                }
                if byte != b'\n' {
                    continue;
                }
                let line = &bytes[*line_start..];
                if line.len() < 2 || line[line.len() - 2] != b'\r' {
                    return (used, Some(State::Stopped));
                }
                if line == b"\r\n" {
                    return (used, Some(State::Head(Vec::new())));
                }
                *line_start = bytes.len();
            }
        }
    }
    (used, None)
}

/// The size in a chunk-size line (`line` ends with its `\n`): 1 to 16 hex digits, an
/// optional `;` extension without control characters, `\r\n`. `None` for anything else.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\r\n")?;
    let (digits, extension) = match line.iter().position(|&b| b == b';') {
        Some(at) => (&line[..at], Some(&line[at + 1..])),
        None => (line, None),
    };
    if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    if extension.is_some_and(|e| e.iter().any(|&b| b.is_ascii_control() && b != b'\t')) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
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

    const OK: Framing = Framing::Ok;

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
            cuts in proptest::collection::vec(0usize..600, 0..8),
        ) {
            let stream: &[u8] = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello\
                POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n\
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
            proptest::prop_assert_eq!(verdicts_of(&chunks), [OK, OK, OK, refused]);
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

    /// Chunked bodies are followed (sizes, extensions, data that looks like a head,
    /// trailers), however the bytes arrive, so the next request has its verdict.
    #[test]
    fn chunked_bodies_keep_in_step() {
        let stream: &[u8] = b"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n\
            5;name=value\r\nhello\r\n\
            1A\r\nGET /x HTTP/1.1\r\nTE: a\r\n\r\n\r\n\
            0\r\nX-Trailer: t\r\n\r\n\
            GET / HTTP/1.1\r\n\r\n\
            POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\
            POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx";
        let twice = Framing::Refused("more than one Content-Length");
        assert_eq!(verdicts_of(&[stream]), [OK, OK, OK, twice]);
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(verdicts_of(&bytes), [OK, OK, OK, twice]);
    }

    /// A chunked body the reader cannot follow exactly stops it: what follows gets no
    /// verdict (and so is refused), never a verdict meant for another head.
    #[test]
    fn chunked_bodies_it_cannot_follow_stop_the_reader() {
        let next = "GET / HTTP/1.1\r\n\r\n";
        for body in [
            "5 \r\nhello\r\n0\r\n\r\n",                // a space after the size
            "5\nhello\r\n0\r\n\r\n",                   // a bare line feed
            "5\r\nhelloX\r\n0\r\n\r\n",                // data longer than its size
            "zz\r\nabc\r\n0\r\n\r\n",                  // not hex
            "00000000000000005\r\nhello\r\n0\r\n\r\n", // 17 digits
            "0\r\nX: y\n\r\n",                         // a trailer ending in a bare line feed
            "5;a\x01b\r\nhello\r\n0\r\n\r\n",          // a control character in an extension
        ] {
            let stream =
                format!("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{body}{next}");
            assert_eq!(verdicts_of(&[stream.as_bytes()]), [OK], "{body:?}");
        }
        let long_size = format!(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;{}\r\n",
            "e".repeat(2000)
        );
        assert_eq!(
            verdicts_of(&[long_size.as_bytes(), b"hello\r\n0\r\n\r\n", next.as_bytes()]),
            [OK]
        );
    }

    #[test]
    fn reading_stops_after_oversized_heads() {
        let big = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(2000));
        assert_eq!(verdicts_of(&[big.as_bytes()]), []);
        assert_eq!(verdicts_of(&[b"NOT HTTP AT ALL\r\n\r\n"]), []);
        let partial = b"GET / HTTP/1.1\r\nHost: h\r\n";
        assert_eq!(verdicts_of(&[partial]), []);
    }
}
