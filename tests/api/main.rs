//! The root crate's public API, as outside code compiles against it: every name the
//! workspace split promised to keep (`generate_token`, `generate_service_token`,
//! `provide_token`, `provide_service_token`, `TokenProvider` and its builder,
//! `TokenInfo`, `LongTermKeyInfo`, `KeyInfo`, `BedrockToken`, `Service`, `Region`,
//! `ModelPolicy`, `SessionPolicy`, `prefer_bearer_auth`, `Error`, `ErrorKind`,
//! `MAX_CLOCK_SKEW`), with the signatures programs call them by. It compiles, and a
//! key goes through it offline.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_bedrock_token_generator::{
    generate_service_token, generate_token, prefer_bearer_auth, BedrockToken, Error, ErrorKind,
    KeyInfo, LongTermKeyInfo, Region, Service, TokenInfo, TokenProvider, TokenProviderBuilder,
    MAX_CLOCK_SKEW,
};
// Feature `default-chain` (on by default).
#[cfg(feature = "default-chain")]
use aws_bedrock_token_generator::{
    provide_service_token, provide_token, ModelPolicy, SessionPolicy,
};
use aws_credential_types::Credentials;

// The free functions, by their signatures.
const _: fn(&Credentials, &str, Duration, SystemTime) -> Result<BedrockToken, Error> =
    generate_token;
const _: fn(Service, &Credentials, &str, Duration, SystemTime) -> Result<BedrockToken, Error> =
    generate_service_token;
const _: Duration = MAX_CLOCK_SKEW;

#[cfg(feature = "default-chain")]
#[allow(dead_code)]
async fn the_default_chain_one_liners() -> Result<(BedrockToken, BedrockToken), Error> {
    Ok((
        provide_token().await?,
        provide_service_token(Service::SageMaker).await?,
    ))
}

#[allow(dead_code)]
fn a_provider_as_programs_build_one() -> Result<TokenProvider, Error> {
    let builder: TokenProviderBuilder = TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .service(Service::Bedrock)
        .expiry(Duration::from_secs(3600));
    builder.build()
}

#[cfg(feature = "default-chain")]
#[allow(dead_code)]
fn a_scoped_provider_as_programs_build_one() -> Result<TokenProvider, Error> {
    let builder: TokenProviderBuilder = TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .assume_role("arn:aws:iam::123456789012:role/bedrock-sandbox")
        .session_policy(SessionPolicy::from(ModelPolicy::new([
            "anthropic.claude-3-haiku-20240307-v1:0",
        ])));
    builder.build()
}

#[test]
fn a_key_goes_through_the_kept_names() {
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "api",
    );
    let now = UNIX_EPOCH + Duration::from_secs(1_718_452_800);
    let key = generate_token(&creds, "us-west-2", Duration::from_secs(900), now).unwrap();
    assert_eq!(key.service(), Service::Bedrock);
    assert_eq!(key.region().as_ref(), "us-west-2");
    let info = TokenInfo::parse(key.as_str()).unwrap();
    assert_eq!(info.region(), "us-west-2");
    assert!(matches!(
        KeyInfo::parse(key.as_str()),
        Ok(KeyInfo::ShortTerm(_))
    ));
    let e = LongTermKeyInfo::parse("not a key").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    let _ = prefer_bearer_auth();
}
