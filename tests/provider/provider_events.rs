//! What operators see: TokenProvider's `tracing` events (captured by a subscriber of the
//! test's own, with planted secrets) and its `status()` snapshot. Time is a
//! ManualTimeSource; loads and the keep-fresh task run on Tokio's paused clock.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_bedrock_token_generator::{ErrorKind, ProviderStatus, Region, TokenProvider};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_smithy_async::test_util::ManualTimeSource;
use aws_smithy_async::time::TimeSource as _;
use support::events::{Captured, Events};
use support::*;
use tracing::Level;

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);
const SEC: Duration = Duration::from_secs(1);
const TARGET: &str = "aws_bedrock_token_generator::provider";

/// Session credentials (ASIA key id, secret key, session token) or, when told to fail, an
/// error whose text carries planted secrets: the provider must not pass that text on.
#[derive(Clone, Debug, Default)]
struct Planted {
    /// `Some(text)`: fail with `text` in the error.
    failure: Arc<Mutex<Option<String>>>,
    calls: Arc<Mutex<usize>>,
}

impl Planted {
    fn fail_with(&self, text: Option<String>) {
        *self.failure.lock().unwrap() = text;
    }

    fn calls(&self) -> usize {
        *self.calls.lock().unwrap()
    }
}

impl ProvideCredentials for Planted {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        *self.calls.lock().unwrap() += 1;
        let failure = self.failure.lock().unwrap().clone();
        future::ProvideCredentials::new(async move {
            tokio::task::yield_now().await;
            match failure {
                Some(text) => Err(CredentialsError::provider_error(text)),
                None => Ok(session_creds(None)),
            }
        })
    }
}

fn provider(creds: impl ProvideCredentials + 'static, clock: &ManualTimeSource) -> TokenProvider {
    TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(creds)
        .time_source(clock.clone())
        .expiry(HOUR)
        .refresh_window(5 * MIN)
        .refresh_jitter(Duration::ZERO)
        .build()
        .unwrap()
}

/// Lets spawned loads finish (on a paused runtime a 1 ms sleep returns once every other
/// task is idle).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// The provider's own events, in order.
fn ours(events: Vec<Captured>) -> Vec<Captured> {
    events.into_iter().filter(|e| e.target == TARGET).collect()
}

/// `(level, message, fields other than the message)`, for compact assertions.
type Shape<'a> = (Level, &'a str, Vec<(&'a str, &'a str)>);

fn shape(e: &Captured) -> Shape<'_> {
    let fields = e
        .fields
        .iter()
        .filter(|(n, _)| n != "message")
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    (e.level, e.message(), fields)
}

fn shapes(events: &[Captured]) -> Vec<Shape<'_>> {
    events.iter().map(shape).collect()
}

const STARTED: &str = "loading credentials to mint a new Bedrock API key";
const SUCCEEDED: &str = "minted a new Bedrock API key";
const FAILED: &str = "loading credentials for a new Bedrock API key failed";
const SERVING: &str = "still serving the cached Bedrock API key, which is valid until it expires";
const BACKOFF: &str = "no new load starts before the backoff ends, except on demand";
const DROPPED: &str = "dropped the cached Bedrock API key";
const KEPT: &str = "dropped no Bedrock API key (none cached, or not the rejected one)";

#[tokio::test(start_paused = true)]
async fn loads_failures_backoff_and_invalidations_are_events_without_secrets() {
    let (events, _guard) = Events::capture();
    let clock = ManualTimeSource::new(start()); // 2024-06-15T12:00:00Z
    let creds = Planted::default();
    let provider = provider(creds.clone(), &clock);

    // Success.
    let first = provider.token().await.unwrap();
    assert_eq!(
        shapes(&ours(events.take())),
        [
            (Level::DEBUG, STARTED, vec![]),
            (
                Level::DEBUG,
                SUCCEEDED,
                vec![("expires_at", "2024-06-15T13:00:00Z"), ("cached", "true")]
            ),
        ]
    );
    // Cache hits are silent.
    for _ in 0..10 {
        provider.token().await.unwrap();
    }
    assert!(ours(events.take()).is_empty());

    // A failed background refresh while the stale key is still valid. The credentials
    // provider's error text carries every secret, the token text included.
    let planted = format!("{SECRET} {SESSION} {ASIA} {}", first.as_str());
    creds.fail_with(Some(planted));
    clock.advance(HOUR - 4 * MIN); // 12:56:00
    assert_eq!(provider.token().await.unwrap().as_str(), first.as_str());
    settle().await;
    let failed = ours(events.take());
    let error_text = failed
        .get(1)
        .and_then(|e| e.field("error"))
        .unwrap_or_default()
        .to_owned();
    assert!(!error_text.is_empty(), "{failed:?}");
    assert_eq!(
        shapes(&failed),
        [
            (Level::DEBUG, STARTED, vec![]),
            (
                Level::WARN,
                FAILED,
                vec![
                    ("kind", "CredentialsProvider"),
                    ("error", error_text.as_str()),
                    ("consecutive_failures", "1")
                ]
            ),
            (
                Level::WARN,
                SERVING,
                vec![("expires_at", "2024-06-15T13:00:00Z")]
            ),
            (
                Level::WARN,
                BACKOFF,
                vec![("until", "2024-06-15T12:56:01Z"), ("backoff", "1s")]
            ),
        ]
    );
    // While backing off, callers get the cached key and nothing is logged per call.
    for _ in 0..10 {
        assert_eq!(provider.token().await.unwrap().as_str(), first.as_str());
    }
    settle().await;
    assert!(ours(events.take()).is_empty());
    assert_eq!(creds.calls(), 2);

    // refresh() ignores the backoff: a second failure, reported with the caller's message.
    let err = provider.refresh().await.unwrap_err();
    assert_eq!(err.to_string(), error_text, "the library's message");
    let again = ours(events.take());
    assert_eq!(again[1].field("consecutive_failures"), Some("2"));
    assert_eq!(again[3].field("until"), Some("2024-06-15T12:56:02Z"));
    assert_eq!(again[3].field("backoff"), Some("2s"));

    // Invalidation: a late rejection of another key drops nothing; the cached key's does.
    assert!(!provider.invalidate_token("bedrock-api-key-not-the-cached-one"));
    assert!(provider.invalidate_token(first.as_str()));
    provider.invalidate(); // nothing cached any more
    assert_eq!(
        shapes(&ours(events.take())),
        [
            (
                Level::INFO,
                KEPT,
                vec![("call", "invalidate_token"), ("dropped", "false")]
            ),
            (
                Level::INFO,
                DROPPED,
                vec![
                    ("call", "invalidate_token"),
                    ("dropped", "true"),
                    ("expires_at", "2024-06-15T13:00:00Z")
                ]
            ),
            (
                Level::INFO,
                KEPT,
                vec![("call", "invalidate"), ("dropped", "false")]
            ),
        ]
    );

    // A failure with nothing cached: no key to serve.
    clock.advance(2 * SEC);
    assert_eq!(
        provider.token().await.unwrap_err().kind(),
        ErrorKind::CredentialsProvider
    );
    let messages: Vec<_> = ours(events.take())
        .iter()
        .map(|e| e.message().to_owned())
        .collect();
    assert_eq!(messages, [STARTED, FAILED, BACKOFF]);

    // Recovery, then invalidate() with a key cached.
    clock.advance(4 * SEC);
    creds.fail_with(None);
    let second = provider.token().await.unwrap();
    provider.invalidate();
    assert_eq!(
        shapes(&ours(events.take()))[1..],
        [
            (
                Level::DEBUG,
                SUCCEEDED,
                vec![("expires_at", "2024-06-15T13:56:06Z"), ("cached", "true")]
            ),
            (
                Level::INFO,
                DROPPED,
                vec![
                    ("call", "invalidate"),
                    ("dropped", "true"),
                    ("expires_at", "2024-06-15T13:56:06Z")
                ]
            ),
        ]
    );

    // No event of any crate, in any field, holds a secret, the key id or a token.
    let all = events.all();
    assert!(!all.is_empty());
    assert_no_secrets(&all, &[first.as_str(), second.as_str()]);
}

#[tokio::test(start_paused = true)]
async fn every_event_field_is_free_of_secrets() {
    // Every event from every path above, captured from the start, checked as a whole.
    let (events, _guard) = Events::capture();
    let clock = ManualTimeSource::new(start());
    let creds = Planted::default();
    let provider = provider(creds.clone(), &clock);
    let token = provider.token().await.unwrap();
    creds.fail_with(Some(format!(
        "{SECRET}/{SESSION}/{ASIA}/{}",
        token.as_str()
    )));
    clock.advance(HOUR - 4 * MIN);
    provider.token().await.unwrap();
    settle().await;
    provider.refresh().await.unwrap_err();
    provider.invalidate_token(token.as_str());
    provider.token().await.unwrap_err();
    clock.advance(HOUR);
    provider.token().await.unwrap_err();
    let all = events.all();
    assert!(all.len() >= 10, "{all:?}");
    assert_no_secrets(&all, &[token.as_str()]);
}

/// No field holds a secret key, a session token, the access key id, or a token (whole,
/// or its base64 body without the prefix).
fn assert_no_secrets(events: &[Captured], tokens: &[&str]) {
    let mut planted: Vec<String> = [SECRET, SESSION, ASIA, "bedrock-api-key-"]
        .map(str::to_owned)
        .into();
    for t in tokens {
        planted.push((*t).to_owned());
        planted.push(t.trim_start_matches("bedrock-api-key-").to_owned());
    }
    for e in events {
        for (name, value) in &e.fields {
            for secret in &planted {
                assert!(
                    !value.contains(secret.as_str()),
                    "field {name} of {e:?} holds a secret"
                );
            }
        }
    }
}

/// Events are emitted with the provider's lock released: a subscriber may ask for the
/// status while handling one. It asks from another thread, and gives up after a while,
/// so that an event emitted under the lock fails this test instead of hanging it.
#[tokio::test(start_paused = true)]
async fn a_subscriber_may_read_the_status_while_handling_an_event() {
    let clock = ManualTimeSource::new(start());
    let creds = Planted::default();
    let provider = provider(creds.clone(), &clock);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (_events, _guard) = Events::capture_calling({
        let provider = provider.clone();
        let seen = seen.clone();
        move |e| {
            if e.target == TARGET {
                let (tx, rx) = std::sync::mpsc::channel();
                let provider = provider.clone();
                std::thread::spawn(move || tx.send(provider.status().consecutive_failures));
                let failures = rx.recv_timeout(Duration::from_secs(5)).ok();
                seen.lock()
                    .unwrap()
                    .push((e.message().to_owned(), failures));
            }
        }
    });
    provider.token().await.unwrap();
    creds.fail_with(Some("down".into()));
    provider.refresh().await.unwrap_err();
    provider.invalidate();
    let seen = seen.lock().unwrap().clone();
    let expected = [
        (STARTED, 0),
        (SUCCEEDED, 0),
        (STARTED, 0),
        (FAILED, 1),
        (SERVING, 1),
        (BACKOFF, 1),
        (DROPPED, 1),
    ]
    .map(|(m, n)| (m.to_owned(), Some(n)));
    assert_eq!(seen, expected, "None: status() was blocked by the event");
}

fn assert_cold(status: &ProviderStatus) {
    assert_eq!(status.expires_at, None);
    assert_eq!(status.last_success, None);
    assert_eq!(status.last_error, None);
    assert_eq!(status.consecutive_failures, 0);
    assert!(!status.loading);
}

#[tokio::test(start_paused = true)]
async fn status_follows_success_failures_and_recovery() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let provider = provider(creds.clone(), &clock);
    assert_cold(&provider.status());

    // After a success.
    provider.token().await.unwrap();
    let status = provider.status();
    assert_eq!(status.expires_at, Some(start() + HOUR));
    assert_eq!(status.last_success, Some(start()));
    assert_eq!(status.last_error, None);
    assert_eq!(status.consecutive_failures, 0);
    assert!(!status.loading);

    // Failed refreshes: the count grows, the old key stays (and is reported).
    creds.set(Next::Fail);
    clock.advance(HOUR - 4 * MIN);
    for (n, wait) in [(1, 0), (2, 1), (3, 2)] {
        clock.advance(wait * SEC);
        provider.token().await.unwrap();
        settle().await;
        let status = provider.status();
        assert_eq!(status.consecutive_failures, n);
        assert_eq!(status.last_error, Some(ErrorKind::CredentialsProvider));
        assert_eq!(status.expires_at, Some(start() + HOUR), "the old key's");
        assert_eq!(status.last_success, Some(start()));
        assert!(!status.loading);
    }
    assert_eq!(creds.calls(), 4);

    // Another kind of failure replaces the last error.
    creds.set(Next::NotLoaded);
    clock.advance(4 * SEC);
    provider.token().await.unwrap();
    settle().await;
    assert_eq!(provider.status().last_error, Some(ErrorKind::NoCredentials));
    assert_eq!(provider.status().consecutive_failures, 4);

    // Recovery clears the failures.
    creds.set(Next::Ok(static_creds()));
    clock.advance(8 * SEC);
    provider.token().await.unwrap();
    settle().await;
    let now = clock.now();
    let status = provider.status();
    assert_eq!(status.expires_at, Some(now + HOUR));
    assert_eq!(status.last_success, Some(now));
    assert_eq!(status.last_error, None);
    assert_eq!(status.consecutive_failures, 0);

    // Invalidation empties the cache, not the history.
    provider.invalidate();
    let status = provider.status();
    assert_eq!(status.expires_at, None);
    assert_eq!(status.last_success, Some(now));
}

#[tokio::test(start_paused = true)]
async fn status_shows_a_slow_load_while_it_runs() {
    let clock = ManualTimeSource::new(start());
    let creds =
        ScriptedCredentials::new(Next::Ok(static_creds())).with_delay(Duration::from_millis(500));
    let provider = provider(creds.clone(), &clock);
    let waiting = tokio::spawn({
        let provider = provider.clone();
        async move { provider.token().await }
    });
    settle().await;
    let status = provider.status();
    assert!(status.loading);
    assert_eq!((status.expires_at, status.last_success), (None, None));

    tokio::time::sleep(Duration::from_millis(600)).await;
    waiting.await.unwrap().unwrap();
    let status = provider.status();
    assert!(!status.loading);
    assert_eq!(status.expires_at, Some(start() + HOUR));
}

/// Moves the token clock and Tokio's together, a second at a time.
async fn pass(clock: &ManualTimeSource, by: Duration) {
    let mut left = by;
    while !left.is_zero() {
        let d = left.min(SEC);
        clock.advance(d);
        tokio::time::sleep(d).await;
        left -= d;
    }
}

/// keep_fresh keeps no count of its own: its failures and a caller's are one count, the
/// backoff it waits is the one that count gives, and a success clears it.
#[tokio::test(start_paused = true)]
async fn keep_fresh_and_status_share_one_failure_count() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Fail);
    let provider = provider(creds.clone(), &clock);
    let _refresher = provider.keep_fresh().unwrap();
    pass(&clock, Duration::from_millis(1)).await;
    assert_eq!(
        (creds.calls(), provider.status().consecutive_failures),
        (1, 1)
    );

    // A caller's failed refresh counts too...
    pass(&clock, Duration::from_millis(500)).await;
    provider.refresh().await.unwrap_err();
    assert_eq!(
        (creds.calls(), provider.status().consecutive_failures),
        (2, 2)
    );

    // ...so after the task's retry at 1 s (the third failure) it waits 4 s, not 2 s.
    let mut calls = Vec::new();
    for _ in 0..6 {
        pass(&clock, SEC).await;
        calls.push(creds.calls());
        assert_eq!(
            provider.status().consecutive_failures as usize,
            creds.calls()
        );
        // A caller meanwhile gets the error at once, with no load of its own.
        assert_eq!(
            provider.token().await.unwrap_err().kind(),
            ErrorKind::CredentialsProvider
        );
    }
    assert_eq!(calls, [3, 3, 3, 3, 4, 4], "loads at 1 s and 5 s");

    creds.set(Next::Ok(static_creds()));
    pass(&clock, 8 * SEC).await;
    let status = provider.status();
    assert_eq!(creds.calls(), 5, "the retry 8 s after the fourth failure");
    assert_eq!(status.consecutive_failures, 0);
    assert_eq!(status.last_error, None);
    assert!(status
        .expires_at
        .is_some_and(|t| t > clock.now() + 59 * MIN));
}

#[test]
fn status_is_cloneable_comparable_and_printable() {
    fn check<T: Clone + PartialEq + Eq + std::fmt::Debug + Send + Sync>() {}
    check::<ProviderStatus>();
    let provider = TokenProvider::builder()
        .region(Region::new("us-east-1"))
        .credentials_provider(static_creds())
        .build()
        .unwrap();
    let status = provider.status(); // no runtime needed
    assert_eq!(status, status.clone());
    assert_eq!(
        format!("{status:?}"),
        "ProviderStatus { expires_at: None, last_success: None, last_error: None, \
         consecutive_failures: 0, loading: false }"
    );
    let _: Option<SystemTime> = status.expires_at;
}
