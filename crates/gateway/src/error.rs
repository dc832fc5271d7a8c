//! The gateway's error: why it could not be set up, bound or served.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::sync::Arc;

/// What went wrong, for callers that want to react to a particular failure.
///
/// New kinds may be added in minor releases, so `match` on it with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The builder was given a contradictory or unusable setting (an upstream URL that
    /// is not `https://`, a limit of zero, ...).
    InvalidConfig,
    /// An address that must be on loopback is not: the listen address, or the host of a
    /// plain-HTTP upstream.
    NotLoopback,
    /// A client key is unusable: its text is too short or holds characters an HTTP
    /// header cannot carry, or its file is not a private regular file of the user's own.
    InvalidClientKey,
    /// The operating system refused something: binding the address (in use, not
    /// permitted), reading or creating the client key file, the system's root
    /// certificates, a serving thread, or the TLS setup. [`Error::io_error_kind`] says
    /// what the operating system reported.
    Io,
    /// A bug: the gateway met a state it does not expect.
    Internal,
}

/// Which of the caller's inputs an [`Error`] is about, so that a program can name it in its
/// own terms (a command-line flag, a form field).
///
/// New inputs may be added in minor releases, so `match` on it with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// The listen address.
    ListenAddress,
    /// The upstream URL (or the control plane's).
    Upstream,
    /// The client key, or its file.
    ClientKey,
}

/// The error of setting up and serving a [`Gateway`](crate::Gateway).
///
/// Its message says what was wrong and how to fix it, in this library's terms; the same
/// facts are there for programs through [`Error::kind`], [`Error::input`] and
/// [`Error::io_error_kind`]. Neither `Display` nor `Debug` ever holds a key, a client key
/// or a dependency's own error text: an I/O error is kept only as its kind and OS error
/// code, shown as the standard library shows those (`Address already in use (os error
/// 98)`), never with the message of the error that carried them.
#[derive(Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    input: Option<Input>,
    message: Cow<'static, str>,
    #[source]
    source: Option<Arc<io::Error>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            input: None,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn about(mut self, input: Input) -> Self {
        self.input = Some(input);
        self
    }

    /// An I/O failure: `context`, then the error reduced to its kind and OS error code
    /// (which is also kept as the source), so no foreign text comes along.
    pub(crate) fn io(context: &str, e: io::Error) -> Self {
        let reduced = match e.raw_os_error() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::from(e.kind()),
        };
        let mut err = Error::new(ErrorKind::Io, format!("{context}: {reduced}"));
        err.source = Some(Arc::new(reduced));
        err
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Which of the caller's inputs was wrong, where the error is about one.
    pub fn input(&self) -> Option<Input> {
        self.input
    }

    /// The kind of I/O error behind this one, where an operating system call failed (for
    /// example [`std::io::ErrorKind::AddrInUse`] when the gateway cannot bind).
    pub fn io_error_kind(&self) -> Option<io::ErrorKind> {
        self.source.as_deref().map(io::Error::kind)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(input) = &self.input {
            d.field("input", input);
        }
        d.field("message", &self.message);
        if let Some(source) = &self.source {
            d.field("source", &format_args!("{source}"));
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_keep_only_kind_and_code() {
        let e = Error::io(
            "could not listen on 127.0.0.1:1",
            io::Error::new(io::ErrorKind::AddrInUse, "secret foreign text"),
        );
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(!format!("{e:?}").contains("secret"), "{e:?}");
        assert!(e
            .to_string()
            .starts_with("could not listen on 127.0.0.1:1: "));
        assert_eq!(e.io_error_kind(), Some(io::ErrorKind::AddrInUse));
        let plain = Error::new(ErrorKind::Io, "no I/O behind it");
        assert_eq!(plain.io_error_kind(), None);
        assert!(std::error::Error::source(&plain).is_none());
    }
}
