//! Calls an Amazon SageMaker AI real-time endpoint's OpenAI-compatible Chat Completions
//! API with a SageMaker AI key: `POST {runtime}/endpoints/{name}/openai/v1/chat/completions`
//! with `Authorization: Bearer sagemaker-api-key-…`, the request an OpenAI SDK sends when
//! you give it the key as `api_key` and the endpoint's base URL ("Invoke endpoints with
//! OpenAI-compatible APIs", Amazon SageMaker AI Developer Guide).
//!
//! ```sh
//! AWS_REGION=us-west-2 cargo run --example sagemaker_chat -- my-endpoint "Hello"
//! ```
//! The key's identity needs `sagemaker:CallWithBearerToken` and `sagemaker:InvokeEndpoint`
//! on the endpoint. Environment:
//! - `SAGEMAKER_RUNTIME_URL`: the runtime URL (default
//!   `https://runtime.sagemaker.<region>.amazonaws.com`, the key's region: a key is
//!   accepted only there).
//! - `SAGEMAKER_INFERENCE_COMPONENT`: an inference component of the endpoint to call.

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
    let mut args = std::env::args().skip(1);
    let endpoint = args
        .next()
        .ok_or("usage: sagemaker_chat ENDPOINT_NAME [PROMPT]")?;
    let prompt = args
        .next()
        .unwrap_or_else(|| "Say hello in one word.".to_owned());

    let provider = TokenProvider::builder()
        .service(Service::SageMaker)
        .build()?;
    let token = provider.token().await?;
    let region = common::region_of(&token)?;
    let runtime = match std::env::var("SAGEMAKER_RUNTIME_URL") {
        Ok(url) => url.trim_end_matches('/').to_owned(),
        Err(_) => Service::SageMaker
            .runtime_url(&region)
            .ok_or("no SageMaker AI runtime URL")?,
    };
    // The endpoint's name is part of the path; so is an inference component's.
    let mut path = Service::SageMaker
        .openai_path()
        .ok_or("no OpenAI-compatible path")?
        .replace("{endpoint}", &endpoint);
    if let Ok(component) = std::env::var("SAGEMAKER_INFERENCE_COMPONENT") {
        path = path.replace(
            "/openai/v1",
            &format!("/inference-components/{component}/openai/v1"),
        );
    }

    // The model field is passed through to the container; it may be left empty.
    let body = serde_json::json!({
        "model": "",
        "messages": [{ "role": "user", "content": prompt }]
    });
    let mut authorization = http::HeaderValue::try_from(format!("Bearer {}", token.as_str()))
        .map_err(|_| "the SageMaker AI key is not a valid header value")?;
    authorization.set_sensitive(true);
    let request = http::Request::post(format!("{runtime}{path}/chat/completions"))
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
                 identity call sagemaker:CallWithBearerToken and sagemaker:InvokeEndpoint on \
                 endpoint {endpoint}?)"
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
