//! No secret key, session token, signature or token text ever shows in `Debug`,
//! `Display` or error messages.

use crate::support;

use std::time::{Duration, UNIX_EPOCH};

use aws_bedrock_token_generator::{
    generate_token, Error, ErrorKind, Region, TokenInfo, TokenProvider,
};
use aws_credential_types::Credentials;
use aws_smithy_async::test_util::ManualTimeSource;
use support::sigv4::decode_url;
use support::*;

/// Everything that must never be printed, for a token minted with session credentials.
fn secrets(token_text: &str) -> Vec<String> {
    let decoded = decode_url(token_text);
    let signature = decoded
        .split('&')
        .find_map(|kv| kv.strip_prefix("X-Amz-Signature="))
        .unwrap()
        .to_owned();
    vec![
        SECRET.to_owned(),
        SESSION.to_owned(),
        // The encoded session token as it appears inside the URL.
        "FwoGZXIvYXdzEXAMPLESESSIONTOKEN".to_owned(),
        token_text.to_owned(),
        token_text["bedrock-api-key-".len()..][..40].to_owned(),
        signature,
    ]
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!text.contains(s.as_str()), "{what} leaks {s:?}: {text}");
    }
}

fn error_texts(e: &Error) -> String {
    let mut text = format!("{e} | {e:?} | {e:#?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(" | {s} | {s:?}"));
        source = s.source();
    }
    text
}

#[tokio::test(start_paused = true)]
async fn nothing_secret_in_debug_display_or_errors() {
    let creds = session_creds(None);
    let token = generate_token(&creds, "us-east-1", Duration::from_secs(900), start()).unwrap();
    let secrets = secrets(token.as_str());

    assert_clean(
        "BedrockToken Debug",
        &format!("{token:?} {token:#?}"),
        &secrets,
    );

    let clock = ManualTimeSource::new(start());
    let scripted = ScriptedCredentials::new(Next::Ok(creds.clone()));
    let provider = TokenProvider::builder()
        .region(Region::new("us-east-1"))
        .credentials_provider(scripted.clone())
        .time_source(clock.clone())
        .build()
        .unwrap();
    provider.token().await.unwrap();
    assert_clean(
        "TokenProvider Debug",
        &format!("{provider:?} {provider:#?}"),
        &secrets,
    );

    let info = TokenInfo::parse(token.as_str()).unwrap();
    assert_clean("TokenInfo", &format!("{info:?} {info:#?} {info}"), &secrets);

    // One error of every kind that can be provoked here.
    let mut errors: Vec<Error> = vec![
        generate_token(&creds, "us-east-1", Duration::ZERO, start()).unwrap_err(),
        generate_token(&creds, "US EAST", Duration::from_secs(1), start()).unwrap_err(),
        generate_token(
            &Credentials::new("", SECRET, Some(SESSION.into()), None, "t"),
            "us-east-1",
            Duration::from_secs(1),
            start(),
        )
        .unwrap_err(),
        generate_token(
            &session_creds(Some(start())),
            "us-east-1",
            Duration::from_secs(1),
            start(),
        )
        .unwrap_err(),
        generate_token(
            &creds,
            "us-east-1",
            Duration::from_secs(1),
            UNIX_EPOCH - Duration::from_secs(1),
        )
        .unwrap_err(),
        TokenProvider::builder()
            .profile_name("")
            .build()
            .unwrap_err(),
    ];
    // Parsing tampered tokens must not echo what it was given.
    let text = token.as_str();
    for bad in [
        text.replace("bedrock-api-key-", "bedrock-api-kez-"),
        format!("{text}!"),
        text[..text.len() - 8].to_owned(),
    ] {
        errors.push(TokenInfo::parse(&bad).unwrap_err());
    }
    for next in [Next::Fail, Next::NotLoaded, Next::Hang] {
        let provider = TokenProvider::builder()
            .region(Region::new("us-east-1"))
            .credentials_provider(ScriptedCredentials::new(next))
            .time_source(clock.clone())
            .load_timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        errors.push(provider.token().await.unwrap_err());
    }

    let kinds: std::collections::HashSet<ErrorKind> = errors.iter().map(Error::kind).collect();
    for kind in [
        ErrorKind::InvalidExpiry,
        ErrorKind::InvalidRegion,
        ErrorKind::InvalidCredentials,
        ErrorKind::CredentialsExpired,
        ErrorKind::InvalidSigningTime,
        ErrorKind::InvalidConfig,
        ErrorKind::InvalidToken,
        ErrorKind::CredentialsProvider,
        ErrorKind::NoCredentials,
        ErrorKind::CredentialsTimeout,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?} provoked");
    }
    for e in &errors {
        assert_clean(&format!("{:?}", e.kind()), &error_texts(e), &secrets);
    }
}
