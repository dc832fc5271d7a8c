//! TokenProvider: builder validation, caching, refresh, static stability, timeouts.
//! Time is a ManualTimeSource; timeouts run on Tokio's paused clock.

use crate::support;

use std::time::Duration;

use aws_bedrock_token_generator::{
    generate_token, ErrorKind, Region, TokenInfo, TokenProvider, TokenProviderBuilder,
    MAX_CLOCK_SKEW,
};
use aws_smithy_async::test_util::ManualTimeSource;
use support::*;

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);

fn builder(
    creds: &ScriptedCredentials,
    clock: &(impl aws_smithy_async::time::TimeSource + Clone + 'static),
) -> TokenProviderBuilder {
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

/// Lets spawned background loads run to completion. On a paused runtime, a 1 ms sleep
/// returns only once every other task is idle (hanging loads stay hanging: their
/// timeouts are further away).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Polls `token()` exactly once: `Some` means it answered without waiting.
fn answers_at_once(
    provider: &TokenProvider,
) -> Option<Result<aws_bedrock_token_generator::BedrockToken, aws_bedrock_token_generator::Error>> {
    futures_util::FutureExt::now_or_never(provider.token())
}

#[tokio::test(start_paused = true)]
async fn a_provider_for_claude_platform_mints_what_generate_service_token_mints() {
    use aws_bedrock_token_generator::{generate_service_token, Service};
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = builder(&creds, &clock)
        .service(Service::ClaudePlatform)
        .build()
        .unwrap();
    let token = provider.token().await.unwrap();
    let expected = generate_service_token(
        Service::ClaudePlatform,
        &session_creds(None),
        "us-west-2",
        HOUR,
        start(),
    )
    .unwrap();
    assert_eq!(token.as_str(), expected.as_str());
    assert_eq!(
        TokenInfo::parse(token.as_str()).unwrap().service(),
        Service::ClaudePlatform
    );
}

#[test]
fn a_provider_for_a_service_without_short_term_keys_is_refused_by_build() {
    use aws_bedrock_token_generator::{Input, Service};
    for service in [Service::CloudWatch, Service::CloudWatchLogs, Service::XRay] {
        let e = TokenProvider::builder()
            .service(service)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedService);
        assert_eq!(e.input(), Some(Input::Service));
        assert!(
            e.to_string().starts_with(&format!(
                "{} has no short-term API keys",
                service.display_name()
            )),
            "{e}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn mints_what_generate_token_mints() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = builder(&creds, &clock).build().unwrap();
    let token = provider.token().await.unwrap();
    let expected = generate_token(&session_creds(None), "us-west-2", HOUR, start()).unwrap();
    assert_eq!(token.as_str(), expected.as_str());
    assert_eq!(token.expires_at(), start() + HOUR);
}

#[tokio::test(start_paused = true)]
async fn past_the_refresh_point_the_cached_token_is_served_and_replaced_in_the_background() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();

    let first = provider.token().await.unwrap();
    clock.advance(HOUR - 5 * MIN - Duration::from_secs(1));
    assert_eq!(provider.token().await.unwrap().as_str(), first.as_str());
    assert_eq!(creds.calls(), 1);

    clock.advance(Duration::from_secs(1)); // exactly at expires_at - window
    let served = answers_at_once(&provider).expect("no waiting").unwrap();
    assert_eq!(served.as_str(), first.as_str());
    settle().await;
    assert_eq!(creds.calls(), 2);
    let next = provider.token().await.unwrap();
    assert_ne!(first.as_str(), next.as_str());
    assert_eq!(next.expires_at(), clock.now_for_test() + HOUR);
    assert_eq!(provider.cached().unwrap().as_str(), next.as_str());
}

#[tokio::test(start_paused = true)]
async fn refreshes_before_the_credentials_expire() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(Some(start() + 10 * MIN))));
    let provider = builder(&creds, &clock).expiry(12 * HOUR).build().unwrap();

    let first = provider.token().await.unwrap();
    assert_eq!(first.expires_at(), start() + 10 * MIN);
    // Window is min(5 min, lifetime / 2) = 5 min.
    clock.advance(5 * MIN - Duration::from_secs(1));
    provider.token().await.unwrap();
    settle().await;
    assert_eq!(creds.calls(), 1);
    creds.set(Next::Ok(session_creds(Some(start() + 70 * MIN))));
    clock.advance(Duration::from_secs(1));
    provider.token().await.unwrap();
    settle().await;
    assert_eq!(creds.calls(), 2);
    assert_eq!(
        provider.token().await.unwrap().expires_at(),
        start() + 70 * MIN
    );
}

#[tokio::test(start_paused = true)]
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
    settle().await;
    assert_eq!(creds.calls(), 1, "used for half its life");
    clock.advance(Duration::from_secs(1));
    provider.token().await.unwrap();
    settle().await;
    assert_eq!(creds.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn jitter_refreshes_within_window_plus_jitter() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).refresh_jitter(MIN).build().unwrap();
    provider.token().await.unwrap();
    clock.advance(HOUR - 6 * MIN - Duration::from_secs(1));
    provider.token().await.unwrap();
    settle().await;
    assert_eq!(creds.calls(), 1, "never earlier than window + jitter");
    clock.advance(MIN + Duration::from_secs(1));
    provider.token().await.unwrap();
    settle().await;
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
async fn concurrent_callers_on_a_stale_cache_share_one_background_refresh() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let old = provider.token().await.unwrap();
    clock.advance(HOUR - 4 * MIN);
    for t in join_many(&provider, 200).await {
        let t = t.unwrap();
        assert!(!t.is_expired_at(clock.now_for_test()));
    }
    wait_until(|| provider.cached().unwrap().as_str() != old.as_str()).await;
    assert_eq!(creds.calls(), 2, "one refresh for 200 callers");
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

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_keeps_serving_the_valid_token_and_backs_off() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let cached = provider.token().await.unwrap();
    let served = || async { provider.token().await.unwrap().as_str().to_owned() };

    clock.advance(HOUR - 4 * MIN); // stale but valid
    creds.set(Next::Fail);
    assert_eq!(served().await, cached.as_str());
    settle().await;
    assert_eq!(creds.calls(), 2);
    // Backing off: no new load for a second.
    assert_eq!(served().await, cached.as_str());
    settle().await;
    assert_eq!(creds.calls(), 2);
    clock.advance(Duration::from_secs(1));
    assert_eq!(served().await, cached.as_str());
    settle().await;
    assert_eq!(creds.calls(), 3);
    // The backoff doubles: 2 s now.
    clock.advance(Duration::from_secs(1));
    served().await;
    settle().await;
    assert_eq!(creds.calls(), 3);
    clock.advance(Duration::from_secs(1));
    creds.set(Next::Ok(static_creds()));
    served().await;
    settle().await;
    assert_eq!(creds.calls(), 4);
    assert_ne!(served().await, cached.as_str());
}

#[tokio::test(start_paused = true)]
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
    assert!(provider.cached().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_token_with_less_than_the_minimum_validity_left_makes_callers_wait() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).min_validity(MIN).build().unwrap();
    let first = provider.token().await.unwrap();
    creds.set(Next::Hang);
    clock.advance(HOUR - MIN - Duration::from_secs(1));
    assert_eq!(
        answers_at_once(&provider).unwrap().unwrap().as_str(),
        first.as_str(),
        "61 s left: served at once"
    );
    clock.advance(Duration::from_secs(1));
    assert!(answers_at_once(&provider).is_none(), "60 s left: waits");
    assert!(provider.cached().is_none());
}

// Defect 1: a load survives the callers that gave up on it.
#[tokio::test(start_paused = true)]
async fn a_load_outlives_callers_whose_deadline_is_shorter_than_the_load() {
    let clock = ManualTimeSource::new(start());
    let creds =
        ScriptedCredentials::new(Next::Ok(static_creds())).with_delay(Duration::from_millis(1500));
    let provider = builder(&creds, &clock).build().unwrap();
    let mut got = 0;
    for _ in 0..100 {
        let deadline = tokio::time::timeout(Duration::from_secs(1), provider.token()).await;
        if let Ok(token) = deadline {
            token.unwrap();
            got += 1;
        }
    }
    assert_eq!(
        creds.calls(),
        1,
        "one load, never restarted by a new caller"
    );
    assert_eq!(
        got, 99,
        "only the first caller's deadline ran out before the load finished"
    );

    // The same when a stale token is cached: nobody waits, the load still finishes.
    let old = provider.token().await.unwrap();
    clock.advance(HOUR - MIN);
    for _ in 0..100 {
        let t = tokio::time::timeout(Duration::from_secs(1), provider.token()).await;
        assert_eq!(t.expect("no waiting").unwrap().as_str(), old.as_str());
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(creds.calls(), 2);
    assert_ne!(provider.token().await.unwrap().as_str(), old.as_str());
}

// Defect 2: no waiting on a slow or hanging source while a valid token is cached.
#[tokio::test(start_paused = true)]
async fn a_hanging_refresh_never_makes_callers_wait() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let cached = provider.token().await.unwrap();
    clock.advance(HOUR - 4 * MIN);
    creds.set(Next::Hang);
    for _ in 0..3 {
        let t = answers_at_once(&provider).expect("no waiting").unwrap();
        assert_eq!(t.as_str(), cached.as_str());
        // Past the load timeout and its backoff, the next refresh starts; still no wait.
        tokio::time::sleep(Duration::from_secs(6)).await;
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(creds.calls(), 4, "each refresh ended by its own timeout");
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

// Defect 4: invalidation cannot be undone by a refresh that was already running.
#[tokio::test(start_paused = true)]
async fn invalidate_during_a_failing_refresh_stays_invalidated() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let old = provider.token().await.unwrap();
    clock.advance(HOUR - 4 * MIN);
    creds.set(Next::Fail);
    provider.token().await.unwrap(); // starts the failing refresh
    provider.invalidate();
    settle().await;
    assert!(
        provider.cached().is_none(),
        "the old token did not come back"
    );
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsProvider);
    assert!(provider
        .token()
        .await
        .map_or(true, |t| t.as_str() != old.as_str()));
}

#[tokio::test(start_paused = true)]
async fn a_load_that_began_before_invalidate_is_not_cached() {
    let clock = ManualTimeSource::new(start());
    let creds =
        ScriptedCredentials::new(Next::Ok(static_creds())).with_delay(Duration::from_millis(100));
    let provider = builder(&creds, &clock).build().unwrap();
    let before = tokio::spawn({
        let p = provider.clone();
        async move { p.token().await }
    });
    settle().await; // the load is running
    provider.invalidate();
    creds.set(Next::Ok(session_creds(None))); // the next load signs with another key
    let after = provider.token().await.unwrap();
    let before = before.await.unwrap().unwrap();
    assert_eq!(
        creds.calls(),
        2,
        "the caller after invalidate got a new load"
    );
    assert_ne!(before.as_str(), after.as_str());
    assert_eq!(provider.cached().unwrap().as_str(), after.as_str());
}

#[tokio::test(start_paused = true)]
async fn invalidate_token_drops_only_the_rejected_token() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let first = provider.token().await.unwrap();
    clock.advance(Duration::from_secs(1));
    assert!(provider.invalidate_token(first.as_str()));
    let second = provider.token().await.unwrap();
    assert_ne!(first.as_str(), second.as_str());
    // A late 403 for the old token costs nothing.
    for _ in 0..17 {
        assert!(!provider.invalidate_token(first.as_str()));
        assert_eq!(provider.token().await.unwrap().as_str(), second.as_str());
    }
    assert_eq!(creds.calls(), 2);
    provider.clone().invalidate(); // clones share the cache
    clock.advance(Duration::from_secs(1));
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 3);
}

// Defect 5: clock faults.
#[tokio::test(start_paused = true)]
async fn a_token_minted_during_a_forward_clock_jump_is_replaced_after_the_correction() {
    let clock = TestClock::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    provider.token().await.unwrap();
    clock.advance(24 * HOUR); // wrong clock: a day ahead
    let ahead = provider.token().await.unwrap();
    assert_eq!(creds.calls(), 2);
    clock.set(start() + Duration::from_secs(10)); // corrected
    let now_token = provider.token().await.unwrap();
    assert_eq!(creds.calls(), 3, "the token from the future is replaced");
    assert_ne!(now_token.as_str(), ahead.as_str());
    assert_eq!(
        now_token.expires_at(),
        start() + Duration::from_secs(10) + HOUR
    );
    // Up to MAX_CLOCK_SKEW back is tolerated.
    clock.set(start() + Duration::from_secs(10) - MAX_CLOCK_SKEW);
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_token_is_never_returned_already_expired() {
    let clock = TestClock::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(Some(
        start() + Duration::from_millis(500),
    ))));
    let provider = builder(&creds, &clock).build().unwrap();
    clock.set(start() + Duration::from_millis(900));
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsExpired, "{err}");

    // Minted before the credentials' expiry, asked after it: not served.
    // (A clock set back before the failure ends its backoff.)
    clock.set(start() + Duration::from_millis(100));
    creds.set(Next::Ok(session_creds(Some(
        start() + Duration::from_secs(2),
    ))));
    let t = provider.token().await.unwrap();
    assert!(!t.is_expired_at(clock.get()));
    clock.set(start() + Duration::from_millis(2100));
    match provider.token().await {
        Ok(t) => assert!(!t.is_expired_at(clock.get())),
        Err(e) => assert_eq!(e.kind(), ErrorKind::CredentialsExpired),
    }
}

#[tokio::test(start_paused = true)]
async fn a_clock_that_goes_back_does_not_prolong_the_backoff() {
    let clock = TestClock::new(start());
    let creds = ScriptedCredentials::new(Next::Fail);
    let provider = builder(&creds, &clock).build().unwrap();
    provider.token().await.unwrap_err();
    assert_eq!(creds.calls(), 1);
    clock.set(start() - HOUR);
    creds.set(Next::Ok(static_creds()));
    provider.token().await.unwrap();
    assert_eq!(creds.calls(), 2);
}

// Defect 6: no panic reaches a caller.
#[test]
fn a_tokio_runtime_without_the_time_driver_is_an_error_not_a_panic() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = builder(&creds, &clock).build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = runtime.block_on(provider.token()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("enable_time"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_credentials_provider_is_a_failed_load() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Panic);
    let provider = builder(&creds, &clock).build().unwrap();
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert!(err.to_string().contains("panicked"), "{err}");

    clock.advance(Duration::from_secs(1));
    creds.set(Next::Ok(static_creds()));
    let cached = provider.token().await.unwrap();
    clock.advance(HOUR - 4 * MIN);
    creds.set(Next::Panic);
    for _ in 0..10 {
        assert_eq!(provider.token().await.unwrap().as_str(), cached.as_str());
        settle().await;
    }
    assert_eq!(creds.calls(), 3, "one panicking refresh, then backoff");
}

// Defect 7: an outage with no valid token is not a tight retry loop.
#[tokio::test(start_paused = true)]
async fn an_outage_without_a_valid_token_costs_a_bounded_number_of_loads() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Fail);
    let provider = builder(&creds, &clock).build().unwrap();
    // 50 callers, each calling every 10 ms for 10 s (virtual): 50 000 calls.
    let mut errors = 0;
    for _ in 0..1000 {
        for r in join_many(&provider, 50).await {
            assert_eq!(r.unwrap_err().kind(), ErrorKind::CredentialsProvider);
            errors += 1;
        }
        clock.advance(Duration::from_millis(10));
    }
    assert_eq!(errors, 50_000);
    // Loads at 0, 1, 3, 7 s (backoff 1, 2, 4, 8 s).
    assert_eq!(creds.calls(), 4);
}

#[tokio::test(start_paused = true)]
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
    provider.token().await.unwrap();
    for boundary in 1..=6 {
        let now = clock.now_for_test();
        for r in join_many(&provider, 2000).await {
            let token = r.expect("no error while credentials are fine");
            assert!(!token.is_expired_at(now));
        }
        wait_until(|| provider.cached().unwrap().expires_at() == now + HOUR).await;
        assert_eq!(creds.calls(), boundary, "one resolution per refresh");
        // Just before the earliest refresh time: hits only.
        clock.advance(HOUR - 6 * MIN - Duration::from_secs(1));
        join_many(&provider, 100).await;
        assert_eq!(creds.calls(), boundary);
        // ...then into the refresh window (past window + jitter, before expiry).
        clock.advance(MIN + Duration::from_secs(31));
    }
}

/// For multi-threaded runtimes, where a paused clock is not available: yields until
/// `done` (bounded, no wall-clock sleep).
async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..100_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition not reached");
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
        "TokenProvider { service: Bedrock, region: Some(Region(\"us-west-2\")), profile_name: Some(\"dev\"), \
         credentials_provider: \"explicit\", expiry: 3600s, refresh_window: 300s, \
         refresh_jitter: 0ns, min_validity: 15s, load_timeout: 5s, cached_expires_at: None, \
         loading: false }"
    );
    provider.token().await.unwrap();
    let after = format!("{provider:?}");
    assert!(after.contains("cached_expires_at: Some("), "{after}");
    for secret in [SECRET, SESSION, "bedrock-api-key-"] {
        assert!(!after.contains(secret), "{after}");
    }
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

/// A provider shared by several runtimes (a `static` provider used by several
/// `#[tokio::test]`s, or one runtime per request in a sync program): a load that was
/// in flight when its runtime shut down must not wedge the provider nor panic in the next
/// runtime's callers.
#[test]
fn a_load_orphaned_by_a_runtime_shutdown_does_not_wedge_the_provider() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Hang);
    let provider = builder(&creds, &clock).build().unwrap();

    let first = paused_runtime();
    first.block_on(async {
        // The caller gives up (its own deadline) while the load hangs.
        let r = tokio::time::timeout(Duration::from_millis(10), provider.token()).await;
        assert!(r.is_err(), "the load hangs");
    });
    drop(first); // the spawned load is dropped with its runtime

    creds.set(Next::Ok(static_creds()));
    let second = paused_runtime();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        second.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), provider.token()).await
        })
    }));
    let outcome = outcome.expect("no panic reaches a caller");
    let token = outcome.expect("the next runtime's caller is not stuck behind a dead load");
    assert!(token.is_ok(), "{token:?}");
}
