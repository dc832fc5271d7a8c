//! A recording upstream on 127.0.0.1 for gateway tests: it keeps the head of every request
//! it receives (method, target, headers) and its body, and answers from a script: a JSON
//! answer with a status, or a stream whose first chunk goes out at once and whose rest
//! waits for the test.

use futures_util::StreamExt as _;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// One request as the upstream received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How the upstream answers one request.
pub enum Answer {
    /// `status` with a JSON body.
    Json(u16, String),
    /// `200` `text/event-stream`: `first` at once, then each chunk the test sends on the
    /// returned channel; the body ends when the test drops the sender.
    Stream {
        first: Bytes,
        rest: mpsc::UnboundedReceiver<Bytes>,
    },
    /// `200 {"ok":true}` with these extra headers.
    WithHeaders(Vec<(&'static str, &'static str)>),
    /// Reads the body's first frame, reports it on `first`, then waits for `go` before
    /// reading the rest and answering `200`.
    ReadSlowly {
        first: oneshot::Sender<Bytes>,
        go: oneshot::Receiver<()>,
    },
}

type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A running upstream; stops when dropped.
pub struct Upstream {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    /// The connection tasks so far (each connection accepted).
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Upstream {
    /// Answers `200 {"ok":true}` unless the script says otherwise.
    pub async fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (task_seen, task_script) = (seen.clone(), script.clone());
        let task_connections = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (seen, script) = (task_seen.clone(), task_script.clone());
                let connection = tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<Incoming>| {
                        let answer = script.lock().unwrap().pop_front();
                        answer_one(seen.clone(), answer, req)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                task_connections
                    .lock()
                    .unwrap()
                    .push(connection.abort_handle());
            }
        });
        Upstream {
            addr,
            seen,
            script,
            connections,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues the answer to a coming request.
    pub fn then(&self, answer: Answer) {
        self.script.lock().unwrap().push_back(answer);
    }

    /// Requests received so far (heads recorded on arrival).
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.lock().unwrap().len()
    }

    /// Closes every connection, as an upstream does with idle ones.
    pub fn close_connections(&self) {
        for connection in self.connections.lock().unwrap().iter() {
            connection.abort();
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer_one(
    seen: Arc<Mutex<Vec<Seen>>>,
    answer: Option<Answer>,
    req: hyper::Request<Incoming>,
) -> Result<http::Response<Body>, Infallible> {
    let (parts, mut body) = req.into_parts();
    let index = {
        let mut seen = seen.lock().unwrap();
        seen.push(Seen {
            method: parts.method.to_string(),
            target: parts
                .uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            headers: parts.headers.clone(),
            body: Bytes::new(),
        });
        seen.len() - 1
    };
    let record_body = |bytes: Bytes| seen.lock().unwrap()[index].body = bytes;
    let response = |status: u16, content_type: &str, body: Body| {
        http::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(body)
            .unwrap()
    };
    let full = |text: String| Full::new(Bytes::from(text)).boxed_unsync();
    Ok(match answer {
        None
        | Some(Answer::Json(..))
        | Some(Answer::Stream { .. })
        | Some(Answer::WithHeaders(_)) => {
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            record_body(bytes);
            match answer {
                Some(Answer::Json(status, text)) => {
                    response(status, "application/json", full(text))
                }
                Some(Answer::Stream { first, rest }) => {
                    let chunks =
                        futures_util::stream::iter([first])
                            .chain(futures_util::stream::unfold(rest, |mut rest| async move {
                                rest.recv().await.map(|chunk| (chunk, rest))
                            }));
                    let frames = chunks.map(|chunk| Ok::<_, Infallible>(Frame::data(chunk)));
                    response(
                        200,
                        "text/event-stream",
                        StreamBody::new(frames).boxed_unsync(),
                    )
                }
                Some(Answer::WithHeaders(extra)) => {
                    let mut answer =
                        response(200, "application/json", full(r#"{"ok":true}"#.into()));
                    for (name, value) in extra {
                        answer
                            .headers_mut()
                            .append(name, http::HeaderValue::from_static(value));
                    }
                    answer
                }
                _ => response(200, "application/json", full(r#"{"ok":true}"#.into())),
            }
        }
        Some(Answer::ReadSlowly { first, go }) => {
            let mut received = Vec::new();
            if let Some(Ok(frame)) = body.frame().await {
                let chunk = frame.into_data().unwrap_or_default();
                received.extend_from_slice(&chunk);
                let _ = first.send(chunk);
            }
            let _ = go.await;
            let rest = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            received.extend_from_slice(&rest);
            record_body(Bytes::from(received));
            response(200, "application/json", full(r#"{"ok":true}"#.into()))
        }
    })
}
