//! Calls Amazon Bedrock's OpenAI-compatible Chat Completions API with a Bedrock API key as
//! the OpenAI API key: `POST {base}/chat/completions` with `Authorization: Bearer <key>`,
//! the request an OpenAI SDK sends when you give it the key as `api_key` and Bedrock's
//! base URL.
//!
//! ```sh
//! AWS_REGION=us-west-2 cargo run --example openai_compatible -- "Hello"
//! ```
//! Environment:
//! - `BEDROCK_OPENAI_BASE_URL`: the base URL (default
//!   `https://bedrock-runtime.<region>.amazonaws.com/openai/v1`). The Mantle endpoint is
//!   `https://bedrock-mantle.<region>.api.aws/v1` (some models are served under
//!   `/openai/v1` there instead). The key is accepted only in the region it was minted for.
//!   Deliberately not `OPENAI_BASE_URL`: a shell where that points at another provider
//!   would otherwise get your Bedrock key.
//! - `BEDROCK_OPENAI_MODEL`: the model (default `openai.gpt-oss-20b-1:0`; model ids on
//!   Mantle differ, for example `openai.gpt-oss-20b`).

mod common;

use aws_bedrock_token_generator::TokenProvider;
use common::BoxError;
use http_body_util::Full;
use hyper::body::Bytes;

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
    let model = std::env::var("BEDROCK_OPENAI_MODEL")
        .unwrap_or_else(|_| "openai.gpt-oss-20b-1:0".to_owned());

    let provider = TokenProvider::builder().build()?;
    let token = provider.token().await?;
    let region = common::region_of(&token)?;
    let base_url = match std::env::var("BEDROCK_OPENAI_BASE_URL") {
        Ok(url) => url.trim_end_matches('/').to_owned(),
        Err(_) => format!("https://bedrock-runtime.{region}.amazonaws.com/openai/v1"),
    };

    let body = serde_json::json!({
        "model": model,
        "messages": [{ "role": "user", "content": prompt }]
    });
    let mut authorization = http::HeaderValue::try_from(format!("Bearer {}", token.as_str()))
        .map_err(|_| "the Bedrock API key is not a valid header value")?;
    authorization.set_sensitive(true);
    let request = http::Request::post(format!("{base_url}/chat/completions"))
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::AUTHORIZATION, authorization)
        .body(Full::new(Bytes::from(body.to_string())))?;

    let client = common::https_client()?;
    let (status, json) = common::send(&client, request).await?;
    if !status.is_success() {
        let message = json["error"]["message"]
            .as_str()
            .or(json["message"].as_str())
            .unwrap_or("(no message)");
        let hint = match status.as_u16() {
            401 | 403 => format!(
                " (the key is for {region}: is the endpoint in {region}, and may the key's \
                 identity call bedrock:CallWithBearerToken and bedrock:InvokeModel, or on \
                 Mantle bedrock-mantle:CallWithBearerToken and bedrock-mantle:CreateInference, \
                 for model {model}?)"
            ),
            _ => String::new(),
        };
        return Err(format!("the endpoint answered {status}: {message}{hint}").into());
    }
    match json["choices"][0]["message"]["content"].as_str() {
        Some(text) => println!("{text}"),
        None => println!("{json}"),
    }
    Ok(())
}
