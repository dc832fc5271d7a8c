//! Short-term keys: `bedrock-api-key-<base64 of a presigned SigV4 URL>`.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use percent_encoding::percent_decode_str;

use super::rfc3339;
use crate::mint::{validate_region, ACTION_QUERY, MAX_CLOCK_SKEW, MAX_EXPIRY};
use crate::service::ShortTerm;
use crate::{Error, ErrorKind, Service};

/// The facts a short-term Bedrock API key (`bedrock-api-key-…`) carries: region, access
/// key id, signing time, requested expiry, and whether it was signed with a session token.
///
/// [`TokenInfo::parse`] checks the token's structure, not its signature (that needs the
/// secret key). Neither the signature nor the session token is kept, so `Debug` cannot
/// show them.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aws_bedrock_token_generator::{generate_token, TokenInfo};
/// use aws_credential_types::Credentials;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "example");
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_718_452_800);
/// let token = generate_token(&creds, "eu-west-1", Duration::from_secs(900), now)?;
///
/// let info = TokenInfo::parse(token.as_str())?;
/// assert_eq!(info.region(), "eu-west-1");
/// assert_eq!(info.access_key_id(), "AKIDEXAMPLE");
/// assert_eq!(info.signed_at(), now);
/// assert_eq!(info.expiry(), Duration::from_secs(900));
/// assert_eq!(info.expires_at(), token.expires_at());
/// assert!(!info.has_session_token());
/// # Ok::<(), aws_bedrock_token_generator::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    service: Service,
    region: String,
    access_key_id: String,
    signed_at: SystemTime,
    expiry: Duration,
    has_session_token: bool,
}

impl TokenInfo {
    /// Parses a `bedrock-api-key-…` (Amazon Bedrock) or `aws-external-anthropic-api-key-…`
    /// (Claude Platform on AWS) string, checking it is signed for that service's host and
    /// SigV4 name (surrounding whitespace is ignored). Never
    /// panics; anything that is not a well-formed short-term Bedrock API key is an
    /// [`ErrorKind::InvalidToken`] error saying what is wrong (without echoing the input).
    /// A long-term key (`ABSK…`) is such an error too, one that says so: use
    /// [`KeyInfo::parse`](crate::KeyInfo::parse) to accept either kind.
    ///
    /// Every text field of the result is printable ASCII: the region is a valid region
    /// name and the access key id is ASCII letters and digits.
    pub fn parse(token: &str) -> Result<Self, Error> {
        let token = token.trim();
        if let Some(service) = Service::from_long_term_key(token) {
            return Err(Error::new(
                ErrorKind::InvalidToken,
                if service == Service::Bedrock {
                    "this is a long-term Bedrock API key (ABSK...), not a short-term one; \
                     use KeyInfo::parse / LongTermKeyInfo::parse"
                        .to_owned()
                } else {
                    format!(
                        "this is a long-term {service} API key ({}...), not a short-term one; \
                         use KeyInfo::parse / LongTermKeyInfo::parse",
                        service.long_term_prefix().unwrap_or_default()
                    )
                },
            ));
        }
        let Some((service, target)) = Service::from_short_term_key(token) else {
            return Err(super::unknown_key(token).unwrap_or_else(|| {
                invalid_for(
                    Service::Bedrock,
                    Invalid::new("it does not start with `bedrock-api-key-`"),
                )
            }));
        };
        parse_for(service, target, token).map_err(|reason| invalid_for(service, reason))
    }

    /// The service the key is for, from its prefix: [`Service::Bedrock`] for
    /// `bedrock-api-key-…`, [`Service::ClaudePlatform`] for
    /// `aws-external-anthropic-api-key-…`.
    pub fn service(&self) -> Service {
        self.service
    }

    /// The region in the credential scope.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The access key id that signed the token (not a secret, but it identifies the account).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The signing time (`X-Amz-Date`).
    pub fn signed_at(&self) -> SystemTime {
        self.signed_at
    }

    /// The requested validity (`X-Amz-Expires`).
    pub fn expiry(&self) -> Duration {
        self.expiry
    }

    /// `signed_at + expiry`: the latest time the token can be valid. If the signing
    /// credentials expire earlier (temporary credentials), the token stops working then;
    /// that time is not recorded in the token.
    pub fn expires_at(&self) -> SystemTime {
        self.signed_at + self.expiry
    }

    /// Whether the token has expired at `now` (by `expires_at`).
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        now >= self.expires_at()
    }

    /// Whether the token is not valid yet at `now`: it was signed more than
    /// [`MAX_CLOCK_SKEW`] (5 minutes) after `now`, so the clock that signed it runs ahead
    /// of `now`'s, and Bedrock would reject it as signed in the future. A token signed up
    /// to that much later is accepted as valid.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use aws_bedrock_token_generator::{generate_token, TokenInfo, MAX_CLOCK_SKEW};
    /// # use aws_credential_types::Credentials;
    /// # let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "example");
    /// let signed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_718_452_800);
    /// let token = generate_token(&creds, "us-east-1", Duration::from_secs(900), signed)?;
    /// let info = TokenInfo::parse(token.as_str())?;
    /// assert!(!info.is_not_yet_valid_at(signed - MAX_CLOCK_SKEW));
    /// assert!(info.is_not_yet_valid_at(signed - MAX_CLOCK_SKEW - Duration::from_secs(1)));
    /// # Ok::<(), aws_bedrock_token_generator::Error>(())
    /// ```
    pub fn is_not_yet_valid_at(&self, now: SystemTime) -> bool {
        // If `now + MAX_CLOCK_SKEW` overflows, it is later than any signing time.
        now.checked_add(MAX_CLOCK_SKEW)
            .is_some_and(|latest| self.signed_at > latest)
    }

    /// Whether the token was signed with temporary credentials (it carries a session token).
    pub fn has_session_token(&self) -> bool {
        self.has_session_token
    }
}

/// Why a token is malformed, before the service's name is put in front of it.
struct Invalid(String);

impl Invalid {
    fn new(reason: &str) -> Self {
        Self(reason.to_owned())
    }
}

fn invalid(reason: &str) -> Invalid {
    Invalid::new(reason)
}

fn invalid_for(service: Service, reason: Invalid) -> Error {
    let kind = if service == Service::Bedrock {
        "Bedrock API key".to_owned()
    } else {
        format!("{service} short-term API key")
    };
    Error::new(
        ErrorKind::InvalidToken,
        format!("not a valid {kind}: {}", reason.0),
    )
}

/// The checks of [`TokenInfo::parse`] for a token with the prefix of `service`, whose
/// short-term facts are `target`.
fn parse_for(service: Service, target: &ShortTerm, token: &str) -> Result<TokenInfo, Invalid> {
    let prefix = target.token_prefix;
    let encoded = token
        .strip_prefix(prefix)
        .ok_or_else(|| invalid(&format!("it does not start with `{prefix}`")))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| {
            invalid(&format!(
                "the text after `{prefix}` is not valid standard, padded base64"
            ))
        })?;
    let url = String::from_utf8(bytes).map_err(|_| invalid("the decoded token is not UTF-8"))?;
    let query = url
        .strip_prefix(target.host)
        .and_then(|rest| rest.strip_prefix("/?"))
        .ok_or_else(|| {
            invalid(&format!(
                "the decoded token is not a presigned URL for host {} and path /",
                target.host
            ))
        })?;
    Params::parse(query)?.into_info(service, target.signing_name)
}

/// The query parameters of a token, each at most once.
#[derive(Default)]
struct Params<'a> {
    action: Option<&'a str>,
    version: Option<&'a str>,
    algorithm: Option<&'a str>,
    credential: Option<&'a str>,
    date: Option<&'a str>,
    expires: Option<&'a str>,
    signed_headers: Option<&'a str>,
    signature: Option<&'a str>,
    security_token: Option<&'a str>,
}

impl<'a> Params<'a> {
    fn parse(query: &'a str) -> Result<Self, Invalid> {
        let mut p = Params::default();
        if !query.starts_with(ACTION_QUERY) {
            return Err(invalid(
                "the query does not start with `Action=CallWithBearerToken`",
            ));
        }
        for pair in query.split('&') {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid("a query parameter has no `=`"))?;
            let slot = match name {
                "Action" => &mut p.action,
                "Version" => &mut p.version,
                "X-Amz-Algorithm" => &mut p.algorithm,
                "X-Amz-Credential" => &mut p.credential,
                "X-Amz-Date" => &mut p.date,
                "X-Amz-Expires" => &mut p.expires,
                "X-Amz-SignedHeaders" => &mut p.signed_headers,
                "X-Amz-Signature" => &mut p.signature,
                "X-Amz-Security-Token" => &mut p.security_token,
                _ => return Err(invalid("it has an unexpected query parameter")),
            };
            if slot.replace(value).is_some() {
                return Err(invalid(&format!(
                    "the parameter `{name}` appears more than once"
                )));
            }
        }
        if p.action != Some("CallWithBearerToken") {
            return Err(invalid("`Action` is not `CallWithBearerToken`"));
        }
        if p.version != Some("1") || !query.ends_with("&Version=1") {
            return Err(invalid("the query does not end with `&Version=1`"));
        }
        Ok(p)
    }

    fn into_info(self, service: Service, signing_name: &str) -> Result<TokenInfo, Invalid> {
        let required = |name: &str, v: Option<&'a str>| {
            v.ok_or_else(|| invalid(&format!("the parameter `{name}` is missing")))
        };
        let algorithm = required("X-Amz-Algorithm", self.algorithm)?;
        if algorithm != "AWS4-HMAC-SHA256" {
            return Err(invalid("`X-Amz-Algorithm` is not `AWS4-HMAC-SHA256`"));
        }
        let signed_headers = decode(
            "X-Amz-SignedHeaders",
            required("X-Amz-SignedHeaders", self.signed_headers)?,
        )?;
        if !signed_headers.split(';').any(|h| h == "host") {
            return Err(invalid("`X-Amz-SignedHeaders` does not include `host`"));
        }
        let signature = required("X-Amz-Signature", self.signature)?;
        if signature.len() != 64
            || !signature
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(invalid("`X-Amz-Signature` is not 64 lower-case hex digits"));
        }
        let expires = required("X-Amz-Expires", self.expires)?;
        // Canonical decimal only: digits, no sign, no leading zero, no whitespace.
        let expiry_secs = Some(expires)
            .filter(|e| e.bytes().all(|b| b.is_ascii_digit()) && !e.starts_with('0'))
            .and_then(|e| e.parse::<u64>().ok())
            .filter(|s| (1..=MAX_EXPIRY.as_secs()).contains(s))
            .ok_or_else(|| {
                invalid(
                    "`X-Amz-Expires` is not a whole number of seconds from 1 to 43200 \
                     (plain decimal digits, no sign or leading zero)",
                )
            })?;
        let (signed_at, day) = parse_amz_date(required("X-Amz-Date", self.date)?)?;
        if let Some(token) = self.security_token {
            if decode("X-Amz-Security-Token", token)?.is_empty() {
                return Err(invalid("`X-Amz-Security-Token` is empty"));
            }
        }
        let credential = decode(
            "X-Amz-Credential",
            required("X-Amz-Credential", self.credential)?,
        )?;
        let (access_key_id, region) = parse_scope(&credential, day, signing_name)?;
        Ok(TokenInfo {
            service,
            region,
            access_key_id,
            signed_at,
            expiry: Duration::from_secs(expiry_secs),
            has_session_token: self.security_token.is_some(),
        })
    }
}

fn decode(name: &str, value: &str) -> Result<String, Invalid> {
    percent_decode_str(value)
        .decode_utf8()
        .map(|v| v.into_owned())
        .map_err(|_| invalid(&format!("`{name}` is not percent-encoded UTF-8")))
}

/// `AKID/YYYYMMDD/region/bedrock/aws4_request`, with the date matching `X-Amz-Date`.
/// The access key id is ASCII letters and digits and the region a valid region name, so
/// neither can carry anything unprintable.
fn parse_scope(
    credential: &str,
    date: &str,
    signing_name: &str,
) -> Result<(String, String), Invalid> {
    let malformed = || {
        invalid(&format!(
            "`X-Amz-Credential` is not `<access key id>/<yyyymmdd>/<region>/{signing_name}/aws4_request`"
        ))
    };
    let mut parts = credential.rsplitn(5, '/');
    let (Some("aws4_request"), Some(name), Some(region), Some(scope_date), Some(akid)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(malformed());
    };
    if name != signing_name {
        return Err(malformed());
    }
    if akid.is_empty() || !akid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid(
            "the access key id in `X-Amz-Credential` is empty or has characters other than \
             ASCII letters and digits",
        ));
    }
    if scope_date != date {
        return Err(invalid(
            "the date in `X-Amz-Credential` does not match `X-Amz-Date`",
        ));
    }
    validate_region(region)
        .map_err(|_| invalid("the region in `X-Amz-Credential` is not a valid AWS region name"))?;
    Ok((akid.to_owned(), region.to_owned()))
}

/// `YYYYMMDDTHHMMSSZ` to a `SystemTime`, and its `YYYYMMDD` part (for the credential
/// scope).
///
/// The value is untrusted: it is checked to be 16 ASCII bytes before any part of it is
/// read, and the digits are read from bytes, never by slicing the string.
fn parse_amz_date(s: &str) -> Result<(SystemTime, &str), Invalid> {
    let bad = || invalid("`X-Amz-Date` is not a valid `YYYYMMDDTHHMMSSZ` UTC time");
    if !s.is_ascii() {
        return Err(bad());
    }
    let b: &[u8; 16] = s.as_bytes().try_into().map_err(|_| bad())?;
    if b[8] != b'T' || b[15] != b'Z' {
        return Err(bad());
    }
    let num = |digits: &[u8]| -> Result<u32, Invalid> {
        digits.iter().try_fold(0u32, |n, &c| {
            if c.is_ascii_digit() {
                Ok(n * 10 + u32::from(c - b'0'))
            } else {
                Err(bad())
            }
        })
    };
    let (year, month, day) = (num(&b[0..4])?, num(&b[4..6])?, num(&b[6..8])?);
    let (hour, minute, second) = (num(&b[9..11])?, num(&b[11..13])?, num(&b[13..15])?);
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let date = time::Date::from_calendar_date(year as i32, month, day as u8).map_err(|_| bad())?;
    let tod = time::Time::from_hms(hour as u8, minute as u8, second as u8).map_err(|_| bad())?;
    let when = time::PrimitiveDateTime::new(date, tod).assume_utc();
    if when.unix_timestamp() < 0 {
        return Err(bad());
    }
    // All 16 bytes are ASCII, so byte 8 is a character boundary.
    let day = s.get(..8).ok_or_else(bad)?;
    Ok((SystemTime::from(when), day))
}

impl fmt::Display for TokenInfo {
    /// A summary for people: region, access key id, signing time, expiry. No secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "region {}, access key id {}, signed at {}, valid for {} s{}",
            self.region,
            self.access_key_id,
            rfc3339(self.signed_at),
            self.expiry.as_secs(),
            if self.has_session_token {
                ", with session token"
            } else {
                ""
            }
        )
    }
}
