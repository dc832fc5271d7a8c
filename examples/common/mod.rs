//! Plumbing shared by the examples that call Bedrock over plain HTTPS: the HTTP client,
//! the endpoint, the Converse body. What concerns the key (getting it, putting it in a
//! header) is in each example.
#![allow(dead_code)] // each example uses a different part

use aws_bedrock_token_generator::{BedrockToken, TokenInfo};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Body = Full<Bytes>;
pub type HttpsClient = Client<HttpsConnector<HttpConnector>, Body>;

/// Prints an error with its causes (hyper's say only "client error (Connect)" without
/// them) and exits with status 1.
pub fn exit_with(error: BoxError) -> ! {
    let mut text = format!("error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    eprintln!("{text}");
    std::process::exit(1);
}

/// A hyper client for `https://` (with the system's root certificates) and, for local
/// stand-ins, `http://`.
pub fn https_client() -> Result<HttpsClient, BoxError> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

/// The region a key was minted for, read back from its credential scope (not secret).
pub fn region_of(token: &BedrockToken) -> Result<String, BoxError> {
    Ok(TokenInfo::parse(token.as_str())?.region().to_owned())
}

/// `BEDROCK_ENDPOINT`, or the Bedrock Runtime endpoint of the key's region (a key is
/// accepted only in the region it was minted for).
pub fn runtime_endpoint(token: &BedrockToken) -> Result<String, BoxError> {
    match std::env::var("BEDROCK_ENDPOINT") {
        Ok(endpoint) => Ok(endpoint.trim_end_matches('/').to_owned()),
        Err(_) => Ok(format!(
            "https://bedrock-runtime.{}.amazonaws.com",
            region_of(token)?
        )),
    }
}

/// `BEDROCK_MODEL_ID`, or a small model available in most regions.
pub fn converse_model_id() -> String {
    std::env::var("BEDROCK_MODEL_ID")
        .unwrap_or_else(|_| "us.anthropic.claude-3-5-haiku-20241022-v1:0".to_owned())
}

/// A Converse request for `prompt`, without authorization: the caller adds it.
pub fn converse_request(
    endpoint: &str,
    model_id: &str,
    prompt: &str,
) -> Result<http::Request<Body>, BoxError> {
    let body = serde_json::json!({
        "messages": [{ "role": "user", "content": [{ "text": prompt }] }]
    });
    Ok(http::Request::post(format!(
        "{endpoint}/model/{}/converse",
        percent_encode_path_segment(model_id)
    ))
    .header(http::header::CONTENT_TYPE, "application/json")
    .body(Full::new(Bytes::from(body.to_string())))?)
}

/// Sends `request` and reads the JSON answer (`null` if the body is not JSON).
pub async fn send(
    client: &HttpsClient,
    request: http::Request<Body>,
) -> Result<(http::StatusCode, serde_json::Value), BoxError> {
    let response = client.request(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((status, serde_json::from_slice(&bytes).unwrap_or_default()))
}

/// The model's text from a Converse answer, or an error that says what Bedrock said.
pub fn converse_text(
    status: http::StatusCode,
    json: &serde_json::Value,
) -> Result<String, BoxError> {
    if !status.is_success() {
        return Err(format!(
            "Bedrock answered {status}: {}{}",
            json["message"].as_str().unwrap_or("(no message)"),
            if status == http::StatusCode::FORBIDDEN {
                " (is the key for this endpoint's region, and may its identity call \
                 bedrock:CallWithBearerToken and bedrock:InvokeModel on this model?)"
            } else {
                ""
            }
        )
        .into());
    }
    match json["output"]["message"]["content"][0]["text"].as_str() {
        Some(text) => Ok(text.to_owned()),
        None => Ok(json.to_string()),
    }
}

/// Model ids contain `:` (and inference profile ARNs `/`), which must be escaped in a path.
fn percent_encode_path_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
