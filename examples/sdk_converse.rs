//! A Converse call through `aws-sdk-bedrockruntime`, authenticated with a Bedrock API key
//! from `TokenProvider` (cached and refreshed for the life of the client).
//!
//! ```sh
//! AWS_REGION=us-east-1 cargo run --example sdk_converse -- "Hello, Bedrock"
//! ```
//! Environment:
//! - `BEDROCK_MODEL_ID`: model or inference profile (default `us.anthropic.claude-3-5-haiku-20241022-v1:0`)
//! - `BEDROCK_ENDPOINT`: endpoint URL override, e.g. `http://127.0.0.1:8080` for a local stand-in

use aws_bedrock_token_generator::{prefer_bearer_auth, TokenProvider};
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        let mut source = e.source();
        while let Some(s) = source {
            eprintln!("  caused by: {s}");
            source = s.source();
        }
        std::process::exit(1);
    }
}

async fn run() -> Result<(), BoxError> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Say hello in one word.".to_owned());
    let model_id = std::env::var("BEDROCK_MODEL_ID")
        .unwrap_or_else(|_| "us.anthropic.claude-3-5-haiku-20241022-v1:0".to_owned());

    // One SdkConfig for region, credentials, clock and sleep; the provider mints from it.
    let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let provider = TokenProvider::builder().configure(&sdk_config).build()?;

    let mut config = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config)
        .token_provider(provider)
        // Without this the client signs with SigV4, since it has credentials.
        .auth_scheme_preference(prefer_bearer_auth());
    if let Ok(endpoint) = std::env::var("BEDROCK_ENDPOINT") {
        config = config.endpoint_url(endpoint);
    }
    let client = aws_sdk_bedrockruntime::Client::from_conf(config.build());

    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(prompt))
        .build()?;
    let output = client
        .converse()
        .model_id(model_id)
        .messages(message)
        .send()
        .await
        .map_err(|e| e.into_service_error())?;
    let text = output
        .output()
        .and_then(|o| o.as_message().ok())
        .and_then(|m| m.content().first())
        .and_then(|c| c.as_text().ok());
    println!(
        "{}",
        text.map_or("(no text in the response)", String::as_str)
    );
    Ok(())
}
