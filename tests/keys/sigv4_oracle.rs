//! `generate_token` against aws-sigv4's general request presigner, on arbitrary inputs:
//! the same signature and the same parameter values.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_bedrock_token_generator::generate_token;
use aws_credential_types::Credentials;
use proptest::prelude::*;
use support::sigv4::{decode_url, presign, region_strategy};

use crate::support;

/// Parameters of aws-sigv4's presigned request, raw (not percent-encoded).
fn oracle(
    creds: &Credentials,
    region: &str,
    expiry: Duration,
    time: SystemTime,
) -> BTreeMap<String, String> {
    presign(creds, region, expiry, time).0.into_iter().collect()
}

/// Parameters of our token, percent-decoded, without `Action` and `Version`.
fn ours(token: &str) -> BTreeMap<String, String> {
    let url = decode_url(token);
    let query = url.strip_prefix("bedrock.amazonaws.com/?").unwrap();
    query
        .split('&')
        .map(|kv| kv.split_once('=').unwrap())
        .filter(|(k, _)| *k != "Action" && *k != "Version")
        .map(|(k, v)| {
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8()
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn same_signature_as_aws_sigv4(
        // generate_token accepts: an access key id of ASCII letters and digits, and a
        // secret key and session token without whitespace or control characters.
        akid in "[A-Z0-9]{16,32}|[A-Za-z0-9]{1,40}",
        secret in "[!-~]{1,60}",
        session in proptest::option::of("[A-Za-z0-9+/=]{1,400}|[!-~]{1,80}|[^\\s\\p{C}]{1,20}"),
        region in region_strategy(),
        expiry in 1u64..=43200,
        secs in 0u64..=253_402_300_799,
        nanos in 0u32..1_000_000_000,
    ) {
        let creds = Credentials::new(akid, secret, session, None, "prop");
        let time = UNIX_EPOCH + Duration::new(secs, nanos);
        let expiry = Duration::from_secs(expiry);
        let token = generate_token(&creds, &region, expiry, time).unwrap();
        // aws-sigv4 also truncates the time to whole seconds.
        prop_assert_eq!(ours(token.as_str()), oracle(&creds, &region, expiry, time));
    }
}
