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

mod common;

use aws_bedrock_token_generator::TokenProvider;
use common::BoxError;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        common::exit_with(e);
    }
}

async fn run() -> Result<(), BoxError> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Say hello in one word.".to_owned());

    let provider = TokenProvider::builder().build()?;
    let token = provider.token().await?;
    let endpoint = common::runtime_endpoint(&token)?;
    let mut request = common::converse_request(&endpoint, &common::converse_model_id(), &prompt)?;
    request.headers_mut().insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::try_from(format!("Bearer {}", token.as_str()))?,
    );
    let (status, json) = common::send(&common::https_client()?, request).await?;
    println!("{}", common::converse_text(status, &json)?);
    Ok(())
}
