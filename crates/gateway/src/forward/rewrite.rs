//! Header rewriting: what identifies the client is replaced, and what must not go on
//! (hop-by-hop headers, forwarding headers, browser grants) is dropped, both ways.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::checks::Forms;

pub(super) const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

/// Which way headers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hop {
    /// Client to upstream.
    Request,
    /// Upstream to client.
    Response,
}

/// Replaces what identifies the client to the gateway with what the upstream needs:
/// `Host` becomes the upstream's, and the client key the real key in the same header
/// (`insert` replaces every value the client sent); a form the client did not use is
/// removed all the same.
pub(super) fn set_identity(
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
pub(super) fn next_hop(headers: &mut HeaderMap, hop: Hop) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
