//! [`Minter`] against the uncached mint: byte-identical keys for arbitrary times around
//! day boundaries, services, regions and rotated credentials, through one shared minter.

use crate::support;

use std::time::{Duration, UNIX_EPOCH};

use aws_bedrock_token_generator::{generate_service_token, Minter, Service};
use aws_credential_types::Credentials;
use proptest::prelude::*;
use support::sigv4::region_strategy;

const DAY: u64 = 86_400;

fn service() -> impl Strategy<Value = Service> {
    prop_oneof![
        Just(Service::Bedrock),
        Just(Service::ClaudePlatform),
        Just(Service::SageMaker)
    ]
}

/// A mint: which of a few secrets under one access key id (rotation), which service,
/// region, and a time within two seconds of one of a few midnights.
fn mint() -> impl Strategy<Value = (usize, Service, String, u64, u64)> {
    (
        0usize..3,
        service(),
        prop_oneof![Just("us-west-2".to_owned()), region_strategy()],
        19_000u64..19_004,
        0u64..4_000,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cached_and_uncached_mints_are_byte_identical(mints in proptest::collection::vec(mint(), 1..40)) {
        let secrets = [
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "AnotherSecretEXAMPLEKEYwJalrXUtnFEMI/K7MD",
            "ThirdSecretEXAMPLEKEYwJalrXUtnFEMI/K7MDEN",
        ];
        let minter = Minter::new();
        for (secret, service, region, day, millis) in mints {
            // From 23:59:58.000 to 00:00:01.999.
            let now = UNIX_EPOCH + Duration::from_secs((day + 1) * DAY - 2) + Duration::from_millis(millis);
            let creds = Credentials::new("AKIDEXAMPLE", secrets[secret], None, None, "prop");
            let expiry = Duration::from_secs(900);
            let fresh = generate_service_token(service, &creds, &region, expiry, now);
            let cached = minter.generate_service_token(service, &creds, &region, expiry, now);
            match (fresh, cached) {
                (Ok(fresh), Ok(cached)) => {
                    prop_assert_eq!(fresh.as_str(), cached.as_str());
                    prop_assert_eq!(fresh.expires_at(), cached.expires_at());
                }
                (Err(fresh), Err(cached)) => prop_assert_eq!(fresh.to_string(), cached.to_string()),
                (fresh, cached) => prop_assert!(false, "{:?} vs {:?}", fresh.is_ok(), cached.is_ok()),
            }
        }
    }
}
