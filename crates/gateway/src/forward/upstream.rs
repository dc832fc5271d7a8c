//! Where requests go: the upstream and control-plane URLs, their connections, and which
//! requests are Bedrock control-plane reads.

use std::fmt;
use std::str::FromStr as _;
use std::sync::Arc;

use http::header::HeaderValue;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::pool::Pool;
use crate::{is_loopback_host, Error, ErrorKind, Input, Limits};

/// Makes upstream connections; each [`Pool`] of them is built on one.
pub(crate) type Connector = HttpsConnector<HttpConnector>;

/// A second destination, with its own connections.
pub(crate) struct Route {
    pub upstream: Upstream,
    pub pool: Pool,
}

/// The upstream: where every request goes.
#[derive(Clone)]
pub(crate) struct Upstream {
    scheme: Scheme,
    authority: Authority,
    /// The path prefix without a trailing `/` (empty for none).
    prefix: String,
    pub(super) host: HeaderValue,
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
    pub(crate) fn parse(url: &str, what: &str) -> Result<Upstream, Error> {
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

    pub(crate) fn is_https(&self) -> bool {
        self.scheme == Scheme::HTTPS
    }

    /// The upstream URI for a request's path and query.
    pub(super) fn uri_for(&self, target: Option<&PathAndQuery>) -> Option<Uri> {
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
pub(crate) fn upstream_connector(https: bool, limits: &Limits) -> Result<Connector, Error> {
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

/// The Bedrock control-plane reads that clients send to a runtime base URL: Claude Code
/// lists inference profiles (`ListInferenceProfiles`) before anything else; SDK helpers
/// list or get foundation models. Bedrock API keys are "limited to Amazon Bedrock and
/// Amazon Bedrock Runtime actions" (Amazon Bedrock User Guide, API keys reference,
/// <https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-reference.html>): the
/// control-plane (Amazon Bedrock) actions take them, at `bedrock.REGION.amazonaws.com`.
pub(super) fn is_control_plane(method: &Method, path: &str) -> bool {
    *method == Method::GET
        && ["/inference-profiles", "/foundation-models"]
            .iter()
            .any(|collection| {
                path.strip_prefix(collection)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
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
}
