//! Writing to stdout and stderr.
//!
//! - stdout: a closed pipe (the reader went away, as in `bedrock-token | head -c0`) ends
//!   the output quietly and does not change the exit status; any other write error is an
//!   I/O error (status 74). Output that must not be lost (a long-term key, which IAM shows
//!   once) goes through [`print_line_strict`], for which a closed pipe is an error too.
//! - stderr: each message is one line, key-like text redacted and anything unprintable
//!   escaped; a failure to write it is ignored (there is nowhere left to report it).

use std::io::{ErrorKind, Write as _};

use crate::redact::{looks_like_key, redact, PLACEHOLDER};
use crate::{Failure, Status};

/// Writes `text` and a newline to stdout.
pub(crate) fn print_line(text: &str) -> Result<(), Failure> {
    print(&format!("{text}\n"))
}

/// Writes `text` and a newline to stdout and flushes, for output that must not be lost:
/// every failure, a closed pipe included, is returned for the caller to report.
pub(crate) fn print_line_strict(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.write_all(b"\n")?;
    stdout.flush()
}

/// Writes `text` to stdout as it is.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(
            Status::Io,
            format!("cannot write to stdout: {e}"),
        )),
    }
}

/// Whether `meta` is `/dev/null`'s (a character device with its device number).
pub(crate) fn is_null_device(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
        meta.file_type().is_char_device()
            && std::fs::metadata("/dev/null").is_ok_and(|null| null.rdev() == meta.rdev())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Whether what is written to stdout is certainly lost: stdout is `/dev/null`, or was
/// closed when the command started (the Rust runtime then opens `/dev/null` in its place).
/// For the commands whose output exists only once (a long-term key).
pub(crate) fn stdout_is_discarded() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let Ok(stat) = rustix::fs::fstat(std::io::stdout()) else {
            return true;
        };
        let is_char_device = rustix::fs::FileType::from_raw_mode(stat.st_mode)
            == rustix::fs::FileType::CharacterDevice;
        is_char_device
            && std::fs::metadata("/dev/null").is_ok_and(|null| null.rdev() == stat.st_rdev)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// `bedrock-token: error: …` on stderr.
pub(crate) fn error(message: &str) {
    to_stderr("error: ", message);
}

/// `bedrock-token: warning: …` on stderr.
pub(crate) fn warning(message: &str) {
    to_stderr("warning: ", message);
}

/// `bedrock-token: …` on stderr: what a command did, when it prints nothing else.
pub(crate) fn note(message: &str) {
    to_stderr("", message);
}

fn to_stderr(level: &str, message: &str) {
    let line = format!("bedrock-token: {level}{}\n", one_line(message));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `message` redacted, its lines joined with `; `, and anything unprintable escaped.
pub(crate) fn one_line(message: &str) -> String {
    let joined = redact(message)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    printable(&joined)
}

/// `s` with every character other than printable ASCII (and space) written as
/// `\u{…}`: control characters, bidirectional overrides and other look-alikes cannot
/// reach the terminal.
pub(crate) fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ' ' || c.is_ascii_graphic() {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    out
}

/// `s` in double quotes, redacted and [`printable`]: for naming a bad value. A value that
/// holds a key anywhere is not shown at all: a key pasted with a line break or a space
/// would otherwise show its second part (the signature), which on its own looks like no
/// key.
pub(crate) fn quoted(s: &str) -> String {
    if looks_like_key(s) {
        return format!("\"{PLACEHOLDER}\"");
    }
    format!("\"{}\"", printable(&redact(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_printable_line() {
        assert_eq!(
            one_line("first\n\n  second \r\nthird\u{1b}[31m\u{202e}"),
            r"first; second; third\u{1b}[31m\u{202e}"
        );
        assert_eq!(quoted("us west\t2"), r#""us west\u{9}2""#);
        assert_eq!(quoted("x bedrock-api-key-abcdefg"), r#""<redacted>""#);
        assert_eq!(quoted("bedrock-api-key-abcd\nsignature"), r#""<redacted>""#);
    }
}
