//! One request: vetting, the gateway's own answers, header rewriting and the upstream
//! call.
//!
//! [`handle`] answers a request and logs it ([`RequestLog`]); [`route`] takes it through
//! these steps in order, and the first that refuses it answers:
//!
//! 1. Framing: an HTTP/1 request needs the framing scanner's verdict on its head
//!    (`framing.rs`), an HTTP/2 one at most one `Content-Length` (`checks.rs`:
//!    [`ambiguous`], [`UNCHECKED`]).
//! 2. The method and target: no `CONNECT` (here), an origin-form target only
//!    (`checks.rs`: [`check_target`]).
//! 3. `Host` (HTTP/2: `:authority`): loopback with the gateway's port (`checks.rs`:
//!    [`check_host`]).
//! 4. No `Origin` (here).
//! 5. The gateway's own paths ([`OWN_PREFIX`], never forwarded): the health check
//!    (`answer.rs`: [`health`]), else 404.
//! 6. The client key (`checks.rs`: [`check_client_key`]); the connection's first keyed
//!    request then proves its admission slot (`admission.rs`).
//! 7. The Bedrock API key to send (`key_policy.rs`: [`current_key`]).
//! 8. [`forward`] (here): no `.` or `..` path segment (`checks.rs`: [`has_dot_segment`]);
//!    the upstream or control-plane URI (`upstream.rs`: [`Upstream`],
//!    [`is_control_plane`]); the request's headers rewritten (`rewrite.rs`: [`next_hop`],
//!    [`set_identity`]) with the key's header values (`key_policy.rs`: [`key_headers`]);
//!    the call through the connection pool (`pool.rs`), its body paced (`body.rs`).
//! 9. The upstream's answer: a 401 or 403 loads a new key (`key_policy.rs`:
//!    [`key_refused`]); its headers rewritten (`rewrite.rs`), its body streamed back.
//!
//! A refusal at any step is the gateway's own JSON answer (`answer.rs`: [`Refusal`]).

mod answer;
mod checks;
mod key_policy;
mod rewrite;
mod upstream;

use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::Either;
use hyper::body::Incoming;

use super::admission::Admission;
use super::body::Paced;
use super::framing::Framing;
use super::pool::{Pool, SendError};
use super::{ClientKey, Limits, HEALTH_PATH, LOG_TARGET};
use aws_bedrock_token_generator::{BedrockToken, TokenProvider};

use answer::{health, Body, LoggedPath, Refusal};
use checks::{
    ambiguous, check_client_key, check_host, check_target, has_dot_segment, Forms, UNCHECKED,
};
use key_policy::{current_key, key_headers, key_refused, KeyHeaders};
use rewrite::{next_hop, set_identity, Hop};
use upstream::is_control_plane;
pub(super) use upstream::{upstream_connector, Connector, Route, Upstream};
// Named only in a doc link (on `Shared::refused`).
#[cfg(doc)]
use key_policy::REFUSAL_RELOAD_INTERVAL;

/// The gateway's own paths: never forwarded.
const OWN_PREFIX: &str = "/.bedrock-token/";

/// Everything the requests of one gateway share.
pub(super) struct Shared {
    pub provider: TokenProvider,
    /// When a refusal last made the gateway load a new key: at most one such load per
    /// [`REFUSAL_RELOAD_INTERVAL`], however many requests are refused.
    /// Shared by every worker thread's copy.
    pub refused: Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
    pub client_key: ClientKey,
    /// The header values of the key last sent, built once per key rather than per request.
    pub key_headers: std::sync::Mutex<Option<KeyHeaders>>,
    pub upstream: Upstream,
    pub pool: Pool,
    /// Where Bedrock control-plane reads go ([`is_control_plane`]), if not to the
    /// upstream.
    pub control_plane: Option<Route>,
    pub port: u16,
    pub tls: bool,
    pub limits: Limits,
    /// With threads of the gateway's own: the runtime that called `serve`, where key
    /// loads run, so that none is tied to a worker thread's runtime (which ends first
    /// at shutdown, while others may still wait for the load).
    pub loads: Option<tokio::runtime::Handle>,
}

impl Shared {
    /// A copy for a worker thread: the same provider, key and settings, its own pool of
    /// upstream connections (whose tasks then run on that thread) and key header cache.
    pub(super) fn for_worker(
        &self,
        connector: Connector,
        loads: Option<tokio::runtime::Handle>,
    ) -> Shared {
        // This thread's own: a thread never waits for another's idle connections.
        let sockets = Arc::new(tokio::sync::Semaphore::new(self.limits.max_connections));
        Shared {
            provider: self.provider.clone(),
            refused: self.refused.clone(),
            client_key: self.client_key.clone(),
            key_headers: std::sync::Mutex::new(None),
            upstream: self.upstream.clone(),
            pool: Pool::new(
                connector.clone(),
                self.limits.upstream_connect_timeout,
                sockets.clone(),
            ),
            control_plane: self.control_plane.as_ref().map(|route| Route {
                upstream: route.upstream.clone(),
                pool: Pool::new(
                    connector,
                    self.limits.upstream_connect_timeout,
                    sockets.clone(),
                ),
            }),
            port: self.port,
            tls: self.tls,
            limits: self.limits,
            loads,
        }
    }
}

/// Marks an answer to a request that presented the client key (in the response's
/// extensions, never sent): only those count as an HTTP/2 connection's activity.
#[derive(Clone, Copy, Debug)]
pub(super) struct Keyed;

/// Answers one request and logs it.
pub(super) async fn handle(
    shared: Arc<Shared>,
    framing: Option<Framing>,
    req: Request<Incoming>,
    admission: &Admission,
) -> Response<Body> {
    let mut log = RequestLog {
        started: tokio::time::Instant::now(),
        method: req.method().clone(),
        // A reference-counted copy: the path is escaped only if the event is logged.
        uri: req.uri().clone(),
        status: None,
    };
    let http1 = req.version() < Version::HTTP_2;
    let mut keyed = false;
    let mut response = match route(&shared, framing, req, admission, &mut keyed).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(http1),
    };
    if keyed {
        response.extensions_mut().insert(Keyed);
    }
    log.status = Some(response.status());
    response
}

/// One request's log line, written when it is answered, or when the client gives up
/// before that (hyper then drops the request's future, and this with it).
struct RequestLog {
    started: tokio::time::Instant,
    method: Method,
    uri: Uri,
    status: Option<StatusCode>,
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        let latency_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match self.status {
            Some(status) => tracing::info!(
                target: LOG_TARGET,
                method = %self.method,
                path = %LoggedPath(self.uri.path()),
                status = status.as_u16(),
                latency_ms,
                "request"
            ),
            None => tracing::info!(
                target: LOG_TARGET,
                method = %self.method,
                path = %LoggedPath(self.uri.path()),
                latency_ms,
                "request abandoned by the client before its answer"
            ),
        }
    }
}

async fn route(
    shared: &Shared,
    framing: Option<Framing>,
    req: Request<Incoming>,
    admission: &Admission,
    keyed: &mut bool,
) -> Result<Response<Body>, Refusal> {
    let http1 = req.version() < Version::HTTP_2;
    // HTTP/1 requests have a verdict on their framing (HTTP/2 frames its own bodies).
    match (http1, framing) {
        (false, _) | (true, Some(Framing::Ok)) => {}
        (true, Some(Framing::Refused(why))) => return Err(ambiguous(why)),
        (true, None) => return Err(Refusal::bad_request(UNCHECKED)),
    }
    if !http1
        && req
            .headers()
            .get_all(header::CONTENT_LENGTH)
            .iter()
            .nth(1)
            .is_some()
    {
        // HTTP/1 refuses the same in its framing check; forwarded as they are, two
        // lengths would reach an HTTP/1.1 upstream.
        return Err(ambiguous("more than one Content-Length"));
    }
    if req.method() == Method::CONNECT {
        return Err(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "CONNECT is not supported: this gateway forwards only to its configured upstream",
        ));
    }
    check_target(&req, http1)?;
    check_host(shared, &req, http1)?;
    if req.headers().contains_key(header::ORIGIN) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "requests from web pages (with an Origin header) are refused",
        ));
    }
    if req.uri().path().starts_with(OWN_PREFIX) {
        return if req.uri().path() == HEALTH_PATH && req.method() == Method::GET {
            let mut answer = health(shared).await;
            if http1 {
                // Probes ask once: a kept-alive connection would let a client without
                // the key hold a connection slot with health checks.
                answer
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(answer)
        } else {
            Err(Refusal::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such gateway path (the health check is GET /.bedrock-token/health)",
            ))
        };
    }
    let forms = check_client_key(&shared.client_key, req.headers())?;
    // The connection's first keyed request moves it to a proven slot (waiting for one
    // if all are taken); one evicted meanwhile is not served.
    if !admission.prove().await {
        return Err(Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "connection_closed",
            "the connection was closed to make room before its first request: retry on a \
             new connection",
        ));
    }
    *keyed = true;
    let key = current_key(shared).await.map_err(|e| {
        Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "key_unavailable",
            format!(
                "the gateway has no valid Bedrock API key ({}); fix the gateway's AWS \
                 credentials or configuration (its log says more): requests succeed again \
                 as soon as it can make a key",
                e.message
            ),
        )
        .with_kind(e.kind)
    })?;
    forward(shared, req, forms, &key).await
}

async fn forward(
    shared: &Shared,
    req: Request<Incoming>,
    forms: Forms,
    key: &BedrockToken,
) -> Result<Response<Body>, Refusal> {
    let (parts, body) = req.into_parts();
    if has_dot_segment(parts.uri.path()) {
        return Err(Refusal::bad_request(
            "the request path has a `.` or `..` segment: send the path it stands for",
        ));
    }
    let control_plane = is_control_plane(&parts.method, parts.uri.path());
    let (upstream, pool) = match &shared.control_plane {
        Some(route) if control_plane => (&route.upstream, &route.pool),
        _ => (&shared.upstream, &shared.pool),
    };
    let uri = upstream
        .uri_for(parts.uri.path_and_query())
        .ok_or_else(|| Refusal::bad_request("the request path cannot be forwarded"))?;
    let mut headers = parts.headers;
    next_hop(&mut headers, Hop::Request);
    let (bearer, api_key) = key_headers(shared, key)?;
    set_identity(&mut headers, upstream.host.clone(), forms, bearer, api_key);
    let (body, fate) = Paced::new(body, shared.limits.header_read_timeout);
    let mut upstream_req = Request::new(body);
    *upstream_req.method_mut() = parts.method;
    *upstream_req.uri_mut() = uri;
    *upstream_req.version_mut() = Version::HTTP_11;
    *upstream_req.headers_mut() = headers;

    let wait = shared.limits.upstream_response_timeout;
    let response = match tokio::time::timeout(wait, pool.send(upstream_req)).await {
        Ok(Ok(response)) => response,
        Ok(Err(SendError::Failed)) if fate.broken() => {
            return Err(Refusal::bad_request(
                "the request body is malformed (its chunked encoding) or was cut off: send \
                 a well-formed body",
            ));
        }
        Ok(Err(SendError::Failed)) if fate.stalled() => {
            return Err(Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request body paused for longer than {} s: send it without such \
                     pauses",
                    shared.limits.header_read_timeout.as_secs_f64()
                ),
            ));
        }
        Ok(Err(e)) => {
            let message = match e {
                SendError::Connect => "could not connect to the upstream",
                SendError::Failed => "the connection to the upstream failed before its answer",
            };
            return Err(Refusal::new(
                StatusCode::BAD_GATEWAY,
                "bad_gateway",
                message,
            ));
        }
        Err(_) => {
            return Err(Refusal::new(
                StatusCode::GATEWAY_TIMEOUT,
                "gateway_timeout",
                format!(
                    "the upstream sent no answer within {} s",
                    wait.as_secs_f64()
                ),
            ))
        }
    };
    // A control-plane refusal is about that call (a permission the principal lacks, or
    // a runtime endpoint that has no such operation), not about the key.
    if !control_plane
        && matches!(
            response.status(),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        )
    {
        key_refused(shared, response.status());
    }
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        // The gateway never asks for an upgrade (it drops `Upgrade`): an upstream that
        // switches protocols anyway cannot be relayed.
        return Err(Refusal::new(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            "the upstream switched protocols unasked",
        ));
    }
    let (mut parts, body) = response.into_parts();
    if parts.headers.contains_key(header::TRANSFER_ENCODING) {
        // The body was chunked; a Content-Length beside it is wrong (hyper framed the
        // body by the chunks), and passed on it would cut the body short.
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    next_hop(&mut parts.headers, Hop::Response);
    parts.version = Version::HTTP_11;
    // An answer that streams may pause (a model thinking), but not for longer than the
    // upstream may take to answer at all.
    let (body, _) = Paced::new(body, shared.limits.upstream_response_timeout);
    Ok(Response::from_parts(parts, Either::Right(body)))
}
