//! TokenInfo::parse: precise errors for every kind of malformed token, no panic on
//! arbitrary input (proptest), and an exact round trip of what generate_token mints.

mod support;

use std::time::{Duration, UNIX_EPOCH};

use aws_bedrock_token_generator::{generate_token, ErrorKind, TokenInfo, MAX_CLOCK_SKEW};
use aws_credential_types::Credentials;
use proptest::prelude::*;
use support::sigv4::{decode_url, encode_token, region_strategy};
use support::*;

fn valid_url() -> String {
    let token = generate_token(
        &session_creds(None),
        "us-west-2",
        Duration::from_secs(900),
        start(),
    )
    .unwrap();
    decode_url(token.as_str())
}

fn reason(token: &str) -> String {
    let err = TokenInfo::parse(token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    err.to_string()
}

#[test]
fn each_defect_has_its_own_message() {
    let url = valid_url();
    let with = |from: &str, to: &str| {
        assert!(url.contains(from), "{from}");
        encode_token(url.replacen(from, to, 1).as_bytes())
    };
    let cases: Vec<(String, &str)> = vec![
        (
            "Bearer abc".into(),
            "does not start with `bedrock-api-key-`",
        ),
        (
            "bedrock-api-key-@@@@".into(),
            "not valid standard, padded base64",
        ),
        (
            "bedrock-api-key-YWJj=".into(),
            "not valid standard, padded base64",
        ),
        (encode_token(&[0xff, 0xfe, 0x00]), "not UTF-8"),
        (
            with("bedrock.amazonaws.com/", "bedrock.example.com/"),
            "host bedrock.amazonaws.com and path /",
        ),
        (
            with("bedrock.amazonaws.com/?", "bedrock.amazonaws.com/x?"),
            "path /",
        ),
        (
            with("Action=CallWithBearerToken", "Action=Other"),
            "`Action=CallWithBearerToken`",
        ),
        (with("&Version=1", ""), "`&Version=1`"),
        (with("&Version=1", "&Version=2"), "`&Version=1`"),
        (
            with("&X-Amz-Date=", "&X-Amz-Date=20240615T120000Z&X-Amz-Date="),
            "`X-Amz-Date` appears more than once",
        ),
        (
            with("&X-Amz-Signature=", "&X-Amz-Unknown=1&X-Amz-Signature="),
            "unexpected query parameter",
        ),
        (
            with("&X-Amz-SignedHeaders=host", ""),
            "`X-Amz-SignedHeaders` is missing",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=abc"),
            "`X-Amz-Expires` is not a whole number",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=0"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=43201"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=+900"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=0900"),
            "no sign or leading zero",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=-900"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=900%20"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=%39%30%30"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires= 900"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=9e2"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires=18446744073709551616"),
            "from 1 to 43200",
        ),
        (
            with("X-Amz-Expires=900", "X-Amz-Expires="),
            "from 1 to 43200",
        ),
        (
            with(
                "X-Amz-Date=20240615T120000Z",
                "X-Amz-Date=2024-06-15T120000Z",
            ),
            "`X-Amz-Date` is not a valid",
        ),
        (
            with("X-Amz-Date=20240615T120000Z", "X-Amz-Date=20240230T120000Z"),
            "`X-Amz-Date` is not a valid",
        ),
        (
            with("X-Amz-Date=20240615T120000Z", "X-Amz-Date=20240615T250000Z"),
            "`X-Amz-Date` is not a valid",
        ),
        (
            with("Credential=ASIA", "Credential=AS%0DIA"),
            "ASCII letters and digits",
        ),
        (
            with("Credential=ASIA", "Credential=AS%C3%A9IA"),
            "ASCII letters and digits",
        ),
        (
            with("Credential=ASIA", "Credential=AS-IA"),
            "ASCII letters and digits",
        ),
        (
            with("Credential=ASIA", "Credential=x%2FASIA"),
            "ASCII letters and digits",
        ),
        (
            with("Credential=ASIAEXAMPLEEXAMPLE01", "Credential="),
            "ASCII letters and digits",
        ),
        (
            with("%2Fbedrock%2F", "%2Fs3%2F"),
            "`X-Amz-Credential` is not",
        ),
        (
            with("%2Faws4_request", "%2Faws5_request"),
            "`X-Amz-Credential` is not",
        ),
        (
            with("%2F20240615%2F", "%2F20240616%2F"),
            "does not match `X-Amz-Date`",
        ),
        (
            with("%2Fus-west-2%2F", "%2FUS%20WEST%2F"),
            "region in `X-Amz-Credential`",
        ),
        (
            with(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
            ),
            "`X-Amz-Algorithm`",
        ),
        (
            with("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date"),
            "does not include `host`",
        ),
        (
            with("X-Amz-Signature=", "X-Amz-Signature=zz"),
            "64 lower-case hex digits",
        ),
        (
            with("%2F20240615", "%FF20240615"),
            "not percent-encoded UTF-8",
        ),
    ];
    for (token, expected) in cases {
        let got = reason(&token);
        assert!(got.contains(expected), "expected {expected:?}, got {got:?}");
        assert!(got.starts_with("not a valid Bedrock API key: "), "{got}");
    }
}

#[test]
fn a_session_token_is_reported_but_never_shown() {
    let info = TokenInfo::parse(&encode_token(valid_url().as_bytes())).unwrap();
    assert!(info.has_session_token());
    let shown = format!("{info:?} {info}");
    assert!(!shown.contains("FwoGZXIvYXdz"), "{shown}");
    assert!(!shown.contains("Signature"), "{shown}");
}

#[test]
fn surrounding_whitespace_is_ignored() {
    let token = encode_token(valid_url().as_bytes());
    assert_eq!(
        TokenInfo::parse(&format!("  {token}\n")).unwrap(),
        TokenInfo::parse(&token).unwrap()
    );
}

#[test]
fn a_token_signed_beyond_the_clock_skew_is_not_yet_valid() {
    assert_eq!(MAX_CLOCK_SKEW, Duration::from_secs(300));
    let info = TokenInfo::parse(&encode_token(valid_url().as_bytes())).unwrap();
    let signed = start();
    assert_eq!(info.signed_at(), signed);
    let ns = Duration::from_nanos(1);
    assert!(info.is_not_yet_valid_at(UNIX_EPOCH));
    assert!(info.is_not_yet_valid_at(signed - MAX_CLOCK_SKEW - ns));
    assert!(!info.is_not_yet_valid_at(signed - MAX_CLOCK_SKEW));
    assert!(!info.is_not_yet_valid_at(signed));
    assert!(!info.is_not_yet_valid_at(info.expires_at() + MAX_CLOCK_SKEW));
    // `now + MAX_CLOCK_SKEW` overflowing SystemTime is simply "later": no panic.
    let latest = UNIX_EPOCH + Duration::from_secs(i64::MAX as u64);
    assert!(latest.checked_add(MAX_CLOCK_SKEW).is_none());
    assert!(!info.is_not_yet_valid_at(latest));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any string: an answer, never a panic.
    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC*") {
        let _ = TokenInfo::parse(&s);
        let _ = TokenInfo::parse(&format!("bedrock-api-key-{s}"));
    }

    /// Any bytes behind the prefix, base64-encoded: an answer, never a panic.
    #[test]
    fn arbitrary_payloads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = TokenInfo::parse(&encode_token(&bytes));
    }

    /// Mutations of a valid URL (one byte replaced or removed): valid or a clean error.
    #[test]
    fn mutated_tokens_never_panic(at in 0usize..400, byte in any::<u8>(), remove in any::<bool>()) {
        let mut url = valid_url().into_bytes();
        let at = at % url.len();
        if remove { url.remove(at); } else { url[at] = byte; }
        if let Err(e) = TokenInfo::parse(&encode_token(&url)) {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidToken);
        }
    }

    /// What generate_token mints parses back to exactly its inputs.
    #[test]
    fn round_trip(
        akid in "[A-Z0-9]{16,32}|[A-Za-z0-9]{1,24}",
        session in proptest::option::of("[A-Za-z0-9+/=]{1,300}"),
        region in region_strategy(),
        expiry in 1u64..=43200,
        secs in 0u64..=253_402_300_799,
        nanos in 0u32..1_000_000_000,
    ) {
        let creds = Credentials::new(akid.clone(), SECRET, session.clone(), None, "prop");
        let now = UNIX_EPOCH + Duration::new(secs, nanos);
        let token = generate_token(&creds, &region, Duration::from_secs(expiry), now).unwrap();
        let info = TokenInfo::parse(token.as_str()).unwrap();
        prop_assert_eq!(info.region(), region.as_str());
        prop_assert_eq!(info.access_key_id(), akid.as_str());
        prop_assert_eq!(info.signed_at(), UNIX_EPOCH + Duration::from_secs(secs));
        prop_assert_eq!(info.expiry(), Duration::from_secs(expiry));
        prop_assert_eq!(info.has_session_token(), session.is_some());
        prop_assert_eq!(info.expires_at(), token.expires_at());
    }
}

/// The panic this crate once had: `X-Amz-Date` with the right byte length and `T`/`Z` in
/// place, but a multi-byte character across a field boundary.
#[test]
fn a_multi_byte_character_in_x_amz_date_is_an_error_not_a_panic() {
    let url = valid_url();
    let date = "20240615T120000Z";
    assert!(url.contains(date));
    for at in 0..date.len() - 1 {
        // Two bytes of the date replaced by one two-byte character: still 16 bytes.
        let bad = format!("{}é{}", &date[..at], &date[at + 2..]);
        assert_eq!(bad.len(), 16);
        let got = reason(&encode_token(url.replacen(date, &bad, 1).as_bytes()));
        assert!(got.contains("`X-Amz-Date` is not a valid"), "{bad}: {got}");
    }
}
