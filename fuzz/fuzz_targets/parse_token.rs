//! The key parsers (`TokenInfo`, `LongTermKeyInfo`, `KeyInfo`) on hostile input: they must
//! return, never panic; anything they accept must describe itself consistently, with only
//! printable ASCII in its fields; a long-term key's secret must never show.
//!
//! Raw bytes rarely get past base64 and the URL prefix, so the input also drives
//! structural mutations of a VALID key: a token minted by `generate_token`, then changed
//! parameter by parameter (the same mutations as tests/keys/inspect_props.rs, from
//! tests/support/keys.rs), and a long-term key with a fuzzed alias.
//!
//! `cargo fuzz run parse_token` (needs a nightly compiler, or RUSTC_BOOTSTRAP=1).
#![no_main]

use std::time::{Duration, SystemTime};

use aws_bedrock_token_generator::{
    generate_token, ErrorKind, KeyInfo, LongTermKeyInfo, TokenInfo, MAX_EXPIRY,
};
use aws_credential_types::Credentials;
use base64::Engine as _;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/keys.rs"]
#[allow(dead_code)]
mod keys;

use keys::{long_term_key, printable_ascii, Mutation, TokenUrl, FAKE_LONG_TERM_SECRET};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check_short_term(text);
        check_long_term(text);
    }
    // The bytes as the decoded URL, and as a long-term key's `<alias>:<secret>`.
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    // Behind every known prefix (Amazon Bedrock, Claude Platform on AWS).
    for prefix in ["bedrock-api-key-", "aws-external-anthropic-api-key-"] {
        check_short_term(&format!("{prefix}{encoded}"));
    }
    for prefix in ["ABSK", "AEAA"] {
        check_long_term(&format!("{prefix}{encoded}"));
    }

    let mut u = Unstructured::new(data);
    let _ = mutated_token(&mut u).map(|token| check_short_term(&token));
    let _ = mutated_long_term_key(&mut u).map(|key| check_long_term(&key));
});

/// A token minted from fuzzed but valid inputs, then changed by 1 to 4 mutations.
fn mutated_token(u: &mut Unstructured) -> Result<String> {
    let akid: String = u.arbitrary::<String>()?;
    let akid: String = akid.chars().filter(char::is_ascii_alphanumeric).collect();
    let akid = if akid.is_empty() {
        "AKIDEXAMPLE".into()
    } else {
        akid
    };
    let session = u
        .arbitrary::<bool>()?
        .then_some("FwoGZXIvYXdzEXAMPLESESSIONTOKEN+abc/def==".to_owned());
    let creds = Credentials::new(
        akid,
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session,
        None,
        "fuzz",
    );
    let region = *u.choose(&["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"])?;
    let expiry = Duration::from_secs(u.int_in_range(1..=MAX_EXPIRY.as_secs())?);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(u.int_in_range(0..=253_402_300_799)?);
    let token = generate_token(&creds, region, expiry, now).expect("valid inputs");
    let url = base64::engine::general_purpose::STANDARD
        .decode(
            token
                .as_str()
                .strip_prefix("bedrock-api-key-")
                .expect("prefix"),
        )
        .expect("a minted token is base64");
    let mut url = TokenUrl::split(std::str::from_utf8(&url).expect("a minted URL is UTF-8"));
    for _ in 0..u.int_in_range(1..=4)? {
        url.mutate(&mutation(u)?);
    }
    Ok(url.to_token())
}

fn mutation(u: &mut Unstructured) -> Result<Mutation> {
    let i = u.int_in_range(0..=15)?;
    Ok(match u.int_in_range(0..=7)? {
        0 => Mutation::SetValue(i, u.arbitrary()?),
        1 => Mutation::SetName(i, u.arbitrary()?),
        2 => Mutation::Splice(i, u.arbitrary()?, u.arbitrary()?),
        3 => Mutation::PercentEncodeAll(i),
        4 => Mutation::Repeat(i, u.int_in_range(0..=3000)?),
        5 => Mutation::Duplicate(i),
        6 => Mutation::Drop(i),
        _ => Mutation::Swap(i, u.int_in_range(0..=15)?),
    })
}

/// A long-term key with a fuzzed alias and the fake secret.
fn mutated_long_term_key(u: &mut Unstructured) -> Result<String> {
    let alias: Vec<u8> = u.arbitrary()?;
    Ok(long_term_key(&alias, FAKE_LONG_TERM_SECRET.as_bytes()))
}

fn check_short_term(token: &str) {
    match TokenInfo::parse(token) {
        Ok(info) => {
            assert!(!info.region().is_empty());
            assert!(info.region().bytes().all(|b| b.is_ascii_graphic()));
            assert!(!info.access_key_id().is_empty());
            assert!(info
                .access_key_id()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric()));
            assert!((1..=MAX_EXPIRY.as_secs()).contains(&info.expiry().as_secs()));
            assert!(info.expires_at() > info.signed_at());
            assert!(printable_ascii(&info.to_string()));
            let either = KeyInfo::parse(token).expect("KeyInfo agrees");
            assert_eq!(either, KeyInfo::ShortTerm(info));
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidToken);
            assert!(!e.to_string().chars().any(char::is_control));
        }
    }
}

fn check_long_term(key: &str) {
    let shown = match LongTermKeyInfo::parse(key) {
        Ok(info) => {
            assert!(!info.alias().is_empty() && info.alias().len() <= 128);
            assert!(printable_ascii(info.alias()) && !info.alias().contains(' '));
            assert_eq!(info.user_name().is_some(), info.account_id().is_some());
            let either = KeyInfo::parse(key).expect("KeyInfo agrees");
            assert_eq!(either, KeyInfo::LongTerm(info.clone()));
            format!("{info} {info:?} {either} {either:?}")
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidToken);
            format!("{e} {e:?}")
        }
    };
    assert!(printable_ascii(&shown));
    assert!(!shown.contains(FAKE_LONG_TERM_SECRET));
}
