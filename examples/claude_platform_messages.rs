//! Mints a short-term Claude Platform on AWS API key and sends a Messages request with it
//! as the bearer token (Claude Platform on AWS User Guide, Authentication: the key is
//! presented as a bearer token against `https://aws-external-anthropic.<region>.api.aws`).
//!
//! ```sh
//! AWS_REGION=us-west-2 ANTHROPIC_AWS_WORKSPACE_ID=wrkspc_... \
//!     cargo run --example claude_platform_messages -- "Hello, Claude"
//! ```
//! Environment:
//! - `ANTHROPIC_AWS_WORKSPACE_ID` (required): the workspace, sent as `anthropic-workspace-id`
//! - `ANTHROPIC_MODEL`: the model (default `claude-sonnet-4-5`)
//! - `ANTHROPIC_AWS_BASE_URL`: endpoint URL, e.g. `http://127.0.0.1:8080` for a local
//!   stand-in (default `https://aws-external-anthropic.<region>.api.aws`)

mod common;

use aws_bedrock_token_generator::{Service, TokenProvider};
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
    let workspace = std::env::var("ANTHROPIC_AWS_WORKSPACE_ID")
        .map_err(|_| "set ANTHROPIC_AWS_WORKSPACE_ID to your Claude Platform workspace id")?;
    let model = std::env::var("ANTHROPIC_MODEL").unwrap_or_else(|_| "claude-sonnet-4-5".into());

    // One provider mints for one service: here Claude Platform on AWS.
    let provider = TokenProvider::builder()
        .service(Service::ClaudePlatform)
        .build()?;
    let key = provider.token().await?;
    let endpoint = match std::env::var("ANTHROPIC_AWS_BASE_URL") {
        Ok(url) => url.trim_end_matches('/').to_owned(),
        // A key is accepted only in the region it was minted for.
        Err(_) => format!(
            "https://aws-external-anthropic.{}.api.aws",
            common::region_of(&key)?
        ),
    };
    let body = serde_json::json!({
        "model": model,
        "max_tokens": 256,
        "messages": [{ "role": "user", "content": prompt }],
    });
    let request = http::Request::post(format!("{endpoint}/v1/messages"))
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-workspace-id", workspace)
        .header(
            http::header::AUTHORIZATION,
            http::HeaderValue::try_from(format!("Bearer {}", key.as_str()))?,
        )
        .body(Full::new(Bytes::from(body.to_string())))?;
    let (status, json) = common::send(&common::https_client()?, request).await?;
    if !status.is_success() {
        return Err(format!(
            "Claude Platform on AWS answered {status}: {}",
            json["error"]["message"]
                .as_str()
                .or(json["message"].as_str())
                .unwrap_or("(no message)")
        )
        .into());
    }
    match json["content"][0]["text"].as_str() {
        Some(text) => println!("{text}"),
        None => println!("{json}"),
    }
    Ok(())
}
