//! The checks a request passes before it is forwarded: its framing's verdict, its target,
//! its `Host`, the client key and its path.

use std::str::FromStr as _;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::Authority;
use http::{Request, StatusCode};
use hyper::body::Incoming;
use subtle::ConstantTimeEq as _;

use super::answer::Refusal;
use super::rewrite::X_API_KEY;
use super::Shared;
use crate::{is_loopback_host, ClientKey};

pub(super) const UNCHECKED: &str =
    "the gateway could not check this request's framing: send it on a new connection";

pub(super) fn ambiguous(why: &str) -> Refusal {
    Refusal::bad_request(format!(
        "the request's framing is ambiguous ({why}): send one Content-Length, or \
         Transfer-Encoding: chunked alone"
    ))
}

/// Only origin-form targets (a path): no absolute-form, authority-form or `*`.
pub(super) fn check_target(req: &Request<Incoming>, http1: bool) -> Result<(), Refusal> {
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
pub(super) fn check_host(
    shared: &Shared,
    req: &Request<Incoming>,
    http1: bool,
) -> Result<(), Refusal> {
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
pub(super) struct Forms {
    pub(super) bearer: bool,
    pub(super) api_key: bool,
}

/// Every `Authorization` / `x-api-key` header present must hold the client key, and at
/// least one must be present. Compared in constant time.
pub(super) fn check_client_key(key: &ClientKey, headers: &HeaderMap) -> Result<Forms, Refusal> {
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

/// Whether a path has a `.` or `..` segment, percent-encoded or not: with a path prefix
/// on the upstream URL, `/../x` would leave it once the upstream resolves the dots.
pub(super) fn has_dot_segment(path: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
