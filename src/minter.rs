//! [`Minter`]: minting that reuses the day's signing key.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use zeroize::Zeroizing;

use crate::mint::{derive_signing_key, mint, SigningKey};
use crate::{BedrockToken, Error, Service};

/// The most signing keys a [`Minter`] keeps: one per credentials, region and service in
/// use on a day. Past it, the keys of earlier days go first, then all of them.
const MAX_KEYS: usize = 256;
const DAY_SECS: u64 = 24 * 60 * 60;

/// Mints the same keys as [`generate_token`](crate::generate_token) and
/// [`generate_service_token`](crate::generate_service_token), reusing SigV4 signing keys.
///
/// A signing key depends only on the secret access key, the UTC day, the region and the
/// SigV4 service name, and deriving it is four of the five HMACs a key costs: a service
/// that mints many keys (per tenant, per role session, per request) keeps it. A `Minter`
/// keeps one per access key id, secret, UTC day, region and service (a rotated secret is a
/// new entry, never the old key), at most 256 of them. Keys are wiped from memory when
/// replaced or dropped, and never shown (`Debug` prints how many are kept).
///
/// `Send + Sync`: share one by reference (or in an `Arc`). Minting is synchronous; a lock
/// is held only to look a key up or store it.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aws_credential_types::Credentials;
/// use aws_bedrock_token_generator::{generate_token, Minter};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "example");
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_718_452_800);
/// let minter = Minter::new();
/// let key = minter.generate_token(&creds, "us-west-2", Duration::from_secs(900), now)?;
/// let again = minter.generate_token(&creds, "us-west-2", Duration::from_secs(900), now)?;
/// assert_eq!(key.as_str(), generate_token(&creds, "us-west-2", Duration::from_secs(900), now)?.as_str());
/// assert_eq!(key.as_str(), again.as_str());
/// # Ok::<(), aws_bedrock_token_generator::Error>(())
/// ```
pub struct Minter {
    /// By the hash of their scope (looked up without allocating a key), each bucket
    /// holding the keys of the scopes with that hash.
    keys: Mutex<HashMap<u64, Vec<Kept>>>,
    /// The most keys kept.
    capacity: usize,
}

impl Default for Minter {
    fn default() -> Self {
        Self::with_capacity(MAX_KEYS)
    }
}

/// A signing key, what it is for, and the secret it was derived from (to tell a rotated
/// secret).
struct Kept {
    access_key_id: String,
    day: u64,
    region: String,
    service: Service,
    secret: Zeroizing<String>,
    key: SigningKey,
}

impl Kept {
    fn is_for(&self, access_key_id: &str, day: u64, region: &str, service: Service) -> bool {
        self.day == day
            && self.service == service
            && self.access_key_id == access_key_id
            && self.region == region
    }
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
fn same_secret(kept: &str, given: &str) -> bool {
    kept.len() == given.len()
        && kept
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// The bucket of a scope.
fn scope_hash(access_key_id: &str, day: u64, region: &str, service: Service) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    (access_key_id, day, region, service).hash(&mut hasher);
    hasher.finish()
}

impl Minter {
    /// A minter with no keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A minter that keeps at most `capacity` keys (a provider's needs a few: temporary
    /// credentials bring a new access key id with each refresh).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Minter {
            keys: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// [`generate_token`](crate::generate_token), with the day's signing key reused:
    /// the same arguments, checks, errors and key, byte for byte.
    pub fn generate_token(
        &self,
        credentials: &Credentials,
        region: &str,
        expiry: Duration,
        now: SystemTime,
    ) -> Result<BedrockToken, Error> {
        self.generate_service_token(Service::Bedrock, credentials, region, expiry, now)
    }

    /// [`generate_service_token`](crate::generate_service_token), with the day's signing
    /// key reused.
    pub fn generate_service_token(
        &self,
        service: Service,
        credentials: &Credentials,
        region: &str,
        expiry: Duration,
        now: SystemTime,
    ) -> Result<BedrockToken, Error> {
        mint(
            service,
            credentials,
            region,
            expiry,
            now,
            &|target, time| {
                self.signing_key(service, credentials, region, target.signing_name, time)
            },
        )
    }

    /// How many signing keys are kept.
    pub fn len(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Whether no signing key is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every signing key (they are wiped).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn signing_key(
        &self,
        service: Service,
        credentials: &Credentials,
        region: &str,
        signing_name: &str,
        time: SystemTime,
    ) -> SigningKey {
        // `time` is a checked signing time: after the epoch.
        let day = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |t| t.as_secs() / DAY_SECS);
        let access_key_id = credentials.access_key_id();
        let secret = credentials.secret_access_key();
        let hash = scope_hash(access_key_id, day, region, service);
        {
            let keys = self.lock();
            let kept = keys.get(&hash).and_then(|bucket| {
                bucket
                    .iter()
                    .find(|k| k.is_for(access_key_id, day, region, service))
            });
            if let Some(kept) = kept.filter(|k| same_secret(&k.secret, secret)) {
                return kept.key.clone();
            }
        }
        // Derived outside the lock: other mints go on meanwhile.
        let key = derive_signing_key(credentials, time, region, signing_name);
        let mut keys = self.lock();
        if let Some(bucket) = keys.get_mut(&hash) {
            // A rotated secret's key replaces the old one.
            bucket.retain(|k| !k.is_for(access_key_id, day, region, service));
        }
        let kept: usize = keys.values().map(Vec::len).sum();
        if kept >= self.capacity {
            keys.retain(|_, bucket| {
                bucket.retain(|k| k.day >= day);
                !bucket.is_empty()
            });
            if keys.values().map(Vec::len).sum::<usize>() >= self.capacity {
                keys.clear();
            }
        }
        keys.entry(hash).or_default().push(Kept {
            access_key_id: access_key_id.to_owned(),
            day,
            region: region.to_owned(),
            service,
            secret: Zeroizing::new(secret.to_owned()),
            key: key.clone(),
        });
        key
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Vec<Kept>>> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for Minter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minter")
            .field("signing_keys", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_service_token;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn creds(akid: &str, secret: &str) -> Credentials {
        Credentials::new(akid, secret, None, None, "test")
    }

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    #[test]
    fn a_day_boundary_signs_with_each_days_key() {
        let minter = Minter::new();
        let c = creds("AKIDEXAMPLE", SECRET);
        let midnight = 1_718_496_000; // 2024-06-16T00:00:00Z
        let expiry = Duration::from_secs(60);
        for now in [at(midnight - 1, 999), at(midnight, 0), at(midnight - 1, 0)] {
            let ours = minter.generate_token(&c, "us-west-2", expiry, now).unwrap();
            let fresh = crate::generate_token(&c, "us-west-2", expiry, now).unwrap();
            assert_eq!(ours.as_str(), fresh.as_str());
        }
        assert_eq!(minter.len(), 2, "one key per day");
    }

    #[test]
    fn a_rotated_secret_replaces_the_key() {
        let minter = Minter::new();
        let now = at(1_718_452_800, 0);
        let old = creds("AKIDEXAMPLE", SECRET);
        let new = creds("AKIDEXAMPLE", "AnotherSecretEXAMPLEKEYwJalrXUtnFEMI/K7MD");
        for c in [&old, &new, &old] {
            let ours = minter
                .generate_token(c, "us-west-2", Duration::from_secs(60), now)
                .unwrap();
            let fresh =
                crate::generate_token(c, "us-west-2", Duration::from_secs(60), now).unwrap();
            assert_eq!(ours.as_str(), fresh.as_str());
        }
        assert_eq!(minter.len(), 1);
    }

    #[test]
    fn the_bound_holds_and_old_days_go_first() {
        let minter = Minter::new();
        let c = creds("AKIDEXAMPLE", SECRET);
        let day = 1_718_452_800;
        let region = |i: usize| format!("xx-test-{i}");
        for i in 0..MAX_KEYS {
            minter
                .generate_token(&c, &region(i), Duration::from_secs(60), at(day, 0))
                .unwrap();
        }
        assert_eq!(minter.len(), MAX_KEYS);
        // The next day's first key makes room by dropping the earlier day's.
        minter
            .generate_token(
                &c,
                "us-west-2",
                Duration::from_secs(60),
                at(day + DAY_SECS, 0),
            )
            .unwrap();
        assert_eq!(minter.len(), 1);
        // Within one day, past the bound: cleared, never over it.
        for i in 0..MAX_KEYS + 10 {
            minter
                .generate_token(
                    &c,
                    &region(i),
                    Duration::from_secs(60),
                    at(day + DAY_SECS, 0),
                )
                .unwrap();
            assert!(minter.len() <= MAX_KEYS);
        }
    }

    #[test]
    fn services_and_regions_have_their_own_keys_and_errors_are_the_same() {
        let minter = Minter::new();
        let c = creds("AKIDEXAMPLE", SECRET);
        let now = at(1_718_452_800, 0);
        for service in [
            Service::Bedrock,
            Service::ClaudePlatform,
            Service::SageMaker,
        ] {
            for region in ["us-west-2", "eu-west-1"] {
                let ours = minter
                    .generate_service_token(service, &c, region, Duration::from_secs(60), now)
                    .unwrap();
                let fresh =
                    generate_service_token(service, &c, region, Duration::from_secs(60), now)
                        .unwrap();
                assert_eq!(ours.as_str(), fresh.as_str());
            }
        }
        assert_eq!(minter.len(), 6);
        let bad = minter
            .generate_token(&c, "US WEST", Duration::from_secs(60), now)
            .unwrap_err();
        let fresh = crate::generate_token(&c, "US WEST", Duration::from_secs(60), now).unwrap_err();
        assert_eq!(
            (bad.kind(), bad.to_string()),
            (fresh.kind(), fresh.to_string())
        );
        assert_eq!(minter.len(), 6, "nothing kept for a refused mint");
        let debug = format!("{minter:?}");
        assert_eq!(debug, "Minter { signing_keys: 6 }");
        assert!(!debug.contains(SECRET));
    }

    #[test]
    fn send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<Minter>();
    }
}
