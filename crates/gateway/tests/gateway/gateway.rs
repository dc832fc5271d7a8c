//! The gateway: the real aws-sdk-bedrockruntime client through it to
//! the Bedrock stand-in that verifies every key, header rewriting, streaming both ways,
//! refresh and outage under a manual clock, 401/403 invalidation, every security rule as
//! a hostile request on raw TCP (with the upstream proven untouched), limits, shutdown,
//! logs without keys, TLS, bind checks and the client key file. Loopback only.

use crate::support;

use std::net::SocketAddr;
use std::time::Duration;

use aws_bedrock_token_gateway::{
    Builder, ClientKey, Error, ErrorKind, Gateway, Input, TlsIdentity,
};
use aws_bedrock_token_generator::{prefer_bearer_auth, Region, TokenProvider};
use aws_sdk_bedrockruntime::config::BehaviorVersion;
use aws_smithy_async::test_util::ManualTimeSource;
use hyper::body::Bytes;
use support::bedrock::{Bedrock, Keys};
use support::converse::converse;
use support::events::Events;
use support::upstream::{Answer, Upstream};
use support::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{timeout, Instant};

const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);
const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
/// The longest any single wait in these tests may take before it counts as a hang.
const PATIENCE: Duration = Duration::from_secs(10);

fn keys() -> Keys {
    Keys::default()
        .with(AKID, SECRET, None)
        .with(ASIA, SECRET, Some(SESSION))
}

/// Moves the manual clock forward to `at`.
fn set_clock(clock: &ManualTimeSource, at: std::time::SystemTime) {
    let now = aws_smithy_async::time::TimeSource::now(clock);
    clock.advance(at.duration_since(now).unwrap());
}

fn provider(creds: &ScriptedCredentials, clock: &ManualTimeSource) -> TokenProvider {
    TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(creds.clone())
        .time_source(clock.clone())
        .expiry(HOUR)
        .refresh_jitter(Duration::ZERO)
        .build()
        .unwrap()
}

/// A gateway serving on 127.0.0.1 until stopped.
struct Running {
    addr: SocketAddr,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<Result<(), Error>>,
}

impl Running {
    async fn start(builder: Builder) -> Running {
        let gateway = builder.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let (addr, url) = (gateway.local_addr(), gateway.url());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(gateway.serve(async move {
            let _ = stopped.await;
        }));
        Running {
            addr,
            url,
            stop: Some(stop),
            served,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    /// Starts the shutdown; `finished` waits for `serve` to return.
    fn shut_down(&mut self) {
        let _ = self.stop.take().unwrap().send(());
    }

    async fn finished(self) -> Result<(), Error> {
        timeout(PATIENCE, self.served).await.unwrap().unwrap()
    }
}

/// A test fixture: manual clock, scripted credentials, provider, recording upstream and
/// a gateway in front of it.
struct Fixture {
    clock: ManualTimeSource,
    creds: ScriptedCredentials,
    provider: TokenProvider,
    key: ClientKey,
    upstream: Upstream,
    gw: Running,
}

impl Fixture {
    async fn start() -> Fixture {
        Self::start_with(|b| b).await
    }

    async fn start_with(configure: impl FnOnce(Builder) -> Builder) -> Fixture {
        let clock = ManualTimeSource::new(start());
        let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
        let provider = provider(&creds, &clock);
        let key = ClientKey::generate();
        let upstream = Upstream::start().await;
        let builder = Gateway::builder(provider.clone(), key.clone()).upstream(&upstream.url());
        let gw = Running::start(configure(builder)).await;
        Fixture {
            clock,
            creds,
            provider,
            key,
            upstream,
            gw,
        }
    }

    fn bearer(&self) -> String {
        format!("Authorization: Bearer {}\r\n", self.key.as_str())
    }

    /// A request with the client key, `Connection: close` and an empty body.
    fn request(&self, method: &str, target: &str, extra: &str) -> String {
        format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\n{}{extra}Content-Length: 0\r\nConnection: close\r\n\r\n",
            self.gw.host(),
            self.bearer()
        )
    }

    async fn send(&self, request: &str) -> String {
        raw(self.gw.addr, request.as_bytes()).await
    }

    fn real_key(&self) -> String {
        self.provider.cached().unwrap().as_str().to_owned()
    }

    /// A `GET /stream` whose first chunk has arrived; the upstream sends the rest of its
    /// body as the test sends it on the returned sender, and ends it when that is dropped.
    async fn open_stream(&self) -> (TcpStream, mpsc::UnboundedSender<Bytes>) {
        let (more, rest) = mpsc::unbounded_channel();
        self.upstream.then(Answer::Stream {
            first: Bytes::from_static(b"data: one\n\n"),
            rest,
        });
        let mut stream = TcpStream::connect(self.gw.addr).await.unwrap();
        stream
            .write_all(self.request("GET", "/stream", "").as_bytes())
            .await
            .unwrap();
        read_until(&mut stream, "data: one").await;
        (stream, more)
    }
}

/// Whether the gateway at `addr` stops accepting connections within about a second.
async fn stops_accepting(addr: SocketAddr) -> bool {
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Sends `bytes` on a new connection and reads until the gateway closes it; also the
/// address the gateway sees the connection come from.
async fn raw_from(addr: SocketAddr, bytes: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let from = stream.local_addr().unwrap().to_string();
    // A refusal may close the connection before all is written: the answer tells.
    let _ = stream.write_all(bytes).await;
    (read_to_close(&mut stream).await, from)
}

/// Sends `bytes` on a new connection and reads until the gateway closes it.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    read_to_close(&mut stream).await
}

async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("the gateway answers and closes the connection")
        {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads until `needle` has arrived; what was read.
async fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    while !String::from_utf8_lossy(&out).contains(needle) {
        let n = timeout(PATIENCE, stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{needle:?} did not arrive; got {:?}",
                    String::from_utf8_lossy(&out)
                )
            })
            .unwrap();
        assert!(n > 0, "closed before {needle:?}");
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn body(response: &str) -> serde_json::Value {
    let text = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text:?}"))
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split_once("\r\n\r\n").map_or(response, |(h, _)| h);
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

// ---------------------------------------------------------------------------------------
// The real SDK and the verifying stand-in.

fn sdk_client(url: &str, client_key: &ClientKey) -> aws_sdk_bedrockruntime::Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_bedrockruntime::config::Region::new("us-west-2"))
        .endpoint_url(url)
        // What AWS_BEARER_TOKEN_BEDROCK gives the SDK: here, the client key.
        .bearer_token(aws_credential_types::Token::new(client_key.as_str(), None))
        .auth_scheme_preference(prefer_bearer_auth())
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

#[tokio::test]
async fn the_sdk_reaches_bedrock_through_the_gateway_with_a_real_verified_key() {
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = provider(&creds, &clock);
    let client_key = ClientKey::generate();
    let gw = Running::start(
        Gateway::builder(provider.clone(), client_key.clone()).upstream(&bedrock.url()),
    )
    .await;
    let client = sdk_client(&gw.url, &client_key);

    for _ in 0..3 {
        assert_eq!(converse(&client).await.unwrap(), "Hello from the stand-in");
    }
    assert_eq!((bedrock.accepted(), bedrock.rejected()), (3, 0));
    // The stand-in saw the provider's key, only it, and never the client key.
    let real = provider.cached().unwrap();
    assert_eq!(bedrock.presented_tokens(), vec![real.as_str().to_owned()]);
    assert_eq!(creds.calls(), 1);

    // Without the client key the SDK gets the gateway's 401 and Bedrock sees nothing.
    let stranger = sdk_client(&gw.url, &ClientKey::generate());
    let err = converse(&stranger).await.unwrap_err();
    assert!(
        err.contains("unauthorized") || err.contains("Unhandled"),
        "{err}"
    );
    assert_eq!(bedrock.accepted() + bedrock.rejected(), 3);
}

/// The SDK's streaming operations through the gateway: the stand-in's AWS event streams
/// (ConverseStream's events, InvokeModelWithResponseStream's Anthropic chunks) arrive
/// whole and in order, decoded by the SDK's own event-stream reader.
#[tokio::test]
async fn the_sdk_streams_through_the_gateway() {
    use aws_sdk_bedrockruntime::types::{
        ContentBlock, ConversationRole, ConverseStreamOutput, Message, ResponseStream,
    };
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let client_key = ClientKey::generate();
    let gw = Running::start(
        Gateway::builder(provider(&creds, &clock), client_key.clone()).upstream(&bedrock.url()),
    )
    .await;
    let client = sdk_client(&gw.url, &client_key);

    let mut stream = client
        .converse_stream()
        .model_id(MODEL)
        .messages(
            Message::builder()
                .role(ConversationRole::User)
                .content(ContentBlock::Text("Hello".into()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .stream;
    let (mut text, mut kinds) = (String::new(), Vec::new());
    while let Some(event) = stream.recv().await.unwrap() {
        kinds.push(match event {
            ConverseStreamOutput::MessageStart(_) => "start",
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                text.push_str(delta.delta.unwrap().as_text().unwrap());
                "delta"
            }
            ConverseStreamOutput::ContentBlockStop(_) => "block stop",
            ConverseStreamOutput::MessageStop(_) => "stop",
            ConverseStreamOutput::Metadata(_) => "metadata",
            _ => "other",
        });
    }
    assert_eq!(text, "Hello from the stand-in");
    assert_eq!(
        kinds,
        ["start", "delta", "delta", "block stop", "stop", "metadata"]
    );

    let mut stream = client
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .body(aws_sdk_bedrockruntime::primitives::Blob::new(
            r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[]}"#,
        ))
        .send()
        .await
        .unwrap()
        .body;
    let mut types = Vec::new();
    while let Some(event) = stream.recv().await.unwrap() {
        let ResponseStream::Chunk(chunk) = event else {
            panic!("not a chunk: {event:?}");
        };
        let event: serde_json::Value =
            serde_json::from_slice(chunk.bytes.unwrap().as_ref()).unwrap();
        types.push(event["type"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        types,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!((bedrock.accepted(), bedrock.rejected()), (2, 0));
}

#[tokio::test]
async fn an_upstream_path_prefix_is_put_before_the_request_path() {
    // OpenAI-compatible clients are given $URL/v1; the gateway's upstream is .../openai.
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let key = ClientKey::generate();
    let gw = Running::start(
        Gateway::builder(provider(&creds, &clock), key.clone())
            .upstream(&format!("{}/openai/", bedrock.url())),
    )
    .await;
    let body = r#"{"model":"openai.gpt-oss-20b-1:0","messages":[{"role":"user","content":"hi"}]}"#;
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        gw.host(),
        key.as_str(),
        body.len()
    );
    let response = raw(gw.addr, request.as_bytes()).await;
    assert_eq!(status(&response), 200, "{response}");
    assert_eq!(body_of(&response)["object"], "chat.completion");
    assert_eq!(bedrock.accepted(), 1);
}

fn body_of(response: &str) -> serde_json::Value {
    body(response)
}

// ---------------------------------------------------------------------------------------
// What is forwarded.

#[tokio::test]
async fn headers_are_rewritten_for_the_upstream() {
    let f = Fixture::start().await;
    let response = f
        .send(&f.request(
            "POST",
            "/model/m/converse?trace=1&x=%2F",
            "Connection: x-private, keep-alive\r\nX-Private: 1\r\nKeep-Alive: timeout=5\r\n\
             TE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\n\
             Proxy-Connection: keep-alive\r\nX-Forwarded-For: 10.0.0.9\r\nForwarded: for=10.0.0.9\r\n\
             X-Custom: kept\r\nContent-Type: application/json\r\n",
        ))
        .await;
    assert_eq!(status(&response), 200, "{response}");
    let seen = f.upstream.seen();
    let [seen] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.target, "/model/m/converse?trace=1&x=%2F");
    assert_eq!(
        seen.header("host"),
        Some(f.upstream.addr.to_string().as_str())
    );
    // Bearer stays bearer, with the real key.
    let real = f.real_key();
    assert!(real.starts_with("bedrock-api-key-"));
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {real}").as_str())
    );
    assert!(seen.header("x-api-key").is_none());
    for dropped in [
        "x-private",
        "keep-alive",
        "te",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
        "x-forwarded-for",
        "forwarded",
        "transfer-encoding",
    ] {
        assert!(seen.header(dropped).is_none(), "{dropped} was forwarded");
    }
    // `Connection` is hyper's own between the gateway and the upstream, never the client's.
    assert_ne!(seen.header("connection"), Some("x-private, keep-alive"));
    assert_eq!(seen.header("x-custom"), Some("kept"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert!(!format!("{:?}", seen.headers).contains(f.key.as_str()));
    // Nothing CORS-like comes back.
    assert!(!response.to_ascii_lowercase().contains("access-control-"));
}

#[tokio::test]
async fn x_api_key_stays_x_api_key() {
    let f = Fixture::start().await;
    let request = format!(
        "POST /anthropic/v1/messages HTTP/1.1\r\nHost: {}\r\nx-api-key: {}\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{{}}",
        f.gw.host(),
        f.key.as_str()
    );
    let response = f.send(&request).await;
    assert_eq!(status(&response), 200, "{response}");
    let seen = &f.upstream.seen()[0];
    assert_eq!(seen.header("x-api-key"), Some(f.real_key().as_str()));
    assert!(seen.header("authorization").is_none());
    assert_eq!(seen.body, Bytes::from_static(b"{}"));

    // Both headers, both holding the client key: both replaced.
    let request = format!(
        "GET /x HTTP/1.1\r\nHost: localhost:{}\r\nx-api-key: {k}\r\nAuthorization: bearer {k}\r\n\
         Connection: close\r\n\r\n",
        f.gw.addr.port(),
        k = f.key.as_str()
    );
    assert_eq!(status(&f.send(&request).await), 200);
    let seen = &f.upstream.seen()[1];
    assert_eq!(seen.header("x-api-key"), Some(f.real_key().as_str()));
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {}", f.real_key()).as_str())
    );
}

#[tokio::test]
async fn answers_stream_to_the_client_as_the_upstream_sends_them() {
    let f = Fixture::start().await;
    let (more, rest) = mpsc::unbounded_channel();
    f.upstream.then(Answer::Stream {
        first: Bytes::from_static(b"data: one\n\n"),
        rest,
    });
    let mut stream = TcpStream::connect(f.gw.addr).await.unwrap();
    stream
        .write_all(f.request("POST", "/model/m/converse-stream", "").as_bytes())
        .await
        .unwrap();
    // The upstream has not finished (it waits for us): the first chunk is already here.
    let got = read_until(&mut stream, "data: one").await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(!got.contains("data: two"));
    more.send(Bytes::from_static(b"data: two\n\n")).unwrap();
    read_until(&mut stream, "data: two").await;
    drop(more);
    let tail = read_to_close(&mut stream).await;
    assert!(
        tail.contains("0\r\n\r\n"),
        "the chunked body ends: {tail:?}"
    );
}

#[tokio::test]
async fn request_bodies_stream_to_the_upstream_as_the_client_sends_them() {
    let f = Fixture::start().await;
    let (first_tx, first_rx) = oneshot::channel();
    let (go_tx, go_rx) = oneshot::channel();
    f.upstream.then(Answer::ReadSlowly {
        first: first_tx,
        go: go_rx,
    });
    let mut stream = TcpStream::connect(f.gw.addr).await.unwrap();
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: {}\r\n{}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        f.gw.host(),
        f.bearer()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The upstream got the first chunk while the client has not sent the rest.
    let first = timeout(PATIENCE, first_rx).await.unwrap().unwrap();
    assert_eq!(first, Bytes::from_static(b"hello"));
    // The rest of the body, then a second request on the same connection: a chunked
    // request does not cost the connection.
    let second = format!(
        "GET /second HTTP/1.1\r\nHost: {}\r\n{}Connection: close\r\n\r\n",
        f.gw.host(),
        f.bearer()
    );
    stream
        .write_all(format!("6\r\n world\r\n0\r\n\r\n{second}").as_bytes())
        .await
        .unwrap();
    go_tx.send(()).unwrap();
    let both = read_to_close(&mut stream).await;
    let at = both[1..]
        .find("HTTP/1.1 ")
        .map(|i| i + 1)
        .expect("a second response");
    let (response, next) = both.split_at(at);
    assert_eq!(status(response), 200, "{response}");
    assert_eq!(header(response, "connection"), None, "{response}");
    assert_eq!(status(next), 200, "{next}");
    assert_eq!(f.upstream.seen()[1].target, "/second");
    assert_eq!(
        f.upstream.seen()[0].body,
        Bytes::from_static(b"hello world")
    );
    assert!(f.upstream.seen()[0].header("transfer-encoding").is_some());
}

#[tokio::test]
async fn a_request_after_a_chunk_size_the_framing_scanner_does_not_follow_is_refused() {
    // `5 \r\n`: hyper takes the space after the chunk size, so the first request goes
    // through whole; the framing scanner (src/framing.rs) follows only sizes written
    // without one, and stops there. The request pipelined after it gets no verdict: it is
    // refused and never forwarded.
    let f = Fixture::start().await;
    let (host, bearer) = (f.gw.host(), f.bearer());
    let first = format!(
        "POST /first HTTP/1.1\r\nHost: {host}\r\n{bearer}Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"
    );
    let second = f.request("GET", "/second", "");
    let both = f.send(&format!("{first}{second}")).await;
    let statuses: Vec<u16> = both
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| status(&both[at..]))
        .collect();
    assert_eq!(statuses, [200, 400], "{both}");
    let refused = &both[both.rfind("HTTP/1.1 ").unwrap()..];
    assert_eq!(body(refused)["error"]["type"], "bad_request", "{refused}");
    assert_eq!(
        body(refused)["error"]["message"],
        "the gateway could not check this request's framing: send it on a new connection"
    );
    assert_eq!(header(refused, "connection"), Some("close"), "{refused}");
    let seen = f.upstream.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].target, "/first");
    assert_eq!(seen[0].body, Bytes::from_static(b"hello"));
}

#[tokio::test]
async fn a_request_the_client_abandons_is_logged() {
    let events = Events::global();
    let f = Fixture::start().await;
    let (first_tx, first_rx) = oneshot::channel();
    let (_go, go_rx) = oneshot::channel();
    f.upstream.then(Answer::ReadSlowly {
        first: first_tx,
        go: go_rx,
    });
    let mut stream = TcpStream::connect(f.gw.addr).await.unwrap();
    let head = format!(
        "POST /model/abandon-m/converse HTTP/1.1\r\nHost: {}\r\n{}Content-Length: 5\r\n\r\nhello",
        f.gw.host(),
        f.bearer()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    timeout(PATIENCE, first_rx).await.unwrap().unwrap();
    // The client gives up while the upstream has not answered.
    drop(stream);
    let abandoned = |all: &[support::events::Captured]| {
        all.iter().any(|e| {
            e.target == "bedrock_token::gateway"
                && e.field("path") == Some("/model/abandon-m/converse")
                && e.message().contains("abandoned")
                && e.field("status").is_none()
        })
    };
    let deadline = Instant::now() + PATIENCE;
    while !abandoned(&events.all()) {
        assert!(
            Instant::now() < deadline,
            "no log line for the abandoned request"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ---------------------------------------------------------------------------------------
// Keys: refresh, outage, invalidation.

async fn converse_raw(addr: SocketAddr, key: &str) -> String {
    let body = r#"{"messages":[]}"#;
    let request = format!(
        "POST /model/{MODEL}/converse HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        addr.port(),
        body.len()
    );
    raw(addr, request.as_bytes()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_fails_across_a_refresh() {
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    // Each load takes a while, so requests pile up behind it.
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)))
        .with_delay(Duration::from_millis(50));
    let provider = provider(&creds, &clock);
    let key = ClientKey::generate();
    let gw =
        Running::start(Gateway::builder(provider.clone(), key.clone()).upstream(&bedrock.url()))
            .await;
    let first = converse_raw(gw.addr, key.as_str()).await;
    assert_eq!(status(&first), 200, "{first}");

    // Up to a minute before the key's refresh point, then 5 s at a time across it and
    // across the point where it is too close to its expiry to hand out, with the requests
    // of the previous step still in flight at each step.
    set_clock(&clock, start() + 54 * MIN);
    let mut in_flight = Vec::new();
    for _ in 0..(7 * 12) {
        let batch: Vec<_> = (0..4)
            .map(|_| {
                let key = key.as_str().to_owned();
                tokio::spawn(async move { converse_raw(gw.addr, &key).await })
            })
            .collect();
        for previous in std::mem::replace(&mut in_flight, batch) {
            let response = previous.await.unwrap();
            assert_eq!(status(&response), 200, "{response}");
        }
        clock.advance(Duration::from_secs(5));
    }
    for last in in_flight {
        assert_eq!(status(&last.await.unwrap()), 200);
    }
    assert_eq!(bedrock.rejected(), 0);
    assert_eq!(bedrock.accepted(), 1 + 7 * 12 * 4);
    assert_eq!(bedrock.distinct_tokens(), 2, "one refresh");
    assert_eq!(creds.calls(), 2);
}

#[tokio::test]
async fn an_outage_serves_the_cached_key_while_valid_then_503() {
    let clock = ManualTimeSource::new(start());
    let bedrock = Bedrock::start(keys(), clock.clone()).await;
    let creds = ScriptedCredentials::new(Next::Ok(session_creds(None)));
    let provider = provider(&creds, &clock);
    let key = ClientKey::generate();
    let gw =
        Running::start(Gateway::builder(provider.clone(), key.clone()).upstream(&bedrock.url()))
            .await;
    let health = format!(
        "GET /.bedrock-token/health HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        gw.host()
    );
    assert_eq!(status(&converse_raw(gw.addr, key.as_str()).await), 200);
    let ok = raw(gw.addr, health.as_bytes()).await;
    assert_eq!(status(&ok), 200, "{ok}");
    assert_eq!(
        body(&ok),
        serde_json::json!({"status": "ok", "expires_at": "2024-06-15T13:00:00Z"})
    );

    // The credentials fail from now on; a refresh past the refresh point fails.
    creds.set(Next::Fail);
    set_clock(&clock, start() + 56 * MIN);
    assert!(provider.refresh().await.is_err());
    // The cached key is still valid: requests go on.
    set_clock(&clock, start() + 59 * MIN);
    for _ in 0..3 {
        assert_eq!(status(&converse_raw(gw.addr, key.as_str()).await), 200);
    }
    assert_eq!(status(&raw(gw.addr, health.as_bytes()).await), 200);
    assert_eq!(bedrock.accepted(), 4);

    // Too close to its expiry: 503, saying why and what to do; nothing forwarded.
    set_clock(&clock, start() + 59 * MIN + 50 * Duration::from_secs(1));
    let refused = converse_raw(gw.addr, key.as_str()).await;
    assert_eq!(status(&refused), 503, "{refused}");
    assert_eq!(header(&refused, "content-type"), Some("application/json"));
    let error = &body(&refused)["error"];
    assert_eq!(error["type"], "key_unavailable");
    assert_eq!(error["kind"], "CredentialsProvider");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("no valid Bedrock API key"), "{message}");
    assert!(
        message.contains("fix the gateway's AWS credentials"),
        "{message}"
    );
    assert_eq!(bedrock.accepted() + bedrock.rejected(), 4);
    let down = raw(gw.addr, health.as_bytes()).await;
    assert_eq!(status(&down), 503);
    assert_eq!(
        body(&down),
        serde_json::json!({"status": "unavailable", "error": "CredentialsProvider"})
    );

    // Credentials back, backoff over: served again with a new key.
    creds.set(Next::Ok(session_creds(None)));
    clock.advance(Duration::from_secs(120));
    assert_eq!(status(&converse_raw(gw.addr, key.as_str()).await), 200);
    assert_eq!(bedrock.distinct_tokens(), 2);
    assert_eq!(bedrock.rejected(), 0);
}

#[tokio::test]
async fn a_request_waits_for_the_first_key_within_the_token_wait() {
    // No key cached, credentials that never answer: 503 after the token wait (here the
    // provider's own load timeout, shorter, decides), with the timeout's kind.
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Hang);
    let provider = TokenProvider::builder()
        .region(Region::new("us-west-2"))
        .credentials_provider(creds.clone())
        .time_source(clock.clone())
        .load_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let upstream = Upstream::start().await;
    let key = ClientKey::generate();
    let gw = Running::start(
        Gateway::builder(provider, key.clone())
            .upstream(&upstream.url())
            .token_wait(Duration::from_secs(5)),
    )
    .await;
    let refused = converse_raw(gw.addr, key.as_str()).await;
    assert_eq!(status(&refused), 503, "{refused}");
    assert_eq!(body(&refused)["error"]["kind"], "CredentialsTimeout");
    assert_eq!(upstream.hits(), 0);
}

#[tokio::test]
async fn an_upstream_401_or_403_replaces_that_key_once() {
    for rejection in [401, 403] {
        let f = Fixture::start().await;
        // A key a second old, so that its replacement differs from it.
        f.provider.token().await.unwrap();
        f.clock.advance(Duration::from_secs(1));
        f.upstream.then(Answer::Json(
            rejection,
            r#"{"message":"Bearer token has expired"}"#.into(),
        ));
        f.upstream
            .then(Answer::Json(rejection, r#"{"message":"again"}"#.into()));
        let response = f.send(&f.request("POST", "/model/m/converse", "")).await;
        // Passed on as the upstream said it.
        assert_eq!(status(&response), rejection, "{response}");
        assert_eq!(body(&response)["message"], "Bearer token has expired");
        settle_load(&f, 2).await;
        let replaced = f.real_key();

        // The new key refused too, at once: not replaced again so soon (a burst of 403s
        // costs one load, not one per request).
        let response = f.send(&f.request("POST", "/model/m/converse", "")).await;
        assert_eq!(status(&response), rejection);
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert_eq!(f.real_key(), replaced);
        assert_eq!(
            status(&f.send(&f.request("POST", "/model/m/converse", "")).await),
            200
        );
        let seen = f.upstream.seen();
        assert_eq!(seen.len(), 3, "the refused requests are not replayed");
        let (first, last) = (
            seen[0].header("authorization").unwrap(),
            seen[2].header("authorization").unwrap(),
        );
        assert_ne!(first, last, "later requests carry the new key");
        assert_eq!(seen[1].header("authorization").unwrap(), last);
        assert_eq!(last, format!("Bearer {replaced}"));
        assert_eq!(f.creds.calls(), 2, "one load per refused key");
    }

    // Other failures leave the key alone.
    let f = Fixture::start().await;
    f.upstream.then(Answer::Json(500, "{}".into()));
    f.upstream.then(Answer::Json(429, "{}".into()));
    assert_eq!(status(&f.send(&f.request("GET", "/a", "")).await), 500);
    let kept = f.real_key();
    assert_eq!(status(&f.send(&f.request("GET", "/a", "")).await), 429);
    assert_eq!(f.real_key(), kept);
    assert_eq!(f.creds.calls(), 1);
}

// ---------------------------------------------------------------------------------------
// Hostile requests: each refused by the gateway, the upstream untouched.

#[tokio::test]
async fn hostile_requests_are_refused_and_never_reach_the_upstream() {
    let f = Fixture::start().await;
    let (host, port, bearer) = (f.gw.host(), f.gw.addr.port(), f.bearer());
    let key = f.key.as_str();
    let other_key = ClientKey::generate();
    let other = other_key.as_str();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("no client key", format!("GET /model/m/converse HTTP/1.1\r\nHost: {host}\r\n\r\n"), 401, "unauthorized"),
        ("wrong key", format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {other}\r\n\r\n"), 401, "unauthorized"),
        ("wrong x-api-key", format!("GET / HTTP/1.1\r\nHost: {host}\r\nx-api-key: {other}\r\n\r\n"), 401, "unauthorized"),
        ("a prefix of the key", format!("GET / HTTP/1.1\r\nHost: {host}\r\nx-api-key: {}\r\n\r\n", &key[..key.len() - 1]), 401, "unauthorized"),
        ("the key in another scheme", format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {key}\r\n\r\n"), 401, "unauthorized"),
        ("a second, foreign credential", format!("GET / HTTP/1.1\r\nHost: {host}\r\n{bearer}x-api-key: {other}\r\n\r\n"), 401, "unauthorized"),
        ("foreign Host", format!("GET / HTTP/1.1\r\nHost: evil.example\r\n{bearer}\r\n"), 421, "misdirected_request"),
        ("rebinding Host with our port", format!("GET / HTTP/1.1\r\nHost: evil.example:{port}\r\n{bearer}\r\n"), 421, "misdirected_request"),
        ("wrong port in Host", format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{bearer}\r\n", port.wrapping_add(1)), 421, "misdirected_request"),
        ("no port in Host", format!("GET / HTTP/1.1\r\nHost: localhost\r\n{bearer}\r\n"), 421, "misdirected_request"),
        ("a signed port in Host", format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:+{port}\r\n{bearer}\r\n"), 421, "misdirected_request"),
        ("a LAN address in Host", format!("GET / HTTP/1.1\r\nHost: 192.168.1.10:{port}\r\n{bearer}\r\n"), 421, "misdirected_request"),
        ("no Host", format!("GET / HTTP/1.1\r\n{bearer}\r\n"), 400, "bad_request"),
        ("two Hosts", format!("GET / HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\n{bearer}\r\n"), 400, "bad_request"),
        ("user info in Host", format!("GET / HTTP/1.1\r\nHost: me@{host}\r\n{bearer}\r\n"), 400, "bad_request"),
        ("Origin", format!("POST /model/m/converse HTTP/1.1\r\nHost: {host}\r\n{bearer}Origin: https://evil.example\r\nContent-Length: 0\r\n\r\n"), 403, "forbidden"),
        ("CORS preflight", format!("OPTIONS /model/m/converse HTTP/1.1\r\nHost: {host}\r\nOrigin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\n\r\n"), 403, "forbidden"),
        ("absolute-form", format!("GET http://example.com/model/m/converse HTTP/1.1\r\nHost: {host}\r\n{bearer}\r\n"), 400, "bad_request"),
        ("absolute-form to itself", format!("GET http://{host}/model/m/converse HTTP/1.1\r\nHost: {host}\r\n{bearer}\r\n"), 400, "bad_request"),
        ("CONNECT", format!("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n{bearer}\r\n"), 405, "method_not_allowed"),
        ("asterisk-form", format!("OPTIONS * HTTP/1.1\r\nHost: {host}\r\n{bearer}\r\n"), 400, "bad_request"),
        ("Content-Length and Transfer-Encoding", format!("POST / HTTP/1.1\r\nHost: {host}\r\n{bearer}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 400, "bad_request"),
        ("Transfer-Encoding and Content-Length", format!("POST / HTTP/1.1\r\nHost: {host}\r\n{bearer}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 400, "bad_request"),
        ("two equal Content-Lengths", format!("POST / HTTP/1.1\r\nHost: {host}\r\n{bearer}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), 400, "bad_request"),
        ("a Content-Length list", format!("POST / HTTP/1.1\r\nHost: {host}\r\n{bearer}Content-Length: 5, 5\r\n\r\nhello"), 400, ""), // hyper's own 400
        ("two different Content-Lengths", format!("POST / HTTP/1.1\r\nHost: {host}\r\n{bearer}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), 400, ""), // hyper's own 400
        ("Transfer-Encoding gzip, chunked", format!("POST / HTTP/1.1\r\nHost: {host}\r\n{bearer}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), 400, "bad_request"),
        ("Transfer-Encoding twice", format!("POST / HTTP/1.1\r\nHost: {host}\r\n{bearer}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400, "bad_request"),
        ("a gateway path that is not the health check", format!("GET /.bedrock-token/keys HTTP/1.1\r\nHost: {host}\r\n{bearer}\r\n"), 404, "not_found"),
        ("the health check with another method", format!("POST /.bedrock-token/health HTTP/1.1\r\nHost: {host}\r\n{bearer}Content-Length: 0\r\n\r\n"), 404, "not_found"),
    ];
    for (what, request, expected, kind) in &cases {
        let response = f.send(request).await;
        assert_eq!(status(&response), *expected, "{what}: {response}");
        assert_eq!(f.upstream.hits(), 0, "{what} reached the upstream");
        assert!(
            !response.to_ascii_lowercase().contains("access-control-"),
            "{what}: {response}"
        );
        assert!(!response.contains(key), "{what}: the client key came back");
        if !kind.is_empty() {
            assert!(response.ends_with('}'), "{what}: {response}");
            assert_eq!(body(&response)["error"]["type"], *kind, "{what}");
            assert_eq!(header(&response, "connection"), Some("close"), "{what}");
        }
    }
    // Then a proper request still works, on the same gateway.
    assert_eq!(status(&f.send(&f.request("GET", "/ok", "")).await), 200);
    for host in [
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("127.0.0.2:{port}"),
    ] {
        let request =
            format!("GET /ok HTTP/1.1\r\nHost: {host}\r\n{bearer}Connection: close\r\n\r\n");
        assert_eq!(status(&f.send(&request).await), 200, "{host}");
    }
    assert_eq!(f.upstream.hits(), 4);
}

#[tokio::test]
async fn a_smuggled_request_after_a_refused_one_is_never_read() {
    // The classic shape: the gateway must not read the "body" as a second request.
    let f = Fixture::start().await;
    let smuggled = format!(
        "GET /smuggled HTTP/1.1\r\nHost: {}\r\n{}\r\n",
        f.gw.host(),
        f.bearer()
    );
    let request = format!(
        "POST /ok HTTP/1.1\r\nHost: {}\r\n{}Content-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}",
        f.gw.host(),
        f.bearer(),
        5 + smuggled.len()
    );
    let response = f.send(&request).await;
    assert_eq!(status(&response), 400, "{response}");
    assert_eq!(response.matches("HTTP/1.1").count(), 1, "{response}");
    assert_eq!(f.upstream.hits(), 0);
}

#[tokio::test]
async fn pipelined_requests_are_each_checked() {
    // Two requests in one write: the framing verdicts stay in step with hyper's requests.
    let f = Fixture::start().await;
    let (host, bearer) = (f.gw.host(), f.bearer());
    let good =
        format!("POST /one HTTP/1.1\r\nHost: {host}\r\n{bearer}Content-Length: 3\r\n\r\nabc");
    let bad = format!(
        "POST /two HTTP/1.1\r\nHost: {host}\r\n{bearer}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"
    );
    let response = f.send(&format!("{good}{good}{bad}{good}")).await;
    let statuses: Vec<u16> = response
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| status(&response[at..]))
        .collect();
    assert_eq!(statuses, [200, 200, 400], "{response}");
    assert_eq!(f.upstream.hits(), 2);
    assert!(f
        .upstream
        .seen()
        .iter()
        .all(|s| s.target == "/one" && s.body == "abc"));
}

#[tokio::test]
async fn slow_request_heads_are_cut_off() {
    let f = Fixture::start_with(|b| b.header_read_timeout(Duration::from_millis(300))).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(f.gw.addr).await.unwrap();
    // Half a head, then nothing.
    stream
        .write_all(
            format!(
                "GET /model/m/converse HTTP/1.1\r\nHost: {}\r\n",
                f.gw.host()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let answer = read_to_close(&mut stream).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(answer.is_empty() || status(&answer) == 408, "{answer}");
    assert_eq!(f.upstream.hits(), 0);

    // An idle kept-alive connection is closed the same way after its request.
    let mut stream = TcpStream::connect(f.gw.addr).await.unwrap();
    let keep_alive = format!(
        "GET /ok HTTP/1.1\r\nHost: {}\r\n{}\r\n",
        f.gw.host(),
        f.bearer()
    );
    stream.write_all(keep_alive.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut stream).await;
    assert_eq!(status(&answer), 200, "{answer}");
    assert_eq!(f.upstream.hits(), 1);
}

#[tokio::test]
async fn health_answers_close_the_connection() {
    let f = Fixture::start().await;
    let probe = format!(
        "GET /.bedrock-token/health HTTP/1.1\r\nHost: {}\r\n\r\n",
        f.gw.host()
    );
    // Without `Connection: close` from the client, the gateway closes it after answering.
    let answer = timeout(PATIENCE, f.send(&probe))
        .await
        .expect("a health check kept its connection open");
    assert_eq!(status(&answer), 200, "{answer}");
    assert_eq!(header(&answer, "connection"), Some("close"));
}

#[tokio::test]
async fn a_stalled_request_body_is_cut_off() {
    let f = Fixture::start_with(|b| b.header_read_timeout(Duration::from_millis(300))).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(f.gw.addr).await.unwrap();
    // A head promising 100 bytes, 10 of them, then nothing.
    let head = format!(
        "POST /model/m/converse HTTP/1.1\r\nHost: {}\r\n{}Content-Length: 100\r\n\r\n0123456789",
        f.gw.host(),
        f.bearer()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = timeout(PATIENCE, read_to_close(&mut stream))
        .await
        .expect("the gateway waited for the rest of the body for ever");
    assert_eq!(status(&answer), 408, "{answer}");
    assert!(body(&answer)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("request body paused"));
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn dot_segments_are_refused_and_dots_in_names_are_not() {
    let f = Fixture::start().await;
    for target in [
        "/model/../admin",
        "/model/m/..",
        "/./model/m/converse",
        "/model/%2e%2E/admin",
        "/model/%2E/converse",
    ] {
        let answer = f.send(&f.request("POST", target, "")).await;
        assert_eq!(status(&answer), 400, "{target}: {answer}");
    }
    assert_eq!(f.upstream.hits(), 0);
    let fine = "/model/anthropic.claude-3-haiku-20240307-v1:0/converse";
    let answer = f.send(&f.request("POST", fine, "")).await;
    assert_eq!(status(&answer), 200, "{answer}");
    assert_eq!(f.upstream.seen()[0].target, fine);
}

#[tokio::test]
async fn answers_lose_cookies_and_cors_grants() {
    let f = Fixture::start().await;
    f.upstream.then(Answer::WithHeaders(vec![
        ("set-cookie", "session=abc; Path=/"),
        ("access-control-allow-origin", "*"),
        ("access-control-allow-credentials", "true"),
        ("x-amzn-requestid", "req-1"),
    ]));
    let answer = f.send(&f.request("POST", "/model/m/converse", "")).await;
    assert_eq!(status(&answer), 200, "{answer}");
    assert_eq!(header(&answer, "x-amzn-requestid"), Some("req-1"));
    let lower = answer.to_ascii_lowercase();
    assert!(!lower.contains("set-cookie"), "{answer}");
    assert!(!lower.contains("access-control-"), "{answer}");
}

#[tokio::test]
async fn oversized_request_heads_get_431() {
    // Under hyper's smallest read buffer (8 KiB), so that the whole head is read and the
    // 431 is not lost to a reset.
    let f = Fixture::start_with(|b| b.max_header_bytes(4 * 1024)).await;
    let big = f.request(
        "GET",
        "/ok",
        &format!("X-Big: {}\r\n", "a".repeat(5 * 1024)),
    );
    let response = f.send(&big).await;
    assert_eq!(status(&response), 431, "{response}");
    assert_eq!(f.upstream.hits(), 0);
    // Under the limit: forwarded.
    let fits = f.request(
        "GET",
        "/ok",
        &format!("X-Big: {}\r\n", "a".repeat(3 * 1024)),
    );
    assert_eq!(status(&f.send(&fits).await), 200);
    assert_eq!(f.upstream.hits(), 1);
}

// ---------------------------------------------------------------------------------------
// Limits and shutdown.

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let f = Fixture::start_with(|b| b.max_connections(1)).await;
    let (mut first, more) = f.open_stream().await;

    // The second connection is not served while the first holds the only slot.
    let (addr, request) = (f.gw.addr, f.request("GET", "/ok", ""));
    let second = tokio::spawn(async move { raw(addr, request.as_bytes()).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished());
    assert_eq!(f.upstream.hits(), 1);

    drop(more);
    read_to_close(&mut first).await;
    let answer = timeout(PATIENCE, second).await.unwrap().unwrap();
    assert_eq!(status(&answer), 200, "{answer}");
    assert_eq!(f.upstream.hits(), 2);
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish_and_accepts_no_more() {
    let mut f = Fixture::start().await;
    let (mut stream, more) = f.open_stream().await;

    f.gw.shut_down();
    // The listener closes: new connections are refused.
    assert!(
        stops_accepting(f.gw.addr).await,
        "still accepting after shutdown"
    );
    // The request in flight finishes.
    more.send(Bytes::from_static(b"data: two\n\n")).unwrap();
    drop(more);
    let tail = read_to_close(&mut stream).await;
    assert!(tail.contains("data: two"), "{tail:?}");
    let Fixture { gw, .. } = f;
    gw.finished().await.unwrap();
}

#[tokio::test]
async fn shutdown_cuts_off_what_outlasts_the_grace_period() {
    let mut f = Fixture::start_with(|b| b.grace_period(Duration::from_millis(200))).await;
    let (mut stream, _more) = f.open_stream().await;
    f.gw.shut_down();
    let tail = read_to_close(&mut stream).await;
    assert!(
        !tail.contains("0\r\n\r\n"),
        "the body was cut, not ended: {tail:?}"
    );
    let Fixture { gw, .. } = f;
    gw.finished().await.unwrap();
}

#[tokio::test]
async fn on_threads_of_its_own_the_gateway_shares_one_limit_and_shuts_down_gracefully() {
    let mut f = Fixture::start_with(|b| b.threads(2).max_connections(2)).await;
    // Many requests, spread over the threads: every one answered.
    let request = f.request("GET", "/ok", "");
    let answers = futures_util::future::join_all((0..20).map(|_| f.send(&request)));
    for answer in timeout(PATIENCE, answers).await.unwrap() {
        assert_eq!(status(&answer), 200, "{answer}");
    }
    assert_eq!(f.upstream.hits(), 20);

    // Two streams hold both slots: a third connection waits, whichever thread it meets.
    let mut streams = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..2 {
        let (stream, more) = f.open_stream().await;
        streams.push(stream);
        senders.push(more);
    }
    let (addr, request) = (f.gw.addr, f.request("GET", "/ok", ""));
    let third = tokio::spawn(async move { raw(addr, request.as_bytes()).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!third.is_finished());
    assert_eq!(f.upstream.hits(), 22);
    let mut first = streams.remove(0);
    drop(senders.remove(0));
    read_to_close(&mut first).await;
    let answer = timeout(PATIENCE, third).await.unwrap().unwrap();
    assert_eq!(status(&answer), 200, "{answer}");

    // Shutdown: no new connections, the stream in flight finishes, serve returns.
    f.gw.shut_down();
    assert!(
        stops_accepting(f.gw.addr).await,
        "still accepting after shutdown"
    );
    let more = senders.remove(0);
    more.send(Bytes::from_static(b"data: two\n\n")).unwrap();
    drop(more);
    let tail = read_to_close(&mut streams[0]).await;
    assert!(tail.contains("data: two"), "{tail:?}");
    let Fixture { gw, .. } = f;
    gw.finished().await.unwrap();
}

#[tokio::test]
async fn dropping_serve_stops_the_gateways_threads() {
    let f = Fixture::start_with(|b| b.threads(2)).await;
    assert_eq!(status(&f.send(&f.request("GET", "/ok", "")).await), 200);
    f.gw.served.abort();
    assert!(
        stops_accepting(f.gw.addr).await,
        "the threads still accept after serve was dropped"
    );
}

/// An idle upstream connection is closed after 80 to 90 s without a request (counted by
/// the pool's sweeps, so no clock is read per request); until then it is reused. Tokio's
/// clock is paused, and moves only as far as the test sleeps: everything runs on this
/// thread, and Tokio does not move a paused clock on while loopback sockets it polls are
/// ready (were it to, the 10 s timeouts of `send` would fail the test, not pass it).
#[tokio::test(start_paused = true)]
async fn idle_upstream_connections_close_after_80_to_90_seconds() {
    let f = Fixture::start().await;
    let request = f.request("GET", "/ok", "");
    assert_eq!(status(&f.send(&request).await), 200);
    tokio::time::sleep(Duration::from_secs(79)).await;
    assert_eq!(status(&f.send(&request).await), 200);
    assert_eq!(f.upstream.connections(), 1, "closed before 80 s idle");
    tokio::time::sleep(Duration::from_secs(91)).await;
    assert_eq!(status(&f.send(&request).await), 200);
    assert_eq!(f.upstream.connections(), 2, "still kept after 90 s idle");
}

/// With threads, every thread serves: each keeps its own upstream connections, so the
/// upstream sees one connection per thread once each has taken a request. The threads
/// share the listener, and the kernel hands connections to whichever asks first.
#[tokio::test]
async fn every_thread_serves() {
    let f = Fixture::start_with(|b| b.threads(2)).await;
    let request = f.request("GET", "/ok", "");
    let mut tries = 0;
    while f.upstream.connections() < 2 && tries < 500 {
        assert_eq!(status(&f.send(&request).await), 200);
        tries += 1;
    }
    assert_eq!(f.upstream.connections(), 2, "after {tries} connections");
}

/// Connecting is bounded as a whole, TLS handshake included: an upstream that takes the
/// TCP connection but never answers the handshake gets the client `502` at the connect
/// timeout, not `504` at the (much longer) response timeout. Paused clock.
#[tokio::test(start_paused = true)]
async fn an_upstream_stuck_in_its_tls_handshake_fails_at_the_connect_timeout() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let f = Fixture::start_with(|b| {
        b.upstream(&url)
            .upstream_connect_timeout(Duration::from_secs(2))
    })
    .await;
    let started = Instant::now();
    let answer = f.send(&f.request("GET", "/ok", "")).await;
    let waited = started.elapsed();
    assert_eq!(status(&answer), 502, "{answer}");
    assert!(answer.contains("could not connect"), "{answer}");
    assert!(
        (Duration::from_secs(2)..Duration::from_secs(3)).contains(&waited),
        "{waited:?}"
    );
    held.abort();
}

#[tokio::test]
async fn upstream_connections_are_kept_and_a_closed_one_is_replaced() {
    let f = Fixture::start().await;
    // Each client connection closes; the upstream connection stays.
    for _ in 0..5 {
        assert_eq!(status(&f.send(&f.request("GET", "/ok", "")).await), 200);
    }
    assert_eq!(f.upstream.connections(), 1);
    // Requests at once need connections at once; afterwards they are all kept.
    let request = f.request("GET", "/ok", "");
    let answers = futures_util::future::join_all((0..8).map(|_| f.send(&request))).await;
    assert!(answers.iter().all(|a| status(a) == 200), "{answers:?}");
    let opened = f.upstream.connections();
    assert!((1..=8).contains(&opened), "{opened}");
    for _ in 0..5 {
        assert_eq!(status(&f.send(&request).await), 200);
    }
    assert_eq!(
        f.upstream.connections(),
        opened,
        "no new connection while kept ones are idle"
    );

    // The upstream closes its idle connections: the next request gets a new one.
    f.upstream.close_connections();
    let mut answered = false;
    for _ in 0..50 {
        // Until the gateway has seen the close, a request may meet a connection closing
        // under it; it is never failed for that if it was not sent.
        let answer = f.send(&request).await;
        assert_eq!(status(&answer), 200, "{answer}");
        if f.upstream.connections() > opened {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        answered,
        "no new upstream connection after the upstream closed them"
    );
}

// ---------------------------------------------------------------------------------------
// Logs.

#[tokio::test]
async fn one_log_event_per_request_and_no_key_in_any_event() {
    // Global: every thread's events (other tests' too, told apart by their paths).
    let events = Events::global();
    let f = Fixture::start().await;
    let canary = ClientKey::generate();
    f.upstream.then(Answer::Json(500, "{}".into()));
    let requests = [
        f.request("POST", "/model/logs-m/converse?secret-query=1", ""),
        f.request("POST", "/model/logs-m/converse", ""),
        format!(
            "GET /logs-x HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\r\n",
            f.gw.host(),
            canary.as_str()
        ),
        format!(
            "GET /.bedrock-token/health HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            f.gw.host()
        ),
    ];
    let mut statuses = Vec::new();
    for request in &requests {
        statuses.push(status(&f.send(request).await));
        f.clock.advance(Duration::from_secs(1));
    }
    assert_eq!(statuses, [500, 200, 401, 200]);
    // A head that hyper refuses itself gets a line too, holding nothing of the request's
    // (this one carries the client key).
    let malformed = format!(
        "GET /logs-bad HTTP/1.1\r\nHost: {}\r\n{}Not A Header\r\n\r\n",
        f.gw.host(),
        f.bearer()
    );
    let (answer, malformed_from) = raw_from(f.gw.addr, malformed.as_bytes()).await;
    assert_eq!(status(&answer), 400);
    // So does one over the head limit (its answer is not checked: it may be lost to a
    // reset). Lines are told from other tests' by the client's address.
    let oversized = f.request(
        "GET",
        "/logs-big",
        &format!("X-Big: {}\r\n", "a".repeat(70_000)),
    );
    let (_, oversized_from) = raw_from(f.gw.addr, oversized.as_bytes()).await;
    let real_keys: Vec<String> = f
        .upstream
        .seen()
        .iter()
        .map(|s| {
            s.header("authorization")
                .unwrap()
                .trim_start_matches("Bearer ")
                .to_owned()
        })
        .collect();
    assert_eq!(real_keys.len(), 2);

    // This test's request lines, by their paths (other tests ask for the health check
    // too, so its line is not counted here).
    let is_ours =
        |e: &support::events::Captured| e.field("path").is_some_and(|p| p.contains("logs-"));
    // A request's line is written once its answer is done, which may be after the client
    // has read it: wait for the three (bounded).
    let request_lines = |all: &[support::events::Captured]| {
        all.iter()
            .filter(|e| e.target == "bedrock_token::gateway" && is_ours(e))
            .count()
    };
    let refused_head = |all: &[support::events::Captured]| {
        let refused = |status, why, from: &str| {
            all.iter().any(|e| {
                e.target == "bedrock_token::gateway"
                    && e.field("client") == Some(from)
                    && e.field("status") == Some(status)
                    && e.message().contains(why)
                    && e.field("path").is_none()
            })
        };
        refused("400", "not valid HTTP/1.1", &malformed_from)
            && refused("431", "larger than the gateway's limit", &oversized_from)
    };
    for _ in 0..2000 {
        let all = events.all();
        if request_lines(&all) >= 3 && refused_head(&all) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let all = events.all();
    assert!(refused_head(&all), "no line for the head hyper refused");
    let per_request: Vec<_> = all
        .iter()
        .filter(|e| e.target == "bedrock_token::gateway" && is_ours(e))
        .collect();
    let logged: Vec<(&str, &str, &str)> = per_request
        .iter()
        .map(|e| {
            assert!(e.field("latency_ms").unwrap().parse::<u64>().is_ok());
            assert_eq!(e.level, tracing::Level::INFO);
            (
                e.field("method").unwrap(),
                e.field("path").unwrap(),
                e.field("status").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("POST", "/model/logs-m/converse", "500"),
            ("POST", "/model/logs-m/converse", "200"),
            ("GET", "/logs-x", "401"),
        ]
    );
    // Every event and span of every crate (the gateway, the provider, hyper's client).
    assert!(all
        .iter()
        .any(|e| e.target == "aws_bedrock_token_generator::provider"));
    let secrets = [
        f.key.as_str(),
        canary.as_str(),
        &real_keys[0],
        &real_keys[1],
        "secret-query",
    ];
    for captured in all.iter().chain(events.spans().iter()) {
        for (name, value) in &captured.fields {
            for secret in secrets {
                assert!(
                    !value.contains(secret),
                    "{} field {name} holds a secret: {value}",
                    captured.target
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// TLS.

fn tls_client(trusted: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    if !trusted.is_empty() {
        roots
            .add(rustls::pki_types::CertificateDer::from(trusted.to_vec()))
            .unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

#[tokio::test]
async fn serves_https_that_clients_trusting_only_its_certificate_verify() {
    let identity = TlsIdentity::generate_localhost().unwrap();
    let cert = identity.cert_der().to_vec();
    let pem = identity.cert_pem().to_owned();
    let f = Fixture::start_with(|b| b.tls(identity)).await;
    assert_eq!(f.gw.url, format!("https://127.0.0.1:{}", f.gw.addr.port()));
    let port = f.gw.addr.port();

    for (name, host) in [
        ("localhost", format!("localhost:{port}")),
        ("127.0.0.1", format!("127.0.0.1:{port}")),
    ] {
        let tcp = TcpStream::connect(f.gw.addr).await.unwrap();
        let server_name = rustls::pki_types::ServerName::try_from(name.to_owned()).unwrap();
        let mut tls = tls_client(&cert).connect(server_name, tcp).await.unwrap();
        let request = format!(
            "POST /model/m/converse HTTP/1.1\r\nHost: {host}\r\n{}Content-Length: 0\r\nConnection: close\r\n\r\n",
            f.bearer()
        );
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = timeout(PATIENCE, tls.read_to_end(&mut out)).await.unwrap();
        let response = String::from_utf8_lossy(&out);
        assert_eq!(status(&response), 200, "{name}: {response}");
    }
    assert_eq!(f.upstream.hits(), 2);

    // Not trusted without the certificate, nor under another name.
    let tcp = TcpStream::connect(f.gw.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    assert!(tls_client(&[]).connect(name, tcp).await.is_err());
    let tcp = TcpStream::connect(f.gw.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("example.com").unwrap();
    assert!(tls_client(&cert).connect(name, tcp).await.is_err());

    // The PEM is the same certificate.
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[tokio::test]
async fn https_serves_http2_by_alpn() {
    let identity = TlsIdentity::generate_localhost().unwrap();
    let cert = identity.cert_der().to_vec();
    let f = Fixture::start_with(|b| b.tls(identity)).await;
    // Asserts that the gateway chose h2 by ALPN.
    let (mut sender, _conn) = h2_connection(&f, cert).await;
    let port = f.gw.addr.port();
    let send = |authority: String, key: Option<&str>| {
        let mut request = ::http::Request::builder()
            .method("POST")
            .uri(format!("https://{authority}/model/m/converse"));
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        request.body(http_body_util::Empty::<Bytes>::new()).unwrap()
    };
    let ok = sender
        .send_request(send(format!("localhost:{port}"), Some(f.key.as_str())))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        f.upstream.seen()[0].header("authorization"),
        Some(format!("Bearer {}", f.real_key()).as_str())
    );
    // The same rules over HTTP/2: a foreign :authority, no client key.
    let foreign = sender
        .send_request(send(format!("evil.example:{port}"), Some(f.key.as_str())))
        .await
        .unwrap();
    assert_eq!(foreign.status(), 421);
    let anonymous = sender
        .send_request(send(format!("localhost:{port}"), None))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(f.upstream.hits(), 1);
}

/// An HTTP/2 connection to `f`'s TLS gateway, its driver running.
async fn h2_connection(
    f: &Fixture,
    cert: Vec<u8>,
) -> (
    hyper::client::conn::http2::SendRequest<http_body_util::Empty<Bytes>>,
    tokio::task::JoinHandle<Result<(), hyper::Error>>,
) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(cert))
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = TcpStream::connect(f.gw.addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .unwrap();
    (sender, tokio::spawn(conn))
}

#[tokio::test]
async fn idle_http2_connections_are_closed_and_free_their_slot() {
    let identity = TlsIdentity::generate_localhost().unwrap();
    let cert = identity.cert_der().to_vec();
    let f = Fixture::start_with(|b| {
        b.tls(identity)
            .max_connections(1)
            .header_read_timeout(Duration::from_millis(300))
    })
    .await;
    let port = f.gw.addr.port();
    let request = |key: &str| {
        ::http::Request::builder()
            .method("POST")
            .uri(format!("https://localhost:{port}/model/m/converse"))
            .header("authorization", format!("Bearer {key}"))
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap()
    };
    // A connection that sends nothing is closed; so is one idle after a request.
    let (_silent, closed) = h2_connection(&f, cert.clone()).await;
    timeout(PATIENCE, closed)
        .await
        .expect("an HTTP/2 connection with no request stayed open")
        .unwrap()
        .unwrap();
    let (mut sender, closed) = h2_connection(&f, cert.clone()).await;
    let ok = sender.send_request(request(f.key.as_str())).await.unwrap();
    assert_eq!(ok.status(), 200);
    timeout(PATIENCE, closed)
        .await
        .expect("an idle HTTP/2 connection stayed open")
        .unwrap()
        .unwrap();
    // Requests without the key do not keep a connection open.
    let (mut sender, mut closed) = h2_connection(&f, cert.clone()).await;
    let keyless = async {
        loop {
            let _ = sender
                .send_request(request("btgw-not-the-client-key"))
                .await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        () = keyless => unreachable!(),
        done = timeout(PATIENCE, &mut closed) => {
            done.expect("refused requests kept an HTTP/2 connection open").unwrap().unwrap();
        }
    }
    // Its slot (the only one) serves the next client.
    let (mut sender, _open) = h2_connection(&f, cert).await;
    let ok = timeout(PATIENCE, sender.send_request(request(f.key.as_str())))
        .await
        .expect("the connection slot was never freed")
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(f.upstream.hits(), 2);
}

// ---------------------------------------------------------------------------------------
// Bind and configuration checks (no traffic is sent).

fn builder() -> Builder {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    Gateway::builder(provider(&creds, &clock), ClientKey::generate()).upstream("http://127.0.0.1:9")
}

#[tokio::test]
async fn bind_refuses_addresses_that_are_not_loopback() {
    for addr in [
        "0.0.0.0:0",
        "192.168.1.10:8080",
        "10.1.2.3:0",
        "[::]:0",
        "[fe80::1]:0",
    ] {
        let e = builder().bind(addr.parse().unwrap()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotLoopback, "{addr}");
        assert_eq!(e.input(), Some(Input::ListenAddress));
    }
    // With TLS: only the addresses the certificate names.
    let identity = TlsIdentity::generate_localhost().unwrap();
    let e = builder()
        .tls(identity.clone())
        .bind("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert_eq!(e.input(), Some(Input::ListenAddress));
    let gw = builder()
        .tls(identity)
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert!(gw.url().starts_with("https://127.0.0.1:"));
    // Plain HTTP on another loopback address is fine.
    let gw = builder()
        .bind("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    assert!(gw.url().starts_with("http://127.0.0.2:"));
}

#[tokio::test]
async fn bind_checks_the_upstream_and_limits_and_reports_a_busy_port() {
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let bare = || Gateway::builder(provider(&creds, &clock), ClientKey::generate());
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let e = bare().bind(local).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.input()),
        (ErrorKind::InvalidConfig, Some(Input::Upstream))
    );
    let e = bare()
        .upstream("http://bedrock.example.com")
        .bind(local)
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.input()),
        (ErrorKind::NotLoopback, Some(Input::Upstream))
    );
    let e = bare()
        .upstream("https://user:hunter2@example.com")
        .bind(local)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(!format!("{e:?}").contains("hunter2"), "{e:?}");
    for limited in [
        builder().max_connections(0),
        builder().max_header_bytes(100),
        builder().header_read_timeout(Duration::ZERO),
        builder().token_wait(Duration::ZERO),
    ] {
        let e = limited.bind(local).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    }

    let taken = tokio::net::TcpListener::bind(local).await.unwrap();
    let e = builder()
        .bind(taken.local_addr().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(e.io_error_kind(), Some(std::io::ErrorKind::AddrInUse));
    assert!(
        e.to_string().starts_with("could not listen on 127.0.0.1:"),
        "{e}"
    );
}

#[test]
fn debug_output_never_shows_the_client_key() {
    let key = ClientKey::generate();
    let clock = ManualTimeSource::new(start());
    let creds = ScriptedCredentials::new(Next::Ok(static_creds()));
    let b = Gateway::builder(provider(&creds, &clock), key.clone()).upstream("https://example.com");
    let debug = format!("{b:?} {key:?}");
    assert!(!debug.contains(key.as_str()), "{debug}");
    assert!(debug.contains("redacted"));
}

// ---------------------------------------------------------------------------------------
// The client key file.

#[test]
fn the_client_key_file_is_created_private_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client-key");
    let created = ClientKey::load_or_create(&path).unwrap();
    assert!(created.as_str().starts_with("btgw-"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{}\n", created.as_str()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = ClientKey::load_or_create(&path).unwrap();
    assert_eq!(again.as_str(), created.as_str());
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // A key written by hand, with or without a trailing newline.
    for content in [
        "my-own-client-key-0123\n",
        "my-own-client-key-0123",
        "my-own-client-key-0123\r\n",
    ] {
        let own = dir.path().join("own");
        std::fs::write(&own, content).unwrap();
        set_mode(&own, 0o600);
        assert_eq!(
            ClientKey::load_or_create(&own).unwrap().as_str(),
            "my-own-client-key-0123"
        );
    }
}

#[test]
fn two_processes_creating_the_key_file_at_once_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client-key");
    let keys: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    ClientKey::load_or_create(&path)
                        .unwrap()
                        .as_str()
                        .to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_: &std::path::Path, _: u32) {}

#[cfg(unix)]
#[test]
fn unsafe_client_key_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "planted-client-key-0123456789";
    let good = dir.path().join("good");
    std::fs::write(&good, secret).unwrap();
    set_mode(&good, 0o600);

    let mut cases: Vec<(std::path::PathBuf, &str)> = Vec::new();
    for mode in [0o640, 0o604, 0o660, 0o666] {
        let path = dir.path().join(format!("mode-{mode:o}"));
        std::fs::write(&path, secret).unwrap();
        set_mode(&path, mode);
        cases.push((path, "chmod 600"));
    }
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    cases.push((link, "symbolic link"));
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    set_mode(&fifo, 0o600);
    cases.push((fifo, "not a regular file"));
    let sub = dir.path().join("a-directory");
    std::fs::create_dir(&sub).unwrap();
    set_mode(&sub, 0o700);
    cases.push((sub, "not a regular file"));
    let short = dir.path().join("short");
    std::fs::write(&short, "short\n").unwrap();
    set_mode(&short, 0o600);
    cases.push((short, "usable key"));
    if rustix::process::geteuid().is_root() {
        let theirs = dir.path().join("theirs");
        std::fs::write(&theirs, secret).unwrap();
        set_mode(&theirs, 0o600);
        std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
        cases.push((theirs, "another user"));
    }
    for (path, says) in cases {
        // A FIFO with no writer would block a plain open: this must return at once.
        let e = ClientKey::load_or_create(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidClientKey, "{path:?}: {e}");
        assert_eq!(e.input(), Some(Input::ClientKey));
        assert!(e.to_string().contains(says), "{path:?}: {e}");
        assert!(!format!("{e:?}").contains(secret));
    }

    // A missing directory is an I/O failure, told with its kind.
    let e = ClientKey::load_or_create(&dir.path().join("missing/key")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(e.io_error_kind(), Some(std::io::ErrorKind::NotFound));
}

/// Lets the background load started by a refusal finish, until `calls` loads were made.
async fn settle_load(f: &Fixture, calls: usize) {
    for _ in 0..1000 {
        if f.creds.calls() >= calls && !f.provider.status().loading {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!(
        "the background load did not finish: {:?}",
        f.provider.status()
    );
}

/// A refusal during a credential outage keeps the refused key in service while it is
/// valid: a 403 is as often about the request as about the key.
#[tokio::test]
async fn a_refusal_during_an_outage_keeps_the_valid_key() {
    let f = Fixture::start().await;
    f.provider.token().await.unwrap();
    f.clock.advance(Duration::from_secs(1));
    let kept = f.real_key();
    f.creds.set(Next::Fail);
    f.upstream.then(Answer::Json(
        403,
        r#"{"message":"no access to this model"}"#.into(),
    ));
    assert_eq!(
        status(&f.send(&f.request("POST", "/model/m/converse", "")).await),
        403
    );
    settle_load(&f, 2).await;
    assert_eq!(
        status(&f.send(&f.request("POST", "/model/m/converse", "")).await),
        200
    );
    let seen = f.upstream.seen();
    assert_eq!(
        seen[1].header("authorization").unwrap(),
        format!("Bearer {kept}")
    );
}

// ---------------------------------------------------------------------------------------
// The modes real clients use: HTTP/2 with prior knowledge on plain HTTP (the AWS SDK for
// JavaScript), control-plane reads (Claude Code), failed TLS handshakes in the log.

/// An IO that writes at most one byte per write for its first `slow` bytes: a client
/// whose HTTP/2 preface arrives in pieces.
struct Trickle {
    inner: TcpStream,
    slow: usize,
}

impl tokio::io::AsyncRead for Trickle {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Trickle {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let n = if self.slow > 0 {
            1.min(buf.len())
        } else {
            buf.len()
        };
        let written =
            std::task::ready!(std::pin::Pin::new(&mut self.inner).poll_write(cx, &buf[..n]))?;
        self.slow = self.slow.saturating_sub(written);
        std::task::Poll::Ready(Ok(written))
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn plain_http_serves_http2_with_prior_knowledge_under_the_same_rules() {
    let f = Fixture::start().await;
    let port = f.gw.addr.port();
    // Whole preface in one write (as clients do), and one byte at a time.
    for slow in [0, 24] {
        let tcp = TcpStream::connect(f.gw.addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let (mut sender, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(Trickle { inner: tcp, slow }),
        )
        .await
        .unwrap();
        let _conn = tokio::spawn(conn);
        let send = |authority: String, key: Option<&str>| {
            let mut request = ::http::Request::builder()
                .method("POST")
                .uri(format!("http://{authority}/model/m/converse"));
            if let Some(key) = key {
                request = request.header("authorization", format!("Bearer {key}"));
            }
            request.body(http_body_util::Empty::<Bytes>::new()).unwrap()
        };
        let hits = f.upstream.hits();
        let ok = sender
            .send_request(send(format!("127.0.0.1:{port}"), Some(f.key.as_str())))
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "slow {slow}");
        assert_eq!(ok.version(), ::http::Version::HTTP_2);
        assert_eq!(
            f.upstream.seen().last().unwrap().header("authorization"),
            Some(format!("Bearer {}", f.real_key()).as_str())
        );
        let foreign = sender
            .send_request(send(format!("evil.example:{port}"), Some(f.key.as_str())))
            .await
            .unwrap();
        assert_eq!(foreign.status(), 421);
        let anonymous = sender
            .send_request(send(format!("localhost:{port}"), None))
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
        assert_eq!(f.upstream.hits(), hits + 1);
    }
    // The preface in two writes apart: the gateway answers with its SETTINGS frame.
    let mut split = TcpStream::connect(f.gw.addr).await.unwrap();
    split.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    split.write_all(b"\r\nSM\r\n\r\n").await.unwrap();
    // An empty SETTINGS frame of the client's own.
    split.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
    let mut frame = [0u8; 9];
    timeout(PATIENCE, split.read_exact(&mut frame))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frame[3], 4, "not a SETTINGS frame: {frame:?}");
    // HTTP/1 that begins with a P, its first byte alone: replayed to HTTP/1 whole.
    let mut post = TcpStream::connect(f.gw.addr).await.unwrap();
    let request = f.request("POST", "/model/m/converse", "");
    post.write_all(&request.as_bytes()[..1]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    post.write_all(&request.as_bytes()[1..]).await.unwrap();
    let answer = timeout(PATIENCE, read_to_close(&mut post)).await.unwrap();
    assert_eq!(status(&answer), 200, "{answer}");
    // Something that begins like the preface and is not: HTTP/1, refused as such.
    let answer = raw(f.gw.addr, b"PRI * HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status(&answer), 400, "{answer}");
    // HTTP/1 methods that begin with P are untouched.
    let put = f.send(&f.request("PUT", "/model/m/converse", "")).await;
    assert_eq!(status(&put), 200, "{put}");
}

#[tokio::test]
async fn control_plane_reads_go_to_the_control_plane_and_their_refusals_keep_the_key() {
    let control = Upstream::start().await;
    let f = Fixture::start_with(|b| b.control_plane(&control.url())).await;
    control.then(Answer::Json(
        200,
        r#"{"inferenceProfileSummaries":[]}"#.into(),
    ));
    let listed = f
        .send(&f.request(
            "GET",
            "/inference-profiles?maxResults=100&typeEquals=SYSTEM_DEFINED",
            "",
        ))
        .await;
    assert_eq!(status(&listed), 200, "{listed}");
    assert_eq!(
        body(&listed)["inferenceProfileSummaries"],
        serde_json::json!([])
    );
    let seen = control.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {}", f.real_key()).as_str())
    );
    assert_eq!(
        seen[0].header("host"),
        Some(control.addr.to_string().as_str())
    );
    assert_eq!(f.upstream.hits(), 0);
    // Runtime calls still go to the upstream.
    let invoked = f.send(&f.request("POST", "/model/m/invoke", "")).await;
    assert_eq!(status(&invoked), 200);
    assert_eq!((f.upstream.hits(), control.hits()), (1, 1));

    // A control-plane refusal (a permission the principal lacks) loads no new key.
    let loads = f.creds.calls();
    control.then(Answer::Json(403, r#"{"message":"not authorized"}"#.into()));
    let refused = f.send(&f.request("GET", "/foundation-models", "")).await;
    assert_eq!(status(&refused), 403);
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(f.creds.calls(), loads);

    // Without a control plane they go to the upstream, and its refusal keeps the key too.
    let f = Fixture::start().await;
    f.provider.token().await.unwrap();
    f.upstream.then(Answer::Json(
        403,
        r#"{"message":"Unknown operation"}"#.into(),
    ));
    let refused = f.send(&f.request("GET", "/inference-profiles", "")).await;
    assert_eq!(status(&refused), 403);
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(f.creds.calls(), 1);
    assert_eq!(f.upstream.hits(), 1);
}

#[tokio::test]
async fn a_failed_tls_handshake_is_logged_with_the_client_and_reason_only() {
    let events = Events::global();
    let identity = TlsIdentity::generate_localhost().unwrap();
    let cert = identity.cert_der().to_vec();
    let f = Fixture::start_with(|b| b.tls(identity)).await;
    // A client that does not trust the gateway's authority.
    let tcp = TcpStream::connect(f.gw.addr).await.unwrap();
    let distrusting = tcp.local_addr().unwrap().to_string();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    assert!(tls_client(&[]).connect(name, tcp).await.is_err());
    // One that speaks plain HTTP to it, with the client key.
    let (_, plain) = raw_from(f.gw.addr, f.request("GET", "/x", "").as_bytes()).await;
    // One that completes the handshake and closes, as Node and Bun do with a certificate
    // they do not trust.
    let tcp = TcpStream::connect(f.gw.addr).await.unwrap();
    let silent = tcp.local_addr().unwrap().to_string();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tls_client(&cert).connect(name, tcp).await.unwrap();
    tls.shutdown().await.unwrap();
    drop(tls);
    let line = |from: &str| {
        events.all().into_iter().find(|e| {
            e.target == "bedrock_token::gateway"
                && e.field("client") == Some(from)
                && e.message().contains("TLS ")
        })
    };
    let mut found = (None, None, None);
    for _ in 0..2000 {
        found = (line(&distrusting), line(&plain), line(&silent));
        if found.0.is_some() && found.1.is_some() && found.2.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (Some(distrusted), Some(plain), Some(silent)) = found else {
        panic!("no log line for a failed handshake: {found:?}");
    };
    assert!(
        silent.message().contains("closed before any request"),
        "{}",
        silent.message()
    );
    assert!(
        distrusted.message().contains("does not trust"),
        "{}",
        distrusted.message()
    );
    assert!(
        matches!(
            distrusted.field("alert"),
            Some("UnknownCA" | "BadCertificate")
        ),
        "{:?}",
        distrusted.fields
    );
    assert!(
        plain.message().contains("did not speak TLS"),
        "{}",
        plain.message()
    );
    for line in [&distrusted, &plain] {
        let names: Vec<&str> = line.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            names
                .iter()
                .all(|n| ["message", "client", "alert"].contains(n)),
            "{names:?}"
        );
        assert!(line.fields.iter().all(|(_, v)| !v.contains(f.key.as_str())));
    }
    assert_eq!(f.upstream.hits(), 0);
}

/// An HTTP/2 connection with prior knowledge to `f`'s plain-HTTP gateway, bodies of type
/// `B`, its driver running.
async fn h2c_connection<B>(
    f: &Fixture,
) -> (
    hyper::client::conn::http2::SendRequest<B>,
    tokio::task::JoinHandle<Result<(), hyper::Error>>,
)
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let tcp = TcpStream::connect(f.gw.addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    (sender, tokio::spawn(conn))
}

/// Refusals of every kind (401, 404, 421, 400) cost a client without the key its HTTP/2
/// connection all the same; a keyed request still running (an upload slower than the
/// idle limit) keeps its connection open, and the connection serves the next request.
#[tokio::test]
async fn http2_activity_is_keyed_requests_and_those_still_running() {
    let f = Fixture::start_with(|b| b.header_read_timeout(Duration::from_millis(300))).await;
    let port = f.gw.addr.port();
    let request = |authority: String, path: &str, key: &str| {
        ::http::Request::builder()
            .method("POST")
            .uri(format!("http://{authority}{path}"))
            .header("authorization", format!("Bearer {key}"))
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap()
    };
    let (mut sender, mut closed) = h2c_connection(&f).await;
    let own = format!("127.0.0.1:{port}");
    let refused = async {
        loop {
            for (authority, path, key, want) in [
                (
                    own.clone(),
                    "/model/m/converse",
                    "btgw-not-the-client-key",
                    401,
                ),
                (own.clone(), "/.bedrock-token/nope", f.key.as_str(), 404),
                (
                    format!("evil.example:{port}"),
                    "/model/m/converse",
                    f.key.as_str(),
                    421,
                ),
                (own.clone(), "/model/../x", "btgw-not-the-client-key", 401),
            ] {
                if let Ok(answer) = sender.send_request(request(authority, path, key)).await {
                    assert_eq!(answer.status(), want);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    tokio::select! {
        () = refused => unreachable!(),
        done = timeout(PATIENCE, &mut closed) => {
            done.expect("refused requests kept an HTTP/2 connection open").unwrap().unwrap();
        }
    }
    assert_eq!(f.upstream.hits(), 0);

    // An upload paced under the pause limit, lasting four idle periods.
    let (mut sender, closed) = h2c_connection::<http_body_util::channel::Channel<Bytes>>(&f).await;
    let (mut body, channel) = http_body_util::channel::Channel::new(1);
    let upload = ::http::Request::builder()
        .method("POST")
        .uri(format!("http://{own}/model/m/converse"))
        .header("authorization", format!("Bearer {}", f.key.as_str()))
        .body(channel)
        .unwrap();
    let answer = tokio::spawn(sender.send_request(upload));
    for _ in 0..12 {
        body.send_data(Bytes::from_static(b"0123456789"))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!closed.is_finished(), "GOAWAY during a running upload");
    }
    drop(body);
    let answer = timeout(PATIENCE, answer).await.unwrap().unwrap().unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(f.upstream.seen()[0].body.len(), 120);
    let (next_body, next) = http_body_util::channel::Channel::new(1);
    drop(next_body);
    let next = ::http::Request::builder()
        .method("POST")
        .uri(format!("http://{own}/model/m/converse"))
        .header("authorization", format!("Bearer {}", f.key.as_str()))
        .body(next)
        .unwrap();
    let mut sender = sender;
    assert_eq!(sender.send_request(next).await.unwrap().status(), 200);
}

/// HTTP/2 is held to HTTP/1's framing rules where they reach the upstream: two
/// Content-Length headers are refused; a malformed chunked HTTP/1 body is the client's
/// fault (400), not the upstream's (502).
#[tokio::test]
async fn repeated_lengths_over_http2_and_malformed_chunks_are_400() {
    let f = Fixture::start().await;
    let port = f.gw.addr.port();
    let (mut sender, _conn) = h2c_connection(&f).await;
    let twice = ::http::Request::builder()
        .method("POST")
        .uri(format!("http://127.0.0.1:{port}/model/m/converse"))
        .header("authorization", format!("Bearer {}", f.key.as_str()))
        .header("content-length", "3")
        .header("content-length", "3")
        .body(http_body_util::Full::new(Bytes::from_static(b"abc")))
        .unwrap();
    let answer = sender.send_request(twice).await.unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(f.upstream.hits(), 0);

    let malformed = format!(
        "POST /model/m/converse HTTP/1.1\r\nHost: {}\r\n{}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        f.gw.host(),
        f.bearer()
    );
    let answer = f.send(&malformed).await;
    assert_eq!(status(&answer), 400, "{answer}");
    assert!(body(&answer)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("malformed"));
}

/// A local process without the client key cannot keep keyed clients out: with many more
/// idle (or half-sent) connections than there are slots, a keyed request on a new
/// connection is served at once, and the oldest keyless connections are closed to make
/// room; the keyed connection then holds its slot however many keyless ones follow.
#[tokio::test]
async fn keyless_connections_cannot_starve_keyed_clients() {
    let f = Fixture::start_with(|b| b.max_connections(2).max_unproven_connections(8)).await;
    let mut idle = Vec::new();
    for i in 0..40 {
        let mut stream = TcpStream::connect(f.gw.addr).await.unwrap();
        if i % 2 == 0 {
            // Half a head, never finished.
            stream
                .write_all(b"POST /model/m/converse HTTP/1.1\r\n")
                .await
                .unwrap();
        }
        idle.push(stream);
    }
    let started = Instant::now();
    let mut keyed = TcpStream::connect(f.gw.addr).await.unwrap();
    let keep_alive = format!(
        "POST /model/m/converse HTTP/1.1\r\nHost: {}\r\n{}Content-Length: 0\r\n\r\n",
        f.gw.host(),
        f.bearer()
    );
    keyed.write_all(keep_alive.as_bytes()).await.unwrap();
    let answer = timeout(PATIENCE, read_until(&mut keyed, "\r\n\r\n"))
        .await
        .expect("a keyed request waited behind keyless connections");
    assert_eq!(status(&answer), 200, "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Keyless connections were closed (they read EOF) to make room, all but the 8 the
    // budget allows: the ones that sent nothing first, every one of them.
    let mut closed = Vec::new();
    for (i, stream) in idle.iter_mut().enumerate() {
        let mut byte = [0u8; 1];
        // EOF, or a reset for one whose half head was never read.
        if let Ok(Ok(0) | Err(_)) =
            timeout(Duration::from_millis(100), stream.read(&mut byte)).await
        {
            closed.push(i);
        }
    }
    assert!(
        closed.len() >= 32,
        "only {} keyless connections were closed: {closed:?}",
        closed.len()
    );
    assert!(
        (0..40).filter(|i| i % 2 == 1).all(|i| closed.contains(&i)),
        "a silent connection outlived one that sent something: {closed:?}"
    );
    // Another flood does not evict the keyed connection, which serves a second request.
    for _ in 0..40 {
        idle.push(TcpStream::connect(f.gw.addr).await.unwrap());
    }
    keyed.write_all(keep_alive.as_bytes()).await.unwrap();
    let again = timeout(PATIENCE, read_until(&mut keyed, "\r\n\r\n"))
        .await
        .unwrap();
    assert_eq!(status(&again), 200, "{again}");
    assert_eq!(f.upstream.hits(), 2);
}

/// An upstream that answers every request with `answer`, byte for byte (what hyper's own
/// server would never send); its URL.
async fn raw_upstream(answer: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let _ = stream.write_all(answer).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    url
}

/// Upstream answers hyper's client takes but a client must not get as they are: a
/// chunked body beside a Content-Length (the length would cut the body short), and a
/// `101` the gateway never asked for.
#[tokio::test]
async fn upstream_framing_oddities_are_not_passed_on() {
    let url = raw_upstream(
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    .await;
    let f = Fixture::start_with(|b| b.upstream(&url)).await;
    let answer = f.send(&f.request("GET", "/x", "")).await;
    assert_eq!(status(&answer), 200, "{answer}");
    // Re-chunked whole to the client, without the upstream's length.
    assert!(
        answer.ends_with("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        "{answer}"
    );
    assert_eq!(header(&answer, "content-length"), None, "{answer}");

    let url = raw_upstream(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    )
    .await;
    let f = Fixture::start_with(|b| b.upstream(&url)).await;
    let answer = f.send(&f.request("GET", "/x", "")).await;
    assert_eq!(status(&answer), 502, "{answer}");
}

/// One HTTP/2 client connection with many requests at once, before an HTTP/1.1 upstream
/// (a connection per request in flight): the gateway opens no more upstream connections
/// than its limit, and every request is still served, on connections that came free.
#[tokio::test]
async fn upstream_connections_stay_within_the_limit_under_many_streams() {
    let f = Fixture::start_with(|b| b.max_connections(3)).await;
    let port = f.gw.addr.port();
    let (sender, _conn) = h2c_connection::<http_body_util::Empty<Bytes>>(&f).await;
    let mut holds = Vec::new();
    let mut answers = Vec::new();
    for _ in 0..20 {
        let (more, rest) = mpsc::unbounded_channel();
        f.upstream.then(Answer::Stream {
            first: Bytes::from_static(b"data: one\n\n"),
            rest,
        });
        holds.push(more);
        let request = ::http::Request::builder()
            .method("GET")
            .uri(format!("http://127.0.0.1:{port}/stream"))
            .header("authorization", format!("Bearer {}", f.key.as_str()))
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let mut sender = sender.clone();
        answers.push(tokio::spawn(async move {
            let answer = sender.send_request(request).await.unwrap();
            let status = answer.status();
            let body = http_body_util::BodyExt::collect(answer.into_body())
                .await
                .unwrap()
                .to_bytes();
            (status, body)
        }));
    }
    // Three streams reach the upstream; the rest wait for a connection.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(f.upstream.connections(), 3);
    assert_eq!(f.upstream.hits(), 3);
    // Each answer ended frees its connection for a waiting request.
    drop(holds);
    for answer in answers {
        let (status, body) = timeout(PATIENCE, answer).await.unwrap().unwrap();
        assert_eq!(status, 200);
        assert_eq!(&body[..], b"data: one\n\n");
    }
    assert_eq!(f.upstream.hits(), 20);
    assert!(
        f.upstream.connections() <= 3,
        "{}",
        f.upstream.connections()
    );
}
