//! Runs the examples as the README says, against loopback stand-ins only, with example
//! credentials in a test-owned environment.
#![cfg(feature = "default-chain")]

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use aws_bedrock_token_generator::TokenInfo;
use aws_smithy_async::time::SystemTimeSource;
use support::bedrock::{Bedrock, Keys};
use support::*;

/// target/<profile>/examples/<name>, built by `cargo test` before the tests run.
fn example(name: &str) -> PathBuf {
    let dir = std::env::current_exe().unwrap();
    let dir = dir.parent().unwrap().parent().unwrap();
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built: run through `cargo test`",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(example(name));
    cmd.args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env("AWS_ACCESS_KEY_ID", AKID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-west-2");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn provide_token_prints_a_token() {
    let out = stdout(&run("provide_token", &[], &[]));
    let info = TokenInfo::parse(out.trim_end()).unwrap();
    assert_eq!((info.region(), info.access_key_id()), ("us-west-2", AKID));
    assert_eq!(out.lines().count(), 1);
}

#[test]
fn token_provider_uses_region_and_expiry() {
    let out = stdout(&run("token_provider", &["eu-west-1", "", "900"], &[]));
    let info = TokenInfo::parse(out.trim_end()).unwrap();
    assert_eq!(info.region(), "eu-west-1");
    assert_eq!(info.expiry().as_secs(), 900);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converse_examples_talk_to_the_stand_in() {
    let bedrock = Bedrock::start(
        Keys::default().with(AKID, SECRET, None),
        SystemTimeSource::new(),
    )
    .await;
    let url = bedrock.url();
    for name in ["converse", "sdk_converse"] {
        let out = tokio::task::spawn_blocking({
            let url = url.clone();
            move || run(name, &["Hello"], &[("BEDROCK_ENDPOINT", &url)])
        })
        .await
        .unwrap();
        assert_eq!(stdout(&out).trim_end(), "Hello from the stand-in", "{name}");
    }
    assert_eq!(bedrock.accepted(), 2);
}

#[test]
fn no_region_fails_with_a_clear_message() {
    let out = run("provide_token", &[], &[("AWS_REGION", "")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AWS_REGION"), "{err}");
}
