//! Scoped keys: the provider assumes a role (aws-config's AssumeRoleProvider, the real
//! STS client) against the STS stand-in on 127.0.0.1 (tests/support/sts.rs), reached
//! through the standard endpoint overrides, and mints from the role session.
#![cfg(feature = "default-chain")]

use crate::support;

use std::time::Duration;

use aws_bedrock_token_generator::{
    Error, ErrorKind, Input, ModelPolicy, Region, SessionPolicy, TokenInfo, TokenProvider,
    TokenProviderBuilder,
};
use aws_smithy_async::test_util::ManualTimeSource;
use support::bedrock::{verify, Keys};
use support::env::IsolatedEnv;
use support::http::{respond, Server};
use support::sts::{Sts, DEFAULT_DURATION, ROLE_ARN};
use support::*;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const US_HAIKU: &str = "us.anthropic.claude-3-haiku-20240307-v1:0";
const HOUR: Duration = Duration::from_secs(3600);

/// An isolated environment with the STS stand-in behind `AWS_ENDPOINT_URL_STS`, sharing
/// the test's clock.
async fn stand_in() -> (IsolatedEnv, Sts, ManualTimeSource) {
    let env = IsolatedEnv::new("", "").await;
    let clock = ManualTimeSource::new(start());
    let sts = Sts::start(clock.clone()).await;
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    (env, sts, clock)
}

/// Source credentials AKIDEXAMPLE, region us-west-2, the role to assume.
fn builder(clock: &ManualTimeSource) -> TokenProviderBuilder {
    TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(static_creds())
        .time_source(clock.clone())
        .assume_role(ROLE_ARN)
}

/// Display and Debug of an error, for message and leak checks.
fn text(e: &Error) -> String {
    format!("{e} || {e:?}")
}

fn assert_no_secret(text: &str, sts: &Sts) {
    for secret in sts.secrets().iter().map(String::as_str).chain([SECRET]) {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
}

#[tokio::test]
async fn assumes_the_role_with_the_session_policy_and_mints_from_the_session() {
    let (_env, sts, clock) = stand_in().await;
    sts.set_max_session(2 * HOUR);
    let policy = ModelPolicy::new([HAIKU, US_HAIKU]);
    let provider = builder(&clock)
        .role_session_name("sandbox-42")
        .session_policy(policy.clone())
        .expiry(2 * HOUR)
        .build()
        .unwrap();
    let token = provider.token().await.unwrap();

    let calls = sts.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.action, "AssumeRole");
    assert_eq!(call.param("Version"), Some("2011-06-15"));
    assert_eq!(call.param("RoleArn"), Some(ROLE_ARN));
    assert_eq!(call.param("RoleSessionName"), Some("sandbox-42"));
    assert_eq!(call.param("DurationSeconds"), Some("7200"));
    assert_eq!(
        call.param("Policy"),
        Some(policy.to_json().unwrap().as_str())
    );
    assert!(call.param("Policy").unwrap().contains(
        r#""arn:aws:bedrock:*:*:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0""#
    ));
    let auth = call.authorization.as_deref().expect("SigV4-signed");
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240615/us-west-2/sts/aws4_request"
        ),
        "signed by the source credentials for STS in the token's region: {auth}"
    );

    // Signed by the role session, not by the source credentials.
    let session = &sts.sessions()[0];
    let info = TokenInfo::parse(token.as_str()).unwrap();
    assert_eq!(info.access_key_id(), session.access_key_id);
    assert!(info.has_session_token());
    assert_eq!(info.region(), "us-west-2");
    verify(&sts.keys(), start(), token.as_str()).unwrap();
    let source_only = Keys::default().with(AKID, SECRET, None);
    assert!(verify(&source_only, start(), token.as_str()).is_err());
    assert_eq!(token.expires_at(), start() + 2 * HOUR);
    assert_eq!(session.expires, start() + 2 * HOUR);

    // Cached: no second AssumeRole.
    provider.token().await.unwrap();
    assert_eq!(sts.calls().len(), 1);
    assert_no_secret(&format!("{provider:?} {token:?}"), &sts);
}

#[tokio::test]
async fn the_token_expires_with_the_role_session_when_that_is_sooner() {
    let (_env, sts, clock) = stand_in().await;
    // Default expiry (12 hours) and no session duration: DurationSeconds is not sent and
    // STS grants its default hour.
    let provider = builder(&clock).build().unwrap();
    let token = provider.token().await.unwrap();
    let call = &sts.calls()[0];
    assert_eq!(call.param("DurationSeconds"), None);
    assert_eq!(
        call.param("RoleSessionName"),
        Some("bedrock-token-1718452800"),
        "default session name: prefix and the Unix time at build()"
    );
    assert_eq!(call.param("Policy"), None);
    assert_eq!(sts.sessions()[0].expires, start() + DEFAULT_DURATION);
    assert_eq!(
        token.expires_at(),
        start() + DEFAULT_DURATION,
        "clamped to the session"
    );
    verify(
        &sts.keys(),
        start() + HOUR - Duration::from_secs(1),
        token.as_str(),
    )
    .unwrap();
}

#[tokio::test]
async fn role_session_duration_is_sent_as_asked_and_bounds_the_token() {
    let (_env, sts, clock) = stand_in().await;
    let provider = builder(&clock)
        .role_session_duration(Duration::from_secs(900))
        .build()
        .unwrap();
    let token = provider.token().await.unwrap();
    assert_eq!(sts.calls()[0].param("DurationSeconds"), Some("900"));
    assert_eq!(token.expires_at(), start() + Duration::from_secs(900));

    // A short expiry still asks for the shortest session STS grants.
    let provider = builder(&clock)
        .expiry(Duration::from_secs(300))
        .build()
        .unwrap();
    let token = provider.token().await.unwrap();
    assert_eq!(sts.calls()[1].param("DurationSeconds"), Some("900"));
    assert_eq!(token.expires_at(), start() + Duration::from_secs(300));
}

#[tokio::test]
async fn refreshes_from_a_new_role_session_before_the_session_expires() {
    let (_env, sts, clock) = stand_in().await;
    let provider = builder(&clock).build().unwrap();
    let first = provider.token().await.unwrap();
    assert_eq!(first.expires_at(), start() + HOUR);

    // Past the refresh point (at most 5 min + 1 min jitter before expiry), still usable:
    // callers get the cached token at once while a background load assumes the role anew.
    clock.advance(Duration::from_secs(56 * 60));
    let stale = provider.token().await.unwrap();
    assert_eq!(stale.as_str(), first.as_str());
    let second = provider.refresh().await.unwrap();
    assert_eq!(sts.calls().len(), 2, "refresh() joined the background load");
    assert_ne!(second.as_str(), first.as_str());
    let now = start() + Duration::from_secs(56 * 60);
    assert_eq!(second.expires_at(), now + HOUR);
    let info = TokenInfo::parse(second.as_str()).unwrap();
    assert_eq!(info.access_key_id(), sts.sessions()[1].access_key_id);
    verify(&sts.keys(), now, second.as_str()).unwrap();
    assert_eq!(provider.token().await.unwrap().as_str(), second.as_str());

    // Within the last seconds of the second session, callers wait for a third.
    clock.set_time(now + HOUR - Duration::from_secs(5));
    let third = provider.token().await.unwrap();
    assert_eq!(sts.calls().len(), 3);
    assert_eq!(
        TokenInfo::parse(third.as_str()).unwrap().access_key_id(),
        sts.sessions()[2].access_key_id
    );
}

#[tokio::test]
async fn sts_errors_are_mapped_to_what_to_do() {
    let (_env, sts, clock) = stand_in().await;
    let cases = [
        (
            403,
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/caller is not authorized to perform: \
             sts:AssumeRole on resource: arn:aws:iam::123456789012:role/bedrock-sandbox",
            ErrorKind::AccessDenied,
            "trust policy",
        ),
        (
            400,
            "MalformedPolicyDocument",
            "Syntax errors in policy.",
            ErrorKind::InvalidConfig,
            "session policy as malformed",
        ),
        (
            400,
            "PackedPolicyTooLarge",
            "Packed size of the consolidated policy exceeds the limit.",
            ErrorKind::InvalidConfig,
            "too large once packed",
        ),
        (
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
            ErrorKind::CredentialsExpired,
            "source credentials have expired",
        ),
        (
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            ErrorKind::InvalidCredentials,
            "does not accept the source credentials",
        ),
        (
            403,
            "RegionDisabledException",
            "STS is not activated in this region for account:123456789012.",
            ErrorKind::CredentialsProvider,
            "not activated",
        ),
        (
            400,
            "SomethingNew",
            "A failure this crate does not know.",
            ErrorKind::CredentialsProvider,
            "STS refused to assume role `arn:aws:iam::123456789012:role/bedrock-sandbox`",
        ),
    ];
    for (n, (status, code, message, kind, hint)) in cases.into_iter().enumerate() {
        sts.fail(status, code, message);
        let provider = builder(&clock)
            .session_policy(ModelPolicy::new([HAIKU]))
            .build()
            .unwrap();
        let e = provider.token().await.unwrap_err();
        assert_eq!(e.kind(), kind, "{code}: {e:?}");
        let text = text(&e);
        assert!(text.contains(hint), "{code}: {text}");
        assert!(text.contains(&format!("STS {code}")), "{text}");
        assert!(text.contains(message), "STS's message is kept: {text}");
        assert!(
            text.contains(&format!("request id 11111111-2222-3333-4444-{:012}", n + 1)),
            "{text}"
        );
        // The same facts, structured: which operation, what STS answered.
        assert_eq!(e.operation(), Some("AssumeRole"), "{e:?}");
        assert_eq!(e.aws_error_code(), Some(code), "{e:?}");
        assert_eq!(
            e.aws_request_id(),
            Some(format!("11111111-2222-3333-4444-{:012}", n + 1).as_str())
        );
        assert_no_secret(&text, &sts);
    }
    assert_eq!(
        sts.calls().len(),
        7,
        "service errors like these are not retried"
    );
}

#[tokio::test]
async fn a_session_longer_than_the_role_allows_says_so() {
    let (_env, sts, clock) = stand_in().await;
    // The role's maximum is the default hour; the expiry asks for two.
    let provider = builder(&clock).expiry(2 * HOUR).build().unwrap();
    let e = provider.token().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert_eq!(e.input(), Some(Input::RoleSessionDuration));
    let text = text(&e);
    for hint in [
        "7200 seconds",
        "maximum session duration",
        "the role session duration",
        "STS ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration",
    ] {
        assert!(text.contains(hint), "{hint}: {text}");
    }
    assert_eq!(sts.calls()[0].param("DurationSeconds"), Some("7200"));
}

#[tokio::test]
async fn source_credentials_that_fail_are_named_and_sts_is_not_called() {
    let (_env, sts, clock) = stand_in().await;
    let creds = ScriptedCredentials::new(Next::NotLoaded);
    let provider = TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(creds.clone())
        .time_source(clock.clone())
        .assume_role(ROLE_ARN)
        .build()
        .unwrap();
    let e = provider.token().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoCredentials, "{e:?}");
    let text = text(&e);
    assert!(text.contains("source credentials"), "{text}");
    assert!(text.contains("credentials_provider(..)"), "{text}");
    assert!(text.contains(ROLE_ARN), "{text}");
    assert!(creds.calls() >= 1);
    assert!(sts.calls().is_empty());
}

#[tokio::test]
async fn an_unreadable_answer_reveals_none_of_its_secrets() {
    let (_env, sts, clock) = stand_in().await;
    sts.garble();
    let provider = builder(&clock).build().unwrap();
    let e = provider.token().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsProvider);
    let text = text(&e);
    assert!(text.contains("could not be read"), "{text}");
    assert_eq!(
        sts.secrets().len(),
        2,
        "the answer held a secret key and a token"
    );
    assert_no_secret(&text, &sts);
    assert_no_secret(&format!("{provider:?}"), &sts);
}

#[tokio::test]
async fn an_unreachable_sts_endpoint_is_named_as_such() {
    let (env, sts, clock) = stand_in().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    env.set("AWS_ENDPOINT_URL_STS", &url);
    let e = builder(&clock).build().unwrap().token().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsProvider, "{e:?}");
    let text = text(&e);
    assert!(text.contains("cannot reach STS"), "{text}");
    assert!(text.contains("AWS_ENDPOINT_URL_STS"), "{text}");
    assert!(sts.calls().is_empty());
}

#[tokio::test]
async fn aws_endpoint_url_reaches_sts_too_and_the_sts_variable_wins() {
    let (env, sts, clock) = stand_in().await;
    // The generic override alone.
    std::env::remove_var("AWS_ENDPOINT_URL_STS");
    env.set("AWS_ENDPOINT_URL", sts.url());
    let token = builder(&clock).build().unwrap().token().await.unwrap();
    assert_eq!(sts.calls().len(), 1);
    verify(&sts.keys(), start(), token.as_str()).unwrap();

    // Both: the service-specific one wins.
    let other = Server::start(|_| async { respond(500, "text/plain", "wrong endpoint") }).await;
    env.set("AWS_ENDPOINT_URL", other.url());
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    builder(&clock).build().unwrap().token().await.unwrap();
    assert_eq!(sts.calls().len(), 2);
    assert_eq!(other.hits(), 0);
}

#[tokio::test]
async fn source_credentials_region_and_endpoint_from_the_environment_and_profile() {
    let env = IsolatedEnv::new("", "").await;
    let clock = ManualTimeSource::new(start());
    let sts = Sts::start(clock.clone()).await;
    // The STS endpoint from the profile's services section, region and keys from the
    // environment.
    std::fs::write(
        env.path("config"),
        format!(
            "[profile work]\nservices = local\n\n[services local]\nsts =\n  endpoint_url = {}\n",
            sts.url()
        ),
    )
    .unwrap();
    env.set("AWS_PROFILE", "work");
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    env.set("AWS_REGION", "eu-central-1");
    let provider = TokenProvider::builder()
        .time_source(clock.clone())
        .assume_role(ROLE_ARN)
        .session_policy(SessionPolicy::allow_models([HAIKU]))
        .build()
        .unwrap();
    let token = provider.token().await.unwrap();
    let call = &sts.calls()[0];
    let auth = call.authorization.as_deref().unwrap();
    assert!(
        auth.contains("Credential=AKIDEXAMPLE/20240615/eu-central-1/sts/aws4_request"),
        "{auth}"
    );
    assert_eq!(
        TokenInfo::parse(token.as_str()).unwrap().region(),
        "eu-central-1"
    );
    verify(&sts.keys(), start(), token.as_str()).unwrap();
}

#[tokio::test]
async fn model_policy_partition_follows_the_token_region() {
    let (_env, sts, clock) = stand_in().await;
    let provider = TokenProvider::builder()
        .region(Region::new("cn-north-1"))
        .credentials_provider(static_creds())
        .time_source(clock.clone())
        .assume_role("arn:aws-cn:iam::123456789012:role/bedrock-sandbox")
        .session_policy(ModelPolicy::new([HAIKU]))
        .build()
        .unwrap();
    provider.token().await.unwrap();
    let policy = sts.calls()[0].param("Policy").unwrap().to_owned();
    assert!(
        policy.contains(
            r#""arn:aws-cn:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0""#
        ),
        "{policy}"
    );
}

#[test]
fn build_checks_the_role_settings() {
    let base = || {
        TokenProvider::builder()
            .region(Region::new("us-west-2"))
            .credentials_provider(static_creds())
    };
    let cases: Vec<(TokenProviderBuilder, &str)> = vec![
        (
            base().assume_role("bedrock-sandbox"),
            "invalid role ARN \"bedrock-sandbox\"",
        ),
        (
            base().assume_role("arn:aws:iam::123456789012:user/alice"),
            "does not name a role",
        ),
        (
            base().assume_role(ROLE_ARN).role_session_name("has space"),
            "invalid role session name",
        ),
        (
            base()
                .assume_role(ROLE_ARN)
                .role_session_duration(Duration::from_secs(600)),
            "900 seconds",
        ),
        (
            base()
                .assume_role(ROLE_ARN)
                .session_policy(SessionPolicy::from_json("{\"Statement\": [")),
            "not well-formed JSON",
        ),
        (
            base()
                .assume_role(ROLE_ARN)
                .session_policy(ModelPolicy::new(["anthropic.*"])),
            "name each model",
        ),
        (
            base().session_policy(ModelPolicy::new([HAIKU])),
            "a session policy applies to a role session, but no role is assumed",
        ),
        (base().role_session_name("x-1"), "give the role's ARN"),
        (
            base().role_session_duration(HOUR),
            "a role session duration applies",
        ),
    ];
    for (builder, why) in cases {
        let e = builder.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{why}: {e:?}");
        assert!(e.to_string().contains(why), "{why}: {e}");
    }
}
