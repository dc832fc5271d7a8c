//! `--cache`: reuse the token an earlier run minted with the same settings.
//!
//! - **Where.** `$XDG_CACHE_HOME/bedrock-token` (when `XDG_CACHE_HOME` is an absolute
//!   path), else `$HOME/.cache/bedrock-token`. The directory is created `0700`; each entry
//!   is a `0600` file, written to a temporary file in the same directory and renamed into
//!   place, so readers never see half an entry.
//! - **Which entry.** The file name is the hex SHA-256 of [`canonical`]'s text: a format
//!   version, every field of the run's [`Settings`] (the flags, and the environment the
//!   AWS chains read: every `AWS_*` variable but the command's own output
//!   `AWS_BEARER_TOKEN_*`, each as a SHA-256 of its value, see
//!   [`may_change_the_token`](crate::settings::may_change_the_token)), and the size and
//!   modification time of the AWS config files (so editing a profile starts afresh). Any
//!   difference, another secret key, session token or endpoint included, is another
//!   entry. Storing an entry deletes entries (and stray temporary files) older than 12
//!   hours, which no token outlives.
//! - **When an entry is used.** It must be a regular file (anything else, a FIFO say, is
//!   never opened for reading, let alone waited on) owned by this user, not readable or
//!   writable by group or others, in a directory owned by this user that group and others
//!   cannot write; its token must parse as a Bedrock API key for the stored region and
//!   the requested expiry, and be [`reusable`] now. Anything else (corrupt, foreign,
//!   unreadable, stale) is ignored, and the entry is replaced by the newly minted token.
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

use crate::settings::{home_dir, open_regular, AwsEnv, Role, Settings};

/// The first line of every entry; a new format gets a new version (and so new names).
const MAGIC: &str = "bedrock-token cache v2";

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

/// The text the entry's name is the digest of: [`MAGIC`], one `name=value` line per
/// field of `settings`, then the config files' stamps. Values are in Rust's debug quoting
/// (unambiguous for any text, `None` for unset). Every struct is bound field by field,
/// without `..`: a new setting does not compile until it is written here, so none can be
/// left out of the key.
fn canonical(settings: &Settings) -> String {
    let Settings {
        service,
        region,
        profile,
        expiry,
        expiry_given,
        role,
        timeout,
        env,
        // Derived from the profile and the config files, both in the key.
        profile_check: _,
    } = settings;
    let AwsEnv {
        region: env_region,
        default_region,
        profile: env_profile,
        access_key_id,
        config_file,
        credentials_file,
        digests,
    } = env;
    let mut text = format!("{MAGIC}\n");
    let mut line = |name: &str, value: &dyn std::fmt::Debug| {
        let _ = writeln!(text, "{name}={value:?}");
    };
    line("service", service);
    line("region", region);
    line("profile", profile);
    line("expiry", expiry);
    line("expiry_given", expiry_given);
    match role {
        None => line("role", &None::<()>),
        Some(Role {
            arn,
            session_name,
            allow_models,
            policy_document,
        }) => {
            line("role.arn", arn);
            line("role.session_name", session_name);
            line("role.allow_models", allow_models);
            line("role.policy_document", policy_document);
        }
    }
    line("timeout", timeout);
    line("env.region", env_region);
    line("env.default_region", default_region);
    line("env.profile", env_profile);
    line("env.access_key_id", access_key_id);
    line("env.config_file", config_file);
    line("env.credentials_file", credentials_file);
    for (name, digest) in digests {
        line(&format!("env.digest {name:?}"), digest);
    }
    line("config_file_stamp", &stamp(config_file));
    line("credentials_file_stamp", &stamp(credentials_file));
    text
}

/// The entry's file name for `settings`.
fn file_name(settings: &Settings) -> String {
    hex::encode(Sha256::digest(canonical(settings).as_bytes()))
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
        Ok(Self {
            file: dir.join(file_name(settings)),
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
    /// at most `max` bytes and UTF-8. Anything else (a FIFO, a device) is never waited
    /// on: refused before it is opened, and if swapped in meanwhile, by [`open_regular`].
    pub(super) fn read_own_file(file: &Path, max: u64) -> Option<String> {
        let before = fs::symlink_metadata(file).ok()?;
        if !before.is_file() {
            return None;
        }
        let f = open_regular(file).ok()?;
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
        open_regular(file)
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
            &text.replace("v2", "v3"),
            &text.replace("expires_at=1000", "expires_at=soon"),
            &format!("{text}extra\n"),
            &text.replace("region=", "regio="),
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    /// Settings with no flags in the environment `vars`.
    fn settings(vars: &[(&str, &[u8])]) -> Settings {
        Settings {
            service: aws_bedrock_token_generator::Service::Bedrock,
            region: None,
            profile: None,
            expiry: crate::settings::DEFAULT_EXPIRY,
            expiry_given: false,
            role: None,
            timeout: None,
            env: AwsEnv::from_vars(
                vars.iter()
                    .map(|(name, value)| (name.into(), os_string(value))),
            ),
            profile_check: std::sync::OnceLock::new(),
        }
    }

    #[cfg(unix)]
    fn os_string(bytes: &[u8]) -> std::ffi::OsString {
        <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes).to_owned()
    }

    #[cfg(not(unix))]
    fn os_string(bytes: &[u8]) -> std::ffi::OsString {
        String::from_utf8_lossy(bytes).into_owned().into()
    }

    /// The variables aws-config reads, listed in tests/data/aws_env_vars.txt (how to
    /// make the list is written there).
    fn chain_variables() -> Vec<&'static str> {
        include_str!("../../../tests/data/aws_env_vars.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    }

    #[test]
    fn every_variable_the_default_chain_reads_changes_the_key() {
        let names = chain_variables();
        for expected in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_STS",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "SECRET_ACCESS_KEY",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from the list"
            );
        }
        let home: (&str, &[u8]) = ("HOME", b"/nonexistent/home");
        let base = file_name(&settings(&[home]));
        for name in names {
            let vars = |value: &'static [u8]| {
                // Any other variable is kept as it is, so that HOME can change too.
                let mut vars = vec![home];
                vars.retain(|(n, _)| *n != name);
                vars.push((name, value));
                file_name(&settings(&vars))
            };
            let empty = vars(b"");
            let one = vars(b"/nonexistent/1");
            let two = vars(b"/nonexistent/2");
            if name != "HOME" {
                assert_ne!(
                    empty, base,
                    "setting {name} (empty) does not change the key"
                );
            }
            assert_ne!(one, empty, "setting {name} does not change the key");
            assert_ne!(two, one, "changing {name} does not change the key");
        }
    }

    #[test]
    fn the_commands_own_output_and_unrelated_variables_do_not_change_the_key() {
        let base = file_name(&settings(&[("AWS_ACCESS_KEY_ID", b"AKIDEXAMPLE")]));
        for name in [
            "AWS_BEARER_TOKEN_BEDROCK",
            "AWS_BEARER_TOKEN_OTHER",
            "PATH",
            "_X_AMZN_TRACE_ID",
            "XDG_CACHE_HOME",
        ] {
            let vars: [(&str, &[u8]); 2] = [("AWS_ACCESS_KEY_ID", b"AKIDEXAMPLE"), (name, b"x")];
            assert_eq!(file_name(&settings(&vars)), base, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_that_is_not_utf8_still_changes_the_key() {
        let one = file_name(&settings(&[("AWS_SECRET_ACCESS_KEY", b"\xff1")]));
        let two = file_name(&settings(&[("AWS_SECRET_ACCESS_KEY", b"\xff2")]));
        assert_ne!(one, two);
        assert_ne!(one, file_name(&settings(&[])));
    }

    #[test]
    fn secrets_are_in_the_key_as_digests_only() {
        let secret = b"canary-wJalrXUtnFEMI-K7MDENG-secret";
        let session = b"canary-FwoGZXIvYXdzEXAMPLE-session";
        let s = settings(&[
            ("AWS_ACCESS_KEY_ID", b"AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", secret),
            ("AWS_SESSION_TOKEN", session),
            ("SECRET_ACCESS_KEY", secret),
        ]);
        let shown = format!("{s:?}\n{}", canonical(&s));
        assert!(shown.contains("AWS_SESSION_TOKEN"), "{shown}");
        for canary in ["canary", "wJalrXUtnFEMI", "FwoGZXIvYXdz"] {
            assert!(!shown.contains(canary), "{canary} in {shown}");
        }
    }

    #[test]
    fn every_setting_changes_the_key() {
        let base = settings(&[("HOME", b"/nonexistent/home")]);
        let role = Role {
            arn: "arn:aws:iam::123456789012:role/a".into(),
            session_name: None,
            allow_models: Vec::new(),
            policy_document: None,
        };
        // Every field, without `..`: a new one does not compile here until it has a case
        // below.
        let Settings {
            service: _,
            region: _,
            profile: _,
            expiry: _,
            expiry_given: _,
            role: _,
            timeout: _,
            env:
                AwsEnv {
                    region: _,
                    default_region: _,
                    profile: _,
                    access_key_id: _,
                    config_file: _,
                    credentials_file: _,
                    digests: _,
                },
            profile_check: _,
        } = &base;
        let Role {
            arn: _,
            session_name: _,
            allow_models: _,
            policy_document: _,
        } = &role;
        type Change = Box<dyn Fn(&mut Settings)>;
        let with_role = |change: fn(&mut Role)| -> Change {
            let role = role.clone();
            Box::new(move |s| {
                let mut role = role.clone();
                change(&mut role);
                s.role = Some(role);
            })
        };
        let some = |text: &str| Some(text.to_owned());
        let cases: Vec<(&str, Change)> = vec![
            (
                "service",
                Box::new(|s| s.service = aws_bedrock_token_generator::Service::ClaudePlatform),
            ),
            ("region", Box::new(move |s| s.region = some("eu-west-1"))),
            ("profile", Box::new(move |s| s.profile = some("dev"))),
            ("expiry", Box::new(|s| s.expiry = Duration::from_secs(3600))),
            ("expiry_given", Box::new(|s| s.expiry_given = true)),
            ("role", with_role(|_| ())),
            ("role.arn", with_role(|r| r.arn.push('b'))),
            (
                "role.session_name",
                with_role(|r| r.session_name = Some("s".into())),
            ),
            (
                "role.allow_models",
                with_role(|r| r.allow_models.push("m".into())),
            ),
            (
                "role.policy_document",
                with_role(|r| r.policy_document = Some("{}".into())),
            ),
            (
                "timeout",
                Box::new(|s| s.timeout = Some(Duration::from_secs(9))),
            ),
            ("env.region", Box::new(move |s| s.env.region = some("x"))),
            (
                "env.default_region",
                Box::new(move |s| s.env.default_region = some("x")),
            ),
            ("env.profile", Box::new(move |s| s.env.profile = some("x"))),
            (
                "env.access_key_id",
                Box::new(move |s| s.env.access_key_id = some("x")),
            ),
            (
                "env.config_file",
                Box::new(|s| s.env.config_file = "/nonexistent/c".into()),
            ),
            (
                "env.credentials_file",
                Box::new(|s| s.env.credentials_file = "/nonexistent/c".into()),
            ),
            (
                "env.digests",
                Box::new(|s| {
                    s.env.digests.insert("AWS_X".into(), "0".into());
                }),
            ),
        ];
        let mut seen = std::collections::HashSet::from([file_name(&base)]);
        for (field, change) in cases {
            let mut changed = base.clone();
            change(&mut changed);
            assert_ne!(changed, base, "{field}: the case changes nothing");
            assert!(
                seen.insert(file_name(&changed)),
                "{field} does not change the key"
            );
        }
    }

    #[test]
    fn editing_a_config_file_changes_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let path = config.as_os_str().as_encoded_bytes();
        let s = settings(&[("AWS_CONFIG_FILE", path)]);
        let missing = file_name(&s);
        fs::write(&config, "[default]\n").unwrap();
        let written = file_name(&s);
        fs::write(&config, "[default]\nregion = eu-west-1\n").unwrap();
        let edited = file_name(&s);
        assert_ne!(missing, written);
        assert_ne!(written, edited);
        assert_eq!(file_name(&s), edited);
    }
}
