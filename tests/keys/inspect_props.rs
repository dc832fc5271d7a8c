//! Property tests for the key parsers: no panic on any input, only printable ASCII in any
//! parsed field, and exact round trips of what generate_token mints.
//!
//! Random strings rarely get past base64 and the URL prefix, so most inputs here start from
//! a VALID key and change it structurally (tests/support/keys.rs): one parameter's value
//! replaced by arbitrary Unicode, control characters, percent-encoded bytes, a huge or an
//! empty value, or a multi-byte character spliced into a fixed-width field; a parameter
//! renamed, duplicated, dropped or moved. Long-term keys get the same treatment through
//! their alias.

use crate::support;

use std::time::{Duration, UNIX_EPOCH};

use aws_bedrock_token_generator::{
    generate_service_token, generate_token, ErrorKind, KeyInfo, LongTermKeyInfo, Service,
    TokenInfo, MAX_EXPIRY,
};
use aws_credential_types::Credentials;
use proptest::prelude::*;
use support::keys::{
    long_term_key, long_term_key_with, printable_ascii, splice, Mutation, TokenUrl, FAKE_ALIAS,
    FAKE_LONG_TERM_SECRET,
};
use support::sigv4::{decode_url, encode_token, region_strategy};
use support::*;

const LAST_SECOND: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z

/// The services with short-term keys.
fn short_term_service() -> impl Strategy<Value = Service> {
    prop_oneof![
        Just(Service::Bedrock),
        Just(Service::ClaudePlatform),
        Just(Service::SageMaker)
    ]
}

/// The short-term prefixes of every service that has them.
const SHORT_TERM_PREFIXES: [&str; 3] = [
    "bedrock-api-key-",
    "aws-external-anthropic-api-key-",
    "sagemaker-api-key-",
];
/// The long-term prefixes of every service whose prefix is known.
const LONG_TERM_PREFIXES: [&str; 2] = ["ABSK", "AEAA"];

/// A token of either service minted from arbitrary but valid inputs, with its service.
fn valid_service_token() -> impl Strategy<Value = (Service, String)> {
    (
        short_term_service(),
        "[A-Z0-9]{16,20}|[A-Za-z0-9]{1,40}",
        "[!-~]{1,40}",
        proptest::option::of("[A-Za-z0-9+/=]{1,200}|[!-~]{1,40}"),
        region_strategy(),
        1u64..=MAX_EXPIRY.as_secs(),
        0u64..=LAST_SECOND,
    )
        .prop_map(|(service, akid, secret, session, region, expiry, secs)| {
            let creds = Credentials::new(akid, secret, session, None, "prop");
            let now = UNIX_EPOCH + Duration::from_secs(secs);
            let token =
                generate_service_token(service, &creds, &region, Duration::from_secs(expiry), now)
                    .expect("valid inputs");
            (service, token.as_str().to_owned())
        })
}

/// A token minted from arbitrary but valid inputs.
fn valid_token() -> impl Strategy<Value = String> {
    (
        "[A-Z0-9]{16,20}|[A-Za-z0-9]{1,40}",
        "[!-~]{1,40}",
        proptest::option::of("[A-Za-z0-9+/=]{1,200}|[!-~]{1,40}"),
        region_strategy(),
        1u64..=MAX_EXPIRY.as_secs(),
        0u64..=LAST_SECOND,
    )
        .prop_map(|(akid, secret, session, region, expiry, secs)| {
            let creds = Credentials::new(akid, secret, session, None, "prop");
            let now = UNIX_EPOCH + Duration::from_secs(secs);
            generate_token(&creds, &region, Duration::from_secs(expiry), now)
                .expect("valid inputs")
                .as_str()
                .to_owned()
        })
}

/// Any text, control characters and newlines included (`any::<String>()` has none).
fn any_text() -> impl Strategy<Value = String> {
    "(?s).{0,40}"
}

/// Values a parameter should never have, and some it might.
fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(),
        "\\PC{0,24}",
        "[\\x00-\\x1f\\x7f\\x{85}\\x{200e}\\x{202e}\\x{2028}]{1,8}",
        proptest::collection::vec(any::<u8>(), 0..48)
            .prop_map(|bytes| bytes.iter().map(|b| format!("%{b:02X}")).collect()),
        Just(String::new()),
        "[0-9]{0,20}",
        "[ +\\-0]{0,2}[0-9]{1,5}[ ]?",
        "[0-9]{8}T[0-9]{6}Z",
        "[ -~]{0,40}",
        "[ -~]{0,8}".prop_map(|s| s.repeat(10_000)),
    ]
}

fn parameter_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Action",
            "Version",
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature",
            "X-Amz-Security-Token",
        ])
        .prop_map(str::to_owned),
        any_text(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let index = 0usize..16;
    prop_oneof![
        4 => (index.clone(), hostile_value()).prop_map(|(i, v)| Mutation::SetValue(i, v)),
        3 => (index.clone(), any::<usize>(), any::<char>())
            .prop_map(|(i, at, ch)| Mutation::Splice(i, at, ch)),
        1 => (index.clone(), parameter_name()).prop_map(|(i, n)| Mutation::SetName(i, n)),
        1 => index.clone().prop_map(Mutation::PercentEncodeAll),
        1 => (index.clone(), 0usize..3000).prop_map(|(i, n)| Mutation::Repeat(i, n)),
        1 => index.clone().prop_map(Mutation::Duplicate),
        1 => index.clone().prop_map(Mutation::Drop),
        1 => (index.clone(), index).prop_map(|(i, j)| Mutation::Swap(i, j)),
    ]
}

/// What every parse of `token` must satisfy: an answer, never a panic; on success only
/// printable ASCII in the fields and in `Display`; on failure an `InvalidToken` error
/// whose message has no control characters. `KeyInfo::parse` agrees with `TokenInfo::parse`.
fn check_short_term(token: &str) -> Result<Option<TokenInfo>, TestCaseError> {
    let parsed = TokenInfo::parse(token);
    let either = KeyInfo::parse(token);
    match &parsed {
        Ok(info) => {
            prop_assert!(!info.region().is_empty());
            prop_assert!(info.region().bytes().all(|b| b.is_ascii_graphic()));
            prop_assert!(!info.access_key_id().is_empty());
            prop_assert!(info
                .access_key_id()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric()));
            prop_assert!((1..=MAX_EXPIRY.as_secs()).contains(&info.expiry().as_secs()));
            prop_assert!(info.expires_at() > info.signed_at());
            prop_assert!(printable_ascii(&info.to_string()), "{}", info);
            let debug = format!("{info:?}");
            prop_assert!(printable_ascii(&debug), "{}", debug);
            let either = either.as_ref().ok();
            prop_assert_eq!(either, Some(&KeyInfo::ShortTerm(info.clone())));
            prop_assert!(printable_ascii(&either.unwrap().to_string()));
        }
        Err(e) => {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidToken);
            prop_assert!(!e.to_string().chars().any(char::is_control), "{}", e);
            if SHORT_TERM_PREFIXES
                .iter()
                .any(|p| token.trim().starts_with(p))
            {
                prop_assert!(either.is_err());
            }
        }
    }
    Ok(parsed.ok())
}

/// Like [`check_short_term`] for a long-term key whose secret is `secret`: the secret
/// never shows in a result, an error or their `Debug`/`Display`.
fn check_long_term(key: &str, secret: &str) -> Result<Option<LongTermKeyInfo>, TestCaseError> {
    let parsed = LongTermKeyInfo::parse(key);
    let either = KeyInfo::parse(key);
    let shown = match &parsed {
        Ok(info) => {
            let alias = info.alias();
            prop_assert!(!alias.is_empty());
            prop_assert!(alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)));
            for field in [info.user_name(), info.account_id()].into_iter().flatten() {
                prop_assert!(field.bytes().all(|b| b.is_ascii_graphic()), "{}", field);
            }
            prop_assert_eq!(info.user_name().is_some(), info.account_id().is_some());
            let either = either.as_ref().ok();
            prop_assert_eq!(either, Some(&KeyInfo::LongTerm(info.clone())));
            let either = either.unwrap();
            let want = if key.trim().starts_with("AEAA") {
                Service::ClaudePlatform
            } else {
                Service::Bedrock
            };
            prop_assert_eq!(info.service(), want);
            prop_assert_eq!(either.service(), want);
            format!("{info} {info:?} {either} {either:?}")
        }
        Err(e) => {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidToken);
            if LONG_TERM_PREFIXES.iter().any(|p| key.trim().starts_with(p)) {
                prop_assert!(either.is_err());
            }
            format!("{e} {e:?}")
        }
    };
    prop_assert!(printable_ascii(&shown), "not printable: {:?}", shown);
    prop_assert!(!shown.contains(secret), "shows the secret: {:?}", shown);
    // The short-term parser recognises it and points at the right one.
    if LONG_TERM_PREFIXES.iter().any(|p| key.trim().starts_with(p)) {
        let e = TokenInfo::parse(key).unwrap_err();
        prop_assert!(e.to_string().contains("long-term"), "{}", e);
    }
    Ok(parsed.ok())
}

/// Aliases: valid ones, and valid ones made invalid in every way a parser could trip on.
fn alias() -> impl Strategy<Value = Vec<u8>> {
    let valid = "[A-Za-z0-9_+=,.@-]{1,64}(-at-[0-9]{12})?";
    prop_oneof![
        3 => valid.prop_map(String::into_bytes),
        3 => (valid, any::<usize>(), any::<char>()).prop_map(|(mut a, at, ch)| {
            splice(&mut a, at, ch);
            a.into_bytes()
        }),
        2 => hostile_value().prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..80),
        1 => Just(FAKE_ALIAS.repeat(2000).into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// A valid token with one to four structural changes.
    #[test]
    fn mutated_tokens_parse_cleanly(
        token in valid_token(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let mut url = TokenUrl::split(&decode_url(&token));
        for m in &mutations {
            url.mutate(m);
        }
        check_short_term(&url.to_token())?;
    }

    /// A valid token of either service with one to four structural changes, re-encoded
    /// behind its own prefix: parses cleanly, and when it parses, as its own service.
    #[test]
    fn mutated_tokens_of_every_service_parse_cleanly(
        (service, token) in valid_service_token(),
        mutations in proptest::collection::vec(mutation(), 0..5),
    ) {
        let prefix = service.token_prefix().unwrap();
        let mut url = TokenUrl::split(&decode_url(&token));
        for m in &mutations {
            url.mutate(m);
        }
        let mutated = url.to_token_with(prefix);
        if let Some(info) = check_short_term(&mutated)? {
            prop_assert_eq!(info.service(), service);
        }
        if mutations.is_empty() {
            prop_assert_eq!(TokenInfo::parse(&token).unwrap().service(), service);
        }
        // The same URL behind the other service's prefix never parses: host and
        // SigV4 name belong to one service.
        let other = SHORT_TERM_PREFIXES.into_iter().find(|p| *p != prefix).unwrap();
        prop_assert!(TokenInfo::parse(&url.to_token_with(other)).is_err());
    }

    /// A valid long-term key of every known prefix with its alias replaced.
    #[test]
    fn mutated_long_term_keys_of_every_prefix_parse_cleanly(
        alias in alias(),
        prefix in proptest::sample::select(LONG_TERM_PREFIXES.to_vec()),
    ) {
        let key = long_term_key_with(prefix, &alias, FAKE_LONG_TERM_SECRET.as_bytes());
        let info = check_long_term(&key, FAKE_LONG_TERM_SECRET)?;
        if alias.iter().all(|&b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
            && (1..=128).contains(&alias.len())
        {
            let info = info.expect("a valid alias parses");
            prop_assert_eq!(info.alias().as_bytes(), &alias[..]);
        }
    }

    /// A valid long-term key with its alias replaced.
    #[test]
    fn mutated_long_term_keys_parse_cleanly(alias in alias()) {
        let key = long_term_key(&alias, FAKE_LONG_TERM_SECRET.as_bytes());
        let info = check_long_term(&key, FAKE_LONG_TERM_SECRET)?;
        // A valid alias is read back exactly.
        if alias.iter().all(|&b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
            && (1..=128).contains(&alias.len())
        {
            let info = info.expect("a valid alias parses");
            prop_assert_eq!(info.alias().as_bytes(), &alias[..]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any string: an answer, never a panic.
    #[test]
    fn arbitrary_strings_never_panic(s in any_text()) {
        check_short_term(&s)?;
        check_short_term(&format!("bedrock-api-key-{s}"))?;
        check_long_term(&s, FAKE_LONG_TERM_SECRET)?;
        check_long_term(&format!("ABSK{s}"), FAKE_LONG_TERM_SECRET)?;
    }

    /// Any bytes behind either prefix, base64-encoded: an answer, never a panic.
    #[test]
    fn arbitrary_payloads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_short_term(&encode_token(&bytes))?;
        check_long_term(&long_term_key(&bytes, FAKE_LONG_TERM_SECRET.as_bytes()), FAKE_LONG_TERM_SECRET)?;
        // Any secret: parsing does not care what it is, only that there is one.
        let key = long_term_key(FAKE_ALIAS.as_bytes(), &bytes);
        prop_assert_eq!(LongTermKeyInfo::parse(&key).is_ok(), !bytes.is_empty());
    }

    /// One byte of a valid URL replaced or removed.
    #[test]
    fn byte_mutations_never_panic(
        token in valid_token(),
        at in any::<usize>(),
        byte in any::<u8>(),
        remove in any::<bool>(),
    ) {
        let mut url = decode_url(&token).into_bytes();
        let at = at % url.len();
        if remove { url.remove(at); } else { url[at] = byte; }
        check_short_term(&encode_token(&url))?;
    }

    /// Whatever generate_token accepts, TokenInfo::parse reads back exactly: region,
    /// access key id, signing time (whole seconds), expiry (whole seconds), session token.
    #[test]
    fn what_generate_token_accepts_parses_back_exactly(
        akid in prop_oneof![3 => "[A-Z0-9]{16,32}|[A-Za-z0-9]{1,24}", 1 => any_text()],
        secret in prop_oneof![3 => "[!-~]{1,40}", 1 => any_text()],
        session in proptest::option::of(prop_oneof![
            3 => "[A-Za-z0-9+/=]{1,300}", 1 => "[^\\s\\p{C}]{1,20}", 1 => any_text()
        ]),
        region in prop_oneof![3 => region_strategy(), 1 => any_text()],
        expiry in prop_oneof![
            3 => (1u64..=43_200, 0u32..1_000_000_000),
            1 => (0u64..=50_000, 0u32..1_000_000_000),
        ],
        secs in prop_oneof![3 => 0i64..=LAST_SECOND as i64, 1 => -1_000_000i64..=i64::MAX / 2],
        nanos in 0u32..1_000_000_000,
        creds_expiry in proptest::option::of(0u64..=LAST_SECOND + 1_000_000),
    ) {
        let creds_expiry = creds_expiry.map(|s| UNIX_EPOCH + Duration::from_secs(s));
        let creds = Credentials::new(akid.clone(), secret, session.clone(), creds_expiry, "prop");
        let now = if secs >= 0 {
            UNIX_EPOCH + Duration::new(secs as u64, nanos)
        } else {
            UNIX_EPOCH - Duration::new(secs.unsigned_abs(), nanos)
        };
        let expiry = Duration::new(expiry.0, expiry.1);
        let Ok(token) = generate_token(&creds, &region, expiry, now) else {
            return Ok(());
        };
        let info = check_short_term(token.as_str())?.expect("a minted token parses");
        let signed_at = UNIX_EPOCH + Duration::from_secs(secs as u64);
        prop_assert_eq!(info.region(), region.as_str());
        prop_assert_eq!(info.access_key_id(), akid.as_str());
        prop_assert_eq!(info.signed_at(), signed_at);
        prop_assert_eq!(info.expiry(), Duration::from_secs(expiry.as_secs()));
        prop_assert_eq!(info.has_session_token(), session.is_some());
        // The credentials' expiry can only shorten the token's life.
        prop_assert_eq!(info.expires_at(), signed_at + Duration::from_secs(expiry.as_secs()));
        prop_assert!(token.expires_at() <= info.expires_at());
        if creds_expiry.is_none() {
            prop_assert_eq!(token.expires_at(), info.expires_at());
        }
        prop_assert!(!info.is_not_yet_valid_at(signed_at));
        prop_assert!(!info.is_expired_at(signed_at));
    }
}

/// The class the property tests above exist for, pinned: with the old byte-offset slicing,
/// a splice like this panicked.
#[test]
fn the_splice_mutation_reaches_fixed_width_fields() {
    let creds = static_creds();
    let token = generate_token(&creds, "us-east-1", Duration::from_secs(60), start()).unwrap();
    let mut url = TokenUrl::split(&decode_url(token.as_str()));
    let date = url
        .params
        .iter()
        .position(|(name, _)| name == "X-Amz-Date")
        .unwrap();
    url.mutate(&Mutation::Splice(date, 3, 'é'));
    assert_eq!(url.params[date].1, "202é615T120000Z");
    assert_eq!(url.params[date].1.len(), 16);
    let e = TokenInfo::parse(&url.to_token()).unwrap_err();
    assert!(e.to_string().contains("`X-Amz-Date`"), "{e}");
}
