//! The real `bedrock-token` binary, run with an isolated environment and test-owned
//! AWS config files (instance metadata disabled; nothing leaves the machine).
#![cfg(feature = "cli")]

mod support;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use aws_bedrock_token_generator::{generate_token, TokenInfo};
use aws_smithy_async::time::{SystemTimeSource, TimeSource};
use support::*;

struct Env {
    home: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    /// Example credentials and region in environment variables, empty config files.
    fn with_env_credentials() -> Env {
        let mut env = Env::bare();
        env.set("AWS_ACCESS_KEY_ID", AKID);
        env.set("AWS_SECRET_ACCESS_KEY", SECRET);
        env.set("AWS_REGION", "us-west-2");
        env
    }

    fn bare() -> Env {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("config"), "").unwrap();
        std::fs::write(home.path().join("credentials"), "").unwrap();
        Env {
            home,
            vars: Vec::new(),
        }
    }

    fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.vars.push((k.into(), v.into()));
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        self.program(env!("CARGO_BIN_EXE_bedrock-token"), args)
    }

    /// `program` with this isolated environment.
    fn program(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.home.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home.path().join("credentials"),
            )
            .envs(self.vars.iter().map(|(k, v)| (k, v)));
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn run_stdin(&self, args: &[&str], input: &str) -> Output {
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
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(out));
    assert_eq!(stderr(out), "");
    stdout(out)
}

/// A failure: the given exit code, one clear line on stderr, nothing on stdout, no
/// panic, no secret.
fn failed(out: &Output, code: i32) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(!err.contains(SECRET) && !err.contains(SESSION), "{err}");
    assert_eq!(stdout(out), "");
    err
}

fn now() -> std::time::SystemTime {
    SystemTimeSource::new().now()
}

#[test]
fn prints_only_the_token_and_a_newline() {
    let out = ok(&Env::with_env_credentials().run(&[]));
    assert!(out.ends_with('\n') && out.lines().count() == 1, "{out:?}");
    let info = TokenInfo::parse(out.trim_end()).unwrap();
    assert_eq!((info.region(), info.access_key_id()), ("us-west-2", AKID));
    assert_eq!(info.expiry(), Duration::from_secs(43200));
}

#[test]
fn region_profile_and_expiry_flags() {
    let mut env = Env::bare();
    std::fs::write(
        env.home.path().join("config"),
        "[profile dev]\nregion = eu-west-1\n",
    )
    .unwrap();
    std::fs::write(
        env.home.path().join("credentials"),
        "[dev]\naws_access_key_id = AKIDDEVEXAMPLE\naws_secret_access_key = devSECRETexample\n",
    )
    .unwrap();
    env.set("AWS_REGION", "us-east-1");
    for (args, region, expiry) in [
        (vec!["--profile", "dev"], "us-east-1", 43200),
        (
            vec![
                "--profile",
                "dev",
                "--region",
                "ap-south-1",
                "--expiry",
                "15m",
            ],
            "ap-south-1",
            900,
        ),
        (
            vec!["--profile", "dev", "--expiry", "900"],
            "us-east-1",
            900,
        ),
        (
            vec!["--profile", "dev", "--expiry", "1h"],
            "us-east-1",
            3600,
        ),
        (
            vec!["--profile", "dev", "--expiry", "12h"],
            "us-east-1",
            43200,
        ),
    ] {
        let info = TokenInfo::parse(ok(&env.run(&args)).trim_end()).unwrap();
        assert_eq!(info.region(), region, "{args:?}");
        assert_eq!(info.access_key_id(), "AKIDDEVEXAMPLE");
        assert_eq!(info.expiry().as_secs(), expiry, "{args:?}");
    }
}

#[test]
fn export_format_evals_in_a_shell() {
    let env = Env::with_env_credentials();
    let line = ok(&env.run(&["--format", "export"]));
    assert!(
        line.starts_with("export AWS_BEARER_TOKEN_BEDROCK='bedrock-api-key-"),
        "{line}"
    );
    let script = format!(
        "eval \"$({} --format export)\" && printf %s \"$AWS_BEARER_TOKEN_BEDROCK\"",
        env!("CARGO_BIN_EXE_bedrock-token")
    );
    let token = ok(&env.program("/bin/sh", &["-c", &script]).output().unwrap());
    TokenInfo::parse(&token).unwrap();
}

#[test]
fn json_format() {
    let before = now();
    let out = ok(&Env::with_env_credentials().run(&["--format", "json", "--expiry", "1h"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let token = v["token"].as_str().unwrap();
    let info = TokenInfo::parse(token).unwrap();
    assert_eq!(v["region"], "us-west-2");
    let expires_at = v["expires_at"].as_str().unwrap();
    assert!(
        expires_at.ends_with('Z') && expires_at.len() == 20,
        "{expires_at}"
    );
    let expected = time::OffsetDateTime::from(info.expires_at());
    assert_eq!(
        expires_at,
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            expected.year(),
            u8::from(expected.month()),
            expected.day(),
            expected.hour(),
            expected.minute(),
            expected.second()
        )
    );
    assert!(info.expires_at() >= before + Duration::from_secs(3599));
    assert_eq!(v.as_object().unwrap().len(), 3);
}

#[test]
fn inspect_valid_expired_and_invalid() {
    let env = Env::bare();
    let fresh = generate_token(
        &session_creds(None),
        "us-gov-west-1",
        Duration::from_secs(3600),
        now(),
    )
    .unwrap();
    let out = ok(&env.run(&["inspect", fresh.as_str()]));
    assert!(
        out.contains("valid, expires in 59m") || out.contains("valid, expires in 1h"),
        "{out}"
    );
    for fact in ["us-gov-west-1", ASIA, "session token:  yes"] {
        assert!(out.contains(fact), "{out}");
    }
    let url = String::from_utf8(
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            &fresh.as_str()[16..],
        )
        .unwrap(),
    )
    .unwrap();
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap()[..64].to_owned();
    assert!(!out.contains(&signature) && !out.contains("FwoGZXIvYXdzEXAMPLESESSIONTOKEN"));

    let old = generate_token(
        &static_creds(),
        "us-east-1",
        Duration::from_secs(900),
        start(),
    )
    .unwrap();
    let out = env.run(&["inspect", old.as_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("EXPIRED"), "{}", stdout(&out));

    for bad in [
        "nope",
        "bedrock-api-key-!!!",
        "bedrock-api-key-YmVkcm9jaw==",
    ] {
        let err = failed(&env.run(&["inspect", bad]), 2);
        assert!(
            err.starts_with("bedrock-token: error: not a valid Bedrock API key"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1);
    }
}

#[test]
fn inspect_reads_stdin_and_the_environment_variable() {
    let token = generate_token(
        &static_creds(),
        "eu-north-1",
        Duration::from_secs(600),
        now(),
    )
    .unwrap();
    let env = Env::bare();
    assert!(
        ok(&env.run_stdin(&["inspect", "-"], &format!("{}\n", token.as_str())))
            .contains("eu-north-1")
    );
    let mut with_var = Env::bare();
    with_var.set("AWS_BEARER_TOKEN_BEDROCK", token.as_str());
    assert!(ok(&with_var.run(&["inspect"])).contains("eu-north-1"));
    let err = failed(&Env::bare().run(&["inspect"]), 2);
    assert!(err.contains("AWS_BEARER_TOKEN_BEDROCK"), "{err}");
}

#[test]
fn bad_inputs_fail_clearly() {
    let env = Env::with_env_credentials();
    for expiry in ["0", "13h", "abc", "1d", "43201"] {
        let err = failed(&env.run(&["--expiry", expiry]), 2);
        assert!(err.contains("--expiry"), "{err}");
    }
    let err = failed(&env.run(&["--region", "US WEST/2"]), 1);
    assert!(
        err.contains("invalid AWS region") && err.lines().count() == 1,
        "{err}"
    );
    let err = failed(&env.run(&["--format", "yaml"]), 2);
    assert!(err.contains("--format"), "{err}");

    let mut no_region = Env::bare();
    no_region
        .set("AWS_ACCESS_KEY_ID", AKID)
        .set("AWS_SECRET_ACCESS_KEY", SECRET);
    let err = failed(&no_region.run(&[]), 1);
    assert!(
        err.contains("AWS_REGION") && err.lines().count() == 1,
        "{err}"
    );

    let mut no_creds = Env::bare();
    no_creds.set("AWS_REGION", "us-east-1");
    let err = failed(&no_creds.run(&[]), 1);
    assert!(
        err.contains("AWS_ACCESS_KEY_ID") && err.lines().count() == 1,
        "{err}"
    );

    let mut broken = Env::bare();
    std::fs::write(
        broken.home.path().join("config"),
        "[default]\nregion = us-east-1\ncredential_process = sh -c 'exit 3'\n",
    )
    .unwrap();
    broken.set("AWS_REGION", "us-east-1");
    let err = failed(&broken.run(&[]), 1);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn help_and_version() {
    let env = Env::bare();
    let help = ok(&env.run(&["--help"]));
    for s in [
        "Examples:",
        "--region",
        "--profile",
        "--expiry",
        "--format",
        "inspect",
        "eval",
    ] {
        assert!(help.contains(s), "{s}");
    }
    assert!(
        ok(&env.run(&["inspect", "--help"])).contains("0 valid, 1 expired, 2 not a valid token")
    );
    assert_eq!(
        ok(&env.run(&["--version"])).trim(),
        format!("bedrock-token {}", env!("CARGO_PKG_VERSION"))
    );
}
