//! One Converse call with the real `aws-sdk-bedrockruntime` client, as the SDK, gateway
//! and CLI tests make it: the reply's text, or the error's service error as text.

use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
use aws_sdk_bedrockruntime::Client;

/// The model every Converse call names.
pub const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// Sends "Hello" to [`MODEL`]; the first text block of the answer.
pub async fn converse(client: &Client) -> Result<String, String> {
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("Hello".into()))
        .build()
        .unwrap();
    match client
        .converse()
        .model_id(MODEL)
        .messages(message)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .output()
            .and_then(|o| o.as_message().ok())
            .and_then(|m| m.content().first())
            .and_then(|c| c.as_text().ok())
            .cloned()
            .unwrap_or_default()),
        Err(e) => Err(format!("{:?}", e.into_service_error())),
    }
}
