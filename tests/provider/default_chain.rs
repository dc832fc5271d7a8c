//! The real default chains through aws-config: environment variables, test-owned
//! profile files, credential_process, and the container credentials endpoint on
//! loopback. Instance metadata is disabled; nothing leaves 127.0.0.1.
#![cfg(feature = "default-chain")]

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_bedrock_token_generator::{provide_token, ErrorKind, Region, TokenInfo, TokenProvider};
use aws_smithy_async::test_util::ManualTimeSource;
use support::env::IsolatedEnv;
use support::http::{respond, Server};
use support::*;

#[tokio::test]
async fn provide_token_reads_environment_credentials_and_region() {
    let env = IsolatedEnv::new("", "").await;
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    env.set("AWS_REGION", "eu-central-1");
    let token = provide_token().await.unwrap();
    let info = TokenInfo::parse(token.as_str()).unwrap();
    assert_eq!(info.region(), "eu-central-1");
    assert_eq!(info.access_key_id(), AKID);
    assert_eq!(info.expiry(), Duration::from_secs(43200));
    assert!(!info.has_session_token());

    env.set("AWS_SESSION_TOKEN", SESSION);
    let info = TokenInfo::parse(provide_token().await.unwrap().as_str()).unwrap();
    assert!(info.has_session_token());
}

#[tokio::test]
async fn no_region_says_how_to_set_one() {
    let env = IsolatedEnv::new("", "").await;
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    let err = provide_token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoRegion);
    assert!(err.to_string().contains("AWS_REGION"), "{err}");
    assert!(err.to_string().contains(".region("), "{err}");
}

#[tokio::test]
async fn no_credentials_says_how_to_provide_them() {
    let env = IsolatedEnv::new("", "").await;
    env.set("AWS_REGION", "us-east-1");
    let err = provide_token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoCredentials, "{err:?}");
    for hint in ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "credentials_provider"] {
        assert!(err.to_string().contains(hint), "{err}");
    }
}

#[tokio::test]
async fn invalid_region_from_the_environment_is_rejected() {
    let env = IsolatedEnv::new("", "").await;
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    env.set("AWS_REGION", "US WEST/2");
    assert_eq!(
        provide_token().await.unwrap_err().kind(),
        ErrorKind::InvalidRegion
    );
}

const PROFILES: &str = "\
[default]
region = us-east-1

[profile bedrock]
region = ap-southeast-2
";

const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIDDEFAULTEXAMPLE
aws_secret_access_key = defaultSECRETexample

[bedrock]
aws_access_key_id = AKIDBEDROCKEXAMPLE
aws_secret_access_key = bedrockSECRETexample
";

#[tokio::test]
async fn named_profile_from_test_owned_files() {
    let _env = IsolatedEnv::new(PROFILES, CREDENTIALS).await;
    let default = TokenInfo::parse(provide_token().await.unwrap().as_str()).unwrap();
    assert_eq!(
        (default.region(), default.access_key_id()),
        ("us-east-1", "AKIDDEFAULTEXAMPLE")
    );

    let provider = TokenProvider::builder()
        .profile_name("bedrock")
        .expiry(Duration::from_secs(900))
        .build()
        .unwrap();
    let named = TokenInfo::parse(provider.token().await.unwrap().as_str()).unwrap();
    assert_eq!(
        (named.region(), named.access_key_id()),
        ("ap-southeast-2", "AKIDBEDROCKEXAMPLE")
    );
    assert_eq!(named.expiry(), Duration::from_secs(900));

    // An explicit region wins over the profile's.
    let provider = TokenProvider::builder()
        .profile_name("bedrock")
        .region(Region::new("us-gov-west-1"))
        .build()
        .unwrap();
    let info = TokenInfo::parse(provider.token().await.unwrap().as_str()).unwrap();
    assert_eq!(
        (info.region(), info.access_key_id()),
        ("us-gov-west-1", "AKIDBEDROCKEXAMPLE")
    );
}

#[tokio::test]
async fn a_named_profile_beats_environment_credentials_as_in_the_aws_cli() {
    let env = IsolatedEnv::new(PROFILES, CREDENTIALS).await;
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    let provider = TokenProvider::builder()
        .profile_name("bedrock")
        .build()
        .unwrap();
    let info = TokenInfo::parse(provider.token().await.unwrap().as_str()).unwrap();
    assert_eq!(
        (info.region(), info.access_key_id()),
        ("ap-southeast-2", "AKIDBEDROCKEXAMPLE")
    );
    // Region precedence stays: AWS_REGION before the profile's.
    env.set("AWS_REGION", "eu-west-3");
    let provider = TokenProvider::builder()
        .profile_name("bedrock")
        .build()
        .unwrap();
    let info = TokenInfo::parse(provider.token().await.unwrap().as_str()).unwrap();
    assert_eq!(
        (info.region(), info.access_key_id()),
        ("eu-west-3", "AKIDBEDROCKEXAMPLE")
    );
}

#[tokio::test]
async fn a_missing_profile_is_an_error_naming_it_and_the_files() {
    let env = IsolatedEnv::new(PROFILES, CREDENTIALS).await;
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    env.set("AWS_REGION", "us-east-1");
    let provider = TokenProvider::builder()
        .profile_name("nosuch")
        .build()
        .unwrap();
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    let text = err.to_string();
    assert!(text.contains("`nosuch`"), "{text}");
    assert!(
        text.contains(&env.path("config").display().to_string()),
        "{text}"
    );
    assert!(
        text.contains(&env.path("credentials").display().to_string()),
        "{text}"
    );
}

#[tokio::test]
async fn an_invalid_region_names_where_it_came_from() {
    let env = IsolatedEnv::new("[profile odd]\nregion = us west 2\n", "").await;
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    env.set("AWS_REGION", "us west 2");
    let err = provide_token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRegion);
    assert!(err.to_string().contains("AWS_REGION"), "{err}");

    std::env::remove_var("AWS_REGION");
    let provider = TokenProvider::builder()
        .profile_name("odd")
        .build()
        .unwrap();
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRegion);
    assert!(err.to_string().contains("profile `odd`"), "{err}");
}

#[tokio::test]
async fn aws_profile_selects_the_profile() {
    let env = IsolatedEnv::new(PROFILES, CREDENTIALS).await;
    env.set("AWS_PROFILE", "bedrock");
    let info = TokenInfo::parse(provide_token().await.unwrap().as_str()).unwrap();
    assert_eq!(
        (info.region(), info.access_key_id()),
        ("ap-southeast-2", "AKIDBEDROCKEXAMPLE")
    );
}

#[tokio::test]
async fn credential_process_with_expiring_credentials_bounds_the_token() {
    let env = IsolatedEnv::new("", "").await;
    let script = env.path("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"{ASIA}\", \"SecretAccessKey\": \"{SECRET}\", \
             \"SessionToken\": \"{SESSION}\", \"Expiration\": \"2024-06-15T12:30:00Z\"}}'\n"
        ),
    )
    .unwrap();
    std::fs::write(
        env.path("config"),
        format!(
            "[default]\nregion = us-west-2\ncredential_process = sh {}\n",
            script.display()
        ),
    )
    .unwrap();

    let clock = ManualTimeSource::new(start()); // 12:00:00Z
    let provider = TokenProvider::builder()
        .time_source(clock.clone())
        .build()
        .unwrap();
    let token = provider.token().await.unwrap();
    assert_eq!(token.expires_at(), start() + Duration::from_secs(30 * 60));
    let info = TokenInfo::parse(token.as_str()).unwrap();
    assert_eq!(info.access_key_id(), ASIA);
    assert!(info.has_session_token());

    // Once those credentials have expired, the process's answer is refused, not signed.
    clock.advance(Duration::from_secs(30 * 60));
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsExpired, "{err:?}");
}

#[tokio::test]
async fn credential_process_failure_is_a_provider_error_without_secrets() {
    let env = IsolatedEnv::new("", "").await;
    std::fs::write(
        env.path("config"),
        "[default]\nregion = us-west-2\ncredential_process = sh -c 'echo not-json-SECRETLEAK; exit 0'\n",
    )
    .unwrap();
    let err = provide_token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsProvider, "{err:?}");
    assert!(!format!("{err:?}").contains(SECRET));
}

/// What the loopback container-credentials endpoint answers next.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Container {
    Ok,
    Status500,
    Hang,
    Malformed,
}

fn container_json() -> String {
    format!(
        r#"{{"AccessKeyId":"{ASIA}","SecretAccessKey":"{SECRET}","Token":"{SESSION}","Expiration":"2024-06-15T18:00:00Z"}}"#
    )
}

/// A loopback container-credentials endpoint answering as `mode` says, pointed at by
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
async fn container_endpoint(
    env: &IsolatedEnv,
    initial: Container,
) -> (Server, Arc<Mutex<Container>>) {
    let mode = Arc::new(Mutex::new(initial));
    let server_mode = mode.clone();
    let server = Server::start(move |req| {
        let mode = *server_mode.lock().unwrap();
        async move {
            assert_eq!(req.uri().path(), "/credentials");
            match mode {
                Container::Ok => respond(200, "application/json", container_json()),
                Container::Status500 => respond(500, "text/plain", "internal error"),
                Container::Malformed => respond(200, "application/json", "{\"AccessKeyId\": "),
                Container::Hang => std::future::pending().await,
            }
        }
    })
    .await;
    env.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("{}/credentials", server.url()),
    );
    (server, mode)
}

#[tokio::test]
async fn container_endpoint_failures_while_a_token_is_cached() {
    let env = IsolatedEnv::new("[default]\nregion = us-east-2\n", "").await;
    let (server, mode) = container_endpoint(&env, Container::Ok).await;

    let clock = ManualTimeSource::new(start());
    let provider = TokenProvider::builder()
        .time_source(clock.clone())
        .expiry(Duration::from_secs(3600))
        .refresh_jitter(Duration::ZERO)
        .load_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let cached = provider.token().await.unwrap();
    let info = TokenInfo::parse(cached.as_str()).unwrap();
    assert_eq!((info.region(), info.access_key_id()), ("us-east-2", ASIA));
    assert!(server.hits() >= 1);

    // Into the refresh window: every failure keeps the cached token in service.
    clock.advance(Duration::from_secs(3600 - 4 * 60));
    for failure in [Container::Status500, Container::Hang, Container::Malformed] {
        *mode.lock().unwrap() = failure;
        let hits = server.hits();
        let token = provider.token().await.unwrap();
        assert_eq!(token.as_str(), cached.as_str(), "{failure:?}");
        // Wait for the background refresh that call started (or another one).
        provider.refresh().await.unwrap_err();
        assert!(server.hits() > hits, "{failure:?}: the endpoint was asked");
        let token = provider.token().await.unwrap();
        assert_eq!(token.as_str(), cached.as_str(), "{failure:?}");
        clock.advance(Duration::from_secs(61)); // past any backoff
    }

    // The endpoint recovers: a new token (in the background, then served).
    *mode.lock().unwrap() = Container::Ok;
    assert_eq!(provider.token().await.unwrap().as_str(), cached.as_str());
    let fresh = provider.refresh().await.unwrap();
    assert_eq!(provider.token().await.unwrap().as_str(), fresh.as_str());
    assert_ne!(fresh.as_str(), cached.as_str());
}

#[tokio::test]
async fn container_endpoint_failures_without_a_cached_token_surface() {
    let env = IsolatedEnv::new("[default]\nregion = us-east-2\n", "").await;
    let (_server, mode) = container_endpoint(&env, Container::Status500).await;
    // aws-config retries a 500 a few times before giving up, so allow it time.
    let expectations = [
        (Container::Status500, ErrorKind::CredentialsProvider, 10_000),
        (Container::Malformed, ErrorKind::CredentialsProvider, 10_000),
        (Container::Hang, ErrorKind::CredentialsTimeout, 300),
    ];
    for (failure, kind, timeout_ms) in expectations {
        *mode.lock().unwrap() = failure;
        let provider = TokenProvider::builder()
            .time_source(ManualTimeSource::new(start()))
            .load_timeout(Duration::from_millis(timeout_ms))
            .build()
            .unwrap();
        let err = provider.token().await.unwrap_err();
        assert_eq!(err.kind(), kind, "{failure:?}: {err:?}");
        assert!(!format!("{err:?}").contains(SECRET));
    }
}
