//! TokenProvider: builder validation, caching, refresh, static stability, timeouts.
//! Time is a ManualTimeSource; timeouts run on Tokio's paused clock.

mod support;

use std::time::Duration;

use aws_bedrock_token_generator::{
    generate_token, ErrorKind, Region, TokenInfo, TokenProvider, TokenProviderBuilder,
};
use aws_smithy_async::test_util::ManualTimeSource;
use support::*;

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);

fn builder(creds: &ScriptedCredentials, clock: &ManualTimeSource) -> TokenProviderBuilder {
    TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(creds.clone())
        .time_source(clock.clone())
        .expiry(HOUR)
        .refresh_window(5 * MIN)
        .refresh_jitter(Duration::ZERO)
}

#[test]
fn build_rejects_bad_configuration_with_helpful_messages() {
    let cases = [
        (
            TokenProvider::builder().expiry(Duration::ZERO),
            ErrorKind::InvalidExpiry,
            "43200",
        ),
        (
            TokenProvider::builder().expiry(Duration::from_millis(500)),
            ErrorKind::InvalidExpiry,
            "1 to 43200 seconds",
        ),
        (
            TokenProvider::builder().expiry(Duration::from_secs(43201)),
            ErrorKind::InvalidExpiry,
            "12 hours",
        ),
        (
            TokenProvider::builder().region(Region::new("US WEST/2")),
            ErrorKind::InvalidRegion,
            "us-east-1",
        ),
        (
            TokenProvider::builder().region(Region::new("")),
            ErrorKind::InvalidRegion,
            "region",
        ),
        (
            TokenProvider::builder().profile_name(" "),
            ErrorKind::InvalidConfig,
            "profile",
        ),
        (
            TokenProvider::builder().load_timeout(Duration::ZERO),
            ErrorKind::InvalidConfig,
            "load_timeout",
        ),
    ];
    for (builder, kind, hint) in cases {
        let err = builder.build().unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(
            err.to_string().contains(hint),
            "{err:?} should mention {hint}"
        );
    }
}

#[tokio::test]
async fn mints_what_generate_token_mints() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = builder(&creds, &clock).build().unwrap();
    let token = provider.token().await.unwrap();
    let expected = generate_token(&session_creds(None), "us-west-2", HOUR, start()).unwrap();
    assert_eq!(token.as_str(), expected.as_str());
    assert_eq!(token.expires_at(), start() + HOUR);
}

#[tokio::test]
async fn serves_the_cached_token_until_the_refresh_window() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();

    let first = provider.token().await.unwrap();
    clock.advance(HOUR - 5 * MIN - Duration::from_secs(1));
    let same = provider.token().await.unwrap();
    assert_eq!(first.as_str(), same.as_str());
    assert_eq!(creds.calls(), 1);

    clock.advance(Duration::from_secs(1)); // exactly at expires_at - window
    let next = provider.token().await.unwrap();
    assert_ne!(first.as_str(), next.as_str());
    assert_eq!(creds.calls(), 2);
    assert_eq!(next.expires_at(), clock.now_for_test() + HOUR);
}

#[tokio::test]
async fn refreshes_before_the_credentials_expire() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(Some(start() + 10 * MIN))));
    let provider = builder(&creds, &clock).expiry(12 * HOUR).build().unwrap();

    let first = provider.token().await.unwrap();
    assert_eq!(first.expires_at(), start() + 10 * MIN);
    // Window is min(5 min, lifetime / 2) = 5 min.
    clock.advance(5 * MIN - Duration::from_secs(1));
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 1);
    creds.set(Next::Ok(session_creds(Some(start() + 70 * MIN))));
    clock.advance(Duration::from_secs(1));
    let second = provider.token().await.unwrap();
    assert_eq!(creds.calls(), 2);
    assert_eq!(second.expires_at(), start() + 70 * MIN);
}

#[tokio::test]
async fn short_tokens_use_a_scaled_window() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock)
        .expiry(Duration::from_secs(60))
        .build()
        .unwrap();
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(29));
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 1, "used for half its life");
    clock.advance(Duration::from_secs(1));
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 2);
}

#[tokio::test]
async fn jitter_refreshes_within_window_plus_jitter() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).refresh_jitter(MIN).build().unwrap();
    provider.token().await.unwrap();
    clock.advance(HOUR - 6 * MIN - Duration::from_secs(1));
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 1, "never earlier than window + jitter");
    clock.advance(MIN + Duration::from_secs(1));
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 2, "never later than the window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_on_a_cold_cache_share_one_load() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let tokens = join_many(&provider, 200).await;
    assert_eq!(creds.calls(), 1);
    assert!(tokens
        .iter()
        .all(|t| t.as_ref().unwrap().as_str() == tokens[0].as_ref().unwrap().as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_on_a_stale_cache_share_one_refresh() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let old = provider.token().await.unwrap();
    clock.advance(HOUR - 4 * MIN);
    let tokens = join_many(&provider, 200).await;
    assert_eq!(creds.calls(), 2);
    let new = tokens[0].as_ref().unwrap();
    assert_ne!(new.as_str(), old.as_str());
    assert!(tokens
        .iter()
        .all(|t| t.as_ref().unwrap().as_str() == new.as_str()));
}

/// Callers that wait while a load fails get its error; they do not each retry.
#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_failure() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Fail).with_delay(Duration::from_millis(100));
    let provider = builder(&creds, &clock).build().unwrap();
    let results = join_many(&provider, 50).await;
    assert_eq!(creds.calls(), 1);
    for r in results {
        assert_eq!(r.unwrap_err().kind(), ErrorKind::CredentialsProvider);
    }
}

#[tokio::test]
async fn a_failed_refresh_keeps_serving_the_valid_token_and_backs_off() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let cached = provider.token().await.unwrap();

    clock.advance(HOUR - 4 * MIN); // stale but valid
    creds.set(Next::Fail);
    assert_eq!(provider.token().await.unwrap().as_str(), cached.as_str());
    assert_eq!(creds.calls(), 2);
    // Backing off: no new load for a second.
    assert_eq!(provider.token().await.unwrap().as_str(), cached.as_str());
    assert_eq!(creds.calls(), 2);
    clock.advance(Duration::from_secs(1));
    assert_eq!(provider.token().await.unwrap().as_str(), cached.as_str());
    assert_eq!(creds.calls(), 3);
    // The backoff doubles: 2 s now.
    clock.advance(Duration::from_secs(1));
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 3);
    clock.advance(Duration::from_secs(1));
    creds.set(Next::Ok(static_creds()));
    let fresh = provider.token().await.unwrap();
    assert_eq!(creds.calls(), 4);
    assert_ne!(fresh.as_str(), cached.as_str());
}

#[tokio::test]
async fn once_the_cached_token_expires_the_error_surfaces() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    provider.token().await.unwrap();
    creds.set(Next::NotLoaded);
    clock.advance(HOUR);
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoCredentials);
    assert!(
        err.to_string()
            .contains("credentials_provider(..) returned no credentials"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_hanging_load_times_out_with_its_own_kind() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Hang);
    let provider = builder(&creds, &clock)
        .load_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsTimeout);
    assert!(err.to_string().contains("2s"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_hanging_refresh_serves_the_cached_token() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let cached = provider.token().await.unwrap();
    clock.advance(HOUR - MIN);
    creds.set(Next::Hang);
    assert_eq!(provider.token().await.unwrap().as_str(), cached.as_str());
}

#[tokio::test]
async fn invalidate_forces_a_new_mint() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let first = provider.token().await.unwrap();
    clock.advance(Duration::from_secs(1));
    provider.clone().invalidate(); // clones share the cache
    let second = provider.token().await.unwrap();
    assert_eq!(creds.calls(), 2);
    assert_ne!(first.as_str(), second.as_str());
}

#[tokio::test]
async fn the_token_parses_back_to_the_providers_inputs() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = builder(&creds, &clock).build().unwrap();
    let info = TokenInfo::parse(provider.token().await.unwrap().as_str()).unwrap();
    assert_eq!(info.region(), "us-west-2");
    assert_eq!(info.access_key_id(), ASIA);
    assert_eq!(info.expiry(), HOUR);
    assert!(info.has_session_token());
}

/// Load: thousands of concurrent callers across several refresh boundaries. Never an
/// expired token, never an error, exactly one credential resolution per refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_across_refresh_boundaries() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).refresh_jitter(MIN).build().unwrap();
    for boundary in 0..6 {
        let now = clock.now_for_test();
        let results = join_many(&provider, 2000).await;
        for r in &results {
            let token = r.as_ref().expect("no error while credentials are fine");
            assert!(!token.is_expired_at(now));
            // Everyone got the token minted at this boundary.
            assert_eq!(token.expires_at(), now + HOUR);
        }
        assert_eq!(creds.calls(), boundary + 1, "one resolution per refresh");
        // A cache hit just before the earliest refresh time...
        clock.advance(HOUR - 6 * MIN - Duration::from_secs(1));
        assert_eq!(
            join_many(&provider, 100).await[0]
                .as_ref()
                .unwrap()
                .expires_at(),
            now + HOUR
        );
        assert_eq!(creds.calls(), boundary + 1);
        // ...then into the refresh window (past window + jitter, before expiry).
        clock.advance(MIN + Duration::from_secs(31));
    }
}

async fn join_many(
    provider: &TokenProvider,
    n: usize,
) -> Vec<Result<aws_bedrock_token_generator::BedrockToken, aws_bedrock_token_generator::Error>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move { p.token().await })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

trait NowForTest {
    fn now_for_test(&self) -> std::time::SystemTime;
}

impl NowForTest for ManualTimeSource {
    fn now_for_test(&self) -> std::time::SystemTime {
        aws_smithy_async::time::TimeSource::now(self)
    }
}

#[test]
fn provider_and_futures_are_thread_safe() {
    fn check<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
    check::<TokenProvider>();
    check::<aws_bedrock_token_generator::BedrockToken>();
    check::<aws_bedrock_token_generator::Error>();
    fn send<F: std::future::Future + Send>(_: F) {}
    let provider = TokenProvider::builder()
        .region(Region::new("us-east-1"))
        .credentials_provider(static_creds())
        .build()
        .unwrap();
    send(provider.token());
    #[cfg(feature = "default-chain")]
    send(aws_bedrock_token_generator::provide_token());
}

#[test]
fn outside_a_tokio_runtime_the_missing_timer_is_an_error_not_a_panic() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    // A minimal executor: poll with a no-op waker until ready (bounded).
    let poll_once = |p: &TokenProvider| {
        let mut fut = std::pin::pin!(p.token());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..100 {
            if let std::task::Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
                return r;
            }
        }
        panic!("not ready after 100 polls");
    };
    use std::future::Future as _;
    let err = poll_once(&provider).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("sleep_impl"), "{err}");

    // With a sleep of its own it works on any executor.
    let provider = builder(&creds, &clock)
        .sleep_impl(NeverSleep)
        .build()
        .unwrap();
    let token = poll_once(&provider).unwrap();
    // ...and a cache hit needs no timer at all.
    assert_eq!(poll_once(&provider).unwrap().as_str(), token.as_str());
}

/// A sleep that never ends: the timeout never fires.
#[derive(Debug)]
struct NeverSleep;

impl aws_smithy_async::rt::sleep::AsyncSleep for NeverSleep {
    fn sleep(&self, _: Duration) -> aws_smithy_async::rt::sleep::Sleep {
        aws_smithy_async::rt::sleep::Sleep::new(std::future::pending())
    }
}

#[tokio::test]
async fn debug_text_is_pinned_and_free_of_secrets() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = builder(&creds, &clock).profile_name("dev").build().unwrap();
    let before = format!("{provider:?}");
    assert_eq!(
        before,
        "TokenProvider { region: Some(Region(\"us-west-2\")), profile_name: Some(\"dev\"), \
         credentials_provider: \"explicit\", expiry: 3600s, refresh_window: 300s, \
         refresh_jitter: 0ns, load_timeout: 5s, cached_expires_at: None }"
    );
    provider.token().await.unwrap();
    let after = format!("{provider:?}");
    assert!(after.contains("cached_expires_at: Some("), "{after}");
    for secret in [SECRET, SESSION, "bedrock-api-key-"] {
        assert!(!after.contains(secret), "{after}");
    }
}
