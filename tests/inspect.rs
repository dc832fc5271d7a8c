//! TokenInfo, LongTermKeyInfo and KeyInfo: precise errors for every kind of malformed key,
//! and the fields they report. (tests/inspect_props.rs has the property tests: no panic on
//! arbitrary or mutated input, and exact round trips.)

mod support;

use std::time::{Duration, UNIX_EPOCH};

use aws_bedrock_token_generator::{
    generate_token, ErrorKind, KeyInfo, LongTermKeyInfo, TokenInfo, MAX_CLOCK_SKEW,
};
use base64::Engine as _;
use support::keys::{long_term_key, FAKE_ALIAS, FAKE_LONG_TERM_SECRET};
use support::sigv4::{decode_url, encode_token};
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

fn long_term(alias: &str) -> String {
    long_term_key(alias.as_bytes(), FAKE_LONG_TERM_SECRET.as_bytes())
}

fn long_term_reason(key: &str) -> String {
    let err = LongTermKeyInfo::parse(key).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(FAKE_LONG_TERM_SECRET), "{shown}");
    assert!(
        shown.starts_with("not a valid long-term Bedrock API key: "),
        "{shown}"
    );
    err.to_string()
}

#[test]
fn a_long_term_key_yields_its_alias_user_and_account() {
    let info = LongTermKeyInfo::parse(&long_term(FAKE_ALIAS)).unwrap();
    assert_eq!(info.alias(), FAKE_ALIAS);
    assert_eq!(info.user_name(), Some("BedrockAPIKey-EXAMPLE"));
    assert_eq!(info.account_id(), Some("123456789012"));
    // Surrounding whitespace is ignored, and padding is optional.
    let key = long_term(FAKE_ALIAS);
    assert_eq!(
        LongTermKeyInfo::parse(&format!("\t{key}\r\n")).unwrap(),
        info
    );
    let unpadded = format!(
        "ABSK{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{FAKE_ALIAS}:abcd"))
    );
    assert!(!unpadded.ends_with('='));
    assert!(long_term(FAKE_ALIAS).ends_with('='));
    assert_eq!(LongTermKeyInfo::parse(&unpadded).unwrap(), info);
    // Everything after the first `:` is the secret, colons included.
    let key = long_term_key(FAKE_ALIAS.as_bytes(), b"a:b:c");
    assert_eq!(LongTermKeyInfo::parse(&key).unwrap(), info);
}

#[test]
fn an_alias_without_an_account_id_is_kept_whole() {
    for alias in [
        "alice",
        "alice-at-12345678901",
        "alice-at-1234567890123",
        "alice-at-123456789012-x",
        "-at-123456789012",
        "a_b+c=d,e.f@g-h",
    ] {
        let info = LongTermKeyInfo::parse(&long_term(alias)).unwrap();
        assert_eq!(info.alias(), alias);
        assert_eq!(info.user_name(), None, "{alias}");
        assert_eq!(info.account_id(), None, "{alias}");
        assert_eq!(info.to_string(), format!("alias {alias}"));
    }
    let info = LongTermKeyInfo::parse(&long_term("bob-at-home-at-000000000000")).unwrap();
    assert_eq!(info.user_name(), Some("bob-at-home"));
    assert_eq!(info.account_id(), Some("000000000000"));
}

#[test]
fn each_long_term_defect_has_its_own_message() {
    let b64 = |raw: &[u8]| base64::engine::general_purpose::STANDARD.encode(raw);
    let cases: Vec<(String, &str)> = vec![
        (
            format!("absk{}", &long_term(FAKE_ALIAS)[4..]),
            "does not start with `ABSK`",
        ),
        ("ABSK".into(), "no `:` after the alias"),
        ("ABSK@@@@".into(), "not valid standard base64"),
        ("ABSKYWJj=".into(), "not valid standard base64"),
        (
            format!("ABSK{}", b64(FAKE_LONG_TERM_SECRET.as_bytes())),
            "no `:` after the alias",
        ),
        (
            format!(
                "ABSK{}",
                b64(format!(":{FAKE_LONG_TERM_SECRET}").as_bytes())
            ),
            "the alias before the `:` is empty",
        ),
        (
            long_term_key(FAKE_ALIAS.as_bytes(), b""),
            "the secret after the `:` is empty",
        ),
        (long_term(&"a".repeat(129)), "longer than 128 characters"),
    ];
    for (key, expected) in cases {
        let got = long_term_reason(&key);
        assert!(got.contains(expected), "expected {expected:?}, got {got:?}");
    }
    assert!(LongTermKeyInfo::parse(&long_term(&"a".repeat(128))).is_ok());
    // Nothing unprintable, nothing outside IAM's user-name characters.
    for alias in [
        "alice bob",
        "alice\r",
        "alice\u{1b}[31m",
        "alice\0",
        "\u{202e}alice",
        "alicé",
        "alice/x",
        "alice\"",
        "alice%0A",
    ] {
        let got = long_term_reason(&long_term(alias));
        assert!(
            got.contains("characters other than letters, digits and `_+=,.@-`"),
            "{alias:?}: {got}"
        );
    }
    let got = long_term_reason(&long_term_key(b"alice\xff\xfe", b"secret"));
    assert!(got.contains("characters other than"), "{got}");
}

#[test]
fn the_short_term_parser_points_long_term_keys_elsewhere() {
    let err = TokenInfo::parse(&format!(" {}", long_term(FAKE_ALIAS))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    assert_eq!(
        err.to_string(),
        "this is a long-term Bedrock API key (ABSK...), not a short-term one; \
         use KeyInfo::parse / LongTermKeyInfo::parse"
    );
}

#[test]
fn key_info_parses_either_kind_by_prefix() {
    let short = encode_token(valid_url().as_bytes());
    assert_eq!(
        KeyInfo::parse(&format!("{short}\n")).unwrap(),
        KeyInfo::ShortTerm(TokenInfo::parse(&short).unwrap())
    );
    let long = long_term(FAKE_ALIAS);
    assert_eq!(
        KeyInfo::parse(&format!("  {long}")).unwrap(),
        KeyInfo::LongTerm(LongTermKeyInfo::parse(&long).unwrap())
    );
    // Each kind's own errors come through.
    assert!(KeyInfo::parse("bedrock-api-key-@@")
        .unwrap_err()
        .to_string()
        .contains("padded base64"));
    assert!(KeyInfo::parse("ABSK@@")
        .unwrap_err()
        .to_string()
        .contains("long-term"));
    for neither in ["", "Bearer x", "AKIDEXAMPLE", "sk-abc"] {
        let err = KeyInfo::parse(neither).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidToken);
        assert_eq!(
            err.to_string(),
            "not a Bedrock API key: it starts with neither `bedrock-api-key-` (a short-term \
             key) nor `ABSK` (a long-term key)"
        );
    }
}

#[test]
fn debug_and_display_never_show_a_long_term_secret() {
    let info = LongTermKeyInfo::parse(&long_term(FAKE_ALIAS)).unwrap();
    let key = KeyInfo::LongTerm(info.clone());
    assert_eq!(
        info.to_string(),
        "alias BedrockAPIKey-EXAMPLE-at-123456789012, IAM user BedrockAPIKey-EXAMPLE, \
         account 123456789012"
    );
    assert_eq!(key.to_string(), format!("long-term key: {info}"));
    assert_eq!(
        format!("{info:?}"),
        "LongTermKeyInfo { alias: \"BedrockAPIKey-EXAMPLE-at-123456789012\", \
         user_name: Some(\"BedrockAPIKey-EXAMPLE\"), account_id: Some(\"123456789012\") }"
    );
    // The key text's tail encodes only secret bytes.
    let text = long_term(FAKE_ALIAS);
    let encoded_secret = &text[text.len() - 32..];
    for shown in [
        format!("{info:?}"),
        format!("{info:#?}"),
        format!("{info}"),
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{key}"),
    ] {
        assert!(!shown.contains(FAKE_LONG_TERM_SECRET), "{shown}");
        assert!(!shown.contains("EXAMPLELONGTERM"), "{shown}");
        assert!(!shown.contains(encoded_secret), "{shown}");
    }
    let short = KeyInfo::parse(&encode_token(valid_url().as_bytes())).unwrap();
    assert!(short
        .to_string()
        .starts_with("short-term key: region us-west-2, "));
}
