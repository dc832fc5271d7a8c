//! TokenProvider::keep_fresh: a background task keeps `cached()` supplied with no caller.
//! The token clock is a ManualTimeSource; the task's sleeps run on Tokio's paused clock.

use crate::support;

use std::time::Duration;

use aws_bedrock_token_generator::{ErrorKind, Region, TokenProvider};
use aws_smithy_async::test_util::ManualTimeSource;
use support::*;

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);

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

/// Moves both clocks together, a second at a time: the token clock and Tokio's (which
/// the task sleeps on).
async fn pass(clock: &ManualTimeSource, by: Duration) {
    let step = Duration::from_secs(1);
    let mut left = by;
    while !left.is_zero() {
        let d = left.min(step);
        clock.advance(d);
        tokio::time::sleep(d).await;
        left -= d;
    }
}

#[tokio::test(start_paused = true)]
async fn the_cached_token_stays_fresh_across_refresh_points_with_no_caller() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = provider(&creds, &clock);
    assert!(provider.cached().is_none());

    let refresher = provider.keep_fresh().unwrap();
    pass(&clock, Duration::from_millis(1)).await;
    let first = provider.cached().expect("loaded at once");
    assert_eq!(creds.calls(), 1);

    let now = || aws_smithy_async::time::TimeSource::now(&clock);
    let mut previous = first;
    for round in 2..=4 {
        // Up to just before the refresh point (5 min before expiry): nothing happens.
        let refresh_at = previous.expires_at() - 5 * MIN;
        pass(
            &clock,
            refresh_at.duration_since(now()).unwrap() - Duration::from_secs(1),
        )
        .await;
        assert_eq!(provider.cached().unwrap().as_str(), previous.as_str());
        assert_eq!(creds.calls(), round - 1);
        // Past it: a new token, with nobody asking.
        pass(&clock, Duration::from_secs(2)).await;
        assert_eq!(creds.calls(), round);
        let fresh = provider.cached().unwrap();
        assert_ne!(fresh.as_str(), previous.as_str());
        assert!(fresh.expires_at() > now() + 59 * MIN);
        previous = fresh;
    }
    assert!(refresher.is_running());
    assert!(format!("{refresher:?}").contains("running: true"));
    refresher.stop();

    // Stopped: no more loads, and the token ages out of `cached()`.
    pass(&clock, 2 * HOUR).await;
    assert_eq!(creds.calls(), 4);
    assert!(provider.cached().is_none());
}

#[tokio::test(start_paused = true)]
async fn dropping_the_handle_stops_the_task() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = provider(&creds, &clock);
    drop(provider.keep_fresh().unwrap());
    pass(&clock, 3 * HOUR).await;
    assert!(
        creds.calls() <= 1,
        "at most the first load, started before the drop"
    );
}

#[tokio::test(start_paused = true)]
async fn failures_are_retried_with_backoff_and_the_valid_token_kept() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = provider(&creds, &clock);
    let _refresher = provider.keep_fresh().unwrap();
    pass(&clock, Duration::from_millis(1)).await;
    let cached = provider.cached().unwrap();

    creds.set(Next::Fail);
    pass(&clock, 55 * MIN + Duration::from_secs(1)).await;
    let before = creds.calls();
    assert_eq!(before, 3, "tried at 55:00, and again after 1 s");
    // During the next 4 min of outage: 1, 2, 4, 8, 16, 32, 60, 60... s apart, not a loop.
    for _ in 0..240 {
        pass(&clock, Duration::from_secs(1)).await;
        assert_eq!(provider.cached().unwrap().as_str(), cached.as_str());
    }
    let tries = creds.calls() - before;
    assert!((7..=9).contains(&tries), "{tries} loads in 4 minutes");

    creds.set(Next::Ok(static_creds()));
    pass(&clock, MIN).await;
    assert_ne!(provider.cached().unwrap().as_str(), cached.as_str());
}

#[test]
fn outside_a_tokio_runtime_it_is_an_error() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let err = provider(&creds, &clock).keep_fresh().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("Tokio runtime"), "{err}");
}
