//! [`ClientKey`]: the secret that local clients present to the gateway, and its file.

use std::fmt;
use std::io::{self, Read as _, Write as _};
use std::path::Path;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::{Error, ErrorKind, Input};

/// What every generated key starts with, so that redaction and secret scanners can spot it.
pub const CLIENT_KEY_PREFIX: &str = "btgw-";
/// The shortest client key accepted.
pub const MIN_CLIENT_KEY_CHARS: usize = 16;
/// The longest client key accepted (and the most a client key file is read).
pub const MAX_CLIENT_KEY_CHARS: usize = 1024;

/// The secret that local clients present to the gateway (`Authorization: Bearer <key>` or
/// `x-api-key: <key>`) in place of a Bedrock API key.
///
/// It is worth nothing anywhere but at the gateway that holds it, which makes it the key
/// to hand to programs that cannot refresh one. The text lives in zeroize-on-drop memory;
/// `Debug` prints `** redacted **` and there is no `Display`.
#[derive(Clone)]
pub struct ClientKey {
    text: Zeroizing<String>,
}

impl ClientKey {
    /// A new random key: 32 bytes from the operating system's CSPRNG, URL-safe base64
    /// without padding, behind [`CLIENT_KEY_PREFIX`] (`btgw-…`, 48 characters in all).
    ///
    /// # Panics
    ///
    /// If the operating system has no random number generator to offer (no supported OS
    /// fails here); a key from a weaker source would be worse than none.
    pub fn generate() -> ClientKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).expect("the operating system's random number generator");
        let mut text = Zeroizing::new(String::with_capacity(48));
        text.push_str(CLIENT_KEY_PREFIX);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(bytes.as_ref(), &mut text);
        ClientKey { text }
    }

    /// A key chosen by the caller. Refused ([`ErrorKind::InvalidClientKey`]) if it is
    /// shorter than [`MIN_CLIENT_KEY_CHARS`] or longer than [`MAX_CLIENT_KEY_CHARS`], or
    /// holds anything but visible ASCII (no spaces, control characters or non-ASCII
    /// letters: it travels in an HTTP header). The message never quotes the key.
    pub fn new(text: String) -> Result<ClientKey, Error> {
        let text = Zeroizing::new(text);
        let problem = if text.is_empty() {
            Some("is empty")
        } else if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some("contains whitespace or control characters")
        } else if !text.is_ascii() {
            Some("contains non-ASCII characters, which an HTTP header cannot carry reliably")
        } else if text.len() < MIN_CLIENT_KEY_CHARS {
            Some("is shorter than 16 characters")
        } else if text.len() > MAX_CLIENT_KEY_CHARS {
            Some("is longer than 1024 characters")
        } else {
            None
        };
        match problem {
            None => Ok(ClientKey { text }),
            Some(problem) => Err(Error::new(
                ErrorKind::InvalidClientKey,
                format!(
                    "the gateway client key {problem}: use at least 16 visible ASCII \
                     characters, for example a generated key"
                ),
            )
            .about(Input::ClientKey)),
        }
    }

    /// The key text.
    ///
    /// **Security warning:** whoever holds it can spend the gateway's Bedrock API keys
    /// for as long as the gateway runs. Hand it only to the programs that should use the
    /// gateway (an environment variable of a child process, a private file); never log
    /// or print it, or put it in a URL.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key in the file at `path`, or a new generated key written there if there is
    /// no such file.
    ///
    /// On Unix the file must be a regular file (a symbolic link is refused, not
    /// followed), owned by the effective user, with no permission bits for group or
    /// others (mode `0600` or stricter), as SSH keys are; anything else is refused with
    /// [`ErrorKind::InvalidClientKey`] and a message saying what to change. It is opened
    /// without following links and without blocking, so a FIFO swapped in is refused, not
    /// waited on. A new file is created with mode `0600` under its final name only once
    /// its content is complete (a reader never sees a partial key; of two processes
    /// creating it at once, both end up with the same key). Its parent directory must
    /// exist.
    ///
    /// The content is the key, optionally followed by one newline (`\n` or `\r\n`), and
    /// must pass [`ClientKey::new`]. I/O failures are [`ErrorKind::Io`] with the
    /// [`std::io::Error`] (kind and OS code) as the source. Elsewhere than Unix, the
    /// ownership and permission checks are left to the file system.
    pub fn load_or_create(path: &Path) -> Result<ClientKey, Error> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => Self::load(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Self::create(path),
            Err(e) => Err(file_error("could not inspect", path, e)),
        }
    }

    fn load(path: &Path) -> Result<ClientKey, Error> {
        let file = private::open_private(path)?;
        let mut bytes = Zeroizing::new(Vec::new());
        file.take(MAX_CLIENT_KEY_CHARS as u64 + 3)
            .read_to_end(&mut bytes)
            .map_err(|e| file_error("could not read", path, e))?;
        let mut text = match String::from_utf8(std::mem::take(&mut *bytes)) {
            Ok(text) => Zeroizing::new(text),
            Err(e) => {
                drop(Zeroizing::new(e.into_bytes()));
                return Err(bad_file(path, "is not UTF-8 text"));
            }
        };
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        Self::new(std::mem::take(&mut *text)).map_err(|_| {
            bad_file(
                path,
                "does not hold a usable key (at least 16 visible ASCII characters, \
                 optionally followed by one newline)",
            )
        })
    }

    fn create(path: &Path) -> Result<ClientKey, Error> {
        let key = Self::generate();
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(
            ".{name}.{}.{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        let written = private::create_new(&tmp)
            .and_then(|mut f| {
                f.write_all(key.as_str().as_bytes())?;
                f.write_all(b"\n")?;
                f.sync_all()
            })
            // A hard link never replaces an existing file: if another process created
            // the key file meanwhile, its key wins and is loaded below.
            .and_then(|()| std::fs::hard_link(&tmp, path));
        let _ = std::fs::remove_file(&tmp);
        match written {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(file_error("could not create", path, e)),
        }
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKey(** redacted **)")
    }
}

fn file_error(what: &str, path: &Path, e: io::Error) -> Error {
    Error::io(
        &format!("{what} the gateway client key file {}", path.display()),
        e,
    )
    .about(Input::ClientKey)
}

fn bad_file(path: &Path, problem: &str) -> Error {
    Error::new(
        ErrorKind::InvalidClientKey,
        format!("the gateway client key file {} {problem}", path.display()),
    )
    .about(Input::ClientKey)
}

/// File-system rules: a regular file, the user's own, private.
#[cfg(unix)]
mod private {
    use std::fs::File;
    use std::io;
    use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
    use std::path::Path;

    use rustix::fs::{Mode, OFlags};

    use super::{bad_file, file_error};
    use crate::Error;

    /// Opens `path` for reading if it is a regular file (a link is not followed), owned
    /// by the effective user and private; never blocks on a FIFO or device.
    pub(super) fn open_private(path: &Path) -> Result<File, Error> {
        let flags =
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let file = match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => File::from(fd),
            // ELOOP: the last component is a symbolic link.
            Err(rustix::io::Errno::LOOP) => {
                return Err(bad_file(
                    path,
                    "is a symbolic link: point the gateway at the file itself",
                ))
            }
            Err(e) => return Err(file_error("could not open", path, io::Error::from(e))),
        };
        let meta = file
            .metadata()
            .map_err(|e| file_error("could not inspect", path, e))?;
        if !meta.is_file() {
            return Err(bad_file(
                path,
                "is not a regular file: point the gateway at a file holding the key",
            ));
        }
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return Err(bad_file(
                path,
                "is owned by another user: use a key file of your own",
            ));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(bad_file(
                path,
                "can be read or written by other users: make it private (chmod 600)",
            ));
        }
        Ok(file)
    }

    /// Creates `path` (which must not exist) with mode 0600, not following links.
    pub(super) fn create_new(path: &Path) -> io::Result<File> {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(path)
    }
}

/// Elsewhere: the file must be a regular file; ownership and permissions are left to the
/// file system.
#[cfg(not(unix))]
mod private {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    use super::{bad_file, file_error};
    use crate::Error;

    pub(super) fn open_private(path: &Path) -> Result<File, Error> {
        let meta = std::fs::symlink_metadata(path)
            .map_err(|e| file_error("could not inspect", path, e))?;
        if !meta.is_file() {
            return Err(bad_file(
                path,
                "is not a regular file: point the gateway at a file holding the key",
            ));
        }
        File::open(path).map_err(|e| file_error("could not open", path, e))
    }

    pub(super) fn create_new(path: &Path) -> io::Result<File> {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_long_prefixed_distinct_and_accepted() {
        let a = ClientKey::generate();
        let b = ClientKey::generate();
        assert_ne!(a.as_str(), b.as_str());
        assert!(a.as_str().starts_with(CLIENT_KEY_PREFIX));
        assert_eq!(a.as_str().len(), 48);
        assert!(ClientKey::new(a.as_str().to_owned()).is_ok());
        assert_eq!(format!("{a:?}"), "ClientKey(** redacted **)");
    }

    #[test]
    fn bad_keys_are_refused_without_being_quoted() {
        for bad in [
            "",
            "short-key",
            "a key with spaces in it",
            "tab\tseparated-key-text",
            "newline-in-the-key\ntext",
            "non-ascii-key-text-é-é-é",
        ] {
            let e = ClientKey::new(bad.to_owned()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidClientKey, "{bad:?}");
            assert_eq!(e.input(), Some(Input::ClientKey));
            if !bad.is_empty() {
                assert!(!e.to_string().contains(bad), "{e}");
            }
        }
        let e = ClientKey::new("x".repeat(MAX_CLIENT_KEY_CHARS + 1)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidClientKey);
        assert!(ClientKey::new("x".repeat(MAX_CLIENT_KEY_CHARS)).is_ok());
        assert!(ClientKey::new("0123456789abcdef".into()).is_ok());
    }
}
