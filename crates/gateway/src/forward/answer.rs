//! The gateway's own answers: refusals as JSON errors, the health check, and request
//! paths as logged.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{Either, Full};
use hyper::body::Bytes;

use super::key_policy::current_key;
use super::Shared;
use crate::body::Paced;
use aws_bedrock_token_generator::rfc3339;
use aws_bedrock_token_generator::ErrorKind as CoreErrorKind;

/// What the gateway answers with: its own small JSON bodies, or the upstream's, streamed.
pub(crate) type Body = Either<Full<Bytes>, Paced>;

/// The most characters of a path put in a log event.
const MAX_LOGGED_PATH: usize = 200;

/// The health answer: the cached key's expiry; with none usable, the last load's error
/// at once, or (before any load failed) the outcome of a load within the token wait.
pub(super) async fn health(shared: &Shared) -> Response<Body> {
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

/// A request path as logged: at most [`MAX_LOGGED_PATH`] characters, and anything but
/// printable ASCII escaped (a right-to-left override in a path must not reorder the log
/// line it is written in). Formatted only when the event is logged.
pub(super) struct LoggedPath<'a>(pub(super) &'a str);

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
pub(super) struct Refusal {
    pub(super) status: StatusCode,
    kind: &'static str,
    message: Cow<'static, str>,
    error_kind: Option<CoreErrorKind>,
}

impl Refusal {
    pub(super) fn new(
        status: StatusCode,
        kind: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Refusal {
            status,
            kind,
            message: message.into(),
            error_kind: None,
        }
    }

    pub(super) fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(super) fn with_kind(mut self, kind: CoreErrorKind) -> Self {
        self.error_kind = Some(kind);
        self
    }

    pub(super) fn into_response(self, http1: bool) -> Response<Body> {
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
