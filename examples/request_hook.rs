//! Sets `Authorization: Bearer <Bedrock API key>` on each request from synchronous code:
//! a request hook, the shape HTTP clients and middleware stacks call without `.await`.
//!
//! [`TokenProvider::keep_fresh`] runs a Tokio task that keeps a fresh key cached, and the
//! hook reads it with [`TokenProvider::cached`]: no I/O, no lock, no waiting. The hook works
//! on an [`http::HeaderMap`], so it fits wherever you can edit a request's headers before
//! it is sent:
//!
//! - `http::Request` (hyper, as here): `hook.apply(request.headers_mut())`;
//! - reqwest: build the request, `hook.apply(request.headers_mut())`, then
//!   `client.execute(request)`;
//! - tower: a `map_request` layer, or a `filter` predicate to fail the call when no key
//!   is cached.
//!
//! ```sh
//! AWS_REGION=us-east-1 cargo run --example request_hook -- "Hello" "Say it in French"
//! ```
//! Each argument is sent as its own Converse request. Environment:
//! - `BEDROCK_MODEL_ID`: model or inference profile (default `us.anthropic.claude-3-5-haiku-20241022-v1:0`)
//! - `BEDROCK_ENDPOINT`: endpoint URL, e.g. `http://127.0.0.1:8080` for a local stand-in
//!   (default `https://bedrock-runtime.<region>.amazonaws.com`)

mod common;

use std::fmt;

use aws_bedrock_token_generator::TokenProvider;
use common::BoxError;

/// Puts the provider's cached key in the `authorization` header. Synchronous and cheap
/// (an atomic load): call it on every request.
#[derive(Clone)]
struct BearerHook {
    provider: TokenProvider,
}

impl BearerHook {
    fn apply(&self, headers: &mut http::HeaderMap) -> Result<(), HookError> {
        let token = self.provider.cached().ok_or(HookError::NoUsableKey)?;
        let mut value = http::HeaderValue::try_from(format!("Bearer {}", token.as_str()))
            .map_err(|_| HookError::NotAHeaderValue)?;
        // Kept out of `Debug` output and out of HTTP/2 header compression tables.
        value.set_sensitive(true);
        headers.insert(http::header::AUTHORIZATION, value);
        Ok(())
    }
}

/// Why the hook could not authorize a request. Never carries the key.
#[derive(Debug)]
enum HookError {
    NoUsableKey,
    NotAHeaderValue,
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HookError::NoUsableKey => {
                "no usable Bedrock API key is cached: keep_fresh() has not minted one yet or \
                 cannot load credentials (it retries with backoff). Await provider.token() \
                 once at start-up to wait for the first key and see why it fails, and retry \
                 this request later"
            }
            HookError::NotAHeaderValue => "the Bedrock API key is not a valid header value",
        })
    }
}

impl std::error::Error for HookError {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        common::exit_with(e);
    }
}

async fn run() -> Result<(), BoxError> {
    let mut prompts: Vec<String> = std::env::args().skip(1).collect();
    if prompts.is_empty() {
        prompts.push("Say hello in one word.".to_owned());
    }

    let provider = TokenProvider::builder().build()?;
    // Keeps cached() supplied until `_refresher` is dropped (at the end of `run`).
    let _refresher = provider.keep_fresh()?;
    // Optional: wait for the first key, so a missing region or credentials fails here
    // with its own message rather than as "no usable key" on the first request.
    let first = provider.token().await?;
    let endpoint = common::runtime_endpoint(&first)?;
    drop(first);

    let hook = BearerHook {
        provider: provider.clone(),
    };
    let client = common::https_client()?;
    let model_id = common::converse_model_id();
    for prompt in &prompts {
        let mut request = common::converse_request(&endpoint, &model_id, prompt)?;
        hook.apply(request.headers_mut())?;
        let (status, json) = common::send(&client, request).await?;
        println!("{}", common::converse_text(status, &json)?);
    }
    Ok(())
}
