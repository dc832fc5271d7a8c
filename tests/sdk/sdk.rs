//! The real aws-sdk-bedrockruntime client with our TokenProvider, against the Bedrock
//! stand-in on 127.0.0.1 (tests/support/bedrock.rs), which verifies every token.
#![cfg(feature = "default-chain")]

use crate::support;

use std::time::Duration;

use aws_bedrock_token_generator::{generate_token, prefer_bearer_auth, Region, TokenProvider};
use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::config::BehaviorVersion;
use aws_sdk_bedrockruntime::Client;
use aws_smithy_async::test_util::ManualTimeSource;
use aws_smithy_async::time::TimeSource;
use support::bedrock::{verify, Bedrock, Keys};
use support::converse::converse;
use support::env::IsolatedEnv;
use support::sigv4::{decode_url, encode_token};
use support::*;

const HOUR: Duration = Duration::from_secs(3600);

fn keys() -> Keys {
    Keys::default()
        .with(AKID, SECRET, None)
        .with(ASIA, SECRET, Some(SESSION))
}

fn provider(creds: &ScriptedCredentials, clock: &ManualTimeSource) -> TokenProvider {
    TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(creds.clone())
        .time_source(clock.clone())
        .expiry(HOUR)
        .refresh_jitter(Duration::ZERO)
        .build()
        .unwrap()
}

fn client(endpoint: &str, provider: &TokenProvider, clock: &ManualTimeSource) -> Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_bedrockruntime::config::Region::new("us-west-2"))
        .endpoint_url(endpoint)
        // Credentials are configured too, as in most real setups; the preference is
        // what makes the client send the bearer token.
        .credentials_provider(static_creds())
        .token_provider(provider.clone())
        .auth_scheme_preference(prefer_bearer_auth())
        .time_source(clock.clone())
        .build();
    Client::from_conf(config)
}

#[test]
fn the_stand_in_rejects_tampered_expired_and_foreign_tokens() {
    let now = start();
    let good = generate_token(&session_creds(None), "us-west-2", HOUR, now).unwrap();
    assert_eq!(verify(&keys(), now, good.as_str()), Ok(()));

    // Tampered: any change to the signed URL breaks the signature.
    let tamper = |from: &str, to: &str| {
        let url = decode_url(good.as_str()).replacen(from, to, 1);
        encode_token(url.as_bytes())
    };
    for (from, to) in [
        ("us-west-2", "us-east-1"),
        ("X-Amz-Expires=3600", "X-Amz-Expires=3601"),
    ] {
        assert!(verify(&keys(), now, &tamper(from, to)).is_err(), "{from}");
    }
    let sig_at = decode_url(good.as_str()).find("X-Amz-Signature=").unwrap() + 16;
    let mut url = decode_url(good.as_str());
    let flipped = if &url[sig_at..=sig_at] == "0" {
        "1"
    } else {
        "0"
    };
    url.replace_range(sig_at..=sig_at, flipped);
    assert!(verify(&keys(), now, &encode_token(url.as_bytes()))
        .unwrap_err()
        .contains("signature"));

    // Expired.
    let err = verify(&keys(), now + HOUR, good.as_str()).unwrap_err();
    assert!(err.contains("expired"), "{err}");
    // Foreign: signed with another secret, or by an unknown key, or without its session token.
    let other_secret = Credentials::new(
        ASIA,
        "another-secret-EXAMPLE",
        Some(SESSION.into()),
        None,
        "t",
    );
    let foreign = generate_token(&other_secret, "us-west-2", HOUR, now).unwrap();
    assert!(verify(&keys(), now, foreign.as_str())
        .unwrap_err()
        .contains("signature"));
    let unknown = Credentials::new("AKIDUNKNOWNEXAMPLE", SECRET, None, None, "t");
    let unknown = generate_token(&unknown, "us-west-2", HOUR, now).unwrap();
    assert!(verify(&keys(), now, unknown.as_str()).is_err());
    let no_session = Credentials::new(ASIA, SECRET, None, None, "t");
    let no_session = generate_token(&no_session, "us-west-2", HOUR, now).unwrap();
    assert!(verify(&keys(), now, no_session.as_str()).is_err());
    assert!(verify(&keys(), now, "bedrock-api-key-!!!").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_sends_verified_bearer_tokens_concurrently() {
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = provider(&creds, &clock);
    let client = client(&bedrock.url(), &provider, &clock);

    let calls: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { converse(&client).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), "Hello from the stand-in");
    }
    assert_eq!(bedrock.accepted(), 64);
    assert_eq!(bedrock.rejected(), 0);
    assert_eq!(bedrock.distinct_tokens(), 1);
    assert_eq!(creds.calls(), 1, "one credential resolution for all calls");
}

#[tokio::test]
async fn sdk_gets_the_new_token_as_the_clock_advances() {
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = provider(&creds, &clock);
    let client = client(&bedrock.url(), &provider, &clock);

    converse(&client).await.unwrap();
    // Past our refresh window, but the SDK's own identity cache still holds the token
    // until shortly before its expiry; it then asks us and gets the refreshed one.
    for _ in 0..3 {
        clock.advance(HOUR - Duration::from_secs(5));
        converse(&client).await.unwrap();
    }
    assert_eq!(bedrock.rejected(), 0);
    assert_eq!(bedrock.distinct_tokens(), 4);
    assert_eq!(creds.calls(), 4);
    assert!(provider.token().await.unwrap().expires_at() > clock.now());
}

#[tokio::test]
async fn access_denied_then_invalidate_takes_effect_on_the_next_sdk_request() {
    let clock = ManualTimeSource::new(start());
    // The stand-in knows only the rotated session token.
    let rotated = "FwoGZXIvYXdzROTATEDEXAMPLE/abc==";
    let bedrock = Bedrock::start(
        Keys::default().with(ASIA, SECRET, Some(rotated)),
        clock.clone(),
    )
    .await;
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = provider(&creds, &clock);
    let client = client(&bedrock.url(), &provider, &clock);

    let err = converse(&client).await.unwrap_err();
    assert!(err.contains("AccessDeniedException"), "{err}");

    creds.set(Next::Ok(Credentials::new(
        ASIA,
        SECRET,
        Some(rotated.into()),
        None,
        "t",
    )));
    provider.invalidate();
    // The same client, with the SDK's default identity cache: the next request already
    // carries the new token.
    assert_eq!(converse(&client).await.unwrap(), "Hello from the stand-in");
    assert_eq!(creds.calls(), 2);
    assert_eq!(bedrock.accepted(), 1);
}

/// A credential outage from minute 57 to 62 of a 1-hour token, with requests every 10 s
/// through the real client and its default identity cache: the provider refreshed at its
/// refresh point (minute 55), so no request fails.
#[tokio::test]
async fn an_outage_after_the_refresh_point_fails_no_sdk_request() {
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = provider(&creds, &clock);
    let client = client(&bedrock.url(), &provider, &clock);

    let minute = |m: u64| start() + Duration::from_secs(60 * m);
    let mut failures = 0;
    for step in 0..=(65 * 6) {
        let now = start() + Duration::from_secs(10 * step);
        if now >= minute(57) && now < minute(62) {
            creds.set(Next::Fail);
        } else {
            creds.set(Next::Ok(static_creds()));
        }
        if converse(&client).await.is_err() {
            failures += 1;
        }
        wait_for_background_load(&provider).await;
        clock.advance(Duration::from_secs(10));
    }
    assert_eq!(failures, 0);
    assert_eq!(bedrock.rejected(), 0);
    assert_eq!(creds.calls(), 2, "minted at 0 and refreshed at minute 55");
}

/// Lets a background load that a request started finish (bounded; no wall-clock sleep).
async fn wait_for_background_load(provider: &TokenProvider) {
    for _ in 0..10_000 {
        if format!("{provider:?}").contains("loading: false") {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the background load did not finish");
}

#[tokio::test]
async fn without_the_preference_the_sdk_signs_with_sigv4() {
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = provider(&creds, &clock);
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_bedrockruntime::config::Region::new("us-west-2"))
        .endpoint_url(bedrock.url())
        .credentials_provider(static_creds())
        .token_provider(provider.clone())
        .time_source(clock.clone())
        .build();
    let err = converse(&Client::from_conf(config)).await.unwrap_err();
    assert!(err.contains("AccessDeniedException"), "{err}");
    assert_eq!(creds.calls(), 0, "the token provider was never asked");
}

/// With the service config built from an `SdkConfig`, `AWS_BEARER_TOKEN_BEDROCK` is read,
/// but a token provider set in code wins over it.
#[tokio::test]
async fn a_provider_set_in_code_wins_over_aws_bearer_token_bedrock() {
    let env = IsolatedEnv::new("[default]\nregion = us-west-2\n", "").await;
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    env.set(
        "AWS_BEARER_TOKEN_BEDROCK",
        "bedrock-api-key-bm90LWEtdmFsaWQtdG9rZW4=",
    );
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;

    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .time_source(clock.clone())
        .load()
        .await;
    let provider = TokenProvider::builder()
        .configure(&sdk_config)
        .build()
        .unwrap();
    let config = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config)
        .endpoint_url(bedrock.url())
        .token_provider(provider)
        .build();
    assert_eq!(
        converse(&Client::from_conf(config)).await.unwrap(),
        "Hello from the stand-in"
    );
    assert_eq!(bedrock.accepted(), 1);

    // Without our provider, the variable's (bogus) token is what gets sent.
    let config = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config)
        .endpoint_url(bedrock.url())
        .build();
    assert!(converse(&Client::from_conf(config)).await.is_err());
    assert!(bedrock.rejected() >= 1);
    assert_eq!(bedrock.accepted(), 1);
}

/// `aws_config::ConfigLoader::token_provider` and `auth_scheme_preference` work too; the
/// environment's credentials are ignored in favour of the bearer token.
#[tokio::test]
async fn through_config_loader_token_provider() {
    let env = IsolatedEnv::new("", "").await;
    env.set("AWS_ACCESS_KEY_ID", AKID);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_sdk_bedrockruntime::config::Region::new("us-west-2"))
        .endpoint_url(bedrock.url())
        .time_source(clock.clone())
        .token_provider(provider(&creds, &clock))
        .auth_scheme_preference(prefer_bearer_auth())
        .load()
        .await;
    let client = Client::new(&sdk_config);
    assert_eq!(converse(&client).await.unwrap(), "Hello from the stand-in");
    assert_eq!(creds.calls(), 1);
    assert_eq!(bedrock.accepted(), 1);
}
