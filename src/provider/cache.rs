//! The cache's rules, as pure functions of time: when a cached token is fresh, when it
//! is due for a background refresh, when it is no longer usable, and how long to back
//! off after a failed load. No I/O and no clock reads here; `refresh.rs` applies them.

use std::time::{Duration, SystemTime};

use crate::{BedrockToken, Error, MAX_CLOCK_SKEW};

/// After a failed load, no new load starts for this long, doubling with each further
/// consecutive failure up to [`MAX_RETRY_BACKOFF`].
pub(super) const MIN_RETRY_BACKOFF: Duration = Duration::from_secs(1);
/// Upper bound of the retry backoff.
pub(super) const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(60);

/// How tokens are scheduled for replacement (from the builder).
#[derive(Clone, Copy, Debug)]
pub(super) struct Policy {
    pub refresh_window: Duration,
    pub refresh_jitter: Duration,
    pub min_validity: Duration,
}

/// A cached token and the times that govern it.
pub(super) struct Entry {
    pub token: BedrockToken,
    /// When it was minted (the provider's clock, not truncated).
    pub minted_at: SystemTime,
    /// From here on, a background refresh is due.
    pub refresh_at: SystemTime,
    /// From here on, the token is too close to its expiry to hand out.
    pub unusable_at: SystemTime,
}

/// What a cached entry is good for at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Freshness {
    /// Serve it; nothing to do.
    Fresh,
    /// Serve it, and refresh in the background.
    Stale,
    /// Do not serve it: expired, too close to expiry, or minted in the future (the clock
    /// went back by more than [`MAX_CLOCK_SKEW`]).
    Unusable,
}

impl Entry {
    /// Schedules `token`, minted at `now`. Window, jitter and minimum validity are scaled
    /// down for short-lived tokens (at most 1/2, 1/4 and 1/4 of the lifetime), so that a
    /// token is always served for at least a quarter of its life.
    pub fn new(token: BedrockToken, now: SystemTime, policy: &Policy) -> Self {
        let expires_at = token.expires_at();
        let lifetime = expires_at.duration_since(now).unwrap_or(Duration::ZERO);
        let window = policy.refresh_window.min(lifetime / 2);
        let jitter = policy
            .refresh_jitter
            .min(lifetime / 4)
            .mul_f64(fastrand::f64());
        let min_validity = policy.min_validity.min(lifetime / 4);
        Entry {
            token,
            minted_at: now,
            refresh_at: expires_at - window - jitter,
            unusable_at: expires_at - min_validity,
        }
    }

    pub fn freshness(&self, now: SystemTime) -> Freshness {
        let minted_in_future = self
            .minted_at
            .duration_since(now)
            .is_ok_and(|ahead| ahead > MAX_CLOCK_SKEW);
        if minted_in_future || now >= self.unusable_at || self.token.is_expired_at(now) {
            Freshness::Unusable
        } else if now < self.refresh_at {
            Freshness::Fresh
        } else {
            Freshness::Stale
        }
    }
}

/// Consecutive failed loads, for the backoff.
#[derive(Default)]
pub(super) struct Failures {
    last: Option<(Error, SystemTime)>,
    count: u32,
}

impl Failures {
    pub fn record(&mut self, error: Error, now: SystemTime) {
        self.last = Some((error, now));
        self.count = self.count.saturating_add(1);
    }

    pub fn clear(&mut self) {
        *self = Failures::default();
    }

    /// The last load's error while its backoff lasts: no new load may start before then.
    /// A clock that went back past the failure ends the backoff (it must not last for as
    /// long as the clock was wrong).
    pub fn backing_off(&self, now: SystemTime) -> Option<&Error> {
        self.backoff_left(now)?;
        self.last.as_ref().map(|(error, _)| error)
    }

    /// How much of the backoff is left at `now` (never zero): `None` once it is over, or
    /// if the clock went back past the failure.
    pub fn backoff_left(&self, now: SystemTime) -> Option<Duration> {
        let (_, failed_at) = self.last.as_ref()?;
        let elapsed = now.duration_since(*failed_at).ok()?;
        backoff(self.count)
            .checked_sub(elapsed)
            .filter(|left| !left.is_zero())
    }

    /// The last failed load's error, if no load succeeded since.
    pub fn last_error(&self) -> Option<&Error> {
        self.last.as_ref().map(|(error, _)| error)
    }

    /// Failed loads since the last successful one.
    pub fn count(&self) -> u32 {
        self.count
    }
}

/// 1 s after the first failure, doubling up to 60 s.
pub(super) fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    (MIN_RETRY_BACKOFF * (1 << doublings)).min(MAX_RETRY_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::time::UNIX_EPOCH;

    const POLICY: Policy = Policy {
        refresh_window: Duration::from_secs(300),
        refresh_jitter: Duration::ZERO,
        min_validity: Duration::from_secs(15),
    };

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn entry(minted: u64, lifetime: u64) -> Entry {
        let token = BedrockToken::new(
            "bedrock-api-key-x".into(),
            at(minted + lifetime),
            crate::Service::Bedrock,
            aws_types::region::Region::from_static("us-east-1"),
        );
        Entry::new(token, at(minted), &POLICY)
    }

    #[test]
    fn fresh_then_stale_then_unusable() {
        let e = entry(0, 3600);
        assert_eq!(e.freshness(at(0)), Freshness::Fresh);
        assert_eq!(e.freshness(at(3299)), Freshness::Fresh);
        assert_eq!(e.freshness(at(3300)), Freshness::Stale);
        assert_eq!(e.freshness(at(3584)), Freshness::Stale);
        assert_eq!(e.freshness(at(3585)), Freshness::Unusable, "15 s left");
        assert_eq!(e.freshness(at(3600)), Freshness::Unusable);
    }

    #[test]
    fn short_tokens_scale_window_and_minimum_validity() {
        let e = entry(0, 8);
        assert_eq!(e.refresh_at, at(4));
        assert_eq!(e.unusable_at, at(6));
    }

    #[test]
    fn a_clock_that_went_back_retires_tokens_minted_in_its_future() {
        let e = entry(86_400, 3600);
        assert_eq!(
            e.freshness(at(86_400 - 300)),
            Freshness::Fresh,
            "5 min is tolerated"
        );
        assert_eq!(e.freshness(at(86_400 - 301)), Freshness::Unusable);
        assert_eq!(e.freshness(at(0)), Freshness::Unusable);
    }

    #[test]
    fn sub_second_expiry_is_unusable_at_once() {
        let token = BedrockToken::new(
            "x".into(),
            at(10) + Duration::from_millis(500),
            crate::Service::Bedrock,
            aws_types::region::Region::from_static("us-east-1"),
        );
        let e = Entry::new(token, at(10), &POLICY);
        assert_eq!(
            e.freshness(at(10) + Duration::from_millis(900)),
            Freshness::Unusable
        );
    }

    #[test]
    fn backoff_doubles_to_a_minute_and_survives_clock_jumps() {
        let secs = |n| backoff(n).as_secs();
        assert_eq!(
            [secs(1), secs(2), secs(3), secs(7), secs(8), secs(u32::MAX)],
            [1, 2, 4, 60, 60, 60]
        );
        let mut f = Failures::default();
        assert!(f.backing_off(at(0)).is_none());
        f.record(Error::new(ErrorKind::NoCredentials, "x"), at(100));
        assert!(f.backing_off(at(100)).is_some());
        assert!(f.backing_off(at(101)).is_none());
        assert!(f.backing_off(at(50)).is_none(), "clock went back");
        f.record(Error::new(ErrorKind::NoCredentials, "x"), at(101));
        assert!(f.backing_off(at(102)).is_some());
        assert!(f.backing_off(at(103)).is_none());
        assert_eq!(f.count(), 2);
        assert_eq!(f.backoff_left(at(102)), Some(Duration::from_secs(1)));
        assert_eq!(f.backoff_left(at(103)), None);
        assert_eq!(
            f.last_error().map(Error::kind),
            Some(ErrorKind::NoCredentials)
        );
        f.clear();
        assert!(f.backing_off(at(101)).is_none());
        assert_eq!(f.count(), 0);
        assert!(f.last_error().is_none());
    }
}
