//! Adversarial review of `bedrock-token --role-arn …` (scoped keys), as a real process
//! against the STS stand-in on 127.0.0.1.
#![cfg(feature = "cli")]

mod support;

use std::process::Output;

use aws_smithy_async::time::SystemTimeSource;
use support::cli::*;
use support::sts::{Sts, ROLE_ARN};

async fn stand_in() -> (CliEnv, Sts) {
    let sts = Sts::start(SystemTimeSource::new()).await;
    let mut env = CliEnv::with_env_credentials();
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    (env, sts)
}

fn assert_no_sts_secret(out: &Output, sts: &Sts) {
    for secret in sts.secrets() {
        assert_not_echoed(out, &secret);
    }
}

/// `--session-policy /dev/zero` (or any endless stream) must not be read into memory
/// until the process dies: a device is refused before any read, as not a regular file,
/// and a regular file is read up to 64 KiB only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_or_huge_session_policy_is_refused_unread() {
    let (env, sts) = stand_in().await;
    if cfg!(unix) {
        let out = env
            .run_beside(&["--role-arn", ROLE_ARN, "--session-policy", "/dev/zero"])
            .await;
        let err = failed(&out, 74);
        assert!(
            err.contains("a character device, not a regular file"),
            "{err}"
        );
        assert!(err.contains("write the policy to a regular file"), "{err}");
    }
    let huge = env.path("huge.json");
    std::fs::write(&huge, " ".repeat(64 * 1024 + 1)).unwrap();
    let huge = huge.display().to_string();
    let out = env
        .run_beside(&["--role-arn", ROLE_ARN, "--session-policy", &huge])
        .await;
    let err = failed(&out, 74);
    assert!(err.contains("64 KiB"), "{err}");
    assert!(sts.calls().is_empty());
}

/// A directory and a non-UTF-8 file are I/O errors naming the flag, before any STS call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_or_binary_session_policy_is_an_io_error() {
    let (env, sts) = stand_in().await;
    let dir = env.home.path().display().to_string();
    let binary = env.path("binary.json");
    std::fs::write(&binary, b"{\"Statement\": \"\xff\xfe\"}").unwrap();
    let binary = binary.display().to_string();
    for file in [&dir, &binary] {
        let out = env
            .run_beside(&["--role-arn", ROLE_ARN, "--session-policy", file])
            .await;
        let err = failed(&out, 74);
        assert!(err.contains("--session-policy"), "{err}");
        if file == &dir {
            assert!(err.contains("a directory, not a regular file"), "{err}");
        }
    }
    assert!(sts.calls().is_empty());
}

/// An AssumeRole answer the SDK cannot read holds the role session's secret key and
/// token: the CLI must say so as the library does, and show nothing of the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_sts_answer_is_told_without_its_content() {
    let (env, sts) = stand_in().await;
    sts.garble();
    let out = env.run_beside(&["--role-arn", ROLE_ARN]).await;
    let err = failed(&out, 69);
    assert!(err.contains("could not be read"), "{err}");
    assert!(!err.contains("garbled"), "{err}");
    assert_no_sts_secret(&out, &sts);
}

/// STS codes the library explains (here, a region where STS is not activated) keep
/// their advice in the CLI's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_refusals_keep_the_librarys_advice() {
    let (env, sts) = stand_in().await;
    sts.fail(
        403,
        "RegionDisabledException",
        "STS is not activated in this region for account:123456789012.",
    );
    let out = env.run_beside(&["--role-arn", ROLE_ARN]).await;
    let err = failed(&out, 69);
    assert!(err.contains("activate the region"), "{err}");
    assert!(!err.contains("misconfigured"), "{err}");

    // A code the library does not know names the role and STS's code.
    sts.fail(400, "SomethingNew", "new failure");
    let out = env.run_beside(&["--role-arn", ROLE_ARN]).await;
    let err = failed(&out, 69);
    assert!(
        err.contains(ROLE_ARN) && err.contains("SomethingNew"),
        "{err}"
    );
}

/// With a role, no `--expiry` leaves the session length to STS (1 hour here), while
/// `--expiry 12h` asks STS for 12 hours: different settings, so the cached 1-hour key of
/// the first must not answer the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_tells_no_expiry_from_an_explicit_12h_with_a_role() {
    let (env, sts) = stand_in().await;
    ok(&env.run_beside(&["--role-arn", ROLE_ARN, "--cache"]).await);
    assert_eq!(sts.calls().len(), 1);
    let out = env
        .run_beside(&["--role-arn", ROLE_ARN, "--cache", "--expiry", "12h"])
        .await;
    assert_eq!(
        sts.calls().len(),
        2,
        "reused a key minted for other settings"
    );
    let err = failed(&out, 64);
    assert!(err.contains("--expiry"), "{err}");
    // The first settings still hit their own entry.
    ok(&env.run_beside(&["--role-arn", ROLE_ARN, "--cache"]).await);
    assert_eq!(sts.calls().len(), 2);
}
