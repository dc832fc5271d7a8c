//! One request: vetting, the gateway's own answers, header rewriting and the upstream
//! call.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::str::FromStr as _;
use std::sync::Arc;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::{Either, Full};
use hyper::body::{Bytes, Incoming};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use super::admission::Admission;
use super::body::Paced;
use super::framing::Framing;
use super::pool::{Pool, SendError};
use super::{is_loopback_host, ClientKey, Limits, HEALTH_PATH, LOG_TARGET};
use aws_bedrock_token_generator::ErrorKind as CoreErrorKind;
use aws_bedrock_token_generator::{rfc3339, BedrockToken, TokenProvider};

use crate::{Error, ErrorKind, Input};

/// What the gateway answers with: its own small JSON bodies, or the upstream's, streamed.
pub(super) type Body = Either<Full<Bytes>, Paced>;
/// Makes upstream connections; each [`Pool`] of them is built on one.
pub(super) type Connector = HttpsConnector<HttpConnector>;

/// The gateway's own paths: never forwarded.
const OWN_PREFIX: &str = "/.bedrock-token/";
const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
/// The most characters of a path put in a log event.
const MAX_LOGGED_PATH: usize = 200;

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

/// A key and its header values (`Bearer <key>` and the key alone), marked sensitive.
pub(super) struct KeyHeaders {
    key: BedrockToken,
    bearer: HeaderValue,
    api_key: HeaderValue,
}

/// A second destination, with its own connections.
pub(super) struct Route {
    pub upstream: Upstream,
    pub pool: Pool,
}

/// The upstream: where every request goes.
#[derive(Clone)]
pub(super) struct Upstream {
    scheme: Scheme,
    authority: Authority,
    /// The path prefix without a trailing `/` (empty for none).
    prefix: String,
    host: HeaderValue,
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

impl Upstream {
    /// Parses and checks an upstream URL (see `Builder::upstream`); `what` names it in
    /// messages ("upstream URL"). Messages never quote the URL: it could hold a secret in
    /// its user info.
    pub(super) fn parse(url: &str, what: &str) -> Result<Upstream, Error> {
        let bad = |problem: &str| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!("the gateway's {what} {problem}"),
            )
            .about(Input::Upstream)
        };
        if url.contains(['?', '#']) {
            return Err(bad("has a query or fragment: give the base URL only"));
        }
        let uri = Uri::from_str(url).map_err(|_| {
            bad("is not a URL (for example https://bedrock-runtime.us-east-1.amazonaws.com)")
        })?;
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(bad(
                "is not an absolute URL (for example https://bedrock-runtime.us-east-1.amazonaws.com)",
            ));
        };
        if authority.as_str().contains('@') {
            return Err(bad("has user info: the gateway sends its own key"));
        }
        if authority.host().is_empty() {
            return Err(bad("has no host"));
        }
        if *scheme == Scheme::HTTP {
            if !is_loopback_host(authority.host()) {
                return Err(Error::new(
                    ErrorKind::NotLoopback,
                    format!(
                        "the gateway's {what} is plain http:// to a host that is not \
                         loopback: use https:// (plain HTTP is only for local stand-ins on \
                         127.0.0.1, ::1 or localhost)"
                    ),
                )
                .about(Input::Upstream));
            }
        } else if *scheme != Scheme::HTTPS {
            return Err(bad("is neither https:// nor http://"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let host = HeaderValue::from_str(authority.as_str()).map_err(|_| bad("has no host"))?;
        Ok(Upstream {
            scheme: scheme.clone(),
            authority: authority.clone(),
            prefix,
            host,
        })
    }

    pub(super) fn is_https(&self) -> bool {
        self.scheme == Scheme::HTTPS
    }

    /// The upstream URI for a request's path and query.
    fn uri_for(&self, target: Option<&PathAndQuery>) -> Option<Uri> {
        let root = PathAndQuery::from_static("/");
        let target = target.unwrap_or(&root);
        let path_and_query = if self.prefix.is_empty() {
            target.clone()
        } else {
            PathAndQuery::from_str(&format!("{}{target}", self.prefix)).ok()?
        };
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .ok()
    }
}

/// The pooled upstream client: HTTPS (system roots, ALPN h2 and http/1.1, rustls on
/// aws-lc-rs) if `https`, else plain HTTP only (for loopback upstreams).
pub(super) fn upstream_connector(https: bool, limits: &Limits) -> Result<Connector, Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(limits.upstream_connect_timeout));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = if https {
        HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|e| {
                Error::io(
                    "could not load the system's root certificates to verify the upstream with",
                    e,
                )
            })?
    } else {
        // Never used: plain HTTP only.
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| Error::new(ErrorKind::Internal, "no TLS protocol versions"))?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        HttpsConnectorBuilder::new().with_tls_config(config)
    };
    Ok(tls
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http))
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

const UNCHECKED: &str =
    "the gateway could not check this request's framing: send it on a new connection";

fn ambiguous(why: &str) -> Refusal {
    Refusal::bad_request(format!(
        "the request's framing is ambiguous ({why}): send one Content-Length, or \
         Transfer-Encoding: chunked alone"
    ))
}

/// Only origin-form targets (a path): no absolute-form, authority-form or `*`.
fn check_target(req: &Request<Incoming>, http1: bool) -> Result<(), Refusal> {
    let uri = req.uri();
    // HTTP/2 always carries scheme and authority (checked as the host).
    let absolute = http1 && (uri.scheme().is_some() || uri.authority().is_some());
    if absolute || !uri.path().starts_with('/') {
        return Err(Refusal::bad_request(
            "the request target must be a path such as /model/…: this gateway is not a \
             proxy for other hosts",
        ));
    }
    Ok(())
}

/// `Host` (HTTP/2: `:authority`) must be a loopback name or address with our port.
fn check_host(shared: &Shared, req: &Request<Incoming>, http1: bool) -> Result<(), Refusal> {
    let (host, more) = at_most_one(req.headers(), &header::HOST);
    if more {
        return Err(Refusal::bad_request("more than one Host header"));
    }
    let value = match (http1, req.uri().authority(), host) {
        (true, _, Some(host)) => host.to_str().ok(),
        (true, _, None) => return Err(Refusal::bad_request("the request has no Host header")),
        (false, Some(authority), None) => Some(authority.as_str()),
        (false, Some(authority), Some(host)) => match host.to_str() {
            Ok(host) if host == authority.as_str() => Some(host),
            _ => return Err(Refusal::bad_request("Host and :authority differ")),
        },
        (false, None, Some(host)) => host.to_str().ok(),
        (false, None, None) => return Err(Refusal::bad_request("the request has no :authority")),
    };
    if value.is_some_and(|v| is_usual_host(v, shared.port)) {
        return Ok(());
    }
    let authority = value
        .filter(|v| !v.contains('@'))
        .and_then(|v| Authority::from_str(v).ok())
        .ok_or_else(|| Refusal::bad_request("the Host header is malformed"))?;
    let default_port = if shared.tls { 443 } else { 80 };
    // Digits only: `u16`'s parser would take `+PORT`, which no client sends.
    let digits = authority
        .port()
        .is_none_or(|port| port.as_str().bytes().all(|b| b.is_ascii_digit()));
    let port_ok = digits && authority.port_u16().unwrap_or(default_port) == shared.port;
    if !is_loopback_host(authority.host()) || !port_ok {
        return Err(Refusal::new(
            StatusCode::MISDIRECTED_REQUEST,
            "misdirected_request",
            format!(
                "this gateway answers only for 127.0.0.1:{port}, [::1]:{port} or \
                 localhost:{port}",
                port = shared.port
            ),
        ));
    }
    Ok(())
}

/// `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT` exactly (what clients send),
/// recognised without parsing; anything else goes through the full check.
fn is_usual_host(value: &str, port: u16) -> bool {
    ["127.0.0.1:", "localhost:", "[::1]:"].iter().any(|host| {
        value.strip_prefix(host).is_some_and(|digits| {
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>() == Ok(port)
        })
    })
}

/// Which headers carried the client key (so the real key goes in the same ones).
#[derive(Debug, Clone, Copy)]
struct Forms {
    bearer: bool,
    api_key: bool,
}

/// Every `Authorization` / `x-api-key` header present must hold the client key, and at
/// least one must be present. Compared in constant time.
fn check_client_key(key: &ClientKey, headers: &HeaderMap) -> Result<Forms, Refusal> {
    let (auth, more_auth) = at_most_one(headers, &header::AUTHORIZATION);
    let (api, more_api) = at_most_one(headers, &X_API_KEY);
    let unauthorized = |message| {
        Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            message,
        ))
    };
    if more_auth || more_api {
        return unauthorized("send the client key in one Authorization or x-api-key header");
    }
    if auth.is_none() && api.is_none() {
        return unauthorized(
            "this gateway needs its client key: send Authorization: Bearer <client key> or \
             x-api-key: <client key>",
        );
    }
    let expected = key.as_str().as_bytes();
    let mut matches = subtle::Choice::from(1);
    if let Some(value) = auth {
        match bearer_credential(value.as_bytes()) {
            Some(presented) => matches &= expected.ct_eq(presented),
            None => {
                return unauthorized(
                    "the Authorization header must be Bearer <client key> (this gateway \
                     signs requests itself)",
                )
            }
        }
    }
    if let Some(value) = api {
        matches &= expected.ct_eq(value.as_bytes());
    }
    if !bool::from(matches) {
        return unauthorized("wrong client key");
    }
    Ok(Forms {
        bearer: auth.is_some(),
        api_key: api.is_some(),
    })
}

/// The first value of a header, and whether there are more.
fn at_most_one<'a>(headers: &'a HeaderMap, name: &HeaderName) -> (Option<&'a HeaderValue>, bool) {
    let mut values = headers.get_all(name).iter();
    (values.next(), values.next().is_some())
}

/// The credential of `Bearer <credential>` (the scheme in any case).
fn bearer_credential(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") || !rest.starts_with(b" ") {
        return None;
    }
    Some(rest.trim_ascii())
}

/// How often refusals may make the gateway load a new key.
pub(super) const REFUSAL_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// The upstream answered 401 or 403: a new key is loaded in the background, at most once
/// per [`REFUSAL_RELOAD_INTERVAL`]. The refused key is not dropped: if no new one
/// can be made (a credential outage), it stays in service while it is valid, since a 403
/// is as often about the request as about the key (a model the principal may not use).
fn key_refused(shared: &Shared, status: StatusCode) {
    let now = tokio::time::Instant::now();
    {
        let mut last = shared
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| now.duration_since(at) < REFUSAL_RELOAD_INTERVAL) {
            return;
        }
        *last = Some(now);
    }
    tracing::info!(
        target: LOG_TARGET,
        status = status.as_u16(),
        "the upstream refused the key: loading a new one (the refused one stays in service \
         until then, or while no new one can be made)"
    );
    let provider = shared.provider.clone();
    let load = async move {
        let _ = provider.refresh().await;
    };
    match &shared.loads {
        Some(loads) => drop(loads.spawn(load)),
        None => drop(tokio::spawn(load)),
    }
}

/// The provider's cached key, or one it loads within the token wait.
/// Why no key could be had: the kind of the provider's failure (for the `kind` field of
/// the answer and the health check) and its message, which never holds a secret.
struct KeyFailure {
    kind: CoreErrorKind,
    message: String,
}

impl From<aws_bedrock_token_generator::Error> for KeyFailure {
    fn from(e: aws_bedrock_token_generator::Error) -> Self {
        KeyFailure {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

async fn current_key(shared: &Shared) -> Result<BedrockToken, KeyFailure> {
    if let Some(key) = shared.provider.cached() {
        return Ok(key);
    }
    let wait = shared.limits.token_wait;
    let loaded = match &shared.loads {
        Some(loads) => {
            let provider = shared.provider.clone();
            let load = loads.spawn(async move { provider.token().await });
            tokio::time::timeout(wait, async {
                match load.await {
                    Ok(result) => result.map_err(KeyFailure::from),
                    Err(e) => Err(KeyFailure {
                        kind: CoreErrorKind::Internal,
                        message: if e.is_panic() {
                            "loading a key panicked"
                        } else {
                            "loading a key ended without an outcome (the gateway is stopping)"
                        }
                        .to_owned(),
                    }),
                }
            })
            .await
        }
        None => {
            tokio::time::timeout(wait, async {
                shared.provider.token().await.map_err(KeyFailure::from)
            })
            .await
        }
    };
    match loaded {
        Ok(result) => result,
        Err(_) => Err(KeyFailure {
            kind: CoreErrorKind::CredentialsTimeout,
            message: format!(
                "no key could be made within {} s: loading credentials is slow or stuck",
                wait.as_secs_f64()
            ),
        }),
    }
}

/// The health answer: the cached key's expiry; with none usable, the last load's error
/// at once, or (before any load failed) the outcome of a load within the token wait.
async fn health(shared: &Shared) -> Response<Body> {
    let outcome = match shared.provider.cached() {
        Some(key) => Ok(key),
        None => match shared.provider.status().last_error {
            Some(kind) => Err(kind),
            None => current_key(shared).await.map_err(|e| e.kind),
        },
    };
    let (status, body) = match outcome {
        Ok(key) => (
            StatusCode::OK,
            serde_json::json!({
                "status": "ok",
                "expires_at": rfc3339(key.expires_at()),
            }),
        ),
        Err(kind) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "status": "unavailable", "error": format!("{kind:?}") }),
        ),
    };
    json_response(status, &body)
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

/// The Bedrock control-plane reads that clients send to a runtime base URL: Claude Code
/// lists inference profiles (`ListInferenceProfiles`) before anything else; SDK helpers
/// list or get foundation models. Bedrock API keys are "limited to Amazon Bedrock and
/// Amazon Bedrock Runtime actions" (Amazon Bedrock User Guide, API keys reference,
/// <https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-reference.html>): the
/// control-plane (Amazon Bedrock) actions take them, at `bedrock.REGION.amazonaws.com`.
fn is_control_plane(method: &Method, path: &str) -> bool {
    *method == Method::GET
        && ["/inference-profiles", "/foundation-models"]
            .iter()
            .any(|collection| {
                path.strip_prefix(collection)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
}

/// The header values for `key`: the cached ones if it is the key last sent.
fn key_headers(shared: &Shared, key: &BedrockToken) -> Result<(HeaderValue, HeaderValue), Refusal> {
    let mut cached = shared
        .key_headers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(c) = cached.as_ref().filter(|c| c.key.as_str() == key.as_str()) {
        return Ok((c.bearer.clone(), c.api_key.clone()));
    }
    let bearer = secret_value(&Zeroizing::new(format!("Bearer {}", key.as_str())))?;
    let api_key = secret_value(key.as_str())?;
    *cached = Some(KeyHeaders {
        key: key.clone(),
        bearer: bearer.clone(),
        api_key: api_key.clone(),
    });
    Ok((bearer, api_key))
}

/// Whether a path has a `.` or `..` segment, percent-encoded or not: with a path prefix
/// on the upstream URL, `/../x` would leave it once the upstream resolves the dots.
fn has_dot_segment(path: &str) -> bool {
    // One pass over the bytes (every request pays for this check).
    let mut rest = path.as_bytes();
    loop {
        // At the start of a segment: its leading dots, plain or encoded.
        let mut dots = 0;
        loop {
            match rest {
                [b'.', tail @ ..] => rest = tail,
                [b'%', b'2', e, tail @ ..] if e.eq_ignore_ascii_case(&b'e') => rest = tail,
                _ => break,
            }
            dots += 1;
        }
        let ends_here = rest.is_empty() || separator(rest).is_some();
        if ends_here && matches!(dots, 1 | 2) {
            return true;
        }
        loop {
            match separator(rest) {
                Some(len) => {
                    rest = &rest[len..];
                    break;
                }
                None if rest.is_empty() => return false,
                None => rest = &rest[1..],
            }
        }
    }
}

/// The length of the segment separator `rest` begins with, if it does: `/`, and what an
/// upstream may also take for one, `\`, `%2F` and `%5C` (any case).
fn separator(rest: &[u8]) -> Option<usize> {
    match rest {
        [b'/' | b'\\', ..] => Some(1),
        [b'%', b'2', f, ..] if f.eq_ignore_ascii_case(&b'f') => Some(3),
        [b'%', b'5', c, ..] if c.eq_ignore_ascii_case(&b'c') => Some(3),
        _ => None,
    }
}

fn secret_value(text: &str) -> Result<HeaderValue, Refusal> {
    let mut value = HeaderValue::from_str(text).map_err(|_| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the key cannot be sent in a header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Which way headers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    /// Client to upstream.
    Request,
    /// Upstream to client.
    Response,
}

/// Replaces what identifies the client to the gateway with what the upstream needs:
/// `Host` becomes the upstream's, and the client key the real key in the same header
/// (`insert` replaces every value the client sent); a form the client did not use is
/// removed all the same.
fn set_identity(
    headers: &mut HeaderMap,
    host: HeaderValue,
    forms: Forms,
    bearer: HeaderValue,
    api_key: HeaderValue,
) {
    headers.insert(header::HOST, host);
    for (present, name, value) in [
        (forms.bearer, header::AUTHORIZATION, bearer),
        (forms.api_key, X_API_KEY, api_key),
    ] {
        if present {
            headers.insert(name, value);
        } else {
            headers.remove(name);
        }
    }
}

/// Drops the headers that must not go on, in one pass. Dropped both ways: hop-by-hop
/// headers and the ones `Connection` names. Requests also lose `Forwarded` and
/// `X-Forwarded-*` (the upstream learns
/// nothing about the gateway's clients). Answers lose what grants browsers anything:
/// `Set-Cookie` (a cookie for the loopback host is shared with every other local
/// service) and `Access-Control-*` (the gateway allows no cross-origin use).
fn next_hop(headers: &mut HeaderMap, hop: Hop) {
    // Usually nothing goes: then nothing is allocated.
    let mut doomed: Vec<HeaderName> = Vec::new();
    let mut connection = false;
    for name in headers.keys() {
        if always_dropped(name.as_str(), hop) {
            connection |= *name == header::CONNECTION;
            doomed.push(name.clone());
        }
    }
    if connection {
        let named: Vec<HeaderName> = headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            // The usual options, not header names (`Keep-Alive` goes anyway).
            .filter(|o| !o.eq_ignore_ascii_case("keep-alive") && !o.eq_ignore_ascii_case("close"))
            .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
            .filter(|name| headers.contains_key(name))
            .collect();
        doomed.extend(named);
    }
    for name in doomed {
        headers.remove(name);
    }
}

/// The headers dropped whatever `Connection` says. `name` is lowercase, as header names
/// are; a `match` on it is one switch on its length.
fn always_dropped(name: &str, hop: Hop) -> bool {
    // Hop-by-hop headers (RFC 9110 7.6.1, plus the legacy `Keep-Alive` and
    // `Proxy-Connection`), and `Expect`, which the gateway answers itself.
    let hop_by_hop = matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "expect"
    );
    hop_by_hop
        || match hop {
            // `Host` and the client key's headers are replaced, not dropped.
            Hop::Request => name == "forwarded" || name.starts_with("x-forwarded-"),
            Hop::Response => name == "set-cookie" || name.starts_with("access-control-"),
        }
}

/// A request path as logged: at most [`MAX_LOGGED_PATH`] characters, and anything but
/// printable ASCII escaped (a right-to-left override in a path must not reorder the log
/// line it is written in). Formatted only when the event is logged.
struct LoggedPath<'a>(&'a str);

impl fmt::Display for LoggedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(MAX_LOGGED_PATH) {
            if c.is_ascii_graphic() {
                f.write_char(c)?;
            } else {
                write!(f, "{}", c.escape_unicode())?;
            }
        }
        if chars.next().is_some() {
            f.write_str("...")?;
        }
        Ok(())
    }
}

/// A request the gateway answers itself.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    kind: &'static str,
    message: Cow<'static, str>,
    error_kind: Option<CoreErrorKind>,
}

impl Refusal {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Refusal {
            status,
            kind,
            message: message.into(),
            error_kind: None,
        }
    }

    fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn with_kind(mut self, kind: CoreErrorKind) -> Self {
        self.error_kind = Some(kind);
        self
    }

    fn into_response(self, http1: bool) -> Response<Body> {
        let mut error = serde_json::json!({ "type": self.kind, "message": self.message });
        if let Some(kind) = self.error_kind {
            error["kind"] = format!("{kind:?}").into();
        }
        let mut response = json_response(self.status, &serde_json::json!({ "error": error }));
        if http1 {
            // The request's body is not read: nothing more on this connection.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(body.to_string()))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls() {
        let ok = Upstream::parse(
            "https://bedrock-runtime.us-east-1.amazonaws.com",
            "upstream URL",
        )
        .unwrap();
        assert_eq!(
            ok.uri_for(Some(&PathAndQuery::from_static("/model/m/converse?x=1")))
                .unwrap()
                .to_string(),
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse?x=1"
        );
        let prefixed = Upstream::parse("http://127.0.0.1:9000/base/", "upstream URL").unwrap();
        assert_eq!(
            prefixed
                .uri_for(Some(&PathAndQuery::from_static("/v1/chat")))
                .unwrap()
                .to_string(),
            "http://127.0.0.1:9000/base/v1/chat"
        );
        assert_eq!(prefixed.host, "127.0.0.1:9000");
        assert!(Upstream::parse("http://[::1]:9000", "upstream URL").is_ok());
        assert!(Upstream::parse("http://localhost", "upstream URL").is_ok());

        for (bad, kind) in [
            ("http://example.com", ErrorKind::NotLoopback),
            ("http://10.0.0.1:80", ErrorKind::NotLoopback),
            ("https://user:secret@example.com", ErrorKind::InvalidConfig),
            ("https://example.com/?a=1", ErrorKind::InvalidConfig),
            ("https://example.com/#f", ErrorKind::InvalidConfig),
            ("ftp://example.com", ErrorKind::InvalidConfig),
            ("/just/a/path", ErrorKind::InvalidConfig),
            ("not a url", ErrorKind::InvalidConfig),
        ] {
            let e = Upstream::parse(bad, "upstream URL").unwrap_err();
            assert_eq!(e.kind(), kind, "{bad}");
            assert_eq!(e.input(), Some(Input::Upstream));
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }

    #[test]
    fn usual_hosts() {
        for ok in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"] {
            assert!(is_usual_host(ok, 8080), "{ok}");
        }
        for other in [
            "127.0.0.1:8081",
            "127.0.0.1:",
            "127.0.0.1:+8080",
            "127.0.0.1:8080x",
            "127.0.0.1",
            "LOCALHOST:8080",
            "127.0.0.2:8080",
            "evil.com:8080",
            "x@127.0.0.1:8080",
            "127.0.0.1:99999",
        ] {
            assert!(!is_usual_host(other, 8080), "{other}");
        }
    }

    #[test]
    fn control_plane_reads() {
        let get = Method::GET;
        for path in [
            "/inference-profiles",
            "/inference-profiles/us.anthropic.claude-sonnet-4-v1:0",
            "/foundation-models",
            "/foundation-models/anthropic.claude-3-haiku-20240307-v1:0",
        ] {
            assert!(is_control_plane(&get, path), "{path}");
        }
        for (method, path) in [
            (&Method::POST, "/inference-profiles"),
            (&get, "/inference-profilesx"),
            (&get, "/model/x/invoke"),
            (&get, "/x/inference-profiles"),
            (&get, "/"),
        ] {
            assert!(!is_control_plane(method, path), "{method} {path}");
        }
    }

    #[test]
    fn bearer_credentials() {
        assert_eq!(bearer_credential(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer_credential(b"bearer  abc "), Some(&b"abc"[..]));
        assert_eq!(bearer_credential(b"Bearerabc"), None);
        assert_eq!(bearer_credential(b"Basic abc"), None);
        assert_eq!(bearer_credential(b"Bear"), None);
    }

    #[test]
    fn client_key_rules() {
        let key = ClientKey::new("btgw-0123456789abcdef".into()).unwrap();
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (name, value) in pairs {
                h.append(*name, HeaderValue::from_static(value));
            }
            h
        };
        let good = "Bearer btgw-0123456789abcdef";
        let f = check_client_key(&key, &headers(&[("authorization", good)])).unwrap();
        assert!(f.bearer && !f.api_key);
        let f =
            check_client_key(&key, &headers(&[("x-api-key", "btgw-0123456789abcdef")])).unwrap();
        assert!(!f.bearer && f.api_key);
        for bad in [
            headers(&[]),
            headers(&[("authorization", "Bearer btgw-0123456789abcdeX")]),
            headers(&[("authorization", "Bearer btgw-0123456789abcde")]),
            headers(&[("authorization", "AWS4-HMAC-SHA256 Credential=x")]),
            headers(&[("authorization", good), ("x-api-key", "other")]),
            headers(&[("authorization", good), ("authorization", good)]),
        ] {
            let r = check_client_key(&key, &bad).unwrap_err();
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
    }

    #[test]
    fn hop_by_hop_and_forwarding_headers_are_dropped() {
        let mut h = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("proxy-authorization", "Basic x"),
            ("x-forwarded-for", "10.0.0.1"),
            ("forwarded", "for=10.0.0.1"),
            ("content-type", "application/json"),
        ] {
            h.append(name, HeaderValue::from_static(value));
        }
        h.append("accept", HeaderValue::from_static("a"));
        h.append("accept", HeaderValue::from_static("b"));
        for name in ["host", "authorization", "x-api-key"] {
            h.append(name, HeaderValue::from_static("client's"));
        }
        let mut kept = h.clone();
        next_hop(&mut kept, Hop::Request);
        assert_eq!(kept.len(), 6, "{kept:?}");
        assert_eq!(kept.get_all("accept").iter().count(), 2);
        assert!(kept.contains_key("content-type"));
        // The client's identity is replaced; the form it did not use goes too.
        for (bearer, api_key) in [(true, false), (false, true), (true, true)] {
            let mut sent = kept.clone();
            sent.append("authorization", HeaderValue::from_static("client's second"));
            set_identity(
                &mut sent,
                HeaderValue::from_static("upstream"),
                Forms { bearer, api_key },
                HeaderValue::from_static("Bearer real"),
                HeaderValue::from_static("real"),
            );
            let values: Vec<_> = sent.values().map(|v| v.to_str().unwrap()).collect();
            assert!(!values.iter().any(|v| v.contains("client")), "{sent:?}");
            assert_eq!(sent["host"], "upstream");
            assert_eq!(sent.get("authorization").is_some(), bearer);
            assert_eq!(sent.get("x-api-key").is_some(), api_key);
            assert_eq!(sent.len(), 4 + usize::from(bearer) + usize::from(api_key));
        }

        // Answers keep the client-facing headers and lose what grants browsers anything.
        for (name, value) in [
            ("set-cookie", "session=1"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-credentials", "true"),
        ] {
            h.append(name, HeaderValue::from_static(value));
        }
        let mut kept = h;
        next_hop(&mut kept, Hop::Response);
        assert!(kept.contains_key("authorization") && kept.contains_key("content-type"));
        assert!(!kept.contains_key("set-cookie") && !kept.contains_key("x-private"));
        assert!(!kept
            .keys()
            .any(|n| n.as_str().starts_with("access-control-")));
        assert!(!kept.contains_key("connection") && !kept.contains_key("te"));
    }

    proptest::proptest! {
        /// The byte scan agrees with decoding each segment and comparing, on paths made
        /// of the characters that matter.
        #[test]
        fn dot_segments_are_those_that_decode_to_dots(path in "[./%2eEa5cCfF\\\\]{0,24}") {
            // `\`, `%2F` and `%5C` separate segments too (an upstream may take them so).
            let separated = path
                .to_ascii_lowercase()
                .replace("%2f", "/")
                .replace("%5c", "/")
                .replace('\\', "/");
            let decoded = separated.split('/').any(|segment| {
                let bytes: Vec<u8> = percent_encoding::percent_decode_str(segment).collect();
                bytes == b"." || bytes == b".."
            });
            proptest::prop_assert_eq!(has_dot_segment(&path), decoded, "{}", path);
        }
    }

    #[test]
    fn dot_segments() {
        for dotted in [
            "/.",
            "/..",
            "/a/%2e/b",
            "/%2E%2e",
            "/.%2e/x",
            "//../",
            "/a/..%2Fb",
            "/a/..%2fb",
            "/a/..%5Cb",
            "/a/..%5cb",
            "/a/..\\b",
            "/a%2F..%2Fb",
            "/a\\.\\b",
        ] {
            assert!(has_dot_segment(dotted), "{dotted}");
        }
        for fine in [
            "/",
            "/a.b",
            "/...",
            "/%2e%2e%2e",
            "/%2",
            "/%2f",
            "/%5",
            "/.a",
            "/a..%2Fb",
            "/model/m:0",
            "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        ] {
            assert!(!has_dot_segment(fine), "{fine}");
        }
    }

    #[test]
    fn long_paths_are_cut_for_logs() {
        assert_eq!(LoggedPath("/a").to_string(), "/a");
        let long = format!("/{}", "a".repeat(300));
        let shown = LoggedPath(&long).to_string();
        assert_eq!(shown.chars().count(), MAX_LOGGED_PATH + 3);
        assert!(shown.ends_with("..."));
        let exact = format!("/{}", "a".repeat(MAX_LOGGED_PATH - 1));
        assert_eq!(LoggedPath(&exact).to_string(), exact);
        // Anything but printable ASCII is escaped: no reordering of the log line.
        assert_eq!(LoggedPath("/\u{202e}é").to_string(), "/\\u{202e}\\u{e9}");
    }
}
