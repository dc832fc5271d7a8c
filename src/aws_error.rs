//! Failures of AWS calls made through the SDK, told in this crate's own words.
//!
//! The SDK's errors carry text this crate cannot vet: a construction failure's chain can
//! hold a `Debug` dump of the unsigned request (an SSO access token, a web-identity token,
//! a session policy), a response error the raw answer (which for STS and IAM holds keys).
//! So nothing of an SDK error is kept but what is classified here: the stage that failed
//! and, for a service error, the AWS error code, message and request id. Their `Display`
//! and `Debug` are never formatted, and never kept as an [`Error`](crate::Error)'s source.

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The most characters of a service's message kept (an answer may be hostile).
const MAX_SAID: usize = 300;

/// What went wrong with one SDK call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The request could not be built (typically an unusable endpoint setting).
    Construction,
    /// The call, or one attempt of it, took longer than its timeout.
    Timeout,
    /// The request could not be sent or its answer not received (connection refused,
    /// reset, TLS failure, DNS).
    Connect,
    /// An answer came but could not be read (not the service's protocol).
    Unreadable,
    /// The service answered with an error.
    Service(AwsSaid),
}

impl Failure {
    /// Classifies `err`, an error of a call to `service` (e.g. `"IAM"`).
    pub fn of<E>(service: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata,
    {
        match err {
            SdkError::ConstructionFailure(_) => Failure::Construction,
            SdkError::TimeoutError(_) => Failure::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => Failure::Timeout,
            SdkError::DispatchFailure(d) if no_endpoint(d.as_connector_error()) => {
                Failure::Construction
            }
            SdkError::DispatchFailure(_) => Failure::Connect,
            SdkError::ResponseError(_) => Failure::Unreadable,
            SdkError::ServiceError(s) => {
                let meta = s.err().meta();
                match meta.code() {
                    None => Failure::Unreadable,
                    Some(code) => Failure::Service(AwsSaid {
                        service,
                        code: if is_code(code) {
                            code.to_owned()
                        } else {
                            UNRECOGNISED_CODE.to_owned()
                        },
                        message: meta.message().map(clean),
                        request_id: meta
                            .extra("aws_request_id")
                            .filter(|id| is_request_id(id))
                            .map(str::to_owned),
                        status: Some(s.raw().status().as_u16()),
                    }),
                }
            }
            _ => Failure::Unreadable,
        }
    }

    /// Looks through `err`'s chain for what can be classified without knowing its types:
    /// a connector failure ([`Failure::Timeout`] or [`Failure::Connect`]). For errors from
    /// credential providers, whose SDK error types are not known here.
    pub fn in_chain(err: &(dyn StdError + 'static)) -> Option<Self> {
        let mut next = Some(err);
        while let Some(e) = next {
            if let Some(c) = e.downcast_ref::<ConnectorError>() {
                return Some(if c.is_timeout() {
                    Failure::Timeout
                } else {
                    Failure::Connect
                });
            }
            next = e.source();
        }
        None
    }

    /// Whether the request certainly did not change anything: it was never built, or the
    /// service refused it with a client error (4xx). After a timeout, a lost connection,
    /// an unreadable answer or a server error (5xx) it may have been carried out.
    pub fn certainly_not_done(&self) -> bool {
        match self {
            Failure::Construction => true,
            Failure::Service(said) => said.status.is_some_and(|s| (400..500).contains(&s)),
            _ => false,
        }
    }
}

/// Whether the connector error says the endpoint could not be resolved or applied to the
/// request (an unusable endpoint setting). The SDK reports that as a dispatch failure,
/// but nothing was sent. The SDK's endpoint rules fail with `aws-smithy-http`'s error
/// type, applying an endpoint URL with `aws-smithy-runtime-api`'s.
fn no_endpoint(connector: Option<&ConnectorError>) -> bool {
    connector.and_then(StdError::source).is_some_and(|s| {
        s.is::<aws_smithy_runtime_api::client::endpoint::error::ResolveEndpointError>()
            || s.is::<aws_smithy_http::endpoint::ResolveEndpointError>()
    })
}

/// What a service said when it refused a call: its error code, message and request id,
/// each stripped of control characters and bounded in length. The only text from an AWS
/// answer that this crate shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSaid {
    /// The service, as people name it (`IAM`, `STS`).
    pub service: &'static str,
    /// The AWS error code, e.g. `NoSuchEntity`.
    pub code: String,
    /// The service's message.
    pub message: Option<String>,
    /// The request id, for AWS support.
    pub request_id: Option<String>,
    /// The HTTP status of the answer.
    pub status: Option<u16>,
}

impl fmt::Display for AwsSaid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.service, self.code)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, "; request id {id}")?;
        }
        Ok(())
    }
}

impl StdError for AwsSaid {}

impl AwsSaid {
    /// The error code, `None` if the service's was not of the usual shape (letters and
    /// `._:-`, at most 64).
    pub fn error_code(&self) -> Option<&str> {
        (self.code != UNRECOGNISED_CODE).then_some(self.code.as_str())
    }

    /// What the service said, if `source` (an error's source, as kept) is that.
    pub fn in_source<'a>(
        source: Option<&'a (dyn StdError + Send + Sync + 'static)>,
    ) -> Option<&'a AwsSaid> {
        source?.downcast_ref()
    }
}

/// What an error code that is not an AWS error code's shape is shown as.
pub const UNRECOGNISED_CODE: &str = "(an unrecognised error code)";

/// Runs of credential-like characters at least this long are not shown.
const LONG_RUN: usize = 32;

/// Whether `s` has the shape of an AWS error code (`NoSuchEntity`, `AccessDenied.Sub`):
/// letters and `._:-`, no digits, at most 64 characters. Anything else is not shown: a
/// hostile or echoing endpoint could put any text there, the request's own credentials
/// included (which, being random, hardly ever lack a digit).
fn is_code(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphabetic() || b"._:-".contains(&b))
}

/// Whether `s` has the shape of a request id: a UUID, or letters, digits and hyphens, at
/// most 64 characters, and not a long run of credential-like characters on its own.
fn is_request_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && s.split('-').all(|part| part.len() < LONG_RUN)
}

/// `s` with control characters escaped, cut to [`MAX_SAID`] characters, and any run of
/// [`LONG_RUN`] or more base64, base64url or hex characters (what secret keys, session
/// tokens, JWTs and SSO tokens are made of, and what AWS messages hardly ever hold)
/// replaced by `<redacted>`.
fn clean(s: &str) -> String {
    let is_run_char = |c: char| c.is_ascii_alphanumeric() || "+/=_-".contains(c);
    let mut shown = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, shown: &mut String| {
        if run.chars().count() >= LONG_RUN {
            shown.push_str("<redacted>");
        } else {
            shown.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if is_run_char(c) {
            run.push(c);
            continue;
        }
        flush(&mut run, &mut shown);
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    flush(&mut run, &mut shown);
    let mut out: String = shown.chars().take(MAX_SAID).collect();
    if out.len() < shown.len() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_request_ids_have_their_shape() {
        for ok in [
            "NoSuchEntity",
            "AccessDenied.Sub",
            "InvalidAuthorizationMessageException",
        ] {
            assert!(is_code(ok), "{ok}");
        }
        for bad in [
            "",
            "has space",
            "a=b&WebIdentityToken=x",
            &"x".repeat(65),
            "é",
            "CANARY0wJalrXUtnFEMI",
        ] {
            assert!(!is_code(bad), "{bad}");
        }
        assert!(is_request_id("11111111-2222-3333-4444-555555555555"));
        for bad in ["", "a b", "FwoGZXIvYXdzEXAMPLESESSIONTOKENabcdefgh", "x=y"] {
            assert!(!is_request_id(bad), "{bad}");
        }
    }

    #[test]
    fn long_credential_like_runs_are_not_shown() {
        let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN+abc/def==FwoGZXIvYXdz";
        assert_eq!(
            clean(&format!("The security token {token} is invalid.")),
            "The security token <redacted> is invalid."
        );
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImF1ZCI6InN0cyJ9.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl";
        assert!(!clean(jwt).contains("eyJzdWIiOiJhbGljZSIsImF1ZCI6InN0cyJ9"));
        let arn = "User: arn:aws:iam::123456789012:user/alice is not authorized";
        assert_eq!(clean(arn), arn);
    }

    #[test]
    fn said_is_one_clean_bounded_line() {
        assert_eq!(clean("a\u{1b}[2J\nb"), "a\\u{1b}[2J\\nb");
        let long = clean(&"x y".repeat(1000));
        assert_eq!(long.len(), MAX_SAID + 3);
        let said = AwsSaid {
            service: "IAM",
            code: "NoSuchEntity".into(),
            message: Some("no user".into()),
            request_id: Some("r-1".into()),
            status: Some(404),
        };
        assert_eq!(
            said.to_string(),
            "IAM NoSuchEntity: no user; request id r-1"
        );
        assert!(Failure::Service(said.clone()).certainly_not_done());
        let server = AwsSaid {
            status: Some(500),
            ..said
        };
        assert!(!Failure::Service(server).certainly_not_done());
        assert!(!Failure::Timeout.certainly_not_done());
        assert!(!Failure::Connect.certainly_not_done());
        assert!(Failure::Construction.certainly_not_done());
    }

    #[test]
    fn an_endpoint_that_cannot_be_used_is_a_construction_failure() {
        use aws_smithy_types::error::ErrorMetadata;
        let dispatch = |source: aws_smithy_runtime_api::box_error::BoxError| {
            SdkError::<ErrorMetadata, HttpResponse>::dispatch_failure(ConnectorError::other(
                source, None,
            ))
        };
        let rules = aws_smithy_http::endpoint::ResolveEndpointError::message("rules");
        let apply =
            aws_smithy_runtime_api::client::endpoint::error::ResolveEndpointError::message("uri");
        assert_eq!(
            Failure::of("IAM", &dispatch(Box::new(rules))),
            Failure::Construction
        );
        assert_eq!(
            Failure::of("IAM", &dispatch(Box::new(apply))),
            Failure::Construction
        );
        let other = std::io::Error::other("reset");
        assert_eq!(
            Failure::of("IAM", &dispatch(Box::new(other))),
            Failure::Connect
        );
    }
}
