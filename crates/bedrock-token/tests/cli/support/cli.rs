//! Running the real `bedrock-token` binary with a cleared environment: `HOME`, the AWS
//! config files and the cache directory in a temporary directory, instance metadata
//! disabled. Nothing leaves the machine.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{SECRET, SESSION};

/// The binary under test: this build's, or the one `BEDROCK_TOKEN_TEST_BINARY` names
/// (`.ci/run` points it at the `bedrock-token` the pip wheel installed, to run the real
/// clients through that one).
pub fn bin() -> String {
    std::env::var("BEDROCK_TOKEN_TEST_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_bedrock-token").to_owned())
}

pub struct CliEnv {
    pub home: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl CliEnv {
    /// Example credentials and region in environment variables, empty config files.
    pub fn with_env_credentials() -> CliEnv {
        let mut env = CliEnv::bare();
        env.set("AWS_ACCESS_KEY_ID", super::AKID);
        env.set("AWS_SECRET_ACCESS_KEY", SECRET);
        env.set("AWS_REGION", "us-west-2");
        env
    }

    /// No AWS variables, empty config files.
    pub fn bare() -> CliEnv {
        let home = tempfile::tempdir().unwrap();
        let env = CliEnv {
            home,
            vars: Vec::new(),
        };
        env.write_config("");
        env.write_credentials("");
        env
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.path("config"), text).unwrap();
    }

    pub fn write_credentials(&self, text: &str) {
        std::fs::write(self.path("credentials"), text).unwrap();
    }

    /// Sets (or, set again, overrides) an environment variable.
    pub fn set(&mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.vars.retain(|(key, _)| key != k);
        self.vars
            .push((k.into(), v.as_ref().to_string_lossy().into_owned()));
        self
    }

    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.vars.retain(|(key, _)| key != k);
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.program(&bin(), args)
    }

    /// `program` with this isolated environment.
    pub fn program(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.path("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path("credentials"))
            .envs(self.vars.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs the binary off the async runtime's threads, so that a stand-in served by the
    /// test's own runtime can answer meanwhile.
    pub async fn run_beside(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs the binary under a watchdog: a run still going after `limit` is killed and
    /// fails the test (a hang becomes a failure, not a stuck test run).
    pub fn run_within(&self, args: &[&str], limit: std::time::Duration) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Polled, so that the run is not slowed down: `limit` is a bound, not a wait.
        let poll = std::time::Duration::from_millis(20);
        for _ in 0..=limit.as_millis() / poll.as_millis() {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            std::thread::sleep(poll);
        }
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        panic!(
            "still running after {limit:?}, killed: {args:?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// A `credential_process` profile `[default]` (region us-west-2) and `[profile other]`
    /// (region eu-west-1) whose script appends a line to `count` on every run.
    pub fn with_counting_credential_process() -> CliEnv {
        let env = CliEnv::bare();
        let script = env.path("credentials.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho run >> '{}'\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}'\n",
                env.path("count").display(),
                super::AKID,
                SECRET
            ),
        )
        .unwrap();
        env.write_config(&format!(
            "[default]\nregion = us-west-2\ncredential_process = sh {0}\n\n\
             [profile other]\nregion = eu-west-1\ncredential_process = sh {0}\n",
            script.display()
        ));
        env
    }

    /// How many times the counting credential process ran.
    pub fn credential_loads(&self) -> usize {
        std::fs::read_to_string(self.path("count"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Success with nothing on stderr; returns stdout.
pub fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(out));
    assert_eq!(stderr(out), "");
    stdout(out)
}

/// A failure: the given exit code, one clear line on stderr, nothing on stdout, no
/// panic, no secret. Returns stderr.
pub fn failed(out: &Output, code: i32) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(!err.contains(SECRET) && !err.contains(SESSION), "{err}");
    assert!(err.starts_with("bedrock-token: error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(stdout(out), "");
    err
}

/// Asserts that neither stdout nor stderr holds `secret` or any 20-character piece of it.
pub fn assert_not_echoed(out: &Output, secret: &str) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let chars: Vec<char> = secret.chars().collect();
    for piece in chars.windows(20) {
        let piece: String = piece.iter().collect();
        assert!(!all.contains(&piece), "{piece:?} echoed in {all:?}");
    }
}

/// The single regular file in `dir` (panics if there is not exactly one).
pub fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

/// Makes a FIFO (named pipe) at `path`, with the system's `mkfifo`.
#[cfg(unix)]
pub fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A started `proxy` and the URL it printed.
pub struct Proxy {
    pub child: std::process::Child,
    pub url: String,
}

#[allow(dead_code)] // each test binary uses a part
impl Proxy {
    pub fn start(env: &CliEnv, args: &[&str]) -> Proxy {
        let mut child = env
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("http"), "printed {line:?}");
        Proxy {
            child,
            url: line.trim_end().to_owned(),
        }
    }

    /// SIGTERM, then the exit status and stderr.
    #[cfg(unix)]
    pub fn stop(self) -> (Option<i32>, String) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let out = self.child.wait_with_output().unwrap();
        (out.status.code(), stderr(&out))
    }
}
