//! `bedrock-token --role-arn …`: scoped keys from an assumed role, as a real process
//! against the STS stand-in on 127.0.0.1 (reached through AWS_ENDPOINT_URL_STS).

use crate::support;

use std::process::Output;
use std::time::Duration;

use aws_bedrock_token_generator::TokenInfo;
use aws_smithy_async::time::SystemTimeSource;
use support::cli::*;
use support::sts::{Sts, ROLE_ARN};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

async fn stand_in() -> (CliEnv, Sts) {
    // The CLI signs with the real clock, so the stand-in's sessions must start now.
    let sts = Sts::start(SystemTimeSource::new()).await;
    let mut env = CliEnv::with_env_credentials();
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    (env, sts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_key_from_the_role_session_with_the_model_policy() {
    let (env, sts) = stand_in().await;
    let out = env
        .run_beside(&[
            "--role-arn",
            ROLE_ARN,
            "--role-session-name",
            "sandbox-1",
            "--allow-model",
            HAIKU,
            "--format",
            "json",
        ])
        .await;
    let json: serde_json::Value = serde_json::from_str(ok(&out).trim()).unwrap();
    let calls = sts.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.param("RoleArn"), Some(ROLE_ARN));
    assert_eq!(call.param("RoleSessionName"), Some("sandbox-1"));
    assert_eq!(
        call.param("DurationSeconds"),
        None,
        "no --expiry: STS's default"
    );
    let policy: serde_json::Value =
        serde_json::from_str(call.param("Policy").expect("a session policy")).unwrap();
    assert!(policy.to_string().contains(HAIKU), "{policy}");

    // Signed by the role session; the 12-hour token is bounded by the 1-hour session.
    let session = &sts.sessions()[0];
    let token = json["token"].as_str().unwrap();
    let info = TokenInfo::parse(token).unwrap();
    assert_eq!(info.access_key_id(), session.access_key_id);
    assert!(info.has_session_token());
    assert_eq!(json["region"], "us-west-2");
    let expires_at = json["expires_at"].as_str().unwrap();
    let expected = time::OffsetDateTime::from(session.expires)
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(expires_at, expected);
    let now = aws_smithy_async::time::TimeSource::now(&SystemTimeSource::new());
    assert!(session.expires < now + Duration::from_secs(3601));
    assert!(
        info.expires_at() > session.expires,
        "the token alone would outlive it"
    );
    for secret in [&session.secret_access_key, &session.session_token] {
        assert!(!stderr(&out).contains(secret.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_longer_than_the_role_allows_says_so_in_flag_terms() {
    let (env, sts) = stand_in().await;
    let out = env
        .run_beside(&["--role-arn", ROLE_ARN, "--expiry", "12h"])
        .await;
    let err = failed(&out, 64);
    assert!(err.contains("--expiry"), "{err}");
    assert_eq!(sts.calls()[0].param("DurationSeconds"), Some("43200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_policy_file_is_sent_as_is_and_an_unreadable_one_is_an_io_error() {
    let (env, sts) = stand_in().await;
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:CallWithBearerToken","Resource":"*"}]}"#;
    std::fs::write(env.path("policy.json"), document).unwrap();
    let file = env.path("policy.json").display().to_string();
    let out = env
        .run_beside(&["--role-arn", ROLE_ARN, "--session-policy", &file])
        .await;
    ok(&out);
    assert_eq!(sts.calls()[0].param("Policy"), Some(document));

    let missing = env.path("nope.json").display().to_string();
    let out = env
        .run_beside(&["--role-arn", ROLE_ARN, "--session-policy", &missing])
        .await;
    let err = failed(&out, 74);
    assert!(err.contains("--session-policy"), "{err}");
    assert_eq!(sts.calls().len(), 1, "no STS call");
}

/// A FIFO (named pipe) with no writer as `--session-policy`: opening it for reading
/// would wait for a writer forever. Refused at once, as not a regular file.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_session_policy_is_refused_at_once_not_waited_on() {
    let (env, sts) = stand_in().await;
    let fifo = env.path("policy.fifo");
    mkfifo(&fifo);
    let out = tokio::task::spawn_blocking(move || {
        let fifo = fifo.display().to_string();
        let args = ["--role-arn", ROLE_ARN, "--session-policy", &fifo];
        env.run_within(&args, Duration::from_secs(20))
    })
    .await
    .unwrap();
    let err = failed(&out, 74);
    assert!(err.contains("--session-policy"), "{err}");
    assert!(err.contains("FIFO"), "{err}");
    assert!(err.contains("write the policy to a regular file"), "{err}");
    assert!(sts.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_role_flags_are_usage_errors_without_an_sts_call() {
    let (env, sts) = stand_in().await;
    for args in [
        &["--role-arn", "not-an-arn"][..],
        &["--allow-model", HAIKU][..],
        &["--role-session-name", "x"][..],
        &["--role-arn", ROLE_ARN, "--role-session-name", "bad name!"][..],
        &[
            "--role-arn",
            ROLE_ARN,
            "--allow-model",
            HAIKU,
            "--session-policy",
            "p.json",
        ][..],
    ] {
        let out = env.run_beside(args).await;
        let err = failed(&out, 64);
        assert!(!err.contains("assume_role()"), "library terms: {err}");
    }
    assert!(sts.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_is_reported_without_secrets() {
    let (env, sts) = stand_in().await;
    sts.fail(
        403,
        "AccessDenied",
        "not authorized to perform sts:AssumeRole",
    );
    let out = env.run_beside(&["--role-arn", ROLE_ARN]).await;
    let err = failed(&out, 77);
    assert!(
        err.contains("AccessDenied") || err.contains("denied"),
        "{err}"
    );
    assert!(!err.contains(support::SECRET));
}

/// Refused or expired source credentials are fixed by changing them: 78, like IAM's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_or_expired_credentials_are_configuration_errors() {
    for (code, says) in [
        (
            "InvalidClientTokenId",
            "does not accept the source credentials",
        ),
        (
            "SignatureDoesNotMatch",
            "does not accept the source credentials",
        ),
        ("ExpiredToken", "source credentials have expired"),
    ] {
        let (env, sts) = stand_in().await;
        sts.fail(
            403,
            code,
            "The security token included in the request is invalid.",
        );
        let out = env.run_beside(&["--role-arn", ROLE_ARN]).await;
        let err = failed(&out, 78);
        assert!(err.contains(says) && err.contains(code), "{code}: {err}");
    }
}

/// An answer without the session's keys, token or expiration is STS's fault (69), told
/// as such rather than as unset variables or expired credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_sts_answers_are_told_as_such() {
    for (without, lacks) in [
        ("SessionToken", "a session token"),
        ("empty AccessKeyId", "an access key id"),
        ("SecretAccessKey", "a secret access key"),
        ("Expiration", "an expiration"),
    ] {
        let (env, sts) = stand_in().await;
        sts.answer_without(without);
        let out = env.run_beside(&["--role-arn", ROLE_ARN]).await;
        let err = failed(&out, 69);
        assert!(
            err.contains("STS's answer") && err.contains(&format!("lacks {lacks}")),
            "{without}: {err}"
        );
        assert!(
            !err.contains("AWS_ACCESS_KEY_ID") && !err.contains("expired"),
            "{without}: {err}"
        );
        for secret in sts.secrets() {
            assert!(!err.contains(&secret), "{without}: {err}");
        }
    }
}

/// CLI users are told flags, not the library's builder methods.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_errors_name_the_flags() {
    let (env, _sts) = stand_in().await;
    let out = env
        .run_beside(&["--role-arn", ROLE_ARN, "--allow-model", "anthropic.*"])
        .await;
    let err = failed(&out, 64);
    assert!(err.contains("error: --allow-model: "), "{err}");
    assert!(
        !err.contains("allow_wildcards") && !err.contains("()"),
        "{err}"
    );
    let arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/x";
    let err = failed(
        &env.run_beside(&["--role-arn", ROLE_ARN, "--allow-model", arn])
            .await,
        64,
    );
    assert!(!err.contains("SessionPolicy::from_json"), "{err}");
    let models: Vec<String> = (0..60)
        .map(|i| format!("anthropic.claude-model-number-{i:03}-v1:0"))
        .collect();
    let mut args = vec!["--role-arn", ROLE_ARN];
    for m in &models {
        args.extend(["--allow-model", m.as_str()]);
    }
    let err = failed(&env.run_beside(&args).await, 64);
    assert!(err.contains("more than the 2048"), "{err}");
    assert!(!err.contains("wildcard"), "{err}");
    assert!(!err.contains("\\u{2026}"), "{err}");
}

/// A session that STS says has already ended is STS's (or the clock's) fault, not expired
/// source credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_already_ended_is_told_as_an_unusable_answer() {
    use aws_smithy_async::test_util::ManualTimeSource;
    let past = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let sts = Sts::start(ManualTimeSource::new(past)).await;
    let mut env = CliEnv::with_env_credentials();
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let err = failed(&env.run_beside(&["--role-arn", ROLE_ARN]).await, 69);
    assert!(
        err.contains("STS's answer") && err.contains("lacks an expiration in the future"),
        "{err}"
    );
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
