//! A gRPC interceptor that puts `authorization: Bearer <Bedrock API key>` in each call's
//! metadata, in the shape of tonic's `Interceptor` (without depending on tonic).
//!
//! tonic calls interceptors synchronously, `fn call(&mut self, Request<()>) ->
//! Result<Request<()>, Status>`, so they cannot `.await` a token.
//! [`TokenProvider::keep_fresh`] keeps a fresh key cached by a Tokio task, and the
//! interceptor reads it with [`TokenProvider::cached`] (no I/O, no lock). With tonic the
//! same code is
//!
//! ```text
//! impl tonic::service::Interceptor for BedrockAuth {
//!     fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
//!         let token = self.provider.cached().ok_or_else(|| tonic::Status::unauthenticated(NO_KEY))?;
//!         let value = format!("Bearer {}", token.as_str()).parse()
//!             .map_err(|_| tonic::Status::internal("the key is not valid metadata"))?;
//!         request.metadata_mut().insert("authorization", value);
//!         Ok(request)
//!     }
//! }
//! // MyServiceClient::with_interceptor(channel, BedrockAuth { provider })
//! ```
//!
//! Bedrock itself has no gRPC API: this is for gRPC services of your own that pass the key
//! on to Bedrock (a gateway, an agent runtime). To show that the key works, this example's
//! stand-in for a gRPC channel forwards each intercepted call to Bedrock Runtime's
//! Converse API with the call's `authorization` metadata. It prints only facts that are
//! not secret: the key's region and expiry, never the key.
//!
//! ```sh
//! AWS_REGION=us-east-1 cargo run --example grpc_interceptor -- "Hello" "Say it in French"
//! ```
//! Each argument is one call (default: three). Environment as for `examples/converse.rs`:
//! `BEDROCK_MODEL_ID`, `BEDROCK_ENDPOINT`.

mod common;

use aws_bedrock_token_generator::{TokenInfo, TokenProvider};
use common::BoxError;
use time::format_description::well_known::Rfc3339;

/// The few types of a gRPC library this example needs (tonic has them all).
mod grpc {
    /// A call as an interceptor sees it (tonic: `Request<()>`, the call without its
    /// message): its metadata, HTTP/2 headers with lower-case names.
    #[derive(Default)]
    pub struct Request {
        pub metadata: http::HeaderMap,
    }

    /// The subset of gRPC status codes used here.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Code {
        Unauthenticated,
        Internal,
    }

    /// A failed call: code and message (`tonic::Status`).
    #[derive(Debug)]
    pub struct Status {
        pub code: Code,
        pub message: String,
    }

    impl Status {
        pub fn unauthenticated(message: impl Into<String>) -> Self {
            Self {
                code: Code::Unauthenticated,
                message: message.into(),
            }
        }
        pub fn internal(message: impl Into<String>) -> Self {
            Self {
                code: Code::Internal,
                message: message.into(),
            }
        }
    }

    impl std::fmt::Display for Status {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}: {}", self.code, self.message)
        }
    }

    impl std::error::Error for Status {}

    /// `tonic::service::Interceptor`: runs on every call, synchronously.
    pub trait Interceptor {
        fn call(&mut self, request: Request) -> Result<Request, Status>;
    }
}

use grpc::{Interceptor, Request, Status};

const NO_KEY: &str = "no usable Bedrock API key is cached: keep_fresh() has not minted one \
                      yet or cannot load credentials (it retries with backoff); await \
                      provider.token() once at start-up to wait for it and see why it fails";

/// Adds the provider's cached key to each call.
#[derive(Clone)]
struct BedrockAuth {
    provider: TokenProvider,
}

impl Interceptor for BedrockAuth {
    fn call(&mut self, mut request: Request) -> Result<Request, Status> {
        let token = self
            .provider
            .cached()
            .ok_or_else(|| Status::unauthenticated(NO_KEY))?;
        let mut value = http::HeaderValue::try_from(format!("Bearer {}", token.as_str()))
            .map_err(|_| Status::internal("the Bedrock API key is not valid metadata"))?;
        value.set_sensitive(true);
        request.metadata.insert(http::header::AUTHORIZATION, value);
        Ok(request)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        common::exit_with(e);
    }
}

async fn run() -> Result<(), BoxError> {
    let mut prompts: Vec<String> = std::env::args().skip(1).collect();
    if prompts.is_empty() {
        prompts = ["Hello", "How are you?", "Goodbye"]
            .map(String::from)
            .to_vec();
    }

    let provider = TokenProvider::builder().build()?;
    let mut auth = BedrockAuth {
        provider: provider.clone(),
    };

    // Nothing is cached until a key has been minted: the interceptor fails the call
    // (tonic would return the status to the caller) instead of waiting.
    if let Err(status) = auth.call(Request::default()) {
        println!("before keep_fresh: call refused, {:?}", status.code);
    }

    let _refresher = provider.keep_fresh()?;
    let first = provider.token().await?; // wait for the first key once; fail fast
    let endpoint = common::runtime_endpoint(&first)?;
    drop(first);

    let client = common::https_client()?;
    let model_id = common::converse_model_id();
    for (n, prompt) in prompts.iter().enumerate() {
        let call = auth.call(Request::default())?;
        println!("call {}: {}", n + 1, describe(&call.metadata)?);
        let reply = forward(&client, &endpoint, &model_id, prompt, &call.metadata).await?;
        println!("call {}: {reply}", n + 1);
    }
    Ok(())
}

/// What a call's `authorization` metadata carries, without the key itself.
fn describe(metadata: &http::HeaderMap) -> Result<String, BoxError> {
    let key = metadata
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("no bearer authorization in the call's metadata")?;
    let info = TokenInfo::parse(key)?;
    Ok(format!(
        "authorization set, a key for {} that expires at {}",
        info.region(),
        time::OffsetDateTime::from(info.expires_at()).format(&Rfc3339)?
    ))
}

/// Stands in for a gRPC channel: sends the call to Bedrock Runtime's Converse API with
/// the call's `authorization` metadata as the HTTP header.
async fn forward(
    client: &common::HttpsClient,
    endpoint: &str,
    model_id: &str,
    prompt: &str,
    metadata: &http::HeaderMap,
) -> Result<String, BoxError> {
    let mut request = common::converse_request(endpoint, model_id, prompt)?;
    if let Some(value) = metadata.get(http::header::AUTHORIZATION) {
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value.clone());
    }
    let (status, json) = common::send(client, request).await?;
    common::converse_text(status, &json)
}
