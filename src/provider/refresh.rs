//! The cache and its refresh state machine, [`Cache`]: at most one load at a time, run
//! independently of the callers that wait for it, with backoff after failures. The rules
//! it applies (when a token is fresh, stale or unusable; how long to back off) are in
//! `cache.rs`; where tokens come from, it does not know: it calls its [`Source`]'s one
//! `load` method (`source.rs`), as smithy-rs's lazy identity cache calls a resolver.
//!
//! | cached token | load running | backing off | `token()` |
//! |---|---|---|---|
//! | fresh | – | – | returns it |
//! | stale (past refresh point) | any | any | returns it; starts a load if none runs and not backing off |
//! | none or unusable | yes | – | waits for that load |
//! | none or unusable | no | yes | returns the last load's error at once |
//! | none or unusable | no | no | starts a load and waits for it |
//!
//! A load is a [`Shared`] future kept in the state until it finishes; on a Tokio runtime
//! it is also spawned, so it runs to completion (or to its own timeout) even if every
//! caller gives up waiting. Off Tokio (a custom `sleep_impl`), the callers that wait for
//! it drive it, and a stale token is served only after its refresh failed.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use aws_smithy_async::future::timeout::Timeout;
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::SharedTimeSource;
use futures_util::future::{FutureExt as _, Shared};

use super::cache::{self, Entry, Failures, Freshness, Policy};
use super::source::Source;
use super::{events, ProviderStatus};
use crate::{BedrockToken, Error, ErrorKind, Input};

type Outcome = Result<BedrockToken, Error>;

/// The token cache in front of a source `S`: the cached token, the one running load, the
/// one failure count and backoff. Built by the builder; shared (behind an `Arc`) by the
/// provider's clones and its keep-fresh task.
pub(super) struct Cache<S> {
    pub source: S,
    pub policy: Policy,
    pub load_timeout: Duration,
    time_source: SharedTimeSource,
    sleep: Option<SharedAsyncSleep>,
    /// The cached token. Read lock-free on every call; replaced whole.
    current: ArcSwapOption<Entry>,
    /// Loads, failures and invalidations. A std mutex: never held across `.await`.
    state: std::sync::Mutex<State>,
}

/// Mutable state behind the cache's (synchronous, never held across `.await`) lock.
/// Events are emitted after the lock is released (a subscriber may call `status()`).
#[derive(Default)]
struct State {
    inflight: Option<Load>,
    /// Bumped by each invalidation: a load that began before it is not cached.
    epoch: u64,
    /// The one failure count and backoff, shared by callers and `keep_fresh`.
    failures: Failures,
    /// When the last successful load finished (the provider's clock).
    last_success: Option<SystemTime>,
}

#[derive(Clone)]
struct Load {
    future: Shared<Pin<Box<dyn Future<Output = Outcome> + Send>>>,
    epoch: u64,
    /// The task it was spawned as on a Tokio runtime, where it finishes without any caller
    /// polling it. If it ended while the load is still in the state, the load was
    /// dropped with its runtime (or panicked) and will never finish.
    task: Option<tokio::task::AbortHandle>,
}

impl State {
    /// The running load, if any. A load whose task ended without finishing (its runtime
    /// shut down, as when one provider serves several runtimes in turn) is dropped: polling
    /// it would panic on the dead runtime's timer.
    fn running(&mut self) -> Option<Load> {
        if self
            .inflight
            .as_ref()
            .and_then(|load| load.task.as_ref())
            .is_some_and(|task| task.is_finished())
        {
            self.inflight = None;
        }
        self.inflight.clone()
    }
}

impl<S: Source> Cache<S> {
    pub fn new(
        source: S,
        policy: Policy,
        load_timeout: Duration,
        time_source: SharedTimeSource,
        sleep: Option<SharedAsyncSleep>,
    ) -> Self {
        Self {
            source,
            policy,
            load_timeout,
            time_source,
            sleep,
            current: ArcSwapOption::empty(),
            state: std::sync::Mutex::default(),
        }
    }

    /// The current time, on the provider's time source.
    pub fn now(&self) -> SystemTime {
        self.time_source.now()
    }

    /// A token with at least the minimum validity left: see `TokenProvider::token`.
    pub async fn token(self: &Arc<Self>) -> Outcome {
        match self.fresh_token() {
            Some(token) => Ok(token),
            None => self.token_slow().await,
        }
    }

    /// The expiry of the cached token, if any (whatever its freshness).
    pub fn cached_expires_at(&self) -> Option<SystemTime> {
        self.current.load().as_deref().map(|e| e.token.expires_at())
    }

    /// The cached token if it is fresh: an `ArcSwap` load, no lock.
    fn fresh_token(&self) -> Option<BedrockToken> {
        let guard = self.current.load();
        let entry = guard.as_deref()?;
        (entry.freshness(self.now()) == Freshness::Fresh).then(|| entry.token.clone())
    }

    /// The cached token if it may still be handed out (fresh or stale).
    pub fn usable_token(&self) -> Option<BedrockToken> {
        let guard = self.current.load();
        let entry = guard.as_deref()?;
        (entry.freshness(self.now()) != Freshness::Unusable).then(|| entry.token.clone())
    }

    /// Everything but a fresh cache hit: see the module docs.
    async fn token_slow(self: &Arc<Self>) -> Outcome {
        loop {
            let (load, epoch_seen, fallback) = {
                let mut state = self.lock();
                let now = self.now();
                let entry = self.current.load_full();
                match entry.as_deref().map(|e| (e.freshness(now), &e.token)) {
                    Some((Freshness::Fresh, token)) => return Ok(token.clone()),
                    Some((Freshness::Stale, token)) => {
                        let load = match state.running() {
                            Some(load) => load,
                            None if state.failures.backing_off(now).is_some() => {
                                return Ok(token.clone())
                            }
                            None => match self.start_load(&mut state) {
                                Ok(load) => load,
                                Err(_) => return Ok(token.clone()),
                            },
                        };
                        if load.task.is_some() {
                            return Ok(token.clone());
                        }
                        (load, state.epoch, Some(token.clone()))
                    }
                    Some((Freshness::Unusable, _)) | None => {
                        let load = match state.running() {
                            Some(load) => load,
                            None => {
                                if let Some(error) = state.failures.backing_off(now) {
                                    return Err(error.clone());
                                }
                                self.start_load(&mut state)?
                            }
                        };
                        (load, state.epoch, None)
                    }
                }
            };
            let outcome = load.future.await;
            if load.epoch != epoch_seen {
                // It began before an invalidation this caller saw: its token is not wanted.
                continue;
            }
            return match (outcome, fallback) {
                (Err(_), Some(token)) if !token.is_expired_at(self.now()) => Ok(token),
                (outcome, _) => outcome,
            };
        }
    }

    /// Joins the running load, or starts one even while backing off, and returns its
    /// outcome (see `TokenProvider::refresh`).
    pub async fn load_now(self: &Arc<Self>) -> Outcome {
        loop {
            let (load, epoch_seen) = {
                let mut state = self.lock();
                let load = match state.running() {
                    Some(load) => load,
                    None => self.start_load(&mut state)?,
                };
                (load, state.epoch)
            };
            let outcome = load.future.await;
            if load.epoch == epoch_seen {
                return outcome;
            }
        }
    }

    /// Drops the cached token if `matches` says so (it is given the cached token, if any);
    /// then a load already running is not cached either. `call` names the public method,
    /// for the event.
    pub fn invalidate_if(
        &self,
        call: &'static str,
        matches: impl FnOnce(Option<&BedrockToken>) -> bool,
    ) -> bool {
        let (hit, dropped) = {
            let mut state = self.lock();
            let cached = self.current.load();
            let cached = cached.as_deref().map(|e| &e.token);
            let hit = matches(cached);
            let dropped = cached.filter(|_| hit).map(BedrockToken::expires_at);
            if hit {
                state.epoch += 1;
                self.current.store(None);
            }
            (hit, dropped)
        };
        events::invalidated(call, dropped);
        hit
    }

    /// How long the backoff after the last failed load still lasts, if it does.
    pub fn backoff_left(&self) -> Option<Duration> {
        self.lock().failures.backoff_left(self.now())
    }

    /// See `TokenProvider::status`.
    pub fn snapshot(&self) -> ProviderStatus {
        let mut state = self.lock();
        // Under the lock, which `finish` also holds to cache a token: a consistent view.
        let expires_at = self.cached_expires_at();
        ProviderStatus {
            expires_at,
            last_success: state.last_success,
            last_error: state.failures.last_error().map(Error::kind),
            consecutive_failures: state.failures.count(),
            loading: state.running().is_some(),
        }
    }

    /// How long until the cached token is due for a refresh: `None` with no token cached,
    /// zero once it is stale or unusable.
    pub fn next_refresh_in(&self) -> Option<Duration> {
        let guard = self.current.load();
        let entry = guard.as_deref()?;
        let now = self.now();
        Some(match entry.freshness(now) {
            Freshness::Fresh => entry.refresh_at.duration_since(now).unwrap_or_default(),
            Freshness::Stale | Freshness::Unusable => Duration::ZERO,
        })
    }

    pub fn is_loading(&self) -> bool {
        self.lock().running().is_some()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the one load (the caller holds the lock and has checked none is running).
    fn start_load(self: &Arc<Self>, state: &mut State) -> Result<Load, Error> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let sleep = self.timer(runtime.is_some())?;
        let timeout = self.load_timeout;
        let epoch = state.epoch;
        let cache = Arc::clone(self);
        let future = async move {
            events::load_started();
            let load = AssertUnwindSafe(cache.source.load())
                .catch_unwind()
                .map(|r| r.unwrap_or_else(|_| Err(panicked_error())));
            let outcome = Timeout::new(load, sleep.sleep(timeout))
                .await
                .unwrap_or_else(|_| Err(timeout_error(timeout)));
            cache.finish(epoch, outcome)
        }
        .boxed()
        .shared();
        let task = runtime
            .as_ref()
            .map(|runtime| runtime.spawn(future.clone()).abort_handle());
        let load = Load {
            future,
            epoch,
            task,
        };
        state.inflight = Some(load.clone());
        Ok(load)
    }

    /// Records a finished load: caches its token (unless invalidated meanwhile) or its
    /// error (for the backoff).
    fn finish(&self, epoch: u64, outcome: Outcome) -> Outcome {
        let now = self.now();
        let outcome = outcome.and_then(|token| {
            if token.is_expired_at(now) {
                Err(expired_on_arrival_error())
            } else {
                Ok(token)
            }
        });
        let mut state = self.lock();
        state.inflight = None;
        match &outcome {
            Ok(token) => {
                state.failures.clear();
                state.last_success = Some(now);
                let cached = state.epoch == epoch;
                if cached {
                    let entry = Entry::new(token.clone(), now, &self.policy);
                    self.current.store(Some(Arc::new(entry)));
                }
                drop(state);
                events::load_succeeded(token.expires_at(), cached);
            }
            Err(error) => {
                state.failures.record(error.clone(), now);
                let count = state.failures.count();
                drop(state);
                events::load_failed(error, count);
                if let Some(cached) = self.usable_token() {
                    events::serving_cached(cached.expires_at());
                }
                let backoff = cache::backoff(count);
                if let Some(until) = now.checked_add(backoff) {
                    events::backing_off(until, backoff);
                }
            }
        }
        outcome
    }

    /// The sleep for the load timeout: the configured one, else Tokio's if this runtime
    /// has a timer.
    pub fn timer(&self, on_tokio: bool) -> Result<SharedAsyncSleep, Error> {
        if let Some(sleep) = &self.sleep {
            return Ok(sleep.clone());
        }
        if !on_tokio {
            return Err(no_sleep_error());
        }
        // Tokio panics when its time driver is off; there is no way to ask first.
        let has_timer = std::panic::catch_unwind(|| {
            drop(TokioSleep::new().sleep(Duration::ZERO));
        })
        .is_ok();
        if has_timer {
            Ok(SharedAsyncSleep::new(TokioSleep::new()))
        } else {
            Err(no_sleep_error())
        }
    }
}

fn no_sleep_error() -> Error {
    Error::new(
        ErrorKind::InvalidConfig,
        "token() ran outside a Tokio runtime with the time driver, so the load timeout has no \
         timer: run it inside a Tokio runtime built with enable_time() (or enable_all(), as \
         #[tokio::main] does), or pass sleep_impl(..) (or configure(..) with an SdkConfig that \
         has one)",
    )
}

fn timeout_error(after: Duration) -> Error {
    Error::new(
        ErrorKind::CredentialsTimeout,
        format!(
            "loading AWS credentials timed out after {after:?}; check the credential source \
             (network, credential_process, container endpoint) or raise the load timeout"
        ),
    )
    .about(Input::LoadTimeout)
}

fn panicked_error() -> Error {
    Error::new(
        ErrorKind::Internal,
        "the credentials provider panicked while loading credentials; this is a bug in that \
         provider: check its configuration or report it to its authors",
    )
}

fn expired_on_arrival_error() -> Error {
    Error::new(
        ErrorKind::CredentialsExpired,
        "the new token had already expired when its load finished (the credentials expire \
         too soon); refresh the credentials (for example `aws sso login`) and try again",
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_smithy_async::test_util::ManualTimeSource;
    use aws_smithy_async::time::TimeSource as _;

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    /// A source that counts its loads: the cache sees nothing else of it.
    struct Counting {
        loads: AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
        clock: ManualTimeSource,
    }

    impl Source for Counting {
        async fn load(&self) -> Outcome {
            self.loads.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                Err(Error::new(
                    ErrorKind::CredentialsProvider,
                    "the source failed",
                ))
            } else {
                Ok(BedrockToken::new(
                    "bedrock-api-key-x".into(),
                    self.clock.now() + HOUR,
                    crate::Service::Bedrock,
                    aws_types::region::Region::from_static("us-east-1"),
                ))
            }
        }
    }

    fn cache(fail: bool) -> (Arc<Cache<Counting>>, ManualTimeSource) {
        let clock = ManualTimeSource::new(SystemTime::UNIX_EPOCH + 1000 * HOUR);
        let source = Counting {
            loads: AtomicUsize::new(0),
            fail: fail.into(),
            clock: clock.clone(),
        };
        let policy = Policy {
            refresh_window: Duration::from_secs(300),
            refresh_jitter: Duration::ZERO,
            min_validity: Duration::from_secs(15),
        };
        let time = SharedTimeSource::new(clock.clone());
        let cache = Cache::new(source, policy, Duration::from_secs(5), time, None);
        (Arc::new(cache), clock)
    }

    fn loads(cache: &Cache<Counting>) -> usize {
        cache.source.loads.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn the_cache_calls_its_source_only_when_the_token_is_due() {
        let (cache, clock) = cache(false);
        cache.token().await.unwrap();
        cache.token().await.unwrap();
        assert_eq!(loads(&cache), 1, "a fresh token is served from the cache");
        clock.advance(HOUR - Duration::from_secs(10));
        cache.token().await.unwrap();
        assert_eq!(loads(&cache), 2, "an unusable token is replaced");
        cache.invalidate_if("invalidate", |_| true);
        cache.token().await.unwrap();
        assert_eq!(loads(&cache), 3, "an invalidated token is replaced");
    }

    #[tokio::test]
    async fn one_backoff_state_spaces_the_source_calls_after_a_failure() {
        let (cache, clock) = cache(true);
        let e = cache.token().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CredentialsProvider);
        cache.token().await.unwrap_err();
        assert_eq!(loads(&cache), 1, "backing off: the last error, no new load");
        assert!(cache.backoff_left().is_some());
        clock.advance(cache::MIN_RETRY_BACKOFF);
        cache.source.fail.store(false, Ordering::SeqCst);
        cache.token().await.unwrap();
        assert_eq!(loads(&cache), 2);
        assert_eq!(cache.snapshot().consecutive_failures, 0);
    }
}
