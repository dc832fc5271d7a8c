//! A Bedrock Runtime stand-in on 127.0.0.1 that verifies bearer tokens the way the
//! service would: it recomputes the SigV4 signature with the test's secret key (through
//! aws-sigv4's general presigner, independently of the crate under test), checks the
//! session token and the expiry against its own injected clock, and answers like Bedrock:
//!
//! - Converse (`POST /model/{id}/converse`): `200` JSON, or `403` `AccessDeniedException`;
//! - InvokeModel (`POST /model/{id}/invoke`, as the Anthropic SDK's Bedrock client calls
//!   it): `200` with an Anthropic Messages response, or `403` like Converse;
//! - OpenAI-compatible Chat Completions (`POST /openai/v1/chat/completions`, as on
//!   bedrock-runtime, or `POST /v1/chat/completions`, as on bedrock-mantle): `200` with a
//!   `chat.completion` object, `400` for a body without `model` and `messages`, or `401`
//!   with an OpenAI-style `{"error": {..}}` body; with `"stream": true`, server-sent
//!   events (`chat.completion.chunk` objects, then `data: [DONE]`);
//! - the streaming operations, as AWS event streams
//!   (`application/vnd.amazon.eventstream`, framed by aws-smithy-eventstream):
//!   InvokeModelWithResponseStream (`POST /model/{id}/invoke-with-response-stream`,
//!   Claude Code's and the Anthropic SDK's streaming call: `chunk` events whose `bytes`
//!   hold the Anthropic streaming events) and ConverseStream
//!   (`POST /model/{id}/converse-stream`);
//! - a SageMaker AI endpoint's OpenAI-compatible Chat Completions
//!   (`POST /endpoints/{name}/openai/v1/chat/completions`, also under
//!   `/inference-components/{component}`), with a SageMaker AI key (service `sagemaker`)
//!   only: as Chat Completions above;
//! - the control plane's ListInferenceProfiles (`GET /inference-profiles`, which Claude
//!   Code calls first): `200` with no profiles, or `403`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use base64::Engine as _;

use super::http::{respond, Request, Response, Server};
use super::sigv4::presign_for;

/// The keys the stand-in knows: access key id → (secret, expected session token).
#[derive(Clone, Default)]
pub struct Keys(HashMap<String, (String, Option<String>)>);

impl Keys {
    pub fn with(mut self, akid: &str, secret: &str, session: Option<&str>) -> Self {
        self.0
            .insert(akid.into(), (secret.into(), session.map(Into::into)));
        self
    }
}

#[derive(Default)]
struct Seen {
    accepted: usize,
    rejected: usize,
    distinct_tokens: HashSet<String>,
    /// Every bearer text received, accepted or not (to check that no output shows one).
    presented: HashSet<String>,
    /// Bodies of the Chat Completions requests, as JSON.
    chat_requests: Vec<serde_json::Value>,
    /// The `anthropic-workspace-id` of each accepted Messages request.
    workspaces: Vec<String>,
}

pub struct Bedrock {
    pub server: Server,
    seen: Arc<Mutex<Seen>>,
}

impl Bedrock {
    pub async fn start(keys: Keys, clock: impl TimeSource + 'static) -> Bedrock {
        let clock = SharedTimeSource::new(clock);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let handler_seen = seen.clone();
        let server = Server::start(move |req| {
            let response = handle(&keys, clock.now(), &handler_seen, req);
            async move { response }
        })
        .await;
        Bedrock { server, seen }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn accepted(&self) -> usize {
        self.seen.lock().unwrap().accepted
    }

    pub fn rejected(&self) -> usize {
        self.seen.lock().unwrap().rejected
    }

    pub fn distinct_tokens(&self) -> usize {
        self.seen.lock().unwrap().distinct_tokens.len()
    }

    /// Every bearer text received, accepted or rejected.
    pub fn presented_tokens(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .presented
            .iter()
            .cloned()
            .collect()
    }

    /// The JSON bodies of the Chat Completions requests received.
    pub fn workspaces(&self) -> Vec<String> {
        self.seen.lock().unwrap().workspaces.clone()
    }

    pub fn chat_requests(&self) -> Vec<serde_json::Value> {
        self.seen.lock().unwrap().chat_requests.clone()
    }
}

#[derive(Clone, Copy)]
enum Api {
    /// Claude Platform on AWS (`POST /v1/messages`), with a Claude Platform key only.
    Messages,
    Converse,
    ConverseStream,
    ChatCompletions,
    /// A SageMaker AI endpoint's OpenAI-compatible Chat Completions, with a SageMaker key.
    SageMakerChat,
    Invoke,
    InvokeStream,
    ListInferenceProfiles,
}

fn api(req: &Request) -> Option<Api> {
    let path = req.uri().path();
    if req.method() == http::Method::GET && path == "/inference-profiles" {
        Some(Api::ListInferenceProfiles)
    } else if req.method() != http::Method::POST {
        None
    } else if path.starts_with("/model/") && path.ends_with("/converse") {
        Some(Api::Converse)
    } else if path.starts_with("/model/") && path.ends_with("/converse-stream") {
        Some(Api::ConverseStream)
    } else if path.starts_with("/model/") && path.ends_with("/invoke") {
        Some(Api::Invoke)
    } else if path.starts_with("/model/") && path.ends_with("/invoke-with-response-stream") {
        Some(Api::InvokeStream)
    } else if path == "/v1/messages" {
        Some(Api::Messages)
    } else if path == "/openai/v1/chat/completions" || path == "/v1/chat/completions" {
        Some(Api::ChatCompletions)
    } else if is_sagemaker_chat(path) {
        Some(Api::SageMakerChat)
    } else {
        None
    }
}

/// `/endpoints/{name}/openai/v1/chat/completions`, or the same for an inference
/// component (`/endpoints/{name}/inference-components/{component}/openai/v1/…`).
fn is_sagemaker_chat(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/endpoints/") else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let named = |s: &&str| !s.is_empty();
    match segments.as_slice() {
        [endpoint, "openai", "v1", "chat", "completions"] => named(endpoint),
        [endpoint, "inference-components", component, "openai", "v1", "chat", "completions"] => {
            named(endpoint) && named(component)
        }
        _ => false,
    }
}

fn handle(keys: &Keys, now: SystemTime, seen: &Mutex<Seen>, req: Request) -> Response {
    let Some(api) = api(&req) else {
        return respond(
            404,
            "application/json",
            r#"{"message":"Unknown operation"}"#,
        );
    };
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Claude Platform on AWS takes its own keys (service `aws-external-anthropic`) and a
    // workspace; Bedrock's APIs take Bedrock keys.
    let service = match api {
        Api::Messages => CLAUDE_PLATFORM,
        Api::SageMakerChat => SAGEMAKER,
        _ => BEDROCK,
    };
    let verdict = match bearer {
        None => Err("Authorization header is not a bearer token".to_owned()),
        Some(token) => verify_for(service, keys, now, token).map(|()| token.to_owned()),
    };
    let mut seen = seen.lock().unwrap();
    if let Some(token) = bearer {
        seen.presented.insert(token.to_owned());
    }
    match (api, verdict) {
        (Api::Messages, Ok(token)) => {
            let workspace = req
                .headers()
                .get("anthropic-workspace-id")
                .and_then(|v| v.to_str().ok())
                .filter(|w| !w.is_empty());
            let Some(workspace) = workspace else {
                seen.rejected += 1;
                return anthropic_error(
                    400,
                    "invalid_request_error",
                    "anthropic-workspace-id is required",
                );
            };
            seen.workspaces.push(workspace.to_owned());
            seen.accepted += 1;
            seen.distinct_tokens.insert(token);
            respond(200, "application/json", INVOKE_OK)
        }
        (Api::Messages, Err(reason)) => {
            seen.rejected += 1;
            anthropic_error(401, "authentication_error", &reason)
        }
        (Api::Converse, Ok(token)) => {
            seen.accepted += 1;
            seen.distinct_tokens.insert(token);
            respond(200, "application/json", CONVERSE_OK)
        }
        (Api::Invoke, Ok(token)) => {
            seen.accepted += 1;
            seen.distinct_tokens.insert(token);
            respond(200, "application/json", INVOKE_OK)
        }
        (Api::ConverseStream, Ok(token)) => {
            seen.accepted += 1;
            seen.distinct_tokens.insert(token);
            event_stream(&converse_stream_events())
        }
        (Api::InvokeStream, Ok(token)) => {
            seen.accepted += 1;
            seen.distinct_tokens.insert(token);
            event_stream(&anthropic_stream_chunks())
        }
        (Api::ListInferenceProfiles, Ok(token)) => {
            seen.accepted += 1;
            seen.distinct_tokens.insert(token);
            respond(
                200,
                "application/json",
                r#"{"inferenceProfileSummaries":[]}"#,
            )
        }
        (
            Api::Converse
            | Api::ConverseStream
            | Api::Invoke
            | Api::InvokeStream
            | Api::ListInferenceProfiles,
            Err(reason),
        ) => {
            seen.rejected += 1;
            let mut response = respond(
                403,
                "application/json",
                serde_json::json!({ "message": reason }).to_string(),
            );
            response
                .headers_mut()
                .insert("x-amzn-errortype", "AccessDeniedException".parse().unwrap());
            response
        }
        (Api::ChatCompletions | Api::SageMakerChat, Ok(token)) => {
            let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap_or_default();
            seen.chat_requests.push(body.clone());
            let (Some(model), Some(false)) = (
                body["model"].as_str(),
                body["messages"].as_array().map(Vec::is_empty),
            ) else {
                return openai_error(
                    400,
                    "invalid_request_error",
                    "model and messages are required",
                );
            };
            seen.accepted += 1;
            seen.distinct_tokens.insert(token);
            if body["stream"] == serde_json::json!(true) {
                return chat_stream(model);
            }
            respond(
                200,
                "application/json",
                serde_json::json!({
                    "id": "chatcmpl-stand-in",
                    "object": "chat.completion",
                    "created": 1_718_452_800,
                    "model": model,
                    "choices": [{
                        "index": 0,
                        "message": { "role": "assistant", "content": "Hello from the stand-in" },
                        "finish_reason": "stop"
                    }],
                    "usage": { "prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7 }
                })
                .to_string(),
            )
        }
        (Api::ChatCompletions | Api::SageMakerChat, Err(reason)) => {
            seen.rejected += 1;
            openai_error(401, "invalid_request_error", &reason)
        }
    }
}

/// The text every streaming answer spells out, in two pieces.
const STREAMED: [&str; 2] = ["Hello from ", "the stand-in"];

/// `200` with `events` (event type, JSON payload) as an AWS event stream.
fn event_stream(events: &[(&str, serde_json::Value)]) -> Response {
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    let text = |value: &str| HeaderValue::String(value.to_owned().into());
    let mut body = Vec::new();
    for (kind, payload) in events {
        let message = Message::new(payload.to_string().into_bytes())
            .add_header(Header::new(":event-type", text(kind)))
            .add_header(Header::new(":content-type", text("application/json")))
            .add_header(Header::new(":message-type", text("event")));
        aws_smithy_eventstream::frame::write_message_to(&message, &mut body).unwrap();
    }
    respond(200, "application/vnd.amazon.eventstream", body)
}

/// ConverseStream's events for [`STREAMED`].
fn converse_stream_events() -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let mut events = vec![("messageStart", json!({ "role": "assistant" }))];
    for text in STREAMED {
        events.push((
            "contentBlockDelta",
            json!({ "contentBlockIndex": 0, "delta": { "text": text } }),
        ));
    }
    events.extend([
        ("contentBlockStop", json!({ "contentBlockIndex": 0 })),
        ("messageStop", json!({ "stopReason": "end_turn" })),
        (
            "metadata",
            json!({
                "usage": { "inputTokens": 3, "outputTokens": 4, "totalTokens": 7 },
                "metrics": { "latencyMs": 1 }
            }),
        ),
    ]);
    events
}

/// InvokeModelWithResponseStream's `chunk` events for a Claude model: each carries one
/// Anthropic Messages streaming event, base64 in `bytes`.
fn anthropic_stream_chunks() -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let mut anthropic = vec![
        json!({ "type": "message_start", "message": {
            "id": "msg_stand_in", "type": "message", "role": "assistant",
            "model": "claude-3-haiku-20240307", "content": [], "stop_reason": null,
            "stop_sequence": null, "usage": { "input_tokens": 3, "output_tokens": 1 }
        }}),
        json!({ "type": "content_block_start", "index": 0,
                "content_block": { "type": "text", "text": "" } }),
    ];
    for text in STREAMED {
        anthropic.push(json!({ "type": "content_block_delta", "index": 0,
                               "delta": { "type": "text_delta", "text": text } }));
    }
    anthropic.extend([
        json!({ "type": "content_block_stop", "index": 0 }),
        json!({ "type": "message_delta",
                "delta": { "stop_reason": "end_turn", "stop_sequence": null },
                "usage": { "output_tokens": 4 } }),
        json!({ "type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 3, "outputTokenCount": 4,
            "invocationLatency": 1, "firstByteLatency": 1
        }}),
    ]);
    anthropic
        .iter()
        .map(|event| {
            let bytes = base64::engine::general_purpose::STANDARD.encode(event.to_string());
            ("chunk", json!({ "bytes": bytes }))
        })
        .collect()
}

/// A streamed Chat Completion: server-sent `chat.completion.chunk` events, then `[DONE]`.
fn chat_stream(model: &str) -> Response {
    use serde_json::json;
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        json!({
            "id": "chatcmpl-stand-in", "object": "chat.completion.chunk",
            "created": 1_718_452_800, "model": model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }]
        })
    };
    let mut events = vec![chunk(json!({ "role": "assistant", "content": "" }), None)];
    for text in STREAMED {
        events.push(chunk(json!({ "content": text }), None));
    }
    events.push(chunk(json!({}), Some("stop")));
    let mut body = String::new();
    for event in events {
        body.push_str(&format!("data: {event}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    respond(200, "text/event-stream", body)
}

/// An error the way the Anthropic Messages API sends one.
fn anthropic_error(status: u16, kind: &str, message: &str) -> Response {
    respond(
        status,
        "application/json",
        serde_json::json!({ "type": "error", "error": { "type": kind, "message": message } })
            .to_string(),
    )
}

/// An error the way OpenAI-compatible APIs send one.
/// An Anthropic Messages response, as InvokeModel returns one for Claude models.
const INVOKE_OK: &str = r#"{"id":"msg_stand_in","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[{"type":"text","text":"Hello from the stand-in"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}}"#;

fn openai_error(status: u16, kind: &str, message: &str) -> Response {
    respond(
        status,
        "application/json",
        serde_json::json!({ "error": { "message": message, "type": kind, "code": null } })
            .to_string(),
    )
}

const CONVERSE_OK: &str = r#"{"output":{"message":{"role":"assistant","content":[{"text":"Hello from the stand-in"}]}},"stopReason":"end_turn","usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{"latencyMs":1}}"#;

/// What a service's short-term keys are: prefix, signing host, SigV4 name.
pub struct KeyService {
    pub prefix: &'static str,
    pub host: &'static str,
    pub name: &'static str,
}

pub const BEDROCK: KeyService = KeyService {
    prefix: "bedrock-api-key-",
    host: "bedrock.amazonaws.com",
    name: "bedrock",
};

pub const CLAUDE_PLATFORM: KeyService = KeyService {
    prefix: "aws-external-anthropic-api-key-",
    host: "aws-external-anthropic.amazonaws.com",
    name: "aws-external-anthropic",
};

pub const SAGEMAKER: KeyService = KeyService {
    prefix: "sagemaker-api-key-",
    host: "sagemaker.amazonaws.com",
    name: "sagemaker",
};

/// Verifies a `bedrock-api-key-…` bearer token; `Err` says why it is rejected.
pub fn verify(keys: &Keys, now: SystemTime, token: &str) -> Result<(), String> {
    verify_for(BEDROCK, keys, now, token)
}

/// Verifies a short-term key of `service`: its prefix, host, SigV4 name and signature.
pub fn verify_for(
    service: KeyService,
    keys: &Keys,
    now: SystemTime,
    token: &str,
) -> Result<(), String> {
    let b64 = token.strip_prefix(service.prefix).ok_or("bad prefix")?;
    let url = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| "bad base64")?;
    let url = String::from_utf8(url).map_err(|_| "not utf-8")?;
    let query = url
        .strip_prefix(service.host)
        .and_then(|rest| rest.strip_prefix("/?"))
        .ok_or("wrong host or path")?;
    let mut params = BTreeMap::new();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').ok_or("bad query")?;
        let v = percent_encoding::percent_decode_str(v)
            .decode_utf8()
            .map_err(|_| "bad encoding")?
            .into_owned();
        if params.insert(k.to_owned(), v).is_some() {
            return Err("duplicate parameter".into());
        }
    }
    let get = |k: &str| params.get(k).cloned().ok_or(format!("missing {k}"));
    if get("Action")? != "CallWithBearerToken" || get("Version")? != "1" {
        return Err("wrong action or version".into());
    }
    let credential = get("X-Amz-Credential")?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [akid, _date, region, name, "aws4_request"] = scope[..] else {
        return Err("bad credential scope".into());
    };
    if name != service.name {
        return Err("bad credential scope".into());
    }
    let (secret, expected_session) = keys.0.get(akid).ok_or("unknown access key")?;
    let session = params.get("X-Amz-Security-Token").cloned();
    if &session != expected_session {
        return Err("wrong or missing session token".into());
    }
    let signed_at = parse_amz_date(&get("X-Amz-Date")?).ok_or("bad date")?;
    let expires: u64 = get("X-Amz-Expires")?.parse().map_err(|_| "bad expires")?;
    if !(1..=43200).contains(&expires) {
        return Err("expires out of range".into());
    }
    if now >= signed_at + Duration::from_secs(expires) {
        return Err("Bearer token has expired".into());
    }
    if now + Duration::from_secs(300) < signed_at {
        return Err("signed in the future".into());
    }

    let creds = Credentials::new(akid, secret.clone(), session, None, "stand-in");
    let (_, expected) = presign_for(
        service.host,
        service.name,
        &creds,
        region,
        Duration::from_secs(expires),
        signed_at,
    );
    if get("X-Amz-Signature")? != expected {
        return Err("The request signature we calculated does not match".into());
    }
    Ok(())
}

fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (hh, mm, ss) = (n(9..11)?, n(11..13)?, n(13..15)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}
