//! TokenInfo, LongTermKeyInfo and KeyInfo: precise errors for every kind of malformed key,
//! and the fields they report. (tests/keys/inspect_props.rs has the property tests: no panic on
//! arbitrary or mutated input, and exact round trips.)

use crate::support;

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
    // A suffix after the account id (IAM documents "a suffix containing version and
    // creation information"): user and account are still read (src/names.rs, one rule
    // with KeyMetadata and revoke).
    let info = LongTermKeyInfo::parse(&long_term("alice-at-123456789012-x")).unwrap();
    assert_eq!(info.user_name(), Some("alice"));
    assert_eq!(info.account_id(), Some("123456789012"));
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
        (long_term(&"a".repeat(201)), "longer than 200 characters"),
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
            "not an AWS API key: it starts with none of `bedrock-api-key-`, \
             `aws-external-anthropic-api-key-`, `sagemaker-api-key-` (short-term keys) and \
             `ABSK`, `AEAA` (long-term keys)"
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
        "LongTermKeyInfo { service: Bedrock, alias: \"BedrockAPIKey-EXAMPLE-at-123456789012\", \
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

#[test]
fn claude_platform_keys_of_both_kinds_parse_and_name_their_service() {
    use aws_bedrock_token_generator::{generate_service_token, Service};
    use support::keys::long_term_key_with;

    let creds = aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "test",
    );
    let now = UNIX_EPOCH + Duration::from_secs(1_718_452_800);
    let short = generate_service_token(
        Service::ClaudePlatform,
        &creds,
        "us-west-2",
        Duration::from_secs(900),
        now,
    )
    .unwrap();
    let info = TokenInfo::parse(short.as_str()).unwrap();
    assert_eq!(info.service(), Service::ClaudePlatform);
    assert_eq!(info.region(), "us-west-2");
    assert_eq!(info.signed_at(), now);
    assert_eq!(
        KeyInfo::parse(short.as_str()).unwrap().service(),
        Service::ClaudePlatform
    );

    let alias = "AeaApiKey-EXAMPLE-at-123456789012";
    let long = long_term_key_with("AEAA", alias.as_bytes(), FAKE_LONG_TERM_SECRET.as_bytes());
    let info = LongTermKeyInfo::parse(&long).unwrap();
    assert_eq!(info.service(), Service::ClaudePlatform);
    assert_eq!(info.alias(), alias);
    assert_eq!(info.user_name(), Some("AeaApiKey-EXAMPLE"));
    assert_eq!(info.account_id(), Some("123456789012"));
    let key = KeyInfo::parse(&long).unwrap();
    assert_eq!(key.service(), Service::ClaudePlatform);
    assert!(!format!("{info:?} {info} {key:?} {key}").contains(FAKE_LONG_TERM_SECRET));
    // Bedrock's long-term keys say Bedrock.
    assert_eq!(
        LongTermKeyInfo::parse(&long_term(FAKE_ALIAS))
            .unwrap()
            .service(),
        Service::Bedrock
    );

    // The short-term parser points a long-term Claude Platform key elsewhere.
    assert_eq!(
        TokenInfo::parse(&long).unwrap_err().to_string(),
        "this is a long-term Claude Platform on AWS API key (AEAA...), not a short-term \
         one; use KeyInfo::parse / LongTermKeyInfo::parse"
    );
    // A malformed Claude Platform key is named as one.
    let e = TokenInfo::parse("aws-external-anthropic-api-key-@@").unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a valid Claude Platform on AWS short-term API key: the text after \
         `aws-external-anthropic-api-key-` is not valid standard, padded base64"
    );
    let e = LongTermKeyInfo::parse("AEAA@@").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("not a valid long-term Claude Platform on AWS API key: "),
        "{e}"
    );
}

#[test]
fn a_bedrock_url_behind_the_claude_prefix_is_refused() {
    // Host and SigV4 name belong to the service of the prefix.
    let url = decode_url(&encode_token(valid_url().as_bytes()));
    let token = format!(
        "aws-external-anthropic-api-key-{}",
        base64::engine::general_purpose::STANDARD.encode(url)
    );
    let e = TokenInfo::parse(&token).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert!(
        e.to_string()
            .contains("not a presigned URL for host aws-external-anthropic.amazonaws.com"),
        "{e}"
    );
}

#[test]
fn unknown_prefixes_are_named_for_what_they_look_like() {
    use support::keys::long_term_key_with;

    for parse in [
        |k: &str| KeyInfo::parse(k).map(|_| ()),
        |k: &str| TokenInfo::parse(k).map(|_| ()),
    ] {
        let e = parse("bedrock-mantle-api-key-QUJD").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        assert_eq!(
            e.to_string(),
            "this looks like a short-term API key of another service \
             (`bedrock-mantle-api-key-...`), which this crate does not know; known: \
             `bedrock-api-key-`, `aws-external-anthropic-api-key-`, `sagemaker-api-key-`"
        );
    }
    let unknown = long_term_key_with(
        "ACWL",
        FAKE_ALIAS.as_bytes(),
        FAKE_LONG_TERM_SECRET.as_bytes(),
    );
    for e in [
        KeyInfo::parse(&unknown).unwrap_err(),
        LongTermKeyInfo::parse(&unknown).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        assert_eq!(
            e.to_string(),
            "this looks like a long-term API key of another service (`ACWL...`), which \
             this crate does not know; known: `ABSK`, `AEAA`"
        );
        assert!(!format!("{e:?}").contains(FAKE_LONG_TERM_SECRET));
    }
    // A prefix that is not a plain name is not echoed.
    let e = KeyInfo::parse("EVIL\u{202e}-api-key-x").unwrap_err();
    assert!(e.to_string().starts_with("not an AWS API key"), "{e}");
}
