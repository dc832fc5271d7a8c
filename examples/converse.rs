//! Mints a Bedrock API key and sends a Bedrock Runtime Converse request with it as the
//! bearer token, the way the AWS documentation's Python example does with `requests`.
//!
//! ```sh
//! AWS_REGION=us-east-1 cargo run --example converse -- "Hello, Bedrock"
//! ```
//! Environment:
//! - `BEDROCK_MODEL_ID`: model or inference profile (default `us.anthropic.claude-3-5-haiku-20241022-v1:0`)
//! - `BEDROCK_ENDPOINT`: endpoint URL, e.g. `http://127.0.0.1:8080` for a local stand-in
//!   (default `https://bedrock-runtime.<region>.amazonaws.com`)

use aws_bedrock_token_generator::TokenProvider;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), BoxError> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Say hello in one word.".to_owned());
    let model_id = std::env::var("BEDROCK_MODEL_ID")
        .unwrap_or_else(|_| "us.anthropic.claude-3-5-haiku-20241022-v1:0".to_owned());

    let provider = TokenProvider::builder().build()?;
    let token = provider.token().await?;
    let endpoint = match std::env::var("BEDROCK_ENDPOINT") {
        Ok(endpoint) => endpoint,
        Err(_) => format!(
            "https://bedrock-runtime.{}.amazonaws.com",
            region_of(token.as_str())?
        ),
    };

    let body = serde_json::json!({
        "messages": [{ "role": "user", "content": [{ "text": prompt }] }]
    });
    let request = http::Request::post(format!(
        "{}/model/{}/converse",
        endpoint.trim_end_matches('/'),
        percent_encode_path_segment(&model_id)
    ))
    .header("content-type", "application/json")
    .header("authorization", format!("Bearer {}", token.as_str()))
    .body(Full::new(Bytes::from(body.to_string())))?;

    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .build();
    let client = Client::builder(TokioExecutor::new()).build(https);
    let response = client.request(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if !status.is_success() {
        return Err(format!("Bedrock answered {status}: {}", json["message"]).into());
    }
    match json["output"]["message"]["content"][0]["text"].as_str() {
        Some(text) => println!("{text}"),
        None => println!("{json}"),
    }
    Ok(())
}

/// The region a token was minted for, read back from its credential scope.
fn region_of(token: &str) -> Result<String, BoxError> {
    let info = aws_bedrock_token_generator::TokenInfo::parse(token)?;
    Ok(info.region().to_owned())
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
