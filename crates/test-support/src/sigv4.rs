//! aws-sigv4's general request presigner, as an independent reference for our tokens,
//! and helpers to take tokens apart.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use base64::Engine as _;

/// Presigns `POST https://bedrock.amazonaws.com/?Action=CallWithBearerToken` with
/// aws-sigv4; returns the signing parameters (raw, not percent-encoded) and the signature.
pub fn presign(
    creds: &Credentials,
    region: &str,
    expiry: Duration,
    time: SystemTime,
) -> (Vec<(String, String)>, String) {
    presign_for(
        "bedrock.amazonaws.com",
        "bedrock",
        creds,
        region,
        expiry,
        time,
    )
}

/// [`presign`] for another service's host and SigV4 name (Claude Platform on AWS:
/// `aws-external-anthropic.amazonaws.com`, `aws-external-anthropic`).
pub fn presign_for(
    host: &str,
    name: &str,
    creds: &Credentials,
    region: &str,
    expiry: Duration,
    time: SystemTime,
) -> (Vec<(String, String)>, String) {
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expiry);
    let identity = creds.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(name)
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("https://{host}/?Action=CallWithBearerToken");
    let request =
        SignableRequest::new("POST", &url, std::iter::empty(), SignableBody::Bytes(&[])).unwrap();
    let (instructions, signature) = sign(request, &params).unwrap().into_parts();
    let (_, query) = instructions.into_parts();
    let query = query
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_owned()))
        .collect();
    (query, signature)
}

/// The URL inside a token (`bedrock.amazonaws.com/?…&Version=1`). Panics on a bad token.
pub fn decode_url(token: &str) -> String {
    let b64 = token
        .strip_prefix("bedrock-api-key-")
        .or_else(|| token.strip_prefix("aws-external-anthropic-api-key-"))
        .or_else(|| token.strip_prefix("sagemaker-api-key-"))
        .expect("prefix");
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

/// A token made of arbitrary bytes as its URL.
pub fn encode_token(url: &[u8]) -> String {
    format!(
        "bedrock-api-key-{}",
        base64::engine::general_purpose::STANDARD.encode(url)
    )
}

/// Region names of the usual shape (`us-west-2`, `us-gov-east-1`, `eu-isoe-west-1`…).
pub fn region_strategy() -> impl proptest::strategy::Strategy<Value = String> {
    "[a-z]{2,4}(-[a-z]{3,9}){1,2}-[0-9]{1,2}"
}
