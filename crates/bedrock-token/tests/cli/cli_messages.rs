//! `bedrock-token`'s messages, run as a real process: no output ever holds token text,
//! and failures are told in the command's terms (flags and environment variables, which
//! of them gave a bad value), one line each.

use crate::support;

use std::time::Duration;

use aws_bedrock_token_generator::{generate_service_token, generate_token, Service};
use aws_smithy_async::time::{SystemTimeSource, TimeSource};
use support::cli::*;
use support::*;

/// A real, valid token and a long-term key look-alike, of Amazon Bedrock and of Claude
/// Platform on AWS, and a real Amazon SageMaker AI token.
fn keys() -> [String; 5] {
    let token = generate_token(
        &session_creds(None),
        "us-west-2",
        Duration::from_secs(3600),
        SystemTimeSource::new().now(),
    )
    .unwrap();
    let long_term = format!(
        "ABSK{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "BedrockAPIKey-abcd-at-123456789012:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
        )
    );
    let claude = generate_service_token(
        Service::ClaudePlatform,
        &session_creds(None),
        "us-west-2",
        Duration::from_secs(3600),
        SystemTimeSource::new().now(),
    )
    .unwrap();
    let claude_long_term = format!(
        "AEAA{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "AeaApiKey-abcd-at-123456789012:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
        )
    );
    let sagemaker = generate_service_token(
        Service::SageMaker,
        &session_creds(None),
        "us-west-2",
        Duration::from_secs(3600),
        SystemTimeSource::new().now(),
    )
    .unwrap();
    [
        token.as_str().to_owned(),
        long_term,
        claude.as_str().to_owned(),
        claude_long_term,
        sagemaker.as_str().to_owned(),
    ]
}

#[test]
fn a_key_given_where_it_does_not_belong_is_never_echoed() {
    let env = CliEnv::with_env_credentials();
    for key in keys() {
        let region_eq = format!("--region={key}");
        let truncated = &key[..key.len() / 2];
        let invocations: Vec<Vec<&str>> = vec![
            vec![&key],
            vec!["inspect", &key, &key],
            vec!["inspect", "-", &key],
            vec!["--region", &key],
            vec![&region_eq],
            vec!["--expiry", &key],
            vec!["--timeout", &key],
            vec!["--format", &key],
            vec!["--profile", &key],
            vec!["--cache", &key],
            vec!["--bogus", &key],
            vec!["--", &key],
            vec![truncated],
            vec!["--generate", &key],
            vec!["proxy", "--client-key-file", "k", "--control-plane", &key],
            vec!["exec", "--proxy", "--control-plane", &key, "--", "true"],
            vec!["exec", "--proxy", "--log", &key, "--", "true"],
        ];
        for args in invocations {
            let out = env.run(&args);
            assert_not_echoed(&out, &key);
            let err = failed(&out, 64);
            assert!(
                err.contains("looks like an AWS API key (not shown)"),
                "{args:?}: {err}"
            );
        }
        // Where a key belongs, a broken one is reported without being echoed either.
        let out = env.run(&["inspect", truncated]);
        assert_not_echoed(&out, &key);
        failed(&out, 2);
    }
}

/// A long-term key pasted without its `ABSK`/`AEAA` prefix (or cut at its start) is
/// still a key: base64 of `<user>-at-<account>:<secret>`.
#[test]
fn a_long_term_key_without_its_prefix_is_never_echoed() {
    let env = CliEnv::with_env_credentials();
    for key in keys()
        .into_iter()
        .filter(|k| k.starts_with("ABSK") || k.starts_with("AEAA"))
    {
        for body in [&key[4..], &key[5..], &key[7..]] {
            for args in [
                vec!["long-term", "audit", "--older-than", body],
                vec!["long-term", "audit", "--expiring-within", body],
                vec!["--region", body],
                vec!["long-term", "list", "--user-name", body],
            ] {
                let out = env.run(&args);
                assert_not_echoed(&out, body);
                assert_not_echoed(&out, &body[8..body.len() - 8]);
                let err = failed(&out, 64);
                assert!(err.contains("(not shown)"), "{args:?}: {err}");
            }
        }
    }
}

/// A short-term key of any service pasted without its prefix is still a key: its body,
/// the base64 of its presigned URL, starts with the base64 of the signing host.
#[test]
fn a_short_term_key_without_its_prefix_is_never_echoed() {
    let env = CliEnv::with_env_credentials();
    for key in keys().into_iter().filter(|k| k.contains("-api-key-")) {
        let (_, body) = key.split_once("-api-key-").unwrap();
        for args in [
            vec!["--region", body],
            vec!["--expiry", body],
            vec!["long-term", "list", "--user-name", body],
        ] {
            let out = env.run(&args);
            assert_not_echoed(&out, body);
            let err = failed(&out, 64);
            assert!(err.contains("(not shown)"), "{args:?}: {err}");
        }
    }
}

/// The library reads an alias with a suffix after the account id as a long-term key's
/// (`src/names.rs`: IAM documents "a suffix containing version and creation
/// information"), so the body of such a key, without its prefix, is a key too.
#[test]
fn a_long_term_key_with_a_suffixed_alias_without_its_prefix_is_never_echoed() {
    let env = CliEnv::with_env_credentials();
    let key = format!(
        "ABSK{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "BedrockAPIKey-abcd-at-123456789012-v1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
        )
    );
    let info = aws_bedrock_token_generator::LongTermKeyInfo::parse(&key).unwrap();
    assert_eq!(
        info.account_id(),
        Some("123456789012"),
        "the library's reading"
    );
    for body in [&key[4..], &key[5..], &key[7..]] {
        for args in [
            vec!["--region", body],
            vec!["long-term", "list", "--user-name", body],
        ] {
            let out = env.run(&args);
            assert_not_echoed(&out, body);
            assert_not_echoed(&out, &body[8..body.len() - 8]);
        }
    }
}

#[test]
fn a_key_in_the_environment_is_never_echoed() {
    for key in keys() {
        for var in ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"] {
            let mut env = CliEnv::with_env_credentials();
            env.unset("AWS_REGION").set(var, &key);
            let out = env.run(&[]);
            assert_not_echoed(&out, &key);
            let err = failed(&out, 78);
            assert!(err.contains(var) && err.contains("<redacted>"), "{err}");
        }
    }
}

#[test]
fn a_bad_region_names_where_it_came_from() {
    let mut env = CliEnv::with_env_credentials();
    let err = failed(&env.run(&["--region", "us west 2"]), 64);
    assert!(err.contains(r#"invalid --region "us west 2""#), "{err}");

    env.set("AWS_REGION", "us west 2");
    let err = failed(&env.run(&[]), 78);
    assert!(
        err.contains(r#"invalid region "us west 2" in AWS_REGION"#),
        "{err}"
    );

    env.unset("AWS_REGION")
        .set("AWS_DEFAULT_REGION", "EU\u{1b}[31m");
    let err = failed(&env.run(&[]), 78);
    assert!(
        err.contains(r#"invalid region "EU\u{1b}[31m" in AWS_DEFAULT_REGION"#),
        "{err}"
    );

    env.set("AWS_REGION", "");
    let err = failed(&env.run(&[]), 78);
    assert!(err.contains("AWS_REGION is empty"), "{err}");

    env.unset("AWS_REGION").unset("AWS_DEFAULT_REGION");
    env.write_config("[profile dev]\nregion = US WEST\n");
    let err = failed(&env.run(&["--profile", "dev"]), 78);
    assert!(err.contains(r#"invalid region in profile "dev""#), "{err}");
    assert!(
        err.contains(&env.path("config").display().to_string()),
        "{err}"
    );
}

#[test]
fn profiles_and_config_files_are_named() {
    let mut env = CliEnv::bare();
    env.set("AWS_REGION", "us-east-1");
    let config = env.path("config").display().to_string();
    let err = failed(&env.run(&["--profile", "nope"]), 78);
    assert!(
        err.contains(r#"profile "nope" (from --profile) not found in "#) && err.contains(&config),
        "{err}"
    );
    env.set("AWS_PROFILE", "gone");
    let err = failed(&env.run(&[]), 78);
    assert!(
        err.contains(r#"profile "gone" (from AWS_PROFILE) not found"#),
        "{err}"
    );

    env.write_config("[profile empty]\nregion = us-east-1\n");
    let err = failed(&env.run(&["--profile", "empty"]), 78);
    assert!(
        err.contains(r#"no AWS credentials: profile "empty" (from --profile) has none"#),
        "{err}"
    );

    let mut unreadable = CliEnv::bare();
    let dir = unreadable.path("config.d");
    std::fs::create_dir(&dir).unwrap();
    unreadable
        .set("AWS_CONFIG_FILE", &dir)
        .set("AWS_REGION", "us-east-1");
    let err = failed(&unreadable.run(&[]), 78);
    assert!(
        err.contains(&format!("cannot read {}", dir.display())) && err.contains("AWS_CONFIG_FILE"),
        "{err}"
    );

    let err = failed(&env.run(&["--profile", ""]), 64);
    assert!(err.contains("--profile is empty"), "{err}");
}

#[test]
fn missing_credentials_are_told_briefly() {
    let mut env = CliEnv::bare();
    env.set("AWS_REGION", "us-east-1");
    let err = failed(&env.run(&[]), 78);
    assert!(
        err.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            && err.contains("--profile"),
        "{err}"
    );
    assert!(err.len() < 250, "{} chars: {err}", err.len());

    env.set("AWS_ACCESS_KEY_ID", AKID);
    let err = failed(&env.run(&[]), 78);
    assert!(
        err.contains("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
        "{err}"
    );
}

#[test]
fn a_misconfigured_credential_source_is_a_configuration_error() {
    let env = CliEnv::bare();
    env.write_config(
        "[default]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/r\n",
    );
    let err = failed(&env.run(&[]), 78);
    assert!(
        err.contains(r#"credential source of profile "default" is misconfigured"#),
        "{err}"
    );
}

/// A bad long-term value is named by the flag that gave it, in front of the library's
/// message (which names no flag): the CLI maps the error's input, it does not read the text.
#[test]
fn a_bad_long_term_value_is_named_by_its_flag() {
    let mut env = CliEnv::with_env_credentials();
    // Nothing listens there: the values are refused before any IAM call.
    env.set("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9");
    for (args, flag, says) in [
        (
            &["create", "--user-name", "a/b", "--days", "1"][..],
            "--user-name: ",
            "invalid IAM user name",
        ),
        (
            &["reset", "--user-name", "alice", "--id", "short"],
            "--id: ",
            "invalid key id",
        ),
        (
            &[
                "create",
                "--user-name",
                "alice",
                "--days",
                "1",
                "--policy-arn",
                "nope",
            ],
            "--policy-arn: ",
            "invalid policy ARN",
        ),
    ] {
        let mut all = vec!["long-term"];
        all.extend_from_slice(args);
        let err = failed(&env.run(&all), 64);
        assert!(err.contains(&format!("{flag}{says}")), "{args:?}: {err}");
    }
}
