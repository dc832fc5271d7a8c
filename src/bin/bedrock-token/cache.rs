//! `--cache`: reuse the token an earlier run minted with the same settings.
//!
//! - **Where.** `$XDG_CACHE_HOME/bedrock-token` (when `XDG_CACHE_HOME` is an absolute
//!   path), else `$HOME/.cache/bedrock-token`. The directory is created `0700`; each entry
//!   is a `0600` file, written to a temporary file in the same directory and renamed into
//!   place, so readers never see half an entry.
//! - **Which entry.** The file name is the hex SHA-256 of [`CacheKey`]'s canonical text:
//!   a format version, the AWS config file paths with their size and modification time
//!   (so editing a profile starts afresh), `--region`, `AWS_REGION`,
//!   `AWS_DEFAULT_REGION`, `--profile`, `AWS_PROFILE`, the expiry, `AWS_ACCESS_KEY_ID`, the
//!   web-identity and container-credentials variables (`settings::IDENTITY_VARS`), and
//!   (once the command has them) role and policy settings. Any difference is another entry.
//!   Storing an entry deletes entries (and stray temporary files) older than 12 hours,
//!   which no token outlives.
//! - **When an entry is used.** It must be a regular file owned by this user, not
//!   readable or writable by group or others, in a directory owned by this user that
//!   group and others cannot write; its token must parse as a Bedrock API key for the
//!   stored region and the requested expiry, and be [`reusable`] now. Anything else
//!   (corrupt, foreign, unreadable, stale) is ignored, and the entry is replaced by the
//!   newly minted token.
//! - **Failures.** A cache that cannot be read is a miss; one that cannot be written
//!   costs a one-line warning on stderr (never the token), and the token is printed
//!   anyway.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_bedrock_token_generator::{TokenInfo, MAX_CLOCK_SKEW, MAX_EXPIRY};
use sha2::{Digest as _, Sha256};

use crate::settings::{home_dir, Settings};

/// The first line of every entry; a new format gets a new version (and so new names).
const MAGIC: &str = "bedrock-token cache v1";

/// Entries are a few hundred bytes; anything much larger is not ours.
const MAX_ENTRY: u64 = 16 * 1024;

/// Reuse needs at least this much validity left, and at least half the token's lifetime.
pub(crate) const MIN_LEFT: Duration = Duration::from_secs(300);

/// A token with what the command prints besides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The token text.
    pub(crate) token: String,
    /// When it expires (earlier than `signed_at + expiry` if the credentials expire first).
    pub(crate) expires_at: SystemTime,
    /// The region in its credential scope.
    pub(crate) region: String,
}

/// Everything that decides which token a run mints. Extend it (and bump nothing: a new
/// field changes the canonical text, and so the file name) when the command gains
/// settings, such as a role to assume or a session policy.
#[derive(Debug)]
struct CacheKey<'a> {
    settings: &'a Settings,
    /// `--role-arn`.
    role_arn: Option<&'a str>,
    /// `--role-session-name`.
    role_session_name: Option<&'a str>,
    /// The session policy: the `--session-policy` document, or the `--allow-model` ids.
    policy: Option<String>,
}

impl CacheKey<'_> {
    /// One `name=value` line per setting, values in Rust's debug quoting (unambiguous
    /// for any text, `None` for unset).
    fn canonical(&self) -> String {
        let s = self.settings;
        let mut text = format!("{MAGIC}\n");
        let mut line = |name: &str, value: &dyn std::fmt::Debug| {
            let _ = writeln!(text, "{name}={value:?}");
        };
        line("config_file", &s.env.config_file);
        line("config_file_stamp", &stamp(&s.env.config_file));
        line("credentials_file", &s.env.credentials_file);
        line("credentials_file_stamp", &stamp(&s.env.credentials_file));
        line("region_flag", &s.region);
        line("AWS_REGION", &s.env.region);
        line("AWS_DEFAULT_REGION", &s.env.default_region);
        line("profile_flag", &s.profile);
        line("AWS_PROFILE", &s.env.profile);
        line("expiry_secs", &s.expiry.as_secs());
        line("AWS_ACCESS_KEY_ID", &s.env.access_key_id);
        for (name, value) in &s.env.identity {
            line(name, value);
        }
        if let Some(role_arn) = self.role_arn {
            line("role_arn", &role_arn);
            // With a role, no `--expiry` leaves the session length to STS, unlike an
            // explicit `--expiry 12h` (the default `expiry_secs` above).
            line("expiry_flag", &s.expiry_given);
        }
        if let Some(name) = self.role_session_name {
            line("role_session_name", &name);
        }
        if let Some(policy) = &self.policy {
            line("policy", &policy);
        }
        text
    }

    fn file_name(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }
}

/// The size and modification time (ns since 1970) of `path`, if it has them.
fn stamp(path: &Path) -> Option<(u64, u128)> {
    let meta = fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?;
    Some((meta.len(), modified.as_nanos()))
}

/// Whether a token signed at `signed_at` and expiring at `expires_at` may be handed out
/// at `now`: not signed more than [`MAX_CLOCK_SKEW`] in the future, and with at least half
/// its lifetime and at least [`MIN_LEFT`] still ahead.
pub(crate) fn reusable(signed_at: SystemTime, expires_at: SystemTime, now: SystemTime) -> bool {
    let Ok(lifetime) = expires_at.duration_since(signed_at) else {
        return false;
    };
    let Ok(left) = expires_at.duration_since(now) else {
        return false;
    };
    signed_at <= now + MAX_CLOCK_SKEW && left >= (lifetime / 2).max(MIN_LEFT)
}

/// The cache entry for one set of settings.
#[derive(Debug)]
pub(crate) struct Cache {
    dir: PathBuf,
    file: PathBuf,
    settings: Settings,
}

impl Cache {
    /// Where the entry for `settings` lives; `Err` (a message) if there is no cache
    /// directory to use.
    pub(crate) fn locate(settings: &Settings) -> Result<Self, String> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home_dir().map(|home| home.join(".cache")))
            .ok_or("--cache: neither XDG_CACHE_HOME nor HOME is set, so the token is not cached")?;
        let dir = base.join("bedrock-token");
        let role = settings.role.as_ref();
        let key = CacheKey {
            settings,
            role_arn: role.map(|r| r.arn.as_str()),
            role_session_name: role.and_then(|r| r.session_name.as_deref()),
            policy: role.and_then(|r| match (&r.policy_document, r.allow_models.is_empty()) {
                (Some(document), _) => Some(format!("document {document:?}")),
                (None, false) => Some(format!("allow_models {:?}", r.allow_models)),
                (None, true) => None,
            }),
        };
        Ok(Self {
            file: dir.join(key.file_name()),
            dir,
            settings: settings.clone(),
        })
    }

    /// The stored token, if it can be trusted and [`reusable`] at `now`.
    pub(crate) fn lookup(&self, now: SystemTime) -> Option<Entry> {
        if !private::trusted_dir(&self.dir) {
            return None;
        }
        let text = private::read_own_file(&self.file, MAX_ENTRY)?;
        let entry = parse(&text)?;
        let info = TokenInfo::parse(&entry.token).ok()?;
        let consistent = info.region() == entry.region
            && self
                .settings
                .region_source()
                .is_none_or(|(region, _)| region == entry.region)
            && info.expiry() == self.settings.expiry
            && entry.expires_at <= info.expires_at();
        (consistent && reusable(info.signed_at(), entry.expires_at, now)).then_some(entry)
    }

    /// Stores `entry` (atomically) and prunes old entries; `Err` is the warning to print.
    pub(crate) fn store(&self, entry: &Entry, now: SystemTime) -> Result<(), String> {
        let text = format!(
            "{MAGIC}\nregion={}\nexpires_at={}\ntoken={}\n",
            entry.region,
            entry
                .expires_at
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs(),
            entry.token
        );
        private::write_atomically(&self.dir, &self.file, text.as_bytes()).map_err(|e| {
            format!(
                "--cache: cannot store the token in {} ({e}); it was printed but not cached",
                self.dir.display()
            )
        })?;
        self.prune(now);
        Ok(())
    }

    /// Deletes entries and temporary files last written before any token they could hold
    /// expired (best effort: failures are ignored).
    fn prune(&self, now: SystemTime) {
        let Some(cutoff) = now.checked_sub(MAX_EXPIRY + MAX_CLOCK_SKEW) else {
            return;
        };
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for dir_entry in entries.flatten() {
            let name = dir_entry.file_name();
            let name = name.to_string_lossy();
            let ours = (name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()))
                || (name.starts_with('.') && name.ends_with(".tmp"));
            let old = dir_entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified < cutoff);
            if ours && old {
                let _ = fs::remove_file(dir_entry.path());
            }
        }
    }
}

/// An entry's text, or `None` if it is not one.
fn parse(text: &str) -> Option<Entry> {
    let mut lines = text.lines();
    if lines.next()? != MAGIC {
        return None;
    }
    let mut field = |name: &str| lines.next()?.strip_prefix(name)?.strip_prefix('=');
    let region = field("region")?.to_owned();
    let expires_at = field("expires_at")?.parse().ok()?;
    let token = field("token")?.to_owned();
    if lines.next().is_some() {
        return None;
    }
    Some(Entry {
        token,
        expires_at: SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(expires_at))?,
        region,
    })
}

/// File-system rules: private directory, private files owned by this user.
#[cfg(unix)]
mod private {
    use super::*;
    use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};

    fn my_uid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// `dir` is a real directory, ours, and nobody else can write to it.
    pub(super) fn trusted_dir(dir: &Path) -> bool {
        fs::symlink_metadata(dir)
            .is_ok_and(|m| m.is_dir() && m.uid() == my_uid() && m.mode() & 0o022 == 0)
    }

    /// The contents of `file` if it is a regular file (not a link), ours, private,
    /// at most `max` bytes and UTF-8.
    pub(super) fn read_own_file(file: &Path, max: u64) -> Option<String> {
        let before = fs::symlink_metadata(file).ok()?;
        let f = fs::File::open(file).ok()?;
        let opened = f.metadata().ok()?;
        let same = before.dev() == opened.dev() && before.ino() == opened.ino();
        if !(same
            && opened.is_file()
            && opened.uid() == my_uid()
            && opened.mode() & 0o077 == 0
            && opened.len() <= max)
        {
            return None;
        }
        let mut text = String::new();
        f.take(max).read_to_string(&mut text).ok()?;
        Some(text)
    }

    /// Creates `dir` (0700) if needed, makes sure it is ours and private, and replaces
    /// `file` with `contents` through a 0600 temporary file and a rename.
    pub(super) fn write_atomically(
        dir: &Path,
        file: &Path,
        contents: &[u8],
    ) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt as _;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = fs::symlink_metadata(dir)?;
        if !meta.is_dir() {
            return Err(std::io::Error::other("not a directory"));
        }
        if meta.uid() != my_uid() {
            return Err(std::io::Error::other("owned by another user"));
        }
        if meta.mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(
            ".{name}.{}.{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(contents))
            .and_then(|()| fs::rename(&tmp, file));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }
}

/// Elsewhere: no ownership or mode checks (the per-user cache directory is the guard).
#[cfg(not(unix))]
mod private {
    use super::*;

    pub(super) fn trusted_dir(dir: &Path) -> bool {
        fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
    }

    pub(super) fn read_own_file(file: &Path, max: u64) -> Option<String> {
        let mut text = String::new();
        fs::File::open(file)
            .ok()?
            .take(max)
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    }

    pub(super) fn write_atomically(
        dir: &Path,
        file: &Path,
        contents: &[u8],
    ) -> std::io::Result<()> {
        fs::create_dir_all(dir)?;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(
            ".{name}.{}.{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| f.write_all(contents))
            .and_then(|()| fs::rename(&tmp, file));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn reuse_rule() {
        let signed = 1_000_000;
        let twelve_hours = signed + 43_200;
        // Half the lifetime left is the limit.
        assert!(reusable(at(signed), at(twelve_hours), at(signed)));
        assert!(reusable(at(signed), at(twelve_hours), at(signed + 21_600)));
        assert!(!reusable(at(signed), at(twelve_hours), at(signed + 21_601)));
        // Short tokens: at least 5 minutes left.
        let ten_minutes = signed + 600;
        assert!(reusable(at(signed), at(ten_minutes), at(signed + 300)));
        assert!(!reusable(at(signed), at(ten_minutes), at(signed + 301)));
        assert!(!reusable(at(signed), at(signed + 299), at(signed)));
        // Expired, or signed too far in the future.
        assert!(!reusable(at(signed), at(twelve_hours), at(twelve_hours)));
        assert!(reusable(at(signed), at(twelve_hours), at(signed - 300)));
        assert!(!reusable(at(signed), at(twelve_hours), at(signed - 301)));
        assert!(!reusable(at(signed), at(signed), at(signed)));
    }

    #[test]
    fn entry_text_round_trip() {
        let text = format!("{MAGIC}\nregion=us-west-2\nexpires_at=1000\ntoken=bedrock-api-key-x\n");
        assert_eq!(
            parse(&text),
            Some(Entry {
                token: "bedrock-api-key-x".into(),
                expires_at: at(1000),
                region: "us-west-2".into()
            })
        );
        for bad in [
            "",
            "garbage",
            &text.replace("v1", "v2"),
            &text.replace("expires_at=1000", "expires_at=soon"),
            &format!("{text}extra\n"),
            &text.replace("region=", "regio="),
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
